"""Scaled dot-product attention in one node: the fused kernel behind attention layers and the GPT.

Reference composition: ``scaled_dot_product_attention_reference`` below (matmul, transpose,
masked_fill, softmax, dropout, matmul); tests/test_attention.py proves the two equal in value and
gradient, and both equal to PyTorch's ``F.scaled_dot_product_attention``.

Forward, for queries Q (…, L, E), keys K (…, S, E) and values V (…, S, Ev):

    A = Q Kᵀ · scale + M        (scale = 1/√E; M is 0 where allowed, -∞ where masked)
    P = softmax(A) row by row   (each query's weights over the keys sum to 1)
    O = P V

Backward, with G = ∂L/∂O (hand-derived; autodiff would take five nodes for it):

    ∂L/∂V = Pᵀ G,   ∂L/∂P = G Vᵀ
    ∂L/∂A = P ⊙ (∂L/∂P - rowsum(∂L/∂P ⊙ P))     the softmax Jacobian diag(p) - p pᵀ, applied row by row
    ∂L/∂Q = ∂L/∂A K · scale,   ∂L/∂K = (∂L/∂A)ᵀ Q · scale

One node keeps only P for backward (not the five intermediate arrays of the composition).
"""
from __future__ import annotations

import math

from tinynn import backend
from tinynn.tensor import Function, Tensor

_LOG2_E = 1 / math.log(2)
_causal_cache = {}  # (L, S, device) -> the lower-triangular "may attend" mask


def _causal_keep(xp, rows, cols, device):
    """True on and below the diagonal: query i may look at keys 0..i (cached: made once per size)."""
    key = (rows, cols, device)
    keep = _causal_cache.get(key)
    if keep is None:
        keep = _causal_cache[key] = xp.tri(rows, cols, 0, dtype=bool)
    return keep


def _dropout_scale(shape, p, dtype, device):
    """The inverted-dropout multiplier: 0 with probability p, else 1/(1-p), drawn from tinynn's
    seeded generator on the host (the same numbers on every device, as nn.Dropout)."""
    keep = backend.random_array("random", shape, "float64", "cpu") >= p
    return backend.to_device((keep * (1.0 / (1.0 - p))).astype(dtype), device)


class ScaledDotProductAttentionFunction(Function):
    """O = softmax(Q Kᵀ·scale + M) V in one node; backward through the softmax Jacobian (above).

    ``keep`` is a boolean "may attend" array (True = takes part) or None; an additive float mask,
    which may require grad, comes in as the fourth input.
    """

    def __init__(self, scale, keep=None, dropout_p=0.0):
        self.scale, self.keep, self.dropout_p = scale, keep, dropout_p

    def forward(self, q, k, v, additive=None):
        xp = backend.xp_of(q)
        scores = q @ xp.swapaxes(k, -1, -2)  # A = Q Kᵀ: (…, L, S)
        scores *= self.scale * _LOG2_E  # in units of log2 (see _softmax_rows)
        if additive is not None:
            scores = scores + additive * _LOG2_E  # a new array: the mask may broadcast scores to a larger shape
        if self.keep is not None:
            scores = xp.where(self.keep, scores, -xp.inf)
        probs = _softmax_rows(xp, scores, masked=additive is not None or self.keep is not None)
        self.drop = None
        if self.dropout_p > 0:
            self.drop = _dropout_scale(probs.shape, self.dropout_p, probs.dtype, backend.device_of(probs))
        self.save(q, k, v, probs)
        return (probs if self.drop is None else probs * self.drop) @ v  # O = P V

    def backward(self, grad):
        q, k, v, probs = self.saved
        xp = backend.xp_of(grad)
        need = self.needs_input_grad
        dropped = probs if self.drop is None else probs * self.drop
        grad_v = xp.swapaxes(dropped, -1, -2) @ grad if need[2] else None  # ∂L/∂V = Pᵀ G
        grad_q = grad_k = grad_mask = None
        if need[0] or need[1] or (len(need) > 3 and need[3]):
            grad_p = grad @ xp.swapaxes(v, -1, -2)  # ∂L/∂P = G Vᵀ
            if self.drop is not None:
                grad_p *= self.drop
            # softmax Jacobian: ∂L/∂A = P ⊙ (∂L/∂P - Σ_j ∂L/∂P_j P_j)
            row = (grad_p * probs).sum(axis=-1, keepdims=True)
            grad_p -= row
            grad_p *= probs
            if len(need) > 3 and need[3]:
                grad_mask = grad_p.copy()
            grad_p *= self.scale
            grad_q = grad_p @ k if need[0] else None  # ∂L/∂Q = ∂L/∂A K · scale
            grad_k = xp.swapaxes(grad_p, -1, -2) @ q if need[1] else None  # ∂L/∂K = ∂L/∂Aᵀ Q · scale
        grads = (grad_q, grad_k, grad_v, grad_mask)
        return grads[:len(need)]


