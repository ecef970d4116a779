"""LayerNorm and GELU: the fused kernel equals its reference composition, passes gradcheck in
float64, and equals PyTorch on the same weights (forward and every gradient), on every device."""
import math

import numpy as np
import pytest

import tinynn as tn
import tinynn.functional as F
from tinynn import backend, nn
from tinynn.ops.fused.normalization import layer_norm_reference
from tinynn.ops.gelu import erf_array


def _leaf(array, device, dtype="float64"):
    return tn.Tensor(backend.to_device(np.asarray(array, dtype=dtype), device), requires_grad=True)


def _grads(fn, arrays, device, upstream, dtype="float64"):
    leaves = [_leaf(a, device, dtype) for a in arrays]
    out = fn(*leaves)
    out.backward(backend.to_device(upstream.astype(dtype), device))
    return out.numpy(), [t.grad.numpy() for t in leaves]


# ---------------------------------------------------------------------------- erf and GELU
@pytest.mark.parametrize("dtype, tolerance", [("float64", 2.3e-16), ("float32", 5e-7)])
def test_erf_matches_math_erf_everywhere(dtype, tolerance):
    x = np.concatenate([np.linspace(-9, 9, 36001), [0.84375, 1.25, 1 / 0.35, 6.0, -6.0, 1e-30, -1e-30]])
    expected = np.array([math.erf(float(v)) for v in x.astype(dtype)])
    got = erf_array(x.astype(dtype))
    assert got.dtype == dtype
    assert np.abs(got - expected).max() <= tolerance


def test_erf_of_nan_and_infinities():
    out = erf_array(np.array([np.nan, np.inf, -np.inf]))
    assert np.isnan(out[0]) and out[1] == 1 and out[2] == -1


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_gradcheck(approximate, rng):
    x = tn.tensor(rng.standard_normal(40) * 3, dtype=tn.float64, requires_grad=True)
    assert tn.gradcheck(lambda t: F.gelu(t, approximate=approximate), [x], atol=1e-7, rtol=1e-6)


def test_erf_gradcheck(rng):
    x = tn.tensor(rng.standard_normal(30) * 2, dtype=tn.float64, requires_grad=True)
    assert tn.gradcheck(tn.erf, [x], atol=1e-8, rtol=1e-6)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("dtype, tol", [("float64", 1e-13), ("float32", 2e-6)])
