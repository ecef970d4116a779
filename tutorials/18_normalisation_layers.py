# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # 18. Normalisation layers: BatchNorm, forward and backward
#
# Every document normalises its *input data* before training. Document 000 (§3.2, step 1,
# data preprocessing) says:
#
# > **Data normalisation**: scale the data to the same range, to avoid differences of scale
# > between different features.
# > (数据归一化：将数据缩放到相同的范围，以避免不同特征之间的尺度差异。)
#
# and document 004 (§4.3, its cat-and-dog CNN) normalises images "so that they have the same
# feature distribution" (对图像进行归一化处理，使其具有相同的特征分布). Tutorial 7 did this
# for the digits with a `StandardScaler`.
#
# **Batch normalisation** (Ioffe and Szegedy, 2015) applies the same idea *inside* the
# network: before a layer, every feature is standardised with the mean and variance of the
# current mini-batch, then scaled and shifted by two learnt vectors γ and β. In this
# tutorial we
# 1. write BatchNorm's forward in NumPy and match `nn.BatchNorm1d` in training mode,
#    including its **running statistics** (and why they use the *unbiased* variance);
# 2. see the difference between **train and eval** mode, and the bugs it causes;
# 3. derive the **backward pass** at tensor level, check it against tinynn's autodiff and
#    wrap it in a `tn.Function` that `tn.gradcheck` approves;
# 4. watch what it does to a deep network's activations and training.
#
# (LayerNorm, which normalises each sample over its features instead, is in tutorial 11.)

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
from tinynn import nn, optim
from tinynn.data import StandardScaler, load_digits

# %% [markdown]
# ## 1. The forward pass, and the running statistics
#
# For a mini-batch x of shape (N, C) (N samples, C features), BatchNorm computes per
# feature c, over the batch axis:
#
# $$\mu_c = \frac1N\sum_{n} x_{nc},\qquad \sigma^2_c = \frac1N\sum_n (x_{nc}-\mu_c)^2,\qquad
#   \hat x_{nc} = \frac{x_{nc}-\mu_c}{\sqrt{\sigma^2_c+\varepsilon}},\qquad
#   y_{nc} = \gamma_c\,\hat x_{nc} + \beta_c .$$
#
# The variance that normalises the batch is the *biased* one (divided by N): it is what
# makes x̂ have variance exactly σ²/(σ²+ε) ≈ 1 on this batch. ε (1e-5) keeps the division
# safe when a feature is constant. γ and β (`weight` and `bias`, initially 1 and 0) let the
# network undo the normalisation where that helps: with γ = σ and β = μ, y = x again.
#
# At test time there may be one sample, or the batch may not be representative, so the
# layer also keeps **running estimates** of each feature's mean and variance, moved a
# fraction `momentum` (0.1) towards each training batch's values:
#
# $$\hat\mu \leftarrow (1-m)\,\hat\mu + m\,\mu_{\text{batch}},\qquad
#   \hat\sigma^2 \leftarrow (1-m)\,\hat\sigma^2 + m\,\frac{N}{N-1}\sigma^2_{\text{batch}} .$$
#
# The factor N/(N−1) (Bessel's correction) turns the batch variance into an unbiased
# estimate of the *population's* variance, which is what the running value estimates.
# (PyTorch does the same; `momentum` here weights the *new* value, the opposite of the
# optimizer's convention.)

# %%
rng = np.random.default_rng(0)
N, C = 16, 4
x_np = rng.normal(loc=[2.0, -1.0, 0.0, 5.0], scale=[1.0, 3.0, 0.1, 2.0], size=(N, C))
gamma_np, beta_np = rng.uniform(0.5, 1.5, C), rng.normal(size=C)
eps, momentum = 1e-5, 0.1


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    """BatchNorm in training mode on an (N, C) array; returns y and what backward needs."""
    mu = x.mean(axis=0)
    var = ((x - mu) ** 2).mean(axis=0)  # biased: divide by N
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    return gamma * x_hat + beta, (x_hat, inv_std, gamma, mu, var)


