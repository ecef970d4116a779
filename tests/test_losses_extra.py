"""Losses against torch.nn.functional and torch.nn for every argument combination: values
and gradients (input, and target where PyTorch differentiates it), on cpu and strict;
gradchecked in float64; the fused plain cross-entropy equals its composition."""
import itertools

import numpy as np
import pytest

import tinynn as tn
import tinynn.functional as F
from tinynn import nn
from tinynn.ops import losses_extra
from tests._oracle import compare, host

REDUCTIONS = ["mean", "sum", "none"]


def _t(torch, a):
    return None if a is None else torch.tensor(a)


def _o(a, device):
    return None if a is None else tn.Tensor(tn.backend.to_device(np.asarray(a), device))


# -- cross-entropy: every combination -----------------------------------------------------------
CE_GRID = list(itertools.product([None, "w"], [-100, 1], REDUCTIONS, [0.0, 0.2]))


@pytest.mark.parametrize("weight,ignore_index,reduction,smoothing", CE_GRID)
def test_cross_entropy_class_indices_every_combination(torch, device, weight, ignore_index, reduction, smoothing,
                                                       rng):
    z = rng.normal(size=(7, 4)) * 3
    y = rng.integers(0, 4, size=7)
    y[2] = ignore_index if ignore_index != 1 else 1  # an ignored target in the batch
    y[5] = -100
    if ignore_index == 1:
        y[5] = 0
    w = rng.uniform(0.2, 2.0, size=4) if weight else None
    kw = dict(ignore_index=ignore_index, reduction=reduction, label_smoothing=smoothing)
    compare(torch, lambda a: F.cross_entropy(a, _o(y, device), _o(w, device), **kw),
            lambda a: torch.nn.functional.cross_entropy(a, torch.tensor(y), _t(torch, w), **kw), [z], device,
            rtol=1e-10, atol=1e-12)
    module, ref = nn.CrossEntropyLoss(_o(w, device), **kw), torch.nn.CrossEntropyLoss(_t(torch, w), **kw)
    compare(torch, lambda a: module(a, _o(y, device)), lambda a: ref(a, torch.tensor(y)), [z], device, rtol=1e-10,
            atol=1e-12)
    assert list(module.state_dict()) == list(ref.state_dict())


@pytest.mark.parametrize("weight,reduction,smoothing", list(itertools.product([None, "w"], REDUCTIONS, [0.0, 0.3])))
def test_cross_entropy_probability_targets(torch, device, weight, reduction, smoothing, rng):
    z = rng.normal(size=(5, 3))
    p = rng.uniform(size=(5, 3))
    p /= p.sum(1, keepdims=True)
    w = rng.uniform(0.2, 2.0, size=3) if weight else None
    kw = dict(reduction=reduction, label_smoothing=smoothing)
    # the target's gradient too: PyTorch differentiates probability targets
    compare(torch, lambda a, t: F.cross_entropy(a, t, _o(w, device), **kw),
            lambda a, t: torch.nn.functional.cross_entropy(a, t, _t(torch, w), **kw), [z, p], device, rtol=1e-10,
            atol=1e-12)


