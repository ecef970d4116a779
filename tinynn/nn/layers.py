"""Layers with parameters or modes: ``Linear`` (the dense layer), ``Flatten``, ``Dropout``."""
from __future__ import annotations

import math

from tinynn import backend, random
from tinynn.nn import _checks, init
from tinynn.nn.module import Module, Parameter
from tinynn.ops import linear, reshape
from tinynn.tensor import Tensor


class Linear(Module):
    """Dense layer y = x Wᵀ + b  [E6, E23] with ``weight`` of shape (out_features, in_features).

    Initialised as PyTorch does: weight and bias ~ U(-1/sqrt(in), 1/sqrt(in)) (kaiming_uniform
    with a = sqrt(5)), drawn from tinynn's seeded generator. One fused graph node
    (``tinynn.ops.linear``) computes it; its backward is [E8 corrected].

    >>> import tinynn as tn
    >>> from tinynn import nn
    >>> layer = nn.Linear(3, 2)
    >>> layer.weight.shape, layer(tn.ones(5, 3)).shape
    ((2, 3), (5, 2))
    """

    _input_ranks, _input_shape = 1, "(*, {in_features})"

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = _checks.positive_int("Linear", "in_features", in_features)
        self.out_features = _checks.positive_int("Linear", "out_features", out_features)
        dtype = backend.as_dtype(dtype) or backend.default_dtype()
        device = backend.check_device(device or "cpu")
        # allocated on the host (the same draws on every device), then moved
        self.weight = Parameter(_checks.new_array("Linear", (self.out_features, self.in_features), dtype))
        if bias:
            self.bias = Parameter(_checks.new_array("Linear", (self.out_features,), dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()
        if device != "cpu":
            self.to(device)

    def reset_parameters(self):
        """PyTorch's default initialisation (weight first, then bias, from the seeded RNG)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        """``x @ weight.T + bias`` for ``x`` of shape (..., in_features)."""
        if self.bias is None:
            return linear(x, self.weight)
        return linear(x, self.weight, self.bias)

    def extra_repr(self):
        """Sizes and bias for the repr."""
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Flatten(Module):
    """Flatten dims ``start_dim``..``end_dim`` into one: (N, 8, 8) -> (N, 64) by default.

    >>> import tinynn as tn
    >>> Flatten()(tn.zeros(5, 8, 8)).shape
    (5, 64)
    """

    _input_ranks = 0  # any Tensor; anything else is refused naming the layer

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        """``x`` reshaped with dims ``start_dim``..``end_dim`` merged."""
        shape = x.shape
        ndim = max(len(shape), 1)  # a 0-d input counts as 1-d, as in PyTorch
        where = (f"Flatten(start_dim={self.start_dim}, end_dim={self.end_dim}) on an input of "
                 f"shape {tuple(shape)}")
        for dim in (self.start_dim, self.end_dim):
            if not -ndim <= dim < ndim:
                raise IndexError(f"{where}: dim {dim} is out of range [{-ndim}, {ndim - 1}]; a batch of "
                                 "vectors is (N, features); for a single sample use Flatten(0, -1) or "
                                 "add the batch dim with x.unsqueeze(0)")
        start, end = self.start_dim % ndim, self.end_dim % ndim
        if start > end:
            raise RuntimeError(f"{where}: start_dim comes after end_dim; pass start_dim <= end_dim")
        if not shape:
            return reshape(x, (1,))
        middle = 1
        for n in shape[start:end + 1]:
            middle *= n
        return reshape(x, shape[:start] + (middle,) + shape[end + 1:])

    def extra_repr(self):
        """The dims for the repr."""
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


def inverted_dropout(x, p):
    """``x`` times a random mask: 0 with probability ``p``, else 1/(1-p) (used by ``Dropout``
    and between the layers of ``RNN``/``LSTM``/``GRU``). ``p=1`` drops everything (zeros, no
    1/0 scale), ``p=0`` returns ``x`` itself.

    >>> import tinynn as tn
    >>> inverted_dropout(tn.ones(3), 1.0).tolist(), inverted_dropout(tn.ones(3), 0.0).tolist()
    ([0.0, 0.0, 0.0], [1.0, 1.0, 1.0])
    """
    if p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0  # as PyTorch: x * 0 (a nan or inf input stays nan), gradient zero
    keep = random.random_array("random", x.shape, "float64", "cpu") >= p
    mask = (keep * (1.0 / (1.0 - p))).astype(x.dtype)
    return x * Tensor._wrap(backend.to_device(mask, x.device))


class Dropout(Module):
    """Inverted dropout: in training, zero each element with probability ``p`` and scale the
    survivors by 1/(1-p), so the expected activation is unchanged and evaluation needs no
    rescaling. In ``eval()`` mode it is the identity.

    The mask is drawn from tinynn's seeded generator (``tn.manual_seed`` reproduces it) on
    the host, then moved to the input's device.

    >>> import tinynn as tn
    >>> drop = Dropout(0.5)
    >>> y = drop(tn.ones(1000))
    >>> sorted(set(y.tolist()))                      # zeroed, or scaled by 1/(1-p)
    [0.0, 2.0]
    >>> drop.eval()(tn.ones(3)).tolist()
    [1.0, 1.0, 1.0]
    """

    _input_ranks = 0  # any Tensor; anything else is refused naming the layer

    def __init__(self, p=0.5):
        super().__init__()
        self.p = _checks.probability("Dropout", "p", p)  # the probability of zeroing an element

    def forward(self, x):
        """``x`` with dropped elements zeroed and survivors scaled (training); ``x`` in eval."""
        if not self.training:
            return x
        return inverted_dropout(x, self.p)

    def extra_repr(self):
        """``p=...`` for the repr."""
        return f"p={self.p}"
