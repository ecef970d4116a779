"""Magnitude pruning, under the names of PyTorch's ``torch.nn.utils.prune``.

Pruning sets the smallest-magnitude weights to zero and keeps them there. PyTorch does it by
re-parameterising (``weight = weight_orig * weight_mask`` before every forward); tinynn keeps
the parameter itself and zeroes the pruned entries again after every optimizer step, which
keeps the model and its ``state_dict`` unchanged in shape and names:

* ``l1_unstructured(module, "weight", amount)``: the ``amount`` (fraction or count) of that
  tensor's entries with the smallest |w| are pruned (a per-layer mask);
* ``global_unstructured([(module, "weight"), ...], amount)``: one threshold over all of them
  together, so layers with many small weights lose more (a global mask);
* ``remove(module, name)``: forget the mask (the zeros stay), as PyTorch's ``remove``;
* ``Pruner(model)``: re-applies every mask of the model; call ``pruner.step()`` after
  ``optimizer.step()``, or ``pruner.attach(optimizer)`` once, or pass it to
  ``fit(callbacks=[pruner])``.

The mask is a non-persistent buffer ``<name>_mask`` on the module (1 = kept, 0 = pruned):
``model.to(...)`` moves it, ``state_dict()`` does not carry it.

>>> import tinynn as tn
>>> from tinynn import nn
>>> layer = nn.Linear(4, 2)
>>> with tn.no_grad():
...     _ = layer.weight.copy_(tn.tensor([[1., -2., 3., -4.], [5., -6., 7., -8.]]))
>>> _ = l1_unstructured(layer, "weight", amount=0.5)
>>> layer.weight.tolist()
[[0.0, 0.0, 0.0, 0.0], [5.0, -6.0, 7.0, -8.0]]
>>> sparsity(layer.weight)
0.5
"""
from __future__ import annotations

import numbers

from tinynn import backend
from tinynn.callbacks import Callback
from tinynn.modes import no_grad

__all__ = ["l1_unstructured", "global_unstructured", "remove", "is_pruned", "Pruner", "sparsity",
           "prunable_parameters"]


def _count(where, amount, total):
    """How many of ``total`` entries to prune: a fraction in [0, 1] or an int count."""
    if isinstance(amount, bool) or not isinstance(amount, numbers.Real):
        raise TypeError(f"{where}: amount must be a fraction in [0, 1] or an int count, got {amount!r}")
    if isinstance(amount, numbers.Integral):
        if not 0 <= amount <= total:
            raise ValueError(f"{where}: amount={amount} entries, but the tensor(s) hold {total}")
        return int(amount)
    if not 0.0 <= amount <= 1.0:
        raise ValueError(f"{where}: amount={amount} as a fraction must be in [0, 1]")
    return int(round(amount * total))  # PyTorch rounds the same way


def _param(where, module, name):
    p = getattr(module, "_parameters", {}).get(name)
    if p is None:
        raise ValueError(f"{where}: {type(module).__name__} has no parameter {name!r} "
                         f"(its parameters: {list(getattr(module, '_parameters', {}))})")
    return p


def _set_mask(module, name, mask):
    """Combine with an existing mask (pruning twice keeps both), store, apply."""
    p = module._parameters[name]
    key = name + "_mask"
    old = module._buffers.get(key)
    if old is not None:
        mask = mask * old._data
    module.register_buffer(key, mask.astype(p._data.dtype), persistent=False)
    with no_grad():
        p._data *= module._buffers[key]._data


def _keep_mask(scores, k):
    """1 for all but the ``k`` smallest scores (ties broken by position, as a stable sort)."""
    xp = backend.xp_of(scores)
    flat = scores.reshape(-1)
    mask = xp.ones(flat.shape, dtype=bool)
    if k:
        mask[xp.argsort(flat, kind="stable")[:k]] = False
    return mask.reshape(scores.shape)


def l1_unstructured(module, name, amount):
    """Prune the ``amount`` smallest-|w| entries of ``module.<name>`` (a per-layer mask).
    Entries already pruned count among the smallest (|0|). Returns the module (PyTorch too).

    >>> from tinynn import nn
    >>> layer = l1_unstructured(nn.Linear(10, 10), "weight", amount=0.3)
    >>> int((layer.weight.numpy() == 0).sum()), tuple(layer.weight_mask.shape)
    (30, (10, 10))
    """
    p = _param("l1_unstructured", module, name)
    k = _count("l1_unstructured", amount, p._data.size)
    _set_mask(module, name, _keep_mask(abs(p._data), k))
    return module


