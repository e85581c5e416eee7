// The `modalfuse` command line. A UserError, or an engine that is not built, becomes one
// plain line and exit code 2; anything else is a bug and keeps its stack trace.
import { basename, extname, join, resolve } from "node:path";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { inputNames } from "./data/preprocess-state.js";
import { InterruptedError, printableLine, UserError } from "./errors.js";
import { EXIT_LOST, LAUNCHED, LOST_MARKER } from "./training/launch-protocol.js";
import { EngineUnavailableError } from "./torch/build-status.js";
import { VERSION } from "./version.js";

const int =
  (name: string, min = 0) =>
  (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be a whole number${min > 0 ? ` of at least ${min}` : ""}`);
    return n;
  };
/** The demo needs this many rows for every class in every split. */
const DEMO_MIN_SAMPLES = 20;
const collect = (value: string, previous: string[]) => [...previous, value];

/** Arguments without an option and its value (`--name V` or `--name=V`). */
function withoutOption(args: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === name) i++;
    else if (!arg.startsWith(`${name}=`)) out.push(arg);
  }
  return out;
}

/** `--drop` values: input names or kinds, checked against the run when it is loaded. */
function parseDrop(value: string | undefined): string[] {
  if (!value) return [];
  return value.split(",").map((m) => {
    const name = m.trim();
    if (!name) throw new UserError(`--drop ${value}: an empty input name`);
    return name;
  });
}

async function progressFor(quiet: boolean) {
  const { Progress } = await import("./cli/progress.js");
  const bar = new Progress(quiet);
  return {
    bar,
    events: {
      progress: (stage: string, done: number, total: number) => bar.update(`decoding ${stage}`, done, total),
      onEpoch: (r: { epoch: number; train_loss: number; train_accuracy: number; val_loss: number; val_accuracy: number; seconds: number }, best: boolean, epochs: number) =>
        bar.line(
          `epoch ${String(r.epoch).padStart(3)}/${epochs}  loss ${r.train_loss.toFixed(3)}  acc ${(100 * r.train_accuracy).toFixed(1)}%  val loss ${r.val_loss.toFixed(3)}  val acc ${(100 * r.val_accuracy).toFixed(1)}%  ${r.seconds.toFixed(1)}s${best ? "  *" : ""}`,
        ),
      onStep: (step: number, steps: number) => bar.update("training", step, steps),
    },
  };
}

type Engine = "libtorch" | "onnx";

const engineOption = () => new Option("--engine <engine>", "what computes the model: libtorch, or onnx (the graph `modalfuse export` wrote, through onnxruntime)").choices(["libtorch", "onnx"]).default("libtorch");

/**
 * onnxruntime-node is an optional dependency: npm drops it when its install step fails (it
 * downloads CUDA libraries; ONNXRUNTIME_NODE_INSTALL=skip keeps the CPU build it ships).
 */
async function importOnnxRunner() {
  try {
    return await import("./export/onnx/runner.js");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND" && String(error).includes("onnxruntime-node")) {
      throw new UserError("--engine onnx needs onnxruntime-node, which is not installed: run `ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node`");
    }
    throw error;
  }
}

/** A trained run, computed by libtorch or by its exported ONNX graph. */
async function loadPredictor(run: string, engine: Engine, onnx?: string) {
  if (engine === "onnx") {
    const { OnnxModel } = await importOnnxRunner();
    return OnnxModel.load(run, onnx);
  }
  if (onnx !== undefined) throw new UserError("--onnx: only with --engine onnx");
  const { load } = await import("./api.js");
  return load(run);
}

async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name("modalfuse")
    .description("Train classifiers that fuse tabular columns, images and audio.")
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command("demo")
    .description("build the demo data set, train on it, evaluate, and write the run directory")
    .option("--out <dir>", "run directory", "runs/demo")
    .option("--samples <n>", "rows in the demo data set", int("--samples", DEMO_MIN_SAMPLES), 1000)
    .option("--epochs <n>", "training epochs", int("--epochs", 1), 30)
    .option("--seed <n>", "seed for data and training", int("--seed"), 0)
    .addOption(new Option("--preset <name>", "model preset").choices(["seed", "standard"]).default("standard"))
    .option("--quiet", "no progress output")
    .action(async (o: { out: string; samples: number; epochs: number; seed: number; preset: "seed" | "standard"; quiet?: boolean }) => {
      const { demo } = await import("./api.js");
      const { runSummary } = await import("./cli/summary.js");
      const { bar, events } = await progressFor(o.quiet ?? false);
      const summary = await demo({ out: o.out, samples: o.samples, epochs: o.epochs, seed: o.seed, preset: o.preset, onData: (d, t) => bar.update("writing the demo data set", d, t), ...events });
      console.log(runSummary(summary));
    });

  program
    .command("train")
    .description("train per a config file, or on a table with each column's kind inferred (with --label)")
    .argument("[config]", "YAML config, or a CSV or Parquet table with --label")
    .option("--label <column>", "with a table in place of a config: the class column")
    .option("--out <dir>", "run directory (default runs/<config or table name>)")
    .option("--set <key=value>", "override a config key, e.g. train.epochs=5 (repeatable)", collect, [])
    .option("--time-limit <duration>", "finish the whole run within this time, e.g. 10m (train.time_limit)")
    .option("--force", "replace an earlier run in the run directory")
    .option("--resume <run>", "continue an interrupted run from its last checkpoint")
    .option("--nproc <n>", "train in N data-parallel processes on this machine (c10d; torchrun's environment also works)", int("--nproc", 1))
    .option("--quiet", "no progress output")
    .action(async (source: string | undefined, o: { label?: string; out?: string; set: string[]; timeLimit?: string; force?: boolean; resume?: string; quiet?: boolean; nproc?: number }) => {
      if (o.nproc !== undefined) {
        if (process.env.WORLD_SIZE !== undefined) throw new UserError("--nproc starts processes itself: under torchrun's environment (WORLD_SIZE set), leave it out");
        const { launchProcesses } = await import("./training/launch.js");
        process.exit(await launchProcesses(o.nproc, withoutOption(process.argv.slice(1), "--nproc")));
      }
      const { train, resume } = await import("./api.js");
      const { runSummary } = await import("./cli/summary.js");
      const { events } = await progressFor(o.quiet ?? false);
      if (o.resume !== undefined) {
        if (source !== undefined || o.label !== undefined || o.out !== undefined || o.set.length > 0 || o.timeLimit !== undefined || o.force) {
          throw new UserError(`--resume ${o.resume}: continues with the run's own config and directory; give no config, --label, --out, --set, --time-limit or --force`);
        }
        console.log(runSummary(await resume(o.resume, events)));
        return;
      }
      if (source === undefined) throw new UserError("train: give a config file (or a table with --label), or --resume RUN");
      const set = o.timeLimit === undefined ? o.set : [...o.set, `train.time_limit=${o.timeLimit}`];
      const force = o.force ?? false;
      const { isTable, inferConfig, describeColumns } = await import("./config/zero-config.js");
      if (isTable(source) || o.label !== undefined) {
        if (!isTable(source)) throw new UserError(`${source}: --label goes with a CSV or Parquet table; a YAML config names its label itself`);
        if (o.label === undefined) throw new UserError(`${source}: training on a table needs --label COLUMN (the class column)`);
        const inferred = await inferConfig(source, o.label);
        console.log(describeColumns(inferred.columns));
        const out = o.out ?? join("runs", basename(source, extname(source)));
        const summary = await train(inferred.config, { set, out, force, ...events });
        console.log(runSummary(summary));
        console.log(`config: ${join(summary.dir, "config.yaml")} (train with it to repeat this run)`);
        return;
      }
      const summary = await train(source, { set, force, ...(o.out ? { out: o.out } : {}), ...events });
      console.log(runSummary(summary));
    });

  program
    .command("init")
    .description("print the config that training on a table would infer, without training")
    .argument("<table>", "CSV or Parquet table")
    .requiredOption("--label <column>", "the class column")
    .action(async (table: string, o: { label: string }) => {
      const { isTable, inferConfig, describeColumns, inferredYaml } = await import("./config/zero-config.js");
      if (!isTable(table)) throw new UserError(`${table}: init reads a CSV or Parquet table`);
      const inferred = await inferConfig(table, o.label);
      process.stderr.write(`${describeColumns(inferred.columns)}\n`);
      process.stdout.write(inferredYaml(inferred, table));
    });

  program
    .command("evaluate")
    .description("metrics of a trained run on a labelled manifest")
    .argument("<run>", "run directory")
    .requiredOption("--data <manifest>", "labelled CSV or Parquet manifest")
    .option("--drop <inputs>", "treat these inputs as missing: input names or kinds, e.g. image,audio")
    .option("--out <dir>", "where to write metrics.json (default RUN/evaluation-<manifest>)")
    .option("--robustness", "also measure accuracy with modalities removed and under rising noise (writes RUN/robustness.csv)")
    .option("--quiet", "no progress output")
    .action(async (run: string, o: { data: string; drop?: string; out?: string; robustness?: boolean; quiet?: boolean }) => {
      const drop = parseDrop(o.drop);
      if (o.robustness && drop.length) throw new UserError("--robustness measures every drop itself: leave out --drop");
      const { load } = await import("./api.js");
      const { metricsTable } = await import("./cli/summary.js");
      const { writeIssues, writeJson } = await import("./training/run-files.js");
      const { bar } = await progressFor(o.quiet ?? false);
      const { checkOutputFolder } = await import("./util/output-paths.js");
      const model = await load(run);
      try {
        const out = resolve(o.out ?? join(run, `evaluation-${basename(o.data, extname(o.data))}${drop.length ? `-without-${drop.join("-")}` : ""}`));
        await checkOutputFolder(out, "--out");
        if (o.robustness) await checkOutputFolder(resolve(run), "evaluate --robustness writes into");
        const { metrics, issues } = await model.evaluate(o.data, { drop, progress: (s, d, t) => bar.update(`decoding ${s}`, d, t) });
        await writeJson(join(out, "metrics.json"), { classes: model.classes, data: resolve(o.data), dropped: drop, evaluation: metrics, data_issues: issues.length });
        await writeIssues(join(out, "data_issues.csv"), issues);
        console.log(`accuracy ${(100 * metrics.accuracy).toFixed(1)}%, macro-F1 ${(100 * metrics.macro_f1).toFixed(1)}% on ${metrics.rows} rows${drop.length ? ` without ${drop.join(", ")}` : ""}; data issues: ${issues.length}`);
        console.log(metricsTable(model.classes, metrics));
        console.log(`written: ${join(out, "metrics.json")}`);
        if (o.robustness) {
          const { robustness, writeRobustness } = await import("./robustness.js");
          const rows = await robustness(model, o.data, {
            progress: (s, d, t) => bar.update(`decoding ${s}`, d, t),
            onRow: (r) => bar.line(`${r.condition.padEnd(15)} ${r.modality.padEnd(14)} ${String(r.level).padStart(6)} ${r.unit.padEnd(20)} accuracy ${(100 * r.accuracy).toFixed(1)}%`),
          });
          console.log(`written: ${await writeRobustness(resolve(run), rows)} (and the report's robustness section)`);
        }
      } finally {
        model.dispose();
      }
    });

  program
    .command("predict")
    .description("predictions for a manifest (no label column needed)")
    .argument("<run>", "run directory")
    .requiredOption("--data <manifest>", "CSV or Parquet manifest")
    .requiredOption("--output <file>", "predictions CSV to write")
    .option("--explain", "add contrib_<input> columns: each input's contribution to the prediction")
    .addOption(engineOption())
    .option("--onnx <file>", "the exported graph --engine onnx runs (default RUN/model.onnx)")
    .option("--quiet", "no progress output")
    .action(async (run: string, o: { data: string; output: string; explain?: boolean; quiet?: boolean; engine: Engine; onnx?: string }) => {
      const { writeIssues } = await import("./training/run-files.js");
      const { bar } = await progressFor(o.quiet ?? false);
      const { checkOutputFile } = await import("./util/output-paths.js");
      const { writeFileAtomic } = await import("./util/atomic.js");
      const issuesPath = `${o.output.replace(/\.csv$/i, "")}.data_issues.csv`;
      await checkOutputFile(o.output, "--output", [o.data]);
      await checkOutputFile(issuesPath, "--output's issues file", [o.data]);
      const model = await loadPredictor(run, o.engine, o.onnx);
      try {
        const { predictions, issues } = await model.predictWithIssues(o.data, { explain: o.explain ?? false, progress: (s, d, t) => bar.update(`decoding ${s}`, d, t) });
        const { predictionsCsv } = await import("./predictions-csv.js");
        const csv = predictionsCsv(predictions, { classes: model.classes, hasId: model.state.id !== null, inputs: o.explain ? inputNames(model.state) : [] });
        await writeFileAtomic(o.output, csv);
        console.log(`${predictions.length} predictions written to ${o.output}`);
        if (issues.length) {
          await writeIssues(issuesPath, issues);
          console.log(`${issues.length} data issue(s) (files that could not be read, values that are not numbers); those values were treated as missing (${issuesPath})`);
        }
      } finally {
        await model.dispose();
      }
    });

  program
    .command("compare")
    .description("what each modality adds: one model per single modality, per pair, and the full set, over several seeds")
    .argument("<config>", "YAML config")
    .option("--out <dir>", "output directory (default runs/<config name>-compare)")
    .option("--fusions <list>", "fusions to try for the full set, e.g. concat,gated,attention,late")
    .option("--seeds <n>", "seeds per model", int("--seeds", 1), 3)
    .option("--set <key=value>", "override a config key (repeatable)", collect, [])
    .option("--quiet", "no progress output")
    .action(async (configPath: string, o: { out?: string; fusions?: string; seeds: number; set: string[]; quiet?: boolean }) => {
      const { FUSIONS } = await import("./config/schema.js");
      const fusions = (o.fusions ?? "").split(",").filter(Boolean).map((f) => {
        if (!(FUSIONS as readonly string[]).includes(f)) throw new UserError(`--fusions ${f}: not a fusion (${FUSIONS.join(", ")})`);
        return f as (typeof FUSIONS)[number];
      });
      if (o.seeds < 1) throw new UserError("--seeds must be at least 1");
      const { compare } = await import("./compare.js");
      const { bar, events } = await progressFor(o.quiet ?? false);
      const out = o.out ?? join("runs", `${basename(configPath, extname(configPath))}-compare`);
      const { checkOutputFolder } = await import("./util/output-paths.js");
      await checkOutputFolder(resolve(out), "--out");
      const rows = await compare(configPath, {
        out,
        fusions,
        seeds: o.seeds,
        set: o.set,
        progress: events.progress,
        onRun: (name, done, total, s) => bar.line(`[${done}/${total}] ${name}: test accuracy ${(100 * s.test.accuracy).toFixed(1)}%, macro-F1 ${(100 * s.test.macro_f1).toFixed(1)}%`),
      });
      const groups = new Map<string, number[]>();
      for (const r of rows) groups.set(`${r.modalities} (${r.fusion})`, [...(groups.get(`${r.modalities} (${r.fusion})`) ?? []), r.accuracy]);
      for (const [name, accs] of groups) {
        const mean = accs.reduce((a, b) => a + b, 0) / accs.length;
        console.log(`${name.padEnd(34)} accuracy ${(100 * mean).toFixed(1)}%  (${accs.map((a) => (100 * a).toFixed(1)).join(", ")})`);
      }
      console.log(`written: ${join(resolve(out), "compare.csv")}, compare.png and report.html`);
    });

  program
    .command("doctor")
    .description("which libtorch is linked, its version, threads, BLAS and CUDA")
    .option("--json", "print the report as JSON")
    .action(async (opts: { json?: boolean }) => {
      const { doctor, formatDoctor } = await import("./engine/doctor.js");
      const report = doctor();
      console.log(opts.json ? JSON.stringify(report, null, 2) : formatDoctor(report));
    });

  program
    .command("serve")
    .description("predictions over HTTP, and a web page to try the model")
    .argument("<run>", "run directory")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port (0: any free one)", int("--port"), 8000)
    .option("--batch-window <ms>", "how long a request waits for others to share its forward pass (0: no batching)", int("--batch-window"), 4)
    .option("--max-batch <rows>", "most rows in one forward pass", int("--max-batch", 1), 64)
    .option("--max-file-mb <mb>", "largest upload per file", int("--max-file-mb", 1), 20)
    .addOption(engineOption())
    .option("--onnx <file>", "the exported graph --engine onnx runs (default RUN/model.onnx)")
    .action(async (run: string, o: { host: string; port: number; batchWindow: number; maxBatch: number; maxFileMb: number; engine: Engine; onnx?: string }) => {
      if (o.port > 65535) throw new UserError(`--port ${o.port}: not a port (0 to 65535)`);
      const { buildServer, DEFAULT_SERVE_OPTIONS } = await import("./serve/server.js");
      const model = await loadPredictor(run, o.engine, o.onnx);
      const server = await buildServer(model, { batch: { ...DEFAULT_SERVE_OPTIONS.batch, windowMs: o.batchWindow, maxRows: o.maxBatch }, maxFileBytes: o.maxFileMb * 1024 * 1024, engine: o.engine });
      try {
        await server.app.listen({ host: o.host, port: o.port });
      } catch (error) {
        await model.dispose();
        throw new UserError(`serve: cannot listen on ${o.host}:${o.port} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
      }
      const address = server.app.addresses()[0];
      const url = address && typeof address !== "string" ? `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}` : `http://${o.host}:${o.port}`;
      console.log(`serving ${resolve(run)} on ${url} (web page at ${url}/, API at ${url}/v1/predict)`);
      // SIGTERM or Ctrl-C: not ready any more, answer what is in flight, then stop.
      await new Promise<void>((done) => {
        const stop = () => {
          server.setDraining();
          void server.app.close().then(() => done());
        };
        process.once("SIGTERM", stop);
        process.once("SIGINT", stop);
      });
      await model.dispose();
      console.log("stopped: every request in flight was answered");
    });

  const { addExportCommand } = await import("./export/onnx/command.js");
  addExportCommand(program);
  const { addConvertCommand } = await import("./weights/command.js");
  addConvertCommand(program);
  const { addSetupCommand } = await import("./setup/command.js");
  addSetupCommand(program);

  // These always compute with libtorch: without the addon they stop before any work,
  // with the line that says what to install (a demo would otherwise write its data first).
  const needsEngine = new Set(["demo", "train", "evaluate", "compare", "doctor"]);
  program.hook("preAction", async (_program, command) => {
    if (!needsEngine.has(command.name())) return;
    const { builtEngine } = await import("./torch/native.js");
    builtEngine();
  });

  await program.parseAsync(argv);
}

main(process.argv).catch(async (error: unknown) => {
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
  const { ProcessesLost } = await import("./training/data-parallel.js");
  if (error instanceof ProcessesLost && process.env[LAUNCHED] === "1") {
    // Under `train --nproc`, the launcher names the rank that caused the failure.
    process.stderr.write(`${LOST_MARKER}${printableLine(error.message)}\n`);
    process.exit(EXIT_LOST);
  }
  if (error instanceof UserError || error instanceof EngineUnavailableError) {
    console.error(`modalfuse: ${printableLine(error.message)}`);
    process.exit(2);
  }
  if (error instanceof InterruptedError) {
    console.error(`modalfuse: ${printableLine(error.message)}`);
    process.exit(130);
  }
  throw error;
});
