"""Exercise mul_backward: MulFunction.backward in tinynn/ops/arithmetic.py."""
from tinynn.backend import numpy as np
from tinynn.ops.arithmetic import MulFunction
from tinynn.teach.checking import check_backward, run_backward

rng = np.random.default_rng(1)


def test_gradients_by_hand():
    grad_a, grad_b = run_backward(MulFunction, [np.array([1.0, 2.0]), np.array([3.0, 4.0])], np.array([1.0, 10.0]))
    np.testing.assert_allclose(grad_a, [3.0, 40.0])  # g * b
    np.testing.assert_allclose(grad_b, [1.0, 20.0])  # g * a


def test_same_shape_matches_central_differences():
    check_backward(MulFunction, [rng.normal(size=(3, 4)), rng.normal(size=(3, 4))])


def test_broadcast_operands_match_central_differences():
    check_backward(MulFunction, [rng.normal(size=(3, 1)), rng.normal(size=(4,))])


def test_input_that_needs_no_gradient_gets_none():
    grads = run_backward(MulFunction, [np.ones(2), np.ones(2)], np.ones(2), needs=(True, False))
    assert grads[1] is None and grads[0] is not None
