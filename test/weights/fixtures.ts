// Real torch checkpoints for the weights tests, written by Debian's python3-torch into a
// fresh temporary folder (make_checkpoints.py), with the values torch holds beside them.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Tensor } from "../../src/torch/index.js";

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "test", "weights", "make_checkpoints.py");
export const PYTHON = process.env.MODALFUSE_REFERENCE_PYTHON ?? "/usr/bin/python3";

// make test installs Debian's python3-torch, which writes the reference checkpoints.
if (spawnSync(PYTHON, ["-c", "import torch"]).status !== 0) throw new Error(`${PYTHON} cannot import torch: make test installs python3-torch`);

export type Group = "tensors" | "resnet" | "safety" | "pickles";

/** A temporary folder holding the checkpoints of `groups`. */
export function makeCheckpoints(...groups: Group[]): string {
  const dir = mkdtempSync(join(tmpdir(), "mf-weights-"));
  const run = spawnSync(PYTHON, [SCRIPT, dir, ...groups], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`make_checkpoints.py failed:\n${run.stderr}`);
  return dir;
}

export interface Expected {
  dtype: string;
  shape: number[];
  bytes: Buffer;
}

/** NAME.expected.json + .bin: what torch held for each tensor. */
export function readExpected(dir: string, name: string): Map<string, Expected> {
  const index = JSON.parse(readFileSync(join(dir, `${name}.expected.json`), "utf8")) as Record<string, { dtype: string; shape: number[]; offset: number; length: number }>;
  const bin = readFileSync(join(dir, `${name}.expected.bin`));
  return new Map(Object.entries(index).map(([k, v]) => [k, { dtype: v.dtype, shape: v.shape, bytes: bin.subarray(v.offset, v.offset + v.length) }]));
}

/** Every expected tensor is found, with its dtype, shape and exact bytes, and nothing else is. */
export function assertSameTensors(found: Map<string, Tensor>, expected: Map<string, Expected>): void {
  assert.deepEqual([...found.keys()].sort(), [...expected.keys()].sort());
  for (const [name, want] of expected) {
    const t = found.get(name) as Tensor;
    assert.equal(t.dtype, want.dtype, `${name}: dtype`);
    assert.deepEqual(t.shape, want.shape, `${name}: shape`);
    assert.ok(t.toBuffer().equals(want.bytes), `${name}: values differ from torch's`);
  }
}
