# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # 6. Optimizers: from gradient descent to AdamW, and learning-rate schedules
#
# Every document gives the same update rule, in four notations:
#
# | id | the document writes |
# |----|---------------------|
# | E12 | W ← W − α ∂E/∂W ;  b ← b − α ∂E/∂b  (000) |
# | E16 | θ_(t+1) = θ_t − α ∇_θ J(θ)  (001) |
# | E25 | θ = θ − α ∇_θ L(θ)  (003) |
# | E28 | w_new = w_old − α ∂L/∂w  (004) |
#
# That is plain gradient descent, and all four are correct. The documents also name Adam,
# AdamW and "adjusting the learning rate".
#
# **What the documents say** (see [documents.md](documents.md)). Document 001, §4.1
# (优化算法, optimisation algorithms):
# > Optimisation algorithms update the model parameters to minimise the loss; common ones
# > are gradient descent and Adam (常见的优化算法包括梯度下降（Gradient Descent）、Adam等).
# > They adjust the parameters iteratively until the minimum of the loss is found:
# > θ_(t+1) = θ_t − α · ∇_θ J(θ), where θ are the parameters, α the learning rate and J(θ)
# > the loss (其中，θ是模型参数，α是学习率，J(θ)是损失函数).
#
# Document 000, §4.3: W ← W − α ∂Error/∂W, b ← b − α ∂Error/∂b, "where α is the learning
# rate" (其中，α 为学习率). Document 003, §4.2.3: θ = θ − α ∇_θ L(θ). Document 004, §4.2:
# w_new = w_old − α · ∂L/∂w. Here we write each rule in a few lines of NumPy,
# check that `tinynn.optim` takes exactly the same steps, and draw their paths on a 2-d
# loss surface.

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

import matplotlib.pyplot as plt
import numpy as np
from _setup import FAST, save  # tutorials/_setup.py, found above

import tinynn as tn
from tinynn import nn, optim

# %% [markdown]
# ## The surface
#
# A long, narrow valley with its minimum at w* = (1, 1): L(w) = 0.05 (w₀ − 1)² + (w₁ − 1)².
# Its curvature is 20 times larger across the
# valley (w₁) than along it (w₀), the situation that makes plain gradient descent slow:
# a learning rate small enough not to bounce across the valley crawls along it.

# %%
def surface(w):
    """L(w) and ∂L/∂w for the valley, on NumPy arrays or tinynn tensors alike."""
    return 0.05 * (w[0] - 1) ** 2 + (w[1] - 1) ** 2


def surface_grad(w):
    return np.array([0.1 * (w[0] - 1), 2.0 * (w[1] - 1)])


start = np.array([-9.0, -1.0])
steps = 40 if FAST else 80


# %% [markdown]
# ## The rules, by hand
#
# Each function takes the gradient g and its own state and returns the step. The
# formulas follow PyTorch's (so what you learn here carries over):
#
# * **Gradient descent** [E12, E16, E25, E28]: θ ← θ − α g.
# * **Momentum**: a running sum of past gradients, b ← μ b + g, θ ← θ − α b. Steps that
#   agree add up (along the valley); steps that alternate cancel (across it).
# * **Nesterov**: the same buffer, but the step looks one move ahead: θ ← θ − α (g + μ b).
# * **Adam**: running means of g and g² (m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²), corrected
#   for starting at 0 (m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ)), then θ ← θ − α m̂/(√v̂ + ε): each
#   coordinate moves about α per step whatever the scale of its gradient.
# * **Adam with L2** (`Adam(weight_decay=λ)`): adds λθ to the gradient before all that.
# * **AdamW**: decoupled weight decay, θ ← θ(1 − αλ) first, then the Adam step on the plain
#   gradient. The decay no longer passes through √v̂, so every weight shrinks at the same
#   relative rate.

# %%
def gradient_descent(w, g, state, lr):
    """θ ← θ − α ∇θ  [E12, E16, E25, E28]."""
    return w - lr * g


