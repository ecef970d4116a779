"""One MLP training step three ways, from the same weights and batches.

* tinynn, through the public API a learner uses: ``nn.Sequential`` of ``nn.Linear`` and
  ``nn.ReLU``, ``nn.CrossEntropyLoss``, ``optim.SGD``;
* hand-written NumPy backprop (``numpy_mlp.NumpyMLP``), the floor for any NumPy engine;
* PyTorch CPU eager, the same model, when torch imports.

Each builder returns ``step()``: forward, softmax cross-entropy, backward, SGD update.
"""
from __future__ import annotations

import numpy as np

from benchmarks.numpy_mlp import NumpyMLP

SIZES = {  # name: (layer widths, batch size)
    "small": ((64, 128, 10), 64),
    "medium": ((784, 256, 256, 10), 128),
    "large": ((784, 1024, 1024, 10), 512),
}
LR = 0.01
N_BATCHES = 4  # the steps cycle through a few fixed batches (no data loading is timed)


def batches(sizes, batch, seed=1):
    """A few float32 input batches and int64 class labels."""
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((batch, sizes[0])).astype(np.float32),
             rng.integers(0, sizes[-1], batch).astype(np.int64)) for _ in range(N_BATCHES)]


def _cycle(items):
    state = {"i": 0}

    def next_item():
        state["i"] = (state["i"] + 1) % len(items)
        return items[state["i"]]
    return next_item


def numpy_step(sizes, data, seed=0):
    mlp = NumpyMLP.init(sizes, seed)
    nxt = _cycle(data)

    def step():
        x, y = nxt()
        return mlp.step(x, y, LR)
    return step


def tinynn_model(sizes, seed=0):
    """nn.Sequential(Linear, ReLU, ..., Linear) holding NumpyMLP.init(sizes, seed)'s weights."""
    import tinynn as tn
    from tinynn import nn

    ref = NumpyMLP.init(sizes, seed)
    layers = []
    for i, (w, b) in enumerate(zip(ref.weights, ref.biases)):
        layer = nn.Linear(w.shape[1], w.shape[0])
        layer.weight.data[...] = w
        layer.bias.data[...] = b
        layers += [layer, nn.ReLU()] if i < len(ref.weights) - 1 else [layer]
    return nn.Sequential(*layers), tn


def tinynn_step(sizes, data, seed=0):
    from tinynn import nn, optim

    model, tn = tinynn_model(sizes, seed)
    tensors = [(tn.Tensor(x), tn.Tensor(y)) for x, y in data]
    return training_step(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=LR), tensors)


def torch_step(sizes, data, torch, seed=0):
    ref = NumpyMLP.init(sizes, seed)
    layers = []
    for i, (w, b) in enumerate(zip(ref.weights, ref.biases)):
        layer = torch.nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(w))
            layer.bias.copy_(torch.from_numpy(b))
        layers += [layer, torch.nn.ReLU()] if i < len(ref.weights) - 1 else [layer]
    model = torch.nn.Sequential(*layers)
    tensors = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in data]
    return training_step(model, torch.nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=LR), tensors)


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
