"""The fused fast paths equal the unfused compositions they replace (to float tolerance).

Fusion is where speed work hides bugs: a fused node computes its gradient by a formula of
its own instead of the chain rule through small ops. Each test builds the same function
both ways from the same inputs and compares values and every gradient. The last test
checks tinynn's whole training step against the hand-written NumPy backprop that the
benchmarks use as their floor (benchmarks/numpy_mlp.py).
"""
import numpy as np
import pytest

import tinynn as tn
import tinynn.functional as F
from benchmarks.numpy_mlp import NumpyMLP
from tests.conftest import host
from tinynn import nn, optim


def _leaves(device, *arrays):
    return [tn.Tensor(tn.backend.to_device(np.asarray(a, dtype="float64"), device), requires_grad=True)
            for a in arrays]


def _values_and_grads(fn, arrays, device, upstream=None):
    leaves = _leaves(device, *arrays)
    out = fn(*leaves)
    if out.ndim:
        out.backward(tn.backend.to_device(upstream, device))
    else:
        out.backward()
    return host(out), [host(t.grad) for t in leaves]


def _assert_same(fused, unfused, rtol=1e-10, atol=1e-12):
    (v1, g1), (v2, g2) = fused, unfused
    np.testing.assert_allclose(v1, v2, rtol=rtol, atol=atol)
    assert len(g1) == len(g2)
    for a, b in zip(g1, g2):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def _onehot(target, classes):
    return np.eye(classes)[target]


