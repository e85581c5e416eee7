// The served web page in a real browser (Debian's Chromium, driven by playwright-core): a
// person uploads a picture and a sound, fills the fields, submits, and reads the same
// probabilities `predict` gives; then sends a CSV with its files and downloads predictions.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { chromium, type Browser } from "playwright-core";
import { load } from "../../src/api.js";
import { runCli, tempDir, writeCsv } from "../helpers/cli.js";
import { clinicConfig, writeClinic } from "../helpers/clinic.js";
import { startServer } from "../helpers/serve.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: make test installs Debian's chromium (apt-get install chromium)`);

const dir = tempDir("mf-page-");
const clinic = writeClinic(dir);
writeFileSync(join(dir, "config.yaml"), clinicConfig("clinic.csv"));
const run = join(dir, "run");
const trained = runCli(["train", join(dir, "config.yaml"), "--out", run, "--quiet"]);
assert.equal(trained.status, 0, trained.stderr);
const ROW = 1; // every field filled
const cells = Object.fromEntries(clinic.header.map((h, j) => [h, clinic.rows[ROW]?.[j] as string | number]));
const one = join(dir, "one.csv");
writeCsv(one, clinic.header, [clinic.rows[ROW] as (string | number)[]]);
const model = await load(run);
const [expected] = await model.predict(one);
model.dispose();

const server = await startServer(run);
// The flags keep Chromium from reaching for the network, which this machine does not have.
const browser: Browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
after(async () => {
  await browser.close();
  server.child.kill("SIGKILL");
});

test("a person fills the page, submits, and reads predict's probabilities off it", async () => {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  await page.goto(server.url);
  assert.match(await page.title(), /modalfuse · diagnosis/);
  await page.setInputFiles("#field-scan", join(dir, String(cells.scan)));
  await page.setInputFiles("#field-voice", join(dir, String(cells.voice)));
  assert.equal(await page.locator("#field-scan + img.preview").isVisible(), true, "the picture is previewed");
  assert.equal(await page.locator("#field-voice + audio.preview").isVisible(), true, "the sound has a player");
  await page.fill("#field-lab_a", String(cells.lab_a));
  await page.fill("#field-lab_b", String(cells.lab_b));
  const sites = await page.locator("#field-site option").allTextContents();
  assert.deepEqual(sites.slice(1).sort(), ["east", "north", "south"], "categories are offered from the training vocabulary");
  await page.selectOption("#field-site", String(cells.site));
  await page.click("#submit");
  await page.waitForSelector('#result[data-state="done"]');
  assert.equal(await page.textContent("#predicted"), expected?.prediction);
  const shown = await page.$$eval(".bar.prob", (rows) => rows.map((r) => [r.getAttribute("data-name"), Number(r.getAttribute("data-value"))] as const));
  assert.deepEqual(shown.map(([c]) => c), ["healthy", "ill"]);
  for (const [c, p] of shown) assert.ok(Math.abs(p - (expected?.probabilities[c as string] as number)) <= 1e-6, `${c}: page ${p}, predict ${expected?.probabilities[c as string]}`);
  const contributions = await page.$$eval(".bar.contrib", (rows) => rows.map((r) => r.getAttribute("data-name")));
  assert.deepEqual(contributions, ["tabular", "image", "audio"]);
  const shot = join(dir, "page.png");
  await page.screenshot({ path: shot, fullPage: true });
  assert.ok(readFileSync(shot).subarray(1, 4).toString() === "PNG");
  if (process.env.MODALFUSE_SCREENSHOT) writeFileSync(process.env.MODALFUSE_SCREENSHOT, readFileSync(shot));
  await page.close();
});

test("a CSV and its files go in, a predictions file comes back to download", async () => {
  const page = await browser.newPage();
  await page.goto(server.url);
  await page.setInputFiles("#batch-csv", one);
  await page.setInputFiles("#batch-files", [join(dir, String(cells.scan)), join(dir, String(cells.voice))]);
  await page.click("#batch-submit");
  const link = await page.waitForSelector("#download");
  const csv = await page.evaluate(async (href) => (await fetch(href)).text(), (await link.getAttribute("href")) ?? "");
  const rows = parse(csv, { columns: true }) as Record<string, string>[];
  assert.equal(rows.length, 1);
  assert.equal(rows[0]?.id, expected?.id);
  assert.ok(Math.abs(Number(rows[0]?.prob_ill) - (expected?.probabilities.ill as number)) <= 1e-6);
  const missing = await browser.newPage();
  await missing.goto(server.url);
  await missing.setInputFiles("#batch-csv", one);
  await missing.click("#batch-submit");
  await missing.waitForSelector("#batch-result .error");
  assert.match((await missing.textContent("#batch-result .error")) ?? "", /was not uploaded with the CSV/);
  await missing.close();
  await page.close();
});
