# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # 5. Backpropagation through an MLP, by hand and by autodiff
#
# The documents' backprop equations:
#
# | id | the document writes |
# |----|---------------------|
# | E6, E23 | z_l = W_l a_(l−1) + b_l ;  a_l = σ(z_l)   (E23 per unit: z_l = Σⱼ w_lj a_(l−1)j + b_l) |
# | E7  | δ_L = ∂Loss/∂z_L = ∂Loss/∂a_L ⊙ ∂a_L/∂z_L |
# | E8  | δ_l = ∂z_l/∂W_l a_(l−1)ᵀ + ∂z_l/∂b_l ;  ∂a_(l−1)/∂z_l = σ'(z_l)   (suspect) |
# | E10 | ∂E/∂W^(l−1) = ∂E/∂z^(l) · ∂z^(l)/∂a^(l−1)   (suspect) ;  ∂E/∂b^(l−1) = ∂E/∂z^(l) · ∂z^(l)/∂b^(l−1) |
# | E19 | f(x) = σ(W₂ · σ(W₁ · x)) |
# | E21 | ∂L/∂W₂ = (ŷ − y) · σ'(z₂) · x   (suspect) |
# | E22 | ∂L/∂W₁ = (W₂ᵀ · ∂L/∂W₂) · σ'(z₁)   (suspect) |
#
# Part 1 writes a complete backward pass for a three-layer network in NumPy, with the
# standard equations, and checks it against `loss.backward()`. Part 2 evaluates E7 with a
# softmax output and the four suspect equations on small, printed weights (so you can
# redo every number) and lets a gradient check decide.
#
# **What the documents say** (see [documents.md](documents.md)).
#
# Document 000, §4.1, item 3, backpropagation (反向传播):
# > Backpropagation computes the gradient of the loss with respect to the model parameters
# > in order to update them (反向传播是通过计算损失函数关于模型参数的梯度，以更新模型参数).
# > Compute the intermediate variables of the forward pass: z_l = W_l a_(l−1) + b_l,
# > a_l = σ(z_l). Compute the gradient of the loss with respect to the output layer
# > (计算损失函数关于输出层的梯度): δ_L = ∂Loss/∂z_L = ∂Loss/∂a_L ⊙ ∂a_L/∂z_L. Compute the
# > gradient of the hidden layers (计算隐藏层的梯度): δ_l = ∂z_l/∂W_l a_(l−1)ᵀ + ∂z_l/∂b_l,
# > ∂a_(l−1)/∂z_l = σ'(z_l).
#
# Document 000, §4.2, step 4, backward propagation (后向传播):
# > Using the chain rule, pass the derivatives on to the previous layer (利用链式法则，将
# > 求导结果传递到前一层): ∂Error/∂W^(l−1) = ∂Error/∂z^(l) · ∂z^(l)/∂a^(l−1),
# > ∂Error/∂b^(l−1) = ∂Error/∂z^(l) · ∂z^(l)/∂b^(l−1), where a^(l−1) and z^(l) are the output
# > of layer (l−1) and the intermediate variable of layer l (分别为第(l−1)层的输出和中间变量).
#
# Document 002, §4.1–4.2 (a simple MLP, 简单的MLP模型):
# > f(x) = σ(W₂ · σ(W₁ · x)), where x is the input vector, W₁ and W₂ the weight matrices and
# > σ the activation function. […] L(y, ŷ) = −Σᵢ yᵢ log(ŷᵢ),
# > ∂L/∂W₂ = (ŷ − y) · σ'(z₂) · x, ∂L/∂W₁ = (W₂ᵀ · ∂L/∂W₂) · σ'(z₁), where ŷ is the output
# > prediction, y the true label, and z₁, z₂ "the activation values of hidden layers 1 and 2"
# > (z₁和z₂分别为隐藏层1和隐藏层2的激活值; they are in fact pre-activations).
#
# Document 003, §4.2.1: z_l = Σⱼ w_lj · a_(l−1)j + b_l, "z_l the activation value of layer l"
# (z_l表示第l层的激活值; again the pre-activation).
#
# **Notation.** Here, as in documents 002–004, **ŷ is the prediction and y the target**
# (tutorial 2 and document 000 write y and y₀ instead); document 000's E8/E10 call the loss
# "Loss" or "Error", written L or E below. See the [glossary](glossary.md).

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
from _setup import save  # tutorials/_setup.py, found above

