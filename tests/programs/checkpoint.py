"""Save and restore a model and its optimizer (state_dict to a file), then resume training."""
import os
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

r = np.random.default_rng(0)
X = torch.tensor(r.standard_normal((64, 3)), dtype=torch.float32)
Y = (X[:, :1] * 2 - X[:, 1:2] + 0.5).float()


def make():
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))
    g = np.random.default_rng(1)
    model.load_state_dict({k: torch.tensor(g.uniform(-0.5, 0.5, size=tuple(v.shape)), dtype=torch.float32)
                           for k, v in model.state_dict().items()})
    return model


def train(model, opt, steps):
    for _ in range(steps):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(X), Y)
        loss.backward()
        opt.step()
    return loss.item()


model = make()
opt = optim.Adam(model.parameters(), lr=0.01)
print("after 20", f"{train(model, opt, 20):.6f}")

tmp = tempfile.mkdtemp()
path = os.path.join(tmp, "ckpt.pt")
torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 20}, path)
print("file written", os.path.getsize(path) > 0)

# keep going in the original
reference = train(model, opt, 20)
print("continued", f"{reference:.6f}")

# a fresh model and optimizer resume from the file to the very same numbers
model2 = make()
opt2 = optim.Adam(model2.parameters(), lr=0.01)
checkpoint = torch.load(path)
model2.load_state_dict(checkpoint["model"])
opt2.load_state_dict(checkpoint["optimizer"])
print("epoch", checkpoint["epoch"], "state keys", sorted(checkpoint["optimizer"].keys()))
print("step count", len(checkpoint["optimizer"]["state"]), sorted(checkpoint["optimizer"]["state"][0].keys()))
resumed = train(model2, opt2, 20)
print("resumed", f"{resumed:.6f}", "same", abs(resumed - reference) < 1e-7)

# state_dict holds tensors; only the weights, into a model saved on its own
path2 = os.path.join(tmp, "weights.pth")
torch.save(model.state_dict(), path2)
model3 = make()
missing = model3.load_state_dict(torch.load(path2, map_location="cpu", weights_only=True))
print("missing", list(missing.missing_keys), list(missing.unexpected_keys))
print("equal", all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), model3.state_dict().values())))
w = model3.state_dict()["0.weight"]
print("shape", list(w.shape), [round(v, 5) for v in w[0].tolist()])

# strict=False tolerates a missing key; strict=True refuses it
partial = {k: v for k, v in model.state_dict().items() if k != "2.bias"}
result = model3.load_state_dict(partial, strict=False)
print("partial", list(result.missing_keys))
try:
    model3.load_state_dict(partial)
    print("no error")
except RuntimeError:
    print("strict load refused")

# with open(...) as f also works
with open(os.path.join(tmp, "t.pt"), "wb") as f:
    torch.save(torch.arange(5), f)
with open(os.path.join(tmp, "t.pt"), "rb") as f:
    print("tensor", torch.load(f).tolist())
