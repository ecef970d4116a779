"""``fit`` / ``evaluate`` / ``predict``: the training loop, written once, in the spirit of Keras.

The hand-written loop stays the way to learn (it is all that ``fit`` does, per batch)::

    for x, y in train_loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()

``fit`` adds the bookkeeping: a progress bar per epoch (one line per epoch in a log), the mean loss and metrics per epoch
on the training data (measured on the fly, as Keras does) and on ``val_loader``, collected in
a ``History`` of per-epoch lists.

>>> import tinynn as tn
>>> from tinynn import nn, optim
>>> from tinynn.data import DataLoader, make_xor
>>> tn.manual_seed(0)
>>> x, y = make_xor(200, noise=0.1, seed=0)
>>> model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
>>> history = tn.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.05),
...                  DataLoader((x, y), batch_size=32, shuffle=True), epochs=20, progress=False)
>>> history["loss"][-1] < history["loss"][0], history["accuracy"][-1]
(True, 1.0)
"""
from __future__ import annotations

import math
import sys
import warnings

from tinynn import backend
from tinynn import metrics as _metrics
from tinynn.data import DataLoader, TensorDataset
from tinynn.modes import no_grad
from tinynn.nn.utils import model_device
from tinynn.ops import concatenate
from tinynn.progress import progress_bar
from tinynn.tensor import Tensor

np = backend.numpy  # predicted labels are gathered on the host for the metrics


class History(dict):
    """What ``fit`` returns: per-epoch lists by name, e.g. ``{"loss": [...], "val_loss": [...],
    "accuracy": [...], "val_accuracy": [...]}`` (a dict; Keras's ``history.history`` works too).

    >>> h = History(loss=[0.9, 0.5], accuracy=[0.6, 0.8])
    >>> h.epochs, h.last()
    (2, {'loss': 0.5, 'accuracy': 0.8})
    """

    @property
    def history(self):
        """The dict itself (Keras spells it ``history.history``)."""
        return self

    @property
    def epochs(self) -> int:
        """Number of epochs recorded."""
        return max((len(v) for v in self.values()), default=0)

    def last(self) -> dict:
        """The latest value of every entry."""
        return {k: v[-1] for k, v in self.items() if v}

    def __repr__(self):
        last = ", ".join(f"{k}={v:.4g}" for k, v in self.last().items())
        return f"History({self.epochs} epochs: {last})"


# --------------------------------------------------------------------------- metrics
_NAMED = {
    "accuracy": _metrics.accuracy,
    "acc": _metrics.accuracy,
    "precision": lambda t, p: _metrics.precision(t, p, average="macro"),
    "recall": lambda t, p: _metrics.recall(t, p, average="macro"),
    "f1": lambda t, p: _metrics.f1_score(t, p, average="macro"),
}


def _is_auto(metrics):
    return isinstance(metrics, str) and metrics == "auto"


def _resolve_metrics(metrics):
    """[(name, fn(y_true, y_pred) -> float)] from names, callables or (name, fn) pairs."""
    if metrics is None:
        return []
    if isinstance(metrics, str) or callable(metrics):
        metrics = (metrics,)
    resolved = []
    for m in metrics:
        if isinstance(m, str):
            if m not in _NAMED:
                raise ValueError(f"unknown metric {m!r}: use one of {sorted(_NAMED)} (precision/recall/f1 "
                                 "are macro averages), a function f(y_true, y_pred) -> float, or a (name, f) "
                                 "pair")
            resolved.append(("accuracy" if m == "acc" else m, _NAMED[m]))
        elif isinstance(m, tuple) and len(m) == 2 and callable(m[1]):
            resolved.append((str(m[0]), m[1]))
        elif callable(m):
            resolved.append((getattr(m, "__name__", "metric"), m))
        else:
            raise TypeError(f"metrics: expected names or functions, got {m!r}")
    return resolved


# the default metrics="auto": accuracy for classification, nothing for regression. What a loss
# is for is read from the loss itself (issue 11), never guessed from its class or function name:
# a ``task`` attribute ("classification" / "regression") on any loss, and for tinynn's own losses
# the loss objects themselves (a user's class that happens to be called MSELoss is not ours).
_TASKS = ("classification", "regression")


def _known_losses():
    """[(class or function, task, threshold)] for tinynn's losses, looked up by identity."""
    from tinynn import nn as _nn
    from tinynn.ops.fused import loss as _F

    table = []
    for task, threshold, names in (
            ("regression", None, ("MSELoss", "mse_loss", "L1Loss", "l1_loss", "SmoothL1Loss", "smooth_l1_loss",
                                  "HuberLoss", "huber_loss")),
            ("classification", None, ("CrossEntropyLoss", "cross_entropy", "NLLLoss", "nll_loss",
                                      "BCEWithLogitsLoss", "binary_cross_entropy_with_logits")),
            ("classification", 0.5, ("BCELoss", "binary_cross_entropy"))):
        for name in names:
            for home in (_nn, _F):
                obj = getattr(home, name, None)
                if obj is not None:
                    table.append((obj, task, threshold))
    return table