import tinynn as tn
import tinynn.functional as F
from tinynn import nn
from tinynn.viz import draw_graph


def t64(values, grad=False):
    return tn.tensor(np.asarray(values, dtype="float64"), requires_grad=grad)


rng = np.random.default_rng(0)

# %% [markdown]
# ## Part 1. The backward pass by hand
#
# ### Layout
# The documents write one sample as a column vector: z = W a + b with W of shape
# (out, in). Code processes a batch of N samples stored as **rows**, A of shape (N, in); the
# same layer is then Z = A Wᵀ + b (each row is one sample's (W a + b)ᵀ). W keeps the
# documents' (out, in) shape, as in PyTorch.
#
# ### The network
# 5 inputs → 8 sigmoid units → 6 tanh units → 3 classes (softmax + cross-entropy, batch
# mean). Forward [E6]:
#
# Z₁ = X W₁ᵀ + b₁, A₁ = σ(Z₁);  Z₂ = A₁ W₂ᵀ + b₂, A₂ = tanh(Z₂);  Z₃ = A₂ W₃ᵀ + b₃;  L = CE(softmax(Z₃), Y).
#
# ### The backward equations
# Write δ_l = ∂L/∂Z_l (shape (N, units), one row per sample).
# * **Output layer [E7]**: δ_L = ∂L/∂a_L ⊙ ∂a_L/∂z_L holds when a_L is an *elementwise*
#   function of z_L (sigmoid, tanh, ReLU): then ∂a_L/∂z_L is diagonal and the product is
#   elementwise. Softmax is not elementwise (every ŷ_k depends on every z_j), so its
#   ∂a_L/∂z_L is a full [Jacobian](glossary.md) matrix J and δ_L = Jᵀ ∂L/∂a_L. With
#   cross-entropy that product is ŷ − y (tutorial 4), divided by N for the batch mean. (Part 2
#   shows what the ⊙ form gives with softmax instead: −y ⊙ (1 − ŷ), not ŷ − y.)
# * **Weights and biases**: ∂L/∂W_l = δ_lᵀ A_(l−1) (the batch sum of the outer products
#   δ a_(l−1)ᵀ), ∂L/∂b_l = Σ_rows δ_l.
# * **Hidden layers**: δ_l = (δ_(l+1) W_(l+1)) ⊙ σ'(Z_l), the row form of
#   (W_(l+1)ᵀ δ_(l+1)) ⊙ σ'(z_l). The error is carried back through the *next* layer's
#   weights, then scaled by this layer's slope.

# %%
sizes = [5, 8, 6, 3]
N = 16
X = rng.normal(size=(N, sizes[0]))
labels = rng.integers(0, 3, size=N)
Y = np.eye(3)[labels]  # one-hot rows
params = {}
for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
    params[f"W{l}"] = rng.normal(size=(n_out, n_in)) / np.sqrt(n_in)
    params[f"b{l}"] = rng.normal(size=n_out) * 0.1


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def manual_forward(p, X):
    """Forward pass in NumPy, keeping what backward needs  [E6]."""
    Z1 = X @ p["W1"].T + p["b1"]
    A1 = sigmoid(Z1)
    Z2 = A1 @ p["W2"].T + p["b2"]
    A2 = np.tanh(Z2)
    Z3 = A2 @ p["W3"].T + p["b3"]
    Z3 = Z3 - Z3.max(axis=1, keepdims=True)  # softmax is unchanged by a shift; no overflow
    Y_hat = np.exp(Z3) / np.exp(Z3).sum(axis=1, keepdims=True)
    return {"A0": X, "A1": A1, "A2": A2, "Y_hat": Y_hat}


