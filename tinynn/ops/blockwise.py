"""Elementwise work over big arrays, block by block, so that each pass runs in cache.

GELU's erf is some twenty NumPy passes (multiply, add, divide, clip...). On a GPT activation
of 393k float32 values (1.5 MB, more than the L2 cache) every pass streams the whole array
through memory; on blocks of 32k values (128 KB) every pass after the first finds its data
in cache. Measured on an Intel Xeon: Φ(x) alone 2.98 → 1.11 ms, GELU's forward 1.95 → 1.45 ms
and backward 0.70 → 0.66 ms (it has fewer passes). The formula itself is unchanged, so the values are
bit-for-bit the same (tests/test_fused.py). ``subtract_scaled_`` is SGD's update p -= lr·g the
same way: the temporary lr·g of a block stays in cache instead of a parameter-sized array
written to memory and read back (the large MLP's update 1.07 → 0.65 ms).

>>> import numpy as np
>>> x = np.linspace(-3, 3, 100_000)
>>> bool((by_blocks(lambda a: a * a + 1, x) == x * x + 1).all())
True
"""
from __future__ import annotations

from tinynn import backend

BLOCK = 1 << 15  # values per block: a block and the formula's temporaries stay in L2
BIG_UPDATE = 16 * BLOCK  # subtract_scaled_ goes by blocks from here (2 MB of float32: more than L2)


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


def subtract_scaled_(target, scale, values):
    """``target -= scale * values`` in place (same shapes); big CPU arrays block by block, with one
    block-sized temporary instead of a ``target``-sized one.

    >>> import numpy as np
    >>> p = np.ones(5); subtract_scaled_(p, 0.5, np.arange(5.0)); p.tolist()
    [1.0, 0.5, 0.0, -0.5, -1.0]
    """
    if target.size < BIG_UPDATE or backend.device_of(target) != "cpu" or not target.flags.c_contiguous:
        target -= scale * values  # (a temporary that fits in L2 is as fast, measured at the medium MLP)
        return
    xp, flat_target, flat_values = backend.xp_of(target), target.reshape(-1), values.reshape(-1)
    scratch = xp.empty(BLOCK, dtype=(scale * flat_values[:1]).dtype)  # the dtype scale * values has
    for start in range(0, target.size, BLOCK):
        part = flat_values[start:start + BLOCK]
        product = xp.multiply(part, scale, out=scratch[:part.size])
        flat_target[start:start + BLOCK] -= product
