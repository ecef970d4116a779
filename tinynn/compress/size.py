"""Sizes in bytes: what a model costs to store or ship.

* ``nbytes(obj)``: dense size of a model's state dict, a state dict, a Tensor or an array;
  a ``QuantizedModel`` counts 1 byte per int8 weight plus its scales.
* ``sparse_nbytes(model)``: a pruned model stored as a bitmask (1 bit per entry of each
  weight matrix) plus its non-zero values; other entries (biases) dense. It pays off once
  more than 1/32 of a float32 matrix is zero.

>>> import tinynn as tn
>>> from tinynn import nn
>>> nbytes(nn.Linear(10, 5)), nbytes(tn.zeros(3, 4))
(220, 48)
"""
from __future__ import annotations

from tinynn import backend
from tinynn.tensor import Tensor


def nbytes(obj):
    """Dense bytes of a Module (its state dict), a dict of arrays, a Tensor or an array."""
    if hasattr(obj, "quantized") and hasattr(obj, "nbytes") and callable(obj.nbytes):
        return obj.nbytes()
    if hasattr(obj, "state_dict"):
        obj = obj.state_dict()
    if isinstance(obj, dict):
        return sum(nbytes(v) for v in obj.values())
    if isinstance(obj, Tensor):
        return int(obj._data.nbytes)
    if hasattr(obj, "nbytes"):
        return int(obj.nbytes)
    raise TypeError(f"nbytes: expected a Module, a state dict, a Tensor or an array, got {type(obj).__name__}")


def sparse_nbytes(model):
    """Bytes of ``model`` with each >=2-D weight stored as bitmask + non-zero values.

    >>> from tinynn import nn
    >>> from tinynn.compress import prune
    >>> layer = prune.l1_unstructured(nn.Linear(100, 10, bias=False), "weight", amount=0.9)
    >>> sparse_nbytes(layer), nbytes(layer)      # 1000/8 mask bytes + 100 values * 4
    (525, 4000)
    """
    if not hasattr(model, "state_dict"):
        raise TypeError(f"sparse_nbytes: expected an nn.Module, got {type(model).__name__}")
    total = 0
    for a in model.state_dict().values():
        a = backend.to_host(a)
        if a.ndim >= 2:
            nnz = int((a != 0).sum())
            total += min(-(-a.size // 8) + nnz * a.itemsize, a.nbytes)
        else:
            total += int(a.nbytes)
    return total
