"""PyTorch's everyday surface as compositions of the primitives: no backward of their own,
so nothing here can get a gradient wrong. Each one reads as the maths it stands for.

>>> import tinynn as tn
>>> x = tn.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> tn.logsumexp(x, dim=1).sum().backward(); x.grad.sum(1).tolist()   # softmax rows sum to 1
[1.0, 1.0]
"""
from __future__ import annotations

import builtins
import math
from collections import namedtuple

from tinynn import backend, random
from tinynn.ops.activation import log_softmax, relu, sigmoid, softmax, tanh
from tinynn.ops.arithmetic import add as _add
from tinynn.ops.arithmetic import matmul, mul, neg, pow
from tinynn.ops.arithmetic import sub as _sub
from tinynn.ops.compose_shape import reverse_axes
from tinynn.ops.elementwise import abs, clip, exp, log, sqrt
from tinynn.ops.elementwise import where as _select
from tinynn.ops.reduction import _dims as _reduction_dims
from tinynn.ops.reduction import amax, amin, dim_index, mean, sum
from tinynn.ops.compose_shape import stack
from tinynn.ops.shape import broadcast_to, concatenate, getitem, permute, reshape, to_copy
from tinynn.tensor import Tensor


class Size(tuple):
    """A shape, as returned by ``x.size()`` (PyTorch's ``torch.Size``: a tuple).

    >>> Size((2, 3)), Size((2, 3)).numel(), Size((2, 3)) == (2, 3)
    (tinynn.Size([2, 3]), 6, True)
    """

    def __repr__(self):
        return f"tinynn.Size({list(self)})"

    def numel(self) -> int:
        return math.prod(self)


# -- sizes and views ---------------------------------------------------------------------
def size(x, dim=None):
    """``x.size()`` -> Size, ``x.size(d)`` -> int (PyTorch's; ``x.shape`` is the tuple).

    >>> import tinynn as tn; tn.ones(2, 3).size(), tn.ones(2, 3).size(-1)
    (tinynn.Size([2, 3]), 3)
    """
    return Size(x.shape) if dim is None else x.shape[dim_index(dim, x.ndim, "size")]


def dim(x) -> int:
    """Number of dims (``x.ndim``)."""
    return x.ndim


def numel(x) -> int:
    """Number of elements.

    >>> import tinynn as tn; tn.ones(2, 3).numel()
    6
    """
    return int(x._data.size)


def view(x, *shape):
    """``reshape`` under PyTorch's other name (tinynn copies only when NumPy must)."""
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list)):
        return to_copy(x, dtype=shape[0])  # x.view(dtype)
    return reshape(x, *shape)


def view_as(x, other):
    """Reshaped like ``other``."""
    return reshape(x, other.shape)


def reshape_as(x, other):
    return reshape(x, other.shape)


def contiguous(x, memory_format=None):
    """x itself: tinynn's arrays need no contiguity bookkeeping."""
    return x


def t(x):
    """Transpose of a matrix (a 1-d tensor stays as it is), as ``torch.t``."""
    if x.ndim > 2:
        raise RuntimeError(f"t(): expects a tensor with <= 2 dims, got shape {x.shape}; use transpose(dim0, dim1)")
    return reverse_axes(x)


def matrix_transpose(x):
    """The last two dims swapped (``x.mT``)."""
    return permute(x, *range(x.ndim - 2), x.ndim - 1, x.ndim - 2)


def expand(x, *sizes):
    """Broadcast to ``sizes``; -1 keeps a dim (PyTorch's expand).

    >>> import tinynn as tn; tn.ones(3, 1).expand(-1, 4).shape
    (3, 4)
    """
    sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise RuntimeError(f"expand: {len(sizes)} sizes given for a tensor with {x.ndim} dims (shape {x.shape})")
    shape = tuple(x.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(sizes))
    return broadcast_to(x, shape)


def expand_as(x, other):
    return broadcast_to(x, other.shape)


