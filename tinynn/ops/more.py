"""More of PyTorch's everyday surface, built from primitives (no backward of its own here):
sorting and top-k, diag and outer, norms, unique and bincount, NaN tests, scatter and
index_add, padding, and the ``x.new_*`` constructors. The few primitives they need are in
more_primitives.py.

Where PyTorch returns ``(values, indices)`` (sort, topk) the values are ``gather(x, indices)``,
so their gradient flows back through gather to the elements that were picked.

>>> import tinynn as tn
>>> x = tn.tensor([3.0, 1.0, 2.0], requires_grad=True)
>>> values, indices = x.topk(2); values.sum().backward()
>>> values.tolist(), indices.tolist(), x.grad.tolist()
([3.0, 2.0], [0, 2], [1.0, 0.0, 1.0])
"""
from __future__ import annotations

import builtins
import math

from tinynn import backend, creation
from tinynn.ops.arithmetic import mul, pow
from tinynn.ops.compose import ValuesIndices, _dim_tuple, clone, gather, index_select, to
from tinynn.ops.elementwise import abs, sqrt, where
from tinynn.ops.more_primitives import _int_list, _tensor, check_src, scatter_add, scatter_grid
from tinynn.ops.reduction import amax, amin, dim_index, sum
from tinynn.ops.shape import getitem, reshape, setitem
from tinynn.tensor import Tensor

inf = math.inf


# -- sorting -----------------------------------------------------------------------------------
def _order(x, dim, descending):
    """int64 positions that sort x along ``dim``; stable (equal elements keep their order, in
    both directions) and NaN counted as the largest, as PyTorch."""
    xp, data = backend.xp_of(x._data), x._data
    if not descending:
        return xp.argsort(data, axis=dim, kind="stable").astype("int64")
    # descending and stable: sort the reversed tensor ascending, reverse back, renumber
    order = xp.flip(xp.argsort(xp.flip(data, dim), axis=dim, kind="stable"), dim)
    return (data.shape[dim] - 1 - order).astype("int64")


def sort(input, dim=-1, descending=False, stable=False):  # noqa: A002 - PyTorch's names
    """``(values, indices)`` sorted along ``dim`` (ascending unless ``descending``), as
    ``torch.sort``; ties keep their order (always stable). values = gather(x, dim, indices).

    >>> import tinynn as tn; s = tn.sort(tn.tensor([2.0, 3.0, 1.0]), descending=True)
    >>> s.values.tolist(), s.indices.tolist()
    ([3.0, 2.0, 1.0], [1, 0, 2])
    """
    x = _tensor("sort", input)
    dim = dim_index(dim, x.ndim, "sort")
    if x.ndim == 0:
        return ValuesIndices(clone(x), _zero_index(x))
    indices = _order(x, dim, descending)
    return ValuesIndices(gather(x, dim, indices), Tensor._wrap(indices))


def argsort(input, dim=-1, descending=False, stable=False):  # noqa: A002
    """The int64 indices that sort ``input`` along ``dim`` (``sort(...).indices``).

    >>> import tinynn as tn; tn.tensor([2.0, 3.0, 1.0]).argsort().tolist()
    [2, 0, 1]
    """
    x = _tensor("argsort", input)
    dim = dim_index(dim, x.ndim, "argsort")
    return _zero_index(x) if x.ndim == 0 else Tensor._wrap(_order(x, dim, descending))


def topk(input, k, dim=-1, largest=True, sorted=True):  # noqa: A002
    """``(values, indices)`` of the ``k`` largest (or smallest) elements along ``dim``, as
    ``torch.topk``; always in sorted order, ties by position.

    >>> import tinynn as tn; tn.topk(tn.tensor([1.0, 5.0, 3.0]), 2).indices.tolist()
    [1, 2]
    """
    x = _tensor("topk", input)
    dim = dim_index(dim, x.ndim, "topk")
    n = x.shape[dim] if x.ndim else 1
    if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k <= n:
        raise RuntimeError(f"topk: selected index k out of range (k={k!r}, dim {dim} has size {n})")
    if x.ndim == 0:
        return ValuesIndices(clone(x), _zero_index(x)) if k else ValuesIndices(reshape(x, (0,)), _zero_index(x)[:0])
    indices = _order(x, dim, largest)[(slice(None),) * dim + (slice(0, k),)]
    return ValuesIndices(gather(x, dim, indices), Tensor._wrap(indices))


