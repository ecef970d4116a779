"""Data: datasets, a DataLoader, splitting and scaling, generated problems, real data, augmentation.

Everything here works on the host (NumPy) and hands out Tensors batch by batch, moved to a
``device`` if you ask. Randomness (shuffling, splitting, augmentation, generated data without
an explicit seed) comes from tinynn's generator, so ``tn.manual_seed`` reproduces a whole run.

Rooms: ``dataset`` (Dataset, TensorDataset, Subset, ConcatDataset, random_split) ·
``sampler`` · ``collate`` · ``loader`` (DataLoader) · ``split`` (train_test_split) ·
``preprocessing`` (scalers) · ``generated`` (toy problems, images, sentences) · ``files``
(bundled digits and Tiny Shakespeare, MNIST from disk) · ``transforms`` (augmentation).

>>> import tinynn as tn
>>> from tinynn.data import DataLoader, TensorDataset, make_moons
>>> x, y = make_moons(100, noise=0.1, seed=0)
>>> loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
>>> xb, yb = next(iter(loader))
>>> xb.shape, yb.shape, len(loader)
((32, 2), (32,), 4)
"""
from tinynn.data import transforms
from tinynn.data.collate import default_collate, default_convert
from tinynn.data.dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from tinynn.data.files import MNIST_FILES, load_digits, load_mnist, load_shakespeare, read_idx
from tinynn.data.generated import (
    make_colour_digits,
    make_moons,
    make_regression,
    make_sentiment,
    make_shapes,
    make_spirals,
    make_xor,
)
from tinynn.data.loader import DataLoader
from tinynn.data.preprocessing import MinMaxScaler, StandardScaler
from tinynn.data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler
from tinynn.data.split import train_test_split

__all__ = [
    "BatchSampler", "ConcatDataset", "DataLoader", "Dataset", "MNIST_FILES", "MinMaxScaler", "RandomSampler",
    "Sampler", "SequentialSampler", "StandardScaler", "Subset", "SubsetRandomSampler", "TensorDataset",
    "default_collate", "default_convert", "load_digits", "load_mnist", "load_shakespeare",
    "make_colour_digits", "make_moons", "make_regression", "make_sentiment", "make_shapes", "make_spirals",
    "make_xor", "random_split", "read_idx", "train_test_split", "transforms",
]
