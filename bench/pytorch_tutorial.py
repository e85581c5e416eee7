"""The tutorial's fused classifier trained on random in-memory data, in PyTorch.

Prints one JSON line: samples per second over the timed steps. bench/engine.ts runs it
next to the same model in modalfuse, in the same run, with the same shapes and threads.
"""
import argparse
import json

import torch
import torch.nn as nn
import torch.nn.functional as F

from step_timing import seconds_for


def cnn(channels, height, width, features):
    return nn.Sequential(
        nn.Conv2d(channels, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * (height // 4) * (width // 4), features))


class TutorialModel(nn.Module):
    def __init__(self, tabular, image, audio, features, classes):
        super().__init__()
        self.tabular = nn.Sequential(nn.Linear(tabular, 64), nn.ReLU(), nn.Linear(64, features))
        self.image = cnn(*image, features)
        self.audio = cnn(*audio, features)
        self.head = nn.Sequential(nn.Linear(3 * features, 256), nn.ReLU(), nn.Dropout(0.5), nn.Linear(256, classes))

    def forward(self, tabular, image, audio):
        return self.head(torch.cat([self.tabular(tabular), self.image(image), self.audio(audio)], 1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--shape", required=True, help="JSON: tabular, image, audio, features, classes")
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    s = json.loads(a.shape)
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dev = torch.device(a.device)
    model = TutorialModel(s["tabular"], s["image"], s["audio"], s["features"], s["classes"]).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    pool = 4
    tab = [torch.randn(a.batch, s["tabular"], device=dev) for _ in range(pool)]
    img = [torch.randn(a.batch, *s["image"], device=dev) for _ in range(pool)]
    aud = [torch.randn(a.batch, *s["audio"], device=dev) for _ in range(pool)]
    lab = [torch.randint(0, s["classes"], (a.batch,), device=dev) for _ in range(pool)]
    model.train()

    def step(i):
        k = i % pool
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(tab[k], img[k], aud[k]), lab[k])
        loss.backward()
        opt.step()
        return loss.item()

    seconds = seconds_for(step, a.warmup, a.steps, dev)
    print(json.dumps({"sps": a.steps * a.batch / seconds, "torch": torch.__version__, "threads": torch.get_num_threads(), "device": str(dev)}))


if __name__ == "__main__":
    main()
