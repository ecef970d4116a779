"""What the figures were measured on: CPU, cores, NumPy and its BLAS, thread settings.

Thread counts are set *before* NumPy loads when possible (environment variables read by
OpenBLAS/MKL/OpenMP at load time); threadpoolctl, when it happens to be installed, can also
change them afterwards and report what the BLAS really uses. It is never required.
"""
from __future__ import annotations

import os
import platform
import re
import subprocess
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
    """[{library, version, threads, architecture}] from threadpoolctl, else from NumPy's build
    config plus what the loaded OpenBLAS says about itself (its kernels and thread count)."""
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
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        entry = {"library": blas.get("name"), "version": blas.get("version"), "threads": None,
                 "architecture": None, "file": None}
    except Exception:  # older NumPy: no dict mode
        entry = {"library": "unknown (numpy.show_config() prints it)", "version": None,
                 "threads": None, "architecture": None, "file": None}
    entry.update(_openblas_runtime())
    return [entry]


def _openblas_runtime():
    """Ask the OpenBLAS NumPy has loaded (found in /proc/self/maps) which kernels it picked
    and how many threads it uses: DYNAMIC_ARCH builds choose at load time, so the build
    config's architecture is not the one running. {} where that is not possible."""
    import ctypes
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line.lower() and ".so" in line}
    except OSError:
        return {}
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        out = {"file": os.path.basename(path)}
        for prefix in ("openblas_", "scipy_openblas_"):
            for suffix in ("", "64_"):
                corename = getattr(lib, f"{prefix}get_corename{suffix}", None)
                threads = getattr(lib, f"{prefix}get_num_threads{suffix}", None)
                if corename is not None and threads is not None:
                    corename.restype = ctypes.c_char_p
                    out.update(architecture=corename().decode(), threads=int(threads()))
                    return out
    return {}


def torch_blas(torch):
    """PyTorch's BLAS as its build config states it, e.g. 'mkl (oneAPI MKL 2024.2; oneDNN v3.12.0)'."""
    try:
        text = torch.__config__.show()
    except Exception:
        return "unknown"
    found = re.search(r"BLAS_INFO=(\w+)", text)
    mkl = re.search(r"Math Kernel Library Version ([\w.]+)", text)
    dnn = re.search(r"MKL-DNN (v[\w.]+)", text)
    extra = "; ".join(x for x in (mkl and f"oneAPI MKL {mkl.group(1)}", dnn and f"oneDNN {dnn.group(1)}") if x)
    return (found.group(1) if found else "unknown") + (f" ({extra})" if extra else "")


def tinynn_commit():
    """The checkout's commit, with '+uncommitted' when tinynn/ has local changes; None outside git."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "tinynn"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return (head + ("+uncommitted" if dirty else "")) or None


def blas_threads():
    """Threads the NumPy BLAS will use (threadpoolctl, else the env, else the core count)."""
    for entry in blas_info():
        name = (entry["library"] or "").lower()
        if ("openblas" in name or name in ("mkl", "blis")) and entry["threads"]:
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
        "load_average": load_average(),
        "tinynn_commit": tinynn_commit(),
    }
    if torch is not None:
        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
        info["torch_blas"] = torch_blas(torch)
    return info


def load_average():
    """The 1-, 5- and 15-minute load averages (None where the OS has none): above the core
    count, other processes were competing for the CPU while the figures were taken."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (OSError, AttributeError):
        return None
