"""``nn.MultiheadAttention``: PyTorch's layer, parameter names, masks and return values.

Each head attends with its own slice of the projected queries, keys and values; the heads'
outputs are concatenated and mixed by ``out_proj``:

    Q, K, V = query W_qᵀ + b_q, key W_kᵀ + b_k, value W_vᵀ + b_v    (W_q, W_k, W_v stacked in in_proj_weight)
    head_h  = softmax(Q_h K_hᵀ / √d + mask) V_h                     (d = embed_dim / num_heads)
    output  = concat(head_1 … head_H) W_oᵀ + b_o                   (out_proj)

"Multi-head" is a reshape: (L, N, E) → (N, H, L, d), one batched attention, and back.

>>> import tinynn as tn
>>> from tinynn import nn
>>> mha = nn.MultiheadAttention(8, 2, batch_first=True)
>>> out, weights = mha(tn.randn(3, 5, 8), tn.randn(3, 6, 8), tn.randn(3, 6, 8))
>>> out.shape, weights.shape
((3, 5, 8), (3, 5, 6))
"""
from __future__ import annotations

import math

from tinynn import backend
from tinynn.nn import _checks, init
from tinynn.nn.layers import Linear, inverted_dropout
from tinynn.nn.module import Module, Parameter
from tinynn.ops import linear, softmax
from tinynn.ops.fused.attention import scaled_dot_product_attention
from tinynn.tensor import Tensor


