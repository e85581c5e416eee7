// The shape of one bad-input case: plain data, so the corpus can be listed, counted and run
// by anything that spawns the CLI.

export type Category = "config" | "manifest" | "media" | "run" | "cli";

/**
 * What the contract requires of the command. A user error (status 2) prints one line on
 * stderr that `line` matches; a bad media file (status 0) leaves a line in `file` (relative
 * to the case folder, e.g. the run's data_issues.csv) that `line` matches.
 */
export type Expect = { status: 2; line: RegExp } | { status: 0; line: RegExp; file: string };

export interface CorpusCase {
  /** Unique within the corpus; also names the test. */
  name: string;
  category: Category;
  /** The case folder: the command runs there, and every file in it is hashed before and after. */
  dir: string;
  args: string[];
  expect: Expect;
  /** Paths (relative to `dir`) the command may write or change; every other file must stay byte-identical. */
  outputs: string[];
}

/** A case's command, as a key: cases that share a folder and arguments run the CLI once. */
export function commandKey(c: Pick<CorpusCase, "dir" | "args">): string {
  return JSON.stringify([c.dir, c.args]);
}
