"""Loss functions, fused where the fused gradient is both simpler and stabler.

``reduction`` is "mean" (default, as in PyTorch), "sum" or "none" everywhere.
"""
from __future__ import annotations

from tinynn import backend
from tinynn.ops.activation import _shifted, safe_exp
from tinynn.tensor import Function, Tensor

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(op, reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _reduce(losses, reduction):
    if reduction == "none":
        return losses
    total = losses.sum()
    return total / losses.size if reduction == "mean" else total


def _reduce_grad(grad, reduction, count):
    """Gradient of the reduction for every per-element loss: g / n for "mean", g for "sum"
    (a 0-d array that broadcasts in the backward arithmetic), the incoming g for "none"."""
    return grad / count if reduction == "mean" else grad


def _check_same_shape(op, pred, target):
    if pred.shape != target.shape:
        raise ValueError(
            f"{op}: input shape {pred.shape} and target shape {target.shape} differ; they must "
            "match (reshape the target, e.g. target.reshape(-1, 1), rather than rely on broadcasting)")


class MSELossFunction(Function):
    """Mean squared error (1/n) Σ (ŷ - y)²  [E4, E14] over *all* n elements (PyTorch's mean).

    Gradient (2/n)(ŷ - y)  [E17 corrected: the document writes -(2/m) Σ (ŷ - y), a scalar
    with the sign flipped; the gradient is a vector, one entry per prediction].
    """

    def __init__(self, reduction="mean"):
        self.reduction = reduction

    def forward(self, pred, target):
        self.diff = pred - target
        return _reduce(self.diff * self.diff, self.reduction)

    def backward(self, grad):
        g = _reduce_grad(grad, self.reduction, self.diff.size) * (2 * self.diff)
        return g, (-g if self.needs_input_grad[1] else None)


class CrossEntropyFunction(Function):
    """Softmax + cross-entropy from logits in one node  [E5, E15, E20, E24, E26].

    L_i = -Σ_k y_ik log softmax(z_i)_k; with class indices y_i this is -log softmax(z_i)[y_i].
    Gradient: ∂L_i/∂z_i = softmax(z_i) - y_i  [E5]; the mean over the batch divides it by N.
    """

    def __init__(self, reduction="mean"):
        self.reduction = reduction

    def forward(self, logits, target):
        xp = backend.xp_of(logits)
        z = _shifted(logits, axis=1)  # log-softmax as in LogSoftmaxFunction: every exponent <= 0
        e = xp.exp(z)  # (results below float's tiny are subnormal, as PyTorch's; under np.errstate(under=
        #               "raise") Function.__call__ runs forward again with underflow ignored)
        sums = e.sum(axis=1, keepdims=True)
        log_sums = xp.log(sums)  # log softmax(z) = z - log Σ e^z
        e /= sums  # softmax, kept for the gradient (cheaper than exp(log_probs) later)
        self.probs, self.target = e, target
        if target.ndim == 1:  # class indices: only the picked log-probabilities are needed
            self.rows = xp.arange(len(target))
            losses = log_sums[:, 0] - z[self.rows, target]
        else:  # probabilities / one-hot
            self.log_probs = z - log_sums
            losses = -(self.log_probs * target).sum(axis=1)
        return _reduce(losses, self.reduction)

    def backward(self, grad):
        # BEGIN SOLUTION cross_entropy_backward
        # HINT: dL_i/dz_i = softmax(z_i) - y_i [E5] (self.probs is the softmax); "mean" divides by N (_reduce_grad).
        # HINT: class indices (self.target.ndim == 1): subtract g from the target class, probs[rows, target] -= g.
        # HINT: probability targets: (probs * Σ_k y_k - y) * g; the target's own gradient is -log_probs * g.
        n = self.probs.shape[0]
        g = _reduce_grad(grad, self.reduction, n).reshape(-1, 1)  # one row per example (or all)
        probs = self.probs
        if self.target.ndim == 1:  # (softmax - one_hot) g, without building one_hot
            grad_logits = probs * g
            grad_logits[self.rows, self.target] -= g[:, 0]
        else:
            grad_logits = (probs * self.target.sum(axis=1, keepdims=True) - self.target) * g
        grad_target = None
        if len(self.needs_input_grad) > 1 and self.needs_input_grad[1]:
            grad_target = -self.log_probs * g
        return grad_logits, grad_target
        # END SOLUTION


class NLLLossFunction(Function):
    """Negative log-likelihood of log-probabilities (pair it with log_softmax)."""

    def __init__(self, reduction="mean"):
        self.reduction = reduction

    def forward(self, log_probs, target):
        self.shape, self.target = log_probs.shape, target
        xp = backend.xp_of(log_probs)
        return _reduce(-log_probs[xp.arange(len(target)), target], self.reduction)

    def backward(self, grad):
        xp = backend.xp_of(grad)
        n = self.shape[0]
        full = xp.zeros(self.shape, dtype=grad.dtype)
        full[xp.arange(n), self.target] = -_reduce_grad(grad, self.reduction, n)
        return full, None


class BinaryCrossEntropyFunction(Function):
    """-[y log p + (1-y) log(1-p)]  [E11] on probabilities p, logs clamped at -100 (PyTorch).

    ∂L/∂p = (p - y) / (p(1 - p)). Through a sigmoid output the p(1-p) cancels against σ'
    and ∂L/∂z = p - y  [E11 corrected]; ``binary_cross_entropy_with_logits`` uses that form.
    """

    def __init__(self, reduction="mean"):
        self.reduction = reduction

    def forward(self, p, y):
        xp = backend.xp_of(p)
        # written so NaN fails too (PyTorch refuses NaN: a diverged model must not read as loss 100)
        if not ((p >= 0) & (p <= 1)).all():
            raise ValueError("binary_cross_entropy: all elements of input should be between 0 and 1 "
                             f"(got {_outside(xp, p)}); for raw scores use binary_cross_entropy_with_logits")
        if not ((y >= 0) & (y <= 1)).all():
            raise ValueError(f"binary_cross_entropy: all elements of target should be between 0 and 1 "
                             f"(got {_outside(xp, y)}), as PyTorch requires")
        self.p, self.y = p, y
        log_p = xp.maximum(self._log(xp, p), -100)
        log_1mp = xp.maximum(self._log1m(xp, p), -100)
        return _reduce(-(y * log_p + (1 - y) * log_1mp), self.reduction)

    @staticmethod
    def _log(xp, a):
        """log(a) with log(0) = -inf replaced before numpy can warn: -100 after the clamp."""
        safe = xp.where(a > 0, a, 1)
        return xp.where(a > 0, xp.log(safe), -100).astype(a.dtype, copy=False)

    @staticmethod
    def _log1m(xp, a):
        """log(1 - a) as log1p(-a): exact for tiny a (log(1 - 1e-30) would be 0), as PyTorch."""
        below = a < 1
        return xp.where(below, xp.log1p(-xp.where(below, a, 0)), -100).astype(a.dtype, copy=False)

    def backward(self, grad):
        p, y = self.p, self.y
        g = _reduce_grad(grad, self.reduction, p.size)
        xp = backend.xp_of(p)
        denom = xp.maximum(p * (1 - p), 9.999999960041972e-13)  # PyTorch's epsilon 1e-12 (a float32 constant even in float64) keeps p in {0, 1} finite
        grad_p = g * (p - y) / denom
        grad_y = None
        if self.needs_input_grad[1]:
            grad_y = g * (self._log1m(xp, p) - self._log(xp, p))
        return grad_p, grad_y


class BinaryCrossEntropyWithLogitsFunction(Function):
    """BCE of sigmoid(z) computed from z: max(z, 0) - z·y + log(1 + e^(-|z|)).

    Gradient σ(z) - y  [E11 corrected]: finite for any z, no σ' factor.
    """

    def __init__(self, reduction="mean"):
        self.reduction = reduction

    def forward(self, z, y):
        xp = backend.xp_of(z)
        self.z, self.y = z, y
        e = safe_exp(xp, -xp.abs(z))
        self.sig = xp.where(z >= 0, 1, e).astype(z.dtype, copy=False) / (1 + e)
        return _reduce(xp.maximum(z, 0) - z * y + xp.log1p(e), self.reduction)

    def backward(self, grad):
        g = _reduce_grad(grad, self.reduction, self.z.size)
        grad_y = -g * self.z if self.needs_input_grad[1] else None
        return g * (self.sig - self.y), grad_y


def _outside(xp, a):
    """A short description of the values of ``a`` outside [0, 1], for an error message."""
    bad = a[~((a >= 0) & (a <= 1))]
    return f"{int(bad.size)} value(s) outside [0, 1], e.g. {float(bad.reshape(-1)[0])}"


def _as_target(op, target, ref):
    """Targets may be Tensors, arrays or lists; put them on the input's device."""
    if isinstance(target, Tensor):
        if type(target._data) is not type(ref._data) and target.device != ref.device:
            raise RuntimeError(f"{op}: input is on '{ref.device}' but target is on '{target.device}': "
                               f"move the target with .to('{ref.device}')")
        return target
    try:
        return Tensor(target, device=ref.device)
    except TypeError as error:  # None, strings, objects: say which loss was given them
        raise TypeError(f"{op}: the target must be a Tensor (or numbers), got {type(target).__name__} "
                        f"({error})") from None


def _paired_loss(op, function, pred, target, reduction):
    """The checks every elementwise loss shares: reduction name, target device, same shape,
    target cast to the prediction's dtype. Then the loss node itself."""
    _check_reduction(op, reduction)
    target = _as_target(op, target, pred)
    _check_same_shape(op, pred, target)
    if target.dtype != pred.dtype:
        target = target.to(dtype=pred.dtype)
    return function(reduction)(pred, target)


def _check_class_indices(op, target, n, classes):
    """Targets (N,) of integer class ids in 0..classes-1, one per row of the input."""
    data = target._data
    if data.dtype.kind not in "iu":
        raise TypeError(f"{op}: class-index targets must be integers, got {data.dtype}; "
                        "use target.to(dtype='int64'), or pass (N, C) probabilities")
    if data.shape != (n,):
        raise ValueError(f"{op}: {n} rows of logits but targets of shape {data.shape}: expected ({n},)")
    if data.size and _largest_as_unsigned(data) >= classes:
        low, high = int(data.min()), int(data.max())
        bad = high if high >= classes else low
        raise IndexError(f"{op}: class index {bad} is out of range for {classes} classes "
                         f"(valid: 0..{classes - 1})")


def _legacy(size_average, reduce, reduction):
    """PyTorch's deprecated size_average/reduce as a reduction (the usual case: neither given)."""
    if size_average is None and reduce is None:
        return reduction
    return _general().legacy_reduction(size_average, reduce, reduction)


def _general():
    from tinynn.ops import losses_extra  # the compositions for the general cases (imports this module)

    return losses_extra


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):  # noqa: A002
    """Mean squared error over all elements  [E4, E14]. ``weight`` (the input's shape) scales
    each squared error, and "mean" then divides by Σ weight (PyTorch's rule).

    >>> import tinynn as tn
    >>> mse_loss(tn.tensor([0.9, 0.1]), tn.tensor([1.0, 0.0])).item()  # (0.01 + 0.01) / 2
    0.01...
    """
    reduction = _legacy(size_average, reduce, reduction)
    if weight is None:
        return _paired_loss("mse_loss", MSELossFunction, input, target, reduction)
    op = "mse_loss"
    _check_reduction(op, reduction)
    per_element = _paired_loss(op, MSELossFunction, input, target, "none")
    return _general().weighted_reduce(op, per_element, weight, reduction, by_total_weight=True)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,  # noqa: A002
                  reduction="mean", label_smoothing=0.0):
    """Cross-entropy of raw scores (N, C) against class indices (N,) or probabilities /
    one-hot rows (N, C)  [E5, E15, E24]. Softmax is applied inside.

    The plain case (no weight, no smoothing, no target equal to ``ignore_index``, 2-d
    scores) is one fused node; every other case — per-class ``weight``, ``ignore_index``,
    ``label_smoothing``, scores (N, C, d1, ...) or (C,) — is the composition
    ``losses_extra.general_cross_entropy``, with PyTorch's meaning (tests/test_losses_extra.py).

    >>> import tinynn as tn
    >>> round(cross_entropy(tn.tensor([[0.0, 0.0]]), tn.tensor([1])).item(), 4)  # log 2
    0.6931
    >>> cross_entropy(tn.tensor([[0.0, 0.0]]), tn.tensor([-100])).item()          # all ignored: nan
    nan
    """
    reduction = _legacy(size_average, reduce, reduction)
    if not isinstance(input, Tensor):
        raise TypeError(f"cross_entropy: expected a Tensor of scores, got {type(input).__name__}")
    target = _as_target("cross_entropy", target, input)
    data = target._data
    plain = weight is None and not label_smoothing and input._data.ndim == 2
    indices = plain and data.ndim == 1 and data.dtype.kind in "iu"
    valid = indices and _all_valid_classes(data, input._data, ignore_index)  # the usual case: one max() checks all
    if indices and not valid:  # some target may be ignore_index
        plain = not (data.size and bool((data == ignore_index).any()))
    if not plain:
        return _general().general_cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing)
    if data.ndim != 1:  # probabilities / one-hot rows: an elementwise pairing
        return _paired_loss("cross_entropy", CrossEntropyFunction, input, target, reduction)
    _check_reduction("cross_entropy", reduction)
    if not valid:
        _check_class_indices("cross_entropy", target, *input._data.shape)  # dtype, shape, range: says which
    return CrossEntropyFunction(reduction)(input, target)


