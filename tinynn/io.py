"""``tn.save`` / ``tn.load``: checkpoints as NumPy ``.npz`` files that never run code.

A checkpoint is an ordinary zip of ``.npy`` arrays plus one entry, ``__tinynn__``, holding a
JSON header: the format name and version and the *structure* of what was saved (nested
dicts, lists, tuples, Python numbers, strings, None) with each array leaf pointing at its
entry. So a model's ``state_dict()`` and an optimizer's ``state_dict()`` (nested, with int
keys, tuples and step counters) both round-trip exactly, bit for bit.

Safety, the two promises of DESIGN.md:
- loading never executes code: arrays are read with ``allow_pickle=False`` and object
  arrays are refused on save, so no pickle is ever written or read;
- saving never leaves a half-written file in place of a good one: it writes a temporary
  file in the same directory, flushes it to disk and renames it over the target
  (``os.replace`` is atomic); on any error the temporary file is removed.

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

import json
import os
import secrets
import zipfile

from tinynn import backend
from tinynn.tensor import Tensor

np = backend.numpy

FORMAT = "tinynn-checkpoint"
VERSION = 1
HEADER_KEY = "__tinynn__"


# --------------------------------------------------------------------------- save
def _pack(obj, arrays, path, where):
    """The JSON description of ``obj``; arrays go into ``arrays`` under readable names."""
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
            items.append([key, _pack(value, arrays, path, child)])
        return {"t": "dict", "items": items}
    if isinstance(obj, (list, tuple)):
        items = [_pack(v, arrays, path, f"{where}/{i}" if where else str(i)) for i, v in enumerate(obj)]
        return {"t": type(obj).__name__, "items": items}
    raise TypeError(f"tn.save: cannot save {type(obj).__name__} at {where or 'top level'}; a checkpoint "
                    "holds arrays, Tensors, numbers, strings, None, and dicts/lists/tuples of them")


def _new_temporary(directory, base):
    """A new file next to the target with the permissions open() would give it (0o666 less
    the umask); tempfile.mkstemp's 0o600 would survive the rename and lock others out."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"tn.save: could not create a temporary file in {directory!r}")


def save(obj, path):
    """Write ``obj`` (a state dict, an optimizer state dict, or nested dicts/lists of arrays
    and numbers) to ``path`` as a tinynn ``.npz`` checkpoint, atomically.

    Device (CuPy) arrays are copied to the host. The file is written under exactly the
    name given (no ``.npz`` is appended). Nothing is changed at ``path`` if saving fails.

    >>> import os, tempfile
    >>> import tinynn as tn
    >>> from tinynn import nn
    >>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
    >>> tn.save(nn.Linear(2, 1).state_dict(), path)
    >>> sorted(tn.load(path))
    ['bias', 'weight']
    """
    path = os.fspath(path)
    arrays = {}
    tree = _pack(obj, arrays, path, "")
    header = json.dumps({"format": FORMAT, "version": VERSION, "tree": tree})
    entries = {HEADER_KEY: np.asarray(header)}
    entries.update(arrays)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = _new_temporary(directory, os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **entries)
            f.flush()
            os.fsync(f.fileno())  # on disk before the rename makes it the checkpoint
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# --------------------------------------------------------------------------- load
def _unpack(node, arrays, path):
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
        return {key: _unpack(value, arrays, path) for key, value in node["items"]}
    if kind in ("list", "tuple"):
        items = [_unpack(v, arrays, path) for v in node["items"]]
        return items if kind == "list" else tuple(items)
    raise ValueError(f"unknown node type {kind!r}")


def _bad(path, what):
    return ValueError(f"tn.load({path!r}): {what}")


def load(path, device=None):
    """Read a checkpoint written by ``tn.save``: the same structure, with NumPy arrays
    (moved to ``device`` when given). Never unpickles anything.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` naming the path and
    the problem for anything that is not an intact tinynn checkpoint.

    >>> import os, tempfile
    >>> import tinynn as tn
    >>> from tinynn import nn
    >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.npz")
    >>> tn.save({"model": nn.Linear(3, 2).state_dict(), "epoch": 7}, path)
    >>> ckpt = tn.load(path)
    >>> ckpt["epoch"], ckpt["model"]["weight"].shape
    (7, (2, 3))
    >>> nn.Linear(3, 2).load_state_dict(ckpt["model"])
    IncompatibleKeys(missing_keys=[], unexpected_keys=[])
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"tn.load: no such file: {path!r}")
    with open(path, "rb") as f:
        magic = f.read(4)
    if not zipfile.is_zipfile(path):
        if magic == b"PK\x03\x04":
            raise _bad(path, "the zip archive is truncated or corrupt (no central directory); "
                       "the save was probably interrupted or the copy is incomplete")
        if magic[:1] == b"\x80":
            raise _bad(path, "this is a pickle file (e.g. from torch.save or pickle.dump), not a "
                       "tinynn checkpoint; tinynn never unpickles (it can run code)")
        raise _bad(path, "not a tinynn checkpoint (not an .npz/zip archive at all)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {}
            for name in archive.files:  # read everything first: a pickled entry is refused
                try:
                    arrays[name] = archive[name]
                except ValueError as e:
                    if "pickle" in str(e).lower() or "object" in str(e).lower():
                        raise _bad(path, f"entry {name!r} holds pickled Python objects; refusing to "
                                   "load it (unpickling can run code)") from None
                    raise
            header = arrays.pop(HEADER_KEY, None)
            if header is None:
                names = list(arrays)
                raise _bad(path, f"a plain .npz without the {HEADER_KEY!r} header, so not a tinynn "
                           f"checkpoint (it holds {names[:5]}{'...' if len(names) > 5 else ''}); "
                           "read it with numpy.load, or write checkpoints with tn.save")
            header = json.loads(str(header[()]))
            if not isinstance(header, dict) or header.get("format") != FORMAT:
                raise _bad(path, f"the {HEADER_KEY!r} entry is not a tinynn checkpoint header")
            if not isinstance(header.get("version"), int) or header["version"] > VERSION:
                raise _bad(path, f"checkpoint format version {header.get('version')!r} is newer than "
                           f"this tinynn understands ({VERSION}); upgrade tinynn")
            result = _unpack(header["tree"], arrays, path)
    except ValueError as e:
        if str(e).startswith("tn.load("):
            raise
        raise _bad(path, f"corrupt checkpoint ({type(e).__name__}: {e})") from e
    except Exception as e:  # BadZipFile, zlib.error, KeyError, JSONDecodeError... of a damaged file
        raise _bad(path, f"corrupt checkpoint ({type(e).__name__}: {e})") from e
    if device is not None:
        result = _to_device(result, backend.check_device(device))
    return result


def _to_device(obj, device):
    if isinstance(obj, np.ndarray):
        return backend.to_device(obj, device)
    if isinstance(obj, dict):
        return {k: _to_device(v, device) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_device(v, device) for v in obj)
    return obj
