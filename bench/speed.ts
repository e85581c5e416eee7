// Speed benchmark: the tutorial's data pipeline in Python PyTorch against modalfuse's,
// both from real files (320x240 JPEG/PNG photos, 5-second 44.1 kHz stereo WAV/MP3/FLAC
// clips), in one run:
//   (a) the tutorial's pipeline (a Dataset that opens files in __getitem__, a DataLoader
//       collating items one by one), batch 32: seconds per training epoch;
//   (b) modalfuse, the same `seed` model, batch 32: first epoch from a cold cache, steady
//       epochs (after the first of the cold run, and every epoch of a warm run);
//   (c) a ceiling: the same modalfuse model trained on random batches already in memory;
//   (d) time to accuracy: wall time for (a) to reach its best validation accuracy within
//       --epochs epochs, and for modalfuse's `standard` preset to reach that accuracy, both
//       from raw files (modalfuse with an empty cache);
// and RssAnon (anonymous resident memory) at the end of the modalfuse run, for --samples
// and, with --scale, for --large samples (media hard-linked from the small set, so every
// row is its own file to decode without using more disk).
//
//   npm run bench:speed -- [--samples 2000] [--epochs 15] [--seed-epochs 4] [--threads N]
//                          [--scale] [--large 50000] [--rss-only] [--json FILE] [--data DIR] [--python PATH]
//                          [--device cpu|cuda]
//
// --device cuda trains all three on the GPU: the tutorial's model and batches moved there
// as its users would, modalfuse with its CUDA defaults (bfloat16 autocast, channels-last,
// data resident on the device), and the ceiling likewise.
//
// --rss-only skips (a)-(d) and measures RssAnon only (with --scale: at both sizes).
//
// Each measurement runs in a fresh process (this file again, with --worker), with the
// settings its own library applies: PyTorch's defaults for (a), as its users run it, and
// modalfuse's for (b)-(d) (on up to 4 cores it runs OpenBLAS in the calling thread). So that
// the pipelines can also be compared on equal terms, (a) is rerun for a few epochs with
// modalfuse's settings: tutorial_epoch_s_same_threads, ratio_vs_tutorial_same_threads.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { ConfigInput } from "../src/config/schema.js";
import type { Batch } from "../src/data/dataset.js";
import type { Tensor } from "../src/torch/index.js";
import type { AudioState } from "../src/inputs/audio/index.js";
import type { ImageState } from "../src/inputs/image/index.js";
import type { TabularState } from "../src/inputs/tabular/index.js";
import { linkScaledDataset, writeSpeedDataset, type SpeedDataset } from "./speed-data.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, "..", "..");

const { values: args } = parseArgs({
  options: {
    worker: { type: "string" },
    spec: { type: "string" },
    samples: { type: "string", default: "2000" },
    epochs: { type: "string", default: "15" },
    "seed-epochs": { type: "string", default: "4" },
    threads: { type: "string", default: String(availableParallelism()) },
    scale: { type: "boolean", default: false },
    large: { type: "string", default: "50000" },
    json: { type: "string" },
    data: { type: "string" },
    // Debian's Python (its torch is Debian's libtorch), or the PATH's where $LIBTORCH names another.
    python: { type: "string", default: process.env.LIBTORCH ? "python3" : "/usr/bin/python3" },
    device: { type: "string", default: "cpu" },
    "rss-only": { type: "boolean", default: false },
  },
});

const BATCH = 32;
/** 64 log-mel frames over a 5-second clip (the tutorial's 64x64 spectrogram): hop 79 ms, window 80 ms. */
const AUDIO = { sample_rate: 16000, seconds: 5, n_mels: 64, hop_ms: 79, window_ms: 80 };
const IMAGE_SIZE = 64;

interface WorkerSpec {
  data: SpeedDataset;
  preset: "seed" | "standard";
  epochs: number;
  batchSize: number;
  cache: string;
  out: string;
  threads: number;
  device: string;
  /** Stop as soon as validation accuracy reaches this. */
  target?: number;
}

/** What a modalfuse worker reports; times are seconds since its process started. */
interface WorkerReport {
  firstStep: number;
  epochStart: number[];
  trainEnd: number[];
  epochEnd: number[];
  valAccuracy: number[];
  reached: number | null;
  rssAnonMb: number;
  /** OPENBLAS_NUM_THREADS as modalfuse left it after loading the engine (null: OpenBLAS's default). */
  blasThreads: string | null;
}

const rssAnonMb = (): number => Number(/RssAnon:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1]) / 1024;
const now = (): number => performance.now() / 1000; // since this process started
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? ((s[(s.length - 1) >> 1] as number) + (s[s.length >> 1] as number)) / 2 : NaN;
};
const round = (x: number, digits = 3): number => Number(x.toFixed(digits));

