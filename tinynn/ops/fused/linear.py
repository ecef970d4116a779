"""The dense layer in one node: the fused kernel behind ``nn.Linear``.

Reference composition: ``x @ weight.T + bias`` (MatMul, Transpose, Add); tests/test_fused.py
proves the two equal in value and gradient.
"""
from __future__ import annotations

from tinynn import backend
from tinynn.tensor import Function


class LinearFunction(Function):
    """A dense layer in one node: Z = X Wᵀ + b  [E6, E23], with W of shape (out, in).

    Backward [E8, corrected; E10, corrected] with δ = ∂L/∂Z of shape (batch, out):
    ∂L/∂W = δᵀ X (the document's "δ_l a_(l-1)ᵀ" for a batch), ∂L/∂b = Σ_batch δ,
    ∂L/∂X = δ W (the "W_(l+1)ᵀ δ_(l+1)" that carries the error to the layer below).
    One node instead of matmul + transpose + add saves two graph nodes and a copy per layer.
    Inputs with leading axes (B, T, C) go through the products as one (B·T, C) matrix: one
    GEMM instead of B small ones (3-10 % faster at the GPT's sizes).
    """

    def forward(self, x, weight, bias=None):
        if x.shape[-1] != weight.shape[1]:
            raise ValueError(
                f"linear: input has {x.shape[-1]} features (shape {x.shape}) but the weight "
                f"{weight.shape} expects {weight.shape[1]} (weight is (out_features, in_features))"
            )
        if x.dtype != weight.dtype:  # as PyTorch: a float64 batch would silently train in float64
            raise TypeError(
                f"linear: input is {x.dtype} but the weight is {weight.dtype}; convert one of them, "
                f"e.g. x.to(dtype='{weight.dtype}') (float32 data) or model.to(dtype='{x.dtype}')"
            )
        self.x, self.weight = x, weight
        if x.ndim > 2 and x.flags.c_contiguous:  # (B, T, C): one (B·T, C) product, not B of (T, C)
            out = (x.reshape(-1, x.shape[-1]) @ weight.T).reshape(x.shape[:-1] + (weight.shape[0],))
        else:
            out = x @ weight.T
        if bias is not None:
            out += bias  # in place: saves one (batch, out) allocation per layer
        return out

    def backward(self, grad):
        # BEGIN SOLUTION linear_backward
        # HINT: Z = X Wᵀ + b with δ = grad: dL/dX = δ W, dL/dW = δᵀ X, dL/db = δ summed over the batch rows.
        # HINT: X may have extra leading axes: flatten δ and X to 2-d (reshape(-1, features)) for dW and db.
        # HINT: return two gradients when there is no bias (len(self.needs_input_grad) == 2), else three.
        need = self.needs_input_grad
        x, weight = self.x, self.weight
        grad_2d = grad.reshape(-1, grad.shape[-1])
        grad_x = (grad_2d @ weight).reshape(x.shape) if need[0] else None  # one product for any leading axes
        grad_w = grad_2d.T @ x.reshape(-1, x.shape[-1]) if need[1] else None
        if len(need) == 2:
            return grad_x, grad_w
        grad_b = None
        if need[2]:  # Σ over rows as a matrix-vector product: 2-4x faster than sum(axis=0)
            ones = backend.xp_of(grad).empty(grad_2d.shape[0], dtype=grad.dtype)
            ones.fill(1)  # (empty + fill: NumPy's ones() adds two Python calls)
            grad_b = ones @ grad_2d
        return grad_x, grad_w, grad_b
        # END SOLUTION


def linear(x, weight, bias=None):
    """x @ weight.T + bias in one graph node; weight has shape (out_features, in_features).

    >>> import tinynn as tn
    >>> linear(tn.ones((4, 3)), tn.ones((2, 3)), tn.zeros(2)).shape
    (4, 2)
    """
    if bias is None:
        return LinearFunction()(x, weight)
    return LinearFunction()(x, weight, bias)


__all__ = ["linear"]
