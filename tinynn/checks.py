"""What ``Function.__call__`` does around the idea "forward, then record": turning Python
numbers and raw arrays into constant Tensors, refusing inputs on different devices,
translating NumPy's errors into ones that name the op, and the NaN/inf checks of
``detect_anomaly``. Kept here so that tensor.py shows only the idea.

>>> import tinynn as tn
>>> (tn.ones(2) + 1).tolist()   # the 1 was lifted to a constant Tensor
[2.0, 2.0]
"""
from __future__ import annotations

import math
import os
import traceback

from tinynn import backend


def prepare(fn, inputs, Tensor):
    """(inputs as Tensors on one device, their arrays, which of them require grad)."""
    if len(inputs) == 2:  # the usual case first: two Tensors with one array type (one device)
        a, b = inputs
        if isinstance(a, Tensor) and isinstance(b, Tensor) and type(a._data) is type(b._data):
            return inputs, (a._data, b._data), (a._requires_grad, b._requires_grad)
    arrays, needs = [], []
    for x in inputs:
        if not isinstance(x, Tensor):  # a number or a raw array: lift it to a constant Tensor
            return prepare(fn, _lift_constants(inputs, fn, Tensor), Tensor)
        arrays.append(x._data)
        needs.append(x._requires_grad)
    if len(arrays) > 1:
        kind = type(arrays[0])
        for a in arrays:
            if type(a) is not kind:  # one array type per device
                _check_one_device(fn, inputs)
    return inputs, arrays, tuple(needs)


def _lift_constants(inputs, fn, Tensor):
    """Python scalars and raw arrays next to Tensors become constant Tensors on their device."""
    ref = next((x for x in inputs if isinstance(x, Tensor)), None)
    if ref is None:
        raise TypeError(f"{type(fn).__name__}: at least one input must be a Tensor")
    lifted = []
    for x in inputs:
        if isinstance(x, Tensor):
            lifted.append(x)
        elif backend.is_array(x):
            lifted.append(Tensor._wrap(x))
        elif isinstance(x, (int, float, bool)) or backend.is_scalar(x):
            if type(x) is int and not -2**63 <= x < 2**63:  # PyTorch refuses it too (whatever the dtype)
                raise OverflowError(f"{type(fn).__name__}: the Python int {x} is too big to convert (beyond int64); "
                                    "use a float, e.g. 1e20")
            dtype, xp = backend.scalar_dtype(ref._data.dtype, x), backend.xp_of(ref._data)
            # past float16/32's range the result is inf, as in torch (errstate costs more than the op: only here)
            if isinstance(x, (float, backend.numpy.floating)) and not -65504.0 <= x <= 65504.0:
                with backend.numpy.errstate(over="ignore"):
                    lifted.append(Tensor._wrap(xp.asarray(x, dtype=dtype)))
            else:
                lifted.append(Tensor._wrap(xp.asarray(x, dtype=dtype)))
        elif x is None:
            raise TypeError(f"{type(fn).__name__}: got None where a Tensor or a number was expected")
        else:
            try:  # a list of numbers is a constant too; a string, dict or object is a mistake
                lifted.append(Tensor(x, device=ref.device))
            except (TypeError, ValueError):
                raise TypeError(f"{type(fn).__name__}: an operand is {type(x).__name__} {_short(x)}; expected a "
                                "Tensor, a number or a (rectangular) list of numbers") from None
    return tuple(lifted)


def _short(x, limit=40):
    text = repr(x)
    return text if len(text) <= limit else text[:limit] + "..."


def _check_one_device(fn, tensors):
    if len({t.device for t in tensors}) == 1:
        return  # different array types on one device (an ndarray subclass): fine
    devices = [f"{t.device} {tuple(t.shape)}" for t in tensors]
    raise RuntimeError(
        f"{type(fn).__name__}: inputs are on different devices ({', '.join(devices)}). Move them "
        f"to one device first, e.g. x.to('{tensors[0].device}')"
    )


