"""Real data from files: the bundled digits and Tiny Shakespeare, and MNIST from disk.

* ``load_digits()``: the UCI 8×8 handwritten digits, bundled (works offline).
* ``load_shakespeare()``: the Tiny Shakespeare text, bundled (for character-level models).
* ``load_mnist(path)``: MNIST or Fashion-MNIST from files you already have (tinynn never
  downloads), with ``read_idx`` for the IDX format and optional SHA-256 checks.

Provenance and licences are next to the files, in ``tinynn/datasets/*_LICENSE.txt``.

>>> x, y = load_digits()
>>> x.shape, y.shape
((1797, 64), (1797,))
"""
from __future__ import annotations

import gzip
import hashlib
import math
import os
import pathlib

from tinynn import backend
from tinynn.data._common import default_float

np = backend.numpy  # host-only module: files are read on the CPU

_DATASETS = pathlib.Path(__file__).resolve().parent.parent / "datasets"


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


# --------------------------------------------------------------------------- Tiny Shakespeare (bundled)
def load_shakespeare(split=None, train_fraction=0.9):
    """The bundled Tiny Shakespeare corpus (char-rnn's): 1,115,394 characters, 65 distinct.

    ``split=None`` returns the whole text; ``"train"`` the first ``train_fraction`` of the
    characters and ``"val"`` the rest (nanoGPT's ``shakespeare_char`` split: 90 % / 10 %, cut
    at a character, not at a line). Works offline; source and checksums are in
    ``tinynn/datasets/TINYSHAKESPEARE_LICENSE.txt``.

    >>> text = load_shakespeare()
    >>> len(text), len(set(text)), text[:14]
    (1115394, 65, 'First Citizen:')
    >>> len(load_shakespeare("train")) + len(load_shakespeare("val")) == len(text)
    True
    """
    if split not in (None, "train", "val"):
        raise ValueError(f"load_shakespeare: split must be None (the whole text), 'train' or 'val', got {split!r}")
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(f"load_shakespeare: train_fraction must be in (0, 1), got {train_fraction}")
    # newline="": the characters exactly as stored (no newline translation)
    with gzip.open(_DATASETS / "tinyshakespeare.txt.gz", "rt", encoding="utf-8", newline="") as f:
        text = f.read()
    if split is None:
        return text
    cut = int(len(text) * train_fraction)
    return text[:cut] if split == "train" else text[cut:]


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
    x = default_float(images) / 255.0 if normalize else images
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
