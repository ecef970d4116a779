# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # 10. Attention by hand
#
# Document 004, §1.1, introduces the model behind GPT and BERT: "2018 年，Google 推出了
# Transformer 模型，开启了大模型的新时代。Transformer 模型具有自注意力机制" (in 2018 Google
# released the Transformer model, opening the era of large models; the Transformer has a
# self-attention mechanism). Two corrections before we start:
#
# * The Transformer is from **2017**: Vaswani et al., "Attention Is All You Need", NeurIPS
#   2017 (arXiv June 2017). 2018 is the year of GPT (OpenAI) and BERT (Google), built on it.
# * §2.1 and §2.3 say large models "通常采用自注意力机制、变分自编码器等技术" (usually use
#   self-attention, variational autoencoders and similar techniques). GPT and BERT contain no
#   variational autoencoder: they are stacks of attention and MLP blocks. VAEs are a separate
#   family of generative models.
#
# Self-attention lets every position of a sequence look at every other one. For queries Q
# (L × d), keys K (S × d) and values V (S × d_v):
#
# $$A = \frac{QK^\top}{\sqrt d},\qquad P = \mathrm{softmax}_{\text{rows}}(A),\qquad O = PV$$
#
# In this tutorial we compute it by hand, derive its backward pass by hand (the softmax
# Jacobian), check it against tinynn's autodiff, its fused kernel and a gradient check, then
# meet the causal mask, multi-head attention as a reshape, and the reason for the √d.

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
import tinynn.functional as F
from tinynn.ops.fused.attention import scaled_dot_product_attention_reference

rng = np.random.default_rng(0)
L, S, d = (4, 5, 8) if FAST else (6, 7, 16)

# %% [markdown]
# ## 1. Forward by hand

# %%
Q, K, V = rng.standard_normal((L, d)), rng.standard_normal((S, d)), rng.standard_normal((S, d))
A = Q @ K.T / np.sqrt(d)                       # (L, S): how well query i matches key j
P = np.exp(A - A.max(1, keepdims=True))
P /= P.sum(1, keepdims=True)                   # each row: weights over the keys, summing to 1
O = P @ V                                      # (L, d): a weighted average of the values
assert np.allclose(P.sum(1), 1)
ours = F.scaled_dot_product_attention(tn.tensor(Q), tn.tensor(K), tn.tensor(V)).numpy()
assert np.allclose(ours, O, atol=1e-12)
print("forward by hand equals F.scaled_dot_product_attention")

# %% [markdown]
# ## 2. Backward by hand: the softmax Jacobian
#
# Given G = ∂L/∂O: ∂L/∂V = Pᵀ G and ∂L/∂P = G Vᵀ. Each row p = softmax(a) has the Jacobian
# ∂p_i/∂a_j = p_i(δ_ij − p_j), i.e. diag(p) − p pᵀ, so for one row
#
# $$\frac{\partial L}{\partial a} = (\mathrm{diag}(p) - pp^\top)\,\frac{\partial L}{\partial p} = p \odot \Big(\frac{\partial L}{\partial p} - \sum_j p_j \frac{\partial L}{\partial p_j}\Big)$$
#
# and ∂L/∂Q = ∂L/∂A K/√d, ∂L/∂K = (∂L/∂A)ᵀ Q/√d.

# %%
G = rng.standard_normal((L, d))
dV = P.T @ G
dP = G @ V.T
dA_jacobian = np.stack([(np.diag(p) - np.outer(p, p)) @ g for p, g in zip(P, dP)])  # the full Jacobian, row by row
dA = P * (dP - (dP * P).sum(1, keepdims=True))                                      # the same, without forming it
assert np.allclose(dA, dA_jacobian)
dQ, dK = dA @ K / np.sqrt(d), dA.T @ Q / np.sqrt(d)

for name, fn in [("autodiff through the composition", scaled_dot_product_attention_reference),
                 ("the fused kernel", F.scaled_dot_product_attention)]:
    q, k, v = (tn.tensor(a, requires_grad=True) for a in (Q, K, V))
    fn(q, k, v).backward(tn.tensor(G))
    for mine, theirs in ((dQ, q), (dK, k), (dV, v)):
        assert np.allclose(mine, theirs.grad.numpy(), atol=1e-12)
    print(f"hand-derived gradients equal {name}")