def manual_backward(p, cache, Y):
    """All six gradients of the mean cross-entropy, by the standard equations.

    [E7] output error δ₃ = (ŷ − y)/N: softmax's full Jacobian times ∂CE/∂ŷ (not the ⊙ form,
    which holds for the elementwise activations: tanh and sigmoid below);
    [E8 corrected] ∂L/∂W_l = δ_lᵀ A_(l−1), ∂L/∂b_l = Σ δ_l, δ_l = (δ_(l+1) W_(l+1)) ⊙ σ'(Z_l).
    """
    # BEGIN SOLUTION mlp_backward
    # HINT: output error [E7] with softmax + mean cross-entropy: d3 = (cache["Y_hat"] - Y) / N
    # HINT: each layer: dW = δᵀ @ A_previous, db = δ.sum(axis=0); carry back δ_prev = (δ @ W) ⊙ slope
    # HINT: slopes from the cache: tanh' = 1 - A2**2, σ' = A1 * (1 - A1); return {"W1": ..., "b1": ..., ..., "b3": ...}
    n = len(Y)
    A0, A1, A2 = cache["A0"], cache["A1"], cache["A2"]
    d3 = (cache["Y_hat"] - Y) / n  # [E7] with softmax: Jᵀ ∂L/∂ŷ = ŷ − y  [E5]
    grads = {"W3": d3.T @ A2, "b3": d3.sum(axis=0)}
    d2 = (d3 @ p["W3"]) * (1 - A2 ** 2)  # tanh' = 1 − tanh²  [E3]
    grads.update(W2=d2.T @ A1, b2=d2.sum(axis=0))
    d1 = (d2 @ p["W2"]) * A1 * (1 - A1)  # σ' = σ(1 − σ)  [E1]
    grads.update(W1=d1.T @ A0, b1=d1.sum(axis=0))
    return grads
    # END SOLUTION


cache = manual_forward(params, X)
hand = manual_backward(params, cache, Y)
hand_loss = -(Y * np.log(cache["Y_hat"])).sum() / N
print(f"hand-computed loss {hand_loss:.6f}")

# %% [markdown]
# ### The same network in tinynn
# With tensors we only write the forward pass; `loss.backward()` produces the six
# gradients. Here is its graph (drawn before `backward()`, which frees it):

# %%
tensors = {name: tn.Tensor(value.copy(), requires_grad=True, name=name) for name, value in params.items()}
x_t = tn.Tensor(X, name="X")


def tinynn_loss(t):
    a1 = F.sigmoid(F.linear(x_t, t["W1"], t["b1"]))
    a2 = F.tanh(F.linear(a1, t["W2"], t["b2"]))
    return F.cross_entropy(F.linear(a2, t["W3"], t["b3"]), tn.tensor(labels))


loss = tinynn_loss(tensors)
fig = draw_graph(loss, title="5 → 8 (sigmoid) → 6 (tanh) → 3, cross-entropy")
save(fig, "05_graph.png")
loss.backward()
print(f"tinynn loss {loss.item():.6f}")
assert abs(loss.item() - hand_loss) < 1e-12

worst = 0.0
for name in params:
    error = np.abs(hand[name] - np.asarray(tensors[name].grad)).max()
    worst = max(worst, error / np.abs(hand[name]).max())
    print(f"∂L/∂{name}: shape {hand[name].shape}, max |hand − autodiff| = {error:.2e}")
    assert np.allclose(hand[name], np.asarray(tensors[name].grad), rtol=1e-10, atol=1e-14)
print(f"largest relative difference: {worst:.1e}")

# %% [markdown]
# Equal to float64 rounding. And the hand pass is itself correct, not just consistent with
# tinynn: `tn.gradcheck` compares tinynn's gradients with central differences.

# %%
assert tn.gradcheck(lambda *ws: tinynn_loss(dict(zip(params, ws))),
                    [tn.tensor(v, requires_grad=True) for v in params.values()])
print("gradcheck passed for all six parameters")

fig, ax = plt.subplots(figsize=(4, 4))
for name in params:
    ax.scatter(hand[name].ravel(), np.asarray(tensors[name].grad).ravel(), s=10, label=name)
lim = max(np.abs(g).max() for g in hand.values()) * 1.1
ax.plot([-lim, lim], [-lim, lim], "k:", lw=0.8)
ax.set(xlabel="gradient entry, hand-written NumPy backward", ylabel="the same entry from loss.backward()",
       title="all six gradients: hand vs autodiff")
ax.legend(fontsize=7)
save(fig, "05_hand_vs_autodiff.png")

# %% [markdown]
# ### The same with `nn` layers
# `nn.Linear` stores exactly these W (out, in) and b, so the hand gradients match a
# `nn.Sequential` model too, parameter by parameter.

# %%
model = nn.Sequential(nn.Linear(5, 8), nn.Sigmoid(), nn.Linear(8, 6), nn.Tanh(), nn.Linear(6, 3))
model.to(dtype="float64")  # float64 parameters, so the comparison can be tight
model.load_state_dict({"0.weight": params["W1"], "0.bias": params["b1"], "2.weight": params["W2"],
                       "2.bias": params["b2"], "4.weight": params["W3"], "4.bias": params["b3"]})