def momentum(w, g, state, lr, mu, nesterov=False):
    buf = state["b"] = g.copy() if "b" not in state else mu * state["b"] + g
    return w - lr * (g + mu * buf if nesterov else buf)


def adam(w, g, state, lr, betas=(0.9, 0.999), eps=1e-8, l2=0.0, decoupled=0.0):
    beta1, beta2 = betas
    t = state["t"] = state.get("t", 0) + 1
    w = w * (1 - lr * decoupled)  # AdamW: shrink the weights directly
    g = g + l2 * w  # Adam's weight_decay: an L2 term in the gradient
    m = state["m"] = beta1 * state.get("m", 0.0) + (1 - beta1) * g
    v = state["v"] = beta2 * state.get("v", 0.0) + (1 - beta2) * g * g
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps)


def run_by_hand(rule, **hyper):
    w, state, path = start.copy(), {}, [start.copy()]
    for _ in range(steps):
        w = rule(w, surface_grad(w), state, **hyper)
        path.append(w.copy())
    return np.array(path)


def run_tinynn(make_optimizer):
    """The same descent with a tinynn Parameter, autodiff and an optimizer from tinynn.optim."""
    w = nn.Parameter(tn.tensor(start.copy()))  # float64, like the NumPy run
    opt = make_optimizer([w])
    path = [start.copy()]
    for _ in range(steps):
        opt.zero_grad()
        surface(w).backward()
        opt.step()
        path.append(w.numpy().copy())
    return np.array(path)


# %%
contenders = {
    "gradient descent, α=0.1": ((gradient_descent, dict(lr=0.1)), lambda p: optim.SGD(p, lr=0.1)),
    "momentum 0.9, α=0.1": ((momentum, dict(lr=0.1, mu=0.9)), lambda p: optim.SGD(p, lr=0.1, momentum=0.9)),
    "Nesterov 0.9, α=0.1": ((momentum, dict(lr=0.1, mu=0.9, nesterov=True)),
                            lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True)),
    "Adam, α=0.5": ((adam, dict(lr=0.5)), lambda p: optim.Adam(p, lr=0.5)),
    "Adam + L2 0.5, α=0.5": ((adam, dict(lr=0.5, l2=0.5)), lambda p: optim.Adam(p, lr=0.5, weight_decay=0.5)),
    "AdamW 0.5, α=0.5": ((adam, dict(lr=0.5, decoupled=0.5)), lambda p: optim.AdamW(p, lr=0.5, weight_decay=0.5)),
}
paths = {}
for name, ((rule, hyper), make) in contenders.items():
    by_hand, by_tinynn = run_by_hand(rule, **hyper), run_tinynn(make)
    assert np.allclose(by_hand, by_tinynn, rtol=1e-10, atol=1e-12), name
    paths[name] = by_tinynn
    print(f"{name:26s} loss after {steps} steps: {surface(by_tinynn[-1]):.2e}   final w = {by_tinynn[-1].round(4)}")
print("every hand-written rule took exactly the steps tinynn.optim took")

# %% [markdown]
# On this valley momentum and Nesterov get far ahead of plain gradient descent with the
# same α; Nesterov damps momentum's overshoot. Adam's steps are about α per coordinate
# from the start, whatever the gradient's scale.

# %%
final = {name: surface(p[-1]) for name, p in paths.items()}
assert final["momentum 0.9, α=0.1"] < final["gradient descent, α=0.1"] / 10
assert final["Nesterov 0.9, α=0.1"] < final["gradient descent, α=0.1"] / 10
assert all(v < surface(start) for v in final.values())
first_adam_step = paths["Adam, α=0.5"][1] - start
assert np.allclose(np.abs(first_adam_step), 0.5, rtol=1e-6)  # m̂/√v̂ = ±1 on the first step
print("Adam's first step:", first_adam_step)

