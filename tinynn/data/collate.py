"""Collating: a list of samples becomes one batch, with PyTorch's ``default_collate`` rules.

* arrays and Tensors are stacked along a new first dimension (dtype kept; the batch goes to
  the device the first sample is on);
* Python ints become int64, floats float64, bools bool, NumPy scalars keep their dtype;
* a tuple or list of fields is collated field by field and comes back as a **list**
  (PyTorch's choice), a namedtuple as the same namedtuple, a dict key by key;
* strings and bytes stay the sequence they came in (a list, or a tuple inside a field).

>>> a = default_collate([(np.zeros(2, "float32"), 1), (np.ones(2, "float32"), 0)])
>>> type(a).__name__, a[0].shape, a[0].dtype, a[1].tolist(), a[1].dtype
('list', (2, 2), dtype('float32'), [1, 0], dtype('int64'))
>>> default_collate([{"x": 1.5, "name": "a"}, {"x": 2.5, "name": "b"}])["name"]
['a', 'b']
"""
from __future__ import annotations

import collections.abc

from tinynn import backend
from tinynn.data._common import where
from tinynn.tensor import Tensor

np = backend.numpy

_HELP = ("default_collate: a batch must hold Tensors, arrays, numbers, strings, dicts or lists/tuples of "
         "them; found {}. Pass collate_fn= to the DataLoader to batch other things")


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(x, "_fields")


def _stack(items):
    """Stack arrays/Tensors on the host and put the batch where the first one lives (as
    PyTorch's collate keeps a tensor's device)."""
    arrays = [backend.to_host(i) for i in items]
    if arrays[0].dtype.kind in "OSU":
        raise TypeError(_HELP.format(f"an array of dtype {arrays[0].dtype}"))
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise RuntimeError(f"default_collate: stack expects each array/Tensor to be equal size, got shapes "
                           f"{sorted(shapes)}; pad the samples to one size or pass a collate_fn")
    return Tensor(np.stack(arrays), device=where(items[0]))


def default_collate(batch):
    """Collate a list of samples into a batch (PyTorch's ``default_collate`` rules, above).

    >>> default_collate([np.array([1.0, 2.0]), np.array([3.0, 4.0])]).tolist()
    [[1.0, 2.0], [3.0, 4.0]]
    >>> default_collate([0.5, 1.5]).dtype
    dtype('float64')
    """
    elem = batch[0]
    if isinstance(elem, Tensor) or backend.is_array(elem):
        return _stack(batch)
    if isinstance(elem, np.generic) and not isinstance(elem, (np.str_, np.bytes_)):
        return Tensor(np.asarray(batch))
    if isinstance(elem, bool):
        return Tensor(np.asarray(batch, dtype=bool))
    if isinstance(elem, int):
        return Tensor(np.asarray(batch, dtype=np.int64))
    if isinstance(elem, float):
        return Tensor(np.asarray(batch, dtype=np.float64))
    if isinstance(elem, (str, bytes)):
        return batch  # as PyTorch: the sequence it was given (a tuple for a field of tuples)
    if isinstance(elem, collections.abc.Mapping):
        fields = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return type(elem)(fields)
        except TypeError:  # a Mapping that cannot be built from a dict
            return fields
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(field) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if len({len(s) for s in batch}) > 1:
            raise RuntimeError("default_collate: each element in list of batch should be of equal size, got "
                               f"lengths {sorted({len(s) for s in batch})}")
        return [default_collate(field) for field in zip(*batch)]
    raise TypeError(_HELP.format(type(elem).__name__))


def default_convert(data):
    """One sample, unbatched, as the loader hands it out with ``batch_size=None``: arrays and
    NumPy scalars become Tensors, tuples become lists, Python numbers stay as they are.

    >>> default_convert((np.arange(3), 2))
    [tensor([0, 1, 2]), 2]
    """
    if isinstance(data, Tensor):
        return data
    if backend.is_array(data) or (isinstance(data, np.generic) and not isinstance(data, (np.str_, np.bytes_))):
        if np.asarray(backend.to_host(data)).dtype.kind in "OSU":
            return data
        return Tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return {key: default_convert(value) for key, value in data.items()}
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, (tuple, list)):
        return [default_convert(d) for d in data]
    return data
