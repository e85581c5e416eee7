// Builds run directories the way the trainer writes them, for the report tests and previews.
// Numbers are made up but consistent: per-class scores are computed from the confusion matrix.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ArchEncoder, ArchLayer, Architecture, ClassScores, HistoryRow, SplitMetrics } from "../../src/report/index.js";

export interface FixtureOptions {
  classes?: string[];
  epochs?: number;
  encoders?: number;
  /** Layers in the image encoder (long lists get elided in the picture). */
  imageLayers?: number;
  issues?: number;
  /** Leave these files out of the directory. */
  omit?: string[];
  /** Extra files, name → content. */
  extra?: Record<string, string | Uint8Array>;
}

export const DEFAULT_CLASSES = ["concert", "lecture", "sports"];

export function makeHistory(epochs: number): HistoryRow[] {
  return Array.from({ length: epochs }, (_, i) => {
    const e = i + 1;
    const wobble = 0.03 * Math.sin(e * 1.7);
    const train_loss = 1.05 * Math.exp(-e / 7) + 0.12 + wobble / 2;
    // Validation bottoms out around epoch 9, then creeps up: mild overfitting.
    const val_loss = 0.9 * Math.exp(-e / 5) + 0.25 + 0.004 * Math.max(0, e - 9) ** 1.2 + wobble;
    return {
      epoch: e,
      train_loss,
      train_accuracy: Math.min(0.995, 1 - 0.62 * Math.exp(-e / 6) - wobble / 3),
      val_loss,
      val_accuracy: Math.min(0.97, 0.93 - 0.55 * Math.exp(-e / 4) - 0.002 * Math.max(0, e - 9) + wobble / 2),
      lr: 0.001 * 0.5 ** Math.floor(e / 20),
      seconds: 4 + 0.3 * Math.cos(e),
    };
  });
}

/** A confusion matrix with most mass on the diagonal and a few systematic confusions. */
export function makeConfusion(n: number, perClass = 50, seed = 1): number[][] {
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => {
      if (i === j) return 0;
      const h = Math.abs(Math.sin((i + 1) * 12.9898 + (j + 1) * 78.233 + seed) * 43758.5453) % 1;
      return h > 0.8 ? Math.round(h * 8) - 4 : j === (i + 1) % n ? 2 : 0;
    }),
  ).map((row, i) => {
    const off = row.reduce((s, v) => s + v, 0);
    row[i] = Math.max(1, perClass - off);
    return row;
  });
}

export function scoresFrom(classes: string[], confusion: number[][], loss?: number): SplitMetrics {
  const per_class: Record<string, ClassScores> = {};
  let correct = 0;
  let total = 0;
  classes.forEach((c, i) => {
    const tp = confusion[i]![i]!;
    const support = confusion[i]!.reduce((s, v) => s + v, 0);
    const predicted = confusion.reduce((s, row) => s + row[i]!, 0);
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    per_class[c] = { precision, recall, f1, support };
    correct += tp;
    total += support;
  });
  const f1s = Object.values(per_class).map((s) => s.f1);
  const split: SplitMetrics = { accuracy: correct / total, macro_f1: f1s.reduce((a, b) => a + b, 0) / f1s.length, per_class, confusion };
  if (loss !== undefined) split.loss = loss;
  return split;
}

const relu = (shape: Array<number | string>): ArchLayer => ({ name: "ReLU", detail: "", output: shape });

function imageLayers(count: number): ArchLayer[] {
  const layers: ArchLayer[] = [];
  let channels = 3;
  let size = 64;
  while (layers.length < count - 3) {
    const next = Math.min(128, channels === 3 ? 32 : channels * 2);
    layers.push({ name: "Conv2d", detail: `${channels} → ${next}, 3×3`, output: ["N", next, size, size] });
    layers.push({ name: "BatchNorm2d", detail: String(next), output: ["N", next, size, size] });
    layers.push(relu(["N", next, size, size]));
    size = Math.max(1, size / 2);
    layers.push({ name: "MaxPool2d", detail: "2×2", output: ["N", next, size, size] });
    channels = next;
  }
  layers.length = Math.max(0, count - 3);
  layers.push({ name: "AdaptiveAvgPool2d", detail: "1×1", output: ["N", channels, 1, 1] });
  layers.push({ name: "Flatten", detail: "", output: ["N", channels] });
  layers.push({ name: "Linear", detail: `${channels} → 128`, output: ["N", 128] });
  return layers.slice(-count);
}

