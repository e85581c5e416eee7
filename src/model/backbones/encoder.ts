// An input (images, or audio waveforms) read through a pretrained backbone: the backbone's
// pooled features, then one linear layer to the input's width. The backbone is a child
// named `backbone`, so its tensors are saved as encoders.<input>.backbone.<the checkpoint's
// name>; the projection ends the encoder as CnnEncoder's final linear layer does (no
// activation after it).
import type { BatchInput } from "../../inputs/kind.js";
import { nn, type Tensor } from "../../torch/index.js";
import { Encoder, type EncoderTrace } from "../encoders.js";
import { batchShape, layerInfo, traceSequential } from "../trace.js";
import { backboneSpec, type Backbone } from "./index.js";

export class BackboneEncoder extends Encoder {
  readonly backbone: Backbone;
  protected readonly body: nn.Sequential;

  constructor(
    readonly inputName: string,
    readonly backboneName: string,
    readonly features: number,
  ) {
    super();
    const spec = backboneSpec(backboneName);
    // No classifier: the pretrained one (spec.classifierPrefix: resnet18's `fc.`, cnn14's
    // `fc_audioset.`) is dropped from the weights it loads.
    this.backbone = this.child("backbone", spec.build({ classifier: false }));
    this.body = this.child("body", new nn.Sequential(new nn.Linear(spec.features, features)));
  }

  protected input(x: BatchInput): Tensor {
    return this.backbone.features(x.values as Tensor);
  }

  override trace(x: BatchInput): EncoderTrace {
    const values = x.values as Tensor;
    const pooled = this.input(x);
    const { layers, output } = traceSequential(this.body, pooled);
    return { modality: this.inputName, input: batchShape(values), layers: [{ ...layerInfo(this.backbone, pooled), detail: `${this.backboneName}, pretrained` }, ...layers], output: batchShape(output) };
  }
}
