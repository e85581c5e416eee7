// The training loop: shuffled batches by index, one tidy scope per step, validation each
// epoch, early stopping on validation loss, and the best weights kept.
import type { TensorDataset } from "../data/dataset.js";
import type { MultimodalClassifier } from "../model/classifier.js";
import { F, arange, autocast, cpuRngState, keep, noGrad, optim, randperm, setCpuRngState, tidy, trimMemory, type Tensor } from "../torch/index.js";
import type { Checkpoint } from "./checkpoint.js";
import { augment, dropModalities } from "./augment.js";
import type { HistoryRow } from "../run-format.js";
import { applyFreezing, parameterGroups, trainedParameters, type TrainableBackbone } from "./backbones.js";
import type { DataParallel } from "./data-parallel.js";

/** One epoch of training, as history.csv records it. */
export type EpochRecord = HistoryRow;

export interface FitOptions {
  epochs: number;
  batchSize: number;
  optimizer: "adam" | "adamw" | "sgd";
  lr: number;
  weightDecay: number;
  earlyStopping: number;
  modalityDropout: number;
  device: string;
  /** Autocast dtype for forward passes (CUDA), or null for float32 throughout. */
  precision: "bfloat16" | null;
  /** performance.now() by which training must have ended, or null for no time limit. */
  deadline: number | null;
  onEpoch?: (record: EpochRecord, best: boolean) => void;
  onStep?: (step: number, steps: number) => void;
  /** Called as each epoch's training begins (before its first step). */
  onEpochStart?: (epoch: number) => void;
  /** Where to continue from, and how to save each finished epoch and an interrupted one (checkpoint.ts). */
  checkpoint?: { resume: Checkpoint | null; save: (c: Checkpoint) => Promise<void> };
  /** Asked after every step: true stops training there (a signal), with `Interrupted`. */
  interrupted?: () => boolean;
  /** Pretrained backbones and when and how fast each trains (backbones.ts). */
  backbones?: TrainableBackbone[];
  /** Data-parallel training across processes; `batchSize` is then each process's part. */
  dataParallel?: DataParallel | null;
}

/** Training stopped by a signal after a step, where a checkpoint was written when checkpoints are on. */
export class Interrupted extends Error {
  constructor(
    readonly epoch: number,
    readonly step: number,
    readonly steps: number,
  ) {
    super("training interrupted");
  }
}

/** How far an interrupted epoch got: the steps it took and the sums its history row needs. */
export interface EpochPosition {
  step: number;
  /** The learning rate the epoch began with (its history row records that). */
  lr: number;
  lossSum: number;
  correct: number;
  seen: number;
  seconds: number;
}

export interface FitResult {
  history: EpochRecord[];
  bestEpoch: number;
  stoppedEarly: boolean;
  /** Why training ended before train.epochs, if it did. */
  stoppedBy: "early_stopping" | "time_limit" | null;
  /** The epochs the time limit allowed, as last planned (train.epochs without one). */
  plannedEpochs: number;
}

function makeOptimizer(params: optim.ParamGroup[], o: FitOptions): optim.Optimizer {
  if (o.optimizer === "sgd") return new optim.SGD(params, { lr: o.lr, momentum: 0.9, weightDecay: o.weightDecay, nesterov: true });
  if (o.optimizer === "adamw") return new optim.AdamW(params, { lr: o.lr, weightDecay: o.weightDecay });
  return new optim.Adam(params, { lr: o.lr, weightDecay: o.weightDecay });
}

/** How many batches batchesOf makes of `n` rows. */
function batchCount(n: number, batchSize: number, processes: number): number {
  const count = Math.ceil(n / batchSize);
  return count > 1 && n % batchSize < 2 * processes && n % batchSize !== 0 ? count - 1 : count;
}

/**
 * Batches of shuffled row indices. A trailing batch too small to give every process two
 * rows is dropped (batch norm needs two): in one process, a batch of one row.
 */
function batchesOf(n: number, batchSize: number, device: string, processes: number): Tensor[] {
  return tidy(() => {
    const order = randperm(n, { device });
    const out: Tensor[] = [];
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      if (size < 2 * processes && out.length > 0) break;
      out.push(order.narrow(0, start, size));
    }
    return out;
  });
}

/** Rows `start` to `end` in order, in batches (int64, on the device). */
function sequentialBatches(start: number, end: number, batchSize: number, device: string): Tensor[] {
  const out: Tensor[] = [];
  for (let from = start; from < end; from += batchSize) out.push(arange(from, Math.min(end, from + batchSize), 1, { device }));
  return out;
}

