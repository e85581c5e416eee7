// The modalfuse library.
export * as torch from "./torch/index.js";
export { UserError } from "./errors.js";
