"""Times training steps as bench/engine.ts's PyTorch sides do: warm-up steps first, and
the device synchronised around the timed ones."""
import time

import torch


def seconds_for(step, warmup, steps, dev):
    """Seconds that `steps` calls of step(i) take, after `warmup` untimed calls."""
    for i in range(warmup):
        step(i)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for i in range(steps):
        step(i)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start
