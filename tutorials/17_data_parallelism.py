# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # 17. Data parallelism on one machine: replicas, shards and an all-reduce
#
# The documents keep saying that large models are trained in parallel. Document 001 (§3.3,
# advantages): "**high efficiency**: through parallel computation and distributed training, a
# large AI model can process large-scale data in a short time" (**高效率**：通过并行计算和分布式训练，
# AI大模型可以在较短的时间内完成大规模数据处理); document 002 (§2.3): "training needs a great deal of
# computing resources and is usually done in a distributed computing environment" (训练过程需要
# 大量计算资源，通常在分布式计算环境中进行); document 000 (§9.3): it "usually needs high-performance
# GPUs or TPUs computing in parallel" (通常需要高性能的 GPU 或 TPU 进行并行计算). None of them says how.
#
# The simplest and most used way is **data parallelism**: K workers (GPUs, machines) each hold a
# full copy — a **replica** — of the model; every batch is cut into K **shards**; each worker
# computes the gradient on its shard; an **all-reduce** averages the K gradients so that every
# worker ends with the same average; every worker takes the same optimizer step. The replicas
# never drift apart, and the training is the same as one model on the whole batch. Why:
#
# With a mean loss over a batch B of N examples cut into shards S_k of n_k examples,
#
# $$L = \frac{1}{N}\sum_{i\in B}\ell_i = \sum_{k=1}^{K}\frac{n_k}{N}\,L_k,\qquad L_k = \frac{1}{n_k}\sum_{i\in S_k}\ell_i,
# \qquad\text{so}\qquad \nabla L = \sum_{k=1}^{K}\frac{n_k}{N}\,\nabla L_k ,$$
#
# which for equal shards (n_k = N/K) is the plain average (1/K)·Σ∇L_k: sum, then divide by K.
# This tutorial runs that on one machine, with the K replicas as K tinynn models, and checks it
# to the last digits in float64; then it looks at the two places where it is *not* exact
# (unequal shards, BatchNorm), at the ring all-reduce real systems use, and at PyTorch's
# `DistributedDataParallel`, which does the same across processes and machines.

# %%
# Find tutorials/_setup.py (the fast switch and the output folder, shared by the tutorials).
import sys
from pathlib import Path

here = Path.cwd()
candidates = [here / "_setup.py", *(d / "tutorials" / "_setup.py" for d in (here, *here.parents)),
              *here.glob("*/tutorials/_setup.py")]
sys.path += [str(p.parent) for p in candidates if p.is_file()][:1]

# %%
import importlib.util
import os
import subprocess
import tempfile
import time

import matplotlib.pyplot as plt
import numpy as np
from _setup import FAST, save  # tutorials/_setup.py, found above

import tinynn as tn
import tinynn.functional as F
from tinynn import nn, optim
from tinynn.data import load_digits

x_all, y_all = load_digits()
x_all = (x_all / 16.0).astype(np.float64)  # float64 throughout: the checks below are to 1e-12
N = 64  # the global batch


def mlp(seed=0, batchnorm=False):
    tn.manual_seed(seed)
    layers = [nn.Linear(64, 32), nn.Tanh()] + ([nn.BatchNorm1d(32)] if batchnorm else []) + [nn.Linear(32, 10)]
    return nn.Sequential(*layers).double()


def flat_grad(model):
    """All parameter gradients in one vector: what DDP packs into its buckets."""
    return np.concatenate([p.grad.numpy().ravel() for p in model.parameters()])


def set_flat_grad(model, vector):
    start = 0
    for p in model.parameters():
        p.grad = vector[start: start + p.numel()].reshape(p.shape).copy()
        start += p.numel()


def flat_params(model):
    return np.concatenate([p.numpy().ravel() for p in model.parameters()])


def shard_gradient(model, xb, yb):
    """One worker's job: the mean loss on its shard, and its gradient."""
    model.zero_grad()
    loss = F.cross_entropy(model(tn.tensor(xb)), tn.tensor(yb))
    loss.backward()
    return loss.item(), flat_grad(model)


