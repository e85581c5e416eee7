// Run directories that cannot be used, and evaluate/predict arguments that point at the
// wrong things. Each case copies one small trained run and breaks one file of it; none of
// them may change a file it was given (predicting into the manifest it reads included).
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Builder, userError } from "../builder.js";
import { copy, safetensorsHeader, truncate } from "../bytes.js";
import { type Cells, goodRow, HEADER, put } from "../data.js";
import { writeCsv } from "../../helpers/cli.js";
import type { CorpusCase } from "../types.js";

const EVALUATE = ["evaluate", "run", "--data", "m.csv", "--quiet"];
const PREDICT = ["predict", "run", "--data", "m.csv", "--output", "p.csv", "--quiet"];
/** What evaluate and predict above may write. */
const WRITES = ["run/evaluation-m", "p.csv", "p.data_issues.csv"];

type Json = Record<string, unknown>;

export function runDirCases(b: Builder): CorpusCase[] {
  const cases: CorpusCase[] = [];
  /** A folder with the good data (m.csv) and a copy of the trained run (run/), then `edit` applied to it. */
  const add = (name: string, args: string[], line: RegExp, edit: (dir: string) => void = () => {}, outputs = WRITES) => {
    const dir = b.folder("run", name);
    cpSync(b.trainedRun, join(dir, "run"), { recursive: true });
    edit(dir);
    cases.push(userError("run", name, dir, args, line, outputs));
  };
  const editJson = (dir: string, change: (state: Json) => void) => {
    const path = join(dir, "run", "preprocess.json");
    const state = JSON.parse(readFileSync(path, "utf8")) as Json;
    change(state);
    writeFileSync(path, JSON.stringify(state, null, 2));
  };
  const input = (state: Json, kind: string) => (state.inputs as Json[]).find((i) => i.kind === kind)!;
  const editWeights = (dir: string, change: (file: Uint8Array) => Uint8Array) => {
    const path = join(dir, "run", "model.safetensors");
    writeFileSync(path, change(readFileSync(path)));
  };

  add("run-is-a-file", ["evaluate", "notes.txt", "--data", "m.csv", "--quiet"], /notes\.txt/, (dir) => put(dir, "notes.txt", "not a run\n"));
  add("no-preprocess-json", EVALUATE, /preprocess\.json/, (dir) => rmSync(join(dir, "run", "preprocess.json")));
  add("no-model-safetensors", EVALUATE, /model\.safetensors/, (dir) => rmSync(join(dir, "run", "model.safetensors")));
  add("preprocess-truncated", EVALUATE, /preprocess\.json/, (dir) => {
    const path = join(dir, "run", "preprocess.json");
    writeFileSync(path, truncate(readFileSync(path)));
  });
  add("preprocess-foreign-json", EVALUATE, /preprocess\.json/, (dir) => put(dir, "run/preprocess.json", '{"hello": 1}\n'));
  // A standard deviation of 0 divides every value by zero: the run must be refused, naming the file and the statistic.
  const namesStd = /(?=.*preprocess\.json)(?=.*\bstd\b)/;
  add("preprocess-tabular-std-zero", PREDICT, namesStd, (dir) =>
    editJson(dir, (s) => {
      ((input(s, "tabular").numeric as Json[])[0] as Json).std = 0;
    }),
  );
  add("preprocess-image-std-zero", EVALUATE, namesStd, (dir) => editJson(dir, (s) => void (input(s, "image").std = [0, 0, 0])));
  add("preprocess-no-classes", PREDICT, /(?=.*preprocess\.json)(?=.*\bclasses\b)/, (dir) => editJson(dir, (s) => void (s.classes = [])));
  add("preprocess-unknown-kind", EVALUATE, /(?=.*preprocess\.json)(?=.*\bvideo\b)/, (dir) => editJson(dir, (s) => void (input(s, "image").kind = "video")));

  add("weights-truncated", EVALUATE, /model\.safetensors/, (dir) => editWeights(dir, (f) => truncate(f)));
  add("weights-header-length-huge", EVALUATE, /model\.safetensors/, (dir) =>
    editWeights(dir, (f) => {
      const out = copy(f);
      new DataView(out.buffer).setBigUint64(0, 0xffff_ffff_ffffn, true);
      return out;
    }),
  );
  add("weights-shape-swapped", EVALUATE, /model\.safetensors/, (dir) =>
    editWeights(dir, (f) => {
      // Same element count, so the file itself stays consistent: only the model disagrees.
      const { header, withHeader } = safetensorsHeader(f);
      const entry = Object.entries(header).find(([name, e]) => name !== "__metadata__" && e.shape.length === 2 && e.shape[0] !== e.shape[1])![1];
      entry.shape = [entry.shape[1]!, entry.shape[0]!];
      return withHeader(header);
    }),
  );
  add("weights-tensor-missing", EVALUATE, /model\.safetensors/, (dir) =>
    editWeights(dir, (f) => {
      const { header, withHeader } = safetensorsHeader(f);
      delete header[Object.keys(header).find((name) => name !== "__metadata__")!];
      return withHeader(header);
    }),
  );

  // A run's config.yaml retrains it (README: `train RUN/config.yaml` repeats the run).
  const RETRAIN = ["train", "run/config.yaml", "--out", "again", "--quiet"];
  add("config-yaml-corrupt", RETRAIN, /config\.yaml/, (dir) => put(dir, "run/config.yaml", "data: {train: ../m.csv\nmodel: [\n"), ["again"]);

  // Arguments that aim outputs at inputs, at folders that do not exist, or at files.
  add("predict-output-is-the-data", ["predict", "run", "--data", "m.csv", "--output", "m.csv", "--quiet"], /m\.csv/, undefined, []);
  add("predict-output-in-missing-folder", ["predict", "run", "--data", "m.csv", "--output", "nowhere/p.csv", "--quiet"], /\bnowhere\b/, undefined, ["nowhere"]);
  add("predict-output-is-a-directory", ["predict", "run", "--data", "m.csv", "--output", "outdir", "--quiet"], /\boutdir\b/, (dir) => mkdirSync(join(dir, "outdir")), ["outdir"]);
  add("evaluate-out-is-a-file", ["evaluate", "run", "--data", "m.csv", "--out", "notes.txt", "--quiet"], /notes\.txt/, (dir) => put(dir, "notes.txt", "keep me\n"), []);
  add("evaluate-drop-unknown-input", [...EVALUATE, "--drop", "video"], /\bvideo\b/);
  add("evaluate-labels-never-trained", ["evaluate", "run", "--data", "other.csv", "--quiet"], /\boutcome\b/, (dir) => {
    const rows: Cells[] = Array.from({ length: 6 }, (_, i) => goodRow(dir, i)).map((r) => [...r.slice(0, -1), "maybe"]);
    writeCsv(join(dir, "other.csv"), HEADER, rows);
  }, ["run/evaluation-other"]);
  add("evaluate-lacks-an-input-column", ["evaluate", "run", "--data", "other.csv", "--quiet"], /\bscan\b/, (dir) => {
    const at = HEADER.indexOf("scan");
    const rows = Array.from({ length: 6 }, (_, i) => goodRow(dir, i)).map((r) => r.filter((_, j) => j !== at));
    writeCsv(join(dir, "other.csv"), HEADER.filter((_, j) => j !== at), rows);
  }, ["run/evaluation-other"]);
  return cases;
}
