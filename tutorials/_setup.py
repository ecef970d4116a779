"""What every tutorial shares: the fast switch, where outputs go, and how figures are saved.

* ``TINYNN_FAST=1`` (the test suite sets it) asks for smaller problems.
* Figures and checkpoints go to ``tutorials/out/`` (git-ignored, so running a tutorial
  leaves the checkout clean), or into ``$TINYNN_OUT`` when it is set. The pictures shown
  in the tutorials' README live in ``tutorials/figures/``; refresh them with
  ``TINYNN_OUT=tutorials/figures python tutorials/NN_name.py``.
* Figures are saved at ``DPI`` dots per inch: legible at notebook size.
* NumPy's BLAS runs on one thread (``THREADS``), unless you set OPENBLAS_NUM_THREADS,
  OMP_NUM_THREADS or MKL_NUM_THREADS: the tutorials' matrices are small, and with one BLAS
  thread per core tutorial 7 (fast setting) took 10 s instead of 3.6 s on a busy 2-core
  machine. ``tn.set_num_threads(n)`` changes it at any time.
"""
import os
import pathlib

import matplotlib.pyplot as plt

from tinynn.threads import set_num_threads, user_set_threads

FAST = os.environ.get("TINYNN_FAST") == "1"
HERE = pathlib.Path(__file__).resolve().parent
OUT = pathlib.Path(os.environ.get("TINYNN_OUT") or HERE / "out").resolve()
OUT.mkdir(parents=True, exist_ok=True)
DPI = 120

THREADS = None  # None: the BLAS's own setting (from your environment variables)
if not user_set_threads():
    try:
        set_num_threads(1)
        THREADS = 1
    except RuntimeError:  # a BLAS tinynn cannot control: keep its default
        pass

plt.rcParams.update({"figure.dpi": 100, "axes.titlesize": 11, "axes.labelsize": 10, "legend.fontsize": 8,
                     "xtick.labelsize": 9, "ytick.labelsize": 9})


def save(fig, name):
    """Save a figure into OUT; keep it open when a notebook shows figures inline."""
    fig.savefig(OUT / name, dpi=DPI, bbox_inches="tight")
    if "inline" not in plt.get_backend():
        plt.close(fig)
