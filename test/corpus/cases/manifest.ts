// Manifests that cannot be trained on: absent, empty, ragged, in another encoding, not the
// format their name says, a folder, without the columns the config names, or without two
// classes. Each must stop with one line naming the manifest and what is wrong in it.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { Random } from "../../../src/util/random.js";
import { type Builder, userError } from "../builder.js";
import { noise, truncate } from "../bytes.js";
import { baseConfig, type Cells, copyFixture, goodRow, HEADER, LABEL, patched, put, tabularConfig, yaml } from "../data.js";
import { writeCsv } from "../../helpers/cli.js";
import type { CorpusCase } from "../types.js";

const TRAIN = ["train", "config.yaml", "--out", "run", "--quiet"];

/** Plain rows without media, for manifests that only need numbers and labels. */
function tableRows(count: number, label: (i: number) => string = (i) => (i % 2 === 0 ? "yes" : "no")): Cells[] {
  return Array.from({ length: count }, (_, i) => [`r${i}`, i % 2 === 0 ? 4 + i * 0.1 : 1 + i * 0.1, i % 5, ["north", "south"][i % 2]!, "", "", "", label(i)]);
}

function csvText(header: string[], rows: Cells[]): string {
  return [header, ...rows].map((r) => r.join(",")).join("\n") + "\n";
}

export function manifestCases(b: Builder): CorpusCase[] {
  const cases: CorpusCase[] = [];
  /** A case training the tabular config on `manifest`, whose bytes are `content` (written only when given). */
  const add = (name: string, manifest: string, content: string | Uint8Array | null, line: RegExp, config: Record<string, unknown> = tabularConfig(manifest)) => {
    const dir = b.folder("manifest", name, true);
    if (content !== null) put(dir, manifest, content);
    put(dir, "config.yaml", yaml(config));
    cases.push(userError("manifest", name, dir, TRAIN, line, ["run"]));
  };
  /** A zero-configuration case: `args` after the command run on the folder's files. */
  const zero = (name: string, files: Record<string, string | Uint8Array>, args: string[], line: RegExp) => {
    const dir = b.folder("manifest", name, true);
    for (const [rel, content] of Object.entries(files)) put(dir, rel, content);
    // init has no progress output, so no --quiet either.
    const quiet = args[0] === "init" ? [] : ["--quiet"];
    cases.push(userError("manifest", name, dir, [...args, ...quiet], line, ["runs"]));
  };
  const good = csvText(HEADER, tableRows(12));
  const random = new Random(7);

  add("absent", "nope.csv", null, /nope\.csv/);
  add("empty-file", "m.csv", "", /m\.csv/);
  add("header-only", "m.csv", HEADER.join(",") + "\n", /m\.csv: .*\brows?\b/);
  {
    // The third data row (line 4 of the file, row 2 counting from 0) has a field too many.
    const lines = good.split("\n");
    const extra = [...lines.slice(0, 3), lines[3] + ",surplus", ...lines.slice(4)].join("\n");
    add("ragged-row", "m.csv", extra, /m\.csv.*\b(line 4|row [23])\b/);
  }
  add("unclosed-quote", "m.csv", good.replace("r3,", '"r3,'), /m\.csv.*(quote|line \d)/i);
  add("missing-label-column", "m.csv", csvText(HEADER.slice(0, -1), tableRows(12).map((r) => r.slice(0, -1))), /\boutcome\b/);
  add("missing-input-column", "m.csv", good, /\bweight\b/, patched(tabularConfig(), { data: { tabular: { numeric: ["a", "weight"] } } }));
  {
    // The same table saved as UTF-16 (what some spreadsheet exports write).
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(good, "utf16le")]);
    add("utf16-encoded", "m.csv", utf16, /m\.csv/);
  }
  add("random-bytes", "m.csv", noise(random, 4096), /m\.csv/);
  add("parquet-that-is-csv", "m.parquet", good, /m\.parquet/);
  {
    const rows = tableRows(12);
    const parquet = new Uint8Array(
      parquetWriteBuffer({
        columnData: [
          { name: "id", data: rows.map((r) => String(r[0])), type: "STRING" },
          { name: "a", data: rows.map((r) => Number(r[1])), type: "DOUBLE" },
          { name: "b", data: rows.map((r) => Number(r[2])), type: "DOUBLE" },
          { name: "site", data: rows.map((r) => String(r[3])), type: "STRING" },
          { name: LABEL, data: rows.map((r) => String(r[7])), type: "STRING" },
        ],
      }),
    );
    add("parquet-truncated", "m.parquet", truncate(parquet), /m\.parquet/);
  }
  {
    const name = "manifest-is-a-directory";
    const dir = b.folder("manifest", name, true);
    mkdirSync(join(dir, "tables"));
    put(dir, "config.yaml", yaml(tabularConfig("tables")));
    cases.push(userError("manifest", name, dir, TRAIN, /\btables\b/, ["run"]));
  }
  add("all-labels-empty", "m.csv", csvText(HEADER, tableRows(12, () => "")), /^(?!.*undefined).*\boutcome\b.*\b(no|empty)\b/);
  add("one-class", "m.csv", csvText(HEADER, tableRows(12, () => "yes")), /\boutcome\b.*\bone class\b/);
  add("duplicate-column", "m.csv", csvText(["id", "a", "a", "site", "scan", "voice", "note", LABEL], tableRows(12)), /\ba\b.*\btwice\b/);
  {
    const v = csvText(["id", "a", "site", LABEL], tableRows(6).map((r) => [r[0]!, r[1]!, r[3]!, r[7]!]));
    const name = "validation-lacks-a-column";
    const dir = b.folder("manifest", name, true);
    put(dir, "m.csv", good);
    put(dir, "v.csv", v);
    put(dir, "config.yaml", yaml(patched(tabularConfig(), { data: { validation: "v.csv" } })));
    cases.push(userError("manifest", name, dir, TRAIN, /v\.csv.*\bb\b/, ["run"]));
  }
  {
    // on_bad_file: error stops the run at a bad file: the line names the file and its row.
    const name = "bad-file-with-on-bad-file-error";
    const dir = b.folder("manifest", name);
    const rows = Array.from({ length: 12 }, (_, i) => goodRow(dir, i));
    rows[3]![4] = copyFixture(dir, "broken/truncated.png", "media/bad.png");
    writeCsv(join(dir, "m.csv"), HEADER, rows);
    put(dir, "config.yaml", yaml(patched(baseConfig(), { data: { on_bad_file: "error" } })));
    cases.push(userError("manifest", name, dir, TRAIN, /(?=.*bad\.png)(?=.*\brow 3\b)/, ["run"]));
  }

  // Zero configuration: the table and its label column come from the command line.
  zero("zero-config-missing-label", { "m.csv": good }, ["train", "m.csv", "--label", "nope"], /\bnope\b/);
  zero("zero-config-continuous-label", { "m.csv": csvText(HEADER, tableRows(30, (i) => String(10 + i * 1.37))) }, ["train", "m.csv", "--label", LABEL], /\boutcome\b/);
  zero("init-missing-label", { "m.csv": good }, ["init", "m.csv", "--label", "nope"], /\bnope\b/);
  zero("init-parquet-that-is-csv", { "m.parquet": good }, ["init", "m.parquet", "--label", LABEL], /m\.parquet/);
  return cases;
}
