// nn modules: PyTorch's parameter names and initialisation, train/eval behaviour,
// attention against torch.nn.MultiheadAttention, state dicts through safetensors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { F, loadSafetensors, manualSeed, nn, noGrad, ones, randn, saveSafetensors, tensor, tidy, zeros, type Tensor } from "../../src/torch/index.js";
import { assertClose, makeInputs, probeLike, runReference, toTensors } from "../helpers/reference.js";

test("parameters and buffers carry PyTorch's names", () => {
  const model = new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.BatchNorm2d(2), new nn.ReLU(), new nn.Flatten(), new nn.Linear(8, 3));
  assert.deepEqual([...model.stateDict().keys()], ["0.weight", "0.bias", "1.weight", "1.bias", "4.weight", "4.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked"]);
  assert.equal(model.numParameters(), 2 * 9 + 2 + 2 + 2 + 24 + 3);
  const mha = new nn.MultiheadAttention(8, 2);
  assert.deepEqual([...mha.stateDict().keys()], ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]);
  model.dispose();
  mha.dispose();
});

test("default initialisation follows PyTorch: U(-1/sqrt(fan_in), 1/sqrt(fan_in))", () => {
  manualSeed(1);
  const linear = new nn.Linear(400, 300);
  const bound = 1 / Math.sqrt(400);
  const w = linear.weight.toArray();
  assert.ok(w.every((v) => Math.abs(v) <= bound));
  const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
  assertClose([std], [bound / Math.sqrt(3)], "weight std", 0.02, 0);
  const conv = new nn.Conv2d(16, 32, 3);
  assert.ok(conv.weight.toArray().every((v) => Math.abs(v) <= 1 / Math.sqrt(16 * 9)));
  linear.dispose();
  conv.dispose();
});

test("dropout zeroes about p of its input in training, scales the rest, and is the identity in eval", () => {
  const drop = new nn.Dropout(0.3);
  tidy(() => {
    const x = ones([20000]);
    const y = drop.forward(x).toArray();
    const zeroed = y.filter((v) => v === 0).length / y.length;
    assert.ok(Math.abs(zeroed - 0.3) < 0.02, `zeroed fraction ${zeroed}`);
    assert.ok(y.filter((v) => v !== 0).every((v) => Math.abs(v - 1 / 0.7) < 1e-6));
    drop.eval();
    assert.ok(drop.forward(x).toArray().every((v) => v === 1));
  });
});

test("batch norm updates its running statistics as PyTorch does, and uses them in eval", () => {
  const wire = makeInputs("bn", { x: { shape: [6, 3], grad: false } });
  const { results } = runReference([
    { name: "stats", inputs: wire, expr: "(lambda rm, rv: (F.batch_norm(x, rm, rv, training=True, momentum=0.1), torch.cat([rm, rv]))[1])(torch.zeros(3), torch.ones(3))" },
  ]);
  const bn = new nn.BatchNorm1d(3);
  tidy(() => {
    const { x } = toTensors(wire) as { x: Tensor };
    bn.forward(x);
    assertClose([...bn.runningMean.toArray(), ...bn.runningVar.toArray()], results.stats?.out?.data ?? [], "running stats");
    assert.equal(bn.numBatchesTracked.item(), 1);
    bn.eval();
    const expected = x.sub(bn.runningMean).div(bn.runningVar.add(1e-5).sqrt());
    assertClose(bn.forward(x).toArray(), expected.toArray(), "eval output");
  });
  bn.dispose();
});

test("multi-head attention matches torch.nn.MultiheadAttention, padding mask included", () => {
  const wire = makeInputs("mha", {
    q: { shape: [2, 3, 4] },
    wi: { shape: [12, 4], grad: false },
    bi: { shape: [12], grad: false },
    wo: { shape: [4, 4], grad: false },
    bo: { shape: [4], grad: false },
    mask: { shape: [2, 3], kind: "bool" },
  });
  // Every row keeps its first key, so no row is fully masked.
  for (const row of [0, 3]) wire.mask!.data[row] = 0;
  const expr =
    "(lambda m: (m.in_proj_weight.data.copy_(wi), m.in_proj_bias.data.copy_(bi), m.out_proj.weight.data.copy_(wo), m.out_proj.bias.data.copy_(bo), m(q, q, q, key_padding_mask=mask, need_weights=False)[0])[-1])(nn.MultiheadAttention(4, 2, batch_first=True))";
  const { results } = runReference([{ name: "mha", inputs: wire, expr }]);
  const ref = results.mha;
  assert.ok(ref?.out, ref?.error);
  const mha = new nn.MultiheadAttention(4, 2);
  tidy(() => {
    const t = toTensors(wire) as Record<string, Tensor>;
    mha.loadStateDict(new Map([["in_proj_weight", t.wi!], ["in_proj_bias", t.bi!], ["out_proj.weight", t.wo!], ["out_proj.bias", t.bo!]]));
    const out = mha.forward(t.q!, t.q!, t.q!, { keyPaddingMask: t.mask! }).output;
    assertClose(out.toArray(), ref.out?.data ?? [], "attention output");
    out.mul(probeLike(out)).sum().backward();
    assertClose(t.q!.grad!.toArray(), ref.grads?.q ?? [], "attention gradient");
  });
  mha.dispose();
});

