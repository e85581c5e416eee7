// The op surface generated from one table (scripts/ops/table.mjs): every entry is a native
// export with a wrapper, argument errors name the op and the argument, the committed
// generated files are what the generator writes, and a new entry yields all three pieces.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import * as torch from "../../src/torch/index.js";
import { F, Tensor, ones, randn, tidy } from "../../src/torch/index.js";
import { native } from "../../src/torch/native.js";
import { packageRoot } from "../../src/torch/package-root.js";

interface TableArg {
  name: string;
  type: string;
}
interface TableOp {
  name: string;
  args: TableArg[];
  method?: true | string;
  functional?: true | string;
}
interface Generator {
  OUTPUTS: string[];
  generate(table: string, outDir: string): Promise<Record<string, string>>;
}

const root = packageRoot();
const tablePath = join(root, "scripts/ops/table.mjs");
const loadTable = async () => ((await import(pathToFileURL(tablePath).href)) as { ops: TableOp[] }).ops;
const loadGenerator = async () => (await import(pathToFileURL(join(root, "scripts/gen-ops.mjs")).href)) as Generator;

// Table ops whose public wrapper is hand-written (it checks or adapts arguments first).
const HAND_WRAPPED: Record<string, () => unknown> = {
  conv1d: () => F.conv1d,
  conv2d: () => F.conv2d,
  pad: () => F.pad,
  cat: () => torch.cat,
  stack: () => torch.stack,
  einsum: () => torch.einsum,
};

test("every table entry is registered natively and has a wrapper", async () => {
  const ops = await loadTable();
  assert.ok(ops.length > 100, `the table holds the regular ops (${ops.length})`);
  const binding = native as unknown as Record<string, unknown>;
  const methods = Tensor.prototype as unknown as Record<string, unknown>;
  const functions = F as unknown as Record<string, unknown>;
  for (const op of ops) {
    const exports = op.args.some((a) => a.type === "Tensor|Scalar") ? [op.name, `${op.name}Scalar`] : [op.name];
    for (const name of exports) assert.equal(typeof binding[name], "function", `native export ${name}`);
    const wrappers: unknown[] = [];
    if (op.method) wrappers.push(methods[op.method === true ? op.name : op.method]);
    if (op.functional) wrappers.push(functions[op.functional === true ? op.name : op.functional]);
    if (!op.method && !op.functional) wrappers.push(HAND_WRAPPED[op.name]?.());
    for (const w of wrappers) assert.equal(typeof w, "function", `a wrapper of ${op.name}`);
  }
});

test("an argument error names the op and the argument", () => {
  tidy(() => {
    const x = randn([1, 2, 5, 5]);
    const w = randn([3, 2, 3, 3]);
    const groups = "two" as unknown as number;
    assert.throws(() => native.conv2d(x.handle, w.handle, null, [1, 1], [0, 0], [1, 1], groups), (e: Error) => {
      assert.ok(e instanceof TypeError);
      assert.equal(e.message, "conv2d: argument groups: expected an integer");
      return true;
    });
    assert.throws(() => x.softmax("last" as unknown as number), /^TypeError: softmax: argument dim: expected an integer$/);
    assert.throws(() => x.sum("all" as unknown as number), /^TypeError: sum: argument dims: expected an array of integers$/);
    assert.throws(() => F.crossEntropy(randn([2, 3]), ones([2], { dtype: "int64" }), { reduction: "avg" as "mean" }), /^TypeError: crossEntropy: argument reduction: unknown reduction: avg$/);
    const other = randn([2]);
    const handle = other.handle;
    other.dispose();
    assert.throws(() => native.mul(x.handle, handle), /^Error: mul: argument other: tensor was disposed$/);
  });
});

test("defaults live in the table: absent arguments take them natively", () => {
  tidy(() => {
    const x = torch.tensor([1, 5, 3, 4, 2, 6], [2, 3]);
    assert.deepEqual(new Tensor(native.sum(x.handle)).toArray(), [21]);
    assert.deepEqual(new Tensor(native.topk(x.handle, 1)[0]).toArray(), [5, 6]);
    // int[2]: one number stands for both dims.
    const img = randn([1, 1, 4, 4]);
    assert.deepEqual(F.maxPool2d(img, 2).shape, F.maxPool2d(img, [2, 2], { stride: [2, 2] }).shape);
    assert.deepEqual(new Tensor(native.maxPool2d(img.handle, 2)).shape, [1, 1, 2, 2]);
  });
});

test("the committed generated files are what the generator writes", async () => {
  const gen = await loadGenerator();
  const out = mkdtempSync(join(tmpdir(), "ops-"));
  const files = await gen.generate(tablePath, out);
  for (const path of gen.OUTPUTS) {
    assert.equal(readFileSync(join(root, path), "utf8"), files[path], `${path} is out of date: run node scripts/gen-ops.mjs`);
  }
});

test("a new table entry generates the registration, the binding and the wrappers", async () => {
  const gen = await loadGenerator();
  const dir = mkdtempSync(join(tmpdir(), "ops-table-"));
  const table = join(dir, "table.mjs");
  writeFileSync(
    table,
    `import { ops as base } from ${JSON.stringify(pathToFileURL(tablePath).href)};
export const ops = [...base, { name: "expm1", args: [{ name: "self", type: "Tensor" }, { name: "scale", type: "float", default: 1 }], returns: "Tensor", aten: "at::expm1", order: ["self"], method: true, functional: true }];\n`,
  );
  const files = await gen.generate(table, join(dir, "out"));
  const [cc, ops, functional] = gen.OUTPUTS.map((p) => files[p] ?? "");
  assert.match(cc ?? "", /Def\(env, exports, "expm1", \[\]\(const Info& i\) -> Napi::Value \{\n {4}auto&& a0 = Arg\(i, "expm1", "self", 0, Unwrap\);\n {4}auto&& a1 = IsAbsent\(i\[1\]\) \? double\{1\.0\} : Arg\(i, "expm1", "scale", 1, Double\);\n {4}return Wrap\(i\.Env\(\), at::expm1\(a0\)\);/);
  assert.match(ops ?? "", /\n {2}expm1\(self: H, scale\?: number\): H;\n/);
  assert.match(ops ?? "", /\n {2}expm1\(scale\?: number\): Tensor \{\n {4}return wrap\(native\.expm1\(this\.handle, scale\)\);/);
  assert.match(functional ?? "", /\nexport function expm1\(x: Tensor, scale\?: number\): Tensor \{\n {2}return new Tensor\(native\.expm1\(x\.handle, scale\)\);/);
});
