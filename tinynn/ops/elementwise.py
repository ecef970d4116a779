"""Elementwise maths: exp, log, sqrt, abs, clip — each derivative next to its function."""
from __future__ import annotations

from tinynn import backend
from tinynn.tensor import Function


class Exp(Function):
    def forward(self, x):
        self.out = backend.xp_of(x).exp(x)
        return self.out

    def backward(self, grad):
        return grad * self.out  # d/dx e^x = e^x


class Log(Function):
    def forward(self, x):
        self.x = x
        return backend.xp_of(x).log(x)

    def backward(self, grad):
        return grad / self.x  # d/dx log x = 1/x


class Sqrt(Function):
    def forward(self, x):
        self.out = backend.xp_of(x).sqrt(x)
        return self.out

    def backward(self, grad):
        return grad / (2 * self.out)  # d/dx √x = 1/(2√x)


class Abs(Function):
    def forward(self, x):
        self.x = x
        return backend.xp_of(x).abs(x)

    def backward(self, grad):
        return grad * backend.xp_of(self.x).sign(self.x)  # 0 at 0, as in PyTorch


class Clip(Function):
    """Clamp to [low, high]; the gradient passes where low <= x <= high (PyTorch's clamp)."""

    def __init__(self, low=None, high=None):
        self.low, self.high = low, high

    def forward(self, x):
        self.x = x
        return backend.xp_of(x).clip(x, self.low, self.high)

    def backward(self, grad):
        inside = True
        if self.low is not None:
            inside = self.x >= self.low
        if self.high is not None:
            inside = inside & (self.x <= self.high)
        return grad * inside


def exp(x):
    """e ** x elementwise.

    >>> exp(tn.zeros(2)).tolist()
    [1.0, 1.0]
    """
    return Exp()(x)


def log(x):
    """Natural logarithm elementwise (gradient 1/x).

    >>> round(log(tn.tensor([2.718281828])).item(), 6)
    1.0
    """
    return Log()(x)


def sqrt(x):
    """Square root elementwise (gradient 1/(2√x)).

    >>> sqrt(tn.tensor([4.0, 9.0])).tolist()
    [2.0, 3.0]
    """
    return Sqrt()(x)


def abs(x):  # noqa: A001 - mirrors torch.abs
    """|x| elementwise (gradient sign(x), 0 at 0).

    >>> abs(tn.tensor([-1.5, 2.0])).tolist()
    [1.5, 2.0]
    """
    return Abs()(x)


def clip(x, low=None, high=None):
    """Clamp x to [low, high] (either bound may be None). Also called ``clamp``.

    >>> import tinynn as tn
    >>> clip(tn.tensor([-2.0, 0.5, 3.0]), 0.0, 1.0).tolist()
    [0.0, 0.5, 1.0]
    """
    if low is None and high is None:
        raise ValueError("clip: give at least one of low and high")
    return Clip(low, high)(x)


clamp = clip
