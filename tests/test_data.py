"""tinynn.data: datasets, samplers, collate, DataLoader, splitting, scaling, toy generators, bundled
digits and Tiny Shakespeare, MNIST from disk."""
import collections
import gzip
import hashlib
import pathlib
import re
import warnings

import numpy as np
import pytest

import tinynn as tn
from tinynn import backend, random
from tinynn.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    MinMaxScaler,
    RandomSampler,
    SequentialSampler,
    StandardScaler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    default_collate,
    load_digits,
    load_mnist,
    load_shakespeare,
    make_moons,
    make_regression,
    make_spirals,
    make_xor,
    random_split,
    read_idx,
    train_test_split,
)


def host(t):
    return t.numpy() if isinstance(t, tn.Tensor) else backend.to_host(t)


# --------------------------------------------------------------------------- DataLoader
def test_batches_cover_every_sample_once_in_order(device):
    x = np.arange(20, dtype="float32").reshape(10, 2)
    y = np.arange(10)
    batches = list(DataLoader(TensorDataset(x, y), batch_size=4, device=device))
    assert [len(yb) for _, yb in batches] == [4, 4, 2]
    assert all(isinstance(t, tn.Tensor) and t.device == device for b in batches for t in b)
    assert np.concatenate([host(yb) for _, yb in batches]).tolist() == list(range(10))
    xb, yb = batches[1]
    assert host(xb).tolist() == x[4:8].tolist() and yb.dtype == np.int64 and xb.dtype == np.float32


def test_drop_last_and_len():
    ds = TensorDataset(np.zeros((10, 1)), np.zeros(10))
    assert len(DataLoader(ds, batch_size=3)) == 4
    loader = DataLoader(ds, batch_size=3, drop_last=True)
    assert len(loader) == 3 and [len(b[0]) for b in loader] == [3, 3, 3]
    assert len(DataLoader(ds, batch_size=10, drop_last=True)) == 1
    assert len(DataLoader(ds, batch_size=11, drop_last=True)) == 0


def test_shuffle_is_a_permutation_reproduced_by_manual_seed():
    y = np.arange(50)
    loader = DataLoader((np.zeros((50, 1), "float32"), y), batch_size=8, shuffle=True)

    def epoch():
        return np.concatenate([host(yb) for _, yb in loader]).tolist()

    tn.manual_seed(123)
    first, second = epoch(), epoch()
    assert sorted(first) == list(range(50)) and first != list(range(50))
    assert first != second  # a new order every epoch
    tn.manual_seed(123)
    assert epoch() == first and epoch() == second


def test_dataset_subclass_is_collated_and_device_data_is_indexed_on_device(device):
    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.array([i, i], dtype="float32"), i * i

    xb, yb = next(iter(DataLoader(Squares(), batch_size=5)))
    assert xb.shape == (5, 2) and host(yb).tolist() == [0, 1, 4, 9, 16]
    on_device = TensorDataset(tn.arange(6, device=device), tn.tensor([1, 2, 3, 4, 5, 6], device=device))
    (a, b), = DataLoader(on_device, batch_size=6)
    assert a.device == device and host(b).tolist() == [1, 2, 3, 4, 5, 6]


