"""Datasets: a sequence of samples (``len`` and ``[i]``), as ``torch.utils.data``.

* ``Dataset``: subclass it and define ``__len__`` and ``__getitem__``; ``a + b`` concatenates.
* ``TensorDataset(x, y)``: arrays with one row per sample; sample ``i`` is ``(x[i], y[i])``.
* ``Subset(dataset, indices)``, ``ConcatDataset([a, b])`` and ``random_split(dataset, lengths)``.

Randomness (``random_split``) comes from ``generator=`` or else tinynn's global generator, so
``tn.manual_seed`` repeats it.

>>> ds = TensorDataset(np.arange(10.0).reshape(5, 2), np.arange(5))
>>> train, val = random_split(ds, [0.8, 0.2])
>>> len(train), len(val), len(train + val)
(4, 1, 5)
"""
from __future__ import annotations

import bisect
import itertools
import math
import numbers
import operator
import warnings

from tinynn import backend
from tinynn.data._common import check_positive_int, raw, rng_of

np = backend.numpy


class Dataset:
    """A sequence of samples: subclass it and define ``__len__`` and ``__getitem__``.

    ``__getitem__(i)`` returns one sample, usually a tuple ``(x, y)`` of arrays or numbers; the
    DataLoader collates samples into batches. ``a + b`` is ``ConcatDataset([a, b])``.

    >>> class Squares(Dataset):
    ...     def __len__(self): return 5
    ...     def __getitem__(self, i): return np.array([float(i)]), i * i
    >>> len(Squares()), Squares()[3][1], len(Squares() + Squares())
    (5, 9, 10)
    """

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Arrays (or Tensors) with the same first dimension; sample ``i`` is ``(a[i], b[i], ...)``.

    The arrays keep their dtype and device (labels stay int64; float64 stays float64, so
    convert features to float32 first if your model is float32, as ``make_*`` and
    ``load_digits`` already do).

    ``transform`` (tinynn's addition, torchvision's meaning) is applied to the first array's
    row of every sample, one sample at a time (e.g. a (C, H, W) image), and
    ``target_transform`` to the last array's row; use them for augmentation, e.g.
    ``transforms.RandomHorizontalFlip()``. For a whole batch at once, see DataLoader's
    ``transform``.

    >>> ds = TensorDataset(np.zeros((4, 2), dtype="float32"), np.arange(4))
    >>> len(ds), int(ds[2][1])
    (4, 2)
    """

    def __init__(self, *arrays, transform=None, target_transform=None):
        if not arrays:
            raise ValueError("TensorDataset needs at least one array, e.g. TensorDataset(x, y)")
        arrays = tuple(raw(a) for a in arrays)
        lengths = [a.shape[0] if a.ndim else None for a in arrays]
        if None in lengths or len(set(lengths)) != 1:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ValueError(f"TensorDataset: every array needs the same first dimension (one row per "
                             f"sample), got shapes {shapes}")
        for name, fn in (("transform", transform), ("target_transform", target_transform)):
            if fn is not None and not callable(fn):
                raise TypeError(f"TensorDataset: {name} must be callable (e.g. transforms.Compose([...])), "
                                f"got {type(fn).__name__}")
        self.arrays = arrays
        self.transform, self.target_transform = transform, target_transform

    def __len__(self):
        return self.arrays[0].shape[0]

    def __getitem__(self, index):
        return self._apply(tuple(a[index] for a in self.arrays))

    def batch(self, indices):
        """Rows ``indices`` of every array at once (fancy indexing: far faster than collating
        sample by sample); the transforms, if any, still run once per sample."""
        out = []
        for a in self.arrays:
            where = backend.device_of(a)
            idx = indices if where == "cpu" else backend.to_device(indices, where)
            out.append(a[idx])
        if self.transform is None and self.target_transform is None:
            return tuple(out)
        rows = [self._apply(tuple(a[k] for a in out)) for k in range(len(indices))]
        return tuple(_stack_like([r[j] for r in rows], out[j]) for j in range(len(out)))

    def _apply(self, sample):
        if self.transform is not None:
            sample = (self.transform(sample[0]),) + sample[1:]
        if self.target_transform is not None:
            sample = sample[:-1] + (self.target_transform(sample[-1]),)
        return sample


def _stack_like(rows, reference):
    """Stack transformed rows on the host and put them where ``reference`` lives."""
    return backend.to_device(np.stack([backend.to_host(r) if backend.is_array(r) else np.asarray(r)
                                       for r in rows]), backend.device_of(reference))


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order (``subset[k]`` is
    ``dataset[indices[k]]``).

    >>> sub = Subset(TensorDataset(np.arange(10)), [7, 2])
    >>> len(sub), int(sub[0][0]), int(sub[1][0])
    (2, 7, 2)
    """

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = _index_list("Subset", indices)

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, index):
        if isinstance(index, (list, tuple)):
            return [self.dataset[self.indices[i]] for i in index]
        return self.dataset[self.indices[index]]

