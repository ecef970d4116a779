# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # 3. Activations: curves, derivatives, and how they fail
#
# Document 000 (section 4.1) gives three activation functions:
#
# | id | function | derivative |
# |----|----------|------------|
# | E1 | σ(x) = 1 / (1 + e^(−x)) | σ(x)(1 − σ(x)) |
# | E2 | ReLU(x) = max(0, x) | 1 for x > 0, 0 for x < 0 (tinynn and PyTorch use 0 at x = 0) |
# | E3 | tanh(x) = (e^x − e^(−x)) / (e^x + e^(−x)) | 1 − tanh(x)² |
#
# The formulas are right, but each hides a way to fail: sigmoid and tanh **saturate**
# (their slope dies for large |x|, and gradients vanish through a deep stack), ReLU units
# can **die** (output 0 for every input, so they never learn again), and the formulas as
# written **overflow** for large |x|. We look at all three, and at how tinynn computes the
# same functions safely.

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from _setup import FAST, save  # shared by the tutorials (tutorials/_setup.py)

import tinynn as tn
import tinynn.functional as F

# %% [markdown]
# ## 1. Curves and derivatives
#
# We let autodiff compute each derivative (the gradient of Σ f(xᵢ) with respect to x is
# f'(xᵢ) for every i) and compare with the closed forms in the table. The grid avoids
# x = 0 exactly, where ReLU has a kink and no derivative.

# %%
xs = np.linspace(-6, 6, 400)  # 400 points: none is exactly 0
curves, slopes = {}, {}
for name, f in [("sigmoid", F.sigmoid), ("tanh", F.tanh), ("relu", F.relu)]:
    x = tn.tensor(xs, requires_grad=True)
    y = f(x)
    y.sum().backward()
    curves[name], slopes[name] = y.numpy(), x.grad

sig = 1 / (1 + np.exp(-xs))
assert np.allclose(curves["sigmoid"], sig) and np.allclose(slopes["sigmoid"], sig * (1 - sig))  # [E1]
assert np.allclose(curves["relu"], np.maximum(xs, 0)) and np.array_equal(slopes["relu"], (xs > 0) * 1.0)  # [E2]
assert np.allclose(curves["tanh"], np.tanh(xs)) and np.allclose(slopes["tanh"], 1 - np.tanh(xs) ** 2)  # [E3]
print("max σ'(x) =", slopes["sigmoid"].max(), "(1/4 at x = 0);  max tanh'(x) =", slopes["tanh"].max())

fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
for name in curves:
    axes[0].plot(xs, curves[name], label=name)
    axes[1].plot(xs, slopes[name], label=name)
axes[0].set(title="activation", xlabel="x", ylim=(-1.2, 3))
axes[1].set(title="derivative (from autodiff)", xlabel="x")
for ax in axes:
    ax.axhline(0, color="grey", lw=0.5)
    ax.legend(fontsize=8)
save(fig, "03_activations.png")

# %% [markdown]
# Note how small the sigmoid's slope is: at most ¼, and σ'(10) ≈ 4.5·10⁻⁵. That is
# **saturation**: far from 0 the curve is flat, so the gradient that passes through it
# shrinks to almost nothing.

# %%
x10 = tn.tensor([10.0], dtype="float64", requires_grad=True)
F.sigmoid(x10).sum().backward()
print(f"σ'(10) = {x10.grad[0]:.3e}")
assert abs(x10.grad[0] - 4.5396e-5) < 1e-8

# %% [markdown]
# ## 2. Vanishing gradients through a deep stack
#
# Backpropagation multiplies one σ'(z) per layer (E7/E8, tutorial 5). With sigmoids each
# factor is at most ¼, so ten layers can shrink the gradient by 4¹⁰ ≈ 10⁶ before it reaches
# the first layer. Let us measure it: ten layers of 64 units, weights drawn with variance
# 1/64 (×2 for ReLU, the "He" scaling), and the mean |∂L/∂W| of every layer.