def _loss_info(loss_fn):
    """``(task, threshold)`` of a loss: its own ``task`` / ``threshold`` attributes if it has
    them, else tinynn's table (by identity / isinstance), else ``(None, None)``."""
    task = getattr(loss_fn, "task", None)
    if task is not None:
        if task not in _TASKS:
            raise ValueError(f"fit: loss_fn.task must be one of {_TASKS}, got {task!r}")
        return task, getattr(loss_fn, "threshold", None)
    for obj, known_task, threshold in _known_losses():
        if loss_fn is obj or (isinstance(obj, type) and isinstance(loss_fn, obj)):
            return known_task, threshold
    return None, None


def _auto_metrics(loss_fn, y):
    """What ``metrics="auto"`` means for this loss and a batch of targets ``y``: accuracy for a
    classification loss, none for a regression loss; for any other loss (a lambda, None), none
    when the targets are floating point (real values: accuracy would be meaningless)."""
    task, _ = _loss_info(loss_fn)
    if task == "regression":
        return []
    if task == "classification":  # BCE's float 0/1 targets are still classes
        return _resolve_metrics(("accuracy",))
    return [] if backend.is_floating(y.dtype) else _resolve_metrics(("accuracy",))


def _is_probability_loss(loss_fn):
    """BCE on probabilities (a Sigmoid output) thresholds at 0.5; everything else at 0 (logits)."""
    return _loss_info(loss_fn)[1] == 0.5


def _labels(out, loss_fn, threshold):
    """Predicted labels (host int array) from a batch of model outputs."""
    a = backend.to_host(out._data if isinstance(out, Tensor) else out)
    if a.ndim == 2 and a.shape[1] > 1:
        return a.argmax(axis=1)
    if threshold is None:
        threshold = 0.5 if _is_probability_loss(loss_fn) else 0.0
    return (a.reshape(-1) > threshold).astype(np.int64)


def _targets(y):
    a = backend.to_host(y._data if isinstance(y, Tensor) else y)
    if a.ndim == 2 and a.shape[1] > 1:  # one-hot / probability targets
        return a.argmax(axis=1)
    return a.reshape(-1).astype(np.int64) if a.dtype.kind == "f" else a.reshape(-1)


def _score(resolved, true_parts, pred_parts, prefix=""):
    if not resolved or not true_parts:
        return {}
    t, p = np.concatenate(true_parts), np.concatenate(pred_parts)
    return {prefix + name: float(fn(t, p)) for name, fn in resolved}


# --------------------------------------------------------------------------- plumbing
def _split_batch(batch, device, where):
    """``(x, y)`` Tensors on ``device`` from a loader's batch."""
    if not isinstance(batch, (tuple, list)) or len(batch) < 2:
        raise ValueError(f"{where}: each batch must be (inputs, targets), got {type(batch).__name__}"
                         f"{' of length ' + str(len(batch)) if isinstance(batch, (tuple, list)) else ''}; "
                         "build the loader as DataLoader((x, y), ...)")
    x, y = (b if isinstance(b, Tensor) else Tensor(b) for b in batch[:2])
    return x.to(device), y.to(device)


def _check_loader(loader, where, name):
    if not hasattr(loader, "__iter__"):
        raise TypeError(f"{where}: {name} must be a DataLoader (or an iterable of (x, y) batches), "
                        f"got {type(loader).__name__}")
    if hasattr(loader, "__len__") and len(loader) == 0:
        raise ValueError(f"{where}: {name} yields no batches (empty dataset, or drop_last with "
                         "batch_size larger than the dataset)")


def _check_reusable(loader, where, name, epochs):
    """A generator or iterator is used up by the first epoch: refuse it before training."""
    if epochs > 1 and iter(loader) is loader:
        raise TypeError(f"{where}: {name} is a one-shot {type(loader).__name__} (a generator or iterator), "
                        f"used up after the first of {epochs} epochs: pass a DataLoader, or a list of "
                        "(x, y) batches, which can be iterated again every epoch")


def _no_batches(where, name):
    return ValueError(f"{where}: {name} yielded no batches (an empty or already used-up iterable); "
                      "pass a DataLoader over a non-empty dataset")


def _bar(total, desc, progress):
    """A tqdm bar per epoch on a terminal; off a terminal (a log, a pipe, CI) one plain line
    per epoch when it ends, so a log grows with the epochs, not the batches."""
    return progress_bar(total=total, desc=desc, unit="batch", disable=not progress, file=sys.stderr)


