"""Callbacks for ``tn.fit``: code that runs at fixed points of the training loop (Keras' shape).

``fit(..., callbacks=[...])`` calls, in this order::

    on_train_begin(logs)
    for every epoch:   on_epoch_begin(epoch, logs)
        for every batch:   on_batch_begin(batch, logs) ... step ... on_batch_end(batch, logs)
        on_epoch_end(epoch, logs)        # logs: this epoch's {"loss", "val_loss", "accuracy", ...}
    on_train_end(logs)

``epoch`` and ``batch`` count from 0 (as in Keras). Before training, ``fit`` calls
``set_context(model, optimizer)`` so a callback can reach ``self.model`` and
``self.optimizer``. A callback ends training by setting ``self.stop_training = True``
(Keras sets ``model.stop_training``; here the flag lives on the callback). Values a callback
writes into ``logs`` in ``on_epoch_end`` (e.g. ``"lr"``) are recorded in the History.

>>> import tinynn as tn
>>> from tinynn import nn, optim
>>> from tinynn.data import DataLoader, make_xor
>>> class CountEpochs(Callback):
...     def on_train_begin(self, logs=None):
...         self.seen = []
...     def on_epoch_end(self, epoch, logs=None):
...         self.seen.append(epoch)
>>> counter = CountEpochs()
>>> x, y = make_xor(64, seed=0)
>>> model = nn.Linear(2, 2)
>>> _ = tn.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
...            DataLoader((x, y), batch_size=32), epochs=3, callbacks=[counter], progress=False)
>>> counter.seen
[0, 1, 2]
"""
from __future__ import annotations

import math
import os

from tinynn import backend

__all__ = ["Callback", "EarlyStopping", "ModelCheckpoint", "ReduceLROnPlateau", "LambdaCallback",
           "CallbackList"]


class Callback:
    """Base class: every hook does nothing; override the ones you need.

    >>> Callback().on_epoch_end(0, {"loss": 1.0}) is None
    True
    """

    model = None
    optimizer = None
    stop_training = False

    def set_context(self, model, optimizer):
        """Called by ``fit`` before training: the model and optimizer being trained."""
        self.model, self.optimizer = model, optimizer

    def on_train_begin(self, logs=None):
        """Before the first epoch."""

    def on_train_end(self, logs=None):
        """After the last epoch (also after an early stop)."""

    def on_epoch_begin(self, epoch, logs=None):
        """Before epoch ``epoch`` (0-based)."""

    def on_epoch_end(self, epoch, logs=None):
        """After epoch ``epoch``'s training and validation; ``logs`` holds its numbers."""

    def on_batch_begin(self, batch, logs=None):
        """Before batch ``batch`` (0-based within the epoch)."""

    def on_batch_end(self, batch, logs=None):
        """After the optimizer step of batch ``batch``; ``logs = {"loss": batch loss, "size": n}``."""


class LambdaCallback(Callback):
    """A callback from functions, e.g. ``LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch))``.

    >>> cb = LambdaCallback(on_epoch_end=lambda epoch, logs: logs.update(seen=True))
    >>> logs = {}; cb.on_epoch_end(0, logs); logs
    {'seen': True}
    """

    _HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_batch_begin",
              "on_batch_end")

    def __init__(self, **hooks):
        unknown = sorted(set(hooks) - set(self._HOOKS))
        if unknown:
            raise TypeError(f"LambdaCallback: unknown hook(s) {unknown}; the hooks are {list(self._HOOKS)}")
        for name, fn in hooks.items():
            setattr(self, name, fn)


class CallbackList(Callback):
    """Several callbacks called in order, as one (what ``fit`` uses internally).

    >>> cbs = CallbackList([EarlyStopping(patience=1)])
    >>> cbs.stop_training
    False
    """

    def __init__(self, callbacks=()):
        if callbacks is None:
            callbacks = ()
        if isinstance(callbacks, Callback):
            callbacks = (callbacks,)
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"fit: callbacks must be tinynn.callbacks.Callback instances, got "
                                f"{type(cb).__name__}; subclass Callback or use LambdaCallback(on_epoch_end=...)")

    @property
    def stop_training(self):
        return any(getattr(cb, "stop_training", False) for cb in self.callbacks)

    def set_context(self, model, optimizer):
        for cb in self.callbacks:
            cb.stop_training = False  # a callback reused for a second fit starts afresh
            cb.set_context(model, optimizer)

    def _call(self, hook, *args):
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._call("on_epoch_end", epoch, logs)

    def on_batch_begin(self, batch, logs=None):
        self._call("on_batch_begin", batch, logs)

    def on_batch_end(self, batch, logs=None):
        self._call("on_batch_end", batch, logs)


