"""Conv2d, MaxPool2d, AvgPool2d: gradient checks in float64 on every device, hand-computed
values, and PyTorch (when installed) as the oracle for outputs and all gradients."""
import numpy as np
import pytest

import tinynn as tn
import tinynn.functional as F
from tinynn import nn
from tinynn.testing import make_tensor

from .conftest import host

GEOMETRIES = [  # (kernel, stride, padding)
    (3, 1, 0),
    (3, 2, 1),
    (2, 2, 0),
    ((2, 3), (1, 2), (0, 1)),
]


def _conv_inputs(rng, device, kernel, bias=True, shape=(2, 3, 6, 7), out=4):
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    x = make_tensor(rng.standard_normal(shape), device)
    w = make_tensor(rng.standard_normal((out, shape[1], kh, kw)) * 0.5, device)
    b = make_tensor(rng.standard_normal(out), device) if bias else None
    return x, w, b


@pytest.mark.parametrize("kernel,stride,padding", GEOMETRIES)
def test_conv2d_gradcheck(device, rng, kernel, stride, padding):
    x, w, b = _conv_inputs(rng, device, kernel, shape=(2, 2, 5, 6), out=3)
    assert tn.gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=padding), [x, w, b])


def test_conv2d_gradcheck_without_bias(device, rng):
    x, w, _ = _conv_inputs(rng, device, 3, bias=False, shape=(1, 2, 4, 4), out=2)
    assert tn.gradcheck(lambda x, w: F.conv2d(x, w, padding=1), [x, w])


def test_conv2d_by_hand():
    # a 3x3 all-ones kernel sums each 3x3 neighbourhood; with padding 1 the corners see 4 pixels
    x = tn.tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    out = F.conv2d(x, tn.ones((1, 1, 3, 3), dtype="float64"), tn.tensor([0.5], dtype="float64"), padding=1)
    assert out.shape == (1, 1, 4, 4)
    assert out[0, 0, 0, 0].item() == 0 + 1 + 4 + 5 + 0.5
    assert out[0, 0, 1, 1].item() == sum(range(0, 3)) + sum(range(4, 7)) + sum(range(8, 11)) + 0.5
    # stride 2 without padding on a 5x5 input picks windows at rows/cols 0 and 2
    y = F.conv2d(tn.tensor(np.ones((1, 1, 5, 5))), tn.ones((1, 1, 3, 3), dtype="float64"), stride=2)
    assert y.shape == (1, 1, 2, 2) and (y.numpy() == 9).all()


def test_conv2d_input_gradient_counts_window_overlaps():
    # d(sum(conv(x, ones)))/dx = how many windows cover each pixel
    x = tn.tensor(np.zeros((1, 1, 4, 4)), requires_grad=True)
    F.conv2d(x, tn.ones((1, 1, 3, 3), dtype="float64")).sum().backward()
    expected = np.array([[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]])
    np.testing.assert_array_equal(x.grad[0, 0], expected)


@pytest.mark.parametrize("kernel,stride,padding", GEOMETRIES)
def test_conv2d_matches_torch(torch, rng, kernel, stride, padding):
    x, w, b = _conv_inputs(rng, "cpu", kernel)
    out = F.conv2d(x, w, b, stride=stride, padding=padding)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    xt, wt, bt = (torch.tensor(host(t), requires_grad=True) for t in (x, w, b))
    ref = torch.nn.functional.conv2d(xt, wt, bt, stride=stride, padding=padding)
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    for ours, theirs in ((x, xt), (w, wt), (b, bt)):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_conv2d_float32_stays_float32(device):
    x = tn.randn(2, 3, 8, 8, device=device, requires_grad=True)
    w = tn.randn(4, 3, 3, 3, device=device, requires_grad=True)
    out = F.conv2d(x, w, padding=1)
    out.sum().backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32 and w.grad.dtype == np.float32
    assert out.device == device


def test_conv2d_unbatched_input(rng):
    x, w, b = _conv_inputs(rng, "cpu", 3)
    single = F.conv2d(x[0], w, b)
    np.testing.assert_allclose(single.numpy(), F.conv2d(x, w, b).numpy()[0])


