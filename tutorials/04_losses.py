# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # 4. Losses: MSE, cross-entropy, binary cross-entropy
#
# | id | the documents write | where |
# |----|---------------------|-------|
# | E4  | MSE(y, ŷ) = (1/n) Σ (yᵢ − ŷᵢ)² | 000 §4.1 |
# | E14 | MSE = (1/m) Σ (ŷᵢ − yᵢ)² | 001 §4.1 |
# | E17 | ∇_ŷ MSE = (1/m) Σ −2(ŷᵢ − yᵢ) | 001 §4.2 (suspect) |
# | E5 (= E20, E26) | CE(y, ŷ) = −Σ yᵢ log ŷᵢ | 000, 002, 004 |
# | E15 | CE = −(1/m) Σ yᵢ log ŷᵢ | 001 |
# | E24 | L(θ) = −(1/m) Σᵢ Σₖ yₖ⁽ⁱ⁾ log zₖ⁽ⁱ⁾ | 003 |
# | E11 | Error = −[y₀ log y + (1 − y₀) log(1 − y)], y = σ(z): ∂E/∂W = (y − y₀) ∂y/∂z · x | 000 §4.3 (suspect) |
# | E18 | ŷ = (0.9, 0.1), y = (1, 0): MSE = 0.05, gradient −0.2, α = 0.1 gives (0.92, 0.08) | 001 §4.3 (suspect) |
#
# For each loss we derive the gradient, check it against autodiff and finite differences,
# and for the three suspects we evaluate the document's form next to the correct one on the
# same numbers and let a gradient check decide.
#
# **What the documents say** (all five are described in [documents.md](documents.md)).
#
# Document 000, §4.1, item 2 (损失函数, loss functions):
# > The loss function measures the gap between the model's predictions and the true results
# > (损失函数用于衡量模型预测结果与真实结果之间的差距): mean squared error
# > MSE(y, ŷ) = (1/n) Σᵢ (yᵢ − ŷᵢ)², cross-entropy loss CE(y, ŷ) = −Σᵢ yᵢ log(ŷᵢ).
#
# Document 001, §4.1 and §4.2:
# > MSE = (1/m) Σᵢ (ŷᵢ − yᵢ)², Cross Entropy Loss = −(1/m) Σᵢ yᵢ · log(ŷᵢ), where ŷᵢ is
# > the predicted value, yᵢ the true value and **m the number of samples** (其中，ŷᵢ是预测值，
# > yᵢ是真实值，m是样本数量). […] Differentiating the MSE gives (对MSE求导数，得到)
# > ∇_ŷ MSE = (1/m) Σᵢ −2(ŷᵢ − yᵢ); setting the derivative to 0 gives ŷᵢ = yᵢ.
#
# Document 003, §4.2.2:
# > L(θ) = −(1/m) Σᵢ Σₖ yₖ⁽ⁱ⁾ log zₖ⁽ⁱ⁾, where yₖ⁽ⁱ⁾ is the label of sample i for class k
# > and **zₖ⁽ⁱ⁾ the predicted probability of sample i for class k** (zₖ⁽ⁱ⁾表示第i个样本在
# > 第k个类别的预测概率).
#
# Document 000, §4.3 (a binary classifier, 二分类问题) and document 001, §4.3 (the worked
# example E18) are quoted where we take them apart below.
#
# **Notation.** Sections 1, 2 and 4 use the letters of documents 001–004: **ŷ is the
# prediction, y the target**. Section 3 (E11) is from document 000, which writes **y for
# the prediction and y₀ for the target** (as tutorial 2 does). See the [glossary](glossary.md).

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


def t64(values, grad=False):
    """A float64 tensor (what gradient checks want)."""
    return tn.tensor(np.asarray(values, dtype="float64"), requires_grad=grad)


def numeric_gradient(fn, values):
    """Central differences of the scalar fn(Tensor) at ``values``: the referee for every
    'which formula is right' question below."""
    x = t64(values, grad=True)
    return tn.numerical_grad(fn, [x])[0]


# %% [markdown]
# ## 1. Mean squared error (E4, E14)
#
# $$\text{MSE} = \frac1n\sum_i(\hat y_i - y_i)^2,\qquad
#   \frac{\partial\,\text{MSE}}{\partial \hat y_i} = \frac2n(\hat y_i - y_i).$$
#
# The gradient is a **vector**, one entry per prediction. (y − ŷ)² and (ŷ − y)² are the
# same number, so E4 and E14 are the same loss.

