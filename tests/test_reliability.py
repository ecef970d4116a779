"""Issue 15, against PyTorch: subnormal numerics under np.errstate(all="raise"), BCE's range
checks, x ** 0, type promotion, layers refusing a float64 batch, empty tensors, and
load_state_dict changing nothing when it fails."""
import warnings

import numpy as np
import pytest

import tinynn as tn
import tinynn.functional as F
from tinynn import nn


def strict_numpy():
    """np.errstate(all="raise") and every warning an error: nothing may trap or warn."""
    state = np.errstate(all="raise")
    catcher = warnings.catch_warnings()

    class Both:
        def __enter__(self):
            state.__enter__()
            catcher.__enter__()
            warnings.simplefilter("error")

        def __exit__(self, *exc):
            catcher.__exit__(*exc)
            return state.__exit__(*exc)

    return Both()


# ----------------------------------------------------------------------------- numerics
TINY_INPUTS = {
    "float32": [1e-40, -1e-40, 1e-45, 1e-30, -1e-30, 0.0, -80.0, 80.0, -100.0, 100.0],
    "float64": [1e-310, -1e-310, 5e-324, 1e-300, -1e-200, 0.0, -700.0, 700.0, -745.0, 40.0],
}
UPSTREAM = {"float32": [1.0, 1e-5, 1e-30, 1e-38], "float64": [1.0, 1e-200, 1e-300, 1e-307]}


def _pair(torch, dtype, values):
    x = tn.tensor(np.array(values, dtype=dtype), requires_grad=True)
    t = torch.tensor(np.array(values, dtype=dtype), requires_grad=True)
    return x, t


def _near(values):
    """Targets that nearly agree with the predictions (a relative 1e-7 and a subnormal apart)."""
    with np.errstate(all="ignore"):
        return values * (1 + 1e-7) + np.finfo(values.dtype).tiny / 4


def _ops(torch):
    TF = torch.nn.functional
    target_probs = [1.0, 0.0, 1.0, 0.5, 0.0, 1.0, 0.0, 1.0, 0.25, 1.0]
    return {
        "sigmoid": (tn.sigmoid, torch.sigmoid),
        "tanh": (tn.tanh, torch.tanh),
        "softmax": (lambda x: F.softmax(x.reshape(2, 5), -1), lambda x: TF.softmax(x.reshape(2, 5), -1)),
        "log_softmax": (lambda x: F.log_softmax(x.reshape(2, 5), -1), lambda x: TF.log_softmax(x.reshape(2, 5), -1)),
        "cross_entropy": (lambda x: F.cross_entropy(x.reshape(2, 5), tn.tensor([0, 3]), reduction="none"),
                          lambda x: TF.cross_entropy(x.reshape(2, 5), torch.tensor([0, 3]), reduction="none")),
        "bce_with_logits": (
            lambda x: F.binary_cross_entropy_with_logits(x, tn.tensor(np.array(target_probs, x.dtype)), reduction="none"),
            lambda x: TF.binary_cross_entropy_with_logits(x, torch.tensor(np.array(target_probs), dtype=x.dtype),
                                                          reduction="none")),
        "mse": (lambda x: F.mse_loss(x, tn.tensor(_near(x.numpy())), reduction="none"),
                lambda x: TF.mse_loss(x, torch.tensor(_near(x.detach().numpy())), reduction="none")),
        "bce": (lambda x: F.binary_cross_entropy(x.abs().clamp(0, 1), tn.tensor(np.array(target_probs, x.dtype)),
                                                 reduction="none"),
                lambda x: TF.binary_cross_entropy(x.abs().clamp(0, 1), torch.tensor(np.array(target_probs), dtype=x.dtype),
                                                  reduction="none")),
    }


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["sigmoid", "tanh", "softmax", "log_softmax", "cross_entropy", "bce_with_logits",
                                  "mse", "bce"])
