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
import sys

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


def figure_problems(fig):
    """What would make ``fig`` hard to read on its own: a plot without axis labels, an image
    or heat map without a colour bar (pictures drawn with the axes off need none), no title.
    A label on a panel sharing the axis, or the figure's supxlabel/supylabel, counts.

    >>> fig, ax = plt.subplots(); _ = ax.plot([0, 1]); figure_problems(fig)
    ['axes 1: no x label', 'axes 1: no y label', 'no title (axes titles or suptitle)']
    """
    def text(artist):
        return bool(artist is not None and artist.get_text())

    problems = []
    titled = text(fig._suptitle) or any(ax.get_visible() and any(ax.get_title(loc) for loc in ("center", "left", "right"))
                                        for ax in fig.axes)
    for i, ax in enumerate(fig.axes, 1):
        if not ax.get_visible() or hasattr(ax, "_colorbar") or not ax.has_data() or not ax.axison:
            continue  # a colour bar, an empty panel, or a picture drawn with the axes off
        scaled = False  # does some axis carry numbers a reader must decode?
        for axis in ("x", "y"):
            ticks = [t.get_text() for t in getattr(ax, f"get_{axis}ticklabels")() if t.get_visible() and t.get_text()]
            if not ticks:
                continue  # no tick labels: a picture's side, or the inner side of a grid of panels
            if any(not t.replace("−", "-").lstrip("-").replace(".", "").replace("e", "").replace("$", "")
                   .replace("^", "").replace("{", "").replace("}", "").replace("\\mathdefault", "").isdigit()
                   for t in ticks):
                continue  # categories (class names, workers, optimizers) name themselves
            scaled = True
            shared = getattr(ax, f"get_shared_{axis}_axes")().get_siblings(ax)
            if not (any(getattr(a, f"get_{axis}label")() for a in shared) or text(getattr(fig, f"_sup{axis}label"))):
                problems.append(f"axes {i}: no {axis} label")
        shaded = [m for m in [*ax.images, *ax.collections] if type(m).__name__ in ("AxesImage", "QuadMesh")]
        if scaled and any(m.colorbar is None for m in shaded) and not ax.texts:
            problems.append(f"axes {i}: an image or heat map without a colour bar (or values written in it)")
    if not titled:
        problems.append("no title (axes titles or suptitle)")
    return problems


def save(fig, name):
    """Save a figure into OUT (saying on stderr if it lacks labels, a colour bar or a title);
    keep it open when a notebook shows figures inline."""
    fig.canvas.draw()  # tick labels exist only once drawn
    for problem in figure_problems(fig):
        print(f"figure check: {name}: {problem}", file=sys.stderr)
    fig.savefig(OUT / name, dpi=DPI, bbox_inches="tight")
    if "inline" not in plt.get_backend():
        plt.close(fig)
