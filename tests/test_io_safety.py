"""tn.save / tn.load against hostile files and hostile conditions (issue 15): keys that
collide with np.savez's keywords, zip bombs, FIFOs and folders, SIGKILL mid-save, a full
disk, file objects, PyTorch's map_location / weights_only."""
import errno
import io as pyio
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc
import zipfile

import numpy as np
import pytest

import tinynn as tn
from tinynn import io, nn


def header(tree):
    return np.asarray(json.dumps({"format": io.FORMAT, "version": io.VERSION, "tree": tree}))


def write_npy(archive, name, array, compress=zipfile.ZIP_STORED):
    with archive.open(name + ".npy", "w", force_zip64=True) if compress == zipfile.ZIP_STORED else \
            archive.open(zipfile.ZipInfo(name + ".npy"), "w", force_zip64=True) as member:
        np.lib.format.write_array(member, array)


# ----------------------------------------------------------------------------- keys
@pytest.mark.parametrize("key", ["file", "allow_pickle", "args", "kwds", "__tinynn__", "a/b", "é ü", ""])
def test_any_key_round_trips(tmp_path, key):
    path = tmp_path / "k.npz"
    state = {key: np.arange(3.0), "other": np.ones(2)}
    tn.save(state, path)
    back = tn.load(path)
    assert list(back) == [key, "other"]
    assert np.array_equal(back[key], np.arange(3.0)) and np.array_equal(back["other"], np.ones(2))


def test_fortran_and_strided_arrays_round_trip(tmp_path):
    a = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    b = np.arange(20, dtype="int32")[::3]
    tn.save({"a": a, "b": b, "empty": np.zeros((0, 5), "float32")}, tmp_path / "f.npz")
    back = tn.load(tmp_path / "f.npz")
    assert np.array_equal(back["a"], a) and np.array_equal(back["b"], b) and back["empty"].shape == (0, 5)


