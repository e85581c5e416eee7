"""torchvision's resnet18 trained on random in-memory images, in PyTorch.

Prints one JSON line: samples per second over the timed steps. bench/engine.ts runs it
next to modalfuse's ResNet18 (same layers, same names), in the same run, with the same
shapes and threads.
"""
import argparse
import json

import torch
import torch.nn.functional as F
import torchvision

from step_timing import seconds_for


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dev = torch.device(a.device)
    model = torchvision.models.resnet18(num_classes=10).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    pool = 2
    img = [torch.randn(a.batch, 3, a.size, a.size, device=dev) for _ in range(pool)]
    lab = [torch.randint(0, 10, (a.batch,), device=dev) for _ in range(pool)]
    model.train()

    def step(i):
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(img[i % pool]), lab[i % pool])
        loss.backward()
        opt.step()
        return loss.item()

    seconds = seconds_for(step, a.warmup, a.steps, dev)
    print(json.dumps({"sps": a.steps * a.batch / seconds, "torch": torch.__version__, "torchvision": torchvision.__version__}))


if __name__ == "__main__":
    main()