@pytest.mark.parametrize("shape", [(3, 4, 5), (2, 4, 3, 2), (4,)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_extra_dims_and_unbatched(torch, device, shape, reduction, rng):
    z = rng.normal(size=shape)
    y = rng.integers(0, 4, size=(shape[0],) + shape[2:]) if len(shape) > 1 else np.array(2)
    compare(torch, lambda a: F.cross_entropy(a, _o(y, device), reduction=reduction, label_smoothing=0.1),
            lambda a: torch.nn.functional.cross_entropy(a, torch.tensor(y), reduction=reduction, label_smoothing=0.1),
            [z], device, rtol=1e-10, atol=1e-12)
    compare(torch, lambda a: F.nll_loss(F.log_softmax(a, dim=0 if len(shape) == 1 else 1), _o(y, device),
                                        reduction=reduction),
            lambda a: torch.nn.functional.nll_loss(a.log_softmax(0 if len(shape) == 1 else 1), torch.tensor(y),
                                                   reduction=reduction), [z], device, rtol=1e-10, atol=1e-12)


def test_cross_entropy_float32_and_all_ignored(torch, rng):
    z = rng.normal(size=(6, 5)).astype(np.float32)
    y = rng.integers(0, 5, size=6)
    y[0] = -100
    w = rng.uniform(0.5, 1.5, size=5).astype(np.float32)
    compare(torch, lambda a: F.cross_entropy(a, tn.tensor(y), tn.tensor(w), label_smoothing=0.1),
            lambda a: torch.nn.functional.cross_entropy(a, torch.tensor(y), torch.tensor(w), label_smoothing=0.1),
            [z], dtype="float32", rtol=1e-5, atol=1e-6)
    everything_ignored = F.cross_entropy(tn.tensor(z), tn.tensor([-100] * 6))
    assert np.isnan(everything_ignored.item())  # 0/0, as torch
    assert np.isnan(torch.nn.functional.cross_entropy(torch.tensor(z), torch.tensor([-100] * 6)).item())


def test_fused_plain_cross_entropy_equals_the_composition(device, rng):
    """The fast path (one fused node) and the general composition agree in value and gradient."""
    z = rng.normal(size=(8, 5)) * 4
    y = _o(rng.integers(0, 5, size=8), device)
    for reduction in REDUCTIONS:
        a = tn.Tensor(tn.backend.to_device(z, device), requires_grad=True)
        b = tn.Tensor(tn.backend.to_device(z, device), requires_grad=True)
        fused = F.cross_entropy(a, y, reduction=reduction)
        general = losses_extra.general_cross_entropy(b, y, reduction=reduction)
        assert type(fused.grad_fn).__name__ == "CrossEntropyFunction"
        np.testing.assert_allclose(host(fused), host(general), rtol=1e-12)
        g = tn.Tensor(tn.backend.to_device(rng.normal(size=fused.shape), device))
        fused.backward(g), general.backward(g)
        np.testing.assert_allclose(host(a.grad), host(b.grad), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("combo", [dict(weight=True), dict(ignore_index=0), dict(label_smoothing=0.25),
                                   dict(weight=True, ignore_index=2, label_smoothing=0.1)])
def test_cross_entropy_gradcheck(device, combo, rng):
    z = tn.Tensor(tn.backend.to_device(rng.normal(size=(6, 3)), device), requires_grad=True)
    y = _o(np.array([0, 1, 2, 2, 0, 1]), device)
    w = _o(np.array([0.5, 1.0, 2.0]), device) if combo.pop("weight", False) else None
    assert tn.gradcheck(lambda a: F.cross_entropy(a, y, w, **combo), [z])


def test_cross_entropy_errors():
    z = tn.zeros(3, 4)
    with pytest.raises(IndexError, match="out of range"):
        F.cross_entropy(z, tn.tensor([0, 4, -100]))
    with pytest.raises(IndexError, match="out of range"):
        F.cross_entropy(z, tn.tensor([0, -1, 1]))  # -1 is not the ignore_index
    with pytest.raises(ValueError, match="weight must have one entry per class"):
        F.cross_entropy(z, tn.tensor([0, 1, 2]), weight=tn.ones(3))
    with pytest.raises(ValueError, match="label_smoothing"):
        nn.CrossEntropyLoss(label_smoothing=1.5)
    with pytest.raises(TypeError, match="weight must be a Tensor"):
        nn.CrossEntropyLoss(weight=[1.0, 2.0])


@pytest.mark.parametrize("weight,ignore_index,reduction", list(itertools.product([None, "w"], [-100, 0], REDUCTIONS)))
def test_nll_loss_matches_torch(torch, device, weight, ignore_index, reduction, rng):
    logp = np.log(rng.dirichlet(np.ones(4), size=6))
    y = rng.integers(0, 4, size=6)
    y[1] = ignore_index
    w = rng.uniform(0.2, 2.0, size=4) if weight else None
    kw = dict(ignore_index=ignore_index, reduction=reduction)
    compare(torch, lambda a: F.nll_loss(a, _o(y, device), _o(w, device), **kw),
            lambda a: torch.nn.functional.nll_loss(a, torch.tensor(y), _t(torch, w), **kw), [logp], device,
            rtol=1e-10, atol=1e-12)
    module, ref = nn.NLLLoss(_o(w, device), **kw), torch.nn.NLLLoss(_t(torch, w), **kw)
    compare(torch, lambda a: module(a, _o(y, device)), lambda a: ref(a, torch.tensor(y)), [logp], device,
            rtol=1e-10, atol=1e-12)


# -- BCE with weight and pos_weight ---------------------------------------------------------------
@pytest.mark.parametrize("weight,reduction", list(itertools.product([None, "full", "row"], REDUCTIONS)))
def test_bce_weight_matches_torch(torch, device, weight, reduction, rng):
    p = rng.uniform(0.05, 0.95, size=(4, 3))
    y = (rng.uniform(size=(4, 3)) > 0.5).astype(np.float64)
    w = {None: None, "full": rng.uniform(size=(4, 3)), "row": rng.uniform(size=(3,))}[weight]
    compare(torch, lambda a: F.binary_cross_entropy(a, _o(y, device), _o(w, device), reduction=reduction),
            lambda a: torch.nn.functional.binary_cross_entropy(a, torch.tensor(y), _t(torch, w), reduction=reduction),
            [p], device, rtol=1e-10, atol=1e-12)
    module, ref = nn.BCELoss(_o(w, device), reduction=reduction), torch.nn.BCELoss(_t(torch, w), reduction=reduction)
    compare(torch, lambda a: module(a, _o(y, device)), lambda a: ref(a, torch.tensor(y)), [p], device, rtol=1e-10)
    assert list(module.state_dict()) == list(ref.state_dict())


@pytest.mark.parametrize("weight,pos_weight,reduction",
                         list(itertools.product([None, "row"], [None, "class"], REDUCTIONS)))
def test_bce_with_logits_pos_weight_matches_torch(torch, device, weight, pos_weight, reduction, rng):
    z = np.concatenate([rng.normal(size=(4, 3)) * 3, [[0.0, 40.0, -40.0]]])  # z = 0 and saturated logits
    y = (rng.uniform(size=(5, 3)) > 0.5).astype(np.float64)
    w = rng.uniform(size=(3,)) if weight else None
    pw = np.array([0.5, 2.0, 4.0]) if pos_weight else None
    kw = dict(reduction=reduction)
    compare(torch, lambda a, t: F.binary_cross_entropy_with_logits(a, t, _o(w, device), pos_weight=_o(pw, device),
                                                                   **kw),
            lambda a, t: torch.nn.functional.binary_cross_entropy_with_logits(a, t, _t(torch, w),
                                                                              pos_weight=_t(torch, pw), **kw),
            [z, y], device, rtol=1e-9, atol=1e-12)
    module = nn.BCEWithLogitsLoss(_o(w, device), reduction=reduction, pos_weight=_o(pw, device))
    ref = torch.nn.BCEWithLogitsLoss(_t(torch, w), reduction=reduction, pos_weight=_t(torch, pw))
    assert list(module.state_dict()) == list(ref.state_dict())
    compare(torch, lambda a: module(a, _o(y, device)), lambda a: ref(a, torch.tensor(y)), [z], device, rtol=1e-9,
            atol=1e-12)


def test_bce_with_logits_pos_weight_gradcheck(device, rng):
    z = tn.Tensor(tn.backend.to_device(rng.normal(size=(4, 3)), device), requires_grad=True)
    y = _o((rng.uniform(size=(4, 3)) > 0.5).astype(np.float64), device)
    pw, w = _o(np.array([0.5, 2.0, 3.0]), device), _o(rng.uniform(size=(4, 3)), device)
    assert tn.gradcheck(lambda a: F.binary_cross_entropy_with_logits(a, y, w, pos_weight=pw), [z])


# -- L1, smooth L1, Huber, KL, weighted MSE -----------------------------------------------------
ELEMENTWISE = [
    ("l1", lambda F_, a, t, r: F_.l1_loss(a, t, reduction=r)),
    ("smooth_l1", lambda F_, a, t, r: F_.smooth_l1_loss(a, t, reduction=r)),
    ("smooth_l1_beta", lambda F_, a, t, r: F_.smooth_l1_loss(a, t, reduction=r, beta=0.5)),
    ("smooth_l1_beta0", lambda F_, a, t, r: F_.smooth_l1_loss(a, t, reduction=r, beta=0.0)),
    ("huber", lambda F_, a, t, r: F_.huber_loss(a, t, reduction=r)),
    ("huber_delta", lambda F_, a, t, r: F_.huber_loss(a, t, reduction=r, delta=2.5)),
    ("mse", lambda F_, a, t, r: F_.mse_loss(a, t, reduction=r)),
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,fn", ELEMENTWISE, ids=[e[0] for e in ELEMENTWISE])
def test_regression_losses_match_torch(torch, device, name, fn, reduction, rng):
    a = rng.normal(size=(4, 5)) * 3
    t = a + np.concatenate([rng.normal(size=(3, 5)) * 2, [[0.0, 0.5, -0.5, 1.0, -2.5]]])  # on the seams too
    compare(torch, lambda x, y: fn(F, x, y, reduction), lambda x, y: fn(torch.nn.functional, x, y, reduction),
            [a, t], device, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name,fn", ELEMENTWISE, ids=[e[0] for e in ELEMENTWISE])
def test_regression_losses_gradcheck(device, name, fn, rng):
    a = tn.Tensor(tn.backend.to_device(rng.normal(size=(3, 4)), device), requires_grad=True)
    t = tn.Tensor(tn.backend.to_device(rng.normal(size=(3, 4)) * 2, device), requires_grad=True)
    assert tn.gradcheck(lambda x, y: fn(F, x, y, "mean"), [a, t])


@pytest.mark.parametrize("name", ["l1_loss", "mse_loss", "huber_loss"])
def test_elementwise_weight_matches_torch(torch, name, rng):
    a, t, w = rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.uniform(size=(3, 4))
    for reduction in REDUCTIONS:
        compare(torch, lambda x: getattr(F, name)(x, tn.tensor(t), reduction=reduction, weight=tn.tensor(w)),
                lambda x: getattr(torch.nn.functional, name)(x, torch.tensor(t), reduction=reduction,
                                                             weight=torch.tensor(w)), [a], rtol=1e-10)


@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
def test_kl_div_matches_torch(torch, device, reduction, log_target, rng):
    logq = np.log(rng.dirichlet(np.ones(5), size=4))
    p = rng.dirichlet(np.ones(5), size=4)
    p[0, 1] = 0.0  # 0 · log 0 = 0
    target = np.log(rng.dirichlet(np.ones(5), size=4)) if log_target else p
    kw = dict(reduction=reduction, log_target=log_target)
    # input and (where positive) target gradients, as PyTorch
    arrays = [logq, target] if log_target else [logq]
    ours = (lambda a, t: F.kl_div(a, t, **kw)) if log_target else (lambda a: F.kl_div(a, _o(target, device), **kw))
    theirs = ((lambda a, t: torch.nn.functional.kl_div(a, t, **kw)) if log_target
              else (lambda a: torch.nn.functional.kl_div(a, torch.tensor(target), **kw)))
    compare(torch, ours, theirs, arrays, device, rtol=1e-10, atol=1e-12)
    module, ref = nn.KLDivLoss(**kw), torch.nn.KLDivLoss(**kw)
    compare(torch, lambda a: module(a, _o(target, device)), lambda a: ref(a, torch.tensor(target)), [logq], device,
            rtol=1e-10, atol=1e-12)


def test_kl_div_target_gradient_where_positive(torch, rng):
    logq = np.log(rng.dirichlet(np.ones(4), size=3))
    p = rng.dirichlet(np.ones(4), size=3)
    compare(torch, lambda a, t: F.kl_div(a, t, reduction="batchmean"),
            lambda a, t: torch.nn.functional.kl_div(a, t, reduction="batchmean"), [logq, p], rtol=1e-10)


MODULES = [("L1Loss", {}), ("SmoothL1Loss", {"beta": 0.3}), ("HuberLoss", {"delta": 0.7}), ("MSELoss", {}),
           ("L1Loss", {"reduction": "sum"}), ("HuberLoss", {"reduction": "none"}),
           ("L1Loss", {"size_average": False}), ("MSELoss", {"reduce": False})]


@pytest.mark.parametrize("name,kw", MODULES)
def test_loss_modules_match_torch(torch, device, name, kw, rng):
    a, t = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    ours, theirs = getattr(nn, name)(**kw), getattr(torch.nn, name)(**kw)
    assert ours.reduction == theirs.reduction
    compare(torch, lambda x: ours(x, _o(t, device)), lambda x: theirs(x, torch.tensor(t)), [a], device, rtol=1e-10)


def test_loss_argument_errors():
    with pytest.raises(ValueError, match="reduction"):
        nn.L1Loss(reduction="avg")
    with pytest.raises(ValueError, match="batchmean|reduction"):
        F.l1_loss(tn.zeros(2), tn.zeros(2), reduction="batchmean")
    with pytest.raises(ValueError, match="delta"):
        nn.HuberLoss(delta=0)
    with pytest.raises(ValueError, match="beta"):
        nn.SmoothL1Loss(beta=-1)
    with pytest.raises(ValueError, match="shape"):
        F.l1_loss(tn.zeros(4, 1), tn.zeros(4))


# -- which path cross_entropy takes: one max() decides the usual case ------------------------------
@pytest.mark.parametrize("ignore_index,targets", [
    (-100, [0, 3, 1, 2]),  # the usual case: the fused node
    (2, [0, 3, 1, 3]),     # ignore_index among the classes but absent: still plain
    (2, [0, 2, 1, 3]),     # present: ignored (the composition)
    (7, [0, 7, 1, 3]),     # beyond the classes, present: ignored, not an index error
    (7, [0, 3, 1, 3]),     # beyond the classes, absent
])
@pytest.mark.parametrize("dtype", ["int64", "int32", "int8", "uint8"])
def test_cross_entropy_ignore_index_anywhere_matches_torch(torch, ignore_index, targets, dtype, rng):
    z = rng.normal(size=(4, 4))
    y = np.array(targets, dtype=dtype)
    compare(torch, lambda a: F.cross_entropy(a, tn.tensor(y), ignore_index=ignore_index),
            lambda a: torch.nn.functional.cross_entropy(a, torch.tensor(y.astype(np.int64)),
                                                        ignore_index=ignore_index), [z], "cpu",
            rtol=1e-10, atol=1e-12)
    node = type(F.cross_entropy(tn.tensor(z, requires_grad=True), tn.tensor(y), ignore_index=ignore_index).grad_fn)
    assert (node.__name__ == "CrossEntropyFunction") == (ignore_index not in targets)


@pytest.mark.parametrize("targets,bad", [([0, 4, 1, 2], 4), ([0, -1, 1, 2], -1), ([0, -100, 9, 2], 9)])
def test_cross_entropy_out_of_range_index_is_named(targets, bad):
    z = tn.zeros(4, 4)
    with pytest.raises(IndexError, match=f"class index {bad} is out of range for 4 classes"):
        F.cross_entropy(z, tn.tensor(targets), ignore_index=-100 if bad != -1 else 3)
