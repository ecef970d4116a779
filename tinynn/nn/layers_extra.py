"""More of PyTorch's layers and containers: ``Dropout2d``, ``AdaptiveAvgPool2d``,
``Unflatten``, ``ModuleDict``, ``ParameterList``, ``ParameterDict``.

>>> import tinynn as tn
>>> from tinynn import nn
>>> nn.AdaptiveAvgPool2d((1, 1))(tn.ones(2, 3, 7, 5)).shape
(2, 3, 1, 1)
"""
from __future__ import annotations

from tinynn.nn import _checks
from tinynn.nn.module import Module, Parameter
from tinynn.ops import layers_extra as _F
from tinynn.ops.shape import reshape
from tinynn.tensor import Tensor


class Dropout2d(Module):
    """Zero whole channels of (N, C, H, W) input with probability ``p`` (scaled by 1/(1 − p)
    in training); the identity in ``eval()``.

    >>> Dropout2d(0.2)
    Dropout2d(p=0.2, inplace=False)
    """

    _input_ranks = 0  # any Tensor; anything else is refused naming the layer

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        self.p = _checks.probability("Dropout2d", "p", p)
        self.inplace = bool(inplace)

    def forward(self, input):  # noqa: A002 - PyTorch's name
        _checks.batch("Dropout2d", input, (3, 4), "(N, C, H, W)")
        return _F.dropout2d(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


def _output_size(value):
    """An int, or a pair whose entries are positive ints or None (keep the input's size)."""
    def entry(layer, name, v):
        return None if v is None else _checks.positive_int(layer, name, v)

    if isinstance(value, (tuple, list)):
        return _checks.int_tuple("AdaptiveAvgPool2d", "output_size", value, 2, entry)
    return _checks.positive_int("AdaptiveAvgPool2d", "output_size", value)


class AdaptiveAvgPool2d(Module):
    """Average-pool (N, C, H, W) to ``output_size`` whatever H and W are (PyTorch's bins:
    floor(i·H/out) to ceil((i+1)·H/out)). ``(1, 1)`` is global average pooling.

    >>> AdaptiveAvgPool2d((2, None))
    AdaptiveAvgPool2d(output_size=(2, None))
    """

    _input_ranks = 0  # any Tensor; anything else is refused naming the layer

    def __init__(self, output_size):
        super().__init__()
        self.output_size = _output_size(output_size)

    def forward(self, input):  # noqa: A002
        _checks.batch("AdaptiveAvgPool2d", input, (3, 4), "(N, C, H, W) or (C, H, W)")
        return _F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size`` (the inverse of Flatten); one entry may be -1.

    >>> import tinynn as tn
    >>> Unflatten(1, (2, 5))(tn.zeros(3, 10)).shape
    (3, 2, 5)
    """

    _input_ranks = 0  # any Tensor; anything else is refused naming the layer

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim = _checks._as_int("Unflatten", "dim", dim)
        if not isinstance(unflattened_size, (tuple, list)) or not unflattened_size:
            raise TypeError(f"Unflatten: unflattened_size must be a non-empty tuple of ints, got {unflattened_size!r}")
        sizes = tuple(_checks._as_int("Unflatten", "unflattened_size", n) for n in unflattened_size)
        if sum(n == -1 for n in sizes) > 1 or any(n < -1 or n == 0 for n in sizes):
            raise ValueError(f"Unflatten: unflattened_size must hold positive ints and at most one -1, got {sizes}")
        self.unflattened_size = sizes

    def forward(self, input):  # noqa: A002
        if not isinstance(input, Tensor):
            raise TypeError(f"Unflatten: expected a Tensor, got {type(input).__name__}")
        ndim = input.ndim
        if not -ndim <= self.dim < ndim:
            raise IndexError(f"Unflatten: dim {self.dim} is out of range for an input of shape {tuple(input.shape)}")
        dim = self.dim % ndim
        size = input.shape[dim]
        known = 1
        for n in self.unflattened_size:
            known *= n if n != -1 else 1
        sizes = tuple(size // known if n == -1 else n for n in self.unflattened_size)
        product = 1
        for n in sizes:
            product *= n
        if product != size:
            raise ValueError(f"Unflatten: cannot split dim {self.dim} of size {size} (input shape "
                             f"{tuple(input.shape)}) into {self.unflattened_size}")
        return reshape(input, input.shape[:dim] + sizes + input.shape[dim + 1:])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class ModuleDict(Module):
    """An ordered dict of registered sub-modules (its keys are the state-dict prefixes).

    >>> from tinynn import nn
    >>> heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Linear(2, 3)})
    >>> list(heads), [n for n, _ in heads.named_parameters()][:2]
    (['a', 'b'], ['a.weight', 'a.bias'])
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        if not isinstance(key, str):
            raise TypeError(f"ModuleDict: keys must be strings, got {type(key).__name__}")
        self.add_module(key, module)

    def __delitem__(self, key):
        delattr(self, key)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def pop(self, key):
        """Remove ``key`` and return its module."""
        module = self._modules[key]
        del self[key]
        return module

    def clear(self):
        for key in list(self._modules):
            del self[key]

    def update(self, modules):
        """Add (name, module) pairs from a mapping or an iterable of pairs."""
        pairs = modules.items() if hasattr(modules, "items") else modules
        for pair in pairs:
            if len(pair) != 2:
                raise ValueError(f"ModuleDict.update: expected (name, module) pairs, got {pair!r}")
            self[pair[0]] = pair[1]

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleDict has no forward: call one of its modules, e.g. heads['a'](x)")


