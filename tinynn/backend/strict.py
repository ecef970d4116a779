"""A test-only device, ``"strict"``, that behaves like CuPy on a machine without a GPU.

CuPy refuses to mix device arrays with host (NumPy) arrays: ``cupy_a + numpy_b`` raises
``TypeError: Unsupported type <class 'numpy.ndarray'>`` and ``np.asarray(cupy_a)`` raises
"Implicit conversion to a NumPy array is not allowed". A stray ``np.`` call inside an op is
therefore a bug that only shows on a GPU. ``StrictArray`` wraps a NumPy array and refuses
the same things (and, stricter than CuPy, every non-ufunc ``np.`` function), so the test
suite catches those bugs on a CPU-only CI machine. Ops reach the real functions through
``xp``, the strict array module that ``backend.xp_of`` returns for these arrays.

>>> a = xp.ones(3)
>>> (a * 2).sum().item()
6.0
>>> import numpy as np
>>> a + np.ones(3)
Traceback (most recent call last):
TypeError: Unsupported type <class 'numpy.ndarray'> on the strict test device: move it with ...
"""
from __future__ import annotations

import operator

import numpy as np

_MIX_ERROR = (
    "Unsupported type <class 'numpy.ndarray'> on the strict test device: move it with "
    "backend.to_device(x, 'strict') (CuPy refuses this mix too)"
)


def _unwrap(value):
    """StrictArray -> its ndarray; plain ndarrays are refused (mixing); containers recurse."""
    if type(value) is StrictArray:
        return value._a
    if isinstance(value, np.ndarray):
        raise TypeError(_MIX_ERROR)
    if type(value) in (list, tuple):
        return type(value)(_unwrap(v) for v in value)
    if type(value) is dict:  # keyword arguments: xp.sqrt(a, out=b) with a strict ``out``
        return {k: _unwrap(v) for k, v in value.items()}
    return value


def _wrap(value):
    """ndarray results (and numpy scalars, as CuPy returns 0-d arrays) become StrictArrays."""
    if isinstance(value, np.ndarray):
        return StrictArray(value)
    if isinstance(value, np.generic):
        return StrictArray(np.asarray(value))
    if type(value) in (list, tuple):
        return type(value)(_wrap(v) for v in value)
    return value


class StrictArray:
    """A NumPy array in disguise that refuses implicit host conversion and host mixing."""

    __slots__ = ("_a",)

    def __init__(self, array):
        self._a = array

    # -- refuse what CuPy refuses --------------------------------------------------------
    def __array__(self, *args, **kwargs):
        raise TypeError(
            "Implicit conversion to a NumPy array is not allowed on the strict test device "
            "(as on CuPy). Use .get() or backend.to_host() to copy it explicitly."
        )

    def __array_function__(self, func, types, args, kwargs):
        raise TypeError(
            f"np.{func.__name__} was called on a strict-device array: ops must use the array "
            "module of their inputs (backend.xp_of(a)), not numpy directly."
        )

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        # numpy scalars meeting a StrictArray land here; plain ndarrays are refused
        inputs = _unwrap(inputs)
        if "out" in kwargs:
            kwargs["out"] = _unwrap(kwargs["out"])
        return _wrap(getattr(ufunc, method)(*inputs, **kwargs))

    # -- what a device array offers ----------------------------------------------------
    def get(self):
        """An explicit host copy, like ``cupy.ndarray.get()``."""
        return self._a.copy()

    def __getattr__(self, name):
        if name.startswith("__"):  # no __array_interface__ & co: no implicit host views
            raise AttributeError(name)
        attr = getattr(self._a, name)
        if callable(attr):
            return lambda *args, **kwargs: _wrap(attr(*_unwrap(args), **_unwrap(kwargs)))
        return _wrap(attr)

    def __getitem__(self, index):
        return _wrap(self._a[_unwrap(index)])

    def __setitem__(self, index, value):
        self._a[_unwrap(index)] = _unwrap(value)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (_wrap(v) for v in self._a)

    def __bool__(self):
        return bool(self._a)

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __index__(self):
        return operator.index(self._a)

    def __repr__(self):
        return "strict_" + repr(self._a)

    def __reduce__(self):
        raise TypeError("strict-device arrays cannot be pickled; copy them to the host first")

    __hash__ = None


def _binary(name):
    op = getattr(operator, name, None) or getattr(np.ndarray, f"__{name}__")

    def method(self, other):
        return _wrap(op(self._a, _unwrap(other)))

    return method


def _reflected(name):
    op = getattr(operator, name)

    def method(self, other):
        return _wrap(op(_unwrap(other), self._a))

    return method


def _inplace(name):
    op = getattr(operator, f"i{name.rstrip('_')}")

    def method(self, other):
        self._a = op(self._a, _unwrap(other))
        return self

    return method


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul",
              "and_", "or_", "xor", "lt", "le", "gt", "ge", "eq", "ne"):
    _dunder = _name.rstrip("_")
    setattr(StrictArray, f"__{_dunder}__", _binary(_name))
    if _name not in ("lt", "le", "gt", "ge", "eq", "ne"):
        setattr(StrictArray, f"__r{_dunder}__", _reflected(_name))
        setattr(StrictArray, f"__i{_dunder}__", _inplace(_name))
for _name in ("neg", "pos", "abs", "invert"):
    setattr(StrictArray, f"__{_name}__",
            (lambda op: lambda self: _wrap(op(self._a)))(getattr(operator, _name)))
StrictArray.__eq__ = _binary("eq")
StrictArray.__hash__ = None


class _StrictCallable:
    """A numpy function (or ufunc) that takes and returns StrictArrays, refusing ndarrays."""

    __slots__ = ("_f",)

    def __init__(self, f):
        self._f = f

    def __call__(self, *args, **kwargs):
        return _wrap(self._f(*_unwrap(args), **_unwrap(kwargs)))

    def __getattr__(self, name):  # ufunc methods: xp.add.at, xp.maximum.reduce, ...
        return _wrap_attr(getattr(self._f, name))


def _transfer(*args, **kwargs):
    """xp.asarray / xp.array: the explicit host -> device copy CuPy allows."""
    if args and isinstance(args[0], np.ndarray):
        args = (args[0],) + args[1:]
    else:
        args = _unwrap(args)
    return StrictArray(np.array(*args, **_unwrap(kwargs)))


def _wrap_attr(attr):
    if isinstance(attr, type) or not callable(attr):
        return attr
    return _StrictCallable(attr)


class _StrictModule:
    """The array module of the strict device: numpy's names, strict arrays in and out."""

    __name__ = "tinynn.backend.strict.xp"
    ndarray = StrictArray
    asarray = staticmethod(_transfer)
    array = staticmethod(_transfer)

    def __init__(self, module=np):
        self._module = module

    def __getattr__(self, name):
        attr = getattr(self._module, name)
        if isinstance(attr, type(np)):  # submodules: xp.random, xp.linalg, ...
            return _StrictModule(attr)
        return _wrap_attr(attr)


xp = _StrictModule()
