"""tinynn.fit / evaluate / predict: histories, learning real problems, reproducibility, output."""
import re

import numpy as np
import pytest

import tinynn as tn
from tinynn import backend, nn, optim
from tinynn.data import (
    DataLoader,
    StandardScaler,
    load_digits,
    make_moons,
    make_regression,
    make_xor,
    train_test_split,
)
from tinynn.metrics import accuracy


def _mlp(n_in, hidden, n_out, act=nn.Tanh):
    return nn.Sequential(nn.Linear(n_in, hidden), act(), nn.Linear(hidden, n_out))


def test_fit_returns_a_history_with_decreasing_loss(device):
    x, y = make_xor(200, noise=0.15, seed=0)
    model = _mlp(2, 16, 2)
    history = tn.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.03),
                     DataLoader((x, y), batch_size=32, shuffle=True), epochs=15,
                     val_loader=DataLoader((x, y), batch_size=100), progress=False, device=device)
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert history.epochs == 15 and all(len(v) == 15 for v in history.values())
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["val_loss"][-1] < history["val_loss"][0]
    assert model[0].weight.device == device
    assert history.history is history and "epochs" in repr(history)


def test_xor_is_learned():
    x, y = make_xor(400, noise=0.2, seed=1)
    x_te, y_te = make_xor(200, noise=0.2, seed=2)
    model = _mlp(2, 16, 2)
    tn.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.02),
           DataLoader((x, y), batch_size=32, shuffle=True), epochs=30, progress=False)
    result = tn.evaluate(model, nn.CrossEntropyLoss(), DataLoader((x_te, y_te), batch_size=64))
    assert result["accuracy"] >= 0.95


def test_two_moons_are_learned_with_one_logit_and_bce():
    x, y = make_moons(600, noise=0.1, seed=0)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.25, seed=0)
    target = y_tr.reshape(-1, 1).astype("float32")  # BCE wants float targets shaped like the output
    model = _mlp(2, 32, 1, act=nn.ReLU)
    history = tn.fit(model, nn.BCEWithLogitsLoss(), optim.Adam(model.parameters(), lr=0.01),
                     DataLoader((x_tr, target), batch_size=32, shuffle=True), epochs=60, progress=False)
    assert history["accuracy"][-1] >= 0.95  # train accuracy: one logit thresholded at 0
    logits = tn.predict(model, x_te).numpy().ravel()
    assert accuracy(y_te, (logits > 0).astype(int)) >= 0.95


def test_digits_mlp_reaches_96_percent_on_held_out_data():
    x, y = load_digits()
    for seed in (0, 1):  # two different splits, the demo's recipe
        tn.manual_seed(seed)
        x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.2, seed=seed, stratify=y)
        scaler = StandardScaler().fit(x_tr)
        model = _mlp(64, 256, 10, act=nn.ReLU)
        tn.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-3),
               DataLoader((scaler.transform(x_tr), y_tr), batch_size=32, shuffle=True), epochs=20,
               progress=False)
        predicted = tn.predict(model, scaler.transform(x_te)).numpy().argmax(axis=1)
        assert accuracy(y_te, predicted) >= 0.96, f"split seed {seed}"


def _run(seed, dropout=True):
    tn.manual_seed(seed)
    x, y = make_moons(120, noise=0.2)  # from tinynn's generator too
    layers = [nn.Linear(2, 16), nn.ReLU()] + ([nn.Dropout(0.2)] if dropout else []) + [nn.Linear(16, 2)]
    model = nn.Sequential(*layers)
    return tn.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
                  DataLoader((x, y), batch_size=16, shuffle=True), epochs=3, progress=False)["loss"]


def test_manual_seed_reproduces_every_loss_exactly():
    first, again, other = _run(7), _run(7), _run(8)
    assert first == again  # data, init, dropout masks and shuffling all drawn from the seed
    assert first != other


def test_progress_false_prints_nothing_and_progress_true_shows_the_loss(capsys):
    x, y = make_xor(40, seed=0)
    model = _mlp(2, 4, 2)
    tn.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
           DataLoader((x, y), batch_size=8), epochs=2, progress=False)
    out, err = capsys.readouterr()
    assert out == "" and err == ""
    tn.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
           DataLoader((x, y), batch_size=8), epochs=2, progress=True)
    out, err = capsys.readouterr()
    assert out == "" and "epoch 2/2" in err and "loss=" in err


def _segments(text):
    """What a log viewer shows as lines: tqdm redraws with \r, lines end with \n."""
    return [part for part in re.split(r"[\r\n]", text) if part.strip()]


