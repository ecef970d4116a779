"""tinynn.viz.training: figures are produced headless (Agg) and saved where asked."""
import os

import numpy as np
import pytest

import tinynn as tn
from tinynn import nn
from tinynn.viz import plot_confusion_matrix, plot_decision_boundary, plot_history
from tinynn.viz._mpl import pyplot

pytest.importorskip("matplotlib")
plt = pyplot()  # through tinynn's lazy import, which picks Agg on a headless machine


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _is_png(path):
    return path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.skipif(bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
                         or os.environ.get("MPLBACKEND")), reason="a display or MPLBACKEND is set")
def test_matplotlib_runs_headless():
    import matplotlib
    assert matplotlib.get_backend().lower() == "agg"


def test_plot_history_draws_train_and_val_curves(tmp_path):
    history = {"loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.8, 0.7], "accuracy": [0.5, 0.7, 0.9],
               "val_accuracy": [0.4, 0.6, 0.8]}
    path = tmp_path / "sub" / "curves.png"
    fig = plot_history(history, path=path)
    assert _is_png(path)
    loss_ax, acc_ax = fig.axes
    assert loss_ax.get_title() == "loss" and acc_ax.get_title() == "accuracy"
    assert [list(line.get_ydata()) for line in loss_ax.get_lines()] == [history["loss"], history["val_loss"]]
    assert list(loss_ax.get_lines()[0].get_xdata()) == [1, 2, 3]
    with pytest.raises(KeyError, match="no curve named"):
        plot_history(history, keys=["f1"])
    with pytest.raises(ValueError, match="no per-epoch"):
        plot_history({})


def test_plot_decision_boundary_of_a_model_and_of_a_callable(tmp_path):
    x = np.array([[-1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]], dtype="float32")
    y = np.array([0, 1, 1])
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2))
    fig = plot_decision_boundary(model, tn.tensor(x), tn.tensor(y), path=tmp_path / "b.png", resolution=30)
    assert _is_png(tmp_path / "b.png") and fig.axes[0].get_title() == "decision boundary"
    assert model.training  # the mode is restored after drawing
    # one score per point: class 1 where x0 > 0.5; check the filled regions via the grid classes
    fig, ax = plt.subplots()
    out = plot_decision_boundary(lambda t: t[:, 0] - 0.5, x, y, ax=ax, resolution=11, title=None)
    assert out is fig
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        plot_decision_boundary(model, np.zeros((3, 3)), y)


def test_plot_confusion_matrix_annotates_every_cell(tmp_path):
    cm = np.array([[5, 1, 0], [0, 4, 2], [1, 0, 7]])
    fig = plot_confusion_matrix(cm, class_names=["a", "b", "c"], path=tmp_path / "cm.png")
    assert _is_png(tmp_path / "cm.png")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == [str(v) for v in cm.ravel()]
    fig = plot_confusion_matrix(cm, normalize=True)
    assert fig.axes[0].texts[0].get_text() == f"{5 / 6:.2f}"
    with pytest.raises(ValueError, match="square"):
        plot_confusion_matrix(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="class names"):
        plot_confusion_matrix(cm, class_names=["a"])
