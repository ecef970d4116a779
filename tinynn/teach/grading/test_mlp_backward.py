"""Exercise mlp_backward: manual_backward in tutorials/05_backprop_mlp.py, the six gradients of
a sigmoid → tanh → softmax network under the mean cross-entropy (E6-E8 by hand)."""
from tinynn.backend import numpy as np
from tinynn.teach.checking import tutorial_functions

(manual_backward,) = tutorial_functions("05_backprop_mlp.py", "manual_backward")


def _params(rng, sizes=(4, 5, 3, 3)):
    p = {}
    for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        p[f"W{l}"] = rng.normal(size=(n_out, n_in)) / np.sqrt(n_in)
        p[f"b{l}"] = rng.normal(size=n_out) * 0.1
    return p


def _forward(p, X):
    """The grader's own forward: A1 = σ(X W1ᵀ + b1), A2 = tanh(A1 W2ᵀ + b2), ŷ = softmax(A2 W3ᵀ + b3)."""
    A1 = 1 / (1 + np.exp(-(X @ p["W1"].T + p["b1"])))
    A2 = np.tanh(A1 @ p["W2"].T + p["b2"])
    Z3 = A2 @ p["W3"].T + p["b3"]
    e = np.exp(Z3 - Z3.max(axis=1, keepdims=True))
    return {"A0": X, "A1": A1, "A2": A2, "Y_hat": e / e.sum(axis=1, keepdims=True)}


def _loss(p, X, Y):
    return float(-(Y * np.log(_forward(p, X)["Y_hat"])).sum() / len(X))


def _case(seed, n=5):
    rng = np.random.default_rng(seed)
    p = _params(rng)
    X, Y = rng.normal(size=(n, 4)), np.eye(3)[rng.integers(0, 3, size=n)]
    return p, X, Y


def test_every_gradient_matches_central_differences():
    p, X, Y = _case(0)
    grads = manual_backward(p, _forward(p, X), Y)
    for name, value in p.items():
        want = np.zeros_like(value)
        for i in np.ndindex(value.shape):
            up, down = dict(p), dict(p)
            up[name], down[name] = value.copy(), value.copy()
            up[name][i] += 1e-6
            down[name][i] -= 1e-6
            want[i] = (_loss(up, X, Y) - _loss(down, X, Y)) / 2e-6
        np.testing.assert_allclose(grads[name], want, rtol=1e-5, atol=1e-9, err_msg=f"∂L/∂{name}")


def test_six_gradients_with_the_parameters_shapes():
    p, X, Y = _case(1)
    grads = manual_backward(p, _forward(p, X), Y)
    assert sorted(grads) == sorted(p), f"expected the keys {sorted(p)}, got {sorted(grads)}"
    for name in p:
        assert np.shape(grads[name]) == p[name].shape, f"∂L/∂{name} has shape {np.shape(grads[name])}"


def test_output_bias_gradient_is_the_mean_of_y_hat_minus_y():
    # softmax + cross-entropy: ∂L/∂z₃ = (ŷ − y)/N for each row, so ∂L/∂b₃ = mean over rows of ŷ − y
    p, X, Y = _case(2, n=7)
    cache = _forward(p, X)
    grads = manual_backward(p, cache, Y)
    np.testing.assert_allclose(grads["b3"], (cache["Y_hat"] - Y).mean(axis=0), rtol=1e-12, atol=1e-15)


def test_a_batch_is_the_mean_of_its_samples():
    p, X, Y = _case(3, n=4)
    whole = manual_backward(p, _forward(p, X), Y)
    singles = [manual_backward(p, _forward(p, X[i:i + 1]), Y[i:i + 1]) for i in range(4)]
    for name in p:
        np.testing.assert_allclose(whole[name], np.mean([g[name] for g in singles], axis=0), rtol=1e-10,
                                   atol=1e-14, err_msg=f"∂L/∂{name}")
