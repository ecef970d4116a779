"""tinynn/ops/more.py and more_primitives.py (issue 12, tests/programs/more_ops.py): every op
against PyTorch (values, dtypes, gradients: tinynn.testing.compare_with_torch), every
primitive (and the compositions) through tn.gradcheck in float64, and PyTorch's errors."""
import math

import numpy as np
import pytest

import tinynn as tn
import tinynn.functional as F
from tinynn import backend, ops
from tinynn.testing import compare_with_torch

rng = np.random.default_rng(0)
A = rng.standard_normal((3, 4))
B3 = rng.standard_normal((2, 3, 4))
TIES = np.array([[1.0, 3.0, 3.0, 2.0, 1.0], [0.0, 0.0, 5.0, -1.0, 5.0]])
STEPS = np.array([0.3, -1.2, 2.7, 1.6, -0.4, 3.9])  # away from the jumps of floor/ceil/trunc/round


def nnf(lib):
    """torch.nn.functional or tinynn.functional (tinynn.nn.functional exists only under tinynn.compat)."""
    return F if lib is tn else lib.nn.functional


def f64(a, grad=True):
    return tn.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def check(fn, *arrays):
    """tn.gradcheck of fn on float64 copies of the float arrays (integer arrays stay constants)."""
    inputs = [f64(a) if np.asarray(a).dtype.kind == "f" else tn.tensor(a) for a in arrays]
    assert tn.gradcheck(fn, inputs)


# -- sort, argsort, topk ---------------------------------------------------------------------
@pytest.mark.parametrize("data,dim", [(A, -1), (A, 0), (B3, 1), (TIES, 1), (TIES, 0), (A[0], 0)])
@pytest.mark.parametrize("descending", [False, True])
def test_sort_and_argsort_match_torch(torch, data, dim, descending):
    compare_with_torch(lambda lib, x: lib.sort(x, dim=dim, descending=descending, stable=True), data)
    compare_with_torch(lambda lib, x: x.sort(dim=dim, descending=descending, stable=True), data)
    compare_with_torch(lambda lib, x: lib.argsort(x, dim=dim, descending=descending, stable=True), data)


def test_sort_returns_values_indices_and_puts_nan_last_or_first(torch):
    data = np.array([1.0, np.nan, 0.0, np.nan, 2.0])
    for descending in (False, True):
        ours = tn.sort(tn.tensor(data), descending=descending)
        theirs = torch.sort(torch.tensor(data), descending=descending)
        assert ours.indices.tolist() == theirs.indices.tolist() and ours.indices.dtype == tn.int64
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
    s = tn.sort(tn.tensor(3.0))
    assert s.values.item() == 3.0 and s.indices.item() == 0 and s.indices.shape == ()


@pytest.mark.parametrize("data,k,dim", [(A, 2, 1), (A, 3, 0), (B3, 1, -1), (A, 4, 1), (A, 0, 1)])
@pytest.mark.parametrize("largest", [True, False])
def test_topk_matches_torch(torch, data, k, dim, largest):
    compare_with_torch(lambda lib, x: lib.topk(x, k, dim=dim, largest=largest), data)
    compare_with_torch(lambda lib, x: x.topk(k, dim, largest), data)


@pytest.mark.parametrize("largest", [True, False])
def test_topk_with_ties_gives_torchs_values_and_valid_indices(torch, largest):
    # PyTorch does not promise which of equal elements topk picks: values must match, indices point at them
    for k in (2, 5):
        ours, theirs = tn.topk(tn.tensor(TIES), k, largest=largest), torch.topk(torch.tensor(TIES), k, largest=largest)
        assert ours.values.tolist() == theirs.values.tolist()
        assert np.take_along_axis(TIES, ours.indices.numpy(), 1).tolist() == ours.values.tolist()
        assert all(len(set(row)) == k for row in ours.indices.tolist())


