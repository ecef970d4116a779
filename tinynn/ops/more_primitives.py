"""Primitives behind PyTorch's wider surface (tinynn/ops/more.py builds the rest from them):
flip, roll, cumprod, einsum, scatter_add and the rounding functions. Each backward sits
next to its forward and says what it computes.

>>> import tinynn as tn
>>> x = tn.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> (tn.flip(x, [0]) * tn.tensor([1.0, 0.0, 0.0])).sum().backward(); x.grad.tolist()  # out[0] is x[2]
[0.0, 0.0, 1.0]
"""
from __future__ import annotations

import builtins

from tinynn import backend
from tinynn.ops.reduction import dim_index
from tinynn.tensor import Function, Tensor


def _tensor(op, x):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    return x


def _int_list(value, op, what):
    """An int or a sequence of ints as a tuple (PyTorch's int[] arguments)."""
    items = (value,) if isinstance(value, int) else tuple(value) if isinstance(value, (tuple, list)) else None
    if items is None or not builtins.all(isinstance(v, int) and not isinstance(v, bool) for v in items):
        raise TypeError(f"{op}: {what} must be an int or a tuple of ints, got {value!r}")
    return items


# -- flip and roll: elements move, values don't ------------------------------------------------
class FlipFunction(Function):
    """Reverse the order along ``axes``; backward reverses the gradient the same way (flip is its own inverse)."""

    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        return backend.xp_of(x).flip(x, self.axes).copy()  # a new tensor, not a view (as torch.flip)

    def backward(self, grad):
        return backend.xp_of(grad).flip(grad, self.axes)


def flip(input, *dims_args, dims=None):  # noqa: A002 - PyTorch's names
    """Reverse the order of elements along ``dims`` (``torch.flip(x, dims)``, ``x.flip(0, 1)``).

    >>> import tinynn as tn; tn.tensor([[1, 2], [3, 4]]).flip(1).tolist()
    [[2, 1], [4, 3]]
    """
    x = _tensor("flip", input)
    if dims is None:
        dims = dims_args[0] if len(dims_args) == 1 and isinstance(dims_args[0], (tuple, list)) else dims_args
    axes = tuple(dim_index(d, x.ndim, "flip") for d in _int_list(dims, "flip", "dims"))
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"flip: dims {tuple(dims)} name a dim more than once (tensor shape {x.shape})")
    if x.ndim == 0 or not axes:
        return FlipFunction(())(x)
    return FlipFunction(axes)(x)


class RollFunction(Function):
    """Shift elements cyclically by ``shifts`` along ``axes`` (all flattened when None);
    backward rolls the gradient back by ``-shifts``."""

    def __init__(self, shifts, axes):
        self.shifts, self.axes = shifts, axes

    def forward(self, x):
        return backend.xp_of(x).roll(x, self.shifts, self.axes)

    def backward(self, grad):
        back = tuple(-s for s in self.shifts) if isinstance(self.shifts, tuple) else -self.shifts
        return backend.xp_of(grad).roll(grad, back, self.axes)


def roll(input, shifts, dims=None):  # noqa: A002
    """Elements shifted cyclically along ``dims``: out[(i + s) % n] = x[i]; with ``dims``
    None the tensor is flattened, rolled and reshaped back (``torch.roll``).

    >>> import tinynn as tn; tn.tensor([1, 2, 3, 4]).roll(1).tolist()
    [4, 1, 2, 3]
    """
    x = _tensor("roll", input)
    shifts = _int_list(shifts, "roll", "shifts")
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"roll: {len(shifts)} shifts need as many dims, got dims=None")
        return RollFunction(shifts[0], None)(x)
    axes = tuple(dim_index(d, x.ndim, "roll") for d in _int_list(dims, "roll", "dims"))
    if len(axes) != len(shifts):
        raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(axes)}")
    return RollFunction(shifts, axes)(x)


# -- cumprod -----------------------------------------------------------------------------------
class CumprodFunction(Function):
    """Running product y_j = Π_(i<=j) x_i along ``axis``.

    Backward: ∂L/∂x_k = Σ_(j>=k) g_j Π_(i<=j, i≠k) x_i. Before the first zero of a row that is
    revcumsum(g·y)_k / x_k; at the first zero it is revcumsum(g·y')_k with y' the running product
    of x with that zero replaced by 1; after it every product holds the zero, so it is 0.
    """

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        out = backend.xp_of(x).cumprod(x, axis=self.axis)
        self.save(x, out)
        return out

    def backward(self, grad):
        x, out = self.saved
        xp, a = backend.xp_of(grad), self.axis
        zeros_so_far = xp.cumsum(x == 0, axis=a)
        before, first = zeros_so_far == 0, (x == 0) & (zeros_so_far == 1)
        gx = xp.where(before, _revcumsum(xp, grad * out, a) / xp.where(before, x, 1), 0)
        if first.any():
            out_skipping = xp.cumprod(xp.where(first, 1, x), axis=a)
            gx = xp.where(first, _revcumsum(xp, grad * out_skipping, a), gx)
        return gx.astype(grad.dtype, copy=False)