y_np, cache = batchnorm_forward(x_np, gamma_np, beta_np)
x_hat_np = cache[0]
print("per-feature mean of x̂:", x_hat_np.mean(axis=0).round(12), " std:", x_hat_np.std(axis=0).round(6))
assert np.allclose(x_hat_np.mean(axis=0), 0, atol=1e-12)
assert np.allclose(x_hat_np.var(axis=0), cache[4] / (cache[4] + eps))  # σ²/(σ²+ε): 1 up to ε

bn = nn.BatchNorm1d(C, eps=eps, momentum=momentum, dtype=tn.float64)
with tn.no_grad():
    bn.weight.copy_(tn.tensor(gamma_np))
    bn.bias.copy_(tn.tensor(beta_np))
y_tn = bn(tn.tensor(x_np))
print("max |hand − nn.BatchNorm1d|:", np.abs(y_tn.numpy() - y_np).max())
assert np.allclose(y_tn.numpy(), y_np, atol=1e-12)

# the running statistics after this one batch, by the formula above
expected_mean = (1 - momentum) * 0.0 + momentum * x_np.mean(axis=0)
expected_var = (1 - momentum) * 1.0 + momentum * x_np.var(axis=0, ddof=1)  # unbiased
print("running_mean:", bn.running_mean.numpy().round(4), " running_var:", bn.running_var.numpy().round(4))
assert np.allclose(bn.running_mean.numpy(), expected_mean) and np.allclose(bn.running_var.numpy(), expected_var)
assert int(bn.num_batches_tracked.item()) == 1

# %% [markdown]
# How fast do the running estimates find the population's statistics? After k batches the
# initial value (mean 0, variance 1) still has weight (1 − m)ᵏ: 0.9¹⁰ ≈ 0.35, 0.9⁵⁰ ≈ 0.005.
# So a model evaluated after only a few training steps normalises with estimates that are
# still mostly the initial 0 and 1. We feed batches of 8 from a population with known
# mean and variance, and keep beside the layer's running variance the one a *biased*
# update (no N/(N−1)) would give: averaged over many batches, only the unbiased one settles
# on the true variance; the biased one is low by the factor (N−1)/N = 0.875.

# %%
steps, n_run = 400, 8  # tiny batches: a few milliseconds in all
true_mean, true_std = np.array([2.0, -1.0, 0.0, 5.0]), np.array([1.0, 3.0, 0.1, 2.0])
bn_run = nn.BatchNorm1d(C, momentum=momentum, dtype=tn.float64)
biased_var, history = np.ones(C), []
for k in range(steps):
    batch = rng.normal(true_mean, true_std, size=(n_run, C))
    bn_run(tn.tensor(batch))
    biased_var = (1 - momentum) * biased_var + momentum * batch.var(axis=0)
    history.append((bn_run.running_mean.numpy()[1], bn_run.running_var.numpy()[1], biased_var[1]))
history = np.array(history)

# the two updates differ only by N/(N-1) on every batch's term; the initial 1 decays as 0.9^k
decay = (1 - momentum) ** np.arange(1, steps + 1)
assert np.allclose(history[:, 1] - decay, n_run / (n_run - 1) * (history[:, 2] - decay))
late = slice(50, None)  # after 50 batches the initial value weighs 0.9^50 = 0.5 %
ratio_unbiased = history[late, 1].mean() / true_std[1] ** 2
ratio_biased = history[late, 2].mean() / true_std[1] ** 2
print(f"feature 1 (population variance {true_std[1] ** 2:.1f}), batches 50-{steps} averaged: running_var / truth"
      f" = {ratio_unbiased:.3f} (unbiased update), {ratio_biased:.3f} (biased; (N-1)/N = {(n_run - 1) / n_run:.3f})")
assert abs(ratio_unbiased - 1) < abs(ratio_biased - 1) and abs(ratio_unbiased - 1) < 0.05
assert abs(history[late, 0].mean() - true_mean[1]) < 0.1 * true_std[1]  # the mean finds μ as well

