"""The GPT of issue 13 side by side with the same model in PyTorch: time per training step,
tokens per second, and nanoGPT's CPU recipe for Tiny Shakespeare run in both.

``run_gpt_benchmark(steps, width)`` times forward + backward + AdamW step at nanoGPT's CPU
recipe size (4 layers, 4 heads, 128 embedding, context 64, batch 12) times ``width`` in the
embedding, the two frameworks taking turns. ``case_gpt_step(torch)`` gives the two step
functions for the benchmark registry. ``python -m benchmarks.gpt --recipe ...`` trains the
recipe (2000 iterations, lr decay to 2000, no dropout) and prints the validation loss.

The PyTorch twin (``torch_gpt``) uses the same parameter names, so one state dict loads into both.
"""
from __future__ import annotations

import argparse
import math
import time

import numpy as np

import tinynn as tn
from benchmarks import timing
from tinynn.models import GPT, GPTConfig, get_batch, lr_at

RECIPE = dict(n_layer=4, n_head=4, n_embd=128, block_size=64, batch_size=12, max_iters=2000, lr_decay_iters=2000,
              learning_rate=1e-3, min_lr=1e-4, warmup_iters=100, weight_decay=0.1, beta2=0.99, grad_clip=1.0,
              dropout=0.0, eval_iters=20)


# ---------------------------------------------------------------------------- the PyTorch twin
def torch_gpt(config):
    """The same GPT written in PyTorch (same module names), for oracles and timing."""
    import torch
    import torch.nn as tnn
    import torch.nn.functional as TF

    class Attention(tnn.Module):
        def __init__(self):
            super().__init__()
            self.c_attn = tnn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
            self.c_proj = tnn.Linear(config.n_embd, config.n_embd, bias=config.bias)
            self.resid_dropout = tnn.Dropout(config.dropout)

        def forward(self, x):
            B, T, C = x.shape
            H = config.n_head
            q, k, v = self.c_attn(x).split(C, dim=2)
            q, k, v = (t.view(B, T, H, C // H).transpose(1, 2) for t in (q, k, v))
            y = TF.scaled_dot_product_attention(q, k, v, dropout_p=config.dropout if self.training else 0.0,
                                                is_causal=True)
            return self.resid_dropout(self.c_proj(y.transpose(1, 2).reshape(B, T, C)))

    class MLP(tnn.Module):
        def __init__(self):
            super().__init__()
            self.c_fc = tnn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
            self.gelu = tnn.GELU()
            self.c_proj = tnn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
            self.dropout = tnn.Dropout(config.dropout)

        def forward(self, x):
            return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))

    class Block(tnn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = tnn.LayerNorm(config.n_embd, bias=config.bias)
            self.attn = Attention()
            self.ln_2 = tnn.LayerNorm(config.n_embd, bias=config.bias)
            self.mlp = MLP()

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class TorchGPT(tnn.Module):
        def __init__(self):
            super().__init__()
            self.config = config
            self.transformer = tnn.ModuleDict(dict(
                wte=tnn.Embedding(config.vocab_size, config.n_embd), wpe=tnn.Embedding(config.block_size, config.n_embd),
                drop=tnn.Dropout(config.dropout), h=tnn.ModuleList([Block() for _ in range(config.n_layer)]),
                ln_f=tnn.LayerNorm(config.n_embd, bias=config.bias)))
            self.lm_head = tnn.Linear(config.n_embd, config.vocab_size, bias=False)
            self.transformer.wte.weight = self.lm_head.weight

        def forward(self, idx, targets):
            B, T = idx.shape
            x = self.transformer.wte(idx) + self.transformer.wpe(torch.arange(T))
            x = self.transformer.drop(x)
            for block in self.transformer.h:
                x = block(x)
            logits = self.lm_head(self.transformer.ln_f(x))
            return logits, TF.cross_entropy(logits.view(B * T, -1), targets.view(B * T))

        def configure_optimizers(self, weight_decay, learning_rate, betas):
            params = [p for p in self.parameters() if p.requires_grad]
            groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
                      {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
            return torch.optim.AdamW(groups, lr=learning_rate, betas=betas)

    return TorchGPT()


def copy_weights(model, twin):
    """Load tinynn ``model``'s weights into the PyTorch ``twin`` (same names)."""
    import torch

    twin.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in model.state_dict().items()})


