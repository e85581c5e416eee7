// The config file's shape, exactly as SPEC.md writes it, with defaults. Every object is
// strict: an unknown key is an error that names it, never silently ignored.
import { z } from "zod";

const positiveInt = z.number().int().positive();
const fraction = z.number().min(0).max(0.9);

/** A duration: seconds as a number, or "90s", "10m", "10min", "1.5h". Resolved to seconds. */
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, min: 60, h: 3600 };
const duration = z.union([
  z.number().positive(),
  z
    .string()
    .regex(/^\s*\d+(\.\d+)?\s*(s|m|min|h)?\s*$/, 'must be a duration such as 90s, 10m or 1h')
    .transform((v) => {
      const [, amount, unit] = /^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h)?\s*$/.exec(v) as RegExpExecArray;
      return Number(amount) * (UNIT_SECONDS[unit ?? "s"] as number);
    })
    .pipe(z.number().positive("must be longer than 0 s")),
]);

const imageSize = z.union([positiveInt.max(1024), z.tuple([positiveInt.max(1024), positiveInt.max(1024)])]);

/** An input's name: it names weights, report rows and contrib_ columns, so it stays plain. */
const inputName = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, "must be letters, digits, _ . or - (it names the input's weights and columns)");

/** One column's settings, or a list of them: each entry is one input. */
function oneOrMany<T extends z.ZodTypeAny>(entry: T) {
  return z.union([entry, z.array(entry).min(1, "must name at least one column")]).nullable().default(null);
}

export const FUSIONS = ["concat", "gated", "attention", "late"] as const;
export type Fusion = (typeof FUSIONS)[number];

export function defaultFusion(preset: "seed" | "standard"): Fusion {
  return preset === "seed" ? "concat" : "late";
}

/** model.encoders.<input>: that input's encoder, and for images and audio a pretrained backbone and how it trains. */
const encoderSettings = z
  .object({
    features: positiveInt.max(4096).optional(),
    /** A pretrained backbone by name (model/backbones), on the kind of input it reads. */
    backbone: z.string().min(1).optional(),
    /** The backbone's starting weights (.pth, .pt or .safetensors), read when training starts. */
    weights: z.string().min(1).optional(),
    /** true: never trained; N: trained from epoch N + 1; false: trained from the start. */
    freeze: z.union([z.boolean(), z.number().int().min(0).max(10000)]).optional(),
    /** Multiplies train.lr for the backbone's parameters while it trains. */
    lr_scale: z.number().positive().max(10).optional(),
  })
  .strict();