# --------------------------------------------------------------------------- monitoring helpers
def _resolve_mode(where, mode, monitor):
    """"min" or "max"; "auto" is "max" for accuracy-like names (Keras' rule), else "min"."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{where}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode == "auto":
        name = monitor[4:] if monitor.startswith("val_") else monitor
        higher_is_better = ("acc" in name or name in ("precision", "recall", "f1") or name.startswith("auc"))
        return "max" if higher_is_better else "min"
    return mode


def _improved(mode, current, best, min_delta):
    """Better than ``best`` by more than ``min_delta`` (absolute, as Keras)."""
    if best is None:
        return True
    return current < best - min_delta if mode == "min" else current > best + min_delta


def _read(where, monitor, logs):
    if not logs or monitor not in logs:
        available = sorted(logs or ())
        hint = " (pass val_loader to fit to get val_* values)" if monitor.startswith("val_") else ""
        raise ValueError(f"{where}: monitor={monitor!r} is not among this epoch's values {available}{hint}")
    return float(logs[monitor])


def _check_common(where, monitor, min_delta, patience):
    if not isinstance(monitor, str):
        raise TypeError(f"{where}: monitor must be the name of a logged value such as 'val_loss', got {monitor!r}")
    if not (isinstance(min_delta, (int, float)) and min_delta >= 0):
        raise ValueError(f"{where}: min_delta must be a number >= 0, got {min_delta!r}")
    if not (isinstance(patience, int) and not isinstance(patience, bool) and patience >= 0):
        raise ValueError(f"{where}: patience must be an int >= 0, got {patience!r}")


def _snapshot(model):
    """A copy of every array of the model's state dict (independent of later updates)."""
    return {k: (v.clone() if hasattr(v, "clone") else v.copy()) for k, v in model.state_dict().items()}


# --------------------------------------------------------------------------- the callbacks
class EarlyStopping(Callback):
    """Stop training when ``monitor`` has not improved by more than ``min_delta`` for
    ``patience`` epochs in a row (Keras' ``EarlyStopping``).

    ``mode="auto"`` minimises losses and maximises accuracy-like values (names containing
    "acc", precision, recall, f1). With ``restore_best_weights=True`` the model ends with the
    weights of its best epoch (Keras 3 restores them whether or not training stopped early).
    After training: ``best``, ``best_epoch`` (0-based) and ``stopped_epoch`` (None if all
    epochs ran).

    >>> stop = EarlyStopping(monitor="val_loss", patience=2)
    >>> stop.set_context(None, None); stop.on_train_begin()
    >>> for epoch, v in enumerate([1.0, 0.5, 0.6, 0.7, 0.4]):
    ...     stop.on_epoch_end(epoch, {"val_loss": v})
    ...     if stop.stop_training: break
    >>> stop.best, stop.best_epoch, stop.stopped_epoch
    (0.5, 1, 3)
    """

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, mode="auto", restore_best_weights=False,
                 baseline=None):
        where = "EarlyStopping"
        _check_common(where, monitor, min_delta, patience)
        self.monitor, self.min_delta, self.patience = monitor, float(min_delta), patience
        self.mode = _resolve_mode(where, mode, monitor)
        self.restore_best_weights, self.baseline = bool(restore_best_weights), baseline

    def on_train_begin(self, logs=None):
        self.wait, self.best, self.best_epoch, self.stopped_epoch = 0, self.baseline, None, None
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        current = _read("EarlyStopping", self.monitor, logs)
        if math.isfinite(current) and _improved(self.mode, current, self.best, self.min_delta):
            self.best, self.best_epoch, self.wait = current, epoch, 0
            if self.restore_best_weights and self.model is not None:
                self.best_weights = _snapshot(self.model)
            return
        self.wait += 1
        if self.wait >= max(self.patience, 1):  # Keras: patience non-improving epochs, then stop
            self.stopped_epoch, self.stop_training = epoch, True

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_weights is not None and self.model is not None:
            self.model.load_state_dict(self.best_weights)


_EXTRA_FORMAT = "tinynn.ModelCheckpoint"  # marks a checkpoint holding weights *and* extra