def forward_error(fn, arrays, error):
    """NumPy's broadcast error as one that names the op and the shapes (other errors unchanged)."""
    if "broadcast" not in str(error) or "shapes" not in str(error):
        return error
    shapes = " and ".join(str(tuple(d.shape)) for d in arrays)
    return ValueError(
        f"{type(fn).__name__}: shapes {shapes} cannot be broadcast together (axes are matched "
        "from the right; each pair of sizes must be equal or one of them 1). Reshape an operand, "
        "e.g. b.reshape(-1, 1), or check which axis is the batch axis."
    )


def without_underflow(method, args, error):
    """Run ``method(*args)`` again with underflow ignored if ``error`` was an underflow trap
    (np.errstate(under="raise")): the result holds the subnormals PyTorch would give.
    Overflow, division by zero and invalid operations still raise as the user asked.
    Every op's forward and backward gets this from Function.__call__ and the backward walk;
    the op must not modify its input arrays (none of tinynn's do), so a rerun is the same.

    >>> import numpy as np, tinynn as tn
    >>> x = tn.tensor([1e-40, 1.0], requires_grad=True)   # 1e-40 is subnormal in float32
    >>> with np.errstate(all="raise"):
    ...     tn.tanh(x).sum().backward()
    >>> x.grad.tolist()[0]
    1.0
    """
    if "underflow" not in str(error):
        raise error
    with backend.underflow_ignored():
        return method(*args)


def as_output(fn, out):
    if hasattr(out, "_data") and hasattr(out, "creator"):  # a Tensor: forward works on arrays
        raise TypeError(
            f"{type(fn).__name__}.forward returned a Tensor; forward receives and returns raw arrays "
            "(use x * 2 on the arrays it is given, or write a composition of tinynn ops instead)"
        )
    return backend.ensure_array(out)


def one_gradient_per_input(fn, input_grads):
    """backward's result as a tuple with one entry per input, or a clear error."""
    if type(input_grads) is not tuple:
        input_grads = (input_grads,)
    if len(input_grads) != len(fn.inputs):
        raise RuntimeError(
            f"{type(fn).__name__}.backward returned {len(input_grads)} gradient(s) for "
            f"{len(fn.inputs)} input(s): return one per input (None where there is none)"
        )
    return input_grads


def unbroadcastable(fn, grad_shape, shape):
    """The error for a gradient that cannot be summed back to its input's shape."""
    return RuntimeError(
        f"{type(fn).__name__ if fn is not None else 'backward'}.backward produced a gradient of shape "
        f"{tuple(grad_shape)} for an input of shape {tuple(shape)}, and it cannot be summed back to it: "
        "backward must return one gradient per input, shaped like that input (or like the broadcast output)"
    )


def checked_seed(root, gradient, op, create_graph=False):
    """The gradient ``backward(gradient)`` starts from, checked; or the error that says why
    there is none (no graph, a non-scalar without a gradient, create_graph)."""
    if create_graph:
        raise NotImplementedError(f"{op}(create_graph=True): tinynn computes first derivatives only")
    if not root._requires_grad:
        raise RuntimeError(
            f"{op}(): this tensor does not require grad and has no graph. Create the inputs with "
            "requires_grad=True (and do not compute it under tn.no_grad())."
        )
    if gradient is None:
        raise RuntimeError(
            f"{op}() on a tensor of shape {root.shape} needs a gradient of the same shape: call "
            "y.backward(gradient), or reduce first, e.g. y.sum().backward()"
        )
    return checked_grad(root, getattr(gradient, "_data", gradient), op)


def check_requires_grad(tensor, value):
    """Refuse requires_grad=True on a non-float tensor, and False on a tensor computed in the graph."""
    if value and not backend.is_floating(tensor._data.dtype):
        raise TypeError(
            f"only floating-point tensors can require grad, got dtype {tensor._data.dtype}: "
            "create it with dtype=tn.float32 (e.g. tn.tensor([1.0, 2.0])) or call .float()"
        )
    if tensor.creator is not None and not value:
        raise RuntimeError("requires_grad_(False) on a tensor computed in the graph: use .detach()")


