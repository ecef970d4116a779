"""``make-student``: copy the course (package + tutorials) with the solution regions stubbed.

The copy is what a teacher hands out: ``tinynn/`` and ``tutorials/`` (without outputs and
caches), the README, licence and pyproject, and ``EXERCISES.md`` listing each exercise with
its file, line and hints. The grading tests travel with the package
(``tinynn/teach/grading/``), so a student can run ``python -m tinynn.teach grade .``.
"""
from __future__ import annotations

import pathlib
import shutil

from tinynn.teach.regions import MARKER, find_regions, stub_regions

SOURCE_ROOT = pathlib.Path(__file__).resolve().parents[2]  # the checkout that holds tinynn/
COPIED_DIRS = ("tinynn", "tutorials")
COPIED_FILES = ("README.md", "LICENSE", "pyproject.toml")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "out", "*.egg-info", ".ipynb_checkpoints")


def solution_files(root=SOURCE_ROOT):
    """Python files under the copied folders that hold solution regions (tinynn/teach excluded:
    it talks about the markers without having regions)."""
    root = pathlib.Path(root)
    files = []
    for folder in COPIED_DIRS:
        for path in sorted((root / folder).rglob("*.py")):
            parts = path.relative_to(root).parts
            if parts[:2] == ("tinynn", "teach") or "__pycache__" in parts or "out" in parts:
                continue
            if MARKER in path.read_text(encoding="utf-8"):
                files.append(path)
    return files


def list_exercises(root=SOURCE_ROOT):
    """``{exercise id: (relative path, 1-based line, hints)}`` for every region under ``root``.

    >>> exercises = list_exercises()
    >>> exercises["mul_backward"][0]
    'tinynn/ops/arithmetic.py'
    """
    root = pathlib.Path(root)
    found = {}
    for path in solution_files(root):
        rel = path.relative_to(root).as_posix()
        for region in find_regions(path.read_text(encoding="utf-8"), rel):
            if region.exercise in found:
                raise ValueError(f"exercise {region.exercise!r} is defined twice: {found[region.exercise][0]} and {rel}")
            found[region.exercise] = (rel, region.start + 1, region.hints)
    return found


def make_student(out_dir, root=SOURCE_ROOT, only=None, tutorials=True):
    """Write the student's copy of ``root`` into ``out_dir`` (new or empty); returns the stubbed ids.

    ``only`` (ids) stubs just those exercises and leaves the other solutions in place.
    """
    root, out = pathlib.Path(root).resolve(), pathlib.Path(out_dir).resolve()
    exercises = list_exercises(root)
    if only is not None:
        unknown = sorted(set(only) - set(exercises))
        if unknown:
            raise ValueError(f"make-student: unknown exercise(s) {unknown}; the exercises are {sorted(exercises)}")
    if not tutorials:  # the tutorials' exercises go with the tutorials
        in_tutorials = sorted(e for e, (rel, _, _) in exercises.items() if rel.startswith("tutorials/"))
        asked = sorted(set(only or ()) & set(in_tutorials))
        if asked:
            raise ValueError(f"make-student: {asked} live in tutorials/, which a copy without tutorials leaves out")
        exercises = {e: v for e, v in exercises.items() if e not in in_tutorials}
    if out == root or root in out.parents:
        raise ValueError(f"make-student: {out} is inside the source checkout {root}: choose a folder outside it")
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"make-student: {out} is not empty: give a new or empty folder")
    out.mkdir(parents=True, exist_ok=True)
    for folder in COPIED_DIRS if tutorials else COPIED_DIRS[:1]:
        if (root / folder).is_dir():
            shutil.copytree(root / folder, out / folder, ignore=IGNORED)
    for name in COPIED_FILES:
        if (root / name).is_file():
            shutil.copy2(root / name, out / name)
    chosen = set(exercises) if only is None else set(only)
    where = {}  # exercise -> (file, line of its stub in the copy, hints)
    for path in solution_files(out):
        rel = path.relative_to(out).as_posix()
        text = stub_regions(path.read_text(encoding="utf-8"), chosen, rel)
        compile(text, rel, "exec")  # a stub that breaks the syntax would fail every exercise, not one
        path.write_text(text, encoding="utf-8")
        for number, line in enumerate(text.splitlines(), 1):
            stub = line.strip().split(":")[0]
            if stub.startswith("# EXERCISE ") and stub[len("# EXERCISE "):] in chosen:
                exercise = stub[len("# EXERCISE "):]
                where[exercise] = (rel, number, exercises[exercise][2])
    _write_index(out, where)
    return sorted(chosen)


def _write_index(out, exercises):
    lines = ["# Exercises", "",
             "Each exercise is a stub that raises `NotImplementedError(\"exercise <id>: ...\")`. Replace it",
             "with your code, then check your work from this folder:", "",
             "```bash", "python -m tinynn.teach grade .", "```", "",
             "Each exercise is graded on its own (its tests call only your function), so they can be",
             "done in any order.", ""]
    for exercise, (rel, line, hints) in sorted(exercises.items(), key=lambda kv: (kv[1][0], kv[1][1])):
        lines += [f"## `{exercise}`", "", f"In `{rel}`, line {line}.", ""]
        lines += [f"* {h}" for h in hints] + [""]
    (out / "EXERCISES.md").write_text("\n".join(lines), encoding="utf-8")
