"""Tensor, Function and the backward pass: the whole autodiff engine.

A ``Function`` computes on raw arrays (numpy or cupy) in ``forward`` and turns the gradient
of its output into gradients of its inputs in ``backward``. Calling a Function on Tensors
records it in the graph; ``Tensor.backward`` walks that graph in reverse topological order
applying the chain rule, ∂L/∂x = ∂L/∂y · ∂y/∂x  [E27].

>>> import tinynn as tn
>>> x = tn.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad
array([2., 4., 6.], dtype=float32)
"""
from __future__ import annotations

import os
import traceback

from tinynn import backend

_grad_enabled = True
_detect_anomaly = False  # debugging aid: check every op's output and gradients for NaN/inf


class no_grad:
    """Context manager (or decorator) inside which no graph is recorded.

    >>> import tinynn as tn
    >>> x = tn.tensor([1.0], requires_grad=True)
    >>> with tn.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    def __enter__(self):
        global _grad_enabled
        self._previous, _grad_enabled = _grad_enabled, False

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self._previous

    def __call__(self, fn):
        def wrapper(*args, **kwargs):
            with no_grad():
                return fn(*args, **kwargs)

        wrapper.__name__, wrapper.__doc__ = fn.__name__, fn.__doc__
        return wrapper


def is_grad_enabled() -> bool:
    """False inside ``no_grad``.

    >>> import tinynn as tn
    >>> with tn.no_grad():
    ...     tn.is_grad_enabled()
    False
    """
    return _grad_enabled


class detect_anomaly:
    """Context manager: the first op whose forward output or backward gradient holds NaN or
    inf raises ``FloatingPointError``, naming the op and the line that created it.

    Slower (every op checks its arrays): switch it on while hunting a NaN, not for training.

    >>> import tinynn as tn
    >>> x = tn.tensor([-1.0, 4.0], requires_grad=True)
    >>> with tn.detect_anomaly():
    ...     x.sqrt()
    Traceback (most recent call last):
    FloatingPointError: Sqrt produced nan in its forward output...
    """

    def __enter__(self):
        global _detect_anomaly
        self._previous, _detect_anomaly = _detect_anomaly, True
        return self

    def __exit__(self, *exc):
        global _detect_anomaly
        _detect_anomaly = self._previous


def _user_frame():
    """file:line of the innermost caller outside tinynn (where the user created the op)."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        if f"tinynn{os.sep}" not in frame.filename:
            return f"{frame.filename}:{frame.lineno} ({frame.line})"
    return None


def _check_finite(fn, array, where):
    xp = backend.xp_of(array)
    if array is None or array.dtype.kind != "f" or bool(xp.isfinite(array).all()):
        return
    bad = "nan" if bool(xp.isnan(array).any()) else "inf"
    created = getattr(fn, "_created_at", None)
    origin = f"; the op was created at {created}" if created else ""
    raise FloatingPointError(f"{type(fn).__name__} produced {bad} in its {where}{origin}")


