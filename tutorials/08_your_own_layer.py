# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # 8. Your own layer, proved right
#
# Sooner or later you need an op tinynn does not have. Writing it takes two methods; making
# sure it is *right* takes three tools, all in tinynn:
#
# * `tn.gradcheck(fn, inputs)`: compares your backward with central differences, element by
#   element, in float64, and reports the worst mismatch;
# * `tinynn.testing`: hypothesis strategies (`shapes`, `arrays`, `tensors`,
#   `broadcastable_shapes`) and `assert_gradcheck`, to test your op on hundreds of random
#   shapes and values instead of the one you thought of;
# * `tn.detect_anomaly()`: names the first op whose output or gradient is NaN/inf.
#
# We build a learnable **PReLU** (a ReLU whose slope for x < 0 is a parameter, one per
# channel: the fix for dead ReLUs from tutorial 3), break it on purpose, catch the bug, and
# wrap it as an `nn.Module`.
#
# **The documents** (see [documents.md](documents.md)) give no equation for this: they use
# ready-made layers only. What they do insist on is the chain rule, document 004 §4.2,
# item 2, backpropagation (反向传播): ∂L/∂w = ∂L/∂ŷ · ∂ŷ/∂w (E27), "where w is a weight of
# the model" (其中，w 表示模型的权重). A layer of your own is one more link in that chain, and its
# backward is the local derivative ∂out/∂in that the chain multiplies. Getting that one
# link right is what this tutorial checks. (The documents also list ReLU among the
# activations, document 000 §4.1: "ReLU函数 (the ReLU function): ReLU(x) = max(0, x)", E2;
# PReLU generalises it.)

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
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

import tinynn as tn
import tinynn.functional as F
from tinynn import backend, nn, optim
from tinynn.testing import arrays, assert_gradcheck, broadcastable_shapes, make_tensor, shapes, tensors

EXAMPLES = 15 if FAST else 100  # hypothesis examples per property


# %% [markdown]
# ## 1. Anatomy of a `tn.Function`
#
# * `forward(self, *arrays)` receives **raw arrays** (NumPy, or CuPy on a GPU) and returns
#   one array. Keep on `self` whatever backward will need.
# * `backward(self, grad)` receives ∂L/∂output (an array shaped like the output) and
#   returns ∂L/∂input, one per input, in order (`None` for an input with no gradient).
#   `self.needs_input_grad` tells you which ones anybody wants.
# * If an input was broadcast in forward, you may return its gradient in the broadcast
#   (output) shape: the engine sums it back to the input's shape for you.
# * Use `xp = backend.xp_of(x)` instead of `np`: the same code then runs on a GPU.
#
# PReLU(x) = x for x > 0 and a·x otherwise, with one slope a per channel (last axis):
#
# $$\frac{\partial L}{\partial x} = g \cdot \begin{cases}1 & x>0\\ a & x\le 0\end{cases},
# \qquad \frac{\partial L}{\partial a} = \sum_{\text{batch}} g\cdot\begin{cases}0 & x>0\\ x & x \le 0\end{cases}$$

# %%
class PReLUFunction(tn.Function):
    """max(x, 0) + a · min(x, 0), with a broadcast over the leading axes."""

    def forward(self, x, a):
        xp = backend.xp_of(x)
        self.x, self.a = x, a
        self.positive = x > 0
        return xp.where(self.positive, x, a * x)

    def backward(self, grad):
        xp = backend.xp_of(grad)
        need_x, need_a = self.needs_input_grad
        grad_x = grad * xp.where(self.positive, 1, self.a) if need_x else None
        grad_a = grad * xp.where(self.positive, 0, self.x) if need_a else None  # (N, C): summed back to (C,)
        return grad_x, grad_a


def prelu(x, a):
    return PReLUFunction()(x, a)


x = tn.tensor([[-2.0, 1.0, -0.5], [3.0, -1.0, 0.25]], dtype="float64", requires_grad=True)
a = tn.tensor([0.1, 0.2, 0.3], dtype="float64", requires_grad=True)
y = prelu(x, a)
y.sum().backward()
print("PReLU:", y.numpy().tolist())
print("∂/∂x:", np.asarray(x.grad).tolist(), "  ∂/∂a (one per channel):", np.asarray(a.grad).tolist())
assert np.allclose(y.numpy(), [[-0.2, 1.0, -0.15], [3.0, -0.2, 0.25]])
assert np.allclose(np.asarray(a.grad), [-2.0, -1.0, -0.5])

# %% [markdown]
# ## 2. `tn.gradcheck`
#
# One call checks both inputs, every element, against (f(x + ε) − f(x − ε)) / 2ε in float64,
# with a random (non-uniform) weighting of the outputs, so an error in one element cannot
# hide behind the others. It returns True or raises with a report.

