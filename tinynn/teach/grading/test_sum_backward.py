"""Exercise sum_backward: SumFunction.backward in tinynn/ops/reduction.py."""
import pytest

from tinynn.backend import numpy as np
from tinynn.ops.reduction import SumFunction
from tinynn.teach.checking import check_backward, run_backward

rng = np.random.default_rng(3)


def test_sum_of_everything_copies_the_gradient_everywhere():
    (grad,) = run_backward(SumFunction, [np.ones((2, 3))], np.array(2.5))
    assert np.asarray(grad).shape == (2, 3)
    np.testing.assert_allclose(grad, np.full((2, 3), 2.5))


def test_sum_over_one_axis_by_hand():
    (grad,) = run_backward(lambda: SumFunction(axis=1), [np.ones((2, 3))], np.array([1.0, -2.0]))
    np.testing.assert_allclose(grad, [[1.0, 1.0, 1.0], [-2.0, -2.0, -2.0]])


@pytest.mark.parametrize("axis, keepdims", [(None, False), (None, True), (0, False), (1, True), (-1, False),
                                            ((0, 2), False), ((0, 2), True)])
def test_matches_central_differences(axis, keepdims):
    check_backward(lambda: SumFunction(axis=axis, keepdims=keepdims), [rng.normal(size=(2, 3, 4))])


def test_size_one_axis():
    check_backward(lambda: SumFunction(axis=1), [rng.normal(size=(3, 1, 2))])
