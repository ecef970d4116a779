"""tinynn: a neural-network framework you can read in one sitting, on NumPy (and CuPy).

>>> import tinynn as tn
>>> x = tn.tensor([[1.0, 2.0]], requires_grad=True)
>>> y = (x * x).sum()
>>> y.backward()
>>> x.grad.tolist()
[[2.0, 4.0]]
"""
from tinynn import nn, optim
from tinynn import ops as _ops  # noqa: F401  (attaches the Tensor operators)
from tinynn.backend import cuda_available, default_dtype, manual_seed, set_default_dtype
from tinynn.creation import arange, full, ones, ones_like, rand, randn, tensor, zeros, zeros_like
from tinynn.gradcheck import GradcheckError, gradcheck, numerical_grad
from tinynn.io import load, save
from tinynn.ops import cat, concatenate, stack
from tinynn.tensor import Function, Tensor, detect_anomaly, is_grad_enabled, no_grad
from tinynn.train import evaluate, fit, predict  # Keras-style fit on top of nn and optim

__version__ = "0.1.0"

float32 = "float32"
float64 = "float64"
int64 = "int64"

__all__ = [
    "Tensor", "Function", "no_grad", "detect_anomaly", "is_grad_enabled", "tensor", "zeros", "ones", "full",
    "zeros_like", "ones_like", "randn", "rand", "arange", "cat", "concatenate", "stack",
    "manual_seed", "default_dtype", "set_default_dtype", "cuda_available", "gradcheck",
    "numerical_grad", "GradcheckError", "float32", "float64", "int64",
    "fit", "evaluate", "predict",
]

from tinynn import onnx  # noqa: E402  tn.onnx.export (the onnx package itself is imported only when exporting)
