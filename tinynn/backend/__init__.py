"""The one place that imports numpy and cupy.

Everything else asks this module for the *array module* (``xp``) of the arrays it holds,
so the same op code runs on NumPy (device ``"cpu"``), CuPy (``"cuda"``) and the strict
test device (``"strict"``, see :mod:`tinynn.backend.strict`) that refuses host/device mixing the
way CuPy does.

>>> import numpy as np
>>> xp_of(np.zeros(3)) is np
True
"""
from __future__ import annotations

import numpy as np

from tinynn.backend import strict as _strict
from tinynn.backend.dtypes import (  # noqa: F401 - the dtype rules live in dtypes.py; the ops find them here too
    as_dtype,
    default_dtype,
    infer_dtype,
    is_floating,
    scalar_dtype,
    set_default_dtype,
)

numpy = np  # re-exported for the few places (data loading, io) that work on the host only

DEVICES = ("cpu", "cuda", "strict")
_cupy = None  # the cupy module once it has been imported successfully


# --------------------------------------------------------------------------- devices
def _import_cupy():
    """Import CuPy lazily, with an error that names the fix when it is missing."""
    global _cupy
    if _cupy is None:
        try:
            import cupy
        except ImportError as e:
            raise RuntimeError(
                "device='cuda' needs CuPy, which is not installed. "
                "Install the GPU extra: pip install 'tinynn-edu[gpu]' (or the cupy-cudaXXx wheel "
                "that matches your CUDA), or use device='cpu'."
            ) from e
        try:
            if cupy.cuda.runtime.getDeviceCount() < 1:
                raise RuntimeError("no CUDA device found")
        except Exception as e:  # cupy raises its own CUDARuntimeError without a driver
            raise RuntimeError(
                f"device='cuda': CuPy is installed but no usable GPU was found ({e}). "
                "Use device='cpu'."
            ) from e
        _cupy = cupy
    return _cupy


def cuda_available() -> bool:
    """True when CuPy imports and sees at least one GPU.

    >>> isinstance(cuda_available(), bool)
    True
    """
    try:
        _import_cupy()
        return True
    except RuntimeError:
        return False


def check_device(device: str) -> str:
    """Validate a device name and return its canonical form ("cuda:0" -> "cuda")."""
    name = str(device).split(":")[0]
    if name not in DEVICES:
        raise ValueError(f"unknown device {device!r}: expected one of {DEVICES}")
    if name == "cuda":
        _import_cupy()
    return name


def xp_of(a):
    """The array module (numpy, cupy or the strict module) that ``a`` belongs to.

    >>> xp_of(np.ones(2)).__name__
    'numpy'
    """
    if type(a) is np.ndarray or isinstance(a, (np.ndarray, np.generic)):
        return np
    if isinstance(a, _strict.StrictArray):
        return _strict.xp
    if _cupy is not None and isinstance(a, _cupy.ndarray):
        return _cupy
    return np


def xp_for(device: str):
    """The array module that holds arrays of ``device``."""
    if device == "cpu":
        return np
    if device == "strict":
        return _strict.xp
    return _import_cupy()


def device_of(a) -> str:
    """Device name of a raw array: "cpu", "cuda" or "strict"."""
    if isinstance(a, _strict.StrictArray):
        return "strict"
    if _cupy is not None and isinstance(a, _cupy.ndarray):
        return "cuda"
    return "cpu"


def is_array(a) -> bool:
    """True for a raw array of any device (not for Python scalars or lists)."""
    return isinstance(a, (np.ndarray, _strict.StrictArray)) or (
        _cupy is not None and isinstance(a, _cupy.ndarray)
    )


def to_host(a):
    """A NumPy copy (or view, when already on the host) of any device array (or Tensor)."""
    a = getattr(a, "_data", a)
    if isinstance(a, _strict.StrictArray):
        return a.get()
    if _cupy is not None and isinstance(a, _cupy.ndarray):
        return _cupy.asnumpy(a)
    return np.asarray(a)


def to_device(a, device: str):
    """Copy a raw array (or anything array-like) to ``device``; a no-op when it is there."""
    device = check_device(device)
    if device_of(a) == device and is_array(a):
        return a
    host = to_host(a)
    if device == "cpu":
        return host
    return xp_for(device).asarray(host)


def saturating():
    """Context in which float overflow saturates at ±inf silently (NumPy would warn).

    For the few places where a result beyond the float range is the intended answer, e.g.
    -1e38 - 3e38 in float32 inside softmax, whose exponential is 0 either way.
    """
    return np.errstate(over="ignore")


def underflow_ignored():
    """Context in which results that would be subnormal are computed silently, as PyTorch
    does, even when the caller set ``np.errstate(under="raise")`` (see checks.without_underflow)."""
    return np.errstate(under="ignore")


def ensure_array(a):
    """NumPy reductions return numpy scalars; tensors always hold arrays (0-d for scalars)."""
    if isinstance(a, np.generic):
        return np.asarray(a)
    return a


def broadcast_shapes(*shapes):
    """The shape the given shapes broadcast to (shape arithmetic: the same on every device)."""
    return np.broadcast_shapes(*shapes)


def is_scalar(x) -> bool:
    """Python or numpy scalar (not an array)."""
    return isinstance(x, (int, float, bool, np.generic))


# --------------------------------------------------------------------------- PyTorch's names
class device(str):
    """A device name that compares with strings: ``tn.device("cpu") == "cpu"`` (PyTorch's ``torch.device``).

    >>> device("cuda:0").type, device("cuda:0").index, device("cpu")
    ('cuda', 0, device(type='cpu'))
    """

    def __new__(cls, type, index=None):  # noqa: A002 - PyTorch's argument name
        name = str(type)
        kind, _, number = name.partition(":")
        if kind not in DEVICES:
            raise RuntimeError(f"unknown device {name!r}: expected one of {', '.join(DEVICES)} (e.g. 'cpu' or 'cuda:0')")
        if index is not None:
            number = str(int(index))
        self = super().__new__(cls, f"{kind}:{number}" if number else kind)
        self.type, self.index = kind, (int(number) if number else None)
        return self

    def __repr__(self):
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"


def as_array(data, dtype=None, device=None):
    """``data`` (an array, a number or nested lists) as an array of ``dtype`` on ``device``.

    Refuses what is not numbers (``None``, strings, objects), as ``torch.tensor`` does.
    """
    dtype = as_dtype(dtype) or infer_dtype(data)
    if device is None:
        device = device_of(data) if is_array(data) else "cpu"
    if not is_array(data):
        try:
            with np.errstate(over="ignore"):  # a float just past float32's range rounds (to inf), as torch's cast
                data = np.asarray(data, dtype=dtype)
        except (TypeError, ValueError) as e:
            raise TypeError(f"tensor(): could not make a tensor of {dtype} from {type(data).__name__} ({e})") from None
    if data.dtype.kind not in "biufc":
        raise TypeError(
            f"tensor(): cannot make a tensor from {type(data).__name__} holding {data.dtype} values: "
            "tensors hold numbers (bool, int, float); convert strings or objects first"
        )
    data = to_device(data, str(device))
    return data if data.dtype == dtype else data.astype(dtype)


def to_host_strict(a):
    """A host view for ``np.asarray(tensor)``: allowed on the CPU only, as in PyTorch and CuPy."""
    if device_of(a) != "cpu":
        raise TypeError(
            f"can't convert a {device_of(a)} tensor to a NumPy array implicitly: call .cpu() or .numpy() first"
        )
    return np.asarray(a)
