"""Exercise sigmoid_backward: SigmoidFunction.backward in tinynn/ops/activation.py."""
import warnings

from tinynn.backend import numpy as np
from tinynn.ops.activation import SigmoidFunction
from tinynn.teach.checking import check_backward, run_backward


def test_slope_at_zero_is_a_quarter():
    (grad,) = run_backward(SigmoidFunction, [np.zeros(3)], np.array([1.0, 2.0, -4.0]))
    np.testing.assert_allclose(grad, [0.25, 0.5, -1.0])


def test_matches_central_differences():
    check_backward(SigmoidFunction, [np.linspace(-6, 6, 13).reshape(13, 1) * np.ones((1, 2))])


def test_saturated_inputs_give_zero_not_nan():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow in exp would be a bug
        (grad,) = run_backward(SigmoidFunction, [np.array([-1e4, 1e4])], np.ones(2))
    np.testing.assert_allclose(grad, [0.0, 0.0], atol=1e-300)
