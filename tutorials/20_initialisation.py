# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # 20. Initialisation: where the first weights come from
#
# Document 000 (§3.2, step 2) gives initialisation one paragraph:
#
# > **Model initialisation** randomly initialises the network's parameters, to avoid problems
# > such as vanishing or exploding gradients. Common initialisation methods include:
# > **zero initialisation**: set the parameters to 0; **Gaussian initialisation**: random values
# > from a Gaussian distribution; **uniform initialisation**: random values from a uniform
# > distribution.
# > (模型初始化是随机初始化神经网络参数，以避免梯度消失或梯度爆炸等问题。常用的初始化方法包括：
# > 零初始化：将参数初始化为0。高斯分布初始化：将参数初始化为服从高斯分布的随机值。
# > 均匀分布初始化：将参数初始化为服从均匀分布的随机值。)
#
# The goal is right, but the list leaves out the one thing that decides whether a deep
# network trains: the **scale** of the random values, which must depend on the layer's
# size. And "zero initialisation" is not a method for weights at all (section 1). In this
# tutorial we
# 1. see why all-zero weights cannot learn, and what loss a good initialisation starts at:
#    **−log(1/C)**;
# 2. derive the **fan-in variance** rule, then **Xavier/Glorot** and **Kaiming/He**, and check
#    `nn.init` against the formulas;
# 3. watch **activation and gradient statistics layer by layer** in a 10-layer network
#    under each scheme;
# 4. measure the **update-to-weight ratio** during training, a quick health check for the
#    learning rate.

# %%
# Find tutorials/_setup.py (the fast switch and the output folder, shared by the tutorials).
import sys
from pathlib import Path

here = Path.cwd()
candidates = [here / "_setup.py", *(d / "tutorials" / "_setup.py" for d in (here, *here.parents)),
              *here.glob("*/tutorials/_setup.py")]
sys.path += [str(p.parent) for p in candidates if p.is_file()][:1]

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
from _setup import FAST, save  # tutorials/_setup.py, found above

import tinynn as tn
import tinynn.functional as F
from tinynn import nn, optim
from tinynn.data import StandardScaler, load_digits

x_all, y_all = load_digits()
x_all = StandardScaler().fit(x_all).transform(x_all).astype("float32")
x_digits, y_digits = tn.tensor(x_all), tn.tensor(y_all)

# %% [markdown]
# ## 1. Zero weights, and the loss at initialisation
#
# **All zeros.** If every weight of a hidden layer is 0, every hidden unit computes the same
# function of the input and receives the same gradient, so after any number of steps they
# are still identical: the layer is one unit, copied. Worse, with the output weights also 0
# the hidden weights get no gradient at all (it flows back through W₂ = 0). Random values
# are there to **break the symmetry**. (Biases may start at 0; the weights break it.)

# %%
tn.manual_seed(0)
zero_net = nn.Sequential(nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 10))
for p in zero_net.parameters():
    nn.init.zeros_(p)
sgd = optim.SGD(zero_net.parameters(), lr=0.5)
for _ in range(20):
    loss = F.cross_entropy(zero_net(x_digits[:256]), y_digits[:256])
    sgd.zero_grad()
    loss.backward()
    sgd.step()
w1 = zero_net[0].weight.numpy()
print(f"zero init, 20 SGD steps: hidden weights still all zero: {np.all(w1 == 0)}; loss {loss.item():.3f}")
assert np.all(w1 == 0)  # ∂L/∂W1 = (W2ᵀδ ⊙ tanh′) xᵀ = 0 while W2 = 0 ...
assert np.allclose(zero_net[2].weight.numpy(), 0)  # ... and W2 stays 0: h = tanh(0) = 0, so ∂L/∂W2 = δ hᵀ = 0