test("masked keys have no influence on attention output", () => {
  const mha = new nn.MultiheadAttention(8, 2);
  tidy(() => {
    const x = randn([1, 4, 8]);
    const mask = tensor([0, 0, 1, 1], [1, 4], { dtype: "bool" });
    const a = mha.forward(x, x, x, { keyPaddingMask: mask }).output.select(1, 0);
    const changed = x.clone();
    noGrad(() => changed.narrow(1, 2, 2).copy_(randn([1, 2, 8]).mul(100)));
    const b = mha.forward(x, changed, changed, { keyPaddingMask: mask }).output.select(1, 0);
    assertClose(a.toArray(), b.toArray(), "output with masked keys changed", 1e-6, 1e-6);
  });
  mha.dispose();
});

test("a state dict survives a safetensors round trip and reproduces the outputs", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mf-st-"));
  manualSeed(3);
  const make = () => new nn.Sequential(new nn.Conv2d(2, 4, 3, { padding: 1 }), new nn.BatchNorm2d(4), new nn.ReLU(), new nn.AdaptiveAvgPool2d(1), new nn.Flatten(), new nn.Linear(4, 2));
  const a = make();
  const x = randn([3, 2, 5, 5]);
  tidy(() => a.forward(x)); // moves batch-norm statistics away from their initial values
  a.eval();
  await saveSafetensors(join(dir, "m.safetensors"), a.stateDict(), { format: "pt" });
  const b = make().eval();
  const { tensors, metadata } = await loadSafetensors(join(dir, "m.safetensors"));
  b.loadStateDict(tensors);
  assert.equal(metadata.format, "pt");
  tidy(() => assertClose(b.forward(x).toArray(), a.forward(x).toArray(), "outputs after reload", 0, 0));
  assert.equal(tensors.get("1.num_batches_tracked")?.dtype, "int64");
  for (const t of tensors.values()) t.dispose();
  a.dispose();
  b.dispose();
  x.dispose();
});

test("safetensors bytes follow the format exactly", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mf-st-"));
  const t = tensor([1, 2], [2]);
  const path = join(dir, "one.safetensors");
  await saveSafetensors(path, new Map([["w", t]]));
  const { readFileSync } = await import("node:fs");
  const bytes = readFileSync(path);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  assert.equal(headerLength % 8, 0);
  assert.deepEqual(JSON.parse(bytes.subarray(8, 8 + headerLength).toString()), { w: { dtype: "F32", shape: [2], data_offsets: [0, 8] } });
  assert.deepEqual([...new Float32Array(bytes.buffer.slice(bytes.byteOffset + 8 + headerLength, bytes.byteOffset + 16 + headerLength))], [1, 2]);
  t.dispose();
});

test("a broken safetensors file is refused with a clear message", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mf-st-"));
  const bad = join(dir, "bad.safetensors");
  const header = Buffer.from(JSON.stringify({ w: { dtype: "F32", shape: [4], data_offsets: [0, 16] } }));
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(header.length));
  writeFileSync(bad, Buffer.concat([size, header, Buffer.alloc(8)]));
  await assert.rejects(loadSafetensors(bad), /bad\.safetensors: not a valid safetensors file \(tensor w has bad data_offsets\)/);
  writeFileSync(bad, "hello");
  await assert.rejects(loadSafetensors(bad), /not a valid safetensors file/);
});

test("loading a state dict that does not fit names what is wrong", () => {
  const m = new nn.Linear(3, 2);
  const wrongShape = new Map([["weight", zeros([2, 4])], ["bias", zeros([2])]]);
  assert.throws(() => m.loadStateDict(wrongShape), /^Error: state dict does not fit the model: tensor weight has shape \[2, 4\], expected \[2, 3\]$/);
  assert.throws(() => m.loadStateDict(new Map([["weight", zeros([2, 3])]])), /^Error: state dict does not fit the model: tensor bias is missing \(expected shape \[2\]\)$/);
  const extra = new Map([["weight", zeros([2, 4])], ["bias", zeros([2])], ["scale", zeros([1])]]);
  assert.throws(() => m.loadStateDict(extra), /^Error: state dict does not fit the model: tensor weight has shape \[2, 4\], expected \[2, 3\] \(and 1 more tensor that does not fit\)$/);
  extra.get("weight")?.dispose();
  extra.set("weight", zeros([2, 3]));
  assert.throws(() => m.loadStateDict(extra), /^Error: state dict does not fit the model: tensor scale \(shape \[1\]\) is not part of the model$/);
  const before = m.stateDict().get("weight")?.toArray();
  const lastWrong = new Map([["weight", ones([2, 3])], ["bias", zeros([3])]]);
  assert.throws(() => m.loadStateDict(lastWrong), /tensor bias has shape \[3\], expected \[2\]/);
  assert.deepEqual(m.stateDict().get("weight")?.toArray(), before, "nothing is copied from a state dict that does not fit");
  for (const t of [...wrongShape.values(), ...extra.values(), ...lastWrong.values()]) t.dispose();
  m.dispose();
});

