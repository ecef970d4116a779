"""The goals of issue 17 ("Speed"), and the honest verdict on a measured figure.

A goal is a limit on one measured quantity: a ratio paired turn by turn (``tinynn/floor``,
``tinynn/torch``), a time in µs, or bytes of growth. The verdict uses the median over the
turns; when the quartiles straddle the limit the verdict says so ("on the line"), because
then another run may well land on the other side.

>>> g = Goal("tinynn/floor", 1.05, "≤ 1.05× the floor")
>>> g.verdict({"tinynn/floor": {"median": 1.02, "p25": 1.00, "p75": 1.04}})
'met'
>>> g.verdict({"tinynn/floor": {"median": 1.04, "p25": 1.01, "p75": 1.09}})
'met (on the line)'
>>> g.verdict({"tinynn/floor": {"median": 1.30, "p25": 1.2, "p75": 1.4}})
'NOT met'
>>> g.verdict({})
'not measured'
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Goal:
    """``metric`` must stay at or below ``limit`` (strictly below when ``strict``); ``text``
    is how issue 17 words it. ``scale`` turns the stored value into the limit's unit (1e6: s → µs)."""

    metric: str
    limit: float
    text: str
    strict: bool = False
    scale: float = 1.0

    def meets(self, value):
        value *= self.scale
        return value < self.limit if self.strict else value <= self.limit

    def verdict(self, measured):
        """'met' / 'NOT met' (+ ' (on the line)'), or 'not measured' when ``metric`` is absent."""
        figure = measured.get(self.metric)
        if figure is None:
            return "not measured"
        if not isinstance(figure, dict):
            return "met" if self.meets(figure) else "NOT met"
        ok = self.meets(figure["median"])
        straddles = "p25" in figure and self.meets(figure["p25"]) != self.meets(figure["p75"])
        return ("met" if ok else "NOT met") + (" (on the line)" if straddles else "")


def vs_floor(limit):
    return Goal("tinynn/floor", limit, f"≤ {limit:g}× the floor")


def vs_torch(limit, strict=False, keep=False):
    words = "keep " if keep else ""
    return Goal("tinynn/torch", limit, f"{words}{'<' if strict else '≤'} {limit:g}× PyTorch", strict=strict)


# issue 17's table, row by row (the layer rows' goals sit with their rows in registry.py)
MLP = {
    "small": [vs_floor(1.5)],
    "medium": [vs_floor(1.05), vs_torch(1.0, strict=True)],
    # at large PyTorch's MKL GEMM can outrun NumPy's OpenBLAS: only the floor is an honest target
    "large": [vs_floor(1.03)],
}
OVERHEAD = Goal("tinynn", 12.0, "≤ 12 µs", scale=1e6)  # (a*b+a).sum() fwd+bwd on one element
MEMORY = Goal("traced growth", 64 * 1024, "flat: < 64 KiB traced growth")
