"""Exercise linear_backward: LinearFunction.backward in tinynn/ops/fused/linear.py."""
from tinynn.backend import numpy as np
from tinynn.ops.fused.linear import LinearFunction
from tinynn.teach.checking import check_backward, run_backward

rng = np.random.default_rng(4)


def test_gradients_by_hand():
    x, w, b, g = rng.normal(size=(5, 3)), rng.normal(size=(2, 3)), rng.normal(size=2), rng.normal(size=(5, 2))
    grad_x, grad_w, grad_b = run_backward(LinearFunction, [x, w, b], g)
    np.testing.assert_allclose(grad_x, g @ w)
    np.testing.assert_allclose(grad_w, g.T @ x)
    np.testing.assert_allclose(grad_b, g.sum(axis=0))


def test_with_bias_matches_central_differences():
    check_backward(LinearFunction, [rng.normal(size=(4, 3)), rng.normal(size=(2, 3)), rng.normal(size=2)])


def test_without_bias_returns_two_gradients():
    grads = run_backward(LinearFunction, [rng.normal(size=(4, 3)), rng.normal(size=(2, 3))], np.ones((4, 2)))
    assert len(grads) == 2
    check_backward(LinearFunction, [rng.normal(size=(4, 3)), rng.normal(size=(2, 3))])


def test_extra_leading_axes_match_central_differences():
    check_backward(LinearFunction, [rng.normal(size=(2, 4, 3)), rng.normal(size=(5, 3)), rng.normal(size=5)])
