# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # 21. Training sanity checks: before you train for a day
#
# The documents judge a trained model by comparing its scores on data it saw and data it
# did not. Document 001 (§3.2, model evaluation):
#
# > By comparing the performance on the training set and the test set, one can judge whether
# > the model overfits or underfits.
# > (通过对比训练集和测试集的性能，可以判断模型是否过拟合或欠拟合。)
#
# and document 002 (§9.3) defines the first: "**overfitting**: the model performs well on
# the training data but poorly on data it has not seen" (过拟合：模型在训练数据上表现良好，
# 但在未见过的数据上表现较差). Document 000 (§9.5) adds that one should "adjust the learning
# rate during training, to avoid overfitting or underfitting" (学习率调整：根据训练过程调整
# 学习率，以避免过拟合或欠拟合), which mixes two questions we will keep apart: the learning
# rate decides whether and how fast the *optimisation* works; over- and underfitting are
# about the model's *capacity* against the amount of data.
#
# This tutorial is the checklist to run before (and while) training anything:
# 1. **the loss at initialisation** is log C (tutorial 20);
# 2. **overfit one batch**: a model that cannot drive the loss on 32 examples to ~0 has a bug,
#    and the value it gets stuck at can name the bug;
# 3. **a learning-rate range test**: one short run with the learning rate growing
#    exponentially shows the usable range;
# 4. **reading the curves**: underfitting, a good fit and overfitting, side by side, and
#    picking the best epoch on validation data.

# %%
# Find tutorials/_setup.py (the fast switch and the output folder, shared by the tutorials).
import sys
from pathlib import Path

here = Path.cwd()
candidates = [here / "_setup.py", *(d / "tutorials" / "_setup.py" for d in (here, *here.parents)),
              *here.glob("*/tutorials/_setup.py")]
sys.path += [str(p.parent) for p in candidates if p.is_file()][:1]

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
from _setup import FAST, save  # tutorials/_setup.py, found above

import tinynn as tn
import tinynn.functional as F
from tinynn import nn, optim
from tinynn.data import StandardScaler, load_digits, train_test_split

x, y = load_digits()
x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.3, seed=0, stratify=y)
scaler = StandardScaler().fit(x_train)
x_train, x_val = scaler.transform(x_train).astype("float32"), scaler.transform(x_val).astype("float32")
xt, yt, xv, yv = tn.tensor(x_train), tn.tensor(y_train), tn.tensor(x_val), tn.tensor(y_val)
C = 10


def mlp(hidden=128, seed=0):
    tn.manual_seed(seed)
    return nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                         nn.Linear(hidden, C))


def accuracy(logits, target):
    return float((logits.numpy().argmax(1) == target.numpy()).mean())


# %% [markdown]
# ## 1. The loss at initialisation
#
# Before any step: ten classes, knowing nothing, so the loss should be near log 10 = 2.303.

# %%
with tn.no_grad():
    loss0 = F.cross_entropy(mlp()(xt), yt).item()
print(f"loss before training {loss0:.3f}, log C = {math.log(C):.3f}")
assert abs(loss0 - math.log(C)) < 0.15

# %% [markdown]
# ## 2. Overfit one batch
#
# Take **one** batch of 32 images and train on it alone. A network with 26 000 weights can
# memorise 32 examples, so the loss must go to ~0 and the accuracy to 100 %. If it does not,
# something between the data and the update is broken (wrong labels for the inputs is not
# among the things this catches: memorising works for any labels).
#
# Here is a bug it does catch, and one that is easy to make: putting a softmax at the end of
# the model *and* using `CrossEntropyLoss` (which applies log-softmax itself, tutorial 4).
# The "logits" are then probabilities in [0, 1], and the loss cannot go below the value for
# the most confident output possible, p = (1, 0, …, 0):
#
# $$L_{\min} = -\log\frac{e^1}{e^1 + 9e^0} = \log\left(1 + \frac{9}{e}\right) = 1.46 .$$
#
# A loss that flattens at 1.46 instead of 0 names the bug.

