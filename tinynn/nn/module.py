"""``Module``: the base of every layer and model, and ``Parameter``, a Tensor it learns.

A Module finds its parameters by itself: any ``Parameter`` or sub-``Module`` assigned as an
attribute is registered in assignment order, so ``parameters()``, ``state_dict()``,
``to(device)`` and ``train()/eval()`` reach every layer, with PyTorch's dotted names.

>>> import tinynn as tn
>>> from tinynn import nn
>>> class Tiny(nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.fc = nn.Linear(3, 2)
...     def forward(self, x):
...         return self.fc(x).relu()
>>> [name for name, p in Tiny().named_parameters()]
['fc.weight', 'fc.bias']
"""
from __future__ import annotations

from collections import OrderedDict, namedtuple

from tinynn import backend
from tinynn.nn import _checks
from tinynn.tensor import Tensor


class Parameter(Tensor):
    """A Tensor that a Module learns: ``requires_grad=True`` by default, registered
    automatically when assigned to a Module attribute.

    >>> import numpy as np
    >>> p = Parameter(np.zeros((2, 3), dtype="float32"))
    >>> p.requires_grad, p.shape
    (True, (2, 3))
    """

    def __init__(self, data, requires_grad=True, dtype=None, device=None):
        if isinstance(data, Tensor):
            data = data._data  # share the array: wrapping a tensor does not copy it
        super().__init__(data, requires_grad=requires_grad, dtype=dtype, device=device)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


def _to_arguments(args, kwargs):
    """(device, dtype) from ``Module.to``'s PyTorch forms: a device, a dtype, both, or a tensor."""
    device, dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None)
    if kwargs or len(args) > 2:
        raise TypeError(f"Module.to: unexpected arguments {sorted(kwargs) or args}; use to(device, dtype)")
    for a in args:
        if isinstance(a, Tensor):
            device, dtype = a.device, a.dtype
        elif isinstance(a, backend.device) or (isinstance(a, str) and a.split(":")[0] in backend.DEVICES):
            device = a
        elif a is not None:
            dtype = a
    return device, dtype


def _indent(text, spaces=2):
    lines = text.split("\n")
    return "\n".join([lines[0]] + [" " * spaces + line for line in lines[1:]])


