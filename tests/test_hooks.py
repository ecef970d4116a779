"""Tensor hooks and retain_grad, against PyTorch."""
import numpy as np


def test_a_leaf_hook_fires_once_with_the_whole_gradient(torch):
    import tinynn as tn

    results = []
    for lib in (tn, torch):
        x = lib.tensor([0.3], requires_grad=True)
        seen = []
        x.register_hook(lambda g, seen=seen: seen.append(g.item()))
        ((x.tanh() + x.exp()) + x.tanh()).sum().backward()   # three paths reach x
        results.append((seen, x.grad.item()))
    (ours, our_grad), (theirs, their_grad) = results
    assert len(ours) == len(theirs) == 1
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    np.testing.assert_allclose(our_grad, their_grad, rtol=1e-6)


def test_retain_grad_and_a_hook_that_replaces_the_gradient(torch):
    import tinynn as tn

    out = []
    for lib in (tn, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        y.retain_grad()
        y.register_hook(lambda g: g * 2)
        (y * y).sum().backward()
        out.append((y.grad.numpy().copy(), x.grad.numpy().copy()))
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-6)
    # retain_grad keeps the hooked gradient (its hook runs last, as in PyTorch)
    np.testing.assert_allclose(out[0][0], out[1][0], rtol=1e-6)

