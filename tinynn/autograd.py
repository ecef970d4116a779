"""``torch.autograd`` in tinynn: PyTorch's ctx-style Function, ``grad()``, ``Variable``.

tinynn's own style (``tn.Function`` subclasses, arrays in and out) is the one the engine
is written in; this module adds PyTorch's style on top so that code from PyTorch courses
runs unchanged: static ``forward(ctx, *tensors)`` / ``backward(ctx, *grads)`` on Tensors,
``ctx.save_for_backward``, ``ctx.saved_tensors``, ``ctx.needs_input_grad``, ``Function.apply``.

>>> import tinynn as tn
>>> class Cube(tn.autograd.Function):
...     @staticmethod
...     def forward(ctx, x):
...         ctx.save_for_backward(x)
...         return x ** 3
...     @staticmethod
...     def backward(ctx, grad):
...         x, = ctx.saved_tensors
...         return grad * 3 * x ** 2
>>> x = tn.tensor([2.0], requires_grad=True)
>>> Cube.apply(x).backward(); x.grad
tensor([12.])
"""
from __future__ import annotations

import importlib

from tinynn.modes import detect_anomaly, no_grad, set_detect_anomaly  # noqa: F401 - torch.autograd's names
from tinynn.tensor import Tensor

_engine = importlib.import_module("tinynn.tensor")  # the module (tinynn.tensor the attribute is tn.tensor())


class _Context:
    """What PyTorch passes as ``ctx``: a place to keep tensors and flags for backward."""

    def __init__(self, needs_input_grad):
        self.needs_input_grad = needs_input_grad
        self.saved_tensors = ()

    def save_for_backward(self, *tensors):
        self.saved_tensors = tensors

    def mark_non_differentiable(self, *tensors):
        pass  # outputs that are not floats get no gradient anyway

    def set_materialize_grads(self, value):
        pass


class _CtxFunction(_engine.Function):
    """The engine node behind ``Function.apply``: runs the user's static methods on Tensors."""

    def __init__(self, user_class, arguments):
        self.user_class, self.arguments = user_class, arguments  # non-Tensor arguments, in place

    def forward(self, *arrays):
        tensors = iter(Tensor._wrap(a) for a in arrays)
        args = [next(tensors) if a is _TENSOR else a for a in self.arguments]
        flags = iter(self.needs_input_grad)  # one per Tensor input; PyTorch has one per argument
        self.ctx = _Context(tuple(next(flags) if a is _TENSOR else False for a in self.arguments))
        with no_grad():
            out = self.user_class.forward(self.ctx, *args)
        if not isinstance(out, Tensor):
            raise TypeError(f"{self.user_class.__name__}.forward must return a Tensor, got {type(out).__name__}")
        return out._data

    def backward(self, grad):
        with no_grad():
            grads = self.user_class.backward(self.ctx, Tensor._wrap(grad))
        grads = grads if isinstance(grads, tuple) else (grads,)
        tensor_grads = [g for g, a in zip(grads, self.arguments) if a is _TENSOR]
        if len(grads) != len(self.arguments):
            raise RuntimeError(
                f"{self.user_class.__name__}.backward returned {len(grads)} gradient(s) for "
                f"{len(self.arguments)} forward argument(s): return one per argument (None for non-Tensors)"
            )
        return tuple(g._data if isinstance(g, Tensor) else g for g in tensor_grads)

    def release(self):
        self.ctx = None
        super().release()


_TENSOR = object()  # marks where the Tensor arguments sit among forward's arguments


class Function:
    """Base class for PyTorch-style custom ops: write static ``forward(ctx, ...)`` and
    ``backward(ctx, grad)`` on Tensors, call ``MyOp.apply(...)``."""

    @classmethod
    def apply(cls, *args):
        layout = tuple(_TENSOR if isinstance(a, Tensor) else a for a in args)
        tensors = [a for a in args if isinstance(a, Tensor)]
        if not tensors:
            raise TypeError(f"{cls.__name__}.apply: at least one argument must be a Tensor")
        return _CtxFunction(cls, layout)(*tensors)

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError("define forward(ctx, *args) as a @staticmethod")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("define backward(ctx, *grads) as a @staticmethod")


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned (``.grad`` is untouched).

    >>> import tinynn as tn
    >>> x = tn.tensor([3.0], requires_grad=True)
    >>> tn.autograd.grad((x * x).sum(), x)
    (tensor([6.]),)
    """
    if create_graph:
        raise NotImplementedError("autograd.grad(create_graph=True): tinynn computes first derivatives only")
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs)
    found = {}

    def deliver(node, g, owned):
        found[node] = g.copy() if node not in found else found[node] + g

    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        keep = bool(retain_graph) or i < len(outputs) - 1
        _engine.backward_pass(out, _engine._seed(out, g, "autograd.grad"), keep, deliver, frozenset(inputs))
    result = []
    for x in inputs:
        if x not in found and not allow_unused:
            raise RuntimeError("autograd.grad: one of the inputs was not used to compute the outputs (allow_unused=True returns None for it)")
        result.append(Tensor._wrap(found[x]) if x in found else None)
    return tuple(result)


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **ignored):
    """``torch.autograd.gradcheck``: True when ``func``'s backward matches central differences
    (``tn.gradcheck``; use float64 inputs). A mismatch raises, or gives False with
    ``raise_exception=False``.

    >>> import tinynn as tn
    >>> tn.autograd.gradcheck(lambda x: (x ** 3).sum(), (tn.randn(3, dtype=tn.float64, requires_grad=True),))
    True
    """
    from tinynn.gradcheck import GradcheckError
    from tinynn.gradcheck import gradcheck as check

    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    try:
        check(func, inputs, eps=eps, atol=atol, rtol=rtol)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def Variable(data, requires_grad=False, volatile=False):  # noqa: N802 - the legacy class name
    """PyTorch's legacy ``Variable`` (since 0.4 a Tensor is a Variable): returns a Tensor."""
    t = data if isinstance(data, Tensor) else Tensor(data)
    if requires_grad:
        t.requires_grad_(True)
    return t

