"""Loss modules (PyTorch's names), each a wrapper around a functional loss in
``tinynn.ops.loss``. ``reduction`` is "mean" (default), "sum" or "none".

>>> import tinynn as tn
>>> from tinynn import nn
>>> loss_fn = nn.CrossEntropyLoss()
>>> round(loss_fn(tn.tensor([[0.0, 0.0]]), tn.tensor([1])).item(), 4)   # log 2
0.6931
"""
from __future__ import annotations

from tinynn.nn.module import Module
from tinynn.ops import loss as _F


class _Loss(Module):
    _fn = None

    def __init__(self, reduction="mean"):
        super().__init__()
        _F._check_reduction(type(self).__name__, reduction)
        self.reduction = reduction

    def forward(self, input, target):
        return self._fn(input, target, self.reduction)


class MSELoss(_Loss):
    """Mean squared error over all elements  [E4, E14]: (1/n) Σ (ŷ − y)².

    >>> import tinynn as tn
    >>> MSELoss()(tn.tensor([1.0, 3.0]), tn.tensor([0.0, 0.0])).item()          # (1 + 9) / 2
    5.0
    """

    _fn = staticmethod(_F.mse_loss)


class CrossEntropyLoss(_Loss):
    """Softmax + cross-entropy on raw scores (N, C) and class indices (N,) or probability /
    one-hot rows (N, C)  [E5, E15, E24]. Do not put a Softmax before it.

    >>> import tinynn as tn
    >>> round(CrossEntropyLoss()(tn.tensor([[0.0, 0.0, 0.0]]), tn.tensor([2])).item(), 4)   # log 3
    1.0986
    """

    _fn = staticmethod(_F.cross_entropy)


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities (after LogSoftmax) at class indices.

    >>> import tinynn as tn
    >>> NLLLoss()(tn.tensor([[-1.0, -2.0], [-3.0, -4.0]]), tn.tensor([0, 1])).item()   # (1 + 4) / 2
    2.5
    """

    _fn = staticmethod(_F.nll_loss)


class BCELoss(_Loss):
    """Binary cross-entropy on probabilities in [0, 1]  [E11] (after a Sigmoid).

    >>> import tinynn as tn
    >>> round(BCELoss()(tn.tensor([0.5, 0.5]), tn.tensor([1.0, 0.0])).item(), 4)     # log 2
    0.6931
    """

    _fn = staticmethod(_F.binary_cross_entropy)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on raw scores: sigmoid inside, stable, gradient σ(z) − y  [E11].

    >>> import tinynn as tn
    >>> round(BCEWithLogitsLoss()(tn.tensor([0.0, 100.0]), tn.tensor([1.0, 1.0])).item(), 4)  # log 2 / 2
    0.3466
    """

    _fn = staticmethod(_F.binary_cross_entropy_with_logits)