# %%
pred, target = [0.9, 0.3, -0.5, 2.0], [1.0, 0.0, 0.0, 1.5]
p = t64(pred, grad=True)
loss = F.mse_loss(p, t64(target))
loss.backward()
formula = 2 / len(pred) * (np.array(pred) - np.array(target))  # [E4]
print(f"MSE = {loss.item():.4f};  autodiff ∂/∂ŷ = {np.asarray(p.grad)};  (2/n)(ŷ − y) = {formula}")
assert np.allclose(np.asarray(p.grad), formula, rtol=1e-12)
assert np.allclose(numeric_gradient(lambda q: F.mse_loss(q, t64(target)), pred), formula, atol=1e-8)

# %% [markdown]
# **Which n?** tinynn (like PyTorch) averages over *all* elements. Document 001 divides by
# m, the number of samples. For one output per sample they agree; for k outputs per sample
# they differ by the factor k. `reduction="sum"` gives the plain sum to divide as you like.

# %%
batch = t64(np.arange(6.0).reshape(3, 2) / 4)  # m = 3 samples, k = 2 outputs each
zeros = t64(np.zeros((3, 2)))
all_elements = F.mse_loss(batch, zeros).item()
per_sample = F.mse_loss(batch, zeros, reduction="sum").item() / 3
print(f"mean over all 6 elements: {all_elements:.4f};  sum / m (m = 3): {per_sample:.4f}")
assert abs(per_sample - 2 * all_elements) < 1e-12

# %% [markdown]
# ### E17, the document's MSE gradient (suspect)
#
# Document 001 writes ∇_ŷ MSE = (1/m) Σᵢ −2(ŷᵢ − yᵢ): a single number (the sum has eaten
# the index i) with the sign flipped. Evaluate both on the same numbers:

# %%
def e17_document(pred, target):
    """The document's form: (1/m) Σ −2(ŷ − y), one number."""
    pred, target = np.asarray(pred), np.asarray(target)
    return np.mean(-2 * (pred - target))


def e17_correct(pred, target):
    """∂MSE/∂ŷᵢ = (2/m)(ŷᵢ − yᵢ), one entry per prediction  [E17 corrected]."""
    pred, target = np.asarray(pred), np.asarray(target)
    return 2 / len(pred) * (pred - target)


e17_cases = {}
for pred_, target_ in [((0.9, 0.3), (1.0, 0.0)), ((0.9, 0.1), (1.0, 0.0))]:
    check = numeric_gradient(lambda q: F.mse_loss(q, t64(target_)), pred_)
    doc, right = round(e17_document(pred_, target_), 12) + 0.0, e17_correct(pred_, target_)
    e17_cases[pred_] = (doc, right, check)
    print(f"ŷ = {pred_}, y = {target_}:  document {doc:+.4f};  correct {right};  gradient check {check.round(6)}")
    assert np.allclose(right, check, atol=1e-8)
    assert not np.allclose(np.full(2, doc), check, atol=1e-3)

# %% [markdown]
# The gradient check agrees with (2/m)(ŷ − y). On the document's own example (0.9, 0.1)
# its formula even gives 0, "the minimum", while the first prediction is too low and the
# second too high: the two entries of the true gradient, −0.1 and +0.1, cancel in the sum.
#
# ## 2. Cross-entropy with softmax (E5, E15, E20, E24, E26)
#
# A classifier outputs scores (logits) z; softmax turns them into probabilities
# ŷₖ = e^(zₖ) / Σⱼ e^(zⱼ); the loss is CE = −Σₖ yₖ log ŷₖ for a one-hot (or any probability)
# target y. The gradient with respect to the *logits* is famously simple. From
# log ŷₖ = zₖ − log Σⱼ e^(zⱼ):
#
# $$\frac{\partial \log\hat y_k}{\partial z_i} = [i = k] - \hat y_i
# \quad\Rightarrow\quad
# \frac{\partial\,\text{CE}}{\partial z_i} = -\sum_k y_k([i=k] - \hat y_i) = \hat y_i\sum_k y_k - y_i = \hat y_i - y_i ,$$
#
# using Σₖ yₖ = 1. The softmax Jacobian and the 1/ŷ of the log cancel completely. We
# check it three ways: autodiff through a separate softmax and log, tinynn's fused
# `F.cross_entropy`, and the formula ŷ − y.

