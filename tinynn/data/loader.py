"""DataLoader: batches of Tensors from a dataset, with ``torch.utils.data.DataLoader``'s
arguments and meaning.

What is the same as PyTorch: ``batch_size=1`` by default, ``shuffle``, ``sampler``,
``batch_sampler``, ``collate_fn`` (default: ``default_collate``, so a ``(x, y)`` sample gives a
``[x_batch, y_batch]`` list), ``drop_last``, ``generator``, ``batch_size=None`` (no batching),
a dataset with ``__getitems__`` fetched a batch at a time, and the same argument errors.

What tinynn does differently, and why:

* ``num_workers`` is accepted and checked, but batches are always made **in this process**
  (at tinynn's sizes a batch is one NumPy gather, cheaper than sending it between processes,
  and one process keeps ``tn.manual_seed`` runs exactly repeatable); ``timeout``, ``worker_init_fn``,
  ``multiprocessing_context``, ``prefetch_factor`` and ``persistent_workers`` are accepted
  for compatibility and have nothing to do.
* ``pin_memory`` is accepted and does nothing: there is no page-locked host memory to use
  on the CPU, and CuPy copies work without it.
* ``DataLoader((x, y), batch_size=32)``: a **tuple** of arrays with one row per sample is
  wrapped in a ``TensorDataset`` (a list stays a list of samples, as in PyTorch).
* ``transform=``: called on every batch's inputs (the first field, a host NumPy array of
  shape (N, ...), e.g. NCHW images), after collation and before the batch becomes Tensors;
  see ``tinynn.data.transforms``. (``TensorDataset(transform=)`` is the per-sample hook.)
* ``device=``: every Tensor of the batch is put there ("cpu", "cuda", ...); by default a
  batch stays where the data is.
* A TensorDataset (or a Subset of one) with the default collate is batched by fancy
  indexing, one gather per array instead of one Python call per sample; the result is the
  same as collating the samples.

Shuffling draws from ``generator`` (a ``tn.Generator``) or else tinynn's global generator,
so ``tn.manual_seed`` repeats the order of a whole run.

>>> import tinynn as tn
>>> from tinynn.data import make_moons
>>> x, y = make_moons(100, noise=0.1, seed=0)
>>> loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
>>> xb, yb = next(iter(loader))
>>> xb.shape, yb.shape, len(loader)
((32, 2), (32,), 4)
"""
from __future__ import annotations

import collections.abc
import numbers

from tinynn import backend
from tinynn.data._common import check_positive_int, rng_of, where
from tinynn.data.collate import default_collate, default_convert
from tinynn.data.dataset import Subset, TensorDataset
from tinynn.data.sampler import BatchSampler, RandomSampler, SequentialSampler
from tinynn.tensor import Tensor

np = backend.numpy


def _is_tuple_of_arrays(data):
    if not isinstance(data, tuple) or not data:
        return False
    return all((isinstance(a, Tensor) or backend.is_array(a)) and a.ndim >= 1 for a in data)


def _fast_batcher(dataset):
    """``indices -> tuple of arrays`` for datasets that can gather a batch at once, else None."""
    if isinstance(dataset, TensorDataset):
        return dataset.batch
    if isinstance(dataset, Subset):
        inner = _fast_batcher(dataset.dataset)
        if inner is not None:
            positions = np.asarray(dataset.indices, dtype=np.int64)
            return lambda idx: inner(positions[idx])
    return None


def _to_device(batch, device):
    """Every Tensor in a (nested) batch on ``device``."""
    if isinstance(batch, Tensor):
        return batch if batch.device == device else Tensor(batch.numpy(), device=device)
    if isinstance(batch, collections.abc.Mapping):
        return {k: _to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(_to_device(v, device) for v in batch))
    if isinstance(batch, (list, tuple)):
        return type(batch)(_to_device(v, device) for v in batch)
    return batch