@pytest.mark.parametrize("x_shape", [(5, 3), (2, 4, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_equals_matmul_transpose_add(device, rng, x_shape, bias):
    x, w, b = rng.standard_normal(x_shape), rng.standard_normal((4, 3)), rng.standard_normal(4)
    upstream = rng.standard_normal(x_shape[:-1] + (4,))
    arrays = (x, w, b) if bias else (x, w)
    fused = _values_and_grads(lambda *t: F.linear(*t), arrays, device, upstream)
    unfused = _values_and_grads(lambda x, w, b=None: x @ w.T + b if b is not None else x @ w.T,
                                arrays, device, upstream)
    _assert_same(fused, unfused)


def test_linear_skips_unneeded_gradients_but_keeps_the_rest(device, rng):
    x, w, b = _leaves(device, rng.standard_normal((5, 3)), rng.standard_normal((4, 3)),
                      rng.standard_normal(4))
    x.requires_grad = False
    F.linear(x, w, b).sum().backward()
    assert x.grad is None
    np.testing.assert_allclose(host(w.grad), np.ones((5, 4)).T @ host(x))
    np.testing.assert_allclose(host(b.grad), np.full(4, 5.0))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_equals_log_softmax_gathered(device, rng, reduction):
    logits, target = rng.standard_normal((6, 5)) * 3, rng.integers(0, 5, 6)
    upstream = rng.standard_normal(6) if reduction == "none" else None
    target_t = tn.Tensor(tn.backend.to_device(target, device))
    rows, cols = tn.backend.to_device(np.arange(6), device), tn.backend.to_device(target, device)

    def gathered(z):
        picked = -F.log_softmax(z, axis=1)[rows, cols]
        return {"mean": picked.mean(), "sum": picked.sum(), "none": picked}[reduction]

    fused = _values_and_grads(lambda z: F.cross_entropy(z, target_t, reduction=reduction),
                              (logits,), device, upstream)
    _assert_same(fused, _values_and_grads(gathered, (logits,), device, upstream))


def test_cross_entropy_equals_softmax_then_log(device, rng):
    logits, target = rng.standard_normal((6, 5)), rng.integers(0, 5, 6)
    onehot = tn.Tensor(tn.backend.to_device(_onehot(target, 5), device))
    target_t = tn.Tensor(tn.backend.to_device(target, device))
    fused = _values_and_grads(lambda z: F.cross_entropy(z, target_t), (logits,), device)
    unfused = _values_and_grads(lambda z: -(F.softmax(z, axis=1).log() * onehot).sum(axis=1).mean(),
                                (logits,), device)
    _assert_same(fused, unfused, rtol=1e-9)


def test_cross_entropy_with_probability_targets_equals_unfused(device, rng):
    """Soft targets: the gradient also flows into the target, and both must agree."""
    logits, probs = rng.standard_normal((4, 3)), rng.dirichlet(np.ones(3), size=4)
    fused = _values_and_grads(lambda z, p: F.cross_entropy(z, p), (logits, probs), device)
    unfused = _values_and_grads(lambda z, p: -(F.log_softmax(z, axis=1) * p).sum(axis=1).mean(),
                                (logits, probs), device)
    _assert_same(fused, unfused)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_bce_with_logits_equals_sigmoid_then_bce(device, rng, reduction):
    logits = rng.uniform(-4, 4, (5, 3))  # moderate: sigmoid stays away from 0 and 1
    target = rng.uniform(0, 1, (5, 3))
    fused = _values_and_grads(
        lambda z, y: F.binary_cross_entropy_with_logits(z, y, reduction=reduction), (logits, target), device)
    unfused = _values_and_grads(
        lambda z, y: F.binary_cross_entropy(F.sigmoid(z), y, reduction=reduction), (logits, target), device)
    _assert_same(fused, unfused, rtol=1e-9, atol=1e-12)


def test_float32_stays_float32_through_the_fused_paths(rng):
    x = tn.tensor(rng.standard_normal((4, 3)).astype("float32"), requires_grad=True)
    w = tn.tensor(rng.standard_normal((2, 3)).astype("float32"), requires_grad=True)
    b = tn.tensor(np.zeros(2, "float32"), requires_grad=True)
    loss = F.cross_entropy(F.linear(x, w, b) * 2.0 + 1, tn.tensor([0, 1, 1, 0]))
    loss.backward()
    assert loss.dtype == x.grad.dtype == w.grad.dtype == b.grad.dtype == np.float32


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_mlp_training_step_equals_hand_written_numpy_backprop(rng, momentum):
    """nn.Sequential + CrossEntropyLoss + SGD from the benchmarks' NumPy weights: the same
    losses and the same updated weights as benchmarks/numpy_mlp.py, step after step."""
    sizes, lr = (12, 16, 8, 5), 0.1
    ref = NumpyMLP.init(sizes, seed=3)
    layers = []
    for i, (w, b) in enumerate(zip(ref.weights, ref.biases)):
        layer = nn.Linear(w.shape[1], w.shape[0])
        layer.weight.data[...], layer.bias.data[...] = w, b
        layers += [layer, nn.ReLU()] if i < len(ref.weights) - 1 else [layer]
    model = nn.Sequential(*layers)
    opt = optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    velocity = [np.zeros_like(p) for p in ref.weights + ref.biases]
    for step in range(4):
        x = rng.standard_normal((10, sizes[0])).astype(np.float32)
        y = rng.integers(0, sizes[-1], 10)
        opt.zero_grad()
        loss = nn.CrossEntropyLoss()(model(tn.tensor(x)), tn.tensor(y))
        loss.backward()
        opt.step()
        if momentum == 0.0:
            expected_loss = ref.step(x, y, lr)
        else:  # the same step with torch.optim.SGD's momentum rule, from NumpyMLP's gradients
            before = [p.copy() for p in ref.weights + ref.biases]
            expected_loss = ref.step(x, y, 1.0)  # lr 1: the change is minus the gradient
            params = ref.weights + ref.biases
            for p, old, v in zip(params, before, velocity):
                grad = old - p
                v[...] = grad if step == 0 else momentum * v + grad
                p[...] = old - lr * v
        assert loss.dtype == np.float32
        np.testing.assert_allclose(loss.item(), float(expected_loss), rtol=1e-5)
        got = [layer.weight.data for layer in model if isinstance(layer, nn.Linear)]
        for mine, theirs in zip(got, ref.weights):
            assert mine.dtype == np.float32
            np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)
        got_b = [layer.bias.data for layer in model if isinstance(layer, nn.Linear)]
        for mine, theirs in zip(got_b, ref.biases):
            np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)


def test_cross_entropy_backward_twice_with_retain_graph_doubles_the_gradient(device, rng):
    """The fused backward must not consume what forward saved (softmax is reused)."""
    logits = _leaves(device, rng.standard_normal((4, 3)))[0]
    target = tn.Tensor(tn.backend.to_device(np.array([0, 2, 1, 2]), device))
    loss = F.cross_entropy(logits, target)
    loss.backward(retain_graph=True)
    once = host(logits.grad).copy()
    loss.backward()
    np.testing.assert_allclose(host(logits.grad), 2 * once, rtol=1e-12)


_FLOAT32_OPS = {
    "x * 2.0": lambda x: x * 2.0, "2.0 - x": lambda x: 2.0 - x, "x / 3": lambda x: x / 3,
    "x ** 2": lambda x: x ** 2, "2.0 ** x": lambda x: 2.0 ** x, "x * np.float64(2)": lambda x: x * np.float64(2),
    "exp": lambda x: x.exp(), "log": lambda x: (x.abs() + 1).log(), "sigmoid": F.sigmoid,
    "tanh": F.tanh, "relu": F.relu, "softmax": lambda x: F.softmax(x, axis=1),
    "log_softmax": lambda x: F.log_softmax(x, axis=1), "mean": lambda x: x.mean(axis=0),
    "max": lambda x: x.max(), "amax dim": lambda x: x.amax(dim=1), "max dim values": lambda x: x.max(1).values, "clip": lambda x: x.clip(-0.5, 0.5),
    "mse_loss": lambda x: F.mse_loss(x, tn.zeros(4, 3)),
    "cross_entropy": lambda x: F.cross_entropy(x, tn.tensor([0, 1, 2, 0])),
    "bce_with_logits": lambda x: F.binary_cross_entropy_with_logits(x, tn.ones(4, 3)),
    "bce": lambda x: F.binary_cross_entropy(F.sigmoid(x), tn.ones(4, 3)),
    "matmul": lambda x: x @ x.T, "getitem": lambda x: x[1:],
}


@pytest.mark.parametrize("name", sorted(_FLOAT32_OPS))
def test_float32_stays_float32_in_value_and_gradient(rng, name):
    """No silent promotion to float64 (it doubles memory traffic): Python and NumPy scalars
    are weak, and integer helpers (counts, masks) must not leak their dtype."""
    x = tn.tensor(rng.standard_normal((4, 3)).astype("float32"), requires_grad=True)
    y = _FLOAT32_OPS[name](x)
    (y.sum() if y.ndim else y).backward()
    assert (y.dtype, x.grad.dtype) == (np.float32, np.float32)


def test_gelu_float32_kernel_at_the_extremes_like_torch():
    """The float32 GELU (Φ from Eigen's erf with the constants folded in, clamped to [0, 1]) is
    exactly 0 far left and x far right, and its gradient stays finite without underflow there."""
    torch = pytest.importorskip("torch")
    x = np.array([-1e30, -100, -13.5, -8, -5.7, -5.6, -3, -1e-3, 0, 1e-3, 2, 5.7, 8, 100, 1e30], np.float32)
    with np.errstate(all="raise"):
        ours = tn.tensor(x, requires_grad=True)
        out = F.gelu(ours)
        out.backward(tn.ones(out.shape))
    xt = torch.tensor(x, requires_grad=True)
    ref = torch.nn.functional.gelu(xt)
    ref.backward(torch.ones_like(ref))
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=2e-6, atol=2e-6)  # as test_layernorm
    np.testing.assert_allclose(ours.grad, xt.grad.numpy(), rtol=2e-6, atol=2e-6)
    assert (out.numpy()[:5] == 0).all() and (out.numpy()[-4:] == x[-4:]).all()


