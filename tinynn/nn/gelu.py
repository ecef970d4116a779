"""``nn.GELU``: the Gaussian Error Linear Unit, the activation of BERT and GPT.

>>> import tinynn as tn
>>> from tinynn import nn
>>> [round(v, 4) for v in nn.GELU()(tn.tensor([-1.0, 0.0, 1.0])).tolist()]
[-0.1587, 0.0, 0.8413]
"""
from __future__ import annotations

from tinynn.nn import _checks
from tinynn.nn.module import Module
from tinynn.ops.gelu import gelu


class GELU(Module):
    """GELU(x) = x·Φ(x) (Φ the standard normal CDF); ``approximate="tanh"`` is GPT-2's tanh form.

    Smooth where ReLU has a kink: negative inputs leak a little (the minimum is about -0.17
    at x ≈ -0.75), large positive ones pass unchanged.

    >>> import tinynn as tn
    >>> GELU("tanh")
    GELU(approximate='tanh')
    """

    _input_ranks = 0  # any Tensor; anything else is refused naming the layer

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = _checks.choice("GELU", "approximate", approximate, ("none", "tanh"))

    def forward(self, x):
        """GELU of every element of ``x``."""
        return gelu(x, self.approximate)

    def extra_repr(self):
        """``approximate='...'`` for the repr."""
        return f"approximate={self.approximate!r}"
