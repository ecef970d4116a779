# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # 7. A real classifier: handwritten digits, end to end
#
# All five documents describe the same pipeline: preprocess (clean, **normalise**) →
# **initialise** → forward → loss → backward → update → iterate → evaluate on a
# **validation** set (**accuracy, recall, F1**) → tune (learning rate, batch size,
# regularisation, **Dropout**) → **save** the model and run **inference**. Here is every step,
# on real data bundled with tinynn: 1797 grey 8 × 8 images of the digits 0–9 (the UCI
# handwritten digits).
#
# Along the way: why zero initialisation fails, what normalising buys, and a look inside
# training with `tinynn.viz.Recorder` (gradient flow per layer, activation histograms).
#
# **What the documents say** (see [documents.md](documents.md)). Document 000, §3.1:
# > During training a large model usually goes through these steps (大模型在训练过程中，通常
# > 采用以下步骤): 1. data preprocessing: cleaning, normalisation (数据预处理：清洗、归一化);
# > 2. model initialisation (模型初始化); 3. forward pass (前向传播); 4. loss function
# > (损失函数); 5. backward pass (反向传播); 6. iterate until the model converges
# > (迭代训练，直至模型收敛).
#
# Document 000, §3.2, on initialisation: "common methods are zero initialisation, Gaussian
# initialisation and uniform initialisation" (常用的初始化方法包括：零初始化、高斯分布初始化、
# 均匀分布初始化). Document 003, §4.3, steps 7–8: "evaluate the model on a validation set,
# adjust the learning rate, batch size and other training strategies (在验证数据集上评估模型
# 性能，调整学习率、批量大小等训练策略); use regularisation such as Dropout to improve the
# model's generalisation (采用Dropout等正则化技术，进一步提高模型泛化能力)". Document 004,
# §4.3: "evaluate the trained model on a validation set, computing accuracy, recall, F1 score
# and other metrics (计算模型的准确率、召回率、F1 分数等指标)".

# %%
# Find tutorials/_setup.py (the fast switch and the output folder, shared by the tutorials).
# A script finds it next to itself; a notebook started anywhere else (Colab, JupyterLab
# opened at the repository root, jupytext --execute) looks in the working directory, in
# its parents' tutorials/ folders and one level down (a clone inside the working directory).
import copy
import sys
from pathlib import Path

here = Path.cwd()
candidates = [here / "_setup.py", *(d / "tutorials" / "_setup.py" for d in (here, *here.parents)),
              *here.glob("*/tutorials/_setup.py")]
sys.path += [str(p.parent) for p in candidates if p.is_file()][:1]

# %%

import matplotlib.pyplot as plt
import numpy as np
from _setup import FAST, OUT, save  # tutorials/_setup.py, found above

import tinynn as tn
import tinynn.functional as F
from tinynn import metrics, nn, optim
from tinynn.data import DataLoader, StandardScaler, TensorDataset, load_digits, train_test_split
from tinynn.viz import Recorder, plot_confusion_matrix, plot_history

EPOCHS = 5 if FAST else 30


tn.manual_seed(0)  # one seed fixes initialisation, dropout masks and shuffling

# %% [markdown]
# ## 1. The data, split three ways
#
# *Train* to fit the weights, *validation* to choose between models and settings (epochs,
# regularisation), *test* touched once at the end for an honest estimate. `stratify` keeps
# the ten classes equally represented in every part.

# %%
x, y = load_digits()
print("images", x.shape, x.dtype, "pixel range", x.min(), "to", x.max(), "; labels", np.bincount(y))
x_trainval, x_test, y_trainval, y_test = train_test_split(x, y, test_size=0.2, seed=0, stratify=y)
x_train, x_val, y_train, y_val = train_test_split(x_trainval, y_trainval, test_size=0.2, seed=1,
                                                  stratify=y_trainval)
print(f"train {len(x_train)}, validation {len(x_val)}, test {len(x_test)}")

fig, axes = plt.subplots(2, 8, figsize=(8, 2.3))
for ax, image, label in zip(axes.ravel(), x_train, y_train):
    ax.imshow(image.reshape(8, 8), cmap="gray_r")
    ax.set_title(str(label), fontsize=9)
    ax.axis("off")
save(fig, "07_samples.png")

# %% [markdown]
# ## 2. Normalise
#
# Pixels run from 0 to 16. Standardising each feature to mean 0 and standard deviation 1
# puts every input on the same scale, so no weight has to be 16 times smaller than
# another and the first layer's pre-activations start in a sensible range. The statistics
# are learnt on the **training set only** and then applied to every split: using the
# validation or test data to compute them would leak information about them into training.

# %%
scaler = StandardScaler().fit(x_train)
x_train_s, x_val_s, x_test_s = scaler.transform(x_train), scaler.transform(x_val), scaler.transform(x_test)
print(f"after scaling (train): mean {x_train_s.mean():.3f}, std {x_train_s.std():.3f}")


