// One training run, from a validated config to a complete run directory.
import { mkdir, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { configYaml } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { TensorDataset } from "../data/dataset.js";
import { decodeIntoCache, missingCount, prepareTraining, type PreparedData, type Progress } from "../data/prepare.js";
import { inputNames } from "../data/preprocess-state.js";
import { buildModel, type Architecture } from "../model/classifier.js";
import { writeReport } from "../report/index.js";
import { baselineVerdicts } from "../report/baselines.js";
import { placementOf } from "../engine/placement.js";
import { arange, encodeSafetensors, manualSeed, noGrad, tidy } from "../torch/index.js";
import { InterruptedError, UserError } from "../errors.js";
import { writeFileAtomic } from "../util/atomic.js";
import { sweepTemporaries } from "../util/temporary-name.js";
import { disposeCheckpoint, readCheckpoint, removeCheckpoint, writeCheckpoint, type Checkpoint } from "./checkpoint.js";
import { markRun, prepareRunDir, runStatus } from "./run-dir.js";
import { disposeModels, linearBaselines } from "./baselines.js";
import type { LinearMembers } from "../model/linear-members.js";
import { loadBackboneWeights, trainableBackbones } from "./backbones.js";
import { fit, Interrupted, score, type EpochRecord, type Scored } from "./loop.js";
import { collectiveFailure, isCollectiveFailure, joinDataParallel, together, type DataParallel } from "./data-parallel.js";
import { distributedEnv } from "./distributed-env.js";
import { classificationMetrics, type Metrics } from "./metrics.js";
import { writeHistory, writeIssues, writeJson, writePreprocess } from "./run-files.js";
import { VERSION } from "../version.js";

export interface RunEvents {
  progress?: Progress;
  onEpoch?: (record: EpochRecord, best: boolean, epochs: number) => void;
  onStep?: (step: number, steps: number) => void;
  onEpochStart?: (epoch: number) => void;
}

export interface RunSummary {
  dir: string;
  test: Metrics;
  validation: Metrics;
  classes: string[];
  dataIssues: number;
  /** Data issues per column, most first. */
  dataIssuesByColumn: [string, number][];
  epochsRun: number;
  bestEpoch: number;
  stoppedEarly: boolean;
  stoppedBy: "early_stopping" | "time_limit" | null;
  /** train.time_limit's plan: epochs that fit it (null without a limit). */
  plannedEpochs: number | null;
  trainSeconds: number;
  rows: { train: number; validation: number; test: number };
  device: string;
  /** How the model compares with its linear baselines, in sentences. */
  baselineVerdicts: string[];
}

export interface RunOptions {
  /** Replace an earlier run in the directory. */
  force?: boolean;
  /** Continue the interrupted run in the directory from its last checkpoint. */
  resume?: boolean;
}

/** The config a run directory was started with, for `--resume`. */
export async function resumableConfigPath(dir: string): Promise<string> {
  const status = await runStatus(dir);
  if (status === "complete") throw new UserError(`--resume ${dir}: the run is complete; nothing to resume`);
  if (status === null) throw new UserError(`--resume ${dir}: not a run that modalfuse started (no run.json)`);
  return join(dir, "config.yaml");
}

/**
 * Trains and writes a run directory. Started as one of several data-parallel processes
 * (torchrun's environment, `train --nproc N`), it joins them; only the first writes, and
 * every process returns the same summary.
 */
export async function trainRun(config: Config, outDir: string, events: RunEvents = {}, o: RunOptions = {}): Promise<RunSummary> {
  const env = distributedEnv();
  const dp = env ? joinDataParallel(env, { timeoutSeconds: config.train.collective_timeout, bucketMb: config.train.bucket_mb }) : null;
  try {
    return await trainRunIn(dp, config, outDir, dp && !dp.isLeader ? {} : events, o);
  } catch (error) {
    throw dp && isCollectiveFailure(error) ? collectiveFailure(dp.rank, error) : error;
  } finally {
    dp?.group.destroy();
  }
}

async function trainRunIn(dp: DataParallel | null, config: Config, outDir: string, events: RunEvents, o: RunOptions): Promise<RunSummary> {
  const startedAt = performance.now();
  const dir = resolve(outDir);
  const writes = dp?.isLeader ?? true;
  // Every output path is checked, and the run marked as started, before any work.
  await together(dp, async () => {
    if (o.resume || !writes) return;
    await prepareRunDir(dir, { force: o.force ?? false });
    await writeFileAtomic(join(dir, "config.yaml"), configYaml(config, dir));
    await markRun(dir, "running");
  });
  let data: PreparedData;
  try {
    // Processes decode their share of the media into the shared cache, then each reads all of it.
    if (dp) await together(dp, () => decodeIntoCache(config, dp.rank, dp.worldSize, events.progress));
    data = await together(dp, () => prepareTraining(config, events.progress));
  } catch (error) {
    // Nothing was trained: the folder is left as it was found, so the next try needs no --force.
    if (!o.resume && writes) for (const name of ["run.json", "config.yaml"]) await rm(join(dir, name), { force: true });
    throw error;
  }
  // What a killed process was writing when it died goes; its last complete files stay.
  if (o.resume && writes) await sweepTemporaries(dir);
  const resume = o.resume ? await together(dp, () => readCheckpoint(dir)) : null;
  let signalled = false;
  const onSignal = () => void (signalled = true);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    return await trainPrepared(data, config, dir, events, startedAt, { checkpoints: true, resume, interrupted: () => signalled, dataParallel: dp });
  } catch (error) {
    if (error instanceof Interrupted) throw new InterruptedError(`interrupted in epoch ${error.epoch} after step ${error.step} of ${error.steps}; continue with: modalfuse train --resume ${dir}`);
    throw error;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    if (resume) disposeCheckpoint(resume);
  }
}

