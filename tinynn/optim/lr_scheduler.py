"""Learning-rate schedules (the documents' "learning-rate adjustment"), torch.optim.lr_scheduler's.

Call ``scheduler.step()`` once per epoch (OneCycleLR: once per batch), after
``optimizer.step()``. ``get_last_lr()`` gives the rates it set last; ``last_epoch`` counts the
steps taken (-1 before construction, 0 after it, as PyTorch). Formulas and the order of
floating-point operations follow PyTorch, so the rates match it exactly. ``state_dict()``
holds everything but the optimizer (and the functions of LambdaLR).

Arguments are checked before anything changes (``StepLR(step_size=0)`` raises here, where
PyTorch divides by zero at the first step).

>>> from tinynn import nn
>>> from tinynn.optim import SGD
>>> opt = SGD(nn.Linear(1, 1).parameters(), lr=1.0)
>>> sched = StepLR(opt, step_size=2, gamma=0.5)
>>> lrs = []
>>> for _ in range(5):
...     lrs.append(sched.get_last_lr()[0]); opt.step(); sched.step()
>>> lrs
[1.0, 1.0, 0.5, 0.5, 0.25]
"""
from __future__ import annotations

import math
import numbers
import types
from bisect import bisect_right
from collections import Counter
from collections.abc import Mapping

from tinynn.optim.optimizer import Optimizer, check_choice, check_finite, check_number


# ------------------------------------------------------------------------------ checks
def _check_int(owner, name, value, low):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{owner}: {name} must be an integer >= {low}, got {value!r}")


def _check_optimizer(owner, optimizer):
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{owner}: expected an Optimizer (e.g. optim.SGD(...)), got "
                        f"{type(optimizer).__name__}")