def _revcumsum(xp, a, axis):
    """Σ_(j>=k) a_j: the running sum from the far end."""
    return xp.flip(xp.cumsum(xp.flip(a, axis), axis=axis), axis)


def cumprod(input, dim, *, dtype=None):  # noqa: A002
    """Running product along ``dim`` (``torch.cumprod``; integers give int64, as PyTorch).

    >>> import tinynn as tn; tn.cumprod(tn.tensor([1.0, 2.0, 3.0]), dim=0).tolist()
    [1.0, 2.0, 6.0]
    """
    x = _tensor("cumprod", input)
    if dtype is not None:
        x = x.to(dtype)
    axis = dim_index(dim, x.ndim, "cumprod")
    if not backend.is_floating(x.dtype):  # integers and bools: int64 values, no gradient
        data = x._data.reshape(1) if x.ndim == 0 else x._data
        return Tensor._wrap(backend.xp_of(data).cumprod(data, axis=axis).astype("int64").reshape(x.shape))
    if x.ndim == 0:
        return CumprodFunction(0)(x.reshape(1)).reshape(())
    return CumprodFunction(axis)(x)


# -- einsum ------------------------------------------------------------------------------------
class EinsumFunction(Function):
    """Σ over the letters missing from the output of the product of the operands.

    Backward for operand k: the einsum of the output gradient with the other operands, onto
    k's letters; letters only k has (summed in k alone) get the gradient broadcast along
    them; a letter k repeats (a diagonal, "ii->i") receives it on that diagonal only.
    """

    def __init__(self, subscripts, output):
        self.subscripts, self.output = subscripts, output

    def forward(self, *operands):
        self.save(*operands)
        equation = ",".join(self.subscripts) + "->" + self.output
        return backend.xp_of(operands[0]).einsum(equation, *operands, optimize=len(operands) > 1)

    def backward(self, grad):
        operands = self.saved
        return tuple(self._grad_of(k, grad, operands) if need else None for k, need in enumerate(self.needs_input_grad))

    def _grad_of(self, k, grad, operands):
        xp, subs, x = backend.xp_of(grad), self.subscripts[k], operands[k]
        letters = "".join(dict.fromkeys(subs))  # k's distinct letters, in order
        others = [(s, o) for i, (s, o) in enumerate(zip(self.subscripts, operands)) if i != k]
        seen = self.output + "".join(s for s, _ in others)
        reached = "".join(c for c in letters if c in seen)
        terms = [self.output] + [s for s, _ in others]
        g = xp.einsum(",".join(terms) + "->" + reached, grad, *[o for _, o in others], optimize=len(terms) > 2)
        size = {c: x.shape[subs.index(c)] for c in letters}
        g = g.reshape([g.shape[reached.index(c)] if c in reached else 1 for c in letters])
        g = xp.broadcast_to(g, [builtins.max(g.shape[i], size[c]) for i, c in enumerate(letters)])
        g = g.sum(axis=tuple(i for i, c in enumerate(letters) if size[c] == 1 and g.shape[i] > 1), keepdims=True)
        if len(letters) == len(subs):  # no repeated letter: just put the axes in k's order
            return xp.ascontiguousarray(g.transpose([letters.index(c) for c in subs]))
        full = xp.zeros(x.shape, dtype=grad.dtype)  # a repeated letter: only its diagonal gets gradient
        grids = xp.ix_(*[xp.arange(n) for n in g.shape])
        full[tuple(grids[letters.index(c)] for c in subs)] = g
        return full


def _parse_einsum(equation, shapes):
    """PyTorch's equation (spaces, '...', implicit output) as explicit letters per operand."""
    equation = equation.replace(" ", "")
    inputs, arrow, output = equation.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(shapes):
        raise RuntimeError(f"einsum(): {len(terms)} operands in the equation {equation!r}, {len(shapes)} given")
    used = set(c for c in equation if c.isalpha())
    spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in used]
    rank = builtins.max([len(s) - len(t.replace("...", "")) for t, s in zip(terms, shapes) if "..." in t] + [0])
    ellipsis = "".join(spare[:rank])
    explicit = []
    for t, shape in zip(terms, shapes):
        if builtins.any(not (c.isalpha() and c.isascii()) for c in t.replace("...", "")):
            raise RuntimeError(f"einsum(): operand subscripts must be letters [a-zA-Z] or '...', got {t!r}")
        n = len(shape) - len(t.replace("...", ""))
        t = t.replace("...", ellipsis[rank - n:] if n > 0 else "")
        if len(t) != len(shape):
            raise RuntimeError(f"einsum(): the subscripts {t!r} name {len(t)} dims for an operand of shape "
                               f"{tuple(shape)}")
        explicit.append(t)
    if arrow:
        output = output.replace("...", ellipsis)
    else:
        counts = "".join(explicit)
        output = ellipsis + "".join(sorted(c for c in set(counts) if counts.count(c) == 1 and c not in ellipsis))
    if len(set(output)) != len(output) or builtins.any(c not in "".join(explicit) for c in output):
        raise RuntimeError(f"einsum(): output subscripts {output!r} must each appear once and in some operand")
    return explicit, output


