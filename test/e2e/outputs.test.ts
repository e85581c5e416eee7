// Output paths are checked before any work and never replace an input; predictions and
// evaluations decode into the run's own cache setting; what a killed decoder left in the
// cache is swept. Each of these was a stack trace, a lost file or a stray write before.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, tempDir, userErrorLine } from "../helpers/cli.js";
import { clinicConfig, writeClinic } from "../helpers/clinic.js";

const dir = tempDir("mf-outputs-");
const clinic = writeClinic(dir);
const run = join(dir, "run");
const userCache = join(dir, "user-cache");
process.env.MODALFUSE_CACHE_DIR = userCache;
writeFileSync(join(dir, "config.yaml"), clinicConfig("clinic.csv", "  cache_dir: false\n"));
const hash = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
const filesUnder = (path: string): string[] => (existsSync(path) ? readdirSync(path, { recursive: true }).map(String) : []);

test("a run with data.cache_dir false trains, predicts and evaluates without writing any cache", () => {
  const r = runCli(["train", join(dir, "config.yaml"), "--out", run, "--quiet"]);
  assert.equal(r.status, 0, r.stderr);
  const p = runCli(["predict", run, "--data", clinic.manifest, "--output", join(dir, "predictions.csv"), "--quiet"]);
  assert.equal(p.status, 0, p.stderr);
  const e = runCli(["evaluate", run, "--data", clinic.manifest, "--quiet"]);
  assert.equal(e.status, 0, e.stderr);
  assert.deepEqual(filesUnder(userCache), [], "nothing was written to the user's cache folder");
});

test("predict --output naming its own input manifest is refused, and the manifest is left as it was", () => {
  const before = hash(clinic.manifest);
  assert.match(userErrorLine(runCli(["predict", run, "--data", clinic.manifest, "--output", clinic.manifest])), /--output .*clinic\.csv: is an input \(clinic\.csv\); write the output to another file/);
  assert.equal(hash(clinic.manifest), before);
});

test("output paths that cannot be written are one line before any work", () => {
  assert.match(userErrorLine(runCli(["predict", run, "--data", clinic.manifest, "--output", join(dir, "no", "such", "p.csv")])), /--output .*p\.csv: the folder .*such does not exist/);
  assert.match(userErrorLine(runCli(["predict", run, "--data", clinic.manifest, "--output", dir])), /--output .*: a folder, not a file/);
  writeFileSync(join(dir, "a-file"), "x");
  assert.match(userErrorLine(runCli(["evaluate", run, "--data", clinic.manifest, "--out", join(dir, "a-file")])), /--out .*a-file: a file, not a folder/);
  const started = performance.now();
  assert.match(userErrorLine(runCli(["train", join(dir, "config.yaml"), "--out", join(dir, "a-file")])), /--out .*a-file: a file, not a folder/);
  assert.match(userErrorLine(runCli(["train", join(dir, "config.yaml"), "--out", join(dir, "a-file", "run")])), /cannot write the run directory/);
  assert.ok(performance.now() - started < 60_000);
  assert.match(userErrorLine(runCli(["demo", "--samples", "0", "--out", join(dir, "demo")])), /--samples must be a whole number of at least 20/);
});

test("temporary files left in the cache by a killed decoder are swept by the next run", () => {
  const cache = join(dir, "shared-cache");
  const stray = join(cache, "decoded", "ab", "ab12.bin.999999999.k3j2.tmp");
  mkdirSync(join(cache, "decoded", "ab"), { recursive: true });
  writeFileSync(stray, "half an entry");
  const live = join(cache, "decoded", "ab", `cd34.bin.${process.pid}.x9.tmp`);
  writeFileSync(live, "being written by a live process");
  writeFileSync(join(dir, "cached.yaml"), clinicConfig("clinic.csv", `  cache_dir: ${cache}\n`));
  const r = runCli(["train", join(dir, "cached.yaml"), "--out", join(dir, "cached-run"), "--quiet"]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(!existsSync(stray), "the dead writer's file is gone");
  assert.ok(existsSync(live), "a live writer's file is left alone");
});

test("a run that fails before training leaves its folder free for the next try, without --force", () => {
  const out = join(dir, "retry");
  writeFileSync(join(dir, "typo.yaml"), clinicConfig("clinic.csv").replace("numeric: [lab_a, lab_b]", "numeric: [lab_a, lab_c]"));
  assert.match(userErrorLine(runCli(["train", join(dir, "typo.yaml"), "--out", out])), /no column lab_c/);
  const r = runCli(["train", join(dir, "config.yaml"), "--out", out, "--quiet"]);
  assert.equal(r.status, 0, r.stderr);
});
