"""Exercise cross_entropy_backward: CrossEntropyFunction.backward in tinynn/ops/fused/loss.py."""
import pytest

from tinynn.backend import numpy as np
from tinynn.ops.fused.loss import CrossEntropyFunction
from tinynn.teach.checking import check_backward, run_backward

rng = np.random.default_rng(5)


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_mean_over_class_indices_is_softmax_minus_one_hot_over_n():
    logits, target = rng.normal(size=(4, 3)), np.array([0, 2, 1, 2])
    grad_logits, _ = run_backward(CrossEntropyFunction, [logits, target], np.array(1.0), needs=(True, False))
    one_hot = np.eye(3)[target]
    np.testing.assert_allclose(grad_logits, (_softmax(logits) - one_hot) / 4)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_class_indices_match_central_differences(reduction):
    inputs = [rng.normal(size=(5, 4)), np.array([3, 0, 1, 1, 2])]
    check_backward(lambda: CrossEntropyFunction(reduction), inputs, wrt=[0])


def test_probability_targets_match_central_differences_for_logits_and_targets():
    target = _softmax(rng.normal(size=(3, 4)))
    check_backward(CrossEntropyFunction, [rng.normal(size=(3, 4)), target])


def test_large_logits_stay_finite():
    grad_logits, _ = run_backward(CrossEntropyFunction, [np.array([[1e4, 0.0]]), np.array([1])], np.array(1.0),
                                  needs=(True, False))
    np.testing.assert_allclose(grad_logits, [[1.0, -1.0]])
