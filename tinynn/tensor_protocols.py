"""What makes a Tensor behave like a Python value: len, iteration, bool/float/int, indexing
with it, NumPy conversion, printing, and the comparison and bitwise operators.

None of this is autodiff: comparisons give bool tensors outside the graph (no gradient
flows through ``<``), so the engine in tensor.py does not need to know about any of it.
``Tensor`` inherits these from ``PythonProtocols``.

>>> import tinynn as tn
>>> x = tn.tensor([1.0, 2.0, 3.0])
>>> len(x), float(x[1]), (x > 1.5).tolist()
(3, 2.0, [False, True, True])
"""
from __future__ import annotations

from tinynn import backend, printing


class PythonProtocols:
    """Python's protocols for Tensor (a mixin: Tensor holds the data in ``_data``)."""

    __slots__ = ()

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
        host = backend.to_host_strict(self._data)  # np.asarray(t) shares memory, np.array(t) copies (as torch)
        if dtype is not None:
            return host.astype(dtype, copy=bool(copy))
        return host.copy() if copy else host

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

    # comparisons and integer/logical operators have no gradient: plain array results
    def __eq__(self, other):
        return no_grad_op(self, other, "equal")

    def __ne__(self, other):
        return no_grad_op(self, other, "not_equal")

    def __lt__(self, other):
        return no_grad_op(self, other, "less")

    def __le__(self, other):
        return no_grad_op(self, other, "less_equal")

    def __gt__(self, other):
        return no_grad_op(self, other, "greater")

    def __ge__(self, other):
        return no_grad_op(self, other, "greater_equal")

    def __and__(self, other):
        return no_grad_op(self, other, "bitwise_and")

    def __or__(self, other):
        return no_grad_op(self, other, "bitwise_or")

    def __xor__(self, other):
        return no_grad_op(self, other, "bitwise_xor")

    def __invert__(self):
        return no_grad_op(self, None, "invert")

    def __floordiv__(self, other):
        return no_grad_op(self, other, "floor_divide")

    def __mod__(self, other):
        return no_grad_op(self, other, "remainder")

    __hash__ = object.__hash__  # tensors are graph nodes: identity, not value, matters


def no_grad_op(tensor, other, ufunc):
    """A comparison or integer/logical operator: a plain array result, outside the graph."""
    from tinynn.tensor import Tensor  # (tensor.py imports this module before it defines Tensor)

    xp = backend.xp_of(tensor._data)
    if other is None:
        return Tensor._wrap(getattr(xp, ufunc)(tensor._data))
    other = other._data if isinstance(other, Tensor) else other
    return Tensor._wrap(backend.ensure_array(getattr(xp, ufunc)(tensor._data, other)))
