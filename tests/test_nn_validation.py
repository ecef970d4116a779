"""Issue 15: layer constructors refuse bad arguments, and calling a layer with None or a
tensor of the wrong rank is a clear error naming the layer and the shape it expects —
raised by one shared layer (nn/_checks.py) before any state exists. (PyTorch builds several
of these layers — Conv2d(3, 3, 0), MaxPool2d(0), Dropout(nan) — and fails only at the first
call, or never; tinynn refuses them when they are made.)"""
import numpy as np
import pytest

import tinynn as tn
from tinynn import nn

BAD_CONSTRUCTORS = [
    ("Linear", (2.5, 3), TypeError, "Linear: in_features must be an int"),
    ("Linear", (2, -3), ValueError, "Linear: out_features must be a positive int"),
    ("Linear", ("2", 3), TypeError, "in_features must be an int"),
    ("Linear", (None, 3), TypeError, "in_features must be an int"),
    ("Conv2d", (3, 3, 0), ValueError, "Conv2d: kernel_size must be a positive int"),
    ("Conv2d", (3, 3, (3, -1)), ValueError, "kernel_size must be a positive int"),
    ("Conv2d", (3.0, 3, 3), TypeError, "in_channels must be an int"),
    ("Conv2d", (3, 0, 3), ValueError, "out_channels must be a positive int"),
    ("Conv2d", (3, 3, 3, 0), ValueError, "stride must be a positive int"),
    ("Conv2d", (3, 3, 3, 1, -1), ValueError, "padding must be >= 0"),
    ("MaxPool2d", (0,), ValueError, "MaxPool2d: kernel_size"),
    ("AvgPool2d", (2, 0), ValueError, "AvgPool2d: stride"),
    ("Dropout", (1.5,), ValueError, r"Dropout: p is a probability and must be in \[0, 1\]"),
    ("Dropout", (-0.1,), ValueError, "Dropout: p"),
    ("Dropout", ("a",), TypeError, "Dropout: p must be a number"),
    ("Dropout", (float("nan"),), ValueError, "finite"),
    ("Dropout2d", (2,), ValueError, "Dropout2d: p"),
    ("Embedding", (0, 3), ValueError, "Embedding: num_embeddings must be a positive int"),
    ("Embedding", (3, 2.0), TypeError, "embedding_dim must be an int"),
    ("LSTM", (2.5, 3), TypeError, "LSTM: input_size must be an int"),
    ("GRU", (2, 3, 0), ValueError, "GRU: num_layers must be a positive int"),
    ("RNN", (2, 3), None, None),  # fine
    ("LSTMCell", (0, 3), ValueError, "LSTMCell: input_size"),
    ("BatchNorm2d", (0,), ValueError, "BatchNorm2d: num_features"),
    ("AdaptiveAvgPool2d", (0,), ValueError, "AdaptiveAvgPool2d: output_size"),
    ("AdaptiveAvgPool2d", ((2, 2, 2),), ValueError, "output_size must be an int or 2 ints"),
    ("Unflatten", (1, (2, -1, -1)), ValueError, "at most one -1"),
]


@pytest.mark.parametrize("name,args,error,match", BAD_CONSTRUCTORS, ids=[f"{c[0]}{c[1]}" for c in BAD_CONSTRUCTORS])
def test_constructors_refuse_bad_arguments(name, args, error, match):
    if error is None:
        getattr(nn, name)(*args)
        return
    with pytest.raises(error, match=match):
        getattr(nn, name)(*args)


