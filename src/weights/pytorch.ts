// A PyTorch zip checkpoint read into modalfuse tensors: archive → restricted unpickle →
// state dict → each tensor's view copied out of its storage.
import { UserError } from "../errors.js";
import { tensor, type Tensor } from "../torch/index.js";
import { PyDict, describe, type PyValue } from "./pickle-values.js";
import { extractStateDict, listed, type Extracted } from "./state-dict.js";
import { materialise } from "./strided.js";
import { openTorchArchive } from "./torch-archive.js";
import { STORAGE_DTYPES, isTensorRef, resolveTorchGlobal, storageFromPersistentId, type TensorRef } from "./torch-pickle.js";
import { UnpicklingError, unpickle } from "./unpickler.js";

export function readPytorchCheckpoint(buffer: Buffer, source: string): Extracted<Tensor> {
  const archive = openTorchArchive(buffer, source);
  let top: PyValue;
  try {
    top = unpickle(archive.pickle, { resolveGlobal: resolveTorchGlobal, persistentLoad: storageFromPersistentId });
  } catch (error) {
    if (!(error instanceof UnpicklingError)) throw error;
    // A class name (capitalised, not torch's) usually means a whole model was pickled.
    const wholeModel = error.refused !== undefined && /\.[A-Z]\w*$/.test(error.refused) && !error.refused.startsWith("torch.");
    throw new UserError(`${source}: ${error.message}${wholeModel ? "; if this is a whole model saved with torch.save(model), save model.state_dict() instead" : ""}`);
  }

  const dict = asStringDict(top);
  if (!dict) throw new UserError(`${source}: holds ${top instanceof PyDict ? "a dict without string keys" : isTensorRef(top) ? "a single tensor" : describe(top)}, not a state dict of tensors`);
  const found = extractStateDict(dict, isTensorRef, asStringDict);
  if (!found || found.tensors.size === 0) throw new UserError(`${source}: holds no tensors where a state dict should be (top-level entries: ${listed([...dict.keys()]) || "none"})`);

  const storages = new Map<string, Buffer>();
  const tensors = new Map<string, Tensor>();
  try {
    for (const [name, ref] of found.tensors) tensors.set(name, toTensor(name, ref, storages, archive.storage, source));
  } catch (error) {
    for (const t of tensors.values()) t.dispose();
    throw error;
  }
  return { tensors, notes: found.notes };
}

function toTensor(name: string, ref: TensorRef, storages: Map<string, Buffer>, read: (key: string) => Buffer, source: string): Tensor {
  const info = STORAGE_DTYPES[ref.storage.storageType];
  if (!info) throw new UserError(`${source}: tensor ${name} has storage type ${ref.storage.storageType}, which modalfuse does not read`);
  if (info.dtype === null) throw new UserError(`${source}: tensor ${name} is ${info.torch}, which modalfuse cannot hold (convert it in Python, e.g. .float())`);
  let bytes = storages.get(ref.storage.key);
  if (!bytes) {
    bytes = read(ref.storage.key);
    storages.set(ref.storage.key, bytes);
  }
  let data: Buffer;
  try {
    data = materialise(bytes, info.bytes, ref);
  } catch (error) {
    throw new UserError(`${source}: tensor ${name} does not fit its storage (${(error as Error).message}); the file is damaged`);
  }
  return tensor(data, [...ref.size], { dtype: info.dtype });
}

/** A dict whose keys are all strings, as a Map; undefined for anything else. */
function asStringDict(value: PyValue): Map<string, PyValue> | undefined {
  if (!(value instanceof PyDict)) return undefined;
  const out = new Map<string, PyValue>();
  for (const [k, v] of value.entries) {
    if (typeof k !== "string") return undefined;
    out.set(k, v);
  }
  return out;
}
