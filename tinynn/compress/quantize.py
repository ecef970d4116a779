"""Post-training int8 quantisation of weights, symmetric, per tensor or per output channel.

A float weight w is stored as an int8 q and one float scale s (per tensor, or per output
channel: one s per row of a Linear weight / per filter of a Conv2d weight)::

    s = max |w| / 127          q = clip(round(w / s), -127, 127)          ŵ = q · s

so |w − ŵ| ≤ s / 2 everywhere. The range is the symmetric "narrow" one, [-127, 127] (zero
point 0, -128 unused), as ONNX's and TensorRT's symmetric int8 weights. Per-channel scales
follow each row's own range, so a row of small weights is not crushed by another row's
large ones. Inference here is *dequantised*: the int8 weights are expanded back to float
(ŵ) and the usual float kernels run; what is saved and shipped is 1 byte per weight.

>>> import tinynn as tn
>>> w = tn.tensor([[0.5, -1.0], [0.01, 0.04]])
>>> qt = quantize_per_tensor(w)                          # s = 1/127
>>> qt.int_repr().tolist(), round(float(qt.scale), 6)
([[64, -127], [1, 5]], 0.007874)
>>> quantize_per_channel(w).int_repr().tolist()          # row 2's own s = 0.04/127 keeps its detail
[[64, -127], [32, 127]]
"""
from __future__ import annotations

import copy

from tinynn import backend
from tinynn.nn.module import Module
from tinynn.tensor import Tensor

QMAX = 127


def _raw(where, w):
    a = w._data if isinstance(w, Tensor) else w
    if not hasattr(a, "dtype") or a.dtype.kind != "f":
        raise TypeError(f"{where}: expected a floating-point Tensor or array, got "
                        f"{getattr(a, 'dtype', type(a).__name__)}")
    return a


class QuantizedTensor:
    """int8 values, float32 scale(s) and the axis the scales run along (None: one scale).

    >>> qt = quantize_per_tensor(tn.tensor([1.0, -0.5]))
    >>> qt.dequantize().tolist(), qt.nbytes
    ([1.0, -0.5039370059967041], 6)
    """

    def __init__(self, q, scale, axis, dtype):
        self.q, self.scale, self.axis, self.dtype = q, scale, axis, dtype

    @property
    def shape(self):
        return tuple(self.q.shape)

    def int_repr(self):
        """The int8 values as a Tensor (PyTorch's name)."""
        return Tensor(self.q)

    def dequantize(self):
        """ŵ = q · s as a float Tensor of the original dtype."""
        return Tensor(self._dequantized())

    def _dequantized(self):
        s = self.scale if self.axis is None else self.scale.reshape(
            [-1 if i == self.axis else 1 for i in range(self.q.ndim)])
        return (self.q.astype(self.dtype) * s.astype(self.dtype)).astype(self.dtype)

    @property
    def nbytes(self):
        """Bytes to store it: 1 per value plus 4 per scale."""
        return int(self.q.nbytes + self.scale.nbytes)

    def __repr__(self):
        kind = "per tensor" if self.axis is None else f"per channel (axis {self.axis})"
        return f"QuantizedTensor(shape={self.shape}, int8, {kind})"


def _quantize(a, amax, axis):
    xp = backend.xp_of(a)
    scale = (amax / QMAX).astype("float32")
    scale = xp.where(scale == 0, xp.ones_like(scale), scale)  # an all-zero tensor/channel: any scale works
    s = scale if axis is None else scale.reshape([-1 if i == axis else 1 for i in range(a.ndim)])
    q = xp.clip(xp.rint(a / s), -QMAX, QMAX).astype("int8")
    return QuantizedTensor(q, scale, axis, a.dtype)


def quantize_per_tensor(w):
    """Symmetric int8 with one scale for the whole tensor: s = max|w| / 127.

    >>> quantize_per_tensor(tn.tensor([0.0, 0.0])).dequantize().tolist()
    [0.0, 0.0]
    """
    a = _raw("quantize_per_tensor", w)
    xp = backend.xp_of(a)
    return _quantize(a, xp.asarray(abs(a).max() if a.size else 0.0), None)


