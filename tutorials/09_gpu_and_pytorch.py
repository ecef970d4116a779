# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # 9. The same program on a GPU, and moving on to PyTorch
#
# tinynn computes on NumPy arrays on the CPU and on **CuPy** arrays on an NVIDIA GPU. The
# code is the same: every op asks its input arrays which library they belong to
# (`backend.xp_of(a)`) and calls that one. You choose the device when you create tensors or
# move a model, exactly as in PyTorch:
#
# ```python
# x = tn.randn(64, 2, device="cuda")      # or x.to("cuda")
# model.to("cuda")                        # moves every parameter, in place
# ```
#
# **The documents** (see [documents.md](documents.md)) meet the GPU only as a set-up step,
# document 003 §5.1: "install CUDA, in a version compatible with Python and TensorFlow
# (下载并安装CUDA，版本需与Python和TensorFlow兼容); configure the CUDA environment so that
# Python can call the CUDA libraries (确保Python可以调用CUDA库)". Document 004's program
# (§5.2) is written in PyTorch (`import torch.nn as nn`, `nn.Conv2d`, `nn.Linear`,
# `optim.Adam`, …); tinynn's names are PyTorch's, which is what section 4 below relies on.
#
# Data must live where the model lives; mixing devices is an error with a clear message,
# never a silent copy. This tutorial runs one training program on every device it can find,
# including tinynn's test device **"strict"**, and then hands the trained model to PyTorch.

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
import importlib.util
import time

import matplotlib.pyplot as plt
import numpy as np
from _setup import FAST, save  # tutorials/_setup.py, found above

import tinynn as tn
import tinynn.functional as F
from tinynn import nn, optim
from tinynn.data import DataLoader, make_spirals

EPOCHS = 15 if FAST else 100


# %% [markdown]
# ## 1. One program, a device argument
#
# Three interleaved spirals, an MLP, Adam, mini-batches. The only device-specific lines
# are `model.to(device)` and `DataLoader(..., device=device)`, which moves each batch.
# Everything that leaves the device for printing goes through `.item()` or `.numpy()`.

# %%
x_all, y_all = make_spirals(600, n_classes=3, noise=0.2, seed=0)


def train(device, epochs=EPOCHS, seed=0):
    """Train the spiral classifier on ``device``; return the model, its loss curve and seconds."""
    tn.manual_seed(seed)  # draws happen on the host: the same numbers on every device
    model = nn.Sequential(nn.Linear(2, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 3))
    model.to(device)
    opt = optim.Adam(model.parameters(), lr=0.01)
    loader = DataLoader((x_all, y_all), batch_size=100, shuffle=True, device=device)
    losses, start = [], time.perf_counter()
    for epoch in range(epochs):
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        losses.append(loss.item())  # .item(): one number back to the host
    return model, losses, time.perf_counter() - start


def accuracy(model, device):
    with tn.no_grad():
        scores = model(tn.tensor(x_all, device=device))
    return float((scores.numpy().argmax(axis=1) == y_all).mean())  # .numpy(): a host copy


cpu_model, cpu_losses, cpu_seconds = train("cpu")
cpu_accuracy = accuracy(cpu_model, "cpu")
print(f"cpu:    final loss {cpu_losses[-1]:.4f}, accuracy {cpu_accuracy:.3f}, {cpu_seconds:.2f} s")
assert cpu_accuracy > (0.8 if FAST else 0.95)

# %% [markdown]
# ## 2. On a GPU, if there is one
#
# `device="cuda"` needs CuPy (`pip install "tinynn-edu[gpu]"`, or `pip install -e ".[gpu]"`
# in a checkout, or the `cupy-cudaXXx` wheel for your CUDA) and a GPU. `tn.cuda_available()` tells; asking for "cuda" without them raises
# an error that says which is missing.

# %%
if tn.cuda_available():
    gpu_model, gpu_losses, gpu_seconds = train("cuda")
    gpu_accuracy = accuracy(gpu_model, "cuda")
    print(f"cuda:   final loss {gpu_losses[-1]:.4f}, accuracy {gpu_accuracy:.3f}, {gpu_seconds:.2f} s "
          f"({cpu_seconds / gpu_seconds:.1f}x the CPU's speed; small networks gain little)")
    print("parameter device:", next(gpu_model.parameters()).device)
    assert abs(gpu_accuracy - cpu_accuracy) < 0.05  # same seed, same maths; float rounding differs
else:
    try:
        tn.zeros(1, device="cuda")
        reason = "unknown"
    except RuntimeError as e:
        reason = str(e)
    gpu_losses = None
    print("SKIPPED the GPU run: no usable CUDA device on this machine.")
    print("  reason:", reason)
    print("  On a machine with an NVIDIA GPU: pip install 'tinynn-edu[gpu]' and run this tutorial again.")

# %% [markdown]
# ## 3. The "strict" device: a GPU rehearsal without a GPU
#
# Most GPU bugs in a from-scratch framework are one stray `np.` call, which works on NumPy
# arrays and breaks on CuPy ones. tinynn's test device `"strict"` wraps NumPy arrays so that
# they behave like CuPy's: they refuse to mix with plain NumPy arrays and refuse implicit
# conversion. The whole test suite runs on it, and so can you: if your program (or your own
# layer, tutorial 8) trains on "strict", it will train on "cuda".

