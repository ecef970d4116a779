"""DataLoader, collate, TensorDataset, Subset, ConcatDataset and random_split against
torch.utils.data: the same batch structure, shapes, dtypes, batch counts and lengths (and the
same values wherever the order is not random). Skips where PyTorch is not installed."""
import collections

import numpy as np
import pytest

import tinynn as tn
from tinynn import data as tdata

torch = pytest.importorskip("torch")
tud = pytest.importorskip("torch.utils.data")

Pair = collections.namedtuple("Pair", "image label")


def same(ours, theirs, values=True, path="batch"):
    """Recursively: the same container types, tensor shapes and dtypes (and values)."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, tn.Tensor), f"{path}: {type(ours).__name__} instead of a Tensor"
        assert tuple(ours.shape) == tuple(theirs.shape), f"{path}: shape {ours.shape} vs {tuple(theirs.shape)}"
        assert ours.dtype == theirs.numpy().dtype, f"{path}: dtype {ours.dtype} vs {theirs.dtype}"
        if values:
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=path)
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs), path
        for k in theirs:
            same(ours[k], theirs[k], values, f"{path}[{k!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs), f"{path}: {type(ours).__name__} vs {type(theirs).__name__}"
        assert len(ours) == len(theirs), path
        for i, (a, b) in enumerate(zip(ours, theirs)):
            same(a, b, values, f"{path}[{i}]")
    else:
        assert ours == theirs, f"{path}: {ours!r} vs {theirs!r}"


def xy(n=23):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, 3, 2)).astype("float32"), rng.integers(0, 5, n).astype("int64")


@pytest.mark.parametrize("batch_size", [1, 4, 7, 23, 30])
@pytest.mark.parametrize("drop_last", [False, True])
def test_tensor_dataset_batches_like_torch(batch_size, drop_last):
    x, y = xy()
    ours = list(tdata.DataLoader(tdata.TensorDataset(x, y), batch_size=batch_size, drop_last=drop_last))
    theirs = list(tud.DataLoader(tud.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
                                 batch_size=batch_size, drop_last=drop_last))
    assert len(ours) == len(theirs)
    same(ours, theirs)
    # the tuple-of-arrays shorthand is the same TensorDataset
    same(list(tdata.DataLoader((x, y), batch_size=batch_size, drop_last=drop_last)), theirs)


@pytest.mark.parametrize("drop_last", [False, True])
def test_shuffled_batches_have_torchs_shapes_and_counts(drop_last):
    x, y = xy(50)
    ours = tdata.DataLoader(tdata.TensorDataset(x, y), batch_size=8, shuffle=True, drop_last=drop_last)
    theirs = tud.DataLoader(tud.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=8,
                            shuffle=True, drop_last=drop_last)
    assert len(ours) == len(theirs)
    a, b = list(ours), list(theirs)
    same(a, b, values=False)
    labels = np.sort(np.concatenate([t[1].numpy() for t in a]))
    assert labels.tolist() == np.sort(np.concatenate([t[1].numpy() for t in b])).tolist() or drop_last


def test_default_batch_size_and_dataset_sample_like_torch():
    x, y = xy(5)
    ours, theirs = tdata.TensorDataset(x, y), tud.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    assert len(ours) == len(theirs) and isinstance(ours[2], tuple) and isinstance(theirs[2], tuple)
    same(list(tdata.DataLoader(ours)), list(tud.DataLoader(theirs)))


class Samples:
    """A map-style dataset of arbitrary Python samples (a plain class: both libraries take it)."""

    def __init__(self, make, n=5):
        self.make, self.n = make, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return self.make(i)


SAMPLES = {
    "tuple of array and int": lambda i: (np.full(3, i, dtype="float32"), i),
    "python floats and bools": lambda i: (float(i) / 2, i % 2 == 0),
    "numpy scalars": lambda i: (np.float32(i), np.int32(i), np.float64(i)),
    "dict": lambda i: {"x": np.arange(2, dtype="float64") + i, "y": i, "name": f"s{i}"},
    "namedtuple": lambda i: Pair(np.ones((2, 2), "float32") * i, i),
    "nested list": lambda i: [np.zeros(1, "int64") + i, [i, float(i)]],
    "bare array": lambda i: np.arange(4, dtype="float32") * i,
    "strings": lambda i: (f"word{i}", i),
}


@pytest.mark.parametrize("kind", list(SAMPLES))
@pytest.mark.parametrize("batch_size", [2, None])
def test_collate_structure_like_torch(kind, batch_size):
    ds = Samples(SAMPLES[kind])
    ours = list(tdata.DataLoader(ds, batch_size=batch_size))
    theirs = list(tud.DataLoader(ds, batch_size=batch_size))
    assert len(ours) == len(theirs)
    same(ours, theirs)


def test_default_collate_matches_torchs_directly():
    batch = [SAMPLES["dict"](i) for i in range(3)]
    same(tdata.default_collate(batch), tud.default_collate(batch))


@pytest.mark.parametrize("n, lengths", [
    (10, [0.33, 0.33, 0.34]), (7, [0.5, 0.5]), (100, [0.7, 0.2, 0.1]), (11, [0.25, 0.25, 0.25, 0.25]),
    (3, [0.1, 0.9]), (10, [3, 7]), (5, [5, 0]),
])
def test_random_split_lengths_like_torch(n, lengths):
    ours = tdata.random_split(range(n), lengths)
    theirs = tud.random_split(range(n), lengths)
    assert [len(p) for p in ours] == [len(p) for p in theirs]
    assert sorted(i for p in ours for i in p.indices) == list(range(n))


def test_random_split_bad_lengths_fail_like_torch():
    for lengths in ([4, 7], [0.5, 0.6]):
        with pytest.raises(ValueError):
            tud.random_split(range(10), lengths)
        with pytest.raises(ValueError):
            tdata.random_split(range(10), lengths)


def test_subset_and_concat_like_torch():
    x, y = xy(12)
    ours_ds = tdata.TensorDataset(x, y)
    theirs_ds = tud.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    idx = [11, 0, 5, 5, 3]
    same(list(tdata.DataLoader(tdata.Subset(ours_ds, idx), batch_size=2)),
         list(tud.DataLoader(tud.Subset(theirs_ds, idx), batch_size=2)))
    ours_cat = tdata.ConcatDataset([ours_ds, tdata.Subset(ours_ds, [1, 2])])
    theirs_cat = tud.ConcatDataset([theirs_ds, tud.Subset(theirs_ds, [1, 2])])
    assert len(ours_cat) == len(theirs_cat) and ours_cat.cumulative_sizes == theirs_cat.cumulative_sizes
    same(list(tdata.DataLoader(ours_cat, batch_size=5)), list(tud.DataLoader(theirs_cat, batch_size=5)))


def test_samplers_like_torch():
    ds = range(10)
    for batch_size, drop_last in ((3, False), (3, True), (5, True), (20, False)):
        ours = list(tdata.BatchSampler(tdata.SequentialSampler(ds), batch_size, drop_last))
        theirs = list(tud.BatchSampler(tud.SequentialSampler(ds), batch_size, drop_last))
        assert ours == theirs
        assert len(tdata.BatchSampler(ds, batch_size, drop_last)) == len(tud.BatchSampler(ds, batch_size, drop_last))
    assert len(tdata.RandomSampler(ds, replacement=True, num_samples=17)) == len(
        tud.RandomSampler(ds, replacement=True, num_samples=17))
    same(list(tdata.DataLoader(Samples(SAMPLES["tuple of array and int"], 10), batch_sampler=[[3, 1], [0]])),
         list(tud.DataLoader(Samples(SAMPLES["tuple of array and int"], 10), batch_sampler=[[3, 1], [0]])))


@pytest.mark.parametrize("kwargs", [
    {"sampler": [0, 1], "shuffle": True},
    {"batch_sampler": [[0]], "batch_size": 2},
    {"batch_sampler": [[0]], "drop_last": True},
    {"batch_size": None, "drop_last": True},
    {"num_workers": -1},
    {"prefetch_factor": 2},
    {"persistent_workers": True},
])
def test_argument_errors_like_torch(kwargs):
    ds = Samples(SAMPLES["bare array"])
    with pytest.raises(ValueError):
        tud.DataLoader(ds, **kwargs)
    with pytest.raises(ValueError):
        tdata.DataLoader(ds, **kwargs)


def test_len_of_loaders_like_torch():
    ds = Samples(SAMPLES["bare array"], 17)
    for kwargs in ({}, {"batch_size": 4}, {"batch_size": 4, "drop_last": True}, {"batch_size": None},
                   {"batch_size": 3, "sampler": [1, 2, 3, 4]}, {"batch_sampler": [[1], [2, 3]]}):
        assert len(tdata.DataLoader(ds, **kwargs)) == len(tud.DataLoader(ds, **kwargs)), kwargs