interface PreparedRunOptions {
  /** Write a checkpoint after each epoch. */
  checkpoints?: boolean;
  /** Data-parallel training; only the first process writes. */
  dataParallel?: DataParallel | null;
  resume?: Checkpoint | null;
  interrupted?: () => boolean;
}

/**
 * When training must end for the run to finish within train.time_limit (counted from
 * `startedAt`): a tenth of the budget, and at least 3 s, is left for the baselines,
 * the evaluation and the report.
 */
function trainingDeadline(timeLimit: number | null, startedAt: number): number | null {
  return timeLimit === null ? null : startedAt + 1000 * (timeLimit - Math.max(3, timeLimit / 10));
}

/** Trains on data already decoded and fitted (compare reuses one preparation for many runs). */
export async function trainPrepared(data: PreparedData, config: Config, outDir: string, events: RunEvents = {}, startedAt = performance.now(), o: PreparedRunOptions = {}): Promise<RunSummary> {
  const dir = resolve(outDir);
  const dp = o.dataParallel ?? null;
  const writes = dp?.isLeader ?? true;
  if (writes) await mkdir(dir, { recursive: true });
  manualSeed(config.train.seed);
  const { device, precision } = placementOf(config.train);
  const { state } = data;
  const train = new TensorDataset(data.train, state, device);
  const validation = new TensorDataset(data.validation, state, device);
  const test = new TensorDataset(data.test, state, device);
  const model = buildModel(state, config.model).placeOn(device);
  const backbones = trainableBackbones(model, config.model.encoders);
  // A resumed run's clock counts the time its earlier processes spent (train.time_limit).
  const runStart = startedAt - 1000 * (o.resume?.state.elapsed ?? 0);
  try {
    // Fitted before the model, so that train.time_limit's plan already counts them.
    const fitted = linearBaselines({ train, validation, test }, state.inputs, state.classes.length, device);
    const baselines = fitted.report;
    model.linear?.load(fitted.models);
    disposeModels(fitted.models);
    // Pretrained weights are where training starts; a resumed run continues from its checkpoint's.
    if (!o.resume) await loadBackboneWeights(model, config.model.encoders);
    if (dp && config.train.sync_batchnorm) dp.synchroniseBatchNorm(model);
    const started = performance.now();
    const result = await fit(model, train, validation, {
      backbones,
      dataParallel: dp,
      epochs: config.train.epochs,
      batchSize: config.train.batch_size,
      optimizer: config.train.optimizer,
      lr: config.train.lr,
      weightDecay: config.train.weight_decay,
      earlyStopping: config.train.early_stopping,
      modalityDropout: config.train.modality_dropout,
      device,
      precision,
      deadline: trainingDeadline(config.train.time_limit, runStart),
      onEpoch: (r, best) => events.onEpoch?.(r, best, config.train.epochs),
      ...(events.onStep ? { onStep: events.onStep } : {}),
      ...(events.onEpochStart ? { onEpochStart: events.onEpochStart } : {}),
      // Every process resumes from the checkpoint; only the first writes them.
      ...(o.checkpoints ? { checkpoint: { resume: o.resume ?? null, save: writes ? (c) => writeCheckpoint(dir, { ...c, state: { ...c.state, elapsed: (performance.now() - runStart) / 1000 } }) : async () => {} } } : {}),
      ...(o.interrupted ? { interrupted: o.interrupted } : {}),
    });
    const trainSeconds = (performance.now() - started) / 1000;
    const batchSize = config.train.batch_size * 2;
    const metricsOf = (ds: TensorDataset, s: Scored): Metrics => classificationMetrics(ds.labels(), s.predicted, state.classes, s.loss);
    // Validation rows are scored once per ensemble mix (the first is the network alone); test
    // rows once for the network alone and once more only when another mix was chosen.
    const mixes = model.linear ? scoreMixes(model.linear, () => score(model, validation, batchSize, device)) : null;
    let validationMetrics: Metrics;
    let testMetrics: Metrics;
    let network: { test: number; validation: number } | null = null;
    let ensemble: { network: number; linear: number } | null = null;
    if (model.linear && mixes) {
      model.linear.setMix(...NETWORK_ALONE);
      const networkTest = metricsOf(test, score(model, test, batchSize, device));
      const chosen = chooseMix(mixes, validation.labels());
      model.linear.setMix(...chosen.mix);
      validationMetrics = metricsOf(validation, chosen.scored);
      testMetrics = chosen.mix === NETWORK_ALONE ? networkTest : metricsOf(test, score(model, test, batchSize, device));
      network = { test: networkTest.accuracy, validation: metricsOf(validation, (mixes[0] as ScoredMix).scored).accuracy };
      ensemble = { network: chosen.mix[0], linear: chosen.mix[1] };
    } else {
      validationMetrics = metricsOf(validation, score(model, validation, batchSize, device));
      testMetrics = metricsOf(test, score(model, test, batchSize, device));
    }
    const architecture: Architecture = tidy(() => noGrad(() => model.eval().architecture(train.batch(arange(0, Math.min(2, train.size), 1, { device })))));
    const rows = { train: data.train.size, validation: data.validation.size, test: data.test.size };
    const summary: RunSummary = {
      dir,
      test: testMetrics,
      validation: validationMetrics,
      classes: state.classes,
      dataIssues: data.issues.length,
      dataIssuesByColumn: issuesByColumn(data.issues),
      epochsRun: result.history.length,
      bestEpoch: result.bestEpoch,
      stoppedEarly: result.stoppedEarly,
      stoppedBy: result.stoppedBy,
      plannedEpochs: config.train.time_limit !== null ? result.plannedEpochs : null,
      trainSeconds,
      rows,
      device,
      baselineVerdicts: baselineVerdicts({ test: testMetrics, validation: validationMetrics }, baselines),
    };
    if (!writes) return summary;

    await writeFileAtomic(join(dir, "config.yaml"), configYaml(config, dir));
    await writeFileAtomic(join(dir, "model.safetensors"), encodeSafetensors(model.stateDict(), { format: "pt", producer: `modalfuse ${VERSION}` }));
    await writePreprocess(dir, state);
    await writeHistory(dir, result.history);
    await writeIssues(join(dir, "data_issues.csv"), data.issues);
    await writeJson(join(dir, "architecture.json"), architecture);
    await writeJson(join(dir, "metrics.json"), {
      classes: state.classes,
      test: testMetrics,
      validation: validationMetrics,
      data_issues: data.issues.length,
      label: state.label,
      modalities: inputNames(state),
      inputs: Object.fromEntries(state.inputs.map((i) => [i.name, i.kind])),
      rows,
      missing: missingCounts(data),
      epochs_run: result.history.length,
      best_epoch: result.bestEpoch,
      stopped_early: result.stoppedEarly,
      stopped_by: result.stoppedBy,
      ...(config.train.time_limit !== null ? { time_limit_s: config.train.time_limit, planned_epochs: result.plannedEpochs } : {}),
      train_seconds: Number(trainSeconds.toFixed(2)),
      baselines,
      ...(ensemble && network ? { ensemble: { network_weight: ensemble.network, linear_weight: ensemble.linear, network_alone: network } } : {}),
      preset: config.model.preset,
      fusion: config.model.fusion,
      device,
    });
    await writeReport(dir);
    if (o.checkpoints) {
      await markRun(dir, "complete");
      await removeCheckpoint(dir);
    }
    return summary;
  } finally {
    model.dispose();
    for (const ds of [train, validation, test]) ds.dispose();
  }
}

