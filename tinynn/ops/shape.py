"""Shape ops: reshape, transpose, flatten, squeeze/unsqueeze, broadcast_to, indexing,
concatenate, and the device/dtype copy behind ``Tensor.to``. None of them does
arithmetic: each backward only moves gradient elements back to where they came from."""
from __future__ import annotations

from tinynn import backend, checks
from tinynn.ops.reduction import dim_index
from tinynn.tensor import Function, Tensor, unbroadcast


class ReshapeFunction(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        try:
            out = x.reshape(self.shape)
            if self.shape and min(self.shape) < -1:  # NumPy reads any negative size as -1; PyTorch refuses
                raise ValueError
            return out
        except (TypeError, ValueError) as e:
            raise checks.reshape_error(x.shape, self.shape, e) from None

    def backward(self, grad):
        return grad.reshape(self.in_shape)


class TransposeFunction(Function):
    """Permute axes (reverse them when ``axes`` is None); backward applies the inverse."""

    def __init__(self, axes=None):
        self.axes = axes

    def forward(self, x):
        self.axes = tuple(reversed(range(x.ndim))) if self.axes is None else tuple(a % x.ndim for a in self.axes)
        return x.transpose(self.axes)

    def backward(self, grad):
        inverse = [0] * len(self.axes)
        for i, a in enumerate(self.axes):
            inverse[a] = i
        return grad.transpose(inverse)


class BroadcastToFunction(Function):
    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        return backend.xp_of(x).broadcast_to(x, self.shape)

    def backward(self, grad):
        return grad  # the engine's unbroadcast sums it back to the input's shape


def _device_index(index, xp):
    """Tensors and lists inside an index become arrays of the indexed tensor's device."""
    if isinstance(index, tuple):
        return tuple(_device_index(i, xp) for i in index)
    if isinstance(index, Tensor):
        return index._data
    if isinstance(index, list):
        return xp.asarray(index)
    return index


def _is_basic(index):
    """Ints, slices, None and Ellipsis only: no element can be selected twice."""
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, slice)) for i in items)


class GetItemFunction(Function):
    """x[index]; backward scatters the gradient with add.at semantics, so an element picked
    twice (x[[0, 0]]) receives both gradients."""

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        self.in_shape, self.dtype = x.shape, x.dtype
        self.index = _device_index(self.index, backend.xp_of(x))
        try:
            return x[self.index]
        except IndexError as e:
            raise IndexError(f"getitem: {e} (tensor shape {x.shape})") from None

    def backward(self, grad):
        xp = backend.xp_of(grad)
        full = xp.zeros(self.in_shape, dtype=grad.dtype)
        if _is_basic(self.index):
            full[self.index] = grad
        else:
            xp.add.at(full, self.index, grad)
        return full


class SetItemFunction(Function):
    """``x[index] = value`` out of place: the result is x with the indexed elements replaced.
    Backward: x's gradient is zero where it was overwritten, value's is the gradient there."""

    def __init__(self, index):
        self.index = index

    def forward(self, x, value):
        self.index = _device_index(self.index, backend.xp_of(x))
        self.value_shape = value.shape
        out = x.copy()
        try:
            out[self.index] = value
        except (IndexError, ValueError) as e:
            raise type(e)(f"setitem: {e} (tensor shape {x.shape}, value shape {value.shape})") from None
        return out

    def backward(self, grad):
        grad_x = None
        if self.needs_input_grad[0]:
            grad_x = grad.copy()
            grad_x[self.index] = 0
        grad_value = grad[self.index] if self.needs_input_grad[1] else None
        if grad_value is not None and grad_value.shape != self.value_shape:
            grad_value = unbroadcast(grad_value, self.value_shape, self)
        return grad_x, grad_value


class ConcatenateFunction(Function):
    def __init__(self, axis=0):
        self.axis = axis

    def forward(self, *arrays):
        self.sizes = [a.shape[self.axis] for a in arrays]
        try:
            return backend.xp_of(arrays[0]).concatenate(arrays, axis=self.axis)
        except ValueError:
            shapes = [a.shape for a in arrays]
            raise ValueError(f"concatenate: shapes {shapes} differ outside axis {self.axis}") from None

    def backward(self, grad):
        pieces, start = [], 0
        for n in self.sizes:
            index = [slice(None)] * grad.ndim
            index[self.axis] = slice(start, start + n)
            pieces.append(grad[tuple(index)])
            start += n
        return tuple(pieces)


