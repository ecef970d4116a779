"""More of PyTorch's activations, each a composition of primitives (no backward of its own).

Every kink follows PyTorch's convention for the gradient at the kink itself: ``where(x > 0,
...)`` sends x = 0 to the negative branch (leaky_relu, elu), and hardtanh passes the gradient
only strictly inside (min_val, max_val). Exponentials only ever see numbers <= 0 (or <= the
softplus threshold), so nothing overflows.

``inplace=True`` writes the result into the input with autograd's in-place rules
(``Tensor._write``), as PyTorch does.

>>> import tinynn as tn
>>> leaky_relu(tn.tensor([-2.0, 3.0]), 0.1).tolist()
[-0.20000000298023224, 3.0]
"""
from __future__ import annotations

from tinynn.ops.activation import sigmoid, tanh
from tinynn.ops.compose import log1p
from tinynn.ops.elementwise import abs, clip, exp, where
from tinynn.tensor import Tensor

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _maybe_in_place(fn, x, inplace, *args):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn.__name__}: expected a Tensor, got {type(x).__name__}")
    return x._write(fn, *args) if inplace else fn(x, *args)


def _leaky_relu(x, negative_slope):
    return where(x > 0, x, x * negative_slope)


def leaky_relu(input, negative_slope=0.01, inplace=False):  # noqa: A002 - PyTorch's names
    """x for x > 0, ``negative_slope`` · x otherwise (gradient ``negative_slope`` at 0, as PyTorch).

    >>> import tinynn as tn
    >>> leaky_relu(tn.tensor([-1.0, 0.0, 2.0]), 0.5).tolist()
    [-0.5, 0.0, 2.0]
    """
    return _maybe_in_place(_leaky_relu, input, inplace, negative_slope)


def _elu(x, alpha, input_scale=1.0):
    negative = alpha * (exp(clip(x, None, 0.0) * input_scale) - 1)  # exp of x <= 0 only
    return where(x > 0, x, negative)


def elu(input, alpha=1.0, inplace=False):  # noqa: A002
    """x for x > 0, α(eˣ − 1) otherwise (smooth for α = 1, gradient α at 0 as PyTorch).

    >>> import tinynn as tn
    >>> [round(v, 4) for v in elu(tn.tensor([-1.0, 2.0])).tolist()]
    [-0.6321, 2.0]
    """
    return _maybe_in_place(_elu, input, inplace, alpha)


def _selu(x):
    return _elu(x, _SELU_ALPHA) * _SELU_SCALE


def selu(input, inplace=False):  # noqa: A002
    """scale · elu(x, α) with PyTorch's constants (α ≈ 1.6733, scale ≈ 1.0507): self-normalising.

    >>> import tinynn as tn
    >>> round(selu(tn.tensor([1.0])).item(), 4)
    1.0507
    """
    return _maybe_in_place(_selu, input, inplace)


def _celu(x, alpha):
    return _elu(x, alpha, 1.0 / alpha)


def celu(input, alpha=1.0, inplace=False):  # noqa: A002
    """x for x > 0, α(e^(x/α) − 1) otherwise (continuously differentiable for every α).

    >>> import tinynn as tn
    >>> [round(v, 4) for v in celu(tn.tensor([-2.0, 1.0]), alpha=2.0).tolist()]
    [-1.2642, 1.0]
    """
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0 (it divides x)")
    return _maybe_in_place(_celu, input, inplace, alpha)


def _silu(x):
    return x * sigmoid(x)


def silu(input, inplace=False):  # noqa: A002
    """x · σ(x), also called swish.

    >>> import tinynn as tn
    >>> silu(tn.tensor([0.0, 100.0])).tolist()
    [0.0, 100.0]
    """
    return _maybe_in_place(_silu, input, inplace)


def softplus(input, beta=1.0, threshold=20.0):  # noqa: A002
    """(1/β) log(1 + e^(βx)), and x itself where βx > ``threshold`` (PyTorch's formula).

    The exponent is clamped at the threshold, so the branch not taken cannot overflow. For
    βx far below 0 the result (≈ e^(βx)) is computed as log(1 + tiny) and rounds to 0.

    >>> import tinynn as tn
    >>> [round(v, 4) for v in softplus(tn.tensor([0.0, 30.0])).tolist()]
    [0.6931, 30.0]
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"softplus: expected a Tensor, got {type(input).__name__}")
    scaled = input * beta if beta != 1 else input
    smooth = log1p(exp(clip(scaled, None, threshold)))
    return where(scaled > threshold, input, smooth / beta if beta != 1 else smooth)


def _mish(x):
    return x * tanh(softplus(x))


def mish(input, inplace=False):  # noqa: A002
    """x · tanh(softplus(x)).

    >>> import tinynn as tn
    >>> round(mish(tn.tensor([1.0])).item(), 4)
    0.8651
    """
    return _maybe_in_place(_mish, input, inplace)


def _hardtanh(x, min_val, max_val):
    # gradient 1 strictly inside (min_val, max_val), 0 on and beyond the edges (PyTorch's)
    inside = (x > min_val) & (x < max_val)
    return where(inside, x, clip(x.detach(), min_val, max_val))


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):  # noqa: A002
    """x clamped to [min_val, max_val]; no gradient on the edges (unlike clamp).

    >>> import tinynn as tn
    >>> hardtanh(tn.tensor([-3.0, 0.5, 3.0])).tolist()
    [-1.0, 0.5, 1.0]
    """
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) must not exceed max_val ({max_val})")
    return _maybe_in_place(_hardtanh, input, inplace, min_val, max_val)


def relu6(input, inplace=False):  # noqa: A002
    """min(max(0, x), 6) = hardtanh(x, 0, 6).

    >>> import tinynn as tn
    >>> relu6(tn.tensor([-1.0, 3.0, 9.0])).tolist()
    [0.0, 3.0, 6.0]
    """
    return _maybe_in_place(_hardtanh, input, inplace, 0.0, 6.0)


def logsigmoid(input):  # noqa: A002
    """log σ(x) = −softplus(−x), finite for any x (σ itself would round to 0 first).

    >>> import tinynn as tn
    >>> logsigmoid(tn.tensor([-100.0])).item()
    -100.0
    """
    return -softplus(-input)


def softsign(input):  # noqa: A002
    """x / (1 + |x|).

    >>> import tinynn as tn
    >>> softsign(tn.tensor([-1.0, 3.0])).tolist()
    [-0.5, 0.75]
    """
    return input / (abs(input) + 1)


__all__ = ["leaky_relu", "elu", "selu", "celu", "silu", "softplus", "mish", "hardtanh", "relu6", "logsigmoid",
           "softsign"]
# torch.nn.functional only (torch.selu and torch.celu do exist at the top level)
NN_ONLY = ("leaky_relu", "elu", "silu", "softplus", "mish", "hardtanh", "relu6", "logsigmoid", "softsign")
