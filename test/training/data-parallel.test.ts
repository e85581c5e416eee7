// Data-parallel training over c10d on 127.0.0.1: two processes with batch b end with the
// weights of one process with batch 2b (and with identical weights in both); synchronised
// batch norm gives one process's batch statistics; `train --nproc 2` writes one complete
// run; a rank that dies or hangs ends the run within the collective timeout in one line,
// and the run resumes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO, runCli, tempDir, writeCsv } from "../helpers/cli.js";
import { clinicConfig, writeClinic } from "../helpers/clinic.js";
import { loadSafetensors } from "../../src/torch/index.js";
import { freePort } from "../../src/training/launch.js";

// Only where the engine has c10d's Gloo (`make` installs its headers with Debian's libtorch).
const needsGloo = spawnSync(process.execPath, [join(REPO, "scripts", "libtorch.mjs"), "gloo"]).status === 0 ? {} : { skip: "the libtorch built against has no Gloo headers" };
const dir = tempDir("mf-dp-");
const clinic = writeClinic(dir, 80);
// For the equivalence tests, rows with every input present (the per-input losses are means
// over the rows that have the input, which each process takes over its own rows, as DDP
// would) and a training manifest of whole global batches.
const complete = clinic.rows.filter((row) => row.every((cell) => cell !== "") && ![3, 4, 5, 8, 9, 10, 11].includes(Number(String(row[0]).slice(1))));
writeCsv(join(dir, "complete-train.csv"), clinic.header, complete.slice(0, 48));
writeCsv(join(dir, "complete-rest.csv"), clinic.header, complete.slice(48));

function completeConfig(name: string, preset: "seed" | "standard"): string {
  const path = join(dir, `${name}.yaml`);
  const yaml = clinicConfig("complete-train.csv")
    .replace("split: {validation: 0.2, test: 0.2, seed: 1}", "validation: complete-rest.csv\n  test: complete-rest.csv")
    .replace("model: {preset: standard, features: 16}", `model: {preset: ${preset}, features: 16}`)
    // Buckets of a few KB: many, most sent by backward's hooks while it runs.
    .replace("train: {epochs: 2, batch_size: 8, seed: 0}", "train: {epochs: 1, batch_size: 8, seed: 3, bucket_mb: 0.004}");
  writeFileSync(path, yaml);
  return path;
}
const BIN = join(REPO, "bin", "modalfuse.js");
const WORKER = join(REPO, "dist", "test", "training", "data-parallel-worker.js");

function config(name: string, preset: "seed" | "standard", train: string): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, clinicConfig("clinic.csv").replace("model: {preset: standard, features: 16}", `model: {preset: ${preset}, features: 16}`).replace("train: {epochs: 2, batch_size: 8, seed: 0}", `train: ${train}`));
  return path;
}

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  stdout: string;
}

function ended(child: ChildProcess): Promise<Ended> {
  let stderr = "";
  let stdout = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
  return new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal, stderr, stdout })));
}

/** Starts `args` as each rank of a group of `world` on 127.0.0.1, as torchrun would. */
async function ranks(world: number, args: (rank: number) => string[]): Promise<ChildProcess[]> {
  const port = await freePort();
  return Array.from({ length: world }, (_, rank) =>
    spawn(process.execPath, args(rank), { cwd: REPO, env: { ...process.env, RANK: String(rank), LOCAL_RANK: String(rank), WORLD_SIZE: String(world), MASTER_ADDR: "127.0.0.1", MASTER_PORT: String(port), MODALFUSE_THREADS: "1" } }),
  );
}

async function maxDifference(a: string, b: string): Promise<{ max: number; names: number }> {
  const x = (await loadSafetensors(a)).tensors;
  const y = (await loadSafetensors(b)).tensors;
  assert.deepEqual([...x.keys()].sort(), [...y.keys()].sort());
  let max = 0;
  for (const [name, t] of x) {
    const u = y.get(name);
    assert.ok(u, name);
    assert.deepEqual(t.shape, u.shape, name);
    const p = t.float().toTypedArray() as Float32Array;
    const q = u.float().toTypedArray() as Float32Array;
    for (let i = 0; i < p.length; i++) max = Math.max(max, Math.abs((p[i] as number) - (q[i] as number)));
  }
  return { max, names: x.size };
}

async function equivalence(name: string, preset: "seed" | "standard", sync: boolean): Promise<{ oneVsTwo: number; ranks: number }> {
  const cfg = completeConfig(name, preset);
  const one = join(dir, `${name}-one.safetensors`);
  const single = spawnSync(process.execPath, [WORKER, cfg, "8", one], { cwd: REPO, encoding: "utf8", env: { ...process.env, MODALFUSE_THREADS: "1" } });
  assert.equal(single.status, 0, single.stderr);
  const outs = [0, 1].map((rank) => join(dir, `${name}-rank${rank}.safetensors`));
  const results = await Promise.all((await ranks(2, (rank) => [WORKER, cfg, "4", outs[rank] as string, sync ? "sync" : "local"])).map(ended));
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  const [rank0, rank1] = outs as [string, string];
  return { oneVsTwo: (await maxDifference(one, rank0)).max, ranks: (await maxDifference(rank0, rank1)).max };
}

test("2 ranks × batch b end with the weights of 1 rank × batch 2b (seed preset), the same in both ranks", needsGloo, async () => {
  // 48 training rows: 6 steps of a global batch of 8.
  const d = await equivalence("seed", "seed", false);
  assert.ok(d.oneVsTwo <= 1e-5, `largest difference from one process: ${d.oneVsTwo}`);
  assert.equal(d.ranks, 0, "both ranks hold the same weights");
});