def test_progress_in_a_log_is_one_line_per_epoch_not_one_per_batch(capsys):
    # capsys's stderr is not a terminal, as a log file, a pipe or CI is not
    x, y = make_xor(200, seed=0)
    model = _mlp(2, 4, 2)
    history = tn.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                     DataLoader((x, y), batch_size=2), epochs=3, val_loader=DataLoader((x, y), batch_size=50))
    out, err = capsys.readouterr()
    lines = _segments(err)
    assert out == "" and len(lines) == 3, lines[:5]  # 3 epochs of 100 batches: 3 lines, not 300
    for epoch, line in enumerate(lines, 1):
        assert line.startswith(f"epoch {epoch}/3: 100/100 batch")
        shown = dict(item.split("=") for item in line.split("] ", 1)[1].split(", "))
        assert shown == {k: f"{history[k][epoch - 1]:.4f}" for k in ("loss", "accuracy", "val_loss", "val_accuracy")}


def test_progress_into_a_real_pipe_is_one_line_per_epoch(tmp_path):
    import os
    import pathlib
    import subprocess
    import sys

    root = pathlib.Path(__file__).resolve().parents[1]
    code = ("import tinynn as tn; from tinynn import nn, optim; from tinynn.data import DataLoader, make_xor\n"
            "x, y = make_xor(120, seed=0); m = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 2))\n"
            "tn.fit(m, nn.CrossEntropyLoss(), optim.SGD(m.parameters(), lr=0.1), DataLoader((x, y), batch_size=1),"
            " epochs=4)\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = _segments(result.stderr)
    assert [line.split(":")[0] for line in lines] == [f"epoch {e}/4" for e in range(1, 5)], lines[:6]
    assert all("120/120 batch" in line and "loss=" in line for line in lines)


def test_progress_on_a_terminal_is_a_tqdm_bar_redrawn_in_place(monkeypatch):
    import io

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    x, y = make_xor(40, seed=0)
    model = _mlp(2, 4, 2)
    tn.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
           DataLoader((x, y), batch_size=8), epochs=1)
    text = terminal.getvalue()
    assert "\r" in text and "epoch 1/1" in text and "5/5" in text and "|" in text  # tqdm's bar, redrawn


def test_progress_bar_lines_spreads_a_long_run_over_a_few_lines():
    import io

    from tinynn.progress import progress_bar

    log = io.StringIO()
    seen = 0
    for step in progress_bar(range(1000), unit="step", file=log, lines=10):
        seen += 1
    assert seen == 1000
    counts = [line.split(" ")[0] for line in _segments(log.getvalue())]
    assert counts == [f"{100 * k}/1000" for k in range(1, 11)]
    quiet = io.StringIO()
    assert sum(1 for _ in progress_bar(range(5), file=quiet, disable=True)) == 5 and quiet.getvalue() == ""


def test_regression_without_metrics_and_with_a_scheduler():
    x, y = make_regression(200, 2, noise=0.1, seed=0)
    model = nn.Linear(2, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    history = tn.fit(model, nn.MSELoss(), opt, DataLoader((x, y), batch_size=20), epochs=5, metrics=(),
                     scheduler=optim.StepLR(opt, step_size=2, gamma=0.5), progress=False)
    assert set(history) == {"loss", "lr"}
    assert history["lr"] == [0.1, 0.05, 0.05, 0.025, 0.025]
    assert history["loss"][-1] < 0.05  # noise variance 0.01: the fit is close to the truth


def test_default_metrics_skip_accuracy_for_regression_and_keep_it_for_classification():
    # a regression (MSELoss, or any loss with float targets) gets no accuracy by default: the
    # "accuracy" of thresholded real-valued outputs against truncated targets means nothing
    x, y = make_regression(40, 2, noise=0.1, seed=0)
    model = nn.Linear(2, 1)
    loader = DataLoader((x, y), batch_size=20)
    history = tn.fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), loader, epochs=2,
                     val_loader=loader, progress=False)
    assert set(history) == {"loss", "val_loss"}
    assert set(tn.evaluate(model, nn.MSELoss(), loader)) == {"loss"}
    custom = lambda out, target: ((out - target) ** 2).mean()  # noqa: E731 - an unknown loss
    assert set(tn.evaluate(model, custom, loader)) == {"loss"}  # float targets: regression
    assert set(tn.evaluate(model, None, loader)) == set()
    # classification keeps accuracy: class indices, and float 0/1 targets of the BCE losses
    xc, yc = make_xor(40, noise=0.1, seed=0)
    assert set(tn.evaluate(nn.Linear(2, 2), nn.CrossEntropyLoss(), DataLoader((xc, yc), batch_size=20))) == {
        "loss", "accuracy"}
    yf = yc.astype("float32").reshape(-1, 1)
    binary = DataLoader((xc, yf), batch_size=20)
    assert set(tn.evaluate(nn.Linear(2, 1), nn.BCEWithLogitsLoss(), binary)) == {"loss", "accuracy"}
    wrapped = lambda out, target: nn.CrossEntropyLoss()(out, target)  # noqa: E731
    assert set(tn.evaluate(nn.Linear(2, 2), wrapped, DataLoader((xc, yc), batch_size=20))) == {
        "loss", "accuracy"}  # an unknown loss with integer targets: classification
    # asking for accuracy explicitly still gets it
    assert "accuracy" in tn.evaluate(model, nn.MSELoss(), loader, metrics=("accuracy",))


