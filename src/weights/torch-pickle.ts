// What a `torch.save` pickle may name, and the TypeScript stand-ins for those names. A
// tensor comes out as a description (storage, offset, sizes, strides), not as data: the
// bytes are read from the archive afterwards. Every other name is refused.
import { UnpicklingError } from "./unpickler.js";
import { PyDict, PyTuple, describe, isGlobal, isObject, type PyGlobal, type PyObject, type PyValue } from "./pickle-values.js";

/** torch's storage classes, by the name the pickle uses, and the dtype modalfuse reads them as (null: none). */
export const STORAGE_DTYPES: Record<string, { dtype: "float32" | "float64" | "float16" | "bfloat16" | "int64" | "int32" | "uint8" | "bool" | null; torch: string; bytes: number }> = {
  FloatStorage: { dtype: "float32", torch: "float32", bytes: 4 },
  DoubleStorage: { dtype: "float64", torch: "float64", bytes: 8 },
  HalfStorage: { dtype: "float16", torch: "float16", bytes: 2 },
  BFloat16Storage: { dtype: "bfloat16", torch: "bfloat16", bytes: 2 },
  LongStorage: { dtype: "int64", torch: "int64", bytes: 8 },
  IntStorage: { dtype: "int32", torch: "int32", bytes: 4 },
  ByteStorage: { dtype: "uint8", torch: "uint8", bytes: 1 },
  BoolStorage: { dtype: "bool", torch: "bool", bytes: 1 },
  // Known to torch, with no modalfuse dtype: a tensor of these is named in the error.
  ShortStorage: { dtype: null, torch: "int16", bytes: 2 },
  CharStorage: { dtype: null, torch: "int8", bytes: 1 },
  ComplexFloatStorage: { dtype: null, torch: "complex64", bytes: 8 },
  ComplexDoubleStorage: { dtype: null, torch: "complex128", bytes: 16 },
};

export interface StorageRef extends PyObject {
  readonly type: "storage";
  /** The storage class name, e.g. "FloatStorage". */
  readonly storageType: string;
  /** The archive entry `data/<key>` that holds the bytes. */
  readonly key: string;
  /** Where it lived when saved ("cpu", "cuda:0"); informational only. */
  readonly location: string;
}

export interface TensorRef extends PyObject {
  readonly type: "tensor";
  readonly storage: StorageRef;
  readonly offset: number;
  readonly size: readonly number[];
  readonly stride: readonly number[];
}

export function isTensorRef(value: PyValue): value is TensorRef {
  return isObject(value) && value.type === "tensor";
}

const fail = (why: string): never => {
  throw new UnpicklingError(why);
};

const int = (value: PyValue | undefined, what: string): number => {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) return fail(`${what} is ${value === undefined ? "missing" : describe(value)}, not a whole number`);
  return value;
};

const ints = (value: PyValue | undefined, what: string): number[] => {
  if (!(value instanceof PyTuple) && !Array.isArray(value)) return fail(`${what} is ${value === undefined ? "missing" : describe(value)}, not a tuple`);
  const items = value instanceof PyTuple ? value.items : value;
  return items.map((v, i) => int(v, `${what}[${i}]`));
};

/** torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]) */
function rebuildTensor(args: readonly PyValue[]): TensorRef {
  const storage = args[0];
  if (storage === undefined || !isObject(storage) || storage.type !== "storage") return fail(`a tensor is rebuilt from ${storage === undefined ? "nothing" : describe(storage)}, not a storage`);
  const size = ints(args[2], "a tensor's size");
  const stride = ints(args[3], "a tensor's stride");
  if (size.length !== stride.length) fail(`a tensor has ${size.length} sizes but ${stride.length} strides`);
  return { kind: "object", type: "tensor", storage: storage as StorageRef, offset: int(args[1], "a tensor's storage offset"), size, stride };
}