def test_custom_dataset_of_device_tensors_keeps_their_device_by_default(device):
    # device=None means "where the data is": a Dataset handing out tensors (or raw arrays) on
    # a device gives batches on that device; plain numbers and NumPy arrays stay on the cpu
    class OnDevice(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            x = tn.tensor([float(i), 2.0 * i], device=device)
            return x, backend.to_device(np.array(i), device), i

    xb, yb, ib = next(iter(DataLoader(OnDevice(), batch_size=4)))
    assert (xb.device, yb.device, ib.device) == (device, device, "cpu")
    assert host(xb).tolist() == [[0, 0], [1, 2], [2, 4], [3, 6]] and host(yb).tolist() == [0, 1, 2, 3]
    (xc, _, _), = DataLoader(OnDevice(), batch_size=4, device="cpu")  # an explicit device wins
    assert xc.device == "cpu"


def test_loader_and_dataset_errors_are_clear():
    with pytest.raises(ValueError, match="same first dimension"):
        TensorDataset(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader((np.zeros(3),), batch_size=0)
    with pytest.raises(TypeError, match="Dataset"):
        DataLoader(42)


# --------------------------------------------------------------------------- PyTorch's loader semantics
class _Rows(Dataset):
    """The same samples as TensorDataset(x, y), but through the generic collate path."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


class _Gen:
    """Stands for tn.Generator: anything with a NumPy generator in ``.rng``."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)


def test_default_batch_size_is_one_as_in_pytorch():
    loader = DataLoader(TensorDataset(np.arange(6.0).reshape(3, 2)))
    assert loader.batch_size == 1 and len(loader) == 3
    assert [b[0].shape for b in loader] == [(1, 2)] * 3


def test_fast_path_gives_what_collating_the_samples_gives():
    x, y = np.arange(40, dtype="float32").reshape(20, 2), np.arange(20)
    for shuffle in (False, True):
        tn.manual_seed(3)
        fast = list(DataLoader(TensorDataset(x, y), batch_size=6, shuffle=shuffle))
        tn.manual_seed(3)
        slow = list(DataLoader(_Rows(x, y), batch_size=6, shuffle=shuffle))
        assert len(fast) == len(slow) == 4
        for a, b in zip(fast, slow):
            assert type(a) is type(b) is list and len(a) == 2
            for ta, tb in zip(a, b):
                assert ta.dtype == tb.dtype and ta.shape == tb.shape and (host(ta) == host(tb)).all()


def test_collate_structures_and_dtypes():
    Point = collections.namedtuple("Point", "x label")
    batch = default_collate([Point(np.ones(2, "float32"), 1), Point(np.zeros(2, "float32"), 0)])
    assert type(batch) is Point and batch.x.shape == (2, 2) and batch.label.tolist() == [1, 0]
    d = default_collate([{"a": 1.0, "s": "x", "b": True}, {"a": 2.0, "s": "y", "b": False}])
    assert d["a"].dtype == np.float64 and d["s"] == ["x", "y"] and d["b"].dtype == np.bool_
    assert default_collate([3, 4]).dtype == np.int64
    assert default_collate([np.float32(1), np.float32(2)]).dtype == np.float32
    nested = default_collate([(np.zeros(1), (1, 2.5)), (np.ones(1), (3, 4.5))])
    assert isinstance(nested, list) and nested[1][0].tolist() == [1, 3] and nested[1][1].tolist() == [2.5, 4.5]
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([(1, 2), (1,)])
    with pytest.raises(TypeError, match="collate_fn"):
        default_collate([object(), object()])


def test_a_list_is_samples_a_tuple_of_arrays_is_columns():
    (batch,) = list(DataLoader([np.zeros(3), np.ones(3)], batch_size=2))
    assert isinstance(batch, tn.Tensor) and batch.shape == (2, 3)
    columns = list(DataLoader((np.zeros(3), np.ones(3)), batch_size=2))
    assert len(columns) == 2 and columns[0][0].shape == (2,)


def test_batch_size_none_hands_out_single_samples():
    samples = list(DataLoader(TensorDataset(np.arange(6.0).reshape(3, 2), np.arange(3)), batch_size=None))
    assert len(samples) == 3 and samples[1][0].shape == (2,) and int(samples[1][1].item()) == 1
    with pytest.raises(ValueError, match="mutually exclusive with drop_last"):
        DataLoader(range(3), batch_size=None, drop_last=True)


def test_sampler_and_batch_sampler_choose_the_indices():
    ds = TensorDataset(np.arange(10))
    picked = [host(b[0]).tolist() for b in DataLoader(ds, batch_size=2, sampler=[9, 0, 5])]
    assert picked == [[9, 0], [5]]
    custom = [host(b[0]).tolist() for b in DataLoader(ds, batch_sampler=[[1, 2, 3], [7]])]
    assert custom == [[1, 2, 3], [7]]
    loader = DataLoader(ds, batch_sampler=BatchSampler(SequentialSampler(ds), 4, drop_last=True))
    assert len(loader) == 2 and loader.batch_size is None
    sub = [int(i) for b in DataLoader(ds, batch_size=3, sampler=SubsetRandomSampler([1, 4, 8])) for i in host(b[0])]
    assert sorted(sub) == [1, 4, 8]
    drawn = list(RandomSampler(ds, replacement=True, num_samples=25))
    assert len(drawn) == 25 and set(drawn) <= set(range(10))
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(ds, sampler=[0], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(ds, batch_size=4, batch_sampler=[[0]])


def test_workers_and_pin_memory_are_accepted_and_change_nothing():
    x, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    tn.manual_seed(0)
    plain = [host(b[1]).tolist() for b in DataLoader((x, y), batch_size=3, shuffle=True)]
    tn.manual_seed(0)
    loader = DataLoader((x, y), batch_size=3, shuffle=True, num_workers=4, pin_memory=True,
                        persistent_workers=True, prefetch_factor=2)
    assert [host(b[1]).tolist() for b in loader] == plain
    with pytest.raises(ValueError, match="non-negative"):
        DataLoader((x, y), num_workers=-1)
    with pytest.raises(ValueError, match="prefetch_factor"):
        DataLoader((x, y), prefetch_factor=2)


def test_generator_object_gives_its_own_repeatable_order_and_leaves_the_global_one_alone():
    y = np.arange(30)

    def order(gen):
        return [int(i) for b in DataLoader((y,), batch_size=7, shuffle=True, generator=gen) for i in host(b[0])]

    tn.manual_seed(1)
    expected_global = random.rng().random()
    tn.manual_seed(1)
    first = order(_Gen(42))
    assert random.rng().random() == expected_global  # the global stream was not consumed
    assert order(_Gen(42)) == first and order(_Gen(43)) != first and sorted(first) == list(range(30))
    assert order(np.random.default_rng(42)) == first  # a NumPy Generator is accepted as it is
    with pytest.raises(TypeError, match="generator"):
        DataLoader((y,), shuffle=True, generator=42)


def test_getitems_fetches_a_batch_at_once():
    class Batched(Dataset):
        calls = []

        def __len__(self):
            return 5

        def __getitem__(self, i):
            raise AssertionError("the loader should use __getitems__")

        def __getitems__(self, indices):
            self.calls.append(list(indices))
            return [(float(i),) for i in indices]

    batches = [host(b[0]).tolist() for b in DataLoader(Batched(), batch_size=2)]
    assert batches == [[0.0, 1.0], [2.0, 3.0], [4.0]] and Batched.calls == [[0, 1], [2, 3], [4]]


def test_loader_transform_runs_per_batch_on_the_inputs_only():
    seen = []

    def double(xb):
        seen.append((type(xb), xb.shape))
        return xb * 2

    x, y = np.arange(12, dtype="float32").reshape(6, 2), np.arange(6)
    for ds in (TensorDataset(x, y), _Rows(x, y)):  # the fast path and the collate path
        seen.clear()
        batches = list(DataLoader(ds, batch_size=4, transform=double))
        assert seen == [(np.ndarray, (4, 2)), (np.ndarray, (2, 2))]
        assert host(batches[0][0]).tolist() == (x[:4] * 2).tolist() and host(batches[0][1]).tolist() == [0, 1, 2, 3]


def test_dataset_transforms_run_once_per_sample():
    calls = []

    def record(row):
        calls.append(row.shape)
        return row + 100

    ds = TensorDataset(np.zeros((5, 3), "float32"), np.arange(5), transform=record, target_transform=lambda t: t * 10)
    x0, y0 = ds[2]
    assert x0.tolist() == [100.0] * 3 and y0 == 20
    calls.clear()
    (xb, yb), = DataLoader(ds, batch_size=5)
    assert calls == [(3,)] * 5 and host(xb).min() == 100 and host(yb).tolist() == [0, 10, 20, 30, 40]
    with pytest.raises(TypeError, match="callable"):
        TensorDataset(np.zeros(3), transform="flip")


# --------------------------------------------------------------------------- Subset, ConcatDataset, random_split
def test_subset_and_concat():
    base = TensorDataset(np.arange(10) * 10)
    sub = Subset(base, [8, 1, 3])
    assert len(sub) == 3 and int(sub[0][0]) == 80 and [int(s[0]) for s in sub[[2, 0]]] == [30, 80]
    (batch,), = DataLoader(sub, batch_size=3)  # Subset of a TensorDataset: the fast path maps the indices
    assert host(batch).tolist() == [80, 10, 30]
    both = base + TensorDataset(np.array([-1, -2]))
    assert isinstance(both, ConcatDataset) and len(both) == 12 and int(both[10][0]) == -1 and int(both[-1][0]) == -2
    assert [int(both[i][0]) for i in (0, 9, 11)] == [0, 90, -2]
    with pytest.raises(IndexError):
        both[12]


def test_random_split_lengths_follow_pytorchs_rounding():
    ds = TensorDataset(np.arange(10))
    # floor(10 * f) = 3, 3, 3; the remaining 1 goes to the first split
    assert [len(p) for p in random_split(ds, [0.33, 0.33, 0.34])] == [4, 3, 3]
    # floor(7 * 0.5) = 3, 3; one left over -> the first split
    assert [len(p) for p in random_split(range(7), [0.5, 0.5])] == [4, 3]
    parts = random_split(ds, [6, 4])
    everything = sorted(int(p[i][0]) for p in parts for i in range(len(p)))
    assert everything == list(range(10))
    with pytest.raises(ValueError, match="sum to"):
        random_split(ds, [5, 6])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert [len(p) for p in random_split(range(2), [0.5, 0.5, 0.0])] == [1, 1, 0]
    assert any("empty" in str(w.message) for w in caught)


def test_random_split_is_repeated_by_manual_seed_and_by_a_generator():
    def indices(**kw):
        return [p.indices for p in random_split(range(20), [0.5, 0.5], **kw)]

    tn.manual_seed(9)
    a = indices()
    tn.manual_seed(9)
    assert indices() == a
    assert indices(generator=_Gen(1)) == indices(generator=_Gen(1)) != indices(generator=_Gen(2))


# --------------------------------------------------------------------------- split
def test_split_sizes_disjoint_and_aligned():
    x, y = np.arange(100).reshape(50, 2), np.arange(50)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.2, seed=0)
    assert x_tr.shape == (40, 2) and x_te.shape == (10, 2)
    assert (x_tr[:, 0] == 2 * y_tr).all() and (x_te[:, 0] == 2 * y_te).all()  # rows stay paired
    assert sorted(np.concatenate([y_tr, y_te]).tolist()) == list(range(50))
    again = train_test_split(x, y, test_size=0.2, seed=0)
    assert (again[3] == y_te).all()
    _, te, = train_test_split(y, test_size=7, shuffle=False)
    assert te.tolist() == list(range(43, 50))


def test_split_without_seed_follows_manual_seed_and_tensors_stay_tensors():
    y = tn.arange(30)
    tn.manual_seed(5)
    a = train_test_split(y, test_size=0.3)
    tn.manual_seed(5)
    b = train_test_split(y, test_size=0.3)
    assert isinstance(a[1], tn.Tensor) and a[1].tolist() == b[1].tolist() and len(a[1]) == 9


def test_stratified_split_keeps_class_shares():
    y = np.array([0] * 60 + [1] * 30 + [2] * 10)
    _, y_te = train_test_split(y, test_size=0.2, seed=1, stratify=y)
    assert np.bincount(y_te).tolist() == [12, 6, 2]
    with pytest.raises(ValueError, match="at least 2"):
        train_test_split(np.arange(5), test_size=0.4, stratify=[0, 0, 1, 1, 2])


def test_split_errors():
    with pytest.raises(ValueError, match="same first dimension"):
        train_test_split(np.zeros(4), np.zeros(5))
    with pytest.raises(ValueError, match="fraction"):
        train_test_split(np.zeros(4), test_size=1.5)
    with pytest.raises(ValueError, match="non-empty"):
        train_test_split(np.zeros(4), test_size=4)


# --------------------------------------------------------------------------- scalers
def test_standard_scaler_uses_training_statistics_only():
    train = np.array([[1.0, 10.0], [3.0, 10.0], [5.0, 10.0]])
    test = np.array([[7.0, 12.0]])
    s = StandardScaler().fit(train)
    std0 = np.sqrt(8 / 3)  # population std of 1, 3, 5
    assert np.allclose(s.transform(test), [[(7 - 3) / std0, 2.0]])  # constant column: std 1
    assert np.allclose(s.fit_transform(train).mean(axis=0), 0)
    assert np.allclose(s.inverse_transform(s.transform(test)), test)
    t = s.transform(tn.tensor(test.astype("float32")))
    assert isinstance(t, tn.Tensor) and t.dtype == np.float32


def test_minmax_scaler_range_and_unclipped_test_data():
    s = MinMaxScaler(feature_range=(-1, 1)).fit(np.array([[0.0], [4.0]]))
    assert s.transform(np.array([[0.0], [2.0], [4.0], [6.0]])).ravel().tolist() == [-1.0, 0.0, 1.0, 2.0]


@pytest.mark.parametrize("scaler", [StandardScaler, MinMaxScaler])
def test_transform_before_fit_is_a_clear_error(scaler):
    with pytest.raises(RuntimeError, match="before fit"):
        scaler().transform(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="fitted on"):
        scaler().fit(np.zeros((2, 3))).transform(np.zeros((2, 2)))


# --------------------------------------------------------------------------- toy data
@pytest.mark.parametrize("make, n, classes", [(make_xor, 200, 2), (make_moons, 201, 2),
                                              (lambda n, seed: make_spirals(n, 4, seed=seed), 200, 4)])
def test_generators_shapes_dtypes_and_balance(make, n, classes):
    x, y = make(n, seed=0)
    assert x.shape == (n, 2) and x.dtype == np.float32 and y.dtype == np.int64
    counts = np.bincount(y)
    assert len(counts) == classes and counts.max() - counts.min() <= 1
    assert y[: n // 2].min() != y[: n // 2].max()  # shuffled, not sorted by class
    assert (make(n, seed=0)[0] == x).all() and not (make(n, seed=1)[0] == x).all()


def test_xor_labels_follow_the_sign_rule_and_moons_lie_on_circles():
    x, y = make_xor(100, noise=0.0, seed=0)
    assert ((np.sign(x[:, 0]) != np.sign(x[:, 1])).astype(int) == y).all()
    m, ym = make_moons(100, noise=0.0, seed=0)
    centre = np.where(ym[:, None] == 0, [0.0, 0.0], [1.0, 0.5])
    assert np.allclose(np.linalg.norm(m - centre, axis=1), 1.0, atol=1e-6)


def test_regression_is_linear_plus_noise_of_the_asked_size():
    x, y, (w, b) = make_regression(2000, 3, noise=0.5, bias=1.0, seed=0, return_coef=True)
    assert x.shape == (2000, 3) and y.shape == (2000, 1)
    resid = y.ravel() - (x @ w + b)
    assert abs(resid.std() - 0.5) < 0.05 and abs(resid.mean()) < 0.05


# --------------------------------------------------------------------------- digits
def test_bundled_digits():
    x, y = load_digits()
    assert x.shape == (1797, 64) and x.dtype == np.float32 and y.dtype == np.int64
    # class counts of the UCI test set as published with scikit-learn
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    images, _ = load_digits(images=True, dtype="uint8")
    assert images.shape == (1797, 8, 8) and images.dtype == np.uint8 and images.max() == 16
    assert (images.reshape(1797, 64) == x).all()
    # hash recorded in DIGITS_LICENSE.txt when the file was extracted
    assert hashlib.sha256(images.tobytes()).hexdigest().startswith("8f26b2bd9d135c25")
    licence = (pathlib.Path(tn.__file__).parent / "datasets" / "DIGITS_LICENSE.txt").read_text()
    assert "CC BY 4.0" in licence and "Alpaydin" in licence


# --------------------------------------------------------------------------- Tiny Shakespeare
def test_bundled_tiny_shakespeare_is_the_char_rnn_text():
    text = load_shakespeare()
    # length, alphabet and hash as recorded in /work/shared/data/README.md for char-rnn's input.txt
    assert len(text) == 1115394 and len(set(text)) == 65
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert digest == "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"
    train, val = load_shakespeare("train"), load_shakespeare("val")
    assert len(train) == int(0.9 * 1115394) and train + val == text
    licence = (pathlib.Path(tn.__file__).parent / "datasets" / "TINYSHAKESPEARE_LICENSE.txt").read_text()
    assert "karpathy/char-rnn" in licence and digest in licence
    with pytest.raises(ValueError, match="split"):
        load_shakespeare("test")


# --------------------------------------------------------------------------- MNIST from disk
def _idx(dims, data, type_byte=0x08):
    header = bytes([0, 0, type_byte, len(dims)]) + b"".join(int(d).to_bytes(4, "big") for d in dims)
    return header + bytes(data)


def _write_mnist(folder, gz, n_train=3, n_test=2):
    rng = np.random.default_rng(0)
    arrays = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        for kind, arr, dims in (("images-idx3", images, images.shape), ("labels-idx1", labels, labels.shape)):
            name = f"{split}-{kind}-ubyte" + (".gz" if gz else "")
            raw = _idx(dims, arr.ravel().tolist())
            (folder / name).write_bytes(gzip.compress(raw) if gz else raw)
        arrays[split] = (images, labels)
    return arrays


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_idx_files(tmp_path, gz):
    arrays = _write_mnist(tmp_path, gz)
    (x_tr, y_tr), (x_te, y_te) = load_mnist(tmp_path)
    assert x_tr.shape == (3, 28, 28) and x_tr.dtype == np.uint8 and y_tr.dtype == np.int64
    assert (x_tr == arrays["train"][0]).all() and (y_te == arrays["t10k"][1]).all()
    x, y = load_mnist(tmp_path, split="test", normalize=True)
    assert x.shape == (2, 28, 28) and x.dtype == np.float32 and np.allclose(x * 255, arrays["t10k"][0])


def test_mnist_npz_and_checksum(tmp_path):
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=np.zeros((2, 28, 28), np.uint8), y_train=np.array([1, 2], np.uint8),
             x_test=np.ones((1, 28, 28), np.uint8), y_test=np.array([7], np.uint8))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    (x_tr, y_tr), (x_te, y_te) = load_mnist(path, sha256=digest)
    assert y_tr.tolist() == [1, 2] and x_te.shape == (1, 28, 28) and y_te.dtype == np.int64
    with pytest.raises(ValueError, match="sha256.*corrupt"):
        load_mnist(path, sha256="0" * 64)


def test_mnist_idx_checksum_dict(tmp_path):
    _write_mnist(tmp_path, gz=True)
    name = "train-labels-idx1-ubyte.gz"
    good = hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
    assert len(load_mnist(tmp_path, split="train", sha256={name: good})[1]) == 3
    with pytest.raises(ValueError, match="sha256"):
        load_mnist(tmp_path, split="train", sha256={name: "ab" * 32})


def test_mnist_missing_files_say_what_and_where(tmp_path):
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte.*https://"):
        load_mnist(tmp_path)
    with pytest.raises(FileNotFoundError, match="no MNIST data at"):
        load_mnist(tmp_path / "nope")


def test_idx_bad_magic_wrong_rank_and_truncation(tmp_path):
    bad = tmp_path / "bad"
    bad.write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(ValueError, match="magic"):
        read_idx(bad)
    labels = tmp_path / "labels"
    labels.write_bytes(_idx((3,), [1, 2, 3]))
    with pytest.raises(ValueError, match="1-d array, expected 3-d"):
        read_idx(labels, ndim=3)
    short = tmp_path / "short"
    short.write_bytes(_idx((2, 2, 2), [0] * 7))
    with pytest.raises(ValueError, match="truncated"):
        read_idx(short)
    # a whole MNIST folder whose image file is really a label file
    _write_mnist(tmp_path, gz=False)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(_idx((3,), [1, 2, 3]))
    with pytest.raises(ValueError, match="swapped"):
        load_mnist(tmp_path, split="train")


def test_data_package_uses_only_the_backend_numpy():
    folder = pathlib.Path(tn.__file__).parent / "data"
    sources = sorted(folder.glob("*.py"))
    assert len(sources) >= 8 and not (folder.parent / "data.py").exists()
    for path in sources:
        text = path.read_text()
        assert "import numpy" not in text, path.name
        # Tensors' values are read with .numpy(), never .data / .grad (their meaning is changing)
        assert not re.search(r"(?<!tinynn)(?<!utils)\.(data|grad)\b", text), path.name
    assert backend.numpy is np


def test_a_tn_generator_drives_shuffling_and_random_split():
    Generator = getattr(tn, "Generator", None) or getattr(backend, "Generator", None)
    if Generator is None:
        pytest.skip("tn.Generator is not there yet")

    def order(seed):
        loader = DataLoader((np.arange(12),), batch_size=5, shuffle=True, generator=Generator().manual_seed(seed))
        return [int(i) for b in loader for i in host(b[0])]

    assert order(4) == order(4) != order(5) and sorted(order(4)) == list(range(12))
    split = [p.indices for p in random_split(range(8), [0.5, 0.5], generator=Generator().manual_seed(4))]
    assert split == [p.indices for p in random_split(range(8), [4, 4], generator=Generator().manual_seed(4))]