def _per_group(owner, name, value, optimizer):
    """One value per param group: a list of that length, or one value for all (PyTorch's)."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError(f"{owner}: {name} has {len(value)} values but the optimizer has "
                             f"{len(optimizer.param_groups)} param groups")
        return list(value)
    return [value] * len(optimizer.param_groups)


# ------------------------------------------------------------------------------ base
class LRScheduler:
    """Base of the schedules: a subclass defines ``get_lr()`` (the rates for ``last_epoch``)
    and ``_check(settings)`` (raises on bad arguments, used by __init__ and load_state_dict).

    >>> from tinynn import nn
    >>> from tinynn.optim import SGD
    >>> class Halve(LRScheduler):
    ...     def get_lr(self):
    ...         return [g["lr"] * (1.0 if self._is_initial else 0.5) for g in self.optimizer.param_groups]
    >>> sched = Halve(SGD(nn.Linear(1, 1).parameters(), lr=1.0))
    >>> sched.step(); sched.step(); sched.get_last_lr()
    [0.25]
    """

    _is_initial = False  # True during the step() that __init__ makes (it only records the start)

    def __init__(self, optimizer, last_epoch=-1):
        name = type(self).__name__
        _check_optimizer(name, optimizer)
        _check_int(name, "last_epoch", last_epoch, -1)
        if last_epoch != -1:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"{name}: param 'initial_lr' is not specified in param_groups[{i}] "
                                   "when resuming a scheduler with last_epoch >= 0: load the "
                                   "optimizer's state_dict first, or leave last_epoch=-1")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self):
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def _check(self, settings):
        """Raise on invalid settings (a dict of attributes); each schedule checks its own."""

    def get_lr(self):
        """The learning rates (one per group) for the current ``last_epoch``."""
        raise NotImplementedError(f"{type(self).__name__} must define get_lr()")

    def step(self):
        """Advance one epoch and write the new learning rates into the optimizer's groups."""
        self._step_count += 1
        self._update_lr(None)

    def _update_lr(self, epoch):
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:  # closed form at a given epoch (SequentialLR restarting a schedule at 0)
            self.last_epoch = epoch
            values = self._get_closed_form_lr() if hasattr(self, "_get_closed_form_lr") else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        """The learning rates (one per group) set by the last ``step()``."""
        return list(self._last_lr)

    def state_dict(self):
        """Everything but the optimizer, as PyTorch (``tn.save`` writes it)."""
        return {k: (list(v) if isinstance(v, list) else v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        """Restore the schedule from ``state_dict()`` (checked first: nothing changes on error)."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{type(self).__name__}.load_state_dict: expected a dict from "
                            f"scheduler.state_dict(), got {type(state_dict).__name__}")
        self._check_loadable(state_dict)
        self.__dict__.update(state_dict)

    def _check_loadable(self, state_dict):
        """Raise (naming the schedule) unless ``state_dict`` merged into self is valid."""
        name = f"{type(self).__name__}.load_state_dict"
        merged = {**self.__dict__, **state_dict}
        try:
            self._check(merged)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{name}: {error}") from None
        for key in ("last_epoch", "_step_count"):
            if key in merged:
                _check_int(name, key, merged[key], -1)


# ------------------------------------------------------------------------------ schedules
class LambdaLR(LRScheduler):
    """lr = initial_lr · lr_lambda(epoch) (one function, or one per group).

    >>> from tinynn import nn
    >>> from tinynn.optim import SGD
    >>> sched = LambdaLR(SGD(nn.Linear(1, 1).parameters(), lr=1.0), lambda epoch: 1 / (epoch + 1))
    >>> sched.step(); sched.step(); sched.get_last_lr()
    [0.3333333333333333]
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        _check_optimizer("LambdaLR", optimizer)
        lambdas = _per_group("LambdaLR", "lr_lambda", lr_lambda, optimizer)
        for fn in lambdas:
            if not callable(fn):
                raise TypeError(f"LambdaLR: lr_lambda must be a function of the epoch, got {type(fn).__name__}")
        self.lr_lambdas = lambdas
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """initial_lr · lr_lambda(last_epoch) per group."""
        return [base * fn(self.last_epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs)]

    def state_dict(self):
        """As the base, with each lambda replaced by None (or a callable object's __dict__)."""
        state = {k: v for k, v in super().state_dict().items() if k != "lr_lambdas"}
        state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType) else dict(fn.__dict__)
                               for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict):
        """Restore the position; the functions stay the ones given to __init__."""
        state = dict(state_dict)
        saved = state.pop("lr_lambdas", [None] * len(self.lr_lambdas))
        if len(saved) != len(self.lr_lambdas):
            raise ValueError(f"LambdaLR.load_state_dict: {len(saved)} saved lambdas, this has "
                             f"{len(self.lr_lambdas)}")
        super().load_state_dict(state)
        for fn, attributes in zip(self.lr_lambdas, saved):
            if attributes is not None:
                fn.__dict__.update(attributes)