def _all_valid_classes(data, scores, ignore_index):
    """Every index in 0..classes-1 and ``ignore_index`` outside that range (the usual -100),
    so that no target is ignored: one ``_largest_as_unsigned`` answers both, instead of a max()
    and an (== ignore_index).any()."""
    classes = scores.shape[1]
    if 0 <= ignore_index < classes or data.shape != scores.shape[:1]:
        return False
    return not data.size or _largest_as_unsigned(data) < classes


def _largest_as_unsigned(data):
    """max() of integer indices read as unsigned, where a negative index is huge: one reduction
    checks both ends of the range 0..classes-1."""
    return int(data.view(data.dtype.str.replace("i", "u")).max())


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,  # noqa: A002
             reduction="mean"):
    """Negative log-likelihood of (N, C) log-probabilities at class indices (N,); ``weight``,
    ``ignore_index`` and (N, C, d1, ...) inputs go through the composition, as cross_entropy.

    >>> import tinynn.functional as F
    >>> z = tn.tensor([[2.0, 0.0, -1.0]])
    >>> bool(abs(nll_loss(F.log_softmax(z), tn.tensor([0])).item() - F.cross_entropy(z, tn.tensor([0])).item()) < 1e-6)
    True
    """
    reduction = _legacy(size_average, reduce, reduction)
    if not isinstance(input, Tensor):
        raise TypeError(f"nll_loss: expected a Tensor of log-probabilities, got {type(input).__name__}")
    target = _as_target("nll_loss", target, input)
    data = target._data
    if weight is not None or input._data.ndim != 2 or (data.size and bool((data == ignore_index).any())):
        return _general().general_cross_entropy(input, target, weight, ignore_index, reduction,
                                                log_probs_given=True)
    _check_reduction("nll_loss", reduction)
    _check_class_indices("nll_loss", target, *input.shape)
    return NLLLossFunction(reduction)(input, target)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):  # noqa: A002
    """BCE on probabilities in [0, 1]  [E11]; logs clamped at -100 as in PyTorch.
    ``weight`` (broadcast against the input) rescales each element's loss.

    >>> binary_cross_entropy(tn.tensor([0.0, 1.0]), tn.tensor([1.0, 1.0]), reduction="none").tolist()
    [100.0, 0.0]
    """
    reduction = _legacy(size_average, reduce, reduction)
    if weight is None:
        return _paired_loss("binary_cross_entropy", BinaryCrossEntropyFunction, input, target, reduction)
    op = "binary_cross_entropy"
    _check_reduction(op, reduction)
    per_element = _paired_loss(op, BinaryCrossEntropyFunction, input, target, "none")
    return _general().weighted_reduce(op, per_element, weight, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,  # noqa: A002
                                     reduction="mean", pos_weight=None):
    """BCE of sigmoid(logits), computed stably from the logits; gradient σ(z) - y  [E11].
    ``pos_weight`` (one per class, the last dim) weighs the positive term, ``weight`` every term.

    >>> z = tn.tensor([0.0, 1e4], requires_grad=True)
    >>> binary_cross_entropy_with_logits(z, tn.tensor([1.0, 1.0]), reduction="sum").backward()
    >>> z.grad.tolist()  # σ(z) - y
    [-0.5, 0.0]
    """
    reduction = _legacy(size_average, reduce, reduction)
    op = "binary_cross_entropy_with_logits"
    if weight is None and pos_weight is None:
        return _paired_loss(op, BinaryCrossEntropyWithLogitsFunction, input, target, reduction)
    _check_reduction(op, reduction)
    target = _as_target(op, target, input)
    per_element = _paired_loss(op, BinaryCrossEntropyWithLogitsFunction, input, target, "none")
    if pos_weight is not None:
        target = target if target.dtype == input.dtype else target.to(input.dtype)
        per_element = _general().pos_weighted_bce_with_logits(input, target, per_element, pos_weight)
    return _general().weighted_reduce(op, per_element, weight, reduction)


__all__ = ["mse_loss", "cross_entropy", "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits"]
