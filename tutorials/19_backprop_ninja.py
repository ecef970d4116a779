# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # 19. Becoming a backprop ninja: a whole model's backward by hand
#
# Document 000 (§3.2, step 5) describes backpropagation in two lines:
#
# > **Compute the gradient**: compute the gradient of the error between the output and the
# > true value. **Update the parameters**: update the network's parameters along the
# > gradient direction with a step size.
# > (计算梯度：计算输出结果与真实值之间的误差梯度。更新参数：根据梯度方向和步长，更新神经网络参数。)
#
# Tutorial 5 did this for a small MLP. Here we do it for a complete little **language
# model**, the kind document 002 sketches (§5.2: an embedding layer, a hidden layer and a
# fully connected output, 嵌入层、LSTM层和全连接层; we use a BatchNorm + tanh hidden layer
# instead of the LSTM, which is tutorial 23's subject). The exercise follows Andrej
# Karpathy's "Becoming a backprop ninja": write the forward pass as ~20 small tensor
# operations, then write the gradient of **every intermediate tensor** by hand, in NumPy,
# and check each one against tinynn's autodiff. Along the way we meet every pattern that
# backprop through real code needs:
#
# * **broadcasting** in the forward (a (1, H) row added to (N, H)) is a **sum** in the
#   backward; a **sum** in the forward is a **broadcast** in the backward;
# * a tensor used twice receives the **sum** of both gradients;
# * a matrix product's gradient is another matrix product, with the shapes as a guide;
# * an **embedding lookup** (indexing) scatters gradients back and must *add* where
#   indices repeat;
# * cross-entropy and BatchNorm collapse to one line each.
#
# Finally we train the model using only our hand-written backward and get the same loss,
# step for step, as with `loss.backward()`.

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
from tinynn.data import load_shakespeare

# %% [markdown]
# ## 1. The data and the model
#
# The task: read three characters of Shakespeare, predict the fourth. Each character is an
# index into the 65-character vocabulary. The model (Bengio et al. 2003, as in Karpathy's
# makemore):
#
# $$\underbrace{C[X]}_{(N,3,E)} \to \text{concat } (N, 3E) \to \times W_1 + b_1 \to
#   \text{BatchNorm} \to \tanh \to \times W_2 + b_2 \to \text{logits } (N, V) \to
#   \text{cross-entropy}.$$
#
# Everything is in float64, so hand and autodiff gradients can be compared to ~10⁻¹⁵.
# (W is stored as (in, out) here so that the forward reads `x @ W`; `nn.Linear` stores the
# transpose, as PyTorch.)

# %%
text = load_shakespeare("train")[: 60_000 if FAST else 300_000]
vocab = sorted(set(load_shakespeare()))
stoi = {ch: i for i, ch in enumerate(vocab)}
ids = np.array([stoi[ch] for ch in text])
block = 3
X = np.stack([ids[i: len(ids) - block + i] for i in range(block)], axis=1)  # (M, 3) contexts
Y = ids[block:]  # (M,) the next character
V, E, H, N = len(vocab), 10, 64, 32
print(f"{len(X)} examples; vocabulary {V}; e.g. {''.join(vocab[i] for i in X[100])!r} -> {vocab[Y[100]]!r}")

rng = np.random.default_rng(42)


def init_params():
    """Small random weights (tutorial 20 explains the scales), BatchNorm gain 1 and bias 0."""
    return {
        "C": rng.normal(size=(V, E)),
        "W1": rng.normal(size=(block * E, H)) * (5 / 3) / np.sqrt(block * E),
        "b1": rng.normal(size=(H,)) * 0.1,  # useless before BatchNorm, kept to show why (below)
        "bngain": 1.0 + 0.1 * rng.normal(size=(1, H)),
        "bnbias": 0.1 * rng.normal(size=(1, H)),
        "W2": rng.normal(size=(H, V)) * 0.1,
        "b2": rng.normal(size=(V,)) * 0.1,
    }


