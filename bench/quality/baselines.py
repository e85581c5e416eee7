#!/usr/bin/python3
"""Classical baselines for the quality benchmark, on one built data set folder.

    /usr/bin/python3 bench/quality/baselines.py FOLDER     # prints one JSON object

FOLDER holds config.yaml, the train and test manifests it names, and their media. Each
modality gets its own features and two classifiers, trained on the training rows that have
that modality and scored on every test row:
  tabular  numeric columns standardised (missing: the training mean plus an indicator),
           categorical columns one-hot (unseen and empty values: all zeros);
  image    the pixels, RGB at the config's size, in [0, 1];
  audio    per-band log-mel mean, std and max over time;
  lr       StandardScaler + LogisticRegression, C chosen by 3-fold CV on the training rows;
  gbt      HistGradientBoostingClassifier with its own internal early stopping.
Late fusion sums each row's log-probabilities over the modalities that row has, for lr and
gbt separately. Media that is empty, absent or undecodable is missing for that row: its
features are the training means and its model is left out of that row's fusion.
"""
import csv
import ctypes
import ctypes.util
import functools
import json
import math
import os
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor

# One thread per process: the parallelism is processes (decoding, the CV grid). OpenMP's and
# OpenBLAS's spinning threads made the fits 5-20x slower in wall time whenever anything else
# ran on the machine; single-threaded, the gradient-boosted trees here take seconds.
for _threads in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_threads, "1")

import numpy as np  # noqa: E402  (after the thread settings, which numpy reads on import)

C_GRID = [0.001, 0.01, 0.1, 1.0]
# Histogram bins of the trees per modality (sklearn's default: 255). Over 3,072 pixel columns
# split finding dominates: on mnist-spoken's images 32 bins take 4.3 CPU seconds instead of
# 27.4, for 0.115 test accuracy instead of 0.120 (3 of 600 rows).
TREE_BINS = {"image": 32}
PROB_FLOOR = 1e-9  # keeps a log-probability finite when a model gives a class nothing
LOG_FLOOR = 1e-6  # added to mel power before the log, as modalfuse does


# --- config ---------------------------------------------------------------------------