# %%
rng = np.random.default_rng(0)
depth, width = 10, 64
x_batch = tn.tensor(rng.normal(size=(128, width)))
grad_per_layer = {}
for name, act, gain in [("sigmoid", F.sigmoid, 1.0), ("tanh", F.tanh, 1.0), ("relu", F.relu, 2 ** 0.5)]:
    weights = [tn.tensor(rng.normal(size=(width, width)) * gain / np.sqrt(width), requires_grad=True)
               for _ in range(depth)]
    h = x_batch
    for w in weights:
        h = act(F.linear(h, w))
    h.sum().backward()
    grad_per_layer[name] = [np.abs(w.grad).mean() for w in weights]
    print(f"{name:8s} mean |∂L/∂W|, first layer {grad_per_layer[name][0]:.1e}, last {grad_per_layer[name][-1]:.1e}")

first_over_last = {k: v[0] / v[-1] for k, v in grad_per_layer.items()}
assert first_over_last["sigmoid"] < 1e-4  # vanished
assert 0.1 < first_over_last["tanh"] < 10 and 0.1 < first_over_last["relu"] < 10  # kept its size

fig, ax = plt.subplots(figsize=(5.5, 3.4))
for name, values in grad_per_layer.items():
    ax.plot(range(1, depth + 1), values, "o-", label=name)
ax.set(yscale="log", xlabel="layer (1 = nearest the input)", ylabel="mean |∂L/∂W|",
       title="gradient size per layer, 10-layer stack")
ax.legend(fontsize=8)
save(fig, "03_vanishing.png")

# %% [markdown]
# (tanh is centred at 0 with slope 1 there, so with a sensible initialisation the signal
# neither explodes nor vanishes; ReLU's slope is exactly 1 where it is active.)
#
# ## 3. Dead ReLUs
#
# A ReLU unit whose input z is negative for *every* sample outputs 0 and has derivative 0:
# no gradient reaches its weights, so gradient descent never moves them and the unit stays
# dead. A large negative bias (often the result of one too-large learning-rate step) is
# enough. Here a third of the units start with bias −10:

# %%
n_in, n_hidden = 4, 30
x = tn.tensor(rng.normal(size=(256, n_in)))
target = tn.tensor(rng.normal(size=(256, 1)))
w1 = tn.tensor(rng.normal(size=(n_hidden, n_in)) * 0.5, requires_grad=True)
bias = np.zeros(n_hidden)
bias[::3] = -10.0  # units 0, 3, 6, ...: pushed far into the flat part
b1 = tn.tensor(bias, requires_grad=True)
w2 = tn.tensor(rng.normal(size=(1, n_hidden)) * 0.3, requires_grad=True)


def dead_units(h):
    """Units that output 0 for every sample in the batch."""
    return np.flatnonzero((h.numpy() == 0).all(axis=0))


w1_start = w1.numpy().copy()
for step in range(30 if FAST else 300):
    h = F.relu(F.linear(x, w1, b1))
    loss = F.mse_loss(F.linear(h, w2), target)
    loss.backward()
    if step == 0:
        dead = dead_units(h)
        print("dead at the start:", dead.tolist())
        print("their ∂L/∂W rows are exactly zero:", np.abs(w1.grad[dead]).max() == 0)
        assert np.abs(w1.grad[dead]).max() == 0.0 and np.abs(b1.grad[dead]).max() == 0.0
    with tn.no_grad():
        for p in (w1, b1, w2):
            p.data -= 0.05 * p.grad
            p.grad = None

still_dead = dead_units(F.relu(F.linear(x, w1, b1)))
print(f"after training: loss {loss.item():.3f}; still dead: {still_dead.tolist()}")
assert set(dead.tolist()) <= set(still_dead.tolist())
assert np.array_equal(w1.numpy()[dead], w1_start[dead])  # never moved

# %% [markdown]
# Remedies: a small positive bias at initialisation, a smaller learning rate, or an
# activation with a slope for x < 0 (Leaky ReLU, which tutorial 8 builds as your own layer).
#
# ## 4. The formulas as written overflow
#
# E1 and E3 as printed compute e^(−x) or e^x directly. In float64, e^x overflows beyond
# x ≈ 709 (float32: 88). NumPy then warns and continues with `inf`, and `inf/inf` is NaN.
# We run the naive versions under `np.errstate(all="raise")`, which turns the silent
# warning into an exception, the way to find where a NaN came from.