/** torch._utils._rebuild_parameter(data, requires_grad, backward_hooks): a Parameter is its data here. */
function rebuildParameter(args: readonly PyValue[]): TensorRef {
  const data = args[0];
  if (data === undefined || !isTensorRef(data)) return fail(`a parameter is rebuilt from ${data === undefined ? "nothing" : describe(data)}, not a tensor`);
  return data;
}

/** torch._tensor._rebuild_from_type_v2(func, type, args, state): a tensor subclass; only plain Tensor and Parameter are accepted. */
function rebuildFromType(args: readonly PyValue[]): PyValue {
  const [func, type, inner] = args;
  if (func === undefined || !isGlobal(func) || !func.call) return fail("a tensor is rebuilt by something other than torch's tensor constructors");
  if (type === undefined || !isGlobal(type) || !(TENSOR_TYPES.has(`${type.module}.${type.name}`))) return fail(`a tensor of type ${type === undefined ? "nothing" : describe(type)}, which modalfuse does not read`);
  if (!(inner instanceof PyTuple)) return fail("a tensor is rebuilt without its arguments");
  return func.call(inner.items);
}

/** collections.OrderedDict(): a dict (its items follow through SETITEMS). */
function orderedDict(args: readonly PyValue[]): PyDict {
  const dict = new PyDict();
  // OrderedDict([(k, v), ...]) also appears in hand-written pickles; accept that form too.
  const items = args[0];
  if (Array.isArray(items)) {
    for (const pair of items) {
      if (!(pair instanceof PyTuple) || pair.items.length !== 2) fail("an OrderedDict is built from something other than pairs");
      const [k, v] = (pair as PyTuple).items;
      dict.entries.set(k as PyValue, v as PyValue);
    }
  }
  return dict;
}

/** _codecs.encode(text, "latin1"): how protocol 2 spells Python 3 bytes. */
function encode(args: readonly PyValue[]): Buffer {
  const [text, encoding] = args;
  if (typeof text !== "string" || (encoding !== "latin1" && encoding !== "latin-1")) return fail("bytes are encoded with something other than latin1");
  return Buffer.from(text, "latin1");
}

const TENSOR_TYPES = new Set(["torch.Tensor", "torch.nn.parameter.Parameter"]);

const CALLABLES: Record<string, (args: readonly PyValue[]) => PyValue> = {
  "collections.OrderedDict": orderedDict,
  "torch._utils._rebuild_tensor_v2": rebuildTensor,
  "torch._utils._rebuild_parameter": rebuildParameter,
  "torch._tensor._rebuild_from_type_v2": rebuildFromType,
  "_codecs.encode": encode,
};

/** The allowlist: a reconstructor we implement, a storage class, or a tensor type marker. */
export function resolveTorchGlobal(module: string, name: string): PyGlobal | undefined {
  const call = CALLABLES[`${module}.${name}`];
  if (call) return { kind: "global", module, name, call };
  if (module === "torch" && Object.hasOwn(STORAGE_DTYPES, name)) return { kind: "global", module, name };
  if (TENSOR_TYPES.has(`${module}.${name}`)) return { kind: "global", module, name };
  return undefined;
}

/** A persistent id `('storage', torch.FloatStorage, key, location, numel)`. */
export function storageFromPersistentId(pid: PyValue): StorageRef {
  if (!(pid instanceof PyTuple)) return fail(`a persistent id is ${describe(pid)}, not a tuple`);
  const [tag, type, key, location] = pid.items;
  if (tag !== "storage") return fail(`a persistent id of kind ${typeof tag === "string" ? tag : describe(tag ?? null)}; only storages are read`);
  if (type === undefined || !isGlobal(type) || type.module !== "torch" || !Object.hasOwn(STORAGE_DTYPES, type.name)) return fail(`a storage of type ${type === undefined ? "nothing" : describe(type)}`);
  if (typeof key !== "string" || !/^[A-Za-z0-9_.]+$/.test(key)) return fail("a storage key that is not a plain name");
  return { kind: "object", type: "storage", storageType: type.name, key, location: typeof location === "string" ? location : "" };
}
