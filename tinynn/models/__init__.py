"""Models to read and train: ``GPT`` (a decoder-only Transformer; ``python -m tinynn gpt``
trains it on Tiny Shakespeare), with its tokenizer, batch sampler and training helpers.

>>> from tinynn.models import GPT, GPTConfig
>>> GPT(GPTConfig(n_layer=1, n_embd=16, n_head=2)).config.block_size
64
"""
from tinynn.models.gpt import GPT, MLP, Block, CausalSelfAttention, GPTConfig
from tinynn.models.text import CharTokenizer, encode_splits, get_batch
from tinynn.models.training import estimate_loss, load_checkpoint, lr_at, save_checkpoint, train_step

__all__ = ["GPT", "GPTConfig", "Block", "MLP", "CausalSelfAttention", "CharTokenizer", "encode_splits", "get_batch",
           "lr_at", "train_step", "estimate_loss", "save_checkpoint", "load_checkpoint"]
