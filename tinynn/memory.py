"""Keep freed memory for the next training step: ``keep_freed_memory()``.

Why it matters: a training step allocates the same large temporaries every time (activations,
gradients, attention scores). glibc's malloc hands the top of its heap back to the system
whenever enough of it is free, and serves big blocks with fresh ``mmap``s, so each step
page-faults its temporaries in again: about 5,800 page faults per step of the GPT of
``python -m tinynn gpt``, 15-25 % of its time on this project's machines (benchmarks/NOTES.md).
Raising glibc's trim and mmap thresholds keeps that memory in the process for reuse, as
PyTorch's caching allocator does for its tensors: the GPT step went from 78-90 to 66-68 ms
of CPU time; the resident size grows by the step's working set (83 -> 103 MB) and stays flat.

It changes the allocator of the whole process, so tinynn never does it on import: the
entry points (``python -m tinynn``, ``python -m benchmarks``) call it, and your own script
may. Only Linux with glibc has these knobs; elsewhere it does nothing and returns False.

>>> keep_freed_memory() in (True, False)
True
"""
from __future__ import annotations

import ctypes
import sys

__all__ = ["keep_freed_memory"]

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameter numbers (malloc.h)


def keep_freed_memory(threshold: int = 1 << 30) -> bool:
    """Let glibc keep up to ``threshold`` bytes of freed heap and serve blocks below it from
    the heap (not fresh mmaps); True if glibc took both settings."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl, or no libc.so.6: nothing to set
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_TRIM_THRESHOLD, int(threshold))) and bool(mallopt(_M_MMAP_THRESHOLD, int(threshold)))
