"""Samplers: which sample indices a DataLoader visits, in which order, as ``torch.utils.data``.

A sampler is any iterable of indices; a batch sampler any iterable of lists of indices.
``RandomSampler`` draws a new order every time it is iterated, from ``generator``
(a ``tn.Generator``) or else tinynn's global generator, so ``tn.manual_seed`` repeats a run.

>>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
[[0, 1], [2, 3], [4]]
"""
from __future__ import annotations

import math

from tinynn import backend
from tinynn.data._common import check_positive_int, rng_of

np = backend.numpy


class Sampler:
    """Base class: subclass it and define ``__iter__`` (indices) and, if you can, ``__len__``."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def _order(self):
        """The whole epoch's indices as one NumPy array (the loader slices it into batches)."""
        return np.fromiter(iter(self), dtype=np.int64)


class SequentialSampler(Sampler):
    """Indices ``0, 1, ..., len(data_source) - 1``.

    >>> list(SequentialSampler(range(3)))
    [0, 1, 2]
    """

    def __init__(self, data_source):
        self.data_source = data_source

    def __len__(self):
        return len(self.data_source)

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def _order(self):
        return np.arange(len(self.data_source))


class RandomSampler(Sampler):
    """A random order of ``data_source``'s indices, new on every iteration.

    ``replacement=True`` draws ``num_samples`` indices with replacement (default: as many
    as the data has).

    >>> sorted(RandomSampler(range(5)))
    [0, 1, 2, 3, 4]
    >>> len(RandomSampler(range(5), replacement=True, num_samples=8))
    8
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source, self.replacement, self.generator = data_source, bool(replacement), generator
        self._num_samples = num_samples
        if generator is not None:
            rng_of(generator, "RandomSampler")
        if num_samples is not None:
            check_positive_int("RandomSampler", "num_samples", num_samples)
        if num_samples is not None and not replacement and num_samples > len(data_source):
            raise ValueError(f"RandomSampler: num_samples={num_samples} exceeds the {len(data_source)} samples; "
                             "use replacement=True to draw more")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __len__(self):
        return self.num_samples

    def __iter__(self):
        return iter(self._order().tolist())

    def _order(self):
        rng, n = rng_of(self.generator, "RandomSampler"), len(self.data_source)
        if self.replacement:
            return rng.integers(0, n, size=self.num_samples)
        return rng.permutation(n)[: self.num_samples]


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a random order, new on every iteration.

    >>> sorted(SubsetRandomSampler([4, 2, 9]))
    [2, 4, 9]
    """

    def __init__(self, indices, generator=None):
        self.indices, self.generator = np.asarray(list(indices), dtype=np.int64), generator

    def __len__(self):
        return len(self.indices)

    def __iter__(self):
        return iter(self._order().tolist())

    def _order(self):
        return self.indices[rng_of(self.generator, "SubsetRandomSampler").permutation(len(self.indices))]


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size`` (the last one shorter
    unless ``drop_last``).

    >>> len(BatchSampler(range(10), batch_size=3, drop_last=True))
    3
    """

    def __init__(self, sampler, batch_size, drop_last):
        self.sampler = sampler
        self.batch_size = check_positive_int("BatchSampler", "batch_size", batch_size)
        self.drop_last = bool(drop_last)

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self):
        for indices in self._index_batches():
            yield indices.tolist()

    def _index_batches(self):
        """The batches as NumPy index arrays: one slice of the epoch's order each."""
        order = self.sampler._order() if hasattr(self.sampler, "_order") else np.fromiter(
            iter(self.sampler), dtype=np.int64)
        stop = len(order) - len(order) % self.batch_size if self.drop_last else len(order)
        for start in range(0, stop, self.batch_size):
            yield order[start:start + self.batch_size]
