"""More loss modules under PyTorch's names and arguments: ``L1Loss``, ``SmoothL1Loss``,
``HuberLoss``, ``KLDivLoss`` (each calls its composition in ``tinynn.ops.losses_extra``).

>>> import tinynn as tn
>>> from tinynn import nn
>>> nn.L1Loss()(tn.tensor([1.0, 3.0]), tn.tensor([0.0, 0.0])).item()     # (1 + 3) / 2
2.0
"""
from __future__ import annotations

from tinynn.nn import _checks
from tinynn.nn.loss import _Loss
from tinynn.ops import losses_extra as _F


class L1Loss(_Loss):
    """Mean absolute error |ŷ − y|.

    >>> import tinynn as tn
    >>> L1Loss(reduction="sum")(tn.tensor([1.0, -2.0]), tn.zeros(2)).item()
    3.0
    """

    _fn = staticmethod(_F.l1_loss)


class SmoothL1Loss(_Loss):
    """0.5 d²/β for |d| < β, |d| − 0.5β beyond (β = 0: L1).

    >>> import tinynn as tn
    >>> SmoothL1Loss(beta=2.0)(tn.tensor([1.0]), tn.zeros(1)).item()
    0.25
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = _checks.real("SmoothL1Loss", "beta", beta, 0.0)

    def forward(self, input, target):  # noqa: A002 - PyTorch's names
        return _F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """0.5 d² for |d| <= δ, δ(|d| − 0.5δ) beyond (SmoothL1Loss times β, for β = δ).

    >>> import tinynn as tn
    >>> HuberLoss(delta=2.0)(tn.tensor([3.0]), tn.zeros(1)).item()
    4.0
    """

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction=reduction)
        self.delta = _checks.real("HuberLoss", "delta", delta, 0.0, low_open=True)

    def forward(self, input, target):  # noqa: A002
        return _F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class KLDivLoss(_Loss):
    """KL divergence of ``target`` from the model's log-probabilities ``input``; use
    ``reduction="batchmean"`` for the mathematical KL divergence per sample.

    >>> import tinynn as tn
    >>> KLDivLoss(reduction="batchmean")(tn.tensor([[-0.6931, -0.6931]]), tn.tensor([[0.5, 0.5]])).item() < 1e-4
    True
    """

    _reductions = ("mean", "sum", "none", "batchmean")

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = bool(log_target)

    def forward(self, input, target):  # noqa: A002
        return _F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)
