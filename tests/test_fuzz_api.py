"""Fuzzing the public API with bad values (issue 15), as a new user — and a hostile file — would.

Every call ends in one of four outcomes, and only these:
- accepted (and, where PyTorch has a twin, PyTorch accepts it too, with a result of the same shape);
- a clear error: one of ERRORS, whose message names the op;
- nothing changed: parameters, buffers, gradients and optimizer state are as before a refused call;
- no hang: every call finishes within DEADLINE seconds.

Each test draws bad values with hypothesis; the exhaustive test tries every target against
every value of a fixed pool. Every outcome is counted; test_zz_summary prints the counts and
writes them to $TINYNN_FUZZ_SUMMARY (default: fuzz_summary.json in the temp folder).
"""
from __future__ import annotations

import copy
import json
import math
import os
import tempfile
import threading
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinynn as tn
import tinynn.functional as F
from tinynn import nn, optim

ERRORS = (TypeError, ValueError, RuntimeError, IndexError, KeyError, FloatingPointError, OverflowError)
DEADLINE = 10.0
COUNTS = Counter()
DISAGREEMENTS = []  # (target, value, what): tinynn and PyTorch decided differently
FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

try:
    import torch
except ImportError:  # the oracle is optional: the four outcomes are checked without it
    torch = None


# ----------------------------------------------------------------------------- bad values
def _pool():
    """Values a user passes by mistake: wrong types, signs, sizes, dtypes, shapes, NaN."""
    return {
        "None": None, "str": "abc", "2.5": 2.5, "-1": -1, "0": 0, "nan": float("nan"),
        "inf": float("inf"), "True": True, "[]": [], "(1, 2)": (1, 2), "10**20": 10 ** 20,
        "object": object(), "dict": {"a": 1}, "0-d": "tensor:0d", "wrong-shape": "tensor:wrong",
        "int64": "tensor:int", "float64": "tensor:f64", "empty": "tensor:empty", "nan-tensor": "tensor:nan",
        "ndarray": "array", "5": 5,
    }


POOL = _pool()


def realize(value):
    """Tensor placeholders become fresh tensors (a fresh one per call: calls may write)."""
    if not isinstance(value, str) or not value.startswith(("tensor:", "array")):
        return value
    return {"tensor:0d": lambda: tn.tensor(1.5), "tensor:wrong": lambda: tn.ones((7, 11)),
            "tensor:int": lambda: tn.tensor([[1, 2, 3]]), "tensor:f64": lambda: tn.ones((2, 3), dtype=tn.float64),
            "tensor:empty": lambda: tn.zeros((0, 3)), "tensor:nan": lambda: tn.full((2, 3), float("nan")),
            "array": lambda: np.ones((2, 3), dtype="float32")}[value]()


def as_torch(value):
    if torch is None:
        return value
    if isinstance(value, tn.Tensor):
        return torch.from_numpy(np.array(value.numpy()))
    if isinstance(value, np.ndarray):
        return value  # torch refuses ndarrays where it wants tensors: tinynn too, mostly
    return value


bad_values = st.one_of(
    st.sampled_from(sorted(POOL)).map(POOL.get),
    st.integers(-10 ** 6, 10 ** 6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=4),
    st.lists(st.integers(-3, 3), max_size=3),
    st.tuples(st.integers(-5, 5), st.integers(-5, 5)),
)


# ----------------------------------------------------------------------------- state and calls
def snapshot(*objects):
    """Copies of everything a refused call must leave alone."""
    state = []
    for obj in objects:
        if isinstance(obj, nn.Module):
            state.append({k: np.array(v) for k, v in obj.state_dict().items()})
            state.append([None if p.grad is None else p.grad.numpy().copy() for p in obj.parameters()])
        elif isinstance(obj, optim.Optimizer):
            state.append(copy.deepcopy(_plain(obj.state_dict())))
        elif isinstance(obj, DataOnly):
            state.append([p.numpy().copy() for p in obj.tensors])
        elif isinstance(obj, tn.Tensor):
            state.append((obj.numpy().copy(), None if obj.grad is None else obj.grad.numpy().copy()))
        elif hasattr(obj, "state_dict"):
            state.append(copy.deepcopy(_plain(obj.state_dict())))
    return state


class DataOnly:
    """Watch the values of these tensors, not their gradients (the call under test sets them)."""

    def __init__(self, tensors):
        self.tensors = list(tensors)


