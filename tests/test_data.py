"""tinynn.data: DataLoader, splitting, scaling, toy generators, bundled digits, MNIST from disk."""
import gzip
import hashlib
import pathlib

import numpy as np
import pytest

import tinynn as tn
from tinynn import backend
from tinynn.data import (
    DataLoader,
    Dataset,
    MinMaxScaler,
    StandardScaler,
    TensorDataset,
    load_digits,
    load_mnist,
    make_moons,
    make_regression,
    make_spirals,
    make_xor,
    read_idx,
    train_test_split,
)


def host(t):
    return backend.to_host(t.data if isinstance(t, tn.Tensor) else t)


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


def test_data_module_uses_only_the_backend_numpy():
    src = (pathlib.Path(tn.__file__).parent / "data.py").read_text()
    assert "import numpy" not in src and backend.numpy is np
