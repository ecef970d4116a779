"""Embedding, RNN/LSTM/GRU cells and layers: float64 gradient checks on every device, values by
hand, and PyTorch (when installed) as the oracle for outputs, every gradient and state dicts."""
import numpy as np
import pytest

import tinynn as tn
import tinynn.functional as F
from tinynn import nn
from tinynn.ops.fused.recurrent import LSTMSequenceFunction
from tinynn.testing import make_tensor

from .conftest import host

T, B, I, H = 4, 3, 2, 3  # small: a gradcheck costs two forward passes per input element


def _lstm_arrays(rng, device, steps=T, batch=B, size_in=I, hidden=H):
    shapes = [(steps, batch, size_in), (batch, hidden), (batch, hidden), (4 * hidden, size_in),
              (4 * hidden, hidden), (4 * hidden,), (4 * hidden,)]
    return [make_tensor(rng.standard_normal(s) * 0.7, device) for s in shapes]


# ------------------------------------------------------------------------------ embedding
def test_embedding_gradcheck_with_repeated_indices(device, rng):
    weight = make_tensor(rng.standard_normal((5, 3)), device)
    idx = tn.tensor(np.array([[0, 2, 2], [4, 2, 0]]), device=device)
    assert tn.gradcheck(lambda w: F.embedding(idx, w), [weight])


def test_embedding_scatters_repeated_indices_by_hand():
    weight = tn.tensor(np.zeros((4, 2)), requires_grad=True)
    out = F.embedding(tn.tensor([[1, 3, 1], [1, 0, 3]]), weight)
    out.backward(np.arange(12.0).reshape(2, 3, 2))
    # row 1 is used at positions (0,0), (0,2), (1,0): gradients [0,1] + [4,5] + [6,7]
    assert weight.grad.tolist() == [[8, 9], [10, 13], [0, 0], [12, 14]]


def test_embedding_padding_idx_gets_no_gradient(device):
    emb = nn.Embedding(5, 2, padding_idx=0).to(device)
    assert host(emb.weight)[0].tolist() == [0.0, 0.0]
    emb(tn.tensor([[0, 1, 0]], device=device)).sum().backward()
    assert host(emb.weight.grad).tolist() == [[0, 0], [1, 1], [0, 0], [0, 0], [0, 0]]


def test_embedding_matches_torch(torch, rng):
    idx = rng.integers(0, 6, size=(3, 5))
    ours = nn.Embedding(6, 4, padding_idx=2).double()
    theirs = torch.nn.Embedding(6, 4, padding_idx=2).double()
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    g = rng.standard_normal((3, 5, 4))
    out = ours(tn.tensor(idx))
    out.backward(g)
    ref = theirs(torch.tensor(idx))
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy())
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("num,count", [(50, 40), (7, 300), (1, 5), (3, 0)])
def test_scatter_add_rows_equals_add_at(rng, num, count):
    """Both paths (a few occurrences per token: one += per occurrence level; many: reduceat)
    against numpy's one-element-at-a-time add.at, and an empty batch."""
    from tinynn.ops.fused.recurrent import _MAX_LEVELS, scatter_add_rows

    indices, rows = rng.integers(0, num, count), rng.standard_normal((count, 4))
    expected = np.zeros((num, 4))
    np.add.at(expected, indices, rows)
    levels = np.bincount(indices, minlength=num).max() if count else 0
    assert (levels > _MAX_LEVELS) == (num == 7)  # the cases reach both paths
    np.testing.assert_allclose(scatter_add_rows(indices, rows, num), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("num", [30, 4])
def test_embedding_equals_indexing_the_table(device, rng, num):
    """The fused lookup against its reference composition, weight[indices] (indexing's backward)."""
    idx = tn.tensor(rng.integers(0, num, (6, 7)), device=device)
    g = rng.standard_normal((6, 7, 5))
    results = []
    for lookup in (F.embedding, lambda i, w: w[i]):
        weight = make_tensor(np.arange(num * 5.0).reshape(num, 5), device)
        out = lookup(idx, weight)
        out.backward(make_tensor(g, device))
        results.append((host(out), host(weight.grad)))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12, atol=1e-12)


def test_embedding_bad_index_message():
    with pytest.raises(IndexError, match="embedding: index 7 is out of range for a table of 5"):
        nn.Embedding(5, 2)(tn.tensor([1, 7]))
    with pytest.raises(TypeError, match="embedding: indices must be integers"):
        nn.Embedding(5, 2)(tn.tensor([1.0]))


# ------------------------------------------------------------------------------ LSTM ops
def test_lstm_sequence_gradcheck(device, rng):
    inputs = _lstm_arrays(rng, device)
    assert tn.gradcheck(lambda *a: LSTMSequenceFunction()(*a), inputs)