# ----------------------------------------------------------------------------- zip bombs
def _bomb(path, referenced_shape=None, unreferenced_bytes=0):
    """A checkpoint with a small referenced array and, optionally, a large deflated entry
    nobody references, or a referenced entry that inflates far beyond its stored size."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        write_npy(z, "__tinynn__", header({"t": "array", "k": "w"}))
        if referenced_shape is None:
            write_npy(z, "w", np.ones(4))
        else:
            write_npy(z, "w", np.zeros(referenced_shape, dtype="uint8"))
        if unreferenced_bytes:
            with z.open("junk.npy", "w", force_zip64=True) as junk:
                chunk = bytes(1 << 20)
                for _ in range(unreferenced_bytes >> 20):
                    junk.write(chunk)


def test_unreferenced_members_are_never_inflated(tmp_path):
    path = tmp_path / "bomb.npz"
    _bomb(path, unreferenced_bytes=96 << 20)  # 96 MB of zeros in ~100 KB
    assert path.stat().st_size < 2 << 20
    tracemalloc.start()
    start = time.perf_counter()
    out = tn.load(path)
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert np.array_equal(out, np.ones(4))
    assert peak < 8 << 20, f"load allocated {peak} bytes"  # inflating the junk would need 96 MB
    assert elapsed < 0.5


def test_referenced_member_that_inflates_too_much_is_refused_before_allocation(tmp_path):
    path = tmp_path / "bomb2.npz"
    _bomb(path, referenced_shape=(64 << 20,))  # 64 MB of zeros, deflated to ~64 KB
    tracemalloc.start()
    with pytest.raises(ValueError, match=r"bomb2\.npz.*inflate.*zip bomb"):
        tn.load(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 8 << 20


def test_npy_header_that_lies_about_the_size_is_refused(tmp_path):
    """The .npy header says (10**9,) float64 but the entry holds 32 bytes: refused before
    np.empty(10**9) is ever called."""
    path = tmp_path / "liar.npz"
    with zipfile.ZipFile(path, "w") as z:
        write_npy(z, "__tinynn__", header({"t": "array", "k": "w"}))
        with z.open("w.npy", "w") as member:
            np.lib.format.write_array_header_1_0(member, {"descr": "<f8", "fortran_order": False,
                                                          "shape": (10 ** 9,)})
            member.write(bytes(32))
    tracemalloc.start()
    with pytest.raises(ValueError, match=r"liar\.npz.*declares.*holds"):
        tn.load(path)
    assert tracemalloc.get_traced_memory()[1] < 4 << 20
    tracemalloc.stop()


def test_huge_header_entry_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(io, "MAX_HEADER_BYTES", 1000)
    path = tmp_path / "big_header.npz"
    tn.save({f"key{i}": i for i in range(100)}, path)
    with pytest.raises(ValueError, match="header entry declares"):
        tn.load(path)


@pytest.mark.parametrize("tree", [
    {"t": "dict", "items": [[["unhashable"], {"t": "v", "v": 1}]]},
    {"t": "list", "items": "not a list"},
    {"t": "array"},
    {"t": "int", "v": 5},
    {"t": "exec", "v": "import os"},
    [],
    None,
])
def test_malformed_header_trees_are_refused(tmp_path, tree):
    path = tmp_path / "tree.npz"
    with zipfile.ZipFile(path, "w") as z:
        write_npy(z, "__tinynn__", header(tree))
    with pytest.raises(ValueError, match=r"tree\.npz.*corrupt"):
        tn.load(path)


def test_deeply_nested_header_is_refused_not_a_recursion_error(tmp_path):
    depth = 100_000
    tree = '{"t": "list", "items": [' * depth + '{"t": "v", "v": null}' + "]}" * depth
    text = '{"format": "%s", "version": 1, "tree": %s}' % (io.FORMAT, tree)
    path = tmp_path / "deep.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("__tinynn__.npy", _npy_bytes(np.asarray(text)))
    with pytest.raises(ValueError, match=r"deep\.npz"):
        tn.load(path)


def _npy_bytes(array):
    buffer = pyio.BytesIO()
    np.lib.format.write_array(buffer, array)
    return buffer.getvalue()


# ----------------------------------------------------------------------------- odd paths
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_fifo_is_refused_at_once(tmp_path):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    outcome = []

    def attempt():
        try:
            tn.load(fifo)
        except ValueError as e:
            outcome.append(str(e))

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(5)
    if thread.is_alive():  # unblock the reader so the test process can exit
        with open(fifo, "wb"):
            pass
        pytest.fail("tn.load blocked on a FIFO")
    assert outcome and "pipe.npz" in outcome[0] and "not a regular file" in outcome[0]


def test_directory_gives_a_clear_error(tmp_path):
    with pytest.raises(IsADirectoryError, match=r"tn.load: .* is a directory"):
        tn.load(tmp_path)
    with pytest.raises(IsADirectoryError, match=r"tn.save: .* is a directory.*model\.npz"):
        tn.save({"w": np.ones(1)}, tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist.*makedirs"):
        tn.save({"w": np.ones(1)}, tmp_path / "no" / "such" / "m.npz")


def test_wrong_argument_types_are_refused(tmp_path):
    with pytest.raises(TypeError, match="tn.save: expected a path or a file object"):
        tn.save({"w": np.ones(1)}, 3.5)
    with pytest.raises(TypeError, match="tn.load: expected a path or a binary file"):
        tn.load(None)
    with pytest.raises(TypeError, match="weights_only"):
        tn.load(tmp_path / "x.npz", weights_only="yes")


# ----------------------------------------------------------------------------- file objects
def test_file_objects_round_trip(tmp_path):
    model = nn.Linear(3, 2)
    buffer = pyio.BytesIO()
    tn.save(model.state_dict(), buffer)
    buffer.seek(0)
    back = tn.load(buffer)
    assert np.array_equal(back["weight"], model.weight.numpy())
    with open(tmp_path / "f.npz", "wb") as f:
        tn.save({"a": np.arange(3)}, f)
    with open(tmp_path / "f.npz", "rb") as f:
        assert tn.load(f)["a"].tolist() == [0, 1, 2]


def test_non_seekable_stream_is_read(tmp_path):
    tn.save({"a": np.arange(3)}, tmp_path / "s.npz")
    read, write = os.pipe()
    data = (tmp_path / "s.npz").read_bytes()
    writer = threading.Thread(target=lambda: (os.write(write, data), os.close(write)))
    writer.start()
    with os.fdopen(read, "rb", buffering=0) as stream:
        assert tn.load(stream)["a"].tolist() == [0, 1, 2]
    writer.join()


def test_map_location_and_weights_only(tmp_path, device):
    tn.save({"w": np.ones(2, "float32")}, tmp_path / "m.npz")
    for kwargs in ({"map_location": device}, {"map_location": tn.device(device)},
                   {"map_location": {"cpu": device}}, {"device": device}):
        out = tn.load(tmp_path / "m.npz", weights_only=True, **kwargs)
        assert tn.backend.device_of(out["w"]) == device
    assert tn.load(tmp_path / "m.npz", weights_only=False)["w"].tolist() == [1.0, 1.0]
    with pytest.raises(TypeError, match="map_location as a function"):
        tn.load(tmp_path / "m.npz", map_location=lambda storage, loc: storage)


def test_torch_device_is_accepted_as_map_location(tmp_path, torch):
    tn.save({"w": np.ones(2)}, tmp_path / "m.npz")
    assert tn.load(tmp_path / "m.npz", map_location=torch.device("cpu"))["w"].tolist() == [1.0, 1.0]


# ----------------------------------------------------------------------------- full disk
@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="Linux /dev/full")
def test_full_disk_on_a_file_object_raises_enospc():
    with open("/dev/full", "wb", buffering=0) as f:
        with pytest.raises(OSError) as info:
            tn.save({"w": np.ones(100_000)}, f)
    assert info.value.errno == errno.ENOSPC


def test_full_disk_names_the_path_and_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    tn.save({"w": np.ones(3)}, path)
    before = path.read_bytes()
    real = io._write_archive

    class FullDisk(pyio.RawIOBase):
        """A file that accepts 1000 bytes, then fails as a full disk does."""

        def __init__(self, out):
            self.out, self.room = out, 1000

        def writable(self):
            return True

        def write(self, data):
            if len(data) > self.room:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            self.room -= len(data)
            return self.out.write(data)

    monkeypatch.setattr(io, "_write_archive", lambda out, entries: real(FullDisk(out), entries))
    with pytest.raises(OSError) as info:
        tn.save({"w": np.zeros(10_000)}, path)
    message = str(info.value)
    assert info.value.errno == errno.ENOSPC and str(path) in message and "disk is full" in message
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


# ----------------------------------------------------------------------------- SIGKILL mid-save
CHILD = textwrap.dedent("""
    import sys, numpy as np, tinynn as tn
    path = sys.argv[1]
    big = np.random.default_rng(0).standard_normal(1_000_000)
    i = 0
    while True:
        i += 1
        tn.save({"w": big, "step": i}, path)
        print(i, flush=True)