export const configSchema = z
  .object({
    data: z
      .object({
        train: z.string().min(1),
        validation: z.string().min(1).nullable().default(null),
        test: z.string().min(1).nullable().default(null),
        split: z
          .object({
            validation: fraction.default(0.15),
            test: fraction.default(0.15),
            stratify: z.boolean().default(true),
            seed: z.number().int().default(0),
          })
          .strict()
          .default({ validation: 0.15, test: 0.15, stratify: true, seed: 0 }),
        label: z.string().min(1),
        id: z.string().min(1).nullable().default(null),
        tabular: z
          .object({
            numeric: z.array(z.string().min(1)).default([]),
            categorical: z.array(z.string().min(1)).default([]),
          })
          .strict()
          .nullable()
          .default(null),
        image: oneOrMany(
          z
            .object({
              column: z.string().min(1),
              size: imageSize.default(32),
              name: inputName.optional(),
              /** Share the encoder's weights with the other inputs of this kind that share. */
              share: z.boolean().default(false),
            })
            .strict(),
        ),
        audio: oneOrMany(
          z
            .object({
              column: z.string().min(1),
              sample_rate: z.number().int().min(1000).max(192000).default(16000),
              seconds: z.number().positive().max(60).default(1.5),
              n_mels: z.number().int().min(8).max(256).default(64),
              /** Log-mel hop and analysis window, in milliseconds. */
              hop_ms: z.number().positive().max(1000).default(10),
              window_ms: z.number().positive().max(1000).default(25),
              name: inputName.optional(),
              /** Share the encoder's weights with the other inputs of this kind that share. */
              share: z.boolean().default(false),
            })
            .strict(),
        ),
        text: oneOrMany(
          z
            .object({
              column: z.string().min(1),
              /** ngram: hashed word and character n-grams, averaged; transformer: fitted words through attention. */
              encoder: z.enum(["ngram", "transformer"]).default("ngram"),
              max_tokens: z.number().int().min(1).max(4096).default(256),
              buckets: z.number().int().min(16).max(1 << 22).default(50000),
              /** A Hugging Face tokenizer.json whose tokens the encoder reads instead of its own (kept in the run). */
              tokenizer: z.string().min(1).nullable().default(null),
              name: inputName.optional(),
              /** Share the encoder's weights with the other inputs of this kind that share. */
              share: z.boolean().default(false),
            })
            .strict(),
        ),
        on_bad_file: z.enum(["missing", "skip_row", "error"]).default("missing"),
        /** Where decoded media is kept across runs (null: the user's cache folder; false: no cache). */
        cache_dir: z.union([z.string().min(1), z.literal(false)]).nullable().default(null),
      })
      .strict(),
    model: z
      .object({
        preset: z.enum(["seed", "standard"]).default("standard"),
        /** Default: the tutorial's concat for seed; late fusion for standard (it won `compare` on the demo). */
        fusion: z.enum(FUSIONS).optional(),
        /** Width of each input's features before fusion, unless model.encoders gives it one. */
        features: positiveInt.max(4096).default(128),
        /** Per input (by name): its encoder's own settings. */
        encoders: z.record(z.string(), encoderSettings).default({}),
      })
      .strict()
      .transform((m) => ({ ...m, fusion: m.fusion ?? defaultFusion(m.preset) }))
      .default({ preset: "standard", fusion: "late", features: 128, encoders: {} }),
    train: z
      .object({
        epochs: positiveInt.max(10000).default(30),
        batch_size: positiveInt.max(65536).default(64),
        optimizer: z.enum(["adam", "adamw", "sgd"]).default("adam"),
        lr: z.number().positive().max(10).default(0.001),
        weight_decay: z.number().min(0).max(1).default(0),
        /** Stop after this many epochs without a better validation loss; 0 never stops early. */
        early_stopping: z.number().int().min(0).default(5),
        /** Per row and modality, the chance of hiding a present modality in training. */
        modality_dropout: z.number().min(0).max(0.9).default(0),
        seed: z.number().int().default(0),
        device: z.string().regex(/^(auto|cpu|cuda(:\d+)?)$/, "must be auto, cpu, cuda or cuda:N").default("auto"),
        /** auto: bfloat16 autocast on CUDA (weights and optimizer stay float32), float32 on CPU. */
        precision: z.enum(["auto", "float32", "bfloat16"]).default("auto"),
        /** Wall-clock budget for the whole run, in seconds once resolved; null: none. */
        time_limit: duration.nullable().default(null),
        /** Data-parallel runs: batch statistics over every process's rows (SyncBatchNorm). */
        sync_batchnorm: z.boolean().default(false),
        /** Data-parallel runs: how long a process waits for the others before the run ends. */
        collective_timeout: duration.default(300),
        /** Data-parallel runs: gradients are averaged in buckets of about this many MB (DDP's bucket_cap_mb). */
        bucket_mb: z.number().positive().max(4096).default(25),
      })
      .strict()
      .default({ epochs: 30, batch_size: 64, optimizer: "adam", lr: 0.001, weight_decay: 0, early_stopping: 5, modality_dropout: 0, seed: 0, device: "auto", precision: "auto", time_limit: null, sync_batchnorm: false, collective_timeout: 300, bucket_mb: 25 }),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