fig, ax = plt.subplots(figsize=(7, 4))
gx, gy = np.meshgrid(np.linspace(-10, 4, 200), np.linspace(-1.5, 3.5, 120))
ax.contour(gx, gy, surface(np.stack([gx, gy])), levels=np.geomspace(0.01, 12, 14), colors="lightgrey",
           linewidths=0.8)
for name, path in paths.items():
    if "L2" in name:
        continue
    ax.plot(path[:, 0], path[:, 1], ".-", ms=3, lw=1, label=name)
ax.plot(*start, "ko")
ax.plot(1, 1, "k*", ms=10)
ax.set(xlabel="w₀ (along the valley)", ylabel="w₁ (across)", title=f"{steps} steps on L = 0.05 (w₀−1)² + (w₁−1)²")
ax.legend(fontsize=7, loc="lower right")
save(fig, "06_optimizer_paths.png")

# %% [markdown]
# ### Adam + L2 versus AdamW
#
# Both add a pull towards 0. With L2 inside Adam (λ = 0.5) the pull λw joins the gradient
# and passes through Adam's √v̂ with it; with AdamW the weights shrink by the factor
# (1 − αλ) outside Adam. After the steps above the two are at different points, but
# neither has **settled** there: both are still moving. Where does each go? We continue
# the hand-written rules (proved equal to `tinynn.optim` above) for 2000 steps:

# %%
long_steps = 2000


def run_long(**hyper):
    w, state, path = start.copy(), {}, [start.copy()]
    for _ in range(long_steps):
        w = adam(w, surface_grad(w), state, **hyper)
        path.append(w.copy())
    return np.array(path)


lam = 0.5
long_l2, long_w = run_long(lr=0.5, l2=lam), run_long(lr=0.5, decoupled=lam)
# Adam + L2 can only stop where gradient + λw = 0: the minimum of L(w) + (λ/2)‖w‖².
# For L = 0.05 (w₀ − 1)² + (w₁ − 1)² that is w₀ = 0.1/(0.1 + λ), w₁ = 2/(2 + λ):
l2_fixed_point = np.array([0.1 / (0.1 + lam), 2 / (2 + lam)])
for label, path in [("Adam + L2", long_l2), ("AdamW", long_w)]:
    moved_last = np.abs(path[steps] - path[steps - 10]).max()
    print(f"{label:9s} at step {steps}: {path[steps].round(4)} (moved {moved_last:.3f} in its last 10 steps); "
          f"step 500: {path[500].round(4)}; step {long_steps}: {path[-1].round(4)}")
print("the minimum of L + (λ/2)‖w‖²:", l2_fixed_point.round(4))
assert np.allclose(long_l2[:steps + 1], paths["Adam + L2 0.5, α=0.5"]) and np.allclose(long_w[:steps + 1],
                                                                                      paths["AdamW 0.5, α=0.5"])
for path in (long_l2, long_w):
    assert np.abs(path[steps] - path[steps - 10]).max() > 1e-3  # not settled after the first run
assert np.allclose(long_l2[500], l2_fixed_point, atol=1e-3) and np.allclose(long_l2[-1], l2_fixed_point, atol=1e-3)
assert np.abs(long_w[-1] - long_w[500]).max() > 0.05  # AdamW is still creeping at step 2000
assert np.all(long_w[-1] > long_w[500]) and np.all(long_w[-1] < 1)  # ... towards (1, 1), from below

# %% [markdown]
# Adam + L2 settles, a few hundred steps in, exactly at the minimum of the penalised loss
# L(w) + (λ/2)‖w‖², (1/6, 0.8): there gradient + λw = 0, so m̂ = 0 and Adam stops. AdamW has
# no such point: its decay αλw is balanced not by the gradient but by Adam's *normalised*
# step m̂/√v̂, whose size depends on the history of the gradients in v̂. Here it keeps
# creeping towards the true minimum (1, 1), still well short of it after 2000 steps. So
# the two regularisers differ not only in where they are after a fixed number of steps,
# but in what they converge to.

