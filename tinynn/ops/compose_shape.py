"""Shape ops that are compositions of the shape primitives ``reshape``, ``permute`` and
``cat`` (tinynn/ops/shape.py): no backward of their own.

>>> import tinynn as tn
>>> flatten(tn.ones((8, 3, 4, 4)), 1).shape, unsqueeze(tn.ones(3), 0).shape, transpose(tn.ones((2, 3)), 0, 1).shape
((8, 48), (1, 3), (3, 2))
"""
from __future__ import annotations

from tinynn import checks
from tinynn.ops.reduction import dim_index
from tinynn.ops.shape import ReshapeFunction, TransposeFunction, concatenate


def transpose(x, dim0, dim1):
    """Swap two dims (PyTorch's transpose; ``x.T`` reverses all of them).

    >>> transpose(tn.ones((2, 3, 4)), 0, 2).shape
    (4, 3, 2)
    """
    axes = list(range(x.ndim))
    a, b = dim_index(dim0, x.ndim, "transpose"), dim_index(dim1, x.ndim, "transpose")
    axes[a], axes[b] = axes[b], axes[a]
    return TransposeFunction(tuple(axes))(x)


swapaxes = transpose


def reverse_axes(x):
    """All axes reversed (``x.T``; for a matrix, its transpose).

    >>> reverse_axes(tn.ones((2, 3))).shape
    (3, 2)
    """
    return TransposeFunction(None)(x)


def flatten(x, start_dim=0, end_dim=-1):
    """Collapse dims start_dim..end_dim into one (``torch.flatten``: all of them by default;
    ``nn.Flatten`` keeps the batch axis with start_dim=1).

    >>> flatten(tn.ones((8, 3, 4, 4)), 1).shape
    (8, 48)
    """
    if x.ndim == 0:
        return ReshapeFunction((1,))(x)
    start, end = dim_index(start_dim, x.ndim, "flatten"), dim_index(end_dim, x.ndim, "flatten")
    if start > end:
        raise RuntimeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    merged = 1
    for n in x.shape[start:end + 1]:
        merged *= n
    return ReshapeFunction(x.shape[:start] + (merged,) + x.shape[end + 1:])(x)


def squeeze(x, dim=None, *, axis=None):
    """Remove dims of length 1 (all of them, or just ``dim`` if it has length 1, as PyTorch).

    >>> squeeze(tn.ones((1, 3, 1))).shape, squeeze(tn.ones((1, 3, 1)), 0).shape
    ((3,), (3, 1))
    """
    dim = axis if dim is None else dim
    shape = x.shape
    if dim is None:
        return ReshapeFunction(tuple(n for n in shape if n != 1))(x)
    dims = {dim_index(d, x.ndim, "squeeze") for d in (dim if isinstance(dim, (tuple, list)) else (dim,))}
    return ReshapeFunction(tuple(n for i, n in enumerate(shape) if not (i in dims and n == 1)))(x)


def unsqueeze(x, dim):
    """Insert a dim of length 1 at ``dim`` (-1 appends one).

    >>> unsqueeze(tn.ones(3), 0).shape
    (1, 3)
    """
    dim = dim_index(dim, x.ndim + 1, "unsqueeze")
    return ReshapeFunction(x.shape[:dim] + (1,) + x.shape[dim:])(x)


def stack(tensors, dim=0, *, axis=None):
    """Join same-shaped tensors along a new dim: ``cat`` of each unsqueezed at ``dim``.

    >>> stack([tn.ones(3), tn.zeros(3)], dim=1).shape
    (3, 2)
    """
    tensors = checks.tensor_list(tensors, "stack")
    if len({t.shape for t in tensors}) > 1:
        raise ValueError(f"stack: all tensors must have the same shape, got {[t.shape for t in tensors]}")
    dim = dim_index(dim if axis is None else axis, tensors[0].ndim + 1, "stack")
    return concatenate([unsqueeze(t, dim) for t in tensors], dim)


__all__ = ["transpose", "swapaxes", "flatten", "squeeze", "unsqueeze", "stack"]
