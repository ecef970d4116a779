"""Side-by-side timing: contenders take turns, so a noisy neighbour slows them all alike.

Each round runs every contender for a short block of calls (in a rotating order), timing
each call; the figure is the median over all calls after a warm-up. Ratios of medians
measured this way are far steadier than absolute times on a shared machine.
"""
from __future__ import annotations

import statistics
import time


def interleaved(contenders, calls, warmup=10, block=None, per_call=True, settle=0.0):
    """Time ``{name: fn}`` side by side; returns ``{name: {"median", "p25", "p75", "n", "rounds"}}``
    in seconds, ``rounds`` holding each turn's median (for ratios paired turn by turn).

    ``calls``: timed calls per contender. ``block``: calls per turn (default ~calls/20).
    ``per_call=False`` times whole blocks and divides (for calls too short to time one by one).
    ``settle``: seconds to sleep before each turn. After a burst of work, OpenBLAS's and
    OpenMP's worker threads keep spinning for a while (OpenBLAS: up to ~0.1 s); on a machine
    with few cores they would steal the CPU from whoever runs next, so a pause lets them go
    to sleep and every contender starts its turn on a quiet machine.
    """
    names = list(contenders)
    for fn in contenders.values():
        for _ in range(warmup):
            fn()
    block = block or max(1, calls // 20)
    samples = {name: [] for name in names}
    turns = {name: [] for name in names}  # the median of each turn
    clock = time.perf_counter
    rounds = max(1, calls // block)
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            fn, out = contenders[name], samples[name]
            if settle:
                time.sleep(settle)
            start = len(out)
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
            turns[name].append(statistics.median(out[start:]))
    return {name: dict(summarize(s), rounds=turns[name]) for name, s in samples.items()}


def paired_ratio(a, b):
    """Median and quartiles of a/b computed turn by turn (both from one ``interleaved`` run):
    a slow spell on a shared machine hits neighbouring turns alike and cancels out."""
    ratios = [x / y for x, y in zip(a["rounds"], b["rounds"])]
    q = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
    return {"median": statistics.median(ratios), "p25": q[0], "p75": q[2], "n": len(ratios)}


def summarize(samples):
    q = statistics.quantiles(samples, n=4) if len(samples) > 1 else [samples[0]] * 3
    p10 = statistics.quantiles(samples, n=10)[0] if len(samples) > 1 else samples[0]
    return {"median": statistics.median(samples), "p25": q[0], "p75": q[2], "p10": p10, "n": len(samples)}
