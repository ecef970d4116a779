# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Document 001, section 5.2: a small CNN image classifier, Keras style
#
# Source: `shared/seeds/001_3504642566424f68.txt`, section 5.2 ("源代码详细实现"). The
# document stacks Conv2D(32, 3×3, relu) → MaxPooling2D(2×2) → Flatten → Dense(128, relu) →
# Dense(10, softmax), compiles it with Adam(1e-3) and sparse categorical cross-entropy,
# fits for 10 epochs with validation data, evaluates and saves the model. Its data is
# `... # 加载数据`; we use the bundled handwritten digits (10 classes, like its Dense(10)),
# upsampled to 32×32 and painted in random colours so there are 3 channels.
#
# | the document (TensorFlow/Keras) | tinynn |
# |---|---|
# | images (N, 64, 64, 3): channels last (NHWC) | images (N, 3, 32, 32): channels first (NCHW, as PyTorch); from NHWC use `x.transpose(0, 3, 1, 2)` |
# | `Conv2D(32, (3, 3), activation='relu', input_shape=(64, 64, 3))` | `nn.Conv2d(3, 32, 3), nn.ReLU()` (input channels written out) |
# | `MaxPooling2D((2, 2))` | `nn.MaxPool2d(2)` |
# | `Flatten()` | `nn.Flatten()` |
# | `Dense(128, activation='relu')` | `nn.Linear(32 * 15 * 15, 128), nn.ReLU()` |
# | `Dense(10, activation='softmax')` | `nn.Linear(128, 10)`: logits, no softmax |
# | `loss=SparseCategoricalCrossentropy(from_logits=True)` | `nn.CrossEntropyLoss()` (logits + class indices) |
# | `metrics=[SparseCategoricalAccuracy()]` | `metrics=("accuracy",)` |
# | `model.fit(x_train, y_train, epochs=10, batch_size=32, validation_data=(x_test, y_test))` | `tn.fit(model, loss_fn, optimizer, DataLoader((x_train, y_train), batch_size=32, shuffle=True), epochs=10, val_loader=...)` |
# | `model.evaluate(x_test, y_test, verbose=2)` | `tn.evaluate(model, loss_fn, test_loader)` |
# | `model.save("my_model.h5")` | `tn.save(model.state_dict(), "my_model.npz")` |
#
# 32×32 instead of 64×64 keeps the run short (the digits are 8×8 to begin with).

# %%
import os
import pathlib
import time

import numpy as np

import tinynn as tn
import tinynn.functional as F
import tinynn.threads
from tinynn import nn, optim
from tinynn.data import DataLoader, train_test_split
from tinynn.synthetic import make_colour_digits

tinynn.threads.small_model_threads()  # one BLAS thread: small products run faster, far faster on a busy machine

FAST = os.environ.get("TINYNN_FAST") == "1"  # the test suite sets this: fewer epochs
# where the model is saved: $TINYNN_OUT, else tutorials/out/ (git-ignored), so a run leaves the checkout clean
OUT = pathlib.Path(os.environ.get("TINYNN_OUT") or pathlib.Path(__file__).resolve().parents[1] / "out")
OUT.mkdir(parents=True, exist_ok=True)
tn.manual_seed(0)
started = time.perf_counter()

# %% [markdown]
# ## A bug in the document: softmax, then `from_logits=True`
#
# The document's last layer applies softmax, and its loss is told the outputs are logits,
# so softmax is applied twice. Probabilities in [0, 1] used as logits can never express
# certainty: even a perfect prediction keeps a large loss, and the gradients are damped.

# %%
perfect = tn.tensor(np.eye(10, dtype="float32")[[3]])  # softmax output: certain of class 3
target = tn.tensor([3])
print(f"loss of a perfect prediction, softmax output read as logits: {F.cross_entropy(perfect, target).item():.3f}"
      f"  (it should be 0; the floor is -log(e / (e + 9)) = {-np.log(np.e / (np.e + 9)):.3f})")
print(f"the same with real logits (+20 for class 3):                 "
      f"{F.cross_entropy(perfect * 20, target).item():.6f}")
# so in tinynn (as in PyTorch) the model ends with logits and CrossEntropyLoss does the softmax

# %% [markdown]
# ## Data

# %%
x, y = make_colour_digits(32, seed=0)  # (1797, 3, 32, 32) in [0, 1], labels 0..9
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, seed=0, stratify=y)
print(f"train {x_train.shape}, test {x_test.shape}")

# %% [markdown]
# ## The model, compiled and fitted

# %%
model = nn.Sequential(  # 定义模型结构
    nn.Conv2d(3, 32, 3), nn.ReLU(),  # (N, 3, 32, 32) -> (N, 32, 30, 30)
    nn.MaxPool2d(2),  # -> (N, 32, 15, 15)
    nn.Flatten(),  # -> (N, 7200)
    nn.Linear(32 * 15 * 15, 128), nn.ReLU(),
    nn.Linear(128, 10),  # logits for the 10 digits
)
loss_fn = nn.CrossEntropyLoss()  # 编译模型
optimizer = optim.Adam(model.parameters(), lr=0.001)
train_loader = DataLoader((x_train, y_train), batch_size=32, shuffle=True)
test_loader = DataLoader((x_test, y_test), batch_size=256)

epochs = 3 if FAST else 10
history = tn.fit(model, loss_fn, optimizer, train_loader, epochs=epochs, val_loader=test_loader,
                 progress=False)  # 训练模型
for e in range(history.epochs):
    print(f"epoch {e + 1}/{epochs} - loss: {history['loss'][e]:.4f} - accuracy: {history['accuracy'][e]:.4f}"
          f" - val_loss: {history['val_loss'][e]:.4f} - val_accuracy: {history['val_accuracy'][e]:.4f}")

test = tn.evaluate(model, loss_fn, test_loader)  # 评估模型
print(f"Test accuracy: {test['accuracy']:.4f}")
assert test["accuracy"] > (0.8 if FAST else 0.9)  # chance: 0.1

# %% [markdown]
# ## Save, load, predict
#
# tinynn saves the state dict (name → array) to an `.npz` file, never a pickle; loading it
# into a freshly built model of the same architecture restores it exactly.

# %%
path = OUT / "my_model.npz"  # 模型部署
tn.save(model.state_dict(), path)
restored = nn.Sequential(nn.Conv2d(3, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(32 * 15 * 15, 128), nn.ReLU(), nn.Linear(128, 10))
restored.load_state_dict(tn.load(path))
same = np.array_equal(tn.predict(model, x_test).numpy(), tn.predict(restored, x_test).numpy())
print(f"saved to {path} ({path.stat().st_size / 1e6:.1f} MB); reloaded model predicts the same: {same}")
assert same

# %% [markdown]
# ## What we learned
# * Keras' NHWC `Conv2D(filters, kernel)` is tinynn's NCHW `nn.Conv2d(in_channels,
#   out_channels, kernel)`, and its `MaxPooling2D` / `Flatten` are `nn.MaxPool2d` / `nn.Flatten`.
# * End with logits and use `CrossEntropyLoss`; a softmax before a from-logits loss is a bug.
# * `tn.save(model.state_dict(), path)` + `load_state_dict(tn.load(path))` is the whole of saving.

# %%
print(f"RESULT doc001: test accuracy {test['accuracy']:.3f} (chance 0.1); total {time.perf_counter() - started:.1f} s")
