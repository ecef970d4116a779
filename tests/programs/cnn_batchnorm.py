"""A small CNN with BatchNorm2d, MaxPool2d and Dropout on 8x8 synthetic images, trained from a
DataLoader; train() and eval() change what BatchNorm and Dropout do."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset

rng = np.random.default_rng(0)
n = 96
images = rng.standard_normal((n, 1, 8, 8)).astype(np.float32) * 0.5
labels = rng.integers(0, 2, size=n)
images[labels == 1, :, 2:6, 2:6] += 1.0  # class 1 has a bright square
X, y = torch.from_numpy(images), torch.from_numpy(labels)


class Net(nn.Module):
    def __init__(self, p_drop):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, kernel_size=3, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 8, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(8)
        self.pool = nn.MaxPool2d(2, 2)
        self.drop = nn.Dropout(p_drop)
        self.fc = nn.Linear(8 * 2 * 2, 2)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        x = self.pool(F.relu(self.bn2(self.conv2(x))))
        x = torch.flatten(x, 1)
        return self.fc(self.drop(x))


def set_weights(model, seed):
    r = np.random.default_rng(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.tensor(r.uniform(-0.4, 0.4, size=tuple(p.shape)), dtype=torch.float32))


model = Net(p_drop=0.0)
set_weights(model, 1)
print("buffers", sorted(name for name, _ in model.named_buffers()))
loader = DataLoader(TensorDataset(X, y), batch_size=n, shuffle=True)  # one batch: order does not matter
print("batches", len(loader), len(loader.dataset))
opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
for epoch in range(15):
    model.train()
    for xb, yb in loader:
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
    if epoch % 5 == 4:
        model.eval()
        with torch.no_grad():
            pred = model(X).argmax(1)
        print(epoch, f"{loss.item():.5f}", "acc", (pred == y).float().mean().item())

print("running_mean", [round(v, 5) for v in model.bn1.running_mean.tolist()])
print("running_var", [round(v, 5) for v in model.bn2.running_var[:4].tolist()])
print("tracked", model.bn1.num_batches_tracked.item())
print("training flags", model.training, model.bn1.training)
model.train()
out_train = model(X[:8])
model.eval()
out_eval = model(X[:8])
print("bn train != eval", not torch.allclose(out_train, out_eval))

# a shuffled loader with small batches sees every sample once per epoch
small = DataLoader(TensorDataset(X, y), batch_size=10, shuffle=True, drop_last=False)
seen, total, sizes = 0, 0.0, []
for xb, yb in small:
    seen += len(yb)
    total += yb.sum().item()
    sizes.append(xb.shape[0])
print("epoch covers", seen, total, y.sum().item(), sizes[-1], len(small))
dropped = DataLoader(TensorDataset(X, y), batch_size=10, shuffle=False, drop_last=True)
first_x, first_y = next(iter(dropped))
print("drop_last", len(dropped), torch.equal(first_y, y[:10]))

# Dropout: a random mask, but always p of the values zeroed on average and the rest scaled 1/(1-p)
drop = nn.Dropout(0.5)
ones = torch.ones(200000)
kept = drop(ones)
print("dropout zero fraction", round((kept == 0).float().mean().item(), 1), "scale", kept.max().item())
drop.eval()
print("dropout eval identity", torch.equal(drop(ones), ones))