def test_sort_and_topk_gradients_flow_through_gather():
    check(lambda x: tn.sort(x, dim=1, descending=True).values * tn.arange(4.0, dtype=tn.float64), A)
    check(lambda x: x.topk(2, dim=0).values, A)
    v = tn.topk(tn.tensor([1.0, 3.0, 2.0], requires_grad=True), 2)
    assert type(v).__name__ == "ValuesIndices" and v.values.requires_grad  # the type max(dim) returns


def test_topk_and_sort_errors_as_torch():
    with pytest.raises(RuntimeError, match="out of range"):
        tn.topk(tn.ones(2), 3)
    for op in (lambda: tn.sort(tn.ones(2), dim=2), lambda: tn.topk(tn.ones(2, 2), 1, dim=-3),
               lambda: tn.argsort(tn.ones(2), dim=1)):
        with pytest.raises(IndexError, match="Dimension out of range"):
            op()


# -- flip, roll --------------------------------------------------------------------------------
@pytest.mark.parametrize("dims", [[0], [1], [0, 1], [-1], [0, 2]])
def test_flip_matches_torch(torch, dims):
    compare_with_torch(lambda lib, x: lib.flip(x, dims=dims), B3)
    compare_with_torch(lambda lib, x: x.flip(*dims), B3)


def test_flip_is_a_copy_and_refuses_repeated_dims():
    x = tn.tensor([1.0, 2.0])
    y = x.flip(0)
    y += 10
    assert x.tolist() == [1.0, 2.0]  # torch.flip returns a new tensor, not a view
    with pytest.raises(RuntimeError, match="more than once"):
        tn.flip(tn.ones(2, 2), (0, 0))
    with pytest.raises(IndexError, match="Dimension out of range"):
        tn.flip(tn.ones(2), [1])


@pytest.mark.parametrize("shifts,dims", [(1, None), (-7, None), (1, 1), (2, 0), ((1, -2), (0, 2)), (5, -1)])
def test_roll_matches_torch(torch, shifts, dims):
    compare_with_torch(lambda lib, x: lib.roll(x, shifts, dims), B3)
    compare_with_torch(lambda lib, x: x.roll(shifts, dims=dims), B3)


