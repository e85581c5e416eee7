// Checkpoints: after each epoch, everything a run needs to continue exactly where it was —
// weights, the best weights so far, optimizer and schedule state, the CPU generator's
// state, early-stopping state and history. Each is written into its own epoch folder under
// RUN/checkpoint/, and RUN/checkpoint/latest names the newest complete one (written
// atomically last), so a kill at any moment leaves the previous checkpoint readable.
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { decodeSafetensors, encodeSafetensors, type Tensor } from "../torch/index.js";
import { writeFileAtomic } from "../util/atomic.js";
import type { EpochRecord } from "./loop.js";

export interface CheckpointState {
  /** Epochs completed. */
  epoch: number;
  history: EpochRecord[];
  best: { score: number; loss: number; epoch: number };
  plannedEpochs: number;
  schedule: { step: number; totalSteps: number } | null;
  optimizerSteps: number;
}

export interface Checkpoint {
  state: CheckpointState;
  weights: Map<string, Tensor>;
  /** The best epoch's weights; null before any epoch improved. */
  best: Map<string, Tensor> | null;
  optimizer: Tensor[];
  rng: Tensor;
}

const FOLDER = "checkpoint";
const LATEST = "latest";

// JSON has no NaN or infinities (a validation loss without labelled rows is NaN).
const encodeNumbers = (_: string, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? `${v}` : v);
const decodeNumbers = (_: string, v: unknown) => (v === "NaN" ? NaN : v === "Infinity" ? Infinity : v === "-Infinity" ? -Infinity : v);

const numbered = (tensors: Tensor[]) => new Map(tensors.map((t, i) => [String(i).padStart(5, "0"), t]));

export async function writeCheckpoint(runDir: string, c: Checkpoint): Promise<void> {
  const root = join(runDir, FOLDER);
  const name = `epoch-${String(c.state.epoch).padStart(5, "0")}`;
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, "weights.safetensors"), encodeSafetensors(c.weights));
  if (c.best) await writeFileAtomic(join(dir, "best.safetensors"), encodeSafetensors(c.best));
  await writeFileAtomic(join(dir, "optimizer.safetensors"), encodeSafetensors(numbered(c.optimizer)));
  await writeFileAtomic(join(dir, "rng.safetensors"), encodeSafetensors(new Map([["cpu", c.rng]])));
  await writeFileAtomic(join(dir, "state.json"), JSON.stringify(c.state, encodeNumbers, 1));
  await writeFileAtomic(join(root, LATEST), `${name}\n`);
  // Older epochs are no longer needed once the newest is named.
  for (const entry of await readdir(root)) if (entry.startsWith("epoch-") && entry !== name) await rm(join(root, entry), { recursive: true, force: true });
}

/** The newest complete checkpoint of a run, or null when it has none. */
export async function readCheckpoint(runDir: string): Promise<Checkpoint | null> {
  const root = join(runDir, FOLDER);
  let name: string;
  try {
    name = (await readFile(join(root, LATEST), "utf8")).trim();
  } catch {
    return null;
  }
  const dir = join(root, name);
  const load = async (file: string) => decodeSafetensors(await readFile(join(dir, file)), join(dir, file)).tensors;
  const state = JSON.parse(await readFile(join(dir, "state.json"), "utf8"), decodeNumbers) as CheckpointState;
  const weights = await load("weights.safetensors");
  const best = state.best.epoch > 0 ? await load("best.safetensors") : null;
  const optimizer = [...(await load("optimizer.safetensors")).entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, t]) => t);
  const rng = (await load("rng.safetensors")).get("cpu") as Tensor;
  return { state, weights, best, optimizer, rng };
}

/** Frees a checkpoint's tensors. */
export function disposeCheckpoint(c: Checkpoint): void {
  for (const t of [...c.weights.values(), ...(c.best?.values() ?? []), ...c.optimizer, c.rng]) t.dispose();
}

/** Removes a finished run's checkpoint: the run's own files now hold what it had. */
export async function removeCheckpoint(runDir: string): Promise<void> {
  await rm(join(runDir, FOLDER), { recursive: true, force: true });
}
