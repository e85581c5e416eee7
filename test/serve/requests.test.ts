// Requests to rows: fields checked against the model's, media only as bytes (written into
// the request's own folder and removed with it), and limits on rows and bytes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import type { InputField } from "../../src/inputs/kind.js";
import { RequestError, RequestRows, rowsFromForm, rowsFromJson, type FormPart, type RowSchema } from "../../src/serve/requests.js";
import { MEDIA } from "../helpers/cli.js";

const fields: InputField[] = [
  { column: "age", type: "number", mean: 40, std: 10 },
  { column: "site", type: "category", values: ["a", "b"] },
  { column: "scan", type: "image", height: 8, width: 8 },
  { column: "note", type: "text", maxTokens: 16 },
];
const schema: RowSchema = { fields: new Map(fields.map((f) => [f.column, f])), id: "pid", label: "y", maxRows: 3, maxFormBytes: 4096 };
const png = readFileSync(join(MEDIA, "image", "red_blue.png"));

async function* partsOf(parts: FormPart[]): AsyncIterable<FormPart> {
  yield* parts;
}
const file = (fieldname: string, bytes: Buffer, filename = "f.bin"): FormPart => ({ type: "file", fieldname, filename, file: Readable.from([bytes]) });
const field = (fieldname: string, value: string): FormPart => ({ type: "field", fieldname, value });

async function rejects(work: (into: RequestRows) => Promise<void>, status: number, fieldName: string, message: RegExp): Promise<void> {
  const into = new RequestRows();
  try {
    await assert.rejects(work(into), (e: unknown) => e instanceof RequestError && e.status === status && e.field === fieldName && message.test(e.message));
  } finally {
    await into.dispose();
  }
}

test("a JSON row: numbers checked, media written from base64, absent columns missing, the label ignored", async () => {
  const into = new RequestRows();
  await rowsFromJson({ age: "41.5", site: "b", scan: `data:image/png;base64,${png.toString("base64")}`, y: "ill" }, schema, into);
  const [row] = into.rows;
  assert.equal(row?.age, 41.5);
  assert.equal(row?.site, "b");
  assert.equal(row?.note, null);
  assert.equal(row?.pid, null);
  assert.equal("y" in (row ?? {}), false);
  const path = row?.scan as string;
  assert.ok(readFileSync(path).equals(png), "the upload is the file's bytes");
  await into.dispose();
  assert.equal(existsSync(dirname(path)), false, "the request's folder is removed");
});

test("JSON mistakes name the field: not a number, unknown, a path or URL for media, too many rows", async () => {
  await rejects((into) => rowsFromJson({ age: "old" }, schema, into), 400, "age", /age: not a number/);
  await rejects((into) => rowsFromJson({ rows: [{ age: 1 }, { weight: 2 }] }, schema, into), 400, "weight", /rows\[1\]\.weight: unknown field/);
  await rejects((into) => rowsFromJson({ scan: "https://example.com/x.png" }, schema, into), 400, "scan", /base64/);
  await rejects((into) => rowsFromJson({ scan: Buffer.from("plain text").toString("base64") }, schema, into), 415, "scan", /not a PNG/);
  await rejects((into) => rowsFromJson({ rows: [{}, {}, {}, {}] }, schema, into), 413, "rows", /4 rows in one request; at most 3/);
  await rejects((into) => rowsFromJson({ note: { text: "x" } }, schema, into), 400, "note", /expected a text/);
  await rejects((into) => rowsFromJson([{ age: 1 }], schema, into), 400, "body", /JSON object/);
});

test("a form: fields and files by column; a path in a media field is refused; the bytes of a form are capped", async () => {
  const into = new RequestRows();
  await rowsFromForm(partsOf([field("age", "30"), field("pid", "p7"), file("scan", png)]), schema, into);
  assert.equal(into.rows[0]?.pid, "p7");
  assert.ok(readFileSync(into.rows[0]?.scan as string).equals(png));
  await into.dispose();
  await rejects((into) => rowsFromForm(partsOf([field("scan", "/etc/passwd")]), schema, into), 400, "scan", /send the file itself/);
  await rejects((into) => rowsFromForm(partsOf([file("age", png)]), schema, into), 400, "age", /not an image or audio/);
  await rejects((into) => rowsFromForm(partsOf([file("scan", png), file("other", Buffer.alloc(4096))]), schema, into), 413, "other", /exceed/);
});

test("a form with a CSV: its media cells must name files uploaded with it", async () => {
  const csv = Buffer.from("pid,age,scan\np1,20,img/a.png\np2,,\n");
  const into = new RequestRows();
  await rowsFromForm(partsOf([file("csv", csv, "rows.csv"), file("files", png, "a.png")]), schema, into);
  assert.deepEqual(into.rows.map((r) => [r.pid, r.age, r.scan === null]), [["p1", 20, false], ["p2", null, true]]);
  await into.dispose();
  await rejects((into) => rowsFromForm(partsOf([file("csv", csv, "rows.csv")]), schema, into), 400, "scan", /csv row 1, column scan: img\/a\.png was not uploaded with the CSV/);
});