BAD_CALLS = [
    (lambda: nn.Linear(2, 3), None, TypeError, r"Linear: expected a Tensor of shape \(\*, 2\), got None"),
    (lambda: nn.Linear(2, 3), tn.tensor(1.0), ValueError, r"Linear: .*at least 1-d.*shape \(\)"),
    (lambda: nn.Conv2d(3, 4, 3), None, TypeError, r"Conv2d: expected a Tensor of shape \(N, 3, H, W\)"),
    (lambda: nn.Conv2d(3, 4, 3), tn.ones(5, 5), ValueError, r"Conv2d: expected input of shape .* got a 2-d"),
    (lambda: nn.MaxPool2d(2), tn.tensor(1.0), ValueError, "MaxPool2d: expected input of shape"),
    (lambda: nn.AvgPool2d(2), None, TypeError, "AvgPool2d: expected a Tensor"),
    (lambda: nn.LSTM(2, 3), tn.tensor(1.0), ValueError, r"LSTM: expected input of shape \(seq_len, N, 2\)"),
    (lambda: nn.GRU(2, 3), None, TypeError, "GRU: expected a Tensor"),
    (lambda: nn.LSTMCell(2, 3), tn.tensor(1.0), ValueError, "LSTMCell: expected input of shape"),
    (lambda: nn.BatchNorm1d(3), tn.tensor(1.0), ValueError, r"BatchNorm1d: expected input of shape \(N, C\)"),
    (lambda: nn.BatchNorm2d(3), None, TypeError, "BatchNorm2d: expected a Tensor"),
    (lambda: nn.ReLU(), None, TypeError, "ReLU: expected a Tensor, got None"),
    (lambda: nn.Sequential(nn.Linear(2, 2), nn.ReLU()), None, TypeError, "Sequential: expected a Tensor"),
    (lambda: nn.Dropout(), None, TypeError, "Dropout: expected a Tensor"),
    (lambda: nn.Flatten(), None, TypeError, "Flatten: expected a Tensor"),
    (lambda: nn.AdaptiveAvgPool2d(1), tn.ones(3), ValueError, "AdaptiveAvgPool2d: expected input of shape"),
    (lambda: nn.Dropout2d(), tn.ones(3), ValueError, "Dropout2d: expected input of shape"),
    (lambda: nn.LeakyReLU(), None, TypeError, "LeakyReLU: expected a Tensor"),
]


@pytest.mark.parametrize("make,x,error,match", BAD_CALLS, ids=[str(i) for i in range(len(BAD_CALLS))])
def test_bad_calls_name_the_layer_and_the_shape(make, x, error, match):
    layer = make()
    before = {k: tn.backend.to_host(v).copy() for k, v in layer.state_dict().items()}
    with pytest.raises(error, match=match):
        layer(x)
    after = layer.state_dict()
    for k, v in before.items():  # nothing changed (e.g. BatchNorm's counters)
        assert (tn.backend.to_host(after[k]) == v).all(), k


def test_valid_calls_still_work():
    assert nn.Linear(2, 3)(tn.ones(2)).shape == (3,)  # 1-d input, as PyTorch
    assert nn.Linear(2, 3)(tn.ones(4, 5, 2)).shape == (4, 5, 3)
    assert nn.Conv2d(3, 4, 3)(tn.ones(2, 3, 5, 5)).shape == (2, 4, 3, 3)
    lstm = nn.LSTM(2, 3)
    out, _ = lstm(tn.ones(5, 1, 2), None)  # a None hidden state after the input is fine
    assert out.shape == (5, 1, 3)


