// Micro-batching: requests that arrive within a short window share one forward pass. A
// batch closes when the window ends or it holds maxRows rows; batches run one at a time,
// so scoring never holds the event loop for longer than one batch. When the rows waiting
// exceed maxQueue, a new request is refused at once (the server answers 503).

export interface BatcherOptions {
  /** How long the first request of a batch waits for others, in ms (0: batching off). */
  windowMs: number;
  maxRows: number;
  maxQueue: number;
}

/** Rows of one kind that can share a batch (requests with and without explanations cannot). */
export interface Job<R, T> {
  rows: R[];
  group: string;
  resolve(results: T[]): void;
  reject(error: unknown): void;
}

export class QueueFull extends Error {
  constructor() {
    super("the prediction queue is full");
  }
}

export class Batcher<R, T> {
  private queue: Job<R, T>[] = [];
  private queuedRows = 0;
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    private readonly options: BatcherOptions,
    /** Scores the rows of one batch (all of one group) and returns a result per row, in order. */
    private readonly score: (rows: R[], group: string) => Promise<T[]>,
    private readonly onBatch: (rows: number) => void = () => {},
  ) {}

  submit(rows: R[], group: string): Promise<T[]> {
    if (this.queuedRows + rows.length > this.options.maxQueue && this.queuedRows > 0) return Promise.reject(new QueueFull());
    return new Promise<T[]>((resolve, reject) => {
      this.queue.push({ rows, group, resolve, reject });
      this.queuedRows += rows.length;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running || this.queue.length === 0) return;
    const full = this.rowsOfNextGroup() >= this.options.maxRows;
    if (full || this.options.windowMs === 0) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      void this.runBatch();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.runBatch();
      }, this.options.windowMs);
    }
  }

  private rowsOfNextGroup(): number {
    const group = this.queue[0]?.group;
    return this.queue.filter((j) => j.group === group).reduce((n, j) => n + j.rows.length, 0);
  }

  /** Takes the oldest request's group, up to maxRows (a larger request goes alone), and scores it. */
  private async runBatch(): Promise<void> {
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    const group = (this.queue[0] as Job<R, T>).group;
    const jobs: Job<R, T>[] = [];
    let rows = 0;
    this.queue = this.queue.filter((job) => {
      if (job.group !== group || (jobs.length > 0 && rows + job.rows.length > this.options.maxRows)) return true;
      jobs.push(job);
      rows += job.rows.length;
      return false;
    });
    this.queuedRows -= rows;
    try {
      const results = await this.score(
        jobs.flatMap((j) => j.rows),
        group,
      );
      this.onBatch(rows);
      let offset = 0;
      for (const job of jobs) {
        job.resolve(results.slice(offset, offset + job.rows.length));
        offset += job.rows.length;
      }
    } catch (error) {
      for (const job of jobs) job.reject(error);
    } finally {
      this.running = false;
      this.schedule();
    }
  }
}
