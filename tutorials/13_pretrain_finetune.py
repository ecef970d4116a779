# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # 13. Pre-train, then fine-tune: what a pre-trained GPT buys when labels are few
#
# Document 000 §2.1 describes how large models are trained:
#
# > 大模型通常采用预训练（pre-training）和微调（fine-tuning）的方法进行训练。
# > **预训练**：在大规模数据集上对模型进行无监督训练，使其掌握通用的语言、图像等特征表示。
# > **微调**：在预训练的基础上，针对特定任务进行有监督训练，进一步优化模型性能。
#
# (Large models are usually trained by pre-training and fine-tuning. *Pre-training*: train
# the model without supervision on a large data set, so that it learns general feature
# representations of language, images and so on. *Fine-tuning*: on top of the pre-training,
# train with supervision for a specific task, to optimise the model's performance further.)
#
# Document 004 §1.2 adds that large models "可以通过迁移学习、数据增强等技术，提高模型在特定领域的表现"
# (can raise their performance in a specific domain through transfer learning, data
# augmentation and similar techniques), and §9.5: "迁移学习可以将预训练模型应用于新任务，提高模型在新领域的表现"
# (transfer learning applies a pre-trained model to a new task, improving its performance
# in the new domain).
#
# One precision: the pre-training here (and GPT's) is **self-supervised** rather than
# unsupervised in the loose sense: the labels are the text itself (each next character),
# so no person labels anything, yet the loss is an ordinary supervised cross-entropy.
#
# The plan, all measured:
#
# 1. **Pre-train** the GPT of tutorial 12 on next-character prediction over the first 90 %
#    of Tiny Shakespeare (no labels).
# 2. A small **labelled task** on text the GPT never saw (the last 10 %): is a 64-character
#    window real Shakespeare, or the same window with the letters *inside each word*
#    shuffled (`wherefore` → `hfweerreo`)? Both classes have exactly the same characters,
#    word lengths, spaces and punctuation, so counting characters says nothing: only
#    knowing how English is spelled does. (A character-level cousin of the GLUE task CoLA,
#    "is this sentence acceptable?", on which pre-training is known to matter most.)
# 3. Three ways to get a classifier, for 20 … 500 labelled windows:
#    **from scratch** (random weights, everything trains), **linear probe** (the pre-trained
#    body frozen with `requires_grad_(False)`, only a new head trains) and **full
#    fine-tune** (everything trains from the pre-trained weights, the body at a 10× lower
#    learning rate through a parameter group).

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
import re
import time

import matplotlib.pyplot as plt
import numpy as np
from _setup import FAST, save  # tutorials/_setup.py, found above

import tinynn as tn
import tinynn.functional as F
from tinynn import nn, optim
from tinynn.data import load_shakespeare
from tinynn.models import GPT, CharTokenizer, GPTConfig, encode_splits, estimate_loss, get_batch, lr_at, train_step

started = time.perf_counter()
tn.manual_seed(0)
text = load_shakespeare()
tok = CharTokenizer.from_text(text)
train_ids, val_ids = encode_splits(text, tok)  # 90 % to pre-train on, the last 10 % for the task
T = 64  # characters per window, in pre-training and in the task
config = GPTConfig(block_size=T, vocab_size=tok.vocab_size, n_layer=2, n_head=4, n_embd=64)
PRETRAIN_STEPS = 500 if FAST else 2000
LABELS = (20, 100, 500) if FAST else (20, 50, 100, 200, 500)
FINETUNE_STEPS = 60 if FAST else 100
PROBE_STEPS = 300
SEEDS = (0,) if FAST else (0, 1)  # each point: the mean over labelled sets drawn with these seeds

# %% [markdown]
# ## 1. Pre-training: next-character prediction, no labels
#
# AdamW with warm-up and cosine decay, as in tutorial 12, on 16 random windows of 64
# characters per step. The loss starts at ln 65 ≈ 4.17 (a uniform guess over 65 characters).