def quantize_per_channel(w, axis=0):
    """Symmetric int8 with one scale per slice along ``axis`` (0: output channels / rows).

    >>> quantize_per_channel(tn.tensor([[1.0, 2.0], [3.0, 6.0]])).scale.tolist()
    [0.015748031437397003, 0.0472440943121910]
    """
    a = _raw("quantize_per_channel", w)
    if a.ndim == 0 or not -a.ndim <= axis < a.ndim:
        raise ValueError(f"quantize_per_channel: axis={axis} is out of range for shape {tuple(a.shape)}")
    axis = axis % a.ndim
    other = tuple(i for i in range(a.ndim) if i != axis)
    return _quantize(a, abs(a).max(axis=other) if other else abs(a), axis)


def dequantize(qt):
    """``qt.dequantize()``: the float Tensor the int8 values stand for.

    >>> dequantize(quantize_per_tensor(tn.tensor([127.0]))).tolist()
    [127.0]
    """
    if not isinstance(qt, QuantizedTensor):
        raise TypeError(f"dequantize: expected a QuantizedTensor, got {type(qt).__name__}")
    return qt.dequantize()


class QuantizedModel(Module):
    """A model whose weights are stored as int8 (``quantize_model`` builds it).

    ``quantized`` maps state-dict names to QuantizedTensors; everything else (biases, norms)
    stays float. ``forward`` runs a copy of the original model holding the dequantised
    weights (dequantised inference); ``nbytes()`` counts int8 values, scales and the float
    remainder; ``state_dict_int8()`` is what one would ship (``tn.save`` it).
    """

    def __init__(self, model, quantized):
        super().__init__()
        self.inner = model
        self.__dict__["quantized"] = quantized  # not a parameter: plain bookkeeping

    def forward(self, *args, **kwargs):
        return self.inner(*args, **kwargs)

    def nbytes(self):
        """Bytes of the int8 weights + scales + every other (float) state entry."""
        state = self.inner.state_dict()
        return sum(self.quantized[k].nbytes if k in self.quantized else int(v.nbytes) for k, v in state.items())

    def state_dict_int8(self):
        """``{name: int8 array, name + ".scale": float32 scales, other: float array}``."""
        out = {}
        for k, v in self.inner.state_dict().items():
            if k in self.quantized:
                out[k], out[k + ".scale"] = self.quantized[k].q, self.quantized[k].scale
            else:
                out[k] = backend.to_host(v)
        return out


def quantize_model(model, per_channel=True, min_ndim=2):
    """Post-training int8 quantisation of every weight with ``ndim >= min_ndim`` (Linear,
    Conv2d, LSTM matrices, embeddings); biases stay float. The original is left untouched.

    >>> from tinynn import nn
    >>> model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    >>> qmodel = quantize_model(model)
    >>> int8 = (64 * 32 + 32 * 10) + 4 * (32 + 10)          # 1 byte a weight + one float32 scale a row
    >>> biases = 4 * (32 + 10)
    >>> sorted(qmodel.quantized), qmodel.nbytes() == int8 + biases, 4 * (64 * 32 + 32 + 32 * 10 + 10)
    (['0.weight', '2.weight'], True, 9640)
    """
    if not isinstance(model, Module):
        raise TypeError(f"quantize_model: expected an nn.Module, got {type(model).__name__}")
    inner = copy.deepcopy(model)
    quantized = {}
    for name, p in inner.named_parameters():
        if p._data.ndim >= min_ndim and p._data.dtype.kind == "f":
            qt = quantize_per_channel(p, axis=0) if per_channel else quantize_per_tensor(p)
            quantized[name] = qt
            p._data[...] = qt._dequantized()
    return QuantizedModel(inner, quantized)
