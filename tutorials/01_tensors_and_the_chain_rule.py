# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # 1. Tensors and the chain rule
#
# Training a network means following one number, the loss, back to every weight: how
# much would the loss change if this weight moved a little? That number is the partial
# derivative ∂L/∂w, and the rule that computes it through a whole network is the
# **chain rule** (document 004, equation **E27**):
#
# $$\frac{\partial L}{\partial w} = \frac{\partial L}{\partial \hat y}\cdot\frac{\partial \hat y}{\partial w}$$
#
# Document 004, §4.2 ("公式推导过程", derivation of the formulas), item 2, backpropagation
# (反向传播), writes exactly this and adds only "where w is a weight of the model"
# (其中，w 表示模型的权重). (The five documents are described in [documents.md](documents.md).)
#
# If L depends on w only through ŷ, the sensitivities multiply. A network is a long chain
# (in fact a graph) of small steps, each with a derivative that is easy to write down; the
# job of an autodiff engine is to multiply those local derivatives in the right order.
#
# In this tutorial we
# 1. compute a gradient by hand with the chain rule,
# 2. write a complete scalar autodiff engine in 30 lines that does it automatically,
# 3. check both against finite differences,
# 4. meet `tn.Tensor`, which does the same on whole arrays, and check it against our
#    30-line engine.

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
import math
import time

import numpy as np
from _setup import save  # tutorials/_setup.py, found above

import tinynn as tn
from tinynn.viz import draw_graph, to_dot

# %% [markdown]
# ## 1. The chain rule by hand
#
# One neuron with one input: z = w·x + b, ŷ = σ(z) = 1/(1+e^(−z)), and a squared error
# L = (ŷ − y)². The chain from w to L has three links:
#
# $$\frac{\partial L}{\partial w} = \underbrace{2(\hat y - y)}_{\partial L/\partial \hat y}\;
#   \underbrace{\hat y(1-\hat y)}_{\partial \hat y/\partial z}\;
#   \underbrace{x}_{\partial z/\partial w},\qquad
#   \frac{\partial L}{\partial b} = 2(\hat y - y)\,\hat y(1-\hat y)\cdot 1 .$$

# %%
x, y, w, b = 1.5, 1.0, -0.8, 0.3


def loss_fn(w, b):
    y_hat = 1 / (1 + math.exp(-(w * x + b)))
    return (y_hat - y) ** 2


z = w * x + b
y_hat = 1 / (1 + math.exp(-z))
dL_dyhat = 2 * (y_hat - y)
dyhat_dz = y_hat * (1 - y_hat)
hand_dw = dL_dyhat * dyhat_dz * x  # [E27]: multiply the local derivatives along the chain
hand_db = dL_dyhat * dyhat_dz * 1.0
print(f"z = {z:.4f}, ŷ = {y_hat:.4f}, L = {loss_fn(w, b):.6f}")
print(f"by hand: ∂L/∂w = {hand_dw:.6f}, ∂L/∂b = {hand_db:.6f}")

# %% [markdown]
# A derivative is a limit, so we can also *measure* it: nudge w by ε each way and look at
# the change in L. The central difference (L(w+ε) − L(w−ε)) / 2ε has an error of order ε²;
# this is how `tn.gradcheck` judges every op in tinynn.

# %%
eps = 1e-6
numeric_dw = (loss_fn(w + eps, b) - loss_fn(w - eps, b)) / (2 * eps)
numeric_db = (loss_fn(w, b + eps) - loss_fn(w, b - eps)) / (2 * eps)
print(f"numeric: ∂L/∂w = {numeric_dw:.6f}, ∂L/∂b = {numeric_db:.6f}")
assert abs(hand_dw - numeric_dw) < 1e-8 and abs(hand_db - numeric_db) < 1e-8


