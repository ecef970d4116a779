"""The ``Optimizer`` base class, with ``torch.optim.Optimizer``'s shape and meaning.

An optimizer holds ``param_groups`` (a list of dicts: ``"params"`` plus that group's
hyper-parameters, filled from ``defaults``) and ``state`` (a dict per parameter: momentum,
moments, step counts). Subclasses write ``step()`` as a plain loop over ``self._updates()``,
which yields every parameter to update *after* every gradient has been checked, so a bad
gradient raises before any parameter or state changes.

>>> import tinynn as tn
>>> from tinynn import nn, optim
>>> model = nn.Linear(2, 1)
>>> opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
>>> loss = (model(tn.ones(4, 2)) ** 2).mean()
>>> opt.zero_grad(); loss.backward(); opt.step()
>>> sorted(opt.state_dict())
['param_groups', 'state']
"""
from __future__ import annotations

import math
import numbers
import operator
import warnings
from collections import defaultdict
from collections.abc import Mapping

from tinynn import _state_dict, backend
from tinynn.modes import enable_grad
from tinynn.nn.utils import zero_grad_
from tinynn.tensor import Tensor

# Keys PyTorch added to param groups over the years; a saved group without them (an older
# checkpoint) takes this optimizer's defaults, as torch's __setstate__ does.
OPTIONAL_GROUP_KEYS = ("maximize", "foreach", "capturable", "differentiable", "fused",
                       "decoupled_weight_decay")
LIKE_PARAM, STEP = "like_param", "step"  # kinds of per-parameter state (see _state_spec)


# ------------------------------------------------------------------ hyper-parameter checks
def check_number(owner, name, value, low=0.0, high=math.inf, low_open=False, high_open=False):
    """Raise unless ``value`` is a real number in [low, high] (ends open when asked).

    >>> check_number("Adam", "eps", float("nan"))
    Traceback (most recent call last):
    ValueError: Adam: invalid eps nan: expected a number in [0.0, inf]
    """
    if not _is_real(value):
        raise TypeError(f"{owner}: {name} must be a number, got {type(value).__name__} {value!r}")
    above = value > low if low_open else value >= low
    below = value < high if high_open else value <= high
    if not (above and below):  # nan fails both comparisons
        interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise ValueError(f"{owner}: invalid {name} {value!r}: expected a number in {interval}")


def check_finite(owner, name, value, low=0.0, low_open=False):
    """Like ``check_number`` but also refuses infinity (eps, for example)."""
    check_number(owner, name, value, low=low, low_open=low_open)
    if math.isinf(value):
        raise ValueError(f"{owner}: invalid {name} {value!r}: expected a finite number")


def plain_number(value):
    """A hyper-parameter given as a one-element Tensor (or 0-d array) becomes its Python
    number, as ``float(tensor)``: PyTorch accepts ``lr=torch.tensor(0.01)``. Other values
    are returned unchanged (the checks refuse them with a message naming the optimizer).

    >>> import tinynn as tn
    >>> plain_number(tn.tensor(0.5)), plain_number(tn.tensor([2])), plain_number("abc")
    (0.5, 2, 'abc')
    """
    data = value._data if isinstance(value, Tensor) else value
    if backend.is_array(data) and data.size == 1 and data.dtype.kind in "biuf":
        return data.reshape(()).item()
    return value


def plain_numbers(group):
    """``group`` with every hyper-parameter passed through ``plain_number`` (the items of a
    tuple or list too: Adam's betas may be two Tensors, as in PyTorch)."""
    out = {}
    for key, value in group.items():
        if key in ("params", "param_names"):
            out[key] = value
        elif isinstance(value, (tuple, list)):
            out[key] = type(value)(plain_number(v) for v in value)
        else:
            out[key] = plain_number(value)
    return out


def check_choice(owner, name, value, options):
    """Raise unless ``value`` is one of ``options`` (strings, or None), compared without
    ``==`` on arrays (a Tensor given by mistake is refused, not compared elementwise).

    >>> check_choice("OneCycleLR", "anneal_strategy", "cosine", ("cos", "linear"))
    Traceback (most recent call last):
    ValueError: OneCycleLR: anneal_strategy must be one of 'cos', 'linear', got 'cosine'
    """
    if (value is None or isinstance(value, str)) and value in options:
        return value
    allowed = ", ".join(repr(o) for o in options)
    error = ValueError if isinstance(value, str) else TypeError
    text = repr(value) if isinstance(value, str) else f"{type(value).__name__} {value!r}"[:80]
    raise error(f"{owner}: {name} must be one of {allowed}, got {text}")


def check_lr(owner, lr):
    """The learning rate: a number >= 0 (PyTorch's rule)."""
    check_number(owner, "learning rate (lr)", lr)


