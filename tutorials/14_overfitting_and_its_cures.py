# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # 14. Overfitting and its cures: L2, Dropout, augmentation, early stopping
#
# Document 003 (§9.2, "how to avoid overfitting while training a large model",
# 大模型训练过程中如何避免过拟合？) gives four cures:
#
# > * **Data augmentation**: enlarge the training data with augmentation techniques, improving
# >   the model's ability to generalise. (**数据增强**：通过数据增强技术扩充训练数据，提高模型泛化能力。)
# > * **Regularisation**: use regularisation such as L1 or L2, penalising weights that are too
# >   large, so the model does not become too complex. (**正则化**：使用正则化技术，如L1、L2正则化，
# >   惩罚过大的权重，避免模型复杂度过高。)
# > * **Dropout**: randomly drop some neurons during training, improving the ability to
# >   generalise. (**Dropout**：在训练过程中随机丢弃部分神经元，提高模型泛化能力。)
# > * **Early stopping**: evaluate the model on a validation set, and stop training when the
# >   validation performance no longer improves. (**早停法**：在验证集上评估模型性能，当验证集性能
# >   不再提升时停止训练，避免过拟合。)
#
# Document 001 (§9, Q2, how to improve generalisation) lists the same: "data augmentation …
# regularisation (L1, L2) to reduce overfitting … **stopping early**: when the performance on the
# validation set is seen to improve no more, stop training early" (数据增强 … 正则化：使用正则化
# 方法（如L1、L2正则化）减少过拟合现象。提前停止：在验证集上观察到性能不再提升时，提前停止训练。),
# and document 000 (§3.2) says what augmentation is: "increase the diversity of the data through
# operations such as rotations, flips and crops" (数据增强：通过旋转、翻转、裁剪等操作，增加数据多样性).
#
# Here each cure is tried alone against one deliberately overfitting set-up, and measured.
#
# **The set-up.** A wide MLP (64 → 256 → 256 → 10, 85 000 weights) trained on only **300** of
# the bundled 8×8 digits, in which **20 % of the training labels are replaced by a wrong one**
# (validation and test labels stay correct). Tutorial 21 showed overfitting on clean digits:
# the validation loss doubles while the accuracy hardly moves, because memorising 150 correct
# examples does little harm. Wrong labels make the harm visible in the accuracy: a model that
# memorises the training set must learn 60 wrong answers by heart, and that distorts what it
# answers for the digits it has not seen. Real label sets contain mistakes too (a few per cent
# even in benchmark test sets, Northcutt et al. 2021). Memorising them is overfitting at its
# plainest, and it can be counted: **how many of the 60 wrong labels does the model reproduce?**
#
# Three parts of the data, each with its own job:
# * **training** (300 images, 20 % wrong labels): the weights are fitted to it;
# * **validation** (957 images): watched during training, and used by early stopping to choose
#   the epoch — so its numbers for the early-stopped model are optimistic;
# * **test** (540 images): looked at once, at the end, for an unbiased score of every model.

# %%
# Find tutorials/_setup.py (the fast switch and the output folder, shared by the tutorials).
import sys
from pathlib import Path

here = Path.cwd()
candidates = [here / "_setup.py", *(d / "tutorials" / "_setup.py" for d in (here, *here.parents)),
              *here.glob("*/tutorials/_setup.py")]
sys.path += [str(p.parent) for p in candidates if p.is_file()][:1]

# %%
import matplotlib.pyplot as plt
import numpy as np
from _setup import FAST, save  # tutorials/_setup.py, found above

import tinynn as tn
from tinynn import nn, optim
from tinynn.callbacks import Callback, EarlyStopping
from tinynn.data import DataLoader, load_digits, train_test_split
from tinynn.data import transforms as T

SEED = 0  # the assertions below were checked for SEED = 0, 1, 2, 3, 4 in both modes
EPOCHS = 60 if FAST else 100
N_TRAIN, WRONG = 300, 0.2

x, y = load_digits(images=True)
x = (x / 16.0).astype("float32")[:, None]  # (1797, 1, 8, 8) images in [0, 1]: NCHW, as the transforms expect
x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=0.3, seed=0, stratify=y)
x_train, x_val, y_train_true, y_val = train_test_split(x_rest, y_rest, test_size=len(x_rest) - N_TRAIN, seed=1,
                                                       stratify=y_rest)
