// A trained run as one ONNX graph: every input's preprocessing and encoder, the learned
// missing embeddings, the fusion, the head and the ensemble's linear members, as the model
// computes in eval mode. Outputs `logits` and `probabilities` [B, classes], and
// `input_weights` [B, inputs] where the fusion weighs its inputs (gated, late).
import type { PreprocessState } from "../../data/preprocess-state.js";
import type { InputState } from "../../inputs/kind.js";
import type { MultimodalClassifier } from "../../model/classifier.js";
import { noGrad, tidy } from "../../torch/index.js";
import { VERSION } from "../../version.js";
import { encode } from "./encoders.js";
import { fuse, type FusionInputValues } from "./fusion.js";
import { Graph } from "./graph.js";
import { BATCH, OUTPUTS } from "./input-names.js";
import { graphInput, type InputValues } from "./inputs.js";
import { sequential, weightOf } from "./layers.js";
import { combineLinearMembers } from "./linear-members.js";
import { DataType, encodeModel } from "./proto.js";

/** Keys of the model's metadata_props. */
export const METADATA = { classes: "modalfuse.classes", inputs: "modalfuse.inputs", fusion: "modalfuse.fusion", preset: "modalfuse.preset" } as const;

/** The ModelProto object of a loaded model (eval mode) and the state it was trained with. */
export function onnxModelOf(state: PreprocessState, model: MultimodalClassifier): Record<string, unknown> {
  if (model.training) throw new Error("onnx export: the model must be in eval mode");
  const g = new Graph();
  const inputs = new Map<string, { state: InputState; values: InputValues }>();
  const fusionInputs: FusionInputValues[] = [];
  tidy(() =>
    noGrad(() => {
      model.encoders.forEach((encoder, i) => {
        const s = state.inputs[i];
        if (!s || s.name !== encoder.inputName) throw new Error(`onnx export: encoder ${encoder.inputName} does not match the run's input ${s?.name}`);
        const values = graphInput(g, s);
        inputs.set(s.name, { state: s, values });
        const encoded = encode(g, encoder, s, values.x);
        const missing = g.op("Unsqueeze", [weightOf(g, model.missing[i]!, `missing_${s.name}`), g.int64s([0])]);
        const features = g.op("Where", [g.op("Unsqueeze", [values.present, g.int64s([1])]), encoded, missing]);
        fusionInputs.push({ features, present: values.present });
      });
      const fused = fuse(g, model.fusion, fusionInputs);
      let logits = model.fusion.producesLogits ? fused.output : sequential(g, model.head, fused.output, null).out;
      if (model.linear) logits = combineLinearMembers(g, model.linear, logits, inputs);
      const classes = state.classes.length;
      g.output(OUTPUTS.logits, logits, DataType.FLOAT, [BATCH, classes]);
      g.output(OUTPUTS.probabilities, g.op("Softmax", [logits], { axis: { int: 1 } }), DataType.FLOAT, [BATCH, classes]);
      if (fused.weights) g.output(OUTPUTS.inputWeights, fused.weights, DataType.FLOAT, [BATCH, state.inputs.length]);
    }),
  );
  return g.model({
    name: "modalfuse",
    producerVersion: VERSION,
    doc: `modalfuse ${state.model.preset} model, ${state.model.fusion} fusion, inputs ${state.inputs.map((s) => s.name).join(", ")}; classes ${state.classes.join(", ")}`,
    metadata: {
      [METADATA.classes]: JSON.stringify(state.classes),
      [METADATA.inputs]: JSON.stringify(state.inputs.map((s) => ({ name: s.name, kind: s.kind }))),
      [METADATA.fusion]: state.model.fusion,
      [METADATA.preset]: state.model.preset,
    },
  });
}

/** The ONNX bytes of a loaded model. */
export function onnxBytes(state: PreprocessState, model: MultimodalClassifier): Uint8Array {
  return encodeModel(onnxModelOf(state, model));
}
