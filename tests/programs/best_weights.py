"""Early stopping keeps "the best weights so far" from state_dict(): in PyTorch the values are
detached Tensors that share memory with the parameters, so the idiom clones them."""
import copy

import numpy as np
import torch
import torch.nn as nn

r = np.random.default_rng(0)
X = torch.tensor(r.standard_normal((40, 2)), dtype=torch.float32)
Y = X.sum(1, keepdim=True)
model = nn.Linear(2, 1)
model.load_state_dict({"weight": torch.tensor([[0.1, -0.2]]), "bias": torch.tensor([0.3])})
opt = torch.optim.SGD(model.parameters(), lr=0.1)

sd = model.state_dict()
v = sd["weight"]
print("value", type(v).__name__, v.requires_grad, v.numel(), v.dtype == torch.float32)
best, best_loss = None, float("inf")
for step in range(20):
    opt.zero_grad()
    loss = nn.functional.mse_loss(model(X), Y)
    loss.backward()
    opt.step()
    if loss.item() < best_loss:
        best_loss = loss.item()
        best = {k: t.clone() for k, t in model.state_dict().items()}
        deep = copy.deepcopy(model.state_dict())
print("best", f"{best_loss:.5f}", [round(x, 5) for x in best["weight"].flatten().tolist()])
print("deepcopy equal", all(torch.equal(best[k], deep[k]) for k in best))
print("aliases parameters", sd["weight"].data_ptr() == model.weight.data_ptr())
model.load_state_dict(best)
print("restored", [round(x, 5) for x in model.weight.flatten().tolist()])
