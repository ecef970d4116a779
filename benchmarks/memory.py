"""Memory over many training steps of the medium MLP: does anything pile up?

Two instruments. ``tracemalloc`` sees every Python object and every NumPy buffer (NumPy
reports its allocations to it) made after it starts, so the weights and data (older) are
not counted: *held* is what one step leaves allocated for the next (tinynn and PyTorch keep
the gradients in ``.grad`` until ``zero_grad``; the hand-written step frees them), *peak* the
most allocated at once during the steps, *growth* what is allocated after N more steps
beyond *held*. The resident set size (RSS, from the OS)
also covers allocators tracemalloc cannot see (PyTorch's), but moves in whole pages and
with the C allocator's caching, so only large changes in it mean anything.
"""
from __future__ import annotations

import gc
import os
import tracemalloc


def rss_bytes():
    """Resident set size now (Linux /proc; elsewhere the peak from getrusage)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure(step, steps, warmup=20, trace=True):
    """Run ``step`` ``steps`` times after ``warmup``; report RSS growth (and traced growth/peak)."""
    for _ in range(warmup):
        step()
    gc.collect()
    out = {"steps": steps}
    rss0 = rss_bytes()
    for _ in range(steps):
        step()
    gc.collect()
    out["rss_growth"] = rss_bytes() - rss0
    out["rss"] = rss_bytes()
    if trace:
        tracemalloc.start()
        step()  # allocations made lazily on a first traced step are not growth
        gc.collect()
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        half = None
        for i in range(steps):
            step()
            if i == steps // 2:
                gc.collect()
                half = tracemalloc.get_traced_memory()[0]
        gc.collect()
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out["traced_held"] = base
        out["traced_growth"] = current - base
        out["traced_growth_second_half"] = current - half
        out["traced_peak"] = peak
    return out