# %% [markdown]
# Only the output bias learnt (the class frequencies). Now the **loss at initialisation**.
# A network that knows nothing should spread its probability evenly: p = 1/C for each of
# the C classes, so the cross-entropy is
#
# $$L_0 = -\log\frac1C = \log C \qquad (\log 10 = 2.303 \text{ for the digits}).$$
#
# That happens when the logits start **small**. Large random logits make the softmax
# confident (and usually wrong): the loss starts far above log C, and in large models the
# first steps are then spent only shrinking the logits (the "hockey stick" at the start of
# a loss curve). A common fix: scale the last layer's weights down (here by 0.01) or
# initialise them to zero (the symmetry is already broken by the hidden layers).
#
# The practical use is a **check**: compute the loss before the first step and compare it
# with log C. Far above means over-confident logits (a bad scale, or inputs that were not
# normalised); far below means the labels leak into the inputs or the loss is wrong.
# (Tutorial 21 adds this to its list of sanity checks.)

# %%
def mlp(scale_last=1.0, seed=0):
    tn.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    with tn.no_grad():
        model[2].weight.mul_(scale_last)
        model[2].bias.mul_(scale_last)
    return model


initial = {s: F.cross_entropy(mlp(s)(x_digits), y_digits).item() for s in (10.0, 1.0, 0.01)}
for s, l0 in initial.items():
    print(f"last layer scaled by {s:5}: loss at initialisation {l0:.3f}  (log 10 = {math.log(10):.3f})")
assert abs(initial[0.01] - math.log(10)) < 0.01
assert initial[10.0] > initial[1.0] > initial[0.01] - 0.01


# %% [markdown]
# ## 2. The fan-in rule, derived
#
# One unit of a layer computes z = Σᵢ₌₁ⁿ wᵢ xᵢ over its n inputs (n is the **fan-in**). If
# the wᵢ and xᵢ are independent with mean 0,
#
# $$\operatorname{Var}(z) = \sum_{i=1}^{n}\operatorname{Var}(w_i x_i)
#    = n\,\operatorname{Var}(w)\operatorname{Var}(x).$$
#
# With w ~ N(0, 1) the output's standard deviation grows as √n: √256 = 16 after one layer of
# width 256, 16¹⁰ after ten. To keep Var(z) = Var(x) we need **Var(w) = 1/n**, i.e.
# std 1/√fan_in. We measure it:

# %%
rng = np.random.default_rng(0)
for n in (16, 256, 1024):
    x = rng.normal(size=(2000, n))
    z_plain = x @ rng.normal(size=(n, 64))
    z_scaled = x @ (rng.normal(size=(n, 64)) / math.sqrt(n))
    print(f"fan-in {n:5d}: std of z with w~N(0,1) = {z_plain.std():6.2f} (√n = {math.sqrt(n):5.2f}); "
          f"with std 1/√n: {z_scaled.std():.3f}")
    assert abs(z_plain.std() / math.sqrt(n) - 1) < 0.05 and abs(z_scaled.std() - 1) < 0.05

# %% [markdown]
# ### Xavier (Glorot) and Kaiming (He)
#
# The backward pass has the same structure, transposed: ∂L/∂x = Wᵀ ∂L/∂z sums over the
# layer's n_out outputs, so keeping the gradient's variance needs Var(w) = 1/n_out. Glorot
# and Bengio (2010) compromise between the two:
#
# $$\text{Xavier: } \operatorname{Var}(w) = \frac{2}{n_\text{in}+n_\text{out}},\qquad
#   w\sim U\!\left(-\sqrt{\tfrac{6}{n_\text{in}+n_\text{out}}},\ \sqrt{\tfrac{6}{n_\text{in}+n_\text{out}}}\right)
#   \ \ (\operatorname{Var}\,U(-a,a) = a^2/3).$$
#
# That assumes an activation that is linear around 0 (tanh is). **ReLU** zeroes half of its
# inputs: for z symmetric around 0, E[relu(z)²] = ½ E[z²] = ½ Var(z). The next layer's
# Var(z) = n Var(w) E[x²] then halves every layer unless we double the weights' variance
# (He et al. 2015):
#
# $$\text{Kaiming: } \operatorname{Var}(w) = \frac{2}{n_\text{in}}, \quad\text{std} = \frac{\sqrt2}{\sqrt{n_\text{in}}} .$$
#
# In general std = gain/√fan_in, with `nn.init.calculate_gain`: 1 for linear/sigmoid,
# √2 for ReLU, 5/3 for tanh (an empirical value that offsets tanh's squashing).

