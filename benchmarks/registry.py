"""The registry of tinynn-versus-PyTorch rows: one entry per benchmark row.

A row names a ``make(torch)`` that returns ``(run_tinynn, run_torch)`` (``run_torch`` None
when PyTorch is absent), the goal from issue 17, and how long to time it. ``sections.rows``
times every entry the same way (turns with a pause before each, ratios paired turn by turn)
and the report prints each with its verdict, so adding a benchmark is adding one entry here.

The GPT of issue 13 goes in as one more entry once ``benchmarks/gpt.py`` (its
``case_gpt_step(torch)`` builds both models and returns one training step each) and
``tinynn.models`` are committed::

    Row("GPT step (nanoGPT CPU recipe size)", "4 layers, 4 heads, n_embd 128, block 64, batch 12, AdamW",
        gpt.case_gpt_step, goals.vs_torch(1.0), calls=20, block=2, items=(12 * 64, "tokens"))

(with ``from benchmarks import gpt``); ``items`` makes the report add a tokens/s column.

>>> [row.name for row in ROWS][:2]
['Conv2d fwd+bwd', 'MaxPool2d fwd+bwd']
>>> ROWS[1].goal.text
'≤ 1× PyTorch'
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Tuple

from benchmarks import bench_layers, goals, gpt


@dataclass(frozen=True)
class Row:
    """One tinynn-versus-PyTorch benchmark row.

    ``calls``: timed calls per contender in a full run, in turns of ``block`` calls.
    ``items``: (work items per call, their name), e.g. (768, "tokens"), for a throughput column.
    """

    name: str
    detail: str
    make: Callable
    goal: Optional[goals.Goal] = None
    calls: int = 100
    block: int = 10
    items: Optional[Tuple[int, str]] = None


ROWS = [
    Row("Conv2d fwd+bwd", "x (32, 3, 32, 32), 32 filters 3×3", bench_layers.case_conv,
        goals.vs_torch(1.0, keep=True)),
    Row("MaxPool2d fwd+bwd", "(32, 32, 30, 30), 2×2", bench_layers.case_pool, goals.vs_torch(1.0)),
    Row("Embedding fwd+bwd", "10000×128 table, (64, 50) tokens", bench_layers.case_embedding,
        goals.vs_torch(1.0)),
    Row("LSTM layer fwd+bwd", "T=20, B=64, 128→128", bench_layers.case_lstm, goals.vs_torch(1.0)),
    Row("LSTMCell step fwd+bwd", "B=64, 128→128", bench_layers.case_lstm_cell),  # no goal in issue 17
    Row("GPT step (nanoGPT CPU recipe size)", "4 layers, 4 heads, n_embd 128, block 64, batch 12, AdamW",
        gpt.case_gpt_step, goals.vs_torch(1.0), calls=20, block=2, items=(12 * 64, "tokens")),
]
