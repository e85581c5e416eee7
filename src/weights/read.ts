// One entry point for users' pretrained weights: a PyTorch zip checkpoint (.pth, .pt, .bin)
// or a .safetensors file, told apart by their first bytes rather than by the file name.
// Neither path executes anything from the file.
import { readFile } from "node:fs/promises";
import { UserError } from "../errors.js";
import { decodeSafetensors, type Tensor } from "../torch/index.js";
import { readPytorchCheckpoint } from "./pytorch.js";
import { extractStateDict, type Extracted } from "./state-dict.js";

export type WeightsFormat = "pytorch" | "safetensors";

export interface LoadedWeights extends Extracted<Tensor> {
  readonly format: WeightsFormat;
}

export interface ReadWeightsOptions {
  /** Told what was done to the names or entries (a nested dict used, a prefix removed). */
  onNote?: (line: string) => void;
}

/** The tensors of a checkpoint, by name. The caller owns (and disposes) them. */
export async function readWeights(path: string, options: ReadWeightsOptions = {}): Promise<Map<string, Tensor>> {
  const loaded = await loadWeights(path);
  for (const note of loaded.notes) options.onNote?.(note);
  return loaded.tensors;
}

/** As readWeights, with the format found and the notes. */
export async function loadWeights(path: string): Promise<LoadedWeights> {
  let buffer: Buffer;
  try {
    buffer = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(`${path}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "a folder, not a checkpoint file" : `cannot read (${code ?? (error as Error).message})`}`);
  }
  return decodeWeights(buffer, path);
}

/** Reads checkpoint bytes already in memory; `source` names them in messages. */
export function decodeWeights(buffer: Buffer, source: string): LoadedWeights {
  const format = sniff(buffer, source);
  if (format === "pytorch") return { format, ...readPytorchCheckpoint(buffer, source) };
  let tensors: Map<string, Tensor>;
  try {
    tensors = decodeSafetensors(buffer, source).tensors;
  } catch (error) {
    throw new UserError((error as Error).message.split("\n")[0] ?? "");
  }
  // All tensors: only the DataParallel prefix can apply.
  const found = extractStateDict(tensors, (t): t is Tensor => t !== undefined, () => undefined);
  if (!found) throw new UserError(`${source}: a safetensors file with no tensors`);
  return { format, ...found };
}

const ZIP = Buffer.from("PK\x03\x04", "latin1");
const PICKLE_PROTOCOL = 0x80;

/** Which reader a file needs, from its first bytes; a one-line UserError for everything else. */
export function sniff(buffer: Buffer, source: string): WeightsFormat {
  if (buffer.length === 0) throw new UserError(`${source}: an empty file, not a checkpoint`);
  if (buffer.subarray(0, 4).equals(ZIP)) return "pytorch";
  // safetensors: an 8-byte little-endian header length, then a JSON object.
  if (buffer.length >= 9 && buffer[8] === 0x7b && buffer.readBigUInt64LE(0) <= BigInt(buffer.length - 8)) return "safetensors";
  // torch.save before 1.6 (or with _use_new_zipfile_serialization=False) writes bare pickles;
  // older still, a tar archive. Both can run code when loaded, so neither is read.
  if (buffer[0] === PICKLE_PROTOCOL || buffer.toString("latin1", 257, 262) === "ustar") {
    throw new UserError(`${source}: a legacy PyTorch checkpoint (before torch 1.6, or saved with _use_new_zipfile_serialization=False), which modalfuse does not read; re-save it with torch 1.13 or later: torch.save(torch.load(path, weights_only=True), new_path)`);
  }
  throw new UserError(`${source}: not a checkpoint modalfuse reads (expected a PyTorch .pth/.pt zip checkpoint or a .safetensors file)`);
}