def make_model(dropout=0.2):
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Dropout(dropout), nn.Linear(128, 10))


def quick_train(model, x_tr, epochs, lr=0.05):
    """A few epochs of SGD with momentum; returns the validation accuracy."""
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    loader = DataLoader(TensorDataset(x_tr, y_train), batch_size=64, shuffle=True)
    for _ in range(epochs):
        model.train()
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return metrics.accuracy(y_val, tn.predict(model, x_val_s if x_tr is x_train_s else x_val))


tn.manual_seed(0)
acc_raw = quick_train(make_model(), x_train, epochs=3)
tn.manual_seed(0)
acc_scaled = quick_train(make_model(), x_train_s, epochs=3)
print(f"validation accuracy after 3 epochs: raw pixels {acc_raw:.3f}, standardised {acc_scaled:.3f}")
assert acc_scaled > acc_raw

# %% [markdown]
# ## 3. Initialise, and why not with zeros
#
# Document 000 lists zero, Gaussian and uniform initialisation. Zero looks neutral, but
# it makes every hidden unit the same function: they all compute the same output, receive
# the same gradient, make the same update, and stay identical forever. The layer then has
# the power of a single unit. (With tanh or ReLU it is worse still: tanh(0) = 0 and
# ReLU'(0) = 0, so no gradient reaches the first layer at all.) Here with sigmoid units:

# %%
def sigmoid_net():
    return nn.Sequential(nn.Linear(64, 32), nn.Sigmoid(), nn.Linear(32, 10))


tn.manual_seed(0)
zero_net, random_net = sigmoid_net(), sigmoid_net()  # random_net keeps the default (PyTorch's) init
for p in zero_net.parameters():
    nn.init.zeros_(p)


def row_spread(net):
    """How different are the 32 hidden units? The largest gap between a weight row and row 0."""
    w = net[0].weight.numpy()
    return float(np.abs(w - w[0]).max())


zero_steps = 60 if FAST else 300
spread_after = {}  # step -> the zero-initialised net's row spread
for net in (zero_net, random_net):
    opt = optim.SGD(net.parameters(), lr=0.5)
    for step in range(1, zero_steps + 1):
        loss = F.cross_entropy(net(tn.tensor(x_train_s)), tn.tensor(y_train))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if net is zero_net and step in (1, 60, zero_steps):
            spread_after[step] = row_spread(net)

w_zero, w_random = zero_net[0].weight.numpy(), random_net[0].weight.numpy()
acc_zero = metrics.accuracy(y_val, tn.predict(zero_net, x_val_s))
acc_random = metrics.accuracy(y_val, tn.predict(random_net, x_val_s))
print("zero init: the 32 hidden units' weight rows differ by at most "
      + ", ".join(f"{v:.1e} after {k} step{'s' * (k > 1)}" for k, v in spread_after.items())
      + f"; validation accuracy {acc_zero:.3f}")
print(f"random init: they differ by up to {row_spread(random_net):.2f}; validation accuracy {acc_random:.3f}")
assert spread_after[1] == 0.0 and np.abs(w_zero).max() > 0  # moved, but in exact lockstep
assert spread_after[60] < 1e-6  # still identical to float32 rounding
assert acc_random > acc_zero + 0.2

fig, axes = plt.subplots(1, 2, figsize=(10, 3), constrained_layout=True)
for ax, w, title in [(axes[0], w_zero, f"zero init, after {zero_steps} steps"), (axes[1], w_random, "random init")]:
    ax.imshow(w, aspect="auto", cmap="RdBu")
    ax.set(title=title, xlabel="input pixel (0–63)", ylabel="hidden unit")
    fig.colorbar(ax.images[-1], ax=ax, label="weight")
save(fig, "07_zero_init.png")

# %% [markdown]
# In exact arithmetic the rows would stay equal for ever. In floating point they start
# equal and stay equal to rounding for a long time; only then do tiny rounding differences
# in the matrix products (the library may sum different units in different orders) grow
# into visible ones (the full run's 300 steps show it). That slow, accidental tie-breaking
# is no substitute for an initialisation: the zero-initialised net stays far behind.
#
# Random initialisation breaks the symmetry. `nn.Linear` uses PyTorch's default (uniform in
# ±1/√fan_in); `nn.init` also has the Xavier/Glorot and Kaiming/He schemes, scaled so that
# activations keep their size from layer to layer.
#
# ## 4. Train with Dropout and L2, watching inside
#
# * **Dropout** (p = 0.2) zeroes a random 20 % of the hidden activations at every training
#   step (and scales the rest by 1/0.8), so no unit can rely on a particular other one. It
#   is switched off by `model.eval()`.
# * **L2**: we add λ Σ w² over the weight matrices to the loss (`nn.l2_penalty`). Its
#   gradient is 2λw, so each SGD step moves every weight towards 0 by **α·2λw** (α the
#   learning rate; with momentum, past pulls keep acting too). Checked in the cell below.
# * After every epoch we measure the **validation** loss and accuracy and, at the end, keep
#   the weights of the epoch with the best validation accuracy: **best-epoch selection**.
#   (Early stopping would also *stop* training once the validation score stops improving;
#   here we always train every epoch and only choose afterwards.)
# * A `Recorder` notes the mean and max |gradient| of every layer at every step, and a
#   sample of the hidden activations every epoch.

