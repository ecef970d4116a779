"""Elementwise formulas of many passes, evaluated block by block so that each pass runs in cache.

GELU's erf is some twenty NumPy passes (multiply, add, divide, clip...). On a GPT activation
of 393k float32 values (1.5 MB, more than the L2 cache) every pass streams the whole array
through memory; on blocks of 32k values (128 KB) every pass after the first finds its data
in cache. Measured on this project's machines: Φ(x) 2.98 → 1.11 ms, the whole GELU forward
and backward about 2.5× faster. The formula itself is unchanged, so the values are
bit-for-bit the same (tests/test_fused.py).

>>> import numpy as np
>>> x = np.linspace(-3, 3, 100_000)
>>> bool((by_blocks(lambda a: a * a + 1, x) == x * x + 1).all())
True
"""
from __future__ import annotations

from tinynn import backend

BLOCK = 1 << 15  # values per block: a block and the formula's temporaries stay in L2


def by_blocks(formula, *arrays):
    """``formula(*arrays)`` for arrays of one shape, elementwise; it returns one array or a
    tuple of them, of that shape. Big CPU arrays go through it ``BLOCK`` values at a time; small
    ones, and GPU arrays (where one kernel per pass is the fast way), in one call."""
    x = arrays[0]
    if x.size < 4 * BLOCK or backend.device_of(x) != "cpu":
        return formula(*arrays)
    flat = [a.reshape(-1) for a in arrays]
    outs = None
    for start in range(0, x.size, BLOCK):
        part = formula(*(a[start:start + BLOCK] for a in flat))
        part = part if isinstance(part, tuple) else (part,)
        if outs is None:  # the result's dtypes are the formula's: known after the first block
            outs = tuple(backend.xp_of(p).empty(x.size, dtype=p.dtype) for p in part)
        for out, p in zip(outs, part):
            out[start:start + BLOCK] = p
    outs = tuple(out.reshape(x.shape) for out in outs)
    return outs if len(outs) > 1 else outs[0]
