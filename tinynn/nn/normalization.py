"""``nn.LayerNorm``: normalise each sample over its last dims, then scale and shift (PyTorch's layer).

>>> import tinynn as tn
>>> from tinynn import nn
>>> ln = nn.LayerNorm(4)
>>> y = ln(tn.randn(2, 3, 4))
>>> [round(v, 4) for v in y.mean(dim=-1).flatten().tolist()][:2], ln.weight.shape
([0.0, 0.0], (4,))
"""
from __future__ import annotations

from tinynn import backend
from tinynn.nn import _checks
from tinynn.nn.module import Module, Parameter
from tinynn.ops.fused.normalization import layer_norm
from tinynn.tensor import Tensor


class LayerNorm(Module):
    """y = (x - mean)/√(var + eps) ⊙ weight + bias over the last ``len(normalized_shape)`` dims.

    Unlike BatchNorm, the statistics come from each sample alone, so training and evaluation
    behave the same and the batch size does not matter: the Transformer's normalisation.
    ``weight`` starts at 1 and ``bias`` at 0 (PyTorch's names and initialisation);
    ``elementwise_affine=False`` drops both, ``bias=False`` only the shift.

    >>> import tinynn as tn
    >>> LayerNorm(3, elementwise_affine=False)(tn.tensor([[1.0, 2.0, 3.0]])).tolist()[0][0] < -1.2
    True
    """

    _input_ranks = 0  # any Tensor; anything else is refused naming the layer

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        shape = tuple(normalized_shape) if isinstance(normalized_shape, (tuple, list)) else (normalized_shape,)
        if not shape:
            raise ValueError("LayerNorm: normalized_shape must name at least one dim, got ()")
        self.normalized_shape = tuple(_checks.positive_int("LayerNorm", "normalized_shape", n) for n in shape)
        self.eps = _checks.real("LayerNorm", "eps", eps)
        self.elementwise_affine = bool(elementwise_affine)
        dtype = backend.as_dtype(dtype) or backend.default_dtype()
        if self.elementwise_affine:
            self.weight = Parameter(_checks.new_array("LayerNorm", self.normalized_shape, dtype, "ones"))
            if bias:
                self.bias = Parameter(_checks.new_array("LayerNorm", self.normalized_shape, dtype, "zeros"))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if device is not None and backend.check_device(device) != "cpu":
            self.to(device)

    def reset_parameters(self):
        """weight = 1, bias = 0."""
        if self.weight is not None:
            self.weight._data[...] = 1
        if self.bias is not None:
            self.bias._data[...] = 0

    def forward(self, x):
        """``x`` of shape (..., *normalized_shape), normalised over the trailing dims."""
        if isinstance(x, Tensor):  # (anything else: layer_norm names the problem)
            _checks.float_input("LayerNorm", x, self.weight, self.bias)
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        """Shape, eps and affine flag for the repr, as PyTorch prints them."""
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
