"""A GPT in one file, to read top to bottom: a decoder-only Transformer that predicts the next token.

    tokens (B, T) ─► token embedding + position embedding ─► n_layer × Block ─► LayerNorm ─► logits (B, T, V)
    Block:  x = x + attention(LayerNorm(x))      (pre-norm, as GPT-2)
            x = x + MLP(LayerNorm(x))

Shapes use B = batch, T = time (tokens of context), C = n_embd channels, H = n_head heads,
D = C / H features per head, V = vocab_size. Names follow GPT-2's checkpoints (and nanoGPT's,
whose model.py is the clarity bar here): c_attn, c_proj, c_fc, ln_1, ln_2, wte, wpe, ln_f.

>>> import tinynn as tn
>>> tn.manual_seed(0)
>>> model = GPT(GPTConfig(block_size=8, vocab_size=10, n_layer=1, n_head=2, n_embd=8))
>>> logits, loss = model(tn.zeros(2, 8, dtype=tn.long), tn.zeros(2, 8, dtype=tn.long))
>>> logits.shape, round(loss.item(), 1)          # at initialisation: about -log(1/10) = 2.3
((2, 8, 10), 2.3)
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import tinynn as tn
import tinynn.functional as F
from tinynn import nn, optim


@dataclass
class GPTConfig:
    """The size of the model. The defaults are nanoGPT's CPU recipe for Tiny Shakespeare."""

    block_size: int = 64  # the longest context the model sees (T ≤ block_size)
    vocab_size: int = 65  # number of distinct tokens (65 characters in Tiny Shakespeare)
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0
    bias: bool = False  # biases in Linear and LayerNorm (GPT-2 has them; without is a bit better and faster)


class CausalSelfAttention(nn.Module):
    """Every position looks at itself and the positions before it, with H heads side by side."""

    def __init__(self, config):
        super().__init__()
        assert config.n_embd % config.n_head == 0, "n_embd must be a multiple of n_head"
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)  # Q, K, V in one matmul
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)  # mixes the heads' outputs
        self.resid_dropout = nn.Dropout(config.dropout)
        self.n_head, self.n_embd, self.dropout = config.n_head, config.n_embd, config.dropout

    def forward(self, x):
        B, T, C = x.shape
        H = self.n_head
        q, k, v = self.c_attn(x).split(C, dim=2)  # 3 × (B, T, C)
        q = q.view(B, T, H, C // H).transpose(1, 2)  # (B, H, T, D): each head is a batch of its own
        k = k.view(B, T, H, C // H).transpose(1, 2)
        v = v.view(B, T, H, C // H).transpose(1, 2)
        # softmax(q kᵀ / √D) v with the future masked out: one fused node (tinynn/ops/fused/attention.py)
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=self.dropout if self.training else 0.0,
                                           is_causal=True)  # (B, H, T, D)
        y = y.transpose(1, 2).reshape(B, T, C)  # heads side by side again: (B, T, C)
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    """Position-wise: widen to 4C, GELU, back to C. Where most of the parameters are."""

    def __init__(self, config):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x):  # (B, T, C) -> (B, T, 4C) -> (B, T, C)
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    """Communication (attention across positions), then computation (the MLP at each position),
    each added to the residual stream x after a LayerNorm."""

    def __init__(self, config):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x):  # (B, T, C) -> (B, T, C)
        x = x + self.attn(self.ln_1(x))
        x = x + self.mlp(self.ln_2(x))
        return x


class GPT(nn.Module):
    """The language model: token ids (B, T) in, next-token logits (B, T, V) (and the loss) out."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(config.vocab_size, config.n_embd),  # token -> vector
            wpe=nn.Embedding(config.block_size, config.n_embd),  # position -> vector (learned)
            drop=nn.Dropout(config.dropout),
            h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
            ln_f=nn.LayerNorm(config.n_embd, bias=config.bias),
        ))
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)  # vector -> a score per token
        # weight tying: reading a token in and writing it out share one (V, C) table
        self.transformer.wte.weight = self.lm_head.weight
        self.apply(self._init_weights)
        for name, p in self.named_parameters():  # GPT-2: scale the residual projections by 1/√(2·n_layer)
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module):
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def num_parameters(self, non_embedding=True):
        """Parameter count; the position table is left out by default (as GPT-2's papers count)."""
        n = sum(p.numel() for p in self.parameters())
        return n - self.transformer.wpe.weight.numel() if non_embedding else n

    def forward(self, idx, targets=None):
        """``idx`` (B, T) token ids -> ``(logits, loss)``; loss is None without ``targets`` (B, T),
        and then only the last position's logits (B, 1, V) are computed (all generation needs)."""
        B, T = idx.shape
        if T > self.config.block_size:
            raise ValueError(f"GPT: a sequence of {T} tokens is longer than block_size {self.config.block_size}")
        pos = tn.arange(T, device=idx.device)  # (T,)
        x = self.transformer.wte(idx) + self.transformer.wpe(pos)  # (B, T, C) + (T, C)
        x = self.transformer.drop(x)
        for block in self.transformer.h:
            x = block(x)  # (B, T, C)
        x = self.transformer.ln_f(x)
        if targets is None:
            return self.lm_head(x[:, -1:, :]), None  # (B, 1, V)
        logits = self.lm_head(x)  # (B, T, V)
        loss = F.cross_entropy(logits.view(B * T, -1), targets.view(B * T))
        return logits, loss

    def configure_optimizers(self, weight_decay, learning_rate, betas=(0.9, 0.99)):
        """AdamW with two parameter groups: weight decay on the matrices (Linear and Embedding
        weights, 2-d), none on biases and LayerNorm weights (1-d), which only shift and scale."""
        params = [p for p in self.parameters() if p.requires_grad]
        decay = [p for p in params if p.ndim >= 2]
        no_decay = [p for p in params if p.ndim < 2]
        groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
        return optim.AdamW(groups, lr=learning_rate, betas=betas)

    @tn.no_grad()
    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None, generator=None):
        """Extend ``idx`` (B, T) by ``max_new_tokens`` tokens, each sampled from the model's
        distribution over the next token: logits / temperature (below 1: safer, above: wilder),
        optionally only the ``top_k`` likeliest. ``generator`` (a tn.Generator) or
        ``tn.manual_seed`` makes the sample reproducible. Call ``model.eval()`` first to
        switch dropout off."""
        if temperature <= 0:
            raise ValueError(f"generate: temperature must be > 0, got {temperature}")
        for _ in range(max_new_tokens):
            context = idx if idx.shape[1] <= self.config.block_size else idx[:, -self.config.block_size:]
            logits, _ = self(context)  # (B, 1, V)
            logits = logits[:, -1, :] / temperature  # (B, V)
            if top_k is not None:
                kth = logits.numpy().copy()
                kth.sort(axis=-1)
                cutoff = kth[:, -min(top_k, kth.shape[-1])].reshape(-1, 1)  # the k-th largest score per row
                logits = logits.masked_fill(logits < tn.tensor(cutoff, device=logits.device), float("-inf"))
            probs = F.softmax(logits, dim=-1)  # (B, V)
            idx_next = tn.multinomial(probs, num_samples=1, generator=generator)  # (B, 1)
            idx = tn.cat([idx, idx_next], dim=1)  # (B, T + 1)
        return idx