params_np = init_params()
batch = rng.integers(0, len(X), size=N)
Xb, Yb = X[batch], Y[batch]

# %% [markdown]
# ## 2. The forward pass, one small step at a time
#
# Every intermediate gets a name and `retain_grad()`, so after `loss.backward()` tinynn
# shows us its gradient (by default only leaves keep theirs). The cross-entropy is written
# out in full: subtract each row's max (for stability), exponentiate, normalise, take the
# log, pick the correct class, average.

# %%
eps = 1e-5


def forward(p, Xb, Yb):
    """The model as ~20 named tinynn ops; returns the loss and every intermediate."""
    t = {}
    t["emb"] = p["C"][tn.tensor(Xb)]  # (N, 3, E): an embedding lookup is indexing
    t["embcat"] = t["emb"].view(len(Xb), -1)  # (N, 3E)
    t["hprebn"] = t["embcat"] @ p["W1"] + p["b1"]  # (N, H)
    t["bnmean"] = t["hprebn"].mean(0, keepdim=True)  # (1, H)
    t["bndiff"] = t["hprebn"] - t["bnmean"]
    t["bndiff2"] = t["bndiff"] ** 2
    t["bnvar"] = t["bndiff2"].mean(0, keepdim=True)  # biased variance, as in training mode
    t["bnvar_inv"] = (t["bnvar"] + eps) ** -0.5
    t["bnraw"] = t["bndiff"] * t["bnvar_inv"]
    t["hpreact"] = p["bngain"] * t["bnraw"] + p["bnbias"]
    t["h"] = t["hpreact"].tanh()
    t["logits"] = t["h"] @ p["W2"] + p["b2"]  # (N, V)
    t["logit_maxes"] = t["logits"].max(1, keepdim=True).values
    t["norm_logits"] = t["logits"] - t["logit_maxes"]
    t["counts"] = t["norm_logits"].exp()
    t["counts_sum"] = t["counts"].sum(1, keepdim=True)
    t["counts_sum_inv"] = t["counts_sum"] ** -1
    t["probs"] = t["counts"] * t["counts_sum_inv"]
    t["logprobs"] = t["probs"].log()
    loss = -t["logprobs"][tn.arange(len(Yb)), tn.tensor(Yb)].mean()
    return loss, t


params = {k: tn.tensor(v, requires_grad=True) for k, v in params_np.items()}
loss, t = forward(params, Xb, Yb)
for v in t.values():
    v.retain_grad()
loss.backward()
print(f"loss {loss.item():.4f}   (uniform guessing: -ln(1/{V}) = {np.log(V):.4f})")
assert abs(loss.item() - F.cross_entropy(t["logits"], tn.tensor(Yb)).item()) < 1e-12  # our CE is tinynn's

fwd = {k: v.numpy() for k, v in t.items()}  # forward values, as NumPy arrays
P = params_np
report = {}


def cmp(name, hand, tensor):
    """Compare a hand gradient with autodiff's, remember the gap for the figure."""
    auto = np.asarray(tensor.grad)
    assert hand.shape == auto.shape, f"{name}: hand {hand.shape} vs autodiff {auto.shape}"
    gap = float(np.abs(hand - auto).max())
    report[name] = gap
    print(f"{name:15s} exact: {str(bool(np.array_equal(hand, auto))):5s}  max |diff| {gap:.1e}")
    assert np.allclose(hand, auto, rtol=1e-9, atol=1e-12), name