class DataLoader:
    """Batches of Tensors from a dataset (or from a tuple of arrays), optionally shuffled.

    Args (PyTorch's, in PyTorch's order; the module docstring says what differs):
        dataset: a Dataset (anything with ``__len__`` and ``__getitem__``), or a tuple of
            arrays with one row per sample (wrapped in a TensorDataset).
        batch_size: samples per batch (default 1, as PyTorch); ``None`` hands out samples
            one by one, unbatched.
        shuffle: a new random order every epoch (``RandomSampler``).
        sampler: the indices to visit (any iterable of indices); excludes ``shuffle``.
        batch_sampler: lists of indices, one per batch; excludes ``batch_size``,
            ``shuffle``, ``sampler`` and ``drop_last``.
        num_workers: accepted (>= 0); batches are always made in this process.
        collate_fn: list of samples -> batch (default ``default_collate``).
        pin_memory: accepted; a no-op.
        drop_last: drop the last incomplete batch.
        generator: a ``tn.Generator`` for the shuffling order (default: tinynn's global one).
        transform: tinynn: called on each batch's inputs (a NumPy (N, ...) array).
        device: tinynn: put every batch on this device.

    >>> loader = DataLoader((np.arange(10.0), np.arange(10)), batch_size=4)
    >>> [len(y) for x, y in loader], len(loader)
    ([4, 4, 2], 3)
    >>> len(DataLoader((np.arange(10.0),), batch_size=4, drop_last=True))
    2
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="", in_order=True,
                 transform=None, device=None):
        if _is_tuple_of_arrays(dataset):
            dataset = TensorDataset(*dataset)
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError(f"DataLoader: expected a Dataset (with __len__ and __getitem__) or a tuple of "
                            f"arrays, got {type(dataset).__name__}")
        self._check_workers(num_workers, timeout, prefetch_factor, persistent_workers)
        for name, fn in (("collate_fn", collate_fn), ("transform", transform)):
            if fn is not None and not callable(fn):
                raise TypeError(f"DataLoader: {name} must be callable, got {type(fn).__name__}")
        if generator is not None:
            rng_of(generator, "DataLoader")  # a bad generator fails here, not at the first epoch
        for name, s in (("sampler", sampler), ("batch_sampler", batch_sampler)):
            if s is not None and (isinstance(s, (str, bytes)) or not hasattr(s, "__iter__")):
                raise TypeError(f"DataLoader: {name} must be an iterable of indices (e.g. RandomSampler(dataset) or "
                                f"a list), got {type(s).__name__}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle; shuffle inside "
                             "the sampler (e.g. RandomSampler) instead")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None:
            if drop_last:
                raise ValueError("DataLoader: batch_size=None option disables auto-batching and is mutually "
                                 "exclusive with drop_last")
        else:
            batch_size = check_positive_int("DataLoader", "batch_size", batch_size)
        if sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, bool(drop_last)
        self.sampler, self.batch_sampler, self.generator = sampler, batch_sampler, generator
        self.num_workers, self.pin_memory, self.timeout = num_workers, bool(pin_memory), timeout
        self.worker_init_fn, self.prefetch_factor = worker_init_fn, prefetch_factor
        self.persistent_workers = persistent_workers
        self.collate_fn = collate_fn
        self.transform = transform
        self.device = None if device is None else backend.check_device(str(device))

    @staticmethod
    def _check_workers(num_workers, timeout, prefetch_factor, persistent_workers):
        if not isinstance(num_workers, int) or isinstance(num_workers, bool) or num_workers < 0:
            raise ValueError("DataLoader: num_workers option should be non-negative; use num_workers=0 to "
                             f"disable multiprocessing (got {num_workers!r}; tinynn always loads in-process)")
        if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real) or not timeout >= 0:
            raise ValueError(f"DataLoader: timeout option should be a non-negative number of seconds, got {timeout!r}")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("DataLoader: prefetch_factor option could only be specified in multiprocessing. "
                             "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None.")
        if num_workers == 0 and persistent_workers:
            raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")

    def __len__(self):
        return len(self.batch_sampler) if self.batch_sampler is not None else len(self.sampler)

    def __iter__(self):
        if self.batch_sampler is None:  # batch_size=None: samples one by one
            convert = self.collate_fn or default_convert
            for i in self.sampler:
                yield self._finish(convert(self.dataset[i]))
            return
        fast = _fast_batcher(self.dataset) if self.collate_fn is None else None
        for indices in self._index_batches():
            if fast is not None:
                yield self._from_arrays(fast(indices))
                continue
            keys = [int(i) for i in indices]
            if hasattr(self.dataset, "__getitems__"):
                samples = self.dataset.__getitems__(keys)
            else:
                samples = [self.dataset[i] for i in keys]
            yield self._finish((self.collate_fn or default_collate)(samples))

    def _index_batches(self):
        if hasattr(self.batch_sampler, "_index_batches"):
            return self.batch_sampler._index_batches()
        return (np.asarray(list(b), dtype=np.int64) for b in self.batch_sampler)

    def _from_arrays(self, arrays):
        """The fast path: gathered arrays -> the list of Tensors collation would have made."""
        arrays = list(arrays)
        if self.transform is not None:
            arrays[0] = backend.to_device(backend.to_host(self.transform(backend.to_host(arrays[0]))), where(arrays[0]))
        return [Tensor(a, device=self.device) for a in arrays]

    def _finish(self, batch):
        """Apply ``transform`` to the inputs and move the batch to ``device``."""
        if self.transform is not None:
            batch = self._transform_inputs(batch)
        return batch if self.device is None else _to_device(batch, self.device)

    def _transform_inputs(self, batch):
        if isinstance(batch, (list, tuple)) and batch and not hasattr(batch, "_fields"):
            return type(batch)([self._transform_inputs(batch[0]), *batch[1:]])
        if isinstance(batch, Tensor) or backend.is_array(batch):
            return Tensor(backend.to_host(self.transform(backend.to_host(batch))), device=where(batch))
        raise TypeError(f"DataLoader: transform= applies to a batch's inputs (a Tensor, or the first field of "
                        f"a list/tuple), got a {type(batch).__name__} batch; transform inside your Dataset "
                        "or collate_fn instead")

    def __repr__(self):
        return (f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, "
                f"batch_size={self.batch_size}, sampler={type(self.sampler).__name__}, "
                f"drop_last={self.drop_last})")
