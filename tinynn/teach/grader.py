"""``grade``: run the grading tests against a copy of the course and score each exercise.

The tests come from the grader's own package (``tinynn/teach/grading/`` next to this file: the
teacher's, whatever the student changed in their copy) and run in a fresh Python whose
``tinynn`` is the one in the graded folder; a check at start-up refuses to grade any other.
"""
from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

GRADING = pathlib.Path(__file__).resolve().parent / "grading"

_CONFTEST = '''\
import os, pathlib, pytest

def pytest_sessionstart(session):
    import tinynn
    graded = pathlib.Path(os.environ["TINYNN_GRADED"]).resolve()
    where = pathlib.Path(tinynn.__file__).resolve()
    if graded not in where.parents:
        raise pytest.UsageError(f"grade: imported tinynn from {where}, not from the graded folder {graded}")
'''


def grading_tests(tests_dir=GRADING):
    """``{exercise id: test file}`` for every ``test_<id>.py`` in ``tests_dir``.

    >>> sorted(grading_tests())[:2]
    ['cross_entropy_backward', 'linear_backward']
    """
    return {p.stem[len("test_"):]: p for p in sorted(pathlib.Path(tests_dir).glob("test_*.py"))}


def grade(directory, tests_dir=GRADING, timeout=300):
    """Run every exercise's tests on the ``tinynn`` in ``directory``.

    Returns ``{exercise: {"passed": n, "total": m, "first_failure": text or None}}``.
    """
    directory = pathlib.Path(directory).resolve()
    if not (directory / "tinynn" / "__init__.py").is_file():
        raise FileNotFoundError(f"grade: {directory} has no tinynn/ package: give the folder make-student wrote "
                                "(or the repository root)")
    tests = grading_tests(tests_dir)
    with tempfile.TemporaryDirectory(prefix="tinynn-grade-") as work:
        work = pathlib.Path(work)
        for path in tests.values():
            shutil.copy2(path, work / path.name)
        (work / "conftest.py").write_text(_CONFTEST, encoding="utf-8")
        (work / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")  # none of the graded folder's options
        report = work / "report.xml"
        env = dict(os.environ, TINYNN_GRADED=str(directory), MPLBACKEND="Agg",
                   PYTHONPATH=os.pathsep.join([str(directory)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
        env.pop("PYTEST_ADDOPTS", None)
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                   "-c", str(work / "pytest.ini"), "--rootdir", str(work), f"--junitxml={report}", str(work)]
        run = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=timeout)
        if not report.is_file():
            raise RuntimeError(f"grade: pytest did not run (exit {run.returncode}):\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}")
        return _scores(ET.parse(report).getroot(), tests)


def _scores(root, tests):
    scores = {exercise: {"passed": 0, "total": 0, "first_failure": None} for exercise in tests}
    skipped = set()  # exercises with a skipped test: e.g. a tutorial's, in a copy without tutorials
    for case in root.iter("testcase"):
        module = case.get("classname", "").split(".")[0] or case.get("name", "")  # "": a module-level skip
        exercise = module[len("test_"):] if module.startswith("test_") else module
        score = scores.setdefault(exercise, {"passed": 0, "total": 0, "first_failure": None})
        score["total"] += 1
        problem = next((child for child in case if child.tag in ("failure", "error")), None)
        if next((child for child in case if child.tag == "skipped"), None) is not None:
            score["total"] -= 1
            skipped.add(exercise)
        elif problem is None:
            score["passed"] += 1
        elif score["first_failure"] is None:
            score["first_failure"] = (problem.get("message") or problem.text or "").strip().splitlines()[0][:160]
    for exercise, path in tests.items():
        if scores[exercise]["total"] == 0 and exercise in skipped:  # not part of this copy
            del scores[exercise]
        elif scores[exercise]["total"] == 0:  # the file did not even import: every test of it failed
            scores[exercise]["first_failure"] = scores[exercise]["first_failure"] or f"{path.name} collected no test"
    return scores


def format_scores(scores):
    """A table, one exercise a line, and the total.

    >>> print(format_scores({"mul_backward": {"passed": 4, "total": 4, "first_failure": None}}))
    exercise                  score  result
    mul_backward                4/4  ok
    total                       4/4  1 of 1 exercises solved
    """
    width = max([len("exercise")] + [len(e) for e in scores]) + 2
    lines = [f"{'exercise':<{width}}{'score':>7}  result"]
    for exercise, s in sorted(scores.items()):
        solved = s["total"] > 0 and s["passed"] == s["total"]
        lines.append(f"{exercise:<{width}}{s['passed']:>3}/{s['total']:<3}  {'ok' if solved else s['first_failure']}")
    passed, total = sum(s["passed"] for s in scores.values()), sum(s["total"] for s in scores.values())
    solved = sum(s["total"] > 0 and s["passed"] == s["total"] for s in scores.values())
    lines.append(f"{'total':<{width}}{passed:>3}/{total:<3}  {solved} of {len(scores)} exercises solved")
    return "\n".join(line.rstrip() for line in lines)
