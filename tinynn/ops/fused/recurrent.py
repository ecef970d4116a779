"""Embedding lookup and the LSTM, each one graph node with a hand-written backward.

An LSTM written with tensor ops records ~20 nodes per time step; as one Function the whole
sequence costs one node, the input projection of all time steps is a single matmul, and the
backward pass (backpropagation through time) is the chain rule [E27] written out by hand.
PyTorch's conventions throughout: gate order i, f, g, o; weight_ih (4H, I), weight_hh (4H, H);
sequences are (T, B, features) ("seq-first"; nn.LSTM transposes for batch_first).

LSTM step (σ = sigmoid):
    gates = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh  = [a_i, a_f, a_g, a_o]      [E6]
    i, f, o = σ(a_i), σ(a_f), σ(a_o);  g = tanh(a_g)                      [E1, E3]
    c' = f ⊙ c + i ⊙ g;  h' = o ⊙ tanh(c')

>>> import tinynn as tn
>>> x = tn.ones((5, 2, 3)); h = c = tn.zeros((2, 4))
>>> w_ih, w_hh = tn.ones((16, 3)) * 0.1, tn.ones((16, 4)) * 0.1
>>> out, h_n, c_n = lstm(x, h, c, w_ih, w_hh)
>>> out.shape, h_n.shape, c_n.shape
((5, 2, 4), (2, 4), (2, 4))
"""
from __future__ import annotations

from tinynn import backend
from tinynn.tensor import Function, Tensor


def _sigmoid(xp, a):
    """σ(a) = (1 + tanh(a/2)) / 2: the same function, and it never overflows  [E1]."""
    return xp.tanh(a * 0.5) * 0.5 + 0.5


def scatter_add_rows(indices, rows, num):
    """A (num, dim) table whose row k is the sum of ``rows[n]`` over every n with indices[n] == k.

    ``np.add.at`` does this one element at a time (4 ms for 3 200 rows of 128 here). Instead:
    ``table[indices] = rows`` puts one of its rows on every token at once; only the tokens that
    occur more than once need more. Sorting the indices groups each token's rows together; the
    second occurrences of all tokens are then distinct rows, and so are the third ones, ...:
    each such "level" is one ordinary fancy-indexed ``+=``, a handful in all (0.2 ms). When
    tokens repeat often (a small vocabulary, e.g. 65 characters), ``add.reduceat`` sums each
    token's run of rows in one call instead. Reference: ``xp.add.at(table, indices, rows)``
    (tests/test_recurrent.py compares the two on both paths).

    >>> import numpy as np
    >>> scatter_add_rows(np.array([2, 0, 2]), np.array([[1.0], [2.0], [3.0]]), 3).ravel().tolist()
    [2.0, 0.0, 4.0]
    """
    xp = backend.xp_of(rows)
    table = xp.zeros((num, rows.shape[1]), dtype=rows.dtype)
    if not len(indices):
        return table
    order = xp.argsort(indices)  # any order within a token's run will do: only the grouping matters
    tokens = indices[order]
    first = xp.empty(len(tokens), dtype=bool)
    first[0] = True
    xp.not_equal(tokens[1:], tokens[:-1], out=first[1:])
    starts = xp.flatnonzero(first)  # where each token's run of rows begins in sorted order
    rank = xp.arange(len(tokens)) - starts[xp.cumsum(first) - 1]  # 0 for a first occurrence, 1 for a second, ...
    levels = int(rank.max()) + 1
    if levels > _MAX_LEVELS:
        table[tokens[starts]] = xp.add.reduceat(rows[order], starts, axis=0)
        return table
    table[indices] = rows  # a repeated token gets one of its rows here (which one is unspecified) ...
    second = xp.flatnonzero(rank == 1)
    table[tokens[second]] = rows[order[second - 1]]  # ... so it restarts from its first occurrence
    for level in range(1, levels):
        at = second if level == 1 else xp.flatnonzero(rank == level)
        table[tokens[at]] += rows[order[at]]  # distinct tokens within one level: a plain += is exact
    return table


_MAX_LEVELS = 8  # beyond this many occurrences of one token, add.reduceat's per-token cost is cheaper


