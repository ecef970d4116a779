"""Splitting arrays into train and test parts (scikit-learn's ``train_test_split``).

For a Dataset, PyTorch's ``random_split`` (in ``tinynn.data.dataset``) does the same job.

>>> x_tr, x_te = train_test_split(np.arange(10), test_size=0.3, seed=0)
>>> len(x_tr), len(x_te)
(7, 3)
"""
from __future__ import annotations

import math

from tinynn import backend
from tinynn.data._common import like, seeded

np = backend.numpy


def _split_counts(n, test_size):
    if isinstance(test_size, float):
        if not 0.0 < test_size < 1.0:
            raise ValueError(f"train_test_split: a float test_size is a fraction in (0, 1), got {test_size}")
        n_test = math.ceil(test_size * n)  # rounds like scikit-learn
    elif isinstance(test_size, int) and not isinstance(test_size, bool):
        n_test = test_size
    else:
        raise TypeError("train_test_split: test_size must be a float fraction or an int count, "
                        f"got {test_size!r}")
    if not 0 < n_test < n:
        raise ValueError(f"train_test_split: test_size={test_size} leaves {n_test} of {n} samples for the "
                         "test set; both parts must be non-empty")
    return n_test


def train_test_split(*arrays, test_size=0.25, seed=None, shuffle=True, stratify=None):
    """Split arrays (same first dimension) into train and test parts.

    Returns ``[a_train, a_test, b_train, b_test, ...]`` as scikit-learn does. The order is
    drawn from ``seed`` if given, else from tinynn's generator (``tn.manual_seed``).
    ``stratify=y`` keeps every class's share in both parts; ``shuffle=False`` takes the last
    ``test_size`` rows as the test set. Tensors in give Tensors out (same device).

    >>> x, y = np.arange(20).reshape(10, 2), np.array([0, 1] * 5)
    >>> x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.2, seed=0, stratify=y)
    >>> x_tr.shape, x_te.shape, sorted(y_te.tolist())
    ((8, 2), (2, 2), [0, 1])
    """
    if not arrays:
        raise ValueError("train_test_split needs at least one array")
    hosts = [backend.to_host(a) for a in arrays]
    n = hosts[0].shape[0] if hosts[0].ndim else 0
    if any(h.ndim == 0 or h.shape[0] != n for h in hosts):
        raise ValueError("train_test_split: every array needs the same first dimension, got shapes "
                         + ", ".join(str(h.shape) for h in hosts))
    n_test = _split_counts(n, test_size)
    rng = seeded(seed)
    if stratify is not None:
        if not shuffle:
            raise ValueError("train_test_split: stratify needs shuffle=True (as in scikit-learn)")
        labels = backend.to_host(stratify).reshape(n, -1)[:, 0] if backend.to_host(stratify).ndim > 1 else backend.to_host(stratify)
        if labels.shape[0] != n:
            raise ValueError(f"train_test_split: stratify has {labels.shape[0]} labels for {n} samples")
        test_idx = _stratified_test_indices(labels, n_test, rng)
    elif shuffle:
        test_idx = rng.permutation(n)[:n_test]
    else:
        test_idx = np.arange(n - n_test, n)
    mask = np.zeros(n, dtype=bool)
    mask[test_idx] = True
    train_idx, test_idx = np.flatnonzero(~mask), np.flatnonzero(mask)
    if shuffle:  # don't hand back the rows sorted by class or by position
        train_idx, test_idx = rng.permutation(train_idx), rng.permutation(test_idx)
    out = []
    for original, h in zip(arrays, hosts):
        for idx in (train_idx, test_idx):
            out.append(like(original, h[idx]))
    return out


def _stratified_test_indices(labels, n_test, rng):
    """Give each class round(n_test * share) test rows (largest remainders fix the total)."""
    classes, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    if counts.min() < 2:
        rare = classes[counts.argmin()]
        raise ValueError(f"train_test_split: class {rare!r} has only {counts.min()} sample; stratify needs "
                         "at least 2 per class")
    exact = n_test * counts / counts.sum()
    take = np.floor(exact).astype(int)
    for k in np.argsort(-(exact - take), kind="stable")[: n_test - take.sum()]:
        take[k] += 1
    picked = [rng.permutation(np.flatnonzero(inverse == k))[:take[k]] for k in range(len(classes))]
    return np.concatenate(picked)