def test_conv2d_bad_input_messages():
    with pytest.raises(ValueError, match=r"conv2d.*in_channels.*NCHW"):
        F.conv2d(tn.ones((1, 8, 8, 3)), tn.ones((4, 3, 3, 3)))  # a Keras NHWC image
    with pytest.raises(ValueError, match=r"conv2d: kernel \(5, 5\) does not fit"):
        F.conv2d(tn.ones((1, 3, 4, 4)), tn.ones((2, 3, 5, 5)))
    with pytest.raises(TypeError, match="conv2d: stride"):
        F.conv2d(tn.ones((1, 3, 4, 4)), tn.ones((2, 3, 3, 3)), stride="2")


# ------------------------------------------------------------------------------ pooling
POOLS = [(2, None, 0), (3, 2, 1), (3, 1, 0), ((2, 3), (2, 1), (1, 1))]


@pytest.mark.parametrize("kernel,stride,padding", POOLS)
@pytest.mark.parametrize("pool", ["max_pool2d", "avg_pool2d"])
def test_pool_gradcheck(device, rng, pool, kernel, stride, padding):
    # distinct values far apart, so a finite difference never swaps the maximum of a window
    values = rng.permutation(2 * 2 * 5 * 6).reshape(2, 2, 5, 6) * 0.1
    x = make_tensor(values, device)
    assert tn.gradcheck(lambda x: getattr(F, pool)(x, kernel, stride, padding), [x])


def test_max_pool_by_hand():
    x = tn.tensor(np.array([[1.0, 5.0, 2.0, 0.0], [3.0, 4.0, 8.0, 7.0],
                            [0.0, 0.0, 1.0, 1.0], [9.0, 0.0, 1.0, 1.0]]).reshape(1, 1, 4, 4),
                  requires_grad=True)
    out = F.max_pool2d(x, 2)
    assert out[0, 0].tolist() == [[5.0, 8.0], [9.0, 1.0]]
    out.backward(np.array([[10.0, 20.0], [30.0, 40.0]]).reshape(1, 1, 2, 2))
    # each window's gradient lands on its maximum; the all-ones window (a tie) on its first element
    expected = [[0, 10, 0, 0], [0, 0, 20, 0], [0, 0, 40, 0], [30, 0, 0, 0]]
    assert x.grad[0, 0].tolist() == expected


def test_avg_pool_by_hand():
    x = tn.tensor(np.arange(16.0).reshape(1, 1, 4, 4), requires_grad=True)
    out = F.avg_pool2d(x, 2)
    assert out[0, 0].tolist() == [[2.5, 4.5], [10.5, 12.5]]
    out.sum().backward()
    assert (x.grad == 0.25).all()


@pytest.mark.parametrize("kernel,stride,padding", POOLS)
@pytest.mark.parametrize("pool", ["max_pool2d", "avg_pool2d"])
def test_pool_matches_torch(torch, rng, pool, kernel, stride, padding):
    x = make_tensor(rng.standard_normal((2, 3, 7, 6)), "cpu")
    out = getattr(F, pool)(x, kernel, stride, padding)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    xt = torch.tensor(host(x), requires_grad=True)
    ref = getattr(torch.nn.functional, pool)(xt, kernel, stride, padding)
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("stride", [2, 1])
def test_max_pool_ties_go_to_the_first_index_like_torch(torch, stride):
    x = np.zeros((1, 2, 4, 4))
    x[0, 1, 1:3, 1:3] = 1.0  # ties inside and across (overlapping) windows
    ours = tn.tensor(x, requires_grad=True)
    out = F.max_pool2d(ours, 2, stride)
    g = np.arange(1.0, out.numel() + 1).reshape(out.shape)
    out.backward(g)
    xt = torch.tensor(x, requires_grad=True)
    torch.nn.functional.max_pool2d(xt, 2, stride).backward(torch.tensor(g))
    np.testing.assert_array_equal(ours.grad, xt.grad.numpy())