# %%
# the L2 pull, measured: one plain SGD step on the penalty alone moves w by α·2λw
w_demo = nn.Parameter(tn.tensor(np.array([[0.5, -2.0]])))
alpha, lam = 0.05, 1e-4
(lam * nn.l2_penalty([w_demo])).backward()
assert np.allclose(np.asarray(w_demo.grad), 2 * lam * w_demo.numpy())  # ∂(λΣw²)/∂w = 2λw
before = w_demo.numpy().copy()
optim.SGD([w_demo], lr=alpha).step()
print("one step on the penalty alone: w moved by", (before - w_demo.numpy()).ravel(),
      "= α·2λw =", (alpha * 2 * lam * before).ravel())
assert np.allclose(before - w_demo.numpy(), alpha * 2 * lam * before, rtol=1e-12)

# %%
tn.manual_seed(0)
model = make_model(dropout=0.2)
optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
scheduler = optim.CosineAnnealingLR(optimizer, T_max=EPOCHS)
l2 = 1e-4
train_loader = DataLoader(TensorDataset(x_train_s, y_train), batch_size=64, shuffle=True)
recorder = Recorder(model)
history = {"loss": [], "val_loss": [], "accuracy": [], "val_accuracy": []}
best = (-1.0, None)
step = 0
for epoch in range(EPOCHS):
    model.train()
    total, correct, seen = 0.0, 0, 0
    for xb, yb in train_loader:
        out = model(xb)
        loss = F.cross_entropy(out, yb) + l2 * nn.l2_penalty([model[0].weight, model[3].weight])
        optimizer.zero_grad()
        loss.backward()
        recorder.record_grads(step)  # after backward, before the next zero_grad
        optimizer.step()
        step += 1
        total += loss.item() * len(xb)
        correct += int((out.numpy().argmax(axis=1) == yb.numpy()).sum())
        seen += len(xb)
    scheduler.step()
    model.eval()
    with tn.no_grad():
        hidden = model[1](model[0](tn.tensor(x_val_s)))
        recorder.record_activations(epoch, hidden_relu=hidden)
        val_out = model(tn.tensor(x_val_s))
        val_loss = F.cross_entropy(val_out, tn.tensor(y_val)).item()
    val_acc = metrics.accuracy(y_val, val_out)
    for key, value in zip(history, (total / seen, val_loss, correct / seen, val_acc)):
        history[key].append(value)
    if val_acc > best[0]:
        # state_dict() shares memory with the weights (as in PyTorch): without the deep copy, "best"
        # would silently follow every later step
        best = (val_acc, copy.deepcopy(model.state_dict()))
    print(f"epoch {epoch + 1:2d}: loss {total / seen:.4f}  val_loss {val_loss:.4f}  val_accuracy {val_acc:.3f}")

model.load_state_dict(best[1])
best_epoch = int(np.argmax(history["val_accuracy"])) + 1
print(f"best-epoch selection: epoch {best_epoch} of {EPOCHS}, validation accuracy {best[0]:.3f} "
      f"on the {len(y_val)} validation images")
assert len(y_val) == 288 and best[0] == max(history["val_accuracy"])
assert best[0] >= (0.95 if FAST else 0.97)

save(plot_history(history, title="digits MLP: training and validation"), "07_history.png")
save(recorder.plot_gradient_flow(title="mean |grad| per layer (solid), max (faint), 10-step average",
                                 smooth=10), "07_gradient_flow.png")
activations_fig = recorder.plot_activations(log=True)
activations_fig.suptitle("hidden ReLU outputs on the validation set, one histogram per epoch", fontsize=10, y=1.04)
for ax in activations_fig.axes:
    ax.set(xlabel="activation value", ylabel="count (log scale)")
save(activations_fig, "07_activations.png")

