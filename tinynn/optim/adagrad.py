"""Adagrad, with torch.optim.Adagrad's exact rule."""
from __future__ import annotations

from tinynn import backend
from tinynn.optim.optimizer import LIKE_PARAM, STEP, Optimizer, check_finite, check_number


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.), torch.optim.Adagrad's rule (t counts steps from 1):

        g = grad + weight_decay · p
        s = s + g²                      (s starts at initial_accumulator_value)
        p = p − lr / (1 + (t − 1) · lr_decay) · g / (sqrt(s) + eps)

    As PyTorch, the state of every parameter is created with the optimizer.

    >>> import tinynn as tn
    >>> from tinynn import nn
    >>> w = nn.Parameter(tn.tensor([1.0], dtype=tn.float64))
    >>> opt = Adagrad([w], lr=0.5)
    >>> (w * w).sum().backward(); opt.step(); round(w.item(), 6)   # 1 - 0.5 * 2 / sqrt(4)
    0.5
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable, fused=fused))

    def add_param_group(self, param_group):
        """As Optimizer's; the new parameters get their accumulators at once (as the first ones)."""
        super().add_param_group(param_group)
        for p in self.param_groups[-1]["params"]:
            self._init_state(p, self.param_groups[-1])

    def _init_state(self, p, group):
        if not self.state.get(p):
            sums = backend.xp_of(p._data).full_like(p._data, group["initial_accumulator_value"])
            self.state[p].update(step=0, sum=sums)

    def _check_group(self, group):
        super()._check_group(group)
        check_number("Adagrad", "lr_decay", group["lr_decay"])
        check_number("Adagrad", "weight_decay", group["weight_decay"])
        check_finite("Adagrad", "initial_accumulator_value", group["initial_accumulator_value"])
        check_finite("Adagrad", "eps", group["eps"])

    def _state_spec(self, group):
        return {"step": STEP, "sum": LIKE_PARAM}

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns ``closure()``'s loss."""
        loss = self._evaluate(closure)
        for group, p, grad in self._updates():
            self._init_state(p, group)  # e.g. after load_state_dict of a state without it
            state = self.state[p]
            state["step"] += 1
            g = -grad if group["maximize"] else grad
            if group["weight_decay"] != 0:
                g = g + group["weight_decay"] * p._data
            clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
            s = state["sum"]
            s += g * g
            std = backend.xp_of(s).sqrt(s) + group["eps"]
            p._data -= clr * (g / std)
        return loss
