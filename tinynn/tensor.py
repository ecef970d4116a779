"""The autodiff engine, in reading order: Function → Tensor → the backward walk → unbroadcast.

A ``Function`` computes on raw arrays (numpy or cupy) in ``forward`` and turns the gradient
of its output into gradients of its inputs in ``backward``. Calling a Function on Tensors
records it in the graph; ``Tensor.backward`` walks that graph from the output back to the
leaves applying the chain rule, ∂L/∂x = ∂L/∂y · ∂y/∂x  [E27].

>>> import tinynn as tn
>>> x = tn.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad
tensor([2., 4., 6.])
"""
from __future__ import annotations

from tinynn import backend, checks, modes, printing

_NO_STOPS = frozenset()
_write_clock = 0  # counts in-place writes (x += 1, x[i] = v, ...): a tensor's _version is its last tick


# =========================================================================== Function
class Function:
    """A differentiable operation: ``forward`` on raw arrays, ``backward`` on raw gradients.

    Subclass it to write your own op; keep what backward needs with ``self.save(...)`` and
    read it back from ``self.saved``; check it with ``tn.gradcheck``. ``self.needs_input_grad``
    (one bool per input) lets backward skip gradients nobody will use.

    >>> import tinynn as tn
    >>> class Square(tn.Function):
    ...     def forward(self, x):
    ...         self.save(x)
    ...         return x * x
    ...     def backward(self, grad):
    ...         x, = self.saved
    ...         return 2 * x * grad
    >>> t = tn.tensor([3.0], requires_grad=True)
    >>> Square()(t).backward(); t.grad
    tensor([6.])
    """

    inputs = None  # the input Tensors, kept only while a backward pass may need them
    saved = ()  # the arrays backward needs, kept by save()
    clock = 0  # the write clock when this op ran (see parents())

    def __call__(self, *inputs):
        inputs, arrays, needs = checks.prepare(self, inputs, Tensor)  # 2 -> a constant; one device
        # modes.grad_enabled(), inlined: the hot path
        record = True in needs and (modes.threads_away == 0 or modes.state.grad_enabled)
        self.needs_input_grad = needs if record else (False,) * len(needs)
        if modes.threads_away and modes.state.anomaly:
            out = checks.checked_forward(self, arrays)
        else:
            try:
                out = self.forward(*arrays)
            except ValueError as e:  # NumPy's broadcast error, re-raised naming the op
                raise checks.forward_error(self, arrays, e) from None
            except FloatingPointError as e:  # a subnormal under np.errstate(under="raise"): PyTorch computes on
                out = checks.without_underflow(self.forward, arrays, e)
            if type(out) is not type(arrays[0]):  # a NumPy scalar from a full reduction (or a mistake)
                out = checks.as_output(self, out)
        result = Tensor._wrap(out)
        if record:  # remember how the result was made, for the backward walk
            self.inputs, self.clock = inputs, _write_clock
            result.creator, result._requires_grad = self, True
        return result

    def forward(self, *arrays):
        """Compute the output from raw input arrays; ``self.save`` what backward needs."""
        raise NotImplementedError(f"{type(self).__name__} must define forward(self, *arrays)")

    def backward(self, grad):
        """Gradient(s) of the inputs from ``grad``, the output's gradient: one per input
        (a tuple for several, None where an input needs none). Never modify ``grad`` in place."""
        raise NotImplementedError(f"{type(self).__name__} must define backward(self, grad)")

    def save(self, *arrays):
        """Keep ``arrays`` for backward (PyTorch's ``ctx.save_for_backward``)."""
        self.saved = arrays

    def release(self):
        """Free what backward kept: the graph is freed after backward."""
        if self.saved is Function.saved:  # the op kept its arrays as attributes: drop them all
            self.__dict__.clear()  # (inputs too: the class default None is what is left)
        else:
            del self.saved, self.inputs

    def parents(self):
        """The input Tensors as they were when this op ran (an in-place write since then
        moves a tensor on to a new node: the write clock tells, see ``Tensor._write``)."""
        if self.clock == _write_clock and self.inputs is not None:  # the common case
            return self.inputs
        return _inputs_as_recorded(self)

    def __repr__(self):
        return f"<{type(self).__name__}>"


