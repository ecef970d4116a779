"""Exercise neuron_gradients: hand_gradients in tutorials/02_one_neuron.py, the gradients of one
sigmoid layer under the mean ½-squared error (document 000's E9)."""
from tinynn.backend import numpy as np
from tinynn.teach.checking import tutorial_functions

sigmoid, hand_gradients = tutorial_functions("02_one_neuron.py", "sigmoid", "hand_gradients")


def _error(x, y0, w, b):
    y = 1 / (1 + np.exp(-(x @ w.T + b)))
    return float(np.mean(0.5 * (y - y0) ** 2) * y0.shape[1])  # mean over rows of Σ over outputs


def _central(f, a, eps=1e-6):
    grad = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        up, down = a.copy(), a.copy()
        up[i] += eps
        down[i] -= eps
        grad[i] = (f(up) - f(down)) / (2 * eps)
    return grad


def test_matches_central_differences():
    rng = np.random.default_rng(0)
    x, y0 = rng.normal(size=(6, 3)), rng.integers(0, 2, size=(6, 2)).astype(float)
    w, b = rng.normal(size=(2, 3)), rng.normal(size=2)
    dw, db = hand_gradients(x, y0, w, b)
    np.testing.assert_allclose(dw, _central(lambda v: _error(x, y0, v, b), w), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(db, _central(lambda v: _error(x, y0, w, v), b), rtol=1e-6, atol=1e-9)


def test_at_zero_weights_the_slope_is_a_quarter():
    # z = 0: y = ½ and σ'(0) = ¼, so ∂E/∂b = mean(½ − y₀)·¼ and ∂E/∂W = mean((½ − y₀)·¼·x)
    x = np.array([[1.0, 2.0], [-1.0, 0.0], [4.0, -2.0]])
    y0 = np.array([[1.0], [0.0], [1.0]])
    dw, db = hand_gradients(x, y0, np.zeros((1, 2)), np.zeros(1))
    np.testing.assert_allclose(db, [(-0.5 + 0.5 - 0.5) * 0.25 / 3])
    np.testing.assert_allclose(dw, [[(-0.5 * 1 + 0.5 * -1 - 0.5 * 4) * 0.25 / 3,
                                     (-0.5 * 2 + 0.5 * 0 - 0.5 * -2) * 0.25 / 3]])


def test_shapes_are_those_of_w_and_b_and_a_perfect_fit_gives_zero():
    rng = np.random.default_rng(1)
    x, w, b = rng.normal(size=(5, 4)), rng.normal(size=(3, 4)), rng.normal(size=3)
    y0 = sigmoid(x @ w.T + b)  # targets equal to the predictions
    dw, db = hand_gradients(x, y0, w, b)
    assert np.shape(dw) == (3, 4) and np.shape(db) == (3,)
    np.testing.assert_allclose(dw, 0, atol=1e-15)
    np.testing.assert_allclose(db, 0, atol=1e-15)