class Module:
    """Base class of layers and models: define ``forward``; calling the module runs it.

    Subclasses call ``super().__init__()`` first, then assign Parameters and sub-Modules as
    attributes; they are registered in that order (it fixes the ``state_dict`` key order).

    >>> from tinynn import nn
    >>> model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
    >>> list(model.state_dict())
    ['0.weight', '0.bias', '2.weight', '2.bias']
    """

    training: bool
    _input_ranks = None  # ranks forward accepts, checked by __call__: (3, 4), or an int = at least; None: unchecked
    _input_shape = ""  # the expected input shape for that error, formatted with the module's attributes

    def __init__(self):
        d = self.__dict__
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent"] = set()
        d["_modules"] = OrderedDict()
        d["training"] = True

    # -- registration ---------------------------------------------------------------------
    def __setattr__(self, name, value):
        d = self.__dict__
        if "_parameters" not in d:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() ran: call super().__init__() "
                f"first in {type(self).__name__}.__init__")
        params, buffers, modules = d["_parameters"], d["_buffers"], d["_modules"]
        if isinstance(value, (Parameter, Module)):
            for registry in (params, buffers, modules):
                registry.pop(name, None)
            (params if isinstance(value, Parameter) else modules)[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as parameter {name!r} of "
                                f"{type(self).__name__} (nn.Parameter or None expected): wrap it, "
                                "nn.Parameter(t), or change its values with .data[...] = ...")
            params[name] = None
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module {name!r} "
                                "(nn.Module or None expected)")
            modules[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                value = Tensor(value)
            buffers[name] = value
        object.__setattr__(self, name, value)  # also a plain attribute: fast lookup in forward

    def __delattr__(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        """Register ``param`` (a Parameter, or None for an absent one such as ``bias=False``)."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter({name!r}): expected a Parameter or None, "
                            f"got {type(param).__name__}; wrap it: nn.Parameter(t)")
        setattr(self, name, param)
        if param is None:
            self._parameters[name] = None

    def register_buffer(self, name, value, persistent=True):
        """Register a non-learned array (e.g. running statistics) that ``to()`` moves and,
        when ``persistent``, ``state_dict()`` saves. Stored as a Tensor without grad."""
        if value is not None and not isinstance(value, Tensor):
            value = Tensor(value)
        setattr(self, name, value)
        self._buffers[name] = value
        if not persistent:
            self._non_persistent.add(name)

    def add_module(self, name, module):
        """Register a sub-module under ``name`` (what attribute assignment does)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module({name!r}): {type(module).__name__} is not a Module")
        setattr(self, str(name), module)
        if module is None:
            self._modules[str(name)] = None

    # -- forward ----------------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        """The computation; every subclass defines it (``module(x)`` calls it)."""
        raise NotImplementedError(f"{type(self).__name__} must define forward(self, ...)")

    def __call__(self, *args, **kwargs):
        ranks = self._input_ranks
        if args and (ranks is not None or args[0] is None):
            x = args[0]
            if not (isinstance(x, Tensor) and type(ranks) is int and x._data.ndim >= ranks):  # else the usual case
                _checks.module_input(self, x)  # None, or a tensor of the wrong rank: say so here, naming the layer
        return self.forward(*args, **kwargs)

    # -- traversal --------------------------------------------------------------------------
    def named_modules(self, prefix=""):
        """(dotted name, module) for this module ("") and every descendant, depth first."""
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self):
        """This module and all its descendants."""
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        """(name, module) for each direct sub-module, in registration order.

        >>> from tinynn import nn
        >>> [name for name, _ in nn.Sequential(nn.Linear(2, 2), nn.ReLU()).named_children()]
        ['0', '1']
        """
        for name, child in self._modules.items():
            if child is not None:
                yield name, child

    def children(self):
        """The direct sub-modules, in registration order."""
        for _, child in self.named_children():
            yield child

    def named_parameters(self, prefix="", recurse=True):
        """(dotted name, Parameter) pairs, e.g. ('0.weight', ...); each Parameter once.

        >>> from tinynn import nn
        >>> [n for n, _ in nn.Sequential(nn.Linear(2, 2)).named_parameters()]
        ['0.weight', '0.bias']
        """
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, p in module._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{module_prefix}.{name}" if module_prefix else name), p

    def parameters(self, recurse=True):
        """Every Parameter (what an optimizer takes)."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix=""):
        """(dotted name, Tensor) for every registered buffer (running statistics and the like).

        >>> import tinynn as tn
        >>> from tinynn import nn
        >>> m = nn.Module()
        >>> m.register_buffer("count", tn.zeros(1))
        >>> [name for name, _ in m.named_buffers()]
        ['count']
        """
        for module_prefix, module in self.named_modules(prefix):
            for name, b in module._buffers.items():
                if b is not None:
                    yield (f"{module_prefix}.{name}" if module_prefix else name), b

    def buffers(self):
        """Every registered buffer Tensor (see ``named_buffers``)."""
        for _, b in self.named_buffers():
            yield b

    # -- training state ---------------------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Clear the gradients of every parameter (to None, as PyTorch does by default; zeros in
        place with ``set_to_none=False``)."""
        from tinynn.nn.utils import zero_grad_  # nn.utils imports the Tensor machinery this module defines

        zero_grad_(self.parameters(), set_to_none)

    def train(self, mode=True):
        """Training mode (Dropout active) for this module and every descendant; returns self."""
        for m in self.modules():
            m.__dict__["training"] = bool(mode)
        return self

    def eval(self):
        """Evaluation mode (Dropout off); the same as ``train(False)``. Returns self."""
        return self.train(False)

    def apply(self, fn):
        """Call ``fn(module)`` on every descendant (children first) and on self; returns self
        (how custom initialisation is usually written).

        >>> from tinynn import nn
        >>> seen = []
        >>> _ = nn.Sequential(nn.Linear(1, 1), nn.ReLU()).apply(lambda m: seen.append(type(m).__name__))
        >>> seen
        ['Linear', 'ReLU', 'Sequential']
        """
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def get_submodule(self, target=""):
        """The sub-module at dotted path ``target`` ("" is self), e.g. ``"encoder.0"``.

        >>> from tinynn import nn
        >>> nn.Sequential(nn.Linear(1, 2), nn.ReLU()).get_submodule("1")
        ReLU()
        """
        module = self
        for depth, name in enumerate(target.split(".") if target else []):
            child = module._modules.get(name)
            if not isinstance(child, Module):
                path = ".".join(target.split(".")[:depth]) or "the model"
                raise AttributeError(f"get_submodule({target!r}): {path} ({type(module).__name__}) has no "
                                     f"sub-module {name!r}; it has {list(module._modules)}")
            module = child
        return module

    def get_parameter(self, target):
        """The Parameter at dotted path ``target``, e.g. ``"0.weight"``."""
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if name not in module._parameters:
            raise AttributeError(f"get_parameter({target!r}): {type(module).__name__} has no parameter {name!r}")
        return module._parameters[name]

    def get_buffer(self, target):
        """The buffer at dotted path ``target``, e.g. ``"bn.running_mean"``."""
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if name not in module._buffers:
            raise AttributeError(f"get_buffer({target!r}): {type(module).__name__} has no buffer {name!r}")
        return module._buffers[name]

    def requires_grad_(self, requires_grad=True):
        """Freeze (False) or unfreeze every parameter; returns self."""
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    # -- devices and dtypes -----------------------------------------------------------------
    def to(self, *args, **kwargs):
        """Move every parameter and buffer to ``device`` (and/or cast floating ones to
        ``dtype``) in place: the same Parameter objects get new arrays, so an optimizer
        built before the move still holds them. Returns self. PyTorch's forms:
        ``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(tensor)``, keywords.

        >>> import tinynn as tn
        >>> from tinynn import nn
        >>> layer = nn.Linear(2, 3)
        >>> w = layer.weight
        >>> layer.to(tn.float64).weight is w, w.dtype
        (True, dtype('float64'))
        """
        device, dtype = _to_arguments(args, kwargs)
        if device is not None:
            device = backend.check_device(device)
        dtype = backend.as_dtype(dtype)
        if dtype is not None and not backend.is_floating(dtype):
            raise TypeError(f"Module.to: dtype must be floating (float32 or float64), got {dtype}")

        def convert(a):
            if a is None:
                return None
            if device is not None:
                a = backend.to_device(a, device)
            if dtype is not None and backend.is_floating(a.dtype) and a.dtype != dtype:
                a = a.astype(dtype)
            return a

        for t in list(self.parameters()) + list(self.buffers()):
            t._data = convert(t._data)
            t._grad = convert(t._grad)
        return self

    def cpu(self):
        """Move every parameter and buffer to the CPU; ``to("cpu")``. Returns self."""
        return self.to("cpu")

    def cuda(self):
        """Move every parameter and buffer to the GPU (needs CuPy); ``to("cuda")``. Returns self."""
        return self.to("cuda")

    def float(self):
        """Cast floating parameters and buffers to float32; returns self."""
        return self.to(dtype="float32")

    def double(self):
        """Cast floating parameters and buffers to float64 (for gradient checks); returns self.

        >>> from tinynn import nn
        >>> nn.Linear(2, 2).double().weight.dtype
        dtype('float64')
        """
        return self.to(dtype="float64")

    # -- state dict ---------------------------------------------------------------------------
    def _state_items(self):
        """(key, Tensor) for every parameter and persistent buffer, in PyTorch's order."""
        for module_prefix, module in self.named_modules():
            entries = list(module._parameters.items()) + [
                (n, b) for n, b in module._buffers.items() if n not in module._non_persistent]
            for name, t in entries:
                if t is not None:
                    yield (f"{module_prefix}.{name}" if module_prefix else name), t

    def state_dict(self):
        """An ordered dict name -> Tensor of every parameter and persistent buffer, as in
        PyTorch: keys match PyTorch's for the same model ('0.weight', 'fc1.bias'), and each
        value is detached and *shares memory* with its parameter, so it changes as the
        optimizer updates the weights. Keep "the best weights so far" with
        ``copy.deepcopy(model.state_dict())`` (or ``{k: v.clone() ...}``), as in PyTorch.
        Save it with ``tn.save(model.state_dict(), path)``.

        >>> import tinynn as tn
        >>> m = tn.nn.Linear(2, 1); sd = m.state_dict()
        >>> with tn.no_grad(): _ = m.weight.add_(1)
        >>> bool((sd["weight"] == m.weight).all())   # shares memory, as in PyTorch
        True
        """
        return OrderedDict((key, t.detach()) for key, t in self._state_items())

    def load_state_dict(self, state_dict, strict=True):
        """Copy arrays from ``state_dict`` into the parameters and buffers, in place.

        Everything is checked before anything is copied: missing keys, unexpected keys
        (only with ``strict=True``) and shape or dtype mismatches are all reported in one
        ``StateDictError`` (a RuntimeError as in PyTorch, and a ValueError); every array is
        moved to its parameter's device and cast to its dtype before the first copy, so a
        failure changes nothing. Returns ``(missing_keys, unexpected_keys)``.

        >>> from tinynn import nn
        >>> a, b = nn.Linear(2, 2), nn.Linear(2, 2)
        >>> b.load_state_dict(a.state_dict())
        IncompatibleKeys(missing_keys=[], unexpected_keys=[])
        """
        from tinynn._state_dict import checked_values  # everything checked and converted first

        pairs, missing, unexpected = checked_values(type(self).__name__, OrderedDict(self._state_items()),
                                                    state_dict, strict)
        for _, t, array in pairs:  # then copied: nothing below can fail half-way
            t._data[...] = array
        return IncompatibleKeys(missing, unexpected)

    # -- repr -------------------------------------------------------------------------------
    def extra_repr(self):
        """What goes between the parentheses of this module's repr (override it)."""
        return ""

    def __repr__(self):
        lines = [_indent(line) for line in self.extra_repr().split("\n") if line]
        children = [f"({name}): {_indent(repr(m))}" for name, m in self._modules.items()]
        if not children:
            return f"{type(self).__name__}({', '.join(lines)})"
        body = "\n  ".join(lines + children)
        return f"{type(self).__name__}(\n  {body}\n)"

    def __dir__(self):
        return sorted(set(super().__dir__()))


class Sequential(Module):
    """Modules applied one after another; children are named '0', '1', ... (as PyTorch).

    >>> from tinynn import nn
    >>> nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    Sequential(
      (0): Linear(in_features=4, out_features=3, bias=True)
      (1): ReLU()
    )
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (dict, OrderedDict)):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                self.add_module(str(i), m)

    def forward(self, x):
        """``x`` passed through every child in order."""
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, index):
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(OrderedDict(items[index]))
        return items[index][1]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        """Add ``module`` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self


class ModuleList(Module):
    """A list of sub-modules that are registered (so their parameters are found).

    >>> from tinynn import nn
    >>> layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    >>> len(list(layers.parameters()))
    6
    """

    def __init__(self, modules=()):
        super().__init__()
        for m in modules:
            self.append(m)

    def append(self, module):
        """Add ``module`` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        """Append every module of ``modules``; returns self.

        >>> from tinynn import nn
        >>> len(nn.ModuleList([nn.ReLU()]).extend([nn.Tanh(), nn.Sigmoid()]))
        3
        """
        for m in modules:
            self.append(m)
        return self

    def __getitem__(self, index):
        values = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(values[index])
        return values[index]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())
