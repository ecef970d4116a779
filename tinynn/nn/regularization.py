"""L1 and L2 penalties to add to a loss (the documents' L1 / L2 regularisation).

``loss + lam * l2_penalty(model)`` gives every weight the extra gradient 2·lam·w; SGD's
``weight_decay=wd`` adds wd·w to the gradient instead, i.e. the same as lam = wd / 2.

>>> import tinynn as tn
>>> from tinynn import nn
>>> w = nn.Parameter(tn.tensor([3.0, -4.0]))
>>> l1_penalty([w]).item(), l2_penalty([w]).item()
(7.0, 25.0)
"""
from __future__ import annotations

from tinynn.nn.module import Module


def _params(params):
    params = list(params.parameters() if isinstance(params, Module) else params)
    if not params:
        raise ValueError("penalty: got no parameters (pass model.parameters() or a Module)")
    return params


def l1_penalty(params):
    """Σ |w| over every element of every parameter (a Tensor in the graph). Pushes weights
    to exactly zero (sparse models).

    >>> import tinynn as tn
    >>> from tinynn import nn
    >>> l1_penalty([nn.Parameter(tn.tensor([1.0, -2.0])), nn.Parameter(tn.tensor([-3.0]))]).item()
    6.0
    """
    params = _params(params)
    total = params[0].abs().sum()
    for p in params[1:]:
        total = total + p.abs().sum()
    return total


def l2_penalty(params):
    """Σ w² over every element of every parameter (a Tensor in the graph): the squared
    norm, without the ½ some texts put in front. Shrinks all weights towards zero.

    >>> import tinynn as tn
    >>> from tinynn import nn
    >>> model = nn.Linear(2, 1)
    >>> _ = model.weight.data.fill_(1.0), model.bias.data.fill_(2.0)  # in place, outside the graph
    >>> l2_penalty(model).item()                                   # 1 + 1 + 4
    6.0
    """
    params = _params(params)
    total = (params[0] * params[0]).sum()
    for p in params[1:]:
        total = total + (p * p).sum()
    return total
