"""The nn extras (issue 12): activations, layers, containers, Module methods, nn.utils —
each against PyTorch (forward and gradients), gradchecked in float64, on cpu and strict."""
import numpy as np
import pytest

import tinynn as tn
import tinynn.functional as F
from tinynn import nn
from tests._oracle import compare, host

# kinks are included on purpose: tinynn must pick PyTorch's gradient at x = 0, ±1, 6, ...
KINKS = np.array([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 6.0, 7.0, 25.0, -25.0])

ACTIVATIONS = [
    ("leaky_relu", lambda F_, x: F_.leaky_relu(x, 0.2)),
    ("leaky_relu_default", lambda F_, x: F_.leaky_relu(x)),
    ("elu", lambda F_, x: F_.elu(x, 0.7)),
    ("selu", lambda F_, x: F_.selu(x)),
    ("celu", lambda F_, x: F_.celu(x, 2.0)),
    ("silu", lambda F_, x: F_.silu(x)),
    ("softplus", lambda F_, x: F_.softplus(x)),
    ("softplus_beta", lambda F_, x: F_.softplus(x, beta=2.0, threshold=3.0)),
    ("mish", lambda F_, x: F_.mish(x)),
    ("hardtanh", lambda F_, x: F_.hardtanh(x)),
    ("hardtanh_range", lambda F_, x: F_.hardtanh(x, -2.0, 0.5)),
    ("relu6", lambda F_, x: F_.relu6(x)),
    ("logsigmoid", lambda F_, x: F_.logsigmoid(x)),
    ("softsign", lambda F_, x: F_.softsign(x)),
]


