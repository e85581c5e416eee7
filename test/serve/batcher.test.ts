// The micro-batcher: requests within the window share a batch up to maxRows, each gets its
// own rows back, groups never mix, batches run one at a time, and a full queue refuses at once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Batcher, QueueFull } from "../../src/serve/batcher.js";

/** A batcher whose scoring doubles numbers and records each batch it ran. */
function doubling(options: { windowMs: number; maxRows: number; maxQueue: number }, delayMs = 0) {
  const batches: { rows: number[]; group: string }[] = [];
  let running = 0;
  let overlapped = false;
  const batcher = new Batcher<number, number>(options, async (rows, group) => {
    running++;
    overlapped ||= running > 1;
    batches.push({ rows, group });
    await new Promise((r) => setTimeout(r, delayMs));
    running--;
    return rows.map((x) => 2 * x);
  });
  return { batcher, batches, overlapped: () => overlapped };
}

test("requests inside the window share one batch and each gets its own rows back", async () => {
  const { batcher, batches } = doubling({ windowMs: 30, maxRows: 64, maxQueue: 1000 });
  const results = await Promise.all([batcher.submit([1, 2], "a"), batcher.submit([3], "a"), batcher.submit([4, 5, 6], "a")]);
  assert.deepEqual(results, [[2, 4], [6], [8, 10, 12]]);
  assert.deepEqual(batches, [{ rows: [1, 2, 3, 4, 5, 6], group: "a" }]);
});

test("a batch holds at most maxRows, groups never mix, and batches run one at a time", async () => {
  const { batcher, batches, overlapped } = doubling({ windowMs: 10, maxRows: 4, maxQueue: 1000 }, 5);
  const results = await Promise.all([batcher.submit([1, 2, 3], "a"), batcher.submit([4], "b"), batcher.submit([5, 6], "a"), batcher.submit([7, 8, 9, 10, 11], "a")]);
  assert.deepEqual(results, [[2, 4, 6], [8], [10, 12], [14, 16, 18, 20, 22]]);
  for (const b of batches) assert.ok(b.rows.length <= 4 || b.rows.length === 5, `batch of ${b.rows.length}`);
  assert.ok(batches.every((b) => b.rows.every((x) => (x === 4) === (b.group === "b"))), "a batch mixed groups");
  assert.deepEqual(batches.map((b) => b.rows).flat().sort((x, y) => x - y), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  assert.equal(overlapped(), false);
});

test("with no window every request goes at once; a full queue refuses new work", async () => {
  const { batcher, batches } = doubling({ windowMs: 0, maxRows: 64, maxQueue: 3 }, 20);
  const first = batcher.submit([1], "a"); // runs at once
  const second = batcher.submit([2, 3], "a"); // waits: 2 rows queued
  const third = batcher.submit([4, 5], "a"); // 4 rows would wait: refused
  await assert.rejects(third, QueueFull);
  assert.deepEqual(await Promise.all([first, second]), [[2], [4, 6]]);
  assert.deepEqual(batches.map((b) => b.rows), [[1], [2, 3]]);
});

test("a scoring failure rejects that batch's requests only", async () => {
  let calls = 0;
  const batcher = new Batcher<number, number>({ windowMs: 5, maxRows: 2, maxQueue: 100 }, async (rows) => {
    if (calls++ === 0) throw new Error("engine failed");
    return rows;
  });
  const [a, b] = await Promise.allSettled([batcher.submit([1, 2], "a"), batcher.submit([3], "a")]);
  assert.equal(a.status, "rejected");
  assert.deepEqual(b, { status: "fulfilled", value: [3] });
});