def test_gelu_equals_torch(torch, device, rng, approximate, dtype, tol):
    x, g = rng.standard_normal((7, 9)) * 3, rng.standard_normal((7, 9))
    ours, (grad,) = _grads(lambda t: nn.GELU(approximate)(t), [x], device, g, dtype)
    xt = torch.tensor(x, dtype=getattr(torch, dtype), requires_grad=True)
    out = torch.nn.GELU(approximate)(xt)
    out.backward(torch.tensor(g, dtype=getattr(torch, dtype)))
    np.testing.assert_allclose(ours, out.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(grad, xt.grad.numpy(), rtol=tol, atol=tol)


def test_gelu_rejects_an_unknown_approximation():
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh'"):
        F.gelu(tn.ones(2), approximate="sigmoid")


# ---------------------------------------------------------------------------- layer norm
@pytest.mark.parametrize("shape, normalized", [((4, 6), (6,)), ((2, 3, 4, 5), (4, 5))])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_fused_equals_reference(device, rng, shape, normalized, affine):
    x = rng.standard_normal(shape) * 2 + 1
    w, b = rng.standard_normal(normalized), rng.standard_normal(normalized)
    g = rng.standard_normal(shape)
    arrays = [x, w, b] if affine else [x]
    fused = _grads(lambda *t: F.layer_norm(t[0], normalized, *t[1:]), arrays, device, g)
    plain = _grads(lambda *t: layer_norm_reference(t[0], normalized, *t[1:]), arrays, device, g)
    np.testing.assert_allclose(fused[0], plain[0], rtol=1e-12, atol=1e-12)
    for a, b_ in zip(fused[1], plain[1]):
        np.testing.assert_allclose(a, b_, rtol=1e-10, atol=1e-12)


def test_layer_norm_gradcheck(rng):
    x = tn.tensor(rng.standard_normal((3, 5)), dtype=tn.float64, requires_grad=True)
    w = tn.tensor(rng.standard_normal(5), dtype=tn.float64, requires_grad=True)
    b = tn.tensor(rng.standard_normal(5), dtype=tn.float64, requires_grad=True)
    assert tn.gradcheck(lambda x, w, b: F.layer_norm(x, (5,), w, b, eps=1e-5), [x, w, b], atol=1e-7, rtol=1e-6)


def test_layer_norm_gradient_ignores_shifts_and_scalings_of_the_row(rng):
    """The hand derivation's claim: with eps = 0 LayerNorm's output cannot see x + c or x·c (c > 0
    per row), so ∂L/∂x is orthogonal to the all-ones direction and to x - mean(x), for any upstream
    gradient (eps > 0 breaks the scaling invariance slightly)."""
    x = tn.tensor(rng.standard_normal((4, 8)), dtype=tn.float64, requires_grad=True)
    (F.layer_norm(x, (8,), eps=0.0) * tn.tensor(rng.standard_normal((4, 8)))).sum().backward()
    grad, xc = x.grad.numpy(), x.numpy() - x.numpy().mean(1, keepdims=True)
    np.testing.assert_allclose(grad.sum(1), 0, atol=1e-12)
    np.testing.assert_allclose((grad * xc).sum(1), 0, atol=1e-12)


@pytest.mark.parametrize("dtype, tol", [("float64", 1e-12), ("float32", 2e-5)])
@pytest.mark.parametrize("bias", [True, False])
def test_layernorm_module_equals_torch(torch, device, rng, dtype, tol, bias):
    x, g = rng.standard_normal((3, 4, 6)) * 3 + 2, rng.standard_normal((3, 4, 6))
    ours = nn.LayerNorm(6, eps=1e-5, bias=bias).to(dtype=getattr(tn, dtype)).to(device)
    theirs = torch.nn.LayerNorm(6, eps=1e-5, bias=bias, dtype=getattr(torch, dtype))
    with torch.no_grad():  # non-trivial weights, the same in both
        theirs.weight.copy_(torch.tensor(rng.standard_normal(6)))
        if bias:
            theirs.bias.copy_(torch.tensor(rng.standard_normal(6)))
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    xt = torch.tensor(x, dtype=getattr(torch, dtype), requires_grad=True)
    theirs(xt).backward(torch.tensor(g, dtype=getattr(torch, dtype)))
    xo = _leaf(x, device, dtype)
    out = ours(xo)
    out.backward(backend.to_device(g.astype(dtype), device))
    np.testing.assert_allclose(out.numpy(), theirs(xt).detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=tol, atol=tol)
    if bias:
        np.testing.assert_allclose(ours.bias.grad.numpy(), theirs.bias.grad.numpy(), rtol=tol, atol=tol)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]


def test_layernorm_without_affine_has_no_parameters_and_matches_torch(torch, rng):
    x = rng.standard_normal((5, 7))
    ours = nn.LayerNorm([7], elementwise_affine=False)
    assert list(ours.parameters()) == [] and ours.weight is None and ours.bias is None
    expected = torch.nn.LayerNorm([7], elementwise_affine=False, dtype=torch.float64)(torch.tensor(x))
    np.testing.assert_allclose(ours(tn.tensor(x, dtype=tn.float64)).numpy(), expected.numpy(), rtol=1e-12, atol=1e-12)


def test_layer_norm_names_the_shape_mismatch():
    with pytest.raises(RuntimeError, match=r"normalized_shape \[5\] must match the last dims"):
        F.layer_norm(tn.ones(2, 4), (5,))
    with pytest.raises(RuntimeError, match="weight has shape"):
        F.layer_norm(tn.ones(2, 4), (4,), tn.ones(3))
