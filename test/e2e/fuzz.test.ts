// Bounded, seeded fuzzing of everything the CLI reads: 40 rounds, each cutting or changing
// the bytes of one file (a picture, a recording, the manifest, or a trained run's
// preprocess.json, model.safetensors or config.yaml), then training, evaluating or
// predicting with it. Half the manifest, preprocess.json and config.yaml rounds change one
// value (a cell, a number, a key) instead of bytes, keeping the syntax so the damage gets
// past the parser. Whatever the bytes, the process must end by itself: exit 0, or exit 2
// with one plain line; never a signal, never a crash's trace, never a change to a file it
// was given. A damaged media file never stops training (on_bad_file: missing).
//
// The rounds are drawn before any runs, from one seed, so a failing round is reproduced
// by its number alone; two run at a time.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Random } from "../../src/util/random.js";
import { mutate } from "../corpus/bytes.js";
import { mutateCsv, mutateJson, mutateYaml } from "../corpus/values.js";
import { baseConfig, HEADER, put, writeGoodData, yaml } from "../corpus/data.js";
import { controlCharacters, crashTrace, firstLines, lines, type Outcome, runCase } from "../corpus/run.js";
import { runCli, tempDir } from "../helpers/cli.js";

const SEED = 20240611;
const ROUNDS = 40;
const TARGETS = ["image", "audio", "manifest", "preprocess.json", "model.safetensors", "config.yaml"] as const;
type Target = (typeof TARGETS)[number];

interface Round {
  name: string;
  dir: string;
  args: string[];
  outputs: string[];
  /** Only a damaged media file has a required exit (0): everything else may also be refused (2). */
  statuses: number[];
}

const root = tempDir("mf-fuzz-");
const TRAIN = ["train", "config.yaml", "--out", "run", "--quiet"];

/** One small trained run that run-file rounds copy, as the corpus does. */
function trainBase(): string {
  const dir = join(root, "_base");
  writeGoodData(dir);
  put(dir, "config.yaml", yaml(baseConfig()));
  const r = runCli(TRAIN, dir);
  if (r.status !== 0) throw new Error(`the fuzz test's base run did not train (exit ${r.status}):\n${r.stderr}`);
  return join(dir, "run");
}

/** The safetensors header's end: half the weight files' rounds aim there, where a change means most. */
function headerEnd(bytes: Uint8Array): number {
  return bytes.length < 8 ? bytes.length : 8 + Number(Buffer.from(bytes.buffer, bytes.byteOffset, 8).readBigUInt64LE(0));
}

function planRound(index: number, target: Target, random: Random, baseRun: string): Round {
  const dir = join(root, `round-${String(index).padStart(2, "0")}-${target.replace(/\W/g, "-")}`);
  const rows = writeGoodData(dir);
  put(dir, "config.yaml", yaml(baseConfig()));
  const damage = (rel: string, focus?: (bytes: Uint8Array) => number) => {
    const path = join(dir, rel);
    const bytes = readFileSync(path);
    const { bytes: out, what } = mutate(bytes, random, focus?.(bytes));
    writeFileSync(path, out);
    return `round ${index}: ${rel}, ${what}`;
  };
  /** Byte damage or, as often, one value changed by `edit` with the syntax kept. */
  const damageText = (rel: string, edit: (text: string, random: Random) => { text: string; what: string }) => {
    if (random.chance(0.5)) return damage(rel);
    const path = join(dir, rel);
    const { text, what } = edit(readFileSync(path, "utf8"), random);
    writeFileSync(path, text);
    return `round ${index}: ${rel}, ${what}`;
  };
  switch (target) {
    case "image":
    case "audio": {
      const column = HEADER.indexOf(target === "image" ? "scan" : "voice");
      const rel = String(rows[random.int(0, rows.length - 1)]![column]);
      return { name: damage(rel), dir, args: TRAIN, outputs: ["run"], statuses: [0] };
    }
    case "manifest":
      return { name: damageText("m.csv", mutateCsv), dir, args: TRAIN, outputs: ["run"], statuses: [0, 2] };
    case "preprocess.json":
      cpSync(baseRun, join(dir, "run"), { recursive: true });
      return { name: damageText("run/preprocess.json", mutateJson), dir, args: ["evaluate", "run", "--data", "m.csv", "--quiet"], outputs: ["run/evaluation-m"], statuses: [0, 2] };
    case "model.safetensors": {
      cpSync(baseRun, join(dir, "run"), { recursive: true });
      const aimAtHeader = random.chance(0.5);
      const name = damage("run/model.safetensors", aimAtHeader ? headerEnd : undefined);
      return { name, dir, args: ["predict", "run", "--data", "m.csv", "--output", "p.csv", "--quiet"], outputs: ["p.csv", "p.data_issues.csv"], statuses: [0, 2] };
    }
    case "config.yaml":
      cpSync(baseRun, join(dir, "run"), { recursive: true });
      return { name: damageText("run/config.yaml", mutateYaml), dir, args: ["train", "run/config.yaml", "--out", "again", "--quiet"], outputs: ["again"], statuses: [0, 2] };
  }
}

const baseRun = trainBase();
const random = new Random(SEED);
const rounds = Array.from({ length: ROUNDS }, (_, i) => planRound(i, TARGETS[i % TARGETS.length]!, random, baseRun));

function check(round: Round, o: Outcome): void {
  const shown = `modalfuse ${round.args.join(" ")}  (in ${round.dir}, ${o.seconds.toFixed(1)} s)\n${firstLines(o)}`;
  assert.ok(!o.timedOut, `did not finish in time: ${shown}`);
  assert.equal(o.signal, null, `killed by ${o.signal}: ${shown}`);
  const trace = crashTrace(o.stderr) ?? crashTrace(o.stdout);
  assert.equal(trace, null, `a crash's trace reached the user ("${trace}"): ${shown}`);
  assert.ok(round.statuses.includes(o.status ?? -1), `exit ${o.status}, expected ${round.statuses.join(" or ")}: ${shown}`);
  if (o.status === 2) {
    const printed = lines(o.stderr);
    assert.equal(printed.length, 1, `expected one line on stderr, got ${printed.length}: ${shown}`);
    assert.ok(!controlCharacters(printed[0]!), `the line holds control characters: ${JSON.stringify(printed[0])}`);
  }
  assert.deepEqual(o.changed, [], `files given to the command changed: ${shown}`);
}

let failures = 0;

describe(`fuzz: ${ROUNDS} rounds from seed ${SEED}`, { concurrency: 2 }, () => {
  for (const round of rounds) {
    it(round.name, async () => {
      try {
        check(round, await runCase(round.dir, round.args, round.outputs));
      } catch (error) {
        failures++;
        throw error;
      }
    });
  }
});

// The round folders stay for a look when a round failed; the messages name them.
after(() => {
  if (failures === 0) rmSync(root, { recursive: true, force: true });
});
