"""The floor: the MLP training step written by hand in NumPy, every buffer preallocated and
every op in place, so a step allocates no large array at all.

Where it comes from: issue 17's floor (``../shared/bench/numpy_floor.py``, the speed
session's script), rewritten here so that the benchmarks carry it themselves (a clean clone
has no ``../shared``). The arithmetic is the same as the naive reference
(``numpy_mlp.NumpyMLP``): forward ``x @ W + b`` with ReLU, softmax cross-entropy with its
fused gradient (softmax - one_hot) / N, backward by hand [E8, E10], plain SGD. What differs is
memory: every activation, gradient and mask has its buffer from the start and each op writes
into it (``out=``). A temporary that is freed and allocated again each step is returned to
the OS and page-faulted back in on these VMs, which costs real time at the larger sizes; the
floor pays none of it. It is what NumPy itself can do, so ``tinynn / floor`` is the whole
cost of the engine.

Weights come in PyTorch's (out, in) layout, the same values as every other contender; the
floor keeps them transposed, (in, out), so each product is a plain ``x @ W``.

>>> import numpy as np
>>> from benchmarks.numpy_mlp import NumpyMLP
>>> naive = NumpyMLP.init([4, 8, 3], seed=0)
>>> floor = FloorMLP(naive.weights, naive.biases, batch=5)
>>> x = np.linspace(-1, 1, 20, dtype=np.float32).reshape(5, 4); y = np.array([0, 1, 2, 0, 1])
>>> bool(np.isclose(floor.step(x, y, lr=0.1), naive.step(x, y, lr=0.1)))
True
>>> all(np.allclose(f.T, n) for f, n in zip(floor.weights, naive.weights))
True
"""
from __future__ import annotations

import numpy as np


class FloorMLP:
    """Linear layers with ReLU between them, logits out, trained one SGD step at a time on
    batches of exactly ``batch`` rows, with no allocation of any size proportional to the model."""

    def __init__(self, weights, biases, batch):
        self.weights = [np.ascontiguousarray(np.asarray(w, np.float32).T) for w in weights]  # (in, out)
        self.biases = [np.array(b, dtype=np.float32) for b in biases]
        self.batch = batch
        widths = [w.shape[1] for w in self.weights]
        f32 = np.float32
        self._acts = [np.empty((batch, n), f32) for n in widths]  # each layer's output
        self._grads = [np.empty((batch, n), f32) for n in widths[:-1]]  # d loss / d hidden output
        self._masks = [np.empty((batch, n), np.bool_) for n in widths[:-1]]  # ReLU' as booleans
        self._grad_w = [np.empty_like(w) for w in self.weights]
        self._grad_b = [np.empty_like(b) for b in self.biases]
        self._row_max = np.empty((batch, 1), f32)
        self._row_sum = np.empty((batch, 1), f32)
        self._probs = np.empty((batch, widths[-1]), f32)
        self._rows = np.arange(batch)

    def step(self, x, y, lr):
        """One SGD step on ``x`` (batch, in) float32 and class indices ``y`` (batch,); returns the loss."""
        if x.shape[0] != self.batch:
            raise ValueError(f"FloorMLP.step: x has {x.shape[0]} rows but the buffers were made for "
                             f"batch={self.batch}; build FloorMLP(..., batch={x.shape[0]})")
        last = len(self.weights) - 1
        # forward, into the preallocated activations
        h = x
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            out = self._acts[i]
            np.matmul(h, w, out=out)
            out += b
            if i < last:
                np.maximum(out, 0, out=out)
            h = out

        # softmax cross-entropy, fused; the shifted logits overwrite the logits. The only
        # temporaries are O(batch): the log of the row sums and the picked logits.
        rows, probs = self._rows, self._probs
        np.max(h, axis=1, keepdims=True, out=self._row_max)
        np.subtract(h, self._row_max, out=h)
        np.exp(h, out=probs)
        np.sum(probs, axis=1, keepdims=True, out=self._row_sum)
        inv_n = np.float32(1.0 / self.batch)
        loss = (np.log(self._row_sum).sum() - h[rows, y].sum()) * inv_n
        np.divide(probs, self._row_sum, out=probs)
        probs[rows, y] -= 1
        probs *= inv_n

        # backward, last layer first, into the preallocated gradients
        grad = probs
        for i in range(last, -1, -1):
            layer_input = x if i == 0 else self._acts[i - 1]
            np.matmul(layer_input.T, grad, out=self._grad_w[i])
            np.sum(grad, axis=0, out=self._grad_b[i])
            if i > 0:  # the input layer's dX is never needed
                below = self._grads[i - 1]
                np.matmul(grad, self.weights[i].T, out=below)
                np.greater(self._acts[i - 1], 0, out=self._masks[i - 1])  # ReLU' from its output
                np.multiply(below, self._masks[i - 1], out=below)
                grad = below

        # SGD in place (after the whole backward: it needs the old weights)
        lr = np.float32(lr)
        for w, b, gw, gb in zip(self.weights, self.biases, self._grad_w, self._grad_b):
            gw *= lr
            w -= gw
            gb *= lr
            b -= gb
        return loss
