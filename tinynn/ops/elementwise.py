"""Elementwise maths: exp, log, sqrt, abs, clip, sin, cos, where — each derivative next to its function."""
from __future__ import annotations

from tinynn import backend
from tinynn.backend.dtypes import promote
from tinynn.tensor import Function


class ExpFunction(Function):
    def forward(self, x):
        self.out = backend.xp_of(x).exp(x)
        return self.out
    def backward(self, grad):
        return grad * self.out  # d/dx e^x = e^x


class LogFunction(Function):
    def forward(self, x):
        self.x = x
        return backend.xp_of(x).log(x)
    def backward(self, grad):
        return grad / self.x  # d/dx log x = 1/x


class SqrtFunction(Function):
    def forward(self, x):
        self.out = backend.xp_of(x).sqrt(x)
        return self.out

    def backward(self, grad):
        return grad / (2 * self.out)  # d/dx √x = 1/(2√x)


class AbsFunction(Function):
    def forward(self, x):
        self.x = x
        return backend.xp_of(x).abs(x)

    def backward(self, grad):
        return grad * backend.xp_of(self.x).sign(self.x)  # 0 at 0, as in PyTorch


class ClipFunction(Function):
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


class SinFunction(Function):
    def forward(self, x):
        self.save(x)
        return backend.xp_of(x).sin(x)

    def backward(self, grad):
        x, = self.saved
        return grad * backend.xp_of(x).cos(x)  # d/dx sin x = cos x


class CosFunction(Function):
    def forward(self, x):
        self.save(x)
        return backend.xp_of(x).cos(x)

    def backward(self, grad):
        x, = self.saved
        return -grad * backend.xp_of(x).sin(x)  # d/dx cos x = -sin x


class WhereFunction(Function):
    """where(condition, a, b): a where the condition holds, else b; each gets the gradient where it was picked."""

    def forward(self, condition, a, b):
        self.save(condition.astype(bool, copy=False))
        a, b = _same_float(a, b)
        return backend.xp_of(a).where(self.saved[0], a, b)

    def backward(self, grad):
        keep, = self.saved
        _, need_a, need_b = self.needs_input_grad
        return None, (grad * keep if need_a else None), (grad * ~keep if need_b else None)


_same_float = promote  # the two branches of where() in one dtype, by PyTorch's promotion


def sin(x):
    """Elementwise sine.

    >>> import tinynn as tn; sin(tn.zeros(2)).tolist()
    [0.0, 0.0]
    """
    return SinFunction()(x)


def cos(x):
    """Elementwise cosine.

    >>> import tinynn as tn; cos(tn.zeros(1)).tolist()
    [1.0]
    """
    return CosFunction()(x)


def where(condition, input, other):  # noqa: A002 - PyTorch's names
    """Elements of ``input`` where ``condition`` is true, else of ``other`` (torch.where).

    >>> import tinynn as tn
    >>> where(tn.tensor([True, False]), tn.ones(2), 0.0).tolist()
    [1.0, 0.0]
    """
    from tinynn.tensor import Tensor

    ref = input if isinstance(input, Tensor) else other  # numbers take the dtype of the tensor beside them
    if isinstance(ref, Tensor):
        input, other = (v if isinstance(v, Tensor) else _constant(v, ref) for v in (input, other))
    return WhereFunction()(condition, input, other)


def _constant(value, ref):
    from tinynn.tensor import Tensor

    dtype = backend.scalar_dtype(ref._data.dtype, value) if backend.is_scalar(value) else None
    return Tensor._wrap(backend.xp_of(ref._data).asarray(value, dtype=dtype))


def exp(x):
    """e ** x elementwise.

    >>> exp(tn.zeros(2)).tolist()
    [1.0, 1.0]
    """
    return ExpFunction()(x)


def log(x):
    """Natural logarithm elementwise (gradient 1/x).

    >>> round(log(tn.tensor([2.718281828])).item(), 6)
    1.0
    """
    return LogFunction()(x)


def sqrt(x):
    """Square root elementwise (gradient 1/(2√x)).

    >>> sqrt(tn.tensor([4.0, 9.0])).tolist()
    [2.0, 3.0]
    """
    return SqrtFunction()(x)


def abs(x):  # noqa: A001 - mirrors torch.abs
    """|x| elementwise (gradient sign(x), 0 at 0).

    >>> abs(tn.tensor([-1.5, 2.0])).tolist()
    [1.5, 2.0]
    """
    return AbsFunction()(x)


def clip(x, low=None, high=None):
    """Clamp x to [low, high] (either bound may be None). Also called ``clamp``.

    >>> import tinynn as tn
    >>> clip(tn.tensor([-2.0, 0.5, 3.0]), 0.0, 1.0).tolist()
    [0.0, 0.5, 1.0]
    """
    if low is None and high is None:
        raise ValueError("clip: give at least one of low and high")
    return ClipFunction(low, high)(x)


clamp = clip


__all__ = ["exp", "log", "sqrt", "abs", "clip", "sin", "cos", "where"]
