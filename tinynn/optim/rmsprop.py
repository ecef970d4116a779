"""RMSprop, with torch.optim.RMSprop's exact rule."""
from __future__ import annotations

from tinynn import backend
from tinynn.optim.optimizer import LIKE_PARAM, STEP, Optimizer, check_finite, check_number


class RMSprop(Optimizer):
    """RMSprop (Hinton), torch.optim.RMSprop's rule:

        g = grad + weight_decay · p
        v = α v + (1 − α) g²
        avg = sqrt(v − ḡ²) + eps   with ḡ = α ḡ + (1 − α) g   (centered)   else   sqrt(v) + eps
        b = momentum · b + g / avg ;  p = p − lr · b     (momentum > 0)   else   p = p − lr · g / avg

    >>> import tinynn as tn
    >>> from tinynn import nn
    >>> w = nn.Parameter(tn.tensor([1.0], dtype=tn.float64))
    >>> opt = RMSprop([w], lr=0.01, alpha=0.75)
    >>> (w * w).sum().backward(); opt.step(); round(w.item(), 6)   # 1 - 0.01 * 2 / sqrt(0.25 * 4)
    0.98
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                                      weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable))

    def _check_group(self, group):
        super()._check_group(group)
        check_finite("RMSprop", "eps", group["eps"])
        check_number("RMSprop", "momentum", group["momentum"])
        check_number("RMSprop", "weight_decay", group["weight_decay"])
        check_number("RMSprop", "alpha", group["alpha"])

    def _state_spec(self, group):
        spec = {"step": STEP, "square_avg": LIKE_PARAM}
        if group["momentum"] > 0:
            spec["momentum_buffer"] = LIKE_PARAM
        if group["centered"]:
            spec["grad_avg"] = LIKE_PARAM
        return spec

    _known_state = ("momentum_buffer", "grad_avg")

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns ``closure()``'s loss."""
        loss = self._evaluate(closure)
        for group, p, grad in self._updates():
            alpha, momentum = group["alpha"], group["momentum"]
            xp = backend.xp_of(p._data)
            state = self.state[p]
            if not state:
                state.update(step=0, square_avg=xp.zeros_like(p._data))
            if momentum > 0 and "momentum_buffer" not in state:
                state["momentum_buffer"] = xp.zeros_like(p._data)
            if group["centered"] and "grad_avg" not in state:
                state["grad_avg"] = xp.zeros_like(p._data)
            state["step"] += 1
            g = -grad if group["maximize"] else grad
            if group["weight_decay"] != 0:
                g = g + group["weight_decay"] * p._data
            v = state["square_avg"]
            v *= alpha
            v += (1 - alpha) * g * g
            if group["centered"]:
                mean = state["grad_avg"]
                mean += (1 - alpha) * (g - mean)  # torch's lerp_
                avg = xp.sqrt(v - mean * mean) + group["eps"]
            else:
                avg = xp.sqrt(v) + group["eps"]
            if momentum > 0:
                buf = state["momentum_buffer"]
                buf *= momentum
                buf += g / avg
                p._data -= group["lr"] * buf
            else:
                p._data -= group["lr"] * (g / avg)
        return loss