# %% [markdown]
# ## 2. A scalar autodiff engine in 30 lines
#
# Doing that by hand for a million weights is hopeless, but the pattern is mechanical:
# every operation knows its *local* derivatives (∂out/∂input) at the moment it runs.
# So each result remembers its parents and those local derivatives. `backward()` then
# visits the nodes from the loss back to the leaves (reverse topological order) and
# applies the chain rule at each: ∂L/∂parent += ∂L/∂node · ∂node/∂parent. The `+=` matters:
# a value used twice receives gradient from both uses.

# %%
class Value:
    """A scalar that remembers how it was computed, so gradients can flow back to it."""

    def __init__(self, data, parents=(), local_grads=()):
        self.data, self.grad = float(data), 0.0
        self.parents, self.local_grads = parents, local_grads  # ∂self/∂parent, one per parent

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data * other.data, (self, other), (other.data, self.data))

    __radd__, __rmul__ = __add__, __mul__

    def __sub__(self, other):
        return self + (-1.0) * other

    def __pow__(self, n):
        return Value(self.data ** n, (self,), (n * self.data ** (n - 1),))

    def sigmoid(self):
        s = 1 / (1 + math.exp(-self.data))
        return Value(s, (self,), (s * (1 - s),))

    def backward(self):
        order, seen = [], set()

        def visit(v):  # depth-first: every node lands after all of its parents
            if id(v) not in seen:
                seen.add(id(v))
                for p in v.parents:
                    visit(p)
                order.append(v)

        visit(self)
        self.grad = 1.0  # ∂L/∂L
        for v in reversed(order):  # the chain rule [E27], node by node
            for parent, local in zip(v.parents, v.local_grads):
                parent.grad += v.grad * local


# %% [markdown]
# (That is the whole engine: 30 lines. tinynn's `Tensor.backward` is the same idea, with an
# iterative instead of a recursive walk, so a 10 000-step chain does not hit Python's
# recursion limit, and with the graph freed after use.)
#
# The same neuron, written with `Value`s:

# %%
vw, vb = Value(w), Value(b)
vloss = ((vw * x + vb).sigmoid() - y) ** 2
vloss.backward()
print(f"Value:   ∂L/∂w = {vw.grad:.6f}, ∂L/∂b = {vb.grad:.6f}")
assert abs(vw.grad - hand_dw) < 1e-12 and abs(vb.grad - hand_db) < 1e-12

# %% [markdown]
# Reuse: in q = a·a + a, `a` feeds three places, so dq/da = 2a + 1 comes from summing.

# %%
a = Value(3.0)
q = a * a + a
q.backward()
print(f"dq/da at a=3: {a.grad} (2a + 1 = 7)")
assert a.grad == 7.0

# %% [markdown]
# ## 3. `tn.Tensor`: the same engine on arrays
#
# A `tn.Tensor` holds a whole NumPy array (a CuPy array on a GPU) and its `grad`. Each
# operation is a `tn.Function` with a `forward` on arrays and a `backward` that turns the
# gradient of the output into gradients of the inputs: the local derivatives of our
# `Value`, applied to whole arrays at once. `requires_grad=True` marks the leaves we want
# gradients for.

# %%
tw = tn.Tensor([w], dtype="float64", requires_grad=True, name="w")  # name: a label for pictures
tb = tn.Tensor([b], dtype="float64", requires_grad=True, name="b")
tx = tn.Tensor([x], dtype="float64", name="x")
tloss = ((tw * tx + tb).sigmoid() - y) ** 2
print("loss tensor:", tloss)

# %% [markdown]
# Before calling `backward()` (which frees the graph), let us look at it. `tinynn.viz`
# draws the graph with matplotlib alone (no graphviz binary needed): leaves on the left,
# one box per op, the shape of every tensor on the arrow that carries it. `to_dot` gives
# the same graph as Graphviz text if you want to render it elsewhere.

# %%
fig = draw_graph(tloss.sum(), title="L = (σ(w·x + b) − y)²")
save(fig, "01_graph.png")
print(to_dot(tloss.sum()))

