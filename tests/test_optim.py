"""optim: update rules by hand for two steps, trajectories against torch.optim, schedules
against torch's lr sequences, and checkpoints that resume bit-exactly."""
import math

import numpy as np
import pytest

import tinynn as tn
from tests.conftest import host
from tinynn import backend, nn, optim


def quad_step(opt, w):
    """One step on L = Σ w²: gradient 2w."""
    opt.zero_grad()
    (w * w).sum().backward()
    opt.step()


# ----------------------------------------------------------------------------- by hand
def test_sgd_momentum_weight_decay_two_steps_by_hand():
    w = nn.Parameter(np.array([1.0, -2.0]))
    opt = optim.SGD([w], lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.01)
    quad_step(opt, w)
    # step 1: g = 2w + 0.01w = 2.01w ; buffer = g ; w = w - 0.1 g
    g1 = 2.01 * np.array([1.0, -2.0])
    w1 = np.array([1.0, -2.0]) - 0.1 * g1
    np.testing.assert_allclose(w.data, w1, rtol=1e-15)
    quad_step(opt, w)
    # step 2: g = 2.01 w1 ; buffer = 0.9 g1 + (1 - 0.5) g ; w = w1 - 0.1 buffer
    g2 = 2.01 * w1
    w2 = w1 - 0.1 * (0.9 * g1 + 0.5 * g2)
    np.testing.assert_allclose(w.data, w2, rtol=1e-15)


def test_sgd_nesterov_two_steps_by_hand():
    w = nn.Parameter(np.array([3.0]))
    opt = optim.SGD([w], lr=0.1, momentum=0.5, nesterov=True)
    quad_step(opt, w)
    # g = 6, buf = 6, step direction g + 0.5 buf = 9: w = 3 - 0.9 = 2.1
    assert abs(w.data[0] - 2.1) < 1e-15
    quad_step(opt, w)
    # g = 4.2, buf = 0.5*6 + 4.2 = 7.2, direction 4.2 + 3.6 = 7.8: w = 2.1 - 0.78 = 1.32
    assert abs(w.data[0] - 1.32) < 1e-14


def test_plain_sgd_is_the_documents_update_rule():
    w = nn.Parameter(np.array([0.5, -1.0]))
    opt = optim.SGD([w], lr=0.25)
    quad_step(opt, w)  # W <- W - α ∂E/∂W  [E12]: w - 0.25 * 2w = w / 2
    np.testing.assert_array_equal(w.data, [0.25, -0.5])


def test_adam_two_steps_by_hand():
    w = nn.Parameter(np.array([1.0, -0.5]))
    lr, b1, b2, eps, wd = 0.1, 0.9, 0.99, 1e-8, 0.1
    opt = optim.Adam([w], lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd)
    x = np.array([1.0, -0.5])
    m = v = np.zeros(2)
    for t in (1, 2):
        quad_step(opt, w)
        g = 2 * x + wd * x  # Adam's weight decay is L2 added to the gradient
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        x = x - lr * m_hat / (np.sqrt(v_hat) + eps)
        np.testing.assert_allclose(w.data, x, rtol=1e-13)
    assert opt.state[w]["step"] == 2


def test_adam_amsgrad_uses_the_running_max_by_hand():
    w = nn.Parameter(np.array([2.0]))
    opt = optim.Adam([w], lr=0.5, betas=(0.0, 0.5), eps=0.0, amsgrad=True)
    quad_step(opt, w)  # g = 4: m = 4, v = 8, vmax = 8; p -= 0.5 * 4 / (sqrt(8)/sqrt(0.5)) = 0.5
    assert abs(w.data[0] - 1.5) < 1e-15
    quad_step(opt, w)  # g = 3: m = 3, v = 0.5*8 + 0.5*9 = 8.5, vmax = 8.5; /sqrt(.75)
    expected = 1.5 - 0.5 * 3 / (math.sqrt(8.5) / math.sqrt(0.75))
    assert abs(w.data[0] - expected) < 1e-15
    assert opt.state[w]["max_exp_avg_sq"][0] == 8.5


def test_adamw_decouples_weight_decay_by_hand():
    w = nn.Parameter(np.array([1.0]))
    opt = optim.AdamW([w], lr=0.1, weight_decay=0.5)
    quad_step(opt, w)  # w * (1 - 0.1*0.5) = 0.95, then the Adam step of size lr: 0.85
    assert abs(w.data[0] - 0.85) < 1e-7
    assert optim.AdamW([nn.Parameter(np.ones(1))]).defaults["weight_decay"] == 0.01


# ----------------------------------------------------------------------------- torch
CONFIGS = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.05)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.01)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
]