def as_gradient_array(fn, g):
    """A gradient that backward returned as a NumPy scalar or a Tensor, as an array (or an error)."""
    if backend.is_scalar(g) and type(g) not in (int, float, bool):  # np.float64 subclasses float
        return backend.ensure_array(g)  # NumPy turns a 0-d result into a scalar
    if hasattr(g, "_data") and backend.is_array(g._data):
        return g._data  # a Tensor: its array (backward should return arrays; this is forgiven)
    if backend.is_array(g):
        return g
    raise TypeError(
        f"{type(fn).__name__}.backward returned a {type(g).__name__}; backward works on raw "
        "arrays: return arrays (or None), e.g. 2 * self.x * grad"
    )


# --------------------------------------------------------------------------- detect_anomaly
def _user_frame():
    """file:line of the innermost caller outside tinynn (where the user created the op)."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        if f"tinynn{os.sep}" not in frame.filename:
            return f"{frame.filename}:{frame.lineno} ({frame.line})"
    return None


def check_finite(fn, array, where):
    """Raise FloatingPointError naming ``fn`` (and where it was created) on NaN or inf."""
    xp = backend.xp_of(array)
    if array is None or array.dtype.kind != "f" or bool(xp.isfinite(array).all()):
        return
    bad = "nan" if bool(xp.isnan(array).any()) else "inf"
    created = getattr(fn, "_created_at", None)
    origin = f"; the op was created at {created}" if created else ""
    raise FloatingPointError(f"{type(fn).__name__} produced {bad} in its {where}{origin}")


def checked_forward(fn, data):
    """forward under detect_anomaly: NumPy's own warnings off, our NaN/inf check on."""
    with backend.numpy.errstate(all="ignore"):
        out = as_output(fn, fn.forward(*data))
    fn._created_at = _user_frame()
    check_finite(fn, out, "forward output")
    return out


def checked_backward(fn, grad):
    """backward under detect_anomaly: NumPy's warnings off, our NaN/inf check names the op."""
    with backend.numpy.errstate(all="ignore"):
        input_grads = fn.backward(grad)
    for g in input_grads if type(input_grads) is tuple else (input_grads,):
        if g is not None and backend.is_array(g):
            check_finite(fn, g, "backward (a gradient of its inputs)")
    return input_grads


# --------------------------------------------------------------------------- gradients and writes
def checked_grad(tensor, array, op="grad"):
    """``array`` as the gradient of ``tensor``: same shape, dtype and device (PyTorch refuses others)."""
    if not backend.is_array(array):
        if isinstance(array, (int, float)) or backend.is_scalar(array) or isinstance(array, (list, tuple)):
            with backend.numpy.errstate(over="ignore"):  # past float32's range rounds to inf, as torch's cast
                array = backend.xp_of(tensor._data).asarray(array, dtype=tensor._data.dtype)
        else:
            raise TypeError(f"{op}: expected a Tensor (or an array), got {type(array).__name__}")
    if array.shape != tensor._data.shape:
        raise RuntimeError(
            f"{op}: the gradient has shape {tuple(array.shape)} but the tensor has shape "
            f"{tuple(tensor._data.shape)}; a gradient must have the tensor's shape"
        )
    if backend.device_of(array) != backend.device_of(tensor._data):
        raise RuntimeError(
            f"{op}: the gradient is on '{backend.device_of(array)}' but the tensor is on "
            f"'{backend.device_of(tensor._data)}': move it with .to('{backend.device_of(tensor._data)}')"
        )
    if array.dtype != tensor._data.dtype:
        if op != "grad" and array.dtype.kind == tensor._data.dtype.kind:
            return array.astype(tensor._data.dtype)  # backward(gradient) of another float width
        raise TypeError(
            f"{op}: the gradient is {array.dtype} but the tensor is {tensor._data.dtype}; "
            f"convert it first, e.g. g.to({tensor._data.dtype.name!r})"
        )
    return array


