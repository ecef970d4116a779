# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # 23. RNNs, LSTMs and backpropagation through time
#
# Two of the documents' programs are recurrent. Document 000 (§5.2) builds a Keras text
# classifier from an embedding, two LSTM layers and a dense output, and explains (§5.3):
#
# > **LSTM layer**: used to process sequence data and extract time-step features.
# > (LSTM 层（LSTM）：用于处理序列数据，提取时间步特征。)
#
# Document 002 (§5.2) writes the same in PyTorch, `self.lstm = nn.LSTM(hidden_size,
# hidden_size)` followed by `self.fc(x[-1, :, :])`: the output at the **last time step**
# (PyTorch's default layout is (time, batch, features), so `x[-1]` is right there).
# Document 000 also warns, about initialisation, of "vanishing or exploding gradients"
# (梯度消失或梯度爆炸). Recurrent networks are where those two words come from. In this
# tutorial we
# 1. write a vanilla RNN's forward pass and match `nn.RNN`;
# 2. derive **backpropagation through time** (BPTT) and check it tensor by tensor against
#    autodiff;
# 3. show why gradients **explode or vanish**: a product of T Jacobians, measured against
#    ρᵀ;
# 4. tame explosions with **gradient clipping** (`tn.nn.utils.clip_grad_norm_`), checked
#    against its formula and in training;
# 5. write an **LSTM** cell and its BPTT by hand, match `nn.LSTM`, and see why its cell
#    state carries gradients further than a plain RNN.

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

rng = np.random.default_rng(0)
tn.manual_seed(0)  # nn.RNN and nn.LSTM draw their initial weights from tinynn's generator

# %% [markdown]
# ## 1. A vanilla RNN, forward
#
# A recurrent layer reads a sequence x₁ … x_T one step at a time and keeps a hidden state
# h_t, the summary of everything read so far. With PyTorch's names and shapes
# (W_ih: (H, I), W_hh: (H, H)):
#
# $$a_t = W_{ih}\,x_t + b_{ih} + W_{hh}\,h_{t-1} + b_{hh},\qquad h_t = \tanh(a_t),\qquad h_0 \text{ given (zeros by default)}.$$
#
# The same weights are used at every step: an RNN is one layer applied T times, or a
# T-layer network whose layers share their weights. `nn.RNN` returns the stack of all
# h_t, shape (T, B, H), and the last one, h_n.

# %%
T, B, I, H = 6, 3, 4, 5
x_np = rng.normal(size=(T, B, I))
h0_np = rng.normal(size=(B, H)) * 0.5
rnn = nn.RNN(I, H, dtype=tn.float64)
P = {name: p.numpy() for name, p in rnn.named_parameters()}


def rnn_forward(x, h0, p):
    """Every hidden state, (T + 1, B, H) with h[0] = h0."""
    h = [h0]
    for t in range(len(x)):
        a = x[t] @ p["weight_ih_l0"].T + p["bias_ih_l0"] + h[-1] @ p["weight_hh_l0"].T + p["bias_hh_l0"]
        h.append(np.tanh(a))
    return np.stack(h)


hs = rnn_forward(x_np, h0_np, P)
xt = tn.tensor(x_np, requires_grad=True)
h0t = tn.tensor(h0_np[None], requires_grad=True)  # (num_layers, B, H)
out, h_n = rnn(xt, h0t)
print(f"output {tuple(out.shape)}, h_n {tuple(h_n.shape)}; max |hand − nn.RNN| = {np.abs(hs[1:] - out.numpy()).max():.1e}")
assert np.allclose(hs[1:], out.numpy(), atol=1e-12) and np.allclose(hs[-1], h_n.numpy()[0], atol=1e-12)

