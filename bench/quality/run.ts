// Quality benchmark: does modalfuse, trained as a user would train it, classify better than
// classical per-modality baselines fused late, and better than the best single modality?
//
//   npm run bench:quality -- [--json FILE] [--datasets a,b] [--seeds N] [--quick]
//                            [--set key=value ...] [--only default,seed,baselines] [--python PATH]
//                            [--out DIR]
//
// For each data set (built once into OUT/data/ by ./datasets; OUT is --out, default
// bench/out/quality):
//   default    `modalfuse train` with the data set's config and modalfuse's defaults, once per
//              seed 0..N-1 (N=3; --quick: 1), each in its own process, as a user runs it;
//   seed       the same with model.preset=seed (the tutorial's architecture), seed 0;
//   baselines  baselines.py: logistic regression and gradient-boosted trees per modality,
//              fused late (bench/quality/README.md says what each figure means).
// --quick runs seed 0 of the default and the baselines (not the seed preset), so the whole
// suite fits in ten minutes on 2 cores. --set key=value goes to every modalfuse training,
// after the runner's own settings, so one lever can be tried across the suite. A baseline
// result is kept in OUT/baselines/ and reused while baselines.py and the data set's files
// are unchanged. Runs go to OUT/runs/<data set>/, decoded media to OUT/cache/.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { accessSync, constants, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { DATASETS, ensureDataset } from "./datasets/index.js";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const CLI = join(REPO, "bin", "modalfuse.js");
const BASELINES_PY = join(REPO, "bench", "quality", "baselines.py");
const PARTS = ["default", "seed", "baselines"] as const;
type Part = (typeof PARTS)[number];

/** A mistake in how the runner was called: one line, exit code 2. */
class UsageError extends Error {}
/** A command the runner started failed: one line naming its log; exit code 1, or 2 where the command refused its input. */
class StepError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

interface Options {
  out: string;
  json: string | null;
  datasets: string[];
  seeds: number;
  quick: boolean;
  sets: string[];
  parts: Set<Part>;
  python: string;
}

interface TrainResult {
  accuracy: number;
  /** Wall seconds of the whole `modalfuse train` command, decoding included. */
  wallSeconds: number;
  /** metrics.json's train_seconds: the training loop alone. */
  fitSeconds: number;
}

interface BaselineResult {
  best_baseline_acc: number;
  best_single_acc: number;
  [key: string]: unknown;
}

interface DatasetResult {
  modalfuse_acc: number | null;
  modalfuse_acc_sd: number | null;
  modalfuse_accs: number[];
  seed_preset_acc: number | null;
  best_baseline_acc: number | null;
  best_single_acc: number | null;
  baselines: BaselineResult | null;
  train_s: number | null;
  fit_s: number | null;
  baseline_s: number | null;
  baselines_reused: boolean;
  beats_baseline: boolean | null;
  beats_best_single: boolean | null;
}

// ---- options --------------------------------------------------------------------------------

function parseOptions(argv: string[]): Options {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        json: { type: "string" },
        datasets: { type: "string" },
        seeds: { type: "string" },
        quick: { type: "boolean", default: false },
        set: { type: "string", multiple: true, default: [] },
        only: { type: "string" },
        python: { type: "string", default: "/usr/bin/python3" },
        out: { type: "string", default: join(REPO, "bench", "out", "quality") },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message.split("\n")[0] as string);
  }
  const quick = values.quick;
  return {
    out: resolve(values.out),
    json: values.json === undefined ? null : resolve(values.json),
    datasets: parseDatasets(values.datasets),
    seeds: values.seeds === undefined ? (quick ? 1 : 3) : parseSeeds(values.seeds),
    quick,
    sets: values.set.map(checkAssignment),
    parts: values.only === undefined ? new Set(quick ? ["default", "baselines"] : PARTS) : parseParts(values.only),
    python: values.python,
  };
}