# %% [markdown]
# ## 2. Train mode and eval mode
#
# `model.train()` (the default) and `model.eval()` switch every BatchNorm in a model:
#
# | mode | statistics used | running estimates | a sample's output depends on |
# |------|-----------------|-------------------|------------------------------|
# | `train()` | this batch's μ, σ² | updated | the *other samples in the batch* |
# | `eval()`  | the running μ̂, σ̂² | frozen | that sample only |
#
# In training the output for one sample changes when you change its batch-mates: BatchNorm
# couples the samples (which is also a mild regulariser). In eval it is a fixed affine map
# per feature, y = γ (x − μ̂)/√(σ̂²+ε) + β, which can be folded into the preceding Linear
# or Conv layer for deployment. Forgetting `model.eval()` before testing is a classic bug:
# predictions then depend on which images happen to share a batch, and a batch of one
# sample cannot be normalised at all.

# %%
first = tn.tensor(x_np[:1])
with_mates_a = tn.cat([first, tn.tensor(x_np[1:8])])
with_mates_b = tn.cat([first, tn.tensor(rng.normal(size=(7, C)))])
bn_run.train()
train_a, train_b = bn_run(with_mates_a).numpy()[0], bn_run(with_mates_b).numpy()[0]
bn_run.eval()
frozen_mean = bn_run.running_mean.numpy().copy()
eval_a, eval_b = bn_run(with_mates_a).numpy()[0], bn_run(with_mates_b).numpy()[0]
eval_alone = bn_run(first).numpy()[0]
print("sample 0 in train mode, two different batches:", train_a.round(3), train_b.round(3))
print("sample 0 in eval mode,  two different batches:", eval_a.round(3), eval_b.round(3))
assert np.abs(train_a - train_b).max() > 0.1  # batch-mates change the output in training
assert np.allclose(eval_a, eval_b) and np.allclose(eval_a, eval_alone)  # not in eval
assert np.array_equal(bn_run.running_mean.numpy(), frozen_mean)  # eval does not update them
eval_by_formula = (x_np[0] - frozen_mean) / np.sqrt(bn_run.running_var.numpy() + eps) * 1.0 + 0.0
assert np.allclose(eval_alone, eval_by_formula)

try:
    bn_run.train()
    bn_run(first)
except ValueError as error:
    print("a batch of one in train mode:", str(error)[:110], "...")
else:
    raise AssertionError("BatchNorm should refuse to normalise a single sample in training")

# %% [markdown]
# ## 3. The backward pass, derived by hand
#
# Given the upstream gradient g = ∂L/∂y (shape (N, C)), the parameters are easy, because
# y = γ x̂ + β is elementwise in n and summed over the batch:
#
# $$\frac{\partial L}{\partial \beta_c} = \sum_n g_{nc},\qquad
#   \frac{\partial L}{\partial \gamma_c} = \sum_n g_{nc}\,\hat x_{nc},\qquad
#   \frac{\partial L}{\partial \hat x_{nc}} = g_{nc}\,\gamma_c .$$
#
# The input is the interesting part: each x_{nc} reaches the loss three ways, directly
# through x̂_{nc}, and through μ_c and σ²_c, which every x̂_{mc} of the feature uses. Write
# s = 1/√(σ²+ε) and d = ∂L/∂x̂ (one feature c, dropped from the indices). The chain rule
# (E27), summing over all paths:
#
# $$\frac{\partial L}{\partial \sigma^2} = \sum_m d_m (x_m-\mu)\cdot\left(-\tfrac12\right)s^3,
#   \qquad
#   \frac{\partial L}{\partial \mu} = -s\sum_m d_m \;+\; \frac{\partial L}{\partial \sigma^2}
#      \cdot\underbrace{\frac{-2}{N}\sum_m (x_m-\mu)}_{=0},$$
#
# $$\frac{\partial L}{\partial x_n} = d_n s + \frac{\partial L}{\partial \sigma^2}\frac{2(x_n-\mu)}{N}
#   + \frac{\partial L}{\partial \mu}\frac1N .$$
#
# Substituting x_m − μ = x̂_m / s and collecting terms gives the compact form that is worth
# remembering:
#
# $$\boxed{\;\frac{\partial L}{\partial x_n} = \frac{s}{N}\Big(N d_n - \sum_m d_m
#   - \hat x_n \sum_m d_m \hat x_m\Big)\;}$$
#
# Read it as: take the gradient d, remove its mean, and remove its component along x̂. Those
# are exactly the two directions the normalisation throws away (shifting all x of a feature
# by the same amount, or scaling them about their mean, leaves x̂ unchanged), so the
# gradient can have no component along them: Σₙ ∂L/∂xₙ = 0 always, and Σₙ ∂L/∂xₙ · x̂ₙ = 0
# when ε = 0. (With ε > 0 scaling does change x̂ a little; since Σₙ x̂ₙ² = N σ²/(σ²+ε), the
# second sum is s · ε/(σ²+ε) · Σₙ dₙ x̂ₙ, negligible unless a feature's variance is near ε:
# our feature 2 has σ² = 0.01, and there the remainder is visible.)

