"""Every differentiable op: gradient checks in float64 (central differences) on random shapes
drawn by hypothesis, on every device, plus values against PyTorch where it is installed."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinynn as tn
import tinynn.functional as F
from tinynn.testing import arrays, broadcastable_shapes, make_tensor, shapes

from .conftest import host

# name -> (function of one tensor, keyword args for the input values)
UNARY = {
    "neg": (lambda x: -x, {}),
    "exp": (F.exp, {}),
    "log": (F.log, {"low": 0.2, "high": 4.0}),
    "sqrt": (F.sqrt, {"low": 0.2, "high": 4.0}),
    "abs": (F.abs, {"away_from": 0.0}),
    "clip": (lambda x: F.clip(x, -1.0, 1.5), {"away_from": (-1.0, 1.5)}),  # the kinks
    "sigmoid": (F.sigmoid, {}),
    "relu": (F.relu, {"away_from": 0.0}),
    "tanh": (F.tanh, {}),
    "pow_scalar": (lambda x: x ** 3, {}),
    "pow_fraction": (lambda x: x ** 0.5, {"low": 0.2, "high": 4.0}),
    "rpow": (lambda x: 2.0 ** x, {}),
    "scalar_arith": (lambda x: (2 - x) * 3 / (x * x + 1) + 1, {}),
    "rdiv": (lambda x: 1.0 / x, {"low": 0.5, "high": 3.0}),
    "softmax": (lambda x: F.softmax(x, axis=-1), {}),
    "log_softmax": (lambda x: F.log_softmax(x, axis=-1), {}),
    "softmax_axis0": (lambda x: F.softmax(x, axis=0), {}),
    "sum": (lambda x: x.sum(), {}),
    "mean": (lambda x: x.mean(), {}),
    "max": (lambda x: x.max(), {}),
    "min": (lambda x: x.min(), {}),
    "sum_axis0_keep": (lambda x: x.sum(axis=0, keepdims=True), {}),
    "mean_axis_last": (lambda x: x.mean(axis=-1), {}),
    "amax_axis0": (lambda x: x.amax(dim=0), {}),
    "max_dim0_values": (lambda x: x.max(0).values, {}),
    "transpose": (lambda x: x.T, {}),
    "reshape": (lambda x: x.reshape(-1), {}),
    "flatten": (lambda x: F.flatten(x, 0), {}),
    "unsqueeze_squeeze": (lambda x: F.squeeze(F.unsqueeze(x, 0), 0) * x, {}),
    "getitem_slice": (lambda x: x[1:], {}),
    "getitem_repeat": (lambda x: x[[0, 0, -1]], {}),  # add.at: element 0 gets two gradients
    "getitem_bool": (lambda x: x[x.data > 0], {"away_from": 0.0}),
    "concatenate": (lambda x: tn.cat([x, x * 2], axis=0), {}),
    "stack": (lambda x: tn.stack([x, x.exp()], axis=-1), {}),
    "broadcast_to": (lambda x: F.broadcast_to(x, (2,) + x.shape), {}),
}
NEEDS_NDIM1 = {"softmax", "log_softmax", "softmax_axis0", "sum_axis0_keep", "mean_axis_last", "amax_axis0",
               "max_dim0_values", "getitem_slice", "getitem_repeat", "concatenate", "unsqueeze_squeeze", "flatten"}


@pytest.mark.parametrize("name", sorted(UNARY))
@given(data=st.data())
def test_unary_gradcheck(name, device, data):
    fn, value_kw = UNARY[name]
    min_dims = 1 if name in NEEDS_NDIM1 else 0
    shape = data.draw(shapes(min_dims=min_dims, max_dims=3, min_side=2 if name == "getitem_slice" else 1))
    if name in ("max", "min", "amax_axis0", "max_dim0_values"):  # distinct values: the max is unique
        value = data.draw(st.permutations(np.linspace(-2, 2, int(np.prod(shape))).tolist()))
        value = np.asarray(value, dtype=np.float64).reshape(shape)
    else:
        low, high = value_kw.get("low", -3.0), value_kw.get("high", 3.0)
        value = data.draw(arrays(shape, low, high, away_from=value_kw.get("away_from")))
    if name == "getitem_bool" and not (value > 0).any():
        value = np.abs(value) + 0.5
    x = make_tensor(value, device)
    assert tn.gradcheck(fn, [x])


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1),
    "pow": lambda a, b: (a * a + 1) ** b,
    "mixed": lambda a, b: (a * b + a) / (1 + b * b) - b,
}


@pytest.mark.parametrize("name", sorted(BINARY))
@given(pair=broadcastable_shapes(), data=st.data())
def test_binary_broadcasting_gradcheck(name, pair, data, device):
    a = make_tensor(data.draw(arrays(pair[0], -2, 2)), device)
    b = make_tensor(data.draw(arrays(pair[1], -2, 2)), device)
    out = BINARY[name](a, b)
    assert out.shape == np.broadcast_shapes(pair[0], pair[1])
    assert tn.gradcheck(BINARY[name], [a, b])


def test_broadcast_example_from_the_issue(device):
    a = make_tensor(np.random.default_rng(1).normal(size=(3, 1, 4)), device)
    b = make_tensor(np.random.default_rng(2).normal(size=(5, 4)), device)
    assert (a * b + a).shape == (3, 5, 4)
    assert tn.gradcheck(lambda a, b: a * b + a, [a, b])
    (a * b).sum().backward()
    # d/da Σ a*b = Σ_over_the_5_rows b  (by hand)
    np.testing.assert_allclose(host(a.grad), np.broadcast_to(host(b).sum(0), (3, 1, 4)))


MATMUL_SHAPES = [((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,)),
                 ((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)), ((4,), (2, 4, 3))]


@pytest.mark.parametrize("shape_a,shape_b", MATMUL_SHAPES)
def test_matmul_gradcheck(shape_a, shape_b, device, rng):
    a = make_tensor(rng.normal(size=shape_a), device)
    b = make_tensor(rng.normal(size=shape_b), device)
    np.testing.assert_allclose(host(a @ b), host(a) @ host(b))
    assert tn.gradcheck(lambda a, b: a @ b, [a, b])


@pytest.mark.parametrize("with_bias", [True, False])
@pytest.mark.parametrize("x_shape", [(5, 3), (2, 4, 3), (3,)])
def test_linear_gradcheck(with_bias, x_shape, device, rng):
    x = make_tensor(rng.normal(size=x_shape), device)
    w = make_tensor(rng.normal(size=(2, 3)), device)
    b = make_tensor(rng.normal(size=(2,)), device) if with_bias else None
    inputs = [x, w] + ([b] if with_bias else [])
    assert tn.gradcheck(lambda *t: F.linear(*t), inputs)


LOSSES = {
    "mse": (lambda p, t: F.mse_loss(p, t), "same"),
    "mse_sum": (lambda p, t: F.mse_loss(p, t, reduction="sum"), "same"),
    "mse_none": (lambda p, t: F.mse_loss(p, t, reduction="none"), "same"),
    "ce_probs": (lambda z, t: F.cross_entropy(z, F.softmax(t)), "same"),
    "bce_logits": (lambda z, t: F.binary_cross_entropy_with_logits(z, F.sigmoid(t)), "same"),
    "bce": (lambda z, t: F.binary_cross_entropy(F.sigmoid(z), F.sigmoid(t)), "same"),
    "bce_none": (lambda z, t: F.binary_cross_entropy(F.sigmoid(z), F.sigmoid(t), reduction="none"), "same"),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
@given(n=st.integers(1, 4), c=st.integers(2, 4), data=st.data())
def test_loss_gradcheck(name, n, c, data, device):
    fn, _ = LOSSES[name]
    pred = make_tensor(data.draw(arrays((n, c), -3, 3)), device)
    target = make_tensor(data.draw(arrays((n, c), -2, 2)), device)
    assert tn.gradcheck(fn, [pred, target])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_with_indices_gradcheck(reduction, device, rng):
    logits = make_tensor(rng.normal(size=(5, 4)), device)
    target = tn.Tensor(tn.backend.to_device(np.array([0, 3, 3, 1, 2]), device))
    assert tn.gradcheck(lambda z: F.cross_entropy(z, target, reduction=reduction), [logits])
    assert tn.gradcheck(lambda z: F.nll_loss(F.log_softmax(z), target, reduction=reduction), [logits])


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n(rng):
    """[E5] dCE/dz = softmax(z) - y per sample, divided by N for the mean, computed by hand."""
    z = rng.normal(size=(3, 4))
    y = np.array([2, 0, 3])
    logits = make_tensor(z)
    F.cross_entropy(logits, tn.tensor(y)).backward()
    softmax = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    np.testing.assert_allclose(logits.grad, (softmax - np.eye(4)[y]) / 3, rtol=1e-12)


# ---------------------------------------------------------------- PyTorch as the oracle
TORCH_CASES = {
    "sigmoid": (F.sigmoid, "torch.sigmoid"),
    "tanh": (F.tanh, "torch.tanh"),
    "relu": (F.relu, "torch.relu"),
    "softmax": (lambda x: F.softmax(x, axis=1), "lambda x: torch.softmax(x, 1)"),
    "log_softmax": (lambda x: F.log_softmax(x, axis=1), "lambda x: torch.log_softmax(x, 1)"),
    "exp_log": (lambda x: F.log(F.exp(x) + 1), "lambda x: torch.log(torch.exp(x) + 1)"),
    "amax0": (lambda x: x.amax(dim=0), "lambda x: torch.amax(x, 0)"),
    "max0_values": (lambda x: x.max(0).values, "lambda x: x.max(0).values"),
    "max1_indices": (lambda x: x.max(1).indices * x.sum(), "lambda x: x.max(1).indices * x.sum()"),
    "mean1": (lambda x: x.mean(axis=1, keepdims=True) * x, "lambda x: x.mean(1, keepdim=True) * x"),
    "getitem": (lambda x: x[[0, 0, 2], 1:], "lambda x: x[[0, 0, 2], 1:]"),
    "matmul_T": (lambda x: x @ x.T, "lambda x: x @ x.T"),
}


@pytest.mark.parametrize("name", sorted(TORCH_CASES))
def test_against_torch(name, torch, rng):
    """One lambda run in both frameworks: outputs and input gradients must agree (tinygrad's oracle)."""
    ours, theirs = TORCH_CASES[name]
    theirs = eval(theirs, {"torch": torch})
    value = rng.normal(size=(3, 4)) * 3
    upstream = rng.normal(size=np.shape(ours(tn.tensor(value)).data))
    x = make_tensor(value)
    out = ours(x)
    out.backward(upstream)
    tx = torch.tensor(value, requires_grad=True)
    tout = theirs(tx)
    tout.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_losses_against_torch(torch, rng):
    z = rng.normal(size=(6, 5)) * 4
    idx = rng.integers(0, 5, size=6)
    p = 1 / (1 + np.exp(-rng.normal(size=(6, 5))))
    y = (rng.random((6, 5)) > 0.5).astype(np.float64)
    tF = torch.nn.functional
    cases = [
        (lambda a: F.cross_entropy(a, tn.tensor(idx)), lambda a: tF.cross_entropy(a, torch.tensor(idx)), z),
        (lambda a: F.cross_entropy(a, tn.tensor(p / p.sum(1, keepdims=True))),
         lambda a: tF.cross_entropy(a, torch.tensor(p / p.sum(1, keepdims=True))), z),
        (lambda a: F.mse_loss(a, tn.tensor(y)), lambda a: tF.mse_loss(a, torch.tensor(y)), z),
        (lambda a: F.binary_cross_entropy(a, tn.tensor(y)), lambda a: tF.binary_cross_entropy(a, torch.tensor(y)), p),
        (lambda a: F.binary_cross_entropy_with_logits(a, tn.tensor(y)),
         lambda a: tF.binary_cross_entropy_with_logits(a, torch.tensor(y)), z),
    ]
    for ours, theirs, value in cases:
        x = make_tensor(value)
        loss = ours(x)
        loss.backward()
        tx = torch.tensor(value, requires_grad=True)
        tloss = theirs(tx)
        tloss.backward()
        np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-10)
        np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_bce_clamps_logs_at_minus_100_like_torch():
    p = tn.tensor([0.0, 1.0, 0.0, 1.0], dtype="float64")
    y = tn.tensor([1.0, 0.0, 0.0, 1.0], dtype="float64")
    losses = F.binary_cross_entropy(p, y, reduction="none")
    np.testing.assert_array_equal(losses.data, [100.0, 100.0, 0.0, 0.0])


def test_dtype_copy_passes_the_gradient_back(device, rng):
    # float32 rounding in the middle: a coarser step for the central differences
    x = make_tensor(rng.normal(size=(3, 2)), device)
    assert tn.gradcheck(lambda x: x.to(dtype="float32").to(dtype="float64") * x, [x], eps=1e-3, atol=1e-3)
    y = x.to(dtype="float32")
    assert y.dtype == np.float32 and y.requires_grad
    y.sum().backward()
    assert x.grad.dtype == np.float64


def test_relu_gradient_at_zero_is_zero():
    x = tn.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    F.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 1.0])