# %%
gpt = GPT(config)
opt = gpt.configure_optimizers(weight_decay=0.1, learning_rate=3e-3)
gen = tn.Generator().manual_seed(0)
curve = []
for step in range(PRETRAIN_STEPS):
    for group in opt.param_groups:
        group["lr"] = lr_at(step, 3e-3, PRETRAIN_STEPS // 10, PRETRAIN_STEPS, 3e-4)
    loss, _ = train_step(gpt, opt, lambda: get_batch(train_ids, T, 16, gen), grad_clip=1.0)
    curve.append(loss)
est = estimate_loss(gpt, {"train": train_ids, "val": val_ids}, 10, 32, gen)
print(f"pre-trained {gpt.num_parameters():,} parameters for {PRETRAIN_STEPS} steps "
      f"({time.perf_counter() - started:.0f} s): loss {curve[0]:.2f} -> train {est['train']:.3f}, "
      f"validation {est['val']:.3f} (ln 65 = {math.log(65):.3f})")
assert abs(curve[0] - math.log(65)) < 0.15 and est["val"] < (2.4 if FAST else 2.0)

# %% [markdown]
# ## 2. The labelled task: real text or scrambled words?
#
# Windows are cut without overlap from the last 10 % of the text (never seen in
# pre-training): those of its first half make the pool the labelled examples are drawn from,
# those of its second half the test set. Half the windows (at random) get their words'
# letters shuffled; a window whose shuffle changes nothing ("I", "a", "see") is left out.

# %%
val_text = text[int(len(text) * 0.9):]
rng = np.random.default_rng(0)


def scramble(window, rng):
    """The letters inside each word shuffled; spaces, punctuation and word lengths kept."""
    def shuffle(match):
        letters = list(match.group(0))
        rng.shuffle(letters)
        return "".join(letters)
    return re.sub(r"[A-Za-z]+", shuffle, window)


def make_task(part, rng, limit):
    windows = [part[i:i + T] for i in range(0, len(part) - T, T)]
    xs, ys = [], []
    for w in windows:
        label = int(rng.random() < 0.5)  # 1 = scrambled
        if label:
            w2 = scramble(w, rng)
            if w2 == w:
                continue
            w = w2
        xs.append(tok.encode(w))
        ys.append(label)
    return np.array(xs[:limit], dtype=np.int64), np.array(ys[:limit], dtype=np.int64)


half = len(val_text) // 2
x_pool, y_pool = make_task(val_text[:half], rng, limit=10_000)
x_test, y_test = make_task(val_text[half:], rng, limit=400 if FAST else 800)
print(f"{len(x_pool)} windows to draw labels from, {len(x_test)} test windows, "
      f"{y_test.mean():.0%} of the test windows scrambled")
print("real:     ", repr(val_text[half:half + T]))
print("scrambled:", repr(scramble(val_text[half:half + T], np.random.default_rng(1))))
same_letters = all(sorted(w) == sorted(scramble(w, rng)) for w in map(tok.decode, x_test[:50].tolist()))
assert same_letters and max(LABELS) <= len(x_pool) and 0.4 < y_test.mean() < 0.6

# %% [markdown]
# The pre-trained model already "knows" the answer in its own terms: its next-character loss
# is much higher on scrambled windows. That is the knowledge the classifier can inherit, but
# the loss is not a *linear* function of its features, so the head still has to learn to
# read it from labels.

# %%
gpt.eval()
with tn.no_grad():
    xb = tn.tensor(x_test[:200])
    logits, _ = gpt(xb, xb)  # targets given: logits at every position
    logp = F.log_softmax(logits[:, :-1], dim=-1).numpy()
nll = -np.take_along_axis(logp, x_test[:200, 1:, None], axis=-1)[..., 0].mean(axis=1)  # per window
real_nll, scrambled_nll = nll[y_test[:200] == 0].mean(), nll[y_test[:200] == 1].mean()
print(f"pre-trained GPT's loss per character: real {real_nll:.2f}, scrambled {scrambled_nll:.2f} nats")
assert scrambled_nll > real_nll + 0.5

# %% [markdown]
# ## 3. Three classifiers, one architecture
#
# The classifier is the GPT's body (embeddings, blocks, final LayerNorm), its features
# averaged over the 64 positions, and a new head `Linear(64, 2)`: the language model's head
# (65 next-character scores) is replaced. Loading the pre-trained weights with
# `strict=False` says exactly that: the new head is missing from the checkpoint, the old
# one is unexpected.

# %%
class Classifier(nn.Module):
    """GPT body -> mean over positions -> 2 scores (real, scrambled)."""

    def __init__(self, config):
        super().__init__()
        self.transformer = GPT(config).transformer  # wte, wpe, h, ln_f: the names of the GPT's checkpoint
        self.head = nn.Linear(config.n_embd, 2)

    def features(self, idx):
        t = self.transformer
        x = t.wte(idx) + t.wpe(tn.arange(idx.shape[1]))
        for block in t.h:
            x = block(x)
        return t.ln_f(x).mean(dim=1)  # (B, T, C) -> (B, C)

    def forward(self, idx):
        return self.head(self.features(idx))  # (B, 2)


probe = Classifier(config)
report = probe.load_state_dict(gpt.state_dict(), strict=False)
print(report)
assert report.missing_keys == ["head.weight", "head.bias"] and report.unexpected_keys == ["lm_head.weight"]

# %% [markdown]
# Freezing: after `requires_grad_(False)` the body's parameters get no gradient, so the
# optimizer (given the head only) changes nothing else. Since a frozen body maps an input
# to the same features every time, the probe below computes them **once** and trains the
# head on them: a logistic regression on the pre-trained features.

# %%
probe.transformer.requires_grad_(False)
F.cross_entropy(probe(tn.tensor(x_pool[:8])), tn.tensor(y_pool[:8])).backward()
assert all(p.grad is None for p in probe.transformer.parameters())
assert all(p.grad is not None for p in probe.head.parameters())
frozen = sum(p.numel() for p in probe.transformer.parameters())
print(f"frozen: {frozen:,} parameters; training: {sum(p.numel() for p in probe.head.parameters())}")

# %% [markdown]
# The three recipes differ only in where they start and what trains. From scratch and the
# full fine-tune take the same number of steps on batches of 16 labelled windows (all of
# them when there are fewer); the fine-tune uses two parameter groups, the body at 3·10⁻⁴
# (pre-trained features should move a little) and the new head at 3·10⁻³. The probe's head
# trains on all its cached features at once.

# %%
pretrained = gpt.state_dict()


def accuracy(model, xs, ys):
    model.eval()
    with tn.no_grad():
        return float((model(tn.tensor(xs)).numpy().argmax(1) == ys).mean())


def classifier(method, seed):
    tn.manual_seed(seed)
    model = Classifier(config)
    if method == "from scratch":
        return model, optim.AdamW(model.parameters(), lr=1e-3)
    model.load_state_dict(pretrained, strict=False)
    if method == "linear probe":
        model.transformer.requires_grad_(False)
        return model, optim.AdamW(model.head.parameters(), lr=1e-2)
    groups = [{"params": model.transformer.parameters(), "lr": 3e-4}, {"params": model.head.parameters()}]
    return model, optim.AdamW(groups, lr=3e-3)


def fit(method, n, seed):
    """(test accuracy, training accuracy) after FINETUNE_STEPS steps on n labelled windows."""
    draw = np.random.default_rng(100 + seed)
    idx = draw.choice(len(x_pool), size=n, replace=False)
    xs, ys = x_pool[idx], y_pool[idx]
    model, opt = classifier(method, seed)
    model.train()
    if method == "linear probe":
        with tn.no_grad():
            feats = model.features(tn.tensor(xs))  # the frozen body, run once
        for _ in range(PROBE_STEPS):
            loss = F.cross_entropy(model.head(feats), tn.tensor(ys))
            opt.zero_grad()
            loss.backward()
            opt.step()
        return accuracy(model, x_test, y_test), accuracy(model, xs, ys)
    for _ in range(FINETUNE_STEPS):
        b = draw.choice(n, size=16, replace=False) if n > 16 else np.arange(n)
        loss = F.cross_entropy(model(tn.tensor(xs[b])), tn.tensor(ys[b]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return accuracy(model, x_test, y_test), accuracy(model, xs, ys)


METHODS = ("from scratch", "linear probe", "full fine-tune")
results = {m: {} for m in METHODS}
fits = {m: {} for m in METHODS}
for n in LABELS:
    for m in METHODS:
        runs = [fit(m, n, seed) for seed in SEEDS]
        results[m][n] = float(np.mean([r[0] for r in runs]))
        fits[m][n] = float(np.mean([r[1] for r in runs]))
    print(f"{n:4d} labels: " + ", ".join(f"{m} {results[m][n]:.3f}" for m in METHODS)
          + f"  ({time.perf_counter() - started:.0f} s)")

# %% [markdown]
# ## 4. The curve
#
# Test accuracy against the number of labelled windows (chance is 0.5), each point the mean
# over the labelled sets drawn (two in the full run, one in fast mode). With a few dozen
# labels which windows were drawn still matters by several points: read the curves' trend,
# not one point's wiggle.

# %%
print(f"\n{'labels':>6s} | " + " | ".join(f"{m:>14s}" for m in METHODS) + " | scratch, train acc.")
for n in LABELS:
    print(f"{n:6d} | " + " | ".join(f"{results[m][n]:14.3f}" for m in METHODS)
          + f" | {fits['from scratch'][n]:.3f}")

fig, ax = plt.subplots(figsize=(5.5, 3.6))
for m, marker in zip(METHODS, "osD"):
    ax.plot(LABELS, [results[m][n] for n in LABELS], marker=marker, label=m)
ax.axhline(0.5, ls="--", c="gray", lw=0.8, label="chance")
ax.set_xscale("log")
ax.xaxis.set_minor_locator(plt.NullLocator())  # only the label counts as ticks
ax.set_xticks(LABELS)
ax.set_xticklabels([str(n) for n in LABELS])
ax.set_xlabel("labelled windows")
ax.set_ylabel("test accuracy")
ax.set_ylim(0.4, 1.0)
ax.set_title("real or scrambled? GPT pre-trained on Shakespeare vs from scratch", fontsize=9)
ax.legend(loc="upper left")
save(fig, "13_pretrain_finetune.png")
print(f"total {time.perf_counter() - started:.0f} s")

# %% [markdown]
# What the numbers say (and the assertions check):
#
# * **From scratch, a few hundred labels teach nothing.** The model fits its training
#   windows (the last column) yet stays at chance on new ones: it memorised, because
#   spelling cannot be learnt from a few hundred examples of 64 characters.
# * **Pre-training turns the same labels into a classifier.** With as few as 20 labels
#   both pre-trained variants are well above chance; the knowledge came from 1 million
#   characters of unlabelled text, which is the point of document 000's recipe.
# * **Fine-tuning beats probing once there are enough labels**: letting the body adapt
#   (at a lower learning rate) gains over the frozen features, while with the fewest labels
#   the frozen body is as good or better (fewer things to get wrong).

# %%
low, high = LABELS[0], LABELS[-1]
scratch, probe_acc, tuned = results["from scratch"], results["linear probe"], results["full fine-tune"]
pair = (min if not FAST else max)(probe_acc[low], tuned[low])  # fast mode: a shorter pre-training, one seed
print(f"with {low} labels, pre-trained {pair:.3f} vs from scratch {scratch[low]:.3f}: +{pair - scratch[low]:.3f}")
assert pair > scratch[low] + (0.05 if FAST else 0.1), "pre-training must pay with few labels"
assert max(scratch.values()) < 0.6 and fits["from scratch"][low] > scratch[low] + 0.3, \
    "from scratch memorises its few labels but generalises at (near) chance"
assert max(probe_acc[high], tuned[high]) > scratch[high] + (0.1 if FAST else 0.3)
if not FAST:
    assert tuned[high] > probe_acc[high] + 0.03, "with enough labels, fine-tuning the body beats freezing it"

# %% [markdown]
# The same mechanics carry over to any pre-trained network: load the body with
# `strict=False` and read the report, replace the head, freeze with `requires_grad_(False)`
# or give the body its own learning rate with a parameter group. Next:
# [14. Overfitting and its cures](14_overfitting_and_its_cures.py), what few labels do to a big model.
