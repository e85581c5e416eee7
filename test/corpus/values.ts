// Damage that keeps a file's syntax: one value of a JSON or YAML document, or one cell of a
// CSV, replaced by an awkward one. Byte damage mostly breaks the syntax, which the first
// parser catches; these reach the code that trusts the values.
import YAML from "yaml";
import type { Random } from "../../src/util/random.js";

/** Values that are legal JSON but wrong almost anywhere they land. */
const AWKWARD_VALUES: unknown[] = [0, -1, 0.5, 1e308, -1e308, 2 ** 31, 1e-300, "", "x", "NaN", null, true, [], {}, [0], { column: "a" }];

/** Cells that a manifest may well hold: blanks, non-numbers, extremes, odd paths and text. */
const AWKWARD_CELLS = ["", "NaN", "inf", "-1e309", "1e309", "x".repeat(5000), '"', "media", "media/../m.csv", "/", "🙂", "yes", "no", "0", "-0", " "];

type Path = (string | number)[];

/** Every position in a document (the root excluded) where a value could be replaced. */
function paths(value: unknown, at: Path = []): Path[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => [[...at, i], ...paths(v, [...at, i])]);
  if (typeof value === "object" && value !== null) return Object.entries(value).flatMap(([k, v]) => [[...at, k], ...paths(v, [...at, k])]);
  return [];
}

/** The document with one value replaced, or one key deleted. */
function replaceOne(doc: unknown, random: Random): { doc: unknown; what: string } {
  const all = paths(doc);
  if (all.length === 0) return { doc: random.pick(AWKWARD_VALUES), what: "the whole document replaced" };
  const path = random.pick(all);
  let parent = doc as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (typeof last === "string" && random.chance(0.2)) {
    delete parent[last];
    return { doc, what: `${path.join(".")} deleted` };
  }
  const value = random.pick(AWKWARD_VALUES);
  parent[last] = value;
  return { doc, what: `${path.join(".")} = ${JSON.stringify(value)}` };
}

export function mutateJson(text: string, random: Random): { text: string; what: string } {
  const { doc, what } = replaceOne(JSON.parse(text) as unknown, random);
  return { text: JSON.stringify(doc, null, 2), what };
}

export function mutateYaml(text: string, random: Random): { text: string; what: string } {
  const { doc, what } = replaceOne(YAML.parse(text) as unknown, random);
  return { text: YAML.stringify(doc), what };
}

/** One cell of a plain CSV (no quoted fields, as the test data has) replaced; the header too, now and then. */
export function mutateCsv(text: string, random: Random): { text: string; what: string } {
  const rows = text.replace(/\n$/, "").split("\n").map((line) => line.split(","));
  const row = random.chance(0.1) ? 0 : random.int(1, rows.length - 1);
  const cells = rows[row]!;
  const column = random.int(0, cells.length - 1);
  const cell = random.pick(AWKWARD_CELLS);
  // A cell with a quote, comma or line break is written quoted, as a CSV writer would.
  cells[column] = /[",\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
  const shown = cell.length > 20 ? `${JSON.stringify(cell.slice(0, 8))}… (${cell.length} characters)` : JSON.stringify(cell);
  return { text: rows.map((r) => r.join(",")).join("\n") + "\n", what: `line ${row + 1}, field ${column + 1} = ${shown}` };
}