class EmbeddingFunction(Function):
    """weight[indices]: row k of the (num_embeddings, dim) table is the vector of token k.

    Backward: the gradient of every looked-up vector is added to its row; a token used twice
    in the batch gets the sum of both gradients (a scatter-add, ``scatter_add_rows``). The row
    ``padding_idx`` (if given) gets no gradient, as in PyTorch. The gradient is a dense table,
    as PyTorch's default (``sparse=False``). Reference composition: ``weight[indices]``
    (Tensor indexing, whose backward is ``add.at``); tests/test_recurrent.py proves the two equal.
    """

    def __init__(self, indices, padding_idx=None):
        self.indices, self.padding_idx = indices, padding_idx

    def forward(self, weight):
        idx = self.indices
        if idx.dtype.kind not in "iu":
            raise TypeError(f"embedding: indices must be integers, got dtype {idx.dtype} (use .astype('int64'))")
        if backend.device_of(idx) != backend.device_of(weight):
            raise RuntimeError(f"embedding: indices are on '{backend.device_of(idx)}' but the weight is on "
                               f"'{backend.device_of(weight)}': move them with .to('{backend.device_of(weight)}')")
        if weight.ndim != 2:
            raise ValueError(f"embedding: weight must be (num_embeddings, dim), got shape {tuple(weight.shape)}")
        if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= weight.shape[0]):
            bad = int(idx.min()) if int(idx.min()) < 0 else int(idx.max())
            raise IndexError(f"embedding: index {bad} is out of range for a table of {weight.shape[0]} "
                             f"embeddings (valid: 0..{weight.shape[0] - 1}); enlarge num_embeddings")
        self.num = weight.shape[0]
        return backend.xp_of(weight).take(weight, idx, axis=0)  # weight[idx], half the time of fancy indexing

    def backward(self, grad):
        dim = grad.shape[-1]
        full = scatter_add_rows(self.indices.reshape(-1), grad.reshape(-1, dim), self.num)
        if self.padding_idx is not None:
            full[self.padding_idx] = 0
        return full


def _gate_activations(xp, gates, hidden):
    """[a_i, a_f, a_g, a_o] -> [i, f, g, o] in place: σ on i, f, o and tanh on g."""
    act = _sigmoid(xp, gates)
    act[..., 2 * hidden:3 * hidden] = xp.tanh(gates[..., 2 * hidden:3 * hidden])
    return act


def _cell_backward(act, c_prev, tanh_c, dh, dc):
    """One step of BPTT: from ∂L/∂h' and ∂L/∂c' (the total, from above and from later steps)
    to ∂L/∂gates (pre-activations, (B, 4H)) and ∂L/∂c (the previous cell).

        ∂L/∂o = dh ⊙ tanh(c');  dc += dh ⊙ o ⊙ (1 - tanh²(c'))
        ∂L/∂i = dc ⊙ g;  ∂L/∂g = dc ⊙ i;  ∂L/∂f = dc ⊙ c;  ∂L/∂c = dc ⊙ f
        through σ: ⊙ s(1 - s)  [E1];  through tanh: ⊙ (1 - g²)  [E3]
    """
    hidden = dh.shape[-1]
    i, f, g, o = (act[..., k * hidden:(k + 1) * hidden] for k in range(4))
    dc = dc + dh * o * (1 - tanh_c * tanh_c)
    dgates = act.copy()  # same shape and dtype; every slice is overwritten below
    dgates[..., :hidden] = dc * g * i * (1 - i)
    dgates[..., hidden:2 * hidden] = dc * c_prev * f * (1 - f)
    dgates[..., 2 * hidden:3 * hidden] = dc * i * (1 - g * g)
    dgates[..., 3 * hidden:] = dh * tanh_c * o * (1 - o)
    return dgates, dc * f