_ANY_CAST = ("setitem", "copy_", "fill_", "zero_")  # writes that convert, as PyTorch's copy_ does


def checked_write(target, new, op, recorded=False):
    """``new`` (a Tensor) checked to be written into ``target``: same shape, a castable dtype."""
    if new.shape != target._data.shape:
        raise RuntimeError(
            f"in-place {op}: the result has shape {tuple(new.shape)} but the tensor written into has shape "
            f"{tuple(target._data.shape)}; an in-place op cannot change a tensor's shape (write x = x + y instead)"
        )
    if new.dtype != target._data.dtype:
        casting = "unsafe" if op in _ANY_CAST else "same_kind"
        if not backend.numpy.can_cast(new.dtype, target._data.dtype, casting):
            raise TypeError(
                f"in-place {op}: the result type {new.dtype} can't be cast to the tensor's dtype "
                f"{target._data.dtype}; write out of place (x = x + y) or convert x first (x = x.float())"
            )
        if recorded:
            from tinynn.ops.shape import to_copy  # the cast joins the graph

            new = to_copy(new, dtype=target._data.dtype)
    return new


def write_into(target, new):
    """Copy the values of the Tensor ``new`` into ``target``'s memory (casting to its dtype)."""
    xp = backend.xp_of(target._data)
    xp.copyto(target._data, new._data, casting="unsafe")


# --------------------------------------------------------------------------- dims
def dim_index(dim, ndim, op):
    """``dim`` as a non-negative axis, or PyTorch's "Dimension out of range" error."""
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__}")
    n = max(ndim, 1)  # a 0-d tensor accepts dim 0 and -1, as in PyTorch
    if not -n <= dim < n:
        raise IndexError(f"{op}: Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n


def reduction_axes(axis, ndim):
    """None, an int or a tuple of ints -> a sorted tuple of non-negative axes (for sum, mean, ...)."""
    if axis is None or (isinstance(axis, (tuple, list)) and len(axis) == 0):  # PyTorch: dim=[] is every dim
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis) if isinstance(axis, (tuple, list)) else None
    if axes is None or not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
        raise TypeError(f"reduction: dim must be an int or a tuple of ints, got {axis!r}")
    return tuple(sorted(dim_index(a, ndim, "reduction") for a in axes))


# --------------------------------------------------------------------------- shapes
def reshape_error(shape, new_shape, error):
    """reshape's error: the sizes do not match (ValueError) or are not ints (TypeError)."""
    if isinstance(error, ValueError):
        return ValueError(f"reshape: cannot reshape a tensor of shape {shape} ({math.prod(shape)} elements) "
                          f"into {tuple(new_shape)}")
    kinds = ", ".join(type(n).__name__ for n in new_shape)  # None, a string, a float where a size belongs
    return TypeError(f"reshape: the shape must be ints, e.g. x.reshape(2, -1) or x.reshape((2, -1)); "
                     f"got {tuple(new_shape)!r} ({kinds})")


def tensor_list(tensors, op):
    """``tensors`` (of cat, stack) as a non-empty list of Tensors, or an error naming ``op``."""
    if hasattr(tensors, "_data") or not hasattr(tensors, "__iter__"):
        raise TypeError(f"{op}: expected a list or tuple of Tensors, got {type(tensors).__name__}")
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty list of Tensors")
    if not all(hasattr(t, "_data") for t in tensors):
        raise TypeError(f"{op}: every element must be a Tensor, got {[type(t).__name__ for t in tensors]}")
    return tensors


def matmul_mismatch(a, b):
    """matmul's error for shapes ``a`` @ ``b`` whose inner axes differ (or a 0-d operand)."""
    inner_b = "scalar" if not b else b[-2] if len(b) > 1 else b[0]
    return ValueError(
        f"matmul: shapes {a} and {b} do not line up: the last axis of the left operand "
        f"({a[-1] if a else 'scalar'}) must equal the {'second-to-last' if len(b) > 1 else 'only'} axis "
        f"of the right one ({inner_b}). Use * for elementwise products, or transpose one operand (x.T).")
