"""Training a GPT: the learning-rate schedule, one optimizer step with gradient accumulation and
clipping, the loss estimate, and checkpoints (tn.save / tn.load).

>>> round(lr_at(0, 1e-3, warmup_iters=10, lr_decay_iters=100, min_lr=1e-4), 6)    # warm-up starts small
9.1e-05
>>> lr_at(100, 1e-3, warmup_iters=10, lr_decay_iters=100, min_lr=1e-4)           # decayed to min_lr
0.0001
"""
from __future__ import annotations

import dataclasses
import math

import tinynn as tn
from tinynn.models.gpt import GPT, GPTConfig
from tinynn.models.text import CharTokenizer, get_batch
from tinynn.nn.utils import clip_grad_norm_


def lr_at(step, learning_rate, warmup_iters, lr_decay_iters, min_lr):
    """Linear warm-up for ``warmup_iters`` steps, then a cosine from ``learning_rate`` down to
    ``min_lr`` at ``lr_decay_iters``, then ``min_lr`` (nanoGPT's schedule). Warm-up lets Adam's
    moment estimates settle before large steps; the cosine anneals into a minimum."""
    if step < warmup_iters:
        return learning_rate * (step + 1) / (warmup_iters + 1)
    if step > lr_decay_iters:
        return min_lr
    progress = (step - warmup_iters) / (lr_decay_iters - warmup_iters)
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * progress)) * (learning_rate - min_lr)


def train_step(model, optimizer, next_batch, accumulation_steps=1, grad_clip=1.0):
    """One optimizer step. The gradient is accumulated over ``accumulation_steps`` micro-batches
    (each loss divided by their number, so the sum is the mean over the large batch), its total
    norm clipped to ``grad_clip`` (0 = no clipping), then the weights are updated. Returns the
    mean loss (a float) and the gradient norm before clipping."""
    total = 0.0
    for _ in range(accumulation_steps):
        x, y = next_batch()
        _, loss = model(x, y)
        (loss / accumulation_steps).backward()
        total += loss.item() / accumulation_steps
    norm = clip_grad_norm_(model.parameters(), grad_clip) if grad_clip > 0 else None
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return total, (None if norm is None else float(norm))


@tn.no_grad()
def estimate_loss(model, splits, eval_iters, batch_size, generator=None):
    """Mean loss over ``eval_iters`` random batches of each split ({"train": ids, "val": ids}),
    in eval mode (no dropout); the model's mode is restored afterwards."""
    was_training = model.training
    model.eval()
    out = {}
    for name, data in splits.items():
        losses = [model(*get_batch(data, model.config.block_size, batch_size, generator))[1].item()
                  for _ in range(eval_iters)]
        out[name] = sum(losses) / len(losses)
    model.train(was_training)
    return out


def save_checkpoint(path, model, tokenizer, optimizer=None, **extra):
    """Write the model's weights, its config and vocabulary (and the optimizer's state and any
    ``extra`` numbers/lists) to ``path`` with tn.save: everything ``load_checkpoint`` needs."""
    state = {"model": model.state_dict(), "config": dataclasses.asdict(model.config), "chars": tokenizer.chars}
    if optimizer is not None:
        state["optimizer"] = optimizer.state_dict()
    state.update(extra)
    tn.save(state, path)


def load_checkpoint(path, device=None):
    """(model, tokenizer, checkpoint dict) from a file written by ``save_checkpoint``.

    >>> import os, tempfile
    >>> model = GPT(GPTConfig(block_size=4, vocab_size=3, n_layer=1, n_head=1, n_embd=4))
    >>> path = os.path.join(tempfile.mkdtemp(), "gpt.npz")
    >>> save_checkpoint(path, model, CharTokenizer("abc"), step=5)
    >>> loaded, tok, ckpt = load_checkpoint(path)
    >>> tok.chars, ckpt["step"], loaded.config.n_embd
    ('abc', 5, 4)
    """
    ckpt = tn.load(path)
    model = GPT(GPTConfig(**ckpt["config"]))
    model.load_state_dict(ckpt["model"])
    if device is not None:
        model.to(device)
    return model, CharTokenizer(ckpt["chars"]), ckpt
