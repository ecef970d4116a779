"""Optimizers and learning-rate schedules, with ``torch.optim``'s names and update rules.

Each ``step()`` updates the parameter arrays *in place* (``p.data -= ...``) from their
``.grad``, skipping parameters whose grad is None, and keeps its running state (momentum,
Adam's moments) in buffers that are updated in place too. Gradients are never modified:
several parameters may share one gradient array.

>>> import tinynn as tn
>>> from tinynn import nn, optim
>>> model = nn.Linear(2, 1)
>>> opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
>>> loss = (model(tn.ones(4, 2)) ** 2).mean()
>>> opt.zero_grad(); loss.backward(); opt.step()
"""
from __future__ import annotations

import math

from tinynn import backend
from tinynn.tensor import Tensor


class Optimizer:
    """Base class: ``param_groups`` (a list of dicts, each with its own 'params' and
    hyperparameters such as 'lr'), per-parameter ``state``, ``zero_grad`` and
    ``state_dict``/``load_state_dict`` for resuming training exactly.

    ``params`` is an iterable of Parameters, or of dicts ``{"params": [...], "lr": ...}``
    to give groups their own hyperparameters (the others come from ``defaults``).

    >>> from tinynn import nn
    >>> model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    >>> opt = SGD([{"params": model[0].parameters()},
    ...            {"params": model[1].parameters(), "lr": 0.01}], lr=0.1)
    >>> [group["lr"] for group in opt.param_groups]
    [0.1, 0.01]
    """

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}  # Parameter -> dict of state (keyed by identity: tensors hash by id)
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError(f"{type(self).__name__}: params must be an iterable of Tensors (e.g. "
                            "model.parameters() or [w, b]), got a single Tensor: wrap it in a list")
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list: pass "
                             "model.parameters() after the model's layers are created")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group):
        """Add a group ``{"params": [...], **hyperparameters}``; missing ones take the defaults."""
        group = dict(group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__}: can only optimise Tensors, got {type(p).__name__}")
            if not p.requires_grad:
                raise ValueError(f"{type(self).__name__}: a parameter of shape {tuple(p.shape)} does "
                                 "not require grad, so it would never be updated")
            if id(p) in seen:
                raise ValueError(f"{type(self).__name__}: a parameter appears in more than one group")
            seen.add(id(p))
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group):
        if not group["lr"] >= 0.0:
            raise ValueError(f"{type(self).__name__}: invalid learning rate {group['lr']} (must be >= 0)")

    def zero_grad(self, set_to_none=True):
        """Forget the gradients (set them to None) before the next backward pass."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad = backend.xp_of(p.grad).zeros_like(p.grad)

    def step(self):
        """Update every parameter that has a gradient, in place (each optimizer defines it)."""
        raise NotImplementedError

    # -- checkpoints ----------------------------------------------------------------------
    def state_dict(self):
        """``{"state": {index: {name: array or number}}, "param_groups": [...]}`` as PyTorch,
        parameters replaced by their index across all groups. Arrays are copies (a snapshot).
        ``tn.save`` writes it; ``load_state_dict`` restores it into a new optimizer."""
        index, groups = {}, []
        for group in self.param_groups:
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state:
                    state[index[id(p)]] = {k: (v.copy() if backend.is_array(v) else v)
                                           for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore hyperparameters and state saved by ``state_dict`` (checked first; arrays
        are copied onto each parameter's device and dtype)."""
        name = type(self).__name__
        try:
            groups, state = state_dict["param_groups"], state_dict["state"]
        except (KeyError, TypeError):
            raise ValueError(f"{name}.load_state_dict: expected a dict with 'state' and "
                             "'param_groups' (from optimizer.state_dict())") from None
        if len(groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the saved state has {len(groups)} parameter "
                             f"group(s), this optimizer has {len(self.param_groups)}")
        params = {}
        for saved, group in zip(groups, self.param_groups):
            if not isinstance(saved, dict) or not isinstance(saved.get("params"), (list, tuple)):
                raise ValueError(f"{name}.load_state_dict: every saved parameter group must be a dict "
                                 "with a 'params' list of indices (from optimizer.state_dict())")
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"{name}.load_state_dict: a saved group has {len(saved['params'])} "
                                 f"parameters, this optimizer's has {len(group['params'])}")
            params.update(zip(saved["params"], group["params"]))
        new_state = {}
        for key, entries in state.items():
            try:
                p = params.get(int(key))
            except (TypeError, ValueError):
                raise ValueError(f"{name}.load_state_dict: state keys are parameter indices, got {key!r}") from None
            if p is None:
                raise ValueError(f"{name}.load_state_dict: state for parameter {key}, which no group has")
            restored = {}
            for k, v in entries.items():
                if backend.is_array(v) or isinstance(v, backend.numpy.ndarray):
                    if v.dtype.kind not in "biuf":
                        raise ValueError(f"{name}.load_state_dict: state {k!r} of parameter {key} has "
                                         f"dtype {v.dtype}; numbers expected")
                    if v.ndim and tuple(v.shape) != tuple(p.shape):
                        raise ValueError(f"{name}.load_state_dict: state {k!r} of parameter {key} has "
                                         f"shape {tuple(v.shape)} but the parameter is {tuple(p.shape)}")
                    v = backend.to_device(v, p.device).astype(p.dtype, copy=True)
                restored[k] = v
            new_state[p] = restored
        new_groups = []
        for saved, group in zip(groups, self.param_groups):
            merged = dict(group)
            merged.update((k, tuple(v) if isinstance(v, list) else v) for k, v in saved.items() if k != "params")
            self._check_group(merged)  # a bad saved lr/betas raises here, before anything changes
            new_groups.append(merged)
        for group, merged in zip(self.param_groups, new_groups):
            group.update(merged)  # the same dicts: schedulers holding them keep working
        self.state = new_state

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params")
        return "\n".join(lines + [")"])


