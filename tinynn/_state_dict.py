"""Loading state all-or-nothing, for modules and optimizers alike (one check, one
conversion): every key, shape and dtype is checked and every value converted to its
target's device and dtype *before* the first copy, so a failure leaves the model exactly
as it was (PyTorch can leave it half-loaded).

>>> import numpy as np, tinynn as tn
>>> w = tn.zeros(2)
>>> pairs, missing, unexpected = checked_values("Linear", {"w": w}, {"w": np.ones(2), "x": 1}, strict=False)
>>> [(key, array.tolist()) for key, _, array in pairs], missing, unexpected
([('w', [1.0, 1.0])], [], ['x'])
"""
from __future__ import annotations

from tinynn import backend
from tinynn.tensor import Tensor


class StateDictError(RuntimeError, ValueError):
    """A state dict that does not fit. PyTorch raises RuntimeError here; it is also a
    ValueError, which is what tinynn raised before, so code catching either works."""


def problem(key, value, t):
    """What is wrong with ``value`` as the new contents of tensor ``t`` (None if nothing).
    Used by ``Module.load_state_dict`` and ``Optimizer.load_state_dict``."""
    value = value._data if isinstance(value, Tensor) else value
    shape = getattr(value, "shape", None)
    if shape is None:
        return f"  {key}: expected an array of shape {tuple(t.shape)}, got {type(value).__name__}"
    if tuple(shape) != tuple(t.shape):
        return f"  {key}: shape {tuple(shape)} in the state dict, {tuple(t.shape)} in the model"
    kind = getattr(getattr(value, "dtype", None), "kind", None)
    if kind is not None and kind not in "biuf":  # strings, objects, complex: no real-number copy
        return f"  {key}: dtype {value.dtype} in the state dict cannot become {t.dtype} (real numbers expected)"
    return None


def converted(value, t, copy=False):
    """``value`` (checked by ``problem``) as an array on ``t``'s device with ``t``'s dtype."""
    value = value._data if isinstance(value, Tensor) else value
    array = value if backend.is_array(value) else backend.numpy.asarray(value)
    return backend.to_device(array, backend.device_of(t._data)).astype(t.dtype, copy=copy)


def checked_values(owner, own, state_dict, strict=True):
    """([(key, tensor, converted array)], missing, unexpected), or StateDictError naming
    every problem at once. ``own`` maps key -> Tensor; nothing is written here."""
    if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
        raise TypeError(f"load_state_dict: expected a dict name -> array, got {type(state_dict).__name__}")
    missing = [k for k in own if k not in state_dict]
    unexpected = [k for k in state_dict if k not in own]
    problems, pairs = [], []
    for key, t in own.items():
        if key in state_dict:
            value = state_dict[key]
            wrong = problem(key, value, t)
            if wrong is None:  # convert now: a failed cast or move must come before any copy
                try:
                    pairs.append((key, t, converted(value, t)))
                except Exception as error:  # noqa: BLE001 - reported with its key, nothing copied
                    wrong = f"  {key}: could not convert ({type(error).__name__}: {error})"
            if wrong is not None:
                problems.append(wrong)
    if strict and (missing or unexpected) or problems:
        report = [f"Error(s) in loading state_dict for {owner}; nothing was loaded."]
        if strict and missing:
            report.append(f"  missing keys (in the model, not in the state dict): {missing}")
        if strict and unexpected:
            report.append(f"  unexpected keys (in the state dict, not in the model): {unexpected}")
        if problems:
            report.append("  mismatched shapes or dtypes:")
            report.extend("  " + p for p in problems)
        report.append(f"  the model expects: {list(own)}")
        if not problems:
            report.append("  (pass strict=False to load only the keys that match)")
        raise StateDictError("\n".join(report))
    return pairs, missing, unexpected
