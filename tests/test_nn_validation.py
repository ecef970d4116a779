"""Issue 15: layer constructors refuse bad arguments, and calling a layer with None or a
tensor of the wrong rank is a clear error naming the layer and the shape it expects —
raised by one shared layer (nn/_checks.py) before any state exists. (PyTorch builds several
of these layers — Conv2d(3, 3, 0), MaxPool2d(0), Dropout(nan) — and fails only at the first
call, or never; tinynn refuses them when they are made.)"""
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
