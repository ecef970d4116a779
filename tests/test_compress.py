"""tinynn.compress: distillation loss, magnitude pruning, int8 quantisation, sizes.

Oracles: PyTorch (kl_div, torch.nn.utils.prune, torch.quantize_per_channel) where installed,
hand formulas (Hinton's gradient T·(q − p)/N, the k-th smallest |w|), central differences."""
import warnings

import numpy as np
import pytest

import tinynn as tn
from tinynn import nn, optim
from tinynn.compress import (
    DistillationLoss,
    Pruner,
    distillation_loss,
    kl_div_with_temperature,
    nbytes,
    prune,
    quantize_model,
    quantize_per_channel,
    quantize_per_tensor,
    sparse_nbytes,
)
from tinynn.data import DataLoader


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# --------------------------------------------------------------------------- distillation
def test_kl_with_temperature_matches_numpy_and_torch():
    rng = np.random.default_rng(0)
    s, t = rng.normal(size=(5, 7)) * 3, rng.normal(size=(5, 7)) * 3
    T = 2.5
    p, q = _softmax(t / T), _softmax(s / T)
    by_hand = float((p * (np.log(p) - np.log(q))).sum(axis=1).mean())
    ours = kl_div_with_temperature(tn.tensor(s), tn.tensor(t), T=T).item()
    assert ours == pytest.approx(by_hand, rel=1e-12)
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    ref = F.kl_div(F.log_softmax(torch.tensor(s) / T, 1), F.log_softmax(torch.tensor(t) / T, 1),
                   reduction="batchmean", log_target=True).item()
    assert ours == pytest.approx(ref, rel=1e-12)


def test_distillation_gradient_is_hintons_t_times_q_minus_p():
    rng = np.random.default_rng(1)
    s, t = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    y = np.array([0, 3, 1, 4])
    T, alpha = 3.0, 0.7
    student = tn.tensor(s, requires_grad=True)
    teacher = tn.tensor(t, requires_grad=True)
    distillation_loss(student, teacher, tn.tensor(y), T=T, alpha=alpha).backward()
    n = len(s)
    soft_grad = T * (_softmax(s / T) - _softmax(t / T)) / n  # d(T^2 KL)/dz (Hinton et al. eq. 2, batch mean)
    hard_grad = (_softmax(s) - np.eye(5)[y]) / n
    np.testing.assert_allclose(np.asarray(student.grad), alpha * soft_grad + (1 - alpha) * hard_grad, atol=1e-12)
    assert teacher.grad is None or not np.asarray(teacher.grad).any(), "the teacher is a constant"
    assert tn.gradcheck(lambda z: distillation_loss(z, tn.tensor(t), tn.tensor(y), T=T, alpha=alpha),
                        [tn.tensor(s, requires_grad=True)])


def test_distillation_loss_against_torch_composition():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(2)
    s, t, y = rng.normal(size=(6, 4)), rng.normal(size=(6, 4)), rng.integers(0, 4, 6)
    T, alpha = 4.0, 0.9
    ref = (alpha * T * T * F.kl_div(F.log_softmax(torch.tensor(s) / T, 1), F.softmax(torch.tensor(t) / T, 1),
                                     reduction="batchmean")
           + (1 - alpha) * F.cross_entropy(torch.tensor(s), torch.tensor(y))).item()
    ours = DistillationLoss(T=T, alpha=alpha)(tn.tensor(s), tn.tensor(t), tn.tensor(y)).item()
    assert ours == pytest.approx(ref, rel=1e-10)


def test_distillation_bad_input():
    z = tn.zeros(2, 3)
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(2, 4\)"):
        distillation_loss(z, tn.zeros(2, 4), tn.tensor([0, 1]))
    with pytest.raises(ValueError, match="alpha=1.0"):
        distillation_loss(z, z)
    with pytest.raises(ValueError, match="T must be > 0"):
        kl_div_with_temperature(z, z, T=0)


# --------------------------------------------------------------------------- pruning
def _mlp(seed=0):
    tn.manual_seed(seed)
    return nn.Sequential(nn.Linear(12, 20), nn.ReLU(), nn.Linear(20, 6), nn.ReLU(), nn.Linear(6, 3))


