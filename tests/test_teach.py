"""The teacher's kit (tinynn/teach): the repository passes every grading test, a student copy
fails exactly on its stubs, and the region markers are parsed strictly."""
import pathlib
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from tinynn.teach import RegionError, find_regions, grade, list_exercises, make_student, stub_regions

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXERCISES = {"mul_backward", "matmul_backward", "sum_backward", "sigmoid_backward", "linear_backward",
             "cross_entropy_backward", "topological_order",
             "neuron_gradients", "mlp_backward"}  # the last two in tutorials 2 and 5


PARTIAL = {"topological_order", "mul_backward"}


def _grade_cli(directory):
    return subprocess.run([sys.executable, "-m", "tinynn.teach", "grade", str(directory)], cwd=directory.parent,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    """The teacher's repository, a full student copy and one with two stubs, graded at once
    (three grading runs side by side: about 5 s of CPU each)."""
    base = tmp_path_factory.mktemp("teach")
    student, partial = base / "student", base / "partial"
    stubbed = make_student(student)
    make_student(partial, only=sorted(PARTIAL))
    with ThreadPoolExecutor(3) as pool:
        jobs = pool.submit(grade, ROOT), pool.submit(grade, student), pool.submit(_grade_cli, partial)
        teacher, graded, cli = (job.result() for job in jobs)
    return {"teacher": teacher, "student": (student, stubbed, graded), "partial": cli}


@pytest.fixture(scope="module")
def teacher_scores(copies):
    return copies["teacher"]


def test_every_exercise_has_a_region_and_a_grading_file(teacher_scores):
    assert set(list_exercises()) == EXERCISES
    assert set(teacher_scores) == EXERCISES


def test_teacher_copy_passes_every_test(teacher_scores):
    for exercise, score in teacher_scores.items():
        assert score["total"] >= 3, f"{exercise} has only {score['total']} grading tests"
        assert score["passed"] == score["total"], f"{exercise}: {score}"


def test_student_copy_fails_every_stub_and_nothing_else(copies, teacher_scores):
    out, stubbed, scores = copies["student"]
    assert set(stubbed) == EXERCISES
    for exercise, (rel, line, _) in list_exercises().items():  # the solutions are gone, stubs in their place
        copied = (out / rel).read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in copied and "raise NotImplementedError(" in copied and f"exercise {exercise}: " in copied
    assert "grad * self.b if need_a" not in (out / "tinynn/ops/arithmetic.py").read_text(encoding="utf-8")
    index = (out / "EXERCISES.md").read_text(encoding="utf-8")
    assert "python -m tinynn.teach grade ." in index and all(f"`{e}`" in index for e in EXERCISES)
    assert not list(out.rglob("__pycache__")) and (out / "tutorials").is_dir()
    for exercise, score in scores.items():
        assert score["total"] == teacher_scores[exercise]["total"]
        assert score["passed"] == 0, f"{exercise} passed {score['passed']} tests without a solution"
        assert f"exercise {exercise}:" in score["first_failure"], score["first_failure"]


def test_partial_copy_fails_only_on_the_chosen_stubs(copies, teacher_scores):
    """Stubbing the walk and Mul (which every other backward graph uses) fails those two alone:
    each exercise is graded independently of the others. Through the command line."""
    chosen, result = PARTIAL, copies["partial"]
    assert result.returncode == 1, result.stdout + result.stderr  # not everything is solved
    rows = {line.split()[0]: line.split()[1] for line in result.stdout.splitlines()[1:]}
    for exercise, score in teacher_scores.items():
        expected = f"0/{score['total']}" if exercise in chosen else f"{score['total']}/{score['total']}"
        assert rows[exercise] == expected, result.stdout


def test_tutorial_exercises_are_stubbed_in_the_tutorial_and_graded_from_it(copies):
    """A tutorial's exercise is a region in the tutorial itself; in the student's copy the
    tutorial keeps its text and the other functions, with the stub in the function's body."""
    out, _, _ = copies["student"]
    for exercise, filename, function in (("neuron_gradients", "02_one_neuron.py", "def hand_gradients("),
                                         ("mlp_backward", "05_backprop_mlp.py", "def manual_backward(")):
        original = (ROOT / "tutorials" / filename).read_text(encoding="utf-8")
        copied = (out / "tutorials" / filename).read_text(encoding="utf-8")
        body = copied.split(function, 1)[1].split("\ndef ", 1)[0]
        assert "raise NotImplementedError(" in body and f"exercise {exercise}: " in body, body[:400]
        assert copied.count("\ndef ") == original.count("\ndef ")  # the other functions stay
        assert len(copied.splitlines()) < len(original.splitlines())


def test_a_copy_without_tutorials_has_and_grades_only_the_engine_exercises(tmp_path):
    engine = {e for e in EXERCISES if not list_exercises()[e][0].startswith("tutorials/")}
    assert engine == EXERCISES - {"neuron_gradients", "mlp_backward"}
    assert set(make_student(tmp_path / "engine", tutorials=False, only=["sum_backward"])) == {"sum_backward"}
    assert not (tmp_path / "engine" / "tutorials").exists()
    scores = grade(tmp_path / "engine")
    assert set(scores) == engine  # the tutorials' exercises are not part of this copy: not scored
    assert scores["sum_backward"]["passed"] == 0 and scores["mul_backward"]["passed"] == scores["mul_backward"]["total"]
    with pytest.raises(ValueError, match="live in tutorials/"):
        make_student(tmp_path / "other", tutorials=False, only=["mlp_backward"])


def test_make_student_refuses_unknown_ids_and_non_empty_folders(tmp_path):
    with pytest.raises(ValueError, match="unknown exercise"):
        make_student(tmp_path / "a", only=["no_such_exercise"])
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not empty"):
        make_student(tmp_path / "b")
    with pytest.raises(ValueError, match="inside the source checkout"):
        make_student(ROOT / "tinynn-out" / "student")
    with pytest.raises(FileNotFoundError, match="no tinynn/ package"):
        grade(tmp_path)


SOURCE = """def f(x):
    # BEGIN SOLUTION twice
    # HINT: multiply by 2
    y = 2 * x
    return y
    # END SOLUTION
"""


def test_stub_keeps_hints_and_raises_with_the_id():
    stubbed = stub_regions(SOURCE)
    namespace = {}
    exec(compile(stubbed, "<student>", "exec"), namespace)
    with pytest.raises(NotImplementedError, match="exercise twice: multiply by 2"):
        namespace["f"](3)
    assert "# HINT: multiply by 2" in stubbed and "2 * x" not in stubbed
    exec(compile(SOURCE, "<teacher>", "exec"), namespace)  # markers are comments: the teacher's copy runs
    assert namespace["f"](3) == 6


@pytest.mark.parametrize("text, message", [
    ("# BEGIN SOLUTION a\nx = 1\n", "has no # END SOLUTION"),
    ("x = 1\n# END SOLUTION\n", "without a # BEGIN SOLUTION"),
    ("# BEGIN SOLUTION a\n# BEGIN SOLUTION b\n# END SOLUTION\n", "inside region a"),
    ("def f():\n    # BEGIN SOLUTION a\n    pass\n# END SOLUTION\n", "indented 0 columns, its BEGIN 4"),
    ("# BEGIN SOLUTION a\n# END SOLUTION\n# BEGIN SOLUTION a\n# END SOLUTION\n", "more than one region"),
    ("# BEGIN SOLUTION 1bad\n# END SOLUTION\n", "malformed marker"),
])
def test_bad_markers_are_refused_with_the_line(text, message):
    with pytest.raises(RegionError, match=message):
        find_regions(text, "f.py")