/** Weights of the network and of its linear members' late fusion, tried on validation rows. */
const NETWORK_ALONE: [number, number] = [1, 0];
const ENSEMBLE_MIXES: [number, number][] = [NETWORK_ALONE, [1, 0.25], [1, 0.5], [1, 1], [1, 2], [0, 1]];

interface ScoredMix {
  mix: [number, number];
  scored: Scored;
}

/** Scores validation rows under every mix, the network alone first. */
function scoreMixes(linear: LinearMembers, scoreValidation: () => Scored): ScoredMix[] {
  return ENSEMBLE_MIXES.map((mix) => {
    linear.setMix(...mix);
    return { mix, scored: scoreValidation() };
  });
}

/**
 * The mix that validation rows prefer (accuracy, then loss; the network alone where nothing
 * is better or there are no labelled validation rows).
 */
function chooseMix(mixes: ScoredMix[], labels: number[]): ScoredMix {
  const first = mixes[0] as ScoredMix;
  if (!labels.some((l) => l >= 0)) return first;
  let best = { choice: first, accuracy: -1, loss: Infinity };
  for (const choice of mixes) {
    const accuracy = choice.scored.predicted.filter((p, i) => p === labels[i]).length / labels.length;
    if (accuracy > best.accuracy || (accuracy === best.accuracy && choice.scored.loss < best.loss)) best = { choice, accuracy, loss: choice.scored.loss };
  }
  return best.choice;
}

function issuesByColumn(issues: { column: string }[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const i of issues) counts.set(i.column, (counts.get(i.column) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** Rows lacking each input, per part: the report states how much was missing. */
function missingCounts(data: PreparedData): Record<string, Record<string, number>> {
  return { train: missingCount(data.train), validation: missingCount(data.validation), test: missingCount(data.test) };
}
