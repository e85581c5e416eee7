// Nothing in a checkpoint is ever run. Payloads that torch.load would execute (each would
// create a marker file) are refused with one line naming what they call, and the marker
// never appears; damaged, legacy, and foreign files each get one clear line.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../../src/errors.js";
import { readWeights } from "../../src/weights/index.js";
import { PYTHON, makeCheckpoints } from "./fixtures.js";

let dir = "";
before(() => {
  dir = makeCheckpoints("safety");
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The one-line UserError that reading `file` gives. */
async function refusal(file: string): Promise<string> {
  const error = await readWeights(file).then(
    () => assert.fail(`${file} was read`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof UserError, `not a UserError: ${String(error)}`);
  assert.doesNotMatch(error.message, /\n/);
  return error.message;
}

const PAYLOADS: [string, RegExp][] = [
  ["os_system", /refused os\.system: it names code/],
  ["builtins_eval", /refused builtins\.eval/],
  ["getattr", /refused __builtin__\.getattr/],
  ["hidden_in_tensor", /refused os\.system/],
  ["stack_global", /refused os\.system/],
];

for (const [name, message] of PAYLOADS) {
  test(`a checkpoint calling ${name} is refused and nothing runs; torch.load would have run it`, async () => {
    const marker = join(dir, `${name}.ran`);
    assert.match(await refusal(join(dir, `evil_${name}.pth`)), message);
    assert.equal(existsSync(marker), false, "the payload ran");
    // The bare pickle (no zip) is refused before any unpickling.
    assert.match(await refusal(join(dir, `evil_${name}.pkl`)), /legacy PyTorch checkpoint/);
    assert.equal(existsSync(marker), false, "the payload ran");
    // The control: the same file under torch.load (weights_only=False) does run it.
    spawnSync(PYTHON, ["-c", "import sys, torch; torch.load(sys.argv[1])", join(dir, `evil_${name}.pth`)]);
    assert.equal(existsSync(marker), true, "the payload is not live, so the test proves nothing");
  });
}

test("a legacy (pre-zip) checkpoint asks for a re-save with a recent torch", async () => {
  assert.match(await refusal(join(dir, "legacy.pth")), /legacy PyTorch checkpoint .*re-save it with torch 1\.13 or later/);
});

test("a TorchScript archive is told apart from a checkpoint", async () => {
  assert.match(await refusal(join(dir, "torchscript.pt")), /a TorchScript archive \(torch\.jit\.save\), not a checkpoint/);
});

test("big-endian byte order is refused", async () => {
  assert.match(await refusal(join(dir, "bigendian.pth")), /big-endian byte order; modalfuse reads little-endian checkpoints only/);
});

test("a truncated checkpoint and a damaged storage are each one line", async () => {
  const whole = readFileSync(join(dir, "little.pth"));
  for (const keep of [whole.length - 10, Math.floor(whole.length / 2), 100]) {
    const file = join(dir, `truncated-${keep}.pth`);
    writeFileSync(file, whole.subarray(0, keep));
    assert.match(await refusal(file), /truncated/);
  }
  // One byte of the stored floats flipped: the zip's CRC catches it.
  const damaged = Buffer.from(whole);
  const at = damaged.indexOf(Buffer.from(new Float32Array([0, 1, 2, 3]).buffer));
  assert.ok(at > 0);
  damaged[at + 5] = (damaged[at + 5] as number) ^ 0xff;
  writeFileSync(join(dir, "damaged.pth"), damaged);
  assert.match(await refusal(join(dir, "damaged.pth")), /data\/0 cannot be read \(.*\); the file may be truncated or damaged/);
});

test("files that are not checkpoints are one line each", async (t) => {
  const folder = dir || (await import("node:fs")).mkdtempSync(join((await import("node:os")).tmpdir(), "mf-weights-"));
  t.after(() => {
    if (!dir) rmSync(folder, { recursive: true, force: true });
  });
  const write = (name: string, data: string | Buffer) => {
    writeFileSync(join(folder, name), data);
    return join(folder, name);
  };
  assert.match(await refusal(write("notes.txt", "these are not weights\n")), /not a checkpoint modalfuse reads \(expected a PyTorch \.pth\/\.pt zip checkpoint or a \.safetensors file\)/);
  assert.match(await refusal(write("empty.pth", "")), /an empty file/);
  assert.match(await refusal(join(folder, "missing.pth")), /missing\.pth: no such file/);
  assert.match(await refusal(folder), /a folder, not a checkpoint file/);
  // A zip, but not torch's.
  const AdmZip = (await import("adm-zip")).default;
  const zip = new AdmZip();
  zip.addFile("readme.txt", Buffer.from("hello"));
  assert.match(await refusal(write("other.zip", zip.toBuffer())), /a zip archive, but not a PyTorch checkpoint/);
  // A safetensors header that lies about its tensors.
  const header = Buffer.from(JSON.stringify({ w: { dtype: "F32", shape: [4], data_offsets: [0, 16] } }));
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(header.length));
  assert.match(await refusal(write("short.safetensors", Buffer.concat([size, header, Buffer.alloc(8)]))), /not a valid safetensors file \(tensor w has bad data_offsets\)/);
});

test("a whole pickled model (not a state dict) is refused with a hint to save its state_dict", async () => {
  const AdmZip = (await import("adm-zip")).default;
  const zip = new AdmZip();
  // torch.save(model): the pickle names the model's class.
  zip.addFile("archive/data.pkl", Buffer.from("\x80\x02ctorchvision.models.resnet\nResNet\nq\x00)\x81q\x01.", "latin1"));
  const { decodeWeights } = await import("../../src/weights/read.js");
  assert.throws(() => decodeWeights(zip.toBuffer(), "model.pth"), {
    name: "UserError",
    message: "model.pth: refused torchvision.models.resnet.ResNet: it names code, and modalfuse reads only tensor data from a checkpoint (nothing in it was run); if this is a whole model saved with torch.save(model), save model.state_dict() instead",
  });
});