def test_roll_errors_as_torch():
    with pytest.raises(RuntimeError, match="shifts and dimensions must align"):
        tn.roll(tn.ones(2, 2), (1, 2), 0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        tn.roll(tn.ones(2, 2), 1, 2)


def test_flip_roll_gradcheck():
    check(lambda x: tn.flip(x, [0, 2]), B3)
    check(lambda x: tn.roll(x, (1, -1), (1, 2)), B3)
    check(lambda x: x.roll(3), B3)


# -- diag, outer -------------------------------------------------------------------------------
@pytest.mark.parametrize("k", [-2, -1, 0, 1, 3])
def test_diag_matches_torch(torch, k):
    compare_with_torch(lambda lib, x: lib.diag(x, k), A[0])
    compare_with_torch(lambda lib, x: lib.diag(x, k), A)
    compare_with_torch(lambda lib, x: x.diag(k), A.T)


def test_diag_gradcheck_and_errors():
    check(lambda v: tn.diag(v, 1), A[0])
    check(lambda m: tn.diag(m, -1), A)
    with pytest.raises(RuntimeError, match="Supports 1D or 2D"):
        tn.diag(tn.ones(2, 2, 2))
    assert tn.diag(tn.tensor([1, 2])).dtype == tn.int64


def test_outer_matches_torch(torch):
    compare_with_torch(lambda lib, a, b: lib.outer(a, b), A[0], A[1, :3])
    compare_with_torch(lambda lib, a, b: a.outer(b), np.array([1, 2]), A[0])  # int64 x float64 -> float64
    check(lambda a, b: tn.outer(a, b), A[0], A[1])
    with pytest.raises(RuntimeError, match="Expected 1-D argument self"):
        tn.outer(tn.ones(2, 2), tn.ones(2))


# -- einsum ------------------------------------------------------------------------------------
EINSUM = [
    ("ij,jk->ik", [(3, 4), (4, 2)]), ("ij,kj->ik", [(3, 4), (2, 4)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]),
    ("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("ij->", [(3, 4)]), ("ij", [(3, 4)]), ("ji", [(3, 4)]),
    ("i,i->", [(4,), (4,)]), ("i,j->ij", [(3,), (2,)]), ("...ij,...jk->...ik", [(2, 3, 4), (4, 5)]),
    ("ij,j->i", [(3, 4), (1,)]), ("iij->j", [(2, 2, 3)]), ("ijk->kji", [(2, 3, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]), ("bhqd,bhkd->bhqk", [(1, 2, 3, 4), (1, 2, 5, 4)]),
    ("i j , j k", [(2, 3), (3, 2)]), ("b...,b->...", [(2, 3, 2), (2,)]), ("ij->j", [(3, 4)]),
]


@pytest.mark.parametrize("equation,shapes", EINSUM)
def test_einsum_matches_torch_and_gradcheck(torch, equation, shapes):
    arrays = [rng.standard_normal(s) for s in shapes]
    compare_with_torch(lambda lib, *xs: lib.einsum(equation, *xs), *arrays, atol=1e-10)
    compare_with_torch(lambda lib, *xs: lib.einsum(equation, list(xs)), *arrays, atol=1e-10)
    check(lambda *xs: tn.einsum(equation, *xs), *arrays)


def test_einsum_errors_and_integers(torch):
    with pytest.raises(RuntimeError, match="dtypes"):
        tn.einsum("i,i->", tn.ones(2), tn.ones(2, dtype=tn.float64))
    with pytest.raises(RuntimeError, match="operands"):
        tn.einsum("ij,jk->ik", tn.ones(2, 2))
    with pytest.raises(RuntimeError, match="subscripts"):
        tn.einsum("ijk->i", tn.ones(2, 2))
    ints = np.arange(6).reshape(2, 3)
    ours = tn.einsum("ij,kj->ik", tn.tensor(ints), tn.tensor(ints))
    theirs = torch.einsum("ij,kj->ik", torch.tensor(ints), torch.tensor(ints))
    assert ours.dtype == tn.int64 and ours.tolist() == theirs.tolist()


# -- norms -------------------------------------------------------------------------------------
NORMS = [
    lambda lib, x: lib.norm(x), lambda lib, x: x.norm(dim=1), lambda lib, x: x.norm(dim=(0, 1)),
    lambda lib, x: x.norm(dim=-1, keepdim=True), lambda lib, x: lib.norm(x, p=1), lambda lib, x: x.norm(p=3, dim=0),
    lambda lib, x: x.norm(p=math.inf, dim=1), lambda lib, x: x.norm(p=-math.inf), lambda lib, x: x.norm(p=0.5, dim=1),
    lambda lib, x: x.norm(p="fro", dim=(1, 2)), lambda lib, x: x.norm(p=2, keepdim=True),
    lambda lib, x: lib.linalg.norm(x), lambda lib, x: lib.linalg.norm(x, dim=2),
    lambda lib, x: lib.linalg.norm(x, ord=math.inf, dim=(1, 2)), lambda lib, x: lib.linalg.norm(x[0], ord=1),
    lambda lib, x: lib.linalg.norm(x[0, 0], ord=3), lambda lib, x: lib.linalg.norm(x[0], ord=-math.inf),
    lambda lib, x: lib.linalg.vector_norm(x, ord=1.5, dim=(0, 2), keepdim=True),
    lambda lib, x: lib.linalg.vector_norm(x), lambda lib, x: lib.linalg.vector_norm(x, ord=0, dim=1),
    lambda lib, x: lib.linalg.matrix_norm(x), lambda lib, x: lib.linalg.matrix_norm(x, ord=1, keepdim=True),
    lambda lib, x: lib.linalg.matrix_norm(x, ord=-1),
    lambda lib, x: lib.linalg.matrix_norm(x, ord=-math.inf, dim=(2, 0)),
    lambda lib, x: lib.linalg.matrix_norm(x, ord=math.inf, dim=(0, 1)),
]


@pytest.mark.parametrize("fn", NORMS)
def test_norms_match_torch(torch, fn):
    data = B3.copy()
    data[0, 0, 0] = 0.0  # a zero element (p < 1 has an infinite slope there; PyTorch takes 0)
    compare_with_torch(fn, data)
    compare_with_torch(fn, data, dtype="float32", atol=1e-5)


def test_negative_ord_norm_matches_torch(torch):
    for data in (A, np.array([[0.0, 2.0, 1.0], [3.0, -1.0, 0.5]])):  # a zero element: that norm is 0
        compare_with_torch(lambda lib, x: lib.linalg.vector_norm(x, ord=-1.5, dim=1), data)
        compare_with_torch(lambda lib, x: lib.linalg.vector_norm(x, ord=-1), data)
    check(lambda x: tn.linalg.vector_norm(x, -2, dim=0), A)


@pytest.mark.parametrize("p", [2, 1, 3, 0.5])
def test_norm_of_zero_has_gradient_zero_as_torch(torch, p):
    compare_with_torch(lambda lib, x: lib.norm(x, p=p), np.zeros(3))
    compare_with_torch(lambda lib, x: x.norm(p=p, dim=1), np.array([[0.0, 0.0], [3.0, -4.0]]))


def test_norm_gradcheck_and_errors():
    for fn in (lambda x: x.norm(), lambda x: x.norm(p=3, dim=1), lambda x: tn.linalg.matrix_norm(x, 1),
               lambda x: tn.linalg.norm(x, ord=math.inf, dim=(0, 1)), lambda x: tn.linalg.vector_norm(x, 0.7)):
        check(fn, A)
    with pytest.raises(RuntimeError, match="floating point"):
        tn.norm(tn.tensor([1, 2]))
    with pytest.raises(NotImplementedError, match="SVD"):
        tn.linalg.matrix_norm(tn.ones(2, 2), "nuc")
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        tn.linalg.matrix_norm(tn.ones(2))
    with pytest.raises(IndexError, match="Dimension out of range"):
        tn.norm(tn.ones(2), dim=1)
    assert tn.norm(tn.tensor([3, 4]), dtype=tn.float64).item() == 5.0


def test_normalize_matches_torch(torch):
    compare_with_torch(lambda lib, x: nnf(lib).normalize(x, dim=1), A)
    compare_with_torch(lambda lib, x: nnf(lib).normalize(x, p=1, dim=0), A)


# -- rounding ----------------------------------------------------------------------------------
HALVES = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 1.2, -1.7, 3.999, 1234.5678])


@pytest.mark.parametrize("name", ["floor", "ceil", "round", "trunc"])
def test_rounding_matches_torch_with_zero_gradient(torch, name):
    compare_with_torch(lambda lib, x: getattr(lib, name)(x) * x, HALVES)  # gradient = the rounded value
    compare_with_torch(lambda lib, x: getattr(x, name)(), HALVES)
    compare_with_torch(lambda lib, x: getattr(lib, name)(x), HALVES.astype(np.float32), dtype="float32")
    ints = tn.tensor([1, -2])
    assert getattr(tn, name)(ints).dtype == tn.int64 and getattr(tn, name)(ints).tolist() == [1, -2]
    check(lambda x: getattr(tn, name)(x) * 3 + x, STEPS)  # d/dx = 0 + 1


@pytest.mark.parametrize("decimals", [-2, -1, 1, 2])
def test_round_decimals_matches_torch(torch, decimals):
    compare_with_torch(lambda lib, x: lib.round(x, decimals=decimals), HALVES)
    compare_with_torch(lambda lib, x: x.round(decimals=decimals), HALVES.astype(np.float32), dtype="float32")


def test_rounding_in_place(torch):
    ours, theirs = tn.tensor(HALVES), torch.tensor(HALVES)
    ours.floor_(), theirs.floor_()
    assert ours.tolist() == theirs.tolist()


# -- unique, bincount, isnan -------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [{}, {"return_inverse": True}, {"return_counts": True},
                                    {"return_inverse": True, "return_counts": True},
                                    {"dim": 0, "return_inverse": True, "return_counts": True}])
