"""The PyTorch surface added for tests/programs (issue 12): each op against PyTorch
(values, dtype, gradients via tinynn.testing.compare_with_torch) and tn.gradcheck in float64."""
import numpy as np
import pytest

import tinynn as tn
from tinynn.testing import compare_with_torch

rng = np.random.default_rng(0)
A, B = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))


@pytest.mark.parametrize("alpha", [1, -0.5, 3])
def test_add_sub_alpha_match_torch(torch, alpha):
    compare_with_torch(lambda lib, a, b: lib.add(a, b, alpha=alpha), A, B)
    compare_with_torch(lambda lib, a, b: lib.sub(a, b, alpha=alpha), A, B)
    compare_with_torch(lambda lib, a, b: a.add(b[0], alpha=alpha) * a.sub(2.0, alpha=alpha), A, B)


def test_add_alpha_gradcheck():
    a, b = (tn.tensor(v, dtype=tn.float64, requires_grad=True) for v in (A, B))
    assert tn.gradcheck(lambda x, y: tn.add(x, y, alpha=-0.7) * tn.sub(y, x, alpha=2.5), [a, b])


def test_add_underscore_alpha_is_the_sgd_step(torch):
    ours, theirs = tn.tensor(A), torch.tensor(A)
    ours.add_(tn.tensor(B), alpha=-0.1)
    theirs.add_(torch.tensor(B), alpha=-0.1)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_where_three_arguments_still_select(torch):
    compare_with_torch(lambda lib, a, b: lib.where(a > b, a, b), A, B)
    a, b = (tn.tensor(v, dtype=tn.float64, requires_grad=True) for v in (A, B))
    assert tn.gradcheck(lambda x, y: tn.where(x > 0, x * y, y), [a, b])


def test_where_one_argument_gives_indices_as_torch(torch):
    c = A > 0.3
    ours, theirs = tn.where(tn.tensor(c)), torch.where(torch.tensor(c))
    assert len(ours) == len(theirs) == 2
    for o, t in zip(ours, theirs):
        assert o.dtype == tn.int64 and o.tolist() == t.tolist()
    with pytest.raises(TypeError, match="input and other"):
        tn.where(tn.tensor(c), tn.tensor(A))


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 2), ()])
def test_nonzero_argwhere_match_torch(torch, shape):
    data = (rng.standard_normal(shape) > 0).astype(np.float64) * rng.standard_normal(shape)
    for name in ("nonzero", "argwhere"):
        ours, theirs = getattr(tn, name)(tn.tensor(data)), getattr(torch, name)(torch.tensor(data))
        assert tuple(ours.shape) == tuple(theirs.shape), (name, shape)
        assert ours.dtype == tn.int64 and ours.tolist() == theirs.tolist()
    for o, t in zip(tn.tensor(data).nonzero(as_tuple=True), torch.tensor(data).nonzero(as_tuple=True)):
        assert o.tolist() == t.tolist()


def test_isclose_allclose_equal_match_torch(torch):
    b = A + np.where(rng.random(A.shape) > 0.5, 1e-9, 1e-2)
    assert tn.isclose(tn.tensor(A), tn.tensor(b)).tolist() == torch.isclose(torch.tensor(A), torch.tensor(b)).tolist()
    assert tn.tensor(A).isclose(tn.tensor(b), atol=0.1).tolist() == torch.tensor(A).isclose(torch.tensor(b), atol=0.1).tolist()
    assert tn.allclose(tn.tensor(A), tn.tensor(b)) is torch.allclose(torch.tensor(A), torch.tensor(b)) is False
    assert tn.equal(tn.tensor(A), tn.tensor(A.copy())) and not tn.equal(tn.tensor(A), tn.tensor(b))


def test_equal_and_allclose_accept_state_dict_values():
    m = tn.nn.Linear(2, 3)
    state = m.state_dict()
    assert all(tn.equal(state[k], v) for k, v in m.state_dict().items())
    assert tn.allclose(state["weight"], m.weight) and not tn.equal(state["weight"], m.weight + 1)


