// What every group of cases is built with: a folder per case under one root, holding the
// good data set unless the case wants an empty one.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeGoodData } from "./data.js";
import type { Category, CorpusCase, Expect } from "./types.js";

export class Builder {
  constructor(
    readonly root: string,
    /** A trained run (tiny, one epoch) that run-directory cases copy; it was trained on the good data set. */
    readonly trainedRun: string,
  ) {}

  /** A fresh folder for one case: root/category/name, with the good data set (m.csv and media/) unless `empty`. */
  folder(category: Category, name: string, empty = false): string {
    const dir = join(this.root, category, name);
    mkdirSync(dir, { recursive: true });
    if (!empty) writeGoodData(dir);
    return dir;
  }
}

/** A user error: exit 2 and one stderr line that `line` matches. */
export function userError(category: Category, name: string, dir: string, args: string[], line: RegExp, outputs: string[] = []): CorpusCase {
  return { name: `${category}/${name}`, category, dir, args, expect: { status: 2, line }, outputs };
}

/** A command that must succeed and leave a line matching `line` in `file`. */
export function succeeds(category: Category, name: string, dir: string, args: string[], line: RegExp, file: string, outputs: string[]): CorpusCase {
  const expect: Expect = { status: 0, line, file };
  return { name: `${category}/${name}`, category, dir, args, expect, outputs };
}

/** Escapes text for use inside a RegExp. */
export function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
