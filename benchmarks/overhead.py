"""The cost of the engine itself: forward + backward of ``(a*b + a).sum()`` on tiny arrays.

On one element the arithmetic is free, so what is timed is graph building, the backward
walk and gradient bookkeeping: four ops, four backward nodes, two leaf gradients.
"""
from __future__ import annotations

import numpy as np

SHAPES = {"1 element": (1,), "10x10": (10, 10)}


def tinynn_fn(shape):
    import tinynn as tn

    return _run_fn(shape, lambda values: tn.tensor(values, requires_grad=True))


def torch_fn(shape, torch):
    return _run_fn(shape, lambda values: torch.tensor(values, requires_grad=True))


def _run_fn(shape, leaf):
    """``run()``: forward + backward of (a*b + a).sum() on two leaves made by ``leaf``."""
    rng = np.random.default_rng(0)
    a = leaf(rng.standard_normal(shape).astype(np.float32))
    b = leaf(rng.standard_normal(shape).astype(np.float32))

    def run():
        a.grad = b.grad = None
        (a * b + a).sum().backward()
    return run
