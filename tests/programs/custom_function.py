"""A custom autograd Function (Legendre polynomial P3, as in PyTorch's tutorial) and a second
one with a non-Tensor argument and needs_input_grad."""
import math

import numpy as np
import torch


class LegendrePolynomial3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


class ScaledMul(torch.autograd.Function):
    """out = scale * a * b; records which gradients were asked for."""

    calls = []

    @staticmethod
    def forward(ctx, a, b, scale):
        ctx.save_for_backward(a, b)
        ctx.scale = scale
        return a * b * scale

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ScaledMul.calls.append(tuple(ctx.needs_input_grad))
        ga = grad * b * ctx.scale if ctx.needs_input_grad[0] else None
        gb = grad * a * ctx.scale if ctx.needs_input_grad[1] else None
        return ga, gb, None


dtype = torch.float
x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
y = torch.sin(x)
a = torch.full((), 0.0, dtype=dtype, requires_grad=True)
b = torch.full((), -1.0, dtype=dtype, requires_grad=True)
c = torch.full((), 0.0, dtype=dtype, requires_grad=True)
d = torch.full((), 0.3, dtype=dtype, requires_grad=True)

learning_rate = 5e-6
P3 = LegendrePolynomial3.apply
for t in range(2000):
    y_pred = a + b * P3(c + d * x)
    loss = (y_pred - y).pow(2).sum()
    if t % 500 == 99:
        print(t, f"{loss.item():.5g}")
    loss.backward()
    with torch.no_grad():
        for p in (a, b, c, d):
            p -= learning_rate * p.grad
            p.grad = None
print(f"Result: y = {a.item():.4f} + {b.item():.4f} * P3({c.item():.4f} + {d.item():.4f} x)")
print("grad_fn set", y_pred.grad_fn is not None, y_pred.requires_grad)

rng = np.random.default_rng(1)
u = torch.tensor(rng.standard_normal(4), requires_grad=True)
v = torch.tensor(rng.standard_normal(4))
out = ScaledMul.apply(u, v, 3.0).sum()
out.backward()
print("needs", ScaledMul.calls[-1])
print("grad u", [round(g, 5) for g in u.grad.tolist()], "expected", [round(3 * g, 5) for g in v.tolist()])
print("dtype", u.grad.dtype == torch.float64)

w = torch.tensor(rng.standard_normal((3,)), requires_grad=True)
print("gradcheck", torch.autograd.gradcheck(lambda t: LegendrePolynomial3.apply(t), (w,)))

g, = torch.autograd.grad(P3(w).sum(), w)
print("autograd.grad", [round(e, 5) for e in g.tolist()], w.grad is None)

with torch.no_grad():
    z = P3(w)
print("no_grad output", z.requires_grad)
