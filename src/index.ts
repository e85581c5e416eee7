// The modalfuse library: train, load and predict; the engine underneath as `torch`.
export { train, resume, load, demo, demoConfig, type TrainOptions, type DemoOptions } from "./api.js";
export { TrainedModel, type Prediction, type PredictOptions } from "./inference.js";
export type { Config, ConfigInput } from "./config/schema.js";
export type { InputKind, InputParams, InputState, KindName } from "./inputs/kind.js";
export type { RunSummary } from "./training/run.js";
export type { Metrics } from "./training/metrics.js";
export type { Row } from "./data/table/manifest.js";
export { UserError } from "./errors.js";
export { EngineUnavailableError } from "./torch/build-status.js";
export * as torch from "./torch/index.js";
