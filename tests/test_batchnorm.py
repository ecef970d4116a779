"""BatchNorm1d/2d against torch.nn.BatchNorm*: outputs, gradients of input, weight and bias,
the running statistics after several steps (momentum, cumulative average, unbiased var),
train vs eval, affine and track_running_stats off, state-dict keys; gradchecked in float64."""
import numpy as np
import pytest

import tinynn as tn
from tinynn import nn
from tests._oracle import host

CASES = [("BatchNorm1d", (8, 3)), ("BatchNorm1d", (4, 3, 5)), ("BatchNorm2d", (4, 3, 5, 6))]
OPTIONS = [dict(), dict(momentum=0.3, eps=1e-3), dict(momentum=None), dict(affine=False), dict(bias=False),
           dict(track_running_stats=False), dict(affine=False, track_running_stats=False, momentum=None)]


def _pair(torch, name, options, device):
    ours = getattr(nn, name)(3, **options)
    theirs = getattr(torch.nn, name)(3, **options).double()
    if ours.affine:  # non-trivial affine parameters, the same in both
        w, b = np.linspace(0.5, 2.0, 3), np.linspace(-1.0, 1.0, 3)
        with tn.no_grad():
            ours.weight.copy_(tn.tensor(w))
            if ours.bias is not None:
                ours.bias.copy_(tn.tensor(b))
        theirs.weight.data = torch.tensor(w)
        if theirs.bias is not None:
            theirs.bias.data = torch.tensor(b)
    return ours.to(device, tn.float64), theirs


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "default")
@pytest.mark.parametrize("name,shape", CASES, ids=[f"{n}{s}" for n, s in CASES])
def test_batchnorm_matches_torch_over_steps(torch, device, name, shape, options, rng):
    ours, theirs = _pair(torch, name, options, device)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    for step in range(3):  # training steps: outputs, gradients and the running estimates
        x = rng.normal(size=shape) * (step + 1) + step
        g = rng.normal(size=shape)
        xt = tn.Tensor(tn.backend.to_device(x, device), requires_grad=True)
        xp = torch.tensor(x, requires_grad=True)
        y, yp = ours(xt), theirs(xp)
        np.testing.assert_allclose(host(y), yp.detach().numpy(), rtol=1e-10, atol=1e-12)
        y.backward(tn.Tensor(tn.backend.to_device(g, device)))
        yp.backward(torch.tensor(g))
        np.testing.assert_allclose(host(xt.grad), xp.grad.numpy(), rtol=1e-9, atol=1e-11)
        for (key, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
            np.testing.assert_allclose(host(p.grad), tp.grad.numpy(), rtol=1e-9, atol=1e-11, err_msg=key)
        for key, value in theirs.state_dict().items():
            np.testing.assert_allclose(host(ours.state_dict()[key]), value.numpy(), rtol=1e-12, err_msg=key)
    ours.eval(), theirs.eval()
    x = rng.normal(size=shape)
    np.testing.assert_allclose(host(ours(tn.Tensor(tn.backend.to_device(x, device)))),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10, atol=1e-12)


def test_batchnorm_float32_and_torch_state_dict_loads(torch, rng):
    theirs = torch.nn.BatchNorm2d(4, momentum=0.2)
    theirs.train()
    for _ in range(2):
        theirs(torch.randn(3, 4, 2, 2) * 3 + 1)
    ours = nn.BatchNorm2d(4, momentum=0.2)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert int(ours.num_batches_tracked.item()) == 2 and ours.num_batches_tracked.dtype == tn.int64
    x = rng.normal(size=(5, 4, 3, 3)).astype(np.float32)
    ours.eval(), theirs.eval()
    y = ours(tn.tensor(x))
    assert y.dtype == tn.float32
    np.testing.assert_allclose(host(y), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,shape", CASES, ids=[f"{n}{s}" for n, s in CASES])
def test_batchnorm_gradcheck(device, name, shape, rng):
    bn = getattr(nn, name)(3).to(device, tn.float64)
    x = tn.Tensor(tn.backend.to_device(rng.normal(size=shape), device), requires_grad=True)
    w = tn.Tensor(tn.backend.to_device(rng.normal(size=3), device), requires_grad=True)
    b = tn.Tensor(tn.backend.to_device(rng.normal(size=3), device), requires_grad=True)
    # training-mode statistics depend on x: the gradient goes through the mean and variance too
    assert tn.gradcheck(lambda a, ww, bb: tn.batch_norm(a, None, None, ww, bb, training=True), [x, w, b])
    bn.eval()
    assert tn.gradcheck(lambda a: bn(a), [x])


def test_batchnorm_refuses_bad_calls():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(tn.ones(1, 3))
    nn.BatchNorm1d(3).eval()(tn.ones(1, 3))  # fine in eval, as PyTorch
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected input of shape \(N, C, H, W\)"):
        nn.BatchNorm2d(3)(tn.ones(3, 4, 4))
    with pytest.raises(ValueError, match="expected 3 features"):
        nn.BatchNorm1d(3)(tn.ones(4, 5))
    with pytest.raises(TypeError, match="BatchNorm1d: expected a Tensor"):
        nn.BatchNorm1d(3)(None)
    with pytest.raises(TypeError, match="num_features must be an int"):
        nn.BatchNorm1d(3.5)
    with pytest.raises(ValueError, match="momentum"):
        nn.BatchNorm2d(3, momentum=1.5)
    with pytest.raises(ValueError, match="eps"):
        nn.BatchNorm2d(3, eps=0)


def test_batchnorm_in_a_cnn_trains_like_torch(torch, rng):
    """A small CNN with BatchNorm: five SGD steps give PyTorch's losses and weights."""
    def build(lib):
        return lib.Sequential(lib.Conv2d(1, 4, 3, padding=1), lib.BatchNorm2d(4), lib.ReLU(),
                              lib.AdaptiveAvgPool2d(1), lib.Flatten(), lib.Linear(4, 3), lib.BatchNorm1d(3))
    ours, theirs = build(nn).double(), build(torch.nn).double()
    theirs.load_state_dict({k: torch.tensor(host(v)) for k, v in ours.state_dict().items()})
    x, y = rng.normal(size=(6, 1, 5, 5)), rng.integers(0, 3, size=6)
    opt, topt = tn.optim.SGD(ours.parameters(), lr=0.1), torch.optim.SGD(theirs.parameters(), lr=0.1)
    for _ in range(5):
        loss = tn.nn.functional.cross_entropy(ours(tn.tensor(x)), tn.tensor(y)) if hasattr(tn.nn, "functional") \
            else tn.ops.cross_entropy(ours(tn.tensor(x)), tn.tensor(y))
        tloss = torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y))
        np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-10)
        opt.zero_grad(), topt.zero_grad()
        loss.backward(), tloss.backward()
        opt.step(), topt.step()
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(host(ours.state_dict()[key]), value.numpy(), rtol=1e-9, atol=1e-12, err_msg=key)