def _check_lstm(op, x, h, c, w_ih, w_hh, biases):
    hidden = w_hh.shape[-1]
    problems = []
    if w_ih.ndim != 2 or w_hh.shape != (4 * hidden, hidden) or w_ih.shape[0] != 4 * hidden:
        problems.append(f"weight_ih {tuple(w_ih.shape)} must be (4*hidden, input) and weight_hh "
                        f"{tuple(w_hh.shape)} (4*hidden, hidden)")
    elif x.shape[-1] != w_ih.shape[1]:
        problems.append(f"input has {x.shape[-1]} features (shape {tuple(x.shape)}) "
                        f"but weight_ih expects {w_ih.shape[1]}")
    if h.shape != c.shape or h.shape != x.shape[-2:-1] + (hidden,):
        problems.append(f"h {tuple(h.shape)} and c {tuple(c.shape)} must both be "
                        f"(batch={x.shape[-2]}, hidden={hidden})")
    if any(b.shape != (4 * hidden,) for b in biases):
        problems.append(f"biases {[tuple(b.shape) for b in biases]} must be (4*hidden,) = ({4 * hidden},)")
    if problems:
        raise ValueError(f"{op}: " + "; ".join(problems))
    if {a.dtype for a in (x, h, c, w_hh) + tuple(biases)} != {w_ih.dtype}:  # as linear and PyTorch
        raise TypeError(f"{op}: input is {x.dtype} (h {h.dtype}, c {c.dtype}) but the weight is {w_ih.dtype}; "
                        f"convert one of them, e.g. x.to(dtype='{w_ih.dtype}') (float32 data) or "
                        f"model.to(dtype='{x.dtype}')")


class LSTMCellFunction(Function):
    """One LSTM step as one node: inputs x (B, I), h (B, H), c (B, H), weight_ih, weight_hh
    [, bias_ih, bias_hh]; output (B, 2H) = [h', c'] side by side (a Function has one output)."""

    def forward(self, x, h, c, w_ih, w_hh, *biases):
        _check_lstm("lstm_cell", x, h, c, w_ih, w_hh, biases)
        xp = backend.xp_of(x)
        gates = x @ w_ih.T + h @ w_hh.T
        for b in biases:
            gates += b
        hidden = h.shape[-1]
        self.act = act = _gate_activations(xp, gates, hidden)
        c_new = act[:, hidden:2 * hidden] * c + act[:, :hidden] * act[:, 2 * hidden:3 * hidden]
        self.tanh_c = xp.tanh(c_new)
        self.x, self.h, self.c, self.w_ih, self.w_hh = x, h, c, w_ih, w_hh
        return xp.concatenate([act[:, 3 * hidden:] * self.tanh_c, c_new], axis=1)

    def backward(self, grad):
        hidden = self.h.shape[-1]
        dgates, dc_prev = _cell_backward(self.act, self.c, self.tanh_c, grad[:, :hidden], grad[:, hidden:])
        need = self.needs_input_grad
        grads = [dgates @ self.w_ih if need[0] else None,
                 dgates @ self.w_hh if need[1] else None,
                 dc_prev if need[2] else None,
                 dgates.T @ self.x if need[3] else None,
                 dgates.T @ self.h if need[4] else None]
        db = dgates.sum(axis=0) if any(need[5:]) else None
        return tuple(grads) + (db,) * (len(need) - 5)