rng = np.random.default_rng(SEED)
flipped = rng.permutation(N_TRAIN)[: int(WRONG * N_TRAIN)]
y_train = y_train_true.copy()
y_train[flipped] = (y_train[flipped] + rng.integers(1, 10, size=len(flipped))) % 10  # always a wrong class
assert (y_train[flipped] != y_train_true[flipped]).all() and (np.delete(y_train, flipped) == np.delete(y_train_true, flipped)).all()
print(f"train {len(x_train)} images ({len(flipped)} with a wrong label), validation {len(x_val)}, test {len(x_test)}")

# %% [markdown]
# ## Measuring honestly
#
# `tn.fit` reports the training loss measured on the fly, batch by batch, *while* the weights
# change and *with* Dropout active and the augmentation applied. That number is not comparable
# between the cures (Dropout and augmentation make it higher by design). So a small callback
# measures, after every epoch, the loss and accuracy on the **unaugmented training images in
# eval mode**, the same way `val_loss` is measured. These are the "train" curves below.
#
# Everything is trained the same way: SGD with momentum 0.9, batches of 32, a learning rate
# starting at 0.1 and falling to 0 along a cosine (`CosineAnnealingLR`, so that the last epoch's
# weights have settled and "final" means something), the same initial weights and the same
# shuffling (one seed).

# %%
loss_fn = nn.CrossEntropyLoss()
train_xy = [(tn.tensor(x_train), tn.tensor(y_train))]
val_loader = [(tn.tensor(x_val), tn.tensor(y_val))]


class CleanTrainMetrics(Callback):
    """After each epoch: loss and accuracy on the training images as they are (eval mode), and
    the share of the wrong labels the model reproduces."""

    def on_epoch_end(self, epoch, logs=None):
        result = tn.evaluate(self.model, loss_fn, train_xy)  # evaluate switches to eval mode and back
        logs["train_loss"], logs["train_accuracy"] = result["loss"], result["accuracy"]
        logs["memorised"] = float((predict(self.model, x_train[flipped]) == y_train[flipped]).mean())
        self.model.train()  # predict left it in eval mode; fit's next epoch would set it anyway


def mlp(dropout=0.0, width=256):
    layers = [nn.Flatten(), nn.Linear(64, width), nn.ReLU()]
    layers += [nn.Dropout(dropout)] if dropout else []
    layers += [nn.Linear(width, width), nn.ReLU()]
    layers += [nn.Dropout(dropout)] if dropout else []
    return nn.Sequential(*layers, nn.Linear(width, 10))


def predict(model, images):
    model.eval()
    with tn.no_grad():
        return model(tn.tensor(images)).numpy().argmax(1)


def train(name, dropout=0.0, weight_decay=0.0, transform=None, callbacks=()):
    tn.manual_seed(SEED)
    model = mlp(dropout)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=weight_decay)
    loader = DataLoader((x_train, y_train), batch_size=32, shuffle=True, transform=transform)
    schedule = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=EPOCHS)  # the last epoch's weights settle
    history = tn.fit(model, loss_fn, opt, loader, epochs=EPOCHS, val_loader=val_loader, scheduler=schedule,
                     callbacks=[CleanTrainMetrics(), *callbacks], progress=False)
    train_acc = float((predict(model, x_train) == y_train).mean())  # the labels it was given
    val_acc = float((predict(model, x_val) == y_val).mean())
    result = dict(name=name, model=model, history={k: np.array(v) for k, v in history.items()},
                  epochs=history.epochs, train_acc=train_acc, val_acc=val_acc, gap=train_acc - val_acc,
                  memorised=float((predict(model, x_train[flipped]) == y_train[flipped]).mean()),
                  val_loss=tn.evaluate(model, loss_fn, val_loader)["loss"],
                  test_acc=float((predict(model, x_test) == y_test).mean()))
    print(f"{name:22s}: {result['epochs']:3d} epochs, train acc {train_acc:.3f}, val acc {val_acc:.3f}, "
          f"gap {result['gap']:+.3f}, wrong labels reproduced {result['memorised']:.0%}, test acc {result['test_acc']:.3f}")
    return result


# %% [markdown]
# ## The baseline: no cure
#
# 85 000 weights for 300 images is more than enough to memorise them all, wrong labels
# included. Watch the validation accuracy: it peaks early (around epoch 10), while the model
# has learnt what the 240 correct labels agree on, and then falls as it learns the 60 wrong ones.