# %%
logits = np.array([[2.0, -1.0, 0.5], [0.1, 0.2, 3.0]])
onehot = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
m = len(logits)

z_separate = t64(logits, grad=True)
probs = F.softmax(z_separate)
(-(t64(onehot) * probs.log()).sum() / m).backward()  # E15/E24: mean over the m samples

z_fused = t64(logits, grad=True)
F.cross_entropy(z_fused, tn.tensor([0, 1])).backward()  # class indices, mean over the batch

y_hat = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
formula = (y_hat - onehot) / m  # [E5], divided by m for the batch mean
print("softmax then log, autodiff:\n", np.asarray(z_separate.grad))
print("fused cross_entropy:\n", np.asarray(z_fused.grad))
print("(ŷ − y)/m:\n", formula)
assert np.allclose(np.asarray(z_separate.grad), formula, rtol=1e-12) and np.allclose(np.asarray(z_fused.grad), formula, rtol=1e-12)
assert np.allclose(numeric_gradient(lambda z: F.cross_entropy(z, tn.tensor([0, 1])), logits), formula, atol=1e-8)

# %% [markdown]
# Why fuse? The separate path computes log(softmax(z)); for large logits softmax rounds a
# probability to 0 and the log gives −inf. `F.cross_entropy` works with log-softmax
# (z − max z − log Σ e^(z − max z)), which stays finite:

# %%
big = np.array([[1000.0, 0.0, -1000.0]])
with np.errstate(all="ignore"):
    separate = -(t64([[0.0, 0.0, 1.0]]) * F.softmax(t64(big)).log()).sum().item()
fused = F.cross_entropy(t64(big), tn.tensor([2])).item()
print(f"target class 2 with logits {big[0]}: separate {separate}, fused {fused}")
assert np.isnan(separate) or np.isinf(separate)
assert fused == 2000.0

# %% [markdown]
# ### E15: over what does i run?
#
# Document 001 defines m as the number of samples, so in E15 = −(1/m) Σᵢ yᵢ log ŷᵢ the index
# i runs over **samples**. Read that way, with one label yᵢ ∈ {0, 1} and one predicted
# probability ŷᵢ per sample, the formula is not a usable loss: a sample with yᵢ = 0
# contributes 0 whatever is predicted for it, so it gets **no gradient**, and predicting
# ŷ = 1 for everything gives the smallest possible loss, 0. E15 is right only if i also runs
# over the classes, i.e. it is E24's double sum −(1/m) Σᵢ Σₖ yₖ⁽ⁱ⁾ log ŷₖ⁽ⁱ⁾; for two classes
# that is binary cross-entropy, which has the missing (1 − y) log(1 − ŷ) term.

# %%
p_pos = np.array([0.9, 0.8, 0.3])  # predicted probability of class 1, one number per sample
labels01 = np.array([1.0, 0.0, 0.0])  # samples 2 and 3 are negatives; sample 2 is badly wrong
q = t64(p_pos, grad=True)
e15_literal = -(t64(labels01) * q.log()).mean()  # −(1/m) Σᵢ yᵢ log ŷᵢ, i over samples
e15_literal.backward()
literal_grad = np.asarray(q.grad)
q_bce = t64(p_pos, grad=True)
F.binary_cross_entropy(q_bce, t64(labels01)).backward()  # −(1/m) Σᵢ [yᵢ log ŷᵢ + (1 − yᵢ) log(1 − ŷᵢ)]
bce_grad = np.asarray(q_bce.grad)
print("E15, i over samples: gradient", literal_grad.round(4) + 0.0, " (zero for both negatives)")
print("binary cross-entropy:  gradient", bce_grad.round(4))
assert np.allclose(literal_grad, [-1 / (3 * 0.9), 0.0, 0.0], atol=1e-12)  # by hand: −yᵢ/(m ŷᵢ)
assert np.allclose(bce_grad, (p_pos - labels01) / (p_pos * (1 - p_pos)) / 3, atol=1e-12)
assert bce_grad[1] > 1.0  # BCE pushes the wrong negative down hard
everything_positive = -(labels01 * np.log(np.ones(3))).mean()  # ŷᵢ = 1 for every sample
assert everything_positive == 0.0  # "always predict 1" minimises the literal reading
# with i over the classes too (rows (1 − ŷ, ŷ) and one-hot targets) it is binary cross-entropy:
two_class = -(np.stack([1 - labels01, labels01], 1) * np.log(np.stack([1 - p_pos, p_pos], 1))).sum() / 3
assert abs(two_class - F.binary_cross_entropy(t64(p_pos), t64(labels01)).item()) < 1e-12

