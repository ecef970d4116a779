"""Look inside a network while it trains: gradient flow, activation histograms, and the
decision boundary as training goes on.

A ``Recorder`` is a notebook you write into at each step and draw from at the end:

>>> import tinynn as tn, tinynn.functional as F
>>> w = tn.randn(3, 2, requires_grad=True)
>>> rec = Recorder({"layer1.weight": w})
>>> for step in range(3):
...     h = F.tanh(F.linear(tn.randn(8, 2), w))
...     rec.record_activations(step, hidden=h)          # what the layer outputs
...     (h * h).mean().backward()
...     rec.record_grads(step)                          # after backward, before zero_grad
...     w.grad = None
>>> sorted(rec.grad_stats["layer1.weight"])
['max', 'mean']
>>> fig = rec.plot_gradient_flow()
"""
from __future__ import annotations

from tinynn import backend
from tinynn.modes import no_grad
from tinynn.tensor import Tensor
from tinynn.viz._mpl import finish, new_axes, pyplot

np = backend.numpy  # host-only module: everything here is copied off the device first


def _named(parameters):
    """A Module, a dict name -> Tensor, or an iterable of (name, Tensor) / Tensors."""
    if parameters is None:
        return []
    if hasattr(parameters, "named_parameters"):
        return list(parameters.named_parameters())
    if isinstance(parameters, dict):
        return list(parameters.items())
    items = list(parameters)
    return [(item if isinstance(item, tuple) else (getattr(item, "name", None) or f"param{i}", item))
            for i, item in enumerate(items)]


