"""tinynn: a neural-network framework you can read in one sitting, on NumPy (and CuPy),
with PyTorch's API and meaning: ``import tinynn as torch`` runs most teaching code.

>>> import tinynn as tn
>>> x = tn.tensor([[1.0, 2.0]], requires_grad=True)
>>> y = (x * x).sum()
>>> y.backward()
>>> x.grad.tolist()
[[2.0, 4.0]]
"""
from tinynn import backend as _backend
from tinynn import ops as _ops
from tinynn import random
from tinynn.backend import cuda_available, default_dtype, device, set_default_dtype
from tinynn.random import Generator, initial_seed, manual_seed, seed
from tinynn.modes import (
    detect_anomaly,
    enable_grad,
    inference_mode,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from tinynn.ops import *  # noqa: F403  every op of the registry that torch.x also has (ops.TOP_LEVEL)
from tinynn.ops.compose import Size
from tinynn.tensor import Function, Tensor

from tinynn import nn, optim  # noqa: E402,I001  (built on the names above)
from tinynn import functional as _functional  # noqa: E402
nn.functional = _functional  # torch.nn.functional's place too: tn.nn.functional.relu, import tinynn.nn.functional
__import__("sys").modules.setdefault("tinynn.nn.functional", _functional)
from tinynn.creation import *  # noqa: F403,E402
from tinynn.gradcheck import GradcheckError, gradcheck, numerical_grad  # noqa: E402
from tinynn.io import load, save  # noqa: E402
from tinynn.train import evaluate, fit, predict  # noqa: E402  Keras-style fit on top of nn and optim
from tinynn import threads  # noqa: E402  BLAS threads; nothing runs at import
from tinynn.threads import get_num_threads, set_num_threads  # noqa: E402  as torch.set_num_threads

__version__ = "0.2.0.dev0"

_np = _backend.numpy
# dtypes are numpy dtype objects: x.dtype == tn.float32, tn.zeros(2, dtype=tn.long), x.to(tn.float64)
float32 = float = _np.dtype("float32")  # noqa: A001 - PyTorch's names shadow builtins inside tinynn only
float64 = double = _np.dtype("float64")
float16 = half = _np.dtype("float16")
int64 = long = _np.dtype("int64")
int32 = int = _np.dtype("int32")  # noqa: A001
int16 = short = _np.dtype("int16")
int8 = _np.dtype("int8")
uint8 = _np.dtype("uint8")
bool = _np.dtype("bool")  # noqa: A001


def is_tensor(obj) -> bool:
    """True for a tinynn Tensor (or Parameter)."""
    return isinstance(obj, Tensor)


def get_default_dtype():
    """The dtype of new floating tensors (PyTorch's name for default_dtype)."""
    return default_dtype()


# ops.TOP_LEVEL is what `from tinynn.ops import *` should bring: drop the nn-only ones
for _name in _ops.NN_ONLY:
    globals().pop(_name, None)
del _name

from tinynn import autograd  # noqa: E402
from tinynn.autograd import Variable  # noqa: E402

from tinynn import accelerator, backends, cuda, utils  # noqa: E402  torch.cuda / backends / accelerator / utils
from tinynn import linalg  # noqa: E402  torch.linalg (norms)
from tinynn import onnx  # noqa: E402  tn.onnx.export (the onnx package itself is imported only when exporting)