nn.CrossEntropyLoss()(model(tn.tensor(X)), tn.tensor(labels)).backward()
for (name, p), key in zip(model.named_parameters(), ["W1", "b1", "W2", "b2", "W3", "b3"]):
    assert np.allclose(np.asarray(p.grad), hand[key], rtol=1e-10, atol=1e-14), name
print("nn.Sequential gradients match the hand pass")

# %% [markdown]
# ## Part 2. The documents' backprop equations, checked
#
# We now evaluate each suspect equation literally, next to the standard form, on the same
# numbers, and compare both with central differences (`tn.numerical_grad`, float64), the
# referee that does not care how the formula was derived.
#
# ### E7, E8 and E10: a network with one hidden layer
# One sample x ∈ ℝ³ → 4 sigmoid units → 2 classes (softmax + CE). Column vectors, as the
# documents write them. The weights are short decimals, printed, so that every number below
# can be redone by hand or in any other tool (equations.md lists them too).

# %%
x = np.array([0.5, -1.0, 2.0])
y = np.array([0.0, 1.0])
W1 = np.array([[1.6, -0.5, 0.4], [-0.1, 0.4, 0.0], [-0.4, -0.6, 2.2], [0.0, -1.4, -0.5]])
b1 = np.array([0.1, -0.1, 0.1, 0.1])
W2 = np.array([[-0.1, -0.3, -0.7, -0.5], [-1.0, 0.8, 1.1, -0.9]])
b2 = np.array([-0.1, -0.2])
for name, value in dict(x=x, y=y, W1=W1, b1=b1, W2=W2, b2=b2).items():
    print(f"{name} =", value.tolist())


def loss_of(W1=W1, b1=b1, W2=W2, b2=b2, y=y):
    """The network as tinynn tensors, so numerical_grad can perturb any argument."""
    a1 = F.sigmoid(F.linear(t64(x[None]), W1, b1))
    return F.cross_entropy(F.linear(a1, W2, b2), t64(y[None]))


def numeric(name, **fixed):
    """Central-difference gradient of the loss with respect to one argument."""
    value = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}[name]
    return tn.numerical_grad(lambda v: loss_of(**{name: v}, **fixed), [t64(value, grad=True)])[0]


z1 = W1 @ x + b1
a1 = sigmoid(z1)
z2 = W2 @ a1 + b2
y_hat = np.exp(z2 - z2.max()) / np.exp(z2 - z2.max()).sum()
delta2 = y_hat - y  # output error [E7], with softmax's full Jacobian (checked next)
delta1 = (W2.T @ delta2) * a1 * (1 - a1)  # the standard hidden error [E8 corrected]
print("ŷ =", y_hat.round(6), "  δ₂ =", delta2.round(6), "  δ₁ =", delta1.round(6))

# %% [markdown]
# **E7 with a softmax output.** Take E7 literally, δ_L = ∂L/∂a_L ⊙ ∂a_L/∂z_L, with a_L = ŷ =
# softmax(z₂) and L = −Σ yₖ log ŷₖ. The first factor is ∂L/∂ŷₖ = −yₖ/ŷₖ. If "∂a_L/∂z_L" is
# read elementwise, ∂ŷₖ/∂zₖ = ŷₖ(1 − ŷₖ), the product is −yₖ(1 − ŷₖ): **−y ⊙ (1 − ŷ)**.
# But softmax is not elementwise; its Jacobian J = ∂ŷ/∂z₂ = diag(ŷ) − ŷŷᵀ has off-diagonal
# entries, and only the full product Jᵀ ∂L/∂ŷ gives **ŷ − y**. All measured by central
# differences:

# %%
z2_leaf = t64(z2, grad=True)
d_loss_d_yhat = tn.numerical_grad(lambda a: -(t64(y) * a.log()).sum(), [t64(y_hat, grad=True)])[0]
softmax_jacobian = np.stack([tn.numerical_grad(lambda z: F.softmax(z)[k], [z2_leaf])[0] for k in range(2)])
d_loss_d_z2 = tn.numerical_grad(lambda z: -(t64(y) * F.softmax(z).log()).sum(), [z2_leaf])[0]
e7_elementwise = d_loss_d_yhat * np.diag(softmax_jacobian)  # ∂L/∂a ⊙ (the diagonal of ∂a/∂z)
e7_full = softmax_jacobian.T @ d_loss_d_yhat  # Jᵀ ∂L/∂a
print("∂L/∂ŷ (check) =", d_loss_d_yhat.round(6), "= −y/ŷ")
print("softmax Jacobian (check):\n", softmax_jacobian.round(6))
print("⊙ with its diagonal:", e7_elementwise.round(6) + 0.0, "= −y ⊙ (1 − ŷ) =", (-y * (1 - y_hat)).round(6) + 0.0)
print("full Jᵀ ∂L/∂ŷ:      ", e7_full.round(6), "= ŷ − y =", (y_hat - y).round(6))
print("gradient check ∂L/∂z₂:", d_loss_d_z2.round(6))
assert np.allclose(d_loss_d_yhat, -y / y_hat, atol=1e-6)
assert np.allclose(softmax_jacobian, np.diag(y_hat) - np.outer(y_hat, y_hat), atol=1e-8)
assert np.allclose(e7_elementwise, -y * (1 - y_hat), atol=1e-6)
assert np.allclose(e7_full, y_hat - y, atol=1e-6) and np.allclose(d_loss_d_z2, y_hat - y, atol=1e-8)
assert not np.allclose(e7_elementwise, d_loss_d_z2, atol=1e-3)

# %% [markdown]
# So E7 is right as the *general* chain rule when ∂a_L/∂z_L means the Jacobian and the
# product is a matrix product; its ⊙ (elementwise) form is right only for elementwise
# activations. In tinynn each activation's backward is exactly that ⊙ product
# (the sigmoid op's backward returns grad ⊙ σ(1 − σ)), while softmax's backward applies the full
# Jacobian, and the fused `F.cross_entropy` returns ŷ − y directly.

# %% [markdown]
# **E8** (document 000 §4.1) gives the hidden-layer error as
# δ_l = ∂z_l/∂W_l · a_(l−1)ᵀ + ∂z_l/∂b_l. With z_l = W_l a_(l−1) + b_l we have
# ∂z_l/∂W_l = a_(l−1) (entry by entry, ∂z_i/∂W_ij = a_j) and ∂z_l/∂b_l = 1, so the right-hand
# side is a_(l−1) a_(l−1)ᵀ + 1: a matrix built from the layer's input alone. It has the
# wrong shape and does not involve the loss at all. The error of hidden layer l is
# δ_l = ∂L/∂z_l, which a gradient check measures as ∂L/∂b_l (since ∂z_l/∂b_l = I).

# %%
e8_document = np.outer(x, x) + 1  # a_(l−1) a_(l−1)ᵀ + ∂z/∂b, with a_0 = x for l = 1
e8_check = numeric("b1")  # = δ₁ = ∂L/∂z₁
print("document's δ₁ (shape", e8_document.shape, "):\n", e8_document.round(4))
print("standard δ₁ = (W₂ᵀδ₂) ⊙ σ'(z₁):", delta1.round(6))
print("gradient check ∂L/∂b₁ = ∂L/∂z₁:", e8_check.round(6))
assert np.allclose(delta1, e8_check, atol=1e-8)
assert e8_document.shape != e8_check.shape
# the document's δ does not change when the target does; the real one does
other_target = np.array([1.0, 0.0])
e8_check_other = numeric("b1", y=other_target)
assert not np.allclose(e8_check, e8_check_other, atol=1e-4)
print("with the other target, the check gives", e8_check_other.round(6), "; the document's formula is unchanged")

# %% [markdown]
# Given δ_l, the weight and bias gradients are ∂L/∂W_l = δ_l a_(l−1)ᵀ and ∂L/∂b_l = δ_l,
# which is probably what the document's first line was reaching for:

# %%
assert np.allclose(np.outer(delta1, x), numeric("W1"), atol=1e-8)
assert np.allclose(np.outer(delta2, a1), numeric("W2"), atol=1e-8)

# %% [markdown]
# The second line of E8, ∂a_(l−1)/∂z_l = σ'(z_l), has its indices crossed: a_(l−1) is computed
# *before* z_l and does not depend on it. The slope belongs to the same layer:
# ∂a_l/∂z_l = diag(σ'(z_l)). Measured (the Jacobian of a₁ = σ(z₁) by central differences):