@pytest.mark.parametrize("kernel,stride,padding,shape", [(k, s, p, (2, 3, 7, 6)) for k, s, p in POOLS]
                         + [(2, 2, 0, (2, 3, 8, 6)), ((2, 3), (2, 3), 0, (1, 2, 4, 9))])
def test_max_pool_equals_its_reference_composition(device, rng, kernel, stride, padding, shape):
    """The kernel (running maximum, tiled fast path) against pad + strided slices + stack + max."""
    from tinynn.ops.fused.conv import max_pool2d_reference

    values, results = rng.permutation(np.prod(shape)).reshape(shape) * 0.1, []  # distinct: no ties
    for pool in (F.max_pool2d, max_pool2d_reference):
        x = make_tensor(values, device)
        out = pool(x, kernel, stride, padding)
        g = make_tensor(np.arange(out.numel(), dtype=float).reshape(out.shape) % 7 - 3, device)
        out.backward(g)
        results.append((host(out), host(x.grad)))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])


@pytest.mark.parametrize("stride", [2, 1])
def test_max_pool_nan_and_infinite_gradients_like_torch(torch, stride):
    """A NaN is a window's maximum (the last NaN of a window takes the gradient, PyTorch's rule);
    an infinite upstream gradient reaches the maximum only (not inf * 0 = NaN elsewhere)."""
    x = np.arange(32.0).reshape(1, 2, 4, 4)
    x[0, 0, 0, 1] = x[0, 0, 1, 0] = x[0, 1, 2, 2] = np.nan
    ours = tn.tensor(x, requires_grad=True)
    out = F.max_pool2d(ours, 2, stride)
    g = np.arange(1.0, out.numel() + 1).reshape(out.shape)
    g.reshape(-1)[1] = np.inf
    out.backward(g)
    xt = torch.tensor(x, requires_grad=True)
    ref = torch.nn.functional.max_pool2d(xt, 2, stride)
    ref.backward(torch.tensor(g))
    np.testing.assert_array_equal(out.numpy(), ref.detach().numpy())
    np.testing.assert_array_equal(ours.grad, xt.grad.numpy())


def test_pool_bad_input_messages():
    with pytest.raises(ValueError, match="max_pool2d: padding"):
        F.max_pool2d(tn.ones((1, 1, 4, 4)), 2, padding=2)
    with pytest.raises(ValueError, match="avg_pool2d: expected a 4-D input"):
        F.avg_pool2d(tn.ones((4, 4)), 2)


# ------------------------------------------------------------------------------ nn modules
def test_conv2d_module_state_dict_interchanges_with_torch(torch, rng):
    ours = nn.Conv2d(3, 5, 3, stride=2, padding=1)
    theirs = torch.nn.Conv2d(3, 5, 3, stride=2, padding=1)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight", "bias"]
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x = rng.standard_normal((2, 3, 9, 9)).astype("float32")
    np.testing.assert_allclose(ours(tn.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)
    ours.load_state_dict({k: v.detach().numpy() for k, v in torch.nn.Conv2d(3, 5, 3).state_dict().items()})


def test_conv2d_module_init_and_shapes():
    conv = nn.Conv2d(4, 8, (3, 5), padding="same", bias=False)
    assert conv.weight.shape == (8, 4, 3, 5) and conv.bias is None
    assert np.abs(conv.weight.numpy()).max() <= 1 / np.sqrt(4 * 3 * 5)  # torch's U(±1/sqrt(fan_in))
    assert conv(tn.randn(2, 4, 6, 7)).shape == (2, 8, 6, 7)
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        nn.Conv2d(1, 1, 2, padding="same")


def test_convnet_trains_on_device(device):
    tn.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.AvgPool2d(2),
                        nn.Flatten(), nn.Linear(4 * 2 * 2, 2)).to(device)
    x = tn.randn(16, 1, 8, 8, device=device)
    y = tn.tensor((host(x)[:, 0, :4].sum(axis=(1, 2)) > 0).astype("int64"), device=device)
    opt = tn.optim.SGD(net.parameters(), lr=0.2, momentum=0.9)
    losses = []
    for _ in range(30):
        loss = F.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
