"""sum, mean, max, min over all elements or some axes (``keepdims`` as in NumPy)."""
from __future__ import annotations

import builtins

from tinynn import backend
from tinynn.tensor import Function


def _normalize_axis(axis, ndim):
    """None, an int or a tuple of ints -> a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for a in axes:
        if not -ndim <= a < builtins.max(ndim, 1):
            raise ValueError(f"reduction: axis {a} is out of range for a tensor with {ndim} dims")
    return tuple(sorted(a % builtins.max(ndim, 1) for a in axes))


def _keepdims_shape(shape, axes):
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    """Σ over ``axis``; backward copies the gradient to every summed element."""

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.shape, self.size = x.shape, x.size
        self.axes = None if self.axis is None else _normalize_axis(self.axis, x.ndim)  # None: all
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, grad):
        if grad.size == self.size:  # only size-1 axes were summed: a reshape, no broadcast
            return grad.reshape(self.shape)
        if self.axes is not None and not self.keepdims:  # put the summed axes back (size 1)
            grad = grad.reshape(_keepdims_shape(self.shape, self.axes))  # so the gradient broadcasts
        return backend.xp_of(grad).broadcast_to(grad, self.shape)


class Mean(Sum):
    """Σ / n over ``axis``; backward spreads g / n to every element."""

    def forward(self, x):
        out = super().forward(x)
        self.count = x.size // builtins.max(out.size, 1) if x.size else 1
        return out / self.count if out.dtype.kind == "f" else out.astype(backend.default_dtype()) / self.count

    def backward(self, grad):
        return super().backward(grad / self.count)


class Max(Function):
    """max over ``axis``; the gradient goes to the maximal element(s), split evenly on ties."""

    mode = "max"

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.x = x
        self.axes = _normalize_axis(self.axis, x.ndim)
        self.out = getattr(x, self.mode)(axis=self.axes, keepdims=True)
        return self.out if self.keepdims else self.out.reshape(
            [n for i, n in enumerate(x.shape) if i not in self.axes])

    def backward(self, grad):
        grad = grad.reshape(self.out.shape)
        winners = self.x == self.out
        ties = winners.sum(axis=self.axes, keepdims=True).astype(grad.dtype)  # int64 would upcast
        return grad * winners / ties


class Min(Max):
    mode = "min"


def sum(x, axis=None, keepdims=False, dim=None):  # noqa: A001 - mirrors torch.sum
    """Sum over all elements, or over ``axis`` (``dim`` is PyTorch's name for it).

    >>> import tinynn as tn
    >>> sum(tn.ones((2, 3)), axis=0).tolist()
    [2.0, 2.0, 2.0]
    """
    return Sum(axis if dim is None else dim, keepdims)(x)


def mean(x, axis=None, keepdims=False, dim=None):
    """Mean over all elements, or over ``axis``.

    >>> mean(tn.tensor([[1.0, 2.0], [3.0, 6.0]]), axis=1).tolist()
    [1.5, 4.5]
    """
    return Mean(axis if dim is None else dim, keepdims)(x)


def max(x, axis=None, keepdims=False, dim=None):  # noqa: A001 - mirrors torch.amax
    """Largest element, or largest along ``axis`` (values only, like ``torch.amax``).

    >>> max(tn.tensor([[1.0, 5.0], [3.0, 2.0]]), axis=0).tolist()
    [3.0, 5.0]
    """
    return Max(axis if dim is None else dim, keepdims)(x)


def min(x, axis=None, keepdims=False, dim=None):  # noqa: A001
    """Smallest element, or smallest along ``axis``.

    >>> min(tn.tensor([4.0, -1.0, 2.0])).item()
    -1.0
    """
    return Min(axis if dim is None else dim, keepdims)(x)
