// The run directory's shared vocabulary: what the trainer writes and the report reads.

/** history.csv's columns, in order (SPEC.md). */
export const HISTORY_COLUMNS = ["epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds"] as const;

/** One row of history.csv: one epoch. A value the trainer could not measure is NaN. */
export type HistoryRow = Record<(typeof HISTORY_COLUMNS)[number], number>;
