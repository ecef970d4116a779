"""Weight init with model.apply, clip_grad_norm_, named_parameters and fine-tuning only a new
head with the body frozen (requires_grad_(False))."""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

r = np.random.default_rng(0)
X = torch.tensor(r.standard_normal((80, 5)), dtype=torch.float32)
y = torch.tensor((r.standard_normal(80) > 0).astype(np.int64))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU())
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        return self.head(self.body(x))


# random schemes differ between libraries' streams: check their bounds and statistics
big = nn.Linear(400, 300)
nn.init.kaiming_uniform_(big.weight, a=math.sqrt(5))
bound = 1 / math.sqrt(400)
print("kaiming bound", big.weight.abs().max().item() <= bound + 1e-7, round(big.weight.abs().max().item() / bound, 2))
nn.init.kaiming_normal_(big.weight, mode="fan_in", nonlinearity="relu")
print("kaiming std", round(big.weight.std().item() * math.sqrt(400 / 2), 1))
nn.init.xavier_uniform_(big.weight)
print("xavier bound", big.weight.abs().max().item() <= math.sqrt(6 / 700) + 1e-7)
nn.init.zeros_(big.bias)
nn.init.constant_(big.weight, 0.5)
print("constant", big.weight.mean().item(), big.bias.abs().sum().item())

calls = []


def init_fn(m):
    calls.append(type(m).__name__)
    if isinstance(m, nn.Linear):
        g = np.random.default_rng(m.in_features * 100 + m.out_features)
        with torch.no_grad():
            m.weight.copy_(torch.tensor(g.uniform(-0.5, 0.5, size=tuple(m.weight.shape)), dtype=torch.float32))
            nn.init.constant_(m.bias, 0.01)


model = Net()
returned = model.apply(init_fn)
print("apply order", calls, returned is model)
print("names", [n for n, _ in model.named_parameters()])
print("modules", [n for n, _ in model.named_modules()][:4], len(list(model.children())))

opt = optim.SGD(model.parameters(), lr=0.5)
for step in range(10):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(X), y)
    loss.backward()
    total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5)
    after = math.sqrt(sum(p.grad.pow(2).sum().item() for p in model.parameters()))
    opt.step()
    if step % 3 == 0:
        print("step", step, f"{loss.item():.5f}", "norm", f"{total.item():.5f}", "clipped", f"{after:.4f}")

# fine-tune: freeze the body, replace the head with a 2-class one
for p in model.body.parameters():
    p.requires_grad_(False)
model.head = nn.Linear(16, 2)
init_fn(model.head)
trainable = [n for n, p in model.named_parameters() if p.requires_grad]
print("trainable", trainable)
body_before = model.body[0].weight.clone()
opt = optim.Adam(model.parameters(), lr=0.05)  # frozen ones are skipped
for step in range(30):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(X), y)
    loss.backward()
    opt.step()
print("head loss", f"{loss.item():.5f}", "body unchanged", torch.equal(body_before, model.body[0].weight))
print("body grad", model.body[0].weight.grad is None, "head grad", model.head.weight.grad is not None)
acc = (model(X).argmax(1) == y).float().mean().item()
print("acc", f"{acc:.4f}")
model.requires_grad_(True)
print("all trainable again", all(p.requires_grad for p in model.parameters()))
nn.utils.clip_grad_value_(model.parameters(), 0.01)
print("clipped by value", max(p.grad.abs().max().item() for p in model.parameters() if p.grad is not None) <= 0.01)