# ----------------------------------------------------------------------------- found by the fuzz suite
MORE_BAD_CONSTRUCTORS = [  # sizes past what a tensor can count: refused by name before any allocation
    ("Linear", (10 ** 20, 3), RuntimeError, r"Linear: the size \(3, 100000000000000000000\) has"),
    ("Conv2d", (3, 10 ** 20, 3), RuntimeError, "Conv2d: the size"),
    ("Embedding", (10 ** 20, 4), RuntimeError, "Embedding: the size"),
    ("LSTM", (10 ** 20, 4), RuntimeError, "LSTM: .*more than a tensor can hold"),
    ("BatchNorm1d", (10 ** 20,), RuntimeError, "BatchNorm1d: the size"),
    ("LayerNorm", (10 ** 20,), RuntimeError, "LayerNorm: the size"),
    ("MultiheadAttention", (2 ** 40, 1), RuntimeError, "MultiheadAttention: the size"),
    ("LayerNorm", (None,), TypeError, "LayerNorm: normalized_shape must be an int"),
    ("LayerNorm", ((3, 0),), ValueError, "LayerNorm: normalized_shape must be a positive int"),
    ("MultiheadAttention", ("4", 2), TypeError, "MultiheadAttention: embed_dim must be an int"),
    ("MultiheadAttention", (4, 3), ValueError, r"MultiheadAttention: embed_dim \(4\) must be a positive multiple"),
    ("TransformerEncoderLayer", (None, 2), TypeError, "TransformerEncoderLayer: d_model must be an int"),
    ("TransformerDecoderLayer", (4, 3), ValueError, r"TransformerDecoderLayer: d_model \(4\) must be a multiple"),
    ("TransformerEncoderLayer", (4, 2, 2.5), TypeError, "TransformerEncoderLayer: dim_feedforward"),
    ("Hardtanh", (-1.0, -1.0), ValueError, "Hardtanh: min_val .* must be less than max_val"),
]
MORE_BAD_KEYWORDS = [  # (layer, positional, keywords, error, match): a Tensor where a string belongs is not compared
    ("MSELoss", (), {"reduction": tn.tensor(1.5)}, TypeError, "MSELoss: reduction must be one of"),
    ("CrossEntropyLoss", (), {"reduction": "avg"}, ValueError, "CrossEntropyLoss: reduction must be one of"),
    ("CrossEntropyLoss", (), {"ignore_index": None}, TypeError, "CrossEntropyLoss: ignore_index must be an int"),
    ("CrossEntropyLoss", (), {"label_smoothing": "a"}, TypeError, "CrossEntropyLoss: label_smoothing"),
    ("NLLLoss", (), {"ignore_index": 2.5}, TypeError, "NLLLoss: ignore_index must be an int"),
    ("RNN", (3, 4), {"nonlinearity": np.ones(2)}, TypeError, "RNN: nonlinearity must be one of"),
    ("RNNCell", (3, 4), {"nonlinearity": "sigmoid"}, ValueError, "RNNCell: nonlinearity must be one of"),
    ("GELU", (), {"approximate": tn.tensor(1)}, TypeError, "GELU: approximate must be one of"),
    ("Conv2d", (3, 3, 3), {"padding": tn.tensor(1.5)}, TypeError, "Conv2d: padding must be an int"),
    ("Conv2d", (3, 3, 3), {"padding": "full"}, ValueError, "Conv2d: padding must be one of 'valid', 'same'"),
    ("LSTM", (3, 4), {"batch_first": None}, TypeError, "LSTM: batch_first must be True or False"),
    ("GRU", (3, 4), {"bias": None}, TypeError, "GRU: bias must be True or False"),
    ("LSTM", (3, 4), {"num_layers": 10 ** 20}, RuntimeError, "LSTM: .*parameters, more than a tensor can hold"),
    ("Embedding", (5, 3), {"padding_idx": 2.5}, TypeError, "Embedding: padding_idx must be an int"),
    ("LayerNorm", (3,), {"eps": "a"}, TypeError, "LayerNorm: eps must be a number"),
    ("MultiheadAttention", (4, 2), {"dropout": 2.0}, ValueError, "MultiheadAttention: dropout is a probability"),
    ("TransformerEncoderLayer", (4, 2), {"activation": np.ones(2)}, RuntimeError,
     "TransformerEncoderLayer: activation should be 'relu', 'gelu' or a callable"),
]


@pytest.mark.parametrize("name,args,error,match", MORE_BAD_CONSTRUCTORS,
                         ids=[f"{c[0]}{c[1]}"[:60] for c in MORE_BAD_CONSTRUCTORS])
def test_more_constructors_refuse_bad_arguments(name, args, error, match):
    with pytest.raises(error, match=match):
        getattr(nn, name)(*args)