class Tensor:
    """An array with a gradient: the node of the computation graph.

    ``data`` and ``grad`` are raw arrays (numpy on "cpu", cupy on "cuda"). ``grad`` is None
    until ``backward`` reaches the tensor; gradients accumulate (``+``) across uses and calls.

    >>> import numpy as np, tinynn as tn
    >>> t = tn.Tensor(np.ones((2, 3)), requires_grad=True)
    >>> t.shape, t.dtype, t.device
    ((2, 3), dtype('float64'), 'cpu')
    """

    __slots__ = ("data", "grad", "_requires_grad", "creator", "name", "__weakref__")
    __array_ufunc__ = None  # ndarray (op) Tensor defers to Tensor's reflected op: stays in the graph

    def __init__(self, data, requires_grad=False, dtype=None, device=None, name=None):
        if isinstance(data, Tensor):
            data = data.data
        dtype = backend.as_dtype(dtype) or backend.infer_dtype(data)
        if device is None:
            device = backend.device_of(data) if backend.is_array(data) else "cpu"
        if not backend.is_array(data):
            data = backend.numpy.asarray(data, dtype=dtype)
        data = backend.to_device(data, device)
        if data.dtype != dtype:
            data = data.astype(dtype)
        self.data = data
        self.grad = None
        self.creator = None  # the Function that produced this tensor (None for leaves)
        self.name = name
        self._requires_grad = False
        self.requires_grad = requires_grad

    @classmethod
    def _wrap(cls, data):
        """Fast constructor for op outputs: no conversion, no checks."""
        t = object.__new__(cls)
        t.data, t.grad, t.creator, t.name, t._requires_grad = data, None, None, None, False
        return t

    # -- attributes -------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        """Whether backward() computes a gradient for this tensor (floating dtypes only)."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if value and not backend.is_floating(self.data.dtype):
            raise TypeError(
                f"only floating-point tensors can require grad, got dtype {self.data.dtype}: "
                "create it with dtype=tn.float32 (e.g. tn.tensor([1.0, 2.0])) or call .float()"
            )
        self._requires_grad = bool(value)

    def requires_grad_(self, value=True) -> Tensor:
        """Set ``requires_grad`` in place and return self (PyTorch's spelling)."""
        self.requires_grad = value
        return self

    @property
    def shape(self):
        """The shape as a tuple, e.g. (batch, features)."""
        return self.data.shape

    @property
    def dtype(self):
        """The numpy dtype of the data (float32 by default)."""
        return self.data.dtype

    @property
    def ndim(self) -> int:
        """Number of axes."""
        return self.data.ndim

    @property
    def size(self) -> int:
        """Number of elements (an int, as ``ndarray.size``; PyTorch's ``numel()``)."""
        return self.data.size

    def numel(self) -> int:
        """Number of elements (PyTorch's name for ``size``)."""
        return self.data.size

    @property
    def device(self) -> str:
        """Where the data lives: "cpu", "cuda" or "strict" (the test device)."""
        return backend.device_of(self.data)

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user (not by an op); backward fills their ``.grad``."""
        return self.creator is None

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        body = repr(backend.to_host(self.data)).replace("array(", "tensor(", 1)
        extras = []
        if self.device != "cpu":
            extras.append(f"device='{self.device}'")
        if self.requires_grad:
            extras.append("requires_grad=True")
        return body[:-1] + "".join(", " + e for e in extras) + ")" if extras else body

    def __bool__(self):
        return bool(self.data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    __hash__ = object.__hash__  # tensors are graph nodes: identity, not value, matters

    # -- conversions ---------------------------------------------------------------------
    def numpy(self):
        """The data as a NumPy array (a host copy for device tensors)."""
        return backend.to_host(self.data)

    def item(self):
        """The value of a one-element tensor as a Python number.

        >>> import tinynn as tn; tn.tensor([[3.5]]).item()
        3.5
        """
        if self.data.size != 1:
            raise ValueError(f"item(): only one-element tensors can become a Python number, got shape {self.shape}")
        return self.data.item()

    def tolist(self):
        """The values as (nested) Python lists, copied to the host."""
        return backend.to_host(self.data).tolist()

    def detach(self) -> Tensor:
        """The same data, cut from the graph (shares memory, requires_grad=False)."""
        return Tensor._wrap(self.data)

    def to(self, device=None, dtype=None) -> Tensor:
        """A copy on ``device`` and/or of ``dtype``; self when nothing changes.

        A copy made while recording stays in the graph: its gradient flows back here.
        """
        from tinynn.ops import to_copy  # ops import this module; the reverse is lazy

        return to_copy(self, device=device, dtype=dtype)

    def float(self) -> Tensor:
        """A float32 copy (in the graph), or self when already float32."""
        return self.to(dtype="float32")

    def double(self) -> Tensor:
        """A float64 copy (in the graph), or self when already float64."""
        return self.to(dtype="float64")

    def cpu(self) -> Tensor:
        """``to("cpu")``."""
        return self.to("cpu")

    def cuda(self) -> Tensor:
        """``to("cuda")`` (needs CuPy and a GPU)."""
        return self.to("cuda")

    # -- backward ------------------------------------------------------------------------
    def backward(self, grad=None, retain_graph=False):
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        A scalar seeds the pass with 1; a non-scalar needs ``grad`` of its own shape.
        The graph is freed afterwards unless ``retain_graph=True`` (as in PyTorch).
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward(): this tensor does not require grad and has no graph. Create the "
                "inputs with requires_grad=True (and do not compute it under tn.no_grad())."
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() on a tensor of shape {self.shape} needs a gradient of the same "
                    "shape: call y.backward(grad), or reduce first, e.g. y.sum().backward()"
                )
            seed = backend.xp_of(self.data).empty_like(self.data)
            seed.fill(1)  # dL/dL = 1 (empty_like + fill: ones_like costs 5x more on tiny arrays)
        else:
            seed = grad.data if isinstance(grad, Tensor) else grad
            if not backend.is_array(seed):
                seed = backend.xp_of(self.data).asarray(seed, dtype=self.dtype)
            if seed.shape != self.shape:
                raise RuntimeError(
                    f"backward(grad): grad has shape {seed.shape} but the tensor has shape {self.shape}"
                )
            if backend.device_of(seed) != self.device:
                raise RuntimeError(
                    f"backward(grad): grad is on '{backend.device_of(seed)}' but the tensor is on "
                    f"'{self.device}': move it with .to('{self.device}')"
                )
        _run_backward(self, seed, retain_graph)


def _topological_order(root):
    """Tensors that need a gradient, each after all the tensors it was computed from.

    Iterative depth-first search (a recursive one hits Python's limit on a 10 000-op chain).
    """
    order, visited, stack = [], set(), [(root, False)]  # tensors hash by identity
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        fn = node.creator
        if fn is None:  # a leaf: nothing comes before it
            order.append(node)
            continue
        if fn.inputs is None:
            raise RuntimeError(
                f"backward through {type(fn).__name__} a second time: its graph was freed by "
                "the first backward(). Call backward(retain_graph=True) the first time if you "
                "need to go through it again, or recompute the forward pass."
            )
        stack.append((node, True))  # comes back once everything it was computed from is placed
        for parent in fn.inputs:
            if parent._requires_grad and parent not in visited:
                stack.append((parent, False))
    return order


def _run_backward(root, seed, retain_graph):
    grads = {root: seed}  # tensor -> gradient array, popped as soon as it is used
    borrowed = set()  # tensors whose gradient may alias another array (copied before it is stored)
    for node in reversed(_topological_order(root)):
        grad = grads.pop(node, None)
        if grad is None:
            continue
        fn = node.creator
        if fn is None:  # a leaf: accumulate into .grad (copy first if the array is borrowed)
            if node in borrowed or backend.is_shared(grad):
                grad = grad.copy()
            node.grad = grad if node.grad is None else node.grad + grad
            continue
        input_grads = _checked_backward(fn, grad) if _detect_anomaly else fn.backward(grad)
        if type(input_grads) is not tuple:
            input_grads = (input_grads,)
        inputs = fn.inputs
        if len(input_grads) != len(inputs):
            raise RuntimeError(
                f"{type(fn).__name__}.backward returned {len(input_grads)} gradient(s) for "
                f"{len(inputs)} input(s): return one per input (None where there is none)"
            )
        for i, parent in enumerate(inputs):
            g = input_grads[i]
            if g is None or not parent._requires_grad:
                continue
            if g.shape != parent.data.shape:
                g = unbroadcast(g, parent.data.shape, fn)
            if parent in grads:
                grads[parent] = grads[parent] + g
                borrowed.discard(parent)
            else:
                grads[parent] = g
                # a pass-through (add, identity) or one array sent to two inputs is borrowed
                if g is grad or (i and id(g) in map(id, input_grads[:i])):
                    borrowed.add(parent)
        if not retain_graph:
            fn.release()


def _checked_backward(fn, grad):
    """backward under detect_anomaly: NumPy's warnings off, our NaN/inf check names the op."""
    with backend.numpy.errstate(all="ignore"):
        input_grads = fn.backward(grad)
    for g in input_grads if type(input_grads) is tuple else (input_grads,):
        if g is not None:
            _check_finite(fn, g, "backward (a gradient of its inputs)")
    return input_grads


def unbroadcast(grad, shape, fn=None):
    """Sum a gradient back to the shape of the operand that was broadcast to make it.

    The one place broadcasting is undone: (5, 4) + (3, 1, 4) -> (3, 5, 4) sends a (3, 5, 4)
    gradient that sums over axis 0 for the first operand and axis 1 for the second.

    >>> import numpy as np
    >>> unbroadcast(np.ones((3, 5, 4)), (5, 4)).shape, unbroadcast(np.ones((3, 5, 4)), (3, 1, 4))[0, 0, 0].item()
    ((5, 4), 5.0)
    """
    extra = grad.ndim - len(shape)
    if extra >= 0:
        axes = tuple(range(extra)) + tuple(
            extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1
        )
        if axes:
            grad = backend.ensure_array(grad.sum(axis=axes, keepdims=True))
        if extra:
            grad = grad.reshape(grad.shape[extra:])
    if grad.shape != tuple(shape):
        name = type(fn).__name__ if fn is not None else "backward"
        raise RuntimeError(
            f"{name}.backward produced a gradient of shape {grad.shape} for an input of shape "
            f"{tuple(shape)}, and it cannot be summed back to it: backward must return one "
            "gradient per input, shaped like that input (or like the broadcast output)"
        )
    return grad


class Function:
    """A differentiable operation: ``forward`` on raw arrays, ``backward`` on raw gradients.

    Subclass it to write your own op, keeping on ``self`` what backward needs; check it
    with ``tn.gradcheck``. ``self.needs_input_grad`` (one bool per input) lets backward skip
    gradients nobody will use.

    >>> import tinynn as tn
    >>> class Square(tn.Function):
    ...     def forward(self, x):
    ...         self.x = x
    ...         return x * x
    ...     def backward(self, grad):
    ...         return 2 * self.x * grad
    >>> t = tn.tensor([3.0], requires_grad=True)
    >>> Square()(t).backward(); t.grad
    array([6.], dtype=float32)
    """

    inputs = None  # the input Tensors, kept only while a backward pass may need them

    def __call__(self, *inputs):
        data, needs = [], []
        for x in inputs:
            if not isinstance(x, Tensor):  # a Python number or raw array: make it a constant
                return self(*_lift_constants(inputs, self))
            data.append(x.data)
            needs.append(x._requires_grad)
        if len(data) > 1:
            kind = type(data[0])
            for d in data:
                if type(d) is not kind:
                    _raise_device_mismatch(self, inputs)
        record = _grad_enabled and True in needs
        self.needs_input_grad = tuple(needs) if record else (False,) * len(needs)
        try:
            if _detect_anomaly:
                out = self._checked_forward(data)
            else:
                out = self.forward(*data)
                if type(out) is not type(data[0]):  # e.g. a NumPy scalar from a full reduction
                    out = backend.ensure_array(out)
        except ValueError as e:
            if "broadcast" not in str(e):
                raise
            _raise_broadcast_error(self, data)
        result = Tensor._wrap(out)
        if record:
            self.inputs = inputs
            result.creator = self
            result._requires_grad = True
        return result

    def _checked_forward(self, data):
        """forward under detect_anomaly: NumPy's own warnings off, our NaN/inf check on."""
        with backend.numpy.errstate(all="ignore"):
            out = backend.ensure_array(self.forward(*data))
        self._created_at = _user_frame()
        _check_finite(self, out, "forward output")
        return out

    def forward(self, *arrays):
        """Compute the output from raw input arrays; save on ``self`` what backward needs."""
        raise NotImplementedError(f"{type(self).__name__} must define forward(self, *arrays)")

    def backward(self, grad):
        """Gradient(s) of the inputs from ``grad``, the output's gradient: one per input
        (a tuple for several, None where an input needs none). Never modify ``grad`` in place."""
        raise NotImplementedError(f"{type(self).__name__} must define backward(self, grad)")

    def release(self):
        """Drop the inputs and everything forward saved: the graph is freed after backward."""
        self.__dict__.clear()
        self.inputs = None

    def __repr__(self):
        return f"<{type(self).__name__}>"


def _lift_constants(inputs, fn):
    """Python scalars and raw arrays next to Tensors become constant Tensors on their device."""
    ref = next((x for x in inputs if isinstance(x, Tensor)), None)
    if ref is None:
        raise TypeError(f"{type(fn).__name__}: at least one input must be a Tensor")
    lifted = []
    for x in inputs:
        if isinstance(x, Tensor):
            lifted.append(x)
        elif backend.is_array(x):
            lifted.append(Tensor._wrap(x))
        elif isinstance(x, (int, float, bool)) or backend.is_scalar(x):
            dtype = backend.scalar_dtype(ref.data.dtype, x)
            lifted.append(Tensor._wrap(backend.xp_of(ref.data).asarray(x, dtype=dtype)))
        else:
            lifted.append(Tensor(x, device=ref.device))
    return lifted


def _raise_broadcast_error(fn, data):
    shapes = " and ".join(str(tuple(d.shape)) for d in data)
    raise ValueError(
        f"{type(fn).__name__}: shapes {shapes} cannot be broadcast together (axes are matched from "
        "the right; each pair of sizes must be equal or one of them 1). Reshape an operand, e.g. "
        "b.reshape(-1, 1), or check which axis is the batch axis."
    ) from None


def _raise_device_mismatch(fn, tensors):
    if len({t.device for t in tensors}) == 1:
        return  # different array types on one device (an ndarray subclass): fine
    devices = [f"{t.device} {tuple(t.shape)}" for t in tensors]
    raise RuntimeError(
        f"{type(fn).__name__}: inputs are on different devices ({', '.join(devices)}). Move them "
        f"to one device first, e.g. x.to('{tensors[0].device}')"
    )