def _zero_index(x):
    return Tensor._wrap(backend.xp_of(x._data).zeros((), dtype="int64"))


# -- matrices from vectors and back --------------------------------------------------------------
def diag(input, diagonal=0):  # noqa: A002
    """A 1-d tensor -> the square matrix with it on the ``diagonal`` (0 main, > 0 above);
    a matrix -> that diagonal as a 1-d tensor (``torch.diag``).

    >>> import tinynn as tn; tn.diag(tn.tensor([1.0, 2.0])).tolist(), tn.diag(tn.eye(2) * 3).tolist()
    ([[1.0, 0.0], [0.0, 2.0]], [3.0, 3.0])
    """
    x = _tensor("diag", input)
    xp, k = backend.xp_of(x._data), diagonal
    if x.ndim == 1:
        n = x.shape[0]
        rows, cols = xp.arange(n) + builtins.max(-k, 0), xp.arange(n) + builtins.max(k, 0)
        square = Tensor._wrap(xp.zeros((n + builtins.abs(k),) * 2, dtype=x.dtype))
        return setitem(square, (rows, cols), x)  # the gradient of x is read back from the diagonal
    if x.ndim == 2:
        m, n = x.shape
        length = builtins.max(0, builtins.min(m, n - k) if k >= 0 else builtins.min(m + k, n))
        return getitem(x, (xp.arange(length) + builtins.max(-k, 0), xp.arange(length) + builtins.max(k, 0)))
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {x.ndim}D (shape {x.shape}); "
                       "use tn.diagonal-style indexing or diag_embed for batches")


def outer(input, vec2):  # noqa: A002
    """The outer product a bᵀ of two 1-d tensors: out[i][j] = a[i] · b[j] (``torch.outer``).

    >>> import tinynn as tn; tn.outer(tn.tensor([1.0, 2.0]), tn.tensor([3.0, 4.0])).tolist()
    [[3.0, 4.0], [6.0, 8.0]]
    """
    for name, v in (("self", input), ("vec2", vec2)):
        if _tensor("outer", v).ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v.ndim}-D (shape {v.shape})")
    return mul(reshape(input, (-1, 1)), reshape(vec2, (1, -1)))


# -- norms ---------------------------------------------------------------------------------------
def _float_input(x, op, dtype):
    x = _tensor(op, x)
    if dtype is not None:
        x = to(x, dtype)
    if not backend.is_floating(x.dtype):
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got {x.dtype}; "
                           "convert it first, e.g. x.float()")
    return x


def _root(s, p):
    """s ** (1/p), with value and gradient 0 where s == 0 (as PyTorch's norms: the slope of
    the root there is infinite, the gradient of ‖0‖ is taken to be 0)."""
    zero = s._data == 0
    if not zero.any():
        return sqrt(s) if p == 2 else pow(s, 1.0 / p)
    safe = where(Tensor._wrap(zero), 1.0, s)  # nothing infinite is computed, even in backward
    return where(Tensor._wrap(zero), 0.0, sqrt(safe) if p == 2 else pow(safe, 1.0 / p))


