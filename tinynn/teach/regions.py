"""Solution regions: find them in a source file and replace them by stubs.

A region is a block of lines between two marker comments, at the indentation of the code
it replaces; ``# HINT:`` lines inside it are kept in the student's copy::

    def backward(self, grad):
        # BEGIN SOLUTION mul_backward
        # HINT: dL/da = grad * b
        return grad * self.b, grad * self.a
        # END SOLUTION

becomes, in the student's copy, the hints and ``raise NotImplementedError("exercise
mul_backward: dL/da = grad * b")``. The markers are plain comments, so the teacher's copy
runs unchanged.

>>> text = "def f(x):\\n    # BEGIN SOLUTION double\\n    # HINT: twice x\\n    return 2 * x\\n    # END SOLUTION\\n"
>>> [(r.exercise, r.hints) for r in find_regions(text)]
[('double', ['twice x'])]
>>> print(stub_regions(text))
def f(x):
    # EXERCISE double: write this part; `python -m tinynn.teach grade DIR` checks it.
    # HINT: twice x
    raise NotImplementedError('exercise double: twice x')
<BLANKLINE>
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

BEGIN = re.compile(r"^(?P<indent>[ \t]*)# BEGIN SOLUTION (?P<id>[A-Za-z_][A-Za-z0-9_]*)[ \t]*$")
END = re.compile(r"^(?P<indent>[ \t]*)# END SOLUTION[ \t]*$")
HINT = re.compile(r"^[ \t]*# HINT: ?(?P<text>.*?)[ \t]*$")
MARKER = "# BEGIN SOLUTION"  # cheap test for "does this file have any region"


class RegionError(ValueError):
    """Markers that do not pair up (unterminated, nested, mis-indented or a duplicate id)."""


@dataclass
class Region:
    """One exercise: lines ``start``..``end`` (0-based, both marker lines included)."""

    exercise: str
    start: int
    end: int
    indent: str
    hints: list = field(default_factory=list)


def find_regions(text, where="<text>"):
    """The solution regions of a source text, in order; ``RegionError`` names the bad line."""
    regions, open_region = [], None
    for number, line in enumerate(text.splitlines()):
        begin, end = BEGIN.match(line), END.match(line)
        if begin:
            if open_region is not None:
                raise RegionError(f"{where}:{number + 1}: BEGIN SOLUTION {begin['id']} inside region "
                                  f"{open_region.exercise} (line {open_region.start + 1}): close it with # END SOLUTION first")
            open_region = Region(begin["id"], number, -1, begin["indent"])
        elif end:
            if open_region is None:
                raise RegionError(f"{where}:{number + 1}: # END SOLUTION without a # BEGIN SOLUTION <id> before it")
            if end["indent"] != open_region.indent:
                raise RegionError(f"{where}:{number + 1}: # END SOLUTION of {open_region.exercise} is indented "
                                  f"{len(end['indent'])} columns, its BEGIN {len(open_region.indent)}: indent both alike")
            open_region.end = number
            regions.append(open_region)
            open_region = None
        elif open_region is not None and HINT.match(line):
            open_region.hints.append(HINT.match(line)["text"])
        elif "SOLUTION" in line and line.lstrip().startswith(("# BEGIN", "# END")):
            raise RegionError(f"{where}:{number + 1}: malformed marker {line.strip()!r}: write "
                              "'# BEGIN SOLUTION <id>' (an identifier) or '# END SOLUTION'")
    if open_region is not None:
        raise RegionError(f"{where}:{open_region.start + 1}: region {open_region.exercise} has no # END SOLUTION")
    ids = [r.exercise for r in regions]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise RegionError(f"{where}: exercise id(s) {duplicates} used by more than one region: give each its own id")
    return regions


def stub_lines(region):
    """The lines that replace a region in the student's copy: hints and a NotImplementedError."""
    hint = " ".join(region.hints) or "see the docstring above"
    lines = [f"{region.indent}# EXERCISE {region.exercise}: write this part; `python -m tinynn.teach grade DIR` checks it."]
    lines += [f"{region.indent}# HINT: {h}" for h in region.hints]
    lines.append(f"{region.indent}raise NotImplementedError({f'exercise {region.exercise}: {hint}'!r})")
    return lines


def stub_regions(text, only=None, where="<text>"):
    """``text`` with every region (or those whose id is in ``only``) replaced by its stub."""
    lines = text.splitlines()
    for region in reversed(find_regions(text, where)):
        if only is None or region.exercise in only:
            lines[region.start:region.end + 1] = stub_lines(region)
    return "\n".join(lines) + ("\n" if text.endswith("\n") else "")
