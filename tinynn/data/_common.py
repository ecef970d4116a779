"""Small helpers shared by the data modules (private): host arrays, generators, dtypes.

Everything in ``tinynn.data`` works on the host with NumPy (``backend.numpy``) and builds
Tensors only when a batch is handed out.
"""
from __future__ import annotations

from tinynn import backend, random
from tinynn.tensor import Tensor

np = backend.numpy  # host-only: data is prepared on the CPU, batches move afterwards


def raw(a):
    """A raw array on the device it lives on: a Tensor's values (via the host when it is on a
    device, since only ``.numpy()`` is part of Tensor's public contract), a device array as it
    is, anything else as a NumPy array."""
    if isinstance(a, Tensor):
        return backend.to_device(a.numpy(), a.device)
    return a if backend.is_array(a) else np.asarray(a)


def where(a) -> str:
    """The device of a Tensor or raw array; "cpu" for numbers, lists and NumPy arrays."""
    if isinstance(a, Tensor):
        return a.device
    return backend.device_of(a) if backend.is_array(a) else "cpu"


def seeded(seed):
    """A NumPy generator: tinynn's global one when ``seed`` is None (so ``tn.manual_seed``
    repeats a run), else a fresh one from ``seed``."""
    return random.rng() if seed is None else np.random.default_rng(seed)


def rng_of(generator, where="DataLoader"):
    """The NumPy generator to draw from: ``generator.rng`` (a ``tn.Generator``), a NumPy
    Generator as it is, or tinynn's global generator when ``generator`` is None."""
    if generator is None:
        return random.rng()
    if isinstance(generator, np.random.Generator):
        return generator
    inner = getattr(generator, "rng", None)
    if callable(inner) and not isinstance(inner, np.random.Generator):
        inner = inner()
    if isinstance(inner, np.random.Generator):
        return inner
    raise TypeError(f"{where}: generator must be a tn.Generator (with a .rng NumPy generator), a "
                    f"numpy.random.Generator or None, got {type(generator).__name__}")


def default_float(a):
    """Cast to tinynn's default float dtype (float32 unless changed)."""
    return np.asarray(a, dtype=backend.default_dtype())


def like(original, out):
    """``out`` (a NumPy array) as a Tensor on ``original``'s device when ``original`` was a
    Tensor, else as it is: Tensors in, Tensors out."""
    return Tensor(out, device=original.device) if isinstance(original, Tensor) else out


def check_positive_int(where_, name, value, minimum=1):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{where_}: {name} must be an int >= {minimum}, got {value!r}")
    return int(value)
