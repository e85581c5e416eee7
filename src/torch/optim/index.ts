export { Optimizer, SGD, Adam, AdamW, clipGradNorm, type SGDOptions, type AdamOptions, type ParamGroup, type ResolvedGroup } from "./optimizers.js";
export { CosineWithWarmup, StepDecay, ReduceOnPlateau, type Schedule, type PlateauOptions } from "./schedules.js";
