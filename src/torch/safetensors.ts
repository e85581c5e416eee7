// The safetensors format, written and read here: an 8-byte little-endian header length,
// a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {...}}, then the raw
// little-endian tensor bytes. No pickle, nothing executable.
import { readFile, writeFile, rename } from "node:fs/promises";
import { tensor } from "./create.js";
import type { DType, Tensor } from "./tensor.js";
import { bytesPerElement } from "./tensor.js";

const TO_FILE: Partial<Record<DType, string>> = {
  float32: "F32",
  float64: "F64",
  float16: "F16",
  bfloat16: "BF16",
  int64: "I64",
  int32: "I32",
  uint8: "U8",
  bool: "BOOL",
};
const FROM_FILE = new Map(Object.entries(TO_FILE).map(([k, v]) => [v, k as DType]));

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Serialises tensors (any device; copied to CPU) with optional string metadata. */
export function encodeSafetensors(tensors: Map<string, Tensor>, metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, HeaderEntry | Record<string, string>> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const [name, t] of [...tensors].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const dtype = TO_FILE[t.dtype];
    if (!dtype) throw new Error(`safetensors cannot store dtype ${t.dtype} (tensor ${name})`);
    const bytes = t.toBuffer();
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = Buffer.from(JSON.stringify(header), "utf8");
  // Pad the header with spaces so the data starts 8-byte aligned, as the reference writer does.
  const padding = (8 - (json.length % 8)) % 8;
  if (padding) json = Buffer.concat([json, Buffer.alloc(padding, 0x20)]);
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([size, json, ...chunks]);
}

/** Parses a safetensors buffer, checking every offset before trusting it. */
export function decodeSafetensors(buffer: Buffer, source = "safetensors data"): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  const fail = (why: string): never => {
    throw new Error(`${source}: not a valid safetensors file (${why})`);
  };
  if (buffer.length < 8) fail("shorter than its 8-byte header length");
  const headerLength = Number(buffer.readBigUInt64LE(0));
  if (headerLength > buffer.length - 8) fail("header length past the end of the file");
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(buffer.subarray(8, 8 + headerLength).toString("utf8")) as Record<string, unknown>;
  } catch {
    return fail("header is not JSON");
  }
  const data = buffer.subarray(8 + headerLength);
  const tensors = new Map<string, Tensor>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = raw as Record<string, string>;
      continue;
    }
    const entry = raw as HeaderEntry;
    const dtype = FROM_FILE.get(entry.dtype) ?? fail(`tensor ${name} has unsupported dtype ${String(entry.dtype)}`);
    const [begin, end] = entry.data_offsets ?? fail(`tensor ${name} has no data_offsets`);
    const count = entry.shape.reduce((a, b) => a * b, 1);
    if (!(begin >= 0 && end <= data.length && end - begin === count * bytesPerElement(dtype))) fail(`tensor ${name} has bad data_offsets`);
    // The engine copies the bytes with memcpy, so the slice needs no alignment.
    tensors.set(name, tensor(data.subarray(begin, end), entry.shape, { dtype }));
  }
  return { tensors, metadata };
}

/** Writes atomically (temporary file, then rename) so a crash never leaves half a model. */
export async function saveSafetensors(path: string, tensors: Map<string, Tensor>, metadata: Record<string, string> = {}): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, encodeSafetensors(tensors, metadata));
  await rename(tmp, path);
}

export async function loadSafetensors(path: string): Promise<{ tensors: Map<string, Tensor>; metadata: Record<string, string> }> {
  return decodeSafetensors(await readFile(path), path);
}
