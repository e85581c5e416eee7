"""Reference values from a plain-PyTorch Cnn14 for modalfuse's Cnn14 parity test.

Usage: cnn14_reference.py WAVES OUT_DIR
       cnn14_reference.py --weights-only OUT_PTH

The model is written here from the published description of PANNs' Cnn14 (32 kHz input,
1024-sample periodic Hann window, hop 320, centred STFT with reflect padding as two
strided 1-D convolutions, power, 64 Slaney mel bands from 50 Hz to 14 kHz, 10*log10 with
power clamped at 1e-10, bn0 over the mel bins, six conv blocks, mean over frequency, max +
mean over time, fc1 + ReLU, fc_audioset + sigmoid), with PANNs' state-dict names.

With WAVES (a safetensors file holding `waveforms` [N, samples] at 32 kHz), builds the
model from a fixed seed, perturbs every batch norm's affine parameters and running
statistics, and writes to OUT_DIR:

  cnn14.pth              {'model': state_dict, 'iteration': 0}, as PANNs saves checkpoints
  reference.safetensors  eval: logmel (before bn0), embedding, clipwise; one train-mode
                         pass with dropout off: embedding, clipwise, bn0's and
                         conv_block6.bn2's running statistics after it, and the gradient of
                         sum(clipwise * probe) w.r.t. conv_block6.conv2.weight and fc1.weight,
                         probe[i] = cos(0.37 i)

With --weights-only, writes only a randomly initialised checkpoint to OUT_PTH, its batch
norms' running statistics measured on random tones in noise, some of it band-limited as
audio resampled from lower rates is (as training on such audio would leave them),
so that in eval mode clips still differ after six blocks, and fc1 scaled so that the
embedding has unit spread on those clips: a head on top then starts from moderate logits.
"""
import json
import math
import sys

import torch

from safetensors_io import save_safetensors, load_safetensors
import torch.nn as nn
import torch.nn.functional as F

SAMPLE_RATE, N_FFT, HOP, MELS, FMIN, FMAX = 32000, 1024, 320, 64, 50.0, 14000.0