def rel(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


rng = np.random.default_rng(0)
idx = rng.choice(len(x_all), size=N, replace=False)
xb, yb = x_all[idx], y_all[idx]

# %% [markdown]
# ## K replicas from one state_dict
#
# A replica is a copy of the weights, not a reference to them: each worker owns its memory and
# its own optimizer. `load_state_dict` copies the arrays in (DDP does the same thing when it
# starts: it *broadcasts* rank 0's parameters and buffers to every other rank).

# %%
K = 4
master = mlp()
replicas = [mlp(seed=100 + k) for k in range(K)]  # different random init on purpose ...
for r in replicas:
    r.load_state_dict(master.state_dict())       # ... overwritten by the master's weights
assert all(np.array_equal(flat_params(r), flat_params(master)) for r in replicas)
with tn.no_grad():
    replicas[0][0].weight.add_(1.0)  # independent memory: changing one changes no other
assert not np.array_equal(flat_params(replicas[0]), flat_params(master))
assert np.array_equal(flat_params(replicas[1]), flat_params(master))
replicas[0].load_state_dict(master.state_dict())

# %% [markdown]
# ## The averaged shard gradients are the full-batch gradient
#
# Four shards of 16. Each replica computes its gradient; "all-reduce" here is the plainest
# one: sum the four vectors, divide by four, give the result to everyone.

# %%
_, g_full = shard_gradient(master, xb, yb)
shards = np.array_split(np.arange(N), K)
grads = [shard_gradient(r, xb[s], yb[s])[1] for r, s in zip(replicas, shards)]
g_avg = sum(grads) / K
print(f"{g_full.size} gradient entries; ‖mean of {K} shard gradients − full-batch gradient‖ / ‖full‖ = "
      f"{rel(g_avg, g_full):.1e}; one shard alone is off by {rel(grads[0], g_full):.2f}")
assert rel(g_avg, g_full) < 1e-12
assert rel(grads[0], g_full) > 0.05  # each shard's gradient alone is a noisy estimate

# %% [markdown]
# ### Unequal shards: weight by shard size
#
# The plain average assumes n_k = N/K. With shards of 40, 14, 6 and 4 (a last, short batch;
# workers of unequal speed given unequal work), the mean of the K shard means weights each
# *small* shard's examples more; the formula above says weight each shard by n_k/N (or sum the
# per-example losses and divide once by N).

# %%
cuts = np.split(np.arange(N), [40, 54, 60])
sizes = np.array([len(c) for c in cuts])
grads_uneq = [shard_gradient(r, xb[c], yb[c])[1] for r, c in zip(replicas, cuts)]
naive = sum(grads_uneq) / K
weighted = sum(n / N * g for n, g in zip(sizes, grads_uneq))
err_naive, err_weighted = rel(naive, g_full), rel(weighted, g_full)
print(f"shards {sizes.tolist()}: plain mean off by {err_naive:.2f}, weighted by n_k/N off by {err_weighted:.1e}")
assert err_naive > 0.1 and err_weighted < 1e-12

# %% [markdown]
# PyTorch's `DistributedDataParallel` divides by the number of processes: it assumes equal
# shards. `DistributedSampler` ensures that by padding the last round with repeated examples
# (or dropping it, `drop_last=True`); a run where ranks see different *numbers* of batches
# needs the `Join` context manager, or it hangs waiting for the rank that ran out.
#
# ## A ring all-reduce in a few lines
#
# "Sum then divide" as written above needs one place that receives all K gradients: with
# gradients of n numbers, that worker receives (K−1)·n numbers per step, and it grows with K.
# The **ring all-reduce** (Patarasuk & Yuan 2009; Baidu's and Horovod's choice for deep
# learning, and one of NCCL's algorithms) puts the K workers on a ring and cuts every vector
# into K chunks:
#
# 1. **reduce-scatter**, K−1 steps: at each, every worker sends one chunk to its right
#    neighbour, who adds it to its own copy of that chunk. After K−1 steps worker k holds the
#    complete sum of one chunk (chunk k+1).
# 2. **all-gather**, K−1 steps: the complete chunks go round the ring, each worker overwriting
#    its copy, until everyone has every complete chunk.
#
# Every worker sends 2(K−1) chunks of n/K numbers: 2(K−1)/K·n, less than 2n **whatever K is**, and all
# links are busy at once. Below, the messages of one step are all read before any is applied,
# as if sent simultaneously; `owners` tracks whose contributions each chunk holds, for the figure.

# %%
def ring_allreduce(vectors, trace=None):
    """Sum K equal-length vectors, one per worker, by passing chunks round a ring."""
    k_workers = len(vectors)
    chunks = [np.array_split(np.array(v, dtype=np.float64), k_workers) for v in vectors]  # chunks[worker][c]
    owners = [[{w} for _ in range(k_workers)] for w in range(k_workers)]  # who has been added into each chunk
    sent = np.zeros(k_workers, dtype=int)

    def step(pick, combine):
        messages = [(w, c, chunks[w][c].copy(), set(owners[w][c])) for w in range(k_workers)
                    for c in [pick(w)]]
        for w, c, data, who in messages:
            right = (w + 1) % k_workers
            chunks[right][c] = combine(chunks[right][c], data)
            owners[right][c] = owners[right][c] | who if combine is np.add else who
            sent[w] += data.size
        if trace is not None:
            trace.append([[len(o) for o in row] for row in owners])

    if trace is not None:
        trace.append([[len(o) for o in row] for row in owners])
    for s in range(k_workers - 1):  # reduce-scatter
        step(lambda w: (w - s) % k_workers, np.add)
    for s in range(k_workers - 1):  # all-gather: the complete chunk (w + 1 - s) goes right
        step(lambda w: (w + 1 - s) % k_workers, lambda mine, theirs: theirs)
    return [np.concatenate(c) for c in chunks], sent


trace = []
reduced, sent = ring_allreduce(grads, trace)
assert all(np.array_equal(reduced[0], r) for r in reduced[1:]), "every worker ends with the same bits"
assert rel(reduced[0] / K, g_full) < 1e-12 and rel(reduced[0], sum(grads)) < 1e-14
assert sent.sum() == 2 * (K - 1) * g_full.size and sent.max() <= 2 * (K - 1) * -(-g_full.size // K)  # ceil(n/K)
assert np.array(trace[K - 1]).max() == K and (np.array(trace[-1]) == K).all()
for k_try in (2, 3, 8):  # any K, any length (chunks may differ in size by one)
    vs = [np.random.default_rng(k_try + i).normal(size=1001) for i in range(k_try)]
    out, sent_k = ring_allreduce(vs)
    assert all(rel(o, sum(vs)) < 1e-14 for o in out) and sent_k.max() <= 2 * (k_try - 1) * -(-1001 // k_try)
print(f"ring all-reduce, K = {K}, n = {g_full.size}: each worker sent {sent.tolist()} numbers "
      f"(2(K−1)/K·n = {2 * (K - 1) / K * g_full.size:.0f}); one worker gathering all would receive {(K - 1) * g_full.size}")

# %% [markdown]
# ## Training in lockstep: K replicas = one model on the whole batch
#
# Now train. Every step, each of K replicas takes its shard of the step's batch of 64, computes
# its gradient, the ring all-reduce averages them, each replica puts the average into its own
# `.grad` and takes a step with its **own** optimizer (SGD with momentum: each keeps its own
# momentum buffer, identical because its inputs are). The same batches train one model alone,
# full batch. K = 1, 2, 4 and 8.

# %%
STEPS = 40 if FAST else 150
batches = [rng.choice(len(x_all), size=N, replace=False) for _ in range(STEPS)]


def train_data_parallel(k_workers):
    workers = [mlp(seed=k) for k in range(k_workers)]
    for w in workers:
        w.load_state_dict(master.state_dict())
    opts = [optim.SGD(w.parameters(), lr=0.2, momentum=0.9) for w in workers]
    losses, spread, path = [], [], []
    for batch in batches:
        parts = np.array_split(batch, k_workers)
        results = [shard_gradient(w, x_all[p], y_all[p]) for w, p in zip(workers, parts)]
        summed, _ = ring_allreduce([g for _, g in results])
        for w, opt, g in zip(workers, opts, summed):
            set_flat_grad(w, g / k_workers)
            opt.step()
        losses.append(sum(loss for loss, _ in results) / k_workers)  # equal shards: the batch loss
        spread.append(max(np.abs(flat_params(w) - flat_params(workers[0])).max() for w in workers))
        path.append(flat_params(workers[0]))
    return np.array(losses), np.array(spread), np.array(path)


runs = {k: train_data_parallel(k) for k in (1, 2, 4, 8)}
for k, (losses, spread, path) in runs.items():
    drift = max(rel(a, b) for a, b in zip(path, runs[1][2]))  # at every step
    print(f"K = {k}: loss {losses[0]:.3f} → {losses[-1]:.3f}; replicas differ by at most {spread.max():.0e}; "
          f"weights vs one model on the full batch: relative difference at most {drift:.1e}")
    assert spread.max() == 0.0, "the replicas stay bit-for-bit identical"
    assert drift < 1e-12 and np.allclose(losses, runs[1][0], rtol=1e-12, atol=0)
assert runs[1][0][-1] < 0.5 * runs[1][0][0]  # and it does learn

# %% [markdown]
# The replicas are *bit-for-bit* identical: they start equal and receive the very same averaged
# bits each step. K replicas and one model differ by a few 1e-16 (relative): not zero, because
# adding the gradients shard by shard rounds differently from adding them in one sum; float
# addition is not associative. The difference grows slowly with the steps (the figure's middle
# panel) and stays at the level of float64's epsilon here; on long runs, and in float32 or
# bfloat16, it can grow into visibly different runs, which is one reason two runs "with the same
# seed" on different numbers of GPUs are not identical.
#
# ## Where the equality breaks: BatchNorm
#
# BatchNorm normalises with the mean and variance **of the batch it sees**. A replica sees only
# its shard, so its statistics are those of n/K examples, not N: every example is normalised
# differently from the full-batch run, and the averaged gradient is the gradient of a different
# loss ("ghost batch normalisation", Hoffer et al. 2017 — sometimes used on purpose). Measured:

# %%
bn_master = mlp(batchnorm=True)
_, g_bn_full = shard_gradient(bn_master, xb, yb)
bn_error = {}
for k_workers in (2, 4, 8, 16):
    reps = [mlp(batchnorm=True) for _ in range(k_workers)]
    for r in reps:
        r.load_state_dict(bn_master.state_dict())
    parts = np.array_split(np.arange(N), k_workers)
    g = sum(shard_gradient(r, xb[p], yb[p])[1] for r, p in zip(reps, parts)) / k_workers
    bn_error[k_workers] = rel(g, g_bn_full)
running = [r[2].running_mean.numpy() for r in reps]  # each replica's running statistics (K = 16)
print("BatchNorm in training mode, relative error of the averaged gradient: "
      + ", ".join(f"K = {k} (shards of {N // k}): {e:.3f}" for k, e in bn_error.items()))
print(f"and the replicas' running means now differ by up to {max(np.abs(m - running[0]).max() for m in running):.3f}")
assert all(e > 1e-3 for e in bn_error.values()) and bn_error[16] > bn_error[2]
assert max(np.abs(m - running[0]).max() for m in running) > 1e-3

# the cause, isolated: with fixed statistics (eval mode) BatchNorm is a per-example affine map,
# and the equality is exact again
bn_master.eval()
_, g_bn_eval = shard_gradient(bn_master, xb, yb)
reps = [mlp(batchnorm=True) for _ in range(4)]
for r in reps:
    r.load_state_dict(bn_master.state_dict())
    r.eval()
g = sum(shard_gradient(r, xb[p], yb[p])[1] for r, p in zip(reps, np.array_split(np.arange(N), 4))) / 4
print(f"BatchNorm in eval mode (running statistics): relative error {rel(g, g_bn_eval):.1e}")
assert rel(g, g_bn_eval) < 1e-12

# %% [markdown]
# Two fixes, as PyTorch has them:
# * **`nn.SyncBatchNorm`** (`torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)`): the
#   statistics are all-reduced. Each worker contributes its shard's count n_k and sums Σx, Σx²
#   (PyTorch exchanges the equivalent count, mean and variance), everyone adds them up, and the
#   mean and variance are those of the whole batch; its backward all-reduces the two per-feature
#   sums the BatchNorm gradient needs (tutorial 18's Σd and Σd·x̂). The forward half, checked:
# * **`broadcast_buffers=True`** (DDP's default): the *running* statistics, which would drift
#   apart as printed above, are copied from rank 0 to all ranks at every forward pass, so the
#   replicas at least agree on them (they are rank 0's shard statistics).

# %%
h_all = np.tanh(xb @ bn_master[0].weight.numpy().T + bn_master[0].bias.numpy())  # the input BatchNorm would see
partial = [(len(p), h_all[p].sum(0), (h_all[p] ** 2).sum(0)) for p in np.array_split(np.arange(N), 4)]
n_tot, s1, s2 = (sum(parts) for parts in zip(*partial))  # the all-reduce of three small vectors
sync_mean, sync_var = s1 / n_tot, s2 / n_tot - (s1 / n_tot) ** 2
assert np.allclose(sync_mean, h_all.mean(0), rtol=1e-12, atol=1e-14)
assert np.allclose(sync_var, h_all.var(0), rtol=1e-10, atol=1e-14)
print(f"SyncBatchNorm's statistics from per-shard sums: max error of the mean {np.abs(sync_mean - h_all.mean(0)).max():.0e}, "
      f"of the variance {np.abs(sync_var - h_all.var(0)).max():.0e}")

# %%
fig = plt.figure(figsize=(15, 7.5))
grid = fig.add_gridspec(2, 2 * K - 1, height_ratios=[1, 1.6])
titles = ["start"] + [f"reduce-scatter {s + 1}" for s in range(K - 1)] + [f"all-gather {s + 1}" for s in range(K - 1)]
for i, (state, title) in enumerate(zip(trace, titles)):
    ax = fig.add_subplot(grid[0, i])
    ax.imshow(np.array(state), cmap="Blues", vmin=0, vmax=K)
    for (w, c), v in np.ndenumerate(np.array(state)):
        ax.text(c, w, v, ha="center", va="center", fontsize=8, color="w" if v > K / 2 else "k")
    ax.set_title(title, fontsize=9)
    ax.set_xticks(range(K), [f"c{c}" for c in range(K)], fontsize=7)
    ax.set_yticks(range(K), [f"w{w}" for w in range(K)] if i == 0 else [], fontsize=7)
fig.text(0.5, 0.955, f"Ring all-reduce, K = {K}: how many workers' gradients each chunk (column) of each worker "
         "(row) holds", ha="center", fontsize=10)
ax = fig.add_subplot(grid[1, :3])
for k, (losses, _, _) in runs.items():
    ax.plot(losses, label=f"K = {k}", linewidth=3 - 0.6 * np.log2(k))
ax.set(xlabel="step (batch of 64)", ylabel="training loss", title="K replicas in lockstep: the same curve")
ax.legend()
ax = fig.add_subplot(grid[1, 3:5])
for k in (2, 4, 8):
    diffs = np.array([rel(a, b) for a, b in zip(runs[k][2], runs[1][2])])
    ax.semilogy(np.maximum(diffs, 1e-19), ".", markersize=3, label=f"K = {k} vs K = 1")
ax.axhline(np.finfo(np.float64).eps, color="0.6", linestyle=":", linewidth=0.8, label="float64 epsilon")
ax.set(xlabel="step", ylabel="‖w_K − w_1‖ / ‖w_1‖", ylim=(1e-19, 1e-10),
       title="weights, K replicas vs one model: rounding only")
ax.legend(fontsize=7)
ax = fig.add_subplot(grid[1, 5:])
labels = ["equal\nshards", "unequal,\nplain mean", "unequal,\nweighted"] + [f"BN\nK={k}" for k in bn_error]
values = [rel(g_avg, g_full), err_naive, err_weighted] + list(bn_error.values())
ax.bar(range(len(values)), values, color=["tab:green", "tab:red", "tab:green"] + ["tab:orange"] * len(bn_error))
ax.set_yscale("log")
for i, v in enumerate(values):
    ax.text(i, v * 1.5, f"{v:.0e}" if v < 1e-3 else f"{v:.2f}", ha="center", fontsize=7)
ax.set_xticks(range(len(values)), labels, fontsize=7)
ax.set(ylabel="relative error vs full-batch gradient", ylim=(1e-17, 10),
       title=f"when averaging is (not) the full gradient\n(unequal: shards {sizes.tolist()}; BN: BatchNorm, shards of 64/K)")
fig.tight_layout(rect=(0, 0, 1, 0.95))
save(fig, "17_data_parallelism.png")

# %% [markdown]
# ## The same thing across machines: PyTorch's DistributedDataParallel
#
# `torch.nn.parallel.DistributedDataParallel` (DDP) is this tutorial's loop with real processes:
# one process per GPU (a "rank"), started by `torchrun --nproc_per_node=K train.py` on each
# machine. In each process:
#
# ```python
# import torch, torch.distributed as dist
# dist.init_process_group("nccl")            # "gloo" on CPUs; NCCL for NVIDIA GPUs
# model = DDP(model.to(rank), device_ids=[rank])   # broadcasts rank 0's weights and buffers
# sampler = DistributedSampler(dataset)      # each rank gets its own shard of every epoch
# for x, y in DataLoader(dataset, batch_size=64 // world_size, sampler=sampler):
#     loss = F.cross_entropy(model(x), y)
#     loss.backward()                        # the all-reduce happens inside backward
#     optimizer.step(); optimizer.zero_grad()
# ```
#
# What happens in `backward` is where DDP is cleverer than the loop above, which waited for the
# whole backward pass before communicating:
# * **buckets**: gradients are grouped into buckets of about 25 MB (`bucket_cap_mb`), in roughly
#   the reverse order of the parameters, which is the order backward produces them;
# * **overlap**: a hook on each parameter marks its gradient ready; when every gradient of a
#   bucket is ready, that bucket's all-reduce starts *asynchronously*, while backward goes on
#   computing the gradients of earlier layers. Communication hides behind computation; only the
#   last bucket's all-reduce is waited for;
# * the all-reduce **averages**: divides by the world size and sums (the equal-shard average above); NCCL
#   runs it as rings or trees over NVLink/InfiniBand, gloo over TCP;
# * every rank then steps its own optimizer on identical gradients: no weights are sent after
#   the first broadcast. `model.no_sync()` skips the all-reduce for gradient-accumulation steps.
#
# **Moving a tinynn model there** is its `state_dict`: the same names ("0.weight", "0.bias", …)
# and shapes as the same layers in `torch.nn`, as NumPy arrays (tutorial 9). Below, if torch is
# installed: the tinynn weights go into the equivalent `torch.nn` model, whose outputs and
# full-batch gradient must match tinynn's. In the full run, two real processes then train it
# with DDP over gloo, each on its half of every batch, and their weights must equal tinynn's
# single model after the same steps.

# %%
if importlib.util.find_spec("torch") is None:
    print("SKIPPED the PyTorch part: torch is not installed (pip install torch to try it).")
else:
    import torch

    def torch_mlp():
        return torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.Tanh(), torch.nn.Linear(32, 10)).double()

    state = master.state_dict()
    torch_model = torch_mlp()
    torch_model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in state.items()})
    xt, yt = torch.from_numpy(xb), torch.from_numpy(yb)
    torch.nn.functional.cross_entropy(torch_model(xt), yt).backward()
    g_torch = torch.cat([p.grad.reshape(-1) for p in torch_model.parameters()]).numpy()
    with tn.no_grad():
        out_tn = master(tn.tensor(xb)).numpy()
    out_diff = np.abs(torch_model(xt).detach().numpy() - out_tn).max()
    print(f"torch vs tinynn with the same state_dict: outputs differ by {out_diff:.1e}, "
          f"full-batch gradients by {rel(g_torch, g_full):.1e} (relative)")
    assert out_diff < 1e-12 and rel(g_torch, g_full) < 1e-12

