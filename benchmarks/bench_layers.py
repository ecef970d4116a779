"""Layer benchmarks: tinynn against PyTorch (CPU) for the layers of the documents' programs.

Forward + backward of Conv2d on (32, 3, 32, 32) with 32 filters 3×3 (the issue's target:
within 3× of PyTorch), MaxPool2d, Embedding, an LSTM layer over a sequence and one LSTMCell
step. Contenders take turns (``benchmarks.timing.interleaved``); figures are medians after
a warm-up. ``run()`` returns the rows for ``python -m benchmarks``; run this file alone
for a table:

    python benchmarks/bench_layers.py [--quick]
"""
from __future__ import annotations

import pathlib
import sys

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

import tinynn as tn  # noqa: E402
import tinynn.functional as F  # noqa: E402
from benchmarks import timing  # noqa: E402
from tinynn import nn  # noqa: E402


def _case_conv(torch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 3, 32, 32)).astype(np.float32)
    ours, xs = nn.Conv2d(3, 32, 3), tn.tensor(x, requires_grad=True)
    g = np.ones((32, 32, 30, 30), np.float32)

    def run_ours():
        xs.grad = None
        ours.zero_grad()
        ours(xs).backward(g)

    if torch is None:
        return run_ours, None
    theirs, xt, gt = torch.nn.Conv2d(3, 32, 3), torch.tensor(x, requires_grad=True), torch.tensor(g)

    def run_theirs():
        xt.grad = None
        theirs.zero_grad()
        theirs(xt).backward(gt)

    return run_ours, run_theirs


def _case_pool(torch):
    x = np.random.default_rng(0).standard_normal((32, 32, 30, 30)).astype(np.float32)
    xs, g = tn.tensor(x, requires_grad=True), np.ones((32, 32, 15, 15), np.float32)

    def run_ours():
        xs.grad = None
        F.max_pool2d(xs, 2).backward(g)

    if torch is None:
        return run_ours, None
    xt, gt = torch.tensor(x, requires_grad=True), torch.tensor(g)

    def run_theirs():
        xt.grad = None
        torch.nn.functional.max_pool2d(xt, 2).backward(gt)

    return run_ours, run_theirs


def _case_embedding(torch):
    idx = np.random.default_rng(0).integers(0, 10000, (64, 50))
    ours = nn.Embedding(10000, 128)
    xs, g = tn.tensor(idx), np.ones((64, 50, 128), np.float32)

    def run_ours():
        ours.zero_grad()
        ours(xs).backward(g)

    if torch is None:
        return run_ours, None
    theirs, xt, gt = torch.nn.Embedding(10000, 128), torch.tensor(idx), torch.tensor(g)

    def run_theirs():
        theirs.zero_grad()
        theirs(xt).backward(gt)

    return run_ours, run_theirs


def _case_lstm(torch, steps=20, batch=64, size=128):
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


def _case_lstm_cell(torch, batch=64, size=128):
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


CASES = [
    ("Conv2d fwd+bwd", "x (32, 3, 32, 32), 32 filters 3×3", _case_conv),
    ("MaxPool2d fwd+bwd", "(32, 32, 30, 30), 2×2", _case_pool),
    ("Embedding fwd+bwd", "10000×128 table, (64, 50) tokens", _case_embedding),
    ("LSTM layer fwd+bwd", "T=20, B=64, 128→128", _case_lstm),
    ("LSTMCell step fwd+bwd", "B=64, 128→128", _case_lstm_cell),
]


def run(quick=False):
    """Time every case; returns one dict per row (milliseconds, and tinynn/torch when torch imports)."""
    try:
        import torch
    except ImportError:
        torch = None
    calls = 20 if quick else 100
    rows = []
    for name, shape, make in CASES:
        tn.manual_seed(0)
        ours, theirs = make(torch)
        contenders = {"tinynn": ours} if theirs is None else {"tinynn": ours, "torch": theirs}
        # turns of 10 calls with a pause before each: tinynn's BLAS threads and PyTorch's own
        # pool must not spin on each other's turns; the ratio is paired turn by turn
        result = timing.interleaved(contenders, calls=calls, warmup=5, block=10, settle=0 if theirs is None else 0.25)
        row = {"layer": name, "shape": shape, "tinynn ms": round(result["tinynn"]["median"] * 1e3, 3)}
        if theirs is not None:
            row["torch ms"] = round(result["torch"]["median"] * 1e3, 3)
            ratio = timing.paired_ratio(result["tinynn"], result["torch"])
            row["tinynn / torch"] = f"{ratio['median']:.2f} ({ratio['p25']:.2f}–{ratio['p75']:.2f})"
        rows.append(row)
    return rows


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    rows = run(quick="--quick" in argv)
    keys = list(dict.fromkeys(k for r in rows for k in r))
    widths = [max(len(k), *(len(str(r.get(k, ""))) for r in rows)) for k in keys]
    print("  ".join(k.ljust(w) for k, w in zip(keys, widths)))
    for r in rows:
        print("  ".join(str(r.get(k, "")).ljust(w) for k, w in zip(keys, widths)))
    try:
        import torch
        print(f"(torch {torch.__version__}, {torch.get_num_threads()} threads; medians after warm-up)")
    except ImportError:
        print("(torch not installed: tinynn only)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
