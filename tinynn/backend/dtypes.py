"""Which dtype a tensor gets: the default floating dtype, what a Python number becomes next
to a tensor, and PyTorch's type promotion for two operands. Dtypes are host-side facts, the
same on every device, so this module needs only NumPy.

PyTorch's promotion, where it differs from NumPy's:
- categories bool < integer < floating < complex: an operand of a higher category gives
  its dtype (int64 + float32 -> float32; NumPy says float64);
- a 0-d tensor is *weaker* than a dimensioned one: it decides the dtype only when its
  category is higher (float32 vector * 0-d float64 -> float32; int vector * 0-d float64 ->
  float64), as Python scalars are weaker still (see ``scalar_dtype``).

>>> import numpy as np
>>> promote(np.ones(2, "float32"), np.array(2.0))[1].dtype   # the 0-d float64 yields
dtype('float32')
>>> promote(np.ones(2, "int64"), np.ones(2, "float32"))[0].dtype
dtype('float32')
"""
from __future__ import annotations

import numpy as np

_default_dtype = np.dtype(np.float32)


def default_dtype():
    """The dtype new floating tensors get (float32 unless changed).

    >>> default_dtype()
    dtype('float32')
    """
    return _default_dtype


def set_default_dtype(dtype) -> None:
    """Set the dtype of new floating tensors: float32 (training) or float64 (checks)."""
    global _default_dtype
    if dtype is None:
        raise TypeError("set_default_dtype: expected a floating dtype such as tn.float32, got None")
    dtype = as_dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: expected a floating dtype, got {dtype}")
    _default_dtype = dtype


def is_floating(dtype) -> bool:
    """True for float16/32/64 dtypes (the only ones that may require grad)."""
    return np.dtype(dtype).kind == "f"


def as_dtype(dtype):
    """Normalise "float32", np.float32, tn.float32, float ... to a numpy dtype object (None stays None)."""
    if dtype is None:
        return None
    if dtype is float:  # Python's float means float64 to numpy; to PyTorch it means the default
        return _default_dtype
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{dtype!r} is not a dtype: use tn.float32, tn.float64, tn.int64, tn.bool ...") from None


def scalar_dtype(array_dtype, scalar):
    """The dtype a Python scalar takes next to an array of ``array_dtype``.

    Python scalars are "weak" (as in PyTorch and NumPy 2): float32 * 2.0 stays float32,
    and only a higher category promotes: a float scalar next to a bool/int array gives the
    default float dtype, an int scalar next to a bool array gives int64 (True + 2 == 3).

    >>> scalar_dtype(np.dtype(bool), 2), scalar_dtype(np.dtype("int32"), 2.5), scalar_dtype(np.dtype("float16"), 3)
    (dtype('int64'), dtype('float32'), dtype('float16'))
    """
    if isinstance(scalar, bool):
        return array_dtype
    kind = np.dtype(array_dtype).kind
    if isinstance(scalar, (float, np.floating)) and kind in "biu":
        return _default_dtype
    if kind == "b" and isinstance(scalar, (int, np.integer)):
        return np.dtype(np.int64)
    return array_dtype


def infer_dtype(data):
    """Dtype for ``tn.tensor(data)``: keep an array's dtype; Python floats -> default dtype."""
    if isinstance(getattr(data, "dtype", None), np.dtype):  # an array of any device, or a NumPy scalar
        return data.dtype
    probe = np.asarray(data)
    if probe.dtype.kind == "f":
        return _default_dtype
    return probe.dtype


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def result_dtype(a, b):
    """The dtype PyTorch gives ``a (op) b`` for arrays ``a`` and ``b``."""
    ka, kb = _CATEGORY.get(a.dtype.kind, 1), _CATEGORY.get(b.dtype.kind, 1)
    if (a.ndim == 0) != (b.ndim == 0):  # a dimensioned operand against a 0-d one
        strong, weak, k_strong, k_weak = (a, b, ka, kb) if b.ndim == 0 else (b, a, kb, ka)
        return weak.dtype if k_weak > k_strong else strong.dtype
    if ka != kb:
        return a.dtype if ka > kb else b.dtype
    return np.promote_types(a.dtype, b.dtype)


def promote(a, b):
    """``a`` and ``b`` converted to their common dtype (unchanged when they already agree)."""
    if a.dtype is b.dtype or a.dtype == b.dtype:  # the usual case first: the hot path pays one identity test
        return a, b
    common = result_dtype(a, b)
    return (a if a.dtype == common else a.astype(common)), (b if b.dtype == common else b.astype(common))