def test_l1_unstructured_prunes_exactly_the_smallest():
    layer = _mlp()[0]
    w = layer.weight.numpy().copy()
    prune.l1_unstructured(layer, "weight", amount=0.4)
    k = round(0.4 * w.size)
    threshold = np.sort(np.abs(w).ravel())[k - 1]
    expect = np.where(np.abs(w) <= threshold, 0.0, w)
    np.testing.assert_array_equal(layer.weight.numpy(), expect)
    assert "weight_mask" not in layer.state_dict(), "the mask is not a persistent buffer"
    assert prune.is_pruned(layer)
    prune.l1_unstructured(layer, "weight", amount=k + 10)  # a count; the zeros are the smallest
    assert int((layer.weight.numpy() == 0).sum()) == k + 10


def test_global_pruning_uses_one_threshold():
    model = _mlp()
    pairs = prune.prunable_parameters(model)
    before = [m.weight.numpy().copy() for m, _ in pairs]
    prune.global_unstructured(pairs, amount=0.8)
    everything = np.concatenate([np.abs(w).ravel() for w in before])
    k = round(0.8 * everything.size)
    threshold = np.sort(everything)[k - 1]
    for (m, _), w in zip(pairs, before):
        np.testing.assert_array_equal(m.weight.numpy(), np.where(np.abs(w) <= threshold, 0.0, w))
    assert prune.sparsity(model) == pytest.approx(k / everything.size)
    per_layer = [float((m.weight.numpy() == 0).mean()) for m, _ in pairs]
    assert max(per_layer) - min(per_layer) > 0.01, "a global threshold prunes layers unequally"


def test_pruning_masks_match_torch():
    torch = pytest.importorskip("torch")
    import torch.nn.utils.prune as tp
    model = _mlp(3)
    tmodel = torch.nn.Sequential(torch.nn.Linear(12, 20), torch.nn.ReLU(), torch.nn.Linear(20, 6),
                                 torch.nn.ReLU(), torch.nn.Linear(6, 3)).double()
    tmodel.load_state_dict({k: torch.tensor(v.numpy(), dtype=torch.float64) for k, v in model.state_dict().items()})
    prune.l1_unstructured(model[0], "weight", amount=0.5)
    tp.l1_unstructured(tmodel[0], "weight", amount=0.5)
    np.testing.assert_array_equal(model[0].weight_mask.numpy(), tmodel[0].weight_mask.numpy())
    prune.global_unstructured([(model[2], "weight"), (model[4], "weight")], amount=0.6)
    tp.global_unstructured([(tmodel[2], "weight"), (tmodel[4], "weight")], pruning_method=tp.L1Unstructured,
                           amount=0.6)
    for i in (2, 4):
        np.testing.assert_array_equal(model[i].weight_mask.numpy(), tmodel[i].weight_mask.numpy())


@pytest.mark.parametrize("how", ["step", "attach", "fit"])
def test_masks_stay_applied_while_fine_tuning(how):
    model = _mlp(1)
    prune.global_unstructured(prune.prunable_parameters(model), amount=0.7)
    masks = [m.weight_mask.numpy().copy() for m, _ in prune.prunable_parameters(model)]
    opt = optim.Adam(model.parameters(), lr=0.05, weight_decay=0.01)  # momentum and decay move zeros
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 12)).astype("float32"), rng.integers(0, 3, 64)
    pruner = Pruner(model)
    before = [m.weight.numpy().copy() for m, _ in prune.prunable_parameters(model)]
    if how == "fit":
        tn.fit(model, nn.CrossEntropyLoss(), opt, DataLoader((x, y), batch_size=16), epochs=3,
               callbacks=[pruner], progress=False)
    else:
        if how == "attach":
            pruner.attach(opt)
        for _ in range(10):
            opt.zero_grad()
            nn.CrossEntropyLoss()(model(tn.tensor(x)), tn.tensor(y)).backward()
            opt.step()
            if how == "step":
                pruner.step()
    for (m, _), mask, w0 in zip(prune.prunable_parameters(model), masks, before):
        w = m.weight.numpy()
        assert not w[mask == 0].any(), "pruned weights must stay zero"
        assert (w[mask == 1] != w0[mask == 1]).mean() > 0.9, "kept weights still train"