# %% [markdown]
# The DDP run: a short worker script, started twice (rank 0 and rank 1) with a shared file as
# the meeting point (`init_method="file://..."`: no network set-up needed), the tinynn weights
# and the batches passed in an `.npz`. It is skipped in the fast setting: starting two Python
# processes that import torch takes longer than the rest of this tutorial.

# %%
WORKER = '''
import sys, numpy as np, torch, torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
rank, world, folder = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
dist.init_process_group("gloo", init_method=f"file://{folder}/rendezvous", rank=rank, world_size=world)
data = np.load(f"{folder}/job.npz")
model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.Tanh(), torch.nn.Linear(32, 10)).double()
model.load_state_dict({k[6:]: torch.from_numpy(data[k]) for k in data.files if k.startswith("state.")})
ddp = DDP(model)                                   # broadcasts rank 0's weights to all ranks
opt = torch.optim.SGD(ddp.parameters(), lr=0.2, momentum=0.9)
for batch in data["batches"]:
    mine = np.array_split(batch, world)[rank]      # this rank's shard of the global batch
    loss = torch.nn.functional.cross_entropy(ddp(torch.from_numpy(data["x"][mine])), torch.from_numpy(data["y"][mine]))
    opt.zero_grad()
    loss.backward()                                # bucketed all-reduce (average) inside
    opt.step()
np.save(f"{folder}/rank{rank}.npy", torch.cat([p.detach().reshape(-1) for p in model.parameters()]).numpy())
dist.destroy_process_group()
'''