# %%
jacobian = np.stack([tn.numerical_grad(lambda z: F.sigmoid(z)[i], [t64(z1, grad=True)])[0] for i in range(4)])
print("∂a₁/∂z₁ measured:\n", jacobian.round(6))
assert np.allclose(jacobian, np.diag(a1 * (1 - a1)), atol=1e-8)

# %% [markdown]
# **E10** (document 000 §4.2) has two lines; with l = 2 (so l − 1 = 1, the hidden layer):
#
# * **The W line**, ∂E/∂W^(1) = ∂E/∂z^(2) · ∂z^(2)/∂a^(1). Since z^(2) = W₂a^(1) + b₂,
#   ∂z^(2)/∂a^(1) = W₂ and the right-hand side is δ₂ᵀW₂, i.e. W₂ᵀδ₂: a vector with one entry
#   per hidden unit. That is ∂E/∂a^(1), the error arriving at the hidden layer's *output*,
#   not a weight gradient (which must have W₁'s shape, 4 × 3). Two more links of the chain
#   are missing: through σ'(z^(1)) to z^(1), then to W^(1) via a^(0) = x. **Wrong.**
# * **The b line**, ∂E/∂b^(1) = ∂E/∂z^(2) · ∂z^(2)/∂b^(1). This one is a valid chain-rule
#   step: b^(1) reaches E only through z^(2), and ∂z^(2)/∂b^(1) is the 2 × 4 Jacobian
#   W₂ diag(σ'(z^(1))) (b^(1) moves z^(1), hence a^(1), hence z^(2)). The row vector
#   δ₂ᵀ times that Jacobian is ((W₂ᵀδ₂) ⊙ σ'(z^(1)))ᵀ, the correct bias gradient. **Right.**
#
# Both measured: the Jacobian ∂z^(2)/∂b^(1) by central differences, then the products
# against the gradient check.

# %%
e10_w_line = W2.T @ delta2  # ∂E/∂z⁽²⁾ · ∂z⁽²⁾/∂a⁽¹⁾, with ∂z⁽²⁾/∂a⁽¹⁾ = W₂
a1_leaf = t64(a1[None], grad=True)
d_loss_d_a1 = tn.numerical_grad(lambda a: F.cross_entropy(F.linear(a, W2, b2), t64(y[None])), [a1_leaf])[0][0]
e10_correct_w = np.outer(e10_w_line * a1 * (1 - a1), x)  # ((W₂ᵀδ₂) ⊙ σ'(z₁)) xᵀ  [E10 corrected]
print("W line, document's ∂E/∂W⁽¹⁾ = W₂ᵀδ₂ =", e10_w_line.round(6), " shape", e10_w_line.shape,
      "; W₁ has shape", W1.shape)
print("…which is ∂E/∂a⁽¹⁾ (check):          ", d_loss_d_a1.round(6))
assert np.allclose(e10_w_line, d_loss_d_a1, atol=1e-8)
assert np.allclose(e10_correct_w, numeric("W1"), atol=1e-8) and e10_w_line.shape != W1.shape


def z2_of_b1(b):
    """z⁽²⁾ as a function of the hidden layer's bias b⁽¹⁾, everything else fixed."""
    return F.linear(F.sigmoid(F.linear(t64(x[None]), W1, b)), W2, b2)[0]


dz2_db1 = np.stack([tn.numerical_grad(lambda b: z2_of_b1(b)[k], [t64(b1, grad=True)])[0] for k in range(2)])
e10_b_line = delta2 @ dz2_db1  # ∂E/∂z⁽²⁾ · ∂z⁽²⁾/∂b⁽¹⁾, the document's b line
print("∂z⁽²⁾/∂b⁽¹⁾ (check, 2 × 4):\n", dz2_db1.round(6))
print("b line, δ₂ᵀ · ∂z⁽²⁾/∂b⁽¹⁾:        ", e10_b_line.round(6))
print("gradient check ∂E/∂b⁽¹⁾:          ", numeric("b1").round(6))
assert np.allclose(dz2_db1, W2 * (a1 * (1 - a1)), atol=1e-8)  # = W₂ diag σ'(z⁽¹⁾)
assert np.allclose(e10_b_line, numeric("b1"), atol=1e-7)  # the b line is right
assert np.allclose(e10_b_line, delta1, atol=1e-7)  # = (W₂ᵀδ₂) ⊙ σ'(z⁽¹⁾) = δ₁

