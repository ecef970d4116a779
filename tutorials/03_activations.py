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
#
# **What the document says.** Document 000, §4.1 ("数学模型构建", building the mathematical
# model), item 1, activation functions (激活函数):
#
# > Activation functions turn the output of a linear layer into a non-linear output
# > (激活函数用于将线性层输出转化为非线性层输出); common ones are (常见的激活函数包括)
# > the Sigmoid function σ(x) = 1/(1 + e^(−x)), the ReLU function ReLU(x) = max(0, x)
# > and the Tanh function tanh(x) = (e^x − e^(−x))/(e^x + e^(−x)).
#
# It gives no derivatives and says nothing about how to evaluate them; both are below.

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
import warnings

import matplotlib.pyplot as plt
import numpy as np
from _setup import FAST, save  # tutorials/_setup.py, found above

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
    curves[name], slopes[name] = y.numpy(), np.asarray(x.grad)  # an array, whether .grad is one or a Tensor

sig = 1 / (1 + np.exp(-xs))
assert np.allclose(curves["sigmoid"], sig) and np.allclose(slopes["sigmoid"], sig * (1 - sig))  # [E1]
assert np.allclose(curves["relu"], np.maximum(xs, 0)) and np.array_equal(slopes["relu"], (xs > 0) * 1.0)  # [E2]
assert np.allclose(curves["tanh"], np.tanh(xs)) and np.allclose(slopes["tanh"], 1 - np.tanh(xs) ** 2)  # [E3]
print("max σ'(x) =", slopes["sigmoid"].max(), "(1/4 at x = 0);  max tanh'(x) =", slopes["tanh"].max())

fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
for name in curves:
    axes[0].plot(xs, curves[name], label=name)
    axes[1].plot(xs, slopes[name], label=name)
axes[0].set(title="E1–E3: the activations", xlabel="x", ylabel="f(x)", ylim=(-1.2, 3))
axes[1].set(title="their derivatives, from autodiff", xlabel="x", ylabel="f'(x)")
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
slope_at_10 = float(np.asarray(x10.grad)[0])
print(f"σ'(10) = {slope_at_10:.3e}")
assert abs(slope_at_10 - 4.5396e-5) < 1e-8

# %% [markdown]
# ## 2. Vanishing gradients through a deep stack
#
# Backpropagation multiplies one σ'(z) per layer (E7/E8, tutorial 5): the gradient of
# layer l's weights carries the slopes of layers l, l+1, …, 10. So between the last layer's
# weights W₁₀ and the first layer's W₁ lie **nine** extra factors σ'(z₁) … σ'(z₉). With
# sigmoids each is at most ¼, so they alone can shrink the gradient by up to 4⁹ ≈ 2.6·10⁵,
# and by more where the units sit off-centre (σ' < ¼). Let us measure it: ten layers of 64
# units, weights drawn with variance 1/64 (×2 for ReLU, the "He" scaling), and the mean
# |∂L/∂W| of every layer.

# %%
rng = np.random.default_rng(0)
depth, width = 10, 64
x_batch = tn.tensor(rng.normal(size=(128, width)))
grad_per_layer = {}
for name, act, gain in [("sigmoid", F.sigmoid, 1.0), ("tanh", F.tanh, 1.0), ("relu", F.relu, 2 ** 0.5)]:
    weights = [tn.tensor(rng.normal(size=(width, width)) * gain / np.sqrt(width), requires_grad=True)
               for _ in range(depth)]
    h = x_batch
    mean_slopes = []  # the mean σ'(z) of each layer (sigmoid only): σ' = a(1 − a)
    for w in weights:
        h = act(F.linear(h, w))
        mean_slopes.append(float((h.numpy() * (1 - h.numpy())).mean()))
    h.sum().backward()
    grad_per_layer[name] = [np.abs(np.asarray(w.grad)).mean() for w in weights]
    if name == "sigmoid":
        sigmoid_slopes = mean_slopes
    print(f"{name:8s} mean |∂L/∂W|, first layer {grad_per_layer[name][0]:.1e}, last {grad_per_layer[name][-1]:.1e}")

last_over_first = {k: v[-1] / v[0] for k, v in grad_per_layer.items()}
nine_slopes = np.prod(sigmoid_slopes[:9])  # the nine σ' factors between W₁₀ and W₁, at their layer means
print(f"sigmoid: the last layer's gradient is {last_over_first['sigmoid']:.1e} times the first layer's; "
      f"the nine mean slopes σ'(z₁)…σ'(z₉) = {np.round(sigmoid_slopes[:9], 3).tolist()} multiply to "
      f"1/{1 / nine_slopes:.1e} (the bound ¼ each would give 1/{4 ** 9:.1e})")
assert all(s < 0.25 for s in sigmoid_slopes)  # σ' ≤ ¼, and below it off-centre
assert 3e5 < 1 / nine_slopes < 1e6  # "about 1/(5·10⁵)" in the text below
assert 3e6 < last_over_first["sigmoid"] < 1e7  # "about 6·10⁶" in the text below: vanished
assert 0.1 < last_over_first["tanh"] < 10 and 0.1 < last_over_first["relu"] < 10  # kept its size

fig, ax = plt.subplots(figsize=(5.5, 3.4))
for name, values in grad_per_layer.items():
    ax.plot(range(1, depth + 1), values, "o-", label=name)
ax.set(yscale="log", xlabel="layer (1 = nearest the input)", ylabel="mean |∂L/∂W| (log scale)",
       title="gradient size per layer in a 10-layer stack")
ax.legend(fontsize=8)
save(fig, "03_vanishing.png")

