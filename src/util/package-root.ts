// The engine finds its own build (src/torch/ depends on nothing else of modalfuse); the
// rest of modalfuse asks the same question.
export { packageRoot } from "../torch/package-root.js";
