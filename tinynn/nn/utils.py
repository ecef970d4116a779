"""``nn.utils``: gradient clipping and flattening parameters into one vector, as
``torch.nn.utils``. Gradients are changed in place, outside the graph.

>>> import tinynn as tn
>>> from tinynn import nn
>>> w = nn.Parameter(tn.zeros(2)); w.grad = tn.tensor([3.0, 4.0])
>>> nn.utils.clip_grad_norm_([w], max_norm=1.0).item()      # the norm before clipping
5.0
>>> [round(g, 4) for g in w.grad.tolist()]                   # now of length 1 (up to 1e-6)
[0.6, 0.8]
"""
from __future__ import annotations

import math

from tinynn import backend
from tinynn.tensor import Tensor


def _parameter_list(parameters, op):
    if isinstance(parameters, Tensor):
        return [parameters]
    try:
        params = list(parameters)
    except TypeError:
        raise TypeError(f"{op}: expected a Tensor or an iterable of Tensors (model.parameters()), got "
                        f"{type(parameters).__name__}") from None
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"{op}: expected Tensors, got a {type(p).__name__} among the parameters")
    return params


def _norm_type(norm_type, op):
    norm_type = float(norm_type)
    if norm_type != norm_type or norm_type <= 0:
        raise ValueError(f"{op}: norm_type must be positive (2.0, 1.0, float('inf'), ...), got {norm_type}")
    return norm_type


def _array_norm(g, norm_type):
    """The ``norm_type``-norm of one raw array, as a 0-d array of its dtype."""
    a = abs(g)
    if math.isinf(norm_type):
        return a.max() if a.size else a.sum()
    if norm_type == 1:
        return a.sum()
    if norm_type == 2:
        return (a * a).sum() ** 0.5
    return (a ** norm_type).sum() ** (1.0 / norm_type)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The norm of all ``tensors`` together, as if concatenated into one vector (a 0-d Tensor).

    >>> import tinynn as tn
    >>> get_total_norm([tn.tensor([3.0]), tn.tensor([4.0])]).item()
    5.0
    """
    norm_type = _norm_type(norm_type, "get_total_norm")
    arrays = [t._data for t in _parameter_list(tensors, "get_total_norm")]
    if not arrays:
        return Tensor(0.0)
    xp = backend.xp_of(arrays[0])
    norms = xp.stack([backend.ensure_array(_array_norm(a, norm_type)).astype(arrays[0].dtype) for a in arrays])
    total = backend.ensure_array(_array_norm(norms, norm_type))
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite "
                           f"({float(total)}), so it cannot be clipped. To disable this error and scale the "
                           "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`")
    return Tensor._wrap(total)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale every gradient by min(1, max_norm / (total_norm + 1e-6)), in place (PyTorch's rule)."""
    grads = [p._grad for p in _parameter_list(parameters, "clip_grads_with_norm_") if p._grad is not None]
    total = total_norm._data if isinstance(total_norm, Tensor) else total_norm
    for g in grads:
        coef = backend.xp_of(g).minimum(float(max_norm) / (total + 1e-6), 1.0)
        g[...] = g * coef.astype(g.dtype)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Rescale the gradients so that their joint norm is at most ``max_norm``; returns the
    joint norm *before* clipping as a 0-d Tensor (log it to watch for exploding gradients).

    Parameters without a gradient are skipped. ``norm_type`` may be ``float('inf')`` (the
    largest |g|). With ``error_if_nonfinite=True`` a nan/inf norm raises instead of
    scaling every gradient to nan.
    """
    params = [p for p in _parameter_list(parameters, "clip_grad_norm_") if p._grad is not None]
    max_norm = float(max_norm)
    if max_norm != max_norm:
        raise ValueError("clip_grad_norm_: max_norm is nan")
    total = get_total_norm([Tensor._wrap(p._grad) for p in params], norm_type, error_if_nonfinite)
    if params:
        clip_grads_with_norm_(params, max_norm, total)
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element to [-clip_value, clip_value], in place.

    >>> import tinynn as tn
    >>> from tinynn import nn
    >>> w = nn.Parameter(tn.zeros(3)); w.grad = tn.tensor([-5.0, 0.5, 5.0])
    >>> clip_grad_value_([w], 1.0); w.grad.tolist()
    [-1.0, 0.5, 1.0]
    """
    clip_value = float(clip_value)
    if not clip_value >= 0:
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value}")
    for p in _parameter_list(parameters, "clip_grad_value_"):
        if p._grad is not None:
            g = p._grad
            g[...] = backend.xp_of(g).clip(g, -clip_value, clip_value)


def parameters_to_vector(parameters):
    """All parameters flattened and joined into one 1-d Tensor (in the graph, as PyTorch).

    >>> import tinynn as tn
    >>> parameters_to_vector([tn.ones(2, 2), tn.zeros(1)]).tolist()
    [1.0, 1.0, 1.0, 1.0, 0.0]
    """
    from tinynn.ops.shape import concatenate, reshape

    params = _parameter_list(parameters, "parameters_to_vector")
    if not params:
        raise ValueError("parameters_to_vector: no parameters given")
    return concatenate([reshape(p, (-1,)) for p in params])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-d ``vec`` into the parameters' values, in place.

    >>> import tinynn as tn
    >>> a, b = tn.zeros(2), tn.zeros(1)
    >>> vector_to_parameters(tn.tensor([1.0, 2.0, 3.0]), [a, b]); a.tolist(), b.tolist()
    ([1.0, 2.0], [3.0])
    """
    if not isinstance(vec, Tensor) or vec.ndim != 1:
        raise TypeError(f"vector_to_parameters: expected a 1-d Tensor, got "
                        f"{tuple(vec.shape) if isinstance(vec, Tensor) else type(vec).__name__}")
    params = _parameter_list(parameters, "vector_to_parameters")
    needed = sum(int(p._data.size) for p in params)
    if needed != vec.shape[0]:
        raise ValueError(f"vector_to_parameters: the parameters hold {needed} numbers, the vector {vec.shape[0]}")
    start = 0
    for p in params:
        n = int(p._data.size)
        p._data[...] = vec._data[start:start + n].reshape(p.shape).astype(p.dtype, copy=False)
        start += n


def zero_grad_(parameters, set_to_none=True):
    """Forget the gradients before the next backward: set them to None (the default, as
    PyTorch 2.x) or, with ``set_to_none=False``, fill them with zeros in place. The one
    implementation behind ``Module.zero_grad`` and ``Optimizer.zero_grad``.

    >>> import tinynn as tn
    >>> w = tn.ones(2, requires_grad=True); (w * 3).sum().backward(); zero_grad_([w], set_to_none=False); w.grad
    tensor([0., 0.])
    """
    for p in parameters:
        if set_to_none:
            p._grad = None
        elif p._grad is not None:
            p._grad[...] = 0


def model_device(model):
    """The device of a model's first parameter ("cpu" for a model without parameters, or a function)."""
    for p in getattr(model, "parameters", lambda: ())():
        return p.device
    return "cpu"
