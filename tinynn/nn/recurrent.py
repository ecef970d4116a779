"""Sequence layers: ``Embedding``, the cells ``RNNCell``/``LSTMCell``/``GRUCell`` and the
layers ``RNN``/``LSTM``/``GRU`` that run them over a sequence, as in PyTorch.

Shapes, gate orders (LSTM: i, f, g, o; GRU: r, z, n), parameter names (``weight_ih_l0``,
``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``, ``..._reverse``) and the initialisation
U(-1/sqrt(hidden), 1/sqrt(hidden)) follow torch.nn, so state dicts interchange. Sequences
are (seq_len, batch, features) unless ``batch_first=True``.

The LSTM runs every layer as one fused node (``tinynn.ops.fused.recurrent.LSTMSequenceFunction``); RNN
and GRU are written with ordinary tensor ops, one small graph per time step.

>>> import tinynn as tn
>>> from tinynn import nn
>>> lstm = nn.LSTM(8, 16, batch_first=True)
>>> out, (h_n, c_n) = lstm(tn.randn(4, 10, 8))
>>> out.shape, h_n.shape, c_n.shape
((4, 10, 16), (1, 4, 16), (1, 4, 16))
"""
from __future__ import annotations

import math

from tinynn import backend
from tinynn.nn import _checks, init
from tinynn.nn.layers import inverted_dropout
from tinynn.nn.module import Module, Parameter
from tinynn.ops import concatenate, embedding, linear, lstm, lstm_cell, sigmoid, stack, tanh
from tinynn.tensor import Tensor


class Embedding(Module):
    """A lookup table: token k -> row k of ``weight`` (num_embeddings, embedding_dim).

    Initialised N(0, 1) as PyTorch; the row ``padding_idx`` (if given) starts at zero and
    never receives a gradient. Keras' ``Embedding(vocab_size, embedding_dim)`` is the same layer.

    >>> import tinynn as tn
    >>> from tinynn import nn
    >>> emb = nn.Embedding(100, 8)
    >>> emb(tn.tensor([[1, 2, 3], [4, 5, 6]])).shape
    (2, 3, 8)
    """

    _input_ranks = 0  # any Tensor; anything else is refused naming the layer

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, device=None, dtype=None):
        super().__init__()
        self.num_embeddings = _checks.positive_int("Embedding", "num_embeddings", num_embeddings)
        self.embedding_dim = _checks.positive_int("Embedding", "embedding_dim", embedding_dim)
        if padding_idx is not None:
            padding_idx = _checks.integer("Embedding", "padding_idx", padding_idx)
            if not -self.num_embeddings <= padding_idx < self.num_embeddings:
                raise ValueError(f"Embedding: padding_idx {padding_idx} is outside the table of "
                                 f"{self.num_embeddings} embeddings")
            padding_idx %= self.num_embeddings
        self.padding_idx = padding_idx
        dtype = backend.as_dtype(dtype) or backend.default_dtype()
        self.weight = Parameter(_checks.new_array("Embedding", (self.num_embeddings, self.embedding_dim), dtype))
        self.reset_parameters()
        if device is not None and backend.check_device(device) != "cpu":
            self.to(device)

    def reset_parameters(self):
        """Redraw ``weight`` from N(0, 1) (PyTorch's init); the padding row back to zero."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight._data[self.padding_idx] = 0

    def forward(self, indices):
        """Rows of ``weight`` for integer ``indices`` of any shape; the result has shape
        ``indices.shape + (embedding_dim,)``."""
        return embedding(indices, self.weight, self.padding_idx)

    def extra_repr(self):
        """Table size (and padding_idx) for the repr."""
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"


# ----------------------------------------------------------------------------- cell maths
def _rnn_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh"):
    """h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)  [E6 twice, then E2/E3]."""
    a = linear(x, w_ih, b_ih) + linear(h, w_hh, b_hh)
    return tanh(a) if nonlinearity == "tanh" else a.relu()


def _gru_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None):
    """PyTorch's GRU step (gate order r, z, n):
    r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
    n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1 - z) ⊙ n + z ⊙ h."""
    hidden = h.shape[-1]
    gi, gh = linear(x, w_ih, b_ih), linear(h, w_hh, b_hh)
    r = sigmoid(gi[:, :hidden] + gh[:, :hidden])
    z = sigmoid(gi[:, hidden:2 * hidden] + gh[:, hidden:2 * hidden])
    n = tanh(gi[:, 2 * hidden:] + r * gh[:, 2 * hidden:])
    return n + z * (h - n)


def _zeros(shape, like):
    return Tensor(backend.xp_of(like._data).zeros(shape, dtype=like.dtype))


def _uniform_parameters(module, shapes, hidden_size, dtype):
    """Register the named parameters with PyTorch's init U(-1/sqrt(H), 1/sqrt(H)), in order."""
    bound = 1 / math.sqrt(hidden_size)
    for name, shape in shapes:
        p = Parameter(_checks.new_array(type(module).__name__, shape, dtype))
        init.uniform_(p, -bound, bound)
        setattr(module, name, p)


