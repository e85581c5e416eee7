// A user error is a problem with what the user gave us (a config, a manifest, a flag).
// The CLI prints its message as one line and exits with code 2, never a stack trace.
export class UserError extends Error {
  override readonly name = "UserError";
}

/** Training stopped by SIGINT or SIGTERM; the run can be resumed. The CLI exits with 130. */
export class InterruptedError extends Error {
  override readonly name = "InterruptedError";
}

/**
 * A message as one printable line: control characters (from a damaged file's keys or
 * values, say) are shown escaped, as `\u0013`, so the terminal shows what the input held.
 */
export function printableLine(message: string): string {
  return message.replace(/[\x00-\x1f\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
