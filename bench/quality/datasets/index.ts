/**
 * The quality benchmark's data sets: real material (MNIST, sklearn's handwritten digits,
 * recorded and synthetic speech, the demo's generator) made hard enough that no single
 * modality reads the class well, so fusing them visibly matters. Each is built once into a
 * folder and reused while its version stands.
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { eventsHard } from "./events-hard.js";
import { handwrittenHuman } from "./handwritten-human.js";
import { mnistSpoken } from "./mnist-spoken.js";

export interface QualityDataset {
  name: string;
  description: string;
  /** Writes train.csv, test.csv, config.yaml and media/ into `dir` (which exists). */
  build(dir: string, opts: { seed: number }): Promise<void>;
  /** Changes whenever what build writes changes, so older folders are rebuilt. */
  version: string;
}

export const DATASETS: Record<string, QualityDataset> = {
  [mnistSpoken.name]: mnistSpoken,
  [handwrittenHuman.name]: handwrittenHuman,
  [eventsHard.name]: eventsHard,
};

/** The seed every benchmark folder is built from: it fixes the held-out test rows. */
const BUILD_SEED = 0;

/** Builds DATASETS[name] into join(root, name) unless join(root, name, ".built") holds its version; returns that folder. */
export async function ensureDataset(name: string, root: string): Promise<string> {
  const dataset = DATASETS[name];
  if (dataset === undefined) throw new Error(`unknown quality data set '${name}' (known: ${Object.keys(DATASETS).join(", ")})`);
  const dir = join(root, name);
  const marker = join(dir, ".built");
  if ((await readFile(marker, "utf8").catch(() => null))?.trim() === dataset.version) return dir;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await dataset.build(dir, { seed: BUILD_SEED });
  // Written last: a folder without it is an interrupted build, rebuilt next time.
  await writeFile(marker, dataset.version);
  return dir;
}