def check_flags(owner, group):
    """PyTorch's implementation switches. tinynn has one implementation, a plain loop, so
    ``foreach``/``fused``/``capturable`` choose nothing here; ``differentiable`` would change
    the meaning (autograd through the update) and is refused."""
    if group.get("differentiable"):
        raise ValueError(f"{owner}: differentiable=True (autograd through the optimizer step) "
                         "is not supported by tinynn; leave it False")


# ------------------------------------------------------------------------------ Optimizer
class Optimizer:
    """Base class: ``param_groups``, per-parameter ``state``, ``zero_grad``, ``step`` and
    ``state_dict``/``load_state_dict`` for resuming training exactly.

    ``params`` is an iterable of Tensors, of ``(name, Tensor)`` pairs (``named_parameters()``)
    or of dicts ``{"params": [...], "lr": ...}`` to give groups their own hyper-parameters
    (the others come from ``defaults``). Parameters that do not require grad (frozen) are
    accepted and skipped by ``step``, as in fine-tuning.

    >>> from tinynn import nn
    >>> from tinynn.optim import SGD
    >>> model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    >>> opt = SGD([{"params": model[0].parameters()},
    ...            {"params": model[1].parameters(), "lr": 0.01}], lr=0.1)
    >>> [group["lr"] for group in opt.param_groups]
    [0.1, 0.01]
    """

    def __init__(self, params, defaults):
        name = type(self).__name__
        defaults = self._normalized(defaults)
        self._check_group(defaults)  # Adam(eps=nan) raises even if every group sets its own eps
        self.defaults = defaults
        self.state = defaultdict(dict)  # Tensor -> {name: array or number}, as torch's
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError(f"{name}: params must be an iterable of Tensors or dicts (e.g. "
                            "model.parameters() or [w, b]), got a single Tensor: wrap it in a list")
        try:
            groups = list(params)
        except TypeError:
            raise TypeError(f"{name}: params must be an iterable of Tensors or dicts (e.g. model.parameters()), "
                            f"got {type(params).__name__}") from None
        if not groups:
            raise ValueError(f"{name} got an empty parameter list: pass model.parameters() "
                             "after the model's layers are created")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group):
        """Add a group ``{"params": [...], **hyper-parameters}``; missing ones take the defaults.

        >>> import tinynn as tn
        >>> from tinynn.optim import SGD
        >>> opt = SGD([tn.zeros(2, requires_grad=True)], lr=0.1)
        >>> opt.add_param_group({"params": [tn.zeros(3, requires_grad=True)], "lr": 0.01})
        >>> [(len(g["params"]), g["lr"]) for g in opt.param_groups]
        [(1, 0.1), (1, 0.01)]
        """
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}.add_param_group: expected a dict with 'params', got "
                            f"{type(param_group).__name__}")
        group = dict(param_group)
        params = group.get("params")
        if isinstance(params, (set, frozenset)):
            raise TypeError(f"{name}: parameters must be in an ordered collection (a list), not "
                            "a set: a set's order changes between runs, and so would state_dict()")
        params = [params] if isinstance(params, Tensor) else list(params or [])
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        if names:
            if len(names) != len(params):
                raise ValueError(f"{name}: give every parameter a name (named_parameters()) or none")
            group["param_names"] = names
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{name}: can't optimize a non-leaf Tensor (shape {tuple(p.shape)}, "
                                 "made by an op): optimize the leaf it came from, or .detach() it")
        if len({id(p) for p in params}) != len(params):
            warnings.warn(f"{name}: a parameter group has duplicate parameters (each copy is "
                          "updated); PyTorch warns the same", stacklevel=3)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        group["params"] = params
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        group = self._normalized(group)
        self._check_group(group)
        self.param_groups.append(group)

    # -- what each optimizer defines -----------------------------------------------------
    def _normalized(self, group):
        """``group`` with hyper-parameters in their stored form (Tensors become numbers);
        runs before ``_check_group``, which only checks."""
        return plain_numbers(group)

    def _check_group(self, group):
        """Raise if a group's hyper-parameters are invalid (each optimizer adds its own)."""
        check_lr(type(self).__name__, group["lr"])
        check_flags(type(self).__name__, group)

    def _state_spec(self, group):
        """{state name: LIKE_PARAM or STEP} that a parameter of ``group`` has after a step;
        load_state_dict checks saved state against it."""
        return {}

    def step(self, closure=None):
        """Update every parameter that has a gradient, in place (each optimizer defines it)."""
        raise NotImplementedError(f"{type(self).__name__} must define step(closure=None)")

    # -- helpers for step() ---------------------------------------------------------------
    @staticmethod
    def _evaluate(closure):
        """Run ``closure`` (re-evaluates the model and returns the loss) with grad enabled."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def _updates(self):
        """[(group, param, grad)] for every parameter to update: it has a gradient and
        requires grad (frozen parameters are skipped). Every gradient is checked first, so a
        bad one raises before anything changes. (Hyper-parameters are checked where they are
        set: the constructor, add_param_group and load_state_dict, as PyTorch.)"""
        todo = []
        for group in self.param_groups:
            for p in group["params"]:
                grad, data = p._grad, p._data
                if grad is None or not p._requires_grad:
                    continue
                # the same array type (one per device), shape and dtype as the parameter
                if type(grad) is not type(data) or grad.shape != data.shape or grad.dtype != data.dtype:
                    self._grad_error(p)
                for key, value in self.state[p].items() if p in self.state else ():  # (inline: every step)
                    if type(value) is not type(data) and not isinstance(value, (int, float)) and backend.is_array(value):
                        self._state_device_error(p, key, value)
                todo.append((group, p, grad))
        return todo

    def _check_grad(self, p):
        """Raise unless p's gradient (and state) fit p: what _updates checks, for one parameter."""
        g, data = p._grad, p._data
        if type(g) is not type(data) or g.shape != data.shape or g.dtype != data.dtype:
            self._grad_error(p)
        self._check_state_device(p)

    def _check_state_device(self, p):
        for key, value in self.state.get(p, {}).items():
            if type(value) is not type(p._data) and backend.is_array(value):
                self._state_device_error(p, key, value)

    def _state_device_error(self, p, key, value):
        raise RuntimeError(f"{self._where(p)} has its state {key!r} on '{backend.device_of(value)}': "
                           "build the optimizer after model.to(device) (nothing was updated)")

    def _where(self, p):
        return (f"{type(self).__name__}.step: a parameter of shape {tuple(p.shape)} "
                f"({p.dtype}, {backend.device_of(p._data)})")

    def _grad_error(self, p):
        """Raise the clear error for a gradient that does not fit its parameter."""
        where, g = self._where(p), p._grad
        if not backend.is_array(g):
            raise TypeError(f"{where} has a gradient of type {type(g).__name__}; expected an array")
        if tuple(g.shape) != tuple(p._data.shape):
            raise RuntimeError(f"{where} has a gradient of shape {tuple(g.shape)}: a gradient must "
                               "have its parameter's shape (nothing was updated)")
        if g.dtype != p._data.dtype:
            raise TypeError(f"{where} has a {g.dtype} gradient: convert it to {p.dtype} "
                            "(nothing was updated)")
        raise RuntimeError(f"{where} has its gradient on '{backend.device_of(g)}' (nothing was updated)")

    def zero_grad(self, set_to_none=True):
        """Forget the gradients before the next backward: set them to None (the default, as
        PyTorch 2.x) or, with ``set_to_none=False``, fill them with zeros in place."""
        zero_grad_([p for group in self.param_groups for p in group["params"]], set_to_none)  # (a list: one call, a generator resumes per item)

    # -- checkpoints ----------------------------------------------------------------------
    def state_dict(self):
        """``{"state": {index: {name: value}}, "param_groups": [{..., "params": [index]}]}``,
        PyTorch's structure: parameters numbered in order across all groups. Arrays are
        copies (a snapshot that later steps do not change). ``tn.save`` writes it."""
        index, groups = {}, []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if self.state.get(p):
                    state[index[id(p)]] = {k: _snapshot(v) for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore hyper-parameters and state saved by ``state_dict`` (here or by PyTorch,
        once its tensors are arrays). Everything is checked first; on any problem it raises
        and nothing changes. Arrays are copied onto each parameter's device and dtype."""
        new_groups = self._loaded_groups(state_dict)
        new_state = self._loaded_state(state_dict["state"], new_groups)
        for group, new in zip(self.param_groups, new_groups):
            group.clear()
            group.update(new)  # the same dict objects: code holding a group keeps working
        self.state = defaultdict(dict, new_state)

    def _loaded_groups(self, state_dict):
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, Mapping) or not {"state", "param_groups"} <= set(state_dict):
            raise ValueError(f"{name}: expected a dict with 'state' and 'param_groups' "
                             "(from optimizer.state_dict())")
        saved = state_dict["param_groups"]
        if not isinstance(saved, (list, tuple)) or len(saved) != len(self.param_groups):
            count = len(saved) if isinstance(saved, (list, tuple)) else type(saved).__name__
            raise ValueError(f"{name}: the saved state has {count} parameter group(s), "
                             f"this optimizer has {len(self.param_groups)}")
        new_groups, seen = [], set()
        for i, (old, group) in enumerate(zip(saved, self.param_groups)):
            if not isinstance(old, Mapping) or not isinstance(old.get("params"), (list, tuple)):
                raise ValueError(f"{name}: saved parameter group {i} must be a dict with a 'params' "
                                 "list of indices (from optimizer.state_dict())")
            if len(old["params"]) != len(group["params"]):
                raise ValueError(f"{name}: saved group {i} has {len(old['params'])} parameters, "
                                 f"this optimizer's has {len(group['params'])}")
            indices = [_index(name, k) for k in old["params"]]
            if seen & set(indices) or len(set(indices)) != len(indices):
                raise ValueError(f"{name}: a parameter index appears twice in the saved groups")
            seen.update(indices)
            new = {k: (tuple(v) if isinstance(v, list) and k != "param_names" else v)
                   for k, v in old.items() if k != "params"}
            for key in OPTIONAL_GROUP_KEYS:
                if key in self.defaults:
                    new.setdefault(key, self.defaults[key])
            missing = [k for k in self.defaults if k not in new]
            if missing:
                raise ValueError(f"{name}: saved group {i} lacks {missing} (not a "
                                 f"{type(self).__name__} state dict?)")
            try:
                new = self._normalized(new)
                self._check_group(new)
            except (TypeError, ValueError) as error:
                raise ValueError(f"{name}: saved group {i}: {error}") from None
            new["params"] = group["params"]
            new["_indices"] = indices  # dropped again below, once the state has been matched
            new_groups.append(new)
        return new_groups

    def _loaded_state(self, saved_state, new_groups):
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(saved_state, Mapping):
            raise ValueError(f"{name}: 'state' must be a dict index -> state, got {type(saved_state).__name__}")
        owner = {}
        for group in new_groups:
            for i, p in zip(group.pop("_indices"), group["params"]):
                owner[i] = (p, group)
        new_state = {}
        for key, entries in saved_state.items():
            i = _index(name, key)
            if i not in owner:
                raise ValueError(f"{name}: state for parameter {key!r}, which no saved group has")
            if not isinstance(entries, Mapping):
                raise ValueError(f"{name}: the state of parameter {key} must be a dict, got "
                                 f"{type(entries).__name__}")
            p, group = owner[i]
            if entries:
                new_state[p] = self._loaded_param_state(p, group, dict(entries), f"{name}: parameter {key}")
        return new_state

    def _loaded_param_state(self, p, group, entries, where):
        """Check one parameter's saved state against ``_state_spec`` and convert it."""
        spec = self._state_spec(group)
        missing = [k for k in spec if k not in entries]
        unexpected = [k for k in entries if k not in spec and k not in self._known_state]
        if missing or unexpected:
            raise ValueError(f"{where}: state {sorted(entries)} lacks {missing} / has unexpected "
                             f"{unexpected} for this group's settings")
        return {k: _loaded_value(p, k, v, spec.get(k, LIKE_PARAM), where) for k, v in entries.items()}

    _known_state = ()  # state names an optimizer may hold under other settings (kept on load)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {v}" for k, v in sorted(group.items()) if k not in ("params", "param_names"))
        return "\n".join(lines + [")"])