def _mlp_data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((16, 4)), rng.integers(0, 3, 16)


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=lambda v: str(v))
def test_trajectory_matches_torch_on_an_mlp(name, kwargs, torch):
    x, y = _mlp_data()
    tn.manual_seed(1)
    ours = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3)).double()
    tnn = torch.nn
    theirs = tnn.Sequential(tnn.Linear(4, 8), tnn.Tanh(), tnn.Linear(8, 3)).double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    opt = getattr(optim, name)(ours.parameters(), **kwargs)
    opt_t = getattr(torch.optim, name)(theirs.parameters(), **kwargs)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for _ in range(20):
        loss = nn.CrossEntropyLoss()(ours(tn.tensor(x)), tn.tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss_t = tnn.CrossEntropyLoss()(theirs(xt), yt)
        opt_t.zero_grad()
        loss_t.backward()
        opt_t.step()
        assert abs(loss.item() - loss_t.item()) < 1e-10
    for k, v in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[k], v.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name,kwargs", [CONFIGS[1], CONFIGS[4], CONFIGS[5], CONFIGS[7], CONFIGS[9]],
                         ids=lambda v: str(v))
def test_trajectory_matches_torch_float32_on_every_device(name, kwargs, device, torch):
    rng = np.random.default_rng(3)
    w0 = rng.standard_normal((3, 5)).astype("float32")
    a = rng.standard_normal((3, 5)).astype("float32")
    w = nn.Parameter(backend.to_device(w0.copy(), device))
    target = tn.Tensor(backend.to_device(a, device))
    wt = torch.tensor(w0.copy(), requires_grad=True)
    opt, opt_t = getattr(optim, name)([w], **kwargs), getattr(torch.optim, name)([wt], **kwargs)
    for _ in range(20):
        opt.zero_grad()
        ((w - target) ** 2).sum().backward()
        opt.step()
        opt_t.zero_grad()
        ((wt - torch.from_numpy(a)) ** 2).sum().backward()
        opt_t.step()
    assert w.device == device and w.dtype == np.float32
    np.testing.assert_allclose(host(w), wt.detach().numpy(), rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- mechanics
@pytest.mark.parametrize("name,kwargs", [CONFIGS[3], CONFIGS[4], CONFIGS[7], CONFIGS[9]],
                         ids=lambda v: str(v))
def test_updates_in_place_skip_none_and_never_touch_grads(name, kwargs):
    a, b = nn.Parameter(np.ones(3)), nn.Parameter(np.ones(2))
    opt = getattr(optim, name)([a, b], **kwargs)
    array = a.data
    shared = np.full(3, 0.5)
    for _ in range(3):
        a.grad = shared  # a grad array that someone else also holds
        opt.step()
    assert a.data is array  # the same array, updated in place
    np.testing.assert_array_equal(shared, 0.5)  # grads are read, never written
    np.testing.assert_array_equal(b.data, 1.0)  # grad None: skipped, no state created
    assert b not in opt.state


def test_zero_grad_sets_none_and_param_groups_have_their_own_lr():
    a, b = nn.Parameter(np.array([1.0])), nn.Parameter(np.array([1.0]))
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    opt.zero_grad()
    ((a * a).sum() + (b * b).sum()).backward()
    opt.step()
    assert a.data[0] == 1 - 0.1 * 2 and b.data[0] == 1 - 0.5 * 2
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_bad_arguments_are_clear_errors():
    p = nn.Parameter(np.ones(1))
    with pytest.raises(ValueError, match="learning rate"):
        optim.SGD([p], lr=-1)
    with pytest.raises(ValueError, match="nesterov"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="empty"):
        optim.Adam([])
    with pytest.raises(TypeError, match="single Tensor"):
        optim.Adam(p)
    with pytest.raises(ValueError, match="betas"):
        optim.Adam([p], betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="more than one group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(ValueError, match="does not require grad"):
        optim.SGD([tn.zeros(2)], lr=0.1)


@pytest.mark.parametrize("name,kwargs", [CONFIGS[4], CONFIGS[7], CONFIGS[9]], ids=lambda v: str(v))
def test_state_dict_resume_is_bit_exact(name, kwargs, tmp_path):
    x, y = _mlp_data()
    X, Y = tn.tensor(x, dtype="float32"), tn.tensor(y)

    def train(model, opt, steps):
        losses = []
        for _ in range(steps):
            loss = nn.CrossEntropyLoss()(model(X), Y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses

    def build():
        return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))

    tn.manual_seed(0)
    straight = build()
    opt = getattr(optim, name)(straight.parameters(), **kwargs)
    expected = train(straight, opt, 10)

    tn.manual_seed(0)
    first = build()
    opt1 = getattr(optim, name)(first.parameters(), **kwargs)
    got = train(first, opt1, 5)
    tn.save({"model": first.state_dict(), "optimizer": opt1.state_dict()}, tmp_path / "ck.npz")
    ck = tn.load(tmp_path / "ck.npz")
    tn.manual_seed(123)  # a different init: everything must come from the checkpoint
    resumed = build()
    resumed.load_state_dict(ck["model"])
    opt2 = getattr(optim, name)(resumed.parameters(), lr=123.0)  # hyperparameters restored too
    opt2.load_state_dict(ck["optimizer"])
    assert opt2.param_groups[0]["lr"] == kwargs["lr"]
    got += train(resumed, opt2, 5)
    assert got == expected
    for k, v in straight.state_dict().items():
        assert np.array_equal(resumed.state_dict()[k], v)


def test_load_state_dict_checks_and_copies():
    a = nn.Parameter(np.ones(3))
    opt = optim.Adam([a], lr=0.1)
    quad_step(opt, a)
    sd = opt.state_dict()
    other = optim.Adam([nn.Parameter(np.ones(3)), nn.Parameter(np.ones(3))], lr=0.1)
    with pytest.raises(ValueError, match="has 1 parameters"):
        other.load_state_dict(sd)
    with pytest.raises(ValueError, match="shape"):
        optim.Adam([nn.Parameter(np.ones(4))]).load_state_dict(sd)
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        opt.load_state_dict({"weights": 1})
    b = nn.Parameter(np.ones(3))
    twin = optim.Adam([b], lr=0.1)
    twin.load_state_dict(sd)
    assert twin.state[b]["exp_avg"] is not opt.state[a]["exp_avg"]  # no buffer sharing



@pytest.mark.parametrize("spoil", ["group without params", "state key", "string state", "bad betas"])
def test_load_state_dict_rejects_malformed_state_clearly_and_changes_nothing(spoil, device):
    a = nn.Parameter(backend.to_device(np.ones(3, dtype="float32"), device))
    opt = optim.Adam([a], lr=0.1)
    quad_step(opt, a)
    sd = opt.state_dict()
    groups, state = [dict(g) for g in sd["param_groups"]], {0: dict(sd["state"][0])}
    groups[0]["lr"] = 0.5  # a valid change that must not be applied when another part is bad
    if spoil == "group without params":
        del groups[0]["params"]
    elif spoil == "state key":
        state = {"first": state[0]}
    elif spoil == "string state":
        state[0]["exp_avg"] = np.array(["a", "b", "c"])
    else:
        groups[0]["betas"] = (0.9, 1.5)
    before = {k: host(v).copy() if backend.is_array(v) else v for k, v in opt.state[a].items()}
    with pytest.raises(ValueError, match="Adam"):
        opt.load_state_dict({"state": state, "param_groups": groups})
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[0]["betas"] == (0.9, 0.999)
    assert all(np.array_equal(host(opt.state[a][k]), v) for k, v in before.items())

def test_state_dict_moves_state_to_the_parameters_device():
    a = nn.Parameter(np.ones(3, dtype="float32"))
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    quad_step(opt, a)
    b = nn.Parameter(backend.to_device(np.ones(3, dtype="float32"), "strict"))
    twin = optim.SGD([b], lr=0.1, momentum=0.9)
    twin.load_state_dict(opt.state_dict())
    assert backend.device_of(twin.state[b]["momentum_buffer"]) == "strict"
    quad_step(twin, b)


# ----------------------------------------------------------------------------- schedules
SCHEDULES = [
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=5)),
    ("CosineAnnealingLR", dict(T_max=4, eta_min=0.01)),
]


