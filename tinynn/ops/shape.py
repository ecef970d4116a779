"""Shape ops: reshape, transpose, flatten, squeeze/unsqueeze, broadcast_to, indexing,
concatenate, stack, and the device/dtype copy behind ``Tensor.to``. None of them does
arithmetic: each backward only moves gradient elements back to where they came from."""
from __future__ import annotations

from tinynn import backend
from tinynn.tensor import Function, Tensor


class Reshape(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        try:
            return x.reshape(self.shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) "
                f"into {tuple(self.shape)}") from None

    def backward(self, grad):
        return grad.reshape(self.in_shape)


class Transpose(Function):
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


class BroadcastTo(Function):
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
        return index.data
    if isinstance(index, list):
        return xp.asarray(index)
    return index


def _is_basic(index):
    """Ints, slices, None and Ellipsis only: no element can be selected twice."""
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, slice)) for i in items)


class GetItem(Function):
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


class Concatenate(Function):
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


class Stack(Function):
    def __init__(self, axis=0):
        self.axis = axis

    def forward(self, *arrays):
        if len({a.shape for a in arrays}) > 1:
            raise ValueError(f"stack: all tensors must have the same shape, got {[a.shape for a in arrays]}")
        return backend.xp_of(arrays[0]).stack(arrays, axis=self.axis)

    def backward(self, grad):
        axis = self.axis % grad.ndim
        return tuple(grad[(slice(None),) * axis + (i,)] for i in range(grad.shape[axis]))


class ToCopy(Function):
    """A copy on another device and/or dtype; the gradient travels back the same way."""

    def __init__(self, device, dtype):
        self.device, self.dtype = device, dtype

    def forward(self, x):
        self.src_device, self.src_dtype = backend.device_of(x), x.dtype
        out = backend.to_device(x, self.device)
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
    return Reshape(shape)(x)


def transpose(x, *axes):
    """Reverse the axes (``x.T``) or permute them: ``transpose(x, 0, 2, 1)``.

    >>> transpose(tn.ones((2, 3, 4)), 0, 2, 1).shape
    (2, 4, 3)
    """
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    return Transpose(axes or None)(x)


def swapaxes(x, a, b):
    """Exchange two axes.

    >>> swapaxes(tn.ones((2, 3, 4)), 0, 2).shape
    (4, 3, 2)
    """
    axes = list(range(x.ndim))
    axes[a], axes[b] = axes[b], axes[a]
    return Transpose(tuple(axes))(x)


def flatten(x, start_dim=1):
    """Collapse the axes from ``start_dim`` on into one (batch axis kept by default, as nn.Flatten).

    >>> flatten(tn.ones((8, 3, 4, 4))).shape
    (8, 48)
    """
    return Reshape(tuple(x.shape[:start_dim]) + (-1,))(x)


def squeeze(x, axis=None):
    """Remove axes of length 1 (all of them, or just ``axis``).

    >>> squeeze(tn.ones((1, 3, 1))).shape, squeeze(tn.ones((1, 3, 1)), 0).shape
    ((3,), (3, 1))
    """
    shape = x.shape
    if axis is None:
        new = tuple(n for n in shape if n != 1)
    else:
        axis %= x.ndim
        if shape[axis] != 1:
            raise ValueError(f"squeeze: axis {axis} has length {shape[axis]}, not 1 (shape {shape})")
        new = shape[:axis] + shape[axis + 1:]
    return Reshape(new)(x)


def unsqueeze(x, axis):
    """Insert an axis of length 1 at ``axis``.

    >>> unsqueeze(tn.ones(3), 0).shape
    (1, 3)
    """
    axis = axis % (x.ndim + 1)
    return Reshape(x.shape[:axis] + (1,) + x.shape[axis:])(x)


def broadcast_to(x, shape):
    """Broadcast ``x`` to ``shape`` (the gradient is summed back).

    >>> broadcast_to(tn.tensor([1.0, 2.0]), (3, 2)).shape
    (3, 2)
    """
    return BroadcastTo(shape)(x)


def getitem(x, index):
    """``x[index]`` for ints, slices, None, Ellipsis, integer/boolean arrays or Tensors.

    >>> x = tn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> getitem(x, [0, 0, 2]).sum().backward(); x.grad.tolist()  # element 0 picked twice
    [2.0, 0.0, 1.0]
    """
    return GetItem(index)(x)


def concatenate(tensors, axis=0):
    """Join tensors along an existing axis (``torch.cat``).

    >>> concatenate([tn.ones((2, 3)), tn.zeros((1, 3))]).shape
    (3, 3)
    """
    return Concatenate(axis)(*tensors)


def stack(tensors, axis=0):
    """Join same-shaped tensors along a new axis.

    >>> stack([tn.ones(3), tn.zeros(3)], axis=1).shape
    (3, 2)
    """
    return Stack(axis)(*tensors)


def to_copy(x, device=None, dtype=None):
    """``x.to(device, dtype)``; returns ``x`` itself when nothing changes.

    >>> to_copy(tn.ones(2), dtype="float64").dtype
    dtype('float64')
    """
    device = backend.check_device(device) if device is not None else x.device
    dtype = backend.as_dtype(dtype)
    if device == x.device and (dtype is None or dtype == x.dtype):
        return x
    if dtype is not None and x.requires_grad and not backend.is_floating(dtype):
        raise TypeError(f"to(): a tensor that requires grad cannot become {dtype}; detach() it first")
    return ToCopy(device, dtype)(x)


cat = concatenate
