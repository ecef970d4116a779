# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # 12. A GPT from scratch on Shakespeare
#
# Document 003 calls "大型语言模型（如GPT-3）、图像识别模型（如BERT）" (large language models
# such as GPT-3, image-recognition models such as BERT), and §1 lists BERT under computer vision
# (计算机视觉). **BERT is a language model**: a Transformer encoder pre-trained on text by
# masked-token prediction (Devlin et al., 2018). Image Transformers are a later family (ViT, 2020).
#
# Here we train a character-level GPT (a Transformer decoder, `tinynn/models/gpt.py`) on Tiny
# Shakespeare: first a bigram baseline, then the GPT; the loss at initialisation; the training
# curve; samples at several temperatures; and a picture of what one attention head looks at.

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
from tinynn.data import load_shakespeare
from tinynn.models import GPT, CharTokenizer, GPTConfig, encode_splits, estimate_loss, get_batch, lr_at, train_step

tn.manual_seed(0)
text = load_shakespeare()
tok = CharTokenizer.from_text(text)
train, val = encode_splits(text, tok)  # the first 90 % to train on, the last 10 % to validate
print(f"{len(text):,} characters, {tok.vocab_size} distinct: {tok.chars!r}")
steps = 60 if FAST else 1000
gen = tn.Generator().manual_seed(0)

# %% [markdown]
# ## 1. The bigram baseline and the loss at initialisation
#
# A model that knows nothing gives every one of the 65 characters probability 1/65: its
# cross-entropy is −log(1/65) = ln 65 ≈ 4.17 nats. A bigram model (a 65 × 65 table of next-
# character scores, one row per current character) is the simplest thing that beats it.

# %%
bigram = nn.Embedding(tok.vocab_size, tok.vocab_size)
nn.init.zeros_(bigram.weight)  # all scores equal: the uniform guess
opt = optim.AdamW(bigram.parameters(), lr=0.1)
losses = []
for step in range(steps):
    x, y = get_batch(train, 32, 32, gen)
    loss = F.cross_entropy(bigram(x).view(-1, tok.vocab_size), y.view(-1))
    if step == 0:
        assert abs(loss.item() - math.log(65)) < 1e-4  # exactly the uniform guess
    loss.backward()
    opt.step()
    opt.zero_grad()
    losses.append(loss.item())
print(f"bigram: {losses[0]:.3f} -> {np.mean(losses[-10:]):.3f}")
assert np.mean(losses[-10:]) < losses[0] - 0.5

# %% [markdown]
# ## 2. The GPT: attention + MLP blocks
#
# Attention lets each character use the whole context (64 characters back), not just the
# previous one. Blocks are pre-norm: x + attention(LayerNorm(x)), then x + MLP(LayerNorm(x)).

# %%
config = GPTConfig(block_size=32 if FAST else 64, vocab_size=tok.vocab_size, n_layer=2 if FAST else 4,
                   n_head=4, n_embd=64 if FAST else 128)
model = GPT(config)
opt = model.configure_optimizers(weight_decay=0.1, learning_rate=2e-3 if FAST else 1e-3)
x, y = get_batch(val, config.block_size, 12, gen)
loss0 = model(x, y)[1].item()
print(f"GPT with {model.num_parameters():,} parameters; loss at initialisation {loss0:.3f} (ln 65 = {math.log(65):.3f})")
assert abs(loss0 - math.log(65)) < 0.1  # small initial weights: close to the uniform guess
history = []
for step in range(steps):
    for group in opt.param_groups:
        group["lr"] = lr_at(step, 2e-3 if FAST else 1e-3, steps // 10, steps, 1e-4)
    loss, _ = train_step(model, opt, lambda: get_batch(train, config.block_size, 12, gen), grad_clip=1.0)
    history.append(loss)
est = estimate_loss(model, {"train": train, "val": val}, 10 if FAST else 50, 12, gen)
print(f"after {steps} steps: train {est['train']:.3f}, validation {est['val']:.3f}")
assert est["val"] < loss0 - 0.8
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(losses, label="bigram", lw=0.8)
ax.plot(history, label="GPT", lw=0.8)
ax.axhline(math.log(65), ls="--", c="gray", label="ln 65 (uniform)")
ax.set_xlabel("step")
ax.set_ylabel("cross-entropy (nats)")
ax.set_title("training loss per step: bigram vs GPT")
ax.legend()
save(fig, "12_training_curves.png")

# %% [markdown]
# ## 3. Samples at several temperatures
#
# Generation divides the logits by a temperature before the softmax: below 1 the likeliest
# characters win more often (safer, more repetitive), above 1 the distribution flattens.

# %%
model.eval()
start = tn.tensor([tok.encode("\n")], dtype=tn.long)
for temperature in (0.5, 1.0, 1.5):
    out = model.generate(start, 80, temperature=temperature, generator=tn.Generator().manual_seed(1))
    print(f"--- temperature {temperature} ---\n{tok.decode(out[0])}")
    assert out.shape == (1, 81)

# %% [markdown]
# ## 4. What an attention head looks at
#
# The weights of the first block's attention on a line of text: each row (a query position)
# spreads its weight over earlier characters only (the causal mask).

# %%
line = text[:config.block_size]
idx = tn.tensor([tok.encode(line)], dtype=tn.long)
with tn.no_grad():
    block = model.transformer.h[0]
    h = block.ln_1(model.transformer.wte(idx) + model.transformer.wpe(tn.arange(len(line))))
    C, H = config.n_embd, config.n_head
    q, k, _ = block.attn.c_attn(h).split(C, dim=2)
    q = q.view(1, -1, H, C // H).transpose(1, 2).numpy()[0, 0]
    k = k.view(1, -1, H, C // H).transpose(1, 2).numpy()[0, 0]
scores = q @ k.T / math.sqrt(C // H)
scores[np.triu(np.ones_like(scores, dtype=bool), 1)] = -np.inf
weights = np.exp(scores - scores.max(1, keepdims=True))
weights /= weights.sum(1, keepdims=True)
assert np.allclose(np.triu(weights, 1), 0) and np.allclose(weights.sum(1), 1)
fig, ax = plt.subplots(figsize=(4.6, 4))
image = ax.imshow(weights, cmap="viridis", vmin=0)
fig.colorbar(image, ax=ax, label="attention weight (rows sum to 1)")
ax.set_title("attention weights, block 0, head 0")
ax.set_xlabel("key position")
ax.set_ylabel("query position")
save(fig, "12_attention_map.png")

# %% [markdown]
# Next: [13. Pre-train, then fine-tune](13_pretrain_finetune.py): what such a model learned
# without labels, put to use on a task with few.