def repeat(x, *repeats):
    """Tile the tensor ``repeats[i]`` times along dim i (PyTorch's repeat, NumPy's tile).

    >>> import tinynn as tn; tn.tensor([1.0, 2.0]).repeat(2).tolist()
    [1.0, 2.0, 1.0, 2.0]
    """
    repeats = tuple(repeats[0]) if len(repeats) == 1 and isinstance(repeats[0], (tuple, list)) else repeats
    if len(repeats) < x.ndim:
        raise RuntimeError(f"repeat: {len(repeats)} repeats for a tensor with {x.ndim} dims")
    shape = (1,) * (len(repeats) - x.ndim) + x.shape
    interleaved = tuple(v for pair in zip((1,) * len(shape), shape) for v in pair)
    tiled = tuple(v for pair in zip(repeats, shape) for v in pair)
    out = broadcast_to(reshape(x, interleaved), tiled)  # (r0, n0, r1, n1, ...)
    return reshape(out, tuple(r * n for r, n in zip(repeats, shape)))


def split(x, split_size_or_sections, dim=0):
    """Pieces along ``dim``: of size ``split_size`` each (the last may be smaller), or of the
    listed sizes.

    >>> import tinynn as tn; [p.shape for p in tn.ones(5).split(2)]
    [(2,), (2,), (1,)]
    """
    dim = dim_index(dim, x.ndim, "split")
    n = x.shape[dim]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0:
            raise ValueError(f"split: split_size must be positive, got {step}")
        sizes = [builtins.min(step, n - s) for s in range(0, n, step)] or [0]
    else:
        sizes = list(split_size_or_sections)
        if builtins.sum(sizes) != n:
            raise RuntimeError(f"split: sizes {sizes} add up to {builtins.sum(sizes)}, but dim {dim} has {n}")
    pieces, start = [], 0
    for s in sizes:
        pieces.append(getitem(x, (slice(None),) * dim + (slice(start, start + s),)))
        start += s
    return tuple(pieces)


