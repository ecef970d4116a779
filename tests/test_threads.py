"""tn.set_num_threads / get_num_threads really change NumPy's BLAS: checked from outside the
library, by which of the process's threads spend CPU time during matrix products (Linux)."""
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import tinynn as tn
from tinynn.threads import THREAD_VARIABLES, blas_threads, user_set_threads

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _controllable():
    try:
        tn.get_num_threads()
    except RuntimeError:
        return False
    return True


needs_blas = pytest.mark.skipif(not _controllable(), reason="no BLAS tinynn can control here")


def _cpu_ticks_per_thread():
    """{thread id: user + system clock ticks} of this process, from /proc (Linux)."""
    ticks = {}
    for task in pathlib.Path("/proc/self/task").iterdir():
        fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        ticks[int(task.name)] = int(fields[11]) + int(fields[12])  # utime, stime
    return ticks


def _worker_ticks_during_products():
    """CPU ticks spent by threads other than this one while it multiplies matrices."""
    a = np.random.default_rng(0).normal(size=(600, 600))
    me = __import__("threading").get_native_id()
    a @ a  # wake the pool first
    before = _cpu_ticks_per_thread()
    for _ in range(20):
        a @ a
    after = _cpu_ticks_per_thread()
    return sum(t - before.get(tid, 0) for tid, t in after.items() if tid != me)


@needs_blas
@pytest.mark.skipif(not pathlib.Path("/proc/self/task").is_dir(), reason="needs Linux's /proc")
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: OpenBLAS runs single-threaded anyway")
def test_set_num_threads_changes_which_threads_do_the_products():
    before = tn.get_num_threads()
    try:
        tn.set_num_threads(1)
        assert tn.get_num_threads() == 1
        alone = _worker_ticks_during_products()
        tn.set_num_threads(2)
        assert tn.get_num_threads() == 2
        shared = _worker_ticks_during_products()
    finally:
        tn.set_num_threads(before)
    assert alone <= 2, f"with 1 BLAS thread, other threads still spent {alone} ticks"
    assert shared >= 5, f"with 2 BLAS threads, the second did no work ({shared} ticks)"
    assert tn.get_num_threads() == before


@needs_blas
def test_blas_threads_restores_the_previous_count_even_after_an_error():
    before = tn.get_num_threads()
    with pytest.raises(ZeroDivisionError):
        with blas_threads(1):
            assert tn.get_num_threads() == 1
            1 / 0
    assert tn.get_num_threads() == before
    with blas_threads(None):  # None: leave the library alone
        assert tn.get_num_threads() == before


def test_bad_counts_are_refused_as_pytorch_refuses_them():
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    for bad in (0, -2, 1.5, "2", True):
        with pytest.raises(RuntimeError) as theirs:
            torch.set_num_threads(bad)
        with pytest.raises(RuntimeError) as ours:
            tn.set_num_threads(bad)
        assert str(ours.value).split(",")[0] == str(theirs.value).split(",")[0]
    assert torch.get_num_threads() == before


def test_user_set_threads_reads_the_three_variables():
    assert user_set_threads({}) is None
    assert user_set_threads({"OPENBLAS_NUM_THREADS": ""}) is None  # empty: not set
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        assert user_set_threads({name: "3"}) == f"{name}=3"


def test_importing_tinynn_leaves_the_blas_threads_alone():
    """Only the entry point and an explicit call change the threads, never `import tinynn`."""
    code = ("import numpy, tinynn as tn; from tinynn import threads;"
            "print(threads._found is None, tn.get_num_threads())")
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    result = subprocess.run([sys.executable, "-c", code], env=dict(env, OPENBLAS_NUM_THREADS="2"),
                            capture_output=True, text=True, timeout=120)
    if "RuntimeError" in result.stderr:
        pytest.skip("no BLAS tinynn can control here")
    assert result.returncode == 0, result.stderr[-2000:]
    untouched, count = result.stdout.split()
    assert untouched == "True"  # nothing looked for a BLAS at import
    assert int(count) == min(2, os.cpu_count() or 1)  # OpenBLAS's count from the environment, kept
