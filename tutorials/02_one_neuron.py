# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # 2. One neuron
#
# The smallest network: one neuron with a sigmoid, trained with a squared error by plain
# gradient descent. Every formula here is from document 000 (section 4.2) or 001:
#
# | id | formula |
# |----|---------|
# | E13 | neuron output = σ(Σᵢ wᵢ xᵢ)  (no bias) |
# | E1  | σ(z) = 1 / (1 + e^(−z)),  σ'(z) = σ(z)(1 − σ(z)) |
# | E9  | z = Wx + b, y = σ(z), Error = ½(y − y₀)²: ∂E/∂W = (y − y₀) σ'(z) xᵀ, ∂E/∂b = (y − y₀) σ'(z) |
# | E12 | W ← W − α ∂E/∂W,  b ← b − α ∂E/∂b |
#
# We derive E9, compute it by hand in NumPy, check it against tinynn's autodiff, then
# train the neuron both ways and watch them agree step for step.
#
# **What the documents say.** Document 000, §4.2 ("公式推导过程", derivation of the formulas):
#
# > For a single-layer neural network, the input is x, the weight W, the bias b, the output
# > y and the true value y₀ (对于一个单层神经网络，输入为 x，权重为 W，偏置为 b，输出为 y，
# > 真实值为 y₀): z = Wx + b, y = σ(z). The error is (误差为) Error = ½(y − y₀)². Taking the
# > derivative of the error with respect to W and b (对误差关于 W 和 b 求导) gives
# > ∂Error/∂W = (y − y₀) ∂y/∂z ∂z/∂W and ∂Error/∂b = (y − y₀) ∂y/∂z ∂z/∂b.
#
# Document 001, §4.1 ("神经网络模型", the neural-network model):
#
# > neuron output = σ(Σᵢ wᵢ · xᵢ) (神经元输出 = σ(Σ wᵢ·xᵢ)), where σ is the activation
# > function (ReLU, Sigmoid, Tanh, ...), wᵢ the weights and xᵢ the input features.
#
# (All five documents are described in [documents.md](documents.md).)
#
# **Notation.** This tutorial keeps document 000's letters: **y is the neuron's output
# (the prediction)** and **y₀ the target**. Tutorials 4 and 5 follow documents 001–004
# instead, where ŷ is the prediction and **y the target**. Same ideas, different letters;
# the [glossary](glossary.md) lists both.

# %%
# Find tutorials/_setup.py (the fast switch and the output folder, shared by the tutorials).
# A script finds it next to itself; a notebook started anywhere else (Colab, JupyterLab
# opened at the repository root, jupytext --execute) looks in the working directory, in
# its parents' tutorials/ folders and one level down (a clone inside the working directory).
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

# %% [markdown]
# ## The data
#
# Two clouds of points in the plane, class 0 around (1, 1) and class 1 around (3, 3).
# Note that both centres lie on the same ray from the origin: that will matter.

# %%
rng = np.random.default_rng(0)
n_per_class = 100
X = np.concatenate([rng.normal((1, 1), 0.5, size=(n_per_class, 2)),
                    rng.normal((3, 3), 0.5, size=(n_per_class, 2))])
Y = np.concatenate([np.zeros(n_per_class), np.ones(n_per_class)])[:, None]  # (N, 1) targets y₀
print(X.shape, Y.shape)


# %% [markdown]
# ## The neuron and its gradient (E9)
#
# For one sample x (a column vector), z = Wx + b, y = σ(z), Error = ½(y − y₀)². The chain
# rule (E27) gives
#
# $$\frac{\partial E}{\partial W} = \underbrace{(y - y_0)}_{\partial E/\partial y}\;
#   \underbrace{\sigma'(z)}_{\partial y/\partial z}\; \underbrace{x^\top}_{\partial z/\partial W},
#   \qquad \frac{\partial E}{\partial b} = (y - y_0)\,\sigma'(z),$$
#
# which is E9 as the document writes it (with xᵀ, an outer product, once W has more than one
# row). The ½ is there only to cancel the 2 from the square.
#
# Code works on a batch of N samples stored as rows, X of shape (N, in), so z = X Wᵀ + b,
# and we average the error over the batch: E = (1/N) Σₙ ½(yₙ − y₀ₙ)². Writing
# δ = (y − y₀) ⊙ σ'(z) for the (N, out) errors, the batch form of E9 is
# ∂E/∂W = δᵀ X / N and ∂E/∂b = Σₙ δₙ / N.

