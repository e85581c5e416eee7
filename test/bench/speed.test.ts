// The speed benchmark runs end to end on a tiny data set and reports every figure the
// issue asks for. Its numbers are not judged here (timings belong in the benchmark's own
// output, not in a test); that it runs, and what it reports, is.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO, tempDir } from "../helpers/cli.js";

const KEYS = [
  "tutorial_epoch_s", "modalfuse_epoch_s", "modalfuse_first_epoch_s", "ceiling_epoch_s", "ratio_vs_tutorial", "ratio_vs_ceiling",
  "tutorial_epoch_s_same_threads", "ratio_vs_tutorial_same_threads",
  "cold_start_s", "warm_start_s", "tta_tutorial_s", "rss_anon_mb", "rss_anon_mb_small", "rss_anon_mb_large",
];

test("bench:speed writes its data set, runs every measurement and reports every key", () => {
  const dir = tempDir("mf-bench-speed-");
  const out = join(dir, "speed.json");
  const run = spawnSync(process.execPath, [join(REPO, "dist", "bench", "speed.js"), "--samples", "60", "--epochs", "2", "--seed-epochs", "2", "--scale", "--large", "150", "--data", join(dir, "data"), "--json", out], { encoding: "utf8", env: { ...process.env, MODALFUSE_CACHE_DIR: join(dir, "cache") } });
  assert.equal(run.status, 0, run.stderr);
  const result = JSON.parse(readFileSync(out, "utf8")) as Record<string, unknown>;
  for (const key of KEYS) assert.ok(typeof result[key] === "number" && Number.isFinite(result[key]) && (result[key] as number) > 0, `${key}: ${String(result[key])}`);
  assert.ok(result.tta_modalfuse_s === null || typeof result.tta_modalfuse_s === "number");
  assert.equal(result.samples, 60);
  const manifests = ["train", "validation", "test"].map((s) => readFileSync(join(dir, "data", `${s}.csv`), "utf8").trim().split("\n").length - 1);
  assert.deepEqual(manifests, [42, 9, 9]);
  // Each linked copy stays in its base row's split (no picture in both train and validation).
  const large = ["train", "validation", "test"].map((s) => readFileSync(join(dir, "speed-data-150", `${s}.csv`), "utf8").trim().split("\n").slice(1));
  assert.equal(large.flat().length, 150);
  assert.ok(large[0]!.length >= 95 && large[0]!.length <= 115, `train rows: ${large[0]!.length}`);
  assert.equal(new Set(large.flat().map((line) => line.split(",").at(-1))).size, 150, "every scaled row names its own audio file");
});
