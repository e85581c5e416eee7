// Loading torchvision-named weights into a backbone. modalfuse's loadStateDict is strict
// (every tensor present, nothing extra); torchvision checkpoints saved before PyTorch 0.4.1
// have no `num_batches_tracked`, which PyTorch's BatchNorm fills in with 0 when loading.
// This does the same, and nothing else: any other missing or extra tensor still fails.
import { zeros, type nn, type Tensor } from "../../torch/index.js";

const COUNTER = ".num_batches_tracked";

/** Loads `state` into `model`, supplying a 0 counter for each batch norm the dict lacks one for. */
export function loadTorchvisionWeights(model: nn.Module, state: Map<string, Tensor>): void {
  const filled = new Map(state);
  const added: Tensor[] = [];
  for (const [name] of model.namedBuffers()) {
    if (!name.endsWith(COUNTER) || filled.has(name)) continue;
    // Only where the batch norm's own statistics came with the dict: otherwise the dict is
    // for another model and loadStateDict should say so.
    if (!filled.has(`${name.slice(0, -COUNTER.length)}.running_mean`)) continue;
    const counter = zeros([], { dtype: "int64" });
    added.push(counter);
    filled.set(name, counter);
  }
  try {
    model.loadStateDict(filled);
  } finally {
    for (const t of added) t.dispose();
  }
}
