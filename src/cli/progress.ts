// A one-line progress display on stderr. On a terminal it redraws in place; elsewhere
// (logs, CI) it prints a line per stage and per epoch only. `quiet` prints nothing.
export class Progress {
  #lastDraw = 0;
  #stage = "";
  constructor(
    private readonly quiet: boolean,
    private readonly tty = Boolean(process.stderr.isTTY),
  ) {}

  /** A counter within a stage, e.g. files decoded. */
  update(stage: string, done: number, total: number): void {
    if (this.quiet) return;
    if (!this.tty) {
      if (stage !== this.#stage) process.stderr.write(`${stage}: ${total} to do\n`);
      this.#stage = stage;
      return;
    }
    const now = performance.now();
    if (done < total && now - this.#lastDraw < 80) return;
    this.#lastDraw = now;
    this.#stage = stage;
    const width = 28;
    const filled = total ? Math.round((width * done) / total) : width;
    process.stderr.write(`\r\x1b[2K${stage} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total}`);
    if (done >= total) process.stderr.write("\n");
  }

  /** A finished line (an epoch), kept on screen. */
  line(text: string): void {
    if (this.quiet) return;
    process.stderr.write(this.tty ? `\r\x1b[2K${text}\n` : `${text}\n`);
  }
}