def test_subnormal_inputs_and_small_gradients_neither_trap_nor_warn(torch, name, dtype):
    ours, theirs = _ops(torch)[name]
    values = TINY_INPUTS[dtype]
    if name == "bce":
        values = [v if abs(v) <= 1 else 1e-40 if dtype == "float32" else 1e-310 for v in values]
    tiny = np.finfo(dtype).tiny
    for up in UPSTREAM[dtype]:
        x, t = _pair(torch, dtype, values)
        with strict_numpy():
            y = ours(x)
            y.backward(tn.tensor(np.full(y.shape, up, dtype=dtype)))
        ty = theirs(t)
        ty.backward(torch.full(ty.shape, up, dtype=ty.dtype))
        # log1p(e^-80) = 1.8e-35 here, 0 in PyTorch's rearranged formula: compare that loss to its eps
        value_atol = np.finfo(dtype).eps if name == "bce_with_logits" else 4 * tiny
        np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=2e-6 if dtype == "float32" else 1e-12,
                                   atol=value_atol, err_msg=f"{name} value, upstream {up}")
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=2e-5 if dtype == "float32" else 1e-10,
                                   atol=max(4 * tiny, (1e-6 if dtype == "float32" else 1e-14) * up),  # rounding of g - Σg·s
                                   err_msg=f"{name} gradient, upstream {up}")


def test_mse_of_nearly_equal_values_is_subnormal_not_a_trap(torch):
    pred = tn.tensor(np.array([1e-20, 2.0], "float32"), requires_grad=True)
    with strict_numpy():
        loss = F.mse_loss(pred, tn.tensor(np.array([0.0, 2.0], "float32")))
        loss.backward()
    expected = torch.nn.functional.mse_loss(torch.tensor([1e-20, 2.0]), torch.tensor([0.0, 2.0]))
    assert loss.item() == pytest.approx(expected.item(), abs=1e-44)  # 5e-41: subnormal, kept


def test_overflow_and_invalid_still_raise_when_asked():
    """Only underflow is tolerated: a trap the user asked for on overflow stays."""
    with np.errstate(all="raise"), pytest.raises(FloatingPointError):
        tn.exp(tn.tensor([1000.0]))


def test_bce_refuses_nan_and_out_of_range_as_torch(torch):
    TF = torch.nn.functional
    for p, y, which in [([float("nan")], [1.0], "input"), ([0.5], [2.0], "target"),
                        ([0.5], [-0.1], "target"), ([0.5], [float("nan")], "target"), ([1.5], [1.0], "input")]:
        with pytest.raises(RuntimeError, match=f"{which} should be between 0 and 1"):
            TF.binary_cross_entropy(torch.tensor(p), torch.tensor(y))
        with pytest.raises(ValueError, match=f"binary_cross_entropy: all elements of {which} should be between 0 and 1"):
            F.binary_cross_entropy(tn.tensor(p), tn.tensor(y))
    # the ends of the range are fine, and the log clamp at -100 gives PyTorch's 100
    ours = F.binary_cross_entropy(tn.tensor([0.0, 1.0]), tn.tensor([1.0, 1.0]), reduction="none")
    theirs = TF.binary_cross_entropy(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 1.0]), reduction="none")
    assert ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("exponent", [0, 0.0, "tensor"])
def test_pow_zero_has_gradient_zero_everywhere(torch, exponent):
    values = [0.0, 2.0, -3.0]
    x, t = tn.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    e_ours = tn.zeros(3) if exponent == "tensor" else exponent
    e_theirs = torch.zeros(3) if exponent == "tensor" else exponent
    with strict_numpy():
        (x ** e_ours).sum().backward()
    (t ** e_theirs).sum().backward()
    assert x.grad.tolist() == t.grad.tolist() == [0.0, 0.0, 0.0]