# %% [markdown]
# ## 2. Backpropagation through time
#
# Let the loss depend on every output, L = Σ_t ℓ_t(h_t) (for a loss on the last step only,
# the other ℓ_t are 0). h_t influences L in two ways: **directly** through ℓ_t, and
# **through the future**, because h_{t+1} is computed from it. So the total gradient
# δ_t = ∂L/∂h_t obeys a recursion that runs **backwards in time**:
#
# $$\delta_T = \frac{\partial \ell_T}{\partial h_T},\qquad
#   \delta_t = \frac{\partial \ell_t}{\partial h_t} + W_{hh}^\top\Big(\delta_{t+1}\odot(1-h_{t+1}^2)\Big).$$
#
# With g_t = δ_t ⊙ (1 − h_t²) = ∂L/∂a_t (tanh′ = 1 − tanh²), the shared weights collect a
# contribution from **every** step (a weight used T times: its gradients add):
#
# $$\frac{\partial L}{\partial W_{hh}} = \sum_{t=1}^{T} g_t\,h_{t-1}^\top,\quad
#   \frac{\partial L}{\partial W_{ih}} = \sum_t g_t\,x_t^\top,\quad
#   \frac{\partial L}{\partial b} = \sum_t g_t,\quad
#   \frac{\partial L}{\partial x_t} = W_{ih}^\top g_t,\quad
#   \frac{\partial L}{\partial h_0} = W_{hh}^\top g_1 .$$
#
# (With a batch, each outer product g hᵀ is a sum over the batch: the matrix product gᵀh.)
# That is all BPTT is: ordinary backprop on the unrolled network, remembering that the
# layers share weights. We take ℓ_t = Σ w_t ⊙ h_t with fixed random w_t (so ∂ℓ_t/∂h_t = w_t)
# and compare everything with autodiff.

# %%
upstream = rng.normal(size=(T, B, H))  # ∂ℓ_t/∂h_t
(out * tn.tensor(upstream)).sum().backward()


def rnn_backward(x, hs, p, upstream):
    grads = {k: np.zeros_like(v) for k, v in p.items()}
    dx = np.zeros_like(x)
    g_next = np.zeros_like(hs[0])
    for t in reversed(range(len(x))):  # hs[t + 1] is h_t, hs[t] is h_{t-1}
        delta = upstream[t] + g_next @ p["weight_hh_l0"]  # direct + through the future
        g = delta * (1 - hs[t + 1] ** 2)  # ∂L/∂a_t
        grads["weight_ih_l0"] += g.T @ x[t]
        grads["weight_hh_l0"] += g.T @ hs[t]
        grads["bias_ih_l0"] += g.sum(0)
        grads["bias_hh_l0"] += g.sum(0)
        dx[t] = g @ p["weight_ih_l0"]
        g_next = g
    dh0 = g_next @ p["weight_hh_l0"]
    return grads, dx, dh0


grads, dx, dh0 = rnn_backward(x_np, hs, P, upstream)
for name, param in rnn.named_parameters():
    gap = np.abs(grads[name] - np.asarray(param.grad)).max()
    print(f"∂L/∂{name:13s} BPTT by hand vs autodiff: {gap:.1e}")
    assert gap < 1e-12, name
assert np.allclose(dx, np.asarray(xt.grad), atol=1e-12) and np.allclose(dh0, np.asarray(h0t.grad)[0], atol=1e-12)
print("∂L/∂x_t for every t and ∂L/∂h_0 match too")

# %% [markdown]
# ## 3. Why gradients explode or vanish
#
# Unroll the recursion for a loss on the last step only: the gradient that reaches h₀ is
# a product of T Jacobians,
#
# $$\frac{\partial L}{\partial h_0} = \Big(\prod_{t=1}^{T} W_{hh}^\top\,\mathrm{diag}(1-h_t^2)\Big)\,
#   \frac{\partial L}{\partial h_T}.$$
#
# While the activations are small, tanh′ ≈ 1 and the product is (W_hhᵀ)ᵀ: its size is set
# by W_hh's singular values. Take W_hh = ρ·Q with Q orthogonal (every singular value
# exactly ρ): then ‖∂L/∂h₀‖ = ρᵀ ‖∂L/∂h_T‖. ρ = 0.8 over 30 steps gives 0.8³⁰ ≈ 10⁻³
# (vanishing: the loss cannot learn from what happened 30 steps ago); ρ = 1.2 gives
# 1.2³⁰ ≈ 240 (exploding). A general W_hh behaves like this with ρ its largest singular
# value (explosion) or spectral radius; saturated tanh units (tanh′ ≈ 0) make vanishing
# more likely still. We measure it with tiny inputs (so tanh′ ≈ 1) and autodiff.

