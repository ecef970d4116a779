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

from tinynn import backend, random
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
    keep = random.random_array("random", shape, "float64", "cpu") >= p
    return backend.to_device((keep * (1.0 / (1.0 - p))).astype(dtype), device)


class ScaledDotProductAttentionFunction(Function):
    """O = softmax(Q Kᵀ·scale + M) V in one node; backward through the softmax Jacobian (above).

    ``keep`` is a boolean "may attend" array (True = takes part) or None; an additive float mask,
    which may require grad, comes in as the fourth input.

    Layout: the kernel works on Aᵀ (…, S, L), keys before queries, held in memory as (S, …, L):
    the softmax's sums and maxima over the keys then run over the outermost axis, i.e. over
    long contiguous rows of every query at once. Over the last axis, as A (…, L, S) would
    have them, NumPy sets up every row of S values separately: the maximum of the GPT's
    (12, 4, 64, 64) scores took 0.46 ms that way and takes 0.014 ms this way. The products
    write into and read from that layout directly (BLAS takes the strides).
    """

    def __init__(self, scale, keep=None, dropout_p=0.0):
        self.scale, self.keep, self.dropout_p = scale, keep, dropout_p

    def forward(self, q, k, v, additive=None):
        xp = backend.xp_of(q)
        scores_t = _keys_first(xp, k, xp.swapaxes(q, -1, -2))  # Aᵀ = K Qᵀ: (…, S, L)
        scores_t *= self.scale * _LOG2_E  # in units of log2 (see _softmax_over_keys)
        if additive is not None:  # a new array: the mask may broadcast the scores to a larger shape
            scores_t = scores_t + xp.swapaxes(additive, -1, -2) * _LOG2_E
        probs_t = _softmax_over_keys(xp, scores_t, self.keep)
        self.drop = None
        if self.dropout_p > 0:  # drawn as (…, L, S), the layout of P, so a seed gives the reference's mask
            self.drop = _dropout_scale(probs_t.shape[:-2] + probs_t.shape[-1:] + probs_t.shape[-2:-1],
                                       self.dropout_p, probs_t.dtype, backend.device_of(probs_t))
        self.save(q, k, v, probs_t)
        dropped_t = probs_t if self.drop is None else probs_t * xp.swapaxes(self.drop, -1, -2)
        return xp.swapaxes(dropped_t, -1, -2) @ v  # O = P V

    def backward(self, grad):
        q, k, v, probs_t = self.saved
        xp = backend.xp_of(grad)
        need = self.needs_input_grad
        drop_t = None if self.drop is None else xp.swapaxes(self.drop, -1, -2)
        grad_v = (probs_t if drop_t is None else probs_t * drop_t) @ grad if need[2] else None  # ∂L/∂V = Pᵀ G
        grad_q = grad_k = grad_mask = None
        if need[0] or need[1] or (len(need) > 3 and need[3]):
            grad_p = _keys_first(xp, v, xp.swapaxes(grad, -1, -2))  # (∂L/∂P)ᵀ = V Gᵀ
            if drop_t is not None:
                grad_p *= drop_t
            # softmax Jacobian: ∂L/∂A = P ⊙ (∂L/∂P - Σ_keys ∂L/∂P ⊙ P)
            grad_p -= (grad_p * probs_t).sum(axis=-2, keepdims=True)
            grad_p *= probs_t
            if len(need) > 3 and need[3]:
                grad_mask = xp.swapaxes(grad_p, -1, -2).copy()  # as (…, L, S), the mask's layout
            grad_p *= self.scale
            grad_q = xp.swapaxes(grad_p, -1, -2) @ k if need[0] else None  # ∂L/∂Q = ∂L/∂A K · scale
            grad_k = grad_p @ q if need[1] else None  # ∂L/∂K = ∂L/∂Aᵀ Q · scale
        grads = (grad_q, grad_k, grad_v, grad_mask)
        return grads[:len(need)]


def _keys_first(xp, a, b):
    """a @ b, (…, S, E) @ (…, E, L) -> (…, S, L), written into an (S, …, L) array (see the class)."""
    batch = backend.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    out = xp.empty((a.shape[-2],) + batch + (b.shape[-1],), dtype=a.dtype)
    return xp.matmul(a, b, out=xp.moveaxis(out, 0, -2))


def _softmax_over_keys(xp, scores_t, keep):
    """softmax of Aᵀ (…, S, L) over the keys (axis -2), in place where the layout allows; a query
    whose keys are all masked gets zeros (as PyTorch's scaled_dot_product_attention), not the
    0/0 = nan of a plain softmax.

    The boolean mask comes in as an added 0 / -inf (in place, no copy of the scores); a nan score
    at a masked place would survive that (nan - inf is nan), so then the mask is applied again by
    ``where``, which drops it as the reference does.

    e^a = 2^(a·log2 e): the scores arrive multiplied by log2 e (folded into the scale), because
    NumPy's exp2 runs about twice as fast as its exp (the trick flash attention uses too)."""
    if keep is not None:
        scores_t = _add(scores_t, _blocked(xp, keep, scores_t.dtype))
    top = scores_t.max(axis=-2, keepdims=True)
    if keep is not None and bool(xp.isnan(top).any()):
        scores_t = xp.where(xp.swapaxes(keep, -1, -2), scores_t, -xp.inf)
        top = scores_t.max(axis=-2, keepdims=True)
    top = xp.where(xp.isneginf(top), 0, top)  # fully masked queries (-inf everywhere): shift by 0, every exp is 0
    with backend.saturating():  # -1e38 - 3e38 in float32 saturates to -inf: exp is 0 either way
        scores_t -= top
    floor = -1021.0 if scores_t.dtype.itemsize == 8 else -125.0  # 2^floor is the smallest normal number
    kept = scores_t >= floor  # masked (-inf) and negligible weights become exactly 0, with no underflow
    xp.clip(scores_t, floor, 0, out=scores_t)  # (a two-sided clip: NumPy's maximum is ~5x slower here)
    probs = xp.exp2(scores_t, out=scores_t)
    probs *= kept
    total = probs.sum(axis=-2, keepdims=True)
    probs /= xp.where(total == 0, 1, total)
    return probs


def _add(scores_t, mask_t):
    """scores_t + mask_t, in place when the mask does not broadcast the scores to a larger shape."""
    if backend.broadcast_shapes(scores_t.shape, mask_t.shape) == scores_t.shape:
        scores_t += mask_t
        return scores_t
    return scores_t + mask_t


def _blocked(xp, keep, dtype):
    """The boolean "may attend" mask as an additive one, transposed to (…, S, L): 0 where a query
    may look at a key, -inf where it may not (cached for the causal mask, which is reused)."""
    key = (id(keep), dtype)
    cached = _blocked_cache.get(key)
    if cached is not None and cached[0] is keep:
        return cached[1]
    blocked = xp.ascontiguousarray(xp.swapaxes(xp.where(keep, 0.0, -xp.inf).astype(dtype), -1, -2))
    if any(keep is mask for mask in _causal_cache.values()):
        _blocked_cache[key] = (keep, blocked)
    return blocked


_blocked_cache = {}  # id(causal mask), dtype -> (the mask, its additive transposed form)


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
