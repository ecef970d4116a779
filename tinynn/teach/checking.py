"""What the grading tests use: a Function's backward against central differences of its forward.

Everything here works on one ``Function`` at a time, on raw float64 arrays, and never goes
through ``Tensor.backward``: so an exercise is graded by its own code only (a missing
topological walk does not fail the Mul exercise), and the reference is the op's *forward*,
not any backward written by anyone.

>>> import tinynn as tn
>>> from tinynn.backend import numpy as np
>>> check_backward(tn.ops.arithmetic.AddFunction, [np.ones(3), np.arange(3.0)])
"""
from __future__ import annotations

from tinynn.backend import numpy as np
from tinynn.tensor import unbroadcast


def run_backward(make, inputs, upstream, needs=None):
    """``make()``'s forward on copies of ``inputs``, then its backward on ``upstream``: a tuple of
    input gradients (None where none). ``needs`` is ``needs_input_grad`` (all True by default)."""
    fn = make()
    fn.needs_input_grad = tuple(needs) if needs is not None else (True,) * len(inputs)
    fn.forward(*[np.array(a, copy=True) for a in inputs])
    grads = fn.backward(np.array(upstream, copy=True))
    return grads if isinstance(grads, tuple) else (grads,)


def forward_value(make, inputs):
    """``make()``'s forward on copies of ``inputs`` (as an array)."""
    fn = make()
    fn.needs_input_grad = (False,) * len(inputs)
    return np.asarray(fn.forward(*[np.array(a, copy=True) for a in inputs]))


def numerical_gradient(make, inputs, upstream, index, eps=1e-6):
    """∂/∂inputs[index] of Σ forward(inputs) ⊙ upstream, by central differences in float64."""
    x = np.array(inputs[index], dtype=np.float64, copy=True)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        values = []
        for step in (eps, -eps):
            moved = list(inputs)
            shifted = x.copy()
            shifted[i] += step
            moved[index] = shifted
            values.append(float(np.sum(forward_value(make, moved) * upstream)))
        grad[i] = (values[0] - values[1]) / (2 * eps)
    return grad


def check_backward(make, inputs, upstream=None, wrt=None, rtol=1e-5, atol=1e-7):
    """Assert that backward equals central differences for every input listed in ``wrt``
    (every floating input by default), with a random ``upstream`` gradient unless one is given.
    Integer inputs (class indices) need no gradient, as in the engine."""
    inputs = [np.asarray(a) for a in inputs]
    needs = [a.dtype.kind == "f" for a in inputs]
    out = forward_value(make, inputs)
    if upstream is None:
        upstream = np.random.default_rng(0).normal(size=out.shape)
    wrt = [i for i, need in enumerate(needs) if need] if wrt is None else wrt
    grads = run_backward(make, inputs, upstream, needs)
    for index in wrt:
        assert grads[index] is not None, f"backward returned None for input {index}, which needs a gradient"
        got = np.asarray(grads[index])
        if got.shape != inputs[index].shape:  # a backward may return the broadcast shape: the engine sums it back
            got = unbroadcast(got, inputs[index].shape)
        want = numerical_gradient(make, inputs, upstream, index)
        assert got.shape == want.shape or got.size == want.size == 1, (
            f"gradient of input {index} has shape {got.shape}, the input has shape {want.shape}")
        np.testing.assert_allclose(got.reshape(want.shape), want, rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {index} differs from central differences")


def tutorial_functions(filename, *names):
    """The functions ``names`` defined in ``tutorials/<filename>`` of the graded folder, and only
    them: their definitions run with ``np`` (NumPy) and nothing else of the tutorial, so grading
    one never runs the rest of it (nor another exercise of the same file). A copy without
    ``tutorials/`` skips the test.

    >>> sigmoid, hand_gradients = tutorial_functions("02_one_neuron.py", "sigmoid", "hand_gradients")
    >>> float(sigmoid(0.0))
    0.5
    """
    import ast
    import os
    import pathlib

    root = pathlib.Path(os.environ.get("TINYNN_GRADED") or pathlib.Path(__file__).resolve().parents[2])
    path = root / "tutorials" / filename
    if not path.is_file():
        import pytest

        pytest.skip(f"{root} has no tutorials/{filename} (a copy made with --no-tutorials)", allow_module_level=True)
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name in names}
    missing = [n for n in names if n not in found]
    assert not missing, f"tutorials/{filename} defines no function {missing} at its top level"
    module = ast.Module(body=[found[n] for n in names], type_ignores=[])
    namespace = {"np": np, "__name__": f"tutorial_{path.stem}"}
    exec(compile(module, str(path), "exec"), namespace)  # noqa: S102 - the course's own file, by design
    return tuple(namespace[n] for n in names)
