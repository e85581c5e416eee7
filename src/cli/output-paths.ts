// Output paths checked before any work, so that a bad one is one line at once rather than a
// stack trace minutes later, and an output never replaces an input.
import { existsSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { UserError } from "../errors.js";
import { assertWritable } from "../training/run-dir.js";

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/** A file to be written at `path` (`option` names it in messages): its folder exists and is writable, and it is none of `inputs`. */
export async function checkOutputFile(path: string, option: string, inputs: string[]): Promise<void> {
  const target = real(path);
  for (const input of inputs) if (real(input) === target) throw new UserError(`${option} ${path}: is an input (${basename(input)}); write the output to another file`);
  if (existsSync(path) && statSync(path).isDirectory()) throw new UserError(`${option} ${path}: a folder, not a file`);
  const folder = dirname(resolve(path));
  if (!existsSync(folder)) throw new UserError(`${option} ${path}: the folder ${folder} does not exist`);
  if (!statSync(folder).isDirectory()) throw new UserError(`${option} ${path}: ${folder} is a file, not a folder`);
  await assertWritable(folder).catch((error: unknown) => {
    throw new UserError(`${option} ${path}: ${(error as Error).message.replace(`${folder}: `, "")}`);
  });
}

/** A folder to write into (created when missing): not a file, and writable. */
export async function checkOutputFolder(path: string, option: string): Promise<void> {
  if (existsSync(path) && !statSync(path).isDirectory()) throw new UserError(`${option} ${path}: a file, not a folder`);
  await assertWritable(path).catch((error: unknown) => {
    throw new UserError(`${option} ${path}: ${(error as Error).message.replace(`${path}: `, "")}`);
  });
}