@pytest.mark.parametrize("name,args,kw,error,match", MORE_BAD_KEYWORDS, ids=[f"{c[0]}{list(c[2])}" for c in MORE_BAD_KEYWORDS])
def test_bad_keyword_arguments_name_the_layer(name, args, kw, error, match):
    with pytest.raises(error, match=match):
        getattr(nn, name)(*args, **kw)


def test_what_torch_refuses_in_these_constructors_tinynn_refuses(torch):
    """PyTorch as the oracle for the accept-or-refuse decision of the keyword cases above
    (those PyTorch checks when the layer is made)."""
    cases = [("LSTM", (3, 4), {"batch_first": None}), ("GRU", (3, 4), {"bias": None}),
             ("GRU", (3, 4), {"bidirectional": "yes"}), ("LSTM", (3, 4), {"batch_first": 1}),
             ("RNN", (3, 4), {"nonlinearity": "sigmoid"}), ("Hardtanh", (-1.0, -1.0), {}),
             ("MultiheadAttention", (4, 3), {}), ("Conv2d", (3, 3, 3), {"padding": "full"}),
             ("LSTM", (3, 4), {"batch_first": True}), ("Hardtanh", (-1.0, 1.0), {})]
    for name, args, kw in cases:
        try:
            getattr(torch.nn, name)(*args, **kw)
            theirs = "ok"
        except Exception:  # noqa: BLE001 - only the decision is compared
            theirs = "refused"
        try:
            getattr(nn, name)(*args, **kw)
            ours = "ok"
        except (TypeError, ValueError, RuntimeError) as e:
            assert name in str(e), e
            ours = "refused"
        assert ours == theirs, (name, args, kw, ours, theirs)


NOT_TENSORS = ["abc", 2.5, [1.0, 2.0], {"a": 1}, object()]