# %% [markdown]
# ### E19, E21, E22: the document's two-layer network
# Document 002 writes f(x) = σ(W₂ σ(W₁ x)), no biases, with the cross-entropy
# L = −Σ yᵢ log ŷᵢ (E20). For E21's (ŷ − y) to be meaningful the output must be a softmax
# (σ at the output = softmax; tutorial 4 derived ∂L/∂z₂ = ŷ − y for that pair), and σ in
# the hidden layer is the sigmoid. We take 3 inputs and 3 hidden units, so that the
# document's formulas, which confuse x with a₁, at least produce arrays of the right shapes
# and can be compared number by number.

# %%
x3 = np.array([1.0, -0.5, 2.0])
y3 = np.array([1.0, 0.0])
V1 = np.array([[-0.8, -2.5, -0.9], [1.0, -0.3, 0.7], [-0.4, 1.4, 0.2]])  # W₁: (hidden, in)
V2 = np.array([[-0.3, 2.0, -0.3], [-1.0, 0.2, 0.0]])  # W₂: (out, hidden)
for name, value in dict(x=x3, y=y3, W1=V1, W2=V2).items():
    print(f"{name} =", value.tolist())


def e19_forward(W1, W2, x=x3):
    """f(x) = softmax(W₂ σ(W₁ x)), no biases  [E19] (softmax at the output, see above)."""
    return F.softmax(F.linear(F.sigmoid(F.linear(t64(x[None]), W1)), W2))


def e20_loss(W1, W2, x=x3, y=y3):
    return -(t64(y[None]) * e19_forward(W1, W2, x).log()).sum()  # [E20]


def two_layer_gradients(W1, W2, x, y):
    """∂L/∂W₂ and ∂L/∂W₁ of E19/E20 with a softmax output, by the standard equations:
    δ₂ = ŷ − y, ∂L/∂W₂ = δ₂ a₁ᵀ  [E21 corrected];  δ₁ = (W₂ᵀδ₂) ⊙ σ'(z₁), ∂L/∂W₁ = δ₁ xᵀ  [E22 corrected]."""
    a1 = sigmoid(W1 @ x)
    z2 = W2 @ a1
    y_hat = np.exp(z2 - z2.max()) / np.exp(z2 - z2.max()).sum()
    delta2 = y_hat - y
    delta1 = (W2.T @ delta2) * a1 * (1 - a1)
    return np.outer(delta2, a1), np.outer(delta1, x)


z1_3 = V1 @ x3
a1_3 = sigmoid(z1_3)
z2_3 = V2 @ a1_3
y_hat3 = np.exp(z2_3) / np.exp(z2_3).sum()
check_W1, check_W2 = tn.numerical_grad(e20_loss, [t64(V1, grad=True), t64(V2, grad=True)])
standard_W2, standard_W1 = two_layer_gradients(V1, V2, x3, y3)
assert np.allclose(standard_W2, check_W2, atol=1e-8) and np.allclose(standard_W1, check_W1, atol=1e-8)

e21_document = np.outer((y_hat3 - y3) * sigmoid(z2_3) * (1 - sigmoid(z2_3)), x3)  # (ŷ − y)·σ'(z₂)·x
e21_correct = np.outer(y_hat3 - y3, a1_3)  # (ŷ − y) a₁ᵀ  [E21 corrected]
print("E21 document (ŷ − y)·σ'(z₂)·xᵀ:\n", e21_document.round(5))
print("E21 correct  (ŷ − y) a₁ᵀ:\n", e21_correct.round(5))
print("gradient check ∂L/∂W₂:\n", check_W2.round(5))
assert np.allclose(e21_correct, check_W2, atol=1e-8) and not np.allclose(e21_document, check_W2, atol=1e-3)

# %% [markdown]
# Two things are wrong in E21: the σ'(z₂) factor (cancelled by cross-entropy, as in E11) and
# x in place of a₁ = σ(W₁x), the input that W₂ actually multiplies.
#
# **E22**, ∂L/∂W₁ = (W₂ᵀ · ∂L/∂W₂) · σ'(z₁): W₂ᵀ (3 × 2) times ∂L/∂W₂ (2 × 3) is 3 × 3; we apply
# σ'(z₁) row by row (one factor per hidden unit), the only reading that gives W₁'s shape here.
# Substituting even the *correct* ∂L/∂W₂ = δ₂a₁ᵀ gives W₂ᵀδ₂a₁ᵀ scaled by σ'(z₁), i.e.
# ((W₂ᵀδ₂) ⊙ σ'(z₁)) a₁ᵀ: the standard result with a₁ where x should be. Substituting the
# document's own E21 compounds the errors.

