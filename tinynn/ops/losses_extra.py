"""Losses as compositions of primitives (no backward of their own): L1, smooth L1, Huber,
KL divergence, and the general cases of the fused losses in ``fused/loss.py`` — cross-entropy
and NLL with ``weight`` / ``ignore_index`` / ``label_smoothing`` / extra dims, BCE with
``weight``, BCE-with-logits with ``pos_weight``. The fused kernels call these whenever an
argument leaves their plain case, so every combination has PyTorch's meaning.

>>> import tinynn as tn
>>> l1_loss(tn.tensor([1.0, -1.0]), tn.tensor([0.0, 1.0])).item()      # (1 + 2) / 2
1.5
"""
from __future__ import annotations

from tinynn import backend
from tinynn.ops.activation import log_softmax
from tinynn.ops.activations_extra import softplus
from tinynn.ops.elementwise import abs, exp, log, where
from tinynn.ops.reduction import mean, sum
from tinynn.ops.shape import getitem, permute, reshape
from tinynn.tensor import Tensor

_REDUCTIONS = ("mean", "sum", "none")


def legacy_reduction(size_average, reduce, reduction):
    """PyTorch's deprecated ``size_average``/``reduce`` flags, turned into a reduction name."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return "none" if not reduce else "mean" if size_average else "sum"


def _reduce(op, losses, reduction, allowed=_REDUCTIONS):
    if reduction not in allowed:
        raise ValueError(f"{op}: reduction must be one of {allowed}, got {reduction!r}")
    if reduction == "none":
        return losses
    return mean(losses) if reduction == "mean" else sum(losses)


def _pair(op, input, target):
    """Input and target as Tensors of one shape, dtype and device (no silent broadcasting)."""
    from tinynn.ops.fused.loss import _as_target, _check_same_shape

    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected a Tensor input, got {type(input).__name__}")
    target = _as_target(op, target, input)
    _check_same_shape(op, input, target)
    return input, (target if target.dtype == input.dtype else target.to(input.dtype))


def _weighted(losses, weight):
    return losses if weight is None else losses * weight


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):  # noqa: A002
    """Mean absolute error |ŷ − y| (gradient sign(ŷ − y), 0 where they agree).

    >>> import tinynn as tn
    >>> l1_loss(tn.tensor([2.0]), tn.tensor([0.5]), reduction="sum").item()
    1.5
    """
    input, target = _pair("l1_loss", input, target)
    return weighted_reduce("l1_loss", abs(input - target), weight, legacy_reduction(size_average, reduce, reduction),
                           by_total_weight=True)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):  # noqa: A002
    """0.5 d²/β where |d| < β, |d| − 0.5β elsewhere (d = ŷ − y); β = 0 is the L1 loss.

    >>> import tinynn as tn
    >>> smooth_l1_loss(tn.tensor([0.5, 3.0]), tn.zeros(2), reduction="none").tolist()
    [0.125, 2.5]
    """
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    input, target = _pair("smooth_l1_loss", input, target)
    d = input - target
    size = abs(d)
    losses = size if beta == 0 else where(size < beta, d * d * (0.5 / beta), size - 0.5 * beta)
    return _reduce("smooth_l1_loss", losses, legacy_reduction(size_average, reduce, reduction))


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):  # noqa: A002
    """0.5 d² where |d| <= δ, δ(|d| − 0.5δ) elsewhere: quadratic near 0, linear far out.

    >>> import tinynn as tn
    >>> huber_loss(tn.tensor([0.5, 3.0]), tn.zeros(2), reduction="none", delta=2.0).tolist()
    [0.125, 4.0]
    """
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    input, target = _pair("huber_loss", input, target)
    d = input - target
    size = abs(d)
    losses = where(size <= delta, d * d * 0.5, (size - 0.5 * delta) * delta)
    return _reduce("huber_loss", _weighted(losses, weight), reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):  # noqa: A002
    """KL(target ‖ model) pointwise: target · (log target − input), ``input`` being
    log-probabilities; with ``log_target`` the target is given as log-probabilities too.
    ``reduction="batchmean"`` divides the sum by the batch size (the true KL divergence);
    "mean" divides by the number of elements, as PyTorch.

    >>> import tinynn as tn, math
    >>> p = tn.tensor([[0.5, 0.5]])
    >>> round(kl_div(tn.tensor([[math.log(0.25), math.log(0.75)]]), p, reduction="batchmean").item(), 4)
    0.1438
    """
    input, target = _pair("kl_div", input, target)
    if log_target:
        losses = exp(target) * (target - input)
    else:
        positive = target > 0  # 0 · log 0 = 0, as PyTorch's xlogy
        xp = backend.xp_of(target._data)
        ones, zeros = (Tensor._wrap(f(target._data)) for f in (xp.ones_like, xp.zeros_like))
        losses = where(positive, target * log(where(positive, target, ones)), zeros) - target * input
    reduction = legacy_reduction(size_average, reduce, reduction)
    if reduction == "batchmean":
        n = input.shape[0] if input.ndim else 1
        return sum(losses) / n
    return _reduce("kl_div", losses, reduction, _REDUCTIONS + ("batchmean",))


# -- the general cases of cross-entropy and NLL ----------------------------------------------
def _class_last(op, input, target):
    """(N, C, d1, ...) scores and (N, d1, ...) targets as (M, C) rows and (M,) targets;
    an unbatched (C,) input with a 0-d target becomes one row. Returns also the shape a
    per-element ("none") result takes."""
    if input.ndim == 1:
        return reshape(input, (1, -1)), reshape(target, (1,) + target.shape), ()
    if input.ndim == 2:
        return input, target, (input.shape[0],)
    order = (0,) + tuple(range(2, input.ndim)) + (1,)
    rows = reshape(permute(input, *order), (-1, input.shape[1]))
    if target.ndim == input.ndim:  # probabilities, class dim 1 as the input's
        return rows, reshape(permute(target, *order), (-1, input.shape[1])), (input.shape[0],) + input.shape[2:]
    return rows, reshape(target, (-1,)), target.shape


def nll_from_log_probs(op, log_probs, target, weight=None, ignore_index=-100, reduction="mean",
                       label_smoothing=0.0):
    """The negative log-likelihood of (N, C) ``log_probs`` at class-index targets (N,), with
    per-class ``weight``, targets equal to ``ignore_index`` contributing nothing, and the
    label-smoothing term ε/C · Σ_c w_c (−log p_c). "mean" divides by the total weight of the
    targets that count (PyTorch's rule)."""
    data = target._data
    if data.dtype.kind not in "iu":
        raise TypeError(f"{op}: class-index targets must be integers, got {data.dtype}; use target.long()")
    n, classes = log_probs.shape
    if data.shape != (n,):
        raise ValueError(f"{op}: {n} rows of scores but targets of shape {data.shape}: expected ({n},)")
    xp = backend.xp_of(data)
    counted = data != ignore_index
    safe = xp.where(counted, data, 0)
    if safe.size and (int(safe.min()) < 0 or int(safe.max()) >= classes):
        bad = int(safe.min()) if int(safe.min()) < 0 else int(safe.max())
        raise IndexError(f"{op}: class index {bad} is out of range for {classes} classes (valid: 0..{classes - 1}, "
                         f"or ignore_index={ignore_index})")
    w_rows = counted.astype(log_probs.dtype)
    if weight is not None:
        w = weight._data if isinstance(weight, Tensor) else xp.asarray(weight)
        if tuple(w.shape) != (classes,):
            raise ValueError(f"{op}: weight must have one entry per class ({classes},), got shape {tuple(w.shape)}")
        w = w.astype(log_probs.dtype, copy=False)
        w_rows = w[safe] * w_rows
    picked = getitem(log_probs, (xp.arange(n), safe))
    losses = -picked * Tensor._wrap(w_rows)
    if label_smoothing:
        spread = log_probs if weight is None else log_probs * Tensor._wrap(w)
        smooth = -sum(spread, 1) * Tensor._wrap(counted.astype(log_probs.dtype))
        losses = losses * (1.0 - label_smoothing) + smooth * (label_smoothing / classes)
    if reduction == "mean":
        total = float(w_rows.sum())
        return sum(losses) * (1.0 / total if total else float("nan"))  # every target ignored: nan, as PyTorch
    return _reduce(op, losses, reduction)


def _soft_cross_entropy(log_probs, target, weight, reduction, label_smoothing):
    """Cross-entropy against (N, C) probabilities: −Σ_c w_c y_c log p_c; "mean" divides by N."""
    classes = log_probs.shape[1]
    if label_smoothing:
        target = target * (1.0 - label_smoothing) + label_smoothing / classes
    spread = log_probs * target
    if weight is not None:
        spread = spread * (weight if isinstance(weight, Tensor) else Tensor(weight))
    losses = -sum(spread, 1)
    if reduction == "mean":
        return sum(losses) / log_probs.shape[0]
    return _reduce("cross_entropy", losses, reduction)


def general_cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",  # noqa: A002
                          label_smoothing=0.0, log_probs_given=False):
    """Cross-entropy (or NLL when ``log_probs_given``) for every argument PyTorch accepts:
    scores (N, C), (N, C, d1, ...) or (C,); class-index or probability targets."""
    op = "nll_loss" if log_probs_given else "cross_entropy"
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be in [0, 1], got {label_smoothing}")
    rows, flat_target, none_shape = _class_last(op, input, target)
    log_probs = rows if log_probs_given else log_softmax(rows, 1)
    if flat_target.dtype.kind == "f":
        if log_probs_given:
            raise TypeError(f"{op}: targets must be class indices (integers), got {flat_target.dtype}")
        if flat_target.shape != rows.shape:
            raise ValueError(f"cross_entropy: probability targets of shape {tuple(target.shape)} do not match "
                             f"the input's {tuple(input.shape)}")
        out = _soft_cross_entropy(log_probs, flat_target.to(rows.dtype), weight, reduction, label_smoothing)
    else:
        out = nll_from_log_probs(op, log_probs, flat_target, weight, ignore_index, reduction, label_smoothing)
    return reshape(out, none_shape) if reduction == "none" else out