# %%
def grad_norm_to_h0(rho, steps, hidden=32, seed=0):
    """‖∂L/∂h_0‖ for L = Σ w ⊙ h_T (‖w‖ = 1), W_hh = ρ·orthogonal, inputs of size 1e-4."""
    tn.manual_seed(seed)
    cell = nn.RNN(1, hidden, dtype=tn.float64)
    with tn.no_grad():
        nn.init.orthogonal_(cell.weight_hh_l0)
        cell.weight_hh_l0.mul_(rho)
        cell.bias_ih_l0.zero_()
        cell.bias_hh_l0.zero_()
    local = np.random.default_rng(seed)
    h0 = tn.zeros(1, 1, hidden, dtype=tn.float64, requires_grad=True)
    w = local.normal(size=(1, hidden))
    _, h_last = cell(tn.tensor(1e-4 * local.normal(size=(steps, 1, 1))), h0)
    (h_last[0] * tn.tensor(w / np.linalg.norm(w))).sum().backward()
    return float(np.linalg.norm(np.asarray(h0.grad)))


lengths = np.arange(1, 31)
norms = {rho: np.array([grad_norm_to_h0(rho, n) for n in lengths]) for rho in (0.8, 1.0, 1.2)}
for rho, values in norms.items():
    per_step = np.exp(np.polyfit(lengths, np.log(values), 1)[0])  # slope of log ‖·‖ against T
    print(f"ρ = {rho}: ‖∂L/∂h0‖ after 30 steps {values[-1]:9.3g} (ρ³⁰ = {rho ** 30:9.3g}); "
          f"measured factor per step {per_step:.4f}")
    assert abs(per_step / rho - 1) < 0.01 and abs(values[-1] / rho ** 30 - 1) < 0.05

# %% [markdown]
# ## 4. Gradient clipping
#
# Vanishing gradients need a better architecture (section 5) or initialisation; exploding
# ones have a blunt, effective remedy (Pascanu et al. 2013): if the gradient's norm over
# **all** parameters jointly exceeds a threshold c, scale all of it down to norm c,
#
# $$g \leftarrow g\cdot\min\!\Big(1,\ \frac{c}{\lVert g\rVert}\Big),\qquad
#   \lVert g\rVert = \sqrt{\textstyle\sum_{\text{params}}\sum g^2}.$$
#
# The direction is kept; only the length of the step is bounded, so one freak batch near a
# "cliff" of the loss cannot throw the weights far away. `tn.nn.utils.clip_grad_norm_`
# does it in place, as PyTorch's, and returns the norm *before* clipping (worth logging).
# (Like PyTorch it divides by ‖g‖ + 10⁻⁶, so the clipped norm is a hair below c.)

# %%
params = list(rnn.parameters())
raw = [np.asarray(p.grad).copy() for p in params]
total_by_hand = math.sqrt(sum((g ** 2).sum() for g in raw))
max_norm = 0.25 * total_by_hand
returned = nn.utils.clip_grad_norm_(params, max_norm).item()
clipped_norm = math.sqrt(sum((np.asarray(p.grad) ** 2).sum() for p in params))
print(f"norm before {total_by_hand:.4f} (returned {returned:.4f}); after clipping to {max_norm:.4f}: {clipped_norm:.4f}")
factor = max_norm / (total_by_hand + 1e-6)  # PyTorch's formula, with its 1e-6 guard against 0/0
assert abs(returned - total_by_hand) < 1e-9 and abs(clipped_norm - factor * total_by_hand) < 1e-9
for g_raw, p in zip(raw, params):  # same direction: every gradient scaled by the same factor
    assert np.allclose(np.asarray(p.grad), g_raw * factor, rtol=1e-12, atol=0)
nn.utils.clip_grad_norm_(params, 10 * total_by_hand)  # below the threshold: nothing changes
assert all(np.allclose(np.asarray(p.grad), g * factor, rtol=1e-12, atol=0) for g, p in zip(raw, params))

# %% [markdown]
# In training: an RNN must remember the **first** of 20 random numbers and output it at the
# end (a memory task; loss = squared error). Its recurrent matrix starts at ρ = 1.5 and
# we use a large learning rate (SGD, 0.05, momentum 0.9). We train twice from the same
# weights on the same batches, without and with clipping at norm 1. Always answering 0
# would score 1.0 (the variance of the number to remember); a model that learnt the task
# scores near 0.

