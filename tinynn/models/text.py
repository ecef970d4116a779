"""Text for a character-level language model: a tokenizer, the train/validation split, a batch sampler.

>>> tok = CharTokenizer.from_text("hello world")
>>> tok.vocab_size, tok.decode(tok.encode("hello"))
(8, 'hello')
"""
from __future__ import annotations

import tinynn as tn
from tinynn import backend, random


class CharTokenizer:
    """One token per distinct character, numbered in sorted order (nanoGPT's shakespeare_char).

    >>> tok = CharTokenizer.from_text("abca")
    >>> tok.encode("cab"), tok.chars
    ([2, 0, 1], 'abc')
    """

    def __init__(self, chars):
        self.chars = "".join(chars)
        self.stoi = {ch: i for i, ch in enumerate(self.chars)}
        if len(self.stoi) != len(self.chars):
            raise ValueError("CharTokenizer: the characters must be distinct")

    @classmethod
    def from_text(cls, text):
        """The tokenizer of every character that occurs in ``text``."""
        return cls(sorted(set(text)))

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, text):
        """Characters -> token ids (a list of ints); an unknown character is an error naming it."""
        try:
            return [self.stoi[ch] for ch in text]
        except KeyError as e:
            raise ValueError(f"CharTokenizer.encode: {e.args[0]!r} is not in the vocabulary of "
                             f"{self.vocab_size} characters") from None

    def decode(self, ids):
        """Token ids (ints, a list or a 1-d tensor) -> text."""
        ids = ids.tolist() if isinstance(ids, tn.Tensor) else ids
        return "".join(self.chars[i] for i in ids)


def encode_splits(text, tokenizer, train_fraction=0.9):
    """The text as two int64 arrays of token ids: the first 90 % for training, the rest for
    validation (the cut nanoGPT makes, at a character).

    >>> train, val = encode_splits("abcdefghij", CharTokenizer.from_text("abcdefghij"))
    >>> len(train), len(val)
    (9, 1)
    """
    ids = backend.numpy.asarray(tokenizer.encode(text), dtype="int64")
    cut = int(len(ids) * train_fraction)
    return ids[:cut], ids[cut:]


def get_batch(data, block_size, batch_size, generator=None, device="cpu"):
    """``batch_size`` random windows of ``block_size`` tokens: inputs x (B, T) and targets y (B, T),
    y being x shifted one token left (at every position the model predicts what comes next).

    >>> import numpy as np
    >>> x, y = get_batch(np.arange(100), block_size=4, batch_size=2, generator=tn.Generator().manual_seed(0))
    >>> x.shape, bool((y.numpy()[:, :-1] == x.numpy()[:, 1:]).all())
    ((2, 4), True)
    """
    if len(data) <= block_size:
        raise ValueError(f"get_batch: the data has {len(data)} tokens, needs more than block_size={block_size}")
    starts = random.rng_of(generator).integers(0, len(data) - block_size, size=batch_size)
    offsets = backend.numpy.arange(block_size)
    x = data[starts[:, None] + offsets]  # (B, T)
    y = data[starts[:, None] + offsets + 1]  # (B, T): the next token at each position
    return tn.tensor(x, device=device), tn.tensor(y, device=device)