def read_config(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        import yaml
    except ImportError:
        return TinyYaml(text).parse()
    return yaml.safe_load(text)


class TinyYaml:
    """The YAML a modalfuse config uses: block mappings, `- ` lists, flow {..} and [..], scalars."""

    def __init__(self, text):
        self.lines = []
        for raw in text.splitlines():
            line = strip_comment(raw).rstrip()
            if line.strip():
                self.lines.append((len(line) - len(line.lstrip(" ")), line.strip()))
        self.i = 0

    def parse(self):
        return self.block(0) if self.lines else None

    def block(self, indent):
        if self.lines[self.i][1].startswith("- "):
            return self.sequence(indent)
        out = {}
        while self.i < len(self.lines) and self.lines[self.i][0] == indent and not self.lines[self.i][1].startswith("- "):
            key, _, rest = self.lines[self.i][1].partition(":")
            self.i += 1
            rest = rest.strip()
            if rest:
                out[key.strip()] = flow_value(rest)
            elif self.i < len(self.lines) and (self.lines[self.i][0] > indent or self.lines[self.i][1].startswith("- ")):
                out[key.strip()] = self.block(self.lines[self.i][0])
            else:
                out[key.strip()] = None
        return out

    def sequence(self, indent):
        out = []
        while self.i < len(self.lines) and self.lines[self.i][0] == indent and self.lines[self.i][1].startswith("- "):
            out.append(flow_value(self.lines[self.i][1][2:].strip()))
            self.i += 1
        return out


def strip_comment(line):
    quote = None
    for k, ch in enumerate(line):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (k == 0 or line[k - 1] in " \t"):
            return line[:k]
    return line


def flow_value(text):
    value, end = parse_flow(text, 0)
    return value if text[end:].strip() == "" else scalar(text)


def parse_flow(s, i):
    while s[i] == " ":
        i += 1
    if s[i] in "[{":
        closing, items, i = "]" if s[i] == "[" else "}", [], i + 1
        while True:
            while s[i] in " ,":
                i += 1
            if s[i] == closing:
                break
            if closing == "}":
                colon = s.index(":", i)
                key, i = s[i:colon].strip(), colon + 1
                value, i = parse_flow(s, i)
                items.append((key, value))
            else:
                value, i = parse_flow(s, i)
                items.append(value)
        return (dict(items) if closing == "}" else items), i + 1
    end = i
    while end < len(s) and s[end] not in ",]}":
        end += 1
    return scalar(s[i:end]), end


def scalar(text):
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if text in ("null", "~", ""):
        return None
    if text in ("true", "false"):
        return text == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


# --- media ----------------------------------------------------------------------------


def decode_image(path, height, width):
    """RGB pixels in [0, 1], flattened; None when the file cannot be read as a picture."""
    from PIL import Image

    try:
        with Image.open(path) as img:
            img.load()
            rgb = img.convert("RGB").resize((width, height), Image.BILINEAR)
    except Exception:
        return None
    return np.asarray(rgb, dtype=np.float32).reshape(-1) / 255.0


def decode_audio(path, a):
    """Per-band log-mel mean, std and max; None when the file decodes to no usable samples."""
    from scipy.signal import resample_poly

    try:
        samples, rate = read_audio(path, a["seconds"])
    except Exception:
        return None
    if samples.shape[0] == 0 or rate <= 0 or not np.isfinite(samples).all():
        return None
    mono = samples.mean(axis=1)
    target = a["sample_rate"]
    if rate != target:
        g = math.gcd(int(rate), int(target))
        mono = resample_poly(mono, target // g, int(rate) // g).astype(np.float32)
    length = int(round(a["seconds"] * target))
    mono = np.pad(mono[:length], (0, max(0, length - len(mono))))
    mel = log_mel(mono, a)
    return np.concatenate([mel.mean(axis=1), mel.std(axis=1), mel.max(axis=1)])


def read_audio(path, seconds):
    """The first `seconds` of a file (and a frame more), float32 [frames, channels], and its rate."""
    import soundfile

    with soundfile.SoundFile(path) as f:
        if f.format == "MP3":  # the MPEG container: layers I-III
            return read_mpeg(path, seconds)
        # Straight from the libsndfile handle: SoundFile.read seeks after reading, which
        # fails on FLAC streams of unknown length (they claim 2^63 frames).
        frames = math.ceil(seconds * f.samplerate) + 1
        out = np.empty((frames, f.channels), dtype=np.float32)
        got = soundfile._snd.sf_readf_float(f._file, soundfile._ffi.cast("float *", out.ctypes.data), frames)
        return out[: max(got, 0)], f.samplerate


MPG123_ADD_FLAGS, MPG123_FORCE_FLOAT, MPG123_QUIET, MPG123_ENC_FLOAT_32 = 2, 0x400, 0x20, 0x200
MPG123_OK, MPG123_NEW_FORMAT, MPG123_DONE = 0, -11, -12


def read_mpeg(path, seconds):
    """MP3 through libmpg123, as modalfuse decodes it. libsndfile decodes with the same library
    but stops at the length it estimates, which for a VBR file without a Xing header is what
    the first frame's bitrate implies (0.4-0.9 s of mnist-spoken's 1.5 s clips)."""
    lib = libmpg123()
    handle = lib.mpg123_new(None, None)
    if not handle:
        raise OSError("libmpg123: no decoder")
    try:
        lib.mpg123_param(handle, MPG123_ADD_FLAGS, MPG123_FORCE_FLOAT | MPG123_QUIET, 0.0)
        if lib.mpg123_open(handle, os.fsencode(path)) != MPG123_OK:
            raise OSError("libmpg123: cannot open")
        rate, channels, encoding = ctypes.c_long(), ctypes.c_int(), ctypes.c_int()
        block, got, chunks = np.empty(16384, dtype=np.float32), ctypes.c_size_t(), []
        while True:
            status = lib.mpg123_read(handle, block.ctypes.data, block.nbytes, ctypes.byref(got))
            if status == MPG123_NEW_FORMAT:
                known = channels.value
                lib.mpg123_getformat(handle, ctypes.byref(rate), ctypes.byref(channels), ctypes.byref(encoding))
                if encoding.value != MPG123_ENC_FLOAT_32 or known not in (0, channels.value):
                    raise OSError("libmpg123: no float output, or the channel count changes")
            chunks.append(block[: got.value // 4].copy())
            if status == MPG123_DONE or sum(map(len, chunks)) > seconds * rate.value * channels.value:
                break
            if status not in (MPG123_OK, MPG123_NEW_FORMAT):
                raise OSError("libmpg123: decoding failed")
        lib.mpg123_close(handle)
    finally:
        lib.mpg123_delete(handle)
    if channels.value < 1:
        raise OSError("libmpg123: no MPEG audio frames")
    return np.concatenate(chunks).reshape(-1, channels.value), rate.value


@functools.lru_cache(maxsize=None)
def libmpg123():
    lib = ctypes.CDLL(ctypes.util.find_library("mpg123") or "libmpg123.so.0")
    lib.mpg123_new.restype = ctypes.c_void_p
    lib.mpg123_new.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)]
    lib.mpg123_param.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_long, ctypes.c_double]
    lib.mpg123_open.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    lib.mpg123_read.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)]
    lib.mpg123_getformat.argtypes = [ctypes.c_void_p] + [ctypes.c_void_p] * 3
    lib.mpg123_close.argtypes = lib.mpg123_delete.argtypes = [ctypes.c_void_p]
    lib.mpg123_init()  # required before libmpg123 1.27, a no-op since
    return lib


