"""Every tutorial (and every program under tutorials/programs/) runs from a clean directory in
its fast setting and exits 0. The tutorials assert what they teach, so a wrong gradient, a
changed errata number or a classifier below its accuracy fails here, named by its file."""
import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
TUTORIALS = ROOT / "tutorials"
SCRIPTS = sorted(p for p in TUTORIALS.rglob("*.py") if not p.name.startswith("_") and "__pycache__" not in p.parts)


@pytest.mark.parametrize("script", SCRIPTS, ids=[str(p.relative_to(TUTORIALS)) for p in SCRIPTS])
def test_tutorial_runs_fast(script, tmp_path):
    env = dict(os.environ, TINYNN_FAST="1", TINYNN_OUT=str(tmp_path), MPLBACKEND="Agg",
               PYTHONPATH=os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    for threads in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(threads, "1")  # small matrices: BLAS threads only fight over the cores
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, (
        f"{script.relative_to(ROOT)} exited with {result.returncode}\n"
        f"--- stdout (end) ---\n{result.stdout[-3000:]}\n--- stderr (end) ---\n{result.stderr[-5000:]}")
    if re.match(r"\d\d_", script.name):  # the numbered tutorials save figures, into $TINYNN_OUT
        assert list(tmp_path.glob("*.png")), f"{script.name} saved no figure into $TINYNN_OUT"


def test_there_are_nine_numbered_tutorials():
    numbered = sorted(p.name for p in TUTORIALS.glob("[0-9][0-9]_*.py"))
    assert [name[:2] for name in numbered][:9] == [f"{i:02d}" for i in range(1, 10)], numbered


def test_tutorials_are_jupytext_percent_files():
    for path in TUTORIALS.glob("[0-9][0-9]_*.py"):
        text = path.read_text(encoding="utf-8")
        assert "# %% [markdown]" in text and re.search(r"^# %%$", text, re.M), f"{path.name}: no percent cells"
        assert "from _setup import" in text, f"{path.name}: ignores the fast/output settings of tutorials/_setup.py"
    setup = (TUTORIALS / "_setup.py").read_text(encoding="utf-8")
    assert "TINYNN_FAST" in setup and "TINYNN_OUT" in setup


def test_index_lists_every_tutorial_with_an_existing_picture():
    index = (TUTORIALS / "README.md").read_text(encoding="utf-8")
    for path in TUTORIALS.glob("[0-9][0-9]_*.py"):
        assert f"({path.name})" in index, f"tutorials/README.md does not link {path.name}"
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", index)
    assert len(pictures) >= 9
    for picture in pictures:
        assert (TUTORIALS / picture).is_file(), f"tutorials/README.md shows {picture}, which does not exist"
    assert "(equations.md)" in index
