"""Data: datasets, a DataLoader, splitting and scaling, toy problems and real digits.

Everything here works on the host (NumPy) and hands out Tensors batch by batch, moved to a
``device`` if you ask. Randomness (shuffling, toy data without an explicit seed) comes from
tinynn's generator, so ``tn.manual_seed`` reproduces a whole run.

>>> import tinynn as tn
>>> from tinynn.data import DataLoader, TensorDataset, make_moons
>>> x, y = make_moons(100, noise=0.1, seed=0)
>>> loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
>>> xb, yb = next(iter(loader))
>>> xb.shape, yb.shape, len(loader)
((32, 2), (32,), 4)
"""
from __future__ import annotations

import gzip
import hashlib
import math
import os
import pathlib

from tinynn import backend
from tinynn.tensor import Tensor

np = backend.numpy  # host-only module: data is prepared on the CPU, batches move afterwards

_DATASETS = pathlib.Path(__file__).resolve().parent / "datasets"


# --------------------------------------------------------------------------- helpers
def _host(a):
    """A NumPy array from a Tensor, a device array, a list or a number."""
    if isinstance(a, Tensor):
        a = a.data
    return backend.to_host(a) if backend.is_array(a) else np.asarray(a)


def _generator(seed):
    """A NumPy generator: tinynn's seeded one when ``seed`` is None, else a fresh one."""
    return backend.rng() if seed is None else np.random.default_rng(seed)


def _float(a):
    """Cast to tinynn's default float dtype (float32 unless changed)."""
    return np.asarray(a, dtype=backend.default_dtype())


# --------------------------------------------------------------------------- datasets
class Dataset:
    """A sequence of samples: subclass it and define ``__len__`` and ``__getitem__``.

    ``__getitem__(i)`` returns one sample, usually a tuple ``(x, y)`` of arrays or numbers;
    the DataLoader stacks samples into batches.

    >>> class Squares(Dataset):
    ...     def __len__(self): return 5
    ...     def __getitem__(self, i): return np.array([float(i)]), i * i
    >>> len(Squares()), Squares()[3][1]
    (5, 9)
    """

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")


class TensorDataset(Dataset):
    """Arrays (or Tensors) with the same first dimension; sample ``i`` is ``(a[i], b[i], ...)``.

    The arrays keep their dtype (labels stay int64; float64 stays float64, so convert features
    to float32 first if your model is float32, as ``make_*`` and ``load_digits`` already do).

    >>> ds = TensorDataset(np.zeros((4, 2), dtype="float32"), np.arange(4))
    >>> len(ds), int(ds[2][1])
    (4, 2)
    """

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("TensorDataset needs at least one array, e.g. TensorDataset(x, y)")
        arrays = tuple(a.data if isinstance(a, Tensor) else a for a in arrays)
        arrays = tuple(a if backend.is_array(a) else np.asarray(a) for a in arrays)
        lengths = [a.shape[0] if a.ndim else None for a in arrays]
        if None in lengths or len(set(lengths)) != 1:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ValueError(f"TensorDataset: every array needs the same first dimension (one row per "
                             f"sample), got shapes {shapes}")
        self.arrays = arrays

    def __len__(self):
        return self.arrays[0].shape[0]

    def __getitem__(self, index):
        return tuple(a[index] for a in self.arrays)

    def batch(self, indices):
        """Rows ``indices`` of every array at once (fancy indexing: far faster than per sample)."""
        out = []
        for a in self.arrays:
            where = backend.device_of(a)
            idx = indices if where == "cpu" else backend.to_device(indices, where)
            out.append(a[idx])
        return tuple(out)


def _where(item):
    """Device of one sample field: a Tensor's or a device array's; "cpu" for anything else."""
    a = item.data if isinstance(item, Tensor) else item
    return backend.device_of(a) if backend.is_array(a) else "cpu"


