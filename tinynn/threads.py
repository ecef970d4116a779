"""How many threads NumPy's BLAS (the library behind every matrix product) uses:
``tn.set_num_threads(n)`` and ``tn.get_num_threads()``, named after PyTorch's.

Why it matters: a small model (an MLP on 8×8 digits, a 4-layer character GPT) multiplies
small matrices. Split over threads, each product spends more on hand-offs than it saves,
and when the machine is busy a BLAS thread waiting for a core stalls every product. On a
busy 2-core machine ``python -m tinynn`` trained in 4.7 s (2.6-7.1) with NumPy's default
(one BLAS thread per core) and in 0.4 s with one; idle, 0.3-0.4 s either way (docs/guide.md,
"Threads", has the figures).

``OPENBLAS_NUM_THREADS=1`` (or ``OMP_NUM_THREADS``/``MKL_NUM_THREADS``) does the same, but
only if it is set before NumPy is imported; these functions change the running library.
They control the OpenBLAS that NumPy's pip wheels bundle (on every platform) and any
OpenBLAS loaded on Linux; with ``threadpoolctl`` installed, every BLAS it knows (MKL, BLIS).
Nothing here runs when tinynn is imported: the BLAS keeps NumPy's default until you call them.

>>> import tinynn as tn
>>> before = tn.get_num_threads()
>>> tn.set_num_threads(1)
>>> tn.get_num_threads()
1
>>> tn.set_num_threads(before)
"""
from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import sys

__all__ = ["get_num_threads", "set_num_threads", "blas_threads", "THREAD_VARIABLES"]

# what the BLAS libraries read once, when NumPy loads them
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

# OpenBLAS's entry points, as builds name them: openblas_…, scipy_openblas_… (NumPy >= 2's
# wheels), with a 64_ / _64 suffix for 64-bit-integer builds
_AFFIXES = [(p, s) for p in ("scipy_", "") for s in ("64_", "", "_64")]


class _OpenBLAS:
    """One loaded OpenBLAS, driven through its C functions."""

    def __init__(self, lib, prefix, suffix):
        self._get = getattr(lib, f"{prefix}openblas_get_num_threads{suffix}")
        self._set = getattr(lib, f"{prefix}openblas_set_num_threads{suffix}")
        self._get.restype, self._get.argtypes = ctypes.c_int, []
        self._set.restype, self._set.argtypes = None, [ctypes.c_int]

    def get(self):
        return int(self._get())

    def set(self, n):
        self._set(n)


class _Threadpoolctl:
    """Every BLAS that threadpoolctl finds (used only when no OpenBLAS was found directly)."""

    def __init__(self, threadpoolctl):
        self._tpc = threadpoolctl

    def get(self):
        counts = [i["num_threads"] for i in self._tpc.threadpool_info() if i.get("user_api") == "blas"]
        return max(counts)

    def set(self, n):
        self._tpc.threadpool_limits(limits=n, user_api="blas")


def _candidate_paths():
    """Files that may be the OpenBLAS NumPy loaded: the wheel's bundled copy, and on Linux
    whatever the process has mapped (conda, system packages)."""
    numpy = sys.modules.get("numpy")
    paths = []
    if numpy is not None and getattr(numpy, "__file__", None):
        here = os.path.dirname(numpy.__file__)
        for folder in (here + ".libs", os.path.join(here, ".dylibs"), os.path.join(here, "_core")):
            paths += glob.glob(os.path.join(folder, "*openblas*"))
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            paths += [line.split(None, 5)[-1].strip() for line in maps
                      if "openblas" in os.path.basename(line.strip()).lower()]
    except OSError:  # not Linux
        pass
    seen, unique = set(), []
    for p in paths:
        real = os.path.realpath(p)
        if real not in seen and os.path.isfile(real):
            seen.add(real)
            unique.append(real)
    return unique


