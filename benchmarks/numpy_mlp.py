"""The naive reference: an MLP training step written by hand in NumPy, the plain way.

No autodiff, no graph, no framework: forward, softmax cross-entropy with its fused gradient
(softmax - one_hot) / N, backward by hand [E8, E10], and an in-place SGD update. Any NumPy
engine does at least this arithmetic. It still allocates each step's activations and
gradients afresh, as ordinary NumPy code does; ``floor.FloorMLP`` is the same step with every
buffer preallocated, the stricter floor of issue 17. Both are reported side by side.

>>> import numpy as np
>>> mlp = NumpyMLP.init([4, 8, 3], seed=0)
>>> x = np.ones((5, 4), np.float32); y = np.array([0, 1, 2, 0, 1])
>>> loss = mlp.step(x, y, lr=0.1); loss.dtype, bool(loss > 0)
(dtype('float32'), True)
"""
from __future__ import annotations

import numpy as np


class NumpyMLP:
    """Linear layers with ReLU between them, logits out; weights (out, in) as in PyTorch."""

    def __init__(self, weights, biases):
        self.weights = [np.array(w, dtype=np.float32) for w in weights]
        self.biases = [np.array(b, dtype=np.float32) for b in biases]

    @classmethod
    def init(cls, sizes, seed=0):
        """PyTorch's default Linear init: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias."""
        rng = np.random.default_rng(seed)
        weights, biases = [], []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            bound = 1.0 / np.sqrt(n_in)
            weights.append(rng.uniform(-bound, bound, (n_out, n_in)).astype(np.float32))
            biases.append(rng.uniform(-bound, bound, n_out).astype(np.float32))
        return cls(weights, biases)

    def step(self, x, y, lr):
        """One SGD step on a batch (x: (N, in) float32, y: (N,) class indices); returns the loss."""
        # forward: keep every layer's input for the weight gradients
        acts = [x]
        h = x
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            h = h @ w.T
            h += b
            if i < last:
                np.maximum(h, 0, out=h)  # ReLU in place: the pre-activation is not needed again
                acts.append(h)

        # softmax cross-entropy, fused: loss from log-sum-exp, gradient (softmax - one_hot) / N
        n = len(y)
        rows = np.arange(n)
        h -= h.max(axis=1, keepdims=True)
        e = np.exp(h)
        sums = e.sum(axis=1, keepdims=True)
        loss = np.log(sums[:, 0]).mean() - h[rows, y].mean()
        e /= sums
        e[rows, y] -= 1
        e *= np.float32(1.0 / n)
        grad = e

        # backward and in-place SGD, last layer first
        for i in range(last, -1, -1):
            w, b, a = self.weights[i], self.biases[i], acts[i]
            grad_w = grad.T @ a
            grad_b = grad.sum(axis=0)
            if i > 0:  # the input layer's dX is never needed
                grad = grad @ w
                grad *= a > 0  # ReLU' from its output: 1 where it was positive
            grad_w *= lr
            w -= grad_w
            grad_b *= lr
            b -= grad_b
        return loss
