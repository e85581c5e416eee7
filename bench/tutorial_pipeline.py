"""The tutorial's data pipeline in PyTorch, end to end, on a file-backed data set.

"The tutorial's way": a Dataset whose __getitem__ opens one picture and one recording and
computes a spectrogram, and a DataLoader (batch 32, shuffled, no worker processes) that
collates item by item, every epoch. The model is bench/pytorch_tutorial.py's. The data set
is bench/speed-data.ts's manifests (id, label, num_0..num_9, image, audio; paths relative
to the manifest's folder).

Prints JSON lines to stdout: a start line, then one per epoch with its timings and the
validation accuracy, so a benchmark can compare time-to-accuracy with modalfuse.
"""
import time

STARTED = time.perf_counter()  # before importing torch: elapsed_s counts its import too

import argparse
import csv
import json
import os
import sys

import numpy
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_tutorial import TutorialModel  # noqa: E402

try:
    import soundfile

    def read_audio(path):
        return soundfile.read(path, dtype="float32", always_2d=True)
except ImportError:  # a machine without python3-soundfile: the same libsndfile, called directly
    from sndfile_ctypes import read_audio  # noqa: E402

NUMERIC = [f"num_{k}" for k in range(10)]
IMAGE_SIZE = 64
SPECTROGRAM_SIZE = 64
SECONDS = 5
N_FFT = 1024
HOP = 512


def read_manifest(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    folder = os.path.dirname(os.path.abspath(path))
    for row in rows:
        row["image"] = os.path.join(folder, row["image"])
        row["audio"] = os.path.join(folder, row["audio"])
    return rows


def column_stats(rows):
    """Mean and standard deviation of each numeric column over the training rows, once upfront."""
    values = torch.tensor([[float(row[c]) for c in NUMERIC] for row in rows], dtype=torch.float64)
    std = values.std(0)
    return values.mean(0).float(), torch.where(std > 0, std, torch.ones_like(std)).float()


def load_image(path):
    image = Image.open(path).convert("RGB").resize((IMAGE_SIZE, IMAGE_SIZE), Image.BILINEAR)
    return torch.from_numpy(numpy.array(image)).permute(2, 0, 1).float() / 255  # HWC bytes to CHW floats


def load_spectrogram(path):
    """Mono, 5 s at the file's own rate, log power STFT, squeezed to 64x64 bilinearly."""
    wave, rate = read_audio(path)
    wave = torch.from_numpy(wave).mean(1)
    length = SECONDS * rate
    wave = wave[:length] if wave.numel() >= length else F.pad(wave, (0, length - wave.numel()))
    spec = torch.stft(wave, n_fft=N_FFT, hop_length=HOP, window=torch.hann_window(N_FFT), return_complex=True)
    power = torch.log(spec.abs() ** 2 + 1e-6)
    return F.interpolate(power[None, None], size=(SPECTROGRAM_SIZE, SPECTROGRAM_SIZE), mode="bilinear", align_corners=False)[0]


class FusedDataset(torch.utils.data.Dataset):
    def __init__(self, rows, classes, mean, std):
        self.rows, self.mean, self.std = rows, mean, std
        self.index = {c: i for i, c in enumerate(classes)}

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        row = self.rows[i]
        tabular = (torch.tensor([float(row[c]) for c in NUMERIC]) - self.mean) / self.std
        return tabular, load_image(row["image"]), load_spectrogram(row["audio"]), self.index[row["label"]]


def emit(record):
    print(json.dumps(record), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", required=True)
    ap.add_argument("--validation", required=True)
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    device = torch.device(a.device)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    emit({"start": True, "torch": torch.__version__, "threads": torch.get_num_threads(), "device": str(device)})

    train_rows, validation_rows = read_manifest(a.train), read_manifest(a.validation)
    classes = sorted({row["label"] for row in train_rows})
    mean, std = column_stats(train_rows)
    train = torch.utils.data.DataLoader(FusedDataset(train_rows, classes, mean, std), batch_size=a.batch, shuffle=True, num_workers=0)
    validation = torch.utils.data.DataLoader(FusedDataset(validation_rows, classes, mean, std), batch_size=a.batch, shuffle=False, num_workers=0)

    model = TutorialModel(len(NUMERIC), (3, IMAGE_SIZE, IMAGE_SIZE), (1, SPECTROGRAM_SIZE, SPECTROGRAM_SIZE), 128, len(classes)).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    for epoch in range(1, a.epochs + 1):
        start = time.perf_counter()
        model.train()
        for batch in train:
            tabular, image, audio, label = (t.to(device) for t in batch)
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(tabular, image, audio), label).backward()
            opt.step()
        train_seconds = time.perf_counter() - start
        model.eval()
        correct = 0
        with torch.no_grad():
            for batch in validation:
                tabular, image, audio, label = (t.to(device) for t in batch)
                correct += (model(tabular, image, audio).argmax(1) == label).sum().item()
        emit({
            "epoch": epoch, "train_seconds": train_seconds, "epoch_seconds": time.perf_counter() - start,
            "val_accuracy": correct / len(validation_rows), "elapsed_s": time.perf_counter() - STARTED,
        })


if __name__ == "__main__":
    main()