class Recorder:
    """Collects per-step statistics; the ``plot_*`` methods draw them.

    ``parameters``: a Module (its ``named_parameters()``), a dict name -> Tensor, or a list.
    ``weights_only`` keeps only parameters whose name does not end in "bias" in the
    gradient-flow picture (biases have a different scale and clutter it).
    ``max_values`` caps how many activation values are kept per record (a random sample).

    >>> import tinynn as tn
    >>> from tinynn import nn
    >>> model = nn.Linear(2, 1)
    >>> rec = Recorder(model)
    >>> model(tn.ones(4, 2)).sum().backward()
    >>> rec.record_grads()                   # after backward, before zero_grad
    >>> rec.grad_stats["weight"]["max"]      # d(sum)/dw = 4 rows of ones
    [4.0]
    """

    def __init__(self, parameters=None, weights_only=False, max_values=5000, seed=0):
        self.parameters = _named(parameters)
        self.weights_only = weights_only
        self.max_values = max_values
        self._rng = np.random.default_rng(seed)
        self.grad_steps = []
        self.grad_stats = {}  # name -> {"mean": [...], "max": [...]}
        self.activations = {}  # name -> [(step, sample of values)]
        self.boundaries = []  # [(step, xx, yy, predicted class grid)]
        self.points = None  # the (x, y) the boundaries were drawn for

    # ------------------------------------------------------------------ recording
    def record_grads(self, step=None, parameters=None):
        """Mean and max |grad| of every parameter (call after backward, before zero_grad).

        Parameters without a gradient yet are recorded as NaN, so the curves stay aligned.
        """
        named = _named(parameters) if parameters is not None else self.parameters
        if not named:
            raise ValueError("Recorder.record_grads: no parameters: pass a model, a dict or a list "
                             "to Recorder(...) or to record_grads(parameters=...)")
        self.grad_steps.append(len(self.grad_steps) if step is None else step)
        for name, p in named:
            if self.weights_only and name.endswith("bias"):
                continue
            stats = self.grad_stats.setdefault(name, {"mean": [], "max": []})
            if p._grad is None:
                stats["mean"].append(float("nan"))
                stats["max"].append(float("nan"))
                continue
            g = np.abs(backend.to_host(p._grad))
            stats["mean"].append(float(g.mean()))
            stats["max"].append(float(g.max()))

    def record_activations(self, step=None, **named_outputs):
        """Keep a sample of each named output's values, e.g. ``record_activations(5, hidden=h)``."""
        for name, value in named_outputs.items():
            values = backend.to_host(value).reshape(-1)
            if values.size > self.max_values:
                values = self._rng.choice(values, self.max_values, replace=False)
            self.activations.setdefault(name, []).append((step, values.astype("float64")))

    def record_boundary(self, predict, x, y=None, step=None, resolution=80, margin=0.5):
        """Evaluate ``predict`` on a grid covering the 2-D points ``x`` and keep the predicted
        class of every grid point. ``predict`` maps an (N, 2) Tensor to scores: (N, C) (class =
        argmax) or (N,) / (N, 1) (class = score > 0, i.e. a logit; pass probabilities - 0.5).
        The grid is built on the device of ``x``.
        """
        xs = backend.to_host(x)
        if xs.ndim != 2 or xs.shape[1] != 2:
            raise ValueError(f"Recorder.record_boundary: x must be (N, 2) points, got shape {xs.shape}")
        lo, hi = xs.min(axis=0) - margin, xs.max(axis=0) + margin
        xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
        grid = np.stack([xx.ravel(), yy.ravel()], axis=1).astype(xs.dtype if xs.dtype.kind == "f" else "float32")
        device = x.device if isinstance(x, Tensor) else "cpu"
        with no_grad():
            scores = backend.to_host(predict(Tensor(grid, device=device)))
        if scores.ndim == 2 and scores.shape[1] > 1:
            classes = scores.argmax(axis=1)
        else:
            classes = (scores.reshape(-1) > 0).astype("int64")
        self.boundaries.append((step, xx, yy, classes.reshape(xx.shape)))
        self.points = (xs, None if y is None else backend.to_host(y).reshape(-1))

    # ------------------------------------------------------------------ pictures
    def plot_gradient_flow(self, ax=None, path=None, title="gradient flow: mean |grad| per layer", smooth=1):
        """Mean |grad| (solid) and max |grad| (faint) of each parameter against the step, log scale:
        vanishing gradients show as curves sinking towards the first layers. ``smooth`` > 1
        averages over that many steps (mini-batch gradients are noisy)."""
        if not self.grad_stats:
            raise ValueError("Recorder.plot_gradient_flow: nothing recorded; call record_grads(step) "
                             "after each backward()")
        fig, ax = new_axes(ax, figsize=(6.5, 4))
        colors = pyplot().get_cmap("viridis")
        names = list(self.grad_stats)
        for i, name in enumerate(names):
            color = colors(i / max(len(names) - 1, 1))
            stats = self.grad_stats[name]
            steps, means, maxes = self._smoothed(stats, smooth)
            ax.plot(steps, means, color=color, label=name)
            ax.plot(steps, maxes, color=color, alpha=0.3, lw=0.8)
        ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_ylabel("|grad|")
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=7, loc="best")
        return finish(fig, path)

    def _smoothed(self, stats, window):
        steps, means, maxes = np.asarray(self.grad_steps), np.asarray(stats["mean"]), np.asarray(stats["max"])
        window = int(min(max(window, 1), len(steps)))
        if window == 1:
            return steps, means, maxes
        kernel = np.ones(window) / window
        return (steps[window - 1:], np.convolve(means, kernel, mode="valid"),
                np.convolve(maxes, kernel, mode="valid"))

    def plot_gradient_bars(self, ax=None, path=None, step=-1):
        """Mean and max |grad| per parameter at one recorded step (default: the last), as bars."""
        fig, ax = new_axes(ax, figsize=(6.5, 3.5))
        names = list(self.grad_stats)
        means = [self.grad_stats[n]["mean"][step] for n in names]
        maxes = [self.grad_stats[n]["max"][step] for n in names]
        positions = np.arange(len(names))
        ax.bar(positions, maxes, color="#90caf9", label="max |grad|")
        ax.bar(positions, means, color="#1565c0", label="mean |grad|")
        ax.set_xticks(positions, names, rotation=45, ha="right", fontsize=7)
        ax.set_yscale("log")
        ax.legend(fontsize=7)
        ax.set_title(f"gradients per layer at step {self.grad_steps[step]}", fontsize=10)
        return finish(fig, path)

    def plot_activations(self, path=None, bins=40, max_records=4, log=False):
        """One panel per recorded name: histograms of its values at up to ``max_records`` steps
        (first, last and evenly between). Saturated tanh/sigmoid units pile up at the ends;
        dead ReLUs as a spike at 0. ``log`` puts the counts on a log scale."""
        if not self.activations:
            raise ValueError("Recorder.plot_activations: nothing recorded; call "
                             "record_activations(step, name=tensor)")
        plt = pyplot()
        names = list(self.activations)
        fig, axes = plt.subplots(1, len(names), figsize=(3.4 * len(names), 3), squeeze=False)
        for ax, name in zip(axes[0], names):
            records = self.activations[name]
            picks = sorted(set(np.linspace(0, len(records) - 1, min(max_records, len(records))).astype(int)))
            for k, i in enumerate(picks):
                step, values = records[i]
                ax.hist(values, bins=bins, histtype="step", lw=1.2, label=f"step {step}",
                        color=plt.get_cmap("plasma")(k / max(len(picks), 1)))
            ax.set_title(name, fontsize=10)
            if log:
                ax.set_yscale("log")
            ax.legend(fontsize=7)
        return finish(fig, path)

    def plot_boundaries(self, path=None, max_panels=4):
        """The decision regions at up to ``max_panels`` recorded steps, points on top."""
        if not self.boundaries:
            raise ValueError("Recorder.plot_boundaries: nothing recorded; call record_boundary(...)")
        plt = pyplot()
        picks = sorted(set(np.linspace(0, len(self.boundaries) - 1,
                                       min(max_panels, len(self.boundaries))).astype(int)))
        fig, axes = plt.subplots(1, len(picks), figsize=(3 * len(picks), 3), squeeze=False)
        xs, ys = self.points
        for ax, i in zip(axes[0], picks):
            step, xx, yy, classes = self.boundaries[i]
            ax.contourf(xx, yy, classes, alpha=0.3, cmap="coolwarm", levels=np.arange(classes.max() + 2) - 0.5)
            if ys is None:
                ax.scatter(xs[:, 0], xs[:, 1], c="k", s=6)
            else:
                ax.scatter(xs[:, 0], xs[:, 1], c=ys, s=6, cmap="coolwarm")
            ax.set_title(f"step {step}", fontsize=10)
            ax.set_xticks([])
            ax.set_yticks([])
        return finish(fig, path)
