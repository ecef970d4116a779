"""What every tutorial shares: the fast switch, where figures go, and how they are saved.

``TINYNN_FAST=1`` (the test suite sets it) asks for smaller problems; figures go next to the
tutorials in ``figures/``, or into ``$TINYNN_OUT`` when it is set.
"""
import os
import pathlib

import matplotlib.pyplot as plt

FAST = os.environ.get("TINYNN_FAST") == "1"
OUT = pathlib.Path(os.environ.get("TINYNN_OUT") or pathlib.Path(__file__).resolve().parent / "figures")
OUT.mkdir(parents=True, exist_ok=True)


def save(fig, name):
    """Save a figure into OUT; keep it open when a notebook shows figures inline."""
    fig.savefig(OUT / name, dpi=80, bbox_inches="tight")
    if "inline" not in plt.get_backend():
        plt.close(fig)