def test_unique_matches_torch(torch, kwargs):
    data = np.array([[3, 1, 3], [3, 1, 3], [0, 2, 1]])
    ours, theirs = tn.unique(tn.tensor(data), **kwargs), torch.unique(torch.tensor(data), **kwargs)
    ours, theirs = (ours, theirs) if isinstance(theirs, tuple) else ((ours,), (theirs,))
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        assert o.tolist() == t.tolist() and str(o.dtype) == str(t.dtype).replace("torch.", "")
    assert tn.tensor([2.0, 1.0, 2.0]).unique().tolist() == [1.0, 2.0]


def test_bincount_matches_torch(torch):
    x = np.array([0, 2, 2, 3, 7])
    for kwargs in ({}, {"minlength": 10}, {"minlength": 2}):
        assert tn.bincount(tn.tensor(x), **kwargs).tolist() == torch.bincount(torch.tensor(x), **kwargs).tolist()
    for w in (rng.standard_normal(5), rng.standard_normal(5).astype(np.float32), np.arange(5)):
        ours, theirs = tn.tensor(x).bincount(tn.tensor(w)), torch.tensor(x).bincount(torch.tensor(w))
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    assert tn.bincount(tn.tensor([], dtype=tn.int64)).tolist() == [] and tn.bincount(tn.tensor([1])).dtype == tn.int64
    for bad in (tn.tensor([-1]), tn.tensor([[1]]), tn.tensor([1.0])):
        with pytest.raises(RuntimeError, match="1-d non-negative integral"):
            tn.bincount(bad)


