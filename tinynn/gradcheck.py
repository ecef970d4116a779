"""Check analytic gradients against central differences, element by element, in float64.

    ∂f/∂x_i ≈ (f(x + ε e_i) - f(x - ε e_i)) / 2ε

A tensor-valued ``fn`` is reduced to a scalar with a fixed random weighting Σ v ⊙ fn(x),
so every output element takes part (an all-ones weighting can hide a wrong backward).
"""
from __future__ import annotations

from tinynn import backend
from tinynn.modes import no_grad
from tinynn.tensor import Tensor


class GradcheckError(AssertionError):
    """Raised by ``gradcheck`` with a report of the worst mismatching element.

    >>> import tinynn as tn
    >>> try:
    ...     tn.gradcheck(lambda x: x.detach() * x, [tn.tensor([1.0, 2.0], dtype="float64", requires_grad=True)])
    ... except GradcheckError:
    ...     print("mismatch")           # the detached factor gets no gradient: d(x²)/dx is off
    mismatch
    """


def _as_float64_inputs(inputs):
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    out = []
    for t in inputs:
        if not isinstance(t, Tensor):
            raise TypeError(f"gradcheck: inputs must be Tensors, got {type(t).__name__}")
        if backend.is_floating(t.dtype):
            copy = Tensor(t._data.astype("float64"), requires_grad=t.requires_grad)
        else:
            copy = t
        out.append(copy)
    return out


def _weighting(out, seed):
    """A fixed, non-uniform weighting of the output elements (the upstream gradient);
    1 for a scalar output, so the report shows plain derivatives there."""
    if out.numel() == 1:
        return backend.xp_of(out._data).ones_like(out._data)
    rng = backend.numpy.random.default_rng(seed)
    v = rng.uniform(0.5, 1.5, size=out.shape) * rng.choice([-1.0, 1.0], size=out.shape)
    return backend.to_device(v.astype(out.dtype), out.device)


def numerical_grad(fn, inputs, eps=1e-6, weight=None):
    """Central-difference gradients of ``sum(weight * fn(*inputs))`` for every input that
    requires grad (None for the others), as float64 host arrays.

    >>> import tinynn as tn
    >>> x = tn.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    >>> [g.round(6).tolist() for g in numerical_grad(lambda x: (x * x).sum(), [x])]
    [[2.0, 4.0]]
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)

    def value():
        with no_grad():
            out = fn(*inputs)
        data = out._data if weight is None else out._data * weight
        return float(data.sum())

    grads = []
    for t in inputs:
        if not t.requires_grad:
            grads.append(None)
            continue
        g = backend.numpy.zeros(t.shape, dtype="float64")
        for index in backend.numpy.ndindex(*t.shape):
            original = t._data[index].item()
            t._data[index] = original + eps  # perturb in place, one element at a time
            plus = value()
            t._data[index] = original - eps
            minus = value()
            t._data[index] = original
            g[index] = (plus - minus) / (2 * eps)
        grads.append(g)
    return grads


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Compare ``backward`` with central differences for every element of every input that
    requires grad. Returns True, or raises ``GradcheckError`` naming the input, the element,
    the analytic and the numeric value.

    Inputs are copied to float64 first (float32 differences are too coarse to judge).

    >>> import tinynn as tn
    >>> x = tn.randn(3, 4, requires_grad=True)
    >>> tn.gradcheck(lambda x: x.tanh() * x, [x])
    True
    """
    inputs = _as_float64_inputs(inputs)
    if not any(t.requires_grad for t in inputs):
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check")
    out = fn(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    weight = _weighting(out, seed)
    if not out.requires_grad:
        raise GradcheckError("gradcheck: the output does not depend on any input that requires grad")
    out.backward(weight)
    analytic = [None if t._grad is None else backend.to_host(t._grad) for t in inputs]
    for t in inputs:
        t._grad = None
    numeric = numerical_grad(fn, inputs, eps=eps, weight=weight)
    np = backend.numpy
    for k, (t, a, n) in enumerate(zip(inputs, analytic, numeric)):
        if n is None:
            continue
        if a is None:
            a = np.zeros_like(n)  # no gradient reached the input: analytically zero
        if a.shape != n.shape:
            raise GradcheckError(f"gradcheck: input {k}: gradient shape {a.shape} != input shape {n.shape}")
        error = np.abs(a - n) - (atol + rtol * np.abs(n))
        if (error > 0).any() or not np.isfinite(a).all():
            worst = tuple(int(i) for i in np.unravel_index(
                np.argmax(np.where(np.isfinite(a), error, np.inf)), n.shape))
            name = f" ({t.name})" if t.name else ""
            of = "" if out.numel() == 1 else " (derivatives of sum(v * fn(...)) for a fixed random v)"
            raise GradcheckError(
                f"gradcheck failed for input {k}{name} of shape {n.shape} at element {worst}: "
                f"analytic {a[worst]:.8g}, numeric {n[worst]:.8g} "
                f"(|diff| {abs(a[worst] - n[worst]):.3g} > atol {atol} + rtol {rtol} * |numeric|); "
                f"{int((error > 0).sum())} of {n.size} elements differ{of}"
            )
    return True