# %% [markdown]
# **E24's z.** Document 003 writes log zₖ⁽ⁱ⁾ and defines zₖ⁽ⁱ⁾ as the *predicted
# probability* of sample i for class k (quoted above). With that definition E24 is
# correct: it is E15 with the sum over classes written out. The only trap is the letter:
# the same document calls the pre-activation z in E23 (z_l = Σⱼ w_lj a_j + b_l), and in most
# code z means the logits. Feed logits into E24's log and it breaks, since a logit can be
# negative. So tinynn's `F.cross_entropy` takes the logits and applies the (log-)softmax
# itself (class indices or probability rows as the target, the mean over the batch as E15);
# pass it probabilities and you would apply softmax twice.

# %%
with np.errstate(invalid="ignore"):
    log_of_logits = np.log(logits)  # what E24 would compute if z were taken to be the logits
print("log of the raw logits:", log_of_logits[0], "(NaN where a logit is negative)")
assert np.isnan(log_of_logits).any()
assert abs(F.cross_entropy(t64(logits), tn.tensor(onehot)).item()
           - (-(onehot * np.log(y_hat)).sum() / m)) < 1e-12  # E24 with z = softmax(logits)


# %% [markdown]
# ## 3. Binary cross-entropy and E11 (suspect)
#
# Document 000, §4.3 ("案例分析与讲解", case study):
#
# > Suppose a binary classification problem (二分类问题) with input features x, weights W,
# > bias b, output y and true value y₀. […] We compute the error with the cross-entropy
# > loss (使用交叉熵损失函数计算误差): Error = −[y₀ log(y) + (1 − y₀) log(1 − y)].
# > Differentiating with respect to W and b (对误差关于 W 和 b 求导):
# > ∂Error/∂W = (y − y₀) ∂y/∂z · x, ∂Error/∂b = (y − y₀) ∂y/∂z.
#
# (Here, as in document 000, y is the prediction and y₀ the target.) For one sigmoid
# output y = σ(z), z = Wx + b, and a 0/1 target y₀, document 000 uses
# Error = −[y₀ log y + (1 − y₀) log(1 − y)]. Its derivative with respect to the *output* is
# ∂E/∂y = (y − y₀) / (y(1 − y)), and y(1 − y) = σ'(z), so through the sigmoid
#
# $$\frac{\partial E}{\partial z} = \frac{y - y_0}{y(1-y)}\,\sigma'(z) = y - y_0,
# \qquad \frac{\partial E}{\partial W} = (y - y_0)\,x^\top .$$
#
# The σ' cancels. The document writes ∂E/∂W = (y − y₀) σ'(z) x, which keeps it: that is the
# gradient of the *squared* error ½(y − y₀)² (E9), not of cross-entropy.

# %%
x_e11 = np.array([0.5, -1.5, 2.0])
w_e11, b_e11, y0 = np.array([[0.2, -0.4, 0.1]]), np.array([0.1]), np.array([[1.0]])


def e11_document(x, w, b, y0):
    """∂E/∂W as document 000 writes it: (y − y₀) σ'(z) x."""
    y = 1 / (1 + np.exp(-(x @ w.T + b)))
    return (y - y0) * y * (1 - y) * x


def e11_correct(x, w, b, y0):
    """∂E/∂W = (y − y₀) x: the σ' factor cancels against BCE's 1/(y(1 − y))  [E11 corrected]."""
    y = 1 / (1 + np.exp(-(x @ w.T + b)))
    return (y - y0) * x


def bce_of_weights(w):
    y = F.sigmoid(F.linear(t64(x_e11[None]), w, t64(b_e11)))
    return F.binary_cross_entropy(y, t64(y0))


check = numeric_gradient(bce_of_weights, w_e11)
doc, right = e11_document(x_e11, w_e11, b_e11, y0), e11_correct(x_e11, w_e11, b_e11, y0)
z = (x_e11 @ w_e11.T + b_e11).item()
print(f"z = {z:.4f}, y = σ(z) = {1 / (1 + np.exp(-z)):.4f}, σ'(z) = {np.exp(-z) / (1 + np.exp(-z)) ** 2:.4f}")
print("document (y − y₀)σ'(z)x:", doc.round(6))
print("correct  (y − y₀)x:     ", right.round(6))
print("gradient check:         ", check.round(6))
assert np.allclose(right, check, atol=1e-8) and not np.allclose(doc, check, atol=1e-3)
e11_numbers = (doc, right, check)