# %%
seq_len, hidden = 20, 32
train_steps = 150 if FAST else 400


def memory_task(clip, steps, rho=1.5, lr=0.05, seed=0):
    tn.manual_seed(seed)
    model_rnn, head = nn.RNN(1, hidden), nn.Linear(hidden, 1)
    with tn.no_grad():
        nn.init.orthogonal_(model_rnn.weight_hh_l0)
        model_rnn.weight_hh_l0.mul_(rho)
    params = list(model_rnn.parameters()) + list(head.parameters())
    opt = optim.SGD(params, lr=lr, momentum=0.9)
    local = np.random.default_rng(seed)
    losses, norms = [], []
    for _ in range(steps):
        x = local.normal(size=(seq_len, 64, 1)).astype("float32")
        out, _ = model_rnn(tn.tensor(x))
        loss = F.mse_loss(head(out[-1]), tn.tensor(x[0]))  # out[-1]: the last step, as document 002
        opt.zero_grad()
        loss.backward()
        norms.append(nn.utils.clip_grad_norm_(params, clip).item())  # clip = inf: only measures
        opt.step()
        losses.append(loss.item())
    return np.array(losses), np.array(norms)


loss_free, norm_free = memory_task(float("inf"), train_steps)
loss_clip, norm_clip = memory_task(1.0, train_steps)
tail = slice(-50, None)
print(f"without clipping: gradient norm median {np.median(norm_free):.2f}, max {norm_free.max():.1f}; "
      f"loss of the last 50 steps {loss_free[tail].mean():.3f}")
print(f"clipped at 1:     gradient norm median {np.median(norm_clip):.2f}, max {norm_clip.max():.1f}; "
      f"loss of the last 50 steps {loss_clip[tail].mean():.3f}  (predicting 0 scores 1.0)")
assert loss_clip[tail].mean() < 0.5 * loss_free[tail].mean()
assert loss_free[tail].mean() > 1.0 > 5 * loss_clip[tail].mean()  # unclipped: worse than always predicting 0
assert norm_free.max() > 10 * np.median(norm_clip)  # the unclipped run meets gradient spikes

# %% [markdown]
# ## 5. The LSTM, by hand
#
# The LSTM (Hochreiter and Schmidhuber 1997) adds a **cell state** c_t, changed only by
# elementwise gates. With PyTorch's gate order (i, f, g, o) stacked in W_ih (4H, I) and
# W_hh (4H, H):
#
# $$\begin{aligned}
# [a_i, a_f, a_g, a_o] &= W_{ih}x_t + b_{ih} + W_{hh}h_{t-1} + b_{hh}\\
# i = \sigma(a_i),\ f &= \sigma(a_f),\ g = \tanh(a_g),\ o = \sigma(a_o)\\
# c_t &= f\odot c_{t-1} + i\odot g,\qquad h_t = o\odot\tanh(c_t).
# \end{aligned}$$
#
# Backward through one step, given ∂L/∂h_t (from the loss and from step t+1) and ∂L/∂c_t
# (from step t+1), every line is the chain rule on one of the equations above:
#
# $$\begin{aligned}
# \partial o &= \partial h_t\odot\tanh c_t, &
# \partial c_t &\mathrel{+}= \partial h_t\odot o\odot(1-\tanh^2 c_t),\\
# \partial f &= \partial c_t\odot c_{t-1},\quad \partial i = \partial c_t\odot g,\quad
#   \partial g = \partial c_t\odot i, &
# \partial c_{t-1} &= \partial c_t\odot f,\\
# \partial a_{i,f,o} &= \partial(i,f,o)\odot\sigma(1-\sigma),\quad \partial a_g = \partial g\odot(1-g^2), &
# \partial h_{t-1} &= W_{hh}^\top\,\partial a,\quad \partial x_t = W_{ih}^\top\,\partial a,
# \end{aligned}$$
#
# and the weights sum ∂a·(input)ᵀ over steps, exactly as for the RNN.

