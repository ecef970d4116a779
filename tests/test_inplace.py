"""Writing into tensors with autograd's rules (issue 12), each checked against PyTorch."""
import numpy as np
import pytest

import tinynn as tn


def test_the_hand_written_update_idiom_changes_the_weights():
    w = tn.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with tn.no_grad():
        for p in [w]:
            p -= 0.1 * p.grad          # PyTorch's idiom: __isub__ writes into the parameter
    np.testing.assert_allclose(w.numpy(), [1 - 0.1 * 2, 2 - 0.1 * 4], rtol=1e-6)
    assert w.requires_grad and w.is_leaf


def test_data_and_grad_are_tensors_sharing_memory():
    w = tn.tensor([1.0, 2.0], requires_grad=True)
    (3 * w).sum().backward()
    w.grad.zero_()
    np.testing.assert_array_equal(w.grad.numpy(), [0.0, 0.0])
    w.data.add_(1.0)
    np.testing.assert_array_equal(w.numpy(), [2.0, 3.0])
    w.data -= 0.5 * tn.ones(2)
    np.testing.assert_array_equal(w.numpy(), [1.5, 2.5])
    w.grad.data.fill_(4.0)
    w.grad.data.clamp_(max=1.0)
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 1.0])


def test_in_place_on_a_leaf_that_requires_grad_is_refused_outside_no_grad():
    w = tn.ones(3, requires_grad=True)
    before = w.numpy().copy()
    with pytest.raises(RuntimeError, match="leaf"):
        w += 1
    np.testing.assert_array_equal(w.numpy(), before)


def test_grad_setter_checks_shape_dtype_device_as_pytorch():
    w = tn.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="shape"):
        w.grad = tn.ones(1)
    with pytest.raises(TypeError, match="float64"):
        w.grad = tn.ones(3, dtype=tn.float64)
    w.grad = tn.full((3,), 2.0)
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 2.0, 2.0])


@pytest.mark.parametrize("case", ["add_", "mul_", "setitem", "consumer_of_old_value", "iadd_residual"])
def test_recorded_in_place_matches_torch(case, torch):
    def run(lib):
        a = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        b = a * 2
        c = b * 1.5          # consumes b before it is written
        if case == "add_":
            b.add_(a * a)
        elif case == "mul_":
            b.mul_(a + 1)
        elif case == "setitem":
            b[1] = a[0] * 4
        elif case == "consumer_of_old_value":
            b.mul_(3)
        else:
            b += lib.tanh(c)
        (b * c).sum().backward()
        return b.detach().numpy(), a.grad.numpy()

    ours, theirs = run(tn), run(torch)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6)


def test_writing_a_saved_input_after_the_op_ran_is_an_error_at_backward(torch):
    for lib in (tn, torch):
        w = lib.ones(3, requires_grad=True)
        x = lib.ones(3)
        y = w * x            # Mul saves x for w's gradient
        x.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation|modified by an in-place"):
            y.sum().backward()


def test_writing_an_unsaved_input_is_fine(torch):
    for lib in (tn, torch):
        w = lib.ones(3, requires_grad=True)
        x = lib.ones(3)
        y = w + x            # Add saves nothing
        x.mul_(2)
        y.sum().backward()
        np.testing.assert_array_equal(w.grad.numpy(), [1.0, 1.0, 1.0])


def test_writing_a_saved_output_under_no_grad_is_an_error_at_backward():
    x = tn.tensor([0.5, 1.0], requires_grad=True)
    y = x.exp()             # Exp keeps its output for backward
    with tn.no_grad():
        y.add_(1)
    with pytest.raises(RuntimeError, match="output was modified"):
        y.sum().backward()


def test_in_place_keeps_dtype_and_shape_rules(torch):
    i = tn.tensor([1, 2])
    with pytest.raises(TypeError, match="can't be cast"):
        i += 0.5
    ti = torch.tensor([1, 2])
    with pytest.raises(RuntimeError):
        ti += 0.5
    x = tn.zeros(3)
    with pytest.raises(RuntimeError, match="shape"):
        x += tn.ones((2, 3))
    np.testing.assert_array_equal(x.numpy(), [0, 0, 0])
    x[0] = 7            # setitem converts, as torch does
    i[0] = 9.7
    assert x.tolist() == [7.0, 0.0, 0.0] and i.tolist() == [9, 2]


def test_masked_write_and_fill(torch):
    for lib in (tn, torch):
        x = lib.tensor([1.0, -1.0, 2.0])
        x[x < 0] = 0.0
        assert x.tolist() == [1.0, 0.0, 2.0]
        x.fill_(3.0)
        assert x.tolist() == [3.0, 3.0, 3.0]
        x.zero_()
        assert x.tolist() == [0.0, 0.0, 0.0]
        x.copy_(lib.tensor([1.0, 2.0, 3.0]))
        assert x.tolist() == [1.0, 2.0, 3.0]


def test_from_numpy_shares_memory_and_writes_show_through():
    a = np.zeros(3, dtype=np.float32)
    t = tn.from_numpy(a)
    t[1] = 5.0
    t.add_(1)
    np.testing.assert_array_equal(a, [1.0, 6.0, 1.0])
