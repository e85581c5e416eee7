// `modalfuse convert`: a pretrained checkpoint rewritten as .safetensors, the format
// modalfuse (and most of the ecosystem) loads without any pickle.
import { basename, extname, join, dirname } from "node:path";
import { encodeSafetensors, type DType } from "../torch/index.js";
import { writeFileAtomic } from "../util/atomic.js";
import { checkOutputFile } from "../util/output-paths.js";
import { VERSION } from "../version.js";
import { loadWeights, type WeightsFormat } from "./read.js";

export interface ConvertResult {
  readonly output: string;
  readonly format: WeightsFormat;
  readonly tensors: number;
  readonly bytes: number;
  /** How many tensors of each dtype, e.g. { float32: 120, int64: 20 }. */
  readonly dtypes: Partial<Record<DType, number>>;
  readonly notes: string[];
}

/** The default output: beside the input, with the extension .safetensors. */
export function defaultOutput(input: string): string {
  return join(dirname(input), `${basename(input, extname(input))}.safetensors`);
}

export async function convertWeights(input: string, output = defaultOutput(input)): Promise<ConvertResult> {
  // A bad output path is reported before a possibly large checkpoint is read.
  await checkOutputFile(output, "--output", [input]);
  const { tensors, notes, format } = await loadWeights(input);
  try {
    const dtypes: Partial<Record<DType, number>> = {};
    for (const t of tensors.values()) dtypes[t.dtype] = (dtypes[t.dtype] ?? 0) + 1;
    const bytes = encodeSafetensors(tensors, { format: "pt", source: basename(input), producer: `modalfuse ${VERSION}` });
    await writeFileAtomic(output, bytes);
    return { output, format, tensors: tensors.size, bytes: bytes.length, dtypes, notes };
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}
