"""The Tensor API of DESIGN.md: construction, attributes, conversions, operators, no_grad."""
import numpy as np
import pytest

import tinynn as tn
import tinynn.functional as F


def test_tensor_from_list_is_float32_and_copies():
    data = [[1.0, 2.0]]
    t = tn.tensor(data, requires_grad=True)
    assert t.dtype == np.float32 and t.shape == (1, 2) and t.ndim == 2 and t.device == "cpu"
    assert t.requires_grad and t.grad is None and t.is_leaf
    a = np.array([1.0, 2.0])
    t2 = tn.tensor(a)
    a[0] = 99.0
    assert t2.data[0] == 1.0 and t2.dtype == np.float64  # arrays keep their dtype, tensor() copies


def test_Tensor_wraps_an_ndarray_without_copying():
    a = np.zeros(3)
    t = tn.Tensor(a)
    a[0] = 5.0
    assert t.data[0] == 5.0


def test_conversions():
    t = tn.tensor([[3.5]])
    assert t.item() == 3.5 and isinstance(t.item(), float)
    assert isinstance(t.numpy(), np.ndarray) and t.tolist() == [[3.5]]
    x = tn.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d._data is x._data  # detach shares memory
    # .data is a fresh Tensor each time (as in PyTorch), outside the graph, sharing memory
    assert isinstance(x.data, tn.Tensor) and not x.data.requires_grad and x.data._data is x._data
    with pytest.raises(ValueError, match="one-element"):
        x.item()


def test_np_array_copies_and_np_asarray_shares_memory_as_with_torch():
    t = tn.zeros(3)
    copied, shared = np.array(t), np.asarray(t)
    copied[0], shared[1] = 5.0, 7.0
    assert t.tolist() == [0.0, 7.0, 0.0]  # torch: np.array(t) copies, np.asarray(t) is a view
    assert np.array(t, dtype=np.float64).dtype == np.float64 and np.asarray(t, dtype=np.float64)[1] == 7.0


def test_creation_functions_and_seed():
    assert tn.zeros(2, 3).shape == (2, 3) and tn.ones((4,)).data.sum() == 4
    assert tn.full((2,), 7.0).tolist() == [7.0, 7.0]
    tn.manual_seed(3)
    a, b = tn.randn(5), tn.rand(5)
    tn.manual_seed(3)
    np.testing.assert_array_equal(a.data, tn.randn(5).data)
    np.testing.assert_array_equal(b.data, tn.rand(5).data)
    assert ((b.data >= 0) & (b.data < 1)).all() and a.dtype == np.float32


def test_operators_with_scalars_arrays_and_reflection():
    x = tn.tensor([1.0, 2.0, 4.0], requires_grad=True)
    arr = np.array([2.0, 2.0, 2.0], dtype=np.float32)
    exprs = {
        "x + 1": (x + 1, [2, 3, 5]), "1 + x": (1 + x, [2, 3, 5]), "x - 1": (x - 1, [0, 1, 3]),
        "1 - x": (1 - x, [0, -1, -3]), "2 * x": (2 * x, [2, 4, 8]), "x / 2": (x / 2, [0.5, 1, 2]),
        "4 / x": (4 / x, [4, 2, 1]), "x ** 2": (x ** 2, [1, 4, 16]), "2 ** x": (2 ** x, [2, 4, 16]),
        "-x": (-x, [-1, -2, -4]), "arr * x": (arr * x, [2, 4, 8]), "x * arr": (x * arr, [2, 4, 8]),
        "arr - x": (arr - x, [1, 0, -2]),
    }
    for text, (value, expected) in exprs.items():
        assert isinstance(value, tn.Tensor), text
        assert value.requires_grad, text  # ndarray (op) Tensor stays in the graph
        assert value.dtype == np.float32, f"{text} promoted float32 to {value.dtype}"
        np.testing.assert_allclose(value.data, expected, err_msg=text)


def test_the_design_doc_example():
    x = tn.tensor([[1.0, 2.0]], requires_grad=True)
    w = tn.tensor([[1.0, -1.0], [0.5, 1.0]], requires_grad=True)
    b = tn.tensor([0.0, 1.0], requires_grad=True)
    y = ((x @ w + b).relu() * 2 - 1).sum()
    y.backward()
    # by hand: x@w + b = [2, 2] (both > 0), y = Σ(2 z - 1) -> dy/dz = 2 everywhere
    np.testing.assert_allclose(b.grad, [2, 2])
    np.testing.assert_allclose(w.grad, [[2, 2], [4, 4]])  # x^T (2, 2)
    np.testing.assert_allclose(x.grad, [[0, 3]])  # 2 * row sums of w


def test_no_grad_records_nothing():
    x = tn.tensor([1.0], requires_grad=True)
    with tn.no_grad():
        y = x * 2
        assert not tn.is_grad_enabled()
    assert tn.is_grad_enabled() and not y.requires_grad and y.creator is None

    @tn.no_grad()
    def f(t):
        return t * 3

    assert not f(x).requires_grad