# %% [markdown]
# ## 3. Backward through the cross-entropy, step by step
#
# **loss = −mean of the picked log-probabilities.** Only N entries of `logprobs` (N, V)
# reach the loss, each with weight −1/N; all others get gradient 0.
#
# **logprobs = log(probs)**: d log p / dp = 1/p, elementwise.
#
# **probs = counts · counts_sum_inv**, where counts_sum_inv is (N, 1), *broadcast* across
# the V columns. Forward broadcasting means the same number was used V times, so its
# gradient is the **sum** over those uses:
#
# $$\frac{\partial L}{\partial\,\text{csi}_n} = \sum_j \frac{\partial L}{\partial p_{nj}}\,\text{counts}_{nj},
#   \qquad \frac{\partial L}{\partial\,\text{counts}_{nj}} \mathrel{+}= \frac{\partial L}{\partial p_{nj}}\,\text{csi}_n .$$
#
# **counts_sum_inv = counts_sum⁻¹**: derivative −counts_sum⁻².
#
# **counts_sum = Σⱼ counts**: the reverse of a broadcast; every count of the row gets the
# row's gradient. `counts` is therefore used **twice** (in probs and in counts_sum): its
# gradient is the sum of both paths.
#
# **counts = exp(norm_logits)**: derivative exp(·) = counts itself.
#
# **norm_logits = logits − logit_maxes**: logits get the gradient as it is; logit_maxes
# (N, 1), broadcast, gets minus the row sum. And **logit_maxes = max(logits)** routes its
# gradient to the position of each row's maximum.

# %%
d = {}
d["logprobs"] = np.zeros_like(fwd["logprobs"])
d["logprobs"][np.arange(N), Yb] = -1.0 / N
d["probs"] = d["logprobs"] / fwd["probs"]
d["counts_sum_inv"] = (d["probs"] * fwd["counts"]).sum(1, keepdims=True)  # broadcast -> sum
d["counts"] = d["probs"] * fwd["counts_sum_inv"]  # first use of counts
d["counts_sum"] = d["counts_sum_inv"] * -fwd["counts_sum"] ** -2
d["counts"] = d["counts"] + d["counts_sum"] * np.ones_like(fwd["counts"])  # second use: sum -> broadcast
d["norm_logits"] = d["counts"] * fwd["counts"]
d["logit_maxes"] = -d["norm_logits"].sum(1, keepdims=True)
d["logits"] = d["norm_logits"].copy()
d["logits"][np.arange(N), fwd["logits"].argmax(1)] += d["logit_maxes"][:, 0]  # max routes to the argmax

for name in ["logprobs", "probs", "counts_sum_inv", "counts_sum", "counts", "norm_logits", "logit_maxes", "logits"]:
    cmp(name, d[name], t[name])

# %% [markdown]
# Look at `logit_maxes`: its gradient is ~10⁻¹⁸, zero up to rounding. Subtracting a constant
# from a row of logits does not change the softmax, so the loss cannot depend on it: the
# max is there only to keep `exp` from overflowing (tutorial 3), and it costs nothing in the
# gradient.

# %%
print("largest |∂L/∂logit_maxes|:", np.abs(d["logit_maxes"]).max())
assert np.abs(d["logit_maxes"]).max() < 1e-15

# %% [markdown]
# ### The same in one line
#
# Doing the algebra once for the whole chain (tutorial 4, E5): with p = softmax(logits) and
# y the one-hot targets,
#
# $$\frac{\partial L}{\partial\,\text{logits}} = \frac{1}{N}\,(p - y).$$
#
# It is what tinynn's fused `F.cross_entropy` computes in its backward, too.

# %%
one_hot = np.eye(V)[Yb]
dlogits_fast = (fwd["probs"] - one_hot) / N
assert np.allclose(dlogits_fast, d["logits"], atol=1e-15)
logits_leaf = tn.tensor(fwd["logits"], requires_grad=True)
F.cross_entropy(logits_leaf, tn.tensor(Yb)).backward()
assert np.allclose(np.asarray(logits_leaf.grad), dlogits_fast, atol=1e-15)
print("∂L/∂logits = (softmax − one-hot)/N: equal to the step-by-step result and to F.cross_entropy's backward")

# %% [markdown]
# ## 4. Backward through the output layer and tanh
#
# **logits = h W₂ + b₂.** For a matrix product Z = A B the gradients are again matrix
# products, and the shapes tell you which: ∂L/∂A must be (N, H) like A, so it is
# ∂L/∂Z (N, V) times Bᵀ (V, H); ∂L/∂B must be (H, V), so it is Aᵀ (H, N) times ∂L/∂Z.
# b₂ (V,) was broadcast over the N rows, so its gradient is the column sum.
#
# **h = tanh(hpreact)**: tanh′ = 1 − tanh², and we already have tanh = h.

