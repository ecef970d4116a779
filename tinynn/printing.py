"""How a Tensor prints: like PyTorch (4 decimals, the dtype only when it is not the default).

>>> import tinynn as tn
>>> tn.tensor([0.1, 2.0], requires_grad=True)
tensor([0.1000, 2.0000], requires_grad=True)
>>> tn.tensor([1, 2])
tensor([1, 2])
"""
from __future__ import annotations

from tinynn import backend

_QUIET_DTYPES = ("int64", "bool")  # PyTorch names every other non-default dtype


def format_tensor(t) -> str:
    np = backend.numpy
    values = backend.to_host(t._data)
    mode = "maxprec"
    if values.dtype.kind == "f" and values.size:
        finite = values[np.isfinite(values)]
        if finite.size and not (finite == np.round(finite)).all():
            mode = "fixed"  # 0.1 -> 0.1000, as PyTorch; integral floats print as 2.
    with np.errstate(all="ignore"):
        body = np.array2string(values, precision=4, separator=", ", prefix="tensor(", floatmode=mode)
    extras = []
    if t.device != "cpu":
        extras.append(f"device='{t.device}'")
    if values.dtype != backend.default_dtype() and values.dtype.name not in _QUIET_DTYPES:
        extras.append(f"dtype={values.dtype.name}")
    if t.creator is not None and t._requires_grad:
        extras.append(f"grad_fn=<{type(t.creator).__name__}>")
    elif t._requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + e for e in extras) + ")"
