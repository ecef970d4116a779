"""Layer normalisation in one node: the fused kernel behind ``nn.LayerNorm``.

Reference composition: ``layer_norm_reference`` below (mean, var, sqrt, divide, scale and
shift from the primitives); tests/test_layernorm.py proves the two equal in value and gradient.

Over the last ``len(normalized_shape)`` dims, with n elements each:

    μ = mean(x),  σ² = mean((x - μ)²)  (biased: divide by n, as PyTorch),  s = 1/√(σ² + eps)
    x̂ = (x - μ) s,  y = x̂ ⊙ weight + bias

Backward, with g = ∂L/∂y and ĝ = g ⊙ weight (the gradient reaching x̂):

    ∂L/∂x = s (ĝ - mean(ĝ) - x̂ mean(ĝ ⊙ x̂))      ∂L/∂weight = Σ g ⊙ x̂      ∂L/∂bias = Σ g

(the sums run over every leading dim). The x line comes from ∂x̂_i/∂x_j = s(δ_ij - 1/n - x̂_i x̂_j/n):
each x_j moves x̂_i directly, through the mean, and through σ. A gradient that is constant
over the row, or proportional to x̂, has no effect on y: LayerNorm removes those directions.
"""
from __future__ import annotations

import math

from tinynn import backend
from tinynn.tensor import Function


class LayerNormFunction(Function):
    """y = (x - μ)/√(σ² + eps) ⊙ weight + bias over the last ``ndim`` dims; backward above.

    The input is seen as a (rows, n) matrix. Every sum over a row or a column is a matrix-vector
    product with a vector of ones, and Σ a ⊙ b over a row a dot product (``vecdot``): NumPy's
    own ``sum(axis=-1)`` over rows of 128 costs ~10x more (per-row setup), and (a * b).sum()
    writes a temporary first.
    """

    def __init__(self, ndim, eps):
        self.ndim, self.eps = ndim, eps

    def forward(self, x, weight=None, bias=None):
        xp = backend.xp_of(x)
        n = math.prod(x.shape[x.ndim - self.ndim:])
        rows = math.prod(x.shape[:x.ndim - self.ndim])
        x2 = x.reshape(rows, n)
        ones = xp.ones(n, dtype=x.dtype)
        mu = x2 @ ones
        mu *= 1 / n
        xhat = x2 - mu[:, None]
        var = _row_dot(xp, xhat, xhat)
        var *= 1 / n
        var += self.eps
        rstd = var ** -0.5  # s = 1/√(σ² + eps), one value per row
        xhat *= rstd[:, None]
        self.save(xhat, rstd, weight)
        if weight is None:
            out = xhat.copy() if bias is None else xhat + bias.reshape(n)
        else:
            out = xhat * weight.reshape(n)
            if bias is not None:
                out += bias.reshape(n)
        return out.reshape(x.shape)

    def backward(self, grad):
        xhat, rstd, weight = self.saved
        xp = backend.xp_of(grad)
        need = self.needs_input_grad
        rows, n = xhat.shape
        g2 = grad.reshape(rows, n)
        grad_x = grad_w = grad_b = None
        if need[0]:
            ghat = g2 if weight is None else g2 * weight.reshape(n)
            inner = xhat * (_row_dot(xp, ghat, xhat) * (1 / n))[:, None]  # x̂ mean(ĝ x̂)
            inner += ((ghat @ xp.ones(n, dtype=ghat.dtype)) * (1 / n))[:, None]  # + mean(ĝ)
            grad_x = ghat - inner  # ĝ - mean(ĝ) - x̂ mean(ĝ x̂)
            grad_x *= rstd[:, None]
            grad_x = grad_x.reshape(grad.shape)
        column_ones = xp.ones(rows, dtype=grad.dtype)  # Σ over every leading dim = over the rows
        if len(need) > 1 and need[1]:
            grad_w = (column_ones @ (g2 * xhat)).reshape(weight.shape)
        if len(need) > 2 and need[2]:
            grad_b = (column_ones @ g2).reshape(weight.shape)
        return (grad_x, grad_w, grad_b)[:len(need)]


def _row_dot(xp, a, b):
    """Σ a ⊙ b along each row of two (rows, n) arrays, without the product as a temporary."""
    vecdot = getattr(xp, "vecdot", None)
    return vecdot(a, b) if vecdot is not None else xp.einsum("ij,ij->i", a, b)


def _checked_shape(x, normalized_shape, weight, bias):
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(x.shape[x.ndim - len(shape):]) != shape or len(shape) > x.ndim:
        raise RuntimeError(
            f"layer_norm: normalized_shape {list(shape)} must match the last dims of the input, "
            f"got input of shape {tuple(x.shape)}; pass normalized_shape=x.shape[-k:] for the last k dims")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(f"layer_norm: {name} has shape {tuple(t.shape)}, expected normalized_shape {shape}")
    return shape


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):  # noqa: A002 - torch's name
    """Normalise over the last dims to mean 0, variance 1, then scale and shift (``F.layer_norm``).

    >>> import tinynn as tn
    >>> y = layer_norm(tn.tensor([[1.0, 2.0, 3.0]]), (3,))
    >>> [round(v, 4) for v in y[0].tolist()]
    [-1.2247, 0.0, 1.2247]
    """
    shape = _checked_shape(input, normalized_shape, weight, bias)
    fn = LayerNormFunction(len(shape), eps)
    if weight is None:  # no scale: the shift (if any) is a plain addition
        out = fn(input)
        return out if bias is None else out + bias
    return fn(input, weight) if bias is None else fn(input, weight, bias)


def layer_norm_reference(input, normalized_shape, weight=None, bias=None, eps=1e-5):  # noqa: A002
    """The plain composition ``layer_norm`` must equal: the formula above, one primitive at a time.

    >>> import tinynn as tn
    >>> x = tn.randn(2, 5)
    >>> bool(abs(layer_norm_reference(x, (5,)) - layer_norm(x, (5,))).max() < 1e-6)
    True
    """
    shape = _checked_shape(input, normalized_shape, weight, bias)
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    mu = input.mean(dim=dims, keepdim=True)
    centred = input - mu
    var = (centred * centred).sum(dim=dims, keepdim=True) / math.prod(shape)
    out = centred / (var + eps).sqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


__all__ = ["layer_norm"]
