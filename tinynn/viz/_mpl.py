"""Shared matplotlib plumbing for tinynn.viz: a lazy pyplot import and save-and-return."""
from __future__ import annotations

import os
import pathlib
import sys


def pyplot():
    """matplotlib.pyplot, imported on first use; the Agg backend when there is no display.

    Importing matplotlib costs time, so ``import tinynn`` does not; on a headless Linux machine
    (no $DISPLAY / $WAYLAND_DISPLAY, no $MPLBACKEND) we pick Agg before pyplot is imported so
    no GUI toolkit is tried.
    """
    import matplotlib

    headless = sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if headless and "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def new_axes(ax=None, figsize=(6, 4.5)):
    """``(fig, ax)``: the given Axes and its figure, or a new figure with one Axes."""
    if ax is not None:
        return ax.figure, ax
    fig, ax = pyplot().subplots(figsize=figsize)
    return fig, ax


def finish(fig, path=None, dpi=120):
    """Tidy the layout, save to ``path`` (parent folders created) if given, return the figure."""
    fig.tight_layout()
    if path is not None:
        path = pathlib.Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=dpi)
    return fig
