"""The README's performance table: the summary of the committed report, copied between two
markers, so the README quotes the last full run and nothing else.

``python -m benchmarks --update-results`` rewrites it after a full run;
``python -m benchmarks --readme`` rewrites it from the committed ``results.json`` alone;
tests/test_benchmarks_readme.py fails when the README and results.json disagree.

>>> lines = block(json.loads(RESULTS.read_text(encoding="utf-8")))
>>> lines[0] == BEGIN and lines[-1] == END and any(line.startswith("| MLP step, small") for line in lines)
True
"""
from __future__ import annotations

import json
import pathlib

from benchmarks import report

HERE = pathlib.Path(__file__).resolve().parent
README = HERE.parent / "README.md"
RESULTS = HERE / "results.json"
BEGIN = "<!-- benchmarks:summary (written by python -m benchmarks --update-results or --readme; do not edit) -->"
END = "<!-- /benchmarks:summary -->"


def block(results):
    """The lines between (and including) the markers for these results."""
    return [BEGIN, f"The last full run, {results['date']} (`{results['command']}`):", "",
            *report.machine_lines(results), "",
            "Medians; ratios paired turn by turn, median (quartiles). Each verdict is against issue 17's "
            "goal, met or not:", "", *report.summary(results), "", END]


def with_block(text, results):
    """``text`` (the README) with its block replaced by this run's."""
    start, stop = text.index(BEGIN), text.index(END) + len(END)
    return text[:start] + "\n".join(block(results)) + text[stop:]


def update(results=None):
    """Rewrite the README's block (from ``results``, or from the committed results.json)."""
    if results is None:
        results = json.loads(RESULTS.read_text(encoding="utf-8"))
    text = README.read_text(encoding="utf-8")
    README.write_text(with_block(text, results), encoding="utf-8")
    print(f"wrote the performance table of {README}")
