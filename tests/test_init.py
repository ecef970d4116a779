"""nn.init against torch.nn.init: deterministic schemes exactly, random ones by their
distribution (bounds, mean, std on large tensors, compared with torch's draws of the same
scheme), seeding by tn.manual_seed, in place on Parameters that require grad, any device."""
import numpy as np
import pytest

import tinynn as tn
from tinynn import nn
from tests._oracle import host

GAINS = [("linear", None), ("conv2d", None), ("conv_transpose2d", None), ("sigmoid", None), ("tanh", None),
         ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None)]


@pytest.mark.parametrize("name,param", GAINS)
def test_calculate_gain_matches_torch(torch, name, param):
    assert nn.init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param))


def test_calculate_gain_refuses_unknown():
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        nn.init.calculate_gain("swish")


@pytest.mark.parametrize("fn,args", [("zeros_", ()), ("ones_", ()), ("constant_", (0.3,)), ("eye_", ())])
def test_deterministic_schemes_match_torch_and_work_in_place(torch, device, fn, args):
    p = nn.Parameter(tn.full((3, 4), 7.0, device=device))
    array_before = p._data
    out = getattr(nn.init, fn)(p, *args)
    assert out is p and p._data is array_before and p.requires_grad  # in place, no graph, no error
    ref = getattr(torch.nn.init, fn)(torch.full((3, 4), 7.0), *args)
    np.testing.assert_allclose(host(p), ref.numpy(), rtol=1e-7)
    with pytest.raises(ValueError):
        nn.init.eye_(tn.zeros(2, 2, 2)) if fn == "eye_" else (_ for _ in ()).throw(ValueError())


SHAPE = (400, 300)
RANDOM = [
    ("uniform_", dict(a=-0.3, b=0.7)),
    ("normal_", dict(mean=0.5, std=0.2)),
    ("xavier_uniform_", dict(gain=2.0)),
    ("xavier_normal_", dict()),
    ("kaiming_uniform_", dict()),
    ("kaiming_uniform_", dict(a=5 ** 0.5)),
    ("kaiming_uniform_", dict(mode="fan_out", nonlinearity="relu")),
    ("kaiming_normal_", dict(nonlinearity="relu")),
    ("kaiming_normal_", dict(a=0.1, mode="fan_out")),
    ("trunc_normal_", dict(std=0.5, a=-0.4, b=0.8)),
    ("trunc_normal_", dict(mean=1.0, std=0.02)),
    ("orthogonal_", dict(gain=1.5)),
]


@pytest.mark.parametrize("fn,kw", RANDOM, ids=[f"{f}{sorted(k.items())}" for f, k in RANDOM])
def test_random_schemes_have_torchs_distribution(torch, fn, kw):
    ours = host(getattr(nn.init, fn)(tn.zeros(*SHAPE), **kw))
    torch.manual_seed(0)
    theirs = getattr(torch.nn.init, fn)(torch.zeros(*SHAPE), **kw).numpy()
    # 120000 draws: the sample mean and std agree to well under 2% of the spread
    spread = theirs.std()
    assert abs(ours.mean() - theirs.mean()) < 0.02 * spread + 1e-6
    assert ours.std() == pytest.approx(spread, rel=0.02)
    if "uniform" in fn or "a" in kw and fn == "trunc_normal_":  # bounded: the same support
        assert ours.min() >= theirs.min() - 0.01 * spread and ours.max() <= theirs.max() + 0.01 * spread
        assert ours.min() <= theirs.min() + 0.01 * spread and ours.max() >= theirs.max() - 0.01 * spread


def test_orthogonal_is_orthogonal_for_both_orientations():
    for shape in [(6, 4), (4, 6), (3, 2, 3)]:
        w = host(nn.init.orthogonal_(tn.zeros(*shape), gain=2.0)).reshape(shape[0], -1)
        small = min(w.shape)
        gram = w @ w.T if w.shape[0] == small else w.T @ w
        np.testing.assert_allclose(gram, 4.0 * np.eye(small), atol=1e-5)


@pytest.mark.parametrize("fn,kw", RANDOM, ids=[f"{f}{sorted(k.items())}" for f, k in RANDOM])
def test_random_schemes_are_seeded_and_device_independent(device, fn, kw):
    tn.manual_seed(123)
    a = host(getattr(nn.init, fn)(tn.zeros(5, 4), **kw))
    tn.manual_seed(123)
    p = nn.Parameter(tn.zeros(5, 4, device=device))
    out = getattr(nn.init, fn)(p, **kw)
    assert out is p and p.device == device
    np.testing.assert_array_equal(a, host(p))
    assert not np.array_equal(a, host(getattr(nn.init, fn)(tn.zeros(5, 4), **kw)))  # the stream moved on


def test_init_keeps_dtype_and_refuses_bad_input():
    w = nn.init.normal_(tn.zeros(3, 3, dtype=tn.float64))
    assert w.dtype == tn.float64
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        nn.init.xavier_uniform_(tn.zeros(3))
    with pytest.raises(ValueError, match="mode"):
        nn.init.kaiming_normal_(tn.zeros(3, 3), mode="fan_avg")
    with pytest.raises(ValueError, match="a < b"):
        nn.init.trunc_normal_(tn.zeros(3), a=1.0, b=0.0)
    with pytest.raises(TypeError, match="Tensor"):
        nn.init.zeros_([1.0, 2.0])