@pytest.mark.parametrize("shape,wrap", [((3, 3), False), ((5, 3), False), ((7, 3), True), ((2, 4), False), ((3, 3, 3), False)])
def test_fill_diagonal_matches_torch(torch, shape, wrap):
    data = rng.standard_normal(shape)
    ours, theirs = tn.tensor(data), torch.tensor(data)
    assert ours.fill_diagonal_(-2.5, wrap=wrap) is ours
    theirs.fill_diagonal_(-2.5, wrap=wrap)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_fill_diagonal_in_the_graph_has_torch_gradient(torch):
    compare_with_torch(lambda lib, a: (a * 2).fill_diagonal_(1.0), A)
    a = tn.tensor(A, dtype=tn.float64, requires_grad=True)
    assert tn.gradcheck(lambda x: x.exp().fill_diagonal_(0.0) * x, [a])
    with pytest.raises(RuntimeError, match="fill_diagonal_"):
        tn.ones(2, 3, 4).fill_diagonal_(0.0)


@pytest.mark.parametrize("dtype", ["bool", "int64", "float32", "float64"])
def test_tril_triu_keep_dtype_as_torch(torch, dtype):
    data = (rng.standard_normal((4, 5)) * 3).astype(dtype)
    for name in ("tril", "triu"):
        for d in (-1, 0, 2):
            ours, theirs = getattr(tn, name)(tn.tensor(data), d), getattr(torch, name)(torch.tensor(data), d)
            assert ours.dtype.name == str(theirs.dtype).replace("torch.", ""), (name, dtype)
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_data_ptr_tells_shared_memory(torch):
    x = tn.zeros(4)
    assert x.data_ptr() == x.data.data_ptr() == x.detach().data_ptr() == x.view(2, 2).data_ptr()
    assert x.clone().data_ptr() != x.data_ptr()


def test_ctx_needs_input_grad_has_one_flag_per_argument(torch):
    def make(lib):
        class Scale(lib.autograd.Function):
            seen = []

            @staticmethod
            def forward(ctx, a, factor, b):
                ctx.factor = factor
                return a * factor + b

            @staticmethod
            def backward(ctx, grad):
                Scale.seen.append(tuple(ctx.needs_input_grad))
                return grad * ctx.factor, None, grad
        return Scale

    for lib in (tn, torch):
        Scale = make(lib)
        a = lib.ones(2, requires_grad=True)
        b = lib.ones(2)
        Scale.apply(a, 3.0, b).sum().backward()
        assert Scale.seen == [(True, False, False)], lib.__name__
        assert a.grad.tolist() == [3.0, 3.0]


def test_autograd_gradcheck_as_torch(torch):
    x = tn.tensor(A, dtype=tn.float64, requires_grad=True)
    assert tn.autograd.gradcheck(lambda t: (t.tanh() * t).sum(), (x,)) is True
    assert torch.autograd.gradcheck(lambda t: (t.tanh() * t).sum(), (torch.tensor(A, requires_grad=True),)) is True

    class Wrong(tn.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t * t

        @staticmethod
        def backward(ctx, grad):
            return grad  # should be 2 t grad

    assert tn.autograd.gradcheck(Wrong.apply, (x,), raise_exception=False) is False
    with pytest.raises(tn.GradcheckError):
        tn.autograd.gradcheck(Wrong.apply, (x,))


def test_device_queries_answer_like_torch_on_a_cpu_machine(torch):
    assert tn.backends.mps.is_available() is False
    assert tn.cuda.is_available() is tn.backend.cuda_available()
    if not torch.cuda.is_available() and not tn.cuda.is_available():
        assert tn.cuda.device_count() == torch.cuda.device_count() == 0
        assert tn.accelerator.is_available() is False
        assert tn.accelerator.current_accelerator() is None
    tn.cuda.manual_seed(3)
    a = tn.randn(3)
    tn.manual_seed(3)
    assert tn.equal(a, tn.randn(3)), "tn.cuda.manual_seed seeds tinynn's one generator"
    tn.backends.cudnn.deterministic = True  # accepted, as programs set it


def test_utils_data_is_tinynn_data():
    import tinynn.data

    assert tn.utils.data is tinynn.data