class LSTMSequenceFunction(Function):
    """A whole LSTM layer over a (T, B, I) sequence as one node.

    Inputs x (T, B, I), h0 (B, H), c0 (B, H), weight_ih, weight_hh [, bias_ih, bias_hh];
    output (T, B, 2H): [h_t, c_t] for every step t (the outputs are the h half; the final
    state is the last step). Backward runs the steps in reverse (BPTT), carrying ∂L/∂h and
    ∂L/∂c from step t to t-1, then forms every weight gradient in one matmul over all steps.

    Speed: the input projection of every step is one matmul before the time loop, and the
    gates are computed in place in its buffer, so a step allocates nothing. Backward first
    forms, for all steps at once, every factor that does not depend on the recurrence; a step
    is then five multiplies and the matmul that carries ∂L/∂h back. Reference: the same
    steps written with ``LSTMCellFunction`` (tests/test_recurrent.py compares the two).
    """

    def forward(self, x, h0, c0, w_ih, w_hh, *biases):
        if x.ndim != 3:
            raise ValueError(f"lstm: expected a (seq_len, batch, features) input, got shape {tuple(x.shape)}")
        if x.shape[0] == 0:  # as PyTorch: there is no last step to return
            raise ValueError(f"lstm: expected a sequence length larger than 0, got input of shape {tuple(x.shape)}")
        _check_lstm("lstm", x, h0, c0, w_ih, w_hh, biases)
        xp = backend.xp_of(x)
        steps, batch, hidden = x.shape[0], x.shape[1], h0.shape[-1]
        # x W_ihᵀ + b for every step in one matmul [E6]; each step adds h W_hhᵀ and activates in place
        act = (x.reshape(steps * batch, x.shape[2]) @ w_ih.T).reshape(steps, batch, 4 * hidden)  # not -1: batch may be 0
        if biases:
            act += biases[0] + biases[1]
        hs = xp.empty((steps + 1, batch, hidden), dtype=x.dtype)
        cs = xp.empty((steps + 1, batch, hidden), dtype=x.dtype)
        tanh_c = xp.empty((steps, batch, hidden), dtype=x.dtype)
        hs[0], cs[0] = h0, c0
        recurrent, scratch = xp.empty((batch, 4 * hidden), dtype=x.dtype), xp.empty((batch, hidden), dtype=x.dtype)
        w_hh_t = w_hh.T
        for t in range(steps):  # the recurrence itself cannot be vectorised over time
            gates = act[t]
            gates += xp.matmul(hs[t], w_hh_t, out=recurrent)
            _activate_in_place(xp, gates, hidden, scratch)
            i, f, g, o = (gates[:, k * hidden:(k + 1) * hidden] for k in range(4))
            xp.multiply(f, cs[t], out=cs[t + 1])  # c' = f ⊙ c + i ⊙ g
            cs[t + 1] += xp.multiply(i, g, out=scratch)
            xp.tanh(cs[t + 1], out=tanh_c[t])
            xp.multiply(o, tanh_c[t], out=hs[t + 1])  # h' = o ⊙ tanh(c')
        self.act, self.hs, self.cs, self.tanh_c = act, hs, cs, tanh_c
        self.x, self.w_ih, self.w_hh = x, w_ih, w_hh
        return xp.concatenate([hs[1:], cs[1:]], axis=2)

    def backward(self, grad):
        xp = backend.xp_of(grad)
        steps, batch, hidden = self.tanh_c.shape
        dgates, through_h = _step_factors(xp, self.act, self.cs[:-1], self.tanh_c)
        d4 = dgates.reshape(steps, batch, 4, hidden)
        forget = self.act.reshape(steps, batch, 4, hidden)[:, :, 1]
        dh, dc = xp.zeros_like(self.hs[0]), xp.zeros_like(self.cs[0])
        scratch = xp.empty_like(dh)
        for t in range(steps - 1, -1, -1):
            dh += grad[t, :, :hidden]  # ∂L/∂h_t: from the output at t, and (in dh) from step t+1
            dc += grad[t, :, hidden:]
            dc += xp.multiply(dh, through_h[t], out=scratch)  # ∂L/∂c_t in total: dc + dh ⊙ o ⊙ (1 - tanh²(c_t))
            d4[t, :, :3] *= dc[:, None]  # ∂L/∂a_i, ∂L/∂a_f, ∂L/∂a_g
            d4[t, :, 3] *= dh  # ∂L/∂a_o
            dc *= forget[t]  # ∂L/∂c_(t-1) = dc ⊙ f
            xp.matmul(dgates[t], self.w_hh, out=dh)  # ∂L/∂h_(t-1) = ∂L/∂gates W_hh
        need = self.needs_input_grad
        d2 = dgates.reshape(steps * batch, 4 * hidden)
        grads = [(d2 @ self.w_ih).reshape(self.x.shape) if need[0] else None,
                 dh if need[1] else None,
                 dc if need[2] else None,
                 d2.T @ self.x.reshape(steps * batch, self.x.shape[2]) if need[3] else None,
                 d2.T @ self.hs[:-1].reshape(steps * batch, hidden) if need[4] else None]
        db = d2.sum(axis=0) if any(need[5:]) else None
        return tuple(grads) + (db,) * (len(need) - 5)


