"""tn.save / tn.load: bit-exact round trips, no pickle, atomic writes, clear errors."""
import json
import os
import pathlib
import zipfile

import numpy as np
import pytest

import tinynn as tn
from tinynn import backend, io, nn, optim


def same(a, b):
    return type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def test_flat_state_dict_round_trip_bit_exact(tmp_path):
    rng = np.random.default_rng(0)
    sd = {
        "0.weight": rng.standard_normal((4, 3)).astype("float32"),
        "0.bias": rng.standard_normal(4),                                  # float64
        "steps": rng.integers(-2**62, 2**62, 5, dtype="int64"),
        "mask": np.array([True, False]),
        "bytes": np.arange(7, dtype="uint8"),
        "scalar0d": np.array(np.pi),
        "special": np.array([np.nan, np.inf, -np.inf, -0.0, 5e-324], dtype="float64"),
        "labels": np.array(["cat", "dog"]),
    }
    path = tmp_path / "model.npz"
    assert tn.save(sd, path) is None
    out = tn.load(path)
    assert list(out) == list(sd)
    for k in sd:
        assert same(out[k], sd[k]), k
    assert sorted(np.load(path).files) == sorted(list(sd) + ["__tinynn__"])  # readable with numpy too


def test_nested_optimizer_state_round_trip(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt = optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.95), amsgrad=True)
    for _ in range(3):
        opt.zero_grad()
        (model(tn.randn(5, 3)) ** 2).mean().backward()
        opt.step()
    sched = optim.StepLR(opt, step_size=2)
    obj = {"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
           "epoch": 7, "best": 0.125, "big": 2**80, "nan": float("nan"), "name": "run/1",
           "none": None, "flag": True, "np_scalar": np.float32(1.5), "tuple": (1, 2.5, "x"),
           "list": [np.ones(2), []]}
    tn.save(obj, str(tmp_path / "ck.npz"))
    back = tn.load(tmp_path / "ck.npz")
    assert back["optimizer"]["param_groups"] == opt.state_dict()["param_groups"]  # tuples, ints, floats
    state = opt.state_dict()["state"]
    assert list(back["optimizer"]["state"]) == [0, 1, 2, 3]  # int keys stay ints
    for i, entry in state.items():
        assert back["optimizer"]["state"][i]["step"] == 3
        for k, v in entry.items():
            if k != "step":
                assert same(back["optimizer"]["state"][i][k], v)
    assert back["scheduler"] == sched.state_dict()
    assert back["epoch"] == 7 and type(back["epoch"]) is int and back["big"] == 2**80
    assert back["best"] == 0.125 and np.isnan(back["nan"]) and back["name"] == "run/1"
    assert back["none"] is None and back["flag"] is True
    assert type(back["np_scalar"]) is np.float32 and back["np_scalar"] == 1.5
    assert back["tuple"] == (1, 2.5, "x") and same(back["list"][0], np.ones(2)) and back["list"][1] == []


def test_device_arrays_and_tensors_are_saved_from_host(device, tmp_path):
    a = backend.to_device(np.arange(6, dtype="float32").reshape(2, 3), device)
    tn.save({"a": a, "t": tn.Tensor(a)}, tmp_path / "d.npz")
    out = tn.load(tmp_path / "d.npz")
    assert same(out["a"], np.arange(6, dtype="float32").reshape(2, 3)) and same(out["t"], out["a"])
    moved = tn.load(tmp_path / "d.npz", device=device)
    assert backend.device_of(moved["a"]) == device


def test_model_round_trip_through_a_file(tmp_path):
    a, b = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 1)), nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 1))
    tn.save(a.state_dict(), tmp_path / "m.npz")
    b.load_state_dict(tn.load(tmp_path / "m.npz"))
    x = tn.randn(2, 3)
    assert np.array_equal(a(x).numpy(), b(x).numpy())


