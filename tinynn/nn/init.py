"""Weight initialisation, in place on Parameters, with PyTorch's names and formulas.

The documents' three schemes are here: zero (``zeros_``; shown in the tutorials to make
every hidden unit identical), Gaussian (``normal_``) and uniform (``uniform_``), plus the
scaled ones that keep activations from shrinking or exploding layer after layer:
Xavier/Glorot (for tanh/sigmoid) and Kaiming/He (for ReLU). Random draws come from
tinynn's seeded generator (``tn.manual_seed``) on the host, so runs match across devices.

>>> import tinynn as tn
>>> from tinynn import nn
>>> w = nn.Parameter(tn.zeros(256, 100))
>>> _ = nn.init.kaiming_uniform_(w, nonlinearity="relu")
>>> bound = (6 / 100) ** 0.5                       # gain sqrt(2) * sqrt(3 / fan_in)
>>> bool(abs(w.data).max() <= bound)
True
"""
from __future__ import annotations

import math

from tinynn import backend, random
from tinynn.tensor import Tensor


def _fill(tensor, values):
    """Write host ``values`` into the tensor's own array (same object, same device)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"nn.init: expected a Tensor or Parameter, got {type(tensor).__name__}")
    tensor._data[...] = backend.to_device(values.astype(tensor.dtype, copy=False), tensor.device)
    return tensor


def _shape(tensor):
    """The shape of the tensor to fill, after checking that it is one."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"nn.init: expected a Tensor or Parameter, got {type(tensor).__name__}")
    return tensor.shape