def _is_real(value):
    """An int or float (numpy's too), not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _snapshot(value):
    """A copy later steps cannot reach (arrays, and LBFGS's lists of arrays)."""
    if isinstance(value, list):
        return [_snapshot(v) for v in value]
    return value.copy() if backend.is_array(value) else value


def _index(name, key):
    """A saved parameter index: an int (or an integer array/number, as a loader may give)."""
    try:
        if isinstance(key, bool):
            raise TypeError
        return operator.index(key)
    except TypeError:
        raise ValueError(f"{name}: parameter indices are integers, got {key!r}") from None


def _loaded_value(p, key, value, kind, where):
    """A saved state value checked and converted: a step count becomes an int, an array a
    copy with the parameter's shape, dtype and device."""
    if isinstance(value, Tensor):
        value = value._data
    if kind == STEP:  # PyTorch saves it as a 0-d float tensor, tinynn as an int
        number = value.item() if backend.is_array(value) and value.ndim == 0 else value
        if not (_is_real(number) and math.isfinite(number) and number >= 0 and number == int(number)):
            raise ValueError(f"{where}: {key!r} must be a whole number >= 0, got {value!r}")
        return int(number)
    wrong = _state_dict.problem(repr(key), value, p)  # the check Module.load_state_dict makes too
    if wrong is not None or not backend.is_array(value):
        raise ValueError(f"{where}: {(wrong or f'  {key!r}: expected an array, got {type(value).__name__}').strip()}")
    return _state_dict.converted(value, p, copy=True)
