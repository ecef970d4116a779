"""Export a tinynn model to ONNX, the exchange format that runtimes (onnxruntime, TensorRT,
OpenVINO, browsers) load: ``tn.onnx.export(model, example_input, "model.onnx")``.

Needs the optional extra: ``pip install "tinynn-edu[onnx]"`` (the ``onnx`` and
``onnxruntime`` packages); importing ``tinynn`` never needs them.

The exporter walks the **module tree** (as a reader would), turning each layer into ONNX
nodes; the weights become the graph's initializers. Layers it knows: Sequential, Linear,
ReLU, Sigmoid, Tanh, GELU, Softmax, LogSoftmax, Identity, Flatten, Dropout (identity at
inference), Conv2d, MaxPool2d, AvgPool2d, BatchNorm1d/2d (running statistics), LSTM (ONNX's
LSTM op, gates reordered from PyTorch's i,f,g,o to ONNX's i,o,f,c), Embedding (Gather),
LayerNorm (LayerNormalization from opset 17, its mean/variance decomposition below), and the
GPT of ``tinynn.models`` with its blocks (causal self-attention as MatMul, a Where mask built
from the sequence length, Softmax, MatMul; tied embedding/head weights stored once). A module
of your own with a ``forward`` of its own describes that forward once in ONNX terms::

    class Classifier(nn.Module):
        def forward(self, x):
            out, _ = self.lstm(x)
            return self.head(out[:, -1])
        def onnx_export(self, g, x):              # g: the graph being built; x: an input name
            out, _ = g.module(self.lstm, x)
            last = g.op("Gather", out, g.const(-1), axis=1)
            return g.module(self.head, last)

The model is exported in eval mode; the batch dimension is dynamic, and ``dynamic_axes``
(PyTorch's argument) frees others, e.g. a GPT's sequence length::

    export(gpt, idx, "gpt.onnx", dynamic_axes={"input": {0: "batch", 1: "sequence"}})

The GPT's graph returns what ``gpt(idx)`` returns without targets: the logits of the last
position, (B, 1, V), all generation needs. ``run(path, x)`` runs the file in onnxruntime, to
check it against ``model(x)``.

>>> import tinynn as tn
>>> from tinynn import nn
>>> sorted(n.__name__ for n in supported())[:3]
['AvgPool2d', 'BatchNorm1d', 'BatchNorm2d']
"""
from __future__ import annotations

import math
import os

from tinynn import backend
from tinynn import nn as _nn
from tinynn.tensor import Tensor

np = backend.numpy  # weights are written from the host

OPSET = 17
__all__ = ["export", "run", "supported", "Graph"]


def _require_onnx():
    try:
        import onnx  # noqa: F401  the optional extra
    except ImportError:
        raise ImportError("tinynn.onnx needs the onnx package: pip install onnx onnxruntime "
                          "(or pip install \"tinynn-edu[onnx]\")") from None
    return onnx