# %%
base = train("baseline (no cure)")
h = base["history"]
best_val_acc, best_acc_epoch = h["val_accuracy"].max(), int(h["val_accuracy"].argmax()) + 1
print(f"validation accuracy: best {best_val_acc:.3f} at epoch {best_acc_epoch}, final {base['val_acc']:.3f}")
assert base["train_acc"] > 0.97 and base["memorised"] > 0.9, "the baseline learns (almost) every wrong label"
assert base["gap"] > 0.15, "a large train/validation gap"
assert best_val_acc - base["val_acc"] > 0.04 and best_acc_epoch < EPOCHS // 2, "validation accuracy peaks early, then falls"

# %% [markdown]
# ## Cure 1: L2 regularisation (`weight_decay`)
#
# `optim.SGD(..., weight_decay=λ)` adds λ·w to every gradient before the step, which is the
# gradient of the penalty (λ/2)·Σw² added to the loss: document 003's "penalise weights that are
# too large". (As in PyTorch it applies to every parameter given to the optimizer, biases
# included; for Adam, `weight_decay` is this same L2 term, while `AdamW` decays the weights
# separately from the adaptive step.) Memorising one wrong example needs a sharp bend of the
# function at one point, which needs large weights; the penalty makes that cost more than it
# gains. λ = 0.02 is strong: the logits stay small, so the model is less confident even where it
# is right, which costs cross-entropy (its validation loss never gets down to the baseline's at
# the baseline's best epoch); its validation *accuracy* is what gains.

# %%
l2 = train("L2, weight_decay=0.02", weight_decay=0.02)
assert l2["history"]["val_loss"].min() > h["val_loss"].min(), "strong L2: less confident, a higher best loss"

# %% [markdown]
# ## Cure 2: Dropout
#
# `nn.Dropout(0.5)` after each hidden layer, as in documents 000 and 004 (`Dropout(0.5)`,
# `nn.Dropout(0.5)`): in training each hidden unit is zeroed with probability 0.5 and the
# survivors are scaled by 2 (inverted dropout), so no unit can rely on a particular other one
# being there; `model.eval()` turns it off (`tn.evaluate` and `predict` above do). A wrong label
# learnt by a fragile coalition of units is hard to keep when half of them vanish at every step.

# %%
drop = train("Dropout(0.5)", dropout=0.5)

# %% [markdown]
# ## Cure 3: data augmentation (`tinynn.data.transforms`)
#
# Document 000 names rotations, flips and crops. **Flips are wrong for digits**: a mirrored 2,
# 3, 4, 7 or 9 is not that digit (and a 6 turned by 180° is a 9). What does not change a
# digit's class: a shift by a pixel (`RandomShift(1)`: pad by one and crop back to 8×8, i.e.
# `RandomCrop(8, padding=1)`), a small rotation (±10°, bilinear) and a little noise. The
# `DataLoader(transform=...)` hook applies them to every batch, each image drawing its own shift,
# angle and noise, from tinynn's seeded generator. So the model never sees the same 300 images
# twice: the wrong labels now come attached to a slightly different image each epoch.

# %%
augment = T.Compose([T.RandomShift(1), T.RandomRotation(10, interpolation="bilinear"), T.GaussianNoise(sigma=0.1)])
tn.manual_seed(SEED)
examples = augment(np.repeat(x_train[:6], 4, axis=0))  # four draws of each of six training digits
assert examples.shape == (24, 1, 8, 8) and not np.allclose(examples[0], examples[1])
aug = train("augmentation", transform=augment)

fig, axes = plt.subplots(5, 6, figsize=(6, 5.2))
for j in range(6):
    axes[0, j].imshow(x_train[j, 0], cmap="gray_r", vmin=0, vmax=1)
    wrong = y_train[j] != y_train_true[j]  # some of the training labels shown are the wrong ones
    axes[0, j].set_title(f"label {y_train[j]}" + (f" (is {y_train_true[j]})" if wrong else ""), fontsize=8,
                         color="tab:red" if wrong else "k")
    for i in range(4):
        axes[i + 1, j].imshow(examples[4 * j + i, 0], cmap="gray_r", vmin=0, vmax=1)
for ax in axes.ravel():
    ax.set_xticks([]), ax.set_yticks([])