def _abs_pow(x, p):
    """|x| ** p; for 0 < p < 1 an element equal to 0 gets gradient 0 (PyTorch), not 0 · ∞."""
    a = abs(x)
    zero = x._data == 0
    if not 0 < p < 1 or not zero.any():
        return pow(a, p)
    return where(Tensor._wrap(zero), 0.0, pow(where(Tensor._wrap(zero), 1.0, a), p))


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):  # noqa: A002 - PyTorch's names
    """‖x‖_ord over all elements or over ``dim``: (Σ|x|^ord)^(1/ord); inf: max |x|, -inf: min
    |x|, 0: the number of non-zeros (``torch.linalg.vector_norm``). Gradient 0 at ‖x‖ = 0.

    >>> import tinynn as tn; tn.linalg.vector_norm(tn.tensor([3.0, -4.0])).item()
    5.0
    """
    x = _float_input(x, "linalg.vector_norm", dtype)
    if isinstance(ord, (str, bool)) or not isinstance(ord, (int, float)):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number (2, 1, inf, ...), got {ord!r}; "
                           "matrix norms ('fro', 'nuc') are linalg.matrix_norm")
    dims = None if dim is None else _dim_tuple(dim, x.ndim)
    if ord == inf or ord == -inf:
        return (amax if ord > 0 else amin)(abs(x), dims, keepdim)
    if ord == 0:  # counts non-zeros: not differentiable
        return Tensor._wrap(backend.ensure_array((x._data != 0).sum(axis=dims, keepdims=keepdim).astype(x.dtype)))
    if ord == 1:
        return sum(abs(x), dims, keepdim)
    if ord == 2:
        return _root(sum(x * x, dims, keepdim), 2)
    if ord < 0:
        return _negative_norm(x, ord, dims, keepdim)
    return _root(sum(_abs_pow(x, ord), dims, keepdim), ord)


def _negative_norm(x, p, dims, keepdim):
    """(Σ|x|^p)^(1/p) for p < 0: a zero element makes a term ∞ and the norm 0 (as PyTorch),
    computed without dividing by zero."""
    zero = x._data == 0
    if not zero.any():
        return pow(sum(pow(abs(x), p), dims, keepdim), 1.0 / p)
    terms = pow(where(Tensor._wrap(zero), 1.0, abs(x)), p)
    has_zero = Tensor._wrap(backend.ensure_array(zero.any(axis=dims, keepdims=keepdim)))
    total = where(has_zero, 1.0, sum(where(Tensor._wrap(zero), 0.0, terms), dims, keepdim))
    return where(has_zero, 0.0, pow(total, 1.0 / p))


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):  # noqa: N803 - PyTorch's names
    """A matrix norm over the two dims ``dim``: 'fro' √Σ a², inf the largest row sum of |a|,
    1 the largest column sum (-inf, -1 the smallest) (``torch.linalg.matrix_norm``).

    >>> import tinynn as tn; a = tn.tensor([[1.0, -2.0], [3.0, 4.0]])
    >>> tn.linalg.matrix_norm(a, 1).item(), tn.linalg.matrix_norm(a, float("inf")).item()
    (6.0, 7.0)
    """
    A = _float_input(A, "linalg.matrix_norm", dtype)
    if A.ndim < 2:
        raise RuntimeError(f"linalg.matrix_norm: The input tensor A must have at least 2 dimensions (shape {A.shape})")
    rows, cols = dims = _dim_tuple(dim, A.ndim) if isinstance(dim, (tuple, list)) and len(dim) == 2 else (None, None)
    if rows is None or rows == cols:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple of different dims, got {dim!r}")
    if ord == "fro":
        return vector_norm(A, 2, dims, keepdim)
    if ord in ("nuc", 2, -2):
        raise NotImplementedError(f"linalg.matrix_norm: ord={ord!r} needs the singular values (an SVD), which "
                                  "tinynn does not have; use 'fro', 1, -1, inf or -inf")
    if ord not in (inf, -inf, 1, -1):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord!r} not supported; use 'fro', 1, -1, inf or -inf")
    summed, across = (cols, rows) if ord in (inf, -inf) else (rows, cols)  # inf: row sums; 1: column sums
    out = (amax if ord > 0 else amin)(sum(abs(A), summed, keepdim=True), across, keepdim=True)
    return out if keepdim else reshape(out, tuple(n for i, n in enumerate(A.shape) if i not in dims))


