// `modalfuse serve` through the real CLI: the same predictions as `predict` for JSON,
// multipart and CSV requests, concurrent requests sharing forward passes, every error a
// 4xx naming the field, metrics, health, and a drain on SIGTERM.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { load } from "../../src/api.js";
import type { Prediction } from "../../src/inference.js";
import { REPO, runCli, tempDir, writeCsv } from "../helpers/cli.js";
import { clinicConfig, writeClinic } from "../helpers/clinic.js";
import { startServer } from "../helpers/serve.js";

const dir = tempDir("mf-serve-");
const clinic = writeClinic(dir);
const configPath = join(dir, "config.yaml");
writeFileSync(configPath, clinicConfig("clinic.csv"));
const run = join(dir, "run");
const trained = runCli(["train", configPath, "--out", run, "--quiet"]);
assert.equal(trained.status, 0, trained.stderr);

// Rows whose cells are all valid (3-5 hold non-numbers, 8-11 absent or broken files); 6 and 7 lack a file.
const ROWS = [0, 1, 2, 6, 7, 12, 13, 14];
const header = clinic.header;
const cellsOf = (r: number) => Object.fromEntries(header.map((h, j) => [h, clinic.rows[r]?.[j] as string | number]));
const subset = join(dir, "subset.csv");
writeCsv(subset, header, ROWS.map((r) => clinic.rows[r] as (string | number)[]));
const model = await load(run);
const expected = await model.predict(subset, { explain: true });
model.dispose();

// Response bodies are read as loosely typed JSON: the assertions check their shape.
type Json = any;
const jsonOf = async (res: Response): Promise<Json> => res.json();

function assertSame(served: Prediction, want: Prediction, what: string): void {
  assert.equal(served.id, want.id, what);
  assert.equal(served.prediction, want.prediction, what);
  for (const [c, p] of Object.entries(want.probabilities)) assert.ok(Math.abs((served.probabilities[c] as number) - p) <= 1e-6, `${what}: p(${c}) ${served.probabilities[c]} vs ${p}`);
}

const file = (r: number, column: string) => {
  const path = cellsOf(r)[column] as string;
  return path ? new Blob([readFileSync(join(dir, path))]) : null;
};

/** One clinic row as a multipart form: fields by column, files as uploads. */
function formOf(r: number): FormData {
  const form = new FormData();
  for (const [column, value] of Object.entries(cellsOf(r))) {
    if (column === "diagnosis") continue;
    if (column === "scan" || column === "voice") {
      const blob = file(r, column);
      if (blob) form.append(column, blob, String(value).split("/").at(-1));
    } else form.append(column, String(value));
  }
  return form;
}

test("served predictions equal predict's, by JSON, by form and by CSV, alone or sharing a batch", async () => {
  const server = await startServer(run, ["--batch-window", "150"]);
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/, "it binds the loopback unless told otherwise");
    const info = await jsonOf(await fetch(`${server.url}/v1/model`));
    assert.deepEqual(info.classes, ["healthy", "ill"]);
    assert.deepEqual(info.inputs.map((i: { name: string }) => i.name), ["tabular", "image", "audio"]);
    assert.deepEqual(info.inputs[0].fields.find((f: { column: string }) => f.column === "site").values.sort(), ["east", "north", "south"]);

    // JSON, every row in one request, media as base64.
    const rows = ROWS.map((r) => {
      const cells = cellsOf(r);
      const media = (column: string) => (file(r, column) ? readFileSync(join(dir, cells[column] as string)).toString("base64") : null);
      return { patient: cells.patient, lab_a: cells.lab_a, lab_b: cells.lab_b, site: cells.site, scan: media("scan"), voice: media("voice") };
    });
    const json = await jsonOf(await fetch(`${server.url}/v1/predict?explain=1`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ rows }) }));
    assert.equal(json.predictions.length, ROWS.length);
    json.predictions.forEach((p: Prediction, i: number) => {
      assertSame(p, expected[i] as Prediction, `JSON row ${i}`);
      assert.deepEqual(Object.keys(p.contributions ?? {}), ["tabular", "image", "audio"]);
    });

    // One request per row, all at once: they share forward passes and each gets its own row back.
    const before = await batchCount(server.url);
    const answers = await Promise.all(ROWS.map((r) => fetch(`${server.url}/v1/predict`, { method: "POST", body: formOf(r) }).then(jsonOf)));
    answers.forEach((a, i) => assertSame(a.predictions[0], expected[i] as Prediction, `form row ${i}`));
    const batches = (await batchCount(server.url)) - before;
    assert.ok(batches >= 1 && batches < ROWS.length, `${ROWS.length} concurrent requests took ${batches} forward passes`);

    // A CSV and the files its cells name: predictions.csv back.
    const form = new FormData();
    form.append("csv", new Blob([readFileSync(subset)]), "subset.csv");
    for (const r of ROWS) for (const column of ["scan", "voice"]) if (file(r, column)) form.append("files", file(r, column) as Blob, String(cellsOf(r)[column]).split("/").at(-1));
    const response = await fetch(`${server.url}/v1/predict?format=csv`, { method: "POST", body: form });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-disposition") ?? "", /predictions\.csv/);
    const csv = parse(await response.text(), { columns: true }) as Record<string, string>[];
    csv.forEach((row, i) => {
      assert.equal(row.id, expected[i]?.id);
      assert.ok(Math.abs(Number(row.prob_ill) - (expected[i]?.probabilities.ill as number)) <= 1e-6);
    });
  } finally {
    server.child.kill("SIGKILL");
  }
});