def chunk(x, chunks, dim=0):
    """``chunks`` pieces of (almost) equal size along ``dim``, as torch.chunk."""
    n = x.shape[dim_index(dim, x.ndim, "chunk")]
    return split(x, builtins.max(1, -(-n // chunks)), dim)


def unbind(x, dim=0):
    """The slices along ``dim``, that dim removed.

    >>> import tinynn as tn; [t.tolist() for t in tn.tensor([[1.0, 2.0], [3.0, 4.0]]).unbind(1)]
    [[1.0, 3.0], [2.0, 4.0]]
    """
    dim = dim_index(dim, x.ndim, "unbind")
    return tuple(getitem(x, (slice(None),) * dim + (i,)) for i in range(x.shape[dim]))


def index_select(x, dim, index):
    """The entries ``index`` (1-d integers) along ``dim``."""
    dim = dim_index(dim, x.ndim, "index_select")
    return getitem(x, (slice(None),) * dim + (_indices(index, x),))


def gather(x, dim, index):
    """out[i][j] = x[index[i][j]][j] for dim 0 (and so on): picks one entry per position.

    >>> import tinynn as tn; tn.tensor([[1.0, 2.0], [3.0, 4.0]]).gather(1, tn.tensor([[1], [0]])).tolist()
    [[2.0], [3.0]]
    """
    dim = dim_index(dim, x.ndim, "gather")
    index = _indices(index, x)
    if index.ndim != x.ndim:
        raise RuntimeError(f"gather: index has {index.ndim} dims but the input has {x.ndim}")
    xp = backend.xp_of(index)
    grid = list(xp.ix_(*[xp.arange(n) for n in index.shape]))
    grid[dim] = index
    return getitem(x, tuple(grid))


def _indices(index, like=None):
    data = index._data if isinstance(index, Tensor) else index
    if isinstance(data, (list, tuple)):
        return (backend.xp_of(like._data) if like is not None else backend.numpy).asarray(data)
    return data


def masked_fill(x, mask, value):
    """x with ``value`` wherever ``mask`` is True (how a causal mask hides the future).

    >>> import tinynn as tn; tn.zeros(3).masked_fill(tn.tensor([True, False, True]), -1.0).tolist()
    [-1.0, 0.0, -1.0]
    """
    fill = value if isinstance(value, Tensor) else Tensor._wrap(backend.xp_of(x._data).asarray(value, dtype=x.dtype))
    return _select(mask, fill, x)


def tril(x, diagonal=0):
    """The lower triangle (on and below ``diagonal``); the rest is 0."""
    return _triangle(x, diagonal, lower=True)


def triu(x, diagonal=0):
    """The upper triangle (on and above ``diagonal``); the rest is 0."""
    return _triangle(x, diagonal, lower=False)


def _triangle(x, diagonal, lower):
    xp = backend.xp_of(x._data)
    rows, cols = x.shape[-2:]
    keep = xp.tri(rows, cols, diagonal, dtype=bool) if lower else ~xp.tri(rows, cols, diagonal - 1, dtype=bool)
    return _select(Tensor._wrap(keep), x, Tensor._wrap(xp.zeros((), dtype=x.dtype)))  # keeps x's dtype (bool too)


# -- maths ------------------------------------------------------------------------------
def square(x):
    return mul(x, x)


def rsqrt(x):
    return pow(sqrt(x), -1)


def reciprocal(x):
    return pow(x, -1)


def log10(x):
    return log(x) / math.log(10)


def log2(x):
    return log(x) / math.log(2)


def log1p(x):
    return log(x + 1)


def expm1(x):
    return exp(x) - 1


def sign(x):
    """-1, 0 or 1 (no gradient flows: its derivative is 0 almost everywhere)."""
    return Tensor._wrap(backend.xp_of(x._data).sign(x._data))


def var(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance; Bessel's correction (divide by n - 1) by default, as PyTorch.

    >>> import tinynn as tn; tn.tensor([1.0, 2.0, 3.0, 4.0]).var().item()
    1.6666666269302368
    """
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    deviations = x - mean(x, dim, keepdim=True)
    n = x._data.size if dim is None else math.prod(x.shape[d] for d in _dim_tuple(dim, x.ndim))
    return sum(deviations * deviations, dim, keepdim) / builtins.max(n - correction, 0)


def std(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation, √var (Bessel-corrected by default, as PyTorch)."""
    return sqrt(var(x, dim, unbiased, keepdim, correction=correction))


def _dim_tuple(dim, ndim):
    return tuple(dim_index(d, ndim, "reduction") for d in (dim if isinstance(dim, (tuple, list)) else (dim,)))


def logsumexp(x, dim, keepdim=False):
    """log Σ exp(x) along ``dim``, computed stably as m + log Σ exp(x - m), m = max x."""
    m = amax(x, dim, keepdim=True).detach()
    out = log(sum(exp(x - m), dim, keepdim=True)) + m
    return out if keepdim else reshape(out, tuple(n for i, n in enumerate(x.shape) if i not in _dim_tuple(dim, x.ndim)))


def argmax(x, dim=None, keepdim=False):
    """Index of the largest element (of the flattened tensor, or along ``dim``); no gradient.

    >>> import tinynn as tn; tn.tensor([[1.0, 5.0], [7.0, 2.0]]).argmax(dim=1).tolist()
    [1, 0]
    """
    return _arg(x, dim, keepdim, "argmax")


def argmin(x, dim=None, keepdim=False):
    """Index of the smallest element; no gradient."""
    return _arg(x, dim, keepdim, "argmin")


def _arg(x, dim, keepdim, which):
    if x._data.size == 0:
        raise IndexError(f"{which}(): the tensor has no elements (shape {x.shape})")
    if dim is None:
        return Tensor._wrap(backend.ensure_array(getattr(x._data, which)()))
    dim = dim_index(dim, x.ndim, which)
    out = getattr(x._data, which)(axis=dim, keepdims=keepdim)
    return Tensor._wrap(backend.ensure_array(out))


def all(x, dim=None, keepdim=False, *, axis=None, **numpy_kwargs):  # noqa: A001 - torch.all
    """Are all elements true (non-zero)? No gradient."""
    dim = axis if dim is None else dim
    return Tensor._wrap(backend.ensure_array(x._data.all(axis=dim, keepdims=keepdim)))


def any(x, dim=None, keepdim=False, *, axis=None, **numpy_kwargs):  # noqa: A001 - torch.any
    """Is any element true (non-zero)? No gradient."""
    dim = axis if dim is None else dim
    return Tensor._wrap(backend.ensure_array(x._data.any(axis=dim, keepdims=keepdim)))


def mm(a, b):
    """Matrix product of two 2-d tensors."""
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"mm: expects 2-d tensors, got shapes {a.shape} and {b.shape}; use matmul")
    return matmul(a, b)


def bmm(a, b):
    """Batched matrix product of (B, n, m) and (B, m, p)."""
    if a.ndim != 3 or b.ndim != 3:
        raise RuntimeError(f"bmm: expects 3-d tensors, got shapes {a.shape} and {b.shape}")
    return matmul(a, b)


def _compare(ufunc):
    def compare(x, other):
        from tinynn.tensor_protocols import no_grad_op

        return no_grad_op(x, other, ufunc)

    compare.__name__ = compare.__qualname__ = ufunc
    compare.__doc__ = f"Elementwise {ufunc} (a bool tensor, outside the graph)."
    return compare


eq, ne, gt, ge, lt, le = (_compare(u) for u in ("equal", "not_equal", "greater", "greater_equal", "less", "less_equal"))
logical_and, logical_or, logical_xor = (_compare(u) for u in ("logical_and", "logical_or", "logical_xor"))


def logical_not(x):
    return Tensor._wrap(backend.xp_of(x._data).logical_not(x._data))


def clone(x, memory_format=None):
    """A copy of the values that stays in the graph (its gradient flows back to x)."""
    return to_copy(x, dtype=x.dtype, copy=True)


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """True when every |a - b| <= atol + rtol |b| (Tensors or raw arrays, e.g. state-dict values).

    >>> import tinynn as tn; tn.allclose(tn.ones(2), tn.ones(2) + 1e-9), tn.allclose(tn.ones(2), tn.zeros(2))
    (True, False)
    """
    a, b = _raw(a), _raw(b)
    return bool(backend.xp_of(a).allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise |a - b| <= atol + rtol |b| (a bool tensor, outside the graph).

    >>> import tinynn as tn; tn.isclose(tn.tensor([1.0, 2.0]), tn.tensor([1.0, 2.1])).tolist()
    [True, False]
    """
    a, b = _raw(a), _raw(b)
    return Tensor._wrap(backend.ensure_array(backend.xp_of(a).isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)))


def equal(a, b) -> bool:
    """True when a and b have the same shape and values (Tensors or raw arrays).

    >>> import tinynn as tn; tn.equal(tn.ones(2), tn.ones(2)), tn.equal(tn.ones(2), tn.ones(3))
    (True, False)
    """
    a, b = _raw(a), _raw(b)
    return a.shape == b.shape and bool((a == b).all())


def _raw(v):
    return v._data if isinstance(v, Tensor) else v


def clamp(x, min=None, max=None):  # noqa: A002 - torch.clamp's names
    """Limit values to [min, max] (either may be None)."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    return clip(x, min, max)


# -- PyTorch's signatures of primitives (torch.add's alpha, torch.where's one-argument form) ----
def add(input, other, *, alpha=1):  # noqa: A002 - PyTorch's names
    """input + alpha * other (``torch.add``; ``p.data.add_(g, alpha=-lr)`` is the classic SGD step).

    >>> import tinynn as tn; tn.add(tn.ones(2), tn.ones(2), alpha=-0.5).tolist()
    [0.5, 0.5]
    """
    return _add(input, _scaled(other, alpha))


def sub(input, other, *, alpha=1):  # noqa: A002
    """input - alpha * other (``torch.sub``).

    >>> import tinynn as tn; tn.ones(2).sub(tn.ones(2), alpha=2).tolist()
    [-1.0, -1.0]
    """
    return _sub(input, _scaled(other, alpha))


def _scaled(other, alpha):
    if alpha == 1:
        return other
    return mul(other, alpha) if isinstance(other, Tensor) else other * alpha


def where(condition, input=None, other=None):  # noqa: A002
    """``where(c, x, y)``: x where c is true, else y; ``where(c)``: the indices of the true
    elements, one index tensor per dim (``nonzero(c, as_tuple=True)``), as torch.where.

    >>> import tinynn as tn; c = tn.tensor([[True, False], [False, True]])
    >>> tn.where(c, 1.0, tn.zeros(2, 2)).tolist(), [i.tolist() for i in tn.where(c)]
    ([[1.0, 0.0], [0.0, 1.0]], [[0, 1], [0, 1]])
    """
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if input is None or other is None:
        raise TypeError("where(condition, input, other) needs both input and other (or neither: the indices)")
    return _select(condition, input, other)


def nonzero(input, *, as_tuple=False):  # noqa: A002
    """Indices of the non-zero elements: an (n, ndim) int64 tensor, or one 1-d tensor per dim.

    >>> import tinynn as tn; tn.tensor([0.0, 3.0, 0.0, 1.0]).nonzero().tolist()
    [[1], [3]]
    """
    data = _raw(input)
    xp = backend.xp_of(data)
    if as_tuple:  # a 0-d tensor counts as 1-d here (PyTorch)
        return tuple(Tensor._wrap(i.astype("int64")) for i in xp.nonzero(data.reshape(-1) if data.ndim == 0 else data))
    if data.ndim == 0:  # (1, 0) or (0, 0): one or no "element" with no coordinates
        return Tensor._wrap(xp.zeros((int(bool(data)), 0), dtype="int64"))
    return Tensor._wrap(xp.stack(xp.nonzero(data), axis=1).astype("int64"))


def argwhere(input):  # noqa: A002
    """``nonzero(input)``: the (n, ndim) indices of the non-zero elements."""
    return nonzero(input)


def fill_diagonal_(x, fill_value, wrap=False):
    """Write ``fill_value`` on the main diagonal, in place (all dims of equal length for ndim > 2).

    >>> import tinynn as tn; tn.ones(2, 3).fill_diagonal_(0.0).tolist()
    [[0.0, 1.0, 1.0], [1.0, 0.0, 1.0]]
    """
    if x.ndim < 2 or (x.ndim > 2 and len(set(x.shape)) != 1):
        raise RuntimeError(f"fill_diagonal_: needs a 2-d tensor, or all dims of equal length; got shape {x.shape}")

    def fill_diagonal_(t):
        xp = backend.xp_of(t._data)
        on = xp.zeros(t.shape, dtype=bool)
        xp.fill_diagonal(on, True, wrap=wrap)
        return _select(Tensor._wrap(on), Tensor._wrap(xp.asarray(fill_value, dtype=t.dtype)), t)
    return x._write(fill_diagonal_)


# -- dtype and device --------------------------------------------------------------------
def to(x, *args, **kwargs):
    """``x.to(dtype)``, ``x.to(device)``, ``x.to(device, dtype)``, ``x.to(other_tensor)``.

    A copy made while recording stays in the graph: its gradient flows back here.

    >>> import tinynn as tn; tn.ones(2).to(tn.float64).dtype
    dtype('float64')
    """
    device, dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None), kwargs.pop("copy", None)
    if kwargs:
        raise TypeError(f"to(): unexpected arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            device, dtype = a.device, a.dtype
        elif _is_device(a):
            device = a
        else:
            dtype = a
    return to_copy(x, device=device, dtype=dtype)


def _is_device(a):
    return isinstance(a, backend.device) or (isinstance(a, str) and a.split(":")[0] in backend.DEVICES)


def type_(x, dtype=None):
    """``x.type(dtype)`` converts; ``x.type()`` names the type, as PyTorch."""
    if dtype is None:
        return f"tinynn.{x.dtype.name}"
    return to_copy(x, dtype=dtype)


def _converter(dtype, name):
    def convert(x, memory_format=None):
        return to_copy(x, dtype=dtype)

    convert.__name__ = name
    convert.__doc__ = f"A {dtype} copy (in the graph for float dtypes), or x itself when already {dtype}."
    return convert


float_, double, half, long, int_, bool_, short, byte = (
    _converter(d, n) for d, n in (("float32", "float"), ("float64", "double"), ("float16", "half"),
                                  ("int64", "long"), ("int32", "int"), ("bool", "bool"), ("int16", "short"), ("uint8", "byte")))


def cpu(x):
    return to_copy(x, device="cpu")


def cuda(x, device=None):
    return to_copy(x, device="cuda")


def data_ptr(x) -> int:
    """Address of the first element (equal for tensors that share memory, as PyTorch).

    >>> import tinynn as tn; x = tn.zeros(3); x.data_ptr() == x.data.data_ptr() == x.detach().data_ptr()
    True
    """
    data = x._data
    if hasattr(data, "__array_interface__"):
        return int(data.__array_interface__["data"][0])
    pointer = getattr(getattr(data, "data", None), "ptr", None)  # cupy
    return int(pointer) if pointer is not None else id(data)


def is_floating_point(x) -> bool:
    return x.dtype.kind == "f"


def element_size(x) -> int:
    return x.dtype.itemsize


# -- writes that are methods only (x.fill_(v) ...): each is Tensor._write with an op of that name
def _constant_like(x, value):
    return Tensor._wrap(backend.xp_of(x._data).full(x.shape, value, dtype=x.dtype))


def fill_(x, value):
    """Set every element to ``value`` (in place)."""
    def fill_(t, v):
        return _constant_like(t, v._data if isinstance(v, Tensor) else v)
    return x._write(fill_, value)


def zero_(x):
    """Set every element to 0 (in place): ``p.grad.zero_()``."""
    def zero_(t):
        return _constant_like(t, 0)
    return x._write(zero_)


def copy_(x, src, non_blocking=False):
    """Copy ``src``'s values into x (broadcast, converted to x's dtype and device)."""
    def copy_(t, s):
        s = s if isinstance(s, Tensor) else Tensor(s)
        return broadcast_to(to_copy(s, device=t.device), t.shape)
    return x._write(copy_, src)


def normal_(x, mean=0.0, std=1.0, *, generator=None):
    """Fill with draws from N(mean, std²) (in place; tn.manual_seed or ``generator`` seeds it)."""
    def normal_(t):
        draw = random.rng_of(generator).normal(mean, std, size=t.shape)
        return Tensor._wrap(backend.to_device(draw.astype(t.dtype), t.device))
    return x._write(normal_)


def uniform_(x, a=0.0, b=1.0, *, generator=None):
    """Fill with draws from U(a, b) (in place)."""
    def uniform_(t):
        draw = random.rng_of(generator).uniform(a, b, size=t.shape)
        return Tensor._wrap(backend.to_device(draw.astype(t.dtype), t.device))
    return x._write(uniform_)


# --------------------------------------------------------------------------- max / min with dim
ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])  # PyTorch's torch.return_types.max


def max(x, dim=None, keepdim=False, *, axis=None, keepdims=None):  # noqa: A001 - mirrors torch.max
    """``max(x)``: the largest element. ``max(x, dim)``: ``(values, indices)`` along dim, as
    PyTorch (so ``_, predicted = out.max(1)`` works). ``max(a, b)`` with a Tensor b: elementwise.

    >>> import tinynn as tn
    >>> values, indices = max(tn.tensor([[1.0, 5.0], [7.0, 2.0]]), 1)
    >>> values.tolist(), indices.tolist()
    ([5.0, 7.0], [1, 0])
    """
    return _extreme(x, dim, keepdim, axis, keepdims, amax, "argmax", "maximum")


def min(x, dim=None, keepdim=False, *, axis=None, keepdims=None):  # noqa: A001
    """``min(x)``, ``min(x, dim) -> (values, indices)``, or elementwise ``min(a, b)`` (see ``max``).

    >>> min(tn.tensor([4.0, -1.0, 2.0])).item()
    -1.0
    """
    return _extreme(x, dim, keepdim, axis, keepdims, amin, "argmin", "minimum")


def _extreme(x, dim, keepdim, axis, keepdims, reduce, arg, elementwise):
    if isinstance(dim, Tensor):  # torch.max(a, b): the elementwise maximum
        return _pairwise(x, dim, elementwise)
    dim, keepdim = _reduction_dims(dim, axis, keepdim, keepdims)
    if dim is None:
        return reduce(x)
    dim = dim_index(dim, x.ndim, elementwise[:3])
    if x.shape and x.shape[dim] == 0:
        raise IndexError(f"{elementwise[:3]}(): cannot reduce over dim {dim} of size 0 (shape {x.shape})")
    indices = getattr(x._data, arg)(axis=dim)
    if keepdim:
        indices = backend.xp_of(indices).expand_dims(indices, dim)
    return ValuesIndices(reduce(x, dim, keepdim), Tensor._wrap(backend.ensure_array(indices)))


def _pairwise(a, b, which):
    """maximum(a, b) = where(a >= b, a, b) (a composition: the gradient goes to the chosen one)."""
    return _select(a >= b, a, b) if which == "maximum" else _select(a <= b, a, b)


def maximum(a, b):
    """Elementwise maximum of two tensors.

    >>> maximum(tn.tensor([1.0, 4.0]), tn.tensor([3.0, 2.0])).tolist()
    [3.0, 4.0]
    """
    return _pairwise(a, b, "maximum")


def minimum(a, b):
    """Elementwise minimum of two tensors.

    >>> minimum(tn.tensor([1.0, 4.0]), tn.tensor([3.0, 2.0])).tolist()
    [1.0, 2.0]
    """
    return _pairwise(a, b, "minimum")


__all__ = [
    "size", "numel", "view", "view_as", "contiguous", "t", "expand", "expand_as", "repeat", "split", "chunk",
    "unbind", "index_select", "gather", "masked_fill", "tril", "triu", "square", "rsqrt", "reciprocal", "log10",
    "log2", "log1p", "expm1", "sign", "var", "std", "logsumexp", "argmax", "argmin", "all", "any", "mm", "bmm",
    "eq", "ne", "gt", "ge", "lt", "le", "logical_and", "logical_or", "logical_xor", "logical_not", "clone",
    "allclose", "equal", "clamp", "is_floating_point", "Size", "isclose", "add", "sub", "where", "nonzero",
    "argwhere", "max", "min", "maximum", "minimum",
]
# used through the Tensor methods table only (their names clash with Python's builtins or are methods only)
METHOD_ONLY = {
    "dim": dim, "nelement": numel, "reshape_as": reshape_as, "mT": matrix_transpose, "to": to, "type": type_,
    "float": float_, "double": double, "half": half, "long": long, "int": int_, "bool": bool_, "short": short,
    "byte": byte, "cpu": cpu, "cuda": cuda, "element_size": element_size, "fill_": fill_, "zero_": zero_,
    "copy_": copy_, "normal_": normal_, "uniform_": uniform_, "fill_diagonal_": fill_diagonal_,
    "data_ptr": data_ptr,
}
_PRIMITIVE_REEXPORTS = (log_softmax, relu, sigmoid, softmax, tanh, abs, neg, stack, concatenate)  # for readers