# %% [markdown]
# The nine mean slopes multiply to about 1/(5·10⁵); the measured ratio, about 6·10⁶, is
# larger still because the weights and the layers' inputs differ too (the first layer sees
# the raw inputs, the last one sigmoid outputs between 0 and 1). Either way the first
# layer's gradient is millions of times smaller than the last one's.
#
# tanh is centred at 0 with slope 1 there, so with a sensible initialisation the signal
# neither explodes nor vanishes; ReLU's slope is exactly 1 where it is active.
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
        w1_grad, b1_grad = np.asarray(w1.grad), np.asarray(b1.grad)
        print("their ∂L/∂W rows are exactly zero:", np.abs(w1_grad[dead]).max() == 0)
        assert np.abs(w1_grad[dead]).max() == 0.0 and np.abs(b1_grad[dead]).max() == 0.0
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
# E1 and E3 as printed compute e^(−x) or e^x directly. e^u overflows (exceeds the largest
# float) once u > log(largest float) = 709.78 in float64 (88.72 in float32). NumPy then warns
# and continues with `inf`, and `inf/inf` is NaN. Which inputs overflow depends on the sign:
#
# * E1 computes e^(−x): it overflows only for **x < −709.78**. For large positive x,
#   e^(−x) just goes to 0 (it **underflows**: below the smallest normal float it becomes a
#   [subnormal](glossary.md) number and then 0, which is harmless here; `errstate(all="raise")`
#   reports that too, so we ask for overflow only).
# * E3 computes both e^x and e^(−x): it overflows for **|x| > 709.78**, on both sides.
#
# Measured, not taken on trust:

# %%
def naive_sigmoid(x):
    return 1 / (1 + np.exp(-x))  # E1 as printed


def naive_tanh(x):
    return (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))  # E3 as printed


def naive_softmax(x):
    return np.exp(x) / np.exp(x).sum()


def overflows(f, x):
    """Does f(x) overflow? (Underflow to 0 is ignored: it is not the failure we look for.)"""
    with np.errstate(over="raise", under="ignore", invalid="ignore"):
        try:
            f(np.array([x]))
            return False
        except FloatingPointError:
            return True


limit = float(np.log(np.finfo(np.float64).max))  # e^limit is the largest float64
print(f"log(largest float64) = {limit:.2f}; log(largest float32) = {np.log(np.finfo(np.float32).max):.2f}")
for x_test in (-1000.0, -709.9, -709.7, 709.7, 709.9, 1000.0):
    print(f"x = {x_test:8.1f}: naive sigmoid overflows: {overflows(naive_sigmoid, x_test)!s:5s}   "
          f"naive tanh overflows: {overflows(naive_tanh, x_test)}")
assert abs(limit - 709.78) < 0.005
assert [overflows(naive_sigmoid, v) for v in (-709.9, -709.7, 709.9, 1000.0)] == [True, False, False, False]
assert [overflows(naive_tanh, v) for v in (-709.9, -709.7, 709.7, 709.9)] == [True, False, False, True]

# %% [markdown]
# Now the three naive formulas on extreme inputs, under `np.errstate(all="raise")`, which
# turns NumPy's silent warning into an exception (the way to find where a NaN came from):

# %%


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
# tinynn's versions rearrange the same functions so that the printed overflow cannot happen:
# * σ(x) = 1/(1 + e^(−x)) for x ≥ 0 and e^x/(1 + e^x) for x < 0 (the same function, and
#   only numbers ≤ 0 are ever exponentiated);
# * tanh calls the array library's `tanh` (`np.tanh`, or CuPy's on a GPU), a library
#   routine that returns ±1 for large |x| instead of forming inf/inf; we check that below
#   rather than rely on how it is written inside;
# * softmax(x) = softmax(x − max x) (the log-sum-exp trick: subtracting a constant does not
#   change softmax, and makes every exponent ≤ 0);
# * and exponentials that would underflow to a subnormal are flushed to 0 quietly.
#
# The same extreme inputs, under `errstate(all="raise")`:

# %%
with np.errstate(all="raise"):
    assert np.array_equal(np.tanh([-1e308, -1000.0, 1000.0, 1e308]), [-1.0, -1.0, 1.0, 1.0])  # no warning
    x = tn.tensor(extreme, requires_grad=True)
    s, t = F.sigmoid(x), F.tanh(x)
    p, logp = F.softmax(x.reshape(1, 3)), F.log_softmax(x.reshape(1, 3))
    (s.sum() + t.sum() + (p * logp).sum()).backward()
print("sigmoid", s.numpy(), " tanh", t.numpy())
print("softmax", p.numpy(), " log_softmax", logp.numpy())
print("gradient", np.asarray(x.grad))
assert np.array_equal(s.numpy(), [0.0, 0.5, 1.0]) and np.array_equal(t.numpy(), [-1.0, 0.0, 1.0])
assert np.allclose(p.numpy(), [[0, 0, 1]]) and np.allclose(logp.numpy(), [[-2000, -1000, 0]])
assert np.isfinite(np.asarray(x.grad)).all()

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
assert message is not None and message.split()[0].startswith("Exp") and "produced inf" in message  # the Exp op

# %% [markdown]
# ## What we learned
# * The derivatives of E1–E3 as autodiff computes them equal the textbook forms.
# * Sigmoid saturates (slope ≤ ¼): through ten sigmoid layers (nine σ' factors between
#   the last layer's weights and the first's) the first layer's gradient was ~6·10⁶ times
#   smaller than the last one's. tanh and ReLU keep it.
# * A ReLU unit that is off for every input gets exactly zero gradient and never recovers.
# * E1 as printed overflows for x < −709.78 (only there: for large positive x it merely
#   underflows to 0), E3 for |x| > 709.78; rearranged forms compute the same functions
#   without the overflow.
#
# Next: [4. Losses](04_losses.py).