def einsum(equation, *operands):
    """Einstein summation (``torch.einsum``): ``"ij,jk->ik"`` is a matmul, ``"ii->"`` a trace,
    ``"bij,bjk->bik"`` a batched matmul; '...' and the implicit output (no '->') as PyTorch.

    >>> import tinynn as tn; a = tn.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> tn.einsum("ij,kj->ik", a, a).tolist(), tn.einsum("ii", a).item()
    ([[5.0, 11.0], [11.0, 25.0]], 5.0)
    """
    if not isinstance(equation, str):
        raise TypeError(f"einsum(): the first argument is the equation string, got {type(equation).__name__}")
    if len(operands) == 1 and isinstance(operands[0], (tuple, list)):
        operands = tuple(operands[0])
    operands = [_tensor("einsum", t) for t in operands]
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    if len({t.dtype for t in operands}) > 1:
        raise RuntimeError(f"einsum(): operands have dtypes {[str(t.dtype) for t in operands]}; convert them "
                           "to one dtype first (e.g. b.to(a.dtype)), as PyTorch requires")
    subscripts, output = _parse_einsum(equation, [t.shape for t in operands])
    if not backend.is_floating(operands[0].dtype):
        xp = backend.xp_of(operands[0]._data)
        return Tensor._wrap(backend.ensure_array(
            xp.einsum(",".join(subscripts) + "->" + output, *[t._data for t in operands])))
    return EinsumFunction(subscripts, output)(*operands)


# -- scatter_add -------------------------------------------------------------------------------
class ScatterAddFunction(Function):
    """out = x, then out[grid[p]] += src[p] for every position p of the index (np.add.at: a
    position hit twice gets both). Backward: x's gradient passes unchanged; src's is the
    output gradient read back at the positions each element was added to (a gather)."""

    def __init__(self, grid, region):
        self.grid, self.region = grid, region

    def forward(self, x, src):
        self.src_shape = src.shape
        out = x.copy()
        backend.xp_of(x).add.at(out, self.grid, src[self.region])
        return out

    def backward(self, grad):
        grad_src = None
        if self.needs_input_grad[1]:
            grad_src = backend.xp_of(grad).zeros(self.src_shape, dtype=grad.dtype)
            grad_src[self.region] = grad[self.grid]
        return grad, grad_src


def scatter_grid(x, dim, index, op):
    """Checked (grid, region) for writing along ``dim`` at ``index``: grid[p] is the position of
    x that index position p targets (p with its ``dim`` coordinate replaced by index[p]);
    region is the slice of src (or of the index's shape) that takes part. PyTorch's rules."""
    data = index._data if isinstance(index, Tensor) else index
    if not backend.is_array(data) or data.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): index must be an integer tensor (int64), got "
                           f"{getattr(data, 'dtype', type(data).__name__)}")
    if x.ndim == 0:  # one element: the index may be 0-d or 1-d, its entries 0
        if data.ndim > 1 or (data.size and (data != 0).any()):
            raise RuntimeError(f"{op}(): index {data.tolist()} is out of bounds for a 0-d tensor")
        return (), ()
    if data.ndim != x.ndim:
        raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as self tensor "
                           f"(index shape {tuple(data.shape)}, self shape {tuple(x.shape)})")
    for d, n in enumerate(data.shape):
        if d != dim and n > x.shape[d]:
            raise RuntimeError(f"{op}(): Expected index {tuple(data.shape)} to be no larger than self "
                               f"{tuple(x.shape)} apart from dimension {dim}")
    if data.size and (int(data.min()) < 0 or int(data.max()) >= x.shape[dim]):
        bad = int(data.min()) if int(data.min()) < 0 else int(data.max())
        raise RuntimeError(f"{op}(): index {bad} is out of bounds for dimension {dim} with size {x.shape[dim]}")
    xp = backend.xp_of(x._data)
    grid = list(xp.ix_(*[xp.arange(n) for n in data.shape]))
    grid[dim] = xp.asarray(data)
    return tuple(grid), tuple(slice(0, n) for n in data.shape)


