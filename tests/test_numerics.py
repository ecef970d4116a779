"""Extreme inputs: sigmoid/tanh/softmax/log_softmax and the losses stay finite and warning-free
(even under np.errstate(all="raise")) at ±1e4, in float32 and float64, forward and backward."""
import numpy as np
import pytest

import tinynn as tn
import tinynn.functional as F

EXTREMES = [-1e4, -1e3, -100.0, -20.0, -1.0, 0.0, 1.0, 20.0, 100.0, 1e3, 1e4]
FUNCS = {
    "sigmoid": F.sigmoid,
    "tanh": F.tanh,
    "softmax": lambda x: F.softmax(x, axis=-1),
    "log_softmax": lambda x: F.log_softmax(x, axis=-1),
    "bce_with_logits": lambda x: F.binary_cross_entropy_with_logits(
        x, tn.ones(x.shape, dtype=x.dtype, device=x.device) * 0.5),
    "cross_entropy": lambda x: F.cross_entropy(x.reshape(1, -1), tn.tensor([0], device=x.device)),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(FUNCS))
def test_finite_and_warning_free_at_extremes(name, dtype, device):
    x = tn.Tensor(tn.backend.to_device(np.array(EXTREMES, dtype=dtype), device), requires_grad=True)
    with np.errstate(all="raise"):
        out = FUNCS[name](x)
        out.backward(tn.ones_like(out))
    assert np.isfinite(out.numpy()).all()
    assert np.isfinite(tn.backend.to_host(x.grad)).all()
    assert out.dtype == np.dtype(dtype) and x.grad.dtype == np.dtype(dtype)


def test_sigmoid_values_at_extremes_are_exact_limits():
    s = F.sigmoid(tn.tensor([-1e4, 0.0, 1e4])).data
    assert s.tolist() == [0.0, 0.5, 1.0]
    # the naive formula overflows exp(1e4); ours never exponentiates a positive number
    with np.errstate(over="raise"), pytest.raises(FloatingPointError):
        1 / (1 + np.exp(-np.array([-1e4], dtype=np.float32)))


def test_softmax_of_huge_logits_and_cross_entropy_value():
    logits = tn.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0]])
    with np.errstate(all="raise"):
        probs = F.softmax(logits).data
        ce = F.cross_entropy(logits, tn.tensor([1, 1])).item()
    np.testing.assert_allclose(probs, [[1, 0, 0], [0, 1, 0]], atol=1e-30)
    # sample 1 puts all mass on the wrong class: -log softmax = 1e4 - (-1e4) = 2e4; sample 2: 0
    np.testing.assert_allclose(ce, 1e4, rtol=1e-6)


def test_sigmoid_precision_for_large_negative_inputs():
    # σ(-50) = e^-50 / (1 + e^-50): the two-branch form keeps it; 0.5 + 0.5 tanh(x/2) would give 0
    np.testing.assert_allclose(F.sigmoid(tn.tensor([-50.0], dtype="float64")).data, [np.exp(-50.0)], rtol=1e-12)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "cross_entropy"])
def test_differences_beyond_the_float_range_stay_warning_free(name, device):
    # -1e38 - 3e38 does not fit in float32: it saturates instead of warning
    x = tn.Tensor(tn.backend.to_device(np.array([-1e38, 3e38], dtype=np.float32), device), requires_grad=True)
    with np.errstate(all="raise"):
        out = FUNCS[name](x)
        out.backward(tn.ones_like(out))
    assert np.isfinite(tn.backend.to_host(x.grad)).all()
    if name == "softmax":
        np.testing.assert_array_equal(out.numpy(), [0.0, 1.0])


@pytest.mark.parametrize("op", ["mul", "div", "matmul", "exp", "square"])
def test_any_op_computes_subnormals_under_errstate_raise_like_torch(op):
    """Underflow is handled once, at the root (Function.__call__ and the backward walk): any op,
    forward and backward, gives the subnormal values PyTorch gives instead of trapping."""
    torch = pytest.importorskip("torch")
    run = {"mul": lambda lib, a, b: a * b, "div": lambda lib, a, b: a / b, "matmul": lambda lib, a, b: a @ b,
           "exp": lambda lib, a, b: lib.exp(-a * 1e20), "square": lambda lib, a, b: (a * b) ** 2}[op]
    a_values, b_values = np.array([1e-20, 3e-21], np.float32), np.array([2e-20, 1e20], np.float32)
    results = []
    for lib in (tn, torch):
        a, b = lib.tensor(a_values, requires_grad=True), lib.tensor(b_values, requires_grad=True)
        with np.errstate(all="raise"):
            out = run(lib, a, b)
            (out * 1e-30).sum().backward()  # a tiny upstream gradient: subnormal gradients too
        results.append([None if t is None else np.asarray(t.detach().numpy(), np.float64)
                        for t in (out, a.grad, b.grad)])
    for ours, theirs in zip(*results):
        assert (ours is None) == (theirs is None)
        if ours is not None:
            np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=0)
