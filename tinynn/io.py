"""``tn.save`` / ``tn.load``: checkpoints as NumPy ``.npz`` files that never run code.

A checkpoint is an ordinary zip of ``.npy`` arrays plus one entry, ``__tinynn__``, holding a
JSON header: the format name and version and the *structure* of what was saved (nested
dicts, lists, tuples, Python numbers, strings, None) with each array leaf pointing at its
entry. So a model's ``state_dict()`` and an optimizer's ``state_dict()`` (nested, with int
keys, tuples and step counters) both round-trip exactly, bit for bit.

The promises of DESIGN.md, and how each is kept:
- loading never executes code: object (pickled) arrays are refused on save and on load;
- loading never exhausts memory: the header is read first (its size capped), then only the
  entries it references, each checked against its ``.npy`` header (shape x itemsize must be
  the entry's size) before one array of exactly that size is allocated; compressed entries
  may not inflate more than ``MAX_INFLATION`` times, and the referenced entries together
  cannot be larger than the file (overlapping entries are a zip-bomb trick);
- loading never blocks: a FIFO, socket or device is refused before it is read;
- saving never leaves a half-written file in place of a good one: it writes
  ``.{name}.tmp-{pid}-{random}`` next to the target, flushes it to disk and renames it over
  the target (``os.replace`` is atomic); on an error the temporary file is removed, and
  temporaries left by a killed process (SIGKILL, power cut) are removed by the next save.

>>> import os, tempfile
>>> import tinynn as tn
>>> from tinynn import nn
>>> model = nn.Linear(3, 2)
>>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
>>> tn.save(model.state_dict(), path)
>>> state = tn.load(path)
>>> list(state), bool((state["weight"] == model.weight.data).all())
(['weight', 'bias'], True)
"""
from __future__ import annotations

import errno
import io as _pyio
import json
import os
import secrets
import stat
import zipfile

from tinynn import backend
from tinynn.tensor import Tensor

np = backend.numpy
_npy = np.lib.format

FORMAT = "tinynn-checkpoint"
VERSION = 1
HEADER_KEY = "__tinynn__"
MAX_HEADER_BYTES = 64 << 20  # the JSON structure: a few KB for a GPT's state dict
MAX_INFLATION = 100  # a compressed entry may hold at most this many times its stored size
MAX_DEPTH = 200  # nesting of dicts/lists in a header (deeper is a crafted file)
_TEMP_MARK = ".tmp-"


# =========================================================================== save
def _pack(obj, arrays, where, depth=0):
    """The JSON description of ``obj``; arrays go into ``arrays`` under readable names."""
    if depth > MAX_DEPTH:
        raise ValueError(f"tn.save: the value is nested more than {MAX_DEPTH} levels deep at {where!r} "
                         "(a reference cycle?)")
    if isinstance(obj, Tensor):
        obj = obj._data
    if backend.is_array(obj) or isinstance(obj, np.generic):
        host = np.asarray(backend.to_host(obj)) if backend.is_array(obj) else np.asarray(obj)
        if host.dtype.hasobject:
            raise TypeError(f"tn.save: {where or 'the value'} is an object array ({host.dtype}); only "
                            "numeric/bool/string arrays can be saved (no pickle)")
        name = where or "array"
        if name in arrays or name == HEADER_KEY:
            name = f"{name}#{len(arrays)}"
        arrays[name] = host
        return {"t": "scalar" if isinstance(obj, np.generic) else "array", "k": name}
    if obj is None or isinstance(obj, (bool, str)):
        return {"t": "v", "v": obj}
    if isinstance(obj, int):
        return {"t": "int", "v": str(obj)}  # as text: JSON readers may round big ints
    if isinstance(obj, float):
        return {"t": "float", "v": repr(obj)}  # repr round-trips every float, inf and nan
    if isinstance(obj, dict):
        items = []
        for key, value in obj.items():
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise TypeError(f"tn.save: dict keys must be str or int, got {key!r} at "
                                f"{where or 'top level'}")
            child = f"{where}/{key}" if where else str(key)
            items.append([key, _pack(value, arrays, child, depth + 1)])
        return {"t": "dict", "items": items}
    if isinstance(obj, (list, tuple)):
        items = [_pack(v, arrays, f"{where}/{i}" if where else str(i), depth + 1) for i, v in enumerate(obj)]
        return {"t": type(obj).__name__, "items": items}
    raise TypeError(f"tn.save: cannot save {type(obj).__name__} at {where or 'top level'}; a checkpoint "
                    "holds arrays, Tensors, numbers, strings, None, and dicts/lists/tuples of them")