# %%
def batchnorm_backward(grad_y, cache):
    """Gradients of BatchNorm (training mode) w.r.t. x, gamma, beta from the upstream grad_y."""
    x_hat, inv_std, gamma, _, _ = cache
    n = grad_y.shape[0]
    grad_beta = grad_y.sum(axis=0)
    grad_gamma = (grad_y * x_hat).sum(axis=0)
    d = grad_y * gamma  # ∂L/∂x̂
    grad_x = inv_std / n * (n * d - d.sum(axis=0) - x_hat * (d * x_hat).sum(axis=0))
    return grad_x, grad_gamma, grad_beta


# an arbitrary upstream gradient: L = Σ w ⊙ y for a fixed random w (so ∂L/∂y = w)
upstream = rng.normal(size=(N, C))
hand_dx, hand_dgamma, hand_dbeta = batchnorm_backward(upstream, cache)

x_t = tn.tensor(x_np, requires_grad=True)
bn_grad = nn.BatchNorm1d(C, eps=eps, dtype=tn.float64)
with tn.no_grad():
    bn_grad.weight.copy_(tn.tensor(gamma_np))
    bn_grad.bias.copy_(tn.tensor(beta_np))
(bn_grad(x_t) * tn.tensor(upstream)).sum().backward()
for name, hand, auto in [("x", hand_dx, x_t.grad), ("gamma", hand_dgamma, bn_grad.weight.grad),
                         ("beta", hand_dbeta, bn_grad.bias.grad)]:
    gap = np.abs(hand - np.asarray(auto)).max()
    print(f"∂L/∂{name:5s} hand vs autodiff: max |difference| = {gap:.1e}")
    assert gap < 1e-12, name
print("Σₙ ∂L/∂x:", hand_dx.sum(axis=0).round(12), "  Σₙ ∂L/∂x · x̂:", (hand_dx * x_hat_np).sum(axis=0).round(12))
assert np.allclose(hand_dx.sum(axis=0), 0, atol=1e-12)
_, inv_std_np, _, _, var_np = cache
d_np = upstream * gamma_np
remainder = inv_std_np * eps / (var_np + eps) * (d_np * x_hat_np).sum(axis=0)
assert np.allclose((hand_dx * x_hat_np).sum(axis=0), remainder, rtol=1e-9, atol=1e-14)
hand_dx_eps0, _, _ = batchnorm_backward(upstream, batchnorm_forward(x_np, gamma_np, beta_np, eps=0.0)[1])
x_hat_eps0 = batchnorm_forward(x_np, gamma_np, beta_np, eps=0.0)[1][0]
assert np.allclose((hand_dx_eps0 * x_hat_eps0).sum(axis=0), 0, atol=1e-11)  # exactly 0 for ε = 0

# %% [markdown]
# `nn.BatchNorm1d` gets its gradient by composition: tinynn's mean, subtract, multiply and
# rsqrt each know their own backward, and the engine chains ~10 of them. Our boxed formula
# does the same work in one step, which is how fused implementations (cuDNN's) do it. As a
# `tn.Function` (tutorial 8) it becomes a layer of its own, and `tn.gradcheck` compares it
# with central differences element by element.