def test_custom_function_square_from_the_design_doc():
    class Square(tn.Function):
        def forward(self, x):
            self.x = x
            return x * x

        def backward(self, grad):
            return 2 * self.x * grad

    t = tn.tensor([1.5, -2.0], dtype="float64", requires_grad=True)
    y = Square()(t)
    assert y.requires_grad
    y.sum().backward()
    np.testing.assert_allclose(t.grad, [3.0, -4.0])
    assert tn.gradcheck(lambda t: Square()(t), [t])


def test_gradients_accumulate_across_uses_and_calls():
    x = tn.tensor([3.0], requires_grad=True)
    (x + x).sum().backward()  # used twice in one graph
    assert x.grad.tolist() == [2.0]
    (x * x).sum().backward()  # a second call adds 2x = 6
    assert x.grad.tolist() == [8.0]


def test_leaf_gradients_do_not_alias_each_other():
    a = tn.tensor([1.0, 2.0], requires_grad=True)
    b = tn.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad *= 10  # an in-place edit of one gradient must not change the other
    assert b.grad.tolist() == [1.0, 1.0]



def test_leaf_gradient_does_not_alias_the_gradient_passed_to_backward():
    # sum over a size-1 axis hands back a reshaped view of the incoming gradient: the leaf
    # must get its own copy, or editing x.grad would edit the caller's array
    x = tn.tensor([[1.0], [2.0]], requires_grad=True)
    seed = np.array([3.0, 4.0], dtype=np.float32)
    x.sum(axis=1).backward(seed)
    assert x.grad.tolist() == [[3.0], [4.0]]
    x.grad *= 0
    assert seed.tolist() == [3.0, 4.0]


@pytest.mark.parametrize("shape, axis, keepdims", [
    ((1,), None, False), ((1, 1), None, True), ((3, 1), 1, False), ((1, 4), 0, True), ((2, 0), 0, False),
])
def test_sum_over_size_one_axes_passes_the_gradient_through(shape, axis, keepdims):
    # nothing is really summed: each input element gets the gradient of the one output it made
    data = np.arange(1, 1 + int(np.prod(shape)), dtype=np.float32).reshape(shape)
    x = tn.tensor(data, requires_grad=True)
    y = x.sum(axis=axis, keepdims=keepdims)
    g = np.arange(10, 10 + y.numel(), dtype=np.float32).reshape(y.shape)
    y.backward(g)
    assert x.grad.shape == shape
    assert x.grad.reshape(-1).tolist() == g.reshape(-1).tolist()

def test_comparisons_give_boolean_tensors_outside_the_graph():
    x = tn.tensor([1.0, -2.0], requires_grad=True)
    mask = x > 0
    assert mask.dtype == bool and not mask.requires_grad and mask.tolist() == [True, False]


def test_repr_looks_like_pytorch():
    # PyTorch names the dtype only when it is not the default (float32, int64, bool)
    assert repr(tn.tensor([1.0, 2.0], requires_grad=True)) == "tensor([1., 2.], requires_grad=True)"
    assert repr(tn.tensor([1.0, 2.0], dtype="float64")) == "tensor([1., 2.], dtype=float64)"
    assert repr(tn.tensor([1, 2])) == "tensor([1, 2])"


def test_to_moves_and_casts():
    x = tn.tensor([1.0, 2.0])
    assert x.to("cpu") is x
    assert x.to(dtype="float64").dtype == np.float64
    s = x.to("strict")
    assert s.device == "strict" and s.to("cpu").tolist() == [1.0, 2.0]
    assert F.relu(s).device == "strict"


def test_python_number_conversions_of_one_element_tensors():
    t = tn.tensor([2.5])
    assert float(t) == 2.5 and int(t) == 2
    with pytest.raises(ValueError, match="one-element"):
        float(tn.tensor([1.0, 2.0]))


def test_tensor_from_a_list_of_tensors():
    t = tn.tensor([tn.tensor(1.0), tn.tensor(2.0)])
    assert t.dtype == np.float32 and t.tolist() == [1.0, 2.0]


def test_integer_meeting_float_takes_the_float_dtype_as_in_pytorch():
    # NumPy would give float64 for int64 (op) float32 and for int / int; PyTorch gives the
    # floating operand's dtype (and the default float for true division), and so does tinynn
    i = tn.tensor([1, 2])
    f = tn.tensor([0.5, 1.5])
    cases = {
        "i + f": (i + f, [1.5, 3.5]), "f - i": (f - i, [-0.5, -0.5]), "i * f": (i * f, [0.5, 3.0]),
        "i / f": (i / f, [2.0, 4.0 / 3.0]), "f ** i": (f ** i, [0.5, 2.25]), "i + 1.5": (i + 1.5, [2.5, 3.5]),
        "i / 2": (i / 2, [0.5, 1.0]), "i / i": (i / i, [1.0, 1.0]),
        "i @ w": (i @ tn.tensor([[1.0], [2.0]]), [5.0]),
    }
    for text, (value, expected) in cases.items():
        assert value.dtype == np.float32, f"{text} gave {value.dtype}"
        np.testing.assert_allclose(value.data, expected, rtol=1e-6, err_msg=text)
    assert (i + i).dtype == np.int64 and (i * 3).dtype == np.int64  # integers stay integers
    w = tn.tensor([1.0, 2.0], requires_grad=True)
    (w * i).sum().backward()
    assert w.grad.dtype == np.float32 and w.grad.tolist() == [1.0, 2.0]