# tinynn's fused BCE-with-logits has exactly this gradient, σ(z) − y₀, with respect to z:
zt = t64([[z]], grad=True)
F.binary_cross_entropy_with_logits(zt, t64(y0)).backward()
assert np.allclose(np.asarray(zt.grad), 1 / (1 + np.exp(-z)) - y0)

# %% [markdown]
# The factor matters most when the neuron is confidently wrong. With y₀ = 1 and z = −6 the
# document's gradient is (σ − 1)σ' ≈ −0.0025 per unit of x, the correct one ≈ −0.998: the
# document's rule would barely move a badly wrong neuron. The same plateau is why squared
# error on a sigmoid output trains slowly:

# %%
zs = np.linspace(-8, 8, 321)
ones = t64(np.ones_like(zs))
z_sq, z_ce = t64(zs, grad=True), t64(zs, grad=True)
squared = 0.5 * (F.sigmoid(z_sq) - ones) ** 2  # one loss per z
cross = F.binary_cross_entropy_with_logits(z_ce, ones, reduction="none")
squared.sum().backward()  # the sum's gradient is each point's own derivative
cross.sum().backward()
curves = {"½(σ(z) − 1)²  (E9's loss)": (squared.numpy(), np.abs(np.asarray(z_sq.grad))),
          "BCE, target 1 (E11's loss)": (cross.numpy(), np.abs(np.asarray(z_ce.grad)))}

fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
for name, (values, grads) in curves.items():
    axes[0].plot(zs, values, label=name)
    axes[1].plot(zs, grads, label=name)
axes[0].set(title="loss of one sigmoid output, target 1", xlabel="logit z", ylabel="loss", ylim=(0, 4))
axes[1].set(title="its slope: how hard training pushes", xlabel="logit z", ylabel="|∂loss/∂z|")
axes[1].axvline(-6, color="grey", ls=":", lw=1)
for ax in axes:
    ax.legend(fontsize=7)
save(fig, "04_losses.png")
mse_grad_at_minus6 = curves["½(σ(z) − 1)²  (E9's loss)"][1][np.argmin(np.abs(zs + 6))]
bce_grad_at_minus6 = curves["BCE, target 1 (E11's loss)"][1][np.argmin(np.abs(zs + 6))]
print(f"at z = −6: |∂/∂z| squared error {mse_grad_at_minus6:.4f}, cross-entropy {bce_grad_at_minus6:.4f}")
assert mse_grad_at_minus6 < 0.01 < 0.99 < bce_grad_at_minus6

# %% [markdown]
# ## 4. The worked example E18, number by number
#
# Document 001 §4.3 ("案例分析与讲解", case study):
#
# > Suppose a classification task: decide whether an image contains a cat. […] The model's
# > predicted probability distribution is ŷ = (0.9, 0.1), the true label y = (1, 0)
# > (模型预测的概率分布为 ŷ = (0.9, 0.1)，真实标签为 y = (1, 0)).
# > Step 1, the MSE loss (计算MSE损失): MSE = ½ · (0.9 − 1)² + (0.1 − 0)² = 0.05.
# > Step 2, the gradient (计算梯度): ∇_ŷ MSE = −2 · (0.9 − 1) = −0.2.
# > Step 3, update (更新参数) with learning rate α = 0.1:
# > ŷ_(t+1) = ŷ_t − α · ∇_ŷ MSE = (0.9, 0.1) − 0.1 · (−0.2) = (0.92, 0.08).
#
# Four conventions are in common use: the mean or the sum over the elements, with or
# without a ½ in front. We compute the loss and its gradient (by autodiff) under each.

# %%
def e18_recompute(y_hat, y, lr=0.1):
    """The worked example [E18] under the four MSE conventions: for each, the loss, its
    gradient with respect to ŷ (by autodiff) and the updated ŷ − lr · gradient."""
    conventions = {
        "mean (1/n)Σ (tinynn, PyTorch)": lambda q: F.mse_loss(q, t64(y)),
        "sum Σ": lambda q: F.mse_loss(q, t64(y), reduction="sum"),
        "½ sum ½Σ": lambda q: 0.5 * F.mse_loss(q, t64(y), reduction="sum"),
        "½ mean (1/2n)Σ": lambda q: 0.5 * F.mse_loss(q, t64(y)),
    }
    results = {}
    for name, fn in conventions.items():
        q = t64(y_hat, grad=True)
        value = fn(q)
        value.backward()
        grad = np.array(q.grad)  # a copy, as an array (whether .grad is an array or a Tensor)
        results[name] = (value.item(), grad, np.asarray(y_hat) - lr * grad)
    return results


