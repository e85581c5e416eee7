// Why the native engine is not there, in one line that says what to do. npm hides what
// the install step printed (scripts/install.mjs), so the first command that needs the
// engine says it, from build/install-status.json, which that step writes.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The engine is missing or cannot load: a problem of the installation, reported as one line. */
export class EngineUnavailableError extends Error {
  override readonly name = "EngineUnavailableError";
}

interface InstallStatus {
  built: boolean;
  /** What the build lacked, and the Debian package providing it. */
  missing?: { what: string; apt: string }[];
  skipped?: string;
  log?: string;
}

/** A checkout of modalfuse builds with make; an installed package with `modalfuse setup`. */
export function isCheckout(root: string): boolean {
  return existsSync(join(root, "Makefile"));
}

/** The command that (re)builds the addons where modalfuse is. */
export function rebuildCommand(root: string): string {
  return isCheckout(root) ? "make build" : "npx modalfuse setup";
}

function readStatus(root: string): InstallStatus | null {
  try {
    return JSON.parse(readFileSync(join(root, "build", "install-status.json"), "utf8")) as InstallStatus;
  } catch {
    return null;
  }
}

const SETUP = "`npx modalfuse setup`";

/** The line for a missing build/Release/modalfuse_native.node. */
export function notBuiltMessage(root: string, file: string): string {
  if (isCheckout(root)) return `the native engine is not built (${file} is missing): run \`make build\``;
  const status = readStatus(root);
  const missing = status?.missing ?? [];
  if (missing.length) {
    const apt = [...new Set(missing.map((m) => m.apt))].join(" ");
    return `the native engine is not built: ${missing.map((m) => m.what).join(", ")} not found when modalfuse was installed; run ${SETUP} to install ${apt} with apt-get (as root or with sudo) and build it`;
  }
  if (status?.skipped) return `the native engine is not built (${status.skipped} at install): build it with ${SETUP}`;
  if (status?.log) return `the native engine failed to build when modalfuse was installed (output in ${status.log}): run ${SETUP} to build it again`;
  return `the native engine is not built (${file} is missing): run ${SETUP} to install libtorch-dev, g++ and make with apt-get (as root or with sudo) and build it`;
}

/** The line for an addon that exists but does not load (e.g. libtorch removed since the build). */
export function loadFailedMessage(root: string, error: unknown): string {
  const first = (error instanceof Error ? error.message : String(error)).split("\n")[0];
  const rebuild = isCheckout(root) ? "make clean build" : "npx modalfuse setup";
  return `the native engine does not load (${first}): run \`${rebuild}\` to build it again`;
}