# %%
strict_model, strict_losses, _ = train("strict")
strict_accuracy = accuracy(strict_model, "strict")
print(f"strict: final loss {strict_losses[-1]:.4f}, accuracy {strict_accuracy:.3f}")
print("first parameter lives on:", next(strict_model.parameters()).device)
# the strict arrays compute with NumPy underneath: the numbers are the CPU's, bit for bit
assert np.allclose(strict_losses, cpu_losses, rtol=1e-5) and strict_accuracy == cpu_accuracy

# %% [markdown]
# What the strict device refuses, and CuPy would too:

# %%
on_device = tn.ones(3, device="strict")
try:
    on_device + tn.ones(3)  # a device tensor and a CPU tensor
except RuntimeError as e:
    print("mixing devices:", e)
# the raw device array, what an op's forward and backward receive (tutorial 8): `._data`
# (older tinynn versions exposed it as `.data`, which is now a Tensor, as in PyTorch)
raw = getattr(on_device, "_data", on_device.data)
try:
    raw + np.ones(3)  # a raw device array and a NumPy array (a stray np. in an op)
except TypeError as e:
    print("mixing raw arrays:", e)
print("the fix is an explicit move:", (on_device + tn.ones(3).to("strict")).numpy())

# %%
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(cpu_losses, label="cpu")
ax.plot(strict_losses, "--", label="strict (CuPy-like)")
if gpu_losses is not None:
    ax.plot(gpu_losses, ":", label="cuda")
ax.set(xlabel="epoch", ylabel="loss of the last batch (log scale)", yscale="log",
       title="the same training program on each device")
ax.legend(fontsize=8)
save(fig, "09_devices.png")

# %% [markdown]
# ## 4. Moving the model to PyTorch
#
# tinynn's names and layouts are PyTorch's: `nn.Linear.weight` is (out, in), `Sequential`
# numbers its layers, and `state_dict()` uses the same keys ("0.weight", "0.bias", ...).
# So the trained weights load into the equivalent `torch.nn` model after turning the arrays
# into torch tensors. (Move the model to the CPU first, so `np.array(v)` gives NumPy arrays.)

# %%
state = cpu_model.to("cpu").state_dict()
print({k: tuple(v.shape) for k, v in state.items()})

if importlib.util.find_spec("torch") is None:
    print("SKIPPED the PyTorch part: torch is not installed (pip install torch to try it).")
else:
    import torch

    torch_model = torch.nn.Sequential(torch.nn.Linear(2, 64), torch.nn.Tanh(), torch.nn.Linear(64, 64),
                                      torch.nn.Tanh(), torch.nn.Linear(64, 3))
    torch_model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in state.items()})
    with torch.no_grad():
        torch_scores = torch_model(torch.from_numpy(x_all)).numpy()
    with tn.no_grad():
        tinynn_scores = cpu_model(tn.tensor(x_all)).numpy()
    print(f"largest difference between the two frameworks' outputs: {np.abs(torch_scores - tinynn_scores).max():.1e}")
    assert np.allclose(torch_scores, tinynn_scores, atol=1e-5)

    # and the way back: a PyTorch state dict into a tinynn model
    back = nn.Sequential(nn.Linear(2, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 3))
    back.load_state_dict({k: v.detach().numpy() for k, v in torch_model.state_dict().items()})
    with tn.no_grad():
        assert np.allclose(back(tn.tensor(x_all)).numpy(), torch_scores, atol=1e-5)

    # one training step agrees too: same loss, same gradients
    xb, yb = x_all[:50], y_all[:50]
    loss_t = torch.nn.functional.cross_entropy(torch_model(torch.from_numpy(xb)), torch.from_numpy(yb))
    loss_t.backward()
    loss_n = F.cross_entropy(back(tn.tensor(xb)), tn.tensor(yb))
    loss_n.backward()
    print(f"loss: torch {loss_t.item():.6f}, tinynn {loss_n.item():.6f}")
    assert abs(loss_t.item() - loss_n.item()) < 1e-5
    for (name, p), tp in zip(back.named_parameters(), torch_model.parameters()):
        assert np.allclose(np.asarray(p.grad), tp.grad.numpy(), atol=1e-5), name
    print("PyTorch and tinynn agree on the outputs, the loss and every gradient")

# %% [markdown]
# Saved checkpoints move the same way: `tn.load(path)` returns the name → array dict that
# `tn.save` wrote, ready for `torch.from_numpy`.
#
# ## What we learned
# * One program, any device: create or move tensors and models with `device=` / `.to()`;
#   read results with `.item()` / `.numpy()`.
# * Without a GPU the "cuda" run is skipped with the reason; the "strict" device rehearses
#   GPU rules (no silent host/device mixing) on any machine and gives the CPU's numbers.
# * A tinynn `state_dict` is a PyTorch `state_dict` in NumPy: the same keys, shapes and
#   layouts, so the model moves across (and back) unchanged.
#
# Next: [10. Attention by hand](10_attention_by_hand.py), the first step towards a GPT
# (the [index](README.md) lists every tutorial).