function parseDatasets(list: string | undefined): string[] {
  if (list === undefined) return Object.keys(DATASETS);
  const names = list.split(",").map((n) => n.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(n in DATASETS));
  if (names.length === 0 || unknown.length) throw new UsageError(`--datasets ${list}: known data sets are ${Object.keys(DATASETS).join(", ")}`);
  return names;
}

function parseSeeds(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--seeds ${text}: must be a whole number, at least 1`);
  return n;
}

function parseParts(list: string): Set<Part> {
  const parts = list.split(",").map((p) => p.trim());
  for (const p of parts) if (!(PARTS as readonly string[]).includes(p)) throw new UsageError(`--only ${list}: parts are ${PARTS.join(", ")}`);
  return new Set(parts as Part[]);
}

function checkAssignment(assignment: string): string {
  if (!/^[A-Za-z_][\w.]*=/.test(assignment)) throw new UsageError(`--set ${assignment}: expected key=value, e.g. train.epochs=5`);
  return assignment;
}

/** Every place the runner writes, and the Python it needs, checked before any work. */
function checkEnvironment(o: Options): void {
  try {
    mkdirSync(o.out, { recursive: true });
    accessSync(o.out, constants.W_OK);
  } catch {
    throw new UsageError(`--out ${o.out}: cannot create or write to this folder`);
  }
  if (o.json !== null) {
    const folder = dirname(o.json);
    if (!isWritableFolder(folder)) throw new UsageError(`--json ${o.json}: ${folder} is not a folder this user can write to`);
    if (isFolder(o.json)) throw new UsageError(`--json ${o.json}: is a folder`);
  }
  if (o.parts.has("baselines")) {
    const probe = spawnSync(o.python, ["-c", "import numpy, scipy, sklearn, PIL, soundfile"], { stdio: "ignore" });
    if (probe.status !== 0) throw new UsageError(`--python ${o.python}: needs numpy, scipy, sklearn, PIL and soundfile (Debian: apt-get install python3-sklearn python3-pil python3-soundfile)`);
  }
}

const isFolder = (path: string): boolean => statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;

function isWritableFolder(path: string): boolean {
  if (!isFolder(path)) return false;
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

// ---- commands -------------------------------------------------------------------------------

interface Finished {
  seconds: number;
  stdout: string;
}

/** Runs a command to the end; its output goes to `logPath` (stderr also passes through when `echoStderr`). */
function runCommand(label: string, command: string, args: string[], logPath: string, echoStderr: boolean): Promise<Finished> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk;
      if (echoStderr) process.stderr.write(chunk);
    });
    child.on("error", (error) => reject(new StepError(`${label}: ${error.message}`)));
    child.on("close", (code) => {
      writeFileSync(logPath, `$ ${[command, ...args].join(" ")}\n${stdout}${stderr}`);
      if (code === 0) resolvePromise({ seconds: (performance.now() - started) / 1000, stdout });
      // modalfuse's exit code 2 is a config it refused (e.g. a bad --set): the user's to fix.
      else reject(new StepError(`${label} exited with ${code}: ${lastLine(stderr || stdout)} (log: ${logPath})`, code === 2 ? 2 : 1));
    });
  });
}

const lastLine = (text: string): string => text.trim().split("\n").pop() ?? "";

/** One `modalfuse train` in its own process, into a fresh run folder. */
async function trainModalfuse(config: string, runDir: string, sets: string[]): Promise<TrainResult> {
  rmSync(runDir, { recursive: true, force: true }); // never read an older run's metrics
  mkdirSync(dirname(runDir), { recursive: true });
  const args = [CLI, "train", config, "--out", runDir, "--quiet", ...sets.flatMap((s) => ["--set", s])];
  const { seconds } = await runCommand(`modalfuse train (${runDir})`, process.execPath, args, `${runDir}.log`, false);
  const metrics = JSON.parse(readFileSync(join(runDir, "metrics.json"), "utf8")) as { test: { accuracy: number }; train_seconds: number };
  return { accuracy: metrics.test.accuracy, wallSeconds: seconds, fitSeconds: metrics.train_seconds };
}

/** The settings every modalfuse training of the suite gets; the user's --set come last and win. */
function settingsFor(seed: number, o: Options, extra: string[] = []): string[] {
  return [`train.seed=${seed}`, `data.cache_dir=${join(o.out, "cache")}`, ...extra, ...o.sets];
}

/** baselines.py on a built data set; reused while the script and the data set's files are unchanged. */
async function baselinesFor(name: string, dataDir: string, o: Options): Promise<{ result: BaselineResult; seconds: number; reused: boolean }> {
  const cacheFile = join(o.out, "baselines", `${name}.json`);
  const key = baselineKey(name, dataDir);
  const cached = readJson(cacheFile) as { key?: string; result?: BaselineResult; seconds?: number } | null;
  if (cached?.key === key && cached.result && typeof cached.seconds === "number") return { result: cached.result, seconds: cached.seconds, reused: true };
  mkdirSync(dirname(cacheFile), { recursive: true });
  const { seconds, stdout } = await runCommand(`baselines.py (${name})`, o.python, [BASELINES_PY, dataDir], join(o.out, "baselines", `${name}.log`), true);
  const result = JSON.parse(lastLine(stdout)) as BaselineResult;
  writeFileSync(cacheFile, `${JSON.stringify({ key, seconds, result }, null, 2)}\n`);
  return { result, seconds, reused: false };
}

/** Changes when baselines.py, the data set's version or its manifests and config change. */
function baselineKey(name: string, dataDir: string): string {
  const hash = createHash("sha256").update(readFileSync(BASELINES_PY)).update(DATASETS[name]?.version ?? "");
  for (const file of ["config.yaml", "train.csv", "test.csv"]) hash.update(readFileSync(join(dataDir, file)));
  return hash.digest("hex");
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return null;
  }
}

// ---- one data set ---------------------------------------------------------------------------

async function benchmarkDataset(name: string, o: Options): Promise<DatasetResult> {
  const log = (text: string) => process.stderr.write(`[${name}] ${text}\n`);
  const dataDir = await ensureDataset(name, join(o.out, "data"));
  const config = join(dataDir, "config.yaml");
  const runs = join(o.out, "runs", name);

  // modalfuse first: a bad --set then fails in seconds, not after the baselines.
  const defaults: TrainResult[] = [];
  if (o.parts.has("default")) {
    for (let seed = 0; seed < o.seeds; seed++) {
      const r = await trainModalfuse(config, join(runs, `default-s${seed}`), settingsFor(seed, o));
      log(`modalfuse default, seed ${seed}: ${percent(r.accuracy)} (${r.wallSeconds.toFixed(1)} s)`);
      defaults.push(r);
    }
  }
  let seedPreset: TrainResult | null = null;
  if (o.parts.has("seed")) {
    seedPreset = await trainModalfuse(config, join(runs, "seed-s0"), settingsFor(0, o, ["model.preset=seed"]));
    log(`modalfuse seed preset: ${percent(seedPreset.accuracy)} (${seedPreset.wallSeconds.toFixed(1)} s)`);
  }
  const baselines = o.parts.has("baselines") ? await baselinesFor(name, dataDir, o) : null;
  if (baselines) log(`baselines: best late fusion ${percent(baselines.result.best_baseline_acc)}, best single ${percent(baselines.result.best_single_acc)} (${baselines.seconds.toFixed(1)} s${baselines.reused ? ", reused" : ""})`);
  return summarise(defaults, seedPreset, baselines);
}

function summarise(defaults: TrainResult[], seedPreset: TrainResult | null, baselines: { result: BaselineResult; seconds: number; reused: boolean } | null): DatasetResult {
  const accs = defaults.map((r) => r.accuracy);
  const acc = accs.length ? mean(accs) : null;
  const best = baselines?.result.best_baseline_acc ?? null;
  const single = baselines?.result.best_single_acc ?? null;
  return {
    modalfuse_acc: round(acc),
    modalfuse_acc_sd: accs.length ? round(sampleSd(accs)) : null,
    modalfuse_accs: accs.map((a) => round(a) as number),
    seed_preset_acc: round(seedPreset?.accuracy ?? null),
    best_baseline_acc: best,
    best_single_acc: single,
    baselines: baselines?.result ?? null,
    train_s: defaults.length ? round(mean(defaults.map((r) => r.wallSeconds)), 1) : null,
    fit_s: defaults.length ? round(mean(defaults.map((r) => r.fitSeconds)), 1) : null,
    baseline_s: baselines ? round(baselines.seconds, 1) : null,
    baselines_reused: baselines?.reused ?? false,
    beats_baseline: acc !== null && best !== null ? acc > best : null,
    beats_best_single: acc !== null && single !== null ? acc > single : null,
  };
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const sampleSd = (xs: number[]): number => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((s, x) => s + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));
const round = (x: number | null, digits = 4): number | null => (x === null ? null : Number(x.toFixed(digits)));
const percent = (x: number | null): string => (x === null ? "-" : `${(100 * x).toFixed(1)}%`);

// ---- report ---------------------------------------------------------------------------------

function table(results: Record<string, DatasetResult>): string {
  const yesNo = (b: boolean | null) => (b === null ? "-" : b ? "yes" : "no");
  const header = ["data set", "modalfuse", "seed preset", "best baseline", "best single", "train s", "baseline s", "beats baseline", "beats single"];
  const rows = Object.entries(results).map(([name, r]) => [
    name,
    r.modalfuse_acc === null ? "-" : `${percent(r.modalfuse_acc)} ± ${(100 * (r.modalfuse_acc_sd ?? 0)).toFixed(1)}`,
    percent(r.seed_preset_acc),
    percent(r.best_baseline_acc),
    percent(r.best_single_acc),
    r.train_s === null ? "-" : r.train_s.toFixed(1),
    r.baseline_s === null ? "-" : r.baseline_s.toFixed(1),
    yesNo(r.beats_baseline),
    yesNo(r.beats_best_single),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => (row[c] as string).length)));
  return [header, ...rows].map((row) => row.map((cell, c) => cell.padEnd(widths[c] as number)).join("  ").trimEnd()).join("\n");
}

function verdict(results: Record<string, DatasetResult>): string {
  const all = Object.values(results);
  if (all.some((r) => r.beats_baseline === null || r.beats_best_single === null)) return "verdict: not measured (the default runs or the baselines were skipped)";
  const lost = Object.entries(results)
    .filter(([, r]) => !r.beats_baseline || !r.beats_best_single)
    .map(([name, r]) => `${name} (${[!r.beats_baseline && "best baseline", !r.beats_best_single && "best single"].filter(Boolean).join(", ")})`);
  return lost.length === 0
    ? "verdict: modalfuse beat the best baseline and the best single-modality model on every data set"
    : `verdict: modalfuse did not beat both on every data set; fell short on ${lost.join("; ")}`;
}

function writeReport(o: Options, results: Record<string, DatasetResult>): void {
  if (o.json === null) return;
  const report = { datasets: results, seeds: o.seeds, quick: o.quick, parts: [...o.parts], set: o.sets, machine: { cores: availableParallelism(), node: process.version, cpu: cpus()[0]?.model ?? "unknown" } };
  writeFileSync(o.json, `${JSON.stringify(report, null, 2)}\n`);
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  checkEnvironment(o);
  const results: Record<string, DatasetResult> = {};
  for (const name of o.datasets) {
    results[name] = await benchmarkDataset(name, o);
    writeReport(o, results); // after each data set, so an interrupted suite keeps what it measured
  }
  console.log(table(results));
  console.log(verdict(results));
  if (o.json !== null) console.log(`written: ${o.json}`);
}

main().catch((error: unknown) => {
  if (!(error instanceof UsageError || error instanceof StepError)) throw error;
  console.error(`bench:quality: ${error.message}`);
  process.exit(error instanceof StepError ? error.exitCode : 2);
});
