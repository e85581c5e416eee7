// A user error is a problem with what the user gave us (a config, a manifest, a flag).
// The CLI prints its message as one line and exits with code 2, never a stack trace.
export class UserError extends Error {
  override readonly name = "UserError";
}

/** Training stopped by SIGINT or SIGTERM; the run can be resumed. The CLI exits with 130. */
export class InterruptedError extends Error {
  override readonly name = "InterruptedError";
}