class Graph:
    """The ONNX graph being built: nodes, initializers (weights) and fresh names.

    ``op(type, *inputs, **attributes)`` adds a node and returns its output name (``outputs=k``
    for k outputs); ``const(array)`` adds an initializer; ``module(m, *inputs)`` exports a
    submodule and returns what its forward would (names instead of Tensors).
    """

    def __init__(self, dtype, opset=OPSET):
        self.onnx = _require_onnx()
        self.dtype, self.opset = np.dtype(dtype), int(opset)
        self.nodes, self.initializers, self._count = [], [], 0
        self._weights = {}  # (id(parameter), transposed) -> initializer name: a tied weight is stored once

    def fresh(self, hint):
        self._count += 1
        return f"{hint}_{self._count}"

    def const(self, value, name="const", dtype=None):
        """An initializer from an array or number (in the graph's float dtype unless integer)."""
        a = np.asarray(backend.to_host(value._data) if isinstance(value, Tensor) else value)
        if dtype is not None:
            a = a.astype(dtype)
        elif a.dtype.kind == "f":
            a = a.astype(self.dtype)
        out = self.fresh(name)
        a = a if a.flags.c_contiguous else a.copy()  # (np.ascontiguousarray would make a 0-d array 1-d)
        self.initializers.append(self.onnx.numpy_helper.from_array(a, out))
        return out

    def weight(self, p, transpose=False, name="weight"):
        """The initializer of parameter ``p`` (``pᵀ`` with ``transpose``), made once per parameter:
        a weight shared by two layers (a GPT's token table and its head) is stored once, the
        other orientation computed by a Transpose node."""
        key = (id(p), bool(transpose))
        if key not in self._weights:
            other = (id(p), not transpose)
            if other in self._weights:
                self._weights[key] = self.op("Transpose", self._weights[other], perm=[1, 0])
            else:
                a = backend.to_host(p._data) if isinstance(p, Tensor) else p
                self._weights[key] = self.const(a.T if transpose else a, name + ("_t" if transpose else ""))
        return self._weights[key]

    def op(self, op_type, *inputs, outputs=1, **attributes):
        names = [self.fresh(op_type.lower()) for _ in range(outputs)]
        self.nodes.append(self.onnx.helper.make_node(op_type, [i or "" for i in inputs], names, **attributes))
        return names[0] if outputs == 1 else names

    def module(self, m, *inputs):
        custom = getattr(m, "onnx_export", None)
        if custom is not None:
            return custom(self, *inputs)
        for cls, handler in _HANDLERS + _model_handlers():
            if cls is not None and isinstance(m, cls):
                return handler(self, m, *inputs)
        raise NotImplementedError(
            f"tn.onnx.export: no ONNX translation for {type(m).__name__}. Known layers: "
            f"{', '.join(sorted(c.__name__ for c in supported()))}; for a module with a forward of "
            "its own, define onnx_export(self, g, *inputs) that builds it from g.module(child, ...) "
            "and g.op(...) (see the tinynn.onnx docstring)")


# --------------------------------------------------------------------------- layer translations
def _linear(g, m, x):
    w = g.weight(m.weight, transpose=True)  # (in, out): x @ Wᵀ for any rank of x
    y = g.op("MatMul", x, w)
    return g.op("Add", y, g.const(m.bias, "bias")) if m.bias is not None else y


def _unary(op_type):
    return lambda g, m, x: g.op(op_type, x)


def _gelu(g, m, x):
    if getattr(m, "approximate", "none") == "tanh":  # 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))
        cube = g.op("Mul", g.op("Mul", x, x), x)
        inner = g.op("Mul", g.op("Add", x, g.op("Mul", cube, g.const(0.044715))), g.const(math.sqrt(2 / math.pi)))
        return g.op("Mul", g.op("Mul", x, g.const(0.5)), g.op("Add", g.op("Tanh", inner), g.const(1.0)))
    erf = g.op("Erf", g.op("Div", x, g.const(math.sqrt(2.0))))  # 0.5 x (1 + erf(x/√2))
    return g.op("Mul", g.op("Mul", x, g.const(0.5)), g.op("Add", erf, g.const(1.0)))


def _softmax(op_type):
    def handler(g, m, x):
        dim = getattr(m, "dim", None)
        return g.op(op_type, x, axis=-1 if dim is None else int(dim))
    return handler


def _flatten(g, m, x):
    if m.end_dim != -1:
        raise NotImplementedError("tn.onnx.export: Flatten with end_dim != -1 is not translated yet")
    if m.start_dim == 0:
        return g.op("Reshape", x, g.const(np.array([-1], dtype=np.int64)))
    return g.op("Flatten", x, axis=int(m.start_dim))


def _sequential(g, m, x):
    for child in m:
        x = g.module(child, x)
    return x


def _conv2d(g, m, x):
    ph, pw = m.padding
    attrs = dict(kernel_shape=list(m.kernel_size), strides=list(m.stride), pads=[ph, pw, ph, pw])
    inputs = [x, g.const(m.weight, "conv_weight")] + ([g.const(m.bias, "conv_bias")] if m.bias is not None else [])
    return g.op("Conv", *inputs, **attrs)


def _pair(v):
    return [v, v] if isinstance(v, int) else list(v)


