"""Reference values from Python PyTorch for modalfuse's engine tests.

Reads JSON cases on stdin, writes JSON results on stdout. Each case names its inputs
(shape, dtype, flat data, whether to differentiate), a Python expression over them, and
optionally an optimizer or learning-rate schedule to run. For differentiable cases the
gradient is that of sum(out * probe), probe[i] = cos(0.37 * i), which the TypeScript side
computes the same way.
"""
import json
import sys

import torch
import torch.nn.functional as F

DTYPES = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64, "bool": torch.bool}


def make_input(spec):
    t = torch.tensor(spec["data"], dtype=DTYPES[spec["dtype"]]).reshape(spec["shape"])
    if spec.get("grad"):
        t.requires_grad_(True)
    return t


def probe_like(out):
    return torch.cos(torch.arange(out.numel(), dtype=torch.float64) * 0.37).reshape(out.shape).to(out.dtype)


def flat(t):
    t = t.detach()
    if t.is_complex():
        t = torch.view_as_real(t)
    if t.dtype == torch.bool:
        t = t.to(torch.int64)
    return {"shape": list(t.shape), "data": t.reshape(-1).tolist()}


def scope(inputs):
    env = {"torch": torch, "F": F, "nn": torch.nn}
    env.update(inputs)
    return env


def run_expr(case):
    inputs = {name: make_input(spec) for name, spec in case["inputs"].items()}
    out = eval(case["expr"], scope(inputs))
    result = {"out": flat(out), "grads": {}}
    if out.is_floating_point() and any(t.requires_grad for t in inputs.values()):
        (out * probe_like(out)).sum().backward()
        for name, t in inputs.items():
            if t.requires_grad and t.grad is not None:
                result["grads"][name] = flat(t.grad)["data"]
    return result


def run_optim(case):
    inputs = {name: make_input(spec) for name, spec in case["inputs"].items()}
    params = [t for t in inputs.values() if t.requires_grad]
    spec = case["optim"]
    opts = dict(spec["options"])
    if "betas" in opts:
        opts["betas"] = tuple(opts["betas"])
    opt = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[spec["kind"]](params, **opts)
    for _ in range(spec["steps"]):
        opt.zero_grad()
        out = eval(case["expr"], scope(inputs))
        (out * probe_like(out)).sum().backward()
        if spec.get("clip"):
            torch.nn.utils.clip_grad_norm_(params, spec["clip"])
        opt.step()
    return {"params": {name: flat(t)["data"] for name, t in inputs.items() if t.requires_grad}}


def run_schedule(case):
    spec = case["schedule"]
    param = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([param], lr=spec["lr"])
    if spec["kind"] == "step":
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=spec["stepSize"], gamma=spec["gamma"])
    else:
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
            opt, mode=spec["mode"], factor=spec["factor"], patience=spec["patience"],
            threshold=spec["threshold"], cooldown=spec["cooldown"], min_lr=spec["minLr"])
    lrs = []
    for metric in spec["metrics"]:
        opt.step()
        if spec["kind"] == "step":
            sched.step()
        else:
            sched.step(metric)
        lrs.append(opt.param_groups[0]["lr"])
    return {"lrs": lrs}


def main():
    torch.set_num_threads(1)
    cases = json.load(sys.stdin)
    results = {}
    for case in cases:
        try:
            if "optim" in case:
                results[case["name"]] = run_optim(case)
            elif "schedule" in case:
                results[case["name"]] = run_schedule(case)
            else:
                results[case["name"]] = run_expr(case)
        except Exception as e:  # reported per case so one bad case does not hide the rest
            results[case["name"]] = {"error": f"{type(e).__name__}: {e}"}
    json.dump({"torch": torch.__version__, "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