def test_lstm_sequence_gradcheck_without_bias(device, rng):
    inputs = _lstm_arrays(rng, device)[:5]
    assert tn.gradcheck(lambda *a: LSTMSequenceFunction()(*a), inputs)


def test_lstm_cell_gradcheck(device, rng):
    x, h, c, w_ih, w_hh, b_ih, b_hh = _lstm_arrays(rng, device)
    x0 = make_tensor(host(x)[0], device)
    assert tn.gradcheck(lambda *a: tn.cat(F.lstm_cell(*a), axis=1), [x0, h, c, w_ih, w_hh, b_ih, b_hh])


def test_lstm_cell_by_hand():
    # weights zero: every gate pre-activation is its bias. i = f = o = σ(0) = 1/2, g = tanh(b_g)
    b = np.zeros(4)
    b[2] = np.arctanh(0.5)  # g = 0.5
    h, c = F.lstm_cell(tn.tensor([[1.0]], dtype="float64"), tn.tensor([[0.0]], dtype="float64"),
                       tn.tensor([[2.0]], dtype="float64"), tn.tensor(np.zeros((4, 1))),
                       tn.tensor(np.zeros((4, 1))), tn.tensor(b), tn.tensor(np.zeros(4)))
    assert c.item() == pytest.approx(0.5 * 2.0 + 0.5 * 0.5)  # c' = f c + i g
    assert h.item() == pytest.approx(0.5 * np.tanh(1.25))  # h' = o tanh(c')


def test_lstm_cell_and_sequence_agree(rng):
    x, h, c, *params = _lstm_arrays(rng, "cpu")
    out, h_n, c_n = F.lstm(x, h, c, *params)
    for t in range(T):
        h, c = F.lstm_cell(x[t], h, c, *params)
        np.testing.assert_allclose(out.numpy()[t], h.numpy(), rtol=1e-12)
    np.testing.assert_allclose(h_n.numpy(), h.numpy(), rtol=1e-12)
    np.testing.assert_allclose(c_n.numpy(), c.numpy(), rtol=1e-12)


def test_lstm_is_stable_for_huge_pre_activations():
    x = tn.tensor(np.full((2, 1, 1), 1e4), dtype="float32")
    with np.errstate(all="raise"):
        out, h, c = F.lstm(x, tn.zeros(1, 1), tn.zeros(1, 1), tn.full((4, 1), 1.0), tn.zeros(4, 1))
    assert np.isfinite(out.numpy()).all() and c.item() == pytest.approx(2.0)


# ------------------------------------------------------------------------------ modules vs torch
def _copy_to_torch(ours, theirs, torch):
    missing, unexpected = theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    assert not missing and not unexpected


def _compare_grads(ours, theirs):
    named = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, named[name].grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)


