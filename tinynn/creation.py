"""Ways to make a tensor, with PyTorch's names and arguments: from data, filled with a
constant, evenly spaced, or random (seeded by ``tn.manual_seed`` or a ``tn.Generator``).

>>> import tinynn as tn
>>> tn.zeros(2, 3).shape, tn.arange(1, 7, 2).tolist(), tn.eye(2).tolist()
((2, 3), [1, 3, 5], [[1.0, 0.0], [0.0, 1.0]])
"""
from __future__ import annotations

import math
import operator

from tinynn import backend, random
from tinynn.tensor import Tensor

__all__ = [
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "eye", "arange", "linspace",
    "zeros_like", "ones_like", "full_like", "empty_like", "rand", "randn", "rand_like", "randn_like",
    "randint", "randint_like", "randperm", "multinomial", "normal", "bernoulli", "FloatTensor",
    "DoubleTensor", "LongTensor", "IntTensor", "BoolTensor",
]


MAX_ELEMENTS = 2 ** 63 - 1  # a tensor's element count is an int64, as in PyTorch


def _shape(shape, size=None, op="tensor"):
    """The size ``op`` was given (separate ints, one tuple or list, or ``size=``) as a tuple
    of ints. Ints, NumPy integers and 0-d integer tensors count, as in PyTorch; bools,
    floats, float tensors and arrays do not.

    >>> _shape((2, 3)), _shape(((2, 3),)), _shape((), size=[4])
    ((2, 3), (2, 3), (4,))
    >>> _shape((Tensor(backend.numpy.ones((2, 3))),), op="zeros")
    Traceback (most recent call last):
    ...
    TypeError: zeros(): the size must be ints or one tuple of ints, ...; got a Tensor of shape (2, 3) ...
    """
    shape = size if size is not None else shape
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if not isinstance(shape, (tuple, list)):
        shape = (shape,)
    sizes = tuple(_size_item(n) for n in shape)
    for n, got in zip(shape, sizes):
        if got is None:
            example = _SIZE_EXAMPLES.get(op, f"{op}(2, 3) or {op}((2, 3))")
            raise TypeError(f"{op}(): the size must be ints or one tuple of ints, e.g. {example}; got {_describe(n)}")
    if any(n < 0 for n in sizes):
        raise RuntimeError(f"{op}(): sizes must be non-negative, got {sizes}")
    return sizes


_SIZE_EXAMPLES = {"full": "full((2, 3), 7.0)", "randint": "randint(0, 10, (2, 3))",
                  "normal": "normal(0.0, 1.0, size=(2, 3))"}


def _size_item(n):
    """One size as an int, or None when ``n`` is not one."""
    if isinstance(n, bool):
        return None
    if isinstance(n, int):
        return n
    data = n._data if isinstance(n, Tensor) else n
    kind = getattr(getattr(data, "dtype", None), "kind", None)
    if kind is not None and getattr(data, "ndim", None) is not None:  # NumPy scalars and arrays, Tensors
        return int(data) if data.ndim == 0 and kind in "iu" else None
    try:
        return operator.index(n)  # other integer types
    except TypeError:
        return None


def _describe(n):
    data = n._data if isinstance(n, Tensor) else n
    if getattr(data, "ndim", 0):
        hint = " (for another tensor's shape, pass t.shape)"
        return f"a{'' if isinstance(n, Tensor) else 'n'} {type(n).__name__} of shape {tuple(data.shape)}{hint}"
    text = repr(n)
    return f"{type(n).__name__} {text if len(text) <= 40 else text[:40] + '...'}"


def allocate(op, shape, dtype, make):
    """``make()``: a new array of ``shape`` and ``dtype``; sizes too large for one array, or
    for the memory, become a RuntimeError naming ``op`` ("zeros()", "Linear") and the size (PyTorch raises one too)
    instead of NumPy's "Maximum allowed dimension exceeded" or a MemoryError.

    >>> import numpy as np
    >>> allocate("zeros()", (10 ** 20,), np.dtype("float32"), lambda: np.zeros(10 ** 20))
    Traceback (most recent call last):
    ...
    RuntimeError: zeros(): the size (100000000000000000000,) has 100000000000000000000 elements, more than ...
    """
    count = math.prod(shape)
    if count > MAX_ELEMENTS:
        raise RuntimeError(f"{op}: the size {tuple(shape)} has {count} elements, more than a tensor can hold "
                           "(2**63 - 1)")
    try:
        return make()
    except (MemoryError, ValueError, OverflowError) as error:
        nbytes = count * backend.numpy.dtype(dtype).itemsize
        why = "not enough memory" if isinstance(error, MemoryError) else "too large for one array"
        raise RuntimeError(f"{op}: cannot allocate a {dtype} tensor of size {tuple(shape)} "
                           f"({nbytes / 2 ** 30:.3g} GiB): {why}") from None


