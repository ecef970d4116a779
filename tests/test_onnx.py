"""tn.onnx.export: every exported model runs in onnxruntime (a real runtime) and gives tinynn's
outputs to 1e-5. Skips cleanly without the optional extras (pip install onnx onnxruntime)."""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import tinynn as tn  # noqa: E402
from tinynn import nn  # noqa: E402
from tinynn.onnx import export, run  # noqa: E402


def _roundtrip(model, x, tmp_path, batch_sizes=(None,)):
    path = tmp_path / "model.onnx"
    proto = export(model, x, path)
    onnx.checker.check_model(onnx.load(str(path)))
    model.eval()
    for n in batch_sizes:  # the batch dimension is dynamic
        xb = x if n is None else tn.tensor(np.random.default_rng(n).normal(size=(n,) + tuple(x.shape[1:]))
                                           .astype(str(x.dtype)))
        with tn.no_grad():
            ours = model(xb)
        ours = [ours] if isinstance(ours, tn.Tensor) else [ours[0], *ours[1]]
        theirs = run(path, xb)
        assert len(theirs) == len(ours)
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(b, a.numpy(), atol=1e-5, rtol=1e-5)
    return proto


def test_mlp_with_every_activation(tmp_path):
    tn.manual_seed(0)
    model = nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 16), nn.Sigmoid(), nn.Linear(16, 16), nn.Tanh(),
                          nn.Linear(16, 16), nn.GELU(), nn.Linear(16, 16), nn.GELU(approximate="tanh"),
                          nn.Dropout(0.5), nn.Linear(16, 5), nn.Softmax(dim=1))
    proto = _roundtrip(model, tn.randn(4, 10), tmp_path, batch_sizes=(None, 1, 7))
    ops = {n.op_type for n in proto.graph.node}
    assert {"MatMul", "Relu", "Sigmoid", "Tanh", "Erf", "Softmax"} <= ops and "Dropout" not in ops


def test_export_restores_train_mode_and_writes_atomically(tmp_path):
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.2))
    model.train()
    export(model, tn.randn(2, 3), tmp_path / "m.onnx")
    assert model.training and [p.name for p in tmp_path.iterdir()] == ["m.onnx"]


def test_cnn_with_batchnorm_pools_and_flatten(tmp_path):
    tn.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(4, 6, 3, stride=1), nn.ReLU(), nn.AvgPool2d(2, padding=1), nn.Flatten(),
                          nn.Linear(6 * 2 * 2, 20), nn.BatchNorm1d(20), nn.ReLU(), nn.Linear(20, 10),
                          nn.LogSoftmax(dim=1))
    # give BatchNorm non-trivial running statistics
    model.train()
    for _ in range(3):
        model(tn.randn(16, 1, 8, 8) * 2 + 1)
    _roundtrip(model, tn.randn(5, 1, 8, 8), tmp_path, batch_sizes=(None, 2))


@pytest.mark.parametrize("batch_first, layers, bidirectional", [(True, 1, False), (False, 2, False),
                                                                (True, 2, True)])
def test_lstm_outputs_and_states(tmp_path, batch_first, layers, bidirectional):
    tn.manual_seed(2)
    lstm = nn.LSTM(5, 7, num_layers=layers, batch_first=batch_first, bidirectional=bidirectional)
    shape = (3, 6, 5) if batch_first else (6, 3, 5)
    _roundtrip(lstm, tn.randn(*shape), tmp_path)


class LSTMClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(4, 8, batch_first=True)
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1])

    def onnx_export(self, g, x):
        out, _ = g.module(self.lstm, x)
        return g.module(self.head, g.op("Gather", out, g.const(np.array(-1, dtype=np.int64)), axis=1))


def test_custom_module_with_onnx_export(tmp_path):
    tn.manual_seed(3)
    _roundtrip(LSTMClassifier(), tn.randn(2, 9, 4), tmp_path, batch_sizes=(None, 5))


def test_float64_and_unknown_modules(tmp_path):
    model = nn.Sequential(nn.Linear(3, 2)).double()
    _roundtrip(model, tn.randn(2, 3, dtype="float64"), tmp_path)

    class Mystery(nn.Module):
        def forward(self, x):
            return x * 2

    with pytest.raises(NotImplementedError, match="Mystery.*onnx_export"):
        export(nn.Sequential(nn.Linear(2, 2), Mystery()), tn.randn(1, 2), tmp_path / "x.onnx")
    with pytest.raises(TypeError, match="float32 or float64"):
        export(nn.Linear(2, 2), tn.tensor([[1, 2]]), tmp_path / "x.onnx")
    assert not (tmp_path / "x.onnx").exists()