# ----------------------------------------------------------------------------- type promotion
def _cases(torch):
    def both(make):
        return make(tn), make(torch)

    return {
        "bool + 2": both(lambda m: m.tensor([True, False]) + 2),
        "2 * bool": both(lambda m: 2 * m.tensor([True, False])),
        "bool + 2.5": both(lambda m: m.tensor([True, False]) + 2.5),
        "bool * True": both(lambda m: m.tensor([True, False]) * True),
        "f32 * 0-d f64": both(lambda m: m.ones(2) * m.tensor(2.0, dtype=m.float64)),
        "0-d f64 + f32": both(lambda m: m.tensor(2.0, dtype=m.float64) + m.ones(2)),
        "f32 / 0-d f64": both(lambda m: m.ones(2) / m.tensor(4.0, dtype=m.float64)),
        "int * 0-d f64": both(lambda m: m.tensor([1, 2]) * m.tensor(2.5, dtype=m.float64)),
        "f16 + 0-d f64": both(lambda m: m.ones(2, dtype=m.float16) + m.tensor(3.0, dtype=m.float64)),
        "f32 + 0-d int": both(lambda m: m.ones(2) + m.tensor(3)),
        "bool + 0-d int32": both(lambda m: m.tensor([True]) + m.tensor(3, dtype=m.int32)),
        "u8 + i8": both(lambda m: m.tensor([1], dtype=m.uint8) + m.tensor([1], dtype=m.int8)),
        "0-d f64 * 0-d f32": both(lambda m: m.tensor(1.0, dtype=m.float64) * m.tensor(1.0)),
        "int64 + float32": both(lambda m: m.tensor([1, 2]) + m.ones(2)),
        "f32 @ 0-d": both(lambda m: m.ones(2) - m.tensor(1.0, dtype=m.float64)),
        "where f32, 0-d f64": both(lambda m: m.where(m.tensor([True, False]), m.ones(2), m.tensor(2.0, dtype=m.float64))),
        "f32 ** 0-d f64": both(lambda m: m.ones(2) ** m.tensor(2.0, dtype=m.float64)),
    }


def test_type_promotion_follows_pytorch(torch):
    for name, (ours, theirs) in _cases(torch).items():
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), name
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=name)


def test_float32_leaf_keeps_its_gradient_dtype_next_to_a_0d_float64():
    x = tn.ones(3, requires_grad=True)
    scale = tn.tensor(2.0, dtype=tn.float64, requires_grad=True)
    y = x * scale
    assert y.dtype == tn.float32
    y.sum().backward()
    assert x.grad.dtype == tn.float32 and scale.grad.dtype == tn.float64
    assert x.grad.tolist() == [2.0, 2.0, 2.0] and scale.grad.item() == 3.0


@pytest.mark.parametrize("layer, batch", [
    (lambda: nn.Linear(3, 4), lambda: tn.zeros((2, 3), dtype=tn.float64)),
    (lambda: nn.Conv2d(3, 4, 3), lambda: tn.zeros((1, 3, 8, 8), dtype=tn.float64)),
    (lambda: nn.Conv2d(3, 4, 3, bias=False), lambda: tn.zeros((1, 3, 8, 8), dtype=tn.float64)),
    (lambda: nn.LSTM(3, 4), lambda: tn.zeros((5, 1, 3), dtype=tn.float64)),
    (lambda: nn.LSTM(3, 4, batch_first=True), lambda: tn.zeros((1, 5, 3), dtype=tn.float64)),
])
def test_layers_refuse_a_float64_batch_with_float32_weights_alike(layer, batch):
    module = layer()
    before = [p.numpy().copy() for p in module.parameters()]
    with pytest.raises(TypeError, match=r"(linear|conv2d|lstm): input is float64 .*weight is float32.*"
                                        r"model\.to\(dtype='float64'\)"):
        module(batch())
    assert all(np.array_equal(a, p.numpy()) for a, p in zip(before, module.parameters()))
    module.to(dtype="float64")
    assert module(batch()) is not None  # the fix the message names works


# ----------------------------------------------------------------------------- empty tensors
def test_mean_of_nothing_is_nan(torch):
    with strict_numpy():
        assert np.isnan(tn.zeros(0).mean().item())
        cols = tn.zeros((0, 3)).mean(0)
        rows = tn.zeros((0, 3)).mean(1)
    assert np.isnan(torch.zeros(0).mean().item())
    assert np.isnan(cols.numpy()).all() and cols.shape == tuple(torch.zeros(0, 3).mean(0).shape)
    assert rows.shape == tuple(torch.zeros(0, 3).mean(1).shape) == (0,)
    x = tn.zeros((0, 3), requires_grad=True)
    with strict_numpy():
        x.mean(0).sum().backward()
    assert x.grad.shape == (0, 3)