def log_mel(wave, a):
    """log(mel power + 1e-6), [n_mels, frames]: centred frames, periodic Hann, Slaney mel scale."""
    rate = a["sample_rate"]
    win = int(round(a.get("window_ms", 25) / 1000 * rate))
    hop = int(round(a.get("hop_ms", 10) / 1000 * rate))
    n_fft = 1 << (win - 1).bit_length()
    padded = np.pad(wave, n_fft // 2)
    frames = 1 + len(wave) // hop
    index = np.arange(n_fft)[None, :] + hop * np.arange(frames)[:, None]
    power = np.abs(np.fft.rfft(padded[index] * hann_window(win, n_fft), axis=1)) ** 2
    return np.log(mel_filterbank(rate, n_fft, a["n_mels"]) @ power.T + LOG_FLOOR)


@functools.lru_cache(maxsize=None)
def hann_window(win, n_fft):
    """Periodic Hann window of `win` samples centred in `n_fft`."""
    window = np.zeros(n_fft, dtype=np.float32)
    start = (n_fft - win) // 2
    window[start : start + win] = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(win) / win)
    return window


@functools.lru_cache(maxsize=None)
def mel_filterbank(rate, n_fft, n_mels):
    """librosa.filters.mel(htk=False, norm='slaney'), [n_mels, n_fft/2+1]."""

    def hz_to_mel(hz):
        return np.where(hz >= 1000, 15 + np.log(np.maximum(hz, 1e-9) / 1000) / (np.log(6.4) / 27), hz / (200 / 3))

    def mel_to_hz(mel):
        return np.where(mel >= 15, 1000 * np.exp((np.log(6.4) / 27) * (mel - 15)), mel * (200 / 3))

    edges = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(rate / 2), n_mels + 2))
    bins = np.linspace(0, rate / 2, n_fft // 2 + 1)
    lower = (bins[None, :] - edges[:-2, None]) / (edges[1:-1] - edges[:-2])[:, None]
    upper = (edges[2:, None] - bins[None, :]) / (edges[2:] - edges[1:-1])[:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    return (weights * (2 / (edges[2:] - edges[:-2]))[:, None]).astype(np.float32)


def decode_one(job):
    kind, path, params = job
    if not path or not os.path.isfile(path):
        return None
    if kind == "image":
        return decode_image(path, *params)
    return decode_audio(path, params)


def decode_column(kind, paths, params, pool):
    """Features per row (None where missing), decoded in parallel."""
    return list(pool.map(decode_one, [(kind, p, params) for p in paths], chunksize=32))


# --- features -------------------------------------------------------------------------


def media_matrix(decoded, n_train):
    """Rows stacked, and which rows have the medium; a missing row gets the mean of the training rows that have it."""
    width = next((len(v) for v in decoded if v is not None), 0)
    present = np.array([v is not None for v in decoded])
    x = np.zeros((len(decoded), width), dtype=np.float32)
    for k, v in enumerate(decoded):
        if v is not None:
            x[k] = v
    train_present = present[:n_train]
    x[~present] = x[:n_train][train_present].mean(axis=0) if train_present.any() else 0.0
    return x, present


def tabular_matrix(rows, n_train, numeric, categorical):
    """Standardised numbers with missing indicators, and one-hot categories (training vocabulary)."""
    columns = []
    for name in numeric:
        values = np.array([to_number(r.get(name)) for r in rows], dtype=np.float64)
        missing = ~np.isfinite(values)
        seen = values[:n_train][~missing[:n_train]]
        mean, sd = (seen.mean(), seen.std() or 1.0) if len(seen) else (0.0, 1.0)
        columns.append(np.where(missing, 0.0, (values - mean) / sd))
        if missing[:n_train].any():
            columns.append(missing.astype(np.float64))
    for name in categorical:
        values = [(r.get(name) or "").strip() for r in rows]
        for category in sorted({v for v in values[:n_train] if v}):
            columns.append(np.array([v == category for v in values], dtype=np.float64))
    return np.stack(columns, axis=1).astype(np.float32)


def to_number(text):
    try:
        x = float(text)
    except (TypeError, ValueError):
        return math.nan
    return x if math.isfinite(x) else math.nan


# --- models ---------------------------------------------------------------------------


def fit_modality(train_x, train_y, test_x, classes, tree_bins):
    """Both learners fitted on the training rows given; their test log-probabilities, and the C chosen."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    lr = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    folds = min(3, int(np.unique(train_y, return_counts=True)[1].min()))
    if folds >= 2:
        search = GridSearchCV(lr, {"logisticregression__C": C_GRID}, cv=StratifiedKFold(folds, shuffle=True, random_state=0), n_jobs=os.cpu_count())
        lr = search.fit(train_x, train_y).best_estimator_
    else:  # a class with a single row leaves nothing to cross-validate: a middle C
        lr.set_params(logisticregression__C=0.1).fit(train_x, train_y)
    gbt = HistGradientBoostingClassifier(max_iter=200, max_bins=tree_bins, early_stopping=True, validation_fraction=0.1, n_iter_no_change=10, random_state=0)
    gbt.fit(train_x, train_y)
    log_proba = {"lr": aligned_log_proba(lr, test_x, classes), "gbt": aligned_log_proba(gbt, test_x, classes)}
    return log_proba, float(lr.named_steps["logisticregression"].C)


def aligned_log_proba(model, x, classes):
    """log P(class) in the order of `classes`; a class the model never saw gets PROB_FLOOR."""
    proba = np.full((len(x), len(classes)), PROB_FLOOR)
    columns = [classes.index(c) for c in model.classes_]
    proba[:, columns] = np.maximum(model.predict_proba(x), PROB_FLOOR)
    return np.log(proba)


# --- the run --------------------------------------------------------------------------


def read_manifest(path, label):
    """Rows with a label (a row without one can be neither trained on nor scored), media paths made absolute."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if (r.get(label) or "").strip()]
    for r in rows:
        r["__dir"] = os.path.dirname(os.path.abspath(path))
    return rows


def media_path(row, column):
    value = (row.get(column) or "").strip()
    return os.path.join(row["__dir"], value) if value else ""


def modality_features(data, rows, n_train, pool):
    """name -> (features of every row, which rows have the modality), for the modalities configured."""
    out = {}
    tab = data.get("tabular") or {}
    numeric, categorical = tab.get("numeric") or [], tab.get("categorical") or []
    if numeric or categorical:
        out["tabular"] = (tabular_matrix(rows, n_train, numeric, categorical), np.ones(len(rows), dtype=bool))
    if data.get("image"):
        size = data["image"].get("size", 32)
        height, width = (size, size) if isinstance(size, int) else size
        log(f"decoding {len(rows)} images")
        decoded = decode_column("image", [media_path(r, data["image"]["column"]) for r in rows], (height, width), pool)
        out["image"] = media_matrix(decoded, n_train)
    if data.get("audio"):
        audio = {"sample_rate": 16000, "seconds": 1.5, "n_mels": 64, **data["audio"]}
        log(f"decoding {len(rows)} audio clips")
        decoded = decode_column("audio", [media_path(r, audio["column"]) for r in rows], audio, pool)
        out["audio"] = media_matrix(decoded, n_train)
    return out


def accuracy(log_proba, classes, truth):
    predicted = np.array(classes, dtype=object)[log_proba.argmax(axis=1)]
    return round(float(np.mean(predicted == truth)), 4)


STARTED = time.perf_counter()


def log(text):
    print(f"baselines [{time.perf_counter() - STARTED:5.1f} s]: {text}", file=sys.stderr, flush=True)


def run(folder):
    data = read_config(os.path.join(folder, "config.yaml"))["data"]
    label = data["label"]
    train = read_manifest(os.path.join(folder, data["train"]), label)
    test = read_manifest(os.path.join(folder, data["test"]), label)
    rows, n_train = train + test, len(train)
    labels = np.array([r[label].strip() for r in rows], dtype=object)
    train_y, test_y = labels[:n_train], labels[n_train:]
    classes = sorted(set(train_y))
    with ProcessPoolExecutor(os.cpu_count() or 1) as pool:
        features = modality_features(data, rows, n_train, pool)

    result, test_log_proba, test_present = {}, {}, {}
    for name, (x, present) in features.items():
        fit_rows = present[:n_train]
        if len(set(train_y[fit_rows])) < 2:
            log(f"{name}: fewer than two classes among the training rows that have it; left out")
            continue
        log(f"{name}: fitting on {int(fit_rows.sum())} rows, {x.shape[1]} features")
        log_proba, chosen_c = fit_modality(x[:n_train][fit_rows], train_y[fit_rows], x[n_train:], classes, TREE_BINS.get(name, 255))
        scores = {
            "lr_acc": accuracy(log_proba["lr"], classes, test_y),
            "gbt_acc": accuracy(log_proba["gbt"], classes, test_y),
            "lr_C": chosen_c,
            "train_rows": int(fit_rows.sum()),
            "test_rows": int(present[n_train:].sum()),
        }
        log(f"{name}: test accuracy {scores['lr_acc']:.3f} (lr, C={chosen_c:g}), {scores['gbt_acc']:.3f} (gbt)")
        result[name], test_log_proba[name], test_present[name] = scores, log_proba, present[n_train:]

    prior = np.log(np.array([np.sum(train_y == c) for c in classes]) / n_train)
    for learner in ("lr", "gbt"):
        fused = late_fusion([p[learner] for p in test_log_proba.values()], list(test_present.values()), prior, len(test))
        result[f"{learner}_late_acc"] = accuracy(fused, classes, test_y)
    result["best_baseline_acc"] = max(result["lr_late_acc"], result["gbt_late_acc"])
    singles = [m[k] for m in result.values() if isinstance(m, dict) for k in ("lr_acc", "gbt_acc")]
    result["best_single_acc"] = max(singles) if singles else None
    result.update(classes=len(classes), train_rows=n_train, test_rows=len(test))
    result["baseline_s"] = round(time.perf_counter() - STARTED, 2)
    return result


def late_fusion(log_probas, presents, prior, n_rows):
    """Per row, the sum of the log-probabilities of the modalities it has; `prior` for a row with none."""
    fused = np.zeros((n_rows, len(prior)))
    count = np.zeros(n_rows, dtype=int)
    for log_proba, present in zip(log_probas, presents):
        fused += np.where(present[:, None], log_proba, 0.0)
        count += present
    fused[count == 0] = prior
    return fused


if __name__ == "__main__":
    if len(sys.argv) != 2 or not os.path.isfile(os.path.join(sys.argv[1], "config.yaml")):
        sys.exit("usage: baselines.py FOLDER   (a built data set: config.yaml, train and test manifests, media)")
    warnings.filterwarnings("ignore")  # sklearn's convergence notes would drown the progress lines
    print(json.dumps(run(sys.argv[1])))