def _write_archive(file, entries):
    """The zip itself, entry by entry (what np.savez does, without its keyword arguments:
    a state-dict key named ``file`` or ``allow_pickle`` is just a name here)."""
    with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in entries:
            with archive.open(name + ".npy", "w", force_zip64=True) as member:
                _npy.write_array(member, array, allow_pickle=False)


def _temporary_prefix(base):
    return f".{base}{_TEMP_MARK}"


def _new_temporary(directory, base):
    """A new file next to the target named ``.{base}.tmp-{pid}-{random}``, with the
    permissions open() would give it (0o666 less the umask; mkstemp's 0o600 would survive
    the rename and lock others out)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = os.path.join(directory, f"{_temporary_prefix(base)}{os.getpid()}-{secrets.token_hex(4)}")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"tn.save: could not create a temporary file in {directory!r}")


def _process_is_gone(pid):
    if os.name != "posix":
        return False  # no cheap liveness test: leave it (Windows cannot rename over an open file anyway)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # exists, owned by someone else
    return False


def _remove_stale_temporaries(directory, base):
    """Delete ``.{base}.tmp-{pid}-*`` files whose writing process no longer exists (it was
    killed mid-save); a live process's temporary (a concurrent save) is left alone."""
    prefix = _temporary_prefix(base)
    try:
        names = [n for n in os.listdir(directory) if n.startswith(prefix)]
    except OSError:
        return
    for name in names:
        pid = name[len(prefix):].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and _process_is_gone(int(pid)):
            try:
                os.unlink(os.path.join(directory, name))
            except OSError:
                pass


def _write_error(path, error):
    """An OSError naming the checkpoint path (a bare ENOSPC says neither what nor where)."""
    hint = " (the disk is full: free some space or save elsewhere)" if error.errno == errno.ENOSPC else ""
    if not error.errno:
        return OSError(f"tn.save: could not write the checkpoint {path!r}: {error}; nothing was "
                       "changed at that path")
    return OSError(error.errno, f"tn.save: could not write the checkpoint {path!r}: "
                   f"{error.strerror or error}{hint}; nothing was changed at that path", path)


def _refuse_special_target(path):
    """A device, FIFO or socket at ``path`` is not replaced by the atomic rename (as root,
    ``tn.save(sd, "/dev/null")`` would otherwise swap the device for a regular file)."""
    try:
        mode = os.stat(path).st_mode  # follows links: a link to a device is refused too
    except OSError:
        return  # nothing there (or unreadable: the write reports it, naming the path)
    if not stat.S_ISREG(mode):
        raise ValueError(f"tn.save({path!r}): the path is not a regular file (a FIFO, socket or device), and "
                         "tn.save only replaces files; to write into it, open it yourself: "
                         "with open(path, 'wb') as f: tn.save(obj, f)")


def save(obj, f):
    """Write ``obj`` (a state dict, an optimizer state dict, or nested dicts/lists of arrays
    and numbers) to ``f`` as a tinynn ``.npz`` checkpoint.

    ``f`` is a path (written atomically: nothing changes at ``path`` if saving fails, and
    the file is written under exactly the name given, no ``.npz`` appended) or a file object
    opened for binary writing (written in place, as ``torch.save`` does). Device (CuPy)
    arrays are copied to the host.

    >>> import io, os, tempfile
    >>> import tinynn as tn
    >>> from tinynn import nn
    >>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
    >>> tn.save(nn.Linear(2, 1).state_dict(), path)
    >>> sorted(tn.load(path))
    ['bias', 'weight']
    >>> buffer = io.BytesIO(); tn.save({"file": 1, "allow_pickle": 2}, buffer)
    >>> tn.load(io.BytesIO(buffer.getvalue()))
    {'file': 1, 'allow_pickle': 2}
    """
    if not hasattr(f, "write"):
        try:
            f = os.fspath(f)
        except TypeError:
            raise TypeError(f"tn.save: expected a path or a file object opened for writing ('wb'), "
                            f"got {type(f).__name__}") from None
    arrays = {}
    tree = _pack(obj, arrays, "")  # everything is checked before a byte is written
    header = json.dumps({"format": FORMAT, "version": VERSION, "tree": tree})
    entries = [(HEADER_KEY, np.asarray(header))] + list(arrays.items())
    if not isinstance(f, (str, bytes)):
        _write_archive(f, entries)
        return
    path = os.fsdecode(f)
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, f"tn.save: {path!r} is a directory; give a file name, "
                                f"e.g. {os.path.join(path, 'model.npz')!r}", path)
    _refuse_special_target(path)
    directory, base = os.path.split(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(errno.ENOENT, f"tn.save: the folder {directory!r} does not exist; "
                                "create it first (os.makedirs(folder, exist_ok=True))", path)
    _remove_stale_temporaries(directory, base)
    try:
        fd, tmp = _new_temporary(directory, base)
    except OSError as e:
        raise _write_error(path, e) from e
    try:
        with os.fdopen(fd, "wb") as out:
            _write_archive(out, entries)
            out.flush()
            os.fsync(out.fileno())  # on disk before the rename makes it the checkpoint
        os.replace(tmp, path)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):
            raise _write_error(path, e) from e
        raise