""")


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_sigkill_during_save_leaves_a_loadable_file_and_the_next_save_cleans_up(tmp_path):
    path = tmp_path / "model.npz"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.getcwd(), os.environ.get("PYTHONPATH", "")]))
    strays_seen, trials = 0, 4
    deadline = time.monotonic() + 40
    rng = np.random.default_rng(0)
    for trial in range(trials):
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, env=env)
        try:
            first = child.stdout.readline()  # one save completed: the target exists
            assert first, "the child died before saving"
            time.sleep(rng.uniform(0.0, 0.15))
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(10)
            child.stdout.close()
        strays = [p.name for p in tmp_path.iterdir() if p.name != "model.npz"]
        assert all(name.startswith(".model.npz.tmp-") for name in strays), strays
        strays_seen += bool(strays)
        back = tn.load(path)  # the last complete save, never a torn one
        assert back["w"].shape == (1_000_000,) and back["step"] >= 1
        tn.save({"w": np.ones(1)}, path)  # the next save removes the dead writer's temporary
        assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]
        assert time.monotonic() < deadline, "the kill test is taking too long"
    assert strays_seen >= 1, "no kill landed mid-save: the test did not exercise anything"


def test_a_live_writers_temporary_is_left_alone(tmp_path):
    path = tmp_path / "model.npz"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        live = tmp_path / f".model.npz.tmp-{sleeper.pid}-abcd"
        live.write_bytes(b"in progress")
        dead = tmp_path / ".model.npz.tmp-999999999-abcd"  # above any pid_max: no such process
        dead.write_bytes(b"left by a killed save")
        tn.save({"w": np.ones(1)}, path)
        assert live.exists() and not dead.exists()
    finally:
        sleeper.kill()
        sleeper.wait()
