// The bad-input corpus (test/corpus/build.ts) through the real CLI: 134 cases (config 30,
// manifest 21, media 40, run directory 21, command line 22; `node dist/test/corpus/build.js`
// prints the count). Per SPEC.md, each user error exits 2 with exactly one plain line naming
// the file, key, column or row; each bad media file leaves training to finish (exit 0) with
// a row in data_issues.csv naming it; nothing ever shows a crash's trace; and no command
// changes a file it was given.
//
// Cases that share a folder and a command (the media files, all in one manifest) run it
// once. Two commands run at a time: most of each one's cost is starting Node and libtorch.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { buildCorpus } from "../corpus/build.js";
import { controlCharacters, crashTrace, firstLines, lines, type Outcome, runCase } from "../corpus/run.js";
import { commandKey, type CorpusCase } from "../corpus/types.js";

const corpus = buildCorpus();
const outcomes = new Map<string, Promise<Outcome>>();

function outcomeOf(c: CorpusCase): Promise<Outcome> {
  const key = commandKey(c);
  let outcome = outcomes.get(key);
  if (!outcome) {
    // Cases sharing a command share its outputs too: the union is what the command may write.
    const outputs = corpus.cases.filter((o) => commandKey(o) === key).flatMap((o) => o.outputs);
    outcome = runCase(c.dir, c.args, outputs);
    outcomes.set(key, outcome);
  }
  return outcome;
}

function check(c: CorpusCase, o: Outcome): void {
  const shown = `modalfuse ${c.args.join(" ")}  (in ${c.dir}, ${o.seconds.toFixed(1)} s)\n${firstLines(o)}`;
  assert.ok(!o.timedOut, `did not finish in time: ${shown}`);
  assert.equal(o.signal, null, `killed by ${o.signal}: ${shown}`);
  const trace = crashTrace(o.stderr) ?? crashTrace(o.stdout);
  assert.equal(trace, null, `a crash's trace reached the user ("${trace}"): ${shown}`);
  assert.equal(o.status, c.expect.status, `expected exit ${c.expect.status}, got ${o.status}: ${shown}`);
  if (c.expect.status === 2) {
    const printed = lines(o.stderr);
    assert.equal(printed.length, 1, `expected one line on stderr, got ${printed.length}: ${shown}`);
    const line = printed[0]!;
    assert.ok(!controlCharacters(line), `the line holds control characters: ${JSON.stringify(line)}`);
    assert.match(line, c.expect.line, `the line does not name what is wrong: ${shown}`);
  } else {
    const path = join(c.dir, c.expect.file);
    assert.ok(existsSync(path), `${c.expect.file} was not written: ${shown}`);
    const written = lines(readFileSync(path, "utf8"));
    assert.ok(written.some((l) => c.expect.line.test(l)), `no line of ${c.expect.file} matches ${c.expect.line}:\n${written.join("\n")}`);
  }
  assert.deepEqual(o.changed, [], `files given to the command changed: ${shown}`);
}

let failures = 0;

describe("bad-input corpus", { concurrency: 2 }, () => {
  for (const c of corpus.cases) {
    it(c.name, async () => {
      try {
        check(c, await outcomeOf(c));
      } catch (error) {
        failures++;
        throw error;
      }
    });
  }
});

// The case folders stay for a look when a case failed; the messages name them.
after(() => {
  if (failures === 0) rmSync(corpus.root, { recursive: true, force: true });
});
