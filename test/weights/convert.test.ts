// `convert` through a commander program that registers it exactly as the CLI will
// (addConvertCommand), and the safetensors it writes read back equal to what torch saved.
// The real bin/modalfuse.js is left to the CLI's own tests once it registers the command.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { UserError } from "../../src/errors.js";
import { loadSafetensors } from "../../src/torch/index.js";
import { addConvertCommand, readWeights } from "../../src/weights/index.js";
import { assertSameTensors, makeCheckpoints, readExpected } from "./fixtures.js";

let dir = "";
before(() => {
  dir = makeCheckpoints("tensors", "safety");
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs `modalfuse convert ...args` in-process; returns what it printed. */
async function convert(...args: string[]): Promise<string> {
  const program = new Command().name("modalfuse").exitOverride();
  addConvertCommand(program);
  const lines: string[] = [];
  const log = console.log;
  console.log = (...parts: unknown[]) => void lines.push(parts.join(" "));
  try {
    await program.parseAsync(["node", "modalfuse", "convert", ...args]);
  } finally {
    console.log = log;
  }
  return lines.join("\n");
}

test("convert writes every tensor as safetensors, equal to what torch saved", async () => {
  const output = join(dir, "plain.safetensors");
  const printed = await convert(join(dir, "plain.pth"), "--output", output);
  const expected = readExpected(dir, "plain");
  assert.match(printed, new RegExp(`^written: ${output.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} \\(${expected.size} tensors: .*float32.*; [0-9.]+ MB\\)$`));
  const { tensors, metadata } = await loadSafetensors(output);
  assert.equal(metadata.format, "pt");
  assert.equal(metadata.source, "plain.pth");
  assertSameTensors(tensors, expected);
  // And the safetensors file reads through the same entry point.
  assertSameTensors(await readWeights(output), expected);
});

test("convert prints the notes, and defaults the output beside the input", async () => {
  const printed = await convert(join(dir, "nested_model.pth"));
  assert.match(printed, /^note: the weights are the checkpoint's 'model' entry/m);
  assert.match(printed, /^note: left out 1 entry that is not tensors \(version\)/m);
  assertSameTensors((await loadSafetensors(join(dir, "nested_model.safetensors"))).tensors, readExpected(dir, "nested_model"));
});

test("a bad output is refused before reading, and a refused checkpoint writes nothing", async () => {
  await assert.rejects(convert(join(dir, "plain.pth"), "--output", join(dir, "no", "such", "out.safetensors")), (e: unknown) => e instanceof UserError && /^--output .*: the folder .* does not exist$/.test(e.message));
  await assert.rejects(convert(join(dir, "plain.pth"), "--output", join(dir, "plain.pth")), (e: unknown) => e instanceof UserError && /is an input/.test(e.message));
  const output = join(dir, "evil.safetensors");
  await assert.rejects(convert(join(dir, "evil_os_system.pth"), "--output", output), (e: unknown) => e instanceof UserError && /refused os\.system/.test(e.message));
  assert.equal(existsSync(output), false);
  assert.equal(existsSync(join(dir, "os_system.ran")), false);
  assert.ok(readFileSync(join(dir, "plain.pth")).length > 0);
});

test("the real command line converts, and refuses a malicious checkpoint in one line", async () => {
  const { runCli, userErrorLine } = await import("../helpers/cli.js");
  const output = join(dir, "cli.safetensors");
  const r = runCli(["convert", join(dir, "plain.pth"), "--output", output]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /written: .*cli\.safetensors/);
  assert.ok(existsSync(output));
  const evil = readdirSync(dir).find((f) => /system|eval/.test(f) && f.endsWith(".pth"));
  assert.ok(evil, `no malicious checkpoint among ${readdirSync(dir).join(", ")}`);
  assert.match(userErrorLine(runCli(["convert", join(dir, evil), "--output", join(dir, "evil.safetensors")])), /refus|not allowed|forbidden/i);
  assert.equal(existsSync(join(dir, "evil.safetensors")), false);
});
