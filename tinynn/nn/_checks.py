"""Argument checks shared by the layer constructors and forward calls (issue 15).

One place decides what "a size", "a probability" or "a batch of the right rank" means, so
every layer refuses bad input the same way: a clear error naming the layer, the value and
the fix, raised before any state exists.

>>> positive_int("Linear", "in_features", 3)
3
>>> positive_int("Linear", "in_features", 2.5)
Traceback (most recent call last):
...
TypeError: Linear: in_features must be an int, got 2.5 (float)
"""
from __future__ import annotations

import numbers

from tinynn import backend
from tinynn.creation import MAX_ELEMENTS, allocate
from tinynn.tensor import Tensor


def _as_int(layer, name, value):
    """``value`` as a Python int; floats (even 3.0), bools and None are refused."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, Tensor) and value.ndim == 0 and value.dtype.kind in "iu":
        return int(value.item())
    raise TypeError(f"{layer}: {name} must be an int, got {value!r} ({type(value).__name__})")


def integer(layer, name, value):
    """Any int (an index such as ``ignore_index`` or ``padding_idx``); floats and bools refused.

    >>> integer("NLLLoss", "ignore_index", -100)
    -100
    """
    return _as_int(layer, name, value)


def positive_int(layer, name, value):
    """An int > 0 (a number of features, channels, classes ...).

    >>> positive_int("Conv2d", "out_channels", 0)
    Traceback (most recent call last):
    ...
    ValueError: Conv2d: out_channels must be a positive int, got 0
    """
    value = _as_int(layer, name, value)
    if value <= 0:
        raise ValueError(f"{layer}: {name} must be a positive int, got {value}")
    return value


def non_negative_int(layer, name, value):
    """An int >= 0 (padding, a dim's size that may be empty).

    >>> non_negative_int("Conv2d", "padding", -1)
    Traceback (most recent call last):
    ...
    ValueError: Conv2d: padding must be >= 0, got -1
    """
    value = _as_int(layer, name, value)
    if value < 0:
        raise ValueError(f"{layer}: {name} must be >= 0, got {value}")
    return value


def int_tuple(layer, name, value, n, check=positive_int):
    """An int or a sequence of ``n`` ints, each passing ``check``; returns an n-tuple.

    >>> int_tuple("AdaptiveAvgPool2d", "output_size", 3, 2)
    (3, 3)
    """
    if isinstance(value, (tuple, list)):
        if len(value) != n:
            raise ValueError(f"{layer}: {name} must be an int or {n} ints, got {tuple(value)}")
        return tuple(check(layer, name, v) for v in value)
    return (check(layer, name, value),) * n


def new_array(layer, shape, dtype, fill="empty"):
    """A host array for a layer's parameter or buffer (``fill``: "empty", "zeros" or "ones").
    Sizes too large for one array or for the memory raise a RuntimeError naming the layer and
    the size, before the layer has any state (not NumPy's "Maximum allowed dimension exceeded").

    >>> new_array("Linear", (3, 10 ** 20), "float32")
    Traceback (most recent call last):
    ...
    RuntimeError: Linear: the size (3, 100000000000000000000) has 300000000000000000000 elements, more ...
    """
    make = getattr(backend.numpy, fill)
    return allocate(layer, tuple(shape), dtype, lambda: make(shape, dtype=dtype))


def real(layer, name, value, low=None, high=None, low_open=False):
    """A finite real number, optionally in [low, high] (``low_open``: low excluded).

    >>> real("Dropout", "p", 1.5, 0.0, 1.0)
    Traceback (most recent call last):
    ...
    ValueError: Dropout: p must be in [0.0, 1.0], got 1.5
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{layer}: {name} must be a number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{layer}: {name} must be finite, got {value}")
    too_low = low is not None and (value <= low if low_open else value < low)
    if too_low or (high is not None and value > high):
        left = "(" if low_open else "["
        raise ValueError(f"{layer}: {name} must be in {left}{low}, {high}], got {value}")
    return value


def flag(layer, name, value):
    """True or False (NumPy's bool too), as PyTorch's ``batch_first``/``bidirectional``.

    >>> flag("LSTM", "batch_first", "yes")
    Traceback (most recent call last):
    ...
    TypeError: LSTM: batch_first must be True or False, got 'yes' (str)
    """
    if isinstance(value, (bool, backend.numpy.bool_)):
        return bool(value)
    raise TypeError(f"{layer}: {name} must be True or False, got {value!r} ({type(value).__name__})")


def choice(layer, name, value, options):
    """One of the strings ``options`` (a reduction, a nonlinearity ...).

    >>> choice("MSELoss", "reduction", "avg", ("mean", "sum", "none"))
    Traceback (most recent call last):
    ...
    ValueError: MSELoss: reduction must be one of 'mean', 'sum', 'none', got 'avg'
    """
    if isinstance(value, str) and value in options:
        return value
    allowed = ", ".join(repr(o) for o in options)
    error = ValueError if isinstance(value, str) else TypeError
    raise error(f"{layer}: {name} must be one of {allowed}, got {_short(value)}")


def total_elements(layer, count, what="parameters"):
    """Refuse a layer whose parameters together exceed what a tensor can count (checked
    before a loop over 10**20 layers fills the memory)."""
    if count > MAX_ELEMENTS:
        raise RuntimeError(f"{layer}: {count} {what}, more than a tensor can hold (2**63 - 1); check the sizes")
    return count


def _short(value, limit=60):
    text = repr(value)
    text = text if len(text) <= limit else text[:limit] + "..."
    return text if isinstance(value, str) else f"{text} ({type(value).__name__})"


def probability(layer, name, value):
    """A probability in [0, 1] (dropout's p).

    >>> probability("Dropout", "p", 1.5)
    Traceback (most recent call last):
    ...
    ValueError: Dropout: p is a probability and must be in [0, 1], got 1.5
    """
    value = real(layer, name, value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{layer}: {name} is a probability and must be in [0, 1], got {value}")
    return value


def batch(layer, x, ndims, expected):
    """Refuse anything but a Tensor whose rank is in ``ndims``; ``expected`` names the shape.

    >>> import tinynn as tn
    >>> batch("BatchNorm2d", tn.zeros(3), (4,), "(N, C, H, W)")
    Traceback (most recent call last):
    ...
    ValueError: BatchNorm2d: expected input of shape (N, C, H, W) (4-d), got a 1-d tensor of shape (3,)
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"{layer}: expected a Tensor of shape {expected}, got {type(x).__name__}"
                        + ("; did an earlier layer or the data loader return None?" if x is None else ""))
    if x.ndim not in ndims:
        ranks = " or ".join(f"{d}-d" for d in ndims)
        hint = "; add the batch dim with x.unsqueeze(0)" if x.ndim + 1 in ndims else ""
        raise ValueError(f"{layer}: expected input of shape {expected} ({ranks}), got a {x.ndim}-d tensor "
                         f"of shape {tuple(x.shape)}{hint}")
    return x


def float_input(layer, x, *own):
    """Refuse a non-float input, or one whose dtype differs from the layer's own tensors
    (``own``: its weight, buffers ...; None entries skipped), as PyTorch refuses a float64
    batch for a float32 layer ("mixed dtype") instead of computing it silently.

    >>> import tinynn as tn
    >>> float_input("LayerNorm", tn.ones(2, dtype=tn.float64), tn.ones(2))
    Traceback (most recent call last):
    ...
    TypeError: LayerNorm: input is float64 but the layer's parameters and buffers are float32; ...
    """
    if x.dtype.kind != "f":  # PyTorch: "... not implemented for 'Long'"
        raise TypeError(f"{layer}: expected a floating-point input, got {x.dtype} of shape {tuple(x.shape)}; "
                        "convert it, e.g. x.float()")
    dtype = next((t.dtype for t in own if t is not None), x.dtype)
    if x.dtype != dtype:
        raise TypeError(f"{layer}: input is {x.dtype} but the layer's parameters and buffers are {dtype}; "
                        f"convert one of them, e.g. x.to(dtype='{dtype}') or layer.to(dtype='{x.dtype}')")
    return x


def channels(layer, x, dim, expected_count, what="channels"):
    """Refuse an input whose size along ``dim`` is not ``expected_count``."""
    if x.shape[dim] != expected_count:
        raise ValueError(f"{layer}: expected {expected_count} {what} along dim {dim}, got input of shape "
                         f"{tuple(x.shape)}")
    return x


def module_input(module, x):
    """What ``Module.__call__`` checks before ``forward``: the input is not None and, where the
    layer declares ``_input_ranks``, a Tensor of such a rank.

    >>> from tinynn import nn
    >>> nn.Linear(2, 3)(None)
    Traceback (most recent call last):
    ...
    TypeError: Linear: expected a Tensor of shape (*, 2), got None; did an earlier layer or the data loader return None?
    """
    ranks = module._input_ranks
    if x is not None and (ranks is None or isinstance(x, Tensor) and (
            x.ndim >= ranks if isinstance(ranks, int) else x.ndim in ranks)):
        return x  # the usual case: nothing to format
    layer = type(module).__name__
    try:
        expected = module._input_shape.format(**vars(module))
    except (KeyError, AttributeError, IndexError):
        expected = module._input_shape
    if x is None:
        shape = f" of shape {expected}" if expected else ""
        raise TypeError(f"{layer}: expected a Tensor{shape}, got None; did an earlier layer or the data loader "
                        "return None?")
    if not isinstance(x, Tensor):
        shape = f" of shape {expected}" if expected else ""
        raise TypeError(f"{layer}: expected a Tensor{shape}, got {type(x).__name__} {_short(x)}; wrap data with "
                        "tn.tensor(...)")
    if isinstance(ranks, int):
        raise ValueError(f"{layer}: expected input of shape {expected} (at least {ranks}-d), got a {x.ndim}-d "
                         f"tensor of shape {tuple(x.shape)}; make it a batch, e.g. x.reshape(1, -1)")
    return batch(layer, x, ranks, expected)
