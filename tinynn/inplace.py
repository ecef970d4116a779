"""Writing into a tensor (``x += 1``, ``x.add_(y)``, ``x[i] = v``): PyTorch's in-place rules
and the version check that keeps backward honest afterwards.

The rules: on a leaf under ``no_grad`` (how optimizers update weights) the memory is
written; on a leaf that requires grad it is an error; inside the graph the write is recorded
as a new node, and the tensor moves on to it (the node it was stays in its history for the
ops that used it before). Every write ticks a clock; an op remembers the tick it ran at, so
backward can tell when a value it saved was overwritten since, and refuse to give a wrong
gradient (PyTorch's version counter).

>>> import tinynn as tn
>>> w = tn.ones(2, requires_grad=True)
>>> with tn.no_grad():
...     w -= 0.5          # an optimizer step: the memory is written
>>> w.tolist()
[0.5, 0.5]
"""
from __future__ import annotations

import tinynn.tensor as engine
from tinynn import checks, modes


class InPlace:
    """``Tensor._write``: the one door every in-place op goes through (a mixin of Tensor)."""

    __slots__ = ()

    def _write(self, op, *args):
        """``op(self, *args)`` written into self, by the rules above; returns self."""
        if modes.grad_enabled() and (self._requires_grad or _requires_grad(args)):
            if self.creator is None and self._requires_grad:
                raise RuntimeError(
                    f"in-place {_name(op)} on a leaf tensor that requires grad {tuple(self.shape)}: "
                    "wrap the update in `with tn.no_grad():` (as optimizers do), or write x = x + ... instead"
                )
            before = engine.Tensor._wrap(self._data)
            before.creator, before._requires_grad = self.creator, self._requires_grad
            new = checks.checked_write(self, op(before, *args), _name(op), recorded=True)
            self._data, self.creator, self._requires_grad = new._data, new.creator, new._requires_grad
            self._history = (self._history or []) + [(engine._write_clock + 1, before)]
        else:
            fast = getattr(op, "in_place", None)  # e.g. x[i] = v writes just the element
            if fast is not None:
                fast(self, *args)
            else:
                checks.write_into(self, checks.checked_write(self, op(self, *args), _name(op)))
            if self.creator is not None:
                self.creator.clock = -1  # its saved output may have changed: backward will check
        engine._write_clock += 1
        self._version = engine._write_clock
        return self


def inputs_as_recorded(fn):
    """fn's inputs as they were when fn ran; an error if backward needs a value that was
    written in place since (PyTorch's version-counter check)."""
    _check_still_recorded(fn)
    saved = fn.saved or tuple(vars(fn).values())
    resolved = []
    for x in fn.inputs:
        before = next((node for tick, node in x._history or () if tick > fn.clock), x)
        if before is x and x._version > fn.clock and any(s is x._data for s in saved):
            raise RuntimeError(
                f"{type(fn).__name__}: an input of shape {tuple(x.shape)} that backward needs was "
                "modified by an in-place operation after the op ran. Write out of place "
                "(x = x * 2) or pass x.clone() to the op."
            )
        resolved.append(before)
    return tuple(resolved)


def _check_still_recorded(fn):
    if fn.inputs is None:
        raise RuntimeError(
            f"backward through {type(fn).__name__} a second time: its graph was freed by the first "
            "backward(). Call backward(retain_graph=True) the first time if you need to go through "
            "it again, or recompute the forward pass."
        )
    if fn.clock < 0:
        raise RuntimeError(
            f"{type(fn).__name__}: its output was modified by an in-place operation after it was "
            "computed, and backward needs it. Write out of place (y = y + 1) or use y.clone() first."
        )


def _requires_grad(args):
    return any(getattr(a, "_requires_grad", False) for a in args)


def _name(op):
    return getattr(op, "__name__", "write")
