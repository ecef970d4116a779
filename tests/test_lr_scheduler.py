"""lr_scheduler: every schedule's learning rates against torch.optim.lr_scheduler (exactly:
the same float operations in the same order), by hand where a formula is short, argument
checks, state_dict round trips (through tn.save, and between tinynn and torch), and a failed
load_state_dict that changes nothing."""
import math
import warnings

import numpy as np
import pytest

import tinynn as tn
from tinynn import nn, optim
from tinynn.optim import lr_scheduler


def two_groups(lib, opt_name="SGD", **kwargs):
    """An optimizer with two groups (lr 0.1 and 0.03) in tinynn (lib=None) or torch."""
    if lib is None:
        a, b = nn.Parameter(np.ones(1)), nn.Parameter(np.ones(1))
        return getattr(optim, opt_name)([{"params": [a]}, {"params": [b], "lr": 0.03}], lr=0.1, **kwargs)
    a, b = (lib.ones(1, requires_grad=True) for _ in range(2))
    return getattr(lib.optim, opt_name)([{"params": [a]}, {"params": [b], "lr": 0.03}], lr=0.1, **kwargs)


def _make(lib, name, kwargs, opt_name="SGD", opt_kwargs=None):
    opt = two_groups(lib, opt_name, **({"momentum": 0.9} if opt_kwargs is None else opt_kwargs))
    module = lr_scheduler if lib is None else lib.optim.lr_scheduler
    if name == "SequentialLR":
        first = module.LinearLR(opt, start_factor=0.2, total_iters=4)
        second = module.CosineAnnealingLR(opt, T_max=6, eta_min=0.001)
        third = module.ExponentialLR(opt, gamma=0.8)
        return opt, module.SequentialLR(opt, [first, second, third], milestones=[4, 9])
    if name == "LambdaLR":
        kwargs = {"lr_lambda": [lambda e: 0.95 ** e, lambda e: 1 / (1 + e)]}
    return opt, getattr(module, name)(opt, **kwargs)


SCHEDULES = [
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[2, 5, 5, 9], gamma=0.5)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=5)),
    ("CosineAnnealingLR", dict(T_max=4, eta_min=0.01)),
    ("LambdaLR", dict()),
    ("LinearLR", dict(start_factor=0.25, end_factor=0.9, total_iters=6)),
    ("OneCycleLR", dict(max_lr=[1.0, 0.5], total_steps=30)),
    ("OneCycleLR", dict(max_lr=0.3, epochs=3, steps_per_epoch=10, anneal_strategy="linear", three_phase=True)),
    ("OneCycleLR", dict(max_lr=0.3, total_steps=30, pct_start=0.5, cycle_momentum=False, div_factor=10.0)),
    ("SequentialLR", dict()),
]


def _run(opt, sched, steps, metrics=None):
    lrs, momenta = [], []
    for i in range(steps):
        lrs.append(list(sched.get_last_lr()))
        momenta.append([g.get("momentum", g.get("betas")) for g in opt.param_groups])
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[i])
    return lrs, momenta


@pytest.mark.parametrize("name,kwargs", SCHEDULES, ids=lambda v: str(v))
def test_schedules_match_torch_exactly(name, kwargs, torch):
    opt, sched = _make(None, name, kwargs)
    opt_t, sched_t = _make(torch, name, kwargs)
    assert sched.last_epoch == sched_t.last_epoch == 0
    ours, theirs = _run(opt, sched, 30), _run(opt_t, sched_t, 30)
    assert ours == theirs
    assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in opt_t.param_groups]
    assert sched.last_epoch == sched_t.last_epoch


def test_one_cycle_cycles_adams_beta1_as_torch(torch):
    kwargs = dict(max_lr=0.01, total_steps=12)
    opt, sched = _make(None, "OneCycleLR", kwargs, "Adam", {})
    opt_t, sched_t = _make(torch, "OneCycleLR", kwargs, "Adam", {})
    assert _run(opt, sched, 12) == _run(opt_t, sched_t, 12)
    with pytest.raises(ValueError, match="total_steps is 12"):
        sched.step()


METRICS = [1.0, 0.9, 0.9, 0.95, 0.9, 0.91, 0.8, 0.8, 0.8, 0.8, 0.8, 0.79999, 0.8, 0.8, 0.8, 0.8] * 2


@pytest.mark.parametrize("kwargs", [dict(factor=0.5, patience=2), dict(mode="max", patience=1, cooldown=2),
                                    dict(factor=0.3, patience=0, threshold=0.05, threshold_mode="abs",
                                         min_lr=[0.01, 0.005]),
                                    dict(patience=1, eps=0.05)], ids=str)
def test_reduce_lr_on_plateau_matches_torch(kwargs, torch):
    opt = two_groups(None)
    opt_t = two_groups(torch)
    ours = _run(opt, lr_scheduler.ReduceLROnPlateau(opt, **kwargs), len(METRICS), METRICS)
    theirs = _run(opt_t, torch.optim.lr_scheduler.ReduceLROnPlateau(opt_t, **kwargs), len(METRICS), METRICS)
    assert ours == theirs
    assert ours[0] != ours[-1]  # it did reduce