test("synchronised batch norm: 2 ranks × batch b compute the batch statistics of 1 rank × batch 2b", needsGloo, async () => {
  const d = await equivalence("syncbn", "standard", true);
  assert.ok(d.oneVsTwo <= 1e-5, `largest difference from one process: ${d.oneVsTwo}`);
  assert.equal(d.ranks, 0);
});

test("train --nproc 2 writes one complete run, which predicts", needsGloo, () => {
  const cfg = config("nproc", "standard", "{epochs: 3, batch_size: 4, seed: 0}");
  const out = join(dir, "run-nproc");
  const r = runCli(["train", cfg, "--out", out, "--nproc", "2", "--quiet"]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr.trim(), "", "nothing on stderr");
  assert.equal(r.stdout.match(/test accuracy/gi)?.length ?? 0, 1, `one summary, from rank 0:\n${r.stdout}`);
  for (const file of ["model.safetensors", "metrics.json", "history.csv", "report.html", "config.yaml", "preprocess.json"]) assert.ok(existsSync(join(out, file)), file);
  assert.equal(JSON.parse(readFileSync(join(out, "run.json"), "utf8")).status, "complete");
  assert.ok(!existsSync(join(out, "checkpoint")), "checkpoints removed at the end");
  const history = readFileSync(join(out, "history.csv"), "utf8").trim().split("\n");
  assert.equal(history.length, 1 + 3);
  const predicted = runCli(["predict", out, "--data", join(dir, "clinic.csv"), "--output", join(dir, "nproc-predictions.csv")]);
  assert.equal(predicted.status, 0, predicted.stderr);
});

/** The pid of the launcher's child that has `rank`. */
function childWithRank(parent: number, rank: number): number | null {
  const children = spawnSync("pgrep", ["-P", String(parent)], { encoding: "utf8" }).stdout.trim().split("\n").filter(Boolean).map(Number);
  for (const pid of children) {
    try {
      if (readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(`RANK=${rank}`)) return pid;
    } catch {
      // gone meanwhile
    }
  }
  return null;
}

const latestEpoch = (out: string) => {
  const f = join(out, "checkpoint", "latest");
  return existsSync(f) ? Number(/^epoch-(\d+)/.exec(readFileSync(f, "utf8"))?.[1] ?? 0) : 0;
};

async function when(condition: () => boolean, what: string, limitMs = 120_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > limitMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("train --nproc 2: a rank killed mid-epoch ends the run in one line naming it; --resume finishes it", needsGloo, async () => {
  const cfg = config("killed", "standard", "{epochs: 40, batch_size: 4, seed: 0, early_stopping: 0, collective_timeout: 20s}");
  const out = join(dir, "run-killed");
  const launcher = spawn(process.execPath, [BIN, "train", cfg, "--out", out, "--nproc", "2", "--quiet"], { cwd: REPO });
  const result = ended(launcher);
  await when(() => latestEpoch(out) >= 1, "the first checkpoint");
  const victim = childWithRank(launcher.pid as number, 1);
  assert.ok(victim, "rank 1's process");
  const killedAt = Date.now();
  process.kill(victim, "SIGKILL");
  const r = await result;
  assert.ok(Date.now() - killedAt < 20_000, "ended within the collective timeout");
  assert.notEqual(r.code, 0);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0] as string, /^modalfuse: rank 1 of 2 was killed by SIGKILL; the other ranks were stopped$/);
  assert.equal(JSON.parse(readFileSync(join(out, "run.json"), "utf8")).status, "running");
  assert.deepEqual((readdirSync(out, { recursive: true }) as string[]).filter((f) => f.endsWith(".tmp")), [], "no half-written file");
  const resumed = runCli(["train", "--resume", out, "--nproc", "2", "--quiet"]);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.equal(JSON.parse(readFileSync(join(out, "run.json"), "utf8")).status, "complete");
  assert.equal(readFileSync(join(out, "history.csv"), "utf8").trim().split("\n").length, 1 + 40);
});

test("launched as torchrun does: a rank that dies or hangs ends the other within the collective timeout, in one line", needsGloo, async () => {
  for (const [how, signal] of [["dies", "SIGKILL"], ["hangs", "SIGSTOP"]] as const) {
    const cfg = config(`env-${how}`, "seed", "{epochs: 200, batch_size: 4, seed: 0, early_stopping: 0, collective_timeout: 5s}");
    const out = join(dir, `run-env-${how}`);
    const children = await ranks(2, () => [BIN, "train", cfg, "--out", out, "--quiet"]);
    const [leader, other] = children as [ChildProcess, ChildProcess];
    const leaderEnded = ended(leader);
    const otherEnded = ended(other);
    await when(() => latestEpoch(out) >= 1, "the first checkpoint");
    const at = Date.now();
    other.kill(signal);
    const r = await leaderEnded;
    const took = Date.now() - at;
    if (signal === "SIGSTOP") other.kill("SIGKILL");
    await otherEnded;
    assert.ok(took < 5000 + 10_000, `rank 0 ended ${took} ms after rank 1 ${how === "dies" ? "died" : "stopped"}`);
    if (how === "hangs") assert.ok(took >= 4000, `rank 0 waited for the collective timeout (${took} ms)`);
    assert.equal(r.code, 2);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0] as string, /^modalfuse: rank 0: lost the other ranks \(.+\)$/);
  }
});
