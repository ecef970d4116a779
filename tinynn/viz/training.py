"""Pictures of training: loss/metric curves, a 2-d decision boundary, a confusion matrix.

Every function returns the matplotlib Figure (show it with ``fig.show()`` or let a notebook
display it) and saves a PNG/PDF/SVG when given ``path=``.

>>> fig = plot_history({"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.7, 0.6]})
>>> [ax.get_title() for ax in fig.axes]
['loss']
"""
from __future__ import annotations

from tinynn import backend
from tinynn.modes import no_grad
from tinynn.nn.utils import model_device
from tinynn.tensor import Tensor
from tinynn.viz._mpl import finish, new_axes, pyplot

np = backend.numpy  # pictures are drawn from host copies


def plot_history(history, keys=None, path=None, title=None):
    """One panel per quantity of a ``fit`` history: training and ``val_`` curves per epoch.

    Args:
        history: a dict (or tinynn History) of per-epoch lists, e.g. ``{"loss": [...],
            "val_loss": [...], "accuracy": [...], "val_accuracy": [...]}``.
        keys: the quantities to draw (default: every key not starting with ``val_``; the
            ``val_`` twin is drawn in the same panel).
        path: save the figure there.

    >>> fig = plot_history({"loss": [0.9, 0.4], "accuracy": [0.6, 0.9], "val_accuracy": [0.5, 0.8]})
    >>> [ax.get_title() for ax in fig.axes]
    ['loss', 'accuracy']
    """
    data = {k: list(v) for k, v in dict(history).items() if hasattr(v, "__len__") and len(v)}
    if keys is None:
        keys = [k for k in data if not k.startswith("val_")]
        keys += [k[4:] for k in data if k.startswith("val_") and k[4:] not in data]  # val-only curves
    if not keys:
        raise ValueError("plot_history: the history holds no per-epoch values to draw "
                         f"(keys: {sorted(dict(history))})")
    missing = [k for k in keys if k not in data and "val_" + k not in data]
    if missing:
        raise KeyError(f"plot_history: no curve named {missing} in the history (it has {sorted(data)})")
    plt = pyplot()
    fig, axes = plt.subplots(1, len(keys), figsize=(4.5 * len(keys), 3.6), squeeze=False)
    for ax, key in zip(axes[0], keys):
        for name, style in ((key, "-"), ("val_" + key, "--")):
            if name in data:
                values = np.asarray(data[name], dtype=float)
                ax.plot(np.arange(1, len(values) + 1), values, style, marker="o", markersize=3,
                        label="validation" if name.startswith("val_") else "training")
        ax.set_title(key)
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return finish(fig, path)


def _predict_classes(model, points, threshold):
    """Class per grid point: argmax of (N, C) outputs, or output > threshold for one column."""
    training = getattr(model, "training", None)
    if training is not None and hasattr(model, "eval"):
        model.eval()  # dropout off while drawing
    try:
        with no_grad():
            out = model(Tensor(points, device=model_device(model)))
    finally:
        if training and hasattr(model, "train"):
            model.train()
    out = backend.to_host(out)
    if out.ndim == 2 and out.shape[1] > 1:
        return out.argmax(axis=1)
    return (out.reshape(-1) > threshold).astype(np.int64)


def plot_decision_boundary(model, x, y, path=None, resolution=200, threshold=0.0, margin=0.5, ax=None,
                           title="decision boundary"):
    """Colour the plane by the class a 2-input classifier predicts, with the data on top.

    Args:
        model: a Module or any callable mapping a (N, 2) Tensor to (N, C) scores (argmax is
            taken) or to one score per point (class 1 where score > ``threshold``: 0 for
            logits, use 0.5 for sigmoid probabilities).
        x, y: (N, 2) points and their labels (Tensors or arrays).
        resolution: grid points per axis.
        ax: draw into this Axes instead of a new figure.

    >>> import tinynn as tn
    >>> line = lambda t: t[:, 0] + t[:, 1]          # class 1 above the line x0 + x1 = 0
    >>> pts = np.array([[-1.0, -1.0], [1.0, 1.0]], dtype="float32")
    >>> fig = plot_decision_boundary(line, pts, np.array([0, 1]), resolution=20)
    >>> fig.axes[0].get_title()
    'decision boundary'
    """
    x, y = backend.to_host(x), backend.to_host(y).reshape(-1)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary: x must be (N, 2) points, got shape {x.shape}")
    lo, hi = x.min(axis=0) - margin, x.max(axis=0) + margin
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.stack([g0.ravel(), g1.ravel()], axis=1).astype(x.dtype if x.dtype.kind == "f" else "float32")
    classes = _predict_classes(model, grid, threshold).reshape(g0.shape)
    n_classes = int(max(classes.max(), y.max() if y.size else 0)) + 1
    fig, ax = new_axes(ax)
    levels = np.arange(n_classes + 1) - 0.5
    ax.contourf(g0, g1, classes, levels=levels, cmap="coolwarm" if n_classes == 2 else "tab10",
                alpha=0.3, vmin=-0.5, vmax=n_classes - 0.5 if n_classes == 2 else 9.5)
    ax.scatter(x[:, 0], x[:, 1], c=y, cmap="coolwarm" if n_classes == 2 else "tab10", s=14, edgecolors="k",
               linewidths=0.4, vmin=0 if n_classes == 2 else -0.5, vmax=1 if n_classes == 2 else 9.5)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("$x_0$")
    ax.set_ylabel("$x_1$")
    if title:
        ax.set_title(title)
    return finish(fig, path)


def plot_confusion_matrix(cm, class_names=None, normalize=False, path=None, ax=None, title="confusion matrix",
                          cmap="Blues"):
    """Draw a confusion matrix (rows: true class, columns: predicted), each cell annotated.

    Args:
        cm: a square matrix of counts, e.g. ``tinynn.metrics.confusion_matrix(y_true, y_pred)``.
        class_names: tick labels (default 0..K-1).
        normalize: show each row as fractions of that true class (recall on the diagonal).

    >>> fig = plot_confusion_matrix(np.array([[5, 1], [0, 4]]), class_names=["cat", "dog"])
    >>> [t.get_text() for t in fig.axes[0].get_xticklabels()]
    ['cat', 'dog']
    """
    cm = backend.to_host(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"plot_confusion_matrix: expected a square (K, K) matrix, got shape {cm.shape}")
    k = cm.shape[0]
    names = [str(c) for c in (range(k) if class_names is None else class_names)]
    if len(names) != k:
        raise ValueError(f"plot_confusion_matrix: {len(names)} class names for a {k}x{k} matrix")
    shown = cm.astype(float)
    if normalize:
        rows = shown.sum(axis=1, keepdims=True)
        shown = np.divide(shown, rows, out=np.zeros_like(shown), where=rows != 0)
    fig, ax = new_axes(ax, figsize=(1.0 + 0.55 * k, 0.8 + 0.5 * k) if k > 6 else (4.5, 4))
    image = ax.imshow(shown, cmap=cmap, vmin=0)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xticks(range(k), labels=names)
    ax.set_yticks(range(k), labels=names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    half = shown.max() / 2 if shown.size else 0
    for i in range(k):
        for j in range(k):
            text = f"{shown[i, j]:.2f}" if normalize else f"{int(cm[i, j])}"
            ax.text(j, i, text, ha="center", va="center", fontsize=8,
                    color="white" if shown[i, j] > half else "black")
    if title:
        ax.set_title(title)
    return finish(fig, path)
