/**
 * Builds the quality data sets ahead of a benchmark run:
 *   node dist/bench/quality/datasets/build.js [name ...] [--root bench/out/quality/data]
 * With no names, builds all of them. A folder already at its data set's version is kept. The
 * default root is where `npm run bench:quality` looks for them.
 */
import { parseArgs } from "node:util";
import { DATASETS, ensureDataset } from "./index.js";

const { values, positionals } = parseArgs({ allowPositionals: true, options: { root: { type: "string", default: "bench/out/quality/data" } } });
for (const name of positionals.length > 0 ? positionals : Object.keys(DATASETS)) {
  const started = performance.now();
  const dir = await ensureDataset(name, values.root);
  console.log(`${name}: ${dir} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
}
