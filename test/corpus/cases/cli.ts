// Command lines that are wrong in themselves: unknown commands and options, options without
// their value, numbers out of range, and outputs aimed at files that exist.
import { type Builder, userError } from "../builder.js";
import { put, tabularConfig, yaml } from "../data.js";
import type { CorpusCase } from "../types.js";

export function cliCases(b: Builder): CorpusCase[] {
  const cases: CorpusCase[] = [];
  /** A folder with the good data, a tabular config.yaml and notes.txt (a file that must never be written). */
  const add = (name: string, args: string[], line: RegExp, outputs: string[] = ["run", "runs", "demo"]) => {
    const dir = b.folder("cli", name);
    put(dir, "config.yaml", yaml(tabularConfig()));
    put(dir, "notes.txt", "keep me\n");
    cases.push(userError("cli", name, dir, args, line, outputs));
  };
  // A demo that got past its arguments would build this many rows and train one epoch: small, if it happens.
  const DEMO = ["demo", "--out", "demo", "--quiet"];

  add("unknown-command", ["fly"], /\bfly\b/);
  add("unknown-option", ["train", "config.yaml", "--epochs", "3"], /--epochs\b/);
  add("option-without-value", ["train", "config.yaml", "--out"], /--out\b/);
  add("missing-argument", ["train"], /\bconfig\b/);
  add("evaluate-without-data", ["evaluate", "run"], /--data\b/);
  add("predict-output-without-value", ["predict", "run", "--data", "m.csv", "--output"], /--output\b/);
  add("demo-samples-zero", [...DEMO, "--samples", "0", "--epochs", "1"], /--samples\b/);
  add("demo-samples-not-a-number", [...DEMO, "--samples", "abc"], /--samples\b/);
  add("demo-epochs-negative", [...DEMO, "--samples", "24", "--epochs", "-1"], /--epochs\b/);
  add("demo-epochs-zero", [...DEMO, "--samples", "24", "--epochs", "0"], /--epochs\b/);
  add("demo-preset-unknown", [...DEMO, "--preset", "huge"], /--preset\b/);
  add("demo-out-is-a-file", ["demo", "--out", "notes.txt", "--samples", "24", "--epochs", "1", "--quiet"], /notes\.txt/, ["demo"]);
  add("compare-seeds-zero", ["compare", "config.yaml", "--seeds", "0", "--quiet"], /--seeds\b/);
  add("compare-fusion-unknown", ["compare", "config.yaml", "--fusions", "concat,sum", "--quiet"], /\bsum\b/);
  add("time-limit-a-word", ["train", "config.yaml", "--time-limit", "abc", "--quiet"], /--time-limit|time_limit/);
  add("set-without-value", ["train", "config.yaml", "--set"], /--set\b/);
  add("table-without-label", ["train", "m.csv", "--quiet"], /--label\b/);
  add("config-with-label", ["train", "config.yaml", "--label", "outcome", "--quiet"], /--label\b/);
  add("init-on-a-config", ["init", "config.yaml", "--label", "outcome"], /config\.yaml/);
  add("train-out-is-a-file", ["train", "config.yaml", "--out", "notes.txt", "--quiet"], /notes\.txt/, []);
  add("train-out-under-a-file", ["train", "config.yaml", "--out", "notes.txt/run", "--quiet"], /notes\.txt/, []);
  add("doctor-unknown-option", ["doctor", "--bogus"], /--bogus\b/);
  return cases;
}