axes[0, 0].set_ylabel("original", fontsize=8)
axes[1, 0].set_ylabel("augmented", fontsize=8)
fig.suptitle("RandomShift(1) + RandomRotation(10°) + GaussianNoise(0.1): four draws each", fontsize=9)
save(fig, "14_augmentation.png")

# %% [markdown]
# ## Cure 4: early stopping (`tinynn.callbacks.EarlyStopping`)
#
# `EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)`. Two separate
# things happen, and it is worth saying which is which:
# * **early stopping** proper, document 003's "stop training when the validation performance no
#   longer improves": after 10 epochs in a row without a new lowest validation loss, `fit` stops.
#   "No longer improves" needs a patience: the validation curve is noisy, so a single worse epoch
#   says little. Stopping saves the remaining epochs, but the last weights are the ones 10
#   epochs *past* the best.
# * **best-epoch selection**: `restore_best_weights=True` puts back the weights of the epoch with
#   the lowest validation loss (a copy is kept whenever it improves). The documents do not
#   mention this step; without it, early stopping keeps weights already 10 epochs into the decline.
#
# Best-epoch selection alone does not need stopping: train all epochs and keep the best
# (`ModelCheckpoint(save_best_only=True)` does that on disk). Both use the validation set to
# choose, so the validation score of the chosen model is biased upward, which is why the test
# set is kept aside. It is the same training as the baseline (same seed), cut short.

# %%
stop = EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)
early = train("early stopping", callbacks=[stop])
n_run = early["epochs"]
assert np.allclose(early["history"]["val_loss"], h["val_loss"][:n_run]), "the same run as the baseline, cut short"
assert stop.best_epoch == int(np.argmin(h["val_loss"][:n_run])) and stop.stopped_epoch == stop.best_epoch + 10
overall_best = int(np.argmin(h["val_loss"]))
last_epoch_val_acc = early["history"]["val_accuracy"][-1]  # what it would keep without restore_best_weights
print(f"stopped after epoch {stop.stopped_epoch + 1}, restored epoch {stop.best_epoch + 1} (val loss {stop.best:.3f}); "
      f"the whole baseline run's lowest val loss is at epoch {overall_best + 1} ({h['val_loss'][overall_best]:.3f})")
print(f"validation accuracy with the restored weights {early['val_acc']:.3f}, with the last weights "
      f"{last_epoch_val_acc:.3f}; saved {EPOCHS - n_run} of {EPOCHS} epochs")
assert n_run <= 0.6 * EPOCHS, "stopped well before the end"
assert early["val_acc"] > last_epoch_val_acc + 0.01, "the restored weights beat the last ones"


# %% [markdown]
# ## The table, and what it shows

# %%
results = [base, l2, drop, aug, early]
print(f"{'cure':22s} {'epochs':>6s} {'train acc':>9s} {'val acc':>8s} {'gap':>7s} {'wrong labels learnt':>19s} "
      f"{'val loss':>8s} {'test acc':>8s}")
for r in results:
    print(f"{r['name']:22s} {r['epochs']:6d} {r['train_acc']:9.3f} {r['val_acc']:8.3f} {r['gap']:+7.3f} "
          f"{r['memorised']:19.0%} {r['val_loss']:8.3f} {r['test_acc']:8.3f}")

for r in results[1:]:
    assert r["gap"] < base["gap"] - 0.1, f"{r['name']}: shrinks the train/validation gap"
    assert r["val_acc"] > base["val_acc"] + 0.03, f"{r['name']}: better validation accuracy at the end"
    assert r["test_acc"] > base["test_acc"] + 0.03, f"{r['name']}: and on the test set, never used to choose"
    assert r["memorised"] < base["memorised"] - 0.3, f"{r['name']}: learns fewer of the wrong labels"
    if r is not l2:  # strong L2 keeps the logits small: right answers get moderate probability (see above)
        assert r["val_loss"] < base["val_loss"] - 0.03, f"{r['name']}: lower final validation loss"