# %%
x_one, y_one = xt[:32], yt[:32]
steps_one = 150 if FAST else 300


def overfit(model, steps, lr=1e-3):
    opt = optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = F.cross_entropy(model(x_one), y_one)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return np.array(losses)


good = mlp()
losses_good = overfit(good, steps_one)
buggy = nn.Sequential(*mlp(), nn.Softmax(dim=1))  # the bug: softmax before cross-entropy
losses_buggy = overfit(buggy, steps_one, lr=1e-2)
floor = math.log(1 + (C - 1) / math.e)
print(f"one batch, {steps_one} Adam steps: correct model loss {losses_good[-1]:.4f}, "
      f"accuracy {accuracy(good(x_one), y_one):.0%}")
print(f"with the extra softmax: loss {losses_buggy[-1]:.4f}; floor log(1 + 9/e) = {floor:.4f}")
assert losses_good[-1] < 0.01 and accuracy(good(x_one), y_one) == 1.0
assert losses_buggy.min() >= floor - 1e-6 and losses_buggy[-1] < floor + 0.05  # pinned to the floor

# %% [markdown]
# ## 3. The learning-rate range test
#
# Which learning rate? Rather than trying many full runs, do one short run in which the
# learning rate grows **exponentially** at every step, from far too small (10⁻⁵) to far too
# large (10), and record the loss (Smith 2017, "Cyclical learning rates"; fastai's
# `lr_find`). The curve of loss against learning rate (log axis) has three parts: flat (too
# small to matter), falling (the useful range), and exploding. A good choice is in the
# falling part, where the loss drops fastest, roughly a tenth of the learning rate at the
# curve's minimum. We use SGD with momentum 0.9 and batches of 64.

# %%
range_steps = 100 if FAST else 200
lr_min, lr_max = 1e-5, 10.0
gamma = (lr_max / lr_min) ** (1 / (range_steps - 1))
model = mlp()
opt = optim.SGD(model.parameters(), lr=lr_min, momentum=0.9)
order = np.random.default_rng(0)
lrs, range_losses = [], []
for step in range(range_steps):
    lr = lr_min * gamma ** step
    for group in opt.param_groups:
        group["lr"] = lr
    idx = order.integers(0, len(x_train), size=64)
    loss = F.cross_entropy(model(xt[idx]), yt[idx])
    opt.zero_grad()
    loss.backward()
    opt.step()
    lrs.append(lr)
    range_losses.append(loss.item())
    if not math.isfinite(loss.item()) or loss.item() > 4 * range_losses[0]:
        break  # diverged: the rest of the range tells nothing more
lrs, range_losses = np.array(lrs), np.array(range_losses)
smoothed = np.array([range_losses[max(0, i - 4): i + 1].mean() for i in range(len(range_losses))])
best_at = int(np.argmin(smoothed))
slope = np.gradient(smoothed, np.log10(lrs))
steepest = int(np.argmin(slope[: best_at + 1]))
suggested = lrs[best_at] / 10
print(f"range test: {len(lrs)} steps; smoothed loss lowest at lr {lrs[best_at]:.3g}, falls fastest at "
      f"lr {lrs[steepest]:.3g}; suggestion (a tenth of the minimum) lr = {suggested:.3g}")
assert lrs[0] < lrs[steepest] < lrs[best_at] < lrs[-1]
assert smoothed[best_at] < 0.5 * smoothed[0]  # the useful range exists

# %% [markdown]
# Does the suggestion work? Train for the same number of steps with it, with 100× less and
# with the range test's end (where it diverged or nearly).

