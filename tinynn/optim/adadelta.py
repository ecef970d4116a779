"""Adadelta, with torch.optim.Adadelta's exact rule."""
from __future__ import annotations

from tinynn import backend
from tinynn.optim.optimizer import LIKE_PARAM, STEP, Optimizer, check_finite, check_number


class Adadelta(Optimizer):
    """Adadelta (Zeiler), torch.optim.Adadelta's rule:

        g = grad + weight_decay · p
        v = ρ v + (1 − ρ) g²
        Δ = sqrt(u + eps) / sqrt(v + eps) · g
        u = ρ u + (1 − ρ) Δ²
        p = p − lr · Δ

    >>> import tinynn as tn
    >>> from tinynn import nn
    >>> w = nn.Parameter(tn.tensor([1.0], dtype=tn.float64))
    >>> opt = Adadelta([w], rho=0.0, eps=1.0)
    >>> (w * w).sum().backward(); opt.step(); round(w.item(), 6)   # 1 - sqrt(1) / sqrt(5) * 2
    0.105573
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                                      capturable=capturable, foreach=foreach, differentiable=differentiable))

    def _check_group(self, group):
        super()._check_group(group)
        check_number("Adadelta", "rho", group["rho"], high=1.0)
        check_finite("Adadelta", "eps", group["eps"])
        check_number("Adadelta", "weight_decay", group["weight_decay"])

    def _state_spec(self, group):
        return {"step": STEP, "square_avg": LIKE_PARAM, "acc_delta": LIKE_PARAM}

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns ``closure()``'s loss."""
        loss = self._evaluate(closure)
        for group, p, grad in self._updates():
            rho, eps = group["rho"], group["eps"]
            xp = backend.xp_of(p._data)
            state = self.state[p]
            if not state:
                state.update(step=0, square_avg=xp.zeros_like(p._data), acc_delta=xp.zeros_like(p._data))
            state["step"] += 1
            g = -grad if group["maximize"] else grad
            if group["weight_decay"] != 0:
                g = g + group["weight_decay"] * p._data
            v, u = state["square_avg"], state["acc_delta"]
            v *= rho
            v += (1 - rho) * g * g
            delta = xp.sqrt(u + eps) / xp.sqrt(v + eps) * g
            u *= rho
            u += (1 - rho) * delta * delta
            p._data -= group["lr"] * delta
        return loss
