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

from tinynn import backend, checks, inplace, modes
from tinynn.tensor_protocols import PythonProtocols

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
    clock = -1  # the write clock when this op ran (see parents()); -1: not recorded, or freed

    def __call__(self, *inputs):
        inputs, arrays, needs = checks.prepare(self, inputs, Tensor)  # 2 -> a constant; one device
        # modes.grad_enabled(), inlined: the hot path
        record = True in needs and (modes.threads_away == 0 or modes.state.grad_enabled)
        self.needs_input_grad = needs if record else (False,) * len(needs)
        if modes.threads_away and modes.state.anomaly:
            out = checks.checked_forward(self, arrays)  # NaN/inf check of the output (the walk checks backward)
        else:
            try:
                out = self.forward(*arrays)
            except ValueError as e:  # NumPy's broadcast error, re-raised naming the op
                raise checks.forward_error(self, arrays, e) from None
            except FloatingPointError as e:  # a subnormal under np.errstate(under="raise"): PyTorch computes on
                out = checks.without_underflow(self.forward, arrays, e)
            if type(out) is not type(arrays[0]):  # a NumPy scalar from a full reduction (or a mistake)
                out = checks.as_output(self, out)
        result = object.__new__(Tensor)  # Tensor._wrap(out), inlined: every op pays for it
        result._data, result._grad = out, None
        if record:  # remember how the result was made, for the backward walk
            self.inputs, self.clock = inputs, _write_clock
            result.creator, result._requires_grad = self, True
        else:
            result.creator, result._requires_grad = None, False
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
            del self.saved, self.inputs, self.clock  # (clock -1 again: parents() reports the freed graph)

    def parents(self):
        """The input Tensors as they were when this op ran. An in-place write since then
        moves a tensor on to a new node: the write clock tells, and tinynn/inplace.py finds
        the node that was (once: ``inputs`` keeps the answer)."""
        if self.clock != _write_clock:
            self.inputs, self.clock = inplace.inputs_as_recorded(self), _write_clock
        return self.inputs

    def __repr__(self):
        return f"<{type(self).__name__}>"


# =========================================================================== Tensor
class Tensor(PythonProtocols, inplace.InPlace):
    """An array with a gradient: the node of the computation graph.

    ``x.data`` and ``x.grad`` are Tensors sharing memory with x's array and its gradient, as in
    PyTorch (``x.numpy()`` gives the raw array). ``grad`` is None until ``backward`` reaches
    the tensor; gradients accumulate across uses and calls. Python's protocols (len, float,
    printing, ``<``) come from tinynn/tensor_protocols.py, in-place writes from tinynn/inplace.py.

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
        if value != self._requires_grad:
            checks.check_requires_grad(self, value)
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

    def detach(self) -> Tensor:
        """The same data, cut from the graph (shares memory, requires_grad=False)."""
        return Tensor._wrap(self._data)

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

    # in place (x += y, x[i] = v): one door, Tensor._write (tinynn/inplace.py)
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

    # -- backward ------------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate ∂self/∂leaf into ``leaf.grad`` for every leaf that requires grad.

        A scalar seeds the walk with 1; a non-scalar needs ``gradient`` of its own shape.
        The graph is freed afterwards unless ``retain_graph=True`` (as in PyTorch).
        ``inputs`` limits which leaves receive a gradient.
        """
        seed = _seed(self, gradient, "backward", create_graph)
        if inputs is None:
            return backward_pass(self, seed, bool(retain_graph), _accumulate)
        stops = frozenset([inputs] if isinstance(inputs, Tensor) else inputs)
        backward_pass(self, seed, bool(retain_graph), lambda t, g, own: t in stops and _accumulate(t, g, own), stops)

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


# =========================================================================== the backward walk
def backward_pass(root, seed, retain_graph, deliver, stops=frozenset()):
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
        try:
            input_grads = checks.checked_backward(fn, grad) if anomaly else fn.backward(grad)
        except FloatingPointError as e:  # a subnormal under np.errstate(under="raise"): PyTorch computes on
            input_grads = checks.without_underflow(fn.backward, (grad,), e)
        _add_grads(grads, owned, fn, grad, input_grads if type(input_grads) is tuple else (input_grads,))
        if not retain_graph:
            fn.release()


def _add_grads(grads, owned, fn, upstream, input_grads):
    """Add each input's gradient to what is pending for it: the ownership rule in one place.

    A leaf may keep as its ``.grad`` only an array that backward made for it alone (*owned*).
    A pass-through (Add returns ``upstream`` itself), a view of another array, or one array
    given to two inputs is *borrowed*: the leaf keeps a copy.
    """
    if len(input_grads) != len(fn.inputs):
        checks.one_gradient_per_input(fn, input_grads)
    for node, g in zip(fn.inputs, input_grads):  # (topological_order resolved them: fn.parents())
        if g is None:  # (a gradient for an input that needs none is never read: the walk skips it)
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
            if node.creator is None and g is not upstream and _made_for_one(g, input_grads):
                owned.add(node)  # a leaf's first gradient, made for it alone


def _made_for_one(g, input_grads):
    """Not a view of another array (``.base``), and given to one input only?"""
    if g.base is not None:
        return False
    given = 0  # (input_grads.count(g) would compare arrays by ==)
    for h in input_grads:  # (a plain loop: 2x faster than counting ids on 2-3 gradients)
        given += h is g
    return given == 1


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
        elif node not in visited:
            visited.add(node)
            if node.creator is None:  # a leaf: nothing comes before it
                order.append(node)
                continue
            stack.append((node, True))  # comes back once everything it was computed from is placed
            fn = node.creator  # fn.parents(), its usual case inlined: no in-place write since fn ran
            for parent in fn.inputs if fn.clock == _write_clock else fn.parents():
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
    extra = grad.ndim - len(shape)  # leading axes the broadcast added
    if extra < 0 or any(n != 1 and n != m for n, m in zip(shape, grad.shape[extra:])):
        raise checks.unbroadcastable(fn, grad.shape, shape)
    axes = tuple(range(extra)) + tuple(extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1)
    return backend.ensure_array(grad.sum(axis=axes, keepdims=True)).reshape(shape) if axes else grad.reshape(shape)


# =========================================================================== helpers of the above
def _seed(root, gradient, op, create_graph=False):
    """The gradient the walk starts from: 1 for a scalar, else ``gradient`` (checked)."""
    if gradient is not None or create_graph or not root._requires_grad or root._data.size != 1:
        return checks.checked_seed(root, gradient, op, create_graph)  # the user's gradient, or the error
    seed = root._data.copy()  # dL/dL = 1, of the root's shape, dtype and device (ones_like costs 5x more)
    seed.fill(1)
    return seed


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


# The operators above call these ops; the ops are Functions, so they are imported last.
from tinynn.ops.arithmetic import (  # noqa: E402
    AddFunction, DivFunction, MatMulFunction, MulFunction, NegFunction, PowFunction, SubFunction, add, div, mul, sub,
)
from tinynn.ops.elementwise import abs  # noqa: E402
from tinynn.ops.shape import getitem, setitem  # noqa: E402