def _draw(kind, tensor, **kw):
    return _fill(tensor, random.random_array(kind, _shape(tensor), tensor.dtype, "cpu", **kw))


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity (PyTorch's table).

    >>> round(calculate_gain("relu"), 4), calculate_gain("tanh")
    (1.4142, 1.6666666666666667)
    """
    linear = ("linear", "identity", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d", "sigmoid")
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; "
                     f"use one of {linear + ('tanh', 'relu', 'leaky_relu', 'selu')}")


def _calculate_fan_in_and_fan_out(tensor):
    """fan_in = shape[1] * receptive field, fan_out = shape[0] * receptive field (PyTorch).

    For a Linear weight (out, in): fan_in = in, fan_out = out.
    """
    if tensor.ndim < 2:
        raise ValueError(f"nn.init: fan in and fan out need a tensor with at least 2 dimensions, "
                         f"got shape {tuple(tensor.shape)} (initialise biases with uniform_/zeros_)")
    receptive = 1
    for n in tensor.shape[2:]:
        receptive *= n
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor, mode):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"nn.init: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def zeros_(tensor):
    """Fill with 0 (the documents' zero initialisation: fine for biases, not for weights).

    >>> import tinynn as tn
    >>> zeros_(tn.ones(3)).tolist()
    [0.0, 0.0, 0.0]
    """
    return _fill(tensor, backend.numpy.zeros(_shape(tensor)))


def ones_(tensor):
    """Fill with 1.

    >>> import tinynn as tn
    >>> ones_(tn.zeros(2)).tolist()
    [1.0, 1.0]
    """
    return _fill(tensor, backend.numpy.ones(_shape(tensor)))


def constant_(tensor, val):
    """Fill with ``val``.

    >>> import tinynn as tn
    >>> constant_(tn.zeros(2), 0.5).tolist()
    [0.5, 0.5]
    """
    return _fill(tensor, backend.numpy.full(_shape(tensor), float(val)))


def normal_(tensor, mean=0.0, std=1.0):
    """Gaussian samples N(mean, std²) (the documents' Gaussian initialisation).

    >>> import tinynn as tn
    >>> tn.manual_seed(0)
    >>> w = normal_(tn.zeros(100, 100), mean=1.0, std=0.1)
    >>> round(float(w.numpy().mean()), 1), round(float(w.numpy().std()), 1)
    (1.0, 0.1)
    """
    return _draw("normal", tensor, loc=mean, scale=std)


def uniform_(tensor, a=0.0, b=1.0):
    """Uniform samples in [a, b) (the documents' uniform initialisation).

    >>> import tinynn as tn
    >>> tn.manual_seed(0)
    >>> w = uniform_(tn.zeros(1000), -0.5, 0.5).numpy()
    >>> bool(w.min() >= -0.5 and w.max() < 0.5)
    True
    """
    return _draw("uniform", tensor, low=a, high=b)


def xavier_uniform_(tensor, gain=1.0):
    """Glorot uniform: U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)).

    >>> import tinynn as tn
    >>> tn.manual_seed(0)
    >>> w = xavier_uniform_(tn.zeros(30, 20)).numpy()       # a = sqrt(6 / 50) ≈ 0.346
    >>> bool(abs(w).max() <= (6 / 50) ** 0.5)
    True
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain=1.0):
    """Glorot normal: N(0, std²), std = gain * sqrt(2 / (fan_in + fan_out)).

    >>> import tinynn as tn
    >>> tn.manual_seed(0)
    >>> round(float(xavier_normal_(tn.zeros(100, 100)).numpy().std()), 2)   # sqrt(2 / 200)
    0.1
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)))


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """He uniform: U(-b, b), b = gain * sqrt(3 / fan), gain = calculate_gain(nonlinearity, a).

    ``a=sqrt(5)`` (what ``nn.Linear`` uses, as PyTorch) gives b = 1 / sqrt(fan_in).

    >>> import tinynn as tn
    >>> tn.manual_seed(0)
    >>> w = kaiming_uniform_(tn.zeros(50, 24), nonlinearity="relu").numpy()   # b = sqrt(6 / 24)
    >>> bool(abs(w).max() <= 0.5)
    True
    """
    gain = calculate_gain(nonlinearity, a)
    bound = math.sqrt(3.0) * gain / math.sqrt(_fan(tensor, mode))
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """He normal: N(0, std²), std = gain / sqrt(fan).

    >>> import tinynn as tn
    >>> tn.manual_seed(0)
    >>> w = kaiming_normal_(tn.zeros(100, 200), nonlinearity="relu")   # std = sqrt(2 / 200)
    >>> round(float(w.numpy().std()), 2)
    0.1
    """
    gain = calculate_gain(nonlinearity, a)
    return normal_(tensor, 0.0, gain / math.sqrt(_fan(tensor, mode)))


# the other common names of the same schemes
glorot_uniform_, glorot_normal_ = xavier_uniform_, xavier_normal_
he_uniform_, he_normal_ = kaiming_uniform_, kaiming_normal_


# -- more of PyTorch's schemes (issue 12) ----------------------------------------------------
def eye_(tensor):
    """The identity matrix (a 2-d tensor; ones on the diagonal of a non-square one).

    >>> import tinynn as tn
    >>> eye_(tn.zeros(2, 3)).tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    """
    if not isinstance(tensor, Tensor) or tensor.ndim != 2:
        raise ValueError(f"nn.init.eye_: only 2-d tensors are supported, got "
                         f"{tuple(tensor.shape) if isinstance(tensor, Tensor) else type(tensor).__name__}")
    return _fill(tensor, backend.numpy.eye(*tensor.shape))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0):
    """N(mean, std²) restricted to [a, b] (absolute bounds, as PyTorch): draws outside are
    redrawn until every value lies inside.

    >>> import tinynn as tn
    >>> w = trunc_normal_(tn.zeros(1000), std=1.0, a=-0.5, b=0.5).numpy()
    >>> bool(w.min() >= -0.5 and w.max() <= 0.5)
    True
    """
    if not a < b:
        raise ValueError(f"nn.init.trunc_normal_: need a < b, got a={a}, b={b}")
    np = backend.numpy
    rng = random.rng()
    values = rng.normal(mean, std, size=_shape(tensor))
    outside = (values < a) | (values > b)
    for _ in range(1000):  # each pass keeps at least P(a <= x <= b) of the rest
        if not outside.any():
            break
        values[outside] = rng.normal(mean, std, size=int(outside.sum()))
        outside = (values < a) | (values > b)
    else:
        raise ValueError(f"nn.init.trunc_normal_: [a, b] = [{a}, {b}] is too far in the tail of N({mean}, {std}²)")
    return _fill(tensor, np.asarray(values))


def orthogonal_(tensor, gain=1.0):
    """A (semi-)orthogonal matrix times ``gain`` (Saxe et al.): rows or columns orthonormal,
    from the QR decomposition of a Gaussian matrix; dims after the first are flattened.

    >>> import tinynn as tn
    >>> w = orthogonal_(tn.zeros(3, 5)).numpy()
    >>> bool(abs(w @ w.T - tn.eye(3).numpy()).max() < 1e-5)
    True
    """
    if not isinstance(tensor, Tensor) or tensor.ndim < 2:
        raise ValueError("nn.init.orthogonal_: only tensors with 2 or more dimensions are supported")
    np = backend.numpy
    rows = tensor.shape[0]
    cols = tensor._data.size // rows if rows else 0
    flat = random.rng().normal(size=(rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))  # a unique decomposition: the distribution is uniform (Haar)
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(tensor.shape))