def test_reduce_lr_on_plateau_by_hand():
    opt = optim.SGD([nn.Parameter(np.ones(1))], lr=1.0)
    sched = optim.ReduceLROnPlateau(opt, factor=0.5, patience=1, cooldown=1)
    lrs = []
    for loss in [3.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 1.0]:
        sched.step(tn.tensor(loss))  # a 0-d Tensor works, as a loss
        lrs.append(sched.get_last_lr()[0])
    # two bad epochs (> patience 1) halve it; the next epoch is cooldown; then two bad again
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25]


def test_step_lr_and_cosine_by_hand():
    opt = optim.SGD([nn.Parameter(np.ones(1))], lr=1.0)
    sched = optim.StepLR(opt, step_size=2, gamma=0.1)
    lrs = []
    for _ in range(5):
        lrs.append(sched.get_last_lr()[0])
        sched.step()
    assert lrs == [1.0, 1.0, 0.1, 0.1, 1.0 * 0.1 * 0.1]
    opt = optim.SGD([nn.Parameter(np.ones(1))], lr=0.2)
    sched = optim.CosineAnnealingLR(opt, T_max=4)
    for t in range(1, 5):
        sched.step()
        assert abs(sched.get_last_lr()[0] - 0.1 * (1 + math.cos(math.pi * t / 4))) < 1e-15


def test_linear_warmup_and_lambda_by_hand():
    opt = optim.SGD([nn.Parameter(np.ones(1))], lr=2.0)
    sched = optim.LinearLR(opt, start_factor=0.5, end_factor=1.0, total_iters=4)
    lrs = [sched.get_last_lr()[0]] + [sched.step() or sched.get_last_lr()[0] for _ in range(5)]
    np.testing.assert_allclose(lrs, [1.0, 1.25, 1.5, 1.75, 2.0, 2.0], rtol=1e-15)
    opt = optim.SGD([nn.Parameter(np.ones(1))], lr=2.0)
    sched = optim.LambdaLR(opt, lambda epoch: 0.5 ** epoch)
    assert [sched.get_last_lr()[0]] + [sched.step() or sched.get_last_lr()[0] for _ in range(3)] == [2, 1, 0.5, 0.25]


def test_last_epoch_semantics_and_resuming_needs_initial_lr():
    opt = optim.SGD([nn.Parameter(np.ones(1))], lr=1.0)
    with pytest.raises(KeyError, match="initial_lr"):
        optim.StepLR(opt, step_size=2, last_epoch=3)
    sched = optim.StepLR(opt, step_size=2)
    assert sched.last_epoch == 0 and opt.param_groups[0]["initial_lr"] == 1.0
    for _ in range(3):
        sched.step()
    assert sched.last_epoch == 3 and sched.base_lrs == [1.0]


# ----------------------------------------------------------------------------- arguments
BAD = [
    ("StepLR", dict(step_size=0), "step_size"),
    ("StepLR", dict(step_size=2.5), "step_size"),
    ("StepLR", dict(step_size=2, gamma=float("nan")), "gamma"),
    ("StepLR", dict(step_size=2, last_epoch=-2), "last_epoch"),
    ("MultiStepLR", dict(milestones=[2, -1]), "milestone"),
    ("ExponentialLR", dict(gamma=-0.5), "gamma"),
    ("CosineAnnealingLR", dict(T_max=0), "T_max"),
    ("CosineAnnealingLR", dict(T_max=5, eta_min=float("inf")), "eta_min"),
    ("LambdaLR", dict(lr_lambda=3), "function"),
    ("LambdaLR", dict(lr_lambda=[lambda e: 1.0] * 2), "param groups"),
    ("LinearLR", dict(start_factor=0.0), "start_factor"),
    ("LinearLR", dict(end_factor=1.5), "end_factor"),
    ("LinearLR", dict(total_iters=0), "total_iters"),
    ("OneCycleLR", dict(max_lr=0.1), "total_steps"),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=0), "total_steps"),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=10, pct_start=1.5), "pct_start"),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=10, anneal_strategy="exp"), "anneal_strategy"),
    ("OneCycleLR", dict(max_lr=[0.1, 0.2], total_steps=10), "max_lr"),
    ("ReduceLROnPlateau", dict(factor=1.0), "factor"),
    ("ReduceLROnPlateau", dict(mode="lowest"), "mode"),
    ("ReduceLROnPlateau", dict(patience=-1), "patience"),
    ("ReduceLROnPlateau", dict(threshold_mode="pct"), "threshold_mode"),
    ("ReduceLROnPlateau", dict(min_lr=[0.1, 0.2]), "min_lr"),
]


@pytest.mark.parametrize("name,kwargs,message", BAD, ids=lambda v: str(v))
def test_bad_arguments_are_clear_errors_and_change_nothing(name, kwargs, message):
    opt = optim.SGD([nn.Parameter(np.ones(1))], lr=1.0, momentum=0.9)
    before = [dict((k, v) for k, v in g.items() if k != "params") for g in opt.param_groups]
    with pytest.raises((ValueError, TypeError), match=message) as info:
        getattr(lr_scheduler, name)(opt, **kwargs)
    assert name in str(info.value)
    assert [dict((k, v) for k, v in g.items() if k != "params") for g in opt.param_groups] == before