# =========================================================================== load
def _bad(name, what):
    return ValueError(f"tn.load({name!r}): {what}")


def _references(node, found, name, depth=0):
    """Check the header tree's structure and collect the entries it references."""
    if depth > MAX_DEPTH:
        raise _bad(name, f"corrupt checkpoint: the header nests more than {MAX_DEPTH} levels")
    if not isinstance(node, dict) or not isinstance(node.get("t"), str):
        raise _bad(name, f"corrupt checkpoint: malformed header node {str(node)[:80]!r}")
    kind = node["t"]
    if kind in ("array", "scalar"):
        if not isinstance(node.get("k"), str):
            raise _bad(name, f"corrupt checkpoint: an array node without an entry name ({str(node)[:80]!r})")
        found.add(node["k"])
    elif kind in ("dict", "list", "tuple"):
        items = node.get("items")
        if not isinstance(items, list):
            raise _bad(name, f"corrupt checkpoint: a {kind} node without items")
        for item in items:
            if kind == "dict":
                if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], (str, int))
                        and not isinstance(item[0], bool)):
                    raise _bad(name, f"corrupt checkpoint: a dict item is not [str or int key, value] ({str(item)[:80]!r})")
                item = item[1]
            _references(item, found, name, depth + 1)
    elif kind == "v":
        if not (node.get("v") is None or isinstance(node.get("v"), (bool, str))):
            raise _bad(name, "corrupt checkpoint: a value node holds something other than None, bool or str")
    elif kind in ("int", "float"):
        if not isinstance(node.get("v"), str):
            raise _bad(name, f"corrupt checkpoint: a number node without its text ({str(node)[:80]!r})")
    else:
        raise _bad(name, f"corrupt checkpoint: unknown node type {kind!r}")


def _unpack(node, arrays):
    kind = node["t"]
    if kind == "array":
        return arrays[node["k"]]
    if kind == "scalar":
        return arrays[node["k"]][()]
    if kind == "v":
        return node["v"]
    if kind == "int":
        return int(node["v"])
    if kind == "float":
        return float(node["v"])
    if kind == "dict":
        return {key: _unpack(value, arrays) for key, value in node["items"]}
    items = [_unpack(v, arrays) for v in node["items"]]
    return items if kind == "list" else tuple(items)


def _array_header(member, name, entry):
    """(shape, fortran_order, dtype) from a ``.npy`` stream, refusing pickled (object) arrays."""
    version = _npy.read_magic(member)
    if version == (1, 0):
        shape, fortran, dtype = _npy.read_array_header_1_0(member)
    elif version == (2, 0):
        shape, fortran, dtype = _npy.read_array_header_2_0(member)
    else:
        raise _bad(name, f"entry {entry!r} uses .npy format {version}, which tinynn does not write")
    if dtype.hasobject:
        raise _bad(name, f"entry {entry!r} holds pickled Python objects; refusing to load it "
                   "(unpickling can run code)")
    return shape, fortran, dtype


def _read_entry(archive, info, name, entry):
    """One array, allocated once at the size its header declares and the zip entry confirms."""
    with archive.open(info) as member:
        shape, fortran, dtype = _array_header(member, name, entry)
        count = 1
        for n in shape:
            count *= n
        expected = member.tell() + count * dtype.itemsize
        if info.file_size != expected:
            raise _bad(name, f"corrupt checkpoint: entry {entry!r} declares {shape} {dtype} "
                       f"({expected} bytes with its header) but holds {info.file_size} bytes")
        flat = np.empty(count, dtype=dtype)
        view, done = memoryview(flat.view(np.uint8)), 0
        while done < len(view):  # readinto fills what the entry holds, never more
            got = member.readinto(view[done:])
            if not got:
                raise _bad(name, f"corrupt checkpoint: entry {entry!r} ends early (truncated)")
            done += got
        member.read(1)  # at the end: the zip module checks the CRC here
    return flat.reshape(shape[::-1]).transpose() if fortran else flat.reshape(shape)