# %%
slope1 = (a1_3 * (1 - a1_3))[:, None]
e22_document = (V2.T @ e21_document) * slope1  # with the document's own ∂L/∂W₂
e22_document_fixed_w2 = (V2.T @ e21_correct) * slope1  # even with the right ∂L/∂W₂
e22_correct = np.outer((V2.T @ (y_hat3 - y3)) * a1_3 * (1 - a1_3), x3)  # ((W₂ᵀδ₂) ⊙ σ'(z₁)) xᵀ  [E22 corrected]
print("E22 document (chained to E21):\n", e22_document.round(5))
print("E22 document with the correct ∂L/∂W₂:\n", e22_document_fixed_w2.round(5))
print("E22 correct ((W₂ᵀδ₂) ⊙ σ'(z₁)) xᵀ:\n", e22_correct.round(5))
print("gradient check ∂L/∂W₁:\n", check_W1.round(5))
assert np.allclose(e22_correct, check_W1, atol=1e-8)
assert not np.allclose(e22_document, check_W1, atol=1e-3)
assert not np.allclose(e22_document_fixed_w2, check_W1, atol=1e-3)
assert np.allclose(e22_document_fixed_w2, np.outer((V2.T @ (y_hat3 - y3)) * a1_3 * (1 - a1_3), a1_3))

# %% [markdown]
# With 4 inputs instead of 3, E22's product would be 3 × 3 while W₁ is 3 × 4: the formula
# cannot even be the gradient then.
#
# *Another reading.* If σ at the output really is the sigmoid, as E19 literally says, and L
# is E20 as printed, the output error is ∂L/∂z₂ = −y ⊙ (1 − ŷ), and the document's E21 is
# still wrong:

# %%
def e19_sigmoid_loss(W2):
    out = F.sigmoid(F.linear(F.sigmoid(F.linear(t64(x3[None]), t64(V1))), W2))
    return -(t64(y3[None]) * out.log()).sum()


y_sig = sigmoid(z2_3)
check_sigmoid = tn.numerical_grad(e19_sigmoid_loss, [t64(V2, grad=True)])[0]
correct_sigmoid = np.outer(-y3 * (1 - y_sig), a1_3)
document_sigmoid = np.outer((y_sig - y3) * y_sig * (1 - y_sig), x3)
assert np.allclose(correct_sigmoid, check_sigmoid, atol=1e-8)
assert not np.allclose(document_sigmoid, check_sigmoid, atol=1e-3)
print("sigmoid output: check", check_sigmoid.round(5).tolist(), "\n  document", document_sigmoid.round(5).tolist())

# %% [markdown]
# ## What we learned
# * The standard backward pass is four lines per layer: output error ŷ − y (E7 with
#   softmax + CE), ∂L/∂W = δᵀA_prev, ∂L/∂b = Σδ, δ_prev = (δW) ⊙ σ'(Z_prev). Written by hand
#   in NumPy it equals tinynn's `loss.backward()` to ~10⁻¹⁶.
# * E7's ⊙ form is right for elementwise activations; with a softmax output it gives
#   −y ⊙ (1 − ŷ), and ŷ − y needs softmax's full Jacobian.
# * E8 as printed is not the hidden error (wrong shape, independent of the loss). E10's W
#   line has ∂E/∂a^(l−1) on its right-hand side, two chain links short of a weight
#   gradient; its b line is a valid chain-rule step and matched the gradient check. E21 keeps
#   a σ' that cross-entropy cancels and uses x for a₁; E22 then puts a₁ where x belongs.
#   For every wrong form the gradient check sided with the standard one.
#
# In tinynn these gradients live in one place: the backward of `F.linear`
# (`tinynn/ops/fused/linear.py`, `LinearFunction`), which computes ∂L/∂W = δᵀX, ∂L/∂b = Σδ and
# ∂L/∂X = δW for every layer, whatever comes after it.
#
# Next: [6. Optimizers](06_optimizers.py).
