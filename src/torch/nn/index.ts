export { Module, Layer, type StateDict, type LoadStateDictOptions, type LoadStateDictResult } from "./module.js";
export * from "./layers.js";
export { MultiheadAttention, TransformerEncoderLayer, type AttentionOptions } from "./attention.js";
export * as init from "./init.js";
