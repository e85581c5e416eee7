// modalfuse/torch on its own: importing it changes nothing in the process (no libtorch
// loaded, no environment or thread count touched) and pulls in nothing else of modalfuse;
// the README's example trains with it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { REPO } from "../helpers/cli.js";

const TORCH = join(REPO, "dist", "src", "torch");

test("importing modalfuse/torch loads no libtorch, sets no variable, and starts no thread count", () => {
  const script = `
    const maps = () => require("node:fs").readFileSync("/proc/self/maps", "utf8");
    const env = JSON.stringify(process.env);
    import("modalfuse/torch").then((t) => {
      const quiet = !/libtorch|libc10|libvips/.test(maps()) && JSON.stringify(process.env) === env;
      t.configureRuntime({ threads: 1 });
      const stillQuiet = !/libtorch/.test(maps());
      const sum = t.tensor([1, 2, 3], [3]).sum().item();
      console.log(JSON.stringify({ quiet, stillQuiet, loaded: /libtorch/.test(maps()), threads: t.getNumThreads(), sum }));
    });`;
  const r = spawnSync(process.execPath, ["-e", script], { cwd: REPO, encoding: "utf8", env: { ...process.env, MODALFUSE_THREADS: "" } });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { quiet: true, stillQuiet: true, loaded: true, threads: 1, sum: 6 });
});

test("the engine's modules import nothing outside src/torch but Node's own and npm packages", () => {
  const files = (readdirSync(TORCH, { recursive: true }) as string[]).filter((f) => f.endsWith(".js"));
  assert.ok(files.length > 5);
  for (const file of files) {
    const source = readFileSync(join(TORCH, file), "utf8");
    for (const [, spec] of source.matchAll(/(?:from|import)\s*\(?\s*["'](\.[^"']+)["']/g)) {
      const target = resolve(dirname(join(TORCH, file)), spec as string);
      assert.ok(!relative(TORCH, target).startsWith(".."), `${file} imports ${spec}, outside the engine`);
    }
  }
});

test("the README's example trains an MLP on MNIST with modalfuse/torch alone", () => {
  const r = spawnSync(process.execPath, [join(REPO, "dist", "examples", "mlp-mnist.js")], { cwd: REPO, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const accuracy = Number(/epoch 3: test accuracy ([\d.]+)%/.exec(r.stdout)?.[1]);
  assert.ok(accuracy > 85, r.stdout);
});

test("memory() counts the tensors alive per device and their storages' bytes, a view's storage once", async () => {
  const t = await import("../../src/torch/index.js");
  const before = t.memory().cpu ?? { tensors: 0, bytes: 0 };
  const a = t.zeros([1000]);
  const view = a.narrow(0, 10, 100);
  const b = t.zeros([250], { dtype: "float64" });
  const during = t.memory().cpu ?? { tensors: 0, bytes: 0 };
  assert.equal(during.tensors - before.tensors, 3);
  assert.equal(during.bytes - before.bytes, 4000 + 2000, "the view adds no bytes of its own");
  for (const x of [a, view, b]) x.dispose();
  assert.deepEqual(t.memory().cpu ?? { tensors: 0, bytes: 0 }, before);
});