class _CellBase(Module):
    gates = 1

    _input_ranks, _input_shape = (1, 2), "(N, {input_size}) or ({input_size},)"

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__()
        self.input_size = _checks.positive_int(type(self).__name__, "input_size", input_size)
        self.hidden_size = _checks.positive_int(type(self).__name__, "hidden_size", hidden_size)
        self.bias = bool(bias)
        g, h = self.gates * self.hidden_size, self.hidden_size
        shapes = [("weight_ih", (g, self.input_size)), ("weight_hh", (g, h))]
        if bias:
            shapes += [("bias_ih", (g,)), ("bias_hh", (g,))]
        _uniform_parameters(self, shapes, h, backend.as_dtype(dtype) or backend.default_dtype())
        if device is not None and backend.check_device(device) != "cpu":
            self.to(device)

    def _params(self):
        return (self.weight_ih, self.weight_hh) + ((self.bias_ih, self.bias_hh) if self.bias else ())

    def _check(self, x):
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(f"{type(self).__name__}: expected input (batch, {self.input_size}) or "
                             f"({self.input_size},), got shape {tuple(x.shape)}")

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}, bias={self.bias}"


class RNNCell(_CellBase):
    """Elman cell h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh) (``nonlinearity="relu"`` for ReLU).

    >>> import tinynn as tn
    >>> from tinynn import nn
    >>> nn.RNNCell(3, 5)(tn.randn(2, 3)).shape
    (2, 5)
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        _checks.choice("RNNCell", "nonlinearity", nonlinearity, ("tanh", "relu"))
        super().__init__(input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, x, hx=None):
        """The next hidden state for input ``x`` (B, I) or (I,) and state ``hx`` (default zeros)."""
        self._check(x)
        if x.ndim == 1:
            return self.forward(x.unsqueeze(0), None if hx is None else hx.unsqueeze(0)).squeeze(0)
        hx = _zeros((x.shape[0], self.hidden_size), x) if hx is None else hx
        return _rnn_cell(x, hx, *self._params(), nonlinearity=self.nonlinearity)


class LSTMCell(_CellBase):
    """One LSTM step; returns (h', c'). Gate order i, f, g, o as PyTorch; one fused node.

    >>> import tinynn as tn
    >>> from tinynn import nn
    >>> h, c = nn.LSTMCell(3, 5)(tn.randn(2, 3))
    >>> h.shape, c.shape
    ((2, 5), (2, 5))
    """

    gates = 4

    def forward(self, x, hx=None):
        """The next ``(h, c)`` for input ``x`` (B, I) or (I,) and state ``hx=(h, c)`` (default zeros)."""
        self._check(x)
        if x.ndim == 1:
            hx = None if hx is None else (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
            h, c = self.forward(x.unsqueeze(0), hx)
            return h.squeeze(0), c.squeeze(0)
        if hx is None:
            hx = (_zeros((x.shape[0], self.hidden_size), x),) * 2
        return lstm_cell(x, hx[0], hx[1], *self._params())


class GRUCell(_CellBase):
    """One GRU step (gate order r, z, n as PyTorch); returns h'.

    >>> import tinynn as tn
    >>> from tinynn import nn
    >>> nn.GRUCell(3, 5)(tn.randn(2, 3)).shape
    (2, 5)
    """

    gates = 3

    def forward(self, x, hx=None):
        """The next hidden state for input ``x`` (B, I) or (I,) and state ``hx`` (default zeros)."""
        self._check(x)
        if x.ndim == 1:
            return self.forward(x.unsqueeze(0), None if hx is None else hx.unsqueeze(0)).squeeze(0)
        hx = _zeros((x.shape[0], self.hidden_size), x) if hx is None else hx
        return _gru_cell(x, hx, *self._params())


# ----------------------------------------------------------------------------- layers
class _RecurrentBase(Module):
    """Stacking (num_layers), direction(s), batch_first, dropout between layers, and the
    parameter names; subclasses say how one layer runs over one (T, B, I) sequence."""

    gates = 1
    has_cell_state = False

    _input_ranks, _input_shape = (2, 3), "(seq_len, N, {input_size}) ((N, seq_len, {input_size}) if batch_first)"

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__()
        layer = type(self).__name__
        self.input_size = _checks.positive_int(layer, "input_size", input_size)
        self.hidden_size = _checks.positive_int(layer, "hidden_size", hidden_size)
        self.num_layers = _checks.positive_int(layer, "num_layers", num_layers)
        _checks.probability(layer, "dropout", dropout)
        self.dropout = float(dropout)
        self.bias = _checks.flag(layer, "bias", bias)  # PyTorch refuses a non-bool bias and batch_first too
        self.batch_first = _checks.flag(layer, "batch_first", batch_first)
        self.bidirectional = bool(bidirectional)  # (but takes any truth value here)
        self.directions = 2 if bidirectional else 1
        g, h = self.gates * self.hidden_size, self.hidden_size
        widest = max(self.input_size, h * self.directions)
        _checks.total_elements(layer, self.num_layers * self.directions * (g * (widest + h) + 2 * g))
        shapes = []
        for layer in range(self.num_layers):
            size_in = self.input_size if layer == 0 else h * self.directions
            for suffix in ("", "_reverse")[:self.directions]:
                shapes += [(f"weight_ih_l{layer}{suffix}", (g, size_in)), (f"weight_hh_l{layer}{suffix}", (g, h))]
                if bias:
                    shapes += [(f"bias_ih_l{layer}{suffix}", (g,)), (f"bias_hh_l{layer}{suffix}", (g,))]
        _uniform_parameters(self, shapes, h, backend.as_dtype(dtype) or backend.default_dtype())
        if device is not None and backend.check_device(device) != "cpu":
            self.to(device)

    def _params(self, layer, direction):
        suffix = f"l{layer}" + ("_reverse" if direction else "")
        names = ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if self.bias else ())
        return tuple(getattr(self, f"{n}_{suffix}") for n in names)

    def _initial_state(self, x, hx, batch, unbatched):
        shape = (self.num_layers * self.directions, batch, self.hidden_size)
        states = hx if self.has_cell_state else (hx,)
        if hx is None:
            return (_zeros(shape, x),) * (2 if self.has_cell_state else 1)
        states = tuple(s.unsqueeze(1) if unbatched else s for s in states)
        for s in states:
            if tuple(s.shape) != shape:
                raise ValueError(f"{type(self).__name__}: initial state has shape {tuple(s.shape)}, expected "
                                 f"(num_layers*directions, batch, hidden) = {shape}")
        return states

    def forward(self, x, hx=None):
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size:
            layout = "(batch, seq_len, features)" if self.batch_first else "(seq_len, batch, features)"
            raise ValueError(f"{type(self).__name__}: expected input {layout} with features={self.input_size}, "
                             f"got shape {tuple(x.shape)}")
        unbatched = x.ndim == 2
        if unbatched:
            x = x.unsqueeze(1)
        elif self.batch_first:
            x = x.transpose(0, 1)
        if x.shape[0] == 0:  # PyTorch: "Expected sequence length to be larger than 0 in RNN"
            raise ValueError(f"{type(self).__name__}: expected a sequence length larger than 0, got input of shape "
                             f"{tuple(x.shape)} (seq_len, N, features)")
        states = self._initial_state(x, hx, x.shape[1], unbatched)
        finals = [[] for _ in states]
        for layer in range(self.num_layers):
            outputs = []
            for d in range(self.directions):
                k = layer * self.directions + d
                seq = x if d == 0 else x[::-1]
                out, *last = self._run_layer(seq, tuple(s[k] for s in states), self._params(layer, d))
                outputs.append(out if d == 0 else out[::-1])
                for store, value in zip(finals, last):
                    store.append(value)
            x = outputs[0] if self.directions == 1 else concatenate(outputs, axis=2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = inverted_dropout(x, self.dropout)
        finals = [stack(f, axis=0) for f in finals]
        if unbatched:
            x, finals = x.squeeze(1), [f.squeeze(1) for f in finals]
        elif self.batch_first:
            x = x.transpose(0, 1)
        return x, (tuple(finals) if self.has_cell_state else finals[0])

    def _run_layer(self, seq, state, params):
        raise NotImplementedError

    def extra_repr(self):
        extras = [f"num_layers={self.num_layers}"] if self.num_layers != 1 else []
        for name, default in (("bias", True), ("batch_first", False), ("dropout", 0.0), ("bidirectional", False)):
            if getattr(self, name) != default:
                extras.append(f"{name}={getattr(self, name)}")
        return ", ".join([f"{self.input_size}, {self.hidden_size}"] + extras)


class LSTM(_RecurrentBase):
    """A (stack of) LSTM layer(s), as ``torch.nn.LSTM``; returns (output, (h_n, c_n)).

    output: the top layer's h at every step, (T, B, D·H) ((B, T, D·H) with batch_first);
    h_n, c_n: the last step's state of every layer, (num_layers·D, B, H), D = 2 if
    bidirectional else 1. Keras' ``LSTM(units, return_sequences=True)`` is ``output``;
    ``return_sequences=False`` is ``output[:, -1]`` (batch_first) or ``h_n[-1]``.

    >>> import tinynn as tn
    >>> from tinynn import nn
    >>> out, (h, c) = nn.LSTM(4, 6, num_layers=2)(tn.randn(7, 3, 4))
    >>> out.shape, h.shape
    ((7, 3, 6), (2, 3, 6))
    """

    gates = 4
    has_cell_state = True

    def _run_layer(self, seq, state, params):
        return lstm(seq, state[0], state[1], *params)  # one fused node for the whole sequence


class RNN(_RecurrentBase):
    """Elman RNN layer(s) (tanh, or ``nonlinearity="relu"``); returns (output, h_n).

    >>> import tinynn as tn
    >>> from tinynn import nn
    >>> out, h = nn.RNN(4, 6)(tn.randn(7, 3, 4))
    >>> out.shape, h.shape
    ((7, 3, 6), (1, 3, 6))
    """

    def __init__(self, *args, nonlinearity="tanh", **kwargs):
        _checks.choice("RNN", "nonlinearity", nonlinearity, ("tanh", "relu"))
        super().__init__(*args, **kwargs)
        self.nonlinearity = nonlinearity

    def _run_layer(self, seq, state, params):
        h, outputs = state[0], []
        for t in range(seq.shape[0]):
            h = _rnn_cell(seq[t], h, *params, nonlinearity=self.nonlinearity)
            outputs.append(h)
        return stack(outputs, axis=0), h


class GRU(_RecurrentBase):
    """GRU layer(s) as ``torch.nn.GRU`` (gate order r, z, n); returns (output, h_n).

    >>> import tinynn as tn
    >>> from tinynn import nn
    >>> out, h = nn.GRU(4, 6, batch_first=True)(tn.randn(3, 7, 4))
    >>> out.shape, h.shape
    ((3, 7, 6), (1, 3, 6))
    """

    gates = 3

    def _run_layer(self, seq, state, params):
        h, outputs = state[0], []
        for t in range(seq.shape[0]):
            h = _gru_cell(seq[t], h, *params)
            outputs.append(h)
        return stack(outputs, axis=0), h
