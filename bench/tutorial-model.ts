// The tutorial's fused classifier, layer for layer: a tabular MLP, an image CNN and an
// audio-spectrogram CNN (the seed preset's), concatenated into an MLP head, without the
// missing-modality handling of the real model. bench/pytorch_tutorial.py holds the same
// model in PyTorch.
import { seedCnn } from "../src/model/encoders.js";
import { nn, cat, type Tensor } from "../src/torch/index.js";

export interface TutorialShape {
  tabular: number;
  image: [number, number, number];
  audio: [number, number, number];
  features: number;
  classes: number;
}

export const TUTORIAL_SHAPE: TutorialShape = { tabular: 10, image: [3, 64, 64], audio: [1, 64, 64], features: 128, classes: 3 };

export class TutorialModel extends nn.Module {
  readonly tabular: nn.Sequential;
  readonly image: nn.Sequential;
  readonly audio: nn.Sequential;
  readonly head: nn.Sequential;
  constructor(s: TutorialShape = TUTORIAL_SHAPE) {
    super();
    this.tabular = this.child("tabular", new nn.Sequential(new nn.Linear(s.tabular, 64), new nn.ReLU(), new nn.Linear(64, s.features)));
    this.image = this.child("image", seedCnn(...s.image, s.features));
    this.audio = this.child("audio", seedCnn(...s.audio, s.features));
    this.head = this.child("head", new nn.Sequential(new nn.Linear(3 * s.features, 256), new nn.ReLU(), new nn.Dropout(0.5), new nn.Linear(256, s.classes)));
  }
  forward(tabular: Tensor, image: Tensor, audio: Tensor): Tensor {
    return this.head.forward(cat([this.tabular.forward(tabular), this.image.forward(image), this.audio.forward(audio)], 1));
  }
}