# %%
tn.manual_seed(0)
x = tn.randn(4, 3, dtype="float64", requires_grad=True)
a = tn.rand(3, dtype="float64", requires_grad=True)
assert tn.gradcheck(prelu, [x, a])
print("gradcheck: PReLU's backward is right")

# %% [markdown]
# Now a classic slip: the derivative for x ≤ 0 written as 0 (copied from ReLU) instead of a.
# gradcheck names the input, the element, and both values:

# %%
class BuggyPReLU(PReLUFunction):
    def backward(self, grad):
        grad_x, grad_a = super().backward(grad)
        return grad * self.positive, grad_a  # bug: should be a where x <= 0, not 0


try:
    tn.gradcheck(lambda x, a: BuggyPReLU()(x, a), [x, a])
    report = None
except tn.GradcheckError as e:
    report = str(e)
print(report)
assert report is not None and "input 0" in report

# %% [markdown]
# Mind the kink: at x = 0 exactly, a finite difference straddles both branches and measures
# neither slope. Gradient checks of piecewise functions keep the inputs away from kinks
# (below, `arrays(..., away_from=0.0)`).
#
# ## 3. Property tests with hypothesis and `tinynn.testing`
#
# One example proves little. A property test states what must hold for *every* input and
# lets hypothesis search for a counterexample (and shrink it to the smallest one if it finds
# one). `tinynn.testing` provides the strategies:
#
# * `shapes(min_dims, max_dims, ...)`: shapes like (), (3,), (2, 1, 4);
# * `arrays(shape, low, high, away_from=None)`: float64 arrays, optionally kept away from a kink;
# * `tensors(shape=None, device="cpu")`: float64 Tensors that require grad;
# * `broadcastable_shapes()`: pairs of shapes that broadcast together;
# * `assert_gradcheck(fn, *inputs)`: `tn.gradcheck` as an assertion.
#
# Put these functions in `tests/test_my_layer.py` and `pytest` runs them; here we call
# them directly.

# %%
@settings(max_examples=EXAMPLES, deadline=None)
@given(data=st.data(), shape=shapes(min_dims=1, max_dims=3))
def test_prelu_gradcheck(data, shape):
    x = make_tensor(data.draw(arrays(shape, away_from=0.0)))
    a = make_tensor(data.draw(arrays(shape[-1:], low=0.0, high=0.5)))
    assert_gradcheck(prelu, x, a)


@settings(max_examples=EXAMPLES, deadline=None)
@given(x=tensors(low=-5, high=5))
def test_prelu_properties(x):
    zero, one = tn.zeros(x.shape[-1:], dtype="float64"), tn.ones(x.shape[-1:], dtype="float64")
    assert np.array_equal(prelu(x, zero).numpy(), F.relu(x).numpy())  # slope 0: a ReLU
    assert np.array_equal(prelu(x, one).numpy(), x.numpy())  # slope 1: the identity


@settings(max_examples=EXAMPLES, deadline=None)
@given(pair=broadcastable_shapes(), data=st.data())
def test_prelu_broadcasts_like_multiplication(pair, data):
    """The slope may have any shape that broadcasts against x, like a * x."""
    shape_x, shape_a = pair
    x = make_tensor(data.draw(arrays(shape_x, away_from=0.0)))
    a = make_tensor(data.draw(arrays(shape_a, low=0.0, high=0.5)))
    out = prelu(x, a)
    expected = np.where(x.numpy() > 0, x.numpy(), a.numpy() * x.numpy())
    assert out.shape == expected.shape and np.allclose(out.numpy(), expected)
    assert_gradcheck(prelu, x, a)


for test in (test_prelu_gradcheck, test_prelu_properties, test_prelu_broadcasts_like_multiplication):
    test()
    print(f"{test.__name__}: {EXAMPLES} random cases passed")

# %% [markdown]
# Hypothesis finds the bug too, and shrinks it to a minimal case:

# %%
@settings(max_examples=EXAMPLES, deadline=None, database=None,
          phases=[Phase.generate, Phase.shrink])  # skip the slow "explain" phase
@given(data=st.data(), shape=shapes(min_dims=1, max_dims=2))
def test_buggy_prelu(data, shape):
    x = make_tensor(data.draw(arrays(shape, away_from=0.0)))
    a = make_tensor(data.draw(arrays(shape[-1:], low=0.1, high=0.5)))
    assert_gradcheck(lambda x, a: BuggyPReLU()(x, a), x, a)


try:
    test_buggy_prelu()
    caught = False
except tn.GradcheckError as e:
    caught = True
    print("hypothesis found it:", str(e).splitlines()[0][:160])
assert caught

# %% [markdown]
# ### The same op on the "strict" device
#
# Because `PReLUFunction` asks `backend.xp_of(x)` for its array module, it runs on a GPU
# unchanged. tinynn's test device `"strict"` behaves like CuPy (it refuses to mix with NumPy
# arrays) so you can check that on a machine without a GPU. Had we written `np.where` in
# forward, this would fail:

