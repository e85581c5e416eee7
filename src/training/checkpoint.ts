// Checkpoints: after each epoch, and where a signal stops an epoch part-way, everything a
// run needs to continue exactly where it was — weights, the best weights so far, optimizer
// and schedule state, the CPU generator's state, early-stopping state and history. Each is
// written into its own folder under RUN/checkpoint/, and RUN/checkpoint/latest names the
// newest complete one (written atomically last), so a kill at any moment leaves the previous
// checkpoint readable.
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { UserError } from "../errors.js";
import { HISTORY_COLUMNS } from "../run-format.js";
import { decodeSafetensors, encodeSafetensors, type Tensor } from "../torch/index.js";
import { writeFileAtomic } from "../util/atomic.js";
import type { Same } from "../util/same-type.js";
import type { EpochPosition, EpochRecord } from "./loop.js";

export interface CheckpointState {
  /** Epochs completed. */
  epoch: number;
  history: EpochRecord[];
  best: { score: number; loss: number; epoch: number };
  plannedEpochs: number;
  schedule: { step: number; totalSteps: number } | null;
  optimizerSteps: number;
  /** How far the next epoch got when a signal stopped it; null at an epoch's end. */
  partial: EpochPosition | null;
  /** Seconds of the run so far, so that train.time_limit counts them after a resume. */
  elapsed?: number | undefined;
}

export interface Checkpoint {
  state: CheckpointState;
  weights: Map<string, Tensor>;
  /** The best epoch's weights; null before any epoch improved. */
  best: Map<string, Tensor> | null;
  optimizer: Tensor[];
  rng: Tensor;
  /** The generator as the interrupted epoch began (its shuffle is drawn again from it); null at an epoch's end. */
  epochRng: Tensor | null;
}

// Numbers may be NaN or infinite (encoded as strings in JSON).
const number = z.number();
const count = z.number().int().min(0);
const stateSchema = z.object({
  epoch: count,
  history: z.array(z.object(Object.fromEntries(HISTORY_COLUMNS.map((c) => [c, number])) as Record<(typeof HISTORY_COLUMNS)[number], typeof number>)),
  best: z.object({ score: number, loss: number, epoch: count }),
  plannedEpochs: count,
  schedule: z.object({ step: count, totalSteps: count }).nullable(),
  optimizerSteps: count,
  // Checkpoints written before an epoch could be stopped part-way have no position.
  partial: z.object({ step: count, lr: number, lossSum: number, correct: count, seen: count, seconds: number }).nullable().default(null),
  elapsed: z.number().min(0).optional(),
});
// The writer's type and the reader's schema must be one type.
const sameState: Same<CheckpointState, z.output<typeof stateSchema>> = true;
void sameState;

const FOLDER = "checkpoint";
const LATEST = "latest";

// JSON has no NaN or infinities (a validation loss without labelled rows is NaN).
const encodeNumbers = (_: string, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? `${v}` : v);
const decodeNumbers = (_: string, v: unknown) => (v === "NaN" ? NaN : v === "Infinity" ? Infinity : v === "-Infinity" ? -Infinity : v);

const pad = (n: number) => String(n).padStart(5, "0");
const numbered = (tensors: Tensor[]) => new Map(tensors.map((t, i) => [String(i).padStart(5, "0"), t]));

export async function writeCheckpoint(runDir: string, c: Checkpoint): Promise<void> {
  const root = join(runDir, FOLDER);
  const name = c.state.partial ? `epoch-${pad(c.state.epoch + 1)}-step-${pad(c.state.partial.step)}` : `epoch-${pad(c.state.epoch)}`;
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, "weights.safetensors"), encodeSafetensors(c.weights));
  if (c.best) await writeFileAtomic(join(dir, "best.safetensors"), encodeSafetensors(c.best));
  await writeFileAtomic(join(dir, "optimizer.safetensors"), encodeSafetensors(numbered(c.optimizer)));
  await writeFileAtomic(join(dir, "rng.safetensors"), encodeSafetensors(new Map([["cpu", c.rng], ...(c.epochRng ? [["epoch_start", c.epochRng] as const] : [])])));
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
  try {
    const load = async (file: string) => decodeSafetensors(await readFile(join(dir, file)), join(dir, file)).tensors;
    const stateFile = join(dir, "state.json");
    const parsed = stateSchema.safeParse(JSON.parse(await readFile(stateFile, "utf8"), decodeNumbers));
    if (!parsed.success) throw new Error(`${stateFile}: ${parsed.error.issues[0]?.path.join(".") || "state"}: ${parsed.error.issues[0]?.message}`);
    const state = parsed.data;
    const weights = await load("weights.safetensors");
    const best = state.best.epoch > 0 ? await load("best.safetensors") : null;
    const optimizer = [...(await load("optimizer.safetensors")).entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, t]) => t);
    const rngs = await load("rng.safetensors");
    const rng = rngs.get("cpu");
    const epochRng = rngs.get("epoch_start") ?? null;
    if (!rng || (state.partial && !epochRng)) throw new Error(`${join(dir, "rng.safetensors")}: the generator's state is missing`);
    return { state, weights, best, optimizer, rng, epochRng };
  } catch (error) {
    throw new UserError(`--resume ${runDir}: the checkpoint cannot be read (${error instanceof Error ? error.message.split("\n")[0] : String(error)}): start the run again with --force`);
  }
}

/** Frees a checkpoint's tensors. */
export function disposeCheckpoint(c: Checkpoint): void {
  for (const t of [...c.weights.values(), ...(c.best?.values() ?? []), ...c.optimizer, c.rng, ...(c.epochRng ? [c.epochRng] : [])]) t.dispose();
}

/** Removes a finished run's checkpoint: the run's own files now hold what it had. */
export async function removeCheckpoint(runDir: string): Promise<void> {
  await rm(join(runDir, FOLDER), { recursive: true, force: true });
}
