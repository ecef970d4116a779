"""Functional forms of everyday layers, as compositions of primitives: ``one_hot``,
``dropout``, ``dropout2d``, ``normalize``, ``adaptive_avg_pool2d``.

>>> import tinynn as tn
>>> one_hot(tn.tensor([0, 2]), 3).tolist()
[[1, 0, 0], [0, 0, 1]]
"""
from __future__ import annotations

from tinynn import backend, random
from tinynn.ops.arithmetic import pow
from tinynn.ops.elementwise import abs, clip, sqrt
from tinynn.ops.reduction import dim_index, mean, sum
from tinynn.ops.compose_shape import stack
from tinynn.ops.shape import getitem, reshape
from tinynn.tensor import Tensor


def _tensor(op, x):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    return x


def one_hot(tensor, num_classes=-1):
    """int64 tensor of shape (*tensor.shape, num_classes) with a 1 at each class index.

    ``num_classes=-1`` takes max(tensor) + 1, as PyTorch. No gradient (the result is integer).

    >>> import tinynn as tn
    >>> one_hot(tn.tensor([1, 0])).tolist()
    [[0, 1], [1, 0]]
    """
    data = _tensor("one_hot", tensor)._data
    if data.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expects integer class indices, got dtype {data.dtype}; use tensor.long()")
    if num_classes == -1:
        if data.size == 0:
            raise RuntimeError("one_hot: cannot infer num_classes from an empty tensor; pass num_classes")
        num_classes = int(data.max()) + 1
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 0:
        raise ValueError(f"one_hot: num_classes must be -1 or a non-negative int, got {num_classes!r}")
    if data.size and int(data.min()) < 0:
        raise RuntimeError(f"one_hot: class values must be non-negative, got {int(data.min())}")
    if data.size and int(data.max()) >= num_classes:
        raise RuntimeError(f"one_hot: class value {int(data.max())} is not smaller than num_classes={num_classes}")
    xp = backend.xp_of(data)
    out = (data[..., None] == xp.arange(num_classes)).astype("int64")
    return Tensor._wrap(out)


def _check_p(op, p):
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p!r}")


def _masked(x, p, mask_shape, inplace, op):
    if p == 0.0:
        return x
    if p == 1.0:
        def drop(t):
            return t * 0.0  # as PyTorch: nan stays nan, gradient zero
    else:
        keep = random.random_array("random", mask_shape, "float64", "cpu") >= p  # the host RNG, seeded
        mask = Tensor._wrap(backend.to_device((keep * (1.0 / (1.0 - p))).astype(x.dtype), x.device))

        def drop(t):
            return t * mask
    drop.__name__ = op
    return x._write(drop) if inplace else drop(x)


def dropout(input, p=0.5, training=True, inplace=False):  # noqa: A002 - PyTorch's names
    """Inverted dropout: each element zeroed with probability ``p``, survivors scaled by
    1/(1 − p); the identity when ``training`` is False. Draws the same mask as ``nn.Dropout``
    for the same seed.

    >>> import tinynn as tn
    >>> sorted(set(dropout(tn.ones(1000), 0.5).tolist())), dropout(tn.ones(2), 0.5, training=False).tolist()
    ([0.0, 2.0], [1.0, 1.0])
    """
    _check_p("dropout", p)
    x = _tensor("dropout", input)
    return _masked(x, float(p), x.shape, inplace, "dropout") if training else x


