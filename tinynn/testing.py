"""Tools for testing ops and layers, yours included: hypothesis strategies and gradient checks.

Needs the test extras (``pip install "tinynn-edu[dev]"``) for the strategies.

>>> import tinynn as tn
>>> from tinynn.testing import assert_gradcheck
>>> assert_gradcheck(lambda x: (x * x).sum(), tn.randn(3, requires_grad=True))
"""
from __future__ import annotations

from tinynn import backend
from tinynn.gradcheck import gradcheck
from tinynn.tensor import Tensor

np = backend.numpy


def assert_gradcheck(fn, *inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    """``tn.gradcheck`` as an assertion for tests: passes silently or raises the report.

    >>> import tinynn as tn
    >>> x, w = tn.randn(2, 3, requires_grad=True), tn.randn(3, requires_grad=True)
    >>> assert_gradcheck(lambda a, b: (a * b).tanh().sum(), x, w)       # inputs become float64
    """
    if len(inputs) == 1 and isinstance(inputs[0], (list, tuple)):
        inputs = tuple(inputs[0])
    gradcheck(fn, inputs, eps=eps, atol=atol, rtol=rtol)


def make_tensor(array, device="cpu", requires_grad=True, dtype="float64"):
    """A float64 tensor on ``device`` from a host array (what gradchecks want).

    >>> t = make_tensor([[1, 2], [3, 4]])
    >>> t.dtype, t.requires_grad, t.device
    (dtype('float64'), True, device(type='cpu'))
    """
    return Tensor(backend.to_device(np.asarray(array, dtype=dtype), device), requires_grad=requires_grad)


def _st():
    try:
        import hypothesis.extra.numpy as hnp
        import hypothesis.strategies as st
    except ImportError as e:  # pragma: no cover - only without the dev extra
        raise ImportError("tinynn.testing strategies need hypothesis: pip install 'tinynn-edu[dev]'") from e
    return st, hnp


def shapes(min_dims=0, max_dims=3, min_side=1, max_side=4):
    """Hypothesis strategy for array shapes, e.g. (), (3,), (2, 1, 4).

    >>> from hypothesis import given
    >>> @given(shapes(min_dims=1))
    ... def test(shape): assert len(shape) >= 1
    >>> test()
    """
    _, hnp = _st()
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def arrays(shape, low=-3.0, high=3.0, dtype="float64", away_from=None, margin=0.1):
    """Hypothesis strategy for float arrays of ``shape`` with values in [low, high].

    ``away_from`` (a number such as 0 for ReLU's kink, or several) keeps values at least
    ``margin`` away, because a finite difference across a kink measures neither side's slope.

    >>> from hypothesis import given, settings
    >>> @settings(max_examples=10, derandomize=True)
    ... @given(arrays((2, 3), away_from=0.0))
    ... def test(a): assert a.shape == (2, 3) and (abs(a) >= 0.1).all() and (abs(a) <= 3).all()
    >>> test()
    """
    st, hnp = _st()
    elements = st.floats(low, high, allow_nan=False, allow_infinity=False, width=64)
    if away_from is not None:
        kinks = away_from if isinstance(away_from, (tuple, list)) else (away_from,)
        elements = elements.filter(lambda v: all(abs(v - k) >= margin for k in kinks))
    return hnp.arrays(np.dtype(dtype), shape, elements=elements)


def broadcastable_shapes(max_dims=3, max_side=4):
    """Hypothesis strategy for pairs of shapes that broadcast together, e.g. ((3, 1, 4), (5, 4)).

    >>> from hypothesis import given, settings
    >>> @settings(max_examples=10, derandomize=True)
    ... @given(broadcastable_shapes())
    ... def test(pair): assert np.broadcast_shapes(*pair) is not None
    >>> test()
    """
    st, hnp = _st()
    return hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=max_dims,
                                             max_side=max_side).map(lambda r: r.input_shapes)


def tensors(shape=None, device="cpu", requires_grad=True, **array_kwargs):
    """Hypothesis strategy for float64 Tensors (random shape when ``shape`` is None).

    >>> from hypothesis import given, settings
    >>> @settings(max_examples=10, derandomize=True)
    ... @given(tensors((3,)))
    ... def test(t): assert t.shape == (3,) and t.dtype == "float64" and t.requires_grad
    >>> test()
    """
    st, _ = _st()
    shape_strategy = shapes() if shape is None else st.just(shape)
    return shape_strategy.flatmap(lambda s: arrays(s, **array_kwargs)).map(
        lambda a: make_tensor(a, device, requires_grad))


def compare_with_torch(fn, *arrays, torch_fn=None, requires_grad=True, atol=1e-6, rtol=1e-5, dtype="float64", **kw):
    """Run ``fn`` in tinynn and in PyTorch on the same inputs; compare output and gradients.

    One lambda serves both libraries because their APIs are spelled alike (tinygrad's
    ``helper_test_op`` is the model): ``fn(lib, *tensors)`` with ``lib`` the module
    (``tinynn`` or ``torch``). ``torch_fn`` overrides it for PyTorch where the spelling
    differs. Checks shape, dtype, values and, for a float output, the gradient of
    ``sum(output * v)`` (a fixed random v) with respect to every float input.

    >>> import pytest; torch = pytest.importorskip("torch")
    >>> compare_with_torch(lambda lib, x: lib.tanh(x).sum(-1), [[0.5, -1.0], [2.0, 0.0]])
    """
    import torch

    import tinynn

    host = [np.asarray(a, dtype=dtype if np.asarray(a).dtype.kind == "f" else None) for a in arrays]
    grads = [requires_grad and a.dtype.kind == "f" for a in host]
    ours_in = [Tensor(a.copy(), requires_grad=g) for a, g in zip(host, grads)]
    theirs_in = [torch.tensor(a.copy(), requires_grad=g) for a, g in zip(host, grads)]
    ours = fn(tinynn, *ours_in, **kw)
    theirs = (torch_fn or fn)(torch, *theirs_in, **kw)
    pairs = list(zip(ours, theirs)) if isinstance(ours, (tuple, list)) else [(ours, theirs)]
    for o, t in pairs:
        _assert_same(o, t.detach().numpy(), "output", atol, rtol)
    first_ours, first_theirs = pairs[0]
    if not any(grads) or first_ours.dtype.kind != "f" or not first_ours.requires_grad:
        return
    v = np.random.default_rng(0).uniform(0.5, 1.5, size=first_ours.shape).astype(first_ours.dtype)
    (first_ours * Tensor(v)).sum().backward()
    (first_theirs * torch.tensor(v)).sum().backward()
    for i, (o, t) in enumerate(zip(ours_in, theirs_in)):
        if grads[i]:
            expected = np.zeros_like(host[i]) if t.grad is None else t.grad.numpy()
            got = np.zeros_like(host[i]) if o._grad is None else backend.to_host(o._grad)
            _assert_same(Tensor(got), expected, f"gradient of input {i}", atol, rtol)


def _assert_same(ours, expected, what, atol, rtol):
    got = backend.to_host(ours._data) if isinstance(ours, Tensor) else np.asarray(ours)
    if got.shape != expected.shape:
        raise AssertionError(f"{what}: shape {got.shape} in tinynn, {expected.shape} in PyTorch")
    if got.dtype != expected.dtype:
        raise AssertionError(f"{what}: dtype {got.dtype} in tinynn, {expected.dtype} in PyTorch")
    np.testing.assert_allclose(got, expected, atol=atol, rtol=rtol, err_msg=what)
