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
        export(nn.Linear(2, 2), tn.tensor([[1.0, 2.0]], dtype="float16"), tmp_path / "x.onnx")
    with pytest.raises(TypeError, match="linear: input is int64"):  # token ids into a Linear: tinynn's own error
        export(nn.Linear(2, 2), tn.tensor([[1, 2]]), tmp_path / "x.onnx")
    assert not (tmp_path / "x.onnx").exists()


# --------------------------------------------------------------------------- the GPT of tinynn.models
def _tiny_gpt(seed, bias=False, n_layer=2):
    from tinynn.models import GPT, GPTConfig

    tn.manual_seed(seed)
    model = GPT(GPTConfig(block_size=8, vocab_size=11, n_layer=n_layer, n_head=2, n_embd=16, bias=bias,
                          dropout=0.1))
    with tn.no_grad():  # move LayerNorm off (1, 0) and the weights off their tiny init, so every part counts
        for p in model.parameters():
            p += 0.3 * tn.randn(*p.shape)
    return model


@pytest.mark.parametrize("bias, opset", [(False, 17), (True, 17), (False, 15)])
def test_gpt_logits_match_onnxruntime_at_every_position(tmp_path, bias, opset):
    """The exported GPT returns gpt(idx)[0], the last position's logits (B, 1, V); with a dynamic
    sequence axis, running it on every prefix idx[:, :t] gives the logits of every position t
    (the mask is causal), each compared with tinynn's to 1e-5. Opset 15 has no
    LayerNormalization: its decomposition is checked there."""
    model = _tiny_gpt(0, bias)
    path = tmp_path / "gpt.onnx"
    proto = export(model, tn.randint(0, 11, (2, 8)), path, opset_version=opset,
                   dynamic_axes={"input": {0: "batch", 1: "sequence"}})
    onnx.checker.check_model(onnx.load(str(path)))
    ops = {n.op_type for n in proto.graph.node}
    assert {"Gather", "MatMul", "Softmax", "Where", "Erf"} <= ops and "Dropout" not in ops
    assert ("LayerNormalization" in ops) == (opset >= 17)
    assert model.training, "export restores train mode"
    model.eval()
    idx = tn.tensor(np.random.default_rng(1).integers(0, 11, size=(5, 8)))
    with tn.no_grad():  # tinynn's logits at every position, in one pass (targets ask for all of them)
        every, _ = model(idx, tn.zeros(5, 8, dtype=tn.long))
    worst = 0.0
    for t in range(1, 9):
        theirs = run(path, idx[:, :t])[0]
        assert theirs.shape == (5, 1, 11)
        with tn.no_grad():
            np.testing.assert_allclose(theirs, model(idx[:, :t])[0].numpy(), atol=1e-5, rtol=1e-5)
        np.testing.assert_allclose(theirs[:, 0], every.numpy()[:, t - 1], atol=1e-5, rtol=1e-5)
        worst = max(worst, float(np.abs(theirs[:, 0] - every.numpy()[:, t - 1]).max()))
    print(f"GPT bias={bias} opset={opset}: max |onnxruntime - tinynn| = {worst:.2e}")


def test_gpt_tied_weights_are_stored_once_and_the_mask_is_causal(tmp_path):
    model = _tiny_gpt(1)
    assert model.lm_head.weight is model.transformer.wte.weight
    proto = export(model, tn.randint(0, 11, (1, 8)), tmp_path / "gpt.onnx", dynamic_axes={"input": [1]})
    stored = sum(int(np.prod(t.dims)) for t in proto.graph.initializer if len(t.dims) == 2)
    unique = {id(p): p.numel() for p in model.parameters() if p.ndim == 2}
    assert stored == sum(unique.values()), "the (V, C) table shared by wte and lm_head is written once"
    # changing a later token must not change the logits of an earlier prefix (run both in onnxruntime)
    model.eval()
    a = np.random.default_rng(2).integers(0, 11, size=(1, 8))
    b = a.copy()
    b[0, 5:] = (b[0, 5:] + 1) % 11
    full_a, full_b = run(tmp_path / "gpt.onnx", a)[0], run(tmp_path / "gpt.onnx", b)[0]
    assert np.abs(full_a - full_b).max() > 1e-3, "the last position sees the changed tokens"
    np.testing.assert_array_equal(run(tmp_path / "gpt.onnx", a[:, :5])[0], run(tmp_path / "gpt.onnx", b[:, :5])[0])


def test_embedding_and_layernorm_modules_alone(tmp_path):
    tn.manual_seed(4)
    emb = nn.Sequential(nn.Embedding(7, 5), nn.LayerNorm(5), nn.Linear(5, 3))
    with tn.no_grad():
        emb[1].weight += tn.randn(5)
        emb[1].bias += tn.randn(5)
    idx = tn.tensor(np.random.default_rng(0).integers(0, 7, size=(4, 6)))
    with tn.no_grad():
        ours = emb(idx).numpy()
    export(emb, idx, tmp_path / "emb.onnx")
    np.testing.assert_allclose(run(tmp_path / "emb.onnx", idx)[0], ours, atol=1e-5, rtol=1e-5)
    # LayerNorm over the two trailing axes, without affine parameters, in the decomposition too
    ln = nn.LayerNorm((3, 4), elementwise_affine=False)
    x = tn.randn(2, 3, 4) * 3 + 1
    for opset in (15, 17):
        export(ln, x, tmp_path / "ln.onnx", opset_version=opset)
        np.testing.assert_allclose(run(tmp_path / "ln.onnx", x)[0], ln(x).numpy(), atol=1e-5, rtol=1e-5)


def test_dynamic_axes_are_checked(tmp_path):
    model = _tiny_gpt(2, n_layer=1)
    idx = tn.randint(0, 11, (1, 8))
    with pytest.raises(ValueError, match="neither the input"):
        export(model, idx, tmp_path / "g.onnx", dynamic_axes={"tokens": [1]})
    with pytest.raises(ValueError, match="has axis 2; 'input' has 2 axes"):
        export(model, idx, tmp_path / "g.onnx", dynamic_axes={"input": [2]})
    with pytest.raises(TypeError, match="dynamic_axes must be a dict"):
        export(model, idx, tmp_path / "g.onnx", dynamic_axes=[1])
    assert not (tmp_path / "g.onnx").exists()
    proto = export(model, idx, tmp_path / "g.onnx", dynamic_axes={"input": {1: "sequence"}, "output": {0: "b"}})
    dims = [d.dim_param or d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim]
    assert dims == ["batch", "sequence"]
    assert proto.graph.output[0].type.tensor_type.shape.dim[0].dim_param == "b"
    fixed = export(model, idx, tmp_path / "f.onnx", dynamic_batch=False)
    assert [d.dim_value for d in fixed.graph.input[0].type.tensor_type.shape.dim] == [1, 8]
