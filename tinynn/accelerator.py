"""``torch.accelerator`` in tinynn (PyTorch 2.6+): which accelerator, if any, is present.

>>> import tinynn as tn
>>> tn.accelerator.current_accelerator() in (None, tn.device("cuda"))
True
"""
from __future__ import annotations

from tinynn import backend
from tinynn import cuda as _cuda


def is_available() -> bool:
    """True when a GPU is usable (CuPy and a CUDA device): tinynn's only accelerator."""
    return _cuda.is_available()


def current_accelerator(check_available=False):
    """``tn.device("cuda")`` when a GPU is usable, else None (as PyTorch on a CPU-only machine)."""
    return backend.device("cuda") if _cuda.is_available() else None


def device_count() -> int:
    """Number of accelerator devices (GPUs) tinynn can use."""
    return _cuda.device_count()


def synchronize(device=None) -> None:
    """Wait for queued accelerator work to finish."""
    _cuda.synchronize(device)