def stft_kernels():
    """Windowed DFT rows 0..N/2: real w[n]cos(2πkn/N), imaginary -w[n]sin(2πkn/N)."""
    n = torch.arange(N_FFT, dtype=torch.float64)
    k = torch.arange(N_FFT // 2 + 1, dtype=torch.float64)
    window = 0.5 - 0.5 * torch.cos(2 * math.pi * n / N_FFT)
    angle = 2 * math.pi * torch.remainder(k[:, None] * n[None, :], N_FFT) / N_FFT
    real = (torch.cos(angle) * window).float()[:, None, :]
    imag = (-torch.sin(angle) * window).float()[:, None, :]
    return real, imag


def hz_to_mel(hz):
    # Slaney: linear below 1 kHz (200/3 Hz per mel), logarithmic above (27 mels per factor 6.4).
    return hz / (200 / 3) if hz < 1000 else 15 + math.log(hz / 1000) / (math.log(6.4) / 27)


def mel_to_hz(mel):
    return torch.where(mel < 15, mel * (200 / 3), 1000 * torch.exp((math.log(6.4) / 27) * (mel - 15)))


def mel_matrix():
    """Triangular Slaney-normalised filters, [bins, mels] (power @ matrix gives mel power)."""
    points = mel_to_hz(torch.linspace(hz_to_mel(FMIN), hz_to_mel(FMAX), MELS + 2, dtype=torch.float64))
    freqs = torch.linspace(0, SAMPLE_RATE / 2, N_FFT // 2 + 1, dtype=torch.float64)
    left, centre, right = points[:-2, None], points[1:-1, None], points[2:, None]
    rising = (freqs[None, :] - left) / (centre - left)
    falling = (right - freqs[None, :]) / (right - centre)
    weights = torch.clamp(torch.minimum(rising, falling), min=0) * (2 / (right - left))
    return weights.t().float().contiguous()


class Fixed(nn.Module):
    def __init__(self, weight):
        super().__init__()
        self.weight = nn.Parameter(weight, requires_grad=False)


class Stft(nn.Module):
    def __init__(self):
        super().__init__()
        real, imag = stft_kernels()
        self.conv_real = Fixed(real)
        self.conv_imag = Fixed(imag)


class Spectrogram(nn.Module):
    def __init__(self):
        super().__init__()
        self.stft = Stft()

    def forward(self, x):
        x = F.pad(x[:, None, :], (N_FFT // 2, N_FFT // 2), mode="reflect")
        real = F.conv1d(x, self.stft.conv_real.weight, stride=HOP).transpose(1, 2)[:, None]
        imag = F.conv1d(x, self.stft.conv_imag.weight, stride=HOP).transpose(1, 2)[:, None]
        return real**2 + imag**2  # [N, 1, frames, bins]


class LogMel(nn.Module):
    def __init__(self):
        super().__init__()
        self.melW = nn.Parameter(mel_matrix(), requires_grad=False)

    def forward(self, power):
        return 10.0 * torch.log10(torch.clamp(torch.matmul(power, self.melW), min=1e-10))


class Block(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.bn2 = nn.BatchNorm2d(cout)
        for conv in (self.conv1, self.conv2):
            nn.init.xavier_uniform_(conv.weight)

    def forward(self, x, pool):
        x = F.relu(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))))
        return F.avg_pool2d(x, pool) if pool > 1 else x


class Cnn14(nn.Module):
    def __init__(self, dropout=True):
        super().__init__()
        self.dropout = dropout
        self.spectrogram_extractor = Spectrogram()
        self.logmel_extractor = LogMel()
        self.bn0 = nn.BatchNorm2d(MELS)
        widths = [1, 64, 128, 256, 512, 1024, 2048]
        for i in range(6):
            setattr(self, f"conv_block{i + 1}", Block(widths[i], widths[i + 1]))
        self.fc1 = nn.Linear(2048, 2048)
        self.fc_audioset = nn.Linear(2048, 527)
        for fc in (self.fc1, self.fc_audioset):
            nn.init.xavier_uniform_(fc.weight)
            fc.bias.data.zero_()

    def drop(self, x, p):
        return F.dropout(x, p, training=self.training and self.dropout)

    def logmel(self, waves):
        return self.logmel_extractor(self.spectrogram_extractor(waves))

    def forward(self, waves):
        x = self.bn0(self.logmel(waves).transpose(1, 3)).transpose(1, 3)
        for i in range(6):
            x = self.drop(getattr(self, f"conv_block{i + 1}")(x, 2 if i < 5 else 1), 0.2)
        x = x.mean(dim=3)
        x = x.max(dim=2)[0] + x.mean(dim=2)
        x = F.relu(self.fc1(self.drop(x, 0.5)))
        return self.drop(x, 0.5), torch.sigmoid(self.fc_audioset(x))


def build():
    torch.manual_seed(0)
    model = Cnn14()
    with torch.no_grad():
        for name, module in model.named_modules():
            if isinstance(module, nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
                module.num_batches_tracked.fill_(7)
                if name == "bn0":  # decibels: a level and spread like real log-mels'
                    module.running_mean.uniform_(-60, -20)
                    module.running_var.uniform_(100, 400)
                else:
                    module.running_mean.uniform_(-0.3, 0.3)
                    module.running_var.uniform_(0.5, 2.0)
    return model


def calibrate(model):
    """Running statistics as a training pass over tone-in-noise clips leaves them."""
    torch.manual_seed(1)
    t = torch.arange(SAMPLE_RATE // 2, dtype=torch.float32) / SAMPLE_RATE
    hz = torch.exp(torch.empty(8, 1).uniform_(math.log(100), math.log(8000)))
    waves = 0.3 * torch.sin(2 * math.pi * hz * t) + 0.03 * torch.randn(8, t.numel())
    # Half of them with nothing above 4, 8, 11 or 16 kHz: the spectrum cut in the DFT.
    spectrum = torch.fft.rfft(waves[4:])
    bins = torch.fft.rfftfreq(t.numel(), 1 / SAMPLE_RATE)
    cutoff = torch.tensor([4000.0, 8000.0, 11025.0, 16000.0])[:, None]
    waves[4:] = torch.fft.irfft(spectrum * (bins[None, :] < cutoff), n=t.numel())
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.reset_running_stats()
            module.momentum = None  # a plain average over the passes
    model.train()
    with torch.no_grad():
        model(waves)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.momentum = 0.1
    model.eval()
    with torch.no_grad():
        spread = model(waves)[0].std()
        model.fc1.weight /= spread
        model.fc1.bias /= spread
    return model


def save_checkpoint(model, path):
    torch.save({"model": model.state_dict(), "iteration": 0}, path)


def main():
    if sys.argv[1] == "--weights-only":
        save_checkpoint(calibrate(build()), sys.argv[2])
        return
    waves_path, out_dir = sys.argv[1], sys.argv[2]
    waves = load_safetensors(waves_path)["waveforms"]
    model = build()
    save_checkpoint(model, f"{out_dir}/cnn14.pth")

    out = {}
    model.eval()
    with torch.no_grad():
        out["eval.logmel"] = model.logmel(waves)
        out["eval.embedding"], out["eval.clipwise"] = model(waves)

    model.train()
    model.dropout = False
    embedding, clipwise = model(waves)
    probe = torch.cos(torch.arange(clipwise.numel(), dtype=torch.float64) * 0.37).reshape(clipwise.shape).float()
    (clipwise * probe).sum().backward()
    out["train.embedding"], out["train.clipwise"] = embedding, clipwise
    out["train.grad.conv_block6.conv2.weight"] = model.conv_block6.conv2.weight.grad
    out["train.grad.fc1.weight"] = model.fc1.weight.grad
    for name, t in model.state_dict().items():
        if name.startswith(("bn0.", "conv_block6.bn2.")) and ("running_" in name or "num_batches_tracked" in name):
            out[f"train.after.{name}"] = t
    save_safetensors(f"{out_dir}/reference.safetensors", out)
    print(json.dumps({"torch": torch.__version__}))


main()