def _pool(op_type):
    def handler(g, m, x):
        kernel = _pair(m.kernel_size)
        stride = kernel if m.stride is None else _pair(m.stride)
        ph, pw = _pair(m.padding)
        attrs = dict(kernel_shape=kernel, strides=stride, pads=[ph, pw, ph, pw])
        if op_type == "AveragePool":
            attrs["count_include_pad"] = 1  # PyTorch's default: padded zeros count in the mean
        return g.op(op_type, x, **attrs)
    return handler


def _batchnorm(g, m, x):
    if m.running_mean is None:
        raise NotImplementedError("tn.onnx.export: BatchNorm without running statistics "
                                  "(track_running_stats=False) has no inference form")
    c = m.num_features
    scale = m.weight if m.weight is not None else np.ones(c)
    bias = m.bias if m.bias is not None else np.zeros(c)
    return g.op("BatchNormalization", x, g.const(scale, "bn_scale"), g.const(bias, "bn_bias"),
                g.const(m.running_mean, "bn_mean"), g.const(m.running_var, "bn_var"), epsilon=float(m.eps))


_TORCH_TO_ONNX_GATES = (0, 3, 1, 2)  # PyTorch packs i, f, g, o; ONNX wants i, o, f, c(=g)


def _gates(a, hidden):
    blocks = [a[k * hidden:(k + 1) * hidden] for k in range(4)]
    return np.concatenate([blocks[k] for k in _TORCH_TO_ONNX_GATES], axis=0)


def _lstm(g, m, x, hx=None):
    """Returns (output, (h_n, c_n)) names, as the module returns Tensors."""
    if hx is not None:
        raise NotImplementedError("tn.onnx.export: an LSTM with a given initial state is not translated yet")
    H, D = m.hidden_size, m.directions
    seq = g.op("Transpose", x, perm=[1, 0, 2]) if m.batch_first else x  # ONNX: (T, B, features)
    h_parts, c_parts = [], []
    for layer in range(m.num_layers):
        W, R, B = [], [], []
        for d in range(D):
            params = [backend.to_host(p._data) for p in m._params(layer, d)]
            W.append(_gates(params[0], H))
            R.append(_gates(params[1], H))
            if m.bias:
                B.append(np.concatenate([_gates(params[2], H), _gates(params[3], H)]))
        bias = g.const(np.stack(B), "lstm_B") if m.bias else ""
        y, h, c = g.op("LSTM", seq, g.const(np.stack(W), "lstm_W"), g.const(np.stack(R), "lstm_R"), bias,
                       outputs=3, hidden_size=H, direction="bidirectional" if D == 2 else "forward")
        h_parts.append(h)
        c_parts.append(c)
        # Y is (T, D, B, H): put the directions next to the features, as PyTorch's (T, B, D·H)
        seq = g.op("Reshape", g.op("Transpose", y, perm=[0, 2, 1, 3]), g.const(np.array([0, 0, -1], dtype=np.int64)))
    out = g.op("Transpose", seq, perm=[1, 0, 2]) if m.batch_first else seq
    h_n = h_parts[0] if len(h_parts) == 1 else g.op("Concat", *h_parts, axis=0)
    c_n = c_parts[0] if len(c_parts) == 1 else g.op("Concat", *c_parts, axis=0)
    return out, (h_n, c_n)


def _identity(g, m, x):
    return x


def _embedding(g, m, idx):
    return g.op("Gather", g.weight(m.weight, name="embedding"), idx, axis=0)  # row idx of the table


def _layernorm(g, m, x):
    """(x - mean) / sqrt(var + eps) * weight + bias over the trailing ``normalized_shape`` dims."""
    shape = tuple(m.normalized_shape)
    axes = list(range(-len(shape), 0))
    scale = g.weight(m.weight, name="ln_weight") if m.weight is not None else g.const(np.ones(shape), "ln_ones")
    bias = g.weight(m.bias, name="ln_bias") if m.bias is not None else None
    if g.opset >= 17:
        # B is optional in ONNX, but onnxruntime (1.32)'s SkipLayerNorm fusion crashes (SIGSEGV at
        # session creation) on a LayerNormalization without it: give zeros
        bias = bias if bias is not None else g.const(np.zeros(shape), "ln_zeros")
        return g.op("LayerNormalization", x, scale, bias, axis=axes[0], epsilon=float(m.eps))
    # before opset 17: the decomposition (ReduceMean still takes axes as an attribute there)
    centred = g.op("Sub", x, g.op("ReduceMean", x, axes=axes, keepdims=1))
    var = g.op("ReduceMean", g.op("Mul", centred, centred), axes=axes, keepdims=1)
    y = g.op("Mul", g.op("Div", centred, g.op("Sqrt", g.op("Add", var, g.const(m.eps)))), scale)
    return y if bias is None else g.op("Add", y, bias)


