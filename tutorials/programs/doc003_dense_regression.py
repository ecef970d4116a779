# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Document 003, section 5.2: a small dense network for regression
#
# Source: `shared/seeds/003_3794d8b43fb65a8b.txt`, section 5.2 ("源代码详细实现"). The
# document trains Dense(20, relu) → Dense(1) with mean squared error and Adam on random
# (100, 10) data, then evaluates it. Here is the same program in tinynn, line by line, and
# then a second run on data that has something to learn, because the document's data does not.
#
# | the document (TensorFlow/Keras) | tinynn |
# |---|---|
# | `x = tf.random.normal([100, 10])` | `x = tn.randn(100, 10)` |
# | `tf.keras.layers.Dense(20, activation='relu', input_shape=(10,))` | `nn.Linear(10, 20), nn.ReLU()` (the input size is written out; the activation is its own layer) |
# | `tf.keras.layers.Dense(1)` | `nn.Linear(20, 1)` |
# | `model.compile(optimizer='adam', loss='mse')` | `loss_fn = nn.MSELoss()`, `optimizer = optim.Adam(model.parameters())` (Keras' default learning rate 1e-3 is Adam's default here too) |
# | `model.fit(x, y, epochs=10)` | `tn.fit(model, loss_fn, optimizer, DataLoader((x, y), batch_size=32, shuffle=True), epochs=10)` (Keras' default batch size is 32) |
# | `model.evaluate(x, y)` | `tn.evaluate(model, loss_fn, DataLoader((x, y), batch_size=32), metrics=())` |

# %%
import os
import time

import numpy as np

import tinynn as tn
import tinynn.threads
from tinynn import nn, optim
from tinynn.data import DataLoader, train_test_split

tinynn.threads.small_model_threads()  # one BLAS thread: small products run faster, far faster on a busy machine

FAST = os.environ.get("TINYNN_FAST") == "1"  # the test suite sets this: fewer epochs
tn.manual_seed(0)
started = time.perf_counter()

# %% [markdown]
# ## The document's program

# %%
x = tn.randn(100, 10)  # 数据准备: random inputs ...
y = tn.randn(100, 1)  # ... and random targets, independent of the inputs

model = nn.Sequential(  # 模型构建
    nn.Linear(10, 20), nn.ReLU(),
    nn.Linear(20, 1),
)
loss_fn = nn.MSELoss()  # 模型编译: loss='mse' ...
optimizer = optim.Adam(model.parameters(), lr=1e-3)  # ... optimizer='adam'

before = tn.evaluate(model, loss_fn, DataLoader((x, y), batch_size=32), metrics=())["loss"]
history = tn.fit(model, loss_fn, optimizer, DataLoader((x, y), batch_size=32, shuffle=True),
                 epochs=10, metrics=(), progress=False)  # 模型训练
after = tn.evaluate(model, loss_fn, DataLoader((x, y), batch_size=32), metrics=())["loss"]  # 模型评估
print(f"training MSE before {before:.4f}, after 10 epochs {after:.4f}")
print("loss per epoch:", [round(v, 4) for v in history["loss"]])
assert after < before  # it did train ...

# %% [markdown]
# It trains: the loss goes down. But the targets are random numbers that do not depend on
# the inputs, so there is nothing to learn. The best honest prediction is the mean of y,
# with MSE = the variance of y (about 1). Any loss below that on the *training* data is
# memorisation, and the document evaluates on the very data it trained on. Its printed
# result (`4379/4379 ... loss: 0.1117 - val_loss: 0.1112`) cannot come from this program:
# there are 100 samples, not 4379, and `fit` was given no validation data, so there would
# be no `val_loss`.
#
# Train longer and the memorisation shows: the training loss keeps falling while the loss
# on fresh random data from the same source stays at (or above) the variance.

# %%
x_new, y_new = tn.randn(100, 10), tn.randn(100, 1)
tn.fit(model, loss_fn, optimizer, DataLoader((x, y), batch_size=32, shuffle=True),
       epochs=300 if FAST else 600, metrics=(), progress=False)
train_mse = tn.evaluate(model, loss_fn, DataLoader((x, y), batch_size=100), metrics=())["loss"]
fresh_mse = tn.evaluate(model, loss_fn, DataLoader((x_new, y_new), batch_size=100), metrics=())["loss"]
print(f"after more epochs: training MSE {train_mse:.3f}, MSE on fresh data {fresh_mse:.3f}, "
      f"variance of the fresh targets {y_new.numpy().var():.3f}")
assert train_mse < 0.8 * float(y.numpy().var())  # memorised ...
assert fresh_mse > 0.8 * float(y_new.numpy().var())  # ... and learned nothing that carries over

# %% [markdown]
# ## The same network on data with a signal
#
# Now the targets depend on the inputs, y = sin(1.5 x·w) + 0.3·relu(x₀) + noise, and we hold a
# test set back, so the evaluation measures learning rather than memory. The baseline to
# beat is the variance of the test targets (predicting their mean).

# %%
rng = np.random.default_rng(3)
n = 1000 if FAST else 2000
w_true = rng.normal(size=10) / np.sqrt(10)
xs = rng.normal(size=(n, 10)).astype("float32")
ys = (np.sin(1.5 * xs @ w_true) + 0.3 * np.maximum(xs[:, 0], 0) + 0.1 * rng.normal(size=n))
ys = ys.astype("float32")[:, None]
x_train, x_test, y_train, y_test = train_test_split(xs, ys, test_size=0.25, seed=0)

model = nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 1))
optimizer = optim.Adam(model.parameters(), lr=1e-2)
epochs = 40 if FAST else 100
history = tn.fit(model, loss_fn, optimizer, DataLoader((x_train, y_train), batch_size=32, shuffle=True),
                 epochs=epochs, val_loader=DataLoader((x_test, y_test), batch_size=256), metrics=(),
                 progress=False)
test_mse = tn.evaluate(model, loss_fn, DataLoader((x_test, y_test), batch_size=256), metrics=())["loss"]
baseline = float(y_test.var())
print(f"{epochs} epochs: test MSE {test_mse:.4f} vs baseline (predict the mean) {baseline:.4f}; "
      f"R² = {1 - test_mse / baseline:.3f}")
assert test_mse < 0.5 * baseline  # clearly better than knowing nothing

# %% [markdown]
# ## What we learned
# * Keras' `Dense(units, activation)` is `nn.Linear(in, out)` followed by an activation
#   module; `compile` + `fit` is a loss, an optimizer and `tn.fit` (or the four-line loop it
#   runs: zero_grad, forward, backward, step).
# * Random targets can only be memorised: judge a model on data it has not seen.
# * With a real signal the same 10-20-1 network (the document's section 5.2 program) beats
#   the predict-the-mean baseline on held-out data. (The document's section 4.3 describes a
#   different one, 10-20-3: "a three-layer network with input, hidden and output layers of
#   10, 20 and 3 neurons" (分别有10、20和3个神经元), trained on "100 samples, each with 10
#   features and 1 label" (每个样本有10个特征和1个标签); its section 5.2 code builds 10-20-1.)

# %%
elapsed = time.perf_counter() - started
print(f"RESULT doc003: test MSE {test_mse:.4f} (baseline {baseline:.4f}, R² {1 - test_mse / baseline:.2f}) "
      f"in {elapsed:.1f} s")
