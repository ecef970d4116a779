"""Exercise matmul_backward: MatMulFunction.backward in tinynn/ops/arithmetic.py."""
import pytest

from tinynn.backend import numpy as np
from tinynn.ops.arithmetic import MatMulFunction
from tinynn.teach.checking import check_backward, run_backward

rng = np.random.default_rng(2)


def test_two_d_by_hand():
    a, b, g = rng.normal(size=(3, 4)), rng.normal(size=(4, 2)), rng.normal(size=(3, 2))
    grad_a, grad_b = run_backward(MatMulFunction, [a, b], g)
    np.testing.assert_allclose(grad_a, g @ b.T)
    np.testing.assert_allclose(grad_b, a.T @ g)


@pytest.mark.parametrize("shape_a, shape_b", [
    ((3, 4), (4, 2)),          # matrices
    ((4,), (4, 2)),            # row vector on the left
    ((3, 4), (4,)),            # column vector on the right
    ((4,), (4,)),              # dot product
    ((2, 3, 4), (4, 5)),       # a batch against one matrix
    ((2, 1, 3, 4), (3, 4, 2)),  # batch axes broadcast against each other
])
def test_matches_central_differences(shape_a, shape_b):
    check_backward(MatMulFunction, [rng.normal(size=shape_a), rng.normal(size=shape_b)])


def test_gradients_have_the_operands_shapes():
    grad_a, grad_b = run_backward(MatMulFunction, [np.ones((2, 3, 4)), np.ones((4, 5))], np.ones((2, 3, 5)))
    assert grad_a.shape == (2, 3, 4) and grad_b.shape == (4, 5)
