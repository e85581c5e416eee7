// The values the restricted unpickler builds: plain data only. A Python list is a JS array,
// a str a string, an int a number (a bigint past 2^53), None null; the classes below stand
// for what JavaScript has no twin for. Nothing here can run code.

export type PyValue = null | boolean | number | bigint | string | Buffer | PyValue[] | PyTuple | PyDict | PyGlobal | PyObject;

export class PyTuple {
  constructor(readonly items: readonly PyValue[]) {}
}

/** A dict or OrderedDict; keys keep their insertion order, as in Python. */
export class PyDict {
  readonly entries = new Map<PyValue, PyValue>();
  /** What BUILD set on it (an OrderedDict's `__dict__`, e.g. a state dict's `_metadata`); kept, never used. */
  state: PyValue = null;
}

/**
 * A name a GLOBAL opcode referred to, once the allowlist accepted it. `call` is present
 * when the name is one of the few reconstructors modalfuse implements itself (REDUCE uses
 * it); a name without `call` is a marker, e.g. `torch.FloatStorage` inside a persistent id.
 */
export interface PyGlobal {
  readonly kind: "global";
  readonly module: string;
  readonly name: string;
  readonly call?: (args: readonly PyValue[]) => PyValue;
}

/** Anything else an allowlisted reconstructor returns (a tensor description, a storage). */
export interface PyObject {
  readonly kind: "object";
  readonly type: string;
}

export function isGlobal(value: PyValue): value is PyGlobal {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value) && !(value instanceof PyTuple) && !(value instanceof PyDict) && value.kind === "global";
}

export function isObject(value: PyValue): value is PyObject {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value) && !(value instanceof PyTuple) && !(value instanceof PyDict) && value.kind === "object";
}

/** A short description for messages: "a str", "a dict", "torch.FloatStorage". */
export function describe(value: PyValue): string {
  if (value === null) return "None";
  if (typeof value === "boolean") return "a bool";
  if (typeof value === "number") return Number.isInteger(value) ? "an int" : "a float";
  if (typeof value === "bigint") return "an int";
  if (typeof value === "string") return "a str";
  if (Buffer.isBuffer(value)) return "bytes";
  if (Array.isArray(value)) return "a list";
  if (value instanceof PyTuple) return "a tuple";
  if (value instanceof PyDict) return "a dict";
  if (value.kind === "global") return `${value.module}.${value.name}`;
  return `a ${value.type}`;
}
