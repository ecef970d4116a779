"""PyTorch's type promotion for two operands, in one place (arithmetic ops and ``where``).

Where it differs from NumPy's:
- categories bool < integer < floating < complex: an operand of a higher category gives
  its dtype (int64 + float32 -> float32; NumPy says float64);
- a 0-d tensor is *weaker* than a dimensioned one: it decides the dtype only when its
  category is higher (float32 vector * 0-d float64 -> float32; int vector * 0-d float64 ->
  float64), as Python scalars are weaker still (see ``backend.scalar_dtype``).

>>> import numpy as np
>>> promote(np.ones(2, "float32"), np.array(2.0))[1].dtype   # the 0-d float64 yields
dtype('float32')
>>> promote(np.ones(2, "int64"), np.ones(2, "float32"))[0].dtype
dtype('float32')
"""
from __future__ import annotations

from tinynn import backend

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def result_dtype(a, b):
    """The dtype PyTorch gives ``a (op) b`` for arrays ``a`` and ``b``."""
    ka, kb = _CATEGORY.get(a.dtype.kind, 1), _CATEGORY.get(b.dtype.kind, 1)
    if (a.ndim == 0) != (b.ndim == 0):  # a dimensioned operand against a 0-d one
        strong, weak, k_strong, k_weak = (a, b, ka, kb) if b.ndim == 0 else (b, a, kb, ka)
        return weak.dtype if k_weak > k_strong else strong.dtype
    if ka != kb:
        return a.dtype if ka > kb else b.dtype
    return backend.xp_of(a).promote_types(a.dtype, b.dtype)


def promote(a, b):
    """``a`` and ``b`` converted to their common dtype (unchanged when they already agree)."""
    if a.dtype is b.dtype or a.dtype == b.dtype:  # the usual case first: the hot path pays one identity test
        return a, b
    common = result_dtype(a, b)
    return (a if a.dtype == common else a.astype(common)), (b if b.dtype == common else b.astype(common))