# %%
def naive_sigmoid(x):
    return 1 / (1 + np.exp(-x))  # E1 as printed


def naive_tanh(x):
    return (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))  # E3 as printed


def naive_softmax(x):
    return np.exp(x) / np.exp(x).sum()


extreme = np.array([-1000.0, 0.0, 1000.0])
for name, f in [("sigmoid", naive_sigmoid), ("tanh", naive_tanh), ("softmax", naive_softmax)]:
    with np.errstate(all="raise"):
        try:
            f(extreme)
            raised = None
        except FloatingPointError as e:
            raised = str(e)
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="warn"):
        warnings.simplefilter("always")
        value = f(extreme)
    print(f"naive {name:7s}: raises '{raised}'; with warnings it returns {value} "
          f"after {len(caught)} warning(s): {sorted({str(w.message) for w in caught})}")
    assert raised is not None and caught

# %% [markdown]
# The naive sigmoid even returns the right numbers (0 and 1) after its warning, which is
# exactly how such bugs hide; tanh and softmax return NaN, which then spreads through every
# later computation.
#
# tinynn's versions rearrange the same functions so that only numbers ≤ 0 are ever
# exponentiated:
# * σ(x) = 1/(1 + e^(−x)) for x ≥ 0 and e^x/(1 + e^x) for x < 0 (the same function);
# * tanh uses NumPy's own `tanh`, which never forms e^x;
# * softmax(x) = softmax(x − max x) (the log-sum-exp trick: subtracting a constant does not
#   change softmax, and makes every exponent ≤ 0);
# * and exponentials that would underflow to a subnormal are flushed to 0 quietly.
#
# The same extreme inputs, under `errstate(all="raise")`:

# %%
with np.errstate(all="raise"):
    x = tn.tensor(extreme, requires_grad=True)
    s, t = F.sigmoid(x), F.tanh(x)
    p, logp = F.softmax(x.reshape(1, 3)), F.log_softmax(x.reshape(1, 3))
    (s.sum() + t.sum() + (p * logp).sum()).backward()
print("sigmoid", s.numpy(), " tanh", t.numpy())
print("softmax", p.numpy(), " log_softmax", logp.numpy())
print("gradient", x.grad)
assert np.array_equal(s.numpy(), [0.0, 0.5, 1.0]) and np.array_equal(t.numpy(), [-1.0, 0.0, 1.0])
assert np.allclose(p.numpy(), [[0, 0, 1]]) and np.allclose(logp.numpy(), [[-2000, -1000, 0]])
assert np.isfinite(x.grad).all()

# %% [markdown]
# ### Finding the culprit with `tn.detect_anomaly()`
#
# If you do build the naive formula out of tinynn ops, the forward pass gives NaN and so
# does every gradient. Inside `tn.detect_anomaly()` the first op whose output (or whose
# gradient, in backward) is NaN or inf raises at once, naming itself and the line of *your*
# code that created it:

# %%
x = tn.tensor([-1000.0, 1000.0], dtype="float64", requires_grad=True)
with np.errstate(all="ignore"):  # we know it overflows: keep NumPy's warnings quiet here
    naive = (x.exp() - (-x).exp()) / (x.exp() + (-x).exp())  # E3 as printed, with tinynn ops
print("naive tanh with tinynn ops:", naive.numpy())
try:
    with tn.detect_anomaly():
        naive = (x.exp() - (-x).exp()) / (x.exp() + (-x).exp())
    message = None
except FloatingPointError as e:
    message = str(e)
print(message)
assert message is not None and message.startswith("Exp produced inf")

# %% [markdown]
# ## What we learned
# * The derivatives of E1–E3 as autodiff computes them equal the textbook forms.
# * Sigmoid saturates (slope ≤ ¼): through ten sigmoid layers the first layer's gradient
#   was ~10⁶ times smaller than the last one's. tanh and ReLU keep it.
# * A ReLU unit that is off for every input gets exactly zero gradient and never recovers.
# * E1 and E3 as printed overflow for |x| ≳ 709; rearranged forms compute the same
#   functions without ever exponentiating a positive number.
#
# Next: [4. Losses](04_losses.py).
