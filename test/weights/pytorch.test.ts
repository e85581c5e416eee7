// PyTorch zip checkpoints written by real torch read back value for value: every dtype,
// views that share a storage, nested and DataParallel state dicts, and a resnet18.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { loadWeights, readWeights } from "../../src/weights/index.js";
import { assertSameTensors, makeCheckpoints, readExpected } from "./fixtures.js";

let dir = "";
before(() => {
  dir = makeCheckpoints("tensors", "resnet");
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("every dtype, empty and 0-d tensors, and views of shared storages equal what torch saved", async () => {
  const loaded = await loadWeights(join(dir, "plain.pth"));
  assert.equal(loaded.format, "pytorch");
  assert.deepEqual(loaded.notes, []);
  const expected = readExpected(dir, "plain");
  // The fixture really has what this test is about.
  assert.deepEqual(expected.get("scalar")?.shape, []);
  assert.deepEqual(expected.get("empty2d")?.shape, [2, 0]);
  assertSameTensors(loaded.tensors, expected);
  for (const t of loaded.tensors.values()) {
    assert.ok(t.isContiguous);
    t.dispose();
  }
});

for (const key of ["model", "state_dict", "model_state_dict"]) {
  test(`a state dict nested under '${key}' is found, and the other entries are left out with a note`, async () => {
    const name = `nested_${key}`;
    const notes: string[] = [];
    const tensors = await readWeights(join(dir, `${name}.pth`), { onNote: (n) => notes.push(n) });
    assertSameTensors(tensors, readExpected(dir, name));
    assert.match(notes[0] ?? "", new RegExp(`'${key}' entry`));
    // PANNs-style: {'model': {..., 'version': 3}, 'iteration': 5}: the int inside is dropped too.
    if (key === "model") assert.match(notes[1] ?? "", /left out 1 entry that is not tensors \(version\)/);
    for (const t of tensors.values()) t.dispose();
  });
}

test("DataParallel's 'module.' prefix is removed, and the note says so", async () => {
  const loaded = await loadWeights(join(dir, "dataparallel.pth"));
  assertSameTensors(loaded.tensors, readExpected(dir, "dataparallel"));
  assert.ok(loaded.tensors.has("1.num_batches_tracked"));
  assert.deepEqual(loaded.notes, [`removed the 'module.' prefix (a model saved inside DataParallel) from all ${loaded.tensors.size} names`]);
  for (const t of loaded.tensors.values()) t.dispose();
});

test("a resnet18 state dict (with its _metadata) reads whole", async (t) => {
  t.diagnostic(`resnet18 made ${readFileSync(join(dir, "resnet18.source"), "utf8")}`);
  const started = performance.now();
  const tensors = await readWeights(join(dir, "resnet18.pth"));
  t.diagnostic(`read in ${(performance.now() - started).toFixed(0)} ms`);
  assert.equal(tensors.size, 122);
  assert.deepEqual(tensors.get("conv1.weight")?.shape, [64, 3, 7, 7]);
  assert.deepEqual(tensors.get("fc.weight")?.shape, [1000, 512]);
  assert.equal(tensors.get("layer4.1.bn2.num_batches_tracked")?.dtype, "int64");
  assertSameTensors(tensors, readExpected(dir, "resnet18"));
  for (const x of tensors.values()) x.dispose();
});