@pytest.mark.parametrize("shape, dim", [((2, 0), -1), ((0, 3), -1), ((0, 3), 0), ((2, 0, 4), 1)])
def test_softmax_and_log_softmax_of_empty_tensors(torch, shape, dim):
    for ours, theirs in ((F.softmax, torch.softmax), (F.log_softmax, torch.log_softmax)):
        x = tn.zeros(shape, requires_grad=True)
        with strict_numpy():
            y = ours(x, dim)
            y.sum().backward()
        assert y.shape == tuple(theirs(torch.zeros(shape), dim).shape)
        assert x.grad.shape == shape


def test_layers_on_an_empty_batch_return_empty_results_like_torch(torch):
    cases = [
        (nn.Flatten(), torch.nn.Flatten(), (0, 3, 4)),
        (nn.Conv2d(3, 4, 3, padding=1), torch.nn.Conv2d(3, 4, 3, padding=1), (0, 3, 8, 8)),
        (nn.Linear(3, 2), torch.nn.Linear(3, 2), (0, 3)),
        (nn.MaxPool2d(2), torch.nn.MaxPool2d(2), (0, 3, 4, 4)),
    ]
    for ours, theirs, shape in cases:
        x = tn.zeros(shape, requires_grad=True)
        with strict_numpy():
            y = ours(x)
            y.sum().backward()
        assert y.shape == tuple(theirs(torch.zeros(shape)).shape), type(ours).__name__
        assert x.grad.shape == shape
    conv = nn.Conv2d(3, 4, 3)
    conv(tn.zeros((0, 3, 8, 8))).sum().backward()
    assert np.all(conv.weight.grad.numpy() == 0) and np.all(conv.bias.grad.numpy() == 0)  # torch: zeros


def test_lstm_on_an_empty_batch(torch):
    ours, theirs = nn.LSTM(3, 4, batch_first=True), torch.nn.LSTM(3, 4, batch_first=True)
    with strict_numpy():
        out, (h, c) = ours(tn.zeros((0, 5, 3)))
    t_out, (t_h, t_c) = theirs(torch.zeros(0, 5, 3))
    assert (out.shape, h.shape, c.shape) == (tuple(t_out.shape), tuple(t_h.shape), tuple(t_c.shape))


# ----------------------------------------------------------------------------- load_state_dict
class ExplodingArray:
    """Has the right shape, but turning it into an array fails (a bad custom type)."""

    shape = (2,)
    dtype = np.dtype("float32")

    def __array__(self, dtype=None, copy=None):
        raise RuntimeError("cannot read me")


def _model():
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))


@pytest.mark.parametrize("corrupt", [
    lambda sd: sd.__setitem__("2.bias", np.ones(5)),                         # last key: wrong shape
    lambda sd: sd.__setitem__("2.bias", np.array(["a", "b"])),               # strings
    lambda sd: sd.__setitem__("2.bias", np.ones(2, dtype=complex)),          # complex into real
    lambda sd: sd.__setitem__("2.bias", ExplodingArray()),                   # conversion fails late
    lambda sd: sd.__setitem__("2.bias", [1.0, 2.0]),                         # not an array
    lambda sd: sd.pop("2.bias"),                                             # missing (strict)
    lambda sd: sd.__setitem__("extra", np.ones(1)),                          # unexpected (strict)
])
def test_failed_load_state_dict_changes_nothing(corrupt):
    model, source = _model(), _model()
    source(tn.randn(5, 3))  # BatchNorm running stats move: every entry differs
    state = dict(source.state_dict())
    corrupt(state)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(RuntimeError, match="Error.*loading state_dict for Sequential; nothing was loaded") as info:
        model.load_state_dict(state)
    assert isinstance(info.value, ValueError)  # the old type still catches it
    after = model.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)


def test_load_state_dict_succeeds_with_casts_and_non_strict():
    model, source = _model(), _model().to(dtype="float64")
    result = model.load_state_dict(source.state_dict())
    assert result.missing_keys == [] and model[0].weight.dtype == tn.float32
    np.testing.assert_allclose(model[0].weight.numpy(), source[0].weight.numpy().astype("float32"))
    partial = {k: v for k, v in source.state_dict().items() if k != "2.bias"}
    assert model.load_state_dict(partial, strict=False).missing_keys == ["2.bias"]
