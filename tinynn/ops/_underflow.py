"""Subnormal numbers without traps: PyTorch computes with them silently, NumPy under
``np.errstate(under="raise")`` (or ``all="raise"``) traps the first one — a denormal
input to exp, tanh(x)² at tiny x, a small probability times a small upstream gradient.

``quiet_underflow`` wraps an op's ``forward`` or ``backward``: it runs as written (no cost
on the usual path: a ``try`` is free); only if an *underflow* trap fired is it run again
with underflow ignored, so the result holds the subnormal values PyTorch would give.
Overflow, division by zero and invalid operations still raise as the user asked.

>>> import numpy as np, tinynn as tn
>>> x = tn.tensor([1e-40, 1.0], requires_grad=True)   # 1e-40 is subnormal in float32
>>> with np.errstate(all="raise"):
...     tn.tanh(x).sum().backward()
>>> x.grad.tolist()[0]
1.0
"""
from __future__ import annotations

import functools

from tinynn import backend


def quiet_underflow(method):
    """Decorate ``forward``/``backward``: rerun once with underflow ignored if it trapped one.

    The method must not modify its input arrays (none of tinynn's ops do), so running it
    a second time gives the same result plus the subnormals.
    """

    @functools.wraps(method)
    def run(*args):
        try:
            return method(*args)
        except FloatingPointError as error:
            if "underflow" not in str(error):
                raise
        with backend.underflow_ignored():
            return method(*args)

    return run