def _plain_npz_error(archive, name):
    entries = [i.filename[:-4] if i.filename.endswith(".npy") else i.filename for i in archive.infolist()]
    pickled = []
    for info in archive.infolist()[:100]:
        try:
            with archive.open(info) as member:
                _array_header(member, name, info.filename)
        except ValueError as e:
            if "pickled" in str(e):
                pickled.append(info.filename)
        except Exception:  # noqa: BLE001 - only a hint for the message
            pass
    extra = f"; it also holds pickled Python objects in {pickled[:3]}, which tinynn never loads" if pickled else ""
    return _bad(name, f"a plain .npz without the {HEADER_KEY!r} header, so not a tinynn checkpoint (it "
                f"holds {entries[:5]}{'...' if len(entries) > 5 else ''}){extra}; read it with "
                "numpy.load(..., allow_pickle=False), or write checkpoints with tn.save")


def _read_checkpoint(file, name, file_size):
    """The saved structure from an open, seekable binary file: header first, then only
    the entries it references, every size checked before memory is allocated for it."""
    magic = file.read(4)
    file.seek(0)
    try:
        archive = zipfile.ZipFile(file)
    except zipfile.BadZipFile:
        if magic == b"PK\x03\x04":
            raise _bad(name, "the zip archive is truncated or corrupt (no central directory); "
                       "the save was probably interrupted or the copy is incomplete") from None
        if magic[:1] == b"\x80":
            raise _bad(name, "this is a pickle file (e.g. from torch.save or pickle.dump), not a "
                       "tinynn checkpoint; tinynn never unpickles (it can run code)") from None
        raise _bad(name, "not a tinynn checkpoint (not an .npz/zip archive at all)") from None
    with archive:
        infos = {info.filename: info for info in archive.infolist()}
        header_info = infos.get(HEADER_KEY + ".npy")
        if header_info is None:
            raise _plain_npz_error(archive, name)
        if header_info.file_size > MAX_HEADER_BYTES:
            raise _bad(name, f"the header entry declares {header_info.file_size} bytes (at most "
                       f"{MAX_HEADER_BYTES} expected): a corrupt or crafted file")
        _check_inflation(header_info, name, HEADER_KEY)
        header = _read_entry(archive, header_info, name, HEADER_KEY)
        if header.dtype.kind != "U" or header.shape != ():
            raise _bad(name, f"the {HEADER_KEY!r} entry is not a tinynn checkpoint header")
        try:
            header = json.loads(str(header[()]))
        except (ValueError, RecursionError) as e:  # RecursionError: nested deeper than json can parse
            raise _bad(name, f"corrupt checkpoint: the header is not readable JSON ({type(e).__name__}: "
                       f"{str(e)[:200]})") from None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise _bad(name, f"the {HEADER_KEY!r} entry is not a tinynn checkpoint header")
        if not isinstance(header.get("version"), int) or header["version"] > VERSION:
            raise _bad(name, f"checkpoint format version {header.get('version')!r} is newer than "
                       f"this tinynn understands ({VERSION}); upgrade tinynn")
        referenced = set()
        _references(header.get("tree"), referenced, name)
        wanted = []
        for entry in sorted(referenced):
            info = infos.get(entry + ".npy")
            if info is None:
                raise _bad(name, f"corrupt checkpoint: the header refers to entry {entry!r}, which "
                           "the archive does not hold")
            _check_inflation(info, name, entry)
            wanted.append((entry, info))
        stored = sum(info.compress_size for _, info in wanted) + header_info.compress_size
        if file_size is not None and stored > file_size:
            raise _bad(name, f"corrupt checkpoint: its entries claim {stored} bytes in a file of "
                       f"{file_size} (overlapping entries: a crafted file)")
        arrays = {entry: _read_entry(archive, info, name, entry) for entry, info in wanted}
    return _unpack(header["tree"], arrays)


def _check_inflation(info, name, entry):
    if info.flag_bits & 0x1:
        raise _bad(name, f"entry {entry!r} is encrypted; tinynn checkpoints never are")
    if info.compress_type != zipfile.ZIP_STORED and info.file_size > MAX_INFLATION * max(info.compress_size, 1):
        raise _bad(name, f"entry {entry!r} would inflate from {info.compress_size} to {info.file_size} "
                   f"bytes (over {MAX_INFLATION}x): refusing a possible zip bomb (tn.save never compresses)")


