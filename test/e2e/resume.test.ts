// Nothing lost: `modalfuse train` killed with SIGKILL at moments spread over a run —
// decoding, mid-epoch, between epochs, while writing its files — and resumed with
// `train --resume` ends with the same weights, byte for byte, and the same metrics as a
// run never interrupted. SIGINT stops after a step with exit code 130 and one line, having
// written a checkpoint of the epoch part-way, from which the run goes on just as exactly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO, runCli, tempDir, userErrorLine } from "../helpers/cli.js";
import { clinicConfig, writeClinic } from "../helpers/clinic.js";

const dir = tempDir("mf-resume-");
writeClinic(dir);
const configPath = join(dir, "config.yaml");
// No early stopping, so every run trains the same number of epochs.
writeFileSync(configPath, clinicConfig("clinic.csv").replace("train: {epochs: 2, batch_size: 8, seed: 0}", "train: {epochs: 10, batch_size: 4, seed: 0, early_stopping: 0}"));
const BIN = join(REPO, "bin", "modalfuse.js");

/** Starts `train`, sends `signal` after `ms` or once `when` holds (polled), and resolves with how it ended. */
function trainAndSignal(out: string, at: number | (() => boolean), signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, "train", configPath, "--out", out, "--quiet"], { cwd: REPO });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer =
      typeof at === "number"
        ? setTimeout(() => child.kill(signal), at)
        : setInterval(() => {
            if (!at()) return;
            clearInterval(timer);
            child.kill(signal);
          }, 20);
    child.on("exit", (code, sig) => {
      clearTimeout(timer);
      clearInterval(timer);
      resolve({ code, signal: sig, stderr });
    });
  });
}

/** Files under `dir` left by an atomic write that never finished. */
const temporaries = (dir: string) => (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith(".tmp"));

const metricsOf = (run: string) => {
  const m = JSON.parse(readFileSync(join(run, "metrics.json"), "utf8"));
  return { test: m.test, validation: m.validation, epochs: m.epochs_run, best: m.best_epoch };
};

test("a run killed at any moment and resumed ends bit-identical to one never interrupted", async () => {
  const whole = join(dir, "whole");
  const started = performance.now();
  const r = runCli(["train", configPath, "--out", whole, "--quiet"]);
  const duration = performance.now() - started;
  assert.equal(r.status, 0, r.stderr);
  const weights = readFileSync(join(whole, "model.safetensors"));
  // Kill points spread over the run's own duration, from decoding to writing the report, and
  // three tied to what the run has written (a busy machine stretches every duration):
  // as the first checkpoint appears, once a later epoch's has, and as the model is written.
  const latestEpoch = (out: string) => {
    const f = join(out, "checkpoint", "latest");
    return existsSync(f) ? Number(/^epoch-(\d+)/.exec(readFileSync(f, "utf8"))?.[1] ?? 0) : 0;
  };
  const points: { name: string; at: (out: string) => number | (() => boolean) }[] = [
    ...[0.15, 0.3, 0.6, 0.9].map((fraction) => ({ name: `${Math.round(fraction * 100)}% of the run`, at: () => Math.round(fraction * duration) })),
    { name: "the first checkpoint", at: (out: string) => () => latestEpoch(out) >= 1 },
    { name: "epoch 4's checkpoint", at: (out: string) => () => latestEpoch(out) >= 4 },
    { name: "writing the model", at: (out: string) => () => existsSync(join(out, "model.safetensors")) },
  ];
  let resumedFromCheckpoint = 0;
  for (const [k, { name, at }] of points.entries()) {
    const out = join(dir, `killed-${k}`);
    const killed = await trainAndSignal(out, at(out), "SIGKILL");
    if (existsSync(join(out, "checkpoint", "latest"))) resumedFromCheckpoint++;
    let resumed = runCli(["train", "--resume", out, "--quiet"]);
    if (killed.code === 0) {
      assert.match(userErrorLine(resumed), /the run is complete; nothing to resume/, "a finished run has nothing to resume");
    } else {
      assert.equal(killed.signal, "SIGKILL");
      if (resumed.status !== 0 && /not a run that modalfuse started/.test(resumed.stderr)) {
        // Killed before the run directory was marked: a new run is the way on.
        resumed = runCli(["train", configPath, "--out", out, "--quiet", "--force"]);
      }
      assert.equal(resumed.status, 0, `kill at ${name}: ${resumed.stderr}`);
    }
    assert.ok(readFileSync(join(out, "model.safetensors")).equals(weights), `kill at ${name}: weights differ after resuming`);
    assert.deepEqual(temporaries(out), [], `kill at ${name}: a half-written file was left behind`);
    assert.deepEqual(metricsOf(out), metricsOf(whole), `kill at ${name}: metrics differ`);
  }
  assert.ok(resumedFromCheckpoint >= 3, `only ${resumedFromCheckpoint} kills left a checkpoint to resume from`);
});

