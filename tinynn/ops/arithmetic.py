"""+ - * / ** @ and unary minus: the arithmetic primitives.

Each backward returns gradients shaped like the (broadcast) output; the engine sums them
back to each operand's shape in one place (``tensor.unbroadcast``).
"""
from __future__ import annotations

from tinynn import backend, checks
from tinynn.backend.dtypes import promote as _float_pair  # PyTorch's promotion, one helper for every op
from tinynn.tensor import Function, unbroadcast


class AddFunction(Function):
    def forward(self, a, b):
        a, b = _float_pair(a, b)
        return a + b

    def backward(self, grad):
        return grad, grad


class SubFunction(Function):
    def forward(self, a, b):
        a, b = _float_pair(a, b)
        return a - b

    def backward(self, grad):
        return grad, (-grad if self.needs_input_grad[1] else None)


class MulFunction(Function):
    def forward(self, a, b):
        a, b = _float_pair(a, b)
        self.a, self.b = a, b
        return a * b

    def backward(self, grad):
        # BEGIN SOLUTION mul_backward
        # HINT: y = a * b, so dL/da = grad * b and dL/db = grad * a (forward kept a and b in self.a, self.b).
        # HINT: return None for an input whose self.needs_input_grad entry is False; the engine unbroadcasts.
        need_a, need_b = self.needs_input_grad
        return (grad * self.b if need_a else None), (grad * self.a if need_b else None)
        # END SOLUTION


class DivFunction(Function):
    def forward(self, a, b):
        if a.dtype.kind in "biu" and b.dtype.kind in "biu":  # true division: the default float
            a = a.astype(backend.default_dtype())
        a, b = _float_pair(a, b)
        self.a, self.b = a, b
        return a / b

    def backward(self, grad):
        need_a, need_b = self.needs_input_grad
        grad_a = grad / self.b if need_a else None
        grad_b = -grad * (self.a / self.b) / self.b if need_b else None  # not a/b²: b² overflows first (PyTorch's order)
        return grad_a, grad_b


class PowFunction(Function):
    """a ** b; d/da = b a^(b-1), d/db = a^b log(a) (defined for a > 0)."""

    def forward(self, a, b):
        a, b = _float_pair(a, b)
        self.a, self.b = a, b
        self.out = a ** b
        return self.out

    def backward(self, grad):
        need_a, need_b = self.needs_input_grad
        grad_a = None
        if need_a:  # d/da a^b = b a^(b-1); where b = 0 it is 0, even at a = 0 (not 0 * 0^-1 = nan)  [PyTorch]
            exponent = self.b - 1
            if (self.b == 0).any():
                exponent = backend.xp_of(self.b).where(self.b == 0, 1, exponent)
            grad_a = grad * self.b * self.a ** exponent
        grad_b = None
        if need_b:
            xp = backend.xp_of(self.a)
            positive = self.a > 0
            log_a = xp.log(xp.where(positive, self.a, 1))
            grad_b = grad * self.out * xp.where(positive, log_a, 0)
        return grad_a, grad_b


class NegFunction(Function):
    def forward(self, a):
        return -a

    def backward(self, grad):
        return -grad


class MatMulFunction(Function):
    """a @ b for 1-d, 2-d and batched operands, with NumPy's matmul broadcasting.

    For 2-d operands: ∂L/∂a = g bᵀ and ∂L/∂b = aᵀ g. A 1-d operand is treated as a row
    (left) or column (right) vector, and batch dimensions broadcast as in ``np.matmul``.
    """

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0 or a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise checks.matmul_mismatch(a.shape, b.shape)
        a, b = _float_pair(a, b)
        self.a, self.b = a, b
        return a @ b

    def backward(self, grad):
        # BEGIN SOLUTION matmul_backward
        # HINT: for 2-d operands dL/da = grad @ b.T and dL/db = a.T @ grad (use swapaxes(-1, -2) for batches).
        # HINT: view a 1-d a as a row a[None, :] and a 1-d b as a column b[:, None] (grad gains the lost axis),
        # HINT: sum broadcast batch axes back with unbroadcast(g, shape), then reshape to the operand's shape.
        a, b = self.a, self.b
        a2 = a[None, :] if a.ndim == 1 else a  # (1, n): a row vector
        b2 = b[:, None] if b.ndim == 1 else b  # (n, 1): a column vector
        g2 = grad  # the output's gradient, with the axes a 1-d operand lost put back
        if b.ndim == 1:
            g2 = g2[..., None]
        if a.ndim == 1:
            g2 = g2[..., None, :]
        need_a, need_b = self.needs_input_grad
        grad_a = grad_b = None
        if need_a:
            grad_a = unbroadcast(g2 @ b2.swapaxes(-1, -2), a2.shape).reshape(a.shape)
        if need_b:
            grad_b = unbroadcast(a2.swapaxes(-1, -2) @ g2, b2.shape).reshape(b.shape)
        return grad_a, grad_b
        # END SOLUTION


def add(a, b):
    """a + b with broadcasting.

    >>> add(tn.ones(2), 1.0).tolist()
    [2.0, 2.0]
    """
    return AddFunction()(a, b)


def sub(a, b):
    """a - b with broadcasting.

    >>> sub(tn.ones((2, 1)), tn.tensor([1.0, 2.0])).tolist()
    [[0.0, -1.0], [0.0, -1.0]]
    """
    return SubFunction()(a, b)


def mul(a, b):
    """a * b elementwise, with broadcasting.

    >>> mul(tn.tensor([1.0, 2.0]), 3).tolist()
    [3.0, 6.0]
    """
    return MulFunction()(a, b)


def div(a, b):
    """a / b elementwise, with broadcasting.

    >>> div(tn.tensor([1.0, 2.0]), 4).tolist()
    [0.25, 0.5]
    """
    return DivFunction()(a, b)


def pow(a, b):  # noqa: A001 - mirrors torch.pow
    """a ** b elementwise; b may be a Python number or a Tensor.

    >>> pow(tn.tensor([2.0, 3.0]), 2).tolist()
    [4.0, 9.0]
    """
    return PowFunction()(a, b)


def neg(a):
    """-a.

    >>> neg(tn.tensor([1.0, -2.0])).tolist()
    [-1.0, 2.0]
    """
    return NegFunction()(a)


def matmul(a, b):
    """Matrix product a @ b (1-d, 2-d or batched, as ``np.matmul``).

    >>> import tinynn as tn
    >>> (tn.ones((2, 3)) @ tn.ones(3)).shape
    (2,)
    """
    return MatMulFunction()(a, b)


__all__ = ["add", "sub", "mul", "div", "pow", "neg", "matmul"]
