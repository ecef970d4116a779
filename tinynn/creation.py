"""Ways to make a tensor: from data, filled with a constant, or random (seeded by tn.manual_seed)."""
from __future__ import annotations

from tinynn import backend
from tinynn.tensor import Tensor


def _shape(shape):
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else tuple(shape)


def _dtype(dtype):
    return backend.as_dtype(dtype) or backend.default_dtype()


def tensor(data, requires_grad=False, dtype=None, device=None):
    """A new tensor holding a copy of ``data`` (lists of floats become float32).

    >>> import tinynn as tn
    >>> tn.tensor([[1.0, 2.0]], requires_grad=True)
    tensor([[1., 2.]], requires_grad=True)
    """
    if isinstance(data, Tensor):
        data = data.data
    elif isinstance(data, (list, tuple)):
        data = _host_values(data)
    if backend.is_array(data):
        data = backend.xp_of(data).array(data, copy=True) if dtype is None else data.astype(dtype)
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, device=device)


def _host_values(data):
    """Nested lists may hold Tensors (``[tn.tensor(1.0), tn.tensor(2.0)]``): use their values."""
    if isinstance(data, Tensor):
        return backend.to_host(data.data)
    if isinstance(data, (list, tuple)):
        return [_host_values(d) for d in data]
    return data


def _filled(fill, shape, dtype, device, requires_grad):
    device = backend.check_device(device)
    data = getattr(backend.xp_for(device), fill)(_shape(shape), dtype=_dtype(dtype))
    return Tensor(data, requires_grad=requires_grad)


def zeros(*shape, dtype=None, device="cpu", requires_grad=False):
    """A tensor of zeros; the shape as separate ints or one tuple.

    >>> import tinynn as tn
    >>> tn.zeros(2, 3).shape, tn.zeros((2, 3)).dtype
    ((2, 3), dtype('float32'))
    """
    return _filled("zeros", shape, dtype, device, requires_grad)


def ones(*shape, dtype=None, device="cpu", requires_grad=False):
    """A tensor of ones.

    >>> import tinynn as tn
    >>> tn.ones(2, dtype="float64").tolist()
    [1.0, 1.0]
    """
    return _filled("ones", shape, dtype, device, requires_grad)


def full(shape, value, dtype=None, device="cpu", requires_grad=False):
    """A tensor filled with ``value``.

    >>> import tinynn as tn
    >>> tn.full((2, 2), 7.0).tolist()
    [[7.0, 7.0], [7.0, 7.0]]
    """
    t = zeros(shape, dtype=dtype, device=device)
    t.data[...] = value
    return t.requires_grad_(requires_grad)


def zeros_like(t, dtype=None, requires_grad=False):
    """Zeros with the shape, dtype and device of ``t``.

    >>> import tinynn as tn
    >>> tn.zeros_like(tn.ones(2, 3, dtype="float64")).dtype
    dtype('float64')
    """
    return zeros(t.shape, dtype=dtype or t.dtype, device=t.device, requires_grad=requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    """Ones with the shape, dtype and device of ``t``.

    >>> import tinynn as tn
    >>> tn.ones_like(tn.zeros(2)).tolist()
    [1.0, 1.0]
    """
    return ones(t.shape, dtype=dtype or t.dtype, device=t.device, requires_grad=requires_grad)


def randn(*shape, dtype=None, device="cpu", requires_grad=False):
    """Standard-normal samples from tinynn's seeded generator.

    >>> import tinynn as tn
    >>> tn.manual_seed(0); a = tn.randn(3); tn.manual_seed(0); bool((a == tn.randn(3)).all())
    True
    """
    device = backend.check_device(device)
    data = backend.random_array("standard_normal", _shape(shape), _dtype(dtype), device)
    return Tensor(data, requires_grad=requires_grad)


def rand(*shape, dtype=None, device="cpu", requires_grad=False):
    """Uniform samples in [0, 1) from tinynn's seeded generator.

    >>> import tinynn as tn
    >>> tn.manual_seed(0)
    >>> x = tn.rand(1000)
    >>> x.shape, bool((x >= 0).all() and (x < 1).all())
    ((1000,), True)
    """
    device = backend.check_device(device)
    data = backend.random_array("random", _shape(shape), _dtype(dtype), device)
    return Tensor(data, requires_grad=requires_grad)


def arange(*args, dtype=None, device="cpu"):
    """Evenly spaced values, as ``np.arange`` (integers stay integers).

    >>> import tinynn as tn
    >>> tn.arange(4).tolist(), tn.arange(0.0, 1.0, 0.5).tolist()
    ([0, 1, 2, 3], [0.0, 0.5])
    """
    device = backend.check_device(device)
    return Tensor(backend.xp_for(device).arange(*args, dtype=dtype))