def _activate_in_place(xp, gates, hidden, scratch):
    """[a_i, a_f, a_g, a_o] -> [i, f, g, o] in place: σ on i, f, o and tanh on g  [E1, E3]."""
    g = gates[:, 2 * hidden:3 * hidden]
    xp.tanh(g, out=scratch)
    gates *= 0.5  # σ(a) = (1 + tanh(a/2)) / 2 on all four blocks (it never overflows) ...
    xp.tanh(gates, out=gates)
    gates *= 0.5
    gates += 0.5
    g[...] = scratch  # ... then the g block gets its tanh back


def _step_factors(xp, act, c_prev, tanh_c):
    """For every step at once, the factors m with ∂L/∂gates = m ⊙ [dc, dc, dc, dh] and the factor
    o ⊙ (1 - tanh²(c')) that carries ∂L/∂h into ∂L/∂c (see ``_cell_backward``):

        m = [g σ'(a_i), c σ'(a_f), i (1 - g²), tanh(c') σ'(a_o)],  σ' = s (1 - s)  [E1], tanh' = 1 - tanh²  [E3]
    """
    steps, batch, four_h = act.shape
    hidden = four_h // 4
    m = 1 - act
    m *= act  # s (1 - s) for every block; the g block is replaced below
    m4, (i, f, g, o) = m.reshape(steps, batch, 4, hidden), (act[..., k * hidden:(k + 1) * hidden] for k in range(4))
    m4[:, :, 0] *= g
    m4[:, :, 1] *= c_prev
    xp.multiply(g, g, out=m4[:, :, 2])
    xp.subtract(1, m4[:, :, 2], out=m4[:, :, 2])
    m4[:, :, 2] *= i
    m4[:, :, 3] *= tanh_c
    through_h = tanh_c * tanh_c
    xp.subtract(1, through_h, out=through_h)
    through_h *= o
    return m, through_h


def embedding(indices, weight, padding_idx=None):
    """Rows of ``weight`` picked by integer ``indices`` (any shape): output indices.shape + (dim,).

    >>> import tinynn as tn
    >>> embedding(tn.tensor([[0, 2, 2]]), tn.arange(6.0).reshape(3, 2)).tolist()
    [[[0.0, 1.0], [4.0, 5.0], [4.0, 5.0]]]
    """
    data = indices._data if isinstance(indices, Tensor) else backend.xp_of(weight._data).asarray(indices)
    return EmbeddingFunction(data, padding_idx)(weight)


def _args(x, h, c, w_ih, w_hh, b_ih, b_hh):
    if (b_ih is None) != (b_hh is None):
        raise ValueError("lstm: give both bias_ih and bias_hh, or neither")
    return (x, h, c, w_ih, w_hh) + (() if b_ih is None else (b_ih, b_hh))


def lstm_cell(x, h, c, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step (torch's gate order i, f, g, o); returns (h', c').

    >>> import tinynn as tn
    >>> h, c = lstm_cell(tn.ones((2, 3)), tn.zeros((2, 4)), tn.zeros((2, 4)), tn.zeros((16, 3)), tn.zeros((16, 4)))
    >>> h.shape, c.tolist()[0]   # all gates 0.5, g = 0: c' = 0.5 * 0 + 0.5 * 0
    ((2, 4), [0.0, 0.0, 0.0, 0.0])
    """
    both = LSTMCellFunction()(*_args(x, h, c, w_ih, w_hh, b_ih, b_hh))
    hidden = h.shape[-1]
    return both[:, :hidden], both[:, hidden:]


def lstm(x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM layer over a (T, B, I) sequence; returns (outputs (T, B, H), h_n, c_n)."""
    states = LSTMSequenceFunction()(*_args(x, h0, c0, w_ih, w_hh, b_ih, b_hh))
    hidden = h0.shape[-1]
    return states[:, :, :hidden], states[-1, :, :hidden], states[-1, :, hidden:]


__all__ = ["embedding", "lstm_cell", "lstm"]
