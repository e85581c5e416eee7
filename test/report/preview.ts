// Renders example reports for eyeballing: `node dist/test/report/preview.js [OUT]`
// (default /tmp/report-preview). Not a test; the pictures are for a human to look at.
import { join } from "node:path";
import { writeReport } from "../../src/report/index.js";
import { compareCsv, makeRunDir, robustnessCsv } from "./run-fixture.js";

const LONG_CLASSES = [
  "concert", "lecture", "sports", "wedding reception with live band", "street market",
  "protest", "religious service", "theatre", "classroom", "stadium crowd noise at night", "fireworks", "<script>x</script>",
];

const variants = {
  realistic: {},
  "many-classes": { classes: LONG_CLASSES, epochs: 60, encoders: 5, imageLayers: 30, issues: 75 },
  minimal: { classes: ["no", "yes"], epochs: 1, encoders: 1, issues: 0 },
  experiments: { extra: { "compare.csv": compareCsv(), "robustness.csv": robustnessCsv() } },
  "experiments-no-units": {
    extra: { "compare.csv": compareCsv([["tabular", "concat", 0.61], ["audio", "concat", 0.55], ["audio+tabular", "gated", 0.7]], [0]), "robustness.csv": robustnessCsv(false) },
  },
};

const out = process.argv[2] ?? "/tmp/report-preview";
for (const [name, options] of Object.entries(variants)) {
  const dir = await makeRunDir(options, join(out, name));
  const { files } = await writeReport(dir);
  console.log(files.join("\n"));
}