export interface Scored {
  loss: number;
  /** Rows with a known label, over which `loss` is the mean. */
  labelled: number;
  /** [rows × classes], row-major softmax probabilities. */
  probabilities: Float32Array;
  predicted: number[];
  /** [rows × modalities] fusion weights, when the fusion has them (gated, late). */
  fusionWeights: Float32Array | null;
}

/**
 * Loss (where labels are known) and probabilities for every row, in order; with
 * `withFusionWeights`, also the fusion's per-row modality weights (only explanations need them).
 */
export function score(model: MultimodalClassifier, data: TensorDataset, batchSize: number, device: string, withFusionWeights = false, precision: "bfloat16" | null = null, rows: { start: number; end: number } = { start: 0, end: data.size }): Scored {
  model.eval();
  const parts: Float32Array[] = [];
  const weightParts: Float32Array[] = [];
  let lossSum = 0;
  let labelled = 0;
  const batches = sequentialBatches(rows.start, rows.end, batchSize, device);
  for (const indices of batches) {
    tidy(() =>
      noGrad(() => {
        const batch = data.batch(indices);
        // Scores leave the autocast scope as float32, whatever precision computed them.
        const predicted = autocast(precision, () => model.predict(batch));
        const logits = predicted.logits.float();
        parts.push(logits.softmax(1).toTypedArray() as Float32Array);
        const weights = withFusionWeights ? predicted.weights : null;
        if (weights) weightParts.push(weights.float().toTypedArray() as Float32Array);
        const known = batch.labels.ge(0);
        const count = known.sum().item();
        if (count > 0) {
          const losses = F.crossEntropy(logits, batch.labels.clamp(0), { reduction: "none" });
          lossSum += losses.mul(known.float()).sum().item();
          labelled += count;
        }
      }),
    );
    indices.dispose();
  }
  const probabilities = concatArrays(parts);
  const fusionWeights = weightParts.length === parts.length && parts.length > 0 ? concatArrays(weightParts) : null;
  const count = rows.end - rows.start;
  const classes = count ? probabilities.length / count : 0;
  const predicted = Array.from({ length: count }, (_, i) => {
    let best = 0;
    for (let c = 1; c < classes; c++) if ((probabilities[i * classes + c] as number) > (probabilities[i * classes + best] as number)) best = c;
    return best;
  });
  return { loss: labelled ? lossSum / labelled : NaN, labelled, probabilities, predicted, fusionWeights };
}

