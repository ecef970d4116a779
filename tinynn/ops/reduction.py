"""sum, mean, max, min over all elements or some axes (``keepdims`` as in NumPy)."""
from __future__ import annotations

from tinynn import backend
from tinynn.checks import dim_index, reduction_axes  # (re-exported: the ops import dim_index from here)
from tinynn.tensor import Function


def _keepdims_shape(shape, axes):
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class SumFunction(Function):
    """Σ over ``axis``; backward copies the gradient to every summed element."""

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.shape, self.size = x.shape, x.size
        self.axes = None if self.axis is None else reduction_axes(self.axis, x.ndim)  # None: all
        out = x.sum(axis=self.axes, keepdims=self.keepdims)
        return out if out.ndim else out[...]  # NumPy's full sum is a scalar; [...] makes it a 0-d array

    def backward(self, grad):
        # BEGIN SOLUTION sum_backward
        # HINT: every summed element x_i has dy/dx_i = 1: copy grad to every element of the input shape self.shape.
        # HINT: without keepdims, first put the summed axes self.axes back as size 1 (_keepdims_shape),
        # HINT: then broadcast (backend.xp_of(grad).broadcast_to); self.axes is None when all axes were summed.
        if grad.size == self.size:  # only size-1 axes were summed: a reshape, no broadcast
            return grad.reshape(self.shape)
        if self.axes is not None and not self.keepdims:  # put the summed axes back (size 1)
            grad = grad.reshape(_keepdims_shape(self.shape, self.axes))  # so the gradient broadcasts
        return backend.xp_of(grad).broadcast_to(grad, self.shape)
        # END SOLUTION


class MeanFunction(SumFunction):
    """Σ / n over ``axis``; backward spreads g / n to every element."""

    def forward(self, x):
        out = super().forward(x)
        if out.dtype.kind != "f":
            out = out.astype(backend.default_dtype())
        self.count = x.size // out.size if out.size else 1
        if self.count == 0:  # the mean of no elements is nan (PyTorch), without NumPy's 0/0 warning
            self.count = 1  # backward spreads onto no elements: any divisor will do
            return backend.xp_of(out).full_like(out, float("nan"))
        return out / self.count

    def backward(self, grad):
        return super().backward(grad / self.count)


class MaxFunction(Function):
    """max over ``axis``; the gradient goes to the maximal element(s), split evenly on ties."""

    mode = "max"

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.x = x
        self.axes = reduction_axes(self.axis, x.ndim)
        self.out = getattr(x, self.mode)(axis=self.axes, keepdims=True)
        return self.out if self.keepdims else self.out.reshape(
            [n for i, n in enumerate(x.shape) if i not in self.axes])

    def backward(self, grad):
        grad = grad.reshape(self.out.shape)
        winners = self.x == self.out
        ties = winners.sum(axis=self.axes, keepdims=True).astype(grad.dtype)  # int64 would upcast
        return grad * winners / ties


class MinFunction(MaxFunction):
    mode = "min"


class CumsumFunction(Function):
    """Running sum along ``axis``; backward is the running sum of the gradient from the other end."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return backend.xp_of(x).cumsum(x, axis=self.axis)

    def backward(self, grad):
        xp = backend.xp_of(grad)
        return xp.flip(xp.cumsum(xp.flip(grad, self.axis), axis=self.axis), self.axis)


class ProdFunction(Function):
    """Π over ``axis``; ∂/∂x_i = Π_(j≠i) x_j, computed as out / x_i (inputs must be non-zero for it)."""

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        out = x.prod(axis=self.axis, keepdims=True)
        self.save(x, out)
        return out if self.keepdims else out.reshape([n for i, n in enumerate(x.shape) if self.axis is not None and i != self.axis % x.ndim])

    def backward(self, grad):
        x, out = self.saved
        return grad.reshape(out.shape) * out / x


def _dims(dim, axis, keepdim, keepdims):
    """PyTorch's ``dim``/``keepdim``, also spelled ``axis``/``keepdims`` (NumPy's names, accepted as PyTorch does)."""
    return (axis if dim is None else dim), bool(keepdim if keepdims is None else keepdims)


def sum(x, dim=None, keepdim=False, *, axis=None, keepdims=None):  # noqa: A001 - mirrors torch.sum
    """Sum over all elements, or over ``dim`` (an int or a tuple).

    >>> import tinynn as tn
    >>> sum(tn.ones((2, 3)), dim=0).tolist()
    [2.0, 2.0, 2.0]
    """
    return SumFunction(*_dims(dim, axis, keepdim, keepdims))(x)


def mean(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Mean over all elements, or over ``dim`` (nan for no elements, as PyTorch).

    >>> mean(tn.tensor([[1.0, 2.0], [3.0, 6.0]]), 1).tolist()
    [1.5, 4.5]
    """
    return MeanFunction(*_dims(dim, axis, keepdim, keepdims))(x)


def amax(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Largest value over all elements or along ``dim`` (values only; ties share the gradient).

    >>> amax(tn.tensor([[1.0, 5.0], [3.0, 2.0]]), 0).tolist()
    [3.0, 5.0]
    """
    return MaxFunction(*_dims(dim, axis, keepdim, keepdims))(x)


def amin(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Smallest value over all elements or along ``dim``.

    >>> amin(tn.tensor([4.0, -1.0, 2.0])).item()
    -1.0
    """
    return MinFunction(*_dims(dim, axis, keepdim, keepdims))(x)


def cumsum(x, dim):
    """Running sum along ``dim`` (torch.cumsum).

    >>> import tinynn as tn; cumsum(tn.tensor([1.0, 2.0, 3.0]), 0).tolist()
    [1.0, 3.0, 6.0]
    """
    return CumsumFunction(dim_index(dim, x.ndim, "cumsum"))(x)


def prod(x, dim=None, keepdim=False):
    """Product of all elements, or along ``dim``.

    >>> import tinynn as tn; prod(tn.tensor([2.0, 3.0])).item()
    6.0
    """
    return ProdFunction(None if dim is None else dim_index(dim, x.ndim, "prod"), keepdim)(x)


__all__ = ["sum", "mean", "amax", "amin", "cumsum", "prod"]