def linalg_norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):  # noqa: A002,N803
    """``torch.linalg.norm``: a vector norm for one dim (or the flattened tensor when ord is
    None), a matrix norm for two dims (or a 2-d tensor given an ord).

    >>> import tinynn as tn; tn.linalg.norm(tn.tensor([[3.0, 0.0], [0.0, 4.0]])).item()
    5.0
    """
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) == 1:
            return vector_norm(A, 2 if ord is None else ord, dims[0], keepdim, dtype=dtype)
        if len(dims) == 2:
            return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
        raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {dim!r}")
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if _tensor("linalg.norm", A).ndim == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    if A.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {A.ndim}D")


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):  # noqa: A002
    """``torch.norm``: the 2-norm of all elements by default, or along ``dim``; ``p`` a number
    (1, 2, inf, ...) is a vector norm, as PyTorch (which routes to linalg.vector_norm).

    >>> import tinynn as tn; x = tn.tensor([[3.0, 4.0], [0.0, 1.0]])
    >>> x.norm().item(), x.norm(dim=1).tolist(), x.norm(p=1).item()
    (5.099019527435303, [5.0, 1.0], 8.0)
    """
    if isinstance(p, str):
        if p == "fro" and (dim is None or isinstance(dim, int) or len(dim) <= 2):
            return vector_norm(input, 2, dim, keepdim, dtype=dtype)
        dims = tuple(range(_tensor("norm", input).ndim)) if dim is None else dim
        return matrix_norm(input, p, dims, keepdim, dtype=dtype)
    return vector_norm(input, 2 if p is None else p, dim, keepdim, dtype=dtype)


# -- counting and testing values (no gradient) -------------------------------------------------------
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
    """The distinct values, ascending (always sorted, whatever ``sorted`` says); with
    ``return_inverse`` where each element went (input's shape), with ``return_counts`` how
    often each occurs (int64), as ``torch.unique``. No gradient.

    >>> import tinynn as tn; values, inverse = tn.unique(tn.tensor([3, 1, 3]), return_inverse=True)
    >>> values.tolist(), inverse.tolist()
    ([1, 3], [1, 0, 1])
    """
    data = _tensor("unique", input)._data
    xp = backend.xp_of(data)
    if dim is None:
        values, inverse, counts = xp.unique(data.reshape(-1), return_inverse=True, return_counts=True)
        inverse = inverse.reshape(data.shape)
    else:
        axis = dim_index(dim, data.ndim, "unique")
        values, inverse, counts = xp.unique(data, return_inverse=True, return_counts=True, axis=axis)
        inverse = inverse.reshape(-1)
    out = (Tensor._wrap(values),)
    out += (Tensor._wrap(inverse.astype("int64")),) if return_inverse else ()
    out += (Tensor._wrap(counts.astype("int64")),) if return_counts else ()
    return out[0] if len(out) == 1 else out


def bincount(input, weights=None, minlength=0):  # noqa: A002
    """out[v] = how often v occurs in a 1-d tensor of non-negative integers (or the sum of
    ``weights`` there); length max + 1, at least ``minlength`` (``torch.bincount``). No gradient.

    >>> import tinynn as tn; tn.bincount(tn.tensor([0, 2, 2, 3])).tolist()
    [1, 0, 2, 1]
    """
    data = _tensor("bincount", input)._data
    if data.ndim != 1 or data.dtype.kind not in "iu" or (data.size and int(data.min()) < 0):
        raise RuntimeError(f"bincount only supports 1-d non-negative integral inputs (got shape {data.shape}, "
                           f"dtype {data.dtype})")
    if isinstance(minlength, bool) or not isinstance(minlength, int) or minlength < 0:
        raise RuntimeError(f"bincount: minlength should be >= 0, got {minlength!r}")
    xp = backend.xp_of(data)
    if weights is None:
        return Tensor._wrap(xp.bincount(data.astype("int64"), minlength=minlength).astype("int64"))
    w = weights._data if isinstance(weights, Tensor) else xp.asarray(weights)
    if w.shape != data.shape:
        raise RuntimeError(f"bincount: weights should be 1-d and have the same length as input "
                           f"(input {data.shape}, weights {w.shape})")
    dtype = w.dtype if w.dtype.kind == "f" else "float64"
    return Tensor._wrap(xp.bincount(data.astype("int64"), weights=w, minlength=minlength).astype(dtype))