def test_nan_inf_finite_match_torch(torch):
    data = np.array([1.0, np.nan, np.inf, -np.inf, 0.0])
    for name in ("isnan", "isinf", "isfinite"):
        ours, theirs = getattr(tn, name)(tn.tensor(data)), getattr(torch, name)(torch.tensor(data))
        assert ours.dtype == tn.bool and ours.tolist() == theirs.tolist()
        assert getattr(tn.tensor(data), name)().tolist() == theirs.tolist()
        assert getattr(tn, name)(tn.tensor([1, 2])).tolist() == getattr(torch, name)(torch.tensor([1, 2])).tolist()
        assert not getattr(tn, name)(f64(data)).requires_grad


# -- cumprod -----------------------------------------------------------------------------------
CUMPROD = [A, np.array([2.0, 0.0, 3.0, 4.0]), np.array([0.0, 2.0, 0.0, 5.0]),  # one zero, two zeros
           np.array([[1.5, 2.0, 0.0], [0.0, 0.0, 3.0]])]


@pytest.mark.parametrize("data", CUMPROD)
@pytest.mark.parametrize("dim", [0, -1])
def test_cumprod_matches_torch_and_gradcheck_with_zeros(torch, data, dim):
    compare_with_torch(lambda lib, x: lib.cumprod(x, dim=dim), data)
    compare_with_torch(lambda lib, x: x.cumprod(dim), data)
    check(lambda x: tn.cumprod(x, dim), data)


def test_cumprod_integers_and_dtype(torch):
    for dt in (np.int32, np.int64):
        data = np.array([1, 2, 3], dt)
        ours, theirs = tn.cumprod(tn.tensor(data), 0), torch.cumprod(torch.tensor(data), 0)
        assert ours.tolist() == theirs.tolist() and ours.dtype == tn.int64 == np.dtype(str(theirs.dtype)[6:])
    assert tn.cumprod(tn.tensor([1, 2]), 0, dtype=tn.float64).dtype == tn.float64
    with pytest.raises(IndexError, match="Dimension out of range"):
        tn.cumprod(tn.ones(2), 1)


# -- scatter, scatter_add, index_add -----------------------------------------------------------
IDX = np.array([[0, 2], [1, 0], [3, 1]])  # rows of a (3, 4) target, unique within each row


@pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter")
def test_scatter_matches_torch(torch):
    src = rng.standard_normal((3, 3))  # larger than the index: only its (3, 2) corner is read
    compare_with_torch(lambda lib, x, i, s: lib.scatter(x, 1, i, s), A, IDX, src, requires_grad=False)
    compare_with_torch(lambda lib, x, i, s: lib.scatter(x, 1, i, s), A, IDX, src[:, :2])
    compare_with_torch(lambda lib, x, i, s: x.scatter(1, i, s), A, IDX, src[:, :2])
    compare_with_torch(lambda lib, x, i: lib.scatter(x, 1, i, 2.5), A, IDX)
    compare_with_torch(lambda lib, x, i: x.scatter(1, i, value=-1.0), A, IDX)
    compare_with_torch(lambda lib, x, i, s: x.scatter(0, i, s), A, np.array([[2, 0, 1, 0]]),
                       rng.standard_normal((1, 4)))
    compare_with_torch(lambda lib, x, i, s: lib.scatter(x, 1, i, s, reduce="add"), A, IDX, src[:, :2],
                       requires_grad=False)  # PyTorch has no derivative for reduce=


def test_scatter_add_matches_torch_and_repeats_add_up(torch):
    repeated = np.array([[0, 0, 2], [1, 1, 1], [3, 0, 3]])
    for index in (IDX, repeated):
        src = rng.standard_normal(index.shape)
        compare_with_torch(lambda lib, x, i, s: lib.scatter_add(x, 1, i, s), A, index, src)
        compare_with_torch(lambda lib, x, i, s: x.scatter_add(1, i, s), A, index, src)
    compare_with_torch(lambda lib, x, i, s: x.scatter_add(0, i, s), A, np.array([[2, 2, 1, 0], [2, 0, 0, 0]]),
                       rng.standard_normal((2, 4)))
    compare_with_torch(lambda lib, x, i, s: x.scatter_add(1, i, s), A, IDX, rng.standard_normal((3, 4)),
                       requires_grad=False)  # src larger than the index (PyTorch's backward refuses that shape)
    check(lambda x, s: tn.scatter_add(x, 1, tn.tensor(IDX), s), A, rng.standard_normal((3, 4)))


@pytest.mark.parametrize("alpha", [1, -0.5])
def test_index_add_matches_torch(torch, alpha):
    compare_with_torch(lambda lib, x, i, s: lib.index_add(x, 0, i, s, alpha=alpha), A, np.array([2, 0, 2]),
                       rng.standard_normal((3, 4)))
    compare_with_torch(lambda lib, x, i, s: x.index_add(1, i, s, alpha=alpha), A, np.array([3, 3]),
                       rng.standard_normal((3, 2)))
    compare_with_torch(lambda lib, x, i, s: x.index_add(1, i, s), A, np.array([1], dtype=np.int32),
                       rng.standard_normal((3, 1)))


def test_scatter_family_gradcheck():
    check(lambda x, s: tn.scatter(x, 1, tn.tensor(IDX), s), A, rng.standard_normal((3, 3)))
    check(lambda x, s: tn.scatter_add(x, 1, tn.tensor([[0, 0, 2], [1, 1, 1], [3, 0, 3]]), s), A,
          rng.standard_normal((3, 4)))
    check(lambda x, s: tn.index_add(x, 0, tn.tensor([2, 0, 2]), s, alpha=0.3), A, rng.standard_normal((3, 4)))


def test_in_place_scatter_family_match_torch(torch):
    for name, args in (("scatter_", (1, IDX, 1.0)), ("scatter_add_", (1, IDX, A[:, :2])),
                       ("index_add_", (0, np.array([0, 0, 2]), A))):
        ours, theirs = tn.zeros(3, 4, dtype=tn.float64), torch.zeros(3, 4, dtype=torch.float64)
        out = getattr(ours, name)(*[tn.tensor(a) if isinstance(a, np.ndarray) else a for a in args])
        getattr(theirs, name)(*[torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args])
        assert out is ours
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), err_msg=name)


def test_in_place_scatter_in_the_graph_matches_torch(torch):
    def fn(lib, a, b):
        y = a * 2
        y.scatter_(1, (torch if lib is torch else tn).tensor(IDX), b)
        return y.index_add_(0, (torch if lib is torch else tn).tensor([1, 1, 0]), a * a)
    compare_with_torch(fn, A, rng.standard_normal((3, 2)))
    with pytest.raises(RuntimeError, match="leaf"):
        f64(A).scatter_(1, tn.tensor(IDX), 0.0)


