"""Stochastic gradient descent, with torch.optim.SGD's exact rule."""
from __future__ import annotations

from tinynn.ops.blockwise import subtract_scaled_
from tinynn.optim.optimizer import LIKE_PARAM, Optimizer, check_number


class SGD(Optimizer):
    """Stochastic gradient descent  [E12, E16, E25, E28], torch.optim.SGD's rule:

        g = grad + weight_decay · p              (g = −grad first, with maximize=True)
        b = g (first step), else b = momentum · b + (1 − dampening) · g
        g = g + momentum · b  (nesterov)   or   g = b  (momentum)
        p = p − lr · g

    >>> import tinynn as tn
    >>> from tinynn import nn
    >>> w = nn.Parameter(tn.tensor([1.0]))
    >>> opt = SGD([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); w     # 1 - 0.1 * 2
    Parameter containing:
    tensor([0.8000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                                      foreach=foreach, differentiable=differentiable, fused=fused))

    def _check_group(self, group):
        super()._check_group(group)
        check_number("SGD", "momentum", group["momentum"])
        check_number("SGD", "dampening", group["dampening"], low=-float("inf"))
        check_number("SGD", "weight_decay", group["weight_decay"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: nesterov=True needs momentum > 0 and dampening = 0, got momentum="
                             f"{group['momentum']}, dampening={group['dampening']}")

    def _state_spec(self, group):
        return {"momentum_buffer": LIKE_PARAM} if group["momentum"] != 0 else {}

    _known_state = ("momentum_buffer",)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns ``closure()``'s loss."""
        loss = self._evaluate(closure)
        last = None
        for group, p, grad in self._updates():
            if group is not last:  # a group's settings, read once for all its parameters
                last, lr, momentum, dampening = group, group["lr"], group["momentum"], group["dampening"]
                weight_decay, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
            g = -grad if maximize else grad
            if weight_decay != 0:
                g = g + weight_decay * p._data
            if momentum != 0:
                state = self.state[p]
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = g.copy()
                else:
                    buf = state["momentum_buffer"]
                    buf *= momentum
                    buf += g if dampening == 0 else (1 - dampening) * g
                buf = state["momentum_buffer"]
                g = g + momentum * buf if nesterov else buf
            subtract_scaled_(p._data, lr, g)  # p -= lr · g, block by block in cache (ops/blockwise.py)
        return loss