function configOf(s: WorkerSpec): ConfigInput {
  return {
    data: {
      train: s.data.train,
      validation: s.data.validation,
      test: s.data.test,
      label: "label",
      id: "id",
      tabular: { numeric: s.data.numeric },
      image: { column: "image", size: IMAGE_SIZE },
      audio: { column: "audio", ...AUDIO },
      cache_dir: s.cache,
    },
    model: { preset: s.preset, fusion: s.preset === "seed" ? "concat" : "late" },
    train: { epochs: s.epochs, batch_size: s.batchSize, lr: 0.001, early_stopping: 0, device: s.device },
  };
}

async function modalfuseWorker(s: WorkerSpec): Promise<void> {
  const { blasThreads, setNumThreads } = await import("../src/torch/index.js");
  const { train } = await import("../src/api.js");
  setNumThreads(s.threads);
  const report: WorkerReport = { firstStep: NaN, epochStart: [], trainEnd: [], epochEnd: [], valAccuracy: [], reached: null, rssAnonMb: NaN, blasThreads: blasThreads() };
  const finish = () => {
    report.rssAnonMb = rssAnonMb();
    process.stdout.write(`${JSON.stringify(report)}\n`);
  };
  await train(configOf(s), {
    out: s.out,
    onEpochStart: () => report.epochStart.push(now()),
    onStep: (step, steps) => {
      if (step === 1 && Number.isNaN(report.firstStep)) report.firstStep = now();
      if (step === steps) report.trainEnd.push(now());
    },
    onEpoch: (record) => {
      report.epochEnd.push(now());
      report.valAccuracy.push(record.val_accuracy);
      if (s.target !== undefined && record.val_accuracy >= s.target) {
        report.reached = now();
        finish();
        process.exit(0);
      }
    },
  });
  finish();
}

/** The seed model of a finished run, trained on random batches that are already in memory. */
async function ceilingWorker(s: { run: string; steps: number; batchSize: number; threads: number; device: string }): Promise<void> {
  const { F, autocast, manualSeed, optim, randint, randn, ones, resolvePrecision, setNumThreads, synchronize, tidy } = await import("../src/torch/index.js");
  const { buildModel } = await import("../src/model/classifier.js");
  const { readPreprocessState } = await import("../src/data/preprocess-state.js");
  setNumThreads(s.threads);
  manualSeed(0);
  const state = readPreprocessState(JSON.parse(readFileSync(join(s.run, "preprocess.json"), "utf8")), s.run);
  // The demo's inputs: its table's numbers, one image column and one audio column.
  const tab = state.inputs.find((i) => i.kind === "tabular") as TabularState;
  const img = state.inputs.find((i) => i.kind === "image") as ImageState;
  const aud = state.inputs.find((i) => i.kind === "audio") as AudioState;
  // Placed and run as training places and runs it on this device.
  const device = s.device;
  const model = buildModel(state, state.model).placeOn(device);
  const precision = resolvePrecision("auto", device);
  const optimizer = new optim.Adam(model.parameters(), { lr: 0.001 });
  const b = s.batchSize;
  const on = { device };
  const batches: Batch[] = Array.from({ length: 4 }, () => ({
    size: b,
    inputs: Object.fromEntries<Record<string, Tensor>>([
      [tab.name, { numeric: randn([b, 2 * tab.numeric.length], on) }],
      [img.name, { values: randn([b, 3, img.height, img.width], on) }],
      [aud.name, { values: randn([b, 1, aud.nMels, aud.frames], on) }],
    ]),
    present: Object.fromEntries([tab, img, aud].map((i) => [i.name, ones([b], { dtype: "bool", ...on })])),
    labels: randint(0, state.classes.length, [b], on),
  }));
  model.train();
  const step = (i: number) =>
    tidy(() => {
      optimizer.zeroGrad();
      const batch = batches[i % 4] as Batch;
      const loss = F.crossEntropy(autocast(precision, () => model.forward(batch)).float(), batch.labels);
      loss.backward();
      optimizer.step();
      return loss.item();
    });
  for (let i = 0; i < 5; i++) step(i);
  const start = now();
  for (let i = 0; i < s.steps; i++) step(i);
  synchronize();
  process.stdout.write(`${JSON.stringify({ epochSeconds: now() - start })}\n`);
}