def test_scatter_errors_as_torch():
    x = tn.zeros(3, 4)
    with pytest.raises(RuntimeError, match="out of bounds"):
        x.scatter_(1, tn.tensor([[4]]), 1.0)
    with pytest.raises(RuntimeError, match="out of bounds"):
        x.scatter(1, tn.tensor([[-1]]), 1.0)  # no wrap-around
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        x.scatter(1, tn.tensor([0]), 1.0)
    with pytest.raises(RuntimeError, match="dtype"):
        x.scatter_add(1, tn.tensor([[0]]), tn.ones(1, 1, dtype=tn.float64))
    with pytest.raises(RuntimeError, match="integer"):
        x.scatter(1, tn.tensor([[0.0]]), 1.0)
    with pytest.raises(IndexError, match="out of range"):
        x.index_add_(0, tn.tensor([3]), tn.ones(1, 4))
    with pytest.raises(RuntimeError, match="source"):
        x.index_add_(0, tn.tensor([0, 1]), tn.ones(1, 4))
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.scatter_(2, tn.tensor([[0]]), 1.0)
    assert x.tolist() == tn.zeros(3, 4).tolist()  # nothing was written by the refused calls


# -- pad ---------------------------------------------------------------------------------------
PADS = [
    ((1, 2), "constant", None), ((1, 1, 2, 0), "constant", 0.5), ((0, 0, 0, 0, 1, 1), "constant", -1.0),
    ((-1, 2), "constant", None), ((-1, -1), "constant", None), ((2, 1), "reflect", None),
    ((1, 2, 2, 1), "reflect", None),
    ((3, 0), "replicate", None), ((1, 2, 0, 1), "replicate", None), ((2, 3), "circular", None),
    ((1, 1, 1, 2), "circular", None), ((-1, 2), "replicate", None), ((1, 1, 1, 1, 1, 1), "replicate", None),
]


@pytest.mark.parametrize("amounts,mode,value", PADS)
def test_pad_matches_torch(torch, amounts, mode, value):
    data = rng.standard_normal((2, 3, 4, 5)) if len(amounts) == 6 else B3
    compare_with_torch(lambda lib, x: nnf(lib).pad(x, amounts, mode=mode, value=value), data)
    check(lambda x: F.pad(x, amounts, mode=mode, value=value), data)


def test_pad_integers_and_errors(torch):
    ints = np.arange(3).reshape(1, 3)
    expected = torch.nn.functional.pad(torch.tensor(ints), (1, 1), value=2.7)
    assert F.pad(tn.tensor(ints), (1, 1), value=2.7).tolist() == expected.tolist()
    assert not hasattr(tn, "pad") and not hasattr(torch, "pad")  # nn.functional only, as PyTorch
    for bad, error, match in [((1,), RuntimeError, "divisible by 2"), ((1, 1, 1, 1, 1, 1), RuntimeError, "two times"),
                              ((1, 1), NotImplementedError, "Unrecognised")]:
        with pytest.raises(error, match=match):
            F.pad(tn.ones(2, 2), bad, mode="foo" if match == "Unrecognised" else "constant")
    with pytest.raises(NotImplementedError, match="non-constant"):
        F.pad(tn.ones(3), (1, 1), mode="reflect")
    with pytest.raises(RuntimeError, match="less than the corresponding input dimension"):
        F.pad(tn.ones(1, 3), (3, 3), mode="reflect")
    with pytest.raises(RuntimeError, match="wrapping around more than once"):
        F.pad(tn.ones(1, 1, 4), (5, 0), mode="circular")
    with pytest.raises(RuntimeError, match="doesn't take in value"):
        F.pad(tn.ones(1, 2, 2), (1, 1), mode="reflect", value=1.0)
    x = tn.ones(2, 2)
    F.pad(x, (-1, -1 + 1))[0, 0] = 5.0  # a crop is a new tensor (not a view), as PyTorch's
    assert x.tolist() == [[1.0, 1.0], [1.0, 1.0]]


