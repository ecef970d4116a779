"""Loss modules (PyTorch's names), each a wrapper around a functional loss in
``tinynn.ops.fused.loss``. ``reduction`` is "mean" (default), "sum" or "none".

>>> import tinynn as tn
>>> from tinynn import nn
>>> loss_fn = nn.CrossEntropyLoss()
>>> round(loss_fn(tn.tensor([[0.0, 0.0]]), tn.tensor([1])).item(), 4)   # log 2
0.6931
"""
from __future__ import annotations

from tinynn.nn import _checks
from tinynn.nn.module import Module
from tinynn.ops.fused import loss as _F


class _Loss(Module):
    _input_ranks = 0  # any Tensor; anything else is refused naming the layer
    _fn = None
    _reductions = _F._REDUCTIONS

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        from tinynn.ops.losses_extra import legacy_reduction  # PyTorch's deprecated flags, mapped as it does

        reduction = legacy_reduction(size_average, reduce, reduction)
        self.reduction = _checks.choice(type(self).__name__, "reduction", reduction, self._reductions)

    def forward(self, input, target):
        return self._fn(input, target, reduction=self.reduction)


class _WeightedLoss(_Loss):
    """A loss with an optional ``weight`` tensor, kept as a buffer (in the state dict when set)."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _as_optional_tensor(type(self).__name__, "weight", weight))


def _as_optional_tensor(layer, name, value):
    from tinynn.tensor import Tensor

    if value is None or isinstance(value, Tensor):
        return value
    raise TypeError(f"{layer}: {name} must be a Tensor or None, got {type(value).__name__}; wrap it: tn.tensor(...)")


class MSELoss(_Loss):
    """Mean squared error over all elements  [E4, E14]: (1/n) Σ (ŷ − y)².

    >>> import tinynn as tn
    >>> MSELoss()(tn.tensor([1.0, 3.0]), tn.tensor([0.0, 0.0])).item()          # (1 + 9) / 2
    5.0
    """

    _fn = staticmethod(_F.mse_loss)


class CrossEntropyLoss(_WeightedLoss):
    """Softmax + cross-entropy on raw scores (N, C) and class indices (N,) or probability /
    one-hot rows (N, C)  [E5, E15, E24]. Do not put a Softmax before it.

    >>> import tinynn as tn
    >>> round(CrossEntropyLoss()(tn.tensor([[0.0, 0.0, 0.0]]), tn.tensor([2])).item(), 4)   # log 3
    1.0986
    """

    _fn = staticmethod(_F.cross_entropy)

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                 label_smoothing=0.0):
        _WeightedLoss.__init__(self, weight, size_average, reduce, reduction)
        self.label_smoothing = _checks.real("CrossEntropyLoss", "label_smoothing", label_smoothing, 0.0, 1.0)
        self.ignore_index = _checks.integer("CrossEntropyLoss", "ignore_index", ignore_index)

    def forward(self, input, target):
        return _F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                                reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities (after LogSoftmax) at class indices.

    >>> import tinynn as tn
    >>> NLLLoss()(tn.tensor([[-1.0, -2.0], [-3.0, -4.0]]), tn.tensor([0, 1])).item()   # (1 + 4) / 2
    2.5
    """

    _fn = staticmethod(_F.nll_loss)

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
        _WeightedLoss.__init__(self, weight, size_average, reduce, reduction)
        self.ignore_index = _checks.integer("NLLLoss", "ignore_index", ignore_index)

    def forward(self, input, target):
        return _F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy on probabilities in [0, 1]  [E11] (after a Sigmoid).

    >>> import tinynn as tn
    >>> round(BCELoss()(tn.tensor([0.5, 0.5]), tn.tensor([1.0, 0.0])).item(), 4)     # log 2
    0.6931
    """

    _fn = staticmethod(_F.binary_cross_entropy)
    __init__ = _WeightedLoss.__init__

    def forward(self, input, target):
        return _F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """Binary cross-entropy on raw scores: sigmoid inside, stable, gradient σ(z) − y  [E11].

    >>> import tinynn as tn
    >>> round(BCEWithLogitsLoss()(tn.tensor([0.0, 100.0]), tn.tensor([1.0, 1.0])).item(), 4)  # log 2 / 2
    0.3466
    """

    _fn = staticmethod(_F.binary_cross_entropy_with_logits)

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None):
        _WeightedLoss.__init__(self, weight, size_average, reduce, reduction)
        self.register_buffer("pos_weight", _as_optional_tensor("BCEWithLogitsLoss", "pos_weight", pos_weight))

    def forward(self, input, target):
        return _F.binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                   pos_weight=self.pos_weight)