# %%
tloss.sum().backward()
print(f"Tensor:  ∂L/∂w = {np.asarray(tw.grad)[0]:.6f}, ∂L/∂b = {np.asarray(tb.grad)[0]:.6f}")
assert abs(np.asarray(tw.grad)[0] - vw.grad) < 1e-12 and abs(np.asarray(tb.grad)[0] - vb.grad) < 1e-12

# %% [markdown]
# ### Many scalars at once
#
# The point of tensors is that one op handles a whole array. Take a batch of n inputs and
# a weight vector: L = Σᵢ σ(wᵢ xᵢ + b)². With `Value` that is n little graphs' worth of
# Python objects; with `Tensor` it is five ops whatever n is. The gradients agree element
# by element.

# %%
n = 500  # our recursive Value.backward would hit Python's recursion limit much beyond this
rng = np.random.default_rng(0)
xs, ws = rng.normal(size=n), rng.normal(size=n)

start = time.perf_counter()
value_ws, value_b = [Value(v) for v in ws], Value(0.1)
total = Value(0.0)
for wi, xi in zip(value_ws, xs):
    total = total + (wi * xi + value_b).sigmoid() ** 2
total.backward()
value_seconds = time.perf_counter() - start

start = time.perf_counter()
tensor_ws = tn.tensor(ws, requires_grad=True)
tensor_b = tn.tensor(0.1, dtype="float64", requires_grad=True)
(((tensor_ws * tn.tensor(xs) + tensor_b).sigmoid()) ** 2).sum().backward()
tensor_seconds = time.perf_counter() - start

value_grads = np.array([v.grad for v in value_ws])
print(f"n = {n}: Value {value_seconds * 1e3:.1f} ms, Tensor {tensor_seconds * 1e3:.1f} ms")
print("max |difference| of the weight gradients:", np.abs(value_grads - np.asarray(tensor_ws.grad)).max())
assert np.allclose(value_grads, np.asarray(tensor_ws.grad), rtol=1e-10, atol=1e-12)
assert abs(value_b.grad - np.asarray(tensor_b.grad).item()) < 1e-9

# %% [markdown]
# ### Deep graphs
#
# Our `Value.backward` walks the graph recursively, one Python stack frame per node on the
# path. Python stops at about 1000 frames, so a long chain (an RNN unrolled over many steps,
# or just a long loop) breaks it. tinynn's walk keeps its own stack instead:

# %%
depth = 3000
chain = Value(1.0)
for _ in range(depth):
    chain = chain * 1.0001
try:
    chain.backward()
    print("Value coped with the chain")
except RecursionError:
    print(f"Value.backward: RecursionError on a chain of {depth} multiplications")

start = tn.tensor(1.0, dtype="float64", requires_grad=True)
chain_t = start
for _ in range(depth):
    chain_t = chain_t * 1.0001
chain_t.backward()
print(f"tinynn: d(chain)/d(start) = {np.asarray(start.grad).item():.6f} (1.0001^{depth} = {1.0001 ** depth:.6f})")
assert abs(np.asarray(start.grad).item() - 1.0001 ** depth) < 1e-9

# %% [markdown]
# ## 4. Gradients accumulate
#
# As in PyTorch (and as the `+=` in our engine), every `backward()` *adds* into `.grad`.
# That is what makes reuse work, but it means you must clear gradients between training
# steps (`opt.zero_grad()`, or `p.grad = None`).

# %%
t = tn.tensor([2.0], requires_grad=True)
(t * t).sum().backward()
(t * t).sum().backward()
print("after two backward passes:", np.asarray(t.grad), "(2 · 2t = 8)")
assert np.asarray(t.grad)[0] == 8.0
t.grad = None

# %% [markdown]
# ## What we learned
# * The chain rule multiplies local derivatives along the path from a weight to the loss
#   (E27); where paths branch, the contributions add.
# * An autodiff engine records the local derivatives as it computes and replays them in
#   reverse: 30 lines for scalars.
# * `tn.Tensor` does the same with arrays; we checked it against the scalar engine, against
#   the hand derivation and against finite differences.
#
# Next: [2. One neuron](02_one_neuron.py), trained by gradient descent.