@pytest.mark.parametrize("name,kwargs", SCHEDULES, ids=lambda v: str(v))
def test_schedules_match_torch(name, kwargs, torch):
    opt = optim.SGD([nn.Parameter(np.ones(1))], lr=0.1, momentum=0.9)
    opt_t = torch.optim.SGD([torch.ones(1, requires_grad=True)], lr=0.1, momentum=0.9)
    sched = getattr(optim.lr_scheduler, name)(opt, **kwargs)
    sched_t = getattr(torch.optim.lr_scheduler, name)(opt_t, **kwargs)
    ours, theirs = [], []
    for _ in range(23):
        ours.append(sched.get_last_lr()[0])
        theirs.append(sched_t.get_last_lr()[0])
        opt.step()
        opt_t.step()
        sched.step()
        sched_t.step()
    assert ours == theirs  # the same float operations in the same order: exactly equal
    assert opt.param_groups[0]["lr"] == opt_t.param_groups[0]["lr"]


def test_step_lr_by_hand_and_state_dict():
    opt = optim.SGD([nn.Parameter(np.ones(1))], lr=1.0)
    sched = optim.StepLR(opt, step_size=2, gamma=0.1)
    lrs = []
    for _ in range(5):
        lrs.append(sched.get_last_lr()[0])
        sched.step()
    assert lrs == [1.0, 1.0, 0.1, 0.1, 1.0 * 0.1 * 0.1]
    saved = sched.state_dict()
    assert "optimizer" not in saved and saved["last_epoch"] == 5
    opt2 = optim.SGD([nn.Parameter(np.ones(1))], lr=1.0)
    sched2 = optim.StepLR(opt2, step_size=7, gamma=0.5)
    sched2.load_state_dict(saved)
    assert sched2.step_size == 2 and sched2.last_epoch == 5


def test_cosine_by_hand():
    opt = optim.SGD([nn.Parameter(np.ones(1))], lr=0.2)
    sched = optim.CosineAnnealingLR(opt, T_max=4)
    for t in range(1, 5):
        sched.step()
        assert abs(sched.get_last_lr()[0] - 0.1 * (1 + math.cos(math.pi * t / 4))) < 1e-15
