// Cores this process may use: $MODALFUSE_THREADS (which `train --nproc N` sets to a share of
// the machine), else all of them.
import { availableParallelism } from "node:os";

export function processThreads(): number {
  const fromEnv = Number(process.env.MODALFUSE_THREADS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : availableParallelism();
}
