"""Activations [E1-E3] and softmax / log-softmax, written so they never overflow.

The naive formulas break at large |x|: 1/(1+e^-x) overflows e^-x for x = -1000, and
e^x / Σe^x overflows for x = 1000. The forms below only ever exponentiate numbers <= 0,
and ``safe_exp`` flushes results that would be subnormal to 0 so that even
``np.errstate(all="raise")`` (underflow included) stays quiet.
"""
from __future__ import annotations

import math

from tinynn import backend
from tinynn.tensor import Function  # noqa: I001 - first: tensor.py imports the ops it needs
from tinynn.ops.reduction import dim_index

_exp_floor = {}  # dtype -> smallest exponent whose exp is still a normal number


def safe_exp(xp, z):
    """exp(z) for z <= 0 without underflow warnings: values below the dtype's tiny become 0."""
    floor = _exp_floor.get(z.dtype)
    if floor is None:
        floor = _exp_floor[z.dtype] = math.log(float(xp.finfo(z.dtype).tiny)) + 1.0
    if z.size and z.min() < floor:  # rare: some results would be subnormal, make them 0
        return xp.where(z < floor, 0, xp.exp(xp.maximum(z, floor))).astype(z.dtype, copy=False)
    return xp.exp(z)  # the usual case: one pass to check, one to exponentiate


class SigmoidFunction(Function):
    """σ(x) = 1/(1+e^-x)  [E1];  σ'(x) = σ(x)(1-σ(x)).

    Two branches so e^(-|x|) <= 1 is the only exponential: σ(x) = 1/(1+e^-x) for x >= 0
    and e^x/(1+e^x) for x < 0 (the same function, rearranged).
    """

    def forward(self, x):
        xp = backend.xp_of(x)
        e = safe_exp(xp, -xp.abs(x))
        self.out = xp.where(x >= 0, 1, e).astype(x.dtype, copy=False) / (1 + e)
        return self.out
    def backward(self, grad):
        # BEGIN SOLUTION sigmoid_backward
        # HINT: σ'(x) = σ(x)(1 - σ(x)), and forward kept σ(x) in self.out: no new exponential is needed.
        s = self.out
        return grad * s * (1 - s)
        # END SOLUTION


class ReLUFunction(Function):
    """ReLU(x) = max(0, x)  [E2];  derivative 1 for x > 0, 0 otherwise (0 at the kink, as PyTorch)."""

    def forward(self, x):
        self.out = backend.xp_of(x).maximum(x, 0)
        return self.out

    def backward(self, grad):
        return grad * (self.out > 0)


class TanhFunction(Function):
    """tanh(x) = (e^x - e^-x)/(e^x + e^-x)  [E3];  derivative 1 - tanh(x)².

    ``xp.tanh`` is evaluated without forming e^x, so it cannot overflow.
    """

    def forward(self, x):
        self.out = backend.xp_of(x).tanh(x)
        return self.out
    def backward(self, grad):
        return grad * (1 - self.out * self.out)


def _shifted(x, axis):
    """x - max(x): every exponent <= 0 (the log-sum-exp trick). A difference beyond the
    float range (-1e38 - 3e38 in float32) saturates to -inf, whose exponential is 0 anyway."""
    if x.size == 0:  # an empty batch or an empty axis: nothing to shift (max() of nothing fails)
        return x
    top = x.max(axis=axis, keepdims=True)
    with backend.saturating():
        return x - top


class SoftmaxFunction(Function):
    """softmax(x)_i = e^(x_i) / Σ_j e^(x_j); backward s ⊙ (g - Σ g ⊙ s) (the Jacobian-vector product)."""

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        e = safe_exp(backend.xp_of(x), _shifted(x, self.axis))
        self.out = e / e.sum(axis=self.axis, keepdims=True)
        return self.out
    def backward(self, grad):
        s = self.out
        return s * (grad - (grad * s).sum(axis=self.axis, keepdims=True))


class LogSoftmaxFunction(Function):
    """log softmax(x) = (x - m) - log Σ e^(x - m), m = max x; backward g - softmax ⊙ Σ g."""

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        xp = backend.xp_of(x)
        if x.size == 0:  # log Σ over an empty axis would be log 0: the result is empty anyway
            self.out = x.copy()
            return self.out
        z = _shifted(x, self.axis)
        self.out = z - xp.log(safe_exp(xp, z).sum(axis=self.axis, keepdims=True))
        return self.out
    def backward(self, grad):
        xp = backend.xp_of(grad)
        softmax = safe_exp(xp, self.out)  # out <= 0: no overflow, no underflow warning
        return grad - softmax * grad.sum(axis=self.axis, keepdims=True)


def _dim(dim, x, op):
    """``dim`` checked against x's rank ("Dimension out of range" or a TypeError naming the op),
    and x floating (PyTorch has no softmax of integers)."""
    kind = getattr(getattr(x, "dtype", None), "kind", "f")
    if kind not in "fc":
        raise TypeError(f"{op}: needs a floating-point tensor, got {x.dtype}: convert it first, e.g. x.float()")
    return dim_index(dim, getattr(x, "ndim", 1), op)


def sigmoid(x):
    """Logistic function, stable for any x  [E1].

    >>> import tinynn as tn
    >>> sigmoid(tn.tensor([-1e4, 0.0, 1e4])).tolist()
    [0.0, 0.5, 1.0]
    """
    return SigmoidFunction()(x)


def relu(x):
    """max(0, x)  [E2].

    >>> relu(tn.tensor([-1.0, 0.0, 2.0])).tolist()
    [0.0, 0.0, 2.0]
    """
    return ReLUFunction()(x)


def tanh(x):
    """Hyperbolic tangent  [E3], finite for any input.

    >>> tanh(tn.tensor([-1e4, 0.0, 1e4])).tolist()
    [-1.0, 0.0, 1.0]
    """
    return TanhFunction()(x)


def softmax(x, axis=-1, dim=None):
    """Softmax along ``axis`` (``dim`` is accepted as PyTorch's name for it).

    >>> import tinynn as tn
    >>> softmax(tn.tensor([[1e4, 0.0]])).tolist()
    [[1.0, 0.0]]
    """
    return SoftmaxFunction(_dim(axis if dim is None else dim, x, "softmax"))(x)


def log_softmax(x, axis=-1, dim=None):
    """log(softmax(x)) computed without forming softmax (finite for any input).

    >>> log_softmax(tn.tensor([[0.0, 1e4]])).tolist()
    [[-10000.0, 0.0]]
    """
    return LogSoftmaxFunction(_dim(axis if dim is None else dim, x, "log_softmax"))(x)


__all__ = ["sigmoid", "relu", "tanh", "softmax", "log_softmax"]
