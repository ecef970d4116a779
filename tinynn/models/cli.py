"""``python -m tinynn gpt``: train the character-level GPT on Tiny Shakespeare, or sample from it.

Trains nanoGPT's CPU recipe size (4 layers, 4 heads, 128 channels, context 64, batch 12) with a
progress bar (loss, tokens/s, ETA), evaluates the validation loss, saves the checkpoint and a
loss-curve PNG into --out, and prints a sample. ``--sample`` generates from a saved checkpoint.
"""
from __future__ import annotations

import argparse
import pathlib
import sys
import time

import tinynn as tn
from tinynn.models.gpt import GPT, GPTConfig
from tinynn.models.text import CharTokenizer, encode_splits, get_batch
from tinynn.models.training import estimate_loss, load_checkpoint, lr_at, save_checkpoint, train_step

CHECKPOINT = "gpt_shakespeare.npz"


def build_parser():
    """The ``gpt`` mode's arguments.

    >>> args = build_parser().parse_args(["--iters", "10"])
    >>> args.iters, args.n_embd, args.sample
    (10, 128, False)
    """
    p = argparse.ArgumentParser(prog="python -m tinynn gpt", description=__doc__.splitlines()[0])
    p.add_argument("--iters", type=int, default=1000, help="optimizer steps (default 1000: a few minutes on 2 cores)")
    p.add_argument("--batch-size", type=int, default=12)
    p.add_argument("--block-size", type=int, default=64, help="context length in characters")
    p.add_argument("--n-layer", type=int, default=4)
    p.add_argument("--n-head", type=int, default=4)
    p.add_argument("--n-embd", type=int, default=128)
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--lr", type=float, default=1e-3, help="peak learning rate (warm-up, then cosine to lr/10)")
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--accumulate", type=int, default=1, help="micro-batches per optimizer step")
    p.add_argument("--grad-clip", type=float, default=1.0)
    p.add_argument("--eval-iters", type=int, default=50, help="batches per split for the loss estimate")
    p.add_argument("--out", default="tinynn-out", help="folder for the checkpoint and the loss curve")
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--sample", action="store_true", help="only generate, from the checkpoint in --out")
    p.add_argument("--prompt", default="\n", help="text the sample starts from")
    p.add_argument("--tokens", type=int, default=500, help="characters to generate")
    p.add_argument("--temperature", type=float, default=0.8)
    p.add_argument("--top-k", type=int, default=None)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def sample(model, tokenizer, prompt, tokens, temperature, top_k, seed):
    """``tokens`` characters generated after ``prompt`` (the prompt included)."""
    model.eval()
    idx = tn.tensor([tokenizer.encode(prompt)], dtype=tn.long)
    out = model.generate(idx, tokens, temperature=temperature, top_k=top_k, generator=tn.Generator().manual_seed(seed))
    return tokenizer.decode(out[0])


def save_loss_curve(history, val_points, path):
    """Training loss per step (and validation points) as a PNG."""
    from tinynn.viz._mpl import pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(history, lw=0.8, label="train (per step)")
    if val_points:
        ax.plot(*zip(*val_points), "o-", label="validation")
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy (nats)")
    ax.set_title("char GPT on Tiny Shakespeare")
    ax.legend()
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)


def main(argv=None):
    """Run the gpt mode; returns the exit code."""
    args = build_parser().parse_args(argv)
    out = pathlib.Path(args.out)
    if args.sample:
        path = out / CHECKPOINT
        if not path.is_file():
            print(f"python -m tinynn gpt: error: no checkpoint at {path}; train first with python -m tinynn gpt",
                  file=sys.stderr)
            return 2
        model, tok, _ = load_checkpoint(path)
        print(sample(model, tok, args.prompt, args.tokens, args.temperature, args.top_k, args.seed))
        return 0
    if args.iters < 1 or args.n_embd % args.n_head:
        print("python -m tinynn gpt: error: --iters must be >= 1 and --n-embd a multiple of --n-head", file=sys.stderr)
        return 2
    from tinynn.data import load_shakespeare

    text = load_shakespeare()
    tok = CharTokenizer.from_text(text)
    train, val = encode_splits(text, tok)
    tn.manual_seed(args.seed)
    config = GPTConfig(block_size=args.block_size, vocab_size=tok.vocab_size, n_layer=args.n_layer,
                       n_head=args.n_head, n_embd=args.n_embd, dropout=args.dropout)
    model = GPT(config)
    optimizer = model.configure_optimizers(weight_decay=0.1, learning_rate=args.lr, betas=(0.9, 0.99))
    batches = tn.Generator().manual_seed(args.seed)
    tokens_per_step = args.batch_size * args.block_size * args.accumulate
    print(f"tinynn {tn.__version__}: GPT {model.num_parameters() / 1e6:.2f}M parameters ({args.n_layer} layers, "
          f"{args.n_head} heads, {args.n_embd} channels, context {args.block_size}) on Tiny Shakespeare "
          f"({len(train):,} train / {len(val):,} validation characters, {tok.vocab_size} symbols), "
          f"{args.iters} steps of {tokens_per_step} tokens")
    from tinynn.progress import progress_bar  # tqdm on a terminal, ten plain lines in a log

    history, started = [], time.perf_counter()
    bar = progress_bar(range(args.iters), disable=args.quiet, unit="step", lines=10)
    for step in bar:
        lr = lr_at(step, args.lr, args.warmup, args.iters, args.lr / 10)
        for group in optimizer.param_groups:
            group["lr"] = lr
        loss, _ = train_step(model, optimizer,
                             lambda: get_batch(train, args.block_size, args.batch_size, batches),
                             accumulation_steps=args.accumulate, grad_clip=args.grad_clip)
        history.append(loss)
        rate = tokens_per_step * (step + 1) / (time.perf_counter() - started)
        bar.set_postfix_str(f"loss {loss:.3f}, {rate:,.0f} tokens/s")
    train_seconds = time.perf_counter() - started
    losses = estimate_loss(model, {"train": train, "val": val}, args.eval_iters, args.batch_size,
                           generator=tn.Generator().manual_seed(args.seed + 1))
    out.mkdir(parents=True, exist_ok=True)
    save_checkpoint(out / CHECKPOINT, model, tok, optimizer, step=args.iters, history=history, val_loss=losses["val"])
    save_loss_curve(history, [(args.iters - 1, losses["val"])], out / "gpt_loss.png")
    print(f"train loss {losses['train']:.4f} | validation loss {losses['val']:.4f} "
          f"(at initialisation: ln {tok.vocab_size} = {__import__('math').log(tok.vocab_size):.2f})")
    print(f"time: {train_seconds:.0f} s training, {tokens_per_step * args.iters / train_seconds:,.0f} tokens/s")
    print(f"saved: {out / CHECKPOINT} (python -m tinynn gpt --sample --out {out})")
    print(f"saved: {out / 'gpt_loss.png'}")
    print("--- sample (temperature %.1f) ---" % args.temperature)
    print(sample(model, tok, args.prompt, min(args.tokens, 300), args.temperature, args.top_k, args.seed))
    return 0
