// Runs the same computation in modalfuse and in Python PyTorch (Debian's python3-torch,
// the same libtorch build) on identical inputs, and compares values and gradients.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { arange, tensor, tidy, type Tensor } from "../../src/torch/index.js";
import { deriveSeed, Random } from "../../src/util/random.js";

export type Kind = "float" | "positive" | "unit" | "index" | "bool";
export interface InputSpec {
  shape: number[];
  kind?: Kind;
  /** Exclusive upper bound for "index" inputs. */
  high?: number;
  grad?: boolean;
  dtype?: "float32" | "float64";
}

interface WireInput {
  shape: number[];
  dtype: "float32" | "float64" | "int64" | "bool";
  data: number[];
  grad: boolean;
}

export interface WireCase {
  name: string;
  inputs: Record<string, WireInput>;
  expr?: string;
  optim?: { kind: "sgd" | "adam" | "adamw"; options: Record<string, unknown>; steps: number; clip?: number };
  schedule?: Record<string, unknown>;
}

export interface ReferenceResult {
  out?: { shape: number[]; data: number[] };
  grads?: Record<string, number[]>;
  params?: Record<string, number[]>;
  lrs?: number[];
  error?: string;
}

const SOURCE_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "test");
export const REFERENCE_PYTHON = process.env.MODALFUSE_REFERENCE_PYTHON ?? "/usr/bin/python3";

/** A deterministic generator seeded from the case name. */
export function prng(seedText: string): () => number {
  let h = 2166136261;
  for (const ch of seedText) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  const generator = new Random(deriveSeed(h >>> 0));
  return () => generator.next();
}

export function makeInputs(caseName: string, specs: Record<string, InputSpec>): Record<string, WireInput> {
  const random = prng(caseName);
  const out: Record<string, WireInput> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const kind = spec.kind ?? "float";
    const data = Array.from({ length: n }, () => {
      const u = random();
      switch (kind) {
        case "float":
          return Math.fround(u * 4 - 2);
        case "positive":
          return Math.fround(0.1 + u * 3);
        case "unit":
          return Math.fround(u);
        case "index":
          return Math.floor(u * (spec.high ?? 2));
        case "bool":
          return u < 0.5 ? 1 : 0;
      }
    });
    const float = kind !== "index" && kind !== "bool";
    out[name] = {
      shape: spec.shape,
      dtype: float ? (spec.dtype ?? "float32") : kind === "index" ? "int64" : "bool",
      data,
      grad: float && spec.grad !== false,
    };
  }
  return out;
}

/** The inputs as modalfuse tensors (leaves; differentiable ones require grad). */
export function toTensors(inputs: Record<string, WireInput>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, w] of Object.entries(inputs)) {
    const t = tensor(w.data, w.shape, { dtype: w.dtype });
    out[name] = w.grad ? t.requiresGrad_(true) : t;
  }
  return out;
}

/** probe[i] = cos(0.37 i): the weights of the scalar whose gradient both sides compare. */
export function probeLike(out: Tensor): Tensor {
  return tidy(() => arange(0, out.numel, 1, { dtype: "float64" }).mul(0.37).cos().reshape(out.shape).to({ dtype: out.dtype }));
}

export function runReference(cases: WireCase[]): { torch: string; results: Record<string, ReferenceResult> } {
  const run = spawnSync(REFERENCE_PYTHON, [join(SOURCE_DIR, "torch", "reference.py")], {
    input: JSON.stringify(cases),
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`reference PyTorch failed (${REFERENCE_PYTHON}): ${run.stderr || run.error?.message}`);
  return JSON.parse(run.stdout) as { torch: string; results: Record<string, ReferenceResult> };
}

/** Asserts two flat arrays agree within atol + rtol * |expected|, naming the first miss. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rtol = 1e-4, atol = 1e-4): void {
  if (actual.length !== expected.length) throw new Error(`${what}: ${actual.length} values, expected ${expected.length}`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    const bothNaN = Number.isNaN(a) && Number.isNaN(e);
    const sameInf = !Number.isFinite(e) && a === e;
    if (!bothNaN && !sameInf && (excess > worstExcess || Number.isNaN(excess))) {
      worst = i;
      worstExcess = Number.isNaN(excess) ? Infinity : excess;
    }
  }
  if (worst >= 0) throw new Error(`${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (tolerance ${atol} + ${rtol}·|expected|)`);
}