def _check_plain(value, where, seen=None, depth=0):
    """Refuse what a checkpoint cannot hold as plain data, naming where it sits in ``extra``.

    Plain data: None, bool, int, float, str, NumPy arrays and scalars (not object arrays),
    Tensors (saved as arrays), and lists, tuples and dicts (str or int keys) of them.
    Loading such a file never runs code (tn.load reads arrays and JSON only)."""
    from tinynn.tensor import Tensor

    _np = backend.numpy

    if depth > 100:
        raise ValueError(f"ModelCheckpoint: extra is nested more than 100 levels deep at {where} (a cycle?)")
    if value is None or isinstance(value, (bool, int, float, str, Tensor, _np.generic)):
        return
    if hasattr(value, "__array__") and hasattr(value, "dtype") and hasattr(value, "shape"):  # NumPy/CuPy arrays
        if getattr(value.dtype, "hasobject", False):
            raise TypeError(f"ModelCheckpoint: extra{where} is an object array ({value.dtype}); only numeric, "
                            "bool and string arrays are plain data (convert it, e.g. np.asarray(v, dtype=str))")
        return
    seen = set() if seen is None else seen
    if isinstance(value, (dict, list, tuple)):
        if id(value) in seen:
            raise ValueError(f"ModelCheckpoint: extra{where} contains itself (a reference cycle)")
        seen.add(id(value))
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, (str, int)) or isinstance(key, bool):
                    raise TypeError(f"ModelCheckpoint: extra{where} has the key {key!r}; keys must be str or int")
                _check_plain(item, f"{where}[{key!r}]", seen, depth + 1)
        else:
            for i, item in enumerate(value):
                _check_plain(item, f"{where}[{i}]", seen, depth + 1)
        seen.discard(id(value))
        return
    hint = " (use a list)" if isinstance(value, (set, frozenset)) else \
        " (store the numbers it holds, e.g. scaler.mean_ and scaler.scale_, and rebuild it after loading)"
    raise TypeError(f"ModelCheckpoint: extra{where} is a {type(value).__name__}, which is not plain data{hint}; "
                    "extra may hold numbers, strings, None, arrays and lists/tuples/dicts of them, so that "
                    "loading the checkpoint never runs code")


class ModelCheckpoint(Callback):
    """Save the model's ``state_dict`` with ``tn.save`` (atomic: a crash never leaves a
    half-written file) after an epoch that improves ``monitor`` (``save_best_only=True``),
    or after every epoch. ``filepath`` may hold Keras-style fields:
    ``"ckpt-{epoch:02d}-{val_loss:.3f}.npz"`` (``epoch`` counts from 1 in the name, as Keras).
    After training: ``best``, ``best_epoch`` (0-based) and ``last_saved`` (the path).

    ``extra`` (a dict of plain data: numbers, strings, lists, dicts, arrays) is stored in
    the checkpoint next to the weights, for what an inference script needs besides them:
    the preprocessing statistics, the class names, the input shape. Anything else (a
    function, a scaler object) is refused at construction, since loading must never run
    code. Without ``extra`` the file is the bare ``state_dict`` (``model.load_state_dict(
    tn.load(path))`` works); with it, ``{"format", "state_dict", "extra", "epoch"}``.
    ``ModelCheckpoint.load(path, model)`` reads either layout and returns
    ``(state_dict, extra)``.

    >>> import os, tempfile
    >>> from tinynn import nn
    >>> path = os.path.join(tempfile.mkdtemp(), "best.npz")
    >>> ckpt = ModelCheckpoint(path, extra={"classes": ["cat", "dog"], "mean": [0.5, 0.1]})
    >>> ckpt.set_context(nn.Linear(2, 1), None); ckpt.on_train_begin()
    >>> for epoch, v in enumerate([0.9, 0.4, 0.6]):
    ...     ckpt.on_epoch_end(epoch, {"val_loss": v})
    >>> ckpt.best_epoch, os.path.isfile(ckpt.last_saved)
    (1, True)
    >>> state, extra = ModelCheckpoint.load(path, nn.Linear(2, 1))   # weights loaded into the new model
    >>> extra["classes"], sorted(state)
    (['cat', 'dog'], ['bias', 'weight'])
    """

    def __init__(self, filepath, monitor="val_loss", mode="auto", save_best_only=True, min_delta=0.0,
                 extra=None):
        where = "ModelCheckpoint"
        if not isinstance(filepath, (str, os.PathLike)):
            raise TypeError(f"{where}: filepath must be a path, got {type(filepath).__name__}")
        _check_common(where, monitor, min_delta, 0)
        if extra is not None and not isinstance(extra, dict):
            raise TypeError(f"{where}: extra must be a dict such as {{'classes': [...], 'mean': [...]}}, "
                            f"got {type(extra).__name__}")
        _check_plain(extra, "")  # refused now, not after the first epoch's training
        self.filepath, self.monitor, self.min_delta = os.fspath(filepath), monitor, float(min_delta)
        self.mode, self.save_best_only = _resolve_mode(where, mode, monitor), bool(save_best_only)
        self.extra = dict(extra or {})  # saved next to the weights, e.g. {"classes": [...], "mean": ...}

    def on_train_begin(self, logs=None):
        self.best, self.best_epoch, self.last_saved = None, None, None

    def on_epoch_end(self, epoch, logs=None):
        from tinynn.io import save  # io is light; imported here to keep callbacks import-cheap

        logs = logs or {}
        improved = False
        if self.save_best_only or self.monitor in logs:
            current = _read("ModelCheckpoint", self.monitor, logs)
            improved = math.isfinite(current) and _improved(self.mode, current, self.best, self.min_delta)
            if improved:
                self.best, self.best_epoch = current, epoch
        if self.save_best_only and not improved:
            return
        path = self.filepath.format(epoch=epoch + 1, **logs)
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        state = self.model.state_dict()
        if self.extra:
            _check_plain(self.extra, "")  # it may have been changed since construction
            state = {"format": _EXTRA_FORMAT, "state_dict": state, "extra": self.extra, "epoch": epoch}
        save(state, path)
        self.last_saved = path

    @staticmethod
    def load(path, model=None, strict=True, map_location=None):
        """``(state_dict, extra)`` from a checkpoint written by ``ModelCheckpoint`` (``extra``
        is ``{}`` for a bare state dict). With ``model``, its weights are loaded into it
        (``strict`` as in ``load_state_dict``). Runs no code: ``tn.load`` reads arrays and
        JSON only. Arrays come back as NumPy arrays, tuples and lists as saved.

        >>> import os, tempfile
        >>> import tinynn as tn
        >>> from tinynn import nn
        >>> path = os.path.join(tempfile.mkdtemp(), "w.npz")
        >>> tn.save(nn.Linear(3, 1).state_dict(), path)          # a bare state dict
        >>> ModelCheckpoint.load(path, nn.Linear(3, 1))[1]
        {}
        """
        from tinynn.io import load

        ckpt = load(path, map_location=map_location)
        if isinstance(ckpt, dict) and ckpt.get("format") == _EXTRA_FORMAT:
            state, extra = ckpt["state_dict"], ckpt["extra"]
        elif isinstance(ckpt, dict):
            state, extra = ckpt, {}
        else:
            raise ValueError(f"ModelCheckpoint.load({os.fspath(path)!r}): the file holds a "
                             f"{type(ckpt).__name__}, not a state dict or a ModelCheckpoint checkpoint")
        if model is not None:
            model.load_state_dict(state, strict=strict)
        return state, extra