# %%
class BatchNormFunction(tn.Function):
    """Training-mode batch norm on (N, C) with the hand-derived backward."""

    def forward(self, x, gamma, beta):
        y, self.cache = batchnorm_forward(x, gamma, beta)
        return y

    def backward(self, grad):
        return batchnorm_backward(grad, self.cache)


def batchnorm_by_hand(x, gamma, beta):
    return BatchNormFunction()(x, gamma, beta)


inputs = [tn.tensor(x_np[:6, :3], requires_grad=True), tn.tensor(gamma_np[:3], requires_grad=True),
          tn.tensor(beta_np[:3], requires_grad=True)]
assert tn.gradcheck(batchnorm_by_hand, inputs)
assert tn.gradcheck(lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True), inputs)
print("gradcheck: the hand-derived backward and tinynn's composition both agree with central differences")

# %% [markdown]
# A single wrong sign is caught. Drop the last term of the boxed formula (forgetting that σ²
# depends on x, a common slip) and gradcheck names the first wrong element:

# %%
class ForgotTheVariance(BatchNormFunction):
    def backward(self, grad):
        x_hat, inv_std, gamma, _, _ = self.cache
        d = grad * gamma
        grad_x = inv_std * (d - d.mean(axis=0))  # treats σ as a constant
        return grad_x, (grad * x_hat).sum(axis=0), grad.sum(axis=0)


try:
    tn.gradcheck(lambda x, g, b: ForgotTheVariance()(x, g, b), inputs)
except tn.GradcheckError as error:
    print("gradcheck caught it:", str(error).splitlines()[0][:120])
else:
    raise AssertionError("gradcheck should reject the backward that ignores the variance")

# %% [markdown]
# ### BatchNorm2d: one statistic per channel
#
# After a convolution the input is (N, C, H, W). A feature map's channel detects the same
# pattern at every position, so BatchNorm2d takes one mean and one variance per channel
# over N·H·W values. It is exactly BatchNorm1d applied to the array with (N, H, W)
# flattened into the batch axis, and so is its backward:

# %%
images = rng.normal(size=(4, 3, 5, 5)) * np.array([1.0, 2.0, 0.5])[None, :, None, None]
as_rows = images.transpose(0, 2, 3, 1).reshape(-1, 3)  # (N·H·W, C)
y_rows, _ = batchnorm_forward(as_rows, np.ones(3), np.zeros(3))
y_2d = nn.BatchNorm2d(3, dtype=tn.float64)(tn.tensor(images)).numpy()
assert np.allclose(y_2d.transpose(0, 2, 3, 1).reshape(-1, 3), y_rows, atol=1e-12)
print("BatchNorm2d == BatchNorm1d over the N·H·W rows of each channel")

# %% [markdown]
# ## 4. What it does to a deep network
#
# A stack of eight Linear + tanh layers on the standardised digits, initialised with a
# weight scale that is too small (std 0.5/√fan_in instead of ~1/√fan_in, see tutorial 20)
# and zero biases: each layer roughly halves the signal, so the deep activations and their gradients fade. The same
# stack with a BatchNorm before every tanh re-standardises each layer's input, whatever the
# weights' scale. We train both with the same SGD learning rate and record the loss and the
# standard deviation of each layer's pre-activation at initialisation.

# %%
x_all, y_all = load_digits()
x_all = StandardScaler().fit(x_all[:1200]).transform(x_all[:1200]).astype("float32")
y_all = y_all[:1200]
depth, width = 8, 64


def deep_net(use_bn, seed):
    tn.manual_seed(seed)
    layers, fan_in = [], 64
    for _ in range(depth):
        linear = nn.Linear(fan_in, width)
        with tn.no_grad():
            nn.init.normal_(linear.weight, std=0.5 / np.sqrt(fan_in))
            nn.init.zeros_(linear.bias)
        layers += [linear] + ([nn.BatchNorm1d(width)] if use_bn else []) + [nn.Tanh()]
        fan_in = width
    return nn.Sequential(*layers, nn.Linear(width, 10))


