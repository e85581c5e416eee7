// On the demo, through the real CLI: `export` writes one ONNX graph, and `predict --engine
// onnx` and `serve --engine onnx` reproduce `predict` within 1e-4 without libtorch computing
// the model.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { runCli, tempDir } from "../helpers/cli.js";
import { startServer } from "../helpers/serve.js";

const dir = tempDir("mf-export-demo-");
const run = join(dir, "run");
const demo = runCli(["demo", "--out", run, "--samples", "200", "--epochs", "3", "--quiet"]);
assert.equal(demo.status, 0, demo.stderr);
const manifest = join(run, "data", "manifest.csv");
const readCsv = (path: string) => parse(readFileSync(path, "utf8"), { columns: true }) as Record<string, string>[];

test("export + predict --engine onnx reproduce predict on the demo within 1e-4", () => {
  const exported = runCli(["export", run, "--format", "onnx", "--output", join(dir, "demo.onnx")]);
  assert.equal(exported.status, 0, exported.stderr);
  assert.match(exported.stdout, /written: .*demo\.onnx/);
  for (const [name, extra] of [["libtorch", []], ["onnx", ["--engine", "onnx", "--onnx", join(dir, "demo.onnx")]]] as const) {
    const r = runCli(["predict", run, "--data", manifest, "--output", join(dir, `${name}.csv`), "--explain", "--quiet", ...extra]);
    assert.equal(r.status, 0, r.stderr);
  }
  const torch = readCsv(join(dir, "libtorch.csv"));
  const onnx = readCsv(join(dir, "onnx.csv"));
  assert.equal(onnx.length, 200);
  assert.deepEqual(Object.keys(onnx[0] ?? {}), Object.keys(torch[0] ?? {}));
  let worst = 0;
  onnx.forEach((row, i) => {
    const want = torch[i] as Record<string, string>;
    assert.equal(row.id, want.id);
    for (const key of Object.keys(row).filter((k) => k.startsWith("prob_") || k.startsWith("contrib_"))) worst = Math.max(worst, Math.abs(Number(row[key]) - Number(want[key])));
  });
  assert.ok(worst <= 1e-4, `largest difference ${worst}`);
  // The default graph path is RUN/model.onnx.
  assert.match(runCli(["predict", run, "--data", manifest, "--output", join(dir, "x.csv"), "--engine", "onnx"]).stderr, /model\.onnx: cannot load the ONNX model/);
});

test("serve --engine onnx answers as predict does", async () => {
  const server = await startServer(run, ["--engine", "onnx", "--onnx", join(dir, "demo.onnx")]);
  try {
    const info = (await (await fetch(`${server.url}/v1/model`)).json()) as { engine: string };
    assert.equal(info.engine, "onnx");
    const row = readCsv(manifest).find((r) => r.photo && r.recording) as Record<string, string>;
    const form = new FormData();
    for (const column of ["event_id", "attendees", "duration_h", "budget_k", "ticket_price", "venue_type"]) form.append(column, row[column] as string);
    for (const column of ["photo", "recording"]) form.append(column, new Blob([readFileSync(join(run, "data", row[column] as string))]), row[column]);
    const response = await fetch(`${server.url}/v1/predict`, { method: "POST", body: form });
    assert.equal(response.status, 200, await response.clone().text());
    const [served] = ((await response.json()) as { predictions: { id: string; probabilities: Record<string, number> }[] }).predictions;
    const want = readCsv(join(dir, "libtorch.csv")).find((r) => r.id === row.event_id) as Record<string, string>;
    assert.equal(served?.id, row.event_id);
    for (const [c, p] of Object.entries(served?.probabilities ?? {})) assert.ok(Math.abs(p - Number(want[`prob_${c}`])) <= 1e-4, `${c}: ${p} vs ${want[`prob_${c}`]}`);
  } finally {
    server.child.kill("SIGKILL");
  }
});
