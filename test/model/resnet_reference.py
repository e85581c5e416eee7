"""Reference values from torchvision's resnet18 for modalfuse's ResNet18 parity test.

Usage: resnet_reference.py IMAGE_DIR OUT_DIR

Builds torchvision.models.resnet18() from a fixed seed, perturbs every batch norm's
affine parameters and running statistics (so eval mode uses statistics that differ from
the batch's), and writes two safetensors files to OUT_DIR:

  weights.safetensors    the state dict, keys as torchvision names them
  resnet18.pth           the same state dict as torch.save writes it
  reference.safetensors  inputs (real images, ImageNet-normalised, at 64 and 224) and the
                         model's outputs: eval logits/features at both sizes; one train-mode
                         forward at 64 (logits, features, the running statistics after it)
                         and the gradient of sum(logits * probe) w.r.t. conv1.weight and
                         fc.weight, probe[i] = cos(0.37 i)

Exits with status 3 and a message if torchvision or PIL is missing.
"""
import json
import os
import sys

import torch

from safetensors_io import save_safetensors

try:
    import torchvision
    from PIL import Image
except ImportError as error:
    sys.stderr.write(f"torchvision/PIL not importable by {sys.executable}: {error}. Install them with: apt-get install -y python3-torchvision python3-pil\n")
    sys.exit(3)

# The images, in batch order; each is converted to RGB whatever its mode.
IMAGES = ["red_blue.jpg", "cmyk.jpg", "gray_gradient.jpg", "oriented.jpg", "palette.png", "rgba.png", "gray_alpha.png", "red_blue.webp"]
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)


def load_batch(image_dir, size):
    batch = []
    for name in IMAGES:
        image = Image.open(os.path.join(image_dir, name)).convert("RGB").resize((size, size), Image.BILINEAR)
        pixels = torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8).view(size, size, 3)
        batch.append((pixels.permute(2, 0, 1).float() / 255 - MEAN) / STD)
    return torch.stack(batch)


def features(model, x):
    """torchvision's ResNet.forward up to (and including) the flattened average pool."""
    x = model.maxpool(model.relu(model.bn1(model.conv1(x))))
    x = model.layer4(model.layer3(model.layer2(model.layer1(x))))
    return torch.flatten(model.avgpool(x), 1)


def probe_like(out):
    return torch.cos(torch.arange(out.numel(), dtype=torch.float64) * 0.37).reshape(out.shape).to(out.dtype)


def perturb(model):
    """Batch norms whose statistics differ from any batch's, so eval and train differ."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
                module.running_mean.uniform_(-0.3, 0.3)
                module.running_var.uniform_(0.5, 2.0)
                module.num_batches_tracked.fill_(7)


def main():
    image_dir, out_dir = sys.argv[1], sys.argv[2]
    torch.manual_seed(0)
    model = torchvision.models.resnet18()
    perturb(model)
    save_safetensors(os.path.join(out_dir, "weights.safetensors"), model.state_dict())
    # The same weights as a user gets them: a torch.save checkpoint.
    torch.save(model.state_dict(), os.path.join(out_dir, "resnet18.pth"))

    out = {}
    model.eval()
    with torch.no_grad():
        for size in (64, 224):
            x = load_batch(image_dir, size)
            f = features(model, x)
            out[f"input{size}"] = x
            out[f"eval{size}.features"] = f
            out[f"eval{size}.logits"] = model.fc(f)

    model.train()
    f = features(model, out["input64"])
    logits = model.fc(f)
    (logits * probe_like(logits)).sum().backward()
    out["train64.features"] = f
    out["train64.logits"] = logits
    out["train64.grad.conv1.weight"] = model.conv1.weight.grad
    out["train64.grad.fc.weight"] = model.fc.weight.grad
    for name, t in model.state_dict().items():
        if "running_" in name or "num_batches_tracked" in name:
            out[f"train64.after.{name}"] = t
    save_safetensors(os.path.join(out_dir, "reference.safetensors"), out)
    print(json.dumps({"torch": torch.__version__, "torchvision": torchvision.__version__}))


if __name__ == "__main__":
    main()
