"""Layer cases: forward + backward of one layer in tinynn and in PyTorch, on the same inputs.

Each ``case_*(torch)`` returns ``(run_tinynn, run_torch)``: two no-argument functions doing
the same work through each framework's public API (``run_torch`` is None without PyTorch).
The rows that time them, with their shapes and goals, are listed in ``registry.py``; run
them with ``python -m benchmarks --only layers``.

>>> run_tinynn, run_torch = case_pool(None)
>>> run_tinynn(); run_torch is None
True
"""
from __future__ import annotations

import numpy as np

import tinynn as tn
import tinynn.functional as F
from tinynn import nn


def case_conv(torch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 3, 32, 32)).astype(np.float32)
    ours, xs = nn.Conv2d(3, 32, 3), tn.tensor(x, requires_grad=True)
    g = np.ones((32, 32, 30, 30), np.float32)
    gs = tn.tensor(g)

    def run_ours():
        xs.grad = None
        ours.zero_grad()
        ours(xs).backward(gs)

    if torch is None:
        return run_ours, None
    theirs, xt, gt = torch.nn.Conv2d(3, 32, 3), torch.tensor(x, requires_grad=True), torch.tensor(g)

    def run_theirs():
        xt.grad = None
        theirs.zero_grad()
        theirs(xt).backward(gt)

    return run_ours, run_theirs


def case_pool(torch):
    x = np.random.default_rng(0).standard_normal((32, 32, 30, 30)).astype(np.float32)
    g = np.ones((32, 32, 15, 15), np.float32)
    xs, gs = tn.tensor(x, requires_grad=True), tn.tensor(g)

    def run_ours():
        xs.grad = None
        F.max_pool2d(xs, 2).backward(gs)

    if torch is None:
        return run_ours, None
    xt, gt = torch.tensor(x, requires_grad=True), torch.tensor(g)

    def run_theirs():
        xt.grad = None
        torch.nn.functional.max_pool2d(xt, 2).backward(gt)

    return run_ours, run_theirs


def case_embedding(torch):
    idx = np.random.default_rng(0).integers(0, 10000, (64, 50))
    ours = nn.Embedding(10000, 128)
    g = np.ones((64, 50, 128), np.float32)
    xs, gs = tn.tensor(idx), tn.tensor(g)

    def run_ours():
        ours.zero_grad()
        ours(xs).backward(gs)

    if torch is None:
        return run_ours, None
    theirs, xt, gt = torch.nn.Embedding(10000, 128), torch.tensor(idx), torch.tensor(g)

    def run_theirs():
        theirs.zero_grad()
        theirs(xt).backward(gt)

    return run_ours, run_theirs


def case_lstm(torch, steps=20, batch=64, size=128):
    x = np.random.default_rng(0).standard_normal((steps, batch, size)).astype(np.float32)
    ours, xs = nn.LSTM(size, size), tn.tensor(x, requires_grad=True)

    def run_ours():
        xs.grad = None
        ours.zero_grad()
        out, _ = ours(xs)
        out.sum().backward()

    if torch is None:
        return run_ours, None
    theirs, xt = torch.nn.LSTM(size, size), torch.tensor(x, requires_grad=True)

    def run_theirs():
        xt.grad = None
        theirs.zero_grad()
        out, _ = theirs(xt)
        out.sum().backward()

    return run_ours, run_theirs


def case_lstm_cell(torch, batch=64, size=128):
    rng = np.random.default_rng(0)
    x, h, c = (rng.standard_normal((batch, size)).astype(np.float32) for _ in range(3))
    ours = nn.LSTMCell(size, size)
    xs, hs, cs = tn.tensor(x, requires_grad=True), tn.tensor(h), tn.tensor(c)

    def run_ours():
        xs.grad = None
        ours.zero_grad()
        h1, c1 = ours(xs, (hs, cs))
        (h1.sum() + c1.sum()).backward()

    if torch is None:
        return run_ours, None
    theirs = torch.nn.LSTMCell(size, size)
    xt, ht, ct = torch.tensor(x, requires_grad=True), torch.tensor(h), torch.tensor(c)

    def run_theirs():
        xt.grad = None
        theirs.zero_grad()
        h1, c1 = theirs(xt, (ht, ct))
        (h1.sum() + c1.sum()).backward()

    return run_ours, run_theirs


# The GPT's kernels one at a time, at its sizes (batch 12, block 64, n_embd 128, 4 heads); not
# rows of registry.ROWS (issue 17 names no goal for them), for timing a kernel change alone:
#   from benchmarks import bench_layers, registry
#   registry.Row("LayerNorm fwd+bwd", "(12, 64, 128)", bench_layers.case_layer_norm)
def case_layer_norm(torch, shape=(12, 64, 128)):
    rng = np.random.default_rng(0)
    x, g = (rng.standard_normal(shape).astype(np.float32) for _ in range(2))
    ours, xs, gs = nn.LayerNorm(shape[-1]), tn.tensor(x, requires_grad=True), tn.tensor(g)

    def run_ours():
        xs.grad = None
        ours.zero_grad()
        ours(xs).backward(gs)

    if torch is None:
        return run_ours, None
    theirs, xt, gt = torch.nn.LayerNorm(shape[-1]), torch.tensor(x, requires_grad=True), torch.tensor(g)

    def run_theirs():
        xt.grad = None
        theirs.zero_grad()
        theirs(xt).backward(gt)

    return run_ours, run_theirs


def case_gelu(torch, shape=(12, 64, 512)):
    rng = np.random.default_rng(0)
    x, g = (rng.standard_normal(shape).astype(np.float32) for _ in range(2))
    xs, gs = tn.tensor(x, requires_grad=True), tn.tensor(g)

    def run_ours():
        xs.grad = None
        F.gelu(xs).backward(gs)

    if torch is None:
        return run_ours, None
    xt, gt = torch.tensor(x, requires_grad=True), torch.tensor(g)

    def run_theirs():
        xt.grad = None
        torch.nn.functional.gelu(xt).backward(gt)

    return run_ours, run_theirs


def case_attention(torch, shape=(12, 4, 64, 32)):
    """Causal scaled dot-product attention, forward + backward to q, k and v."""
    rng = np.random.default_rng(0)
    q, k, v, g = (rng.standard_normal(shape).astype(np.float32) for _ in range(4))
    ours, gs = [tn.tensor(a, requires_grad=True) for a in (q, k, v)], tn.tensor(g)

    def run_ours():
        for t in ours:
            t.grad = None
        F.scaled_dot_product_attention(*ours, is_causal=True).backward(gs)

    if torch is None:
        return run_ours, None
    theirs, gt = [torch.tensor(a, requires_grad=True) for a in (q, k, v)], torch.tensor(g)

    def run_theirs():
        for t in theirs:
            t.grad = None
        torch.nn.functional.scaled_dot_product_attention(*theirs, is_causal=True).backward(gt)

    return run_ours, run_theirs