class ReduceLROnPlateau(Callback):
    """Multiply every parameter group's lr by ``factor`` when ``monitor`` has not improved by
    more than ``min_delta`` for ``patience`` epochs (Keras' ``ReduceLROnPlateau``; PyTorch
    has the same idea as ``torch.optim.lr_scheduler.ReduceLROnPlateau``, stepped with the
    metric). After a reduction, ``cooldown`` epochs pass before counting again; lr never
    goes below ``min_lr``. The lr of group 0 is written into the epoch's logs as ``"lr"``.

    >>> from tinynn import nn, optim
    >>> opt = optim.SGD(nn.Linear(1, 1).parameters(), lr=1.0)
    >>> plateau = ReduceLROnPlateau(factor=0.5, patience=1)
    >>> plateau.set_context(None, opt); plateau.on_train_begin()
    >>> for epoch, v in enumerate([1.0, 1.0, 1.0]):   # no improvement in epochs 1 and 2: two halvings
    ...     plateau.on_epoch_end(epoch, {"val_loss": v})
    >>> opt.param_groups[0]["lr"], plateau.reductions
    (0.25, [1, 2])
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, mode="auto", min_delta=1e-4, cooldown=0,
                 min_lr=0.0):
        where = "ReduceLROnPlateau"
        _check_common(where, monitor, min_delta, patience)
        if not (isinstance(factor, (int, float)) and 0 < factor < 1):
            raise ValueError(f"{where}: factor must be in (0, 1), got {factor!r} (0.1 divides lr by 10)")
        self.monitor, self.factor, self.patience = monitor, float(factor), patience
        self.mode, self.min_delta = _resolve_mode(where, mode, monitor), float(min_delta)
        self.cooldown, self.min_lr = int(cooldown), float(min_lr)

    def on_train_begin(self, logs=None):
        if self.optimizer is None or not hasattr(self.optimizer, "param_groups"):
            raise TypeError("ReduceLROnPlateau: needs an optimizer with param_groups (fit passes its optimizer)")
        self.wait, self.cooldown_counter, self.best, self.reductions = 0, 0, None, []

    def on_epoch_end(self, epoch, logs=None):
        current = _read("ReduceLROnPlateau", self.monitor, logs)
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if _improved(self.mode, current, self.best, self.min_delta):
            self.best, self.wait = current, 0
        elif self.cooldown_counter == 0:
            self.wait += 1
            if self.wait >= self.patience:
                for group in self.optimizer.param_groups:
                    group["lr"] = max(group["lr"] * self.factor, self.min_lr)
                self.reductions.append(epoch)
                self.cooldown_counter, self.wait = self.cooldown, 0
        if logs is not None:
            logs["lr"] = float(self.optimizer.param_groups[0]["lr"])