def _test(ufunc, input):  # noqa: A002
    data = _tensor(ufunc, input)._data
    return Tensor._wrap(backend.ensure_array(getattr(backend.xp_of(data), ufunc)(data)))


def isnan(input):  # noqa: A002
    """True where x is NaN (a bool tensor, outside the graph).

    >>> import tinynn as tn; tn.isnan(tn.tensor([1.0, float("nan")])).tolist()
    [False, True]
    """
    return _test("isnan", input)


def isinf(input):  # noqa: A002
    """True where x is +inf or -inf (a bool tensor, outside the graph).

    >>> import tinynn as tn; tn.isinf(tn.tensor([1.0, float("-inf")])).tolist()
    [False, True]
    """
    return _test("isinf", input)


def isfinite(input):  # noqa: A002
    """True where x is neither inf nor NaN (a bool tensor, outside the graph).

    >>> import tinynn as tn; tn.isfinite(tn.tensor([1.0, float("inf"), float("nan")])).tolist()
    [True, False, False]
    """
    return _test("isfinite", input)


# -- writing along a dim: scatter and index_add ----------------------------------------------------
def scatter(input, dim, index, src=None, value=None, *, reduce=None):  # noqa: A002
    """out = input with out[index[i][j]][j] = src[i][j] for dim 0 (and so on), or ``value``
    everywhere index points (``torch.scatter``; ``x.scatter_`` writes it into x). Where an
    index repeats, which write wins is unspecified (as in PyTorch).

    >>> import tinynn as tn; tn.zeros(2, 3).scatter(1, tn.tensor([[2], [0]]), 1.0).tolist()
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    x = _tensor("scatter", input)
    dim = dim_index(dim, x.ndim, "scatter")
    if src is not None and not isinstance(src, Tensor):  # scatter(x, dim, index, 1.0): the value form
        src, value = None, src
    if (src is None) == (value is None):
        raise TypeError("scatter(): give either src (a Tensor) or value (a number)")
    if reduce is not None:
        if reduce != "add":
            raise NotImplementedError(f"scatter(): reduce={reduce!r} is not supported; use scatter_add, or "
                                      "reduce='add'")
        if src is None:
            src = Tensor._wrap(backend.xp_of(x._data).full(tuple(index.shape), value, dtype=x.dtype))
        return scatter_add(x, dim, index, src)
    if src is not None:
        check_src(src, index, "scatter", x)
    grid, region = scatter_grid(x, dim, index, "scatter")
    if x.ndim == 0 and not index.numel():
        return clone(x)
    piece = value if src is None else src if src.shape == tuple(index.shape) else getitem(src, region)
    return setitem(x, grid, piece)  # gradient: x's where it was not overwritten, src's where it was read


def index_add(input, dim, index, source, *, alpha=1):  # noqa: A002
    """out = input, then out[index[i]] += alpha · source[i] along ``dim``; repeated indices add
    up (``torch.index_add``; ``x.index_add_`` writes into x). scatter_add with the index
    spread over source's shape.

    >>> import tinynn as tn; tn.zeros(3).index_add(0, tn.tensor([0, 0, 2]), tn.tensor([1.0, 2.0, 3.0])).tolist()
    [3.0, 0.0, 3.0]
    """
    x, source = _tensor("index_add", input), _tensor("index_add", source)
    if x.ndim == 0:
        return reshape(index_add(reshape(x, (1,)), dim, reshape(index, (-1,)), reshape(source, (-1,)), alpha=alpha), ())
    dim = dim_index(dim, x.ndim, "index_add")
    data = _tensor("index_add", index)._data
    if data.ndim > 1 or data.dtype not in ("int32", "int64"):
        raise RuntimeError(f"index_add_(): Index is supposed to be a vector of int32 or int64, got shape "
                           f"{data.shape} and dtype {data.dtype}")
    data = data.reshape(-1)
    if source.ndim != x.ndim or source.shape[dim] != data.size or builtins.any(
            s != n for d, (s, n) in enumerate(zip(source.shape, x.shape)) if d != dim):
        raise RuntimeError(f"index_add_(): source of shape {source.shape} does not fit self of shape {x.shape} "
                           f"with {data.size} indices along dim {dim} (source.size(dim) must equal the number "
                           "of indices, every other dim self's)")
    if data.size and (int(data.min()) < 0 or int(data.max()) >= x.shape[dim]):
        raise IndexError(f"index_add_(): index out of range in self (indices must be in [0, {x.shape[dim]}))")
    spread = data.astype("int64").reshape([-1 if d == dim else 1 for d in range(x.ndim)])
    spread = backend.xp_of(data).broadcast_to(spread, source.shape)
    return scatter_add(x, dim, Tensor._wrap(spread), source if alpha == 1 else mul(source, alpha))


# -- padding ----------------------------------------------------------------------------------------
_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input, pad, mode="constant", value=None):  # noqa: A002
    """Pad (or, for negative amounts, crop) the last dims: ``pad = (left, right)`` for the
    last dim, then ``(top, bottom)`` for the one before, ... (PyTorch's order: last dim first).
    mode 'constant' fills with ``value`` (0); 'reflect', 'replicate' and 'circular' repeat
    the edge as ``F.pad`` does (for the last 1-3 dims of a batched input).

    >>> import tinynn as tn, tinynn.functional as F
    >>> F.pad(tn.tensor([[1.0, 2.0]]), (1, 2)).tolist()
    [[0.0, 1.0, 2.0, 0.0, 0.0]]
    >>> F.pad(tn.tensor([[[1.0, 2.0, 3.0]]]), (2, 0), "reflect").tolist()
    [[[3.0, 2.0, 1.0, 2.0, 3.0]]]
    """
    x = _tensor("pad", input)
    amounts = _int_list(pad, "pad", "pad")
    if len(amounts) % 2:
        raise RuntimeError(f"pad: Padding length must be divisible by 2, got {amounts}")
    if len(amounts) > 2 * x.ndim:
        raise RuntimeError(f"pad: Padding length should be less than or equal to two times the input dimension "
                           f"but got padding length {len(amounts)} and input of dimension {x.ndim}")
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"pad: Unrecognised padding mode {mode!r}; use one of {_PAD_MODES}")
    pairs = {x.ndim - 1 - i: (amounts[2 * i], amounts[2 * i + 1]) for i in range(len(amounts) // 2)}
    crop = tuple(slice(builtins.max(-pairs[d][0], 0), x.shape[d] - builtins.max(-pairs[d][1], 0)) if d in pairs
                 else slice(None) for d in range(x.ndim))
    if builtins.any(s.start > s.stop for s in crop if s.start is not None):
        raise RuntimeError(f"pad: negative padding {amounts} crops more than the input's shape {x.shape}")
    if mode == "constant":
        return _pad_constant(x, pairs, crop, 0 if value is None else value)
    if value not in (None, 0):
        raise RuntimeError(f'pad: Padding mode "{mode}" doesn\'t take in value argument')
    n = len(pairs)
    if n not in (1, 2, 3) or x.ndim not in (n + 1, n + 2):
        raise NotImplementedError(f"pad: padding size {len(amounts)} is not supported for a {x.ndim}D input with "
                                  f"mode {mode!r}: non-constant padding pads the last 1-3 dims of a 2D-5D input "
                                  "(2D/3D: 2 numbers, 3D/4D: 4, 4D/5D: 6)")
    out = getitem(x, crop)
    for d, (left, right) in pairs.items():
        index = _pad_index(backend.xp_of(x._data), out.shape[d], builtins.max(left, 0), builtins.max(right, 0), mode)
        out = index_select(out, d, index)
    return out


def _pad_constant(x, pairs, crop, value):
    kept = getitem(x, crop)
    if builtins.all(left <= 0 and right <= 0 for left, right in pairs.values()):
        return clone(kept)  # a new tensor, as PyTorch (a crop alone would be a view)
    shape = tuple(n + builtins.max(pairs.get(d, (0, 0))[0], 0) + builtins.max(pairs.get(d, (0, 0))[1], 0)
                  for d, n in enumerate(kept.shape))
    region = tuple(slice(builtins.max(pairs.get(d, (0, 0))[0], 0), None) for d in range(x.ndim))
    region = tuple(slice(r.start, r.start + n) for r, n in zip(region, kept.shape))
    filled = Tensor._wrap(backend.xp_of(x._data).full(shape, value, dtype=x.dtype))
    return setitem(filled, region, kept)  # x's gradient is read back from where it was placed


def _pad_index(xp, n, left, right, mode):
    """Which input position each output position copies, for the three edge modes."""
    i = xp.arange(-left, n + right)
    if mode == "replicate":
        return xp.clip(i, 0, n - 1)
    if mode == "reflect":
        if left >= n or right >= n:
            raise RuntimeError(f"pad: Padding size should be less than the corresponding input dimension, but got: "
                               f"padding ({left}, {right}) at a dimension of size {n}")
        i = xp.abs(i)
        return xp.where(i > n - 1, 2 * (n - 1) - i, i)
    if left > n or right > n:
        raise RuntimeError(f"pad: Padding value causes wrapping around more than once (padding ({left}, {right}) "
                           f"for a dimension of size {n})")
    return i % n


# -- constructors and conversions that are Tensor methods only --------------------------------------
def new_zeros(x, *size, dtype=None, device=None, requires_grad=False):
    """Zeros of ``size`` with x's dtype and device (unless given): ``x.new_zeros(2, 3)``.

    >>> import tinynn as tn; tn.ones(1, dtype=tn.float64).new_zeros(2).tolist(), tn.ones(1).new_zeros((2, 1)).shape
    ([0.0, 0.0], (2, 1))
    """
    return creation.zeros(*size, dtype=dtype or x.dtype, device=device or x.device, requires_grad=requires_grad)


def new_ones(x, *size, dtype=None, device=None, requires_grad=False):
    """Ones of ``size`` with x's dtype and device: ``x.new_ones(3)``."""
    return creation.ones(*size, dtype=dtype or x.dtype, device=device or x.device, requires_grad=requires_grad)


def new_empty(x, *size, dtype=None, device=None, requires_grad=False):
    """An uninitialised tensor (zeros in tinynn) of ``size`` with x's dtype and device."""
    return creation.empty(*size, dtype=dtype or x.dtype, device=device or x.device, requires_grad=requires_grad)


def new_full(x, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """``fill_value`` everywhere, of ``size``, with x's dtype and device (not the value's).

    >>> import tinynn as tn; tn.zeros(1, dtype=tn.long).new_full((2,), 3.5).tolist()
    [3, 3]
    """
    return creation.full(size, fill_value, dtype=dtype or x.dtype, device=device or x.device,
                         requires_grad=requires_grad)


def new_tensor(x, data, *, dtype=None, device=None, requires_grad=False):
    """A new tensor holding ``data``, with x's dtype and device unless given (``x.new_tensor``).

    >>> import tinynn as tn; tn.zeros(1).new_tensor([1, 2]).tolist()
    [1.0, 2.0]
    """
    return creation.tensor(data, dtype=dtype or x.dtype, device=device or x.device, requires_grad=requires_grad)


def type_as(x, other):
    """x converted to ``other``'s dtype (and device), in the graph for floats (``x.type_as``).

    >>> import tinynn as tn; tn.tensor([1, 2]).type_as(tn.zeros(1)).dtype
    dtype('float32')
    """
    return to(x, other)


__all__ = ["sort", "argsort", "topk", "diag", "outer", "norm", "unique", "bincount", "isnan", "isinf", "isfinite",
           "scatter", "index_add", "pad"]
NN_ONLY = ("pad",)  # torch.nn.functional.pad; there is no torch.pad
METHOD_ONLY = {"new_zeros": new_zeros, "new_ones": new_ones, "new_empty": new_empty, "new_full": new_full,
               "new_tensor": new_tensor, "type_as": type_as}