class StepLR(LRScheduler):
    """lr · gamma every ``step_size`` epochs (see the module example)."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self._check({"step_size": step_size, "gamma": gamma})
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def _check(self, settings):
        _check_int("StepLR", "step_size", settings["step_size"], 1)
        check_finite("StepLR", "gamma", settings["gamma"])

    def get_lr(self):
        """The current rates, multiplied by ``gamma`` at every multiple of ``step_size``."""
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """lr · gamma at each epoch listed in ``milestones``.

    >>> from tinynn import nn
    >>> from tinynn.optim import SGD
    >>> sched = MultiStepLR(SGD(nn.Linear(1, 1).parameters(), lr=1.0), milestones=[1, 3], gamma=0.5)
    >>> [sched.step() or sched.get_last_lr()[0] for _ in range(4)]
    [0.5, 0.5, 0.25, 0.25]
    """

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        if not isinstance(milestones, (list, tuple, range, Counter)):  # PyTorch takes a list too
            raise TypeError(f"MultiStepLR: milestones must be a list of epochs, e.g. [30, 80], got "
                            f"{type(milestones).__name__} {milestones!r}"[:160])
        milestones = Counter(milestones)
        self._check({"milestones": milestones, "gamma": gamma})
        self.milestones, self.gamma = milestones, gamma
        super().__init__(optimizer, last_epoch)

    def _check(self, settings):
        for m in settings["milestones"]:
            _check_int("MultiStepLR", "every milestone", m, 0)
        check_finite("MultiStepLR", "gamma", settings["gamma"])

    def get_lr(self):
        """The current rates, times gamma (per repeat) when ``last_epoch`` is a milestone."""
        if self.last_epoch not in self.milestones:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * self.gamma ** self.milestones[self.last_epoch]
                for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        milestones = sorted(self.milestones.elements())
        return [base * self.gamma ** bisect_right(milestones, self.last_epoch) for base in self.base_lrs]

    def load_state_dict(self, state_dict):
        """As the base; saved milestones (a dict epoch -> count once through tn.save) become a Counter."""
        state = dict(state_dict)
        if "milestones" in state:
            state["milestones"] = Counter({int(k): v for k, v in dict(state["milestones"]).items()})
        super().load_state_dict(state)


class ExponentialLR(LRScheduler):
    """lr · gamma every epoch.

    >>> from tinynn import nn
    >>> from tinynn.optim import SGD
    >>> sched = ExponentialLR(SGD(nn.Linear(1, 1).parameters(), lr=1.0), gamma=0.9)
    >>> sched.step(); sched.step(); round(sched.get_last_lr()[0], 4)
    0.81
    """

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self._check({"gamma": gamma})
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def _check(self, settings):
        check_finite("ExponentialLR", "gamma", settings["gamma"])

    def get_lr(self):
        """The current rates times ``gamma`` (unchanged at construction)."""
        if self._is_initial:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [base * self.gamma ** self.last_epoch for base in self.base_lrs]


class LinearLR(LRScheduler):
    """lr · factor, the factor moving linearly from ``start_factor`` to ``end_factor`` over
    ``total_iters`` epochs (a warm-up), then staying there.

    >>> from tinynn import nn
    >>> from tinynn.optim import SGD
    >>> sched = LinearLR(SGD(nn.Linear(1, 1).parameters(), lr=1.0), start_factor=0.25, total_iters=3)
    >>> [round(sched.get_last_lr()[0], 4)] + [sched.step() or round(sched.get_last_lr()[0], 4) for _ in range(4)]
    [0.25, 0.5, 0.75, 1.0, 1.0]
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1):
        self._check({"start_factor": start_factor, "end_factor": end_factor, "total_iters": total_iters})
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def _check(self, settings):
        check_number("LinearLR", "start_factor", settings["start_factor"], high=1.0, low_open=True)
        check_number("LinearLR", "end_factor", settings["end_factor"], high=1.0)
        _check_int("LinearLR", "total_iters", settings["total_iters"], 1)

    def get_lr(self):
        """The current rates times the ratio of this epoch's factor to the last one's."""
        groups = self.optimizer.param_groups
        if self.last_epoch == 0:
            return [group["lr"] * self.start_factor for group in groups]
        if self._is_initial or self.last_epoch > self.total_iters:
            return [group["lr"] for group in groups]
        span = self.end_factor - self.start_factor
        ratio = 1.0 + span / (self.total_iters * self.start_factor + (self.last_epoch - 1) * span)
        return [group["lr"] * ratio for group in groups]

    def _get_closed_form_lr(self):
        return [base * (self.start_factor + (self.end_factor - self.start_factor)
                        * min(self.total_iters, self.last_epoch) / self.total_iters)
                for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Cosine from the initial lr down to ``eta_min`` over ``T_max`` epochs (then back up):
    lr_t = eta_min + (lr_0 − eta_min)(1 + cos(π t / T_max)) / 2, computed recursively as
    PyTorch does.

    >>> from tinynn import nn
    >>> from tinynn.optim import SGD
    >>> sched = CosineAnnealingLR(SGD(nn.Linear(1, 1).parameters(), lr=1.0), T_max=4)
    >>> lrs = []
    >>> for _ in range(5):
    ...     lrs.append(round(sched.get_last_lr()[0], 4)); sched.step()
    >>> lrs
    [1.0, 0.8536, 0.5, 0.1464, 0.0]
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        self._check({"T_max": T_max, "eta_min": eta_min})
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def _check(self, settings):
        _check_int("CosineAnnealingLR", "T_max", settings["T_max"], 1)
        check_finite("CosineAnnealingLR", "eta_min", settings["eta_min"])

    def get_lr(self):
        """The next rates on the cosine curve (PyTorch's recursive form)."""
        groups, t, T, eta_min = self.optimizer.param_groups, self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return [group["lr"] for group in groups]
        if self._step_count == 1 and t > 0:  # resumed at last_epoch > 0: the closed form
            return [eta_min + (base - eta_min) * (1 + math.cos(t * math.pi / T)) / 2 for base in self.base_lrs]
        if (t - 1 - T) % (2 * T) == 0:  # at the bottom: start climbing again
            return [group["lr"] + (base - eta_min) * (1 - math.cos(math.pi / T)) / 2
                    for base, group in zip(self.base_lrs, groups)]
        return [(1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
                * (group["lr"] - eta_min) + eta_min for group in groups]

    def _get_closed_form_lr(self):
        return [self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for base in self.base_lrs]


class OneCycleLR(LRScheduler):
    """The 1cycle policy (step once per batch): lr rises from max_lr/div_factor to ``max_lr``
    over ``pct_start`` of ``total_steps``, then anneals to initial_lr/final_div_factor;
    momentum (or Adam's beta1) moves the opposite way when ``cycle_momentum``.

    >>> from tinynn import nn
    >>> from tinynn.optim import SGD
    >>> opt = SGD(nn.Linear(1, 1).parameters(), lr=0.1, momentum=0.9)
    >>> sched = OneCycleLR(opt, max_lr=1.0, total_steps=5, pct_start=0.4, anneal_strategy="linear")
    >>> [round(sched.get_last_lr()[0], 4)] + [sched.step() or round(sched.get_last_lr()[0], 4) for _ in range(4)]
    [0.04, 1.0, 0.6667, 0.3334, 0.0]
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None, pct_start=0.3,
                 anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85, max_momentum=0.95,
                 div_factor=25.0, final_div_factor=1e4, three_phase=False, last_epoch=-1):
        name = "OneCycleLR"
        _check_optimizer(name, optimizer)
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError(f"{name}: give total_steps, or both epochs and steps_per_epoch")
            _check_int(name, "epochs", epochs, 1)
            _check_int(name, "steps_per_epoch", steps_per_epoch, 1)
            total_steps = epochs * steps_per_epoch
        _check_int(name, "total_steps", total_steps, 1)
        check_number(name, "pct_start", pct_start, high=1.0, low_open=True)  # PyTorch: 0 < pct_start <= 1
        check_choice(name, "anneal_strategy", anneal_strategy, ("cos", "linear"))
        max_lrs = _per_group(name, "max_lr", max_lr, optimizer)
        for value in max_lrs:
            check_finite(name, "max_lr", value)
        check_finite(name, "div_factor", div_factor, low_open=True)
        check_finite(name, "final_div_factor", final_div_factor, low_open=True)
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(f"{name}: cycle_momentum=True needs an optimizer with momentum or "
                                 f"betas; {type(optimizer).__name__} has neither (pass cycle_momentum=False)")
            max_momentums = _per_group(name, "max_momentum", max_momentum, optimizer)
            base_momentums = _per_group(name, "base_momentum", base_momentum, optimizer)
            for value in max_momentums + base_momentums:
                check_number(name, "momentum bounds", value, high=1.0)
        self.optimizer = optimizer
        self.total_steps = total_steps
        self._anneal_func_type = anneal_strategy
        self.cycle_momentum = cycle_momentum
        up, down = float(pct_start * total_steps) - 1, float(2 * pct_start * total_steps) - 2
        self._schedule_phases = [  # PyTorch's phases: end step, and the group keys they move between
            {"end_step": up, "start_lr": "initial_lr", "end_lr": "max_lr",
             "start_momentum": "max_momentum", "end_momentum": "base_momentum"},
        ] + ([
            {"end_step": down, "start_lr": "max_lr", "end_lr": "initial_lr",
             "start_momentum": "base_momentum", "end_momentum": "max_momentum"},
            {"end_step": total_steps - 1, "start_lr": "initial_lr", "end_lr": "min_lr",
             "start_momentum": "max_momentum", "end_momentum": "max_momentum"},
        ] if three_phase else [
            {"end_step": total_steps - 1, "start_lr": "max_lr", "end_lr": "min_lr",
             "start_momentum": "base_momentum", "end_momentum": "max_momentum"},
        ])
        if last_epoch == -1:
            for group, top in zip(optimizer.param_groups, max_lrs):
                group["initial_lr"] = top / div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor
        if cycle_momentum:
            self.use_beta1 = "betas" in optimizer.defaults
            if last_epoch == -1:
                for group, high, low in zip(optimizer.param_groups, max_momentums, base_momentums):
                    if self.use_beta1:
                        group["betas"] = (high, *group["betas"][1:])
                    else:
                        group["momentum"] = high
                    group["max_momentum"], group["base_momentum"] = high, low
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start, end, pct):
        if self._anneal_func_type == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self):
        """The rate (and momentum) of the phase ``last_epoch`` falls in, interpolated."""
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"OneCycleLR: tried to step {step} times; total_steps is {self.total_steps}")
        lrs = []
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, phase in enumerate(self._schedule_phases):
                end = phase["end_step"]
                if step <= end or i == len(self._schedule_phases) - 1:
                    pct = (step - start) / (end - start)
                    lr = self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct)
                    momentum = self._anneal(group[phase["start_momentum"]], group[phase["end_momentum"]], pct) \
                        if self.cycle_momentum else None
                    break
                start = end
            lrs.append(lr)
            if self.cycle_momentum:
                if self.use_beta1:
                    group["betas"] = (momentum, *group["betas"][1:])
                else:
                    group["momentum"] = momentum
        return lrs


class SequentialLR(LRScheduler):
    """Run ``schedulers`` one after another, switching at each of ``milestones`` (epochs):
    e.g. a LinearLR warm-up, then CosineAnnealingLR.

    >>> from tinynn import nn
    >>> from tinynn.optim import SGD
    >>> opt = SGD(nn.Linear(1, 1).parameters(), lr=1.0)
    >>> warm = LinearLR(opt, start_factor=0.5, total_iters=2)
    >>> decay = ExponentialLR(opt, gamma=0.5)
    >>> sched = SequentialLR(opt, [warm, decay], milestones=[2])
    >>> [sched.get_last_lr()[0]] + [sched.step() or sched.get_last_lr()[0] for _ in range(4)]
    [0.5, 0.75, 1.0, 0.5, 0.25]
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        name = "SequentialLR"
        _check_optimizer(name, optimizer)
        schedulers, milestones = list(schedulers), list(milestones)
        if not schedulers:
            raise ValueError(f"{name}: expects at least one scheduler, got none")
        for i, s in enumerate(schedulers):
            if isinstance(s, ReduceLROnPlateau):
                raise ValueError(f"{name}: ReduceLROnPlateau (at index {i}) needs a metric in step() "
                                 "and cannot be sequenced")
            if not isinstance(s, LRScheduler):
                raise TypeError(f"{name}: schedulers[{i}] is a {type(s).__name__}, not a scheduler")
            if s.optimizer is not optimizer:
                raise ValueError(f"{name}: schedulers[{i}] ({type(s).__name__}) belongs to another optimizer")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"{name}: {len(schedulers)} schedulers need {len(schedulers) - 1} milestones, "
                             f"got {len(milestones)}")
        for m in milestones:
            _check_int(name, "every milestone", m, 0)
        if milestones != sorted(milestones):
            raise ValueError(f"{name}: milestones must be increasing, got {milestones}")
        _check_int(name, "last_epoch", last_epoch, -1)
        self._schedulers, self._milestones = schedulers, milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:  # undo what building the schedulers did
            group["lr"] = group["initial_lr"]
        for s in schedulers:
            s.last_epoch -= 1
        first = schedulers[bisect_right(milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def step(self):
        """Advance one epoch in the schedule that is current (restarted at its milestone)."""
        self.last_epoch += 1
        i = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[i]
        if i > 0 and self._milestones[i - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self):
        """Its position and every sub-schedule's ``state_dict()``."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
        """Restore the position and each sub-schedule (all checked before any changes)."""
        state = dict(state_dict)
        saved = state.pop("_schedulers", None)
        if not isinstance(saved, (list, tuple)) or len(saved) != len(self._schedulers):
            raise ValueError(f"SequentialLR.load_state_dict: expected {len(self._schedulers)} "
                             "saved schedulers under '_schedulers'")
        for i, (s, sub) in enumerate(zip(self._schedulers, saved)):  # check every part first
            try:
                s._check_loadable(dict(sub))
            except (TypeError, ValueError) as error:
                raise ValueError(f"SequentialLR.load_state_dict: schedulers[{i}]: {error}") from None
        _check_int("SequentialLR.load_state_dict", "last_epoch", state.get("last_epoch", self.last_epoch), -1)
        self.__dict__.update(state)
        for s, sub in zip(self._schedulers, saved):
            s.load_state_dict(sub)


class ReduceLROnPlateau(LRScheduler):
    """Multiply the rates by ``factor`` once the monitored metric has not improved for
    ``patience`` epochs: ``scheduler.step(val_loss)``.

    >>> from tinynn import nn
    >>> from tinynn.optim import SGD
    >>> opt = SGD(nn.Linear(1, 1).parameters(), lr=1.0)
    >>> sched = ReduceLROnPlateau(opt, factor=0.5, patience=1)
    >>> for loss in [1.0, 0.9, 0.9, 0.9, 0.9]:
    ...     sched.step(loss)
    >>> sched.get_last_lr()
    [0.5]
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
                 cooldown=0, min_lr=0, eps=1e-8):
        name = "ReduceLROnPlateau"
        _check_optimizer(name, optimizer)
        min_lrs = _per_group(name, "min_lr", min_lr, optimizer)
        self._check({"mode": mode, "factor": factor, "patience": patience, "threshold": threshold,
                     "threshold_mode": threshold_mode, "cooldown": cooldown, "min_lrs": min_lrs, "eps": eps})
        self.optimizer = optimizer
        self.factor, self.patience, self.cooldown, self.eps = factor, patience, cooldown, eps
        self.default_min_lr = None if isinstance(min_lr, (list, tuple)) else min_lr
        self.min_lrs = min_lrs
        self.mode, self.threshold, self.threshold_mode = mode, threshold, threshold_mode
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]
        self._reset()

    def _check(self, settings):
        name = "ReduceLROnPlateau"
        check_choice(name, "mode", settings["mode"], ("min", "max"))
        check_choice(name, "threshold_mode", settings["threshold_mode"], ("rel", "abs"))
        check_number(name, "factor", settings["factor"], high=1.0, high_open=True)
        _check_int(name, "patience", settings["patience"], 0)
        _check_int(name, "cooldown", settings["cooldown"], 0)
        check_finite(name, "threshold", settings["threshold"])
        check_finite(name, "eps", settings["eps"])
        for value in settings["min_lrs"]:
            check_finite(name, "min_lr", value)

    def _reset(self):
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    @property
    def in_cooldown(self):
        """True while waiting ``cooldown`` epochs after a reduction."""
        return self.cooldown_counter > 0

    def _is_better(self, a, best):
        if self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold) if self.mode == "min" else a > best * (self.threshold + 1.0)
        return a < best - self.threshold if self.mode == "min" else a > best + self.threshold

    def step(self, metrics):
        """Record this epoch's metric (e.g. the validation loss) and reduce the rates if it
        has not improved for more than ``patience`` epochs."""
        current = float(metrics)
        self.last_epoch += 1
        if self._is_better(current, self.best):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during the cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _reduce_lr(self):
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(f"ReduceLROnPlateau: the optimizer has {len(groups)} param groups but "
                                   f"min_lr has {len(self.min_lrs)} values (a group was added?)")
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs):
            old = float(group["lr"])
            new = max(old * self.factor, min_lr)
            if old - new > self.eps:
                group["lr"] = new