def test_bad_optimizers_and_sequences_are_clear_errors():
    with pytest.raises(TypeError, match="Optimizer"):
        optim.StepLR(object(), step_size=2)
    opt = optim.Adagrad([nn.Parameter(np.ones(1))])
    with pytest.raises(ValueError, match="cycle_momentum"):
        optim.OneCycleLR(opt, max_lr=0.1, total_steps=5)
    other = optim.SGD([nn.Parameter(np.ones(1))], lr=1.0)
    a, b = optim.StepLR(opt, step_size=2), optim.StepLR(other, step_size=2)
    with pytest.raises(ValueError, match="another optimizer"):
        optim.SequentialLR(opt, [a, b], milestones=[2])
    with pytest.raises(ValueError, match="milestones"):
        optim.SequentialLR(opt, [a], milestones=[2])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        optim.SequentialLR(opt, [a, optim.ReduceLROnPlateau(opt)], milestones=[2])


# ----------------------------------------------------------------------------- checkpoints
@pytest.mark.parametrize("name,kwargs", SCHEDULES, ids=lambda v: str(v))
def test_state_dict_round_trip_through_a_file(name, kwargs, tmp_path):
    opt, sched = _make(None, name, kwargs)
    _run(opt, sched, 7)
    tn.save({"optimizer": opt.state_dict(), "scheduler": sched.state_dict()}, tmp_path / "ck.npz")
    expected = _run(opt, sched, 10)
    ck = tn.load(tmp_path / "ck.npz")
    opt2, sched2 = _make(None, name, kwargs)  # build the schedule, then load (PyTorch's order)
    opt2.load_state_dict(ck["optimizer"])
    sched2.load_state_dict(ck["scheduler"])
    assert _run(opt2, sched2, 10) == expected


@pytest.mark.parametrize("name,kwargs", SCHEDULES, ids=lambda v: str(v))
def test_state_dict_crosses_between_tinynn_and_torch(name, kwargs, torch):
    opt, sched = _make(None, name, kwargs)
    opt_t, sched_t = _make(torch, name, kwargs)
    _run(opt, sched, 7)
    _run(opt_t, sched_t, 7)
    # tinynn -> torch: a fresh torch pair takes tinynn's scheduler and optimizer state
    opt_t2, sched_t2 = _make(torch, name, kwargs)
    sched_t2.load_state_dict(sched.state_dict())
    opt_t2.load_state_dict({"state": {}, "param_groups": opt.state_dict()["param_groups"]})
    # torch -> tinynn
    opt2, sched2 = _make(None, name, kwargs)
    sched2.load_state_dict(sched_t.state_dict())
    opt2.load_state_dict({"state": {}, "param_groups": opt_t.state_dict()["param_groups"]})
    expected = _run(opt, sched, 10)
    assert _run(opt_t2, sched_t2, 10) == expected
    assert _run(opt2, sched2, 10) == expected


def test_reduce_lr_on_plateau_state_round_trip(torch):
    opt = two_groups(None)
    sched = optim.ReduceLROnPlateau(opt, factor=0.5, patience=1)
    _run(opt, sched, 6, METRICS)
    opt_t = two_groups(torch)
    sched_t = torch.optim.lr_scheduler.ReduceLROnPlateau(opt_t, factor=0.5, patience=1)
    sched_t.load_state_dict(sched.state_dict())
    opt_t.load_state_dict({"state": {}, "param_groups": opt.state_dict()["param_groups"]})
    assert _run(opt, sched, 10, METRICS[6:]) == _run(opt_t, sched_t, 10, METRICS[6:])


@pytest.mark.parametrize("name,kwargs,spoil", [
    ("StepLR", dict(step_size=3), {"step_size": 0}),
    ("StepLR", dict(step_size=3), {"last_epoch": "four"}),
    ("CosineAnnealingLR", dict(T_max=5), {"T_max": -1, "last_epoch": 9}),
    ("ReduceLROnPlateau", dict(), {"mode": "sideways", "best": 0.1}),
    ("SequentialLR", dict(), {"last_epoch": 2, "_schedulers": [{"start_factor": 0.0}, {}, {}]}),
], ids=str)
def test_a_failed_load_state_dict_changes_nothing(name, kwargs, spoil):
    if name == "ReduceLROnPlateau":
        opt = two_groups(None)
        sched = optim.ReduceLROnPlateau(opt)
    else:
        opt, sched = _make(None, name, kwargs)
        _run(opt, sched, 3)
    saved = dict(sched.state_dict())
    saved.update(spoil)
    before = {k: v for k, v in sched.__dict__.items() if k != "_schedulers"}
    with pytest.raises((ValueError, TypeError), match=name):
        sched.load_state_dict(saved)
    assert {k: v for k, v in sched.__dict__.items() if k != "_schedulers"} == before


def test_no_warnings_in_ordinary_use():
    opt = two_groups(None)
    sched = optim.StepLR(opt, step_size=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            opt.step()
            sched.step()
