"""``python -m tinynn``: the demo runs end to end, writes its files, explains itself and its errors."""
import json
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

import tinynn as tn
from tinynn import backend
from tinynn.__main__ import load_splits, main, make_model
from tinynn.metrics import accuracy
from tinynn.threads import THREAD_VARIABLES


def test_demo_runs_end_to_end_and_writes_its_files(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["--epochs", "3", "--hidden", "32", "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "test accuracy" in printed and "F1" in printed and "time:" in printed
    for name in ("digits_mlp.npz", "curves.png", "confusion_matrix.png", "history.json"):
        assert (out / name).is_file() and str(out / name) in printed
    for png in ("curves.png", "confusion_matrix.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"
    history = json.loads((out / "history.json").read_text())
    assert len(history["loss"]) == 3 and len(history["val_accuracy"]) == 3
    # the checkpoint loads back into the same architecture and predicts like the printed accuracy
    model = make_model([64, 32, 10])
    model.load_state_dict(tn.load(out / "digits_mlp.npz"))
    printed_accuracy = float(printed.split("test accuracy ")[1].split()[0])
    assert printed_accuracy > 0.5  # 3 short epochs: well above chance (0.1)
    _, _, (x_test, y_test) = load_splits(0)  # the default --seed
    reloaded = accuracy(y_test, tn.predict(model, x_test).numpy().argmax(axis=1))
    assert abs(reloaded - printed_accuracy) < 1e-4


def test_demo_shows_progress_bars_unless_quiet(tmp_path, capsys):
    main(["--epochs", "1", "--hidden", "8", "--out", str(tmp_path), "--optimizer", "sgd"])
    err = capsys.readouterr().err
    assert "epoch 1/1" in err and "loss=" in err


def test_help_lists_the_options_and_examples(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in ("--epochs", "--hidden", "--lr", "--optimizer", "--batch-size", "--device", "--out",
                   "--seed", "--quiet", "--threads", "examples:", "python -m tinynn --"):
        assert option in text


@pytest.mark.skipif(backend.cuda_available(), reason="CuPy and a GPU are present: cuda works here")
def test_cuda_without_gpu_is_a_clear_message_and_exit_code_2(tmp_path, capsys):
    assert main(["--device", "cuda", "--out", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert "CuPy" in captured.err and "Traceback" not in captured.err
    assert not list(tmp_path.iterdir())  # nothing was written


def test_bad_option_values_exit_with_code_2(tmp_path, capsys):
    assert main(["--epochs", "0", "--out", str(tmp_path)]) == 2
    assert "--epochs must be at least 1" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["--optimizer", "rmsprop"])
    assert exit_info.value.code == 2


@pytest.mark.skipif(backend.cuda_available(), reason="CuPy and a GPU are present")
def test_module_entry_point_exit_code_without_a_traceback(tmp_path):
    root = pathlib.Path(__file__).resolve().parents[1]  # run the checkout's tinynn
    result = subprocess.run([sys.executable, "-m", "tinynn", "--device", "cuda", "--out", str(tmp_path)],
                            capture_output=True, text=True, timeout=120, cwd=root)
    assert result.returncode == 2 and "Traceback" not in result.stderr and "cuda" in result.stderr


def test_make_model_layers():
    model = make_model([64, 16, 8, 10])
    x = tn.tensor(np.zeros((2, 64), dtype="float32"))
    assert model(x).shape == (2, 10) and len(list(model.parameters())) == 6


def test_demo_docstring_examples_run():
    # pytest's --doctest-modules never collects a __main__.py, so its examples run here
    import doctest

    import tinynn.__main__ as demo
    result = doctest.testmod(demo, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 6 and result.failed == 0


def _blas_controllable():
    try:
        tn.get_num_threads()
    except RuntimeError:
        return False
    return True


@pytest.mark.skipif(not _blas_controllable(), reason="no BLAS tinynn can control here")
def test_demo_runs_on_one_blas_thread_unless_told_otherwise_and_restores_it(tmp_path, capsys, monkeypatch):
    for name in THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    before = tn.get_num_threads()
    args = ["--epochs", "1", "--hidden", "8", "--quiet", "--out", str(tmp_path)]
    assert main(args) == 0
    assert capsys.readouterr().out.splitlines()[0].endswith(", cpu, 1 BLAS thread")
    assert main(args + ["--threads", "2"]) == 0
    assert capsys.readouterr().out.splitlines()[0].endswith(", cpu, 2 BLAS threads")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")  # the user's setting: the library's count is kept
    assert main(args) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert header.endswith(f", cpu, {before} BLAS thread{'s' if before > 1 else ''}")
    assert tn.get_num_threads() == before  # main() from Python leaves the process as it was
    assert main(args + ["--threads", "0"]) == 2
    assert "--threads must be at least 1" in capsys.readouterr().err


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: OpenBLAS uses one thread anyway")
def test_entry_point_default_is_one_thread_and_the_environment_wins(tmp_path):
    root = pathlib.Path(__file__).resolve().parents[1]
    base = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
    base["PYTHONPATH"] = os.pathsep.join([str(root)] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    headers = {}
    for label, extra in (("default", {}), ("environment", {"OPENBLAS_NUM_THREADS": "2"})):
        result = subprocess.run([sys.executable, "-m", "tinynn", "--epochs", "1", "--hidden", "8", "--quiet",
                                 "--out", str(tmp_path)], env=dict(base, **extra), capture_output=True, text=True,
                                timeout=300, cwd=tmp_path)
        if "cannot set" in result.stderr:
            pytest.skip("no BLAS tinynn can control here")
        assert result.returncode == 0, result.stderr[-2000:]
        headers[label] = result.stdout.splitlines()[0]
    assert headers["default"].endswith(", 1 BLAS thread")
    assert headers["environment"].endswith(", 2 BLAS threads")


def test_gpt_mode_logs_a_few_lines_not_one_per_step(tmp_path, capsys):
    from tinynn.models.cli import main as gpt_main

    assert gpt_main(["--iters", "30", "--n-layer", "1", "--n-embd", "16", "--n-head", "2", "--block-size", "8",
                     "--batch-size", "2", "--warmup", "2", "--eval-iters", "1", "--tokens", "5",
                     "--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err  # not a terminal: plain lines at every tenth of the run
    lines = [part for part in re.split(r"[\r\n]", err) if part.strip()]
    assert [line.split(" ")[0] for line in lines] == [f"{3 * k}/30" for k in range(1, 11)], lines[:12]
    assert all("loss " in line and "tokens/s" in line for line in lines)


def test_a_blas_tinynn_cannot_control_is_a_note_not_a_failure(tmp_path, capsys, monkeypatch):
    import tinynn.threads

    for name in THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(tinynn.threads, "_found", [])  # as on a machine whose BLAS we cannot find
    assert main(["--epochs", "1", "--hidden", "8", "--quiet", "--out", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "note: cannot set 1 BLAS thread(s)" in captured.err and "OPENBLAS_NUM_THREADS=1" in captured.err
    assert captured.out.splitlines()[0].endswith(", cpu")  # the header claims no thread count
    with pytest.raises(RuntimeError, match="threadpoolctl"):
        tn.set_num_threads(1)


@pytest.mark.skipif(not _blas_controllable(), reason="no BLAS tinynn can control here")
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: one thread either way")
def test_gpt_mode_takes_the_free_cores_and_only_those(monkeypatch):
    import tinynn.models.cli

    for name in THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    seen = []
    monkeypatch.setattr(tinynn.models.cli, "main", lambda argv: seen.append(tn.get_num_threads()) or 0)
    before = tn.get_num_threads()
    cpus = os.cpu_count()
    for load, expected in ((0.0, cpus), (cpus - 1.0, 1), (cpus + 2.0, 1)):
        monkeypatch.setattr(os, "getloadavg", lambda load=load: (load, load, load))
        assert main(["gpt", "--iters", "1"]) == 0
        assert seen.pop() == expected, (load, expected)
        assert tn.get_num_threads() == before