def _ints(*values):
    return np.array(values, dtype=np.int64)


def _seq_len(g, x):
    """The length of axis 1 of ``x`` as a 1-element int64 tensor (dynamic when the axis is)."""
    return g.op("Shape", x, start=1, end=2)


def _causal_attention(g, m, x):
    """tinynn.models.gpt.CausalSelfAttention: softmax(q kᵀ/√D, the future masked) v, per head."""
    C, H = m.n_embd, m.n_head
    D = C // H
    q, k, v = g.op("Split", g.module(m.c_attn, x), g.const(_ints(C, C, C)), axis=2, outputs=3)  # 3 × (B, T, C)
    heads = g.const(_ints(0, 0, H, D))  # Reshape: 0 keeps that axis (B, T)

    def split_heads(t):  # (B, T, C) -> (B, H, T, D)
        return g.op("Transpose", g.op("Reshape", t, heads), perm=[0, 2, 1, 3])

    q, k, v = split_heads(q), split_heads(k), split_heads(v)
    scores = g.op("Mul", g.op("MatMul", q, g.op("Transpose", k, perm=[0, 1, 3, 2])), g.const(1.0 / math.sqrt(D)))
    # the causal mask for this T: key j is visible from query i when j <= i
    positions = g.op("Range", g.const(np.array(0, dtype=np.int64)),
                     g.op("Squeeze", _seq_len(g, x), g.const(_ints(0))), g.const(np.array(1, dtype=np.int64)))
    visible = g.op("GreaterOrEqual", g.op("Unsqueeze", positions, g.const(_ints(1))),
                   g.op("Unsqueeze", positions, g.const(_ints(0))))  # (T, T), broadcast over (B, H)
    scores = g.op("Where", visible, scores, g.const(-np.inf))
    y = g.op("MatMul", g.op("Softmax", scores, axis=-1), v)  # (B, H, T, D)
    y = g.op("Reshape", g.op("Transpose", y, perm=[0, 2, 1, 3]), g.const(_ints(0, 0, C)))  # heads side by side
    return g.module(m.c_proj, y)  # resid_dropout: identity at inference


def _gpt_mlp(g, m, x):
    return g.module(m.c_proj, g.module(m.gelu, g.module(m.c_fc, x)))


def _gpt_block(g, m, x):
    x = g.op("Add", x, g.module(m.attn, g.module(m.ln_1, x)))
    return g.op("Add", x, g.module(m.mlp, g.module(m.ln_2, x)))


def _gpt(g, m, idx):
    """tinynn.models.gpt.GPT without targets: (logits of the last position (B, 1, V), None)."""
    t = m.transformer
    positions = g.op("Slice", g.weight(t.wpe.weight, name="wpe"), g.const(_ints(0)), _seq_len(g, idx),
                     g.const(_ints(0)))  # rows 0..T-1 of the position table: (T, C)
    x = g.op("Add", g.module(t.wte, idx), positions)  # (B, T, C) + (T, C)
    for block in t.h:
        x = g.module(block, x)
    x = g.module(t.ln_f, x)
    last = g.op("Slice", x, g.const(_ints(-1)), g.const(_ints(2 ** 62)), g.const(_ints(1)))  # x[:, -1:, :]
    return g.module(m.lm_head, last), None


_MODEL_HANDLERS = []


def _model_handlers():
    """Translations of tinynn.models' classes, imported on first use (tinynn.models imports tinynn)."""
    if not _MODEL_HANDLERS:
        from tinynn.models import gpt

        _MODEL_HANDLERS.extend([(gpt.GPT, _gpt), (gpt.Block, _gpt_block), (gpt.CausalSelfAttention, _causal_attention),
                                (gpt.MLP, _gpt_mlp)])
    return _MODEL_HANDLERS