def _as_parameter(value, where):
    if isinstance(value, Parameter):
        return value
    if isinstance(value, Tensor):
        return Parameter(value)  # as PyTorch: a plain tensor becomes a Parameter
    raise TypeError(f"{where}: expected a Parameter or Tensor, got {type(value).__name__}")


class ParameterList(Module):
    """A list of registered Parameters, named '0', '1', ... in the state dict.

    >>> import tinynn as tn
    >>> ps = ParameterList([Parameter(tn.zeros(2)) for _ in range(3)])
    >>> len(ps), list(ps.state_dict())
    (3, ['0', '1', '2'])
    """

    def __init__(self, values=None):
        super().__init__()
        for v in values or ():
            self.append(v)

    def append(self, value):
        """Add a Parameter (a Tensor is wrapped) at the end; returns self."""
        setattr(self, str(len(self)), _as_parameter(value, "ParameterList.append"))
        return self

    def extend(self, values):
        for v in values:
            self.append(v)
        return self

    def __getitem__(self, index):
        values = list(self._parameters.values())
        if isinstance(index, slice):
            return ParameterList(values[index])
        return values[index]

    def __setitem__(self, index, value):
        index = range(len(self))[index]
        setattr(self, str(index), _as_parameter(value, "ParameterList"))

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())

    def extra_repr(self):
        return "\n".join(f"({i}): Parameter containing: [{p.dtype} of size {'x'.join(map(str, p.shape))}]"
                         for i, p in enumerate(self))

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ParameterList has no forward: use its parameters in your own forward")


class ParameterDict(Module):
    """An ordered dict of registered Parameters (keys are the state-dict names).

    >>> import tinynn as tn
    >>> pd = ParameterDict({"scale": Parameter(tn.ones(1))})
    >>> list(pd.state_dict()), "scale" in pd
    (['scale'], True)
    """

    def __init__(self, parameters=None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key):
        return self._parameters[key]

    def __setitem__(self, key, value):
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict: keys must be strings, got {type(key).__name__}")
        setattr(self, key, _as_parameter(value, f"ParameterDict[{key!r}]"))

    def __delitem__(self, key):
        delattr(self, key)

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters)

    def __contains__(self, key):
        return key in self._parameters

    def keys(self):
        return self._parameters.keys()

    def items(self):
        return self._parameters.items()

    def values(self):
        return self._parameters.values()

    def update(self, parameters):
        pairs = parameters.items() if hasattr(parameters, "items") else parameters
        for key, value in pairs:
            self[key] = value

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ParameterDict has no forward: use its parameters in your own forward")