def _open_loaded(path):
    """The library at ``path`` if the process has already loaded it (never loads a second BLAS)."""
    mode = getattr(os, "RTLD_NOLOAD", None)
    try:
        return ctypes.CDLL(path, mode=mode) if mode is not None else ctypes.CDLL(path)
    except OSError:
        return None


_found = None


def _controllers():
    """The BLAS libraries we can drive (found once, on first use)."""
    global _found
    if _found is None:
        from tinynn import backend  # noqa: F401  NumPy (and its BLAS) must be loaded first

        found = []
        for path in _candidate_paths():
            lib = _open_loaded(path)
            for prefix, suffix in _AFFIXES if lib is not None else ():
                if hasattr(lib, f"{prefix}openblas_set_num_threads{suffix}"):
                    found.append(_OpenBLAS(lib, prefix, suffix))
                    break
        if not found:
            try:
                import threadpoolctl
            except ImportError:
                threadpoolctl = None
            if threadpoolctl is not None and any(i.get("user_api") == "blas"
                                                 for i in threadpoolctl.threadpool_info()):
                found.append(_Threadpoolctl(threadpoolctl))
        _found = found
    return _found


def _unavailable(what):
    return RuntimeError(
        f"{what}: found no BLAS library to control (NumPy's bundled OpenBLAS, or any BLAS through "
        "threadpoolctl). Install threadpoolctl (pip install threadpoolctl), or set "
        "OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS before starting Python")


def get_num_threads() -> int:
    """The number of threads NumPy's BLAS uses for a matrix product now (torch.get_num_threads).

    >>> import tinynn as tn
    >>> tn.get_num_threads() >= 1
    True
    """
    controllers = _controllers()
    if not controllers:
        raise _unavailable("get_num_threads")
    return max(c.get() for c in controllers)


def set_num_threads(n: int) -> None:
    """Use ``n`` threads in NumPy's BLAS from now on (torch.set_num_threads); 1 is usually
    fastest for small models, and always on a busy machine.

    Raises RuntimeError, with PyTorch's message, for a non-int or ``n < 1``, and when no BLAS
    can be controlled (the message then says what to install or set instead).

    >>> import tinynn as tn
    >>> with tn.threads.blas_threads(1):        # the same, undone at the end of the block
    ...     tn.get_num_threads()
    1
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {n}")
    controllers = _controllers()
    if not controllers:
        raise _unavailable("set_num_threads")
    for c in controllers:
        c.set(n)


@contextlib.contextmanager
def blas_threads(n):
    """``with blas_threads(n):`` runs the block with ``n`` BLAS threads, then restores the
    previous number (``n=None`` changes nothing). Raises as ``set_num_threads``.

    >>> from tinynn.threads import blas_threads, get_num_threads
    >>> before = get_num_threads()
    >>> with blas_threads(1):
    ...     inside = get_num_threads()
    >>> inside, get_num_threads() == before
    (1, True)
    """
    if n is None:
        yield
        return
    before = get_num_threads()
    set_num_threads(n)
    try:
        yield
    finally:
        set_num_threads(before)


def user_set_threads(environ=None):
    """The thread variable the user set (e.g. ``"OPENBLAS_NUM_THREADS=2"``), or None.

    >>> user_set_threads({"OMP_NUM_THREADS": "4"})
    'OMP_NUM_THREADS=4'
    >>> user_set_threads({}) is None
    True
    """
    environ = os.environ if environ is None else environ
    for name in THREAD_VARIABLES:
        if environ.get(name):
            return f"{name}={environ[name]}"
    return None


def small_model_threads():
    """One BLAS thread for a small model, unless the user chose a count (an environment
    variable): what ``python -m tinynn`` and the tutorials do. Returns the count now in use,
    or None where the BLAS cannot be controlled (it keeps its own setting).

    >>> small_model_threads() in (1, None) or user_set_threads() is not None
    True
    """
    if user_set_threads():
        return None
    try:
        set_num_threads(1)
    except RuntimeError:  # a BLAS tinynn cannot control: keep its default
        return None
    return 1