function concatArrays(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export async function fit(model: MultimodalClassifier, train: TensorDataset, validation: TensorDataset, o: FitOptions): Promise<FitResult> {
  const dp = o.dataParallel ?? null;
  const processes = dp?.worldSize ?? 1;
  // Each process takes its part of every global batch, as DDP's per-process batch size.
  const globalBatch = o.batchSize * processes;
  const stepsPerEpoch = Math.max(1, Math.ceil(train.size / globalBatch));
  const backbones = o.backbones ?? [];
  const groups = parameterGroups(model, backbones, batchCount(train.size, globalBatch, processes));
  const params = trainedParameters(groups);
  const optimizer = makeOptimizer(groups, o);
  const recipe = model.settings.training;
  const totalSteps = o.epochs * stepsPerEpoch;
  const schedule = recipe.schedule === "warmup-cosine" ? new optim.CosineWithWarmup(optimizer, { warmupSteps: Math.ceil(totalSteps / 20), totalSteps, minLr: o.lr / 50 }) : null;
  const validationLabels = validation.labels();
  const history: EpochRecord[] = [];
  let best = { score: -Infinity, loss: Infinity, epoch: 0, state: null as Map<string, Tensor> | null };
  let stoppedBy: FitResult["stoppedBy"] = null;
  let plannedEpochs = o.epochs;
  let firstEpoch = 1;
  const resume = o.checkpoint?.resume ?? null;
  if (resume) {
    // Everything as it was when the checkpoint was written, down to the generator.
    model.loadStateDict(resume.weights);
    optimizer.loadState(resume.optimizer, resume.state.optimizerSteps);
    if (schedule && resume.state.schedule) schedule.restore(resume.state.schedule);
    history.push(...resume.state.history);
    best = { ...resume.state.best, state: resume.best ? new Map([...resume.best].map(([k, t]) => [k, keep(t.clone())])) : null };
    plannedEpochs = resume.state.plannedEpochs;
    firstEpoch = resume.state.epoch + 1;
    if (!resume.state.partial) setCpuRngState(resume.rng);
  }
  // Every process starts from the first one's weights (pretrained or resumed ones included).
  dp?.broadcastModel(model);
  dp?.attach(params);
  const save = async (epochsDone: number, partial: EpochPosition | null, epochRng: Tensor | null) => {
    if (!o.checkpoint) return;
    const rng = cpuRngState();
    try {
      await o.checkpoint.save({
        state: { epoch: epochsDone, history, best: { score: best.score, loss: best.loss, epoch: best.epoch }, plannedEpochs, schedule: schedule?.position ?? null, optimizerSteps: optimizer.stepCount, partial },
        weights: model.stateDict(),
        best: best.state,
        optimizer: optimizer.stateTensors(),
        rng,
        epochRng,
      });
    } finally {
      rng.dispose();
    }
  };
  try {
    for (let epoch = firstEpoch; epoch <= o.epochs; epoch++) {
      o.onEpochStart?.(epoch);
      const started = performance.now();
      // An interrupted epoch goes on from its next step: the same shuffle (drawn from the
      // generator as the epoch began), then the generator as it was at the interruption.
      const resumed = epoch === firstEpoch && resume?.state.partial ? { at: resume.state.partial, epochRng: resume.epochRng as Tensor, rng: resume.rng } : null;
      if (resumed) setCpuRngState(resumed.epochRng);
      dp?.syncGenerator();
      const epochRng = cpuRngState();
      const lr = resumed ? resumed.at.lr : optimizer.lr;
      model.train();
      applyFreezing(backbones, epoch);
      // An interrupted epoch's sums are all processes' together: the first process carries them on.
      const carried = resumed && (dp?.isLeader ?? true) ? resumed.at : null;
      let lossSum = carried?.lossSum ?? 0;
      let correct = carried?.correct ?? 0;
      let seen = carried?.seen ?? 0;
      const earlier = resumed?.at.seconds ?? 0;
      const batches = batchesOf(train.size, globalBatch, o.device, processes);
      if (resumed) {
        setCpuRngState(resumed.rng);
        for (const done of batches.slice(0, resumed.at.step)) done.dispose();
      }
      for (const [step, globalIndices] of batches.entries()) {
        if (step < (resumed?.at.step ?? 0)) continue;
        const shard = dp?.shard(globalIndices) ?? null;
        const indices = shard?.indices ?? globalIndices;
        const [loss, hits, stop] = tidy(() => {
          optimizer.zeroGrad();
          const batch = augment(dropModalities(train.batch(indices), o.modalityDropout), train.inputs, recipe.augment);
          const out = autocast(o.precision, () => model.forwardForTraining(batch));
          const logits = out.logits.float();
          let l = F.crossEntropy(logits, batch.labels, { labelSmoothing: recipe.labelSmoothing });
          const own = recipe.inputLoss > 0 ? inputLoss(out.inputLogits, out.present, batch.labels, recipe.labelSmoothing) : null;
          if (own) l = l.add(own.mul(recipe.inputLoss));
          dp?.beforeBackward();
          // Scaled so that the processes' averaged gradients are those of the global batch's mean loss.
          (shard && shard.lossScale !== 1 ? l.mul(shard.lossScale) : l).backward();
          // Processes stop together: a stop asked for anywhere travels with the gradients.
          const stopAsked = dp ? dp.averageGradients(o.interrupted?.() ?? false) : (o.interrupted?.() ?? false);
          if (recipe.clipNorm !== null) optim.clipGradNorm(params, recipe.clipNorm);
          optimizer.step();
          schedule?.step();
          return [l.item(), logits.argmax(1).eq(batch.labels).sum().item(), stopAsked] as const;
        });
        lossSum += loss * indices.numel;
        correct += hits;
        seen += indices.numel;
        shard?.indices.dispose();
        globalIndices.dispose();
        o.onStep?.(step + 1, batches.length);
        // Let the event loop breathe (progress output, signals) without slowing the loop.
        if (step % 8 === 7) await new Promise((r) => setImmediate(r));
        if (stop) {
          for (const rest of batches.slice(step + 1)) rest.dispose();
          if (dp) [lossSum, correct, seen] = dp.sum([lossSum, correct, seen]) as [number, number, number];
          const seconds = earlier + (performance.now() - started) / 1000;
          await save(epoch - 1, { step: step + 1, lr, lossSum, correct, seen, seconds }, epochRng);
          epochRng.dispose();
          // No process leaves before the checkpoint is written.
          dp?.barrier();
          throw new Interrupted(epoch, step + 1, batches.length);
        }
      }
      epochRng.dispose();
      if (dp) [lossSum, correct, seen] = dp.sum([lossSum, correct, seen]) as [number, number, number];
      const val = validate(model, validation, validationLabels, o, dp);
      const record: EpochRecord = {
        epoch,
        train_loss: lossSum / Math.max(1, seen),
        train_accuracy: correct / Math.max(1, seen),
        val_loss: val.loss,
        val_accuracy: val.accuracy,
        lr,
        seconds: earlier + (performance.now() - started) / 1000,
      };
      history.push(record);
      // Accuracy ties are broken by the lower loss.
      const improved = recipe.stopOn === "accuracy" ? record.val_accuracy > best.score || (record.val_accuracy === best.score && record.val_loss < best.loss) : record.val_loss < best.loss;
      if (improved) {
        for (const s of best.state?.values() ?? []) s.dispose();
        best = { score: record.val_accuracy, loss: record.val_loss, epoch, state: snapshot(model) };
      }
      // An epoch's freed buffers (batches, activations, and what the decoding workers left)
      // stay in the C heap's free lists unless handed back: measured on bench:speed's data,
      // RssAnon at the end of a run varied from 300 to 1,150 MB, and was ~170-200 MB once trimmed.
      trimMemory();
      o.onEpoch?.(record, improved);
      await new Promise((r) => setImmediate(r));
      const mayStop = epoch >= recipe.earliestStop * plannedEpochs;
      let stopEarly = o.earlyStopping > 0 && mayStop && epoch - best.epoch >= o.earlyStopping && epoch < o.epochs;
      // The epochs that still fit at the last epoch's pace; the decay is re-planned to end with them.
      let reachable = o.deadline === null ? o.epochs : Math.min(o.epochs, epoch + Math.floor((o.deadline - performance.now()) / (record.seconds * 1000)));
      // The first process decides for all: clocks differ between processes.
      if (dp) {
        const [leaderStops, leaderReaches] = dp.fromLeader([stopEarly ? 1 : 0, reachable]) as [number, number];
        stopEarly = leaderStops === 1;
        reachable = leaderReaches;
      }
      if (stopEarly) {
        stoppedBy = "early_stopping";
        break;
      }
      if (o.deadline !== null) {
        if (reachable !== plannedEpochs) {
          plannedEpochs = Math.max(epoch, reachable);
          schedule?.resize(plannedEpochs * stepsPerEpoch);
        }
        if (epoch >= plannedEpochs && epoch < o.epochs) {
          stoppedBy = "time_limit";
          break;
        }
      }
      if (epoch < o.epochs) await save(epoch, null, null);
    }
    if (best.state) model.loadStateDict(best.state);
  } finally {
    for (const t of best.state?.values() ?? []) t.dispose();
    optimizer.dispose();
  }
  return { history, bestEpoch: best.epoch, stoppedEarly: stoppedBy !== null, stoppedBy, plannedEpochs };
}

/** Validation loss and accuracy; data-parallel processes each score a part and add up. */
function validate(model: MultimodalClassifier, validation: TensorDataset, labels: number[], o: FitOptions, dp: DataParallel | null): { loss: number; accuracy: number } {
  const batchSize = o.batchSize * 2;
  if (!dp) {
    const val = score(model, validation, batchSize, o.device, false, o.precision);
    return { loss: val.loss, accuracy: val.predicted.filter((p, i) => p === labels[i]).length / Math.max(1, validation.size) };
  }
  // Batch-norm statistics are the first process's, as DDP keeps them.
  dp.broadcastBuffers(model);
  const part = Math.ceil(validation.size / dp.worldSize);
  const start = Math.min(validation.size, dp.rank * part);
  const end = Math.min(validation.size, start + part);
  const val = score(model, validation, batchSize, o.device, false, o.precision, { start, end });
  const hits = val.predicted.filter((p, i) => p === labels[start + i]).length;
  const [lossSum, labelled, correct] = dp.sum([val.labelled ? val.loss * val.labelled : 0, val.labelled, hits]) as [number, number, number];
  return { loss: labelled ? lossSum / labelled : NaN, accuracy: correct / Math.max(1, validation.size) };
}

/** Mean over inputs of each input's cross-entropy on the rows that have it. */
function inputLoss(inputLogits: Tensor[], present: Tensor[], labels: Tensor, labelSmoothing: number): Tensor | null {
  let total: Tensor | null = null;
  inputLogits.forEach((logits, i) => {
    const mask = (present[i] as Tensor).float();
    const losses = F.crossEntropy(logits.float(), labels, { labelSmoothing, reduction: "none" });
    const term = losses.mul(mask).sum().div(mask.sum().clamp(1));
    total = total === null ? term : total.add(term);
  });
  return total === null ? null : (total as Tensor).div(inputLogits.length);
}

function snapshot(model: MultimodalClassifier): Map<string, Tensor> {
  return noGrad(() => new Map([...model.stateDict()].map(([k, t]) => [k, keep(t.detach().clone())])));
}
