# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # 15. Compression: distillation, pruning, int8
#
# Document 004 §8.2 lists the ways to make a large model cheaper: "模型压缩与优化 … 如知识蒸馏、
# 模型剪枝等" (model compression and optimisation, such as knowledge distillation and model
# pruning), and §9.5 adds quantisation: "模型压缩可以通过模型剪枝、量化等方法降低模型的计算和存储成本"
# (compression lowers the compute and storage cost through pruning, quantisation and so on).
# Here are all three on the digits MLP, each measured: accuracy on held-out digits against
# the bytes the weights take.
#
# * **Distillation** (Hinton et al. 2015): a small *student* learns from the teacher's
#   softened probabilities softmax(z/T), loss α·T²·KL(p_T‖q_T) + (1−α)·CE (`tinynn.compress.distillation_loss`).
# * **Magnitude pruning**: zero the smallest |w| (`prune.global_unstructured`), then fine-tune
#   with the zeros held in place (`Pruner`). Stored as a bitmask + the surviving values.
# * **int8 quantisation**: w ≈ q·s with q an int8 and s = max|w|/127 per row (`quantize_model`).
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
from _setup import FAST, save

import tinynn as tn
from tinynn import nn, optim
from tinynn.compress import Pruner, distillation_loss, nbytes, prune, quantize_model, sparse_nbytes
from tinynn.data import DataLoader, load_digits, train_test_split

tn.manual_seed(0)
x, y = load_digits()
x = x / 16.0
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, seed=0, stratify=y)
EPOCHS = 6 if FAST else 40


def accuracy(model, xs=x_test, ys=y_test):
    model.eval()
    with tn.no_grad():
        return float((model(tn.tensor(xs)).numpy().argmax(1) == ys).mean())


def train(model, epochs=EPOCHS, lr=1e-3, teacher=None, T=4.0, alpha=0.9, after_step=None):
    """Adam on the training digits; with a teacher, Hinton's loss instead of plain CE."""
    opt = optim.Adam(model.parameters(), lr=lr)
    loader = DataLoader((x_train, y_train), batch_size=64, shuffle=True)
    for _ in range(epochs):
        model.train()
        for xb, yb in loader:
            opt.zero_grad()
            out = model(xb)
            if teacher is None:
                loss = nn.CrossEntropyLoss()(out, yb)
            else:
                with tn.no_grad():
                    soft = teacher(xb)
                loss = distillation_loss(out, soft, yb, T=T, alpha=alpha)
            loss.backward()
            opt.step()
            if after_step is not None:
                after_step()
    return model


def mlp(*sizes):
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


teacher = train(mlp(64, 256, 256, 10))
teacher.eval()
rows = [("teacher 64-256-256-10", nbytes(teacher), accuracy(teacher))]
print(rows[0])

# %% [markdown]
# ## Distillation
#
# The student has 16 hidden units: 1/80 of the teacher's weights. It is trained twice from
# the same initial weights: on the labels alone, and on the teacher's soft targets (T = 4,
# α = 0.9). The soft targets carry more than the label: how much a 3 looks like an 8.

# %%
tn.manual_seed(1)
student_init = mlp(64, 16, 10).state_dict()
scratch = mlp(64, 16, 10)
scratch.load_state_dict(student_init)
train(scratch, epochs=EPOCHS * 2)
distilled = mlp(64, 16, 10)
distilled.load_state_dict(student_init)
train(distilled, epochs=EPOCHS * 2, lr=3e-3 if FAST else 1e-3, teacher=teacher)
rows += [("student 64-16-10, labels only", nbytes(scratch), accuracy(scratch)),
         ("student 64-16-10, distilled (T=4)", nbytes(distilled), accuracy(distilled))]
for r in rows[1:]:
    print(r)
assert nbytes(distilled) * 30 < nbytes(teacher)
assert accuracy(distilled) > accuracy(teacher) - 0.06, "a 16-unit student distilled stays within 6 points"

# %% [markdown]
# ## Pruning with fine-tuning
#
# One global threshold over the three weight matrices, then a few epochs of fine-tuning at a
# lower learning rate with the `Pruner` putting the zeros back after every step. The size is
# the bitmask-plus-values format of `sparse_nbytes` (1 bit per entry, 4 bytes per survivor).

# %%
pruned_models = {}
for amount in (0.5, 0.8, 0.9):
    model = mlp(64, 256, 256, 10)
    model.load_state_dict(teacher.state_dict())
    prune.global_unstructured(prune.prunable_parameters(model), amount=amount)
    before = accuracy(model)
    pruner = Pruner(model)
    train(model, epochs=max(3, EPOCHS // 3), lr=3e-4, after_step=pruner.step)
    assert abs(prune.sparsity(model) - amount) < 1e-3, "the masks stayed applied while fine-tuning"
    pruned_models[amount] = model
    rows.append((f"pruned {amount:.0%} + fine-tune (before: {before:.3f})", sparse_nbytes(model), accuracy(model)))
    print(rows[-1])
assert rows[-3][2] > rows[0][2] - 0.02, "half the weights go for (almost) nothing"

# %% [markdown]
# ## int8 weights
#
# Post-training, no retraining: per-tensor (one scale a matrix) and per-channel (one a row).
# The int8 model runs dequantised (ŵ = q·s in float) — the file is what shrinks, 4×.

# %%
for per_channel in (False, True):
    q = quantize_model(teacher, per_channel=per_channel)
    rows.append((f"int8 {'per-channel' if per_channel else 'per-tensor'}", nbytes(q), accuracy(q)))
    print(rows[-1])
assert rows[-1][2] >= rows[0][2] - 0.01 and nbytes(q) < nbytes(teacher) / 3.8  # biases and scales stay float32
q90 = quantize_model(pruned_models[0.9])
nonzero = sum(int((a != 0).sum()) for a in pruned_models[0.9].state_dict().values() if a.ndim == 2)
bitmask = sum(-(-a.numel() // 8) for a in pruned_models[0.9].state_dict().values() if a.ndim == 2)
combined = bitmask + nonzero + (nbytes(q90) - sum(a.size for a in q90.state_dict_int8().values() if a.dtype == np.int8))
rows.append(("pruned 90% + int8", combined, accuracy(q90)))
print(rows[-1])

# %%
print(f"{'model':46s} {'bytes':>8s} {'accuracy':>9s}")
for name, size, acc in rows:
    print(f"{name:46s} {size:8d} {acc:9.3f}")

fig, ax = plt.subplots(figsize=(6, 4))
for name, size, acc in rows:
    ax.scatter(size, acc)
    ax.annotate(name.split(" (")[0], (size, acc), fontsize=7, xytext=(4, -3), textcoords="offset points")
ax.set_xscale("log")
ax.set_xlabel("bytes of weights (log scale)")
ax.set_ylabel("test accuracy")
ax.set_title("Digits MLP: accuracy vs size")
save(fig, "15_accuracy_vs_size.png")

# %% [markdown]
# What the table shows: int8 costs nothing measurable here and divides the size by 4;
# pruning half the weights costs nothing after a short fine-tune, 90 % costs a little; the
# distilled 16-unit student is ~80× smaller than the teacher. On a problem this small a
# student trained on labels alone is often as good — distillation pays most when the
# labels are few or noisy and the teacher knows more than they say.

# %% [markdown]
# Next: [16. A VAE](16_vae.py), a generative model of the same digits.