test("SIGINT stops after the current step, checkpoints the epoch part-way, exits 130 with one line, and the run resumes exactly", async () => {
  const out = join(dir, "interrupted");
  // Sent once the first epoch's checkpoint exists: nine epochs remain, so the run cannot finish first.
  const stopped = await trainAndSignal(out, () => existsSync(join(out, "checkpoint", "latest")), "SIGINT");
  assert.equal(stopped.code, 130, stopped.stderr);
  const lines = stopped.stderr.trim().split("\n");
  assert.equal(lines.length, 1, stopped.stderr);
  const [, epoch, step] = /^modalfuse: interrupted in epoch (\d+) after step (\d+) of \d+; continue with: modalfuse train --resume /.exec(lines[0] ?? "") ?? [];
  assert.ok(epoch && step, lines[0]);
  const latest = readFileSync(join(out, "checkpoint", "latest"), "utf8").trim();
  assert.equal(latest, `epoch-${epoch.padStart(5, "0")}-step-${step.padStart(5, "0")}`, "the checkpoint is the stopped epoch's, at its step");
  assert.deepEqual(readdirSync(join(out, "checkpoint")).sort(), [latest, "latest"].sort(), "earlier checkpoints are removed");
  const state = JSON.parse(readFileSync(join(out, "checkpoint", latest, "state.json"), "utf8"));
  assert.equal(state.partial.step, Number(step));
  assert.ok(state.elapsed > 0, "the run's time so far is kept for train.time_limit");
  assert.match(userErrorLine(runCli(["predict", out, "--data", join(dir, "clinic.csv"), "--output", join(dir, "p.csv")])), /the run is not complete/);
  const resumed = runCli(["train", "--resume", out, "--quiet"]);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.ok(readFileSync(join(out, "model.safetensors")).equals(readFileSync(join(dir, "whole", "model.safetensors"))), "weights differ after resuming mid-epoch");
  assert.deepEqual(metricsOf(out), metricsOf(join(dir, "whole")));
});

test("a checkpoint that cannot be read is one line naming the file", async () => {
  const out = join(dir, "broken-checkpoint");
  const stopped = await trainAndSignal(out, () => existsSync(join(out, "checkpoint", "latest")), "SIGINT");
  assert.equal(stopped.code, 130, stopped.stderr);
  const latest = readFileSync(join(out, "checkpoint", "latest"), "utf8").trim();
  writeFileSync(join(out, "checkpoint", latest, "state.json"), JSON.stringify({ epoch: -1 }));
  assert.match(userErrorLine(runCli(["train", "--resume", out, "--quiet"])), /checkpoint cannot be read \(.*state\.json: epoch: .*\): start the run again with --force/);
});

test("a directory holding an earlier run is refused unless --force, which replaces it", () => {
  const out = join(dir, "whole");
  assert.match(userErrorLine(runCli(["train", configPath, "--out", out, "--quiet"])), /holds an earlier run: add --force to replace it/);
  writeFileSync(join(out, "robustness.csv"), "condition,modality,level,accuracy\nclean,all,0,0.1\n");
  const r = runCli(["train", configPath, "--out", out, "--quiet", "--force"]);
  assert.equal(r.status, 0, r.stderr);
  assert.throws(() => readFileSync(join(out, "robustness.csv")), "the earlier run's robustness.csv is gone");
});