async function batchCount(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^modalfuse_batch_rows_count (\d+)/m.exec(text)?.[1] ?? 0);
}

test("bad requests are 4xx with a JSON body naming the field; health and metrics answer", async () => {
  const server = await startServer(run, ["--max-file-mb", "1"]);
  const post = async (body: string | FormData, type?: string, query = ""): Promise<{ status: number; body: Json; retry: string | null }> => {
    const res = await fetch(`${server.url}/v1/predict${query}`, { method: "POST", body, ...(type ? { headers: { "content-type": type } } : {}) });
    return { status: res.status, body: await jsonOf(res), retry: res.headers.get("retry-after") };
  };
  try {
    const notNumber = await post(JSON.stringify({ lab_a: "high" }), "application/json");
    assert.deepEqual([notNumber.status, notNumber.body.field], [400, "lab_a"]);
    assert.match(notNumber.body.error, /lab_a: not a number/);
    const unknown = await post(JSON.stringify({ rows: [{ lab_a: 1, weight: 3 }] }), "application/json");
    assert.deepEqual([unknown.status, unknown.body.field], [400, "weight"]);
    const path = new FormData();
    path.append("scan", "/etc/passwd");
    const byPath = await post(path);
    assert.deepEqual([byPath.status, byPath.body.field], [400, "scan"], "a path is never read from a request");
    assert.match(byPath.body.error, /send the file itself/);
    const text = new FormData();
    text.append("scan", new Blob(["not a picture"]), "x.png");
    const unsupported = await post(text);
    assert.deepEqual([unsupported.status, unsupported.body.field], [415, "scan"]);
    const broken = new FormData();
    broken.append("scan", new Blob([readFileSync(join(REPO, "test", "fixtures", "media", "broken", "truncated.png"))]), "t.png");
    const truncated = await post(broken);
    assert.deepEqual([truncated.status, truncated.body.field], [400, "scan"]);
    assert.match(truncated.body.error, /truncated/);
    const big = new FormData();
    big.append("scan", new Blob([Buffer.concat([readFileSync(join(dir, cellsOf(0).scan as string)), Buffer.alloc(2 * 1024 * 1024)])]), "big.png");
    assert.equal((await post(big)).status, 413);
    assert.equal((await post("lab_a=1", "text/plain")).status, 415);
    assert.equal((await post("{", "application/json")).status, 400);
    const empty = await post(JSON.stringify({ rows: [] }), "application/json");
    assert.deepEqual([empty.status, empty.body.field], [400, "rows"]);
    const missing = await fetch(`${server.url}/v1/nothing`);
    assert.equal(missing.status, 404);
    assert.match((await jsonOf(missing)).error, /no route/);

    assert.deepEqual(await (await fetch(`${server.url}/v1/health/live`)).json(), { status: "live" });
    assert.deepEqual(await (await fetch(`${server.url}/v1/health/ready`)).json(), { status: "ready" });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /^modalfuse_requests_total\{route="\/v1\/predict",status="415"\} 2$/m);
    assert.match(metrics, /^modalfuse_errors_total\{route="\/v1\/predict",status="400"\} \d+$/m);
    assert.match(metrics, /^modalfuse_request_duration_seconds_bucket\{le="0\.1",route="\/v1\/predict"\} \d+$/m);
  } finally {
    server.child.kill("SIGKILL");
  }
});

test("SIGTERM answers the requests in flight, then stops", async () => {
  const server = await startServer(run, ["--batch-window", "300"]);
  const pending = fetch(`${server.url}/v1/predict`, { method: "POST", body: formOf(0) });
  await new Promise((r) => setTimeout(r, 100));
  const exited = new Promise<number | null>((resolve) => server.child.on("exit", resolve));
  server.child.kill("SIGTERM");
  const answer = await pending;
  assert.equal(answer.status, 200);
  assertSame((await jsonOf(answer)).predictions[0], expected[0] as Prediction, "the request in flight");
  assert.equal(await exited, 0);
  assert.match(server.stdout(), /stopped: every request in flight was answered/);
});

test("serve refuses what it cannot do in one line", () => {
  const r = runCli(["serve", join(dir, "nowhere")]);
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.match(runCli(["serve", run, "--port", "70000"]).stderr, /--port 70000: not a port/);
});