class MultiheadAttention(Module):
    """Multi-head attention (Vaswani et al., 2017), ``torch.nn.MultiheadAttention``'s interface.

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)`` returns ``(output, weights)``:

    * inputs (L, N, E) for queries and (S, N, E) for keys/values, or (N, L, E) with
      ``batch_first=True``, or unbatched (L, E);
    * ``attn_mask`` (L, S) or (N·num_heads, L, S): boolean **True = not allowed** (the opposite
      of ``F.scaled_dot_product_attention``), or float, added to the scores;
    * ``key_padding_mask`` (N, S): True marks padding keys to ignore;
    * ``weights`` (N, L, S) averaged over heads, or (N, num_heads, L, S); None when
      ``need_weights=False`` (then the fused attention kernel runs).

    A query whose keys are all masked gets a zero output here; PyTorch gives nan there.
    Not supported (an error says so): ``kdim``/``vdim`` other than ``embed_dim``,
    ``add_bias_kv``, ``add_zero_attn``.

    >>> import tinynn as tn
    >>> mha = MultiheadAttention(4, 2)
    >>> [name for name, _ in mha.named_parameters()]
    ['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias']
    """

    _input_ranks = 0  # any Tensor; anything else is refused naming the layer

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        super().__init__()
        embed_dim = _checks.positive_int("MultiheadAttention", "embed_dim", embed_dim)
        num_heads = _checks.positive_int("MultiheadAttention", "num_heads", num_heads)
        dropout = _checks.probability("MultiheadAttention", "dropout", dropout)
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim ({embed_dim}) must be a positive multiple of "
                             f"num_heads ({num_heads}); each head gets embed_dim // num_heads features")
        if add_bias_kv or add_zero_attn or (kdim not in (None, embed_dim)) or (vdim not in (None, embed_dim)):
            raise NotImplementedError("MultiheadAttention: add_bias_kv, add_zero_attn and kdim/vdim != embed_dim "
                                      "are not implemented in tinynn; project keys/values to embed_dim first")
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.dropout, self.batch_first = float(dropout), bool(batch_first)
        dtype = backend.as_dtype(dtype) or backend.default_dtype()
        self.in_proj_weight = Parameter(_checks.new_array("MultiheadAttention", (3 * embed_dim, embed_dim), dtype))
        if bias:
            self.in_proj_bias = Parameter(_checks.new_array("MultiheadAttention", (3 * embed_dim,), dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        self._reset_parameters()
        if device is not None and backend.check_device(device) != "cpu":
            self.to(device)

    def _reset_parameters(self):
        """PyTorch's: Xavier-uniform in_proj_weight, zero biases (out_proj.weight keeps Linear's init)."""
        init.xavier_uniform_(self.in_proj_weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        """Attend from ``query`` to ``key``/``value``; returns ``(output, weights or None)``."""
        unbatched = query.ndim == 2
        if unbatched:  # (L, E) -> (L, 1, E)
            query, key, value = (t.unsqueeze(1) for t in (query, key, value))
            if key_padding_mask is not None:
                key_padding_mask = _as_tensor(key_padding_mask).unsqueeze(0)
        elif self.batch_first:  # (N, L, E) -> (L, N, E)
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        self._check(query, key, value)
        if is_causal and attn_mask is None:
            raise RuntimeError("MultiheadAttention: is_causal=True is a hint that attn_mask is the causal "
                               "mask, so attn_mask must be given (e.g. nn.Transformer.generate_square_subsequent_mask)")
        L, N, E = query.shape
        S, H, d = key.shape[0], self.num_heads, self.head_dim
        q, k, v = self._project(query, key, value)  # each (L or S, N, E)
        q, k, v = (t.reshape(t.shape[0], N, H, d).permute(1, 2, 0, 3) for t in (q, k, v))  # (N, H, L|S, d)
        mask = _additive_mask(attn_mask, key_padding_mask, N, H, L, S, q.dtype, backend.device_of(q._data))
        dropout_p = self.dropout if self.training else 0.0
        if need_weights:  # the weights are asked for: the explicit composition, as PyTorch does
            scores = (q * (1.0 / math.sqrt(d))) @ k.transpose(-2, -1)  # (N, H, L, S)
            weights = softmax(scores if mask is None else scores + mask, dim=-1)
            if dropout_p > 0:
                weights = inverted_dropout(weights, dropout_p)
            heads = weights @ v
        else:
            weights = None
            heads = scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p)
        out = heads.permute(2, 0, 1, 3).reshape(L, N, E)  # concatenate the heads: (L, N, E)
        out = self.out_proj(out)
        if weights is not None and average_attn_weights:
            weights = weights.mean(dim=1)  # (N, L, S)
        if unbatched:
            out = out.squeeze(1)
            weights = None if weights is None else weights.squeeze(0)
        elif self.batch_first:
            out = out.transpose(0, 1)
        return out, weights

    def _project(self, query, key, value):
        w, b, E = self.in_proj_weight, self.in_proj_bias, self.embed_dim
        if query is key and key is value:  # self-attention: one matmul for Q, K and V
            qkv = linear(query, w) if b is None else linear(query, w, b)
            return qkv.split(E, dim=-1)
        pieces = []
        for i, x in enumerate((query, key, value)):
            wi = w[i * E:(i + 1) * E]
            pieces.append(linear(x, wi) if b is None else linear(x, wi, b[i * E:(i + 1) * E]))
        return pieces

    def _check(self, query, key, value):
        if query.ndim != 3 or key.ndim != 3 or value.ndim != 3:
            raise RuntimeError(f"MultiheadAttention: query, key and value must all be batched (3 dims) or all "
                               f"unbatched (2 dims), got shapes {query.shape}, {key.shape}, {value.shape}")
        if query.shape[-1] != self.embed_dim or key.shape[-1] != self.embed_dim or value.shape[-1] != self.embed_dim:
            raise RuntimeError(f"MultiheadAttention: expected {self.embed_dim} features in query, key and value, "
                               f"got shapes {query.shape}, {key.shape}, {value.shape}")
        if key.shape[:2] != value.shape[:2] or key.shape[1] != query.shape[1]:
            raise RuntimeError(f"MultiheadAttention: key and value must have the same length and batch as each "
                               f"other and the query, got {query.shape}, {key.shape}, {value.shape}")

    def extra_repr(self):
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}, batch_first={self.batch_first}"


def _as_tensor(mask):
    return mask if isinstance(mask, Tensor) else Tensor(mask)


def _additive_mask(attn_mask, key_padding_mask, N, H, L, S, dtype, device):
    """attn_mask and key_padding_mask merged into one float mask of shape (N, H, L, S) or
    broadcastable to it: 0 where allowed, -inf where a boolean mask says True (not allowed)."""
    merged = None
    for mask, shape, name in ((attn_mask, None, "attn_mask"), (key_padding_mask, (N, 1, 1, S), "key_padding_mask")):
        if mask is None:
            continue
        mask = _as_tensor(mask)
        if mask.dtype == bool:
            xp = backend.xp_of(mask._data)
            mask = Tensor._wrap(xp.where(mask._data, -xp.inf, 0).astype(dtype))
        elif mask.dtype != dtype:
            mask = mask.to(dtype)
        if shape is None:  # attn_mask: (L, S), or (N·H, L, S) for one mask per sample and head
            if tuple(mask.shape) == (L, S):
                pass
            elif tuple(mask.shape) == (N * H, L, S):
                mask = mask.reshape(N, H, L, S)
            else:
                raise RuntimeError(f"MultiheadAttention: {name} must have shape {(L, S)} or {(N * H, L, S)}, "
                                   f"got {tuple(mask.shape)}")
        else:
            if tuple(mask.shape) != (N, S):
                raise RuntimeError(f"MultiheadAttention: {name} must have shape (batch, source length) = "
                                   f"{(N, S)}, got {tuple(mask.shape)}")
            mask = mask.reshape(shape)
        merged = mask if merged is None else merged + mask
    if merged is not None and backend.device_of(merged._data) != device:
        merged = merged.to(device)
    return merged