def test_remove_keeps_zeros_and_drops_the_mask():
    layer = prune.l1_unstructured(nn.Linear(5, 5), "weight", amount=0.6)
    zeros = layer.weight.numpy() == 0
    prune.remove(layer, "weight")
    assert not prune.is_pruned(layer) and (layer.weight.numpy()[zeros] == 0).all()
    with pytest.raises(ValueError, match="not pruned"):
        prune.remove(layer, "weight")
    with pytest.raises(ValueError, match="no parameter 'kernel'"):
        prune.l1_unstructured(layer, "kernel", 0.5)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        prune.l1_unstructured(layer, "weight", 1.5)


# --------------------------------------------------------------------------- quantisation
def test_per_tensor_and_per_channel_error_bounds():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(8, 16)) * np.logspace(-3, 0, 8)[:, None]  # rows of very different ranges
    w = w.astype("float32")
    qt, qc = quantize_per_tensor(tn.tensor(w)), quantize_per_channel(tn.tensor(w))
    s_t = np.abs(w).max() / 127
    s_c = np.abs(w).max(axis=1) / 127
    np.testing.assert_allclose(float(qt.scale), s_t, rtol=1e-6)
    np.testing.assert_allclose(qc.scale, s_c, rtol=1e-6)
    assert qt.int_repr().numpy().dtype == np.int8 and np.abs(qc.int_repr().numpy()).max() == 127
    err_t = np.abs(qt.dequantize().numpy() - w)
    err_c = np.abs(qc.dequantize().numpy() - w)
    assert (err_t <= s_t / 2 * (1 + 1e-5)).all()
    assert (err_c <= s_c[:, None] / 2 * (1 + 1e-5)).all()
    rel = lambda e: (e / np.abs(w).max(axis=1, keepdims=True)).mean(axis=1)  # noqa: E731
    assert rel(err_c)[0] < rel(err_t)[0] / 50, "per-channel scales keep the small row's detail"
    assert qt.nbytes == w.size + 4 and qc.nbytes == w.size + 4 * 8


def test_per_channel_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    w = rng.normal(size=(6, 3, 2, 2)).astype("float32")
    ours = quantize_per_channel(tn.tensor(w), axis=0)
    with warnings.catch_warnings():  # PyTorch deprecates its quantized tensors; still a fine oracle
        warnings.simplefilter("ignore", UserWarning)
        ref = torch.quantize_per_channel(torch.tensor(w), torch.tensor(ours.scale, dtype=torch.float64),
                                         torch.zeros(6, dtype=torch.int64), 0, torch.qint8)
    np.testing.assert_array_equal(ours.int_repr().numpy(), ref.int_repr().numpy())
    np.testing.assert_allclose(ours.dequantize().numpy(), ref.dequantize().numpy(), rtol=1e-6)


def test_quantize_model_dequantised_inference_and_sizes():
    model = _mlp(2)
    x = tn.randn(10, 12)
    ref = model(x).numpy()
    original = {k: v.clone() for k, v in model.state_dict().items()}
    qmodel = quantize_model(model, per_channel=True)
    out = qmodel(x).numpy()
    assert np.abs(out - ref).max() < 0.02 * np.abs(ref).max()
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, original[k])  # the original model is untouched
    n_w = 12 * 20 + 20 * 6 + 6 * 3
    n_rows = 20 + 6 + 3
    assert nbytes(model) == 4 * (n_w + n_rows)
    assert nbytes(qmodel) == n_w + 4 * n_rows + 4 * n_rows  # int8 values + row scales + float biases
    shipped = qmodel.state_dict_int8()
    assert shipped["0.weight"].dtype == np.int8 and shipped["0.weight.scale"].shape == (20,)


def test_sparse_size_by_hand():
    model = _mlp()
    prune.global_unstructured(prune.prunable_parameters(model), amount=0.9)
    expect = 0
    for a in model.state_dict().values():
        a = a.numpy()
        if a.ndim == 2:
            expect += min(-(-a.size // 8) + 4 * int((a != 0).sum()), a.nbytes)
        else:
            expect += a.nbytes
    assert sparse_nbytes(model) == expect < nbytes(model) / 3