# =========================================================================== Tensor
class Tensor:
    """An array with a gradient: the node of the computation graph.

    ``x.data`` and ``x.grad`` are Tensors sharing memory with x's array and its gradient, as in
    PyTorch (``x.numpy()`` gives the raw array). ``grad`` is None until ``backward`` reaches
    the tensor; gradients accumulate across uses and calls.

    >>> import numpy as np, tinynn as tn
    >>> t = tn.Tensor(np.ones((2, 3)), requires_grad=True)
    >>> t.shape, t.dtype, t.device
    ((2, 3), dtype('float64'), device(type='cpu'))
    """

    __slots__ = ("_data", "_grad", "_requires_grad", "creator", "__dict__", "__weakref__")
    __array_ufunc__ = None  # ndarray (op) Tensor defers to Tensor's reflected op: stays in the graph
    name = None  # rarely set attributes live in __dict__, with these class-level defaults
    _version = 0  # write clock of the last in-place write to this tensor
    _hooks = None  # functions run on this tensor's gradient during backward
    _history = None  # [(tick, node before the write)] for in-place writes that were recorded

    def __init__(self, data, requires_grad=False, dtype=None, device=None, name=None):
        self._data = backend.as_array(data._data if isinstance(data, Tensor) else data, dtype, device)
        self._grad = None
        self.creator = None  # the Function that produced this tensor (None for leaves)
        self._requires_grad = False
        self.requires_grad = requires_grad
        if name is not None:
            self.name = name

    @classmethod
    def _wrap(cls, data):
        """Fast constructor for op outputs: no conversion, no checks."""
        t = object.__new__(cls)
        t._data, t._grad, t.creator, t._requires_grad = data, None, None, False
        return t

    # -- what a tensor is ---------------------------------------------------------------
    @property
    def data(self) -> Tensor:
        """The values as a Tensor outside the graph, sharing memory (writes to it change self)."""
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value):
        self._data = value._data if isinstance(value, Tensor) else backend.as_array(value, self.dtype, self.device)

    @property
    def grad(self):
        """∂L/∂self after ``backward`` (a Tensor sharing the gradient's memory), or None."""
        return None if self._grad is None else Tensor._wrap(self._grad)

    @grad.setter
    def grad(self, value):
        self._grad = None if value is None else checks.checked_grad(self, value._data if isinstance(value, Tensor) else value)

    @property
    def requires_grad(self) -> bool:
        """Whether backward() computes a gradient for this tensor (floating dtypes only)."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if value and not backend.is_floating(self._data.dtype):
            raise TypeError(
                f"only floating-point tensors can require grad, got dtype {self._data.dtype}: "
                "create it with dtype=tn.float32 (e.g. tn.tensor([1.0, 2.0])) or call .float()"
            )
        if self.creator is not None and not value:
            raise RuntimeError("requires_grad_(False) on a tensor computed in the graph: use .detach()")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad=True) -> Tensor:
        """Set ``requires_grad`` in place and return self (PyTorch's spelling)."""
        self.requires_grad = requires_grad
        return self

    shape = property(lambda self: self._data.shape, doc="The shape as a tuple, e.g. (batch, features).")
    dtype = property(lambda self: self._data.dtype, doc="The dtype (a numpy dtype: tn.float32 by default).")
    ndim = property(lambda self: self._data.ndim, doc="Number of axes.")
    device = property(lambda self: backend.device(backend.device_of(self._data)), doc="Where the data lives.")
    is_leaf = property(lambda self: self.creator is None, doc="Made by the user, not an op: backward fills .grad.")
    grad_fn = property(lambda self: self.creator, doc="The Function that made this tensor (PyTorch's name).")

    # -- arithmetic: each operator is one op of tinynn.ops --------------------------------
    def __add__(self, other):
        return AddFunction()(self, other)

    def __radd__(self, other):
        return AddFunction()(other, self)

    def __sub__(self, other):
        return SubFunction()(self, other)

    def __rsub__(self, other):
        return SubFunction()(other, self)

    def __mul__(self, other):
        return MulFunction()(self, other)

    def __rmul__(self, other):
        return MulFunction()(other, self)

    def __truediv__(self, other):
        return DivFunction()(self, other)

    def __rtruediv__(self, other):
        return DivFunction()(other, self)

    def __pow__(self, other):
        return PowFunction()(self, other)

    def __rpow__(self, other):
        return PowFunction()(other, self)

    def __matmul__(self, other):
        return MatMulFunction()(self, other)

    def __rmatmul__(self, other):
        return MatMulFunction()(other, self)

    def __neg__(self):
        return NegFunction()(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return abs(self)

    def __getitem__(self, index):
        return getitem(self, index)

    # comparisons and integer/logical operators have no gradient: plain array results
    def __eq__(self, other):
        return _no_grad_op(self, other, "equal")

    def __ne__(self, other):
        return _no_grad_op(self, other, "not_equal")

    def __lt__(self, other):
        return _no_grad_op(self, other, "less")

    def __le__(self, other):
        return _no_grad_op(self, other, "less_equal")

    def __gt__(self, other):
        return _no_grad_op(self, other, "greater")

    def __ge__(self, other):
        return _no_grad_op(self, other, "greater_equal")

    def __and__(self, other):
        return _no_grad_op(self, other, "bitwise_and")

    def __or__(self, other):
        return _no_grad_op(self, other, "bitwise_or")

    def __xor__(self, other):
        return _no_grad_op(self, other, "bitwise_xor")

    def __invert__(self):
        return _no_grad_op(self, None, "invert")

    def __floordiv__(self, other):
        return _no_grad_op(self, other, "floor_divide")

    def __mod__(self, other):
        return _no_grad_op(self, other, "remainder")

    __hash__ = object.__hash__  # tensors are graph nodes: identity, not value, matters

    # -- writing into a tensor -------------------------------------------------------------
    def __iadd__(self, other):
        return self._write(add, other)

    def __isub__(self, other):
        return self._write(sub, other)

    def __imul__(self, other):
        return self._write(mul, other)

    def __itruediv__(self, other):
        return self._write(div, other)

    def __setitem__(self, index, value):
        self._write(setitem, index, value)

    def _write(self, op, *args):
        """Every in-place op (``+=``, ``add_``, ``x[i] = v`` ...): ``op(self, *args)`` written into self.

        PyTorch's rules: on a leaf under no_grad (how optimizers update weights) the memory is
        written; on a leaf that requires grad it is an error; in the graph it is recorded, and
        self moves on to the new node (the node it was stays in history for earlier users).
        """
        global _write_clock
        if modes.grad_enabled() and (self._requires_grad or _requires_grad(args)):
            if self.creator is None and self._requires_grad:
                raise RuntimeError(
                    f"in-place {_name(op)} on a leaf tensor that requires grad {tuple(self.shape)}: "
                    "wrap the update in `with tn.no_grad():` (as optimizers do), or write x = x + ... instead"
                )
            before = Tensor._wrap(self._data)
            before.creator, before._requires_grad = self.creator, self._requires_grad
            new = checks.checked_write(self, op(before, *args), _name(op), recorded=True)
            self._data, self.creator, self._requires_grad = new._data, new.creator, new._requires_grad
            self._history = (self._history or []) + [(_write_clock + 1, before)]
        else:
            fast = getattr(op, "in_place", None)  # e.g. x[i] = v writes just the element
            if fast is not None:
                fast(self, *args)
            else:
                checks.write_into(self, checks.checked_write(self, op(self, *args), _name(op)))
            if self.creator is not None:
                self.creator.clock = -1  # its saved output may have changed: backward will check
        _write_clock += 1
        self._version = _write_clock
        return self

    # -- backward ------------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None, grad=None):
        """Accumulate ∂self/∂leaf into ``leaf.grad`` for every leaf that requires grad.

        A scalar seeds the walk with 1; a non-scalar needs ``gradient`` of its own shape.
        The graph is freed afterwards unless ``retain_graph=True`` (as in PyTorch).
        """
        if create_graph:
            raise NotImplementedError("backward(create_graph=True): tinynn computes first derivatives only")
        seed = _seed(self, gradient if grad is None else grad, "backward")
        stops = _NO_STOPS if inputs is None else frozenset([inputs] if isinstance(inputs, Tensor) else inputs)
        deliver = _accumulate if inputs is None else lambda t, g, own: t in stops and _accumulate(t, g, own)
        backward_pass(self, seed, bool(retain_graph), deliver, stops)

    def register_hook(self, hook):
        """Run ``hook(grad)`` when backward reaches this tensor; a Tensor it returns replaces grad."""
        if not self._requires_grad:
            raise RuntimeError("register_hook: the tensor does not require grad, so no gradient reaches it")
        self._hooks = (self._hooks or []) + [hook]
        return hook

    def retain_grad(self):
        """Keep ``.grad`` of this non-leaf tensor too (leaves always keep theirs)."""
        if self.creator is not None and _retain not in (self._hooks or []):
            self.register_hook(_retain)

    # -- Python protocols -------------------------------------------------------------------
    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self)))

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"bool() of a tensor with {self._data.size} values is ambiguous: use .any() or .all()")
        return bool(self._data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "biu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self.item())

    def __array__(self, dtype=None, copy=None):
        host = backend.to_host_strict(self._data)
        return host if dtype is None else host.astype(dtype)

    def __repr__(self):
        return printing.format_tensor(self)

    def item(self):
        """The value of a one-element tensor as a Python number.

        >>> import tinynn as tn; tn.tensor([[3.5]]).item()
        3.5
        """
        if self._data.size != 1:
            raise ValueError(f"item(): only one-element tensors can become a Python number, got shape {self.shape}")
        return self._data.item()

    def numpy(self):
        """The data as a NumPy array (shares memory on the CPU; a host copy for device tensors)."""
        return backend.to_host(self._data)

    def tolist(self):
        """The values as (nested) Python lists, copied to the host."""
        return backend.to_host(self._data).tolist()

    def detach(self) -> Tensor:
        """The same data, cut from the graph (shares memory, requires_grad=False)."""
        return Tensor._wrap(self._data)


# =========================================================================== the backward walk
def backward_pass(root, seed, retain_graph, deliver, stops=_NO_STOPS):
    """The chain rule over the graph, from ``root`` back to the leaves  [E27].

    Visit every tensor after all the tensors computed from it; pop its gradient; hand it to
    the op that made it, which returns the gradients of its inputs; add those up per input.
    """
    grads, owned = {root: seed}, set()  # tensor -> ∂root/∂tensor; leaves whose array we may keep
    anomaly = modes.anomaly_enabled()
    for node in topological_order(root):
        grad = grads.pop(node, None)
        if grad is None:
            continue
        if node._hooks:
            grad = _run_hooks(node, grad)
        fn = node.creator
        if fn is None or node in stops:  # a leaf (or an input of autograd.grad): the gradient arrived
            deliver(node, grad, node in owned)  # _accumulate: into .grad (autograd.grad collects instead)
            continue
        _add_grads(grads, owned, fn, grad, _input_grads(fn, grad, anomaly))
        if not retain_graph:
            fn.release()


def _input_grads(fn, grad, anomaly):
    """``fn.backward(grad)`` as a tuple, one gradient (or None) per input."""
    try:
        input_grads = checks.checked_backward(fn, grad) if anomaly else fn.backward(grad)
    except FloatingPointError as e:  # a subnormal under np.errstate(under="raise"): PyTorch computes on
        input_grads = checks.without_underflow(fn.backward, (grad,), e)
    if type(input_grads) is not tuple:
        input_grads = (input_grads,)
    if len(input_grads) != len(fn.inputs):
        checks.check_gradients(fn, input_grads, len(fn.inputs))
    return input_grads


def _add_grads(grads, owned, fn, upstream, input_grads):
    """Add each input's gradient to what is pending for it: the ownership rule in one place.

    A leaf may keep as its ``.grad`` only an array that backward made for it alone (*owned*).
    A pass-through (Add returns ``upstream`` itself), a view of another array, or one array
    given to two inputs is *borrowed*: the leaf keeps a copy.
    """
    for node, g in zip(fn.parents(), input_grads):
        if g is None or not node._requires_grad:
            continue
        if type(g) is not type(upstream):  # a Tensor or a NumPy scalar from a backward: an array again
            g = checks.as_gradient_array(fn, g)
        if g.shape != node._data.shape:
            g = unbroadcast(g, node._data.shape, fn)
        if node in grads:
            grads[node] = grads[node] + g  # a new array: owned
            owned.add(node)
        else:
            grads[node] = g
            if node.creator is None and not _borrowed(g, upstream, input_grads):  # a leaf's first gradient
                owned.add(node)


def _borrowed(g, upstream, input_grads):
    """May another array alias ``g``? The pass-through, a view (``.base``), one array given to two inputs."""
    return g is upstream or g.base is not None or list(map(id, input_grads)).count(id(g)) > 1


def _accumulate(leaf, grad, owned):
    """leaf.grad += grad, in place once it exists (as PyTorch); each leaf keeps its own dtype."""
    if grad.dtype is not leaf._data.dtype and grad.dtype != leaf._data.dtype:  # `is`: the cheap usual case
        grad, owned = grad.astype(leaf._data.dtype), True
    if leaf._grad is None:
        leaf._grad = grad if owned else grad.copy()
    else:
        leaf._grad += grad


def topological_order(root):
    """Tensors that need a gradient, each before every tensor it was computed from.

    Iterative depth-first search (a recursive one hits Python's limit on a 10 000-op chain).
    """
    # BEGIN SOLUTION topological_order
    # HINT: depth-first search from root over node.creator.parents(), following only parents that require grad;
    # HINT: append a node after all its parents are placed (post-order), then reverse: root first, leaves last.
    # HINT: use an explicit stack of (node, expanded) pairs, not recursion: a 10 000-op chain must work.
    order, visited, stack = [], set(), [(root, False)]  # tensors hash by identity
    while stack:
        node, expanded = stack.pop()
        if expanded:  # all its inputs are placed
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        if node.creator is None:  # a leaf: nothing comes before it (placed once, however many paths reach it)
            order.append(node)
            continue
        stack.append((node, True))  # comes back once everything it was computed from is placed
        for parent in node.creator.parents():
            if parent._requires_grad and parent not in visited:
                stack.append((parent, False))
    order.reverse()
    return order
    # END SOLUTION


def unbroadcast(grad, shape, fn=None):
    """Sum a gradient back to the shape of the operand that was broadcast to make it.

    The one place broadcasting is undone: (5, 4) + (3, 1, 4) -> (3, 5, 4) sends a (3, 5, 4)
    gradient that sums over axis 0 for the first operand and axis 1 for the second.

    >>> import numpy as np
    >>> unbroadcast(np.ones((3, 5, 4)), (5, 4)).shape, unbroadcast(np.ones((3, 5, 4)), (3, 1, 4))[0, 0, 0].item()
    ((5, 4), 5.0)
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra >= 0:
        axes = tuple(range(extra)) + tuple(extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1)
        if axes:
            grad = backend.ensure_array(grad.sum(axis=axes, keepdims=True))
        if extra:
            grad = grad.reshape(grad.shape[extra:])
    if grad.shape != tuple(shape):
        raise RuntimeError(
            f"{type(fn).__name__ if fn is not None else 'backward'}.backward produced a gradient of shape "
            f"{grad.shape} for an input of shape {tuple(shape)}, and it cannot be summed back to it: "
            "backward must return one gradient per input, shaped like that input (or like the broadcast output)"
        )
    return grad


# =========================================================================== helpers of the above
def _seed(root, gradient, op):
    """The gradient the walk starts from: 1 for a scalar, else ``gradient`` (checked)."""
    if not root._requires_grad:
        raise RuntimeError(
            f"{op}(): this tensor does not require grad and has no graph. Create the inputs with "
            "requires_grad=True (and do not compute it under tn.no_grad())."
        )
    if gradient is None:
        if root._data.size != 1:
            raise RuntimeError(
                f"{op}() on a tensor of shape {root.shape} needs a gradient of the same shape: call "
                "y.backward(gradient), or reduce first, e.g. y.sum().backward()"
            )
        seed = backend.xp_of(root._data).empty_like(root._data)
        seed.fill(1)  # dL/dL = 1 (empty_like + fill: ones_like costs 5x more on tiny arrays)
        return seed
    return checks.checked_grad(root, gradient._data if isinstance(gradient, Tensor) else gradient, op)


def _run_hooks(node, grad):
    """The tensor's hooks in order, each seeing the previous one's result; retain_grad's
    last of all, whenever it was registered (as PyTorch: .grad is what flows on)."""
    for hook in node._hooks:
        if hook is not _retain:
            result = hook(Tensor._wrap(grad))
            if result is not None:
                grad = result._data if isinstance(result, Tensor) else result
    if _retain in node._hooks:
        _retain(node, grad)
    return grad


def _retain(node, grad):
    """The hook of ``retain_grad()``: a non-leaf keeps (a copy of) its gradient."""
    node._grad = grad.copy() if node._grad is None else node._grad + grad


def _requires_grad(args):
    return any(isinstance(a, Tensor) and a._requires_grad for a in args)


def _name(op):
    return getattr(op, "__name__", "write")


def _no_grad_op(tensor, other, ufunc):
    """A comparison or integer/logical operator: a plain array result, outside the graph."""
    xp = backend.xp_of(tensor._data)
    if other is None:
        return Tensor._wrap(getattr(xp, ufunc)(tensor._data))
    other = other._data if isinstance(other, Tensor) else other
    return Tensor._wrap(backend.ensure_array(getattr(xp, ufunc)(tensor._data, other)))


def _inputs_as_recorded(fn):
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


# The operators above call these ops; the ops are Functions, so they are imported last.
from tinynn.ops.arithmetic import (  # noqa: E402
    AddFunction, DivFunction, MatMulFunction, MulFunction, NegFunction, PowFunction, SubFunction, add, div, mul, sub,
)
from tinynn.ops.elementwise import abs  # noqa: E402
from tinynn.ops.shape import getitem, setitem  # noqa: E402