/** Runs a command, echoing stderr, and returns its stdout lines parsed as JSON (others skipped). */
function runJsonLines(command: string, argv: string[], onLine?: (line: Record<string, unknown>) => void, extraEnv: NodeJS.ProcessEnv = {}): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, OMP_NUM_THREADS: args.threads, ...extraEnv } });
    const lines: Record<string, unknown>[] = [];
    let pending = "";
    child.stdout.on("data", (chunk: Buffer) => {
      pending += chunk.toString();
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const text = pending.slice(0, nl).trim();
        pending = pending.slice(nl + 1);
        if (!text.startsWith("{")) continue;
        const line = JSON.parse(text) as Record<string, unknown>;
        lines.push(line);
        onLine?.(line);
      }
    });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(lines) : reject(new Error(`${command} ${argv.slice(0, 2).join(" ")} exited with ${code}`))));
  });
}

async function modalfuse(spec: WorkerSpec): Promise<WorkerReport> {
  const [report] = await runJsonLines(process.execPath, [fileURLToPath(import.meta.url), "--worker", "modalfuse", "--spec", JSON.stringify(spec)]);
  return report as unknown as WorkerReport;
}

interface TutorialEpoch {
  epoch: number;
  train_seconds: number;
  val_accuracy: number;
  elapsed_s: number;
}

async function main(): Promise<void> {
  const samples = Number(args.samples);
  const seedEpochs = Number(args["seed-epochs"]);
  const threads = Number(args.threads);
  const work = mkdtempSync(join(tmpdir(), "mf-speed-"));
  const log = (text: string) => process.stderr.write(`${text}\n`);
  const dataDir = args.data ?? join(REPO, "bench", "out", `speed-data-${samples}`);
  log(`data set: ${samples} samples in ${dataDir}`);
  const data = await writeSpeedDataset(dataDir, { samples, seed: 0 });
  const spec = (over: Partial<WorkerSpec>): WorkerSpec => ({ data, preset: "seed", epochs: seedEpochs, batchSize: BATCH, cache: join(work, "cache"), out: join(work, "run"), threads, device: args.device, ...over });

  const result: Record<string, number | string | null> = { samples, threads, device: args.device };
  let small: WorkerReport;
  if (args["rss-only"]) {
    log("(b) modalfuse, seed preset, empty cache");
    small = await modalfuse(spec({}));
  } else {
    small = await timings(data, spec, result);
  }
  result.rss_anon_mb = round(small.rssAnonMb, 1);
  if (args.scale) {
    const large = Number(args.large);
    log(`RssAnon at scale: ${large} samples (hard links to the ${samples} files), seed preset, empty cache`);
    const big = await linkScaledDataset(data, join(dirname(dataDir), `speed-data-${large}`), large);
    const scaled = await modalfuse(spec({ data: big, cache: join(work, "cache-large"), out: join(work, "run-large") }));
    result.rss_anon_mb_small = result.rss_anon_mb as number;
    result.rss_anon_mb_large = round(scaled.rssAnonMb, 1);
    result.rss_ratio_large_vs_small = round(scaled.rssAnonMb / small.rssAnonMb);
    result.large_cold_start_s = round(scaled.firstStep);
    result.large_epoch_s = round(median(scaled.trainEnd.map((end, i) => end - (scaled.epochStart[i] as number))));
  }
  rmSync(work, { recursive: true, force: true });
  console.log(JSON.stringify(result, null, 2));
  if (args.json) writeFileSync(args.json, `${JSON.stringify(result, null, 2)}\n`);
}