LAYER_CASES = [
    dict(),
    dict(num_layers=2),
    dict(batch_first=True),
    dict(bidirectional=True, num_layers=2),
    dict(bias=False),
]


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("kwargs", LAYER_CASES)
def test_recurrent_layers_match_torch(torch, rng, kind, kwargs):
    ours = getattr(nn, kind)(I, H, **kwargs).double()
    theirs = getattr(torch.nn, kind)(I, H, **kwargs).double()
    _copy_to_torch(ours, theirs, torch)
    x = rng.standard_normal((B, T, I) if kwargs.get("batch_first") else (T, B, I))
    layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    h0 = rng.standard_normal((layers, B, H))
    c0 = rng.standard_normal((layers, B, H))
    xs, hs, cs = (tn.tensor(a, requires_grad=True) for a in (x, h0, c0))
    xt, ht, ct = (torch.tensor(a, requires_grad=True) for a in (x, h0, c0))
    if kind == "LSTM":
        out, (h_n, c_n) = ours(xs, (hs, cs))
        ref, (h_ref, c_ref) = theirs(xt, (ht, ct))
        finals = [(c_n, c_ref)]
    else:
        out, h_n = ours(xs, hs)
        ref, h_ref = theirs(xt, ht)
        finals = []
    finals = [(out, ref), (h_n, h_ref)] + finals
    loss, loss_ref = 0, 0
    for ours_t, ref_t in finals:  # a random weighting of every output reaches every gradient
        np.testing.assert_allclose(ours_t.numpy(), ref_t.detach().numpy(), rtol=1e-9, atol=1e-12)
        w = rng.standard_normal(ours_t.shape)
        loss = loss + (ours_t * tn.tensor(w)).sum()
        loss_ref = loss_ref + (ref_t * torch.tensor(w)).sum()
    loss.backward()
    loss_ref.backward()
    _compare_grads(ours, theirs)
    np.testing.assert_allclose(xs.grad, xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(hs.grad, ht.grad.numpy(), rtol=1e-9, atol=1e-12)
    if kind == "LSTM":
        np.testing.assert_allclose(cs.grad, ct.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("kind", ["LSTMCell", "GRUCell", "RNNCell"])
def test_cells_match_torch(torch, rng, kind):
    ours = getattr(nn, kind)(I, H).double()
    theirs = getattr(torch.nn, kind)(I, H).double()
    _copy_to_torch(ours, theirs, torch)
    x, h, c = rng.standard_normal((B, I)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
    xs, xt = tn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    if kind == "LSTMCell":
        out, out_c = ours(xs, (tn.tensor(h), tn.tensor(c)))
        ref, ref_c = theirs(xt, (torch.tensor(h), torch.tensor(c)))
        (out.sum() + (out_c * 2).sum()).backward()
        (ref.sum() + (ref_c * 2).sum()).backward()
    else:
        out, ref = ours(xs, tn.tensor(h)), theirs(xt, torch.tensor(h))
        out.sum().backward()
        ref.sum().backward()
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-10)
    _compare_grads(ours, theirs)
    np.testing.assert_allclose(xs.grad, xt.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_layer_gradcheck_on_device(device, rng, kind):
    layer = getattr(nn, kind)(I, 2, num_layers=2, batch_first=True)
    names = [name for name, _ in layer.named_parameters()]
    x = make_tensor(rng.standard_normal((2, 3, I)), device)
    weights = [make_tensor(p.numpy(), device) for p in layer.parameters()]

    def run(x, *weights):
        for name, w in zip(names, weights):  # the checked tensors stand in for the parameters
            object.__setattr__(layer, name, w)
        return layer(x)[0]

    assert tn.gradcheck(run, [x] + weights)


def test_lstm_state_dict_loads_from_torch(torch):
    theirs = torch.nn.LSTM(5, 7, num_layers=2, batch_first=True)
    ours = nn.LSTM(5, 7, num_layers=2, batch_first=True)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((3, 4, 5)).astype("float32")
    out, (h, c) = ours(tn.tensor(x))
    ref, (h_ref, c_ref) = theirs(torch.tensor(x))
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(c.numpy(), c_ref.detach().numpy(), rtol=1e-4, atol=1e-6)


def test_lstm_init_matches_torch_bounds():
    layer = nn.LSTM(10, 16)
    for name, p in layer.named_parameters():
        assert np.abs(p.numpy()).max() <= 1 / 4, name  # U(-1/sqrt(16), 1/sqrt(16))
    assert layer.weight_ih_l0.shape == (64, 10) and layer.bias_hh_l0.shape == (64,)


def test_lstm_unbatched_input_and_default_state(rng):
    layer = nn.LSTM(I, H).double()
    x = rng.standard_normal((T, I))
    out, (h, c) = layer(tn.tensor(x))
    batched, (hb, cb) = layer(tn.tensor(x[:, None]))
    assert out.shape == (T, H) and h.shape == (1, H)
    np.testing.assert_allclose(out.numpy(), batched.numpy()[:, 0])


def test_lstm_dropout_between_layers_only_in_training():
    layer = nn.LSTM(2, 4, num_layers=2, dropout=0.5)
    x = tn.randn(5, 3, 2)
    a, _ = layer.eval()(x)
    b, _ = layer(x)
    np.testing.assert_array_equal(a.numpy(), b.numpy())  # eval: deterministic
    c, _ = layer.train()(x)
    assert not np.allclose(a.numpy(), c.numpy())


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_dropout_one_drops_everything_between_layers_as_torch(kind, torch, device):
    # dropout=1.0 zeroes the first layer's output, so the second layer sees zeros; PyTorch
    # (training mode, same weights) is the oracle; it used to raise ZeroDivisionError
    ours = getattr(nn, kind)(2, 3, num_layers=2, dropout=1.0).double()
    theirs = getattr(torch.nn, kind)(2, 3, num_layers=2, dropout=1.0).double()
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((4, 2, 2))
    out, _ = ours.to(device)(tn.tensor(x, device=device))
    expected, _ = theirs(torch.tensor(x))
    np.testing.assert_allclose(host(out), expected.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_recurrent_bad_input_messages():
    with pytest.raises(ValueError, match=r"LSTM: expected input \(batch, seq_len, features\) with features=4"):
        nn.LSTM(4, 3, batch_first=True)(tn.zeros(2, 5, 3))
    with pytest.raises(ValueError, match="initial state has shape"):
        nn.GRU(4, 3)(tn.zeros(5, 2, 4), tn.zeros(1, 3, 3))
    with pytest.raises(ValueError, match="lstm_cell: input has 3 features"):
        F.lstm_cell(tn.zeros(2, 3), tn.zeros(2, 1), tn.zeros(2, 1), tn.zeros(4, 2), tn.zeros(4, 1))