def test_checkpoint_loads_into_torch(tmp_path, torch):
    model = nn.Sequential(nn.Linear(5, 3), nn.ReLU(), nn.Linear(3, 2))
    tn.save(model.state_dict(), tmp_path / "m.npz")
    twin = torch.nn.Sequential(torch.nn.Linear(5, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    twin.load_state_dict({k: torch.from_numpy(v) for k, v in tn.load(tmp_path / "m.npz").items()})
    x = np.random.default_rng(0).standard_normal((4, 5)).astype("float32")
    expected = twin(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(model(tn.tensor(x)).numpy(), expected, rtol=1e-5)


# ----------------------------------------------------------------------------- rejected files
@pytest.fixture
def good(tmp_path):
    path = tmp_path / "good.npz"
    tn.save({"w": np.ones((50, 50))}, path)
    return path


def test_truncated_file_is_rejected(good, tmp_path):
    data = good.read_bytes()
    for cut in (len(data) // 2, len(data) - 10, 30):
        bad = tmp_path / f"cut{cut}.npz"
        bad.write_bytes(data[:cut])
        with pytest.raises(ValueError, match=r"cut\d+\.npz.*(truncated|corrupt)"):
            tn.load(bad)


def test_garbage_and_pickle_files_are_rejected(tmp_path):
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(np.random.default_rng(0).bytes(300).replace(b"PK", b"xx").replace(b"\x80", b"\x00"))
    with pytest.raises(ValueError, match=r"garbage\.bin.*not a tinynn checkpoint"):
        tn.load(garbage)
    import pickle
    pickled = tmp_path / "model.pt"
    pickled.write_bytes(pickle.dumps({"w": np.ones(2)}))
    with pytest.raises(ValueError, match=r"model\.pt.*pickle"):
        tn.load(pickled)
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="empty.npz"):
        tn.load(empty)
    with pytest.raises(FileNotFoundError, match="missing.npz"):
        tn.load(tmp_path / "missing.npz")


class Boom:
    """Would run code if unpickled: loading must never get that far."""

    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_npz_with_pickled_objects_is_rejected(tmp_path):
    path = tmp_path / "evil.npz"
    header = json.dumps({"format": io.FORMAT, "version": io.VERSION, "tree": {"t": "array", "k": "w"}})
    np.savez(path, __tinynn__=np.asarray(header), w=np.array([Boom()], dtype=object))
    with pytest.raises(ValueError, match=r"evil\.npz.*entry 'w' holds pickled"):
        tn.load(path)
    plain = tmp_path / "evil2.npz"
    np.savez(plain, w=np.array([Boom()], dtype=object))
    with pytest.raises(ValueError, match="pickled"):
        tn.load(plain)


def test_plain_npz_and_bad_headers_are_rejected(tmp_path):
    plain = tmp_path / "plain.npz"
    np.savez(plain, weight=np.ones(3))
    with pytest.raises(ValueError, match=r"plain\.npz.*without the '__tinynn__' header.*\['weight'\]"):
        tn.load(plain)
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, __tinynn__=np.asarray(json.dumps({"format": "other"})))
    with pytest.raises(ValueError, match="not a tinynn checkpoint header"):
        tn.load(wrong)
    future = tmp_path / "future.npz"
    np.savez(future, __tinynn__=np.asarray(json.dumps({"format": io.FORMAT, "version": 99, "tree": {}})))
    with pytest.raises(ValueError, match="version 99 is newer"):
        tn.load(future)
    dangling = tmp_path / "dangling.npz"
    np.savez(dangling, __tinynn__=np.asarray(json.dumps(
        {"format": io.FORMAT, "version": 1, "tree": {"t": "array", "k": "gone"}})))
    with pytest.raises(ValueError, match=r"dangling\.npz.*corrupt"):
        tn.load(dangling)
    notjson = tmp_path / "notjson.npz"
    np.savez(notjson, __tinynn__=np.asarray("{not json"))
    with pytest.raises(ValueError, match=r"notjson\.npz"):
        tn.load(notjson)


def test_corrupted_member_bytes_are_rejected(good, tmp_path):
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as z:
        info = z.getinfo("w.npy")
    start = info.header_offset + 30 + len(info.filename) + 200
    data[start:start + 50] = b"\x00" * 50  # flip bytes inside the array: the CRC no longer matches
    bad = tmp_path / "flipped.npz"
    bad.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"flipped\.npz.*corrupt"):
        tn.load(bad)


# ----------------------------------------------------------------------------- saving safely
def test_unsaveable_values_are_refused_before_writing(tmp_path):
    path = tmp_path / "x.npz"
    with pytest.raises(TypeError, match="object array"):
        tn.save({"w": np.array([{}], dtype=object)}, path)
    with pytest.raises(TypeError, match="cannot save set"):
        tn.save({"w": {1, 2}}, path)
    with pytest.raises(TypeError, match="keys must be str or int"):
        tn.save({(1, 2): np.ones(1)}, path)
    assert list(tmp_path.iterdir()) == []


def test_interrupted_save_keeps_the_previous_file_and_leaves_no_temp(good, tmp_path, monkeypatch):
    before = good.read_bytes()

    def write_that_dies(file, entries):
        file.write(b"PK\x03\x04 half a checkpoint")  # some bytes reach the disk, then the crash
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(io, "_write_archive", write_that_dies)
    with pytest.raises(KeyboardInterrupt):
        tn.save({"w": np.zeros((50, 50))}, good)
    monkeypatch.undo()
    assert good.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["good.npz"]
    assert np.all(tn.load(good)["w"] == 1)


def test_failed_rename_removes_the_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "new.npz"

    def replace_fails(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(io.os, "replace", replace_fails)
    with pytest.raises(OSError, match="disk full"):
        tn.save({"w": np.ones(3)}, path)
    assert list(tmp_path.iterdir()) == []


def test_save_writes_exactly_the_given_name(tmp_path):
    tn.save({"w": np.ones(1)}, tmp_path / "checkpoint")
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint"]
    assert tn.load(pathlib.Path(tmp_path / "checkpoint"))["w"][0] == 1


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_saved_file_gets_the_permissions_of_an_ordinary_file(tmp_path):
    old = os.umask(0o027)  # the atomic temp-file dance must not leave mkstemp's 0o600 behind
    try:
        tn.save({"w": np.ones(1)}, tmp_path / "model.npz")
        (tmp_path / "plain").write_bytes(b"")
    finally:
        os.umask(old)
    mode = (tmp_path / "model.npz").stat().st_mode & 0o777
    assert mode == 0o640 == (tmp_path / "plain").stat().st_mode & 0o777
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz", "plain"]