class SGD(Optimizer):
    """Stochastic gradient descent  [E12, E16, E25, E28], with torch.optim.SGD's exact rule:

        g = grad + weight_decay · p
        b = g (first step), else b = momentum · b + (1 − dampening) · g
        g = g + momentum · b  (nesterov)   or   g = b  (momentum)
        p = p − lr · g

    >>> import tinynn as tn
    >>> from tinynn import nn
    >>> w = nn.Parameter(tn.tensor([1.0]))
    >>> opt = SGD([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); w.data     # 1 - 0.1 * 2
    array([0.8], dtype=float32)
    """

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: nesterov=True needs momentum > 0 and dampening = 0")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def _check_group(self, group):
        super()._check_group(group)
        if group["momentum"] < 0 or group["weight_decay"] < 0:
            raise ValueError(f"SGD: momentum and weight_decay must be >= 0, got "
                             f"{group['momentum']} and {group['weight_decay']}")

    def step(self):
        """One update of every parameter that has a gradient."""
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            weight_decay, nesterov = group["weight_decay"], group["nesterov"]
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                owned = False  # True once g is a temporary we may overwrite
                g = grad
                if weight_decay != 0:
                    g = grad + weight_decay * p.data
                    owned = True
                if momentum != 0:
                    state = self.state.setdefault(p, {})
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = g if owned else g.copy()
                        owned = False  # g now lives on as the buffer
                    else:
                        buf *= momentum
                        if dampening == 0:
                            buf += g
                        else:
                            buf += (1 - dampening) * g
                    if nesterov:
                        g = g + momentum * buf
                        owned = True
                    else:
                        g, owned = buf, False
                if owned:
                    g *= lr
                    p.data -= g
                else:
                    p.data -= lr * g