def _fmt(values):
    return {k: f"{v:.4f}" for k, v in values.items()}


# --------------------------------------------------------------------------- the API
def fit(model, loss_fn, optimizer, train_loader, epochs=1, val_loader=None, metrics="auto",
        progress=True, device=None, scheduler=None, threshold=None, callbacks=None):
    """Train ``model`` for ``epochs`` passes over ``train_loader``; return a History.

    Args:
        model: an ``nn.Module`` (put in train mode each epoch).
        loss_fn: ``loss_fn(output, target)`` -> scalar Tensor, e.g. ``nn.CrossEntropyLoss()``.
        optimizer: e.g. ``optim.Adam(model.parameters(), lr=1e-3)``.
        train_loader: a DataLoader of ``(x, y)`` batches (``shuffle=True`` for SGD).
        val_loader: evaluated after every epoch into ``val_loss`` and ``val_<metric>``.
        metrics: names ("accuracy", "precision", "recall", "f1": the last three macro
            averages), functions ``f(y_true, y_pred) -> float`` or ``(name, f)`` pairs, or
            ``()`` for none. The default ``"auto"`` is accuracy for classification and nothing
            for regression: no accuracy with ``MSELoss`` (or L1/Huber losses), nor with any
            other loss whose targets are floating point, except the BCE losses (float 0/1
            targets) and CrossEntropyLoss. A loss of your own says what it is for with a
            ``task`` attribute ("classification" or "regression"; optional ``threshold``);
            tinynn's losses are recognised as objects, never by name. Predictions are the argmax of (N, C) outputs, or
            ``output > threshold`` for one output per sample (0 for logits; 0.5 after
            ``nn.BCELoss``).
        progress: a tqdm bar per epoch on stderr with the running loss when stderr is a
            terminal (or Jupyter); elsewhere (a log file, a pipe, CI) one line per epoch with
            its loss and metrics. False prints nothing.
        device: train there (the model is moved, every batch is moved); default: the model's.
        scheduler: a learning-rate schedule stepped once per epoch (its lr goes in ``"lr"``).
        callbacks: ``tinynn.callbacks.Callback`` objects (EarlyStopping, ModelCheckpoint,
            ReduceLROnPlateau, your own), called at the start/end of training, of each epoch and
            after each batch's step; any of them may stop training (``stop_training = True``).

    The loss per epoch is the mean over samples of the batch losses as they were computed
    (while the weights changed). Training stops early, with a warning, if the loss is nan/inf.

    >>> import tinynn as tn
    >>> from tinynn import nn, optim
    >>> from tinynn.data import DataLoader, make_regression
    >>> tn.manual_seed(0)
    >>> x, y = make_regression(64, 2, noise=0.1, seed=0)
    >>> model = nn.Linear(2, 1)
    >>> history = tn.fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1),
    ...                  DataLoader((x, y), batch_size=16), epochs=3, progress=False)
    >>> list(history), history["loss"][-1] < history["loss"][0]     # regression: no accuracy
    (['loss'], True)
    """
    where = "fit"
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
        raise ValueError(f"fit: epochs must be a positive int, got {epochs!r}")
    _check_loader(train_loader, where, "train_loader")
    _check_reusable(train_loader, where, "train_loader", epochs)
    if val_loader is not None:
        _check_loader(val_loader, where, "val_loader")
        _check_reusable(val_loader, where, "val_loader", epochs)
    resolved = None if _is_auto(metrics) else _resolve_metrics(metrics)  # auto: at the first batch
    from tinynn.callbacks import CallbackList  # callbacks import nothing of train: no cycle

    callbacks = CallbackList(callbacks)
    if device is not None:
        model.to(backend.check_device(device))
    device = model_device(model)
    history = History()
    total_batches = len(train_loader) if hasattr(train_loader, "__len__") else None
    callbacks.set_context(model, optimizer)
    callbacks.on_train_begin({})
    for epoch in range(1, epochs + 1):
        callbacks.on_epoch_begin(epoch - 1, {})
        model.train()
        bar = _bar(total_batches, f"epoch {epoch}/{epochs}", progress)
        loss_sum, seen, true_parts, pred_parts = 0.0, 0, [], []
        diverged = False
        try:
            for batch_index, batch in enumerate(train_loader):
                x, y = _split_batch(batch, device, where)
                callbacks.on_batch_begin(batch_index, {"size": len(x)})
                optimizer.zero_grad()
                if resolved is None:
                    resolved = _auto_metrics(loss_fn, y)
                out = model(x)
                loss = loss_fn(out, y)
                loss.backward()
                optimizer.step()
                value, n = loss.item(), len(x)
                loss_sum, seen = loss_sum + value * n, seen + n
                if resolved:
                    true_parts.append(_targets(y))
                    pred_parts.append(_labels(out, loss_fn, threshold))
                callbacks.on_batch_end(batch_index, {"loss": value, "size": n})
                bar.update(1)
                bar.set_postfix(loss=f"{loss_sum / seen:.4f}", refresh=False)
                if not math.isfinite(value):
                    diverged = True
                    break
            if not seen:
                raise _no_batches(where, "train_loader")
            epoch_values = {"loss": loss_sum / seen}
            epoch_values.update(_score(resolved, true_parts, pred_parts))
            if val_loader is not None and not diverged:
                val = evaluate(model, loss_fn, val_loader, metrics=resolved, device=device,
                               threshold=threshold)
                epoch_values.update({"val_" + k: v for k, v in val.items()})
            if scheduler is not None:
                scheduler.step()
                epoch_values["lr"] = float(optimizer.param_groups[0]["lr"])
            if not diverged:
                callbacks.on_epoch_end(epoch - 1, epoch_values)  # may add values (lr) or stop training
            for k, v in epoch_values.items():
                history.setdefault(k, []).append(v)
            bar.set_postfix(_fmt({k: v for k, v in epoch_values.items() if k != "lr"}), refresh=True)
        finally:
            bar.close()
        if diverged:
            warnings.warn(f"fit: the loss became {value} in epoch {epoch}; training stopped. Lower the "
                          "learning rate, or check the inputs (scale them) and the loss function.",
                          RuntimeWarning, stacklevel=2)
            break
        if callbacks.stop_training:
            break
    callbacks.on_train_end(history.last())
    return history


