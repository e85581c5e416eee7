/**
 * The last steps every data set shares: decide the media files, render them in worker
 * threads, then write the manifests and config (after the media, so a manifest on disk
 * means its files are there).
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { writeManifests, type TabularSchema } from "./layout.js";
import { planMedia, type PlannedRow } from "./media-plan.js";
import { renderInWorkers } from "./pool.js";

export async function assembleDataset<I, A>(dir: string, moduleUrl: string, rows: readonly PlannedRow<I, A>[], schema: TabularSchema, seed: number): Promise<void> {
  const { manifest, tasks } = planMedia(rows, seed);
  // The media folder belongs to the data set: a rebuild leaves no stale files.
  await rm(join(dir, "media"), { recursive: true, force: true });
  await renderInWorkers(moduleUrl, dir, tasks);
  await writeManifests(dir, manifest, schema);
}
