// The tutorial's fused classifier, layer for layer: a tabular MLP, an image CNN and an
// audio-spectrogram CNN, concatenated into an MLP head. bench/pytorch_tutorial.py holds
// the same model in PyTorch.
import { nn, cat, type Tensor } from "../src/torch/index.js";

export interface TutorialShape {
  tabular: number;
  image: [number, number, number];
  audio: [number, number, number];
  features: number;
  classes: number;
}

export const TUTORIAL_SHAPE: TutorialShape = { tabular: 10, image: [3, 64, 64], audio: [1, 64, 64], features: 128, classes: 3 };

function cnn(channels: number, height: number, width: number, features: number): nn.Sequential {
  return new nn.Sequential(
    new nn.Conv2d(channels, 16, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(16, 32, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(32 * Math.floor(height / 4) * Math.floor(width / 4), features),
  );
}

export class TutorialModel extends nn.Module {
  readonly tabular: nn.Sequential;
  readonly image: nn.Sequential;
  readonly audio: nn.Sequential;
  readonly head: nn.Sequential;
  constructor(s: TutorialShape = TUTORIAL_SHAPE) {
    super();
    this.tabular = this.child("tabular", new nn.Sequential(new nn.Linear(s.tabular, 64), new nn.ReLU(), new nn.Linear(64, s.features)));
    this.image = this.child("image", cnn(...s.image, s.features));
    this.audio = this.child("audio", cnn(...s.audio, s.features));
    this.head = this.child("head", new nn.Sequential(new nn.Linear(3 * s.features, 256), new nn.ReLU(), new nn.Dropout(0.5), new nn.Linear(256, s.classes)));
  }
  forward(tabular: Tensor, image: Tensor, audio: Tensor): Tensor {
    return this.head.forward(cat([this.tabular.forward(tabular), this.image.forward(image), this.audio.forward(audio)], 1));
  }
}