# -- weights for the elementwise losses; BCE's pos_weight -----------------------------------------------------------
def weighted_reduce(op, per_element, weight, reduction, by_total_weight=False):
    """``weight`` (broadcast against the elements) times the per-element losses, then reduced.
    ``by_total_weight``: "mean" divides by Σ weight, not by the count (PyTorch's weighted
    mse_loss and l1_loss; its BCE and huber_loss divide by the count)."""
    if not by_total_weight or weight is None or reduction != "mean":
        return _reduce(op, _weighted(per_element, weight), reduction)
    weight = _same_shape_weight(op, per_element, weight)
    return sum(per_element * weight) * (1.0 / float(weight._data.sum()))


def _same_shape_weight(op, per_element, weight):
    if not isinstance(weight, Tensor):
        raise TypeError(f"{op}: weight must be a Tensor, got {type(weight).__name__}")
    if weight.shape != per_element.shape:
        raise ValueError(f"{op}: weight of shape {tuple(weight.shape)} must have the input's shape "
                         f"{tuple(per_element.shape)}")
    return weight


def pos_weighted_bce_with_logits(logits, target, per_element, pos_weight):
    """PyTorch's pos_weight: pw·y·softplus(−z) + (1 − y)·softplus(z), i.e. plain BCE-with-logits
    plus (pw − 1)·y·softplus(−z). ``per_element`` is the plain per-element loss."""
    return per_element + (pos_weight - 1) * target * softplus(-logits)


__all__ = ["l1_loss", "smooth_l1_loss", "huber_loss", "kl_div"]
NN_ONLY = ("l1_loss", "smooth_l1_loss", "huber_loss", "kl_div")  # torch.kl_div exists but is undocumented