# -- constructors and conversions --------------------------------------------------------------
def test_new_constructors_type_as_element_size_match_torch(torch):
    for dt in ("float64", "int64", "float32"):
        ours, theirs = tn.zeros(2, dtype=dt), torch.zeros(2, dtype=getattr(torch, dt))
        cases = [(ours.new_zeros(2, 3), theirs.new_zeros(2, 3)), (ours.new_ones((1, 2)), theirs.new_ones((1, 2))),
                 (ours.new_empty(3).zero_(), theirs.new_empty(3).zero_()),
                 (ours.new_full((2,), 3.5), theirs.new_full((2,), 3.5)),
                 (ours.new_tensor([1, 2]), theirs.new_tensor([1, 2])),
                 (ours.new_zeros(2, dtype=tn.bool), theirs.new_zeros(2, dtype=torch.bool)),
                 (tn.tensor([1, 2]).type_as(ours), torch.tensor([1, 2]).type_as(theirs))]
        for o, t in cases:
            assert o.tolist() == t.tolist() and str(o.dtype) == str(t.dtype).replace("torch.", ""), (dt, o, t)
        assert ours.element_size() == theirs.element_size()
    assert tn.ones(1).new_ones(2, requires_grad=True).requires_grad
    a = f64(A)
    a.type_as(tn.zeros(1)).sum().backward()  # in the graph: the gradient comes back in float64
    assert a.grad.dtype == tn.float64 and a.grad.tolist() == np.ones_like(A).tolist()


# -- the registry: one definition each, where PyTorch has the name -------------------------------
def test_new_names_are_registered_where_torch_has_them(torch):
    top = ["topk", "sort", "argsort", "flip", "roll", "diag", "outer", "einsum", "norm", "floor", "ceil", "round",
           "trunc", "unique", "bincount", "cumprod", "isnan", "isinf", "isfinite", "scatter", "scatter_add",
           "index_add"]
    for name in top:
        assert getattr(tn, name) is ops.FUNCTIONS[name] is getattr(F, name) and hasattr(torch, name), name
    methods = top[:] + ["scatter_", "scatter_add_", "index_add_", "floor_", "ceil_", "round_", "trunc_", "cumprod_",
                        "new_zeros", "new_ones", "new_full", "new_empty", "new_tensor", "type_as", "element_size"]
    methods.remove("einsum")
    for name in methods:
        assert callable(getattr(tn.Tensor, name)) and hasattr(torch.Tensor, name), name
    for name in ("norm", "vector_norm", "matrix_norm"):
        assert callable(getattr(tn.linalg, name)) and hasattr(torch.linalg, name)
    assert callable(F.pad) and callable(F.normalize)


def test_ops_run_on_every_device(device):
    """The same values and gradients on cpu, the strict CuPy-like device and cuda (where present)."""
    idx = np.array([[0], [1], [2]])

    def run(dev):
        x = tn.tensor(A, requires_grad=True, device=dev)
        i = tn.tensor(idx, device=dev)
        y = (x.sort(dim=1, descending=True).values.sum() + x.topk(2).values.sum() + x.flip(0)[0].sum()
             + (x.roll(1, 1) * x).sum() + tn.diag(x).sum() + tn.outer(x[0], x[1]).sum()
             + tn.einsum("ij,kj->ik", x, x).sum() + x.norm(p=3, dim=1).sum() + tn.linalg.matrix_norm(x, 1)
             + (x.round() * x).sum() + x.cumprod(1).sum() + x.scatter(1, i, 1.0).sum()
             + x.scatter_add(1, i, x[:, :1]).sum() + x.index_add(0, tn.tensor([0, 0, 1], device=dev), x).sum()
             + F.pad(x, (1, 2), value=0.5).sum() + F.pad(x[None], (1, 1), mode="reflect").sum())
        y.backward()
        return backend.to_host(y._data), backend.to_host(x.grad._data)

    (value, grad), (expected_value, expected_grad) = run(device), run("cpu")
    np.testing.assert_allclose(value, expected_value, rtol=1e-5)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-5, atol=1e-6)
