// The restricted unpickler on plain data that Python pickled (protocols 2-4), and on
// hand-written bytes it must refuse.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { PyDict, PyTuple, type PyValue } from "../../src/weights/pickle-values.js";
import { resolveTorchGlobal, storageFromPersistentId } from "../../src/weights/torch-pickle.js";
import { UnpicklingError, unpickle } from "../../src/weights/unpickler.js";
import { makeCheckpoints } from "./fixtures.js";

const read = (data: Buffer) => unpickle(data, { resolveGlobal: resolveTorchGlobal, persistentLoad: storageFromPersistentId });

/** JSON-like JS for comparing: tuples as {tuple: [...]}, dicts as objects, bigints as strings, bytes as hex. */
function plain(v: PyValue): unknown {
  if (typeof v === "bigint") return `${v}n`;
  if (Buffer.isBuffer(v)) return { bytes: v.toString("hex") };
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof PyTuple) return { tuple: v.items.map(plain) };
  if (v instanceof PyDict) return Object.fromEntries([...v.entries].map(([k, x]) => [String(k), plain(x)]));
  return v;
}

let dir = "";
before(() => {
  dir = makeCheckpoints("pickles");
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

for (const protocol of [2, 3, 4]) {
  test(`plain values pickled by Python (protocol ${protocol}) read back as they were` , () => {
    const value = plain(read(readFileSync(join(dir, `values_p${protocol}.pkl`))));
    assert.deepEqual(value, {
      list: [1, -2, 3.5, null, true, false, -1.25e-300],
      tuple: { tuple: [1, { tuple: [2, 3] }, { tuple: [] }] },
      ints: [0, 255, 256, 65535, 65536, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 40, -(2 ** 40), `${2n ** 53n}n`, `${2n ** 70n}n`, `${-(2n ** 70n)}n`],
      text: "héllo ✓",
      bytes: { bytes: "00ff" },
      nested: { x: [{}], y: { z: [] } },
      ordered: { b: 1, a: 2 },
      shared: [[1, 2], [1, 2]],
    });
  });
}

test("a memoised list is one object, as in Python" , () => {
  const value = read(readFileSync(join(dir, "values_p2.pkl"))) as PyDict;
  const shared = value.entries.get("shared") as PyValue[][];
  assert.equal(shared[0], shared[1]);
});

test("opcodes outside the restricted set are refused, naming the opcode", () => {
  // INST (protocol 0 object creation) and EXT1 (the extension registry).
  assert.throws(() => read(Buffer.from("\x80\x02(ios\nsystem\nX\x02\x00\x00\x00ls.", "latin1")), { name: "UnpicklingError", message: /opcode 0x69 at byte 3/ });
  assert.throws(() => read(Buffer.from("\x80\x02\x82\x01.", "latin1")), { message: /opcode 0x82 at byte 2/ });
});

test("malformed pickles are errors, never crashes or hangs", () => {
  const cases: [string, RegExp][] = [
    ["\x80\x02X\xff\xff\xff\x7fab", /ends early/],
    ["\x80\x02h\x05.", /memo 5 before writing it/],
    ["\x80\x02R.", /pops an empty stack/],
    ["\x80\x02K\x01K\x02.", /stops with 2 values/],
    ["\x80\x02]K\x01K\x02s.", /sets items on a list/],
    ["\x80\x02ccollections\nOrderedDict\nK\x01R.", /with an int instead of a tuple/],
    ["\x80\x02ctorch\nFloatStorage\n)R.", /calls torch\.FloatStorage, which is not a constructor/],
    ["\x80\x02(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x03\x00\x00\x00../X\x03\x00\x00\x00cpuK\x01tQ.", /storage key that is not a plain name/],
    ["\x80\x02", /ends early/],
  ];
  for (const [bytes, message] of cases) assert.throws(() => read(Buffer.from(bytes, "latin1")), (e: unknown) => e instanceof UnpicklingError && message.test(e.message), JSON.stringify(bytes));
});