def dropout2d(input, p=0.5, training=True, inplace=False):  # noqa: A002
    """Zero whole channels: input (N, C, H, W) (or (N, C, L)), one draw per (sample, channel).

    >>> import tinynn as tn
    >>> y = dropout2d(tn.ones(8, 16, 3, 3), 0.5)
    >>> bool(((y == 0).all(dim=(2, 3)) | (y == 2).all(dim=(2, 3))).all())   # a channel goes or stays
    True
    """
    _check_p("dropout2d", p)
    x = _tensor("dropout2d", input)
    if x.ndim not in (3, 4):
        raise ValueError(f"dropout2d: expected a 3-d (N, C, L) or 4-d (N, C, H, W) input, got shape {tuple(x.shape)}")
    if not training:
        return x
    return _masked(x, float(p), x.shape[:2] + (1,) * (x.ndim - 2), inplace, "dropout2d")


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):  # noqa: A002
    """x / max(‖x‖_p, eps) along ``dim`` (rows of unit length for p = 2, dim = 1).

    The clamp is applied to Σ|x|^p (at eps^p), which gives the same value and keeps a zero
    vector's gradient finite (√ of 0 has an infinite slope).

    >>> import tinynn as tn
    >>> normalize(tn.tensor([[3.0, 4.0]])).tolist()
    [[0.6000000238418579, 0.800000011920929]]
    """
    if out is not None:
        raise TypeError("normalize: out= is not supported; use the returned tensor")
    x = _tensor("normalize", input)
    dim = dim_index(dim, x.ndim, "normalize")
    if p == 2:
        norm = sqrt(clip(sum(x * x, dim, keepdim=True), eps * eps, None))
    else:
        norm = pow(clip(sum(pow(abs(x), p), dim, keepdim=True), eps ** p, None), 1.0 / p)
    return x / norm


def _bins(size, out):
    """PyTorch's adaptive bins: bin i covers [floor(i·size/out), ceil((i+1)·size/out))."""
    return [((i * size) // out, -(-(i + 1) * size // out)) for i in range(out)]


def _adaptive_mean(x, dim, out):
    size = x.shape[dim]
    if size % out == 0:  # equal bins: one reshape and one mean
        k = size // out
        return mean(reshape(x, x.shape[:dim] + (out, k) + x.shape[dim + 1:]), dim + 1)
    pieces = [mean(getitem(x, (slice(None),) * dim + (slice(a, b),)), dim) for a, b in _bins(size, out)]
    return stack(pieces, dim)


def adaptive_avg_pool2d(input, output_size):  # noqa: A002
    """Average over the bins that split H and W into ``output_size`` (an int, a pair, None
    keeps that size), for (N, C, H, W) or (C, H, W) input. Bins are separable, so rows are
    averaged first, then columns.

    >>> import tinynn as tn
    >>> adaptive_avg_pool2d(tn.arange(16.0).reshape(1, 1, 4, 4), 2).tolist()
    [[[[2.5, 4.5], [10.5, 12.5]]]]
    """
    x = _tensor("adaptive_avg_pool2d", input)
    if x.ndim not in (3, 4):
        raise ValueError(f"adaptive_avg_pool2d: expected a 3-d (C, H, W) or 4-d (N, C, H, W) input, got shape "
                         f"{tuple(x.shape)}")
    sizes = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    if len(sizes) != 2:
        raise ValueError(f"adaptive_avg_pool2d: output_size must be an int or a pair, got {output_size!r}")
    h_dim, w_dim = x.ndim - 2, x.ndim - 1
    sizes = tuple(x.shape[d] if s is None else s for s, d in zip(sizes, (h_dim, w_dim)))
    for s in sizes:
        if isinstance(s, bool) or not isinstance(s, int) or s <= 0:
            raise ValueError(f"adaptive_avg_pool2d: output sizes must be positive ints, got {output_size!r}")
    if 0 in x.shape[-2:]:
        raise ValueError(f"adaptive_avg_pool2d: input of shape {tuple(x.shape)} has an empty spatial dim")
    return _adaptive_mean(_adaptive_mean(x, h_dim, sizes[0]), w_dim, sizes[1])


__all__ = ["one_hot", "dropout", "dropout2d", "normalize", "adaptive_avg_pool2d"]
NN_ONLY = ("one_hot", "dropout2d", "normalize", "adaptive_avg_pool2d")  # torch.dropout exists at the top level
