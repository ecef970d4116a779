"""Random streams (PyTorch's ``torch.random``): the global one every op draws from, seeded by
``tn.manual_seed``, and independent ``Generator`` objects for ``generator=``.

Every draw happens on the host and is then moved to the tensor's device, so a seed gives the
same numbers on every device.

>>> import tinynn as tn
>>> tn.manual_seed(0); a = tn.rand(2); tn.manual_seed(0); bool((a == tn.rand(2)).all())
True
"""
from __future__ import annotations

from tinynn import backend

np = backend.numpy
_seed = int(np.random.SeedSequence().entropy % (2**63))
_rng = np.random.default_rng(_seed)


def manual_seed(seed: int) -> None:
    """Seed every random source tinynn uses (init, dropout, shuffling), CPU and GPU.

    >>> manual_seed(0); a = rng().random(); manual_seed(0); a == rng().random()
    True
    """
    global _rng, _seed
    _seed = int(seed)
    _rng = np.random.default_rng(_seed)
    if backend._cupy is not None:  # CuPy's own stream too (ops that draw on the device)
        backend._cupy.random.seed(_seed)


def rng() -> np.random.Generator:
    """The host random generator all of tinynn draws from."""
    return _rng


def random_array(kind: str, shape, dtype, device: str = "cpu", **kw):
    """Draw ``kind`` ("uniform", "normal", "random") on the host RNG and move to ``device``.

    Drawing on the host keeps runs identical across devices for the same seed.
    """
    draw = getattr(_rng, kind)
    a = np.asarray(draw(size=tuple(shape), **kw), dtype=dtype)
    return backend.to_device(a, device) if device != "cpu" else a


def initial_seed() -> int:
    """The seed of the global stream (from ``manual_seed``, or drawn from fresh entropy)."""
    return _seed


def seed() -> int:
    """Re-seed the global stream from fresh entropy and return the new seed."""
    new = int(np.random.SeedSequence().entropy % (2**63))
    manual_seed(new)
    return new


class Generator:
    """An independent stream of random numbers (PyTorch's ``torch.Generator``), for ``generator=``.

    >>> g = Generator().manual_seed(1); a = g.rng.random(); _ = g.manual_seed(1); a == g.rng.random()
    True
    """

    def __init__(self, device="cpu"):
        self.device = backend.device(device)
        self._seed = int(np.random.SeedSequence().entropy % (2**63))
        self.rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed):
        """Restart the stream from ``seed``; returns self (as PyTorch)."""
        self._seed = int(seed)
        self.rng = np.random.default_rng(self._seed)
        return self

    def initial_seed(self) -> int:
        """The seed the stream started from."""
        return self._seed

    def seed(self) -> int:
        """Re-seed from fresh entropy and return the new seed."""
        return self.manual_seed(int(np.random.SeedSequence().entropy % (2**63))).initial_seed()

    def get_state(self):
        """The generator's state (a dict), for set_state."""
        return self.rng.bit_generator.state

    def set_state(self, new_state):
        """Restore a state from get_state."""
        self.rng.bit_generator.state = new_state
        return self


def rng_of(generator=None) -> np.random.Generator:
    """The numpy Generator behind ``generator=`` (None: the global one seeded by manual_seed)."""
    if generator is None:
        return _rng
    if not isinstance(generator, Generator):
        raise TypeError(f"generator= expects a tn.Generator, got {type(generator).__name__}")
    return generator.rng
