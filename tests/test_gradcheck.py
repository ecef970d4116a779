"""gradcheck itself: it accepts a correct Function and rejects a wrong one with a report."""
import numpy as np
import pytest

import tinynn as tn


class Cube(tn.Function):
    def __init__(self, factor=1.0):
        self.factor = factor  # 1.0: correct backward; anything else: a planted bug

    def forward(self, x):
        self.x = x
        return x ** 3

    def backward(self, grad):
        return self.factor * 3 * self.x ** 2 * grad


def test_accepts_a_correct_function(device):
    x = tn.Tensor(tn.backend.to_device(np.array([[0.5, -1.0], [2.0, 1.5]]), device), requires_grad=True)
    assert tn.gradcheck(lambda x: Cube()(x), [x])


def test_rejects_a_backward_off_by_a_factor_and_names_the_element():
    x = tn.tensor([[0.5, -1.0], [2.0, 1.5]], dtype="float64", requires_grad=True)
    with pytest.raises(tn.GradcheckError) as info:
        tn.gradcheck(lambda x: Cube(1.1)(x).sum(), [x])
    report = str(info.value)
    # the worst element is the largest derivative, 3 * 2.0² = 12 (analytic 13.2)
    assert "input 0" in report and "element (1, 0)" in report
    assert "analytic 13.2" in report and "numeric 12" in report


def test_rejects_a_gradient_missing_for_one_input():
    class ForgetsB(tn.Function):
        def forward(self, a, b):
            return a * b

        def backward(self, grad):
            return grad * 1.0, None  # forgot ∂/∂b entirely

    a = tn.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    b = tn.tensor([3.0, 4.0], dtype="float64", requires_grad=True)
    with pytest.raises(tn.GradcheckError, match="input 0"):
        tn.gradcheck(lambda a, b: ForgetsB()(a, b), [a, b])


def test_numerical_grad_matches_a_hand_derivative():
    x = tn.tensor([0.3, -0.7], dtype="float64", requires_grad=True)
    (g,) = tn.numerical_grad(lambda x: (x.exp() * x).sum(), [x])
    value = x.detach().numpy()
    np.testing.assert_allclose(g, np.exp(value) * (1 + value), rtol=1e-8)


def test_gradcheck_works_in_float64_even_for_float32_inputs():
    x = tn.tensor([0.1, 0.2, 0.3], requires_grad=True)  # float32
    assert tn.gradcheck(lambda x: (x * x).tanh(), [x])
    assert x.dtype == np.float32 and x.grad is None  # the caller's tensor is untouched
