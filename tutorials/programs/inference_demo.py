# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # The inference-script pattern: one checkpoint, everything prediction needs
#
# Document 001 §3.2.5: "模型部署是将训练好的模型应用到实际场景中的过程。部署时需要考虑模型的性能、
# 稳定性和可扩展性" (deployment puts the trained model to work in real settings; its
# performance, stability and scalability must be considered). Document 003 §3.3 lists the
# steps of inference: "输入数据预处理 … 模型加载 … 前向传播 … 结果解释" (preprocess the input
# so that it fits the model, load the trained model, forward pass, interpret the result).
#
# What breaks in practice is rarely the weights; it is everything around them: inputs
# normalised with other statistics than in training, the classes in another order, another
# input shape. So the checkpoint carries them: `ModelCheckpoint(extra=...)` stores plain data (numbers,
# strings, lists, arrays) next to the weights, and `ModelCheckpoint.load` returns it.
# Loading runs no code (no pickle), so a checkpoint from elsewhere cannot execute anything.
#
# Part 1 trains a digits classifier and saves the best epoch with its preprocessing
# statistics and class names. Part 2 is a stand-alone predictor that needs only that file:
# load, preprocess raw 8×8 images (pixel values 0–16), predict in batches under
# `tn.inference_mode()`, and the latency per batch size. Part 3 runs the same model from an
# ONNX file in onnxruntime (skipped without the optional extra). docs/deploy.md explains it.

# %%
import os
import pathlib
import time

import numpy as np

import tinynn as tn
import tinynn.threads
from tinynn import nn, optim
from tinynn.callbacks import ModelCheckpoint
from tinynn.data import DataLoader, StandardScaler, load_digits, train_test_split

tinynn.threads.small_model_threads()  # one BLAS thread: small products run faster, far faster on a busy machine

FAST = os.environ.get("TINYNN_FAST") == "1"  # the test suite sets this: fewer epochs and timing repeats
# where the checkpoint goes: $TINYNN_OUT, else tutorials/out/ (git-ignored), so a run leaves the checkout clean
OUT = pathlib.Path(os.environ.get("TINYNN_OUT") or pathlib.Path(__file__).resolve().parents[1] / "out")
OUT.mkdir(parents=True, exist_ok=True)
CHECKPOINT = OUT / "digits_predictor.npz"
started = time.perf_counter()

# %% [markdown]
# ## Part 1: train, and save what inference will need

# %%
tn.manual_seed(0)
images, labels = load_digits(images=True)  # (1797, 8, 8), raw pixel values 0..16
x_train, x_test, y_train, y_test = train_test_split(images, labels, test_size=0.2, seed=0, stratify=labels)
x_train, x_val, y_train, y_val = train_test_split(x_train, y_train, test_size=0.15, seed=0, stratify=y_train)
scaler = StandardScaler().fit(x_train.reshape(len(x_train), -1))  # statistics of the training images only
SIZES = [64, 128, 10]
CLASSES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def build(sizes):
    """The architecture from plain numbers, so the checkpoint can say which one it holds."""
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


s_train, s_val, s_test = (scaler.transform(x.reshape(len(x), -1)).astype(np.float32) for x in (x_train, x_val, x_test))
model = build(SIZES)
checkpoint = ModelCheckpoint(CHECKPOINT, monitor="val_loss", extra={
    "mean": scaler.mean_.astype(np.float32), "std": scaler.scale_.astype(np.float32),  # (x - mean) / std
    "classes": CLASSES, "input_shape": [8, 8], "pixel_range": [0, 16], "sizes": SIZES})
history = tn.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-3),
                 DataLoader((s_train, y_train), batch_size=32, shuffle=True),
                 epochs=5 if FAST else 30, val_loader=DataLoader((s_val, y_val), batch_size=256),
                 callbacks=[checkpoint], progress=False)
print(f"trained {history.epochs} epochs; best val_loss {checkpoint.best:.4f} at epoch {checkpoint.best_epoch + 1}, "
      f"saved to {checkpoint.last_saved}")
model.load_state_dict(ModelCheckpoint.load(CHECKPOINT)[0])  # the training-side model, at the best epoch
model.eval()
with tn.no_grad():
    reference = model(tn.tensor(s_test)).numpy()
del model, scaler, checkpoint, s_train, s_val, s_test  # part 2 must not lean on anything of part 1 but the file

# %% [markdown]
# ## Part 2: a stand-alone predictor
#
# Everything here comes from the checkpoint: the architecture's sizes, the weights, the
# normalisation statistics and the class names. Raw inputs are checked before anything is
# computed, with an error that says what was expected.

