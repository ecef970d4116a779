"""Bad input gets a clear exception naming the op, the shapes/dtypes/devices and the fix,
raised before any state changes."""
import numpy as np
import pytest

import tinynn as tn
import tinynn.functional as F


def test_matmul_shape_mismatch_names_both_shapes():
    a, b = tn.ones((2, 3)), tn.ones((4, 5))
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(4, 5\)"):
        a @ b


def test_broadcast_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"Add.*\(2, 3\).*\(4,\)"):
        tn.ones((2, 3)) + tn.ones(4)


def test_int_and_bool_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match="floating-point.*int64"):
        tn.tensor([1, 2], requires_grad=True)
    t = tn.tensor([True, False])
    with pytest.raises(TypeError, match="bool"):
        t.requires_grad = True
    assert not t.requires_grad


def test_backward_on_non_scalar_needs_a_gradient():
    x = tn.ones(3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"shape \(3,\).*y.backward\(gradient\)"):
        y.backward()
    assert x.grad is None
    y.backward(tn.ones(3))
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


def test_backward_grad_of_wrong_shape():
    y = tn.ones(3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"gradient has shape \(2,\) but the tensor has shape \(3,\)"):
        y.backward(np.ones(2, dtype=np.float32))


def test_mixing_devices_names_the_op_and_devices():
    a = tn.ones(3, requires_grad=True)
    b = tn.ones(3).to("strict")
    with pytest.raises(RuntimeError, match=r"MulFunction: inputs are on different devices \(cpu .*strict"):
        a * b
    with pytest.raises(RuntimeError, match="different devices"):
        b + np.ones(3)  # a raw host array next to a device tensor


def test_cross_entropy_target_errors():
    logits = tn.zeros((2, 3), requires_grad=True)
    with pytest.raises(IndexError, match="class index 3 is out of range for 3 classes"):
        F.cross_entropy(logits, tn.tensor([0, 3]))
    with pytest.raises(IndexError, match="class index -1 is out of range for 3 classes"):
        F.cross_entropy(logits, tn.tensor([-1, 0]))  # NumPy indexing would wrap it silently
    for dtype in ("int8", "int32", "uint8", "uint64"):  # every integer width, signed or not
        with pytest.raises(IndexError, match="class index 100 is out of range"):
            F.cross_entropy(logits, tn.tensor(np.array([100, 0], dtype=dtype)))
        assert F.cross_entropy(logits, tn.tensor(np.array([2, 0], dtype=dtype))).item() > 0
    with pytest.raises(IndexError, match="class index -1 is out of range"):  # on the CuPy-like device
        F.nll_loss(logits.to("strict"), tn.tensor(np.array([0, -1], dtype="int8")).to("strict"))
    with pytest.raises(TypeError, match="integers"):
        F.cross_entropy(logits, tn.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"2 rows of logits but targets of shape \(3,\)"):
        F.cross_entropy(logits, tn.tensor([0, 1, 2]))


def test_loss_shape_mismatch_is_not_broadcast_silently():
    with pytest.raises(ValueError, match=r"mse_loss: input shape \(4, 1\) and target shape \(4,\)"):
        F.mse_loss(tn.zeros((4, 1)), tn.zeros(4))


def test_cuda_without_cupy_names_the_gpu_extra():
    if tn.cuda_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match=r"tinynn-edu\[gpu\]|no usable GPU"):
        tn.zeros(3, device="cuda")
    with pytest.raises(ValueError, match="unknown device"):
        tn.zeros(3, device="tpu")


def test_custom_function_returning_a_wrong_shape():
    class Bad(tn.Function):
        def forward(self, x):
            return x.sum()

        def backward(self, grad):
            return grad * tn.backend.numpy.ones(7)

    x = tn.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError,
                       match=r"Bad.backward produced a gradient of shape \(7,\) for an input of shape \(3,\)"):
        Bad()(x).backward()


def test_linear_refuses_a_float64_batch_for_float32_weights():
    from tinynn import nn
    layer = nn.Linear(2, 3)
    with pytest.raises(TypeError, match=r"linear: input is float64 but the weight is float32.*x.to\(dtype='float32'\)"):
        layer(tn.Tensor(np.ones((4, 2))))
    assert layer(tn.ones(4, 2)).dtype == np.float32