def global_unstructured(parameters, pruning_method="l1_unstructured", amount=0.0):
    """Prune the ``amount`` smallest-|w| entries over all ``(module, name)`` pairs together.

    ``pruning_method`` accepts "l1_unstructured" (or ``l1_unstructured`` itself); PyTorch
    passes the class ``prune.L1Unstructured`` here.

    >>> from tinynn import nn
    >>> model = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> global_unstructured([(model[0], "weight"), (model[2], "weight")], amount=0.5)
    >>> round(sparsity(model), 2)       # over the two weight matrices: 40 of 80 entries
    0.5
    """
    where = "global_unstructured"
    if pruning_method not in ("l1_unstructured", l1_unstructured, "L1Unstructured"):
        raise ValueError(f"{where}: only magnitude (L1) pruning is implemented, got pruning_method={pruning_method!r}")
    pairs = list(parameters)
    if not pairs:
        raise ValueError(f"{where}: no (module, name) pairs given")
    params = [_param(where, m, n) for m, n in pairs]
    xp = backend.xp_of(params[0]._data)
    scores = xp.concatenate([abs(p._data).reshape(-1) for p in params])
    keep = _keep_mask(scores, _count(where, amount, scores.size))
    start = 0
    for (module, name), p in zip(pairs, params):
        size = p._data.size
        _set_mask(module, name, keep[start:start + size].reshape(p._data.shape))
        start += size


def remove(module, name):
    """Make the pruning permanent: drop the mask, keep the zeros (PyTorch's ``prune.remove``).

    >>> from tinynn import nn
    >>> layer = remove(l1_unstructured(nn.Linear(3, 3), "weight", 0.5), "weight")
    >>> is_pruned(layer)
    False
    """
    key = name + "_mask"
    if key not in module._buffers:
        raise ValueError(f"remove: parameter {name!r} of {type(module).__name__} is not pruned")
    delattr(module, key)
    module._non_persistent.discard(key)
    return module


def is_pruned(module):
    """True if ``module`` or any submodule holds a pruning mask.

    >>> from tinynn import nn
    >>> is_pruned(nn.Linear(2, 2))
    False
    """
    return any(k.endswith("_mask") and k[:-5] in m._parameters for m in module.modules() for k in m._buffers)


def prunable_parameters(model, names=("weight",)):
    """``[(module, "weight"), ...]`` for every submodule with such a parameter of 2 or more
    dimensions (Linear, Conv2d, ...; biases and norm scales are usually left alone).

    >>> from tinynn import nn
    >>> [type(m).__name__ for m, _ in prunable_parameters(nn.Sequential(nn.Linear(2, 2), nn.ReLU()))]
    ['Linear']
    """
    return [(m, n) for m in model.modules() for n in names
            if m._parameters.get(n) is not None and m._parameters[n]._data.ndim >= 2]


def sparsity(obj):
    """Fraction of zero entries of a Tensor, or over a model's prunable weights.

    >>> import tinynn as tn
    >>> sparsity(tn.tensor([0.0, 1.0, 0.0, 2.0]))
    0.5
    """
    arrays = ([obj._data] if not hasattr(obj, "modules")
              else [m._parameters[n]._data for m, n in prunable_parameters(obj)])
    total = sum(a.size for a in arrays)
    return float(sum(int((a == 0).sum()) for a in arrays)) / total if total else 0.0


class Pruner(Callback):
    """Keeps a model's pruning masks applied while it is fine-tuned.

    An optimizer step moves pruned weights off zero (momentum, weight decay, gradients);
    ``step()`` puts them back. Use it one of three ways::

        pruner = Pruner(model)
        ... optimizer.step(); pruner.step()        # a hand-written loop
        pruner.attach(optimizer)                   # or: every optimizer.step() re-applies
        tn.fit(..., callbacks=[pruner])            # or: after every batch of fit

    >>> import tinynn as tn
    >>> from tinynn import nn, optim
    >>> model = nn.Linear(4, 4)
    >>> _ = l1_unstructured(model, "weight", 0.75)
    >>> opt = Pruner(model).attach(optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
    >>> model(tn.randn(8, 4)).sum().backward(); opt.step()
    >>> sparsity(model.weight)
    0.75
    """

    def __init__(self, model):
        if not hasattr(model, "modules"):
            raise TypeError(f"Pruner: expected an nn.Module, got {type(model).__name__}")
        self.model = model

    def set_context(self, model, optimizer):  # fit's model is ours; keep the one we were given
        self.optimizer = optimizer

    def step(self):
        """Zero every pruned entry again."""
        with no_grad():
            for m in self.model.modules():
                for key, mask in m._buffers.items():
                    p = m._parameters.get(key[:-5]) if key.endswith("_mask") else None
                    if p is not None:
                        p._data *= mask._data

    def attach(self, optimizer):
        """Make ``optimizer.step()`` re-apply the masks after every update; returns the optimizer."""
        inner = optimizer.step

        def step(*args, **kwargs):
            result = inner(*args, **kwargs)
            self.step()
            return result

        optimizer.step = step
        return optimizer

    def on_batch_end(self, batch, logs=None):
        self.step()
