// Users' pretrained weights: PyTorch zip checkpoints and .safetensors, read without running
// anything in them, and checked against what a model expects.
export { readWeights, loadWeights, decodeWeights, type LoadedWeights, type ReadWeightsOptions, type WeightsFormat } from "./read.js";
export { matchWeights, assertWeightsMatch, compareWeights, type WeightsMismatch } from "./match.js";
export { convertWeights, defaultOutput, type ConvertResult } from "./convert.js";
export { addConvertCommand } from "./command.js";