def evaluate(model, loss_fn, loader, metrics="auto", device=None, threshold=None):
    """Mean loss and metrics of ``model`` over ``loader`` in eval mode, without building a graph.

    Returns a dict such as ``{"loss": 0.21, "accuracy": 0.95}`` (``loss_fn=None`` skips the
    loss). ``metrics`` as in ``fit``: the default ``"auto"`` gives accuracy for classification
    and no metric for regression. The model's train/eval mode is restored afterwards.

    >>> import tinynn as tn
    >>> from tinynn import nn
    >>> model = nn.Linear(2, 2)
    >>> sorted(tn.evaluate(model, nn.CrossEntropyLoss(), [(tn.randn(4, 2), tn.tensor([0, 1, 1, 0]))]))
    ['accuracy', 'loss']
    """
    _check_loader(loader, "evaluate", "loader")
    resolved = None if _is_auto(metrics) else _resolve_metrics(metrics)
    device = backend.check_device(device) if device is not None else model_device(model)
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    loss_sum, seen, true_parts, pred_parts = 0.0, 0, [], []
    try:
        with no_grad():
            for batch in loader:
                x, y = _split_batch(batch, device, "evaluate")
                if resolved is None:
                    resolved = _auto_metrics(loss_fn, y)
                out = model(x)
                if loss_fn is not None:
                    loss_sum += loss_fn(out, y).item() * len(x)
                seen += len(x)
                if resolved:
                    true_parts.append(_targets(y))
                    pred_parts.append(_labels(out, loss_fn, threshold))
    finally:
        if was_training and hasattr(model, "train"):
            model.train()
    if not seen:
        raise _no_batches("evaluate", "loader")
    results = {"loss": loss_sum / seen} if loss_fn is not None else {}
    results.update(_score(resolved, true_parts, pred_parts))
    return results


def predict(model, x, batch_size=256, device=None):
    """The model's outputs for every row of ``x`` (Tensor, array or DataLoader), batch by batch,
    in eval mode without a graph; one Tensor on the model's device (``.numpy()`` for NumPy).

    >>> import tinynn as tn
    >>> from tinynn import nn
    >>> tn.predict(nn.Linear(3, 2), np.zeros((1000, 3), dtype="float32"), batch_size=300).shape
    (1000, 2)
    """
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"predict: batch_size must be a positive int, got {batch_size!r}")
    device = backend.check_device(device) if device is not None else model_device(model)
    if isinstance(x, DataLoader):
        batches = (b[0] for b in x)
    else:
        batches = (b[0] for b in DataLoader(TensorDataset(x), batch_size=batch_size))
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    outputs = []
    try:
        with no_grad():
            for xb in batches:
                outputs.append(model(xb.to(device)))
    finally:
        if was_training and hasattr(model, "train"):
            model.train()
    if not outputs:
        raise ValueError("predict: no inputs (x has no rows)")
    return outputs[0] if len(outputs) == 1 else concatenate(outputs, axis=0)
