"""``torch.utils`` in tinynn: ``tn.utils.data`` is :mod:`tinynn.data` (Dataset, DataLoader, ...).

>>> import tinynn.utils
>>> tinynn.utils.data.TensorDataset.__name__
'TensorDataset'
"""
from tinynn import data

__all__ = ["data"]