test("layers compute what their names say", () => {
  tidy(() => {
    const emb = new nn.Embedding(5, 3, { paddingIdx: 0 });
    assert.deepEqual(emb.weight.select(0, 0).toArray(), [0, 0, 0]);
    assert.deepEqual(emb.forward(tensor([[1, 0]].flat(), [1, 2], { dtype: "int64" })).shape, [1, 2, 3]);
    const seq = new nn.Sequential(new nn.Conv2d(3, 8, 3, { padding: 1 }), new nn.MaxPool2d(2), new nn.Conv2d(8, 4, 3, { stride: 2 }), new nn.AdaptiveAvgPool2d(1), new nn.Flatten());
    assert.deepEqual(seq.forward(ones([2, 3, 16, 16])).shape, [2, 4]);
    const ln = new nn.LayerNorm(6);
    const y = ln.forward(randn([4, 6]).mul(5).add(3));
    assertClose(y.mean(1).toArray(), [0, 0, 0, 0], "layer norm mean", 0, 1e-5);
    const enc = new nn.TransformerEncoderLayer(8, 2, 16, 0);
    assert.deepEqual(enc.forward(randn([2, 5, 8])).shape, [2, 5, 8]);
    const logits = new nn.Linear(4, 3).forward(ones([2, 4]));
    assert.deepEqual(F.crossEntropy(logits, tensor([0, 2], [2], { dtype: "int64" })).shape, []);
    for (const m of [emb, seq, ln, enc]) m.dispose();
  });
});

test("grouped and depthwise Conv2d: PyTorch's weight shape and fan-in, torch.nn's output, and one-line errors naming the argument", () => {
  manualSeed(3);
  const depthwise = new nn.Conv2d(6, 12, 5, { groups: 6, padding: 2, bias: false });
  assert.deepEqual(depthwise.weight.shape, [12, 1, 5, 5]);
  // Each output sees one input channel, so PyTorch's bound is 1/sqrt(1 · 5 · 5).
  assert.ok(depthwise.weight.toArray().every((v) => Math.abs(v) <= 1 / 5));
  assert.ok(depthwise.weight.abs().amax().item() > 0.9 / 5, "the bound is the per-group fan-in, not the full one");
  assert.match(depthwise.toString(), /Conv2d\(6 → 12, 5x5, pad 2, groups 6\)/);
  const wire = makeInputs("depthwise layer", { x: { shape: [2, 6, 7, 7] } });
  const [expected] = [runReference([{ name: "d", inputs: { ...wire, w: { shape: [12, 1, 5, 5], dtype: "float32", data: depthwise.weight.toArray(), grad: false } }, expr: "nn.functional.conv2d(x, w, None, padding=2, groups=6)" }]).results.d];
  tidy(() => {
    const x = toTensors(wire).x as Tensor;
    assertClose(depthwise.forward(x).toArray(), expected?.out?.data ?? [], "depthwise Conv2d");
    assertClose(new nn.Hardswish().forward(x).toArray(), F.hardswish(x).toArray(), "Hardswish layer", 0, 0);
    assertClose(new nn.Hardsigmoid().forward(x).toArray(), F.hardsigmoid(x).toArray(), "Hardsigmoid layer", 0, 0);
    const oneLine = (fn: () => unknown, pattern: RegExp) =>
      assert.throws(fn, (error: Error) => {
        assert.match(error.message, pattern);
        assert.ok(!error.message.includes("\n"), error.message);
        return true;
      });
    oneLine(() => new nn.Conv2d(6, 12, 3, { groups: 4 }), /^Conv2d: groups=4 must divide both inChannels \(6\) and outChannels \(12\)$/);
    oneLine(() => new nn.Conv1d(4, 4, 3, { groups: 0 }), /^Conv1d: groups must be a positive integer, got 0$/);
    oneLine(() => F.conv2d(x, depthwise.weight, null, { groups: 3 }), /^conv2d: groups=3 with weight \[12, 1, 5, 5\] takes 3 input channels, got 6 \(input \[2, 6, 7, 7\]\)$/);
    oneLine(() => F.conv2d(x, depthwise.weight, null, { groups: 5 }), /^conv2d: groups=5 does not divide the weight's 12 output channels/);
    oneLine(() => F.conv2d(x, depthwise.weight, null, { groups: 1.5 }), /^conv2d: groups must be a positive integer, got 1\.5$/);
    oneLine(() => F.conv1d(ones([1, 4, 9]), ones([4, 1, 3]), null, { groups: 2 }), /^conv1d: groups=2 with weight \[4, 1, 3\] takes 2 input channels, got 4/);
  });
  depthwise.dispose();
});
