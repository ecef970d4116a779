"""What the figures were measured on: CPU, cores, NumPy and its BLAS, thread settings.

Thread counts are set *before* NumPy loads when possible (environment variables read by
OpenBLAS/MKL/OpenMP at load time); threadpoolctl, when it happens to be installed, can also
change them afterwards and report what the BLAS really uses. It is never required.
"""
from __future__ import annotations

import os
import platform
import sys

THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def request_threads(n):
    """Ask every BLAS for ``n`` threads. Works fully only before NumPy is imported."""
    for var in THREAD_VARS:
        os.environ[var] = str(n)
    if "numpy" in sys.modules:
        try:
            import threadpoolctl
            threadpoolctl.threadpool_limits(n)
        except ImportError:
            pass


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_info():
    """[{library, version, threads, architecture}] from threadpoolctl, else from numpy's config."""
    try:
        import threadpoolctl
        return [{"library": p.get("internal_api"), "version": p.get("version"),
                 "threads": p.get("num_threads"), "architecture": p.get("architecture"),
                 "file": os.path.basename(p.get("filepath", ""))}
                for p in threadpoolctl.threadpool_info()]
    except ImportError:
        pass
    import numpy as np
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg["Build Dependencies"]["blas"]
        return [{"library": blas.get("name"), "version": blas.get("version"), "threads": None,
                 "architecture": blas.get("openblas configuration"), "file": None}]
    except Exception:  # older numpy: no dict mode
        return [{"library": "unknown (numpy.show_config() prints it)", "version": None,
                 "threads": None, "architecture": None, "file": None}]


def blas_threads():
    """Threads the NumPy BLAS will use (threadpoolctl, else the env, else the core count)."""
    for entry in blas_info():
        if entry["library"] in ("openblas", "mkl", "blis") and entry["threads"]:
            return int(entry["threads"])
    for var in THREAD_VARS:
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return os.cpu_count() or 1


def describe(torch=None):
    """A dict of everything a reader needs to compare figures across machines."""
    import numpy as np
    info = {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "numpy": np.__version__,
        "blas": blas_info(),
        "blas_threads": blas_threads(),
        "thread_env": {v: os.environ.get(v) for v in THREAD_VARS + ("OPENBLAS_CORETYPE",)},
        "load_average": _load_average(),
    }
    if torch is not None:
        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    return info


def _load_average():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (OSError, AttributeError):
        return None
