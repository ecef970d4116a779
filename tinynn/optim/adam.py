"""Adam and AdamW, with torch.optim's exact rules (bias-corrected moments, amsgrad)."""
from __future__ import annotations

from tinynn import backend
from tinynn.optim.optimizer import LIKE_PARAM, STEP, Optimizer, check_finite, check_number
from tinynn.tensor import Tensor


class Adam(Optimizer):
    """Adam with bias correction, torch.optim.Adam's rule (t counts steps from 1):

        g = grad + weight_decay · p        (L2 added to the gradient; decoupled: see AdamW)
        m = β1 m + (1 − β1) g ;  v = β2 v + (1 − β2) g²
        v_max = max(v_max, v)              (amsgrad; used in place of v below)
        p = p − lr / (1 − β1^t) · m / (sqrt(v) / sqrt(1 − β2^t) + eps)

    >>> import tinynn as tn
    >>> from tinynn import nn
    >>> w = nn.Parameter(tn.tensor([1.0]))
    >>> opt = Adam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); round(w.item(), 6)    # the first step moves by ~lr
    0.9
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                                      capturable=capturable, differentiable=differentiable, fused=fused,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _normalized(self, group):
        group = super()._normalized(group)
        betas = group.get("betas")
        if isinstance(betas, Tensor) and betas.ndim == 1:  # PyTorch indexes it: a 1-d Tensor works
            betas = betas.tolist()
        if isinstance(betas, list):
            group["betas"] = tuple(betas)
        return group

    def _check_group(self, group):
        super()._check_group(group)
        name = type(self).__name__
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)):
            raise TypeError(f"{name}: betas must be a pair of floats (beta1, beta2), e.g. betas=(0.9, 0.999); "
                            f"got {type(betas).__name__} {betas!r}")
        if len(betas) != 2:
            raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {len(betas)} values {betas!r}")
        check_number(name, "betas[0]", betas[0], high=1.0, high_open=True)
        check_number(name, "betas[1]", betas[1], high=1.0, high_open=True)
        check_finite(name, "eps", group["eps"])
        check_number(name, "weight_decay", group["weight_decay"])

    def _state_spec(self, group):
        spec = {"step": STEP, "exp_avg": LIKE_PARAM, "exp_avg_sq": LIKE_PARAM}
        if group["amsgrad"]:
            spec["max_exp_avg_sq"] = LIKE_PARAM
        return spec

    _known_state = ("max_exp_avg_sq",)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns ``closure()``'s loss."""
        loss = self._evaluate(closure)
        for group, p, grad in self._updates():
            lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
            beta1, beta2 = group["betas"]
            state = self.state[p]
            if not state:
                xp = backend.xp_of(p._data)
                state.update(step=0, exp_avg=xp.zeros_like(p._data), exp_avg_sq=xp.zeros_like(p._data))
            if group["amsgrad"] and "max_exp_avg_sq" not in state:
                state["max_exp_avg_sq"] = backend.xp_of(p._data).zeros_like(p._data)
            state["step"] += 1
            t = state["step"]
            g = -grad if group["maximize"] else grad
            if weight_decay != 0:
                if group["decoupled_weight_decay"]:
                    p._data *= 1 - lr * weight_decay  # AdamW: shrink the weights directly
                else:
                    g = g + weight_decay * p._data  # Adam: the L2 term joins the gradient
            m, v = state["exp_avg"], state["exp_avg_sq"]
            xp = backend.xp_of(v)
            # plainly: m += (1 − β1)(g − m), i.e. m = β1 m + (1 − β1) g (torch's lerp_), and
            # v = β2 v + (1 − β2) g²; written in place with one scratch array, reused for the
            # update below (fresh temporaries made the baseline benchmark's Adam step 1.15x slower)
            scratch = g - m
            scratch *= 1 - beta1
            m += scratch
            v *= beta2
            xp.multiply(g, g, out=scratch)
            scratch *= 1 - beta2
            v += scratch
            if group["amsgrad"]:
                v = state["max_exp_avg_sq"] = xp.maximum(state["max_exp_avg_sq"], v)
            step_size = lr / (1 - beta1 ** t)
            # the update, built in one array: step_size · m / (sqrt(v) / sqrt(1 − β2^t) + eps).
            update = xp.sqrt(v, out=scratch)  # (the scratch array again)
            update /= (1 - beta2 ** t) ** 0.5
            update += eps
            xp.divide(m, update, out=update)
            update *= step_size
            p._data -= update
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay (torch.optim.AdamW): first p = p · (1 − lr · wd),
    then the Adam step on the plain gradient. Default weight_decay 0.01, as PyTorch.

    >>> import tinynn as tn
    >>> from tinynn import nn
    >>> w = nn.Parameter(tn.tensor([1.0]))
    >>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
    >>> (w * w).sum().backward(); opt.step(); round(w.item(), 4)  # 1·(1-0.05) - 0.1
    0.85
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         maximize=maximize, foreach=foreach, capturable=capturable,
                         differentiable=differentiable, fused=fused, decoupled_weight_decay=True)