/** (a)-(d); fills `result` and returns modalfuse's cold seed run. */
async function timings(data: SpeedDataset, spec: (over: Partial<WorkerSpec>) => WorkerSpec, result: Record<string, number | string | null>): Promise<WorkerReport> {
  const epochs = Number(args.epochs);
  const threads = Number(args.threads);
  const work = dirname(spec({}).cache);
  const trainRows = Math.round(data.samples * 0.7);
  const log = (text: string) => process.stderr.write(`${text}\n`);
  // modalfuse runs before and after the tutorial, so that its steady epochs span the same
  // stretch of time as the tutorial's: this machine's speed drifts by ~10% over minutes.
  log("(b) modalfuse, seed preset, empty cache");
  const cold = await modalfuse(spec({}));
  log("(a) the tutorial's pipeline in Python PyTorch");
  const runTutorial = async (n: number, env: NodeJS.ProcessEnv = {}) =>
    (await runJsonLines(args.python, [join(REPO, "bench", "tutorial_pipeline.py"), "--train", data.train, "--validation", data.validation, "--epochs", String(n), "--batch", String(BATCH), "--threads", String(threads), "--device", args.device], (l) => {
      if ("epoch" in l) log(`  epoch ${l.epoch}: ${Number(l.train_seconds).toFixed(1)} s, val ${(100 * Number(l.val_accuracy)).toFixed(1)}%`);
    }, env)).filter((l) => "epoch" in l) as unknown as TutorialEpoch[];
  const tutorial = await runTutorial(epochs);
  // modalfuse's thread settings, if they differ from the defaults the tutorial ran with.
  const sameThreads = cold.blasThreads !== null && cold.blasThreads !== process.env.OPENBLAS_NUM_THREADS ? { OPENBLAS_NUM_THREADS: cold.blasThreads } : null;
  if (sameThreads) log(`(a) again for ${Math.min(3, epochs)} epochs, with modalfuse's OPENBLAS_NUM_THREADS=${sameThreads.OPENBLAS_NUM_THREADS}`);
  const tutorialSameThreads = sameThreads ? await runTutorial(Math.min(3, epochs), sameThreads) : tutorial;
  const best = Math.max(...tutorial.map((e) => e.val_accuracy));
  const tutorialBest = tutorial.find((e) => e.val_accuracy === best) as TutorialEpoch;

  log("(b) modalfuse again, warm cache");
  const warm = await modalfuse(spec({ epochs: Math.max(1, Number(args["seed-epochs"]) - 1), out: join(work, "run-warm") }));
  const trainSeconds = (r: WorkerReport) => r.trainEnd.map((end, i) => end - (r.epochStart[i] as number));
  const steadyEpoch = median([...trainSeconds(cold).slice(1), ...trainSeconds(warm)]);

  log("(c) ceiling: the same model on random batches in memory");
  const steps = Math.ceil(trainRows / BATCH);
  const ceilingAt = async (n: number) => {
    const [line] = await runJsonLines(process.execPath, [fileURLToPath(import.meta.url), "--worker", "ceiling", "--spec", JSON.stringify({ run: join(work, "run"), steps, batchSize: BATCH, threads: n, device: args.device })]);
    return Number(line?.epochSeconds);
  };
  // The machine's noise is of the order of 10%: the ceiling is the median of three rounds.
  const ceilingEpoch = median([await ceilingAt(threads), await ceilingAt(threads), await ceilingAt(threads)]);
  // Thread counts measured, not guessed: the same epoch at fewer intra-op threads.
  const byThreads: Record<string, number> = { [threads]: round(ceilingEpoch) };
  for (const n of [...new Set([1, Math.max(1, threads >> 1)])].filter((n) => n < threads)) byThreads[n] = round(await ceilingAt(n));
  log(`    ceiling epoch seconds by threads: ${JSON.stringify(byThreads)}`);

  log(`(d) modalfuse standard preset to ${(100 * best).toFixed(1)}% validation accuracy, empty cache`);
  const tta = await modalfuse(spec({ preset: "standard", epochs: 30, batchSize: 64, cache: join(work, "cache-tta"), out: join(work, "run-tta"), target: best }));

  log("    the same, warm cache");
  const ttaWarm = await modalfuse(spec({ preset: "standard", epochs: 30, batchSize: 64, cache: join(work, "cache-tta"), out: join(work, "run-tta-warm"), target: best }));
  Object.assign(result, {
    tutorial_epoch_s: round(median(tutorial.map((e) => e.train_seconds))),
    modalfuse_epoch_s: round(steadyEpoch),
    modalfuse_first_epoch_s: round(cold.trainEnd[0] as number),
    modalfuse_first_epoch_train_s: round(trainSeconds(cold)[0] as number),
    ceiling_epoch_s: round(ceilingEpoch),
    ceiling_epoch_s_by_threads: JSON.stringify(byThreads),
    ratio_vs_tutorial: round(median(tutorial.map((e) => e.train_seconds)) / steadyEpoch),
    tutorial_epoch_s_same_threads: round(median(tutorialSameThreads.map((e) => e.train_seconds))),
    ratio_vs_tutorial_same_threads: round(median(tutorialSameThreads.map((e) => e.train_seconds)) / steadyEpoch),
    ratio_vs_ceiling: round(ceilingEpoch / steadyEpoch),
    cold_start_s: round(cold.firstStep),
    warm_start_s: round(warm.firstStep),
    tutorial_best_val_accuracy: round(best, 4),
    tutorial_best_epoch: tutorialBest.epoch,
    tta_tutorial_s: round(tutorialBest.elapsed_s),
    tta_modalfuse_s: tta.reached === null ? null : round(tta.reached),
    tta_modalfuse_epochs: tta.valAccuracy.length,
    tta_modalfuse_warm_s: ttaWarm.reached === null ? null : round(ttaWarm.reached),
    modalfuse_best_val_accuracy: round(Math.max(...tta.valAccuracy), 4),
  });
  return cold;
}

if (args.worker === "modalfuse") await modalfuseWorker(JSON.parse(args.spec as string));
else if (args.worker === "ceiling") await ceilingWorker(JSON.parse(args.spec as string));
else await main();
