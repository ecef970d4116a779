"""A character bigram language model: counts, then a neural version trained with
F.cross_entropy on logits.view(-1, C), sampling with torch.multinomial and a seeded Generator."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

words = ["emma", "olivia", "ava", "isabella", "sophia", "charlotte", "mia", "amelia", "harper", "evelyn"]
chars = sorted(set("".join(words)))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi["."] = 0
itos = {i: s for s, i in stoi.items()}
V = len(stoi)
print("vocab", V)

N = torch.zeros((V, V), dtype=torch.int32)
xs, ys = [], []
for w in words:
    chs = ["."] + list(w) + ["."]
    for ch1, ch2 in zip(chs, chs[1:]):
        N[stoi[ch1], stoi[ch2]] += 1
        xs.append(stoi[ch1])
        ys.append(stoi[ch2])
print("counts", N.sum().item(), N[0].tolist()[:6], N.dtype == torch.int32)

P = (N + 1).float()
P /= P.sum(1, keepdim=True)
print("rows sum to 1", torch.allclose(P.sum(1), torch.ones(V)))
xs, ys = torch.tensor(xs), torch.tensor(ys)
log_likelihood = torch.log(P[xs, ys]).sum()
nll = -log_likelihood / len(xs)
print("count model nll", f"{nll.item():.5f}")

# sampling: the same seed gives the same names; a one-hot row always gives its index
g = torch.Generator().manual_seed(2147483647)
first = [torch.multinomial(P[0], num_samples=1, replacement=True, generator=g).item() for _ in range(20)]
g = torch.Generator().manual_seed(2147483647)
again = [torch.multinomial(P[0], num_samples=1, replacement=True, generator=g).item() for _ in range(20)]
print("reproducible", first == again, all(0 <= i < V for i in first))
onehot = torch.zeros(V)
onehot[5] = 1.0
print("one-hot draw", torch.multinomial(onehot, 3, replacement=True).tolist())
print("no replacement", sorted(torch.multinomial(torch.ones(6), 6).tolist()))

# the neural bigram: one linear layer on one-hot inputs
xenc = F.one_hot(xs, num_classes=V).float()
r = np.random.default_rng(0)
W = torch.tensor(r.standard_normal((V, V)), dtype=torch.float32, requires_grad=True)
for k in range(100):
    logits = xenc @ W
    counts = logits.exp()
    probs = counts / counts.sum(1, keepdims=True)
    loss = -probs[torch.arange(len(xs)), ys].log().mean() + 0.01 * (W ** 2).mean()
    W.grad = None
    loss.backward()
    W.data += -10 * W.grad
    if k % 25 == 0:
        print("step", k, f"{loss.item():.5f}")

# the same with an embedding table and F.cross_entropy over (B*T, C) logits
class Bigram(nn.Module):
    def __init__(self, vocab_size):
        super().__init__()
        self.token_embedding_table = nn.Embedding(vocab_size, vocab_size)

    def forward(self, idx, targets=None):
        logits = self.token_embedding_table(idx)  # (B, T, C)
        if targets is None:
            return logits, None
        B, T, C = logits.shape
        loss = F.cross_entropy(logits.view(B * T, C), targets.view(B * T))
        return logits, loss


seq = torch.tensor([stoi[c] for c in "." + ".".join(words) + "."])
block = 8
n_blocks = (len(seq) - 1) // block
xb = seq[: n_blocks * block].view(n_blocks, block)
yb = seq[1: n_blocks * block + 1].view(n_blocks, block)
print("blocks", list(xb.shape), list(yb.shape))
model = Bigram(V)
model.load_state_dict({"token_embedding_table.weight": torch.tensor(r.standard_normal((V, V)) * 0.1, dtype=torch.float32)})
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-1)
for step in range(60):
    logits, loss = model(xb, yb)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    if step % 20 == 0:
        print("adamw", step, f"{loss.item():.5f}", list(logits.shape))
print("final", f"{loss.item():.5f}")
idx = torch.zeros((1, 1), dtype=torch.long)
logits, _ = model(idx)
probs = F.softmax(logits[:, -1, :], dim=-1)
print("next-char probs", [round(p, 4) for p in probs[0, :5].tolist()], f"{probs.sum().item():.5f}")
nxt = torch.multinomial(probs, num_samples=1)
idx = torch.cat((idx, nxt), dim=1)
print("generated shape", list(idx.shape), idx.dtype == torch.long)
