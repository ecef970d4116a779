"""Side-by-side timing: contenders take turns, so a noisy neighbour slows them all alike.

Each round runs every contender for a short block of calls (in a rotating order), timing
each call; the figure is the median over all calls after a warm-up. Ratios of medians
measured this way are far steadier than absolute times on a shared machine.
"""
from __future__ import annotations

import statistics
import time


def interleaved(contenders, calls, warmup=10, block=None, per_call=True):
    """Time ``{name: fn}`` side by side; returns ``{name: {"median", "p25", "p75", "n"}}`` in seconds.

    ``calls``: timed calls per contender. ``block``: calls per turn (default ~calls/20).
    ``per_call=False`` times whole blocks and divides (for calls too short to time one by one).
    """
    names = list(contenders)
    for fn in contenders.values():
        for _ in range(warmup):
            fn()
    block = block or max(1, calls // 20)
    samples = {name: [] for name in names}
    clock = time.perf_counter
    rounds = max(1, calls // block)
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            fn, out = contenders[name], samples[name]
            if per_call:
                for _ in range(block):
                    t0 = clock()
                    fn()
                    out.append(clock() - t0)
            else:
                t0 = clock()
                for _ in range(block):
                    fn()
                out.append((clock() - t0) / block)
    return {name: summarize(s) for name, s in samples.items()}


def summarize(samples):
    q = statistics.quantiles(samples, n=4) if len(samples) > 1 else [samples[0]] * 3
    return {"median": statistics.median(samples), "p25": q[0], "p75": q[2], "n": len(samples)}