def preactivation_stds(model, x):
    """Std of the input of every tanh, layer by layer (one forward pass, training mode)."""
    stds, h = [], x
    for layer in model:
        if isinstance(layer, nn.Tanh):
            stds.append(float(h.numpy().std()))
        h = layer(h)
    return stds


def train(model, steps, lr=0.1, batch=64, seed=0):
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    order = np.random.default_rng(seed)
    losses = []
    for _ in range(steps):
        idx = order.integers(0, len(x_all), size=batch)
        loss = F.cross_entropy(model(tn.tensor(x_all[idx])), tn.tensor(y_all[idx]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return np.array(losses)


train_steps = 120 if FAST else 400
plain, normed = deep_net(False, 0), deep_net(True, 0)
stds_plain = preactivation_stds(plain, tn.tensor(x_all[:256]))
stds_bn = preactivation_stds(normed, tn.tensor(x_all[:256]))
loss_plain, loss_bn = train(plain, train_steps), train(normed, train_steps)


def smooth(v, k=10):
    return np.convolve(v, np.ones(k) / k, mode="valid")


tail = slice(-20, None)
print("pre-activation std by layer, plain:    ", np.round(stds_plain, 3))
print("pre-activation std by layer, BatchNorm:", np.round(stds_bn, 3))
print(f"mean loss of the last 20 steps: plain {loss_plain[tail].mean():.3f}, "
      f"BatchNorm {loss_bn[tail].mean():.3f} (start: ln 10 = {np.log(10):.3f})")
assert stds_plain[-1] < 0.1 * stds_plain[0]  # the plain stack's signal fades with depth
assert all(abs(s - 1) < 0.01 for s in stds_bn)  # BatchNorm restores std 1 at every layer
assert loss_bn[tail].mean() < 0.5 * loss_plain[tail].mean()

fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(14, 3.8))
ax1.plot(history[:, 1], label="running_var (unbiased update)")
ax1.plot(history[:, 2], label="biased update", linestyle="--")
ax1.axhline(true_std[1] ** 2, color="k", linewidth=0.8, label=f"population variance {true_std[1] ** 2:.0f}")
ax1.set(xlabel="training batches seen", ylabel="estimate of the variance (feature 1)",
        title=f"Running statistics (momentum 0.1, N = {n_run})")
ax1.legend()
layers_axis = np.arange(1, depth + 1)
ax2.semilogy(layers_axis, stds_plain, "o-", label="Linear + tanh")
ax2.semilogy(layers_axis, stds_bn, "s-", label="Linear + BatchNorm + tanh")
ax2.set(xlabel="layer", ylabel="std of the tanh input (log scale)", title="Pre-activations at initialisation")
ax2.legend()
ax3.plot(smooth(loss_plain), label="Linear + tanh")
ax3.plot(smooth(loss_bn), label="with BatchNorm")
ax3.set(xlabel="SGD step", ylabel="cross-entropy (moving average of 10)",
        title=f"Training a {depth}-layer net on the digits, lr 0.1")
ax3.legend()
fig.tight_layout()
save(fig, "18_batchnorm.png")

# %% [markdown]
# ## What we learned
# * BatchNorm standardises each feature with the **batch's** mean and biased variance, then
#   applies a learnt γ, β; it keeps **running** estimates (unbiased variance, momentum 0.1)
#   for evaluation. After k batches the initial values still weigh 0.9ᵏ.
# * In `train()` a sample's output depends on its batch-mates; in `eval()` BatchNorm is a
#   fixed affine map. Call `model.eval()` before testing.
# * The backward: ∂L/∂β = Σg, ∂L/∂γ = Σ g x̂, and
#   ∂L/∂x = (s/N)(N d − Σd − x̂ Σ d x̂) with d = g γ: the gradient with its mean and its
#   x̂-component removed. It matched autodiff to 10⁻¹², passed `tn.gradcheck`, and gradcheck
#   caught the version that forgets σ² depends on x.
# * In a deep, badly scaled stack BatchNorm keeps every layer's pre-activation at std 1 and
#   trains where the plain stack stalls.
#
# Next: [19. Becoming a backprop ninja](19_backprop_ninja.py): a whole model's backward by hand.