# %% [markdown]
# The gradient-flow picture shows each layer's gradient size over the steps: healthy
# training keeps them within an order of magnitude or two of each other (tutorial 3 showed
# what vanishing looks like). The activation histograms show the ReLU layer's outputs: a
# spike at 0 (units off for that input) and a spread of positive values; a layer whose
# histogram collapsed entirely onto 0 would have died.
#
# ## 5. Evaluate on the test set: accuracy, precision, recall, F1
#
# For each class c, counting over the test set:
# * **precision** = TP / (TP + FP): of the images we called c, how many were c;
# * **recall** = TP / (TP + FN): of the images of c, how many we found;
# * **F1** = 2·precision·recall / (precision + recall), their harmonic mean.
#
# "macro" averages the ten per-class values with equal weight.

# %%
test_out = tn.predict(model, x_test_s)
y_pred = test_out.numpy().argmax(axis=1)
test_acc = metrics.accuracy(y_test, y_pred)
precision, recall, f1 = metrics.precision_recall_f1(y_test, y_pred, average="macro")
per_class_recall = metrics.recall(y_test, y_pred, average=None, num_classes=10)
print(f"test accuracy {test_acc:.3f}; macro precision {precision:.3f}, recall {recall:.3f}, F1 {f1:.3f}")
print("recall per digit:", dict(enumerate(per_class_recall.round(2).tolist())))
cm = metrics.confusion_matrix(y_test, y_pred, num_classes=10)
worst = np.unravel_index(np.argmax(cm - np.diag(np.diag(cm))), cm.shape)
print(f"most frequent confusion: true {worst[0]} predicted as {worst[1]} ({cm[worst]} times)")
save(plot_confusion_matrix(cm, title=f"test-set confusion matrix (accuracy {test_acc:.3f})"), "07_confusion.png")

# the metrics by hand from the confusion matrix, as a check
tp = np.diag(cm)
assert np.isclose(test_acc, tp.sum() / cm.sum())
assert np.allclose(per_class_recall, tp / cm.sum(axis=1))
assert np.isclose(precision, np.mean(tp / cm.sum(axis=0)))
assert test_acc >= (0.93 if FAST else 0.96)

# %% [markdown]
# ## 6. Save, load, predict
#
# `tn.save` writes the state dict (parameter name → array) to a `.npz` file, atomically and
# without pickle (loading never runs code from the file). A fresh model of the same shape
# loads it and predicts exactly the same.

# %%
path = OUT / "digits_mlp.npz"
tn.save(model.state_dict(), path)
restored = make_model()
restored.load_state_dict(tn.load(path))
restored.eval()
again = tn.predict(restored, x_test_s).numpy()
assert np.array_equal(again, test_out.numpy())
print(f"saved {path.name} ({path.stat().st_size / 1024:.0f} KiB); the loaded model predicts identically")


def predict_digit(model, image_8x8):
    """Inference on one raw image (pixels 0..16): the same scaling as in training, then argmax."""
    row = scaler.transform(np.asarray(image_8x8, dtype="float32").reshape(1, 64))
    with tn.no_grad():
        probs = F.softmax(model(tn.tensor(row))).numpy()[0]
    return int(probs.argmax()), float(probs.max())


fig, axes = plt.subplots(2, 8, figsize=(8, 2.5))
for ax, image, label in zip(axes.ravel(), x_test, y_test):
    digit, confidence = predict_digit(restored, image)
    ax.imshow(image.reshape(8, 8), cmap="gray_r")
    ax.set_title(f"{digit} ({confidence:.0%})", fontsize=8, color="black" if digit == label else "red")
    ax.axis("off")
save(fig, "07_predictions.png")

# %% [markdown]
# ## 7. The same loop in one call: `tn.fit`
#
# Once the loop holds no surprises, `tn.fit` runs it for you (progress bar, per-epoch
# training and validation metrics, a schedule) and returns the history. AdamW's decoupled
# weight decay replaces the explicit L2 term here.

# %%
tn.manual_seed(1)
model2 = make_model()
opt2 = optim.AdamW(model2.parameters(), lr=3e-3, weight_decay=1e-2)
fit_history = tn.fit(model2, nn.CrossEntropyLoss(), opt2, train_loader, epochs=EPOCHS,
                     val_loader=DataLoader(TensorDataset(x_val_s, y_val), batch_size=256),
                     metrics=("accuracy", "f1"), progress=False)
print(fit_history)
assert fit_history["val_accuracy"][-1] >= 0.93

# %% [markdown]
# ## What we learned
# * Split into train/validation/test; fit the scaler on the training data only.
# * Standardised inputs train faster than raw pixels; zero initialisation makes all hidden
#   units identical, random initialisation breaks the symmetry.
# * Dropout and L2 regularise (L2 moves each weight by α·2λw per step); the validation set
#   (288 images) picks the epoch to keep: best-epoch selection, not early stopping.
# * Accuracy hides per-class behaviour: precision, recall, F1 and the confusion matrix show it.
# * `tn.save` / `load_state_dict(tn.load(...))` round-trips a model exactly.
#
# Next: [8. Your own layer](08_your_own_layer.py).