export function makeArchitecture(encoders: number, classes: number, imageLayerCount = 14): Architecture {
  const all: ArchEncoder[] = [
    {
      modality: "tabular",
      input: ["N", 13],
      layers: [
        { name: "Linear", detail: "13 → 64", output: ["N", 64] },
        { name: "BatchNorm1d", detail: "64", output: ["N", 64] },
        relu(["N", 64]),
        { name: "Dropout", detail: "p = 0.1", output: ["N", 64] },
        { name: "Linear", detail: "64 → 128", output: ["N", 128] },
      ],
      output: ["N", 128],
      missing: "learned embedding",
    },
    { modality: "image", input: ["N", 3, 64, 64], layers: imageLayers(imageLayerCount), output: ["N", 128], missing: "learned embedding" },
    {
      modality: "audio",
      input: ["N", 1, 64, 94],
      layers: [
        { name: "Conv2d", detail: "1 → 32, 3×3", output: ["N", 32, 64, 94] },
        relu(["N", 32, 64, 94]),
        { name: "MaxPool2d", detail: "2×2", output: ["N", 32, 32, 47] },
        { name: "Conv2d", detail: "32 → 64, 3×3", output: ["N", 64, 32, 47] },
        relu(["N", 64, 32, 47]),
        { name: "AdaptiveAvgPool2d", detail: "1×1", output: ["N", 64, 1, 1] },
        { name: "Linear", detail: "64 → 128", output: ["N", 128] },
      ],
      output: ["N", 128],
      missing: "learned embedding",
    },
    { modality: "image", input: ["N", 3, 32, 32], layers: imageLayers(6), output: ["N", 128] },
    { modality: "audio", input: ["N", 1, 40, 50], layers: [{ name: "Linear", detail: "2000 → 128", output: ["N", 128] }], output: ["N", 128] },
  ];
  const used = all.slice(0, encoders);
  const fused = 128 * encoders;
  return {
    preset: "standard",
    parameters: 123456 + 98765 * encoders,
    encoders: used,
    fusion: { name: "concat", detail: `${encoders} × 128 → ${fused}`, output: ["N", fused] },
    head: {
      layers: [
        { name: "Linear", detail: `${fused} → 128`, output: ["N", 128] },
        relu(["N", 128]),
        { name: "Dropout", detail: "p = 0.2", output: ["N", 128] },
        { name: "Linear", detail: `128 → ${classes}`, output: ["N", classes] },
      ],
      output: ["N", classes],
    },
  };
}

export function historyCsv(history: HistoryRow[]): string {
  const cols = ["epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds"] as const;
  return [cols.join(","), ...history.map((r) => cols.map((c) => (c === "epoch" ? String(r[c]) : r[c].toFixed(6))).join(","))].join("\n") + "\n";
}

export function issuesCsv(count: number): string {
  const image = ["file not found", "not an image (truncated PNG)", "decodes to 0 × 0 pixels"];
  const audio = ["file not found", "audio decodes to zero frames", "sample rate 0 in header"];
  const rows = Array.from({ length: count }, (_, i) => {
    const [column, path, problems] = i % 2 ? ["clip", `audio/clip_${i}.wav`, audio] : ["photo", `images/img_${i}.png`, image];
    return `${i * 7 + 3},${column},${path},${problems[Math.floor(i / 2) % 3]}`;
  });
  return ["row,column,path,problem", ...rows].join("\n") + "\n";
}

/** Mean test accuracy per (modalities, fusion) for compareCsv: the gain from each added modality. */
export const COMPARE_MEANS: Array<[string, string, number]> = [
  ["tabular", "concat", 0.66],
  ["image", "concat", 0.78],
  ["audio", "concat", 0.72],
  ["image+tabular", "concat", 0.88],
  ["audio+tabular", "concat", 0.8],
  ["audio+image", "concat", 0.86],
  ["audio+image+tabular", "concat", 0.93],
  ["audio+image+tabular", "gated", 0.95],
  ["audio+image+tabular", "attention", 0.94],
  ["audio+image+tabular", "late", 0.91],
];

/** Seed offsets: the mean stays COMPARE_MEANS' value (they sum to 0), the spread is 2.6 points. */
const SEED_OFFSETS = [-0.014, 0.002, 0.012];

/** compare.csv as the compare command writes it: 7 subsets × 3 seeds, the full set with 4 fusions. */
export function compareCsv(means = COMPARE_MEANS, seeds = SEED_OFFSETS): string {
  const rows = means.flatMap(([modalities, fusion, acc]) =>
    seeds.map((d, seed) => `${modalities},${fusion},${seed},${(acc + d).toFixed(4)},${(acc - 0.04 + d * 1.5).toFixed(4)}`),
  );
  return ["modalities,fusion,seed,accuracy,macro_f1", ...rows].join("\n") + "\n";
}

