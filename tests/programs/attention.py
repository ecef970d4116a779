"""Causal self-attention written out (tril mask, masked_fill, softmax, @, transpose) next to
nn.MultiheadAttention and nn.LayerNorm, in a tiny next-token model trained for a few steps."""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(1337)
B, T, C = 2, 5, 8
r = np.random.default_rng(0)
x = torch.tensor(r.standard_normal((B, T, C)), dtype=torch.float32)

tril = torch.tril(torch.ones(T, T))
wei = torch.zeros((T, T))
wei = wei.masked_fill(tril == 0, float("-inf"))
wei = F.softmax(wei, dim=-1)
xbow = wei @ x
print("average of the past", torch.allclose(xbow[0, 2], x[0, :3].mean(0), atol=1e-6), list(xbow.shape))
print("wei row 2", [round(v, 4) for v in wei[2].tolist()])


class Head(nn.Module):
    def __init__(self, n_embd, head_size, block_size):
        super().__init__()
        self.key = nn.Linear(n_embd, head_size, bias=False)
        self.query = nn.Linear(n_embd, head_size, bias=False)
        self.value = nn.Linear(n_embd, head_size, bias=False)
        self.register_buffer("tril", torch.tril(torch.ones(block_size, block_size)))

    def forward(self, x):
        B, T, C = x.shape
        k, q = self.key(x), self.query(x)
        wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5
        wei = wei.masked_fill(self.tril[:T, :T] == 0, float("-inf"))
        wei = F.softmax(wei, dim=-1)
        return wei @ self.value(x)


class Block(nn.Module):
    def __init__(self, n_embd, n_head, block_size):
        super().__init__()
        head_size = n_embd // n_head
        self.heads = nn.ModuleList([Head(n_embd, head_size, block_size) for _ in range(n_head)])
        self.proj = nn.Linear(n_embd, n_embd)
        self.ln1 = nn.LayerNorm(n_embd)
        self.ln2 = nn.LayerNorm(n_embd)
        self.ffwd = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.GELU(), nn.Linear(4 * n_embd, n_embd))

    def forward(self, x):
        h = self.ln1(x)
        x = x + self.proj(torch.cat([head(h) for head in self.heads], dim=-1))
        return x + self.ffwd(self.ln2(x))


class TinyLM(nn.Module):
    def __init__(self, vocab, n_embd, n_head, block_size):
        super().__init__()
        self.tok = nn.Embedding(vocab, n_embd)
        self.pos = nn.Embedding(block_size, n_embd)
        self.block = Block(n_embd, n_head, block_size)
        self.ln_f = nn.LayerNorm(n_embd)
        self.head = nn.Linear(n_embd, vocab)

    def forward(self, idx):
        B, T = idx.shape
        x = self.tok(idx) + self.pos(torch.arange(T))
        return self.head(self.ln_f(self.block(x)))


def set_weights(model, seed):
    g = np.random.default_rng(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.tensor(g.normal(0.0, 0.2, size=tuple(p.shape)), dtype=torch.float32))


vocab, block_size = 11, 6
model = TinyLM(vocab, 16, 2, block_size)
set_weights(model, 3)
print("n params", sum(p.numel() for p in model.parameters()), len(list(model.buffers())))
data = torch.tensor([(3 * i + 1) % vocab for i in range(40)])
xb = torch.stack([data[i:i + block_size] for i in range(0, 30, 5)])
yb = torch.stack([data[i + 1:i + block_size + 1] for i in range(0, 30, 5)])
opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
for step in range(40):
    logits = model(xb)
    loss = F.cross_entropy(logits.view(-1, vocab), yb.view(-1))
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 10 == 0:
        print("step", step, f"{loss.item():.5f}")
print("final loss", f"{loss.item():.5f}")

# the same attention through nn.MultiheadAttention and F.scaled_dot_product_attention
mha = nn.MultiheadAttention(embed_dim=C, num_heads=2, batch_first=True)
set_weights(mha, 4)
mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)  # True = not allowed
out, weights = mha(x, x, x, attn_mask=mask)
print("mha", list(out.shape), list(weights.shape), f"{out.sum().item():.5f}", f"{weights[0, 3].sum().item():.5f}")
print("future weight", weights[0, 1, 2].item())
q = k = v = x.view(B, T, 2, C // 2).transpose(1, 2)
sdpa = F.scaled_dot_product_attention(q, k, v, is_causal=True)
manual = F.softmax((q @ k.transpose(-2, -1)) / math.sqrt(C // 2) + torch.triu(torch.full((T, T), float("-inf")), 1), dim=-1) @ v
print("sdpa == manual", torch.allclose(sdpa, manual, atol=1e-6), list(sdpa.shape))
ln = nn.LayerNorm(C)
y = ln(x)
print("layernorm", f"{y.mean().item():.4f}", f"{y.std(-1, unbiased=False).mean().item():.4f}")