def test_custom_and_named_metrics():
    x, y = make_xor(80, noise=0.1, seed=0)
    model = _mlp(2, 8, 2)

    def always_one(y_true, y_pred):
        return 1.0

    result = tn.evaluate(model, None, DataLoader((x, y), batch_size=16),
                         metrics=("accuracy", "f1", always_one, ("half", lambda t, p: 0.5)))
    assert set(result) == {"accuracy", "f1", "always_one", "half"} and result["half"] == 0.5


def test_evaluate_and_predict_use_eval_mode_and_restore_it():
    model = nn.Sequential(nn.Linear(3, 8), nn.Dropout(0.5), nn.Linear(8, 2))
    x = np.random.default_rng(0).normal(size=(50, 3)).astype("float32")
    full = tn.predict(model, x, batch_size=7)
    assert model.training and full.shape == (50, 2) and not full.requires_grad
    model.eval()
    with tn.no_grad():
        expected = model(tn.tensor(x)).numpy()
    np.testing.assert_allclose(full.numpy(), expected, rtol=1e-6)  # dropout was off, batches agree
    model.train()
    tn.evaluate(model, nn.CrossEntropyLoss(), DataLoader((x, np.zeros(50, "int64")), batch_size=10))
    assert model.training


def test_divergence_stops_training_with_a_warning():
    x, y = make_regression(50, 1, seed=0)
    model = nn.Linear(1, 1)
    with pytest.warns(RuntimeWarning, match="learning rate"), np.errstate(all="ignore"):
        history = tn.fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=1e30),
                         DataLoader((x, y * 1e20), batch_size=10), epochs=50, metrics=(), progress=False)
    assert history.epochs < 50 and not np.isfinite(history["loss"][-1])


def test_bad_arguments_are_clear():
    x, y = make_xor(8, seed=0)
    model = _mlp(2, 4, 2)
    args = (model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(ValueError, match="epochs"):
        tn.fit(*args, DataLoader((x, y)), epochs=0)
    with pytest.raises(ValueError, match="unknown metric"):
        tn.fit(*args, DataLoader((x, y)), metrics=("auc",), progress=False)
    with pytest.raises(ValueError, match=r"\(inputs, targets\)"):
        tn.fit(*args, DataLoader((x,)), progress=False)
    with pytest.raises(ValueError, match="no batches"):
        tn.fit(*args, DataLoader((x, y), batch_size=9, drop_last=True), progress=False)



def test_a_one_shot_iterator_or_an_empty_iterable_is_refused_not_scored_as_loss_zero(device):
    x, y = make_xor(16, seed=0)
    model = _mlp(2, 4, 2).to(device)
    before = [host.copy() for host in (backend.to_host(p.data) for p in model.parameters())]
    opt = optim.SGD(model.parameters(), lr=0.1)
    batches = [(tn.tensor(x[i:i + 8]), tn.tensor(y[i:i + 8])) for i in (0, 8)]
    # a generator is used up by epoch 1: epochs 2.. used to record loss 0.0 without training
    with pytest.raises(TypeError, match="one-shot generator"):
        tn.fit(model, nn.CrossEntropyLoss(), opt, (b for b in batches), epochs=3, progress=False)
    with pytest.raises(TypeError, match="val_loader is a one-shot"):
        tn.fit(model, nn.CrossEntropyLoss(), opt, batches, epochs=2, val_loader=iter(batches),
               progress=False)
    assert all(np.array_equal(backend.to_host(p.data), b) for p, b in zip(model.parameters(), before))
    with pytest.raises(ValueError, match="no batches"):
        tn.fit(model, nn.CrossEntropyLoss(), opt, iter([]), epochs=1, progress=False)
    with pytest.raises(ValueError, match="no batches"):
        tn.evaluate(model, nn.CrossEntropyLoss(), iter([]))
    # one epoch over a generator, and a list of batches over many epochs, still work
    assert tn.fit(model, nn.CrossEntropyLoss(), opt, (b for b in batches), progress=False).epochs == 1
    history = tn.fit(model, nn.CrossEntropyLoss(), opt, batches, epochs=2, progress=False)
    assert history.epochs == 2 and min(history["loss"]) > 0

def test_fit_is_exported_and_train_uses_only_backend_numpy():
    import pathlib
    assert tn.fit is not None and tn.evaluate is not None and tn.predict is not None
    src = (pathlib.Path(tn.__file__).parent / "train.py").read_text()
    assert "import numpy" not in src and backend.numpy is np
