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
    unreadable = [line for line in result.stderr.splitlines() if line.startswith("figure check:")]
    assert not unreadable, "figures a reader cannot decode (_setup.figure_problems):\n" + "\n".join(unreadable)


def _tutorials_tree():
    """Every file under tutorials/ except what running may write (out/, __pycache__), with its mtime."""
    return {p: p.stat().st_mtime_ns for p in TUTORIALS.rglob("*")
            if p.is_file() and p.relative_to(TUTORIALS).parts[0] != "out" and "__pycache__" not in p.parts}


@pytest.mark.parametrize("start", ["repository root", "folder above a clone"])
def test_notebook_started_elsewhere_finds_setup_and_leaves_the_checkout_clean(start, tmp_path):
    """Run tutorial 1's code the way a notebook kernel does (no script directory on sys.path,
    working directory not tutorials/, no TINYNN_OUT): cell 1 must find _setup.py, and the
    figures must land in the git-ignored tutorials/out/, nowhere else in tutorials/."""
    if start == "repository root":
        cwd = ROOT
    else:
        cwd = tmp_path
        try:
            (tmp_path / "clone").symlink_to(ROOT, target_is_directory=True)
        except OSError:
            pytest.skip("cannot make a symbolic link here")
    script = TUTORIALS / "01_tensors_and_the_chain_rule.py"
    env = {k: v for k, v in os.environ.items() if k != "TINYNN_OUT"}
    env.update(TINYNN_FAST="1", MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    code = f"exec(compile(open({str(script)!r}, encoding='utf-8').read(), '<notebook cell>', 'exec'))"
    before = _tutorials_tree()
    result = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (TUTORIALS / "out" / "01_graph.png").is_file()
    assert _tutorials_tree() == before, "running a tutorial changed or added files in tutorials/ outside out/"
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "tutorials/out/" in ignored, ".gitignore must list tutorials/out/"


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: OpenBLAS uses one thread anyway")
def test_setup_runs_the_blas_on_one_thread_unless_the_environment_says_otherwise(tmp_path):
    """The tutorials' matrices are small: _setup.py picks one BLAS thread, and leaves the
    count alone when the learner set OPENBLAS_NUM_THREADS (or OMP_/MKL_)."""
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import _setup, tinynn as tn;"
            "print(_setup.THREADS, tn.get_num_threads())")
    base = {k: v for k, v in os.environ.items()
            if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    base.update(TINYNN_OUT=str(tmp_path), MPLBACKEND="Agg",
                PYTHONPATH=os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    seen = {}
    for label, extra in (("default", {}), ("environment", {"OPENBLAS_NUM_THREADS": "2"})):
        result = subprocess.run([sys.executable, "-c", code, str(TUTORIALS)], env=dict(base, **extra),
                                capture_output=True, text=True, timeout=120, cwd=tmp_path)
        assert result.returncode == 0, result.stderr[-2000:]
        seen[label] = result.stdout.split()
    if seen["default"][0] == "None":
        pytest.skip("no BLAS tinynn can control here")
    assert seen == {"default": ["1", "1"], "environment": ["None", "2"]}


def test_figure_check_finds_what_makes_a_figure_unreadable(tmp_path):
    """_setup.save reports (on stderr, which the test above reads) a plot without axis labels,
    a heat map without a colour bar and a figure without a title; a labelled one passes."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import numpy as np, matplotlib.pyplot as plt\n"
        "from _setup import figure_problems\n"
        "fig, (a, b) = plt.subplots(1, 2); a.plot([1, 2]); b.imshow(np.eye(3))\n"
        "print(figure_problems(fig))\n"
        "a.set(xlabel='step', ylabel='loss', title='loss'); fig.colorbar(b.images[0], ax=b, label='weight')\n"
        "b.set(xlabel='key', ylabel='query')\n"
        "print(figure_problems(fig))\n"
        "fig, axes = plt.subplots(1, 3, sharey=True); [ax.plot([1, 2]) for ax in axes]\n"
        "axes[0].set_ylabel('loss'); fig.supxlabel('epoch'); fig.suptitle('three runs')\n"
        "print(figure_problems(fig))\n"
        "fig, ax = plt.subplots(); ax.imshow(np.eye(8)); ax.axis('off'); ax.set_title('a digit')\n"
        "print(figure_problems(fig))\n")
    env = dict(os.environ, MPLBACKEND="Agg", TINYNN_OUT=str(tmp_path),
               PYTHONPATH=os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    result = subprocess.run([sys.executable, "-c", code, str(TUTORIALS)], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    bad, fixed, shared, picture = result.stdout.splitlines()
    assert bad == str(["axes 1: no x label", "axes 1: no y label", "axes 2: no x label", "axes 2: no y label",
                       "axes 2: an image or heat map without a colour bar (or values written in it)",
                       "no title (axes titles or suptitle)"])
    assert fixed == shared == picture == "[]"


def test_reference_pages_exist_and_are_linked():
    index = (TUTORIALS / "README.md").read_text(encoding="utf-8")
    for page in ("documents.md", "glossary.md", "equations.md"):
        assert (TUTORIALS / page).is_file() and f"({page})" in index, page
    glossary = (TUTORIALS / "glossary.md").read_text(encoding="utf-8")
    for term in ("⊙", "One-hot", "Jacobian", "subnormal", "TP, FP, FN"):
        assert term in glossary, f"glossary.md does not explain {term}"
    documents = (TUTORIALS / "documents.md").read_text(encoding="utf-8")
    for eq in range(1, 29):
        assert re.search(rf"\bE{eq}\b", documents), f"documents.md does not say where E{eq} comes from"
    assert "nbconvert" in index and "ipykernel" in index, "README must say what jupytext --execute needs"


def test_each_tutorial_quotes_its_source():
    """Self-contained: every numbered tutorial quotes the documents (English, with the Chinese)."""
    for path in sorted(TUTORIALS.glob("[0-9][0-9]_*.py")):
        text = path.read_text(encoding="utf-8")
        assert re.search(r"[\u4e00-\u9fff]", text), f"{path.name} quotes no original (Chinese) passage"
        assert re.search(r"[Dd]ocument 00\d", text), f"{path.name} names no source document"


def test_there_are_nine_numbered_tutorials():
    numbered = sorted(p.name for p in TUTORIALS.glob("[0-9][0-9]_*.py"))
    assert [name[:2] for name in numbered][:9] == [f"{i:02d}" for i in range(1, 10)], numbered


def test_tutorials_are_jupytext_percent_files():
    for path in TUTORIALS.glob("[0-9][0-9]_*.py"):
        text = path.read_text(encoding="utf-8")
        assert "# %% [markdown]" in text and re.search(r"^# %%$", text, re.M), f"{path.name}: no percent cells"
        assert "from _setup import" in text, f"{path.name}: ignores the fast/output settings of tutorials/_setup.py"
        assert text.index("candidates = [") < text.index("from _setup import"), \
            f"{path.name}: no cell that finds tutorials/_setup.py before importing it (notebooks run elsewhere)"
    setup = (TUTORIALS / "_setup.py").read_text(encoding="utf-8")
    assert "TINYNN_FAST" in setup and "TINYNN_OUT" in setup


def test_each_tutorial_ends_with_a_link_to_the_next():
    """The index says "start at 1; each ends with a link to the next": the last markdown cell
    of tutorial N links tutorial N + 1 (the last one links the index)."""
    numbered = sorted(TUTORIALS.glob("[0-9][0-9]_*.py"))
    for path, following in zip(numbered, numbered[1:] + [None]):
        closing = path.read_text(encoding="utf-8").rsplit("# %% [markdown]", 1)[-1]
        target = following.name if following is not None else "README.md"
        assert f"]({target})" in closing, f"{path.name}: its last markdown cell does not link {target}"


def test_index_lists_every_tutorial_with_an_existing_picture():
    index = (TUTORIALS / "README.md").read_text(encoding="utf-8")
    for path in TUTORIALS.glob("[0-9][0-9]_*.py"):
        assert f"({path.name})" in index, f"tutorials/README.md does not link {path.name}"
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", index)
    assert len(pictures) >= 9
    for picture in pictures:
        assert (TUTORIALS / picture).is_file(), f"tutorials/README.md shows {picture}, which does not exist"
    assert "(equations.md)" in index