# %% [markdown]
# ## Learning-rate schedules
#
# "Adjust the learning rate" (document 000): start large to travel, end small to settle.
# A schedule rewrites `optimizer.param_groups[i]["lr"]` each time you call its `step()`
# (once per epoch, after `optimizer.step()`). tinynn has PyTorch's three classics; their
# closed forms:
# * `StepLR(step_size=s, gamma=γ)`: α_t = α₀ γ^⌊t/s⌋
# * `ExponentialLR(gamma=γ)`: α_t = α₀ γᵗ
# * `CosineAnnealingLR(T_max=T, eta_min=η)`: α_t = η + (α₀ − η)(1 + cos(πt/T))/2

# %%
epochs = 30
schedules = {
    "StepLR(10, 0.5)": (lambda o: optim.StepLR(o, step_size=10, gamma=0.5), lambda t: 0.5 ** (t // 10)),
    "ExponentialLR(0.9)": (lambda o: optim.ExponentialLR(o, gamma=0.9), lambda t: 0.9 ** t),
    "CosineAnnealingLR(30)": (lambda o: optim.CosineAnnealingLR(o, T_max=30),
                              lambda t: (1 + math.cos(math.pi * t / 30)) / 2),
}
lr_curves = {}
for name, (make, closed_form) in schedules.items():
    opt = optim.SGD([nn.Parameter(tn.zeros(1))], lr=1.0)
    scheduler = make(opt)
    lrs = []
    for epoch in range(epochs):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    lr_curves[name] = lrs
    assert np.allclose(lrs, [closed_form(t) for t in range(epochs)], rtol=1e-12), name

fig, ax = plt.subplots(figsize=(5, 3))
for name, lrs in lr_curves.items():
    ax.plot(lrs, label=name)
ax.set(xlabel="epoch", ylabel="learning rate (α₀ = 1)", title="three learning-rate schedules over 30 epochs")
ax.legend(fontsize=8)
save(fig, "06_schedules.png")

# %% [markdown]
# A schedule in action. In mini-batch training each gradient is a noisy estimate of the
# true one; we imitate that by adding Gaussian noise (σ = 2) to every gradient. With a
# constant α the weights keep bouncing around the minimum in a "noise ball"; as a cosine
# schedule shrinks α, the bounces shrink and the weights settle.

# %%
def noisy_descent(schedule=None, lr=0.4, seed=0):
    """SGD (momentum 0.5) on the valley with noisy gradients; mean loss of the last 10 steps."""
    noise = np.random.default_rng(seed)
    w = nn.Parameter(tn.tensor(start.copy()))
    opt = optim.SGD([w], lr=lr, momentum=0.5)
    scheduler = schedule(opt) if schedule else None
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        surface(w).backward()
        w.grad += noise.normal(size=2) * 2.0  # a noisy gradient, as from a small batch
        opt.step()
        if scheduler:
            scheduler.step()
        losses.append(surface(w.numpy()))
    return np.mean(losses[-10:])


constant = noisy_descent()
cosine = noisy_descent(lambda o: optim.CosineAnnealingLR(o, T_max=steps))
print(f"mean loss over the last 10 of {steps} noisy steps: constant α {constant:.3f}, cosine-annealed α {cosine:.3f}")
assert cosine < constant / 2

# %% [markdown]
# ## What we learned
# * E12, E16, E25 and E28 are one rule, plain gradient descent, and `optim.SGD` is it.
# * Momentum, Nesterov, Adam and AdamW are a few lines each; written by hand they take the
#   same steps as `tinynn.optim` to 10⁻¹⁰.
# * Adam's weight_decay (L2 in the gradient) and AdamW's decoupled decay are different
#   regularisers: Adam + L2 settles at the minimum of L + (λ/2)‖w‖²; AdamW, here, had not
#   settled after 2000 steps and was creeping towards the unpenalised minimum.
# * A schedule is just a rule for α over time; a decaying α lets a fast start settle.
#
# Next: [7. A real classifier](07_digits_classifier.py).