def _plain(obj):
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, tn.Tensor):
        return obj.numpy().copy()
    if callable(obj):
        return "<callable>"
    return obj


def same(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape and \
            a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def run_bounded(fn):
    """('ok', result) / ('error', exception) / ('hang', None) within DEADLINE seconds."""
    box = {}

    def work():
        try:
            box["result"] = ("ok", fn())
        except BaseException as e:  # noqa: BLE001 - every exception is classified below
            box["result"] = ("error", e)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(DEADLINE)
    return box.get("result", ("hang", None))


def _shape(result):
    if isinstance(result, tuple):
        result = result[0]
    return tuple(result.shape) if hasattr(result, "shape") else None


def check(target, label, value):
    """Run one bad call of ``target`` and assert it ends in one of the four outcomes."""
    name, names, make, twin = TARGETS[target]
    call, watched = make()
    before = snapshot(*watched)
    outcome, result = run_bounded(lambda: call(realize(value)))
    COUNTS["tried"] += 1
    assert outcome != "hang", f"{name}({label}) did not finish within {DEADLINE} s"
    if outcome == "error":
        error = result
        allowed = ERRORS + ((OSError,) if target in FAMILIES["io"] else ())  # a missing file is an OSError
        problem = None
        if not isinstance(error, allowed):
            problem = f"{name}({label}) died with {type(error).__name__}: {error}"
        elif not any(n.lower() in str(error).lower() for n in names):
            problem = f"{name}({label}): the message does not name the op: {error}"
        elif not same(before, snapshot(*watched)):
            problem = f"{name}({label}) raised but changed state first"
        assert problem is None, problem
        COUNTS["clear error, nothing changed"] += 1
    else:
        COUNTS["accepted"] += 1
    if twin is not None and torch is not None:
        theirs_ok, theirs = run_bounded(lambda: twin(as_torch(realize(value))))
        if outcome == "ok" and theirs_ok == "error":
            DISAGREEMENTS.append((name, label, f"accepted; PyTorch refuses: {str(theirs)[:80]}"))
            COUNTS["accepted, PyTorch refuses"] += 1
        elif outcome == "error" and theirs_ok == "ok":
            DISAGREEMENTS.append((name, label, f"refused ({str(result)[:80]}); PyTorch accepts"))
            COUNTS["refused, PyTorch accepts"] += 1
        elif outcome == "ok" and theirs_ok == "ok":
            ours_shape, their_shape = _shape(result), _shape(theirs)
            assert ours_shape == their_shape, f"{name}({label}): shape {ours_shape}, PyTorch {their_shape}"
            COUNTS["accepted, as PyTorch"] += 1


# ----------------------------------------------------------------------------- targets
def _fixed(call, *watched):
    return lambda: (call, watched)


def _module_call(factory):
    def make():
        m = factory()
        return m, (m,)
    return make


def _with_model(call_of, grads_watched=True):
    """A fresh Linear model and optimizer; ``call_of(model, opt)`` gives the bad call."""
    def make():
        model = nn.Linear(3, 2)
        opt = optim.Adam(model.parameters(), lr=0.01)
        model(tn.randn(4, 3)).sum().backward()
        opt.step()
        return call_of(model, opt), ((model, opt) if grads_watched else (DataOnly(model.parameters()), opt))
    return make


def _torch_module(factory):
    return (lambda v: factory()(v)) if torch is not None else None


def _targets():
    T = torch
    x = lambda: tn.randn(2, 3, requires_grad=True)  # noqa: E731
    tx = lambda: T.randn(2, 3, requires_grad=True) if T else None  # noqa: E731
    targets = {
        # constructors
        "Linear(in)": ("nn.Linear", ["Linear"], _fixed(lambda v: nn.Linear(v, 3)), T and (lambda v: T.nn.Linear(v, 3))),
        "Linear(out)": ("nn.Linear", ["Linear"], _fixed(lambda v: nn.Linear(3, v)), T and (lambda v: T.nn.Linear(3, v))),
        "Conv2d(out)": ("nn.Conv2d", ["Conv2d"], _fixed(lambda v: nn.Conv2d(3, v, 3)), T and (lambda v: T.nn.Conv2d(3, v, 3))),
        "Conv2d(kernel)": ("nn.Conv2d", ["Conv2d"], _fixed(lambda v: nn.Conv2d(3, 3, v)), T and (lambda v: T.nn.Conv2d(3, 3, v))),
        "Conv2d(stride)": ("nn.Conv2d", ["Conv2d"], _fixed(lambda v: nn.Conv2d(3, 3, 3, stride=v)), T and (lambda v: T.nn.Conv2d(3, 3, 3, stride=v))),
        "Dropout(p)": ("nn.Dropout", ["Dropout"], _fixed(lambda v: nn.Dropout(v)), T and (lambda v: T.nn.Dropout(v))),
        "Embedding(num)": ("nn.Embedding", ["Embedding"], _fixed(lambda v: nn.Embedding(v, 4)), T and (lambda v: T.nn.Embedding(v, 4))),
        "LSTM(input)": ("nn.LSTM", ["LSTM"], _fixed(lambda v: nn.LSTM(v, 4)), T and (lambda v: T.nn.LSTM(v, 4))),
        "BatchNorm1d(n)": ("nn.BatchNorm1d", ["BatchNorm"], _fixed(lambda v: nn.BatchNorm1d(v)), T and (lambda v: T.nn.BatchNorm1d(v))),
        "MaxPool2d(k)": ("nn.MaxPool2d", ["MaxPool2d", "pool"], _fixed(lambda v: nn.MaxPool2d(v)), None),
        "LayerNorm(n)": ("nn.LayerNorm", ["LayerNorm"], _fixed(lambda v: nn.LayerNorm(v)), T and (lambda v: T.nn.LayerNorm(v))),
        # module calls (the module must not change when the call is refused)
        "Linear(3, 2)(x)": ("Linear.__call__", ["Linear", "linear"], _module_call(lambda: nn.Linear(3, 2)), None),
        "Conv2d(3, 4, 3)(x)": ("Conv2d.__call__", ["Conv2d", "conv2d"], _module_call(lambda: nn.Conv2d(3, 4, 3)), None),
        "BatchNorm1d(3)(x)": ("BatchNorm1d.__call__", ["BatchNorm", "batch_norm"], _module_call(lambda: nn.BatchNorm1d(3)), None),
        "LSTM(3, 4)(x)": ("LSTM.__call__", ["LSTM", "lstm"], _module_call(lambda: nn.LSTM(3, 4)), None),
        "LayerNorm(3)(x)": ("LayerNorm.__call__", ["LayerNorm", "layer_norm"], _module_call(lambda: nn.LayerNorm(3)), None),
        "ReLU()(x)": ("ReLU.__call__", ["ReLU", "relu"], _module_call(lambda: nn.ReLU()), None),
        "Dropout()(x)": ("Dropout.__call__", ["Dropout", "dropout"], _module_call(lambda: nn.Dropout()), None),
        "Embedding(5, 3)(x)": ("Embedding.__call__", ["Embedding", "embedding"], _module_call(lambda: nn.Embedding(5, 3)), None),
        # ops
        "tn.tensor": ("tn.tensor", ["tensor"], _fixed(lambda v: tn.tensor(v)), None),
        "tn.zeros": ("tn.zeros", ["zeros", "size", "shape"], _fixed(lambda v: tn.zeros(v)), T and (lambda v: T.zeros(v))),
        "tn.randn": ("tn.randn", ["randn", "size", "shape"], _fixed(lambda v: tn.randn(v)), T and (lambda v: T.randn(v))),
        "tn.cat": ("tn.cat", ["cat"], _fixed(lambda v: tn.cat(v)), T and (lambda v: T.cat(v))),
        "tn.stack": ("tn.stack", ["stack"], _fixed(lambda v: tn.stack(v)), T and (lambda v: T.stack(v))),
        "x.reshape": ("reshape", ["reshape", "shape"], _fixed(lambda v: x().reshape(v)), T and (lambda v: tx().reshape(v))),
        "x.permute": ("permute", ["permute", "dim"], _fixed(lambda v: x().permute(v)), T and (lambda v: tx().permute(v))),
        "x.sum(dim)": ("sum", ["sum", "reduction", "dim"], _fixed(lambda v: x().sum(dim=v)), T and (lambda v: tx().sum(dim=v))),
        "x.unsqueeze": ("unsqueeze", ["unsqueeze", "dim"], _fixed(lambda v: x().unsqueeze(v)), T and (lambda v: tx().unsqueeze(v))),
        "softmax(dim)": ("softmax", ["softmax", "dim", "axis"], _fixed(lambda v: F.softmax(x(), v)), T and (lambda v: T.softmax(tx(), v))),
        "x + v": ("add", ["add", "tensor", "number", "broadcast"], _fixed(lambda v: x() + v), T and (lambda v: tx() + v)),
        "x @ v": ("matmul", ["matmul", "MatMul"], _fixed(lambda v: x() @ v), T and (lambda v: tx() @ v)),
        "cross_entropy": ("cross_entropy", ["cross_entropy"], _fixed(lambda v: F.cross_entropy(x(), v)), None),
        "mse_loss": ("mse_loss", ["mse_loss"], _fixed(lambda v: F.mse_loss(x(), v)), None),
        # gradients, optimizers, schedules (nothing may change when refused)
        "p.grad = v": ("grad", ["grad"], _with_model(lambda m, o: lambda v: setattr(m.weight, "grad", v)), None),
        "SGD(lr)": ("optim.SGD", ["SGD", "lr"], _fixed(lambda v: optim.SGD(nn.Linear(2, 2).parameters(), lr=v)),
                    T and (lambda v: T.optim.SGD(T.nn.Linear(2, 2).parameters(), lr=v))),
        "Adam(lr)": ("optim.Adam", ["Adam", "lr"], _fixed(lambda v: optim.Adam(nn.Linear(2, 2).parameters(), lr=v)),
                     T and (lambda v: T.optim.Adam(T.nn.Linear(2, 2).parameters(), lr=v))),
        "Adam(betas)": ("optim.Adam", ["Adam", "beta"], _fixed(lambda v: optim.Adam(nn.Linear(2, 2).parameters(), betas=v)),
                        T and (lambda v: T.optim.Adam(T.nn.Linear(2, 2).parameters(), betas=v))),
        "Adam(eps)": ("optim.Adam", ["Adam", "eps"], _fixed(lambda v: optim.Adam(nn.Linear(2, 2).parameters(), eps=v)),
                      T and (lambda v: T.optim.Adam(T.nn.Linear(2, 2).parameters(), eps=v))),
        "step with grad v": ("Adam.step", ["Adam", "grad", "step"],
                             _with_model(lambda m, o: lambda v: (_set_grad(m.bias, v), o.step()), grads_watched=False),
                             None),
        "opt.load_state_dict": ("Adam.load_state_dict", ["Adam", "load_state_dict", "state"],
                                _with_model(lambda m, o: o.load_state_dict), None),
        "model.load_state_dict": ("load_state_dict", ["load_state_dict", "state"],
                                  _with_model(lambda m, o: m.load_state_dict), None),
        "StepLR(step_size)": ("StepLR", ["StepLR", "step_size"],
                              _with_model(lambda m, o: lambda v: optim.lr_scheduler.StepLR(o, step_size=v)), None),
        "ExponentialLR(gamma)": ("ExponentialLR", ["ExponentialLR", "gamma"],
                                 _with_model(lambda m, o: lambda v: optim.lr_scheduler.ExponentialLR(o, gamma=v)), None),
        "CosineAnnealingLR(T_max)": ("CosineAnnealingLR", ["CosineAnnealingLR", "T_max"],
                                     _with_model(lambda m, o: lambda v: optim.lr_scheduler.CosineAnnealingLR(o, T_max=v)), None),
        # data
        "random_split(ds, v)": ("random_split", ["random_split"], _fixed(lambda v: tn.data.random_split(_ds(), v)), None),
        "DataLoader(batch_size)": ("DataLoader", ["DataLoader", "batch_size"],
                                   _fixed(lambda v: list(tn.data.DataLoader(_ds(), batch_size=v))), None),
        # checkpoints
        "tn.save(v, path)": ("tn.save", ["tn.save"], _fixed(lambda v: tn.save(v, _scratch("s.npz"))), None),
        "tn.save(sd, v)": ("tn.save", ["tn.save"], _fixed(lambda v: tn.save({"w": np.ones(2)}, v if not isinstance(v, str) else _scratch("p", v))), None),
        "tn.load(v)": ("tn.load", ["tn.load"], _fixed(lambda v: tn.load(v if not isinstance(v, str) else _scratch("missing", v))), None),
    }
    return targets


def _ds():
    return tn.data.TensorDataset(tn.ones((6, 2)), tn.zeros(6))


def _set_grad(p, value):
    """A bad gradient: arrays and tensors go in raw (as a buggy custom backward could leave
    them), anything else through the public ``.grad`` setter (which must refuse it)."""
    if isinstance(value, tn.Tensor) or isinstance(value, np.ndarray):
        p._grad = value._data if isinstance(value, tn.Tensor) else value
    else:
        p.grad = value


_SCRATCH = tempfile.mkdtemp(prefix="tinynn-fuzz-")


def _scratch(*parts):
    name = "_".join(p.replace(os.sep, "_").replace("\x00", "0") or "empty" for p in parts)
    return os.path.join(_SCRATCH, name[:100])


TARGETS = _targets()
FAMILIES = {
    "constructors": [k for k in TARGETS if "(" in k and ")(" not in k and k.split("(")[0] in
                     ("Linear", "Conv2d", "Dropout", "Embedding", "LSTM", "BatchNorm1d", "MaxPool2d", "LayerNorm")],
    "module calls": [k for k in TARGETS if ")(x)" in k],
    "ops": ["tn.tensor", "tn.zeros", "tn.randn", "tn.cat", "tn.stack", "x.reshape", "x.permute", "x.sum(dim)",
            "x.unsqueeze", "softmax(dim)", "x + v", "x @ v", "cross_entropy", "mse_loss"],
    "optimizers and schedules": ["p.grad = v", "SGD(lr)", "Adam(lr)", "Adam(betas)", "Adam(eps)", "step with grad v",
                                 "opt.load_state_dict", "model.load_state_dict", "StepLR(step_size)",
                                 "ExponentialLR(gamma)", "CosineAnnealingLR(T_max)"],
    "data": ["random_split(ds, v)", "DataLoader(batch_size)"],
    "io": ["tn.save(v, path)", "tn.save(sd, v)", "tn.load(v)"],
}


# ----------------------------------------------------------------------------- the tests
def test_every_target_is_in_a_family():
    assert sorted(k for f in FAMILIES.values() for k in f) == sorted(TARGETS)


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_every_target_against_the_whole_pool(target):
    for label, value in POOL.items():
        check(target, label, value)


@pytest.mark.parametrize("family", sorted(FAMILIES))
@FUZZ
@given(data=st.data())
def test_hypothesis_bad_values(family, data):
    target = data.draw(st.sampled_from(FAMILIES[family]), label="target")
    value = data.draw(bad_values, label="value")
    check(target, repr(value)[:40], value)


@FUZZ
@given(blob=st.binary(max_size=2000), keep=st.integers(0, 400))
def test_hypothesis_hostile_checkpoint_bytes(blob, keep):
    """Random bytes, and a real checkpoint with its tail replaced by random bytes: tn.load
    returns a value or raises ValueError naming the file; never another error, never a hang."""
    path = _scratch("blob.npz")
    good = _scratch("good.npz")
    if not os.path.exists(good):
        tn.save({"w": np.arange(30.0), "step": 3, "nested": {"a": [1, 2.5]}}, good)
    real = open(good, "rb").read()
    for data in (blob, real[:keep] + blob, real[:len(real) - keep] + blob[:keep]):
        with open(path, "wb") as f:
            f.write(data)
        outcome, result = run_bounded(lambda: tn.load(path))
        COUNTS["tried"] += 1
        assert outcome != "hang"
        if outcome == "error":
            assert isinstance(result, ValueError) and "tn.load(" in str(result), repr(result)
            COUNTS["clear error, nothing changed"] += 1
        else:
            COUNTS["accepted"] += 1


def test_zz_summary():
    """The counts for the issue's closing note (run after the others: named to sort last)."""
    summary = {"counts": dict(COUNTS), "disagreements_with_pytorch": DISAGREEMENTS}
    path = os.environ.get("TINYNN_FUZZ_SUMMARY", os.path.join(tempfile.gettempdir(), "tinynn_fuzz_summary.json"))
    with open(path, "w") as f:
        json.dump(summary, f, indent=1, default=str)
    print("\nfuzz summary:", json.dumps(dict(COUNTS)), f"({len(DISAGREEMENTS)} disagreements with PyTorch; see {path})")
    if COUNTS["tried"]:  # when run alone, the other tests did not run
        assert COUNTS["tried"] == COUNTS["accepted"] + COUNTS["clear error, nothing changed"]