/** robustness.csv with every condition, units as `modalfuse evaluate --robustness` writes them; `units` adds that optional column. */
export function robustnessCsv(units = true): string {
  const rows: Array<[string, string, number, number, string]> = [["clean", "all", 0, 0.93, ""]];
  const drops: Array<[string, number]> = [
    ["image", 0.81], ["audio", 0.87], ["tabular", 0.9], ["audio+image", 0.67], ["audio+tabular", 0.78], ["image+tabular", 0.71],
  ];
  for (const [m, acc] of drops) rows.push(["drop", m, 1, acc, ""]);
  const noise: Array<[string, string, number[], number[]]> = [
    ["tabular", "σ (scaled values)", [0.1, 0.25, 0.5, 1], [0.925, 0.91, 0.87, 0.8]],
    ["image", "σ (0..1 pixels)", [0.05, 0.1, 0.2, 0.4], [0.928, 0.915, 0.88, 0.79]],
    ["audio", "dB SNR", [30, 20, 10, 5, 0], [0.929, 0.925, 0.9, 0.87, 0.83]],
  ];
  for (const [m, unit, levels, accs] of noise) levels.forEach((l, i) => rows.push(["noise", m, l, accs[i]!, unit]));
  [0.1, 0.25, 0.5, 0.75].forEach((l, i) => rows.push(["columns_dropped", "tabular", l, [0.925, 0.91, 0.89, 0.86][i]!, "fraction of columns"]));
  const head = units ? "condition,modality,level,accuracy,unit" : "condition,modality,level,accuracy";
  return [head, ...rows.map(([c, m, l, a, u]) => [c, m, l, a, ...(units ? [u] : [])].join(","))].join("\n") + "\n";
}

export const CONFIG_YAML = `data:
  train: train.csv
  validation: null
  test: null
  split: {validation: 0.15, test: 0.15, stratify: true, seed: 0}
  label: event
  tabular: {numeric: [duration_s, crowd_db], categorical: [venue]}
  image: {column: photo, size: 64}
  audio: {column: clip, sample_rate: 16000, seconds: 1.5, n_mels: 64}
  on_bad_file: missing
model:
  preset: standard
  fusion: concat
train: {epochs: 30, batch_size: 64, optimizer: adam, lr: 0.001, early_stopping: 5, seed: 0, device: auto}
`;

/** Writes a complete run directory (minus `omit`) into `dir`, or a fresh temp dir. */
export async function makeRunDir(o: FixtureOptions = {}, dir?: string): Promise<string> {
  const classes = o.classes ?? DEFAULT_CLASSES;
  const epochs = o.epochs ?? 12;
  const issues = o.issues ?? 4;
  const runDir = dir ?? (await mkdtemp(join(tmpdir(), "modalfuse-report-")));
  await mkdir(runDir, { recursive: true });
  const history = makeHistory(epochs);
  let best = history[0]!;
  for (const r of history) if (r.val_loss < best.val_loss) best = r;
  const metrics = {
    classes,
    test: scoresFrom(classes, makeConfusion(classes.length, 50, 1), 0.2),
    validation: scoresFrom(classes, makeConfusion(classes.length, 50, 2), 0.22),
    data_issues: issues,
    label: "event",
    rows: { train: 700, validation: 150, test: 150 },
    epochs_run: epochs,
    best_epoch: best.epoch,
    train_seconds: 51.2,
    preset: "standard",
    fusion: "concat",
    device: "cpu",
  };
  const files: Record<string, string | Uint8Array> = {
    "history.csv": historyCsv(history),
    "metrics.json": JSON.stringify(metrics, null, 2),
    "architecture.json": JSON.stringify(makeArchitecture(o.encoders ?? 3, classes.length, o.imageLayers ?? 14), null, 2),
    "data_issues.csv": issuesCsv(issues),
    "config.yaml": CONFIG_YAML,
    // Placeholders: the report never reads these, but check_run_dir.py wants them present.
    "model.safetensors": new Uint8Array([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]),
    "preprocess.json": JSON.stringify({ classes }),
    ...o.extra,
  };
  for (const [name, content] of Object.entries(files)) {
    if (!o.omit?.includes(name)) await writeFile(join(runDir, name), content);
  }
  return runDir;
}

/** Runs body on a fresh fixture run directory, removed afterwards. */
export async function withRun(options: FixtureOptions, body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await makeRunDir(options);
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