_HANDLERS = [
    (_nn.Sequential, _sequential),
    (_nn.Linear, _linear),
    (_nn.ReLU, _unary("Relu")),
    (_nn.Sigmoid, _unary("Sigmoid")),
    (_nn.Tanh, _unary("Tanh")),
    (getattr(_nn, "GELU", None), _gelu),
    (getattr(_nn, "LogSoftmax", None), _softmax("LogSoftmax")),  # before Softmax: LogSoftmax subclasses it
    (_nn.Softmax, _softmax("Softmax")),
    (getattr(_nn, "Identity", None), _identity),
    (_nn.Dropout, _identity),
    (_nn.Flatten, _flatten),
    (_nn.Conv2d, _conv2d),
    (_nn.MaxPool2d, _pool("MaxPool")),
    (_nn.AvgPool2d, _pool("AveragePool")),
    (getattr(_nn, "BatchNorm1d", None), _batchnorm),
    (getattr(_nn, "BatchNorm2d", None), _batchnorm),
    (getattr(_nn, "LSTM", None), _lstm),
    (getattr(_nn, "Embedding", None), _embedding),
    (getattr(_nn, "LayerNorm", None), _layernorm),
]


def supported():
    """The layer classes ``export`` translates (besides modules with an ``onnx_export``).

    >>> from tinynn import nn
    >>> nn.Linear in supported()
    True
    """
    return [cls for cls, _ in _HANDLERS + _model_handlers() if cls is not None]


# --------------------------------------------------------------------------- the API
_ELEM = {"float32": 1, "float64": 11, "int64": 7, "int32": 6}  # onnx.TensorProto.FLOAT, DOUBLE, INT64, INT32


def _names(result):
    """Flatten a module's returned names ((out, (h, c)) for an LSTM) in order; None (a GPT's
    loss without targets) is no output."""
    if result is None:
        return []
    if isinstance(result, str):
        return [result]
    return [n for r in result for n in _names(r)]


def _tensors(result):
    """The Tensors of a forward's result, flattened in order (like _names)."""
    if result is None:
        return []
    if isinstance(result, Tensor):
        return [result]
    return [t for r in result for t in _tensors(r)]


def _float_dtype(model, x):
    """The graph's float type: the input's, or for integer inputs (token ids) the parameters'."""
    if x.dtype.kind == "f":
        return str(x.dtype)
    for p in model.parameters() if hasattr(model, "parameters") else ():
        if str(p.dtype) in ("float32", "float64"):
            return str(p.dtype)
    return "float32"


def _dynamic_dims(dynamic_axes, input_name, output_names, ndims, dynamic_batch):
    """{graph input/output name: {axis: symbolic name}} from PyTorch's ``dynamic_axes`` (a list
    of axes or an {axis: name} dict per name), plus the input's batch axis when dynamic_batch."""
    dynamic_axes = {} if dynamic_axes is None else dynamic_axes
    if not isinstance(dynamic_axes, dict):
        raise TypeError(f"tn.onnx.export: dynamic_axes must be a dict such as {{{input_name!r}: {{0: 'batch', "
                        f"1: 'sequence'}}}}, got {type(dynamic_axes).__name__}")
    known = dict(zip([input_name, *output_names], ndims))
    result = {name: {} for name in known}
    if dynamic_batch:
        result[input_name][0] = "batch"
    for name, axes in dynamic_axes.items():
        if name not in known:
            raise ValueError(f"tn.onnx.export: dynamic_axes names {name!r}, which is neither the input "
                             f"({input_name!r}) nor an output ({output_names})")
        labels = axes if isinstance(axes, dict) else {a: None for a in axes}
        for axis, label in labels.items():
            if not (isinstance(axis, int) and -known[name] <= axis < known[name]):
                raise ValueError(f"tn.onnx.export: dynamic_axes[{name!r}] has axis {axis!r}; {name!r} has "
                                 f"{known[name]} axes")
            axis %= known[name]
            result[name][axis] = str(label) if label is not None else f"{name}_dim{axis}"
    return result