# %%
d["h"] = d["logits"] @ P["W2"].T
d["W2"] = fwd["h"].T @ d["logits"]
d["b2"] = d["logits"].sum(0)
d["hpreact"] = d["h"] * (1 - fwd["h"] ** 2)
for name in ["h", "hpreact"]:
    cmp(name, d[name], t[name])
for name in ["W2", "b2"]:
    cmp(name, d[name], params[name])

# %% [markdown]
# ## 5. Backward through BatchNorm, step by step
#
# hpreact = bngain · bnraw + bnbias with bngain, bnbias of shape (1, H) broadcast over the
# batch: their gradients are sums over the batch. Then back through
# bnraw = bndiff · bnvar_inv (bnvar_inv (1, H) broadcast: sum), bnvar_inv = (bnvar + ε)^(−½),
# bnvar = mean of bndiff² (a mean is a sum times 1/N: every element gets 1/N of the
# gradient), bndiff² (derivative 2·bndiff), and bndiff = hprebn − bnmean. **bndiff is used
# twice** (in bnraw and in bndiff2) and **hprebn twice** (directly and through bnmean).

# %%
d["bngain"] = (fwd["bnraw"] * d["hpreact"]).sum(0, keepdims=True)
d["bnbias"] = d["hpreact"].sum(0, keepdims=True)
d["bnraw"] = P["bngain"] * d["hpreact"]
d["bnvar_inv"] = (fwd["bndiff"] * d["bnraw"]).sum(0, keepdims=True)
d["bndiff"] = fwd["bnvar_inv"] * d["bnraw"]  # first use of bndiff
d["bnvar"] = d["bnvar_inv"] * -0.5 * (fwd["bnvar"] + eps) ** -1.5
d["bndiff2"] = np.ones_like(fwd["bndiff2"]) / N * d["bnvar"]  # mean -> broadcast of 1/N
d["bndiff"] = d["bndiff"] + 2 * fwd["bndiff"] * d["bndiff2"]  # second use
d["bnmean"] = -d["bndiff"].sum(0, keepdims=True)
d["hprebn"] = d["bndiff"] + np.ones_like(fwd["hprebn"]) / N * d["bnmean"]  # direct path + through the mean
for name in ["bnraw", "bnvar_inv", "bnvar", "bndiff2", "bndiff", "bnmean", "hprebn"]:
    cmp(name, d[name], t[name])
for name in ["bngain", "bnbias"]:
    cmp(name, d[name], params[name])

# %% [markdown]
# ### The same in one line
#
# Tutorial 18 derived BatchNorm's input gradient in closed form. With g = ∂L/∂hpreact,
# γ = bngain, s = bnvar_inv and x̂ = bnraw:
#
# $$\frac{\partial L}{\partial\,\text{hprebn}} = \frac{s}{N}\Big(N\,\gamma g - \sum_n \gamma g
#   - \hat x\sum_n \gamma g\,\hat x\Big).$$

# %%
g_hat = P["bngain"] * d["hpreact"]
dhprebn_fast = fwd["bnvar_inv"] / N * (N * g_hat - g_hat.sum(0) - fwd["bnraw"] * (g_hat * fwd["bnraw"]).sum(0))
assert np.allclose(dhprebn_fast, d["hprebn"], atol=1e-14)
print("BatchNorm's backward in one line equals the eight-step version")