def test_attention_nan_key_reaches_only_the_queries_that_may_see_it(rng):
    """The causal mask enters the fused kernel as an added -inf; a nan score at a masked place would
    survive that (nan - inf = nan), so the kernel masks again by where: queries before the nan
    key are untouched, as in the reference composition (masked_fill), and as before this layout.
    (PyTorch's CPU kernel adds its mask and gives nan to every query of that batch.)"""
    from tinynn.ops.fused.attention import scaled_dot_product_attention_reference

    q, k, v = rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 5, 3))
    k[0, 3, 1] = np.nan  # key 3: queries 0, 1, 2 must not see it
    ours = F.scaled_dot_product_attention(tn.tensor(q), tn.tensor(k), tn.tensor(v), is_causal=True).numpy()
    plain = scaled_dot_product_attention_reference(tn.tensor(q), tn.tensor(k), tn.tensor(v), is_causal=True).numpy()
    np.testing.assert_allclose(ours, plain, rtol=1e-12, atol=1e-12)
    assert np.isfinite(ours[0, :3]).all() and np.isnan(ours[0, 3:]).all() and np.isfinite(ours[1]).all()


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gelu_by_blocks_is_bit_for_bit_the_one_call_formula(approximate, dtype, rng):
    """Big CPU arrays go through GELU's formulas block by block (tinynn/ops/blockwise.py): the values
    and gradients are exactly those of the same formula over the whole array, ragged last block
    included; the strict device (one call, as on a GPU) agrees too."""
    import importlib

    from tinynn.ops import blockwise

    gelu_module = importlib.import_module("tinynn.ops.gelu")
    n = 7 * (5 * blockwise.BLOCK // 6 + 19)  # several blocks (of 6 columns each row) and a short one
    x = (rng.standard_normal(n) * 4).astype(dtype).reshape(-1, 7)[:, 1:]  # not contiguous: reshape copies
    grad = rng.standard_normal(x.shape).astype(dtype)
    forward = gelu_module._gelu_tanh if approximate == "tanh" else gelu_module._gelu_exact
    slope = gelu_module._slope_tanh if approximate == "tanh" else gelu_module._slope_exact
    whole_out, kept = forward(x)
    for device in ("cpu", "strict"):
        t = tn.tensor(tn.backend.to_device(x, device), requires_grad=True)
        out = F.gelu(t, approximate=approximate)
        out.backward(tn.tensor(tn.backend.to_device(grad, device)))
        np.testing.assert_array_equal(tn.backend.to_host(out._data), whole_out)
        np.testing.assert_array_equal(tn.backend.to_host(t.grad._data), slope(x, kept, grad))


def test_by_blocks_splits_big_cpu_arrays_only():
    from tinynn.ops.blockwise import BLOCK, by_blocks

    calls = []

    def formula(a, b):
        calls.append(a.size)
        return a * b, a + b

    x = np.arange(4 * BLOCK + 5, dtype=np.float64).reshape(-1, 1)
    product, total = by_blocks(formula, x, x)
    assert calls == [BLOCK] * 4 + [5]
    np.testing.assert_array_equal(product, x * x)
    np.testing.assert_array_equal(total, x + x)
    assert product.shape == total.shape == x.shape
    calls.clear()
    by_blocks(formula, x[:BLOCK], x[:BLOCK])  # small: one call
    strict = tn.backend.to_device(x, "strict")
    by_blocks(formula, strict, strict)  # not the CPU: one call
    assert calls == [BLOCK, x.size]


@pytest.mark.parametrize("values_dtype", ["float32", "float64"])
def test_subtract_scaled_by_blocks_is_bit_for_bit_p_minus_lr_g(values_dtype, rng):
    from tinynn.ops.blockwise import BIG_UPDATE, subtract_scaled_

    p = rng.standard_normal(BIG_UPDATE + 12345 * 4).astype(np.float32).reshape(-1, 4)
    g = rng.standard_normal(p.shape).astype(values_dtype)
    expected = p.copy()
    expected -= 0.01 * g  # the one-call update, in p's dtype
    subtract_scaled_(p, 0.01, g)
    np.testing.assert_array_equal(p, expected)
    small, view = np.ones(7, np.float32), np.ones((BIG_UPDATE, 2), np.float32)[:, 0]  # the one-call path
    subtract_scaled_(small, 2.0, np.arange(7, dtype=np.float32))
    subtract_scaled_(view, 0.5, np.ones(view.shape, np.float32))
    assert small.tolist() == [1.0 - 2 * i for i in range(7)] and (view == 0.5).all()