# %%
lstm = nn.LSTM(I, H, dtype=tn.float64)
LP = {name: p.numpy() for name, p in lstm.named_parameters()}
c0_np = rng.normal(size=(B, H)) * 0.5


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def lstm_forward(x, h0, c0, p):
    h, c, cache = [h0], [c0], []
    for t in range(len(x)):
        a = x[t] @ p["weight_ih_l0"].T + p["bias_ih_l0"] + h[-1] @ p["weight_hh_l0"].T + p["bias_hh_l0"]
        ai, af, ag, ao = np.split(a, 4, axis=1)
        i, f, g, o = sigmoid(ai), sigmoid(af), np.tanh(ag), sigmoid(ao)
        c.append(f * c[-1] + i * g)
        h.append(o * np.tanh(c[-1]))
        cache.append((i, f, g, o))
    return np.stack(h), np.stack(c), cache


def lstm_backward(x, hs, cs, cache, p, upstream):
    grads = {k: np.zeros_like(v) for k, v in p.items()}
    dx = np.zeros_like(x)
    dh_next, dc_next = np.zeros_like(hs[0]), np.zeros_like(cs[0])
    for t in reversed(range(len(x))):
        i, f, g, o = cache[t]
        dh = upstream[t] + dh_next
        tanh_c = np.tanh(cs[t + 1])
        do = dh * tanh_c
        dc = dc_next + dh * o * (1 - tanh_c ** 2)
        df, di, dg = dc * cs[t], dc * g, dc * i
        da = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g ** 2), do * o * (1 - o)], axis=1)
        grads["weight_ih_l0"] += da.T @ x[t]
        grads["weight_hh_l0"] += da.T @ hs[t]
        grads["bias_ih_l0"] += da.sum(0)
        grads["bias_hh_l0"] += da.sum(0)
        dx[t] = da @ p["weight_ih_l0"]
        dh_next, dc_next = da @ p["weight_hh_l0"], dc * f  # to step t-1: through W_hh, and along c
    return grads, dx, dh_next, dc_next


hs_l, cs_l, cache_l = lstm_forward(x_np, h0_np, c0_np, LP)
xt = tn.tensor(x_np, requires_grad=True)
h0t, c0t = tn.tensor(h0_np[None], requires_grad=True), tn.tensor(c0_np[None], requires_grad=True)
out_l, (hn_l, cn_l) = lstm(xt, (h0t, c0t))
assert np.allclose(hs_l[1:], out_l.numpy(), atol=1e-12) and np.allclose(cs_l[-1], cn_l.numpy()[0], atol=1e-12)
(out_l * tn.tensor(upstream)).sum().backward()
grads_l, dx_l, dh0_l, dc0_l = lstm_backward(x_np, hs_l, cs_l, cache_l, LP, upstream)
for name, param in lstm.named_parameters():
    gap = np.abs(grads_l[name] - np.asarray(param.grad)).max()
    print(f"LSTM ∂L/∂{name:13s} by hand vs autodiff: {gap:.1e}")
    assert gap < 1e-12, name
assert np.allclose(dx_l, np.asarray(xt.grad), atol=1e-12)
assert np.allclose(dh0_l, np.asarray(h0t.grad)[0], atol=1e-12) and np.allclose(dc0_l, np.asarray(c0t.grad)[0], atol=1e-12)
print("LSTM forward (h, c) and every gradient (weights, x_t, h_0, c_0) match nn.LSTM's autodiff")

# %% [markdown]
# ### Why the cell state helps
#
# Look at the line ∂c_{t−1} = ∂c_t ⊙ f. Along the cell state the gradient is multiplied
# **elementwise by the forget gate**, not by a matrix and a squashing derivative. Where the
# network keeps f ≈ 1 ("remember"), the gradient passes many steps nearly unchanged: the
# "constant error carousel". A common trick is therefore to initialise the forget gate's
# bias to a positive value (here 2, f ≈ σ(2) = 0.88 at the start) so that memories survive
# until training decides otherwise.
#
# We measure how much of the gradient of a loss on the **last** step reaches each input
# x_t, for a plain RNN and LSTMs, all with the default initialisation, over 60 steps.