# %%
class DigitsPredictor:
    """Raw 8x8 digit images (pixel values 0..16) in, class names and probabilities out."""

    def __init__(self, path):
        state, extra = ModelCheckpoint.load(path)  # arrays and JSON only: no code runs
        self.model = build(extra["sizes"])
        self.model.load_state_dict(state)
        self.model.eval()  # Dropout/BatchNorm (if any) in inference behaviour
        self.mean = np.asarray(extra["mean"], dtype=np.float32)
        self.std = np.asarray(extra["std"], dtype=np.float32)
        self.classes = list(extra["classes"])
        self.input_shape = tuple(extra["input_shape"])
        self.low, self.high = extra["pixel_range"]

    def preprocess(self, raw):
        x = np.asarray(raw, dtype=np.float32)
        if x.shape == self.input_shape:
            x = x[None]  # one image
        if x.shape[1:] != self.input_shape:
            raise ValueError(f"DigitsPredictor: expected images of shape {self.input_shape} (or a batch of them), "
                             f"got an array of shape {np.shape(raw)}")
        if x.size and (x.min() < self.low or x.max() > self.high or not np.isfinite(x).all()):
            raise ValueError(f"DigitsPredictor: pixel values must lie in [{self.low}, {self.high}] as in "
                             f"training, got [{x.min()}, {x.max()}]")
        return (x.reshape(len(x), -1) - self.mean) / self.std

    def logits(self, raw, batch_size=256):
        x = self.preprocess(raw)
        out = []
        with tn.inference_mode():  # no graph is recorded: less memory, less time
            for i in range(0, len(x), batch_size):
                out.append(self.model(tn.tensor(x[i:i + batch_size])).numpy())
        return np.concatenate(out) if out else np.zeros((0, len(self.classes)), dtype=np.float32)

    def predict(self, raw, batch_size=256):
        """(class names, probabilities of the predicted class)."""
        z = self.logits(raw, batch_size)
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        best = p.argmax(axis=1)
        return [self.classes[i] for i in best], p[np.arange(len(p)), best]


predictor = DigitsPredictor(CHECKPOINT)
names, confidence = predictor.predict(x_test[:5])
print("first five test images:", list(zip(names, np.round(confidence, 3))), "truth:",
      [CLASSES[i] for i in y_test[:5]])
z = predictor.logits(x_test, batch_size=64)
np.testing.assert_allclose(z, reference, atol=1e-5, rtol=1e-5)  # same numbers as the training side
accuracy = float((z.argmax(1) == y_test).mean())
print(f"stand-alone test accuracy {accuracy:.4f} on {len(y_test)} images")
assert accuracy > (0.85 if FAST else 0.95)
assert predictor.predict(x_test[0])[0] == predictor.predict(x_test[:1])[0]  # one image or a batch of one
for bad in (np.zeros((3, 7, 7)), np.full((1, 8, 8), 255.0)):
    try:
        predictor.predict(bad)
    except ValueError as e:
        print("refused:", e)
    else:
        raise AssertionError("a wrong input must be refused")

# %% [markdown]
# ## Latency per batch size
#
# One call's cost is mostly fixed (Python, one kernel launch per layer); a bigger batch
# spreads it over more images. The median of several timed calls, after a warm-up call.

# %%
def timed(fn, repeats):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


pool = np.concatenate([x_test] * 2)[:256]
rows = []
print(f"{'batch':>6s} {'ms / batch':>11s} {'µs / image':>11s} {'images / s':>11s}")
for bs in (1, 8, 64, 256):
    batch = pool[:bs]
    seconds = timed(lambda: predictor.logits(batch, batch_size=bs), repeats=10 if FAST else 50)
    rows.append((bs, seconds))
    print(f"{bs:6d} {seconds * 1e3:11.3f} {seconds / bs * 1e6:11.1f} {bs / seconds:11.0f}")
per_image = {bs: s / bs for bs, s in rows}
assert per_image[256] * 3 < per_image[1], "batching must amortise the per-call cost"

# %% [markdown]
# ## Part 3: the same model in onnxruntime
#
# `tn.onnx.export` writes the network as a standard ONNX graph; a deployment can then run
# it without tinynn (or Python: onnxruntime has C, C++, C#, Java and JavaScript APIs). The
# preprocessing is not in the graph: it travels in the checkpoint's `extra`, as above.

# %%
try:
    import onnx  # noqa: F401  optional extras
    import onnxruntime
except ImportError:
    onnxruntime = None
    print("onnx/onnxruntime not installed (pip install onnx onnxruntime): part 3 skipped")
if onnxruntime is not None:
    path = OUT / "digits_predictor.onnx"
    tn.onnx.export(predictor.model, tn.tensor(predictor.preprocess(x_test[:2])), path)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = predictor.preprocess(x_test)
    ort_logits = session.run(None, {"input": x})[0]
    print(f"onnxruntime vs tinynn: max |difference| {np.abs(ort_logits - z).max():.2e}")
    np.testing.assert_allclose(ort_logits, z, atol=1e-5, rtol=1e-5)
    for bs in (1, 8, 64, 256):
        xb = x[:bs] if bs <= len(x) else np.concatenate([x] * 2)[:bs]
        seconds = timed(lambda: session.run(None, {"input": xb}), repeats=10 if FAST else 50)
        print(f"onnxruntime, batch {bs:3d}: {seconds * 1e3:8.3f} ms per batch, {seconds / bs * 1e6:8.1f} µs per image")
print(f"done in {time.perf_counter() - started:.1f} s")