# %% [markdown]
# ## 6. Backward through the first layer and the embedding
#
# **hprebn = embcat W₁ + b₁**: the same three lines as for W₂. Something to notice: the
# gradient of b₁ is **zero** (to rounding). BatchNorm subtracts the batch mean of hprebn
# right away, so adding a constant b₁ to every row changes nothing downstream; tutorial 18
# showed Σₙ ∂L/∂xₙ = 0 for BatchNorm's input, and ∂L/∂b₁ is exactly that sum. A bias
# before BatchNorm is dead weight: write `nn.Linear(..., bias=False)` there.
#
# **embcat = emb.view(N, 3E)**: a reshape moves no numbers, so its backward is the
# reverse reshape.
#
# **emb = C[Xb]**: row Xb[n, k] of the table C was copied into emb[n, k]. Backward sends
# each emb[n, k]'s gradient back to row Xb[n, k] of C and **adds** where the same character
# occurs several times in the batch (it always does: there are 96 lookups of 65 rows).
# NumPy's `dC[Xb] += demb` looks right but is wrong: with repeated indices it keeps only one
# of the additions. `np.add.at` accumulates (tinynn's `index_select`/`embedding` backward
# does the same).

# %%
d["embcat"] = d["hprebn"] @ P["W1"].T
d["W1"] = fwd["embcat"].T @ d["hprebn"]
d["b1"] = d["hprebn"].sum(0)
d["emb"] = d["embcat"].reshape(fwd["emb"].shape)
d["C"] = np.zeros_like(P["C"])
np.add.at(d["C"], Xb, d["emb"])  # scatter-add: repeated characters accumulate
for name in ["embcat", "emb"]:
    cmp(name, d[name], t[name])
for name in ["W1", "b1", "C"]:
    cmp(name, d[name], params[name])

print("largest |∂L/∂b1|:", np.abs(d["b1"]).max(), " vs largest |∂L/∂W1|:", np.abs(d["W1"]).max())
assert np.abs(d["b1"]).max() < 1e-12 * np.abs(d["W1"]).max()

wrong_dC = np.zeros_like(P["C"])
wrong_dC[Xb] += d["emb"]  # buffered: a repeated index is written, not added
repeats = len(Xb.ravel()) - len(np.unique(Xb))
print(f"{repeats} of the {Xb.size} lookups repeat a character; `dC[Xb] += demb` is off by up to "
      f"{np.abs(wrong_dC - d['C']).max():.3f}")
assert repeats > 0 and not np.allclose(wrong_dC, d["C"])

# %% [markdown]
# Every tensor's hand gradient matched autodiff. With this tinynn they are even equal **bit for bit**
# (counted below): tinynn's primitives do the same NumPy arithmetic in the same order as
# our hand code, so not even the rounding differs. The picture on the left below shows how
# large each gradient is: two of them, ∂L/∂logit_maxes and ∂L/∂b₁, are zero up to rounding.

# %%
exact = sum(gap == 0 for gap in report.values())
print(f"{len(report)} gradients checked, {exact} equal to autodiff bit for bit")
assert len(report) == 26

# %% [markdown]
# ## 7. Training with the hand-written backward only
#
# Now put the fast versions together (six lines of backward for the whole model) and train
# with plain SGD, **never calling `loss.backward()`**. Beside it, the same model from the
# same initial weights trained with tinynn's autodiff. If our backward is right, the two
# runs see the same batches and produce the same losses at every step, up to rounding.

# %%
def hand_backward(p, f, Xb, Yb):
    """The whole model's gradient from the forward values f, with the one-line CE and BN."""
    n = len(Yb)
    dlogits = f["probs"].copy()
    dlogits[np.arange(n), Yb] -= 1
    dlogits /= n
    g = {"W2": f["h"].T @ dlogits, "b2": dlogits.sum(0)}
    dhpreact = (dlogits @ p["W2"].T) * (1 - f["h"] ** 2)
    g["bngain"] = (f["bnraw"] * dhpreact).sum(0, keepdims=True)
    g["bnbias"] = dhpreact.sum(0, keepdims=True)
    gh = p["bngain"] * dhpreact
    dhprebn = f["bnvar_inv"] / n * (n * gh - gh.sum(0) - f["bnraw"] * (gh * f["bnraw"]).sum(0))
    g["W1"], g["b1"] = f["embcat"].T @ dhprebn, dhprebn.sum(0)
    g["C"] = np.zeros_like(p["C"])
    np.add.at(g["C"], Xb, (dhprebn @ p["W1"].T).reshape(n, block, E))
    return g


