// The engine's c10d process group on its own, with a FileStore: two processes sum, broadcast
// and meet at a barrier; a differentiable sum passes gradients back across them; a peer that
// never joins ends the wait with an error after the timeout instead of hanging.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { REPO, tempDir } from "../helpers/cli.js";

const dir = tempDir("mf-c10d-");
/** Whether the libtorch built against has c10d's Gloo headers (pip wheels do not). */
export const GLOO_BUILT = spawnSync(process.execPath, [join(REPO, "scripts", "libtorch.mjs"), "gloo"]).status === 0;
const needsGloo = GLOO_BUILT ? {} : { skip: "the libtorch built against has no Gloo headers (install libgloo-dev with Debian's libtorch)" };

/** Runs `body` (with `group`, `t` (modalfuse/torch) and `rank` in scope) in `world` processes that share a FileStore. */
async function inProcesses(world: number, body: string, o: { ranks?: number[]; timeoutMs?: number } = {}): Promise<{ code: number | null; out: string; err: string }[]> {
  const store = join(dir, `store-${Math.random().toString(36).slice(2)}`);
  const script = `
    import * as t from "${join(REPO, "dist", "src", "torch", "index.js")}";
    const rank = Number(process.env.RANK);
    const group = t.ProcessGroup.init({ rank, worldSize: ${world}, host: "", port: 0, isServer: false, file: ${JSON.stringify(store)}, timeoutMs: ${o.timeoutMs ?? 20000}, interfaceHost: "127.0.0.1" });
    const out = (v) => console.log(JSON.stringify(v));
    ${body}
    group.destroy();`;
  const ranks = o.ranks ?? Array.from({ length: world }, (_, r) => r);
  return Promise.all(
    ranks.map(
      (rank) =>
        new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
          const child = spawn(process.execPath, ["--input-type=module", "-e", script], { env: { ...process.env, RANK: String(rank), MODALFUSE_THREADS: "1" } });
          let out = "";
          let err = "";
          child.stdout.on("data", (d: Buffer) => (out += d.toString()));
          child.stderr.on("data", (d: Buffer) => (err += d.toString()));
          child.on("exit", (code) => resolve({ code, out, err }));
        }),
    ),
  );
}

test("c10d is built in exactly where the build found Gloo's headers", async () => {
  const t = await import("../../src/torch/index.js");
  assert.equal(t.distributedAvailable(), GLOO_BUILT);
});

test("c10d over a FileStore: all-reduce, broadcast and barrier across two processes", needsGloo, async () => {
  const results = await inProcesses(
    2,
    `
    const x = t.tensor([1, 2, 3].map((v) => v * (rank + 1)), [3]);
    group.allreduce([x]);
    const y = t.tensor([rank, rank], [2]);
    group.broadcast([y], 1);
    group.barrier();
    out({ sum: Array.from(x.toTypedArray()), fromOne: Array.from(y.toTypedArray()) });`,
  );
  for (const r of results) {
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(r.out), { sum: [3, 6, 9], fromOne: [1, 1] });
  }
});

test("c10d: a differentiable sum across processes sends gradients back to each", needsGloo, async () => {
  const results = await inProcesses(
    2,
    `
    const x = t.tensor([rank + 1, 10], [2]).requiresGrad_();
    const total = group.allreduceSum(x);
    total.mul(t.tensor([rank + 2, 1], [2])).sum().backward();
    out({ total: Array.from(total.toTypedArray()), grad: Array.from(x.grad.toTypedArray()) });`,
  );
  for (const r of results) {
    assert.equal(r.code, 0, r.err);
    // The output is summed; so is the gradient of every process's use of it: (2 + 3, 1 + 1).
    assert.deepEqual(JSON.parse(r.out), { total: [3, 20], grad: [5, 2] });
  }
});

test("c10d: a peer that never joins ends the wait with an error after the timeout", needsGloo, async () => {
  const started = Date.now();
  const [only] = await inProcesses(2, `out("joined");`, { ranks: [0], timeoutMs: 2000 });
  assert.ok(only);
  assert.notEqual(only.code, 0);
  assert.match(only.err, /timed? ?out|Timeout|wait/i);
  assert.ok(Date.now() - started < 30_000);
});