# %%
def input_gradients(kind, steps=60, forget_bias=0.0, seed=0):
    tn.manual_seed(seed)
    layer = nn.RNN(8, 32, dtype=tn.float64) if kind == "rnn" else nn.LSTM(8, 32, dtype=tn.float64)
    if kind == "lstm":
        with tn.no_grad():
            layer.bias_hh_l0[32:64].add_(forget_bias)  # the f block of (i, f, g, o)
    x = tn.tensor(np.random.default_rng(seed).normal(size=(steps, 4, 8)), requires_grad=True)
    out = layer(x)[0]
    out[-1].sum().backward()
    return np.linalg.norm(np.asarray(x.grad).reshape(steps, -1), axis=1)


flow = {"RNN": input_gradients("rnn"), "LSTM": input_gradients("lstm"),
        "LSTM, forget bias +2": input_gradients("lstm", forget_bias=2.0)}
reach = {name: g[0] / g[-1] for name, g in flow.items()}  # first input vs last input
for name, r in reach.items():
    print(f"{name:21s}: ‖∂L/∂x_1‖ / ‖∂L/∂x_60‖ = {r:.2e}")
assert reach["RNN"] < reach["LSTM"] < reach["LSTM, forget bias +2"]
assert reach["LSTM, forget bias +2"] > 1e3 * reach["RNN"]

fig, axes = plt.subplots(2, 2, figsize=(12, 8))
axes = axes.ravel()
for rho, values in norms.items():
    line = axes[0].semilogy(lengths, values, "o", markersize=3, label=f"measured, ρ = {rho}")[0]
    axes[0].semilogy(lengths, float(rho) ** lengths, color=line.get_color(), linewidth=0.8)
axes[0].set(xlabel="sequence length T", ylabel="‖∂L/∂h₀‖ (log scale)",
            title="BPTT: the gradient scales as ρᵀ (lines: ρᵀ)")
axes[0].legend()
for name, g in flow.items():
    axes[1].semilogy(np.arange(1, len(g) + 1), g, label=name)
axes[1].set(xlabel="input step t (the loss is on step 60)", ylabel="‖∂L/∂x_t‖ (log scale)",
            title="How far back the gradient reaches")
axes[1].legend()
axes[2].semilogy(norm_free, label="no clipping", color="tab:red", linewidth=0.8)
axes[2].semilogy(norm_clip, label="clip_grad_norm_(…, 1.0)", color="tab:green", linewidth=0.8)
axes[2].axhline(1.0, color="k", linestyle="--", linewidth=0.8, label="max_norm = 1")
axes[2].set(xlabel="SGD step (lr 0.05, momentum 0.9)", ylabel="gradient norm before clipping (log scale)",
            title="Memory task, ρ = 1.5: gradient norms")
axes[2].legend()
axes[3].plot(np.convolve(loss_free, np.ones(10) / 10, mode="valid"), color="tab:red", label="no clipping")
axes[3].plot(np.convolve(loss_clip, np.ones(10) / 10, mode="valid"), color="tab:green", label="clipped at 1")
axes[3].axhline(1.0, color="k", linestyle="--", linewidth=0.8, label="always predicting 0")
axes[3].set(xlabel="SGD step", ylabel="squared error (moving average of 10)",
            title="Memory task: remember the first of 20 numbers")
axes[3].legend()
fig.tight_layout()
save(fig, "23_rnn_bptt.png")

# %% [markdown]
# ## What we learned
# * An RNN is one layer applied T times with shared weights; BPTT is backprop on the
#   unrolled graph: δ_t = ∂ℓ_t/∂h_t + W_hhᵀ(δ_{t+1} ⊙ (1 − h²_{t+1})), and the shared weights
#   sum their gradients over the steps. Our hand BPTT matched autodiff for every tensor.
# * The gradient reaching step 0 is a product of T Jacobians: with W_hh = ρ·orthogonal it
#   scales exactly as ρᵀ (measured per-step factor within 1 % of ρ). ρ < 1 vanishes, ρ > 1
#   explodes.
# * `clip_grad_norm_` scales all gradients jointly to norm ≤ c, keeping their direction
#   (checked against the formula); on the memory task it turned a run that bounced above
#   the error of always predicting 0 into one that learnt the task.
# * The LSTM's cell state passes gradients back multiplied only by the forget gate; our hand
#   LSTM BPTT matched `nn.LSTM`, and with a forget bias of 2 the first of 60 inputs still
#   receives a gradient far larger than in a plain RNN.
#
# This is the last of the fundamentals tutorials; [the index](README.md) lists them all.
