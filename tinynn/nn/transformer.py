"""``nn.TransformerEncoderLayer`` and ``nn.TransformerDecoderLayer``: PyTorch's blocks, from the pieces.

A block is attention and a two-layer MLP, each wrapped in a residual connection and a
LayerNorm: post-norm ``x = norm(x + sublayer(x))`` as in the 2017 paper (PyTorch's default),
or pre-norm ``x = x + sublayer(norm(x))`` (``norm_first=True``, as GPT-2 and most models
since, because the residual path then carries gradients to early layers unchanged).

>>> import tinynn as tn
>>> from tinynn import nn
>>> layer = nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, batch_first=True)
>>> layer(tn.randn(3, 5, 8)).shape
(3, 5, 8)
"""
from __future__ import annotations

from tinynn.nn import _checks
from tinynn.nn.attention import MultiheadAttention
from tinynn.nn.layers import Dropout, Linear
from tinynn.nn.module import Module
from tinynn.nn.normalization import LayerNorm
from tinynn.ops import relu
from tinynn.ops.gelu import gelu


def _activation(layer, activation):
    if callable(activation):
        return activation
    if isinstance(activation, str) and activation in ("relu", "gelu"):
        return relu if activation == "relu" else gelu
    raise RuntimeError(f"{layer}: activation should be 'relu', 'gelu' or a callable, not {activation!r}")


def _check_sizes(layer, d_model, nhead, dim_feedforward, dropout):
    """The block's own arguments, checked under its name before any submodule is built."""
    _checks.positive_int(layer, "d_model", d_model)
    _checks.positive_int(layer, "nhead", nhead)
    _checks.positive_int(layer, "dim_feedforward", dim_feedforward)
    _checks.probability(layer, "dropout", dropout)
    if d_model % nhead:
        raise ValueError(f"{layer}: d_model ({d_model}) must be a multiple of nhead ({nhead})")


class TransformerEncoderLayer(Module):
    """Self-attention then a feed-forward MLP, each with dropout, a residual and a LayerNorm
    (``torch.nn.TransformerEncoderLayer``'s arguments, submodule names and defaults).

    >>> layer = TransformerEncoderLayer(4, 2, dim_feedforward=8)
    >>> sorted(name for name, _ in layer.named_children())[:3]
    ['dropout', 'dropout1', 'dropout2']
    """

    _input_ranks = 0  # any Tensor; anything else is refused naming the layer

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        _check_sizes("TransformerEncoderLayer", d_model, nhead, dim_feedforward, dropout)
        activation = _activation("TransformerEncoderLayer", activation)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                            device=device, dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, device=device, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, device=device, dtype=dtype)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, device=device, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, device=device, dtype=dtype)
        self.dropout1, self.dropout2 = Dropout(dropout), Dropout(dropout)
        self.activation = activation

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        """``src`` (S, N, E), or (N, S, E) with batch_first; masks as nn.MultiheadAttention's."""
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        out = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False,
                             is_causal=is_causal)[0]
        return self.dropout1(out)

    def _ff_block(self, x):
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerDecoderLayer(Module):
    """Masked self-attention, attention over the encoder's ``memory``, then the MLP; each with
    dropout, a residual and a LayerNorm (``torch.nn.TransformerDecoderLayer``'s interface).

    >>> import tinynn as tn
    >>> layer = TransformerDecoderLayer(4, 2, dim_feedforward=8)
    >>> layer(tn.randn(5, 3, 4), tn.randn(7, 3, 4)).shape
    (5, 3, 4)
    """

    _input_ranks = 0  # any Tensor; anything else is refused naming the layer

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        _check_sizes("TransformerDecoderLayer", d_model, nhead, dim_feedforward, dropout)
        activation = _activation("TransformerDecoderLayer", activation)
        kw = dict(device=device, dtype=dtype)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, **kw)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                 batch_first=batch_first, **kw)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.dropout1, self.dropout2, self.dropout3 = Dropout(dropout), Dropout(dropout), Dropout(dropout)
        self.activation = activation

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        """``tgt`` (T, N, E) attends to itself (under ``tgt_mask``) and to ``memory`` (S, N, E)."""
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        out = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False,
                             is_causal=is_causal)[0]
        return self.dropout1(out)

    def _mha_block(self, x, memory, attn_mask, key_padding_mask, is_causal):
        out = self.multihead_attn(x, memory, memory, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                  need_weights=False, is_causal=is_causal)[0]
        return self.dropout2(out)

    def _ff_block(self, x):
        return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(x)))))