def _index_list(owner, indices):
    """``indices`` as a list of ints: a list, range, integer array or 1-d integer Tensor."""
    data = getattr(indices, "_data", indices)
    if isinstance(data, (str, bytes)) or not hasattr(data, "__iter__") or getattr(data, "ndim", 1) != 1:
        raise TypeError(f"{owner}: indices must be a sequence of ints (a list, range or 1-d integer array), got "
                        f"{type(indices).__name__}"
                        + (f" of shape {tuple(data.shape)}" if hasattr(data, "shape") else f" {indices!r}"[:80]))
    out = []
    for i in data:
        try:
            if isinstance(i, (bool, backend.numpy.bool_)):
                raise TypeError
            out.append(operator.index(i))
        except TypeError:
            raise TypeError(f"{owner}: indices must be ints, got {i!r} ({type(i).__name__})") from None
    return out


class ConcatDataset(Dataset):
    """Datasets one after the other: ``len`` is the sum, index ``i`` finds its dataset.

    >>> both = ConcatDataset([TensorDataset(np.arange(3)), TensorDataset(np.arange(10, 12))])
    >>> len(both), int(both[3][0]), int(both[-1][0])
    (5, 10, 11)
    """

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        if index < 0:
            if -index > len(self):
                raise IndexError(f"ConcatDataset: index {index} out of range for length {len(self)}")
            index += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, index)
        if which == len(self.datasets):
            raise IndexError(f"ConcatDataset: index {index} out of range for length {len(self)}")
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` at random into non-overlapping Subsets of the given ``lengths``.

    ``lengths`` are counts summing to ``len(dataset)``, or fractions summing to 1 (as PyTorch
    2.x: each gets ``floor(n * fraction)``, then the remainder is dealt one by one from the
    first split on). The order comes from ``generator`` (a ``tn.Generator``) or else
    tinynn's global generator (``tn.manual_seed``).

    >>> parts = random_split(TensorDataset(np.arange(10)), [0.5, 0.3, 0.2])
    >>> [len(p) for p in parts], sorted(int(p[i][0]) for p in parts for i in range(len(p)))
    ([5, 3, 2], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    >>> [len(p) for p in random_split(range(11), [0.5, 0.5])]
    [6, 5]
    """
    n = len(dataset)
    try:
        if isinstance(lengths, (str, bytes)):
            raise TypeError
        lengths = list(lengths)
    except TypeError:  # None, a number, a 0-d tensor ...
        raise TypeError(f"random_split: lengths must be a list of counts like [800, 200] or fractions like "
                        f"[0.8, 0.2], got {type(lengths).__name__} {lengths!r}"[:200]) from None
    bad = [v for v in lengths if isinstance(v, bool) or not isinstance(v, numbers.Real)]
    if bad:
        raise TypeError(f"random_split: every length must be a number (a count or a fraction), got {bad[0]!r}")
    if not lengths:
        raise ValueError("random_split: lengths is empty; give counts like [800, 200] or fractions like "
                         "[0.8, 0.2]")
    total = sum(lengths)
    if math.isclose(total, 1) and total <= 1:
        counts = []
        for i, frac in enumerate(lengths):
            if not 0 <= frac <= 1:
                raise ValueError(f"random_split: fraction at index {i} is {frac}, not between 0 and 1")
            counts.append(int(math.floor(n * frac)))
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, c in enumerate(counts):
            if c == 0:
                warnings.warn(f"random_split: length of split at index {i} is 0; this split will be empty",
                              stacklevel=2)
        lengths = counts
    else:
        lengths = [check_positive_int("random_split", "every length", c, minimum=0) for c in lengths]
    if sum(lengths) != n:
        raise ValueError(f"random_split: lengths {lengths} sum to {sum(lengths)}, but the dataset has {n} "
                         "samples; give counts that sum to len(dataset) or fractions that sum to 1")
    order = rng_of(generator, "random_split").permutation(n).tolist()
    return [Subset(dataset, order[end - size:end]) for end, size in zip(itertools.accumulate(lengths), lengths)]