def _float_dtype(dtype, op):
    dtype = backend.as_dtype(dtype) or backend.default_dtype()
    if dtype.kind != "f":
        raise TypeError(f"{op}: random floats need a floating dtype, got {dtype} (use tn.randint for integers)")
    return dtype


def _made(data, requires_grad):
    t = Tensor._wrap(data)
    return t.requires_grad_(requires_grad) if requires_grad else t


# -- from data --------------------------------------------------------------------------------
def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of ``data`` (Python floats become float32, ints int64).

    >>> import tinynn as tn
    >>> tn.tensor([[1.0, 2.0]], requires_grad=True)
    tensor([[1., 2.]], requires_grad=True)
    """
    if isinstance(data, Tensor):
        data = data._data
    elif isinstance(data, (list, tuple)):
        data = _host_values(data)
    if backend.is_array(data):
        data = backend.xp_of(data).array(data, copy=True) if dtype is None else data.astype(dtype)
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, device=device)


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but shares memory with an array (or Tensor) when nothing must change."""
    if isinstance(data, Tensor):
        return data if dtype is None and device is None else data.to(device or data.device, dtype or data.dtype)
    if backend.is_array(data) and (dtype is None or backend.as_dtype(dtype) == data.dtype) and device in (None, backend.device_of(data)):
        return Tensor._wrap(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array):
    """A tensor sharing memory with a NumPy array: writes to either show in both.

    >>> import numpy as np, tinynn as tn
    >>> a = np.zeros(2); t = tn.from_numpy(a); t[0] = 1.0; a.tolist()
    [1.0, 0.0]
    """
    if not isinstance(array, backend.numpy.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor(array)


def _host_values(data):
    """Nested lists may hold Tensors (``[tn.tensor(1.0), tn.tensor(2.0)]``): use their values."""
    if isinstance(data, Tensor):
        return backend.to_host(data._data)
    if isinstance(data, (list, tuple)):
        return [_host_values(d) for d in data]
    return data


# -- filled -----------------------------------------------------------------------------------
def _filled(fill, shape, dtype, device, requires_grad, size=None, op=None):
    device = backend.check_device(device or "cpu")
    dtype = backend.as_dtype(dtype) or backend.default_dtype()
    op = op or fill
    shape = _shape(shape, size, op)
    make = getattr(backend.xp_for(device), fill)
    return _made(allocate(f"{op}()", shape, dtype, lambda: make(shape, dtype=dtype)), requires_grad)


def zeros(*shape, dtype=None, device=None, requires_grad=False, size=None):
    """A tensor of zeros; the shape as separate ints or one tuple.

    >>> import tinynn as tn
    >>> tn.zeros(2, 3).shape, tn.zeros((2, 3)).dtype
    ((2, 3), dtype('float32'))
    """
    return _filled("zeros", shape, dtype, device, requires_grad, size)


def ones(*shape, dtype=None, device=None, requires_grad=False, size=None):
    """A tensor of ones.

    >>> import tinynn as tn
    >>> tn.ones(2, dtype=tn.float64).tolist()
    [1.0, 1.0]
    """
    return _filled("ones", shape, dtype, device, requires_grad, size)


def empty(*shape, dtype=None, device=None, requires_grad=False, size=None):
    """An uninitialised tensor (tinynn fills it with zeros, so nothing random leaks in)."""
    return _filled("zeros", shape, dtype, device, requires_grad, size, op="empty")


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    """A tensor filled with ``fill_value`` (its dtype follows the value, as PyTorch).

    >>> import tinynn as tn
    >>> tn.full((2, 2), 7.0).tolist(), tn.full((1,), 3).dtype
    ([[7.0, 7.0], [7.0, 7.0]], dtype('int64'))
    """
    if dtype is None:
        dtype = backend.infer_dtype(fill_value)
    t = _filled("zeros", (size,), dtype, device, False, op="full")
    t._data[...] = fill_value
    return t.requires_grad_(requires_grad) if requires_grad else t


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    """The n×m identity matrix."""
    device = backend.check_device(device or "cpu")
    dtype = backend.as_dtype(dtype) or backend.default_dtype()
    return _made(backend.xp_for(device).eye(n, m, dtype=dtype), requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """Values from ``start`` to ``end`` (exclusive) by ``step``; integers stay int64, floats
    become the default float dtype.

    >>> import tinynn as tn
    >>> tn.arange(4).tolist(), tn.arange(0.0, 1.0, 0.5).tolist()
    ([0, 1, 2, 3], [0.0, 0.5])
    """
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    values = [v._data.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if dtype is None:
        dtype = "int64" if all(isinstance(v, int) for v in values) else backend.default_dtype()
    device = backend.check_device(device or "cpu")
    return _made(backend.xp_for(device).arange(*values, dtype=backend.as_dtype(dtype)), requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from start to end, both included.

    >>> import tinynn as tn; tn.linspace(0, 1, 3).tolist()
    [0.0, 0.5, 1.0]
    """
    device = backend.check_device(device or "cpu")
    dtype = backend.as_dtype(dtype) or backend.default_dtype()
    return _made(backend.xp_for(device).linspace(start, end, int(steps), dtype=dtype), requires_grad)


def _like(maker, t, dtype, device, requires_grad, *args, **kw):
    return maker(*args, t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad, **kw)


def zeros_like(input, dtype=None, device=None, requires_grad=False):  # noqa: A002 - PyTorch's name
    """Zeros with the shape, dtype and device of ``input``."""
    return _like(zeros, input, dtype, device, requires_grad)


def ones_like(input, dtype=None, device=None, requires_grad=False):  # noqa: A002
    """Ones with the shape, dtype and device of ``input``."""
    return _like(ones, input, dtype, device, requires_grad)


def empty_like(input, dtype=None, device=None, requires_grad=False):  # noqa: A002
    return _like(empty, input, dtype, device, requires_grad)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False):  # noqa: A002
    return full(input.shape, fill_value, dtype=dtype or input.dtype, device=device or input.device, requires_grad=requires_grad)


# -- random -----------------------------------------------------------------------------------
def _random(kind, shape, dtype, device, requires_grad, generator, op, **kw):
    dtype = _float_dtype(dtype, op)
    device = backend.check_device(device or "cpu")
    draw = allocate(f"{op}()", shape, dtype, lambda: getattr(random.rng_of(generator), kind)(size=shape, **kw))
    return _made(backend.to_device(backend.numpy.asarray(draw, dtype=dtype), device), requires_grad)


def randn(*shape, dtype=None, device=None, requires_grad=False, generator=None, size=None):
    """Standard-normal samples from tinynn's seeded generator.

    >>> import tinynn as tn
    >>> tn.manual_seed(0); a = tn.randn(3); tn.manual_seed(0); bool((a == tn.randn(3)).all())
    True
    """
    return _random("standard_normal", _shape(shape, size, "randn"), dtype, device, requires_grad, generator, "randn")


def rand(*shape, dtype=None, device=None, requires_grad=False, generator=None, size=None):
    """Uniform samples in [0, 1).

    >>> import tinynn as tn
    >>> x = tn.rand(1000); x.shape, bool((x >= 0).all() and (x < 1).all())
    ((1000,), True)
    """
    return _random("random", _shape(shape, size, "rand"), dtype, device, requires_grad, generator, "rand")


def randn_like(input, dtype=None, device=None, requires_grad=False):  # noqa: A002
    return randn(input.shape, dtype=dtype or input.dtype, device=device or input.device, requires_grad=requires_grad)


def rand_like(input, dtype=None, device=None, requires_grad=False):  # noqa: A002
    return rand(input.shape, dtype=dtype or input.dtype, device=device or input.device, requires_grad=requires_grad)


def normal(mean, std, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Samples of N(mean, std²): ``normal(0.0, 1.0, size=(2, 3))`` or with Tensor mean/std."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        m = mean._data if isinstance(mean, Tensor) else mean
        s = std._data if isinstance(std, Tensor) else std
        ref = mean if isinstance(mean, Tensor) else std
        shape = backend.numpy.broadcast_shapes(backend.numpy.shape(m), backend.numpy.shape(s))
        z = _random("standard_normal", shape, ref.dtype, ref.device, False, generator, "normal")._data
        return _made(m + s * z, requires_grad)
    if size is None:
        raise TypeError("normal(mean, std) with numbers needs size=, e.g. tn.normal(0.0, 1.0, size=(3,))")
    if std < 0:
        raise RuntimeError(f"normal: std must be >= 0, got {std}")
    shape = _shape((size,), op="normal")
    return _random("normal", shape, dtype, device, requires_grad, generator, "normal", loc=mean, scale=std)


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Integers uniformly from [low, high): ``randint(10, (3,))`` or ``randint(0, 10, (3,))``."""
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint: give the size, e.g. tn.randint(0, 10, (3,))")
    if high <= low:
        raise RuntimeError(f"randint: expects low < high, got low={low}, high={high}")
    dtype = backend.as_dtype(dtype) or backend.numpy.dtype("int64")
    shape = _shape((size,), op="randint")
    draw = allocate("randint()", shape, "int64", lambda: random.rng_of(generator).integers(low, high, size=shape))
    return _made(backend.to_device(draw.astype(dtype), backend.check_device(device or "cpu")), requires_grad)


def randint_like(input, low, high=None, dtype=None):  # noqa: A002
    return randint(low, high, input.shape, dtype=dtype or input.dtype, device=input.device)


def randperm(n, *, generator=None, dtype=None, device=None):
    """A random permutation of 0..n-1."""
    perm = random.rng_of(generator).permutation(int(n))
    return _made(backend.to_device(perm.astype(backend.as_dtype(dtype) or "int64"), backend.check_device(device or "cpu")), False)


def multinomial(input, num_samples, replacement=False, *, generator=None):  # noqa: A002
    """Draw indices with probability proportional to the (non-negative) weights in each row.

    >>> import tinynn as tn; tn.multinomial(tn.tensor([0.0, 1.0]), 1).tolist()
    [1]
    """
    np = backend.numpy
    weights = backend.to_host(input._data).astype(np.float64)
    rows = weights.reshape(-1, weights.shape[-1]) if weights.ndim else None
    if rows is None or (rows < 0).any() or not np.isfinite(rows).all() or (rows.sum(1) <= 0).any():
        raise RuntimeError("multinomial: the weights must be a 1-d or 2-d tensor of finite, non-negative "
                           "numbers with a positive sum in each row")
    if not replacement and num_samples > (rows > 0).sum(1).min():
        raise RuntimeError("multinomial: cannot draw more samples than there are non-zero weights without replacement")
    rng = random.rng_of(generator)
    picks = np.stack([rng.choice(len(r), size=num_samples, replace=replacement, p=r / r.sum()) for r in rows])
    picks = picks.reshape(weights.shape[:-1] + (num_samples,))
    return Tensor._wrap(backend.to_device(picks.astype(np.int64), input.device))


def bernoulli(input, p=None, *, generator=None):  # noqa: A002
    """1 with probability ``input`` (elementwise), else 0."""
    prob = backend.to_host(input._data) if p is None else backend.numpy.full(input.shape, p)
    draw = random.rng_of(generator).random(input.shape) < prob
    return Tensor._wrap(backend.to_device(draw.astype(input.dtype), input.device))


# -- legacy constructors ----------------------------------------------------------------------
def _legacy(dtype):
    def make(*args):
        if len(args) == 1 and not isinstance(args[0], int):
            return tensor(args[0], dtype=dtype)
        return zeros(*args, dtype=dtype)

    make.__doc__ = f"PyTorch's legacy constructor: a {dtype} tensor from data, or zeros of a shape."
    return make


FloatTensor, DoubleTensor, LongTensor, IntTensor, BoolTensor = (
    _legacy(d) for d in ("float32", "float64", "int64", "int32", "bool"))