# %%
def sigmoid(z):
    """σ(z) [E1] (the naive formula is fine here: |z| stays small; see tutorial 3)."""
    return 1 / (1 + np.exp(-z))


def neuron(x, w, b=None):
    """The document's neuron [E13]: σ(Σᵢ wᵢ xᵢ), with an optional bias added to the sum."""
    z = x @ w.T
    return sigmoid(z if b is None else z + b)


def hand_gradients(x, y0, w, b):
    """∂E/∂W and ∂E/∂b of E = mean ½(y − y₀)², y = σ(x Wᵀ + b), by the formula [E9]."""
    # BEGIN SOLUTION neuron_gradients
    # HINT: forward first: z = x @ w.T + b, y = sigmoid(z); x is (N, in), w is (out, in)
    # HINT: δ = (y − y₀) ⊙ σ'(z) with σ'(z) = y(1 − y); average over the N rows
    # HINT: return (δᵀ x / N, Σ_rows δ / N): the shapes of w and b
    z = x @ w.T + b
    y = sigmoid(z)
    delta = (y - y0) * y * (1 - y)  # (y − y₀) σ'(z), with σ'(z) = σ(z)(1 − σ(z)) [E1]
    return delta.T @ x / len(x), delta.sum(axis=0) / len(x)
    # END SOLUTION


def autodiff_gradients(x, y0, w, b):
    """The same two gradients from tinynn: write the error, call backward()."""
    tw = tn.tensor(w, requires_grad=True)
    tb = tn.tensor(b, requires_grad=True)
    y = F.sigmoid(F.linear(tn.tensor(x), tw, tb))
    error = (0.5 * (y - tn.tensor(y0)) ** 2).mean()
    error.backward()
    return np.asarray(tw.grad), np.asarray(tb.grad)  # arrays, whether .grad is an array or a Tensor


W0 = rng.normal(size=(1, 2)) * 0.1  # (out, in), as in PyTorch and the documents' z = Wx + b
b0 = np.zeros(1)
hand_w, hand_b = hand_gradients(X, Y, W0, b0)
auto_w, auto_b = autodiff_gradients(X, Y, W0, b0)
print("∂E/∂W  by hand:", hand_w, " autodiff:", auto_w)
print("∂E/∂b  by hand:", hand_b, " autodiff:", auto_b)
assert np.allclose(hand_w, auto_w, rtol=1e-12, atol=1e-15)
assert np.allclose(hand_b, auto_b, rtol=1e-12, atol=1e-15)

# %% [markdown]
# And against central differences, with tinynn's `gradcheck` (which perturbs every element
# of every input in float64 and compares):

# %%
x_t, y_t = tn.tensor(X), tn.tensor(Y)
assert tn.gradcheck(lambda w, b: (0.5 * (F.sigmoid(F.linear(x_t, w, b)) - y_t) ** 2).mean(),
                    [tn.tensor(W0, requires_grad=True), tn.tensor(b0, requires_grad=True)])
print("gradcheck: E9 agrees with finite differences")

# %% [markdown]
# ## Gradient descent (E12)
#
# W ← W − α ∂E/∂W, b ← b − α ∂E/∂b, repeated. We train two copies from the same start: one
# with the hand formula in NumPy, one with tinynn's autodiff, and check after every step that
# they are the same neuron.

# %%
steps = 150 if FAST else 1500
lr = 2.0
w_hand, b_hand = W0.copy(), b0.copy()
w_auto = tn.tensor(W0, requires_grad=True)
b_auto = tn.tensor(b0, requires_grad=True)
losses = []
for step in range(steps):
    gw, gb = hand_gradients(X, Y, w_hand, b_hand)
    w_hand -= lr * gw  # [E12]
    b_hand -= lr * gb

    error = (0.5 * (F.sigmoid(F.linear(x_t, w_auto, b_auto)) - y_t) ** 2).mean()
    error.backward()
    with tn.no_grad():
        w_auto.data -= lr * w_auto.grad  # [E12], in place on the tensors' values
        b_auto.data -= lr * b_auto.grad
    w_auto.grad = b_auto.grad = None
    losses.append(error.item())
    assert np.allclose(w_hand, w_auto.numpy(), rtol=1e-9, atol=1e-12), f"diverged at step {step}"