def export(model, example_input, path, input_name="input", output_names=None, opset_version=OPSET,
           dynamic_batch=True, dynamic_axes=None):
    """Write ``model`` as an ONNX file at ``path`` (atomically) and return the ``onnx.ModelProto``.

    ``example_input`` (a Tensor or array: float32/float64, or int64/int32 token ids for a
    model that starts with an Embedding) fixes the input's dtype and every dimension but the
    first (dynamic when ``dynamic_batch``) and those named in ``dynamic_axes``
    (``{"input": {1: "sequence"}}`` or ``{"input": [1]}``, as in ``torch.onnx.export``).
    Outputs are named ``output`` (or ``output_0``, ``output_1``, ... when the model returns
    several, e.g. an LSTM's ``(output, (h_n, c_n))``); their shapes are left symbolic. The
    model runs once on ``example_input`` in eval mode, to check it can.

    >>> import os, tempfile
    >>> import tinynn as tn
    >>> from tinynn import nn
    >>> path = os.path.join(tempfile.mkdtemp(), "mlp.onnx")
    >>> proto = export(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)), tn.randn(2, 4), path)
    >>> [n.op_type for n in proto.graph.node], os.path.isfile(path)       # doctest: +SKIP
    (['MatMul', 'Add', 'Relu', 'MatMul', 'Add'], True)
    """
    onnx = _require_onnx()
    x = example_input if isinstance(example_input, Tensor) else Tensor(example_input)
    in_dtype = str(x.dtype)
    if in_dtype not in _ELEM:
        raise TypeError(f"tn.onnx.export: example_input must be float32 or float64 (or int64/int32 token "
                        f"ids), got {in_dtype}")
    dtype = _float_dtype(model, x)
    was_training = getattr(model, "training", False)
    model.eval()
    try:
        ranks = [t.ndim for t in _tensors(model(x))]  # fails here, with tinynn's message, if x does not fit
        g = Graph(dtype, opset_version)
        outs = _names(g.module(model, input_name))
    finally:
        model.train(was_training)
    if output_names is None:
        output_names = ["output"] if len(outs) == 1 else [f"output_{i}" for i in range(len(outs))]
    if len(output_names) != len(outs):
        raise ValueError(f"tn.onnx.export: the model has {len(outs)} output(s), got output_names={output_names}")
    dims = _dynamic_dims(dynamic_axes, input_name, list(output_names), [x.ndim, *ranks], dynamic_batch)
    for inner, name in zip(outs, output_names):  # give graph outputs their public names
        g.nodes.append(onnx.helper.make_node("Identity", [inner], [name]))
    shape = [dims[input_name].get(i, int(d)) for i, d in enumerate(x.shape)]
    graph = onnx.helper.make_graph(
        g.nodes, type(model).__name__, [onnx.helper.make_tensor_value_info(input_name, _ELEM[in_dtype], shape)],
        [onnx.helper.make_tensor_value_info(n, _ELEM[dtype], [dims[n].get(i, f"{n}_dim{i}") for i in range(r)])
         for n, r in zip(output_names, ranks)], g.initializers)
    proto = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", opset_version)],
                                   producer_name="tinynn")
    proto.ir_version = min(proto.ir_version, 8)  # readable by onnxruntime >= 1.14
    onnx.checker.check_model(proto)
    path = os.fspath(path)
    tmp = path + ".tmp"
    try:
        with open(tmp, "wb") as f:
            f.write(proto.SerializeToString())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return proto


def run(path, x):
    """Run an ONNX file in onnxruntime on ``x``; a list of NumPy outputs.

    >>> run("missing.onnx", None)                            # doctest: +SKIP
    """
    try:
        import onnxruntime
    except ImportError:
        raise ImportError("tinynn.onnx.run needs onnxruntime: pip install onnxruntime") from None
    session = onnxruntime.InferenceSession(os.fspath(path), providers=["CPUExecutionProvider"])
    a = np.asarray(x.numpy() if isinstance(x, Tensor) else x)
    return session.run(None, {session.get_inputs()[0].name: a})