def _softmax_rows(xp, scores, masked):
    """softmax over the last axis, in place; a row with every key masked gets zeros (as PyTorch's
    scaled_dot_product_attention), not the 0/0 = nan of a plain softmax.

    e^a = 2^(a·log2 e): the scores arrive multiplied by log2 e (folded into the scale), because
    NumPy's exp2 runs about twice as fast as its exp (the trick flash attention uses too)."""
    top = scores.max(axis=-1, keepdims=True)
    if masked:
        top = xp.where(xp.isneginf(top), 0, top)  # fully masked rows: shift by 0, every exp is 0
    with backend.saturating():  # -1e38 - 3e38 in float32 saturates to -inf: exp is 0 either way
        scores -= top
    floor = -1021.0 if scores.dtype.itemsize == 8 else -125.0  # 2^floor is the smallest normal number
    kept = scores >= floor  # masked (-inf) and negligible weights become exactly 0, with no underflow
    xp.maximum(scores, floor, out=scores)
    probs = xp.exp2(scores, out=scores)
    probs *= kept
    total = probs.sum(axis=-1, keepdims=True)
    if masked:
        total = xp.where(total == 0, 1, total)
    probs /= total
    return probs


def _check(op, query, key, value, attn_mask, is_causal, dropout_p):
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise RuntimeError(f"{op}: query, key and value need at least 2 dims (…, L, E), got shapes "
                           f"{tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise RuntimeError(
            f"{op}: query (…, L, E) and key (…, S, E) must share E, and key and value (…, S, Ev) "
            f"must share S; got query {tuple(query.shape)}, key {tuple(key.shape)}, value {tuple(value.shape)}")
    if not (query.dtype == key.dtype == value.dtype):
        raise TypeError(f"{op}: query, key and value must have one dtype, got {query.dtype}, {key.dtype}, {value.dtype}")
    if is_causal and attn_mask is not None:
        raise RuntimeError(f"{op}: pass either attn_mask or is_causal=True, not both "
                           "(fold the causal mask into attn_mask instead)")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"{op}: dropout_p must be in [0, 1], got {dropout_p}")


def _mask_array(mask, device):
    data = mask._data if isinstance(mask, Tensor) else backend.as_array(mask, device=device)
    return data


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    """softmax(Q Kᵀ/√E + mask) V, PyTorch's ``F.scaled_dot_product_attention``.

    ``attn_mask``: boolean, True where a query MAY attend to a key (the opposite of
    nn.MultiheadAttention's boolean mask), or float, added to the scores (-inf blocks).
    ``is_causal=True``: query i sees keys 0..i (upper-left aligned when L != S).
    ``dropout_p`` drops attention weights (pass 0.0 in evaluation, as with PyTorch).

    >>> import tinynn as tn
    >>> q = k = v = tn.ones(1, 3, 4)
    >>> scaled_dot_product_attention(q, k, v, is_causal=True).shape
    (1, 3, 4)
    """
    op = "scaled_dot_product_attention"
    _check(op, query, key, value, attn_mask, is_causal, dropout_p)
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    xp = backend.xp_of(query._data)
    keep, additive = None, None
    if is_causal:
        keep = _causal_keep(xp, query.shape[-2], key.shape[-2], backend.device_of(query._data))
    elif attn_mask is not None:
        mask = _mask_array(attn_mask, backend.device_of(query._data))
        if mask.dtype == bool:
            keep = mask
        else:
            additive = attn_mask if isinstance(attn_mask, Tensor) else Tensor._wrap(mask.astype(query.dtype))
    fn = ScaledDotProductAttentionFunction(scale, keep, dropout_p)
    return fn(query, key, value) if additive is None else fn(query, key, value, additive)


def scaled_dot_product_attention_reference(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False,
                                           scale=None):
    """The plain composition the fused kernel must equal, one primitive at a time (same arguments).

    A query whose keys are all masked gives nan here (0/0 in softmax); the fused kernel gives 0.

    >>> import tinynn as tn
    >>> q, k, v = tn.randn(2, 3, 4), tn.randn(2, 5, 4), tn.randn(2, 5, 6)
    >>> fused = scaled_dot_product_attention(q, k, v)
    >>> bool(abs(fused - scaled_dot_product_attention_reference(q, k, v)).max() < 1e-6)
    True
    """
    from tinynn.ops import masked_fill, softmax, transpose

    _check("scaled_dot_product_attention_reference", query, key, value, attn_mask, is_causal, dropout_p)
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    scores = (query @ transpose(key, -2, -1)) * scale  # (…, L, S)
    if is_causal:
        xp = backend.xp_of(query._data)
        attn_mask = Tensor._wrap(xp.tri(query.shape[-2], key.shape[-2], 0, dtype=bool))
    if attn_mask is not None:
        if attn_mask.dtype == bool:
            scores = masked_fill(scores, ~attn_mask, float("-inf"))  # True = takes part: fill the rest
        else:
            scores = scores + attn_mask
    weights = softmax(scores, dim=-1)
    if dropout_p > 0:
        weights = weights * Tensor._wrap(_dropout_scale(weights.shape, dropout_p, weights.dtype,
                                                        backend.device_of(weights._data)))
    return weights @ value


__all__ = ["scaled_dot_product_attention"]
