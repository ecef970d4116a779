"""Classify three Gaussian blobs with nn.Sequential, CrossEntropyLoss, SGD(momentum) + StepLR, then Adam."""
import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

rng = np.random.default_rng(0)
centers = np.array([[0.0, 2.0], [2.0, -1.0], [-2.0, -1.0]])
labels = rng.integers(0, 3, size=300)
points = centers[labels] + rng.standard_normal((300, 2)) * 0.9
X = torch.tensor(points, dtype=torch.float32)
y = torch.tensor(labels)
print("data", list(X.shape), y.dtype == torch.int64, y.dtype == torch.long, X.dtype == torch.float32)


def make_model(seed):
    model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 3))
    r = np.random.default_rng(seed)
    state = {k: torch.tensor(r.uniform(-0.4, 0.4, size=tuple(v.shape)), dtype=torch.float32)
             for k, v in model.state_dict().items()}
    model.load_state_dict(state)
    return model


def accuracy(model):
    model.eval()
    with torch.no_grad():
        out = model(X)
        _, pred = out.max(1)
        correct = (pred == y).sum().item()
    model.train()
    return correct, correct / len(y)


model = make_model(1)
print("keys", list(model.state_dict().keys()))
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.5)
for epoch in range(30):
    for i in range(0, 300, 50):
        xb, yb = X[i:i + 50], y[i:i + 50]
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
    scheduler.step()
    if epoch % 10 == 9:
        print("sgd", epoch, f"{loss.item():.5f}", "lr", f"{scheduler.get_last_lr()[0]:.5f}", "acc", accuracy(model))

values, idx = model(X[:5]).max(dim=1)
print("max values", [round(v, 4) for v in values.tolist()], "idx", idx.tolist())
print("argmax keepdim", list(model(X[:5]).argmax(dim=1, keepdim=True).shape))

model = make_model(2)
optimizer = optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(40):
    optimizer.zero_grad()
    loss = criterion(model(X), y)
    loss.backward()
    optimizer.step()
    if epoch % 10 == 0:
        print("adam", epoch, f"{loss.item():.5f}")
correct, acc = accuracy(model)
print("adam acc", correct, f"{acc:.4f}")
print("lr of group", optimizer.param_groups[0]["lr"], len(optimizer.param_groups[0]["params"]))
probs = torch.softmax(model(X[:3]), dim=1)
print("probs", [[round(p, 4) for p in row] for row in probs.tolist()], [round(s, 4) for s in probs.sum(1).tolist()])
