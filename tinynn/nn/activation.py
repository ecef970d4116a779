"""Activation modules: thin wrappers around the stable ops in ``tinynn.ops.activation``.

>>> import tinynn as tn
>>> from tinynn import nn
>>> nn.ReLU()(tn.tensor([-1.0, 2.0])).tolist()
[0.0, 2.0]
"""
from __future__ import annotations

from tinynn.nn.module import Module
from tinynn.ops import log_softmax, relu, sigmoid, softmax, tanh


class Sigmoid(Module):
    """σ(x) = 1/(1+e^-x)  [E1], stable for any x."""

    def forward(self, x):
        return sigmoid(x)


class ReLU(Module):
    """max(0, x)  [E2]; gradient 0 at x = 0 as in PyTorch."""

    def forward(self, x):
        return relu(x)


class Tanh(Module):
    """tanh(x)  [E3]."""

    def forward(self, x):
        return tanh(x)


class Identity(Module):
    """Returns its input unchanged (a placeholder layer)."""

    def forward(self, x):
        return x


class Softmax(Module):
    """softmax along ``dim`` (default the last axis: the class axis of (N, C) scores).

    For training a classifier use ``CrossEntropyLoss`` on the raw scores instead: it applies
    log-softmax inside, which is stabler and has the simple gradient softmax − y  [E5].
    """

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return softmax(x, axis=self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log(softmax(x)) along ``dim``, computed without forming softmax (pair with NLLLoss)."""

    def forward(self, x):
        return log_softmax(x, axis=self.dim)
