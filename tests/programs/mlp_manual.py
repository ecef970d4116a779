"""An MLP trained with a hand-written update loop over model.parameters()."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

rng = np.random.default_rng(0)
X = torch.tensor(rng.standard_normal((128, 4)), dtype=torch.float32)
true_w = torch.tensor(rng.standard_normal((4, 1)), dtype=torch.float32)
Y = torch.tanh(X @ true_w) + 0.1 * torch.tensor(rng.standard_normal((128, 1)), dtype=torch.float32)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 16)
        self.fc2 = nn.Linear(16, 1)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


def set_weights(model, seed):
    r = np.random.default_rng(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.from_numpy(r.uniform(-0.5, 0.5, size=tuple(p.shape)).astype(np.float32)))


model = MLP()
set_weights(model, 1)
print("params", [(n, list(p.shape)) for n, p in model.named_parameters()])
print("count", sum(p.numel() for p in model.parameters()))
loss_fn = nn.MSELoss()
lr = 0.05

# 1) the idiom that issue 12 found silently broken: p -= lr * p.grad inside no_grad
for epoch in range(60):
    loss = loss_fn(model(X), Y)
    model.zero_grad()
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    if epoch % 20 == 0:
        print("isub", epoch, f"{loss.item():.6f}")

# 2) the older spelling through .data, and p.grad = None to reset
for epoch in range(60):
    loss = loss_fn(model(X), Y)
    loss.backward()
    for p in model.parameters():
        p.data.add_(p.grad.data, alpha=-lr)
        p.grad = None
    if epoch % 20 == 0:
        print("data.add_", epoch, f"{loss.item():.6f}")

# 3) p.data = p.data - ..., gradient clamped in place, grad zeroed in place
for epoch in range(60):
    loss = loss_fn(model(X), Y)
    loss.backward()
    for p in model.parameters():
        p.grad.data.clamp_(-1, 1)
        p.data = p.data - lr * p.grad
        p.grad.zero_()
    if epoch % 20 == 0:
        print("data=", epoch, f"{loss.item():.6f}")

with torch.no_grad():
    final = loss_fn(model(X), Y).item()
print("final", f"{final:.6f}")
print("weight sample", [round(v, 5) for v in model.fc2.weight[0, :4].tolist()])
print("grad after zero", model.fc1.weight.grad.abs().sum().item())
print("requires_grad", all(p.requires_grad for p in model.parameters()), model.fc1.weight.is_leaf)
