"""The device abstraction: the strict test device refuses what CuPy refuses, so a stray
numpy call in an op fails here even without a GPU."""
import numpy as np
import pytest

import tinynn as tn
from tinynn import backend
from tinynn.backend import strict


def test_strict_arrays_refuse_host_mixing_like_cupy():
    a = strict.xp.ones(3)
    with pytest.raises(TypeError, match="Unsupported type"):
        a + np.ones(3)
    with pytest.raises(TypeError, match="Unsupported type"):
        np.ones(3) * a
    with pytest.raises(TypeError, match="Implicit conversion"):
        np.asarray(a)
    with pytest.raises(TypeError, match="np.concatenate was called on a strict-device array"):
        np.concatenate([a, a])
    with pytest.raises(TypeError, match="Unsupported type"):
        strict.xp.maximum(a, np.zeros(3))


def test_strict_arrays_compute_like_numpy_through_their_module():
    host = np.arange(6.0).reshape(2, 3)
    a = backend.to_device(host, "strict")
    xp = backend.xp_of(a)
    assert xp is strict.xp and backend.device_of(a) == "strict"
    np.testing.assert_array_equal(backend.to_host(xp.exp(a) @ a.T), np.exp(host) @ host.T)
    np.testing.assert_array_equal(backend.to_host(a.sum(axis=0)), host.sum(axis=0))
    assert isinstance(a.sum(), strict.StrictArray)  # 0-d results stay on the device, as in CuPy
    assert float(a.max()) == 5.0


def test_a_stray_numpy_call_in_an_op_fails_on_the_strict_device():
    class Leaky(tn.Function):  # the bug the strict device exists to catch
        def forward(self, x):
            return np.exp(x) * np.ones(x.shape)

        def backward(self, grad):
            return grad

    Leaky()(tn.ones(3))  # fine on the CPU ...
    with pytest.raises(TypeError):
        Leaky()(tn.ones(3, device="strict"))  # ... and refused on a CuPy-like device


def test_to_device_round_trip_and_tensor_devices():
    t = tn.randn(2, 3, requires_grad=True)
    s = t.to("strict")
    assert s.device == "strict" and s.requires_grad
    (s * s).sum().backward()  # the gradient travels back to the CPU tensor
    np.testing.assert_allclose(t.grad.numpy(), 2 * t.detach().numpy())
    # as in PyTorch: the copy is a non-leaf, so its repr shows the op that made it
    assert repr(s).endswith("device='strict', grad_fn=<ToCopyFunction>)")
    assert repr(s.detach()).endswith("device='strict')")


def test_default_dtype():
    assert backend.default_dtype() == np.float32
    tn.set_default_dtype("float64")
    try:
        assert tn.tensor([1.0]).dtype == np.float64 and tn.randn(2).dtype == np.float64
    finally:
        tn.set_default_dtype("float32")
    with pytest.raises(TypeError):
        tn.set_default_dtype("int32")


def test_only_the_backend_imports_numpy_or_cupy():
    import pathlib
    import re
    root = pathlib.Path(tn.__file__).parent
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if "backend" not in p.parts
                 and re.search(r"^\s*(import numpy|from numpy|import cupy|from cupy)", p.read_text(), re.M)]
    assert not offenders, f"only tinynn/backend may import numpy/cupy: {offenders}"


def test_ops_never_call_numpy_directly():
    """No `np.something` or `backend.numpy.something` in the code of an op (docstrings may say it).

    Covers every file under tinynn/ops (fused kernels included) and the Tensor class itself."""
    import ast
    import pathlib
    root = pathlib.Path(tn.__file__).parent
    paths = sorted((root / "ops").rglob("*.py")) + [root / "tensor.py"]
    assert (root / "ops" / "fused" / "linear.py") in paths  # the layout this check was written for
    offenders = []
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and (
                    (isinstance(node.value, ast.Name) and node.value.id in ("np", "numpy"))
                    or (isinstance(node.value, ast.Attribute) and node.value.attr == "numpy")):
                offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    assert not offenders, f"ops must use xp = backend.xp_of(array): {offenders}"
