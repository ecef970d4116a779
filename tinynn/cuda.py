"""``torch.cuda`` in tinynn: is there a GPU (CuPy and a device), how many, and seeding.

The device boilerplate at the top of most PyTorch programs runs unchanged:

>>> import tinynn as tn
>>> device = tn.device("cuda" if tn.cuda.is_available() else "cpu")
>>> tn.zeros(2).to(device).shape
(2,)
"""
from __future__ import annotations

from tinynn import backend, random


def is_available() -> bool:
    """True when CuPy imports and sees a GPU (``device="cuda"`` then works).

    >>> import tinynn as tn; isinstance(tn.cuda.is_available(), bool)
    True
    """
    return backend.cuda_available()


def device_count() -> int:
    """Number of GPUs CuPy sees (0 without CuPy or a GPU).

    >>> import tinynn as tn; tn.cuda.device_count() >= 0
    True
    """
    if not is_available():
        return 0
    return int(backend.xp_for("cuda").cuda.runtime.getDeviceCount())


def current_device() -> int:
    """Index of the current GPU (tinynn uses GPU 0)."""
    return 0


def manual_seed(seed) -> None:
    """Seed the random numbers (tinynn has one generator for every device: ``tn.manual_seed``).

    >>> import tinynn as tn; tn.cuda.manual_seed(0)
    """
    random.manual_seed(seed)


manual_seed_all = manual_seed


def synchronize(device=None) -> None:
    """Wait for the GPU to finish queued work (a no-op without one)."""
    if is_available():
        backend.xp_for("cuda").cuda.Device().synchronize()


def empty_cache() -> None:
    """Release cached GPU memory blocks (a no-op without a GPU)."""
    if is_available():
        backend.xp_for("cuda").get_default_memory_pool().free_all_blocks()
