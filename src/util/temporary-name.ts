/**
 * A name beside `path` to write to before an atomic rename onto it: unique per process and
 * per call, since two writers of the same cache file can run at once (within one run, a
 * manifest named twice; across runs, two processes sharing a cache).
 */
export function temporaryName(path: string): string {
  return `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
}