y_hat18, y18 = np.array([0.9, 0.1]), np.array([1.0, 0.0])
e18 = e18_recompute(y_hat18, y18)
print(f"{'convention':32s} {'loss':>8s}  {'gradient':>16s}  {'ŷ − 0.1·gradient':>18s}")
for name, (value, grad, update) in e18.items():
    print(f"{name:32s} {value:8.4f}  {str(grad.round(4)):>16s}  {str(update.round(4)):>18s}")
as_printed = 0.5 * (0.9 - 1) ** 2 + (0.1 - 0) ** 2  # the document's expression, evaluated literally
print(f"the document's expression ½·(0.9 − 1)² + (0.1 − 0)² evaluates to {as_printed:.4f}")

# %% [markdown]
# Reading the document's three numbers against that table:
#
# 1. **Loss 0.05.** Its own expression evaluates to 0.015 (the ½ binds only to the first
#    square). The four conventions give 0.01, 0.02, 0.01 and 0.005. **0.05 matches none.**
# 2. **Gradient −0.2.** Arithmetic first: −2 · (0.9 − 1) = −2 · (−0.1) = **+0.2**, not −0.2
#    (the sign error of E17 at work). The true gradient is a vector; −0.2 is its *first
#    entry under the sum convention*, 2(ŷ₁ − y₁) = 2(−0.1). Under the mean convention it
#    would be −0.1.
# 3. **Update (0.92, 0.08).** A scalar −0.2 subtracted from both entries would give
#    (0.92, 0.12). (0.92, 0.08) is what the *vector* gradient of the **sum** convention,
#    (−0.2, +0.2), gives; the mean convention gives (0.91, 0.09).
#
# So the gradient and the update are consistent with L = Σᵢ(ŷᵢ − yᵢ)², no ½ and no 1/m,
# whose value here is 0.02; the printed loss fits no convention; the printed gradient
# expression has the wrong sign and is a scalar where a vector is needed. (The example
# also updates the predictions ŷ directly, as if they were the parameters; in a network
# the gradient would continue through ŷ to the weights.)

# %%
loss_values = {name: v[0] for name, v in e18.items()}
assert abs(as_printed - 0.015) < 1e-12
assert all(abs(v - 0.05) > 1e-3 for v in loss_values.values())  # 0.05 matches no convention
assert abs(-2 * (0.9 - 1) - 0.2) < 1e-12  # the printed expression is +0.2
_, grad_sum, update_sum = e18["sum Σ"]
assert np.allclose(grad_sum, [-0.2, 0.2]) and np.allclose(update_sum, [0.92, 0.08])
_, grad_mean, update_mean = e18["mean (1/n)Σ (tinynn, PyTorch)"]
assert np.allclose(grad_mean, [-0.1, 0.1]) and np.allclose(update_mean, [0.91, 0.09])
assert np.allclose(y_hat18 - 0.1 * -0.2, [0.92, 0.12])  # the scalar read literally
print("E18: gradient and update match the sum convention; the loss 0.05 matches none")

# %% [markdown]
# ## What we learned
# * MSE's gradient is (2/n)(ŷ − y), a vector (E4/E14; E17 as printed is a scalar with the
#   wrong sign, and is 0 on the document's own example).
# * Softmax + cross-entropy has gradient ŷ − y with respect to the logits (E5), per sample;
#   the batch mean (E15, E24) divides it by m. Fusing them keeps large logits finite.
# * E15 needs i to run over the classes as well as the samples (E24's double sum); with i
#   over samples only, negative samples get zero gradient. E24 is correct as written: its z
#   is defined as the predicted probability (pass logits to `F.cross_entropy`).
# * Sigmoid + binary cross-entropy has gradient (y − y₀)x: no σ' (E11 as printed keeps it,
#   and would stall on confidently wrong outputs).
# * E18's gradient and update follow the sum convention; its loss value 0.05 follows none.
#
# Next: [5. Backpropagation through an MLP](05_backprop_mlp.py).
