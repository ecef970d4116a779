"""Fit y = sin(x) with a cubic polynomial using raw autograd (the classic PyTorch tutorial)."""
import math

import numpy as np
import torch

dtype = torch.float
x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
y = torch.sin(x)

rng = np.random.default_rng(0)
a, b, c, d = (torch.tensor(rng.standard_normal(()), dtype=dtype, requires_grad=True) for _ in range(4))
print("leaf", a.is_leaf, a.requires_grad, a.grad is None, a.dtype == torch.float32)

learning_rate = 1e-6
for t in range(2000):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum()
    if t % 400 == 99:
        print(t, f"{loss.item():.6g}")
    loss.backward()
    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad
        a.grad.zero_()
        b.grad.zero_()
        c.grad = None
        d.grad.data.zero_()
        c.grad = torch.zeros_like(c)

print(f"Result: y = {a.item():.5f} + {b.item():.5f} x + {c.item():.5f} x^2 + {d.item():.5f} x^3")
print("still leaves", a.is_leaf, b.grad_fn is None, a.grad.abs().item() == 0.0)

# the same fit with a weight vector and the power features stacked
p = torch.tensor([1, 2, 3])
xx = x.unsqueeze(-1).pow(p)
print("features", list(xx.shape), f"{xx[100, 2].item():.6g}")
w = torch.zeros(3, requires_grad=True)
bias = torch.zeros(1, requires_grad=True)
for t in range(300):
    pred = xx @ w + bias
    loss = torch.mean((pred - y) ** 2)
    loss.backward()
    with torch.no_grad():
        w -= 2e-3 * w.grad
        bias.sub_(2e-3 * bias.grad)
    w.grad.zero_()
    bias.grad.zero_()
print("vector fit", f"{loss.item():.6g}", [round(v, 5) for v in w.detach().tolist()], f"{bias.item():.5f}")

# an error PyTorch raises too: in-place on a leaf that requires grad, outside no_grad
try:
    w += 1
    print("no error")
except RuntimeError:
    print("in-place on a leaf refused")