# ---------------------------------------------------------------------------- one training step each
def _config(width=1, vocab_size=65):
    return GPTConfig(block_size=RECIPE["block_size"], vocab_size=vocab_size, n_layer=RECIPE["n_layer"],
                     n_head=RECIPE["n_head"], n_embd=RECIPE["n_embd"] * width, dropout=0.0)


def case_gpt_step(torch=None, width=1, batch_size=RECIPE["batch_size"]):
    """(run_tinynn, run_torch): one forward + backward + clip + AdamW step of each, on fixed
    random batches (run_torch None without PyTorch)."""
    tn.manual_seed(0)
    config = _config(width)
    data = np.random.default_rng(0).integers(0, config.vocab_size, 50_000)
    model = GPT(config)
    opt = model.configure_optimizers(0.1, 1e-3, (0.9, 0.99))
    batches = [get_batch(data, config.block_size, batch_size, tn.Generator().manual_seed(i)) for i in range(8)]
    counter = [0]

    def run_tinynn():
        x, y = batches[counter[0] % len(batches)]
        counter[0] += 1
        _, loss = model(x, y)
        loss.backward()
        tn.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)

    if torch is None:
        return run_tinynn, None
    twin = torch_gpt(config)
    copy_weights(model, twin)
    topt = twin.configure_optimizers(0.1, 1e-3, (0.9, 0.99))
    tbatches = [(torch.from_numpy(x.numpy()), torch.from_numpy(y.numpy())) for x, y in batches]
    tcounter = [0]

    def run_torch():
        x, y = tbatches[tcounter[0] % len(tbatches)]
        tcounter[0] += 1
        _, loss = twin(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(twin.parameters(), 1.0)
        topt.step()
        topt.zero_grad(set_to_none=True)

    return run_tinynn, run_torch


def run_gpt_benchmark(steps=30, width=1, threads=None):
    """Median seconds per training step and tokens/s for tinynn and PyTorch, taking turns.

    Returns {"tinynn": {"step_s", "tokens_per_s"}, "torch": {...} or None, "ratio": tinynn/torch}.
    """
    try:
        import torch
        if threads:
            torch.set_num_threads(threads)
    except ImportError:
        torch = None
    run_tinynn, run_torch = case_gpt_step(torch, width)
    contenders = {"tinynn": run_tinynn} if run_torch is None else {"tinynn": run_tinynn, "torch": run_torch}
    times = timing.interleaved(contenders, calls=steps, warmup=3, block=max(1, steps // 6))
    tokens = RECIPE["batch_size"] * RECIPE["block_size"]
    out = {name: {"step_s": t["median"], "tokens_per_s": tokens / t["median"]} for name, t in times.items()}
    out.setdefault("torch", None)
    out["ratio"] = None if out["torch"] is None else out["tinynn"]["step_s"] / out["torch"]["step_s"]
    out["width"], out["n_embd"] = width, RECIPE["n_embd"] * width
    return out


# ---------------------------------------------------------------------------- the recipe, end to end
def run_recipe(framework="tinynn", max_iters=RECIPE["max_iters"], seed=1337, log=print, eval_every=250):
    """Train nanoGPT's CPU recipe on Tiny Shakespeare in ``framework`` ("tinynn" or "torch"), from
    the same initial weights and the same batches; returns a dict with the final train/val loss
    (mean of 200 batches each), seconds per step and wall time."""
    from tinynn.data import load_shakespeare
    from tinynn.models import CharTokenizer, encode_splits

    text = load_shakespeare()
    tok = CharTokenizer.from_text(text)
    train, val = encode_splits(text, tok)
    r = RECIPE
    tn.manual_seed(seed)
    config = GPTConfig(block_size=r["block_size"], vocab_size=tok.vocab_size, n_layer=r["n_layer"],
                       n_head=r["n_head"], n_embd=r["n_embd"], dropout=r["dropout"])
    model = GPT(config)
    batch_rng = tn.Generator().manual_seed(seed)
    eval_rng = tn.Generator().manual_seed(seed + 1)
    if framework == "torch":
        import torch

        torch.manual_seed(seed)
        net = torch_gpt(config)
        copy_weights(model, net)
        opt = net.configure_optimizers(r["weight_decay"], r["learning_rate"], (0.9, r["beta2"]))

        def to_fw(x):
            return torch.from_numpy(x.numpy())

        def step(x, y):
            _, loss = net(to_fw(x), to_fw(y))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), r["grad_clip"])
            opt.step()
            opt.zero_grad(set_to_none=True)
            return loss.item()

        def evaluate(data, n):
            net.eval()
            with torch.no_grad():
                losses = [net(*(to_fw(t) for t in get_batch(data, r["block_size"], r["batch_size"], eval_rng)))[1].item()
                          for _ in range(n)]
            net.train()
            return sum(losses) / n
    else:
        opt = model.configure_optimizers(r["weight_decay"], r["learning_rate"], (0.9, r["beta2"]))

        def step(x, y):
            _, loss = model(x, y)
            loss.backward()
            tn.nn.utils.clip_grad_norm_(model.parameters(), r["grad_clip"])
            opt.step()
            opt.zero_grad(set_to_none=True)
            return loss.item()

        def evaluate(data, n):
            model.eval()
            with tn.no_grad():
                losses = [model(*get_batch(data, r["block_size"], r["batch_size"], eval_rng))[1].item()
                          for _ in range(n)]
            model.train()
            return sum(losses) / n

    start = time.perf_counter()
    train_seconds = 0.0
    history = []
    for it in range(max_iters):
        lr = lr_at(it, r["learning_rate"], r["warmup_iters"], r["lr_decay_iters"], r["min_lr"])
        for group in opt.param_groups:
            group["lr"] = lr
        x, y = get_batch(train, r["block_size"], r["batch_size"], batch_rng)
        t0 = time.perf_counter()
        loss = step(x, y)
        train_seconds += time.perf_counter() - t0
        history.append(loss)
        if eval_every and (it + 1) % eval_every == 0:
            log(f"{framework} iter {it + 1}: loss {loss:.4f}, {train_seconds / (it + 1) * 1000:.1f} ms/step, "
                f"val {evaluate(val, r['eval_iters']):.4f}")
    result = {"framework": framework, "iters": max_iters, "train_loss": evaluate(train, 200),
              "val_loss": evaluate(val, 200), "step_s": train_seconds / max(max_iters, 1),
              "wall_s": time.perf_counter() - start, "last_loss": history[-1] if history else math.nan}
    log(f"{framework}: {max_iters} iters, val loss {result['val_loss']:.4f} (train {result['train_loss']:.4f}), "
        f"{result['step_s'] * 1000:.1f} ms/step, wall {result['wall_s']:.0f} s")
    return result


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.gpt", description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=30, help="timed steps per framework (default 30)")
    p.add_argument("--recipe", action="store_true", help="train nanoGPT's CPU recipe instead of timing steps")
    p.add_argument("--framework", choices=("tinynn", "torch"), default="tinynn")
    p.add_argument("--iters", type=int, default=RECIPE["max_iters"], help="recipe iterations (default 2000)")
    p.add_argument("--threads", type=int, default=1, help="PyTorch threads (default 1, as BLAS)")
    args = p.parse_args(argv)
    if args.recipe:
        if args.framework == "torch":
            import torch
            torch.set_num_threads(args.threads)
        run_recipe(args.framework, args.iters)
        return 0
    for width in (1, 2):
        r = run_gpt_benchmark(args.steps, width, args.threads)
        line = f"n_embd {r['n_embd']}: tinynn {r['tinynn']['step_s'] * 1000:.1f} ms/step " \
               f"({r['tinynn']['tokens_per_s']:.0f} tokens/s)"
        if r["torch"]:
            line += f", torch {r['torch']['step_s'] * 1000:.1f} ms/step ({r['torch']['tokens_per_s']:.0f} tokens/s)," \
                    f" ratio {r['ratio']:.2f}x"
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