def check_src(src, index, op, x):
    if not isinstance(src, Tensor):
        raise TypeError(f"{op}(): src must be a Tensor, got {type(src).__name__} (scatter takes value= for a number)")
    ishape, sshape = tuple(index.shape), tuple(src.shape)
    if src.ndim != len(ishape) and src.ndim != x.ndim:
        raise RuntimeError(f"{op}(): src has {src.ndim} dims, index {len(ishape)}: they must match")
    if builtins.any(i > s for i, s in zip(ishape, sshape)):
        raise RuntimeError(f"{op}(): Expected index {ishape} to be no larger than src {sshape} in every dimension")
    if src.dtype != x.dtype:
        raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype ({x.dtype} vs {src.dtype}); "
                           f"convert one first, e.g. src.to({x.dtype})")


def scatter_add(input, dim, index, src):  # noqa: A002
    """out = input, then out[index[i][j]][j] += src[i][j] for dim 0 (and so on); indices may
    repeat: every addition counts (``torch.scatter_add``, the backward of gather).

    >>> import tinynn as tn
    >>> tn.zeros(3).scatter_add(0, tn.tensor([0, 2, 0]), tn.tensor([1.0, 2.0, 3.0])).tolist()
    [4.0, 0.0, 2.0]
    """
    x = _tensor("scatter_add", input)
    dim = dim_index(dim, x.ndim, "scatter_add")
    check_src(src, index, "scatter_add", x)
    grid, region = scatter_grid(x, dim, index, "scatter_add")
    if x.ndim == 0:  # a 0-d tensor: one element, the index is 0 (or empty)
        return x + src.reshape(()) if _raw_size(index) else x.clone()
    return ScatterAddFunction(grid, region)(x, src)


def _raw_size(index):
    return int((index._data if isinstance(index, Tensor) else index).size)


# -- rounding: gradient zero, as PyTorch ----------------------------------------------------------
class RoundingFunction(Function):
    """floor, ceil, trunc or round (half to even, optionally at ``decimals``): a step
    function, so its derivative is 0 wherever it exists; PyTorch's gradient is 0 everywhere."""

    def __init__(self, how, decimals=0):
        self.how, self.decimals = how, decimals

    def forward(self, x):
        xp = backend.xp_of(x)
        if self.how != "rint" or self.decimals == 0:
            return getattr(xp, self.how)(x)
        scale = xp.asarray(10.0 ** builtins.abs(self.decimals), dtype=x.dtype)  # as PyTorch: in x's dtype
        return xp.rint(x * scale) / scale if self.decimals > 0 else xp.rint(x / scale) * scale

    def backward(self, grad):
        return backend.xp_of(grad).zeros_like(grad)


def _rounding(x, how, op, decimals=0):
    x = _tensor(op, x)
    if not backend.is_floating(x.dtype):  # integers are already whole: a copy, as PyTorch
        return Tensor._wrap(x._data.copy())
    return RoundingFunction(how, decimals)(x)


def floor(input):  # noqa: A002
    """The largest whole number <= x (gradient 0, as PyTorch).

    >>> import tinynn as tn; tn.floor(tn.tensor([1.5, -1.5])).tolist()
    [1.0, -2.0]
    """
    return _rounding(input, "floor", "floor")


def ceil(input):  # noqa: A002
    """The smallest whole number >= x (gradient 0).

    >>> import tinynn as tn; tn.ceil(tn.tensor([1.2, -1.2])).tolist()
    [2.0, -1.0]
    """
    return _rounding(input, "ceil", "ceil")


def trunc(input):  # noqa: A002
    """x with its fractional part dropped, towards 0 (gradient 0).

    >>> import tinynn as tn; tn.tensor([1.7, -1.7]).trunc().tolist()
    [1.0, -1.0]
    """
    return _rounding(input, "trunc", "trunc")


def round(input, *, decimals=0):  # noqa: A001,A002 - torch.round
    """Nearest whole number, halves to the even one (0.5 -> 0, 1.5 -> 2, as PyTorch);
    ``decimals`` rounds to that many decimal places. Gradient 0.

    >>> import tinynn as tn; tn.round(tn.tensor([0.5, 1.5, 2.5, -0.5])).tolist()
    [0.0, 2.0, 2.0, -0.0]
    """
    if isinstance(decimals, bool) or not isinstance(decimals, int):
        raise TypeError(f"round: decimals must be an int, got {decimals!r}")
    return _rounding(input, "rint", "round", decimals)


__all__ = ["flip", "roll", "cumprod", "einsum", "scatter_add", "floor", "ceil", "trunc", "round"]
