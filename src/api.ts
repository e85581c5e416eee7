// The library API: train from a config (a file or an object), load a run, run the demo.
import { writeFile } from "node:fs/promises";
import { checkOutputFolder } from "./util/output-paths.js";
import { basename, extname, join, resolve } from "node:path";
import YAML from "yaml";
import { loadConfig } from "./config/load.js";
import type { ConfigInput } from "./config/schema.js";
import { makeDemoDataset } from "./demo/dataset.js";
import { TrainedModel } from "./inference.js";
import { resumableConfigPath, trainRun, type RunEvents, type RunSummary } from "./training/run.js";

export interface TrainOptions extends RunEvents {
  /** Run directory; default runs/<config name>. */
  out?: string;
  /** Overrides as `key=value`, e.g. "train.epochs=5". */
  set?: string[];
  /** Replace an earlier run in `out` (its run files are removed first). */
  force?: boolean;
  /** Continue the interrupted run in `out` from its last checkpoint, with the config it started with. */
  resume?: boolean;
}

export async function train(config: string | ConfigInput, options: TrainOptions = {}): Promise<RunSummary> {
  const out = options.out ?? join("runs", typeof config === "string" ? basename(config, extname(config)) : "run");
  if (options.resume) return resume(out, options);
  const { config: resolved } = await loadConfig(config, options.set ?? []);
  return trainRun(resolved, out, options, { force: options.force ?? false });
}

/** Continues an interrupted run from its last checkpoint: the same result as never stopping. */
export async function resume(runDir: string, events: RunEvents = {}): Promise<RunSummary> {
  const { config } = await loadConfig(await resumableConfigPath(resolve(runDir)));
  return trainRun(config, runDir, events, { resume: true });
}

/** Loads a trained run for prediction: `(await load("runs/x")).predict("new.csv")`. */
export async function load(runDir: string, device = "auto"): Promise<TrainedModel> {
  return TrainedModel.load(runDir, device);
}

export interface DemoOptions extends RunEvents {
  out?: string;
  samples?: number;
  epochs?: number;
  seed?: number;
  preset?: "seed" | "standard";
  onData?: (done: number, total: number) => void;
}

/** The demo's config: every modality, some rows missing media, a few broken files. */
export function demoConfig(o: { epochs: number; seed: number; preset: "seed" | "standard" }): ConfigInput {
  return {
    data: {
      train: "data/manifest.csv",
      split: { validation: 0.15, test: 0.15, stratify: true, seed: o.seed },
      label: "event",
      id: "event_id",
      tabular: { numeric: ["attendees", "duration_h", "budget_k", "ticket_price"], categorical: ["venue_type"] },
      image: { column: "photo", size: 32 },
      audio: { column: "recording", sample_rate: 16000, seconds: 1.5, n_mels: 64 },
      on_bad_file: "missing",
    },
    model: { preset: o.preset, features: 64 },
    train: { epochs: o.epochs, batch_size: 32, optimizer: "adamw", lr: 0.002, weight_decay: 0.0001, early_stopping: 6, seed: o.seed, device: "auto" },
  };
}

/** Builds the demo data set under OUT/data, writes OUT/config.yaml, trains into OUT. */
export async function demo(options: DemoOptions = {}): Promise<RunSummary> {
  const out = resolve(options.out ?? join("runs", "demo"));
  const seed = options.seed ?? 0;
  await checkOutputFolder(out, "--out");
  await makeDemoDataset(join(out, "data"), { samples: options.samples ?? 1000, seed, ...(options.onData ? { onProgress: options.onData } : {}) });
  const config = demoConfig({ epochs: options.epochs ?? 30, seed, preset: options.preset ?? "standard" });
  const configPath = join(out, "config.yaml");
  await writeFile(configPath, YAML.stringify(config));
  // The demo's folder is its own: a second demo replaces the first run (its data is rebuilt above).
  return train(configPath, { ...options, out, force: true });
}
