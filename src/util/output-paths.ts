// Output paths checked before any work, so that a bad one is one line at once rather than a
// stack trace minutes later, and an output never replaces an input.
import { existsSync, realpathSync, statSync } from "node:fs";
import { access, constants, mkdir, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { UserError } from "../errors.js";

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

/** Creates `dir` if needed and checks that files can be written in it. */
export async function assertWritable(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
    const probe = join(dir, `.write-check-${process.pid}`);
    await writeFile(probe, "");
    await rm(probe, { force: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    const why = code === "EROFS" ? "read-only file system" : code === "EACCES" || code === "EPERM" ? "not writable" : code === "ENOTDIR" ? "a file is in the way" : code === "ENOSPC" ? "no space left" : (error as Error).message.split("\n")[0];
    throw new UserError(`${dir}: cannot write the run directory (${why})`);
  }
}