# %%
z = rng.normal(size=1_000_000)
half = np.mean(np.maximum(z, 0) ** 2)
print(f"E[relu(z)²] for z ~ N(0,1): {half:.4f} (½ Var z = 0.5)")
assert abs(half - 0.5) < 0.005

fan_in, fan_out = 300, 100
checks = {
    "xavier_uniform_": (nn.init.xavier_uniform_, math.sqrt(2 / (fan_in + fan_out))),
    "xavier_normal_": (nn.init.xavier_normal_, math.sqrt(2 / (fan_in + fan_out))),
    "kaiming_normal_ (relu)": (lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"), math.sqrt(2 / fan_in)),
    "kaiming_uniform_ (relu)": (lambda w: nn.init.kaiming_uniform_(w, nonlinearity="relu"), math.sqrt(2 / fan_in)),
}
tn.manual_seed(0)
for name, (init, expected) in checks.items():
    w = tn.empty(fan_out, fan_in)  # PyTorch's layout (out, in): fan-in is the second axis
    init(w)
    print(f"nn.init.{name:24s} std {w.numpy().std():.4f}  formula {expected:.4f}")
    assert abs(w.numpy().std() / expected - 1) < 0.02
bound = math.sqrt(6 / (fan_in + fan_out))
nn.init.xavier_uniform_(w)
assert np.abs(w.numpy()).max() <= bound
assert abs(nn.init.calculate_gain("relu") - math.sqrt(2)) < 1e-12 and abs(nn.init.calculate_gain("tanh") - 5 / 3) < 1e-12

# %% [markdown]
# And the default? `nn.Linear` (as PyTorch's) draws U(−1/√fan_in, 1/√fan_in), i.e. std
# 1/√(3·fan_in): a third of the variance the fan-in rule asks for, a sixth of Kaiming's.
# For shallow networks that is harmless; in a deep plain stack it shrinks the signal layer
# after layer, as the next section shows.

# %%
default_std = nn.Linear(256, 256).weight.numpy().std()
print(f"nn.Linear(256, 256) default std {default_std:.4f} = 1/√(3·256) = {1 / math.sqrt(3 * 256):.4f}")
assert abs(default_std * math.sqrt(3 * 256) - 1) < 0.02

# %% [markdown]
# ## 3. Activation statistics, layer by layer
#
# A 10-layer network of width 256 on a batch of random inputs, forward and backward once.
# For each layer we record the standard deviation of its activations and of the gradient
# reaching its weights, under five initialisations: too small (std 0.01), too large
# (std 1), nn.Linear's default, and the right ones (Xavier with tanh's gain 5/3 for tanh,
# Kaiming for ReLU). For tanh we also count **saturated** units (|tanh| > 0.97), where the
# derivative 1 − tanh² < 0.06 kills the gradient.

# %%
depth, width = 10, 256
x_probe = tn.randn(512, width)


def deep_stats(init, activation, seed=0):
    """(activation std, saturated fraction, weight-gradient std) for each of `depth` layers."""
    tn.manual_seed(seed)
    linears = [nn.Linear(width, width) for _ in range(depth)]
    for lin in linears:
        if init is not None:
            init(lin.weight)
        nn.init.zeros_(lin.bias)
    h, acts = x_probe, []
    for lin in linears:
        h = activation(lin(h))
        h.retain_grad()
        acts.append(h)
    h.mean().backward()  # the same upstream gradient 1/numel everywhere: only the layers scale it
    act_std = [a.numpy().astype("float64").std() for a in acts]  # float64: std 1 overflows a float32 square
    saturated = [np.mean(np.abs(a.numpy()) > 0.97) for a in acts]
    grad_std = [np.asarray(lin.weight.grad).astype("float64").std() for lin in linears]
    return np.array(act_std), np.array(saturated), np.array(grad_std), acts


schemes = {
    "std 0.01": lambda w: nn.init.normal_(w, std=0.01),
    "std 1": lambda w: nn.init.normal_(w, std=1.0),
    "nn.Linear default": None,
    "Xavier·5/3 (tanh) / Kaiming (relu)": "right",
}
stats = {}
for act_name, act in (("tanh", F.tanh), ("relu", F.relu)):
    for name, init in schemes.items():
        if init == "right":
            init = ((lambda w: nn.init.xavier_normal_(w, gain=5 / 3)) if act_name == "tanh"
                    else (lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu")))
        stats[act_name, name] = deep_stats(init, act)
        a, s, g, _ = stats[act_name, name]
        saturation = f"saturated (layer 10) {s[-1]:5.1%}; " if act_name == "tanh" else ""
        print(f"{act_name:4s} {name:34s} activation std layer 1 → 10: {a[0]:9.3g} → {a[-1]:9.3g}; "
              f"{saturation}weight-gradient std layer 1 / layer 10: {g[0] / g[-1]:9.3g}")

right = "Xavier·5/3 (tanh) / Kaiming (relu)"
good_tanh, good_relu = stats["tanh", right], stats["relu", right]
assert 0.5 < good_relu[0][-1] / good_relu[0][0] < 2  # Kaiming keeps ReLU activations steady
assert 0.3 < good_tanh[0][-1] < 0.9 and good_tanh[1][-1] < 0.1  # tanh: neither fading nor saturated
tiny = stats["relu", "std 0.01"][0]
per_layer = 0.01 * math.sqrt(width / 2)  # Var(z) = n·Var(w)·E[x²] and E[relu(z)²] = Var(z)/2
print(f"relu, std 0.01: layer 10 / layer 1 = {tiny[-1] / tiny[0]:.3g}, formula (0.01·√(256/2))⁹ = {per_layer ** 9:.3g}")
assert 0.5 < (tiny[-1] / tiny[0]) / per_layer ** 9 < 2
assert stats["tanh", "std 1"][1][-1] > 0.7  # std 1: most tanh units saturated
assert stats["relu", "nn.Linear default"][0][-1] < 0.1 * stats["relu", "nn.Linear default"][0][0]

# %% [markdown]
# The numbers follow the formula. With std 0.01 and ReLU each layer multiplies the std by
# 0.01·√(256/2) ≈ 0.11, so after ten layers almost nothing is left; with std 1 and tanh the
# pre-activations have std ≈ 16 and most units sit at ±1. Kaiming keeps ReLU activations at
# a constant scale; Xavier with gain 5/3 keeps tanh's at ~0.6 with few saturated units. The
# picture shows the activations' spread per layer and, on the right, histograms of the tanh
# activations.

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
for ax, act_name in zip(axes[:2], ("tanh", "relu")):
    for name in schemes:
        ax.semilogy(range(1, depth + 1), stats[act_name, name][0], "o-", label=name, markersize=4)
    ax.set(xlabel="layer", ylabel="std of the activations (log scale)",
           title=f"{depth} × Linear({width}) + {act_name}: activations at initialisation")
    ax.legend()
for name, colour in (("std 1", "tab:orange"), (right, "tab:red"), ("nn.Linear default", "tab:green")):
    last = stats["tanh", name][3][-1].numpy().ravel()
    axes[2].hist(last, bins=60, range=(-1, 1), histtype="step", color=colour, linewidth=1.5,
                 label=f"{name}: {np.mean(np.abs(last) > 0.97):.0%} saturated")
axes[2].set(xlabel="tanh output at layer 10", ylabel="count (512 samples × 256 units)",
            title="Where the tanh units sit (layer 10)")
axes[2].legend(loc="upper center", bbox_to_anchor=(0.5, -0.16))
fig.tight_layout()
save(fig, "20_activation_stats.png")

# %% [markdown]
# ## 4. The update-to-weight ratio
#
# Once training runs, one number tells whether the learning rate is in a sensible range:
# for each weight matrix, the size of one step's update relative to the size of the weights,
#
# $$r = \frac{\operatorname{std}(\Delta W)}{\operatorname{std}(W)},\qquad \Delta W = W_{t+1} - W_t .$$
#
# A common rule of thumb (from Karpathy's lectures) is log₁₀ r ≈ −3: each step changes the
# weights by about a thousandth. Much smaller and the network learns slowly; much larger
# (−1 and up) and the weights are rewritten every few steps. We train the digits MLP
# (64 → 128 → 128 → 10, ReLU, Kaiming) with SGD at three learning rates and record r per
# layer at every step. For plain SGD ΔW = −lr·∂L/∂W, so on the first step (same weights,
# same batch) r is exactly proportional to lr; later the runs' gradients differ.

# %%
def ratios_for(lr, steps, seed=0):
    tn.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10))
    linears = [m for m in model if isinstance(m, nn.Linear)]
    for lin in linears[:-1]:
        nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
    opt = optim.SGD(model.parameters(), lr=lr)
    order = np.random.default_rng(seed)
    history, losses = [], []
    for _ in range(steps):
        idx = order.integers(0, len(x_all), size=64)
        loss = F.cross_entropy(model(x_digits[idx]), y_digits[idx])
        opt.zero_grad()
        loss.backward()
        before = [lin.weight.numpy().copy() for lin in linears]
        opt.step()
        history.append([np.std(lin.weight.numpy() - b) / np.std(b) for lin, b in zip(linears, before)])
        losses.append(loss.item())
    return np.log10(np.array(history)), np.array(losses)


ratio_steps = 80 if FAST else 300
runs = {lr: ratios_for(lr, ratio_steps) for lr in (0.0005, 0.05, 2.0)}
for lr, (log_r, losses) in runs.items():
    print(f"SGD lr {lr:6}: median log10(update/weight) per layer {np.median(log_r, axis=0).round(2)}; "
          f"loss of the last 10 steps {losses[-10:].mean():.3f}")
median = {lr: np.median(log_r) for lr, (log_r, _) in runs.items()}
assert -4 < median[0.05] < -2  # the sensible learning rate sits near the rule of thumb
assert median[0.0005] < median[0.05] < median[2.0]
# the first step starts from the same weights and batch, so there r is exactly proportional to lr
first = {lr: log_r[0] for lr, (log_r, _) in runs.items()}
assert np.allclose(first[0.05] - first[0.0005], 2.0, atol=1e-4) and np.allclose(first[2.0] - first[0.05], math.log10(40), atol=1e-4)
assert runs[0.05][1][-10:].mean() < runs[0.0005][1][-10:].mean()  # and the tiny one barely learns

fig, axes = plt.subplots(1, 2, figsize=(12, 4))
for lr, (log_r, _) in runs.items():
    line = axes[0].plot(log_r[:, 1], label=f"lr {lr} (layer 2)")[0]
    axes[0].plot(log_r[:, 0], color=line.get_color(), linestyle=":", linewidth=0.8)
axes[0].axhline(-3, color="k", linewidth=0.8, linestyle="--", label="rule of thumb 10⁻³")
axes[0].set(xlabel="SGD step", ylabel="log₁₀ std(ΔW) / std(W)",
            title="Update-to-weight ratio (solid: layer 2, dotted: layer 1)")
axes[0].legend()
for lr, (_, losses) in runs.items():
    axes[1].plot(np.convolve(losses, np.ones(5) / 5, mode="valid"), label=f"lr {lr}")
axes[1].axhline(math.log(10), color="k", linewidth=0.8, linestyle="--", label="log 10: the loss of guessing")
axes[1].set(xlabel="SGD step", ylabel="cross-entropy (moving average of 5)", title="The same runs: training loss")
axes[1].legend()
fig.tight_layout()
save(fig, "20_update_ratio.png")

# %% [markdown]
# ## What we learned
# * Zero weights never break the symmetry (here: never move at all); biases can start at 0.
# * A well-initialised classifier starts at loss log C (2.303 for ten classes); scale the last
#   layer down to get there, or waste the first steps.
# * Var(Σ wᵢxᵢ) = n Var(w) Var(x): weights need std ∝ 1/√fan_in. Xavier (2/(n_in+n_out))
#   balances forward and backward for tanh-like units; Kaiming (2/n_in) makes up for the half
#   of the signal ReLU removes. `nn.init` matches the formulas; `nn.Linear`'s default is a
#   third of the fan-in variance.
# * Plot activation statistics per layer before training deep nets: a fading or saturating
#   stack shows at once.
# * log₁₀ of the update-to-weight ratio near −3 is a quick sign that the learning rate is sane.
#
# Next: [21. Training sanity checks](21_training_sanity_checks.py).