def _stack(items):
    """Stack one field of every sample on the host, then move it to where the first item was
    (the batch stays where the data is, as PyTorch's collate keeps a tensor's device)."""
    return backend.to_device(np.stack([_host(i) for i in items]), _where(items[0]))


def _collate(samples):
    """Stack a list of samples (tuples of arrays/numbers, or single arrays) into batch arrays."""
    first = samples[0]
    if isinstance(first, (tuple, list)):
        return tuple(_stack([s[k] for s in samples]) for k in range(len(first)))
    return (_stack(samples),)


class DataLoader:
    """Batches of Tensors from a dataset (or from arrays), optionally shuffled every epoch.

    Args:
        dataset: a Dataset, or arrays with one row per sample (wrapped in a TensorDataset).
        batch_size: samples per batch; the last batch is smaller unless ``drop_last``.
        shuffle: a new random order every epoch, drawn from tinynn's generator, so
            ``tn.manual_seed`` makes the order (and the whole run) reproducible.
        drop_last: drop the last incomplete batch.
        device: move every batch to this device ("cpu", "cuda", ...); default: where the data is
            (a TensorDataset's arrays, or the tensors a custom Dataset returns; numbers and
            NumPy arrays give cpu batches).

    Iterating yields a tuple of Tensors per batch, e.g. ``for x, y in loader``.

    >>> loader = DataLoader((np.arange(10.0), np.arange(10)), batch_size=4)
    >>> [len(y) for x, y in loader], len(loader)
    ([4, 4, 2], 3)
    >>> len(DataLoader((np.arange(10.0),), batch_size=4, drop_last=True))
    2
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, device=None):
        if isinstance(dataset, (tuple, list)):
            dataset = TensorDataset(*dataset)
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError(f"DataLoader: expected a Dataset (with __len__ and __getitem__) or a tuple of "
                            f"arrays, got {type(dataset).__name__}")
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.device = None if device is None else backend.check_device(device)

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        order = backend.rng().permutation(n) if self.shuffle else np.arange(n)
        for b in range(len(self)):
            indices = order[b * self.batch_size:(b + 1) * self.batch_size]
            if isinstance(self.dataset, TensorDataset):
                arrays = self.dataset.batch(indices)
            else:
                arrays = _collate([self.dataset[int(i)] for i in indices])
            yield tuple(Tensor(a, device=self.device) for a in arrays)

    def __repr__(self):
        return (f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, "
                f"batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last})")


# --------------------------------------------------------------------------- splitting
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
    hosts = [_host(a) for a in arrays]
    n = hosts[0].shape[0] if hosts[0].ndim else 0
    if any(h.ndim == 0 or h.shape[0] != n for h in hosts):
        raise ValueError("train_test_split: every array needs the same first dimension, got shapes "
                         + ", ".join(str(h.shape) for h in hosts))
    n_test = _split_counts(n, test_size)
    rng = _generator(seed)
    if stratify is not None:
        if not shuffle:
            raise ValueError("train_test_split: stratify needs shuffle=True (as in scikit-learn)")
        labels = _host(stratify).reshape(n, -1)[:, 0] if _host(stratify).ndim > 1 else _host(stratify)
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
            part = h[idx]
            out.append(Tensor(part, device=original.device) if isinstance(original, Tensor) else part)
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


# --------------------------------------------------------------------------- scaling
class _Scaler:
    """Shared fit/transform plumbing: statistics per feature (column), learnt on training data."""

    def __init__(self):
        self.n_features_ = None

    def fit(self, x):
        x = self._check(x, "fit")
        if x.shape[0] == 0:
            raise ValueError(f"{type(self).__name__}.fit: got no rows")
        self._fit(x.astype(np.float64))
        self.n_features_ = x.shape[1:]
        return self

    def transform(self, x):
        self._require_fit("transform")
        h = self._check(x, "transform")
        out = self._transform(h.astype(np.float64)).astype(self._dtype(h))
        return self._like(x, out)

    def inverse_transform(self, x):
        self._require_fit("inverse_transform")
        h = self._check(x, "inverse_transform")
        out = self._inverse(h.astype(np.float64)).astype(self._dtype(h))
        return self._like(x, out)

    def fit_transform(self, x):
        """``fit(x)`` then ``transform(x)``: use it on the training set only."""
        return self.fit(x).transform(x)

    def _require_fit(self, what):
        if self.n_features_ is None:
            name = type(self).__name__
            raise RuntimeError(f"{name}.{what} called before fit: call scaler.fit(x_train) first (fit on the "
                               "training data only, then transform the validation and test data)")

    def _check(self, x, what):
        h = _host(x)
        if h.ndim < 2:
            raise ValueError(f"{type(self).__name__}.{what}: expected (samples, features), got shape "
                             f"{h.shape}; reshape a single feature with x.reshape(-1, 1)")
        if self.n_features_ is not None and what != "fit" and h.shape[1:] != self.n_features_:
            raise ValueError(f"{type(self).__name__}.{what}: fitted on features of shape {self.n_features_}, "
                             f"got {h.shape[1:]}")
        return h

    @staticmethod
    def _dtype(h):
        return h.dtype if h.dtype.kind == "f" else backend.default_dtype()

    @staticmethod
    def _like(original, out):
        return Tensor(out, device=original.device) if isinstance(original, Tensor) else out


class StandardScaler(_Scaler):
    """Standardise features: ``(x - mean) / std``, with mean and std learnt by ``fit``.

    Fit on the training set only, then transform every split with the same statistics (so no
    information leaks from the test set). Constant features get std 1 (they become 0).

    >>> s = StandardScaler().fit(np.array([[1.0, 5.0], [3.0, 5.0]]))
    >>> s.mean_.tolist(), s.scale_.tolist(), s.transform(np.array([[3.0, 6.0]])).tolist()
    ([2.0, 5.0], [1.0, 1.0], [[1.0, 1.0]])
    """

    def _fit(self, x):
        self.mean_ = x.mean(axis=0)
        std = x.std(axis=0)
        self.scale_ = np.where(std > 0, std, 1.0)

    def _transform(self, x):
        return (x - self.mean_) / self.scale_

    def _inverse(self, x):
        return x * self.scale_ + self.mean_


class MinMaxScaler(_Scaler):
    """Rescale every feature to ``feature_range`` (default [0, 1]) using the min and max seen by ``fit``.

    Test data outside the training range lands outside ``feature_range`` (it is not clipped).

    >>> MinMaxScaler().fit_transform(np.array([[0.0], [5.0], [10.0]])).ravel().tolist()
    [0.0, 0.5, 1.0]
    """

    def __init__(self, feature_range=(0.0, 1.0)):
        super().__init__()
        low, high = feature_range
        if not low < high:
            raise ValueError("MinMaxScaler: feature_range must be (low, high) with low < high, "
                             f"got {feature_range}")
        self.feature_range = (float(low), float(high))

    def _fit(self, x):
        self.data_min_, self.data_max_ = x.min(axis=0), x.max(axis=0)
        span = self.data_max_ - self.data_min_
        low, high = self.feature_range
        self.scale_ = (high - low) / np.where(span > 0, span, 1.0)  # a constant feature maps to `low`

    def _transform(self, x):
        return (x - self.data_min_) * self.scale_ + self.feature_range[0]

    def _inverse(self, x):
        return (x - self.feature_range[0]) / self.scale_ + self.data_min_


# --------------------------------------------------------------------------- toy problems
def _finish(x, y, rng, noise):
    """Add Gaussian noise to the points, shuffle, cast: float features, int64 labels."""
    if noise:
        x = x + rng.normal(scale=noise, size=x.shape)
    order = rng.permutation(len(x))
    return _float(x[order]), np.asarray(y[order])


def _check_n(name, n, minimum=1):
    if not isinstance(n, int) or isinstance(n, bool) or n < minimum:
        raise ValueError(f"{name}: n_samples must be an int >= {minimum}, got {n!r}")


def make_xor(n_samples=200, noise=0.2, seed=None):
    """XOR: four clusters at (±1, ±1); label 1 where the signs differ. Not linearly separable.

    Returns ``(x, y)``: float32 (n, 2) points and int64 (n,) labels, shuffled, classes balanced
    (the clusters get ``n_samples // 4`` points each, the first ``n_samples % 4`` one more).

    >>> x, y = make_xor(8, noise=0.0, seed=0)
    >>> sorted(zip(x[:, 0].tolist(), x[:, 1].tolist(), y.tolist()))[:3]
    [(-1.0, -1.0, 0), (-1.0, -1.0, 0), (-1.0, 1.0, 1)]
    """
    _check_n("make_xor", n_samples, 4)
    rng = _generator(seed)
    corners = np.array([[-1.0, -1.0], [1.0, 1.0], [-1.0, 1.0], [1.0, -1.0]])
    which = np.arange(n_samples) % 4
    x, y = corners[which], (which >= 2).astype(np.int64)
    return _finish(x, y, rng, noise)


def make_moons(n_samples=200, noise=0.1, seed=None):
    """Two interleaving half circles (scikit-learn's two moons), labels 0 (upper) and 1 (lower).

    >>> x, y = make_moons(100, noise=0.0, seed=0)
    >>> x.shape, x.dtype, np.bincount(y).tolist()
    ((100, 2), dtype('float32'), [50, 50])
    """
    _check_n("make_moons", n_samples, 2)
    rng = _generator(seed)
    n_upper = n_samples // 2 + n_samples % 2
    n_lower = n_samples - n_upper
    t_up, t_lo = np.linspace(0, np.pi, n_upper), np.linspace(0, np.pi, n_lower)
    upper = np.stack([np.cos(t_up), np.sin(t_up)], axis=1)
    lower = np.stack([1 - np.cos(t_lo), 0.5 - np.sin(t_lo)], axis=1)
    y = np.concatenate([np.zeros(n_upper, np.int64), np.ones(n_lower, np.int64)])
    return _finish(np.concatenate([upper, lower]), y, rng, noise)


def make_spirals(n_samples=300, n_classes=3, noise=0.2, seed=None):
    """``n_classes`` interleaved spiral arms in the plane (the CS231n spiral), one class each.

    ``noise`` jitters the angle (in radians), so the arms stay spirals.

    >>> x, y = make_spirals(300, n_classes=3, seed=0)
    >>> x.shape, np.bincount(y).tolist(), bool(abs(x).max() <= 1.0)
    ((300, 2), [100, 100, 100], True)
    """
    _check_n("make_spirals", n_samples, n_classes)
    if not isinstance(n_classes, int) or n_classes < 2:
        raise ValueError(f"make_spirals: n_classes must be an int >= 2, got {n_classes!r}")
    rng = _generator(seed)
    y = np.arange(n_samples, dtype=np.int64) % n_classes
    x = np.empty((n_samples, 2))
    for k in range(n_classes):
        rows = np.flatnonzero(y == k)
        r = np.linspace(0.0, 1.0, len(rows))
        t = np.linspace(k * 4.0, (k + 1) * 4.0, len(rows)) + rng.normal(scale=noise, size=len(rows))
        x[rows] = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
    return _finish(x, y, rng, 0.0)


def make_regression(n_samples=100, n_features=1, noise=0.1, coef=None, bias=0.5, seed=None,
                    return_coef=False):
    """Noisy linear data: ``y = x @ coef + bias + noise·N(0, 1)`` with ``x ~ N(0, 1)``.

    Returns ``(x, y)``: float32 (n, n_features) and (n, 1) targets, the shape a
    ``Linear(n_features, 1)`` predicts, so ``mse_loss(model(x), y)`` lines up. ``coef`` defaults
    to random values in [-2, 2]; ``return_coef=True`` also returns ``(coef, bias)`` to check what
    a model recovers.

    >>> x, y, (w, b) = make_regression(50, 3, noise=0.0, seed=0, return_coef=True)
    >>> x.shape, y.shape, bool(np.allclose(x @ w + b, y.ravel(), atol=1e-5))
    ((50, 3), (50, 1), True)
    """
    _check_n("make_regression", n_samples)
    rng = _generator(seed)
    x = rng.normal(size=(n_samples, n_features))
    coef = rng.uniform(-2.0, 2.0, size=n_features) if coef is None else np.asarray(coef, dtype=np.float64)
    if coef.shape != (n_features,):
        raise ValueError(f"make_regression: coef must have shape ({n_features},), got {coef.shape}")
    y = x @ coef + bias + noise * rng.normal(size=n_samples)
    x, y = _float(x), _float(y.reshape(-1, 1))
    return (x, y, (coef, float(bias))) if return_coef else (x, y)


# --------------------------------------------------------------------------- digits (bundled)
def load_digits(images=False, dtype=None):
    """The bundled UCI handwritten digits: 1797 grey 8×8 images, pixels 0..16, labels 0..9.

    Returns ``(x, y)``: ``x`` is (1797, 64) (or (1797, 8, 8) with ``images=True``) in the
    default float dtype (``dtype="uint8"`` for the raw counts), ``y`` int64 (1797,). Works
    offline; source and licence (CC BY 4.0, Alpaydin & Kaynak 1998, UCI, via scikit-learn) are
    in ``tinynn/datasets/DIGITS_LICENSE.txt``.

    >>> x, y = load_digits()
    >>> x.shape, x.dtype, y.shape, int(x.max()), len(np.unique(y))
    ((1797, 64), dtype('float32'), (1797,), 16, 10)
    """
    with np.load(_DATASETS / "digits.npz", allow_pickle=False) as f:
        pixels, target = f["images"], f["target"]
    x = pixels if images else pixels.reshape(len(pixels), -1)
    dtype = backend.default_dtype() if dtype is None else backend.as_dtype(dtype)
    return x.astype(dtype), target.astype(np.int64)


# --------------------------------------------------------------------------- MNIST (from disk)
MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_MNIST_HELP = (
    "tinynn does not download data. Get the four IDX files (train-images-idx3-ubyte.gz, "
    "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz; gzipped "
    "or not) from an MNIST mirror such as https://ossci-datasets.s3.amazonaws.com/mnist/ (or "
    "Fashion-MNIST, same names), or Keras's mnist.npz "
    "(https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz), "
    "and pass the folder or the .npz file as `path`."
)
_IDX_TYPES = {0x08: "uint8", 0x09: "int8", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _verify(path, expected):
    if expected is None:
        return
    got = _sha256(path)
    if got != str(expected).lower():
        raise ValueError(f"load_mnist: sha256 of {path} is {got}, expected {expected}: the file is corrupt, "
                         "truncated or a different file; download it again")


def read_idx(path, ndim=None):
    """Read one IDX file (MNIST's format; ``.gz`` or not) into a NumPy array, checking its header.

    The header is two zero bytes, a type byte (0x08 = uint8 ...), the number of dimensions,
    then one big-endian uint32 per dimension; the data must have exactly that many items.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "t-labels-idx1-ubyte")
    >>> _ = pathlib.Path(p).write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]))
    >>> read_idx(p, ndim=1).tolist()
    [7, 2, 1]
    """
    path = pathlib.Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise ValueError(f"read_idx: {path} is not an IDX file (bad magic number {raw[:4].hex() or 'empty'}; "
                         "expected 0000 08 0n): is it a different or corrupt file?")
    dims = raw[3]
    if ndim is not None and dims != ndim:
        raise ValueError(f"read_idx: {path} holds a {dims}-d array, expected {ndim}-d "
                         f"(images are idx3, labels idx1): are the image and label files swapped?")
    header = 4 + 4 * dims
    if len(raw) < header:
        raise ValueError(f"read_idx: {path} is truncated inside its header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims))
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    expected = math.prod(shape) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(f"read_idx: {path} declares shape {shape} ({expected} bytes of data) but holds "
                         f"{len(raw) - header} bytes: the file is truncated or corrupt")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def _find_idx(folder, name):
    for candidate in (folder / name, folder / (name + ".gz")):
        if candidate.is_file():
            return candidate
    # some mirrors spell it train-images.idx3-ubyte
    dotted = name.replace("-idx", ".idx")
    for candidate in (folder / dotted, folder / (dotted + ".gz")):
        if candidate.is_file():
            return candidate
    return None


def _mnist_pair(images, labels, normalize):
    if len(images) != len(labels):
        raise ValueError(f"load_mnist: {len(images)} images but {len(labels)} labels")
    x = _float(images) / 255.0 if normalize else images
    return x, labels.astype(np.int64)


def load_mnist(path, split="both", sha256=None, normalize=False):
    """MNIST (or Fashion-MNIST) from files you already have: the four IDX files or a Keras mnist.npz.

    Args:
        path: a folder holding ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
            ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte`` (each may end in ``.gz``),
            or an ``.npz`` with ``x_train, y_train, x_test, y_test``.
        split: "both" (default) returns ``(x_train, y_train), (x_test, y_test)``; "train" or
            "test" returns just that ``(x, y)`` pair and needs only its two files.
        sha256: expected SHA-256 hex digest(s), checked before reading: a string for an .npz,
            or a dict ``{file name: digest}`` for IDX files (names as found on disk).
        normalize: float images in [0, 1] instead of uint8 0..255.

    Images come as (N, 28, 28) (flatten with ``x.reshape(len(x), -1)``), labels as int64.
    A missing file raises FileNotFoundError naming what is expected and where to get it.

    >>> load_mnist("/nonexistent")
    Traceback (most recent call last):
    FileNotFoundError: load_mnist: no MNIST data at /nonexistent...
    """
    if split not in ("both", "train", "test"):
        raise ValueError(f"load_mnist: split must be 'both', 'train' or 'test', got {split!r}")
    path = pathlib.Path(os.path.expanduser(str(path)))
    parts = ("train", "test") if split == "both" else (split,)
    if path.is_file():
        if isinstance(sha256, dict):
            sha256 = sha256.get(path.name)
        _verify(path, sha256)
        with np.load(path, allow_pickle=False) as f:
            missing = [k for p in parts for k in (f"x_{p}", f"y_{p}") if k not in f.files]
            if missing:
                raise ValueError(f"load_mnist: {path} lacks {missing}; an MNIST .npz holds x_train, y_train, "
                                 f"x_test, y_test (it has {f.files})")
            pairs = [_mnist_pair(f[f"x_{p}"], f[f"y_{p}"], normalize) for p in parts]
    elif path.is_dir():
        if sha256 is not None and not isinstance(sha256, dict):
            raise TypeError("load_mnist: for a folder of IDX files pass sha256 as a dict "
                            "{file name: digest}, e.g. {'train-images-idx3-ubyte.gz': '...'}")
        pairs = []
        for p in parts:
            found = [_find_idx(path, name) for name in MNIST_FILES[p]]
            if None in found:
                absent = [n for n, f in zip(MNIST_FILES[p], found) if f is None]
                raise FileNotFoundError(f"load_mnist: {path} lacks {', '.join(absent)} (or .gz). "
                                        + _MNIST_HELP)
            for f in found:
                _verify(f, (sha256 or {}).get(f.name))
            images, labels = read_idx(found[0], ndim=3), read_idx(found[1], ndim=1)
            pairs.append(_mnist_pair(images, labels, normalize))
    else:
        raise FileNotFoundError(f"load_mnist: no MNIST data at {path} (no such file or folder). "
                                + _MNIST_HELP)
    return tuple(pairs) if split == "both" else pairs[0]