q, k, v = (tn.tensor(a[:3], requires_grad=True) for a in (Q, K, V))
assert tn.gradcheck(F.scaled_dot_product_attention, [q, k, v])
print("gradcheck (central differences, float64): passed")

# %% [markdown]
# ## 3. The causal mask
#
# A language model predicts token t+1 from tokens 0..t, so position i must not see keys j > i.
# Masking sets those scores to −∞ before the softmax (their weights become exactly 0).
# `is_causal=True` does it; note that in `F.scaled_dot_product_attention` a boolean mask is
# True where a query **may** attend, while in `nn.MultiheadAttention` True means **not allowed**.

# %%
X = rng.standard_normal((L, d))
x = tn.tensor(X)
causal = F.scaled_dot_product_attention(x, x, x, is_causal=True).numpy()
keep = np.tril(np.ones((L, L), dtype=bool))
assert np.allclose(causal, F.scaled_dot_product_attention(x, x, x, attn_mask=tn.tensor(keep)).numpy())
X2 = X.copy()
X2[-1] += 10                                   # change the last token only
x2 = tn.tensor(X2)
causal2 = F.scaled_dot_product_attention(x2, x2, x2, is_causal=True).numpy()
assert np.array_equal(causal[:-1], causal2[:-1])  # no earlier position noticed
print("the causal mask: changing the last token leaves every earlier output unchanged")

scores = X @ X.T / np.sqrt(d)
scores[~keep] = -np.inf
weights = np.exp(scores - scores.max(1, keepdims=True))
weights /= weights.sum(1, keepdims=True)
fig, ax = plt.subplots(figsize=(4.6, 3.4))
image = ax.imshow(weights, cmap="viridis", vmin=0)
fig.colorbar(image, ax=ax, label="weight (each row sums to 1)")
ax.set_xlabel("key position j")
ax.set_ylabel("query position i")
ax.set_title("causal attention weights,\nsoftmax(QKᵀ/√d) with j > i masked")
save(fig, "10_causal_attention.png")

# %% [markdown]
# ## 4. Multi-head attention is a reshape
#
# With H heads, the d features are cut into H slices of d/H, each head attends with its own
# slice, and the outputs are put side by side again. Reshaping (L, d) to (H, L, d/H) turns
# the H attentions into one batched call.

# %%
H = 4
parts = [F.scaled_dot_product_attention(*(tn.tensor(a[:, h * d // H:(h + 1) * d // H]) for a in (Q, K, V))).numpy()
         for h in range(H)]
looped = np.concatenate(parts, axis=1)
heads = [tn.tensor(a.reshape(-1, H, d // H).transpose(1, 0, 2)) for a in (Q, K, V)]  # (H, L or S, d/H)
batched = F.scaled_dot_product_attention(*heads).numpy().transpose(1, 0, 2).reshape(L, d)
assert np.allclose(looped, batched)
print(f"{H} heads in a loop == one batched call on the reshaped tensors")

# %% [markdown]
# ## 5. Why divide by √d
#
# If q and k have independent entries of variance 1, q·k = Σ q_i k_i has variance d: the
# scores grow with the width, the softmax saturates onto one key, and its gradient
# (diag(p) − ppᵀ) vanishes, the same disease as tutorial 3's saturated sigmoid.
# Dividing by √d keeps the variance at 1 for every d.

# %%
n = 200 if FAST else 2000
for width in (16, 256):
    q, kk = rng.standard_normal((n, width)), rng.standard_normal((n, 32, width))
    raw = np.einsum("nd,nsd->ns", q, kk)
    print(f"d = {width:3d}: var(q·k) = {raw.var():6.1f}, var(q·k/√d) = {(raw / np.sqrt(width)).var():.2f}")
    assert abs(raw.var() / width - 1) < 0.2 and abs((raw / np.sqrt(width)).var() - 1) < 0.2
    p_raw = np.exp(raw - raw.max(1, keepdims=True))
    p_raw /= p_raw.sum(1, keepdims=True)
    if width == 256:
        assert p_raw.max(1).mean() > 0.8  # unscaled: nearly one-hot, so nearly no gradient
print("without the 1/√d, wide heads give saturated (nearly one-hot) attention")

# %% [markdown]
# Next: [11. LayerNorm and residuals](11_layernorm_and_residuals.py), the other two parts of a
# Transformer block.
