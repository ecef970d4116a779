"""More activation modules under PyTorch's names, arguments and reprs; each calls its
function in ``tinynn.ops.activations_extra``.

>>> import tinynn as tn
>>> from tinynn import nn
>>> nn.LeakyReLU(0.2)(tn.tensor([-1.0, 1.0])).tolist()
[-0.20000000298023224, 1.0]
"""
from __future__ import annotations

from tinynn.nn import _checks
from tinynn.nn.module import Module
from tinynn.ops import activations_extra as _F


class _Activation(Module):
    """An elementwise activation with an optional ``inplace`` flag."""

    _input_ranks = 0  # any Tensor; anything else is refused naming the layer

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = bool(inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class LeakyReLU(_Activation):
    """x for x > 0, ``negative_slope``·x otherwise.

    >>> LeakyReLU()
    LeakyReLU(negative_slope=0.01)
    """

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__(inplace)
        _checks.real("LeakyReLU", "negative_slope", negative_slope)
        self.negative_slope = negative_slope  # kept as given: the repr shows it as PyTorch's does

    def forward(self, input):  # noqa: A002 - PyTorch's name
        return _F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(_Activation):
    """x for x > 0, α(eˣ − 1) otherwise.

    >>> ELU(alpha=0.5)
    ELU(alpha=0.5)
    """

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__(inplace)
        _checks.real("ELU", "alpha", alpha)
        self.alpha = alpha  # kept as given: the repr shows it as PyTorch's does

    def forward(self, input):  # noqa: A002
        return _F.elu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class CELU(ELU):
    """x for x > 0, α(e^(x/α) − 1) otherwise.

    >>> CELU(alpha=2.0)
    CELU(alpha=2.0)
    """

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__(alpha, inplace)
        if self.alpha == 0:
            raise ValueError("CELU: alpha must not be 0 (it divides x)")

    def forward(self, input):  # noqa: A002
        return _F.celu(input, self.alpha, self.inplace)


class SELU(_Activation):
    """Self-normalising ELU with PyTorch's fixed α and scale.

    >>> import tinynn as tn
    >>> round(SELU()(tn.tensor([1.0])).item(), 4)
    1.0507
    """

    def forward(self, input):  # noqa: A002
        return _F.selu(input, self.inplace)


class SiLU(_Activation):
    """x·σ(x) (swish).

    >>> import tinynn as tn
    >>> SiLU()(tn.tensor([0.0])).tolist()
    [0.0]
    """

    def forward(self, input):  # noqa: A002
        return _F.silu(input, self.inplace)


class Mish(_Activation):
    """x·tanh(softplus(x)).

    >>> import tinynn as tn
    >>> round(Mish()(tn.tensor([1.0])).item(), 4)
    0.8651
    """

    def forward(self, input):  # noqa: A002
        return _F.mish(input, self.inplace)


class Softplus(Module):
    """(1/β) log(1 + e^(βx)), linear where βx > ``threshold``.

    >>> Softplus(beta=2.0)
    Softplus(beta=2.0, threshold=20.0)
    """

    _input_ranks = 0  # any Tensor; anything else is refused naming the layer

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        _checks.real("Softplus", "beta", beta)
        self.beta = beta  # kept as given: the repr shows it as PyTorch's does
        if self.beta == 0:
            raise ValueError("Softplus: beta must not be 0 (it divides the result)")
        _checks.real("Softplus", "threshold", threshold)
        self.threshold = threshold  # kept as given: the repr shows it as PyTorch's does

    def forward(self, input):  # noqa: A002
        return _F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(_Activation):
    """x clamped to [min_val, max_val] (no gradient on the edges).

    >>> Hardtanh(-2.0, 2.0)
    Hardtanh(min_val=-2.0, max_val=2.0)
    """

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__(inplace)
        self.min_val = _checks.real(type(self).__name__, "min_val", min_val)
        self.max_val = _checks.real(type(self).__name__, "max_val", max_val)
        if self.min_val >= self.max_val:  # PyTorch: "max_val must be greater than min_val"
            raise ValueError(f"{type(self).__name__}: min_val ({min_val}) must be less than max_val ({max_val})")

    def forward(self, input):  # noqa: A002
        return _F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}" + (", inplace=True" if self.inplace else "")


class ReLU6(Hardtanh):
    """min(max(0, x), 6).

    >>> import tinynn as tn
    >>> ReLU6()(tn.tensor([-1.0, 7.0])).tolist()
    [0.0, 6.0]
    """

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class LogSigmoid(Module):
    """log σ(x), finite for any x.

    >>> import tinynn as tn
    >>> LogSigmoid()(tn.tensor([-100.0])).tolist()
    [-100.0]
    """

    _input_ranks = 0  # any Tensor; anything else is refused naming the layer

    def forward(self, input):  # noqa: A002
        return _F.logsigmoid(input)


class Softsign(Module):
    """x / (1 + |x|).

    >>> import tinynn as tn
    >>> Softsign()(tn.tensor([1.0])).tolist()
    [0.5]
    """

    _input_ranks = 0  # any Tensor; anything else is refused naming the layer

    def forward(self, input):  # noqa: A002
        return _F.softsign(input)