class Adam(Optimizer):
    """Adam with bias correction, torch.optim.Adam's exact rule (t counts steps from 1):

        g = grad + weight_decay · p        (L2 added to the gradient; see AdamW)
        m = β1 m + (1 − β1) g ;  v = β2 v + (1 − β2) g²
        v_max = max(v_max, v)              (amsgrad; used in place of v below)
        p = p − lr / (1 − β1^t) · m / (sqrt(v) / sqrt(1 − β2^t) + eps)

    >>> import tinynn as tn
    >>> from tinynn import nn
    >>> w = nn.Parameter(tn.tensor([1.0]))
    >>> opt = Adam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); w.data     # the first step moves by ~lr
    array([0.9], dtype=float32)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad))

    _decoupled = False

    def _check_group(self, group):
        super()._check_group(group)
        b1, b2 = group["betas"]
        if not (0.0 <= b1 < 1.0 and 0.0 <= b2 < 1.0):
            raise ValueError(f"{type(self).__name__}: betas must be in [0, 1), got {group['betas']}")
        if group["eps"] < 0 or group["weight_decay"] < 0:
            raise ValueError(f"{type(self).__name__}: eps and weight_decay must be >= 0")

    def step(self):
        """One update of every parameter that has a gradient."""
        for group in self.param_groups:
            lr, eps, amsgrad = group["lr"], group["eps"], group["amsgrad"]
            weight_decay = group["weight_decay"]
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                xp = backend.xp_of(p.data)
                state = self.state.get(p)
                if state is None:
                    state = self.state[p] = {"step": 0, "exp_avg": xp.zeros_like(p.data),
                                             "exp_avg_sq": xp.zeros_like(p.data)}
                    if amsgrad:
                        state["max_exp_avg_sq"] = xp.zeros_like(p.data)
                state["step"] += 1
                t = state["step"]
                if weight_decay != 0:
                    if self._decoupled:
                        p.data *= 1 - lr * weight_decay  # AdamW: shrink the weights directly
                    else:
                        grad = grad + weight_decay * p.data  # Adam: L2 term in the gradient
                m, v = state["exp_avg"], state["exp_avg_sq"]
                tmp = grad - m                    # one scratch array, reused below
                tmp *= 1 - beta1
                m += tmp                          # m = m + (1-β1)(g - m)  (torch's lerp)
                v *= beta2
                xp.multiply(grad, grad, out=tmp)
                tmp *= 1 - beta2
                v += tmp                          # v = β2 v + (1-β2) g²
                if amsgrad:
                    v = xp.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
                step_size = lr / (1 - beta1 ** t)
                bias_correction2_sqrt = (1 - beta2 ** t) ** 0.5
                xp.sqrt(v, out=tmp)
                tmp /= bias_correction2_sqrt
                tmp += eps                        # denominator
                xp.divide(m, tmp, out=tmp)
                tmp *= step_size
                p.data -= tmp


class AdamW(Adam):
    """Adam with decoupled weight decay (torch.optim.AdamW): first p = p · (1 − lr · wd),
    then the Adam step on the plain gradient. Default weight_decay 0.01, as PyTorch.

    >>> import tinynn as tn
    >>> from tinynn import nn
    >>> w = nn.Parameter(tn.tensor([1.0]))
    >>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
    >>> (w * w).sum().backward(); opt.step(); round(float(w.data[0]), 4)  # 1·(1-0.05) - 0.1
    0.85
    """

    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)


# ----------------------------------------------------------------------------- schedules
class LRScheduler:
    """Base of the learning-rate schedules (the documents' "learning-rate adjustment").

    Call ``scheduler.step()`` once per epoch, after ``optimizer.step()``. The formulas and
    the order of floating-point operations follow torch.optim.lr_scheduler, so the learning
    rates match PyTorch's exactly. A subclass defines ``get_lr()``.

    >>> from tinynn import nn
    >>> class Halve(LRScheduler):
    ...     def get_lr(self):
    ...         return [g["lr"] * (1.0 if self._is_initial else 0.5) for g in self.optimizer.param_groups]
    >>> sched = Halve(SGD(nn.Linear(1, 1).parameters(), lr=1.0))
    >>> sched.step(); sched.step(); sched.get_last_lr()
    [0.25]
    """

    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError("param 'initial_lr' is not specified in param_groups when resuming "
                               "a scheduler with last_epoch != -1")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._is_initial = True  # the first step() made here only records the starting lr
        self.step()
        self._is_initial = False

    def get_lr(self):
        """The learning rates (one per group) for the current ``last_epoch``; subclasses define it."""
        raise NotImplementedError

    def step(self):
        """Advance one epoch and write the new learning rate into every group."""
        self._step_count += 1
        self.last_epoch += 1
        values = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        """The learning rates (one per group) set by the last ``step()``."""
        return list(self._last_lr)

    def state_dict(self):
        """Everything but the optimizer (as PyTorch)."""
        return {k: (list(v) if isinstance(v, list) else v)
                for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        """Restore the schedule's position from ``state_dict()`` (e.g. when resuming training)."""
        self.__dict__.update({k: (list(v) if isinstance(v, (list, tuple)) else v)
                              for k, v in state_dict.items()})


class StepLR(LRScheduler):
    """lr · gamma every ``step_size`` epochs.

    >>> import tinynn as tn
    >>> from tinynn import nn
    >>> opt = SGD(nn.Linear(1, 1).parameters(), lr=1.0)
    >>> sched = StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for _ in range(5):
    ...     lrs.append(sched.get_last_lr()[0]); opt.step(); sched.step()
    >>> lrs
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.step_size, self.gamma = int(step_size), gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """The current rates, multiplied by ``gamma`` at every multiple of ``step_size``."""
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]


class ExponentialLR(LRScheduler):
    """lr · gamma every epoch.

    >>> from tinynn import nn
    >>> sched = ExponentialLR(SGD(nn.Linear(1, 1).parameters(), lr=1.0), gamma=0.9)
    >>> sched.step(); sched.step(); round(sched.get_last_lr()[0], 4)
    0.81
    """

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """The current rates times ``gamma`` (unchanged at construction)."""
        if self._is_initial:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]


class CosineAnnealingLR(LRScheduler):
    """Cosine from the initial lr down to ``eta_min`` over ``T_max`` epochs (then back up):
    lr_t = eta_min + (lr_0 − eta_min)(1 + cos(π t / T_max)) / 2, computed recursively as
    PyTorch does.

    >>> from tinynn import nn
    >>> sched = CosineAnnealingLR(SGD(nn.Linear(1, 1).parameters(), lr=1.0), T_max=4)
    >>> lrs = []
    >>> for _ in range(5):
    ...     lrs.append(round(sched.get_last_lr()[0], 4)); sched.step()
    >>> lrs
    [1.0, 0.8536, 0.5, 0.1464, 0.0]
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """The next rates on the cosine curve (PyTorch's recursive form)."""
        groups, t, T = self.optimizer.param_groups, self.last_epoch, self.T_max
        if self._is_initial:
            return [group["lr"] for group in groups]
        if self._step_count == 1 and t > 0:
            return [self.eta_min + (base - self.eta_min) * (1 + math.cos(t * math.pi / T)) / 2
                    for base in self.base_lrs]
        if (t - 1 - T) % (2 * T) == 0:
            return [group["lr"] + (base - self.eta_min) * (1 - math.cos(math.pi / T)) / 2
                    for base, group in zip(self.base_lrs, groups)]
        return [(1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
                * (group["lr"] - self.eta_min) + self.eta_min for group in groups]


lr_scheduler = __import__("types").SimpleNamespace(
    LRScheduler=LRScheduler, StepLR=StepLR, ExponentialLR=ExponentialLR, CosineAnnealingLR=CosineAnnealingLR)
"""``optim.lr_scheduler.StepLR`` works too, as in PyTorch."""