fig, axes = plt.subplots(3, 5, figsize=(17, 9), sharex=True, sharey="row")
for j, r in enumerate(results):
    hr, epochs = r["history"], np.arange(1, r["epochs"] + 1)
    for row, key in enumerate(("loss", "accuracy")):
        ax = axes[row, j]
        if r is not base:  # the baseline, faint, in every panel for comparison
            ax.plot(np.arange(1, base["epochs"] + 1), h["val_" + key], color="0.8", linewidth=1,
                    label="baseline validation")
        ax.plot(epochs, hr["train_" + key], color="tab:blue", linestyle="--", label="training (given labels)")
        ax.plot(epochs, hr["val_" + key], color="tab:red", label="validation")
    ax = axes[2, j]
    if r is not base:
        ax.plot(np.arange(1, base["epochs"] + 1), h["memorised"], color="0.8", linewidth=1, label="baseline")
    ax.plot(epochs, hr["memorised"], color="tab:purple", label=r["name"])
    ax.set_xlabel("epoch")
    if r is early:
        for ax in axes[:, j]:
            ax.axvline(stop.best_epoch + 1, color="k", linestyle=":", linewidth=1, label="restored epoch")
            ax.axvline(stop.stopped_epoch + 1, color="tab:green", linestyle=":", linewidth=1, label="stopped")
    axes[0, j].set_title(f"{r['name']}\ngap {r['gap']:+.2f}, wrong labels learnt {r['memorised']:.0%}")
    axes[1, j].axhline(1 - WRONG, color="0.5", linestyle="-.", linewidth=0.8)
axes[0, 0].set_yscale("log")
axes[1, 0].set_ylim(0.5, 1.02)
axes[2, 0].set_ylim(-0.02, 1.02)
axes[0, 0].set_ylabel("cross-entropy (log scale)")
axes[1, 0].set_ylabel("accuracy")
axes[2, 0].set_ylabel(f"share of the {len(flipped)} wrong\ntraining labels reproduced")
axes[1, 0].text(0.7 * EPOCHS, 1 - WRONG + 0.012, "80 %: the correct\ntraining labels", fontsize=7,
                color="0.4", ha="center", va="bottom")
axes[0, 4].legend(loc="lower left", fontsize=7)
axes[1, 1].legend(loc="lower right", fontsize=7)
axes[2, 1].legend(loc="upper left", fontsize=7)
fig.suptitle(f"A wide MLP on {N_TRAIN} digits with {WRONG:.0%} wrong labels: each cure alone", y=1.0)
fig.tight_layout()
save(fig, "14_overfitting_cures.png")

# %% [markdown]
# How to read the panels (numbers in the table above; the words below describe the full run):
# * **Baseline**: the dashed training accuracy climbs to 100 %, past the 80 % line, which is the
#   most a model can score on these labels without learning wrong ones by heart. The bottom row
#   shows it happen: between about epochs 10 and 40 the share of wrong labels reproduced goes
#   from chance (~10 %) to 100 %, and over the same epochs the validation accuracy falls from
#   its peak and the validation loss turns up.
# * **L2** and **augmentation** keep the share of wrong labels reproduced under ~10 %, where the
#   untrained model started, for the whole run: the
#   training accuracy stays at or under the 80 % line and the gap is negative. A *negative* gap
#   is the sign that the model disagrees with the bad labels: it is right on data it has not seen
#   more often than it agrees with the training labels.
# * **Dropout** slows memorisation down rather than stopping it: its share of wrong labels creeps
#   up through the run (to about a quarter by epoch 100), the gap stays near zero or slightly negative.
# * **Early stopping** does not change the training at all (its curves are the baseline's); it
#   keeps the weights from the epoch of lowest validation loss, before the memorising took off.
#   Its validation numbers are optimistic (the epoch was chosen on them); its test accuracy is
#   the fair comparison.
#
# The cures combine (a real model would use several at once, and early stopping on top), and
# each has a strength to choose on validation data: too much L2, Dropout or augmentation
# underfits (tutorial 21 showed underfitting's curves). And what cures overfitting best is the
# thing none of these can supply: more (correctly labelled) data.
#
# ## What we learned
# * Overfitting is memorising: here, the 60 wrong training labels, counted directly.
# * L2 (`weight_decay`) penalises the large weights memorising needs; Dropout (`nn.Dropout`,
#   off in `eval()`) slows it down; augmentation (`tinynn.data.transforms` through
#   `DataLoader(transform=)`) changes the images every epoch — with transforms that keep the
#   class: no flips for digits.
# * Early stopping (`EarlyStopping(patience=...)`) stops; `restore_best_weights=True` also selects
#   the best epoch. Both choose on the validation set, so report a test set you did not choose on.
# * Measure train curves in eval mode on clean data, or Dropout and augmentation fake a small gap.
#
# Next: [15. Compression](15_compression.py).
