"""The cost of the engine itself: forward + backward of ``(a*b + a).sum()`` on tiny arrays.

On one element the arithmetic is free, so what is timed is graph building, the backward
walk and gradient bookkeeping: four ops, four backward nodes, two leaf gradients.
"""
from __future__ import annotations

import numpy as np

SHAPES = {"1 element": (1,), "10x10": (10, 10)}


def tinynn_fn(shape):
    import tinynn as tn

    rng = np.random.default_rng(0)
    a = tn.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
    b = tn.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)

    def run():
        a.grad = b.grad = None
        (a * b + a).sum().backward()
    return run


def torch_fn(shape, torch):
    rng = np.random.default_rng(0)
    a = torch.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
    b = torch.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)

    def run():
        a.grad = b.grad = None
        (a * b + a).sum().backward()
    return run