accuracy = ((neuron(X, w_hand, b_hand) > 0.5) == Y).mean()
print(f"after {steps} steps: error {losses[-1]:.4f}, accuracy {accuracy:.3f}, W {w_hand.ravel()}, b {b_hand}")
assert losses[-1] < losses[0] / 2
assert accuracy >= 0.95

# %% [markdown]
# ## Why the bias matters (E13)
#
# Document 001 writes the neuron without a bias: σ(Σ wᵢ xᵢ). Then σ = ½ exactly where
# w·x = 0, a line *through the origin*. Our two clouds sit on the same ray from the origin,
# so no such line separates them. Train the bias-free neuron the same way:

# %%
w_nobias = W0.copy()
for step in range(steps):
    y = neuron(X, w_nobias)  # [E13]
    delta = (y - Y) * y * (1 - y)
    w_nobias -= lr * delta.T @ X / len(X)
accuracy_nobias = ((neuron(X, w_nobias) > 0.5) == Y).mean()
print(f"without a bias: accuracy {accuracy_nobias:.3f}; with one: {accuracy:.3f}")

# %% [markdown]
# How much can a line through the origin do at best? σ(w·x) > ½ exactly where w·x > 0, and
# only the direction of w matters, so we can try every direction (36 000 of them, a
# hundredth of a degree apart) and keep the best:

# %%
angles = np.linspace(0, 2 * np.pi, 36_000, endpoint=False)
directions = np.stack([np.cos(angles), np.sin(angles)])  # (2, 36000): one w per column
origin_line_accuracy = ((X @ directions > 0) == Y).mean(axis=0)
best_origin = origin_line_accuracy.max()
print(f"best line through the origin: accuracy {best_origin:.3f} "
      f"(w pointing at {np.degrees(angles[origin_line_accuracy.argmax()]):.1f}°); "
      f"the trained bias-free neuron: {accuracy_nobias:.3f}; with a bias: {accuracy:.3f}")
assert accuracy_nobias <= best_origin + 1e-12 < 0.7 and accuracy >= 0.95
assert abs(best_origin - 0.63) < 0.005  # the number quoted in the text below

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.6))
ax1.plot(losses)
ax1.set(xlabel="gradient-descent step", ylabel="error ½(y − y₀)², batch mean (log scale)",
        title="training the neuron with E12", yscale="log")
ax2.scatter(X[:, 0], X[:, 1], c=Y.ravel(), cmap="coolwarm", s=10)
line_x = np.linspace(X[:, 0].min(), X[:, 0].max(), 2)
w1, w2 = w_hand.ravel()
ax2.plot(line_x, -(w1 * line_x + b_hand[0]) / w2, "k-", label="with bias")
v1, v2 = w_nobias.ravel()
ax2.plot(line_x, -(v1 * line_x) / v2, "k--", label="no bias (E13)")
ax2.set(ylim=(X[:, 1].min() - 0.5, X[:, 1].max() + 0.5), xlabel="x₁", ylabel="x₂",
        title="decision boundaries (σ(z) = ½); colour = class")
ax2.legend(fontsize=8)
save(fig, "02_one_neuron.png")

# %% [markdown]
# ## What we learned
# * E9 is the chain rule (E27) applied to one neuron: (y − y₀) from the ½-squared error,
#   σ'(z) = σ(1 − σ) from the sigmoid (E1), x from z = Wx + b.
# * The hand formula, tinynn's autodiff and finite differences agree; so do two training
#   runs with E12, one by hand, one with `backward()`.
# * Without a bias (E13 as document 001 writes it) the boundary must pass through the
#   origin. Here no such line separates the two clouds: the best of all of them classifies
#   only 63 % of the points (chance is 50 %), and gradient descent on the bias-free neuron
#   ends near chance; with a bias the same neuron reaches 100 %.
#
# Next: [3. Activations](03_activations.py).