steps = 150 if FAST else 1500
lr = 0.1
p_hand = {k: v.copy() for k, v in init_params().items()}
p_auto = {k: tn.tensor(v.copy(), requires_grad=True) for k, v in p_hand.items()}
batches = np.random.default_rng(7).integers(0, len(X), size=(steps, N))
loss_hand, loss_auto = [], []
for step in range(steps):
    Xs, Ys = X[batches[step]], Y[batches[step]]
    with tn.no_grad():  # hand run: tinynn only evaluates the forward, no graph is built
        l_hand, f_hand = forward({k: tn.tensor(v) for k, v in p_hand.items()}, Xs, Ys)
    grads = hand_backward(p_hand, {k: v.numpy() for k, v in f_hand.items()}, Xs, Ys)
    for k in p_hand:
        p_hand[k] -= lr * grads[k]
    loss_hand.append(l_hand.item())

    l_auto, _ = forward(p_auto, Xs, Ys)  # autodiff run
    for v in p_auto.values():
        v.grad = None
    l_auto.backward()
    with tn.no_grad():
        for v in p_auto.values():
            v -= lr * v.grad
    loss_auto.append(l_auto.item())

loss_hand, loss_auto = np.array(loss_hand), np.array(loss_auto)
weight_gap = max(np.abs(p_hand[k] - p_auto[k].numpy()).max() for k in p_hand)
print(f"after {steps} steps: loss {loss_hand[-20:].mean():.3f} (mean of the last 20; start {loss_hand[0]:.3f}); "
      f"largest loss difference hand vs autodiff {np.abs(loss_hand - loss_auto).max():.1e}, "
      f"largest weight difference {weight_gap:.1e}")
assert np.abs(loss_hand - loss_auto).max() < 1e-9 and weight_gap < 1e-9
assert loss_hand[-20:].mean() < loss_hand[:20].mean() - 0.3  # it learns

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 4.6), gridspec_kw={"width_ratios": [1.3, 1]})
names = list(report)
sizes = np.array([np.abs(d[k]).max() for k in names])
ax1.bar(range(len(names)), sizes, color=["tab:green" if report[k] == 0 else "tab:orange" for k in names])
ax1.set_yscale("log")
ax1.set_xticks(range(len(names)))
ax1.set_xticklabels(names, rotation=70, fontsize=8)
ax1.set(ylabel="max |∂L/∂tensor| (log scale)",
        title=f"Hand gradients of {len(names)} tensors; green = equal to autodiff bit for bit ({exact})")
ax2.plot(loss_auto, label="autodiff (loss.backward())", linewidth=2.5, alpha=0.6)
ax2.plot(loss_hand, label="hand-written backward", linewidth=0.8, color="k")
ax2.set(xlabel="SGD step (batch 32, lr 0.1)", ylabel="cross-entropy on the batch",
        title="Training the character model two ways")
ax2.legend()
fig.tight_layout()
save(fig, "19_backprop_ninja.png")

# %% [markdown]
# ## What we learned
# * Backprop through real code is a handful of patterns: elementwise ops multiply by their
#   local derivative; broadcast ⇄ sum; a tensor used twice gets the sum of its gradients;
#   matrix products give matrix products (let the shapes decide the transposes); indexing
#   scatters back with accumulation (`np.add.at`, not `+=`).
# * The max subtracted for stability gets zero gradient; a bias before BatchNorm gets zero
#   gradient (use `bias=False`).
# * Cross-entropy's backward is (softmax − one-hot)/N and BatchNorm's is one line (tutorial
#   18): the 20-step chain collapses to six lines for the whole model.
# * All 26 gradients matched autodiff (bit for bit, here), and SGD driven by the hand-written backward
#   reproduced autodiff's training run step for step.
#
# Next: [20. Initialisation](20_initialisation.py): why the weights above were scaled the way they were.