@pytest.mark.parametrize("make,name", [
    (lambda: nn.LayerNorm(3), "LayerNorm"), (lambda: nn.Dropout(), "Dropout"), (lambda: nn.ReLU(), "ReLU"),
    (lambda: nn.Flatten(), "Flatten"), (lambda: nn.GELU(), "GELU"), (lambda: nn.Softmax(1), "Softmax"),
    (lambda: nn.MultiheadAttention(4, 2), "MultiheadAttention"), (lambda: nn.MSELoss(), "MSELoss"),
    (lambda: nn.TransformerEncoderLayer(4, 2, 8), "TransformerEncoderLayer"), (lambda: nn.Embedding(5, 3), "Embedding"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_a_non_tensor_input_is_a_type_error_naming_the_layer(make, name):
    """These died with AttributeError ('str' object has no attribute 'shape')."""
    layer = make()
    for value in NOT_TENSORS:
        with pytest.raises(TypeError, match=f"{name}: expected a Tensor"):
            layer(value) if name != "MultiheadAttention" else layer(value, value, value)


@pytest.mark.parametrize("name", ["RNN", "GRU", "LSTM"])
def test_an_empty_sequence_is_refused_an_empty_batch_is_not(torch, name):
    ours, theirs = getattr(nn, name)(3, 4), getattr(torch.nn, name)(3, 4)
    for shape in ((0, 3), (0, 2, 3)):
        with pytest.raises(ValueError, match=f"{name}: expected a sequence length larger than 0|sequence length"):
            ours(tn.zeros(shape))
        with pytest.raises(RuntimeError):
            theirs(torch.zeros(shape))
    assert tuple(ours(tn.zeros((5, 0, 3)))[0].shape) == tuple(theirs(torch.zeros((5, 0, 3)))[0].shape) == (5, 0, 4)


# ----------------------------------------------------------------------------- BatchNorm: refuse first, then count
def _bn_state(bn):
    return {k: np.array(tn.backend.to_host(getattr(v, "_data", v))) for k, v in bn.state_dict().items()}


@pytest.mark.parametrize("x,error,match", [
    (lambda: tn.tensor([[1, 2, 3]]), TypeError, "BatchNorm1d: expected a floating-point input, got int64"),
    (lambda: tn.tensor([[1, 2, 3], [4, 5, 6]]), TypeError, "BatchNorm1d: expected a floating-point input"),
    (lambda: tn.ones((2, 3), dtype=tn.bool), TypeError, "floating-point input, got bool"),
    (lambda: tn.ones((2, 3), dtype=tn.float64), TypeError, "BatchNorm1d: input is float64 but the layer's"),
    (lambda: tn.ones((1, 3)), ValueError, "BatchNorm1d: expected more than 1 value per channel when training"),
    (lambda: tn.ones((1, 3, 1)), ValueError, "more than 1 value per channel"),
], ids=["int-one-row", "int", "bool", "float64", "one-value", "one-value-3d"])
def test_batchnorm_refuses_before_its_counters_move(torch, x, error, match):
    """PyTorch refuses each of these too, but only after num_batches_tracked has moved;
    tinynn checks first, so the layer is exactly as before."""
    bn = nn.BatchNorm1d(3)
    bn(tn.randn(4, 3))  # some history to keep
    before = _bn_state(bn)
    with pytest.raises(error, match=match):
        bn(x())
    after = _bn_state(bn)
    assert before.keys() == after.keys() and all(np.array_equal(before[k], after[k]) for k in before)
    theirs = torch.nn.BatchNorm1d(3)
    with pytest.raises((RuntimeError, ValueError, NotImplementedError)):
        theirs(torch.from_numpy(np.array(x().numpy())))


@pytest.mark.parametrize("shape", [(0, 3), (0, 3, 4), (2, 3, 0)])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm_on_an_empty_batch_matches_torch(torch, shape, momentum):
    """An empty batch gives an empty result; the running statistics stay, the batch is
    counted, and weight/bias get zero gradients: PyTorch's outcome, state for state."""
    ours, theirs = nn.BatchNorm1d(3, momentum=momentum), torch.nn.BatchNorm1d(3, momentum=momentum)
    data = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    ours(tn.tensor(data)), theirs(torch.tensor(data))  # a real batch first: statistics that must stay
    x, tx = tn.zeros(shape, requires_grad=True), torch.zeros(shape, requires_grad=True)
    y, ty = ours(x), theirs(tx)
    assert tuple(y.shape) == tuple(ty.shape) == shape
    y.sum().backward(), ty.sum().backward()
    for k, v in theirs.state_dict().items():
        np.testing.assert_allclose(np.array(tn.backend.to_host(ours.state_dict()[k]._data)), v.numpy(), rtol=1e-6,
                                   err_msg=k)
    np.testing.assert_array_equal(ours.weight.grad.numpy(), theirs.weight.grad.numpy())
    np.testing.assert_array_equal(ours.bias.grad.numpy(), theirs.bias.grad.numpy())
    assert tuple(x.grad.shape) == shape


@pytest.mark.parametrize("dtype", ["float64", "int64"])
@pytest.mark.parametrize("make", [lambda M: M.LayerNorm(3), lambda M: M.BatchNorm1d(3),
                                  lambda M: M.BatchNorm1d(3, affine=False)], ids=["LayerNorm", "BatchNorm1d", "BN-no-affine"])
def test_normalisation_layers_refuse_a_mixed_dtype_batch_as_torch(torch, make, dtype):
    """Linear, Conv2d and LSTM refuse a float64 batch for float32 weights; so do the
    normalisation layers now (LayerNorm computed it silently in float64)."""
    with pytest.raises((RuntimeError, NotImplementedError)):
        make(torch.nn)(torch.ones((2, 3), dtype=getattr(torch, dtype)))
    with pytest.raises(TypeError, match=r"(LayerNorm|BatchNorm1d): (input is float64|expected a floating-point)"):
        make(nn)(tn.ones((2, 3), dtype=getattr(tn, dtype)))
    both = make(nn).to(dtype="float64") if dtype == "float64" else None
    if both is not None:  # the same dtype on both sides is fine
        assert both(tn.ones((2, 3), dtype=tn.float64)).dtype == np.float64
