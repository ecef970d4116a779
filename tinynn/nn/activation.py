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
    """σ(x) = 1/(1+e^-x)  [E1], stable for any x.

    >>> import tinynn as tn
    >>> Sigmoid()(tn.tensor([0.0, 1000.0])).tolist()
    [0.5, 1.0]
    """

    _input_ranks = 0  # any Tensor; anything else is refused naming the layer

    def forward(self, x):
        """σ of every element of ``x``."""
        return sigmoid(x)


class ReLU(Module):
    """max(0, x)  [E2]; gradient 0 at x = 0 as in PyTorch.

    >>> import tinynn as tn
    >>> ReLU()(tn.tensor([-1.0, 0.0, 2.0])).tolist()
    [0.0, 0.0, 2.0]
    """

    _input_ranks = 0  # any Tensor; anything else is refused naming the layer

    def forward(self, x):
        """max(0, x) elementwise."""
        return relu(x)


class Tanh(Module):
    """tanh(x)  [E3].

    >>> import tinynn as tn
    >>> Tanh()(tn.tensor([0.0, 100.0])).tolist()
    [0.0, 1.0]
    """

    _input_ranks = 0  # any Tensor; anything else is refused naming the layer

    def forward(self, x):
        """tanh of every element of ``x``."""
        return tanh(x)


class Identity(Module):
    """Returns its input unchanged (a placeholder layer).

    >>> import tinynn as tn
    >>> x = tn.ones(2)
    >>> Identity()(x) is x
    True
    """

    def forward(self, x):
        """``x`` itself."""
        return x


class Softmax(Module):
    """softmax along ``dim`` (default the last axis: the class axis of (N, C) scores).

    For training a classifier use ``CrossEntropyLoss`` on the raw scores instead: it applies
    log-softmax inside, which is stabler and has the simple gradient softmax − y  [E5].

    >>> import tinynn as tn
    >>> Softmax(dim=-1)(tn.tensor([[0.0, 0.0], [0.0, 1000.0]])).tolist()
    [[0.5, 0.5], [0.0, 1.0]]
    """

    _input_ranks = 0  # any Tensor; anything else is refused naming the layer

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        """softmax of ``x`` along ``self.dim`` (each slice sums to 1)."""
        return softmax(x, axis=self.dim)

    def extra_repr(self):
        """``dim=...`` for the repr."""
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log(softmax(x)) along ``dim``, computed without forming softmax (pair with NLLLoss).

    >>> import tinynn as tn
    >>> [round(v, 4) for v in LogSoftmax(dim=1)(tn.tensor([[1.0, 1.0]])).tolist()[0]]   # log ½
    [-0.6931, -0.6931]
    """

    def forward(self, x):
        """log-softmax of ``x`` along ``self.dim``."""
        return log_softmax(x, axis=self.dim)
