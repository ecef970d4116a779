"""One MLP training step four ways, from the same initial weights and the same batches.

* tinynn, through the public API a learner uses: ``nn.Sequential`` of ``nn.Linear`` and
  ``nn.ReLU``, ``nn.CrossEntropyLoss``, ``optim.SGD``;
* the floor (``floor.FloorMLP``): hand-written NumPy, every buffer preallocated, every op in place;
* the naive reference (``numpy_mlp.NumpyMLP``): hand-written NumPy, allocating as plain code does;
* PyTorch CPU eager, the same model, when torch imports.

Each builder returns ``step()``: forward, softmax cross-entropy, backward, SGD update.

>>> data = batches((4, 8, 3), 5)
>>> steps = [floor_step((4, 8, 3), data), naive_step((4, 8, 3), data), tinynn_step((4, 8, 3), data)]
>>> losses = [[float(s()) for _ in range(3)] for s in steps]
>>> bool(np.allclose(losses[0], losses[1], rtol=1e-5) and np.allclose(losses[0], losses[2], rtol=1e-5))
True
"""
from __future__ import annotations

import numpy as np

from benchmarks.floor import FloorMLP
from benchmarks.numpy_mlp import NumpyMLP

SIZES = {  # name: (layer widths, batch size)
    "small": ((64, 128, 10), 64),
    "medium": ((784, 256, 256, 10), 128),
    "large": ((784, 1024, 1024, 10), 512),
}
LR = 0.01
N_BATCHES = 4  # the steps cycle through a few fixed batches (no data loading is timed)


def batches(widths, batch, seed=1):
    """A few float32 input batches and int64 class labels."""
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((batch, widths[0])).astype(np.float32),
             rng.integers(0, widths[-1], batch).astype(np.int64)) for _ in range(N_BATCHES)]


def _cycle(items):
    state = {"i": -1}

    def next_item():
        state["i"] = (state["i"] + 1) % len(items)
        return items[state["i"]]
    return next_item


def floor_step(widths, data, seed=0):
    ref = NumpyMLP.init(widths, seed)
    mlp = FloorMLP(ref.weights, ref.biases, batch=len(data[0][1]))
    return _hand_step(mlp, data)


def naive_step(widths, data, seed=0):
    return _hand_step(NumpyMLP.init(widths, seed), data)


def _hand_step(mlp, data):
    nxt = _cycle(data)

    def step():
        x, y = nxt()
        return mlp.step(x, y, LR)
    return step


def tinynn_step(widths, data, seed=0):
    import tinynn as tn
    from tinynn import nn, optim

    model = _sequential(nn, widths, seed, tn.tensor)
    tensors = [(tn.tensor(x), tn.tensor(y)) for x, y in data]
    return training_step(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=LR), tensors)


def torch_step(widths, data, torch, seed=0):
    model = _sequential(torch.nn, widths, seed, torch.from_numpy)
    tensors = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in data]
    return training_step(model, torch.nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=LR), tensors)


def _sequential(nn, widths, seed, to_tensor):
    """``nn.Sequential(Linear, ReLU, ..., Linear)`` holding ``NumpyMLP.init(widths, seed)``'s
    weights, loaded through ``load_state_dict`` (tinynn and PyTorch spell it alike)."""
    ref = NumpyMLP.init(widths, seed)
    layers = []
    for i, (w, b) in enumerate(zip(ref.weights, ref.biases)):
        layer = nn.Linear(w.shape[1], w.shape[0])
        layer.load_state_dict({"weight": to_tensor(w), "bias": to_tensor(b)})
        layers += [layer, nn.ReLU()] if i < len(ref.weights) - 1 else [layer]
    return nn.Sequential(*layers)


def training_step(model, loss_fn, opt, tensors):
    """``step()`` through a framework's public API (tinynn and PyTorch spell it alike)."""
    nxt = _cycle(tensors)

    def step():
        x, y = nxt()
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    step.model = model
    return step
