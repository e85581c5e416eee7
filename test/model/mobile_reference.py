"""Reference values for modalfuse's MobileNetV3Small and EfficientNetB0 parity tests.

Usage: mobile_reference.py IMAGE_DIR OUT_DIR

mobilenet_v3_small is torchvision's own model, under torchvision's names. efficientnet_b0
is timm's model under timm's names: Debian has no timm, so the reference is torchvision's
efficientnet_b0, which has the same layers in the same order (stem, seven MBConv stages,
1x1 head, pooled linear classifier), the same widths, SE widths, kernels, strides,
symmetric padding and SiLU; its batch norms are set to timm's eps 1e-5 and momentum 0.1,
stochastic depth is off, and its state dict is renamed to timm's keys.

For each model (prefix `mobilenet.` or `efficientnet.`) it writes to OUT_DIR:

  <prefix>weights.safetensors    the state dict (batch norms perturbed as in resnet_reference.py)
  <prefix>reference.safetensors  eval features and logits at 64 and 224; one train-mode
                                 forward of the features at 64, the running statistics
                                 after it, and gradients of sum(features * probe)

and mobilenet_v3_small.pth, torchvision's state dict as torch.save writes it.
Exits with status 3 and a message if torchvision or PIL is missing.
"""
import json
import os
import re
import sys

import torch

from resnet_reference import load_batch, perturb, probe_like, save_safetensors

import torchvision  # importing resnet_reference has already exited with status 3 where it is missing

# Stage 1 of torchvision's efficientnet_b0 has no expansion convolution, so its blocks
# number their parts differently from the other stages'.
TIMM_DS = {"0.0": "conv_dw", "0.1": "bn1", "1.fc1": "se.conv_reduce", "1.fc2": "se.conv_expand", "2.0": "conv_pw", "2.1": "bn2"}
TIMM_IR = {"0.0": "conv_pw", "0.1": "bn1", "1.0": "conv_dw", "1.1": "bn2", "2.fc1": "se.conv_reduce", "2.fc2": "se.conv_expand", "3.0": "conv_pwl", "3.1": "bn3"}
TIMM_FIXED = {"features.0.0": "conv_stem", "features.0.1": "bn1", "features.8.0": "conv_head", "features.8.1": "bn2", "classifier.1": "classifier"}


def timm_name(name):
    """torchvision efficientnet_b0 key -> timm efficientnet_b0 key."""
    module, _, tensor = name.rpartition(".")
    if module in TIMM_FIXED:
        return f"{TIMM_FIXED[module]}.{tensor}"
    m = re.fullmatch(r"features\.(\d)\.(\d+)\.block\.(\d\.(?:\d|fc1|fc2))", module)
    if not m:
        raise KeyError(name)
    stage, block, part = int(m.group(1)), m.group(2), m.group(3)
    parts = TIMM_DS if stage == 1 else TIMM_IR
    return f"blocks.{stage - 1}.{block}.{parts[part]}.{tensor}"


def reference(model, features, classifier, rename, inputs, grads):
    """Eval features/logits at each size; one train forward of the features at 64 and its gradients."""
    out = {}
    model.eval()
    with torch.no_grad():
        for size, x in inputs.items():
            f = features(x)
            out[f"eval{size}.features"] = f
            out[f"eval{size}.logits"] = classifier(f)
    model.train()
    f = features(inputs[64])
    (f * probe_like(f)).sum().backward()
    out["train64.features"] = f
    params = dict(model.named_parameters())
    for name in grads:
        out[f"train64.grad.{rename(name)}"] = params[name].grad
    for name, t in model.state_dict().items():
        if "running_" in name or "num_batches_tracked" in name:
            out[f"train64.after.{rename(name)}"] = t
    return out


def mobilenet(out_dir, inputs):
    torch.manual_seed(0)
    model = torchvision.models.mobilenet_v3_small()
    perturb(model)
    save_safetensors(os.path.join(out_dir, "mobilenet.weights.safetensors"), model.state_dict())
    torch.save(model.state_dict(), os.path.join(out_dir, "mobilenet_v3_small.pth"))
    features = lambda x: torch.flatten(model.avgpool(model.features(x)), 1)
    # stem, a depthwise convolution, an SE layer, the last 1x1 convolution
    grads = ["features.0.0.weight", "features.4.block.1.0.weight", "features.4.block.2.fc1.weight", "features.12.0.weight"]
    out = reference(model, features, model.classifier, lambda n: n, inputs, grads)
    save_safetensors(os.path.join(out_dir, "mobilenet.reference.safetensors"), out)


def efficientnet(out_dir, inputs):
    torch.manual_seed(1)
    model = torchvision.models.efficientnet_b0(stochastic_depth_prob=0.0)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.eps, module.momentum = 1e-5, 0.1
    perturb(model)
    state = {timm_name(k): v for k, v in model.state_dict().items()}
    assert len(state) == len(model.state_dict()), "two torchvision keys map to one timm key"
    save_safetensors(os.path.join(out_dir, "efficientnet.weights.safetensors"), state)
    features = lambda x: torch.flatten(model.avgpool(model.features(x)), 1)
    grads = ["features.0.0.weight", "features.2.0.block.1.0.weight", "features.2.0.block.2.fc1.weight", "features.8.0.weight"]
    out = reference(model, features, model.classifier, timm_name, inputs, grads)
    save_safetensors(os.path.join(out_dir, "efficientnet.reference.safetensors"), out)


def main():
    image_dir, out_dir = sys.argv[1], sys.argv[2]
    inputs = {size: load_batch(image_dir, size) for size in (64, 224)}
    save_safetensors(os.path.join(out_dir, "inputs.safetensors"), {f"input{size}": x for size, x in inputs.items()})
    mobilenet(out_dir, inputs)
    efficientnet(out_dir, inputs)
    print(json.dumps({"torch": torch.__version__, "torchvision": torchvision.__version__}))


if __name__ == "__main__":
    main()
