"""Grad mode and anomaly detection: two switches, one mechanism, one value per thread.

As in PyTorch, the switches are *thread-local*: ``no_grad()`` in an evaluation thread does
not stop the training thread from recording its graph. Every context manager here is the
same idea: remember the switch, set it, put it back on the way out (also on an exception),
and each can decorate a function.

>>> import tinynn as tn
>>> x = tn.tensor([1.0], requires_grad=True)
>>> with tn.no_grad():
...     (x * 2).requires_grad
False
>>> tn.is_grad_enabled()
True
"""
from __future__ import annotations

import functools
import threading


class _Switches(threading.local):
    grad_enabled = True  # class attributes: every new thread starts from these defaults
    anomaly = False  # check every op's output and gradients for NaN/inf (slow: debugging only)
    away = False  # is either switch away from its default in this thread?


state = _Switches()
threads_away = 0  # threads with a switch away from its default. 0: every op may skip reading `state`
_lock = threading.Lock()  # (a thread-local read costs ~15x a global one, and every op needs the answer)


def _set(switch, value):
    """Set a switch in this thread, keeping ``threads_away`` right."""
    global threads_away
    setattr(state, switch, value)
    away = (not state.grad_enabled) or state.anomaly
    if away != state.away:
        with _lock:
            threads_away += 1 if away else -1
        state.away = away


def grad_enabled() -> bool:
    """The fast question every op asks: record the graph here?"""
    return threads_away == 0 or state.grad_enabled


def anomaly_enabled() -> bool:
    return threads_away != 0 and state.anomaly


class _Set:
    """Set ``state.<switch>`` to ``value`` for the duration of a ``with`` block or a call."""

    switch = value = None

    def __enter__(self):
        self._previous = getattr(state, self.switch)
        _set(self.switch, self.value)
        return self

    def __exit__(self, *exc):
        _set(self.switch, self._previous)

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)(*self._args):
                return fn(*args, **kwargs)

        return wrapper

    _args = ()


class no_grad(_Set):
    """Inside it no graph is recorded: results do not require grad (evaluation, updates).

    >>> import tinynn as tn
    >>> @tn.no_grad()
    ... def double(t):
    ...     return t * 2
    >>> double(tn.ones(1, requires_grad=True)).requires_grad
    False
    """

    switch, value = "grad_enabled", False


class enable_grad(_Set):
    """Record the graph again, e.g. inside a ``no_grad`` block.

    >>> import tinynn as tn
    >>> with tn.no_grad(), tn.enable_grad():
    ...     tn.is_grad_enabled()
    True
    """

    switch, value = "grad_enabled", True


class set_grad_enabled(_Set):
    """Grad mode on or off from a flag: ``with tn.set_grad_enabled(is_training): ...``.

    As PyTorch's, it also takes effect when called as a plain function.

    >>> import tinynn as tn
    >>> with tn.set_grad_enabled(False):
    ...     tn.is_grad_enabled()
    False
    """

    switch = "grad_enabled"

    def __init__(self, mode: bool):
        self.value, self._args = bool(mode), (mode,)
        self._previous = state.grad_enabled
        _set("grad_enabled", self.value)  # PyTorch: set_grad_enabled(False) alone switches it

    def __enter__(self):
        return self  # already set by __init__; __exit__ restores what was there before


class set_detect_anomaly(set_grad_enabled):
    """Anomaly detection on or off from a flag, as a call or a ``with`` block (PyTorch's
    ``torch.autograd.set_detect_anomaly``).

    >>> import tinynn as tn
    >>> with tn.autograd.set_detect_anomaly(True):
    ...     tn.is_anomaly_enabled()
    True
    """

    switch = "anomaly"

    def __init__(self, mode: bool, check_nan: bool = True):
        self.value, self._args = bool(mode), (mode,)
        self._previous = state.anomaly
        _set("anomaly", self.value)


class inference_mode(no_grad):
    """PyTorch's faster no_grad; in tinynn it is exactly ``no_grad`` (there is nothing more to skip).

    >>> import tinynn as tn
    >>> with tn.inference_mode():
    ...     tn.is_grad_enabled()
    False
    """

    def __init__(self, mode: bool = True):
        self.value, self._args = not mode, (mode,)


class detect_anomaly(_Set):
    """The first op whose forward output or backward gradient holds NaN or inf raises
    ``FloatingPointError``, naming the op and the line that created it.

    Slower (every op checks its arrays): switch it on while hunting a NaN, not for training.

    >>> import tinynn as tn
    >>> x = tn.tensor([-1.0, 4.0], requires_grad=True)
    >>> with tn.detect_anomaly():
    ...     x.sqrt()
    Traceback (most recent call last):
    FloatingPointError: SqrtFunction produced nan in its forward output...
    """

    switch, value = "anomaly", True


def is_grad_enabled() -> bool:
    """False inside ``no_grad`` (in this thread).

    >>> import tinynn as tn
    >>> with tn.no_grad():
    ...     tn.is_grad_enabled()
    False
    """
    return grad_enabled()


def is_anomaly_enabled() -> bool:
    """True inside ``detect_anomaly`` (in this thread).

    >>> is_anomaly_enabled()
    False
    """
    return anomaly_enabled()
