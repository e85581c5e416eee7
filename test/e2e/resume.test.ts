// Nothing lost: `modalfuse train` killed with SIGKILL at moments spread over a run —
// decoding, mid-epoch, between epochs, while writing its files — and resumed with
// `train --resume` ends with the same weights, byte for byte, and the same metrics as a
// run never interrupted. SIGINT stops after a step with exit code 130 and one line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO, runCli, tempDir, userErrorLine } from "../helpers/cli.js";
import { clinicConfig, writeClinic } from "../helpers/clinic.js";

const dir = tempDir("mf-resume-");
writeClinic(dir);
const configPath = join(dir, "config.yaml");
// No early stopping, so every run trains the same number of epochs.
writeFileSync(configPath, clinicConfig("clinic.csv").replace("train: {epochs: 2, batch_size: 8, seed: 0}", "train: {epochs: 10, batch_size: 4, seed: 0, early_stopping: 0}"));
const BIN = join(REPO, "bin", "modalfuse.js");

/** Starts `train`, sends `signal` after `ms`, and resolves with how it ended. */
function trainAndSignal(out: string, ms: number, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, "train", configPath, "--out", out, "--quiet"], { cwd: REPO });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill(signal), ms);
    child.on("exit", (code, sig) => {
      clearTimeout(timer);
      resolve({ code, signal: sig, stderr });
    });
  });
}

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
  // Kill points spread over the run's own duration: from decoding to writing the report.
  const fractions = [0.15, 0.3, 0.45, 0.6, 0.75, 0.9];
  let resumedFromCheckpoint = 0;
  for (const [k, fraction] of fractions.entries()) {
    const out = join(dir, `killed-${k}`);
    const killed = await trainAndSignal(out, Math.round(fraction * duration), "SIGKILL");
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
      assert.equal(resumed.status, 0, `kill at ${fraction}: ${resumed.stderr}`);
    }
    assert.ok(readFileSync(join(out, "model.safetensors")).equals(weights), `kill at ${Math.round(fraction * 100)}% of the run: weights differ after resuming`);
    assert.deepEqual(metricsOf(out), metricsOf(whole), `kill at ${fraction}: metrics differ`);
  }
  assert.ok(resumedFromCheckpoint >= 2, `only ${resumedFromCheckpoint} kills left a checkpoint to resume from`);
});

test("SIGINT stops after the current step, exits 130 with one line, and the run resumes", async () => {
  const out = join(dir, "interrupted");
  const stopped = await trainAndSignal(out, 2500, "SIGINT");
  if (stopped.code === 0) return; // the machine was quick enough to finish first
  assert.equal(stopped.code, 130, stopped.stderr);
  const lines = stopped.stderr.trim().split("\n");
  assert.equal(lines.length, 1, stopped.stderr);
  assert.match(lines[0] ?? "", /interrupted after \d+ epoch\(s\); continue with: modalfuse train --resume /);
  assert.match(userErrorLine(runCli(["predict", out, "--data", join(dir, "clinic.csv"), "--output", join(dir, "p.csv")])), /the run is not complete/);
  const resumed = runCli(["train", "--resume", out, "--quiet"]);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.deepEqual(metricsOf(out), metricsOf(join(dir, "whole")));
});

test("a directory holding an earlier run is refused unless --force, which replaces it", () => {
  const out = join(dir, "whole");
  assert.match(userErrorLine(runCli(["train", configPath, "--out", out, "--quiet"])), /holds an earlier run: add --force to replace it/);
  writeFileSync(join(out, "robustness.csv"), "condition,modality,level,accuracy\nclean,all,0,0.1\n");
  const r = runCli(["train", configPath, "--out", out, "--quiet", "--force"]);
  assert.equal(r.status, 0, r.stderr);
  assert.throws(() => readFileSync(join(out, "robustness.csv")), "the earlier run's robustness.csv is gone");
});