@pytest.mark.parametrize("name,fn", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_matches_torch_with_kinks(torch, device, name, fn, rng):
    x = np.concatenate([KINKS, rng.normal(size=20) * 3])
    compare(torch, lambda t: fn(F, t), lambda t: fn(torch.nn.functional, t), [x], device)


@pytest.mark.parametrize("name,fn", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_float32_matches_torch(torch, name, fn, rng):
    x = rng.normal(size=(4, 5)) * 4
    compare(torch, lambda t: fn(F, t), lambda t: fn(torch.nn.functional, t), [x], dtype="float32", rtol=1e-5,
            atol=1e-6)


@pytest.mark.parametrize("name,fn", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_gradcheck(device, name, fn, rng):
    x = rng.normal(size=(3, 4)) * 2
    x = x[np.all(np.abs(x[..., None] - np.array([-2.0, -1.0, 0.0, 0.5, 1.0, 6.0])) > 1e-2, axis=-1)]  # off the kinks
    t = tn.Tensor(tn.backend.to_device(x, device), requires_grad=True)
    assert tn.gradcheck(lambda a: fn(F, a), [t])


def test_activations_stay_finite_at_extremes():
    x = tn.tensor([-1e30, -1e4, 1e4, 1e30], requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        for name, fn in ACTIVATIONS:
            y = fn(F, x)
            assert np.isfinite(host(y)).all(), name


MODULES = [
    ("LeakyReLU", lambda m: m.LeakyReLU(0.3)),
    ("ELU", lambda m: m.ELU(alpha=1.5)),
    ("CELU", lambda m: m.CELU(alpha=0.5)),
    ("SELU", lambda m: m.SELU()),
    ("SiLU", lambda m: m.SiLU()),
    ("Mish", lambda m: m.Mish()),
    ("Softplus", lambda m: m.Softplus(beta=0.5, threshold=10)),
    ("Hardtanh", lambda m: m.Hardtanh(-0.5, 2.0)),
    ("ReLU6", lambda m: m.ReLU6()),
    ("LogSigmoid", lambda m: m.LogSigmoid()),
    ("Softsign", lambda m: m.Softsign()),
]


@pytest.mark.parametrize("name,make", MODULES, ids=[m[0] for m in MODULES])
def test_activation_modules_match_torch_and_repr(torch, device, name, make, rng):
    ours, theirs = make(nn), make(torch.nn)
    assert repr(ours) == repr(theirs)
    compare(torch, ours, theirs, [rng.normal(size=(5, 3)) * 3], device)


def test_inplace_activation_writes_into_its_input(torch):
    x = tn.tensor([-2.0, 3.0])
    y = nn.LeakyReLU(0.5, inplace=True)(x)
    assert y is x and x.tolist() == [-1.0, 3.0]
    assert repr(nn.ELU(inplace=True)) == repr(torch.nn.ELU(inplace=True))
    leaf = tn.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        F.silu(leaf, inplace=True)
    # in the graph: the gradient flows through the in-place write, as in PyTorch
    a = tn.tensor([-2.0, 0.5, 3.0], requires_grad=True)
    b = a * 1.0
    F.elu(b, inplace=True).sum().backward()
    ta = torch.tensor([-2.0, 0.5, 3.0], requires_grad=True)
    torch.nn.functional.elu(ta * 1.0, inplace=True).sum().backward()
    np.testing.assert_allclose(host(a.grad), ta.grad.numpy(), rtol=1e-6)


def test_activation_constructors_refuse_bad_arguments():
    with pytest.raises(TypeError, match="LeakyReLU: negative_slope"):
        nn.LeakyReLU("0.1")
    with pytest.raises(ValueError, match="Hardtanh: min_val"):
        nn.Hardtanh(2.0, 1.0)
    with pytest.raises(ValueError, match="Softplus: beta"):
        nn.Softplus(beta=0)
    with pytest.raises(ValueError, match="finite"):
        nn.ELU(alpha=float("nan"))


# -- layers ---------------------------------------------------------------------------------
@pytest.mark.parametrize("size,out", [((6, 6), 2), ((7, 5), (3, 2)), ((5, 7), (5, None)), ((4, 9), (1, 1)),
                                      ((3, 3), 5), ((10, 7), (4, 3))])
def test_adaptive_avg_pool2d_matches_torch(torch, device, size, out, rng):
    x = rng.normal(size=(2, 3) + size)
    compare(torch, nn.AdaptiveAvgPool2d(out), torch.nn.AdaptiveAvgPool2d(out), [x], device)
    compare(torch, lambda t: F.adaptive_avg_pool2d(t, out), lambda t: torch.nn.functional.adaptive_avg_pool2d(t, out),
            [x[0]], device)  # unbatched (C, H, W)
    assert repr(nn.AdaptiveAvgPool2d(out)) == repr(torch.nn.AdaptiveAvgPool2d(out))


def test_adaptive_avg_pool2d_gradcheck(device, rng):
    x = tn.Tensor(tn.backend.to_device(rng.normal(size=(1, 2, 5, 7)), device), requires_grad=True)
    assert tn.gradcheck(lambda t: F.adaptive_avg_pool2d(t, (3, 4)), [x])


def test_dropout2d_zeroes_whole_channels_and_scales(device):
    x = tn.ones(64, 32, 3, 3, device=device)
    y = host(nn.Dropout2d(0.25)(x))
    per_channel = y.reshape(64, 32, 9)
    assert ((per_channel == 0).all(-1) | (per_channel == 1 / 0.75).all(-1)).all()
    dropped = (per_channel == 0).all(-1).mean()
    assert abs(dropped - 0.25) < 0.05  # 2048 channels: 5 sigma is about 0.05
    m = nn.Dropout2d(0.25).eval()
    assert m(x) is x
    # the gradient is the same mask, scaled
    z = tn.ones(4, 8, 2, 2, device=device, requires_grad=True)
    out = F.dropout2d(z, 0.5)
    out.sum().backward()
    np.testing.assert_array_equal(host(z.grad), host(out))


def test_dropout2d_repr_and_3d_input(torch):
    assert repr(nn.Dropout2d(0.3)) == repr(torch.nn.Dropout2d(0.3))
    y = host(F.dropout2d(tn.ones(16, 8, 5), 0.5))  # (N, C, L): a channel goes or stays
    assert ((y == 0).all(-1) | (y == 2).all(-1)).all()


def test_functional_dropout(device):
    x = tn.ones(2000, device=device, requires_grad=True)
    y = F.dropout(x, 0.3)
    values = set(np.unique(host(y)).tolist())
    assert values <= {0.0, float(np.float32(1 / 0.7))} and abs((host(y) == 0).mean() - 0.3) < 0.04
    y.sum().backward()
    np.testing.assert_allclose(host(x.grad), host(y))
    assert F.dropout(x, 0.3, training=False) is x and F.dropout(x, 0.0) is x
    assert (host(F.dropout(x, 1.0)) == 0).all()
    tn.manual_seed(3)
    a = host(F.dropout(tn.ones(50), 0.5))
    tn.manual_seed(3)
    b = host(nn.Dropout(0.5)(tn.ones(50)))
    np.testing.assert_array_equal(a, b)  # one RNG stream: the functional and the module agree
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(x, 1.5)


def test_one_hot_matches_torch(torch):
    idx = np.array([[0, 3], [2, 1]])
    ours, theirs = F.one_hot(tn.tensor(idx)), torch.nn.functional.one_hot(torch.tensor(idx))
    np.testing.assert_array_equal(host(ours), theirs.numpy())
    assert ours.dtype == tn.int64 and ours.shape == (2, 2, 4)
    np.testing.assert_array_equal(host(F.one_hot(tn.tensor([1]), num_classes=5)),
                                  torch.nn.functional.one_hot(torch.tensor([1]), 5).numpy())
    with pytest.raises(RuntimeError, match="non-negative"):
        F.one_hot(tn.tensor([-1, 0]))
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(tn.tensor([3]), 3)
    with pytest.raises(TypeError, match="integer"):
        F.one_hot(tn.tensor([1.0]))


def test_one_hot_on_strict_device():
    out = F.one_hot(tn.tensor([2, 0], device="strict"), 3)
    assert out.device == "strict"
    assert host(out).tolist() == [[0, 0, 1], [1, 0, 0]]


@pytest.mark.parametrize("p,dim", [(2.0, 1), (1.0, 0), (3.0, -1)])
def test_normalize_matches_torch(torch, device, p, dim, rng):
    x = rng.normal(size=(4, 5))
    x[1] = 0.0  # a zero row: finite gradient as PyTorch's
    compare(torch, lambda t: F.normalize(t, p=p, dim=dim), lambda t: torch.nn.functional.normalize(t, p=p, dim=dim),
            [x], device)


def test_normalize_gradcheck(device, rng):
    x = tn.Tensor(tn.backend.to_device(rng.normal(size=(3, 4)), device), requires_grad=True)
    assert tn.gradcheck(lambda t: F.normalize(t, dim=1), [x])


def test_identity_flatten_unflatten_match_torch(torch, rng):
    x = rng.normal(size=(2, 3, 4, 5))
    for ours, theirs in [(nn.Flatten(), torch.nn.Flatten()), (nn.Flatten(0, 2), torch.nn.Flatten(0, 2)),
                         (nn.Unflatten(1, (3, 1)), torch.nn.Unflatten(1, (3, 1))),
                         (nn.Unflatten(-1, (-1, 5)), torch.nn.Unflatten(-1, (-1, 5))),
                         (nn.Identity(), torch.nn.Identity())]:
        compare(torch, ours, theirs, [x])
    assert repr(nn.Unflatten(1, (2, 5))) == repr(torch.nn.Unflatten(1, (2, 5)))
    with pytest.raises(ValueError, match="cannot split"):
        nn.Unflatten(1, (2, 2))(tn.zeros(3, 5))


# -- containers -----------------------------------------------------------------------------
def test_module_dict_state_dict_keys_match_torch(torch):
    ours = nn.ModuleDict({"enc": nn.Linear(2, 3), "dec": nn.Linear(3, 2)})
    theirs = torch.nn.ModuleDict({"enc": torch.nn.Linear(2, 3), "dec": torch.nn.Linear(3, 2)})
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert list(ours.keys()) == ["enc", "dec"] and "enc" in ours and len(ours) == 2
    ours["extra"] = nn.ReLU()
    assert [k for k, _ in ours.items()] == ["enc", "dec", "extra"]
    popped = ours.pop("enc")
    assert isinstance(popped, nn.Linear) and list(ours) == ["dec", "extra"]
    assert [n for n, _ in ours.named_parameters()] == ["dec.weight", "dec.bias"]


def test_parameter_list_and_dict_match_torch(torch):
    ours = nn.ParameterList([nn.Parameter(tn.zeros(2)), tn.ones(3)])
    theirs = torch.nn.ParameterList([torch.nn.Parameter(torch.zeros(2)), torch.ones(3)])
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert isinstance(ours[1], nn.Parameter) and ours[1].requires_grad
    ours.append(tn.zeros(1))
    assert len(ours) == 3 and len(list(ours.parameters())) == 3

    def holder(lib, zeros):
        class Holder(lib.Module):
            def __init__(self):
                super().__init__()
                self.ps = lib.ParameterDict({"a": lib.Parameter(zeros(1))})
        return Holder()

    assert list(holder(nn, tn.zeros).state_dict()) == list(holder(torch.nn, torch.zeros).state_dict()) == ["ps.a"]


# -- Module methods -------------------------------------------------------------------------
def _net(lib):
    return lib.Sequential(lib.Linear(2, 3), lib.ReLU(), lib.Sequential(lib.Linear(3, 1), lib.Sigmoid()))


def test_module_traversal_matches_torch(torch):
    ours, theirs = _net(nn), _net(torch.nn)
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert [type(m).__name__ for m in ours.modules()] == [type(m).__name__ for m in theirs.modules()]
    assert [type(m).__name__ for m in ours.children()] == [type(m).__name__ for m in theirs.children()]
    seen_ours, seen_theirs = [], []
    assert ours.apply(lambda m: seen_ours.append(type(m).__name__)) is ours
    theirs.apply(lambda m: seen_theirs.append(type(m).__name__))
    assert seen_ours == seen_theirs
    assert ours.get_submodule("2.0") is ours[2][0]
    assert ours.get_parameter("2.0.bias") is ours[2][0].bias
    with pytest.raises(AttributeError, match="no sub-module 'x'"):
        ours.get_submodule("2.x")


def test_apply_initialises_like_torch_code():
    def init_weights(m):
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.weight, 0.5)
            nn.init.zeros_(m.bias)

    net = _net(nn).apply(init_weights)
    assert all((host(p) == 0.5).all() for n, p in net.named_parameters() if n.endswith("weight"))


def test_module_to_dtype_forms(device):
    net = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    w = net[0].weight
    assert net.to(tn.float64) is net and w.dtype == tn.float64 and net[1].running_mean.dtype == tn.float64
    assert net[1].num_batches_tracked.dtype == tn.int64  # integers are not cast, as PyTorch
    net.to(device, tn.float32)
    assert w.dtype == tn.float32 and w.device == device and net[0].weight is w
    net.double()
    assert w.dtype == tn.float64
    net.to(dtype=tn.float32, device="cpu")
    assert w.dtype == tn.float32 and w.device == "cpu"
    net.to(tn.zeros(1, dtype=tn.float64, device=device))
    assert w.dtype == tn.float64 and w.device == device
    with pytest.raises(TypeError):
        net.to(tn.int64)


def test_register_buffer_persistent_and_requires_grad(torch):
    m = nn.Linear(2, 2)
    m.register_buffer("seen", tn.zeros(1))
    m.register_buffer("scratch", tn.zeros(1), persistent=False)
    t = torch.nn.Linear(2, 2)
    t.register_buffer("seen", torch.zeros(1))
    t.register_buffer("scratch", torch.zeros(1), persistent=False)
    assert list(m.state_dict()) == list(t.state_dict())
    assert [n for n, _ in m.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert m.requires_grad_(False) is m and not any(p.requires_grad for p in m.parameters())
    m.register_parameter("extra", nn.Parameter(tn.zeros(1)))
    assert "extra" in dict(m.named_parameters())


def test_zero_grad_sets_to_none_by_default():
    m = nn.Linear(2, 1)
    m(tn.ones(1, 2)).sum().backward()
    m.zero_grad(set_to_none=False)
    assert (host(m.weight.grad) == 0).all()
    m.zero_grad()
    assert m.weight.grad is None


# -- nn.utils -------------------------------------------------------------------------------
def _grads_pair(torch, rng, scale=10.0):
    shapes = [(3, 4), (4,), (2, 2, 2)]
    values = [rng.normal(size=s) * scale for s in shapes]
    ours = [nn.Parameter(tn.zeros(s, dtype=tn.float64)) for s in shapes]
    theirs = [torch.nn.Parameter(torch.zeros(s, dtype=torch.float64)) for s in shapes]
    for o, t, v in zip(ours, theirs, values):
        o.grad = tn.tensor(v)
        t.grad = torch.tensor(v)
    return ours, theirs


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_torch(torch, rng, norm_type, max_norm):
    ours, theirs = _grads_pair(torch, rng)
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type)
    ref = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert isinstance(total, tn.Tensor) and total.ndim == 0
    np.testing.assert_allclose(total.item(), ref.item(), rtol=1e-12)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(host(o.grad), t.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_on_strict_device_skips_missing_grads(device):
    a = nn.Parameter(tn.zeros(2, device=device))
    b = nn.Parameter(tn.zeros(2, device=device))  # no grad: skipped
    a.grad = tn.tensor([3.0, 4.0], device=device)
    total = nn.utils.clip_grad_norm_([a, b], 1.0)
    assert total.device == device and abs(total.item() - 5.0) < 1e-6
    np.testing.assert_allclose(host(a.grad), [0.6, 0.8], rtol=1e-5)
    assert b.grad is None
    assert nn.utils.clip_grad_norm_([b], 1.0).item() == 0.0


def test_clip_grad_norm_nonfinite(torch):
    p = nn.Parameter(tn.zeros(2))
    p.grad = tn.tensor([float("inf"), 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert host(p.grad)[1] == 1.0  # unchanged when refused


def test_clip_grad_value_matches_torch(torch, rng):
    ours, theirs = _grads_pair(torch, rng)
    assert nn.utils.clip_grad_value_(ours, 2.5) is None
    torch.nn.utils.clip_grad_value_(theirs, 2.5)
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(host(o.grad), t.grad.numpy())


def test_parameters_vector_round_trip_matches_torch(torch):
    ours, theirs = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    theirs.load_state_dict({k: torch.tensor(host(v)) for k, v in ours.state_dict().items()})
    vec = nn.utils.parameters_to_vector(ours.parameters())
    np.testing.assert_allclose(host(vec), torch.nn.utils.parameters_to_vector(theirs.parameters()).detach().numpy())
    nn.utils.vector_to_parameters(vec * 2, ours.parameters())
    np.testing.assert_allclose(host(ours.bias), 2 * theirs.bias.detach().numpy(), rtol=1e-6)