def _target_device(map_location, device):
    """The device named by ``map_location`` (PyTorch's name) or ``device`` (tinynn's)."""
    if callable(map_location) and not isinstance(map_location, str):
        raise TypeError("tn.load: map_location as a function is not supported (checkpoints hold host "
                        "arrays): pass a device such as 'cpu' or 'cuda'")
    if isinstance(map_location, dict):  # {saved location: new location}; tinynn saves from the host
        map_location = map_location.get("cpu")
    if map_location is not None and not isinstance(map_location, str):
        map_location = str(getattr(map_location, "type", map_location))  # torch.device / tn.device
    if map_location is not None and device is not None and \
            backend.check_device(map_location) != backend.check_device(device):
        raise ValueError(f"tn.load: map_location={map_location!r} and device={device!r} disagree; give one")
    target = map_location if map_location is not None else device
    return None if target is None else backend.check_device(target)


def _open_for_reading(path):
    """A binary file for ``path``, refusing at once what cannot be a checkpoint: a folder,
    a FIFO (reading one blocks until someone writes), a socket or a device."""
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, f"tn.load: {path!r} is a directory, not a checkpoint "
                                "file; pass the file inside it (e.g. 'folder/model.npz')", path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise FileNotFoundError(errno.ENOENT, f"tn.load: no such file: {path!r}", path) from None
    info = os.fstat(fd)
    if stat.S_ISDIR(info.st_mode) or not stat.S_ISREG(info.st_mode):
        os.close(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, f"tn.load: {path!r} is a directory", path)
        raise _bad(path, "not a regular file (a FIFO, socket or device); a checkpoint is a file "
                   "written by tn.save")
    return os.fdopen(fd, "rb"), info.st_size


def load(f, map_location=None, weights_only=None, *, device=None):
    """Read a checkpoint written by ``tn.save`` from a path or a binary file object: the
    same structure, with NumPy arrays (moved to ``map_location`` / ``device`` when given).

    Never unpickles anything, so ``weights_only`` (PyTorch's flag) changes nothing: any
    value is accepted and loading is always weights-only. Raises ``FileNotFoundError`` for a
    missing file, ``IsADirectoryError`` for a folder, and ``ValueError`` naming the path and
    the problem for anything that is not an intact tinynn checkpoint.

    >>> import os, tempfile
    >>> import tinynn as tn
    >>> from tinynn import nn
    >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.npz")
    >>> tn.save({"model": nn.Linear(3, 2).state_dict(), "epoch": 7}, path)
    >>> ckpt = tn.load(path, map_location="cpu", weights_only=True)
    >>> ckpt["epoch"], ckpt["model"]["weight"].shape
    (7, (2, 3))
    >>> nn.Linear(3, 2).load_state_dict(ckpt["model"])
    IncompatibleKeys(missing_keys=[], unexpected_keys=[])
    """
    if weights_only not in (None, True, False):
        raise TypeError(f"tn.load: weights_only must be True, False or None, got {weights_only!r}")
    target = _target_device(map_location, device)
    if hasattr(f, "read"):
        name = getattr(f, "name", None) or type(f).__name__
        if not (hasattr(f, "seekable") and f.seekable()):
            f = _pyio.BytesIO(f.read())  # a zip is read from its end: a stream is buffered first
        start = f.tell()
        size = f.seek(0, os.SEEK_END) - start
        f.seek(start)
        result = _read_guarded(f if start == 0 else _pyio.BytesIO(f.read()), name, size)
    else:
        try:
            path = os.fsdecode(os.fspath(f))
        except TypeError:
            raise TypeError(f"tn.load: expected a path or a binary file object, got {type(f).__name__}") from None
        file, size = _open_for_reading(path)
        with file:
            result = _read_guarded(file, path, size)
    return result if target is None else _to_device(result, target)


def _read_guarded(file, name, size):
    try:
        return _read_checkpoint(file, name, size)
    except ValueError as e:
        if str(e).startswith("tn.load("):
            raise
        raise _bad(name, f"corrupt checkpoint ({type(e).__name__}: {e})") from e
    except (MemoryError, OSError, RecursionError):
        raise
    except Exception as e:  # BadZipFile, zlib.error, EOFError ... of a damaged file
        raise _bad(name, f"corrupt checkpoint ({type(e).__name__}: {e})") from e


def _to_device(obj, device):
    if isinstance(obj, np.ndarray):
        return backend.to_device(obj, device)
    if isinstance(obj, dict):
        return {k: _to_device(v, device) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_device(v, device) for v in obj)
    return obj