class ToCopyFunction(Function):
    """A copy on another device and/or dtype; the gradient travels back the same way."""

    def __init__(self, device, dtype, copy=False):
        self.device, self.dtype, self.copy = device, dtype, copy

    def forward(self, x):
        self.src_device, self.src_dtype = backend.device_of(x), x.dtype
        out = backend.to_device(x, self.device)
        if self.copy and out is x:
            out = out.copy()
        return out.astype(self.dtype, copy=False) if self.dtype is not None else out

    def backward(self, grad):
        return backend.to_device(grad, self.src_device).astype(self.src_dtype, copy=False)


def reshape(x, *shape):
    """A tensor with the same elements in a new shape (-1 infers one axis).

    >>> import tinynn as tn
    >>> reshape(tn.ones(6), 2, -1).shape
    (2, 3)
    """
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return ReshapeFunction(shape)(x)


def permute(x, *dims):
    """Reorder the axes: ``permute(x, 0, 2, 1)`` (PyTorch's permute; all dims, each once).

    >>> permute(tn.ones((2, 3, 4)), 0, 2, 1).shape
    (2, 4, 3)
    """
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    axes = tuple(dim_index(d, x.ndim, "permute") for d in dims)
    if sorted(axes) != list(range(x.ndim)):
        raise RuntimeError(f"permute: dims {dims} must name each of the {x.ndim} dims of shape {x.shape} once")
    return TransposeFunction(axes)(x)


def broadcast_to(x, shape):
    """Broadcast ``x`` to ``shape`` (the gradient is summed back).

    >>> broadcast_to(tn.tensor([1.0, 2.0]), (3, 2)).shape
    (3, 2)
    """
    return BroadcastToFunction(shape)(x)


def getitem(x, index):
    """``x[index]`` for ints, slices, None, Ellipsis, integer/boolean arrays or Tensors.

    >>> x = tn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> getitem(x, [0, 0, 2]).sum().backward(); x.grad.tolist()  # element 0 picked twice
    [2.0, 0.0, 1.0]
    """
    return GetItemFunction(index)(x)


def setitem(x, index, value):
    """x with ``x[index]`` replaced by ``value``, in the graph (``x[index] = value`` writes it into x).

    >>> x = tn.zeros(3, requires_grad=True)
    >>> y = setitem(x * 1, 0, 5.0); y.tolist()
    [5.0, 0.0, 0.0]
    """
    return SetItemFunction(index)(x, value)


def _setitem_in_place(x, index, value):
    """The memory write behind ``x[index] = value`` when nothing needs recording."""
    xp = backend.xp_of(x._data)
    value = value._data if isinstance(value, Tensor) else value
    if isinstance(value, (list, tuple)):
        value = xp.asarray(value)
    try:
        x._data[_device_index(index, xp)] = value
    except (IndexError, ValueError) as e:
        raise type(e)(f"setitem: {e} (tensor shape {x.shape})") from None


setitem.in_place = _setitem_in_place


def concatenate(tensors, dim=0, *, axis=None):
    """Join tensors along an existing dim (``torch.cat``).

    >>> concatenate([tn.ones((2, 3)), tn.zeros((1, 3))]).shape
    (3, 3)
    """
    tensors = checks.tensor_list(tensors, "cat")
    return ConcatenateFunction(dim_index(dim if axis is None else axis, tensors[0].ndim, "cat"))(*tensors)


def to_copy(x, device=None, dtype=None, copy=False):
    """``x.to(device, dtype)``; returns ``x`` itself when nothing changes (unless ``copy``).

    >>> to_copy(tn.ones(2), dtype="float64").dtype
    dtype('float64')
    """
    device = backend.check_device(device) if device is not None else x.device
    dtype = backend.as_dtype(dtype)
    if device == x.device and (dtype is None or dtype == x.dtype) and not copy:
        return x
    if dtype is not None and not backend.is_floating(dtype):  # no gradient reaches integers
        return Tensor._wrap(backend.to_device(x._data, device).astype(dtype))
    return ToCopyFunction(device, dtype, copy)(x)


cat = concatenate


__all__ = ["reshape", "permute", "broadcast_to",
           "getitem", "setitem", "concatenate", "cat"]