# %%
def train_steps(lr, steps, seed=0):
    model = mlp(seed=seed)
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    order = np.random.default_rng(seed)
    for _ in range(steps):
        idx = order.integers(0, len(x_train), size=64)
        loss = F.cross_entropy(model(xt[idx]), yt[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with tn.no_grad():
        val = F.cross_entropy(model(xv), yv).item()
    return val if math.isfinite(val) else float("inf")


check_steps = 150 if FAST else 400
candidates_lr = {"suggested / 100": suggested / 100, "suggested": suggested, "end of the range": lrs[-1]}
val_after = {name: train_steps(lr, check_steps) for name, lr in candidates_lr.items()}
for name, lr in candidates_lr.items():
    print(f"lr {lr:9.3g} ({name:16s}): validation loss after {check_steps} steps {val_after[name]:.3f}")
assert val_after["suggested"] < val_after["suggested / 100"] and val_after["suggested"] < val_after["end of the range"]

# %% [markdown]
# ## 4. Reading the curves: under-, well- and overfitted
#
# Now the documents' question. We make it visible by training on only **150** of the
# training images (validating on the 540 held-out ones), full-batch, for many epochs, with
# three models:
#
# * **underfitting**: too little capacity, here a linear classifier held near zero by a
#   strong L2 penalty (1.0·Σw²). Training and validation loss stay high and close together:
#   the model cannot even fit the data it sees. More epochs do not help; more capacity (or
#   less regularisation) does.
# * **a good fit**: the MLP (64 hidden units) with a mild L2 penalty (0.003·Σw², tutorial 7).
#   Both losses fall; the gap stays moderate.
# * **overfitting**: the same MLP, wider, no regularisation. The training loss goes to ~0, the
#   validation loss reaches a minimum and then **rises** while the training loss still
#   falls: the model is learning the 150 images' peculiarities. The cure is more data,
#   regularisation, or stopping at the best validation epoch (document 003 §9.2, 早停法).
#
# The diagnosis reads the *gap* between the curves and the *trend* of the validation curve,
# not any one number.

# %%
n_small = 150
xs, ys = xt[:n_small], yt[:n_small]
epochs = 300 if FAST else 600


def run(model, lr=0.01, l2=0.0):
    opt = optim.Adam(model.parameters(), lr=lr)
    hist = {"train": [], "val": [], "val_acc": []}
    for _ in range(epochs):
        loss = F.cross_entropy(model(xs), ys)  # the data term: what the curves show
        penalty = l2 * sum((p * p).sum() for p in model.parameters()) if l2 else 0.0
        opt.zero_grad()
        (loss + penalty).backward()
        opt.step()
        with tn.no_grad():
            val_logits = model(xv)
        hist["train"].append(loss.item())
        hist["val"].append(F.cross_entropy(val_logits, yv).item())
        hist["val_acc"].append(accuracy(val_logits, yv))
    return {k: np.array(v) for k, v in hist.items()}


tn.manual_seed(0)
under = run(nn.Linear(64, C), lr=0.01, l2=1.0)
fit = run(mlp(64), lr=0.003, l2=0.003)
over = run(mlp(256), lr=0.003)
for name, h in (("underfitting", under), ("good fit", fit), ("overfitting", over)):
    best = int(np.argmin(h["val"]))
    print(f"{name:12s}: final train loss {h['train'][-1]:.3f}, val loss {h['val'][-1]:.3f} "
          f"(best {h['val'][best]:.3f} at epoch {best + 1}), gap {h['val'][-1] - h['train'][-1]:.3f}, "
          f"val accuracy final {h['val_acc'][-1]:.3f} / at best epoch {h['val_acc'][best]:.3f}")

assert under["train"][-1] > 1.0 and abs(under["val"][-1] - under["train"][-1]) < 0.3  # high and together
assert over["train"][-1] < 0.01  # memorised the 150 images
over_best = int(np.argmin(over["val"]))
assert over["val"][-1] > 1.2 * over["val"][over_best] and over_best < epochs // 2  # minimum early, then rises
assert over["val"][-1] - over["train"][-1] > 2 * (fit["val"][-1] - fit["train"][-1])  # the widest gap
assert fit["val"][-1] < under["val"][-1] and fit["val"][-1] < over["val"][-1]
# the last panel's point: the overfitted model's validation loss more than doubles from its best
# epoch, its validation accuracy hardly changes
assert over["val"][-1] > 2 * over["val"][over_best] and abs(over["val_acc"][-1] - over["val_acc"][over_best]) < 0.03

fig, axes = plt.subplots(2, 2, figsize=(12, 8))
ax = axes[0, 0]
ax.plot(np.arange(1, len(losses_good) + 1), losses_good, label="correct model")
ax.plot(np.arange(1, len(losses_buggy) + 1), losses_buggy, label="softmax before CrossEntropyLoss")
ax.axhline(floor, color="k", linestyle="--", linewidth=0.8, label=f"log(1 + 9/e) = {floor:.2f}")
ax.set_yscale("log")
ax.set(xlabel="Adam step on the same 32 images", ylabel="cross-entropy (log scale)", title="Overfit one batch")
ax.legend()
ax = axes[0, 1]
ax.semilogx(lrs, range_losses, color="0.7", linewidth=0.8, label="loss per step")
ax.semilogx(lrs, smoothed, label="smoothed (5 steps)")
ax.axvline(suggested, color="tab:green", linestyle="--", label=f"suggested lr {suggested:.2g}")
ax.axvline(lrs[best_at], color="tab:red", linestyle=":", label=f"minimum at {lrs[best_at]:.2g}")
ax.plot(lrs[steepest], smoothed[steepest], "o", color="tab:purple", label=f"steepest fall at {lrs[steepest]:.2g}")
ax.set_ylim(0, 2 * range_losses[0])
ax.set(xlabel=f"learning rate (grows ×{gamma:.3f} per step)", ylabel="training loss",
       title="Learning-rate range test (SGD, momentum 0.9)")
ax.legend()
ax = axes[1, 0]
for (name, h), colour in zip((("underfitting (linear, strong L2)", under), ("good fit (MLP, mild L2)", fit),
                              ("overfitting (wide, no regularisation)", over)), ("tab:blue", "tab:green", "tab:red")):
    ax.plot(h["train"], color=colour, linestyle="--", linewidth=1)
    ax.plot(h["val"], color=colour, label=name)
ax.plot([], [], color="k", linestyle="--", label="dashed: training, solid: validation")
ax.set_yscale("log")
ax.set(xlabel=f"epoch (full batch of {n_small} images)", ylabel="cross-entropy (log scale)",
       title="Reading the curves")
ax.legend()
ax = axes[1, 1]
ax.plot(over["val_acc"], color="tab:red", label="overfitting model")
ax.plot(fit["val_acc"], color="tab:green", label="good fit")
ax.axvline(over_best + 1, color="tab:red", linestyle=":", label=f"lowest validation loss (epoch {over_best + 1})")
ax.set(xlabel="epoch", ylabel="validation accuracy", title="Accuracy moves less than the loss")
ax.legend()
fig.tight_layout()
save(fig, "21_sanity_checks.png")

# %% [markdown]
# The last panel is a warning about which number to watch: while the overfitted model's
# validation *loss* climbs, its validation *accuracy* barely moves. The loss punishes the
# growing over-confidence on the images it gets wrong; the argmax does not notice until an
# answer actually flips. Select epochs by the quantity you care about, and look at both.
#
# ## What we learned
# * Check the loss before the first step: log C for C classes.
# * Overfit one batch first. A correct model reaches ~0; a model stuck at a definite value
#   has a definite bug (1.46 = log(1 + 9/e): a softmax in front of `CrossEntropyLoss`).
# * A learning-rate range test (one run, the lr growing exponentially) shows the usable range; about a
#   tenth of the lr at the loss minimum trained better than 100× less or the divergence end.
# * Under-fitting: both curves high and close; over-fitting: the training loss → 0 while the
#   validation loss turns up (the widest gap). The learning rate is a separate question
#   from both, despite document 000's wording.
#
# Next: [22. CNN mechanics](22_cnn_mechanics.py).