if importlib.util.find_spec("torch") is not None and not FAST:
    import torch.distributed as dist

    if dist.is_available() and dist.is_gloo_available():
        folder = tempfile.mkdtemp(prefix="tinynn_ddp_")
        (Path(folder) / "worker.py").write_text(WORKER, encoding="utf-8")
        np.savez(Path(folder) / "job.npz", x=x_all, y=y_all, batches=np.array(batches),
                 **{f"state.{k}": np.array(v) for k, v in master.state_dict().items()})
        env = dict(os.environ, OMP_NUM_THREADS="1")
        started = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, str(Path(folder) / "worker.py"), str(rank), "2", folder], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for rank in range(2)]
        outputs = [p.communicate(timeout=300) for p in procs]
        assert all(p.returncode == 0 for p in procs), "\n".join(err[-2000:] for _, err in outputs)
        ddp_params = [np.load(Path(folder) / f"rank{rank}.npy") for rank in range(2)]
        print(f"DDP, 2 processes over gloo, {STEPS} steps ({time.perf_counter() - started:.0f} s): ranks differ by "
              f"{np.abs(ddp_params[0] - ddp_params[1]).max():.0e}; vs tinynn's single model "
              f"{rel(ddp_params[0], runs[1][2][-1]):.1e} (relative)")
        assert np.array_equal(ddp_params[0], ddp_params[1]) and rel(ddp_params[0], runs[1][2][-1]) < 1e-12
    else:
        print("SKIPPED the DDP run: this torch build has no gloo backend.")
elif FAST:
    print("The DDP run is skipped in the fast setting (run the tutorial without TINYNN_FAST=1 to see it).")

# %% [markdown]
# ## What we learned
# * Data parallelism: K replicas (copies of one `state_dict`), one shard each, gradients
#   averaged by an all-reduce, the same step everywhere. With a mean loss and equal shards the
#   average *is* the full-batch gradient (to 1e-12 here), and K replicas train exactly like one
#   model: the replicas stay bit-for-bit equal; against one model only rounding differs.
# * Unequal shards: weight each gradient by n_k/N, or the small shards count too much.
# * BatchNorm in training mode breaks the equality (per-shard statistics); `SyncBatchNorm`
#   all-reduces the statistics, eval-mode BatchNorm needs nothing.
# * The ring all-reduce sends 2(K−1)/K·n numbers per worker whatever K is. DDP runs it per
#   bucket of gradients, overlapped with backward, over NCCL (GPUs) or gloo (CPUs); a tinynn
#   model moves there through its `state_dict`.
#
# Next: [18. Normalisation layers](18_normalisation_layers.py).
