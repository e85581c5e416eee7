// Scale benchmark: one training process against `train --nproc N` data-parallel processes
// (c10d, Gloo) on this machine, in one run, at the same global batch and the same cores:
//   (a) throughput: training samples per second over the epochs after the first, with a warm
//       decode cache: 1 process × C threads against N processes × C/N threads each;
//   (b) cold start: wall time of a one-epoch run from an empty decode cache, 1 process against
//       N, where the N processes decode their shares of the media into the shared cache.
// The sides alternate in rounds (this machine's speed swings), and medians are reported.
//
//   npm run bench:scale -- [--samples 2000] [--nproc 2] [--epochs 4] [--rounds 3]
//                          [--preset standard|seed] [--batch 32] [--json FILE] [--data DIR]
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { writeSpeedDataset, type SpeedDataset } from "./speed-data.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, "..", "..");
const BIN = join(REPO, "bin", "modalfuse.js");

const { values: args } = parseArgs({
  options: {
    samples: { type: "string", default: "2000" },
    nproc: { type: "string", default: "2" },
    epochs: { type: "string", default: "4" },
    rounds: { type: "string", default: "3" },
    preset: { type: "string", default: "standard" },
    batch: { type: "string", default: "32" },
    json: { type: "string" },
    data: { type: "string" },
  },
});

const log = (text: string) => process.stderr.write(`${text}\n`);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/** The speed benchmark's data and model settings, with a global batch of `batch` rows. */
function configFile(path: string, data: SpeedDataset, o: { cache: string; epochs: number; batchPerProcess: number }): string {
  const config = {
    data: {
      train: data.train,
      validation: data.validation,
      test: data.test,
      label: "label",
      id: "id",
      tabular: { numeric: data.numeric },
      image: { column: "image", size: 64 },
      audio: { column: "audio", sample_rate: 16000, seconds: 5, n_mels: 64, hop_ms: 79, window_ms: 80 },
      cache_dir: o.cache,
    },
    model: { preset: args.preset },
    train: { epochs: o.epochs, batch_size: o.batchPerProcess, early_stopping: 0, device: "cpu" },
  };
  writeFileSync(path, stringify(config));
  return path;
}

async function run(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, ...argv], { cwd: REPO, env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  if (code !== 0) throw new Error(`modalfuse ${argv.join(" ")} failed (${code}): ${stderr.trim()}`);
  return (performance.now() - started) / 1000;
}

/** Training samples per second over the epochs after the first (history.csv's epoch times). */
function throughput(runDir: string, trainRows: number): number {
  const lines = readFileSync(join(runDir, "history.csv"), "utf8").trim().split("\n");
  const header = (lines[0] as string).split(",");
  const col = header.indexOf("seconds");
  const seconds = lines.slice(2).map((l) => Number(l.split(",")[col]));
  return trainRows / median(seconds);
}

async function main(): Promise<void> {
  const samples = Number(args.samples);
  const nproc = Number(args.nproc);
  const epochs = Number(args.epochs);
  const rounds = Number(args.rounds);
  const batch = Number(args.batch);
  const cores = availableParallelism();
  if (batch % nproc !== 0) throw new Error(`--batch ${batch} must divide by --nproc ${nproc}`);
  const dataDir = args.data ?? join(REPO, "bench", "out", `speed-data-${samples}`);
  log(`data set: ${samples} samples in ${dataDir}; ${cores} cores; global batch ${batch}`);
  const data = await writeSpeedDataset(dataDir, { samples, seed: 0 });
  const trainRows = readFileSync(data.train, "utf8").trim().split("\n").length - 1;
  const work = mkdtempSync(join(tmpdir(), "mf-scale-"));
  const env = (threads: number): NodeJS.ProcessEnv => ({ ...process.env, MODALFUSE_THREADS: String(threads) });
  const sides = [
    { name: "1 process", nproc: 1, threads: cores },
    { name: `${nproc} processes`, nproc, threads: Math.max(1, Math.floor(cores / nproc)) },
  ];
  const figures = sides.map(() => ({ samplesPerSecond: [] as number[], coldSeconds: [] as number[] }));
  try {
    for (let round = 1; round <= rounds; round++) {
      // Alternate which side goes first, so a slow spell of the machine falls on both.
      const order = round % 2 ? [0, 1] : [1, 0];
      for (const k of order) {
        const side = sides[k] as (typeof sides)[number];
        const launch = side.nproc > 1 ? ["--nproc", String(side.nproc)] : [];
        const cache = join(work, `cache-${round}-${k}`);
        const cold = configFile(join(work, `cold-${k}.yaml`), data, { cache, epochs: 1, batchPerProcess: batch / side.nproc });
        const coldSeconds = await run(["train", cold, "--out", join(work, `cold-${round}-${k}`), "--force", "--quiet", ...launch], env(side.threads));
        const warm = configFile(join(work, `warm-${k}.yaml`), data, { cache, epochs, batchPerProcess: batch / side.nproc });
        const out = join(work, `warm-${round}-${k}`);
        await run(["train", warm, "--out", out, "--force", "--quiet", ...launch], env(side.threads));
        const rate = throughput(out, trainRows);
        (figures[k] as (typeof figures)[number]).samplesPerSecond.push(rate);
        (figures[k] as (typeof figures)[number]).coldSeconds.push(coldSeconds);
        log(`round ${round}: ${side.name} × ${side.threads} thread(s): ${rate.toFixed(1)} samples/s; cold one-epoch run ${coldSeconds.toFixed(1)} s`);
        rmSync(cache, { recursive: true, force: true });
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const [one, many] = figures.map((f) => ({ samplesPerSecond: median(f.samplesPerSecond), coldSeconds: median(f.coldSeconds) })) as [{ samplesPerSecond: number; coldSeconds: number }, { samplesPerSecond: number; coldSeconds: number }];
  const result = {
    samples,
    train_rows: trainRows,
    cores,
    global_batch: batch,
    preset: args.preset,
    rounds,
    one_process: { threads: sides[0]?.threads, samples_per_s: Number(one.samplesPerSecond.toFixed(1)), cold_run_s: Number(one.coldSeconds.toFixed(1)) },
    [`processes_${nproc}`]: { threads_each: sides[1]?.threads, samples_per_s: Number(many.samplesPerSecond.toFixed(1)), cold_run_s: Number(many.coldSeconds.toFixed(1)) },
    throughput_ratio: Number((many.samplesPerSecond / one.samplesPerSecond).toFixed(2)),
    cold_start_ratio: Number((one.coldSeconds / many.coldSeconds).toFixed(2)),
  };
  log(`medians of ${rounds} rounds: 1 × ${sides[0]?.threads} threads ${result.one_process.samples_per_s} samples/s, ${nproc} × ${sides[1]?.threads} ${many.samplesPerSecond.toFixed(1)} samples/s (ratio ${result.throughput_ratio}); cold one-epoch run ${result.one_process.cold_run_s} s vs ${many.coldSeconds.toFixed(1)} s (speed-up ${result.cold_start_ratio})`);
  console.log(JSON.stringify(result, null, 2));
  if (args.json) writeFileSync(args.json, JSON.stringify(result, null, 2) + "\n");
}

await main();
