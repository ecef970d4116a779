# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # 11. LayerNorm and residual connections
#
# Document 002 says "大模型通常采用多层感知机（MLP）或变换器（Transformer）架构" (large models
# usually use a multilayer-perceptron or a Transformer architecture). Besides attention (tutorial 10), each Transformer block has two plain-looking
# parts that make deep stacks trainable: **layer normalisation** and the **residual
# connection** x + f(x). This tutorial derives LayerNorm's backward by hand and checks it,
# then measures what residual connections do to the gradient of early layers (tutorial 3's
# vanishing gradients, again).
#
# LayerNorm over the n features of one sample: μ = mean(x), σ² = mean((x − μ)²),
# x̂ = (x − μ)/√(σ² + ε), y = γ ⊙ x̂ + β.

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
from tinynn import nn

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. The backward pass by hand
#
# Each x_j moves x̂_i three ways: directly, through μ, and through σ:
# ∂x̂_i/∂x_j = s(δ_ij − 1/n − x̂_i x̂_j / n), with s = 1/√(σ² + ε). With ĝ = γ ⊙ ∂L/∂y:
#
# $$\frac{\partial L}{\partial x} = s\,\big(\hat g - \mathrm{mean}(\hat g) - \hat x\,\mathrm{mean}(\hat g \odot \hat x)\big),\quad \frac{\partial L}{\partial \gamma} = \sum_{\text{batch}} \frac{\partial L}{\partial y}\odot \hat x,\quad \frac{\partial L}{\partial \beta} = \sum_{\text{batch}} \frac{\partial L}{\partial y}$$

# %%
n, eps = 6, 1e-5
X, gamma, beta, G = rng.standard_normal((3, n)) * 2 + 1, rng.standard_normal(n), rng.standard_normal(n), rng.standard_normal((3, n))
mu = X.mean(1, keepdims=True)
s = 1 / np.sqrt(((X - mu) ** 2).mean(1, keepdims=True) + eps)
xhat = (X - mu) * s
g_hat = G * gamma
dX = s * (g_hat - g_hat.mean(1, keepdims=True) - xhat * (g_hat * xhat).mean(1, keepdims=True))
x, w, b = (tn.tensor(a, requires_grad=True) for a in (X, gamma, beta))
y = F.layer_norm(x, (n,), w, b, eps)
y.backward(tn.tensor(G))
assert np.allclose(y.numpy(), xhat * gamma + beta)
assert np.allclose(x.grad.numpy(), dX) and np.allclose(w.grad.numpy(), (G * xhat).sum(0))
assert np.allclose(b.grad.numpy(), G.sum(0))
assert tn.gradcheck(lambda x, w, b: F.layer_norm(x, (n,), w, b), [x, w, b])
print("hand-derived LayerNorm gradients equal tinynn's fused kernel; gradcheck passed")
# The gradient has no component along the all-ones direction: shifting a row changes nothing.
assert np.allclose(dX.sum(1), 0)

# %% [markdown]
# ## 2. Residual connections keep the gradient alive
#
# A deep stack of tanh layers multiplies many Jacobians, each with entries σ'-like below 1:
# the gradient reaching the first layer shrinks geometrically (tutorial 3). With a residual
# x_{l+1} = x_l + f(x_l), the Jacobian of each block is I + ∂f/∂x: the identity passes the
# gradient through unchanged, and the stack cannot shrink it to nothing.

# %%
depth, width = (12, 16) if FAST else (30, 32)


def first_layer_grad_norm(residual, norm):
    tn.manual_seed(0)
    layers = [nn.Linear(width, width) for _ in range(depth)]
    norms = [nn.LayerNorm(width) for _ in range(depth)]
    h = tn.tensor(rng.standard_normal((8, width)).astype("float32"))
    for layer, ln in zip(layers, norms):
        inner = ln(h) if norm else h
        out = layer(inner).tanh()
        h = h + out if residual else out
    h.sum().backward()
    return float(np.linalg.norm(layers[0].weight.grad.numpy()))


results = {(r, ln): first_layer_grad_norm(r, ln) for r in (False, True) for ln in (False, True)}
for (r, ln), v in results.items():
    print(f"residual={r!s:5} layernorm={ln!s:5}: |∂L/∂W_1| = {v:.3g}")
assert results[(True, True)] > 100 * results[(False, False)]
fig, ax = plt.subplots(figsize=(5, 3))
ax.bar([f"res={r}\nLN={ln}" for r, ln in results], list(results.values()))
ax.set_yscale("log")
ax.set_ylabel("first layer's gradient norm")
ax.set_title(f"{depth} tanh layers")
save(fig, "11_residual_gradients.png")

# %% [markdown]
# Next: [12. A GPT from scratch](12_gpt_from_scratch.py): attention, LayerNorm and residuals
# stacked into a language model.