# %%
@settings(max_examples=EXAMPLES, deadline=None)
@given(x=tensors(shape=(3, 4), device="strict", away_from=0.0))
def test_prelu_on_strict_device(x):
    a = make_tensor(np.full(4, 0.2), device="strict")
    assert prelu(x, a).device == "strict"
    assert_gradcheck(prelu, x, a)


test_prelu_on_strict_device()
print("PReLU runs (and gradchecks) on the strict device")

# %% [markdown]
# ## 4. `tn.detect_anomaly()`: where did the NaN come from?
#
# A second custom op, a "safe" log that is not safe in backward: 1/x at x = 0 is inf. The
# forward pass looks fine; the inf appears only in the gradients and then spreads. Inside
# `tn.detect_anomaly()` the first op that produces NaN or inf, forward or backward, raises
# and names itself and the line of your code that created it. Outside the context nothing
# is checked (it costs time).

# %%
class ClampedLog(tn.Function):
    """log(max(x, 1e-12)) forward; but backward forgot the clamp."""

    def forward(self, x):
        xp = backend.xp_of(x)
        self.x = x
        return xp.log(xp.maximum(x, 1e-12))

    def backward(self, grad):
        return grad / self.x  # inf where x == 0


x = tn.tensor([0.0, 1.0, 2.0], dtype="float64", requires_grad=True)
with np.errstate(divide="ignore"):
    ClampedLog()(x).sum().backward()
print("without detect_anomaly the gradient is silently", np.asarray(x.grad))

x.grad = None
try:
    with tn.detect_anomaly(), np.errstate(divide="ignore"):
        loss = ClampedLog()(x).sum()
        loss.backward()
    anomaly = None
except FloatingPointError as e:
    anomaly = str(e)
print(anomaly)
assert anomaly.startswith("ClampedLog produced inf in its backward") and "created at" in anomaly

# %% [markdown]
# ## 5. From Function to layer
#
# A layer is an `nn.Module` that owns the parameter and calls the function. `nn.Parameter`
# registers the slope, so `parameters()`, `state_dict()`, `to(device)` and optimizers all
# find it.

# %%
class PReLU(nn.Module):
    """Learnable leaky ReLU with one slope per feature (PyTorch's nn.PReLU(num_parameters))."""

    def __init__(self, num_parameters, init=0.25):
        super().__init__()
        self.weight = nn.Parameter(tn.full((num_parameters,), init))

    def forward(self, x):
        return prelu(x, self.weight)


tn.manual_seed(0)
rng = np.random.default_rng(0)
x_train = rng.uniform(-2, 2, size=(256, 1)).astype("float32")
y_train = np.abs(x_train) + 0.3 * x_train  # a kink at 0: slopes −0.7 and 1.3
model = nn.Sequential(nn.Linear(1, 8), PReLU(8), nn.Linear(8, 1))
print([name for name, _ in model.named_parameters()])
opt = optim.Adam(model.parameters(), lr=0.03)
losses = []
for step in range(100 if FAST else 400):
    loss = F.mse_loss(model(tn.tensor(x_train)), tn.tensor(y_train))
    opt.zero_grad()
    loss.backward()
    opt.step()
    losses.append(loss.item())
print(f"MSE {losses[0]:.3f} -> {losses[-1]:.4f}; learned slopes {model[1].weight.numpy().round(2)}")
assert losses[-1] < 0.02 < losses[0]

grid = np.linspace(-2, 2, 101, dtype="float32")[:, None]
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 3))
ax1.plot(grid, np.where(grid > 0, grid, 0.25 * grid), label="PReLU, a = 0.25")
ax1.plot(grid, np.maximum(grid, 0), "--", label="ReLU")
ax1.set(title="PReLU(x) against ReLU(x)", xlabel="x", ylabel="output")
ax1.legend(fontsize=8)
with tn.no_grad():
    ax2.plot(grid, model(tn.tensor(grid)).numpy(), label="model")
ax2.scatter(x_train[::4], y_train[::4], s=5, c="grey", label="data")
ax2.set(title="a net with a PReLU layer fits |x| + 0.3x", xlabel="x", ylabel="y")
ax2.legend(fontsize=8)
save(fig, "08_prelu.png")

# %% [markdown]
# ## What we learned
# * A new op is a `tn.Function` with `forward` on arrays and `backward` on gradients; use
#   `backend.xp_of` and it runs on every device; return broadcast-shaped gradients freely.
# * `tn.gradcheck` proves the backward, and reports the element where it is wrong.
# * `tinynn.testing`'s strategies turn that into property tests over random shapes, values,
#   broadcast pairs and devices; hypothesis found the planted bug by itself.
# * `tn.detect_anomaly()` names the op (and your line) where a NaN or inf first appears.
#
# Next: [9. GPU, and moving to PyTorch](09_gpu_and_pytorch.py).
