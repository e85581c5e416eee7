// Serving benchmark: `modalfuse serve` under load on the loopback, with micro-batching on
// and off, in the same run. A small run is trained on the demo data; each request is one
// row as JSON with its picture and recording in base64. At concurrency 1, 16 and 64 a fixed
// number of requests is sent (autocannon); the two servers alternate in rounds, and the
// medians are reported with batching's throughput ratio.
//
//   npm run bench:serve -- [--json FILE] [--rounds N] [--requests N] [--work DIR]
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { parse } from "csv-parse/sync";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const BIN = join(REPO, "bin", "modalfuse.js");

const { values: args } = parseArgs({
  options: {
    json: { type: "string" },
    rounds: { type: "string", default: "3" },
    requests: { type: "string", default: "400" },
    work: { type: "string" },
  },
});
const rounds = Number(args.rounds);
const requests = Number(args.requests);
const CONCURRENCY = [1, 16, 64];
const MODES = { batching: ["--batch-window", "4", "--max-batch", "64"], "no batching": ["--batch-window", "0"] } as const;
type Mode = keyof typeof MODES;

const log = (s: string) => process.stderr.write(`${s}\n`);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

function trainRun(work: string): string {
  const run = join(work, "run");
  log(`training a small demo run in ${run}`);
  const r = spawnSync(process.execPath, [BIN, "demo", "--out", run, "--samples", "300", "--epochs", "3", "--quiet"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`demo failed: ${r.stderr}`);
  return run;
}

/** The first row of the demo manifest with both files, as a JSON request body of the fields the model reads. */
function requestBody(run: string): string {
  const dataDir = join(run, "data");
  const rows = parse(readFileSync(join(dataDir, "manifest.csv"), "utf8"), { columns: true }) as Record<string, string>[];
  const row = rows.find((r) => r.photo && r.recording && /\.png$/.test(r.photo)) as Record<string, string>;
  const state = JSON.parse(readFileSync(join(run, "preprocess.json"), "utf8")) as { id: string; inputs: { kind: string; column?: string; numeric?: { column: string }[]; categorical?: { column: string }[] }[] };
  const body: Record<string, unknown> = { [state.id]: row[state.id] };
  for (const input of state.inputs) {
    for (const c of [...(input.numeric ?? []), ...(input.categorical ?? [])]) body[c.column] = row[c.column];
    if (input.column) body[input.column] = readFileSync(join(dataDir, row[input.column] as string)).toString("base64");
  }
  return JSON.stringify(body);
}

function startServer(run: string, extra: readonly string[]): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "serve", run, "--port", "0", ...extra], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const url = /on (http:\/\/[^\s]+) /.exec(out)?.[1];
      if (url) resolve({ child, url });
    });
    child.on("exit", (code) => reject(new Error(`serve exited ${code}`)));
  });
}

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(url: string, body: string, connections: number, amount: number): Promise<Figures> {
  const result = await autocannon({ url: `${url}/v1/predict`, method: "POST", headers: { "content-type": "application/json" }, body, connections, amount, timeout: 60 });
  // autocannon's own requests/s is a per-second sample mean; the count over the whole run is plainer.
  return { rps: result.requests.total / (result.duration || 1e-9), p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.timeouts + result.non2xx };
}

async function main(): Promise<void> {
  const work = args.work ?? mkdtempSync(join(tmpdir(), "mf-bench-serve-"));
  const run = trainRun(work);
  const body = requestBody(run);
  log(`request body: ${(body.length / 1024).toFixed(1)} kB of JSON; ${requests} requests per measurement, ${rounds} rounds`);
  const servers = {} as Record<Mode, { child: ChildProcess; url: string }>;
  for (const mode of Object.keys(MODES) as Mode[]) servers[mode] = await startServer(run, MODES[mode]);
  const figures: Record<string, Figures[]> = {};
  try {
    for (const mode of Object.keys(MODES) as Mode[]) await load(servers[mode].url, body, 4, 40); // warm-up
    for (let round = 0; round < rounds; round++) {
      // Alternate which server goes first, so neither always meets the machine in the same state.
      const order = (round % 2 === 0 ? ["batching", "no batching"] : ["no batching", "batching"]) as Mode[];
      for (const c of CONCURRENCY) {
        for (const mode of order) {
          const f = await load(servers[mode].url, body, c, requests);
          (figures[`${mode}|${c}`] ??= []).push(f);
          log(`round ${round + 1}  ${mode.padEnd(11)} c=${String(c).padStart(2)}  ${f.rps.toFixed(1)} req/s  p50 ${f.p50} ms  p99 ${f.p99} ms  errors ${f.errors}`);
        }
      }
    }
  } finally {
    for (const s of Object.values(servers)) s.child.kill("SIGTERM");
  }
  const summary = Object.fromEntries(
    Object.entries(figures).map(([key, fs]) => [key, { rps: median(fs.map((f) => f.rps)), p50_ms: median(fs.map((f) => f.p50)), p99_ms: median(fs.map((f) => f.p99)), errors: fs.reduce((n, f) => n + f.errors, 0) }]),
  );
  const ratio = (c: number) => (summary[`batching|${c}`]?.rps ?? NaN) / (summary[`no batching|${c}`]?.rps ?? NaN);
  console.log("\nmedians over rounds (requests/s, latency in ms):");
  console.log("mode          conc   req/s     p50     p99   errors");
  for (const [key, s] of Object.entries(summary)) {
    const [mode, c] = key.split("|");
    console.log(`${(mode as string).padEnd(12)} ${(c as string).padStart(5)} ${s.rps.toFixed(1).padStart(7)} ${String(s.p50_ms).padStart(7)} ${String(s.p99_ms).padStart(7)} ${String(s.errors).padStart(8)}`);
  }
  const result = { requests, rounds, ratio_c1: ratio(1), ratio_c16: ratio(16), ratio_c64: ratio(64), errors: Object.values(summary).reduce((n, s) => n + s.errors, 0), summary };
  console.log(`batching throughput ratio: c=1 ${result.ratio_c1.toFixed(2)}, c=16 ${result.ratio_c16.toFixed(2)}, c=64 ${result.ratio_c64.toFixed(2)}; errors ${result.errors}`);
  if (args.json) writeFileSync(args.json, JSON.stringify(result, null, 2));
  if (result.errors > 0) process.exitCode = 1;
}

await main();
