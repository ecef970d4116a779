"""optim: update rules by hand for two steps, the mechanics every optimizer shares (in place,
grads never written, None and frozen parameters skipped, param groups, zero_grad), argument
checks, and failures that leave everything unchanged. PyTorch comparisons are in
test_optim_torch.py, schedules in test_lr_scheduler.py."""
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


def values(w):
    return host(w).copy()


# ----------------------------------------------------------------------------- by hand
def test_sgd_momentum_weight_decay_two_steps_by_hand():
    w = nn.Parameter(np.array([1.0, -2.0]))
    opt = optim.SGD([w], lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.01)
    quad_step(opt, w)
    # step 1: g = 2w + 0.01w = 2.01w ; buffer = g ; w = w - 0.1 g
    g1 = 2.01 * np.array([1.0, -2.0])
    w1 = np.array([1.0, -2.0]) - 0.1 * g1
    np.testing.assert_allclose(values(w), w1, rtol=1e-15)
    quad_step(opt, w)
    # step 2: g = 2.01 w1 ; buffer = 0.9 g1 + (1 - 0.5) g ; w = w1 - 0.1 buffer
    w2 = w1 - 0.1 * (0.9 * g1 + 0.5 * 2.01 * w1)
    np.testing.assert_allclose(values(w), w2, rtol=1e-15)


def test_sgd_nesterov_two_steps_by_hand():
    w = nn.Parameter(np.array([3.0]))
    opt = optim.SGD([w], lr=0.1, momentum=0.5, nesterov=True)
    quad_step(opt, w)
    # g = 6, buf = 6, step direction g + 0.5 buf = 9: w = 3 - 0.9 = 2.1
    assert abs(values(w)[0] - 2.1) < 1e-15
    quad_step(opt, w)
    # g = 4.2, buf = 0.5*6 + 4.2 = 7.2, direction 4.2 + 3.6 = 7.8: w = 2.1 - 0.78 = 1.32
    assert abs(values(w)[0] - 1.32) < 1e-14


def test_plain_sgd_is_the_documents_update_rule_and_maximize_flips_it():
    w = nn.Parameter(np.array([0.5, -1.0]))
    quad_step(optim.SGD([w], lr=0.25), w)  # W <- W - α ∂E/∂W  [E12]: w - 0.25 * 2w = w / 2
    np.testing.assert_array_equal(values(w), [0.25, -0.5])
    quad_step(optim.SGD([w], lr=0.25, maximize=True), w)  # ascent: w + 0.25 * 2w = 1.5 w
    np.testing.assert_array_equal(values(w), [0.375, -0.75])


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
        np.testing.assert_allclose(values(w), x, rtol=1e-13)
    assert opt.state[w]["step"] == 2


def test_adam_amsgrad_uses_the_running_max_by_hand():
    w = nn.Parameter(np.array([2.0]))
    opt = optim.Adam([w], lr=0.5, betas=(0.0, 0.5), eps=0.0, amsgrad=True)
    quad_step(opt, w)  # g = 4: m = 4, v = 8, vmax = 8; p -= 0.5 * 4 / (sqrt(8)/sqrt(0.5)) = 0.5
    assert abs(values(w)[0] - 1.5) < 1e-15
    quad_step(opt, w)  # g = 3: m = 3, v = 0.5*8 + 0.5*9 = 8.5, vmax = 8.5; /sqrt(.75)
    expected = 1.5 - 0.5 * 3 / (math.sqrt(8.5) / math.sqrt(0.75))
    assert abs(values(w)[0] - expected) < 1e-15
    assert host(opt.state[w]["max_exp_avg_sq"])[0] == 8.5


def test_adamw_decouples_weight_decay_by_hand():
    w = nn.Parameter(np.array([1.0]))
    opt = optim.AdamW([w], lr=0.1, weight_decay=0.5)
    quad_step(opt, w)  # w * (1 - 0.1*0.5) = 0.95, then the Adam step of size lr: 0.85
    assert abs(values(w)[0] - 0.85) < 1e-7
    assert optim.AdamW([nn.Parameter(np.ones(1))]).defaults["weight_decay"] == 0.01
    # Adam(decoupled_weight_decay=True) is AdamW, as in PyTorch 2.x
    u = nn.Parameter(np.array([1.0]))
    quad_step(optim.Adam([u], lr=0.1, weight_decay=0.5, decoupled_weight_decay=True), u)
    assert values(u)[0] == values(w)[0]


def test_rmsprop_centered_momentum_two_steps_by_hand():
    w = nn.Parameter(np.array([1.0, -3.0]))
    lr, alpha, eps, mom = 0.01, 0.9, 1e-8, 0.5
    opt = optim.RMSprop([w], lr=lr, alpha=alpha, eps=eps, momentum=mom, centered=True)
    x, v, mean, buf = np.array([1.0, -3.0]), np.zeros(2), np.zeros(2), np.zeros(2)
    for _ in range(2):
        quad_step(opt, w)
        g = 2 * x
        v = alpha * v + (1 - alpha) * g ** 2
        mean = alpha * mean + (1 - alpha) * g
        buf = mom * buf + g / (np.sqrt(v - mean ** 2) + eps)
        x = x - lr * buf
        np.testing.assert_allclose(values(w), x, rtol=1e-13)


def test_adagrad_lr_decay_two_steps_by_hand():
    w = nn.Parameter(np.array([2.0]))
    opt = optim.Adagrad([w], lr=0.5, lr_decay=0.5, initial_accumulator_value=1.0, eps=0.0)
    assert opt.state[w]["step"] == 0 and host(opt.state[w]["sum"])[0] == 1.0  # made up front, as torch
    quad_step(opt, w)  # g = 4, s = 1 + 16 = 17, clr = 0.5: w = 2 - 0.5 * 4 / sqrt(17)
    x1 = 2 - 0.5 * 4 / math.sqrt(17)
    assert abs(values(w)[0] - x1) < 1e-15
    quad_step(opt, w)  # g = 2 x1, s = 17 + g², clr = 0.5 / (1 + 0.5)
    g = 2 * x1
    assert abs(values(w)[0] - (x1 - 0.5 / 1.5 * g / math.sqrt(17 + g * g))) < 1e-15


def test_adadelta_two_steps_by_hand():
    w = nn.Parameter(np.array([1.0]))
    rho, eps, lr = 0.5, 0.01, 2.0
    opt = optim.Adadelta([w], lr=lr, rho=rho, eps=eps)
    x, v, u = 1.0, 0.0, 0.0
    for _ in range(2):
        quad_step(opt, w)
        g = 2 * x
        v = rho * v + (1 - rho) * g * g
        delta = math.sqrt(u + eps) / math.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        x = x - lr * delta
        assert abs(values(w)[0] - x) < 1e-15


def test_lbfgs_solves_a_quadratic_exactly():
    # L = ½ wᵀAw − bᵀw has its minimum at A⁻¹b; L-BFGS with a line search gets there.
    rng = np.random.default_rng(0)
    m = rng.standard_normal((4, 4))
    a_np, b_np = m @ m.T + 4 * np.eye(4), rng.standard_normal(4)
    A, b = tn.tensor(a_np), tn.tensor(b_np)
    for line_search in (None, "strong_wolfe"):
        w = nn.Parameter(np.zeros(4))
        opt = optim.LBFGS([w], lr=1, max_iter=50, line_search_fn=line_search,
                          tolerance_grad=1e-12, tolerance_change=1e-15)

        def closure():
            opt.zero_grad()
            loss = ((0.5 * (A @ w) - b) * w).sum()  # ½ wᵀAw − bᵀw
            loss.backward()
            return loss

        opt.step(closure)
        opt.step(closure)
        np.testing.assert_allclose(values(w), np.linalg.solve(a_np, b_np), rtol=1e-6, atol=1e-8)


# ----------------------------------------------------------------------------- mechanics
EVERY = [
    ("SGD", dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.05)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1)),
    ("Adadelta", dict(lr=0.5, weight_decay=0.1)),
]


@pytest.mark.parametrize("name,kwargs", EVERY, ids=lambda v: str(v))
def test_updates_in_place_skip_none_and_frozen_and_never_touch_grads(name, kwargs):
    a, b, frozen = nn.Parameter(np.ones(3)), nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    opt = getattr(optim, name)([a, b, frozen], **kwargs)
    array = a._data
    shared = np.full(3, 0.5)
    frozen.grad = np.full(2, 0.5)
    frozen.requires_grad_(False)  # fine-tuning: frozen after a backward left a grad behind
    for _ in range(3):
        a.grad = shared  # a grad array that someone else also holds
        opt.step()
    assert a._data is array  # the same array, updated in place
    assert not np.array_equal(values(a), np.ones(3))
    np.testing.assert_array_equal(shared, 0.5)  # grads are read, never written
    np.testing.assert_array_equal(values(b), 1.0)  # grad None: skipped
    np.testing.assert_array_equal(values(frozen), 1.0)  # requires_grad False: skipped
    if name != "Adagrad":  # Adagrad creates every state up front, as torch
        assert b not in opt.state and frozen not in opt.state


def test_frozen_layer_with_every_optimizer_trains_the_rest():
    for name, kwargs in EVERY:
        tn.manual_seed(0)
        model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
        model[0].requires_grad_(False)
        frozen = {k: v.clone() for k, v in model.state_dict().items() if k.startswith("0.")}
        opt = getattr(optim, name)(model.parameters(), **kwargs)
        x = tn.randn(8, 3)
        for _ in range(3):
            opt.zero_grad()
            (model(x) ** 2).mean().backward()
            opt.step()
        after = model.state_dict()
        assert all(np.array_equal(after[k], v) for k, v in frozen.items()), name
        assert model[0].weight.grad is None
        assert not np.array_equal(host(model[2].weight), host(tn.zeros(1)))


def test_param_groups_have_their_own_hyperparameters_and_add_param_group():
    a, b, c = (nn.Parameter(np.array([1.0])) for _ in range(3))
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1)
    opt.add_param_group({"params": [c], "lr": 0.25, "name": "head"})
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5, 0.25]
    assert opt.param_groups[2]["name"] == "head" and opt.param_groups[2]["momentum"] == 0
    opt.zero_grad()
    ((a * a).sum() + (b * b).sum() + (c * c).sum()).backward()
    opt.step()
    assert values(a)[0] == 1 - 0.1 * 2 and values(b)[0] == 1 - 0.5 * 2 and values(c)[0] == 1 - 0.25 * 2
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_named_parameters_are_accepted_and_named_in_the_groups():
    model = nn.Linear(2, 1)
    opt = optim.Adam(model.named_parameters(), lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    assert opt.param_groups[0]["params"][0] is model.weight
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]


def test_zero_grad_set_to_none_false_zeroes_in_place():
    w = nn.Parameter(np.ones(2))
    opt = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    grad = w.grad  # a Tensor sharing the gradient's memory, as in PyTorch
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(host(grad), [0.0, 0.0])
    assert w.grad is not None
    opt.zero_grad()
    assert w.grad is None


def test_step_returns_the_closure_loss_and_runs_it_with_grad_enabled():
    w = nn.Parameter(np.array([2.0]))
    opt = optim.SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with tn.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 4.0 and values(w)[0] == 2.0 - 0.1 * 4.0
    assert opt.step() is None


# ----------------------------------------------------------------------------- argument checks
BAD_ARGUMENTS = [
    ("SGD", dict(lr=-1), "learning rate"),
    ("SGD", dict(lr=float("nan")), "learning rate"),
    ("SGD", dict(lr="0.1"), "must be a number"),
    ("SGD", dict(lr=0.1, momentum=-0.5), "momentum"),
    ("SGD", dict(lr=0.1, weight_decay=-1), "weight_decay"),
    ("SGD", dict(lr=0.1, nesterov=True), "nesterov"),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "nesterov"),
    ("Adam", dict(eps=float("nan")), "eps"),
    ("Adam", dict(eps=float("inf")), "eps"),
    ("Adam", dict(eps=-1e-8), "eps"),
    ("Adam", dict(betas=(1.0, 0.9)), "betas"),
    ("Adam", dict(betas=(0.9, -0.1)), "betas"),
    ("Adam", dict(betas=(0.9,)), "betas"),
    ("AdamW", dict(weight_decay=-0.1), "weight_decay"),
    ("Adam", dict(differentiable=True), "differentiable"),
    ("RMSprop", dict(alpha=-0.1), "alpha"),
    ("RMSprop", dict(eps=float("nan")), "eps"),
    ("Adagrad", dict(lr_decay=-1), "lr_decay"),
    ("Adagrad", dict(initial_accumulator_value=-1), "initial_accumulator_value"),
    ("Adadelta", dict(rho=1.5), "rho"),
    ("LBFGS", dict(history_size=0), "history_size"),
    ("LBFGS", dict(line_search_fn="armijo"), "line_search_fn"),
]


@pytest.mark.parametrize("name,kwargs,message", BAD_ARGUMENTS, ids=lambda v: str(v))
def test_bad_hyperparameters_are_clear_errors(name, kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message) as info:
        getattr(optim, name)([nn.Parameter(np.ones(1))], **kwargs)
    assert name in str(info.value)


def test_bad_parameter_lists_are_clear_errors():
    p = nn.Parameter(np.ones(1))
    with pytest.raises(ValueError, match="empty"):
        optim.Adam([])
    with pytest.raises(TypeError, match="single Tensor"):
        optim.Adam(p)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(TypeError, match="set"):
        optim.SGD([{"params": {p}}], lr=0.1)
    with pytest.raises(TypeError, match="only optimize Tensors"):
        optim.SGD([np.ones(2)], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2], lr=0.1)
    with pytest.raises(ValueError, match="learning rate"):  # a group's own value is checked too
        optim.SGD([{"params": [p], "lr": -1.0}], lr=0.1)
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": [p]}, {"params": [nn.Parameter(np.ones(1))]}])
    assert optim.SGD([tn.zeros(2)], lr=0.1).param_groups[0]["params"][0].requires_grad is False


# ----------------------------------------------------------------------------- failures change nothing
def _snapshot(opt, params):
    state = {id(p): {k: (host(v).copy() if backend.is_array(v) else v) for k, v in opt.state.get(p, {}).items()}
             for p in params}
    return [values(p) for p in params], state, [dict((k, v) for k, v in g.items() if k != "params")
                                                 for g in opt.param_groups]


def _assert_unchanged(opt, params, before):
    data, state, groups = _snapshot(opt, params)
    assert all(np.array_equal(x, y) for x, y in zip(data, before[0]))
    assert state.keys() == before[1].keys()
    for key in state:
        assert state[key].keys() == before[1][key].keys()
        assert all(np.array_equal(state[key][k], before[1][key][k]) for k in state[key])
    assert groups == before[2]


@pytest.mark.parametrize("name,kwargs", EVERY, ids=lambda v: str(v))
@pytest.mark.parametrize("spoil", ["shape (1,) for (3,)", "dtype", "device", "state device"])
def test_a_failed_step_changes_nothing(name, kwargs, spoil):
    a, b = nn.Parameter(np.ones(3)), nn.Parameter(np.ones(3))
    opt = getattr(optim, name)([a, b], **kwargs)
    quad_step(opt, a)  # some state to protect
    a.grad = np.full(3, 0.5)
    if spoil == "shape (1,) for (3,)":
        b._grad = np.ones(1)  # would broadcast silently; PyTorch refuses such a grad
    elif spoil == "dtype":
        b._grad = np.ones(3, dtype="float32")
    elif spoil == "device":
        b._grad = backend.to_device(np.ones(3), "strict")
    else:  # the second parameter moved to another device after its state was made
        quad_step(opt, b)
        a.grad = np.full(3, 0.5)
        b._data, b._grad = backend.to_device(b._data, "strict"), backend.to_device(np.ones(3), "strict")
    before = _snapshot(opt, [a, b])
    with pytest.raises((RuntimeError, TypeError, ValueError), match="nothing"):
        opt.step()
    _assert_unchanged(opt, [a, b], before)


def test_a_failed_lbfgs_step_changes_nothing():
    a, b = nn.Parameter(np.ones(3)), nn.Parameter(np.ones(2))
    opt = optim.LBFGS([a, b])

    def closure():
        opt.zero_grad()
        loss = (a * a).sum() + (b * b).sum()
        loss.backward()
        b._grad = np.ones(1)  # a bad grad, seen before anything moves
        return loss

    with pytest.raises(RuntimeError, match="shape"):
        opt.step(closure)
    np.testing.assert_array_equal(values(a), 1.0)
    np.testing.assert_array_equal(values(b), 1.0)


# ----------------------------------------------------------------------------- checkpoints
@pytest.mark.parametrize("name,kwargs", EVERY + [("LBFGS", dict(lr=0.5, max_iter=3, history_size=4))],
                         ids=lambda v: str(v))
def test_state_dict_resume_through_a_file_is_bit_exact(name, kwargs, tmp_path):
    rng = np.random.default_rng(0)
    X, Y = tn.tensor(rng.standard_normal((16, 4)), dtype="float32"), tn.tensor(rng.integers(0, 3, 16))

    def train(model, opt, steps):
        losses = []
        for _ in range(steps):
            def closure():
                opt.zero_grad()
                loss = nn.CrossEntropyLoss()(model(X), Y)
                loss.backward()
                return loss
            losses.append(opt.step(closure).item())
        return losses

    def build():
        return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))

    tn.manual_seed(0)
    straight = build()
    expected = train(straight, getattr(optim, name)(straight.parameters(), **kwargs), 6)

    tn.manual_seed(0)
    first = build()
    opt1 = getattr(optim, name)(first.parameters(), **kwargs)
    got = train(first, opt1, 3)
    tn.save({"model": first.state_dict(), "optimizer": opt1.state_dict()}, tmp_path / "ck.npz")
    ck = tn.load(tmp_path / "ck.npz")
    tn.manual_seed(123)  # a different init: everything must come from the checkpoint
    resumed = build()
    resumed.load_state_dict(ck["model"])
    opt2 = getattr(optim, name)(resumed.parameters(), lr=123.0)  # hyperparameters restored too
    opt2.load_state_dict(ck["optimizer"])
    assert opt2.param_groups[0]["lr"] == kwargs["lr"]
    got += train(resumed, opt2, 3)
    assert got == expected
    for k, v in straight.state_dict().items():
        assert np.array_equal(resumed.state_dict()[k], v)


def test_state_dict_is_a_snapshot_and_load_copies():
    a = nn.Parameter(np.ones(3))
    opt = optim.Adam([a], lr=0.1)
    quad_step(opt, a)
    sd = opt.state_dict()
    saved = sd["state"][0]["exp_avg"].copy()
    quad_step(opt, a)
    np.testing.assert_array_equal(sd["state"][0]["exp_avg"], saved)  # later steps don't reach it
    b = nn.Parameter(np.ones(3))
    twin = optim.Adam([b], lr=0.1)
    twin.load_state_dict(sd)
    assert twin.state[b]["exp_avg"] is not sd["state"][0]["exp_avg"]  # no buffer sharing
    assert twin.state[b]["step"] == 1


def test_state_dict_moves_state_to_the_parameters_device_and_dtype():
    a = nn.Parameter(np.ones(3, dtype="float64"))
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    quad_step(opt, a)
    b = nn.Parameter(backend.to_device(np.ones(3, dtype="float32"), "strict"))
    twin = optim.SGD([b], lr=0.1, momentum=0.9)
    twin.load_state_dict(opt.state_dict())
    buf = twin.state[b]["momentum_buffer"]
    assert backend.device_of(buf) == "strict" and buf.dtype == np.float32
    quad_step(twin, b)


def _spoiled(sd, spoil):
    groups = [dict(g) for g in sd["param_groups"]]
    state = {k: dict(v) for k, v in sd["state"].items()}
    groups[0]["lr"] = 0.5  # a valid change that must not be applied when another part is bad
    if spoil == "not a dict":
        return [1, 2]
    if spoil == "group without params":
        del groups[0]["params"]
    elif spoil == "group count":
        groups.append(dict(groups[0]))
    elif spoil == "param count":
        groups[0]["params"] = [0, 1, 2]
    elif spoil == "index twice":
        groups[0]["params"] = [0, 0]
    elif spoil == "state key":
        state = {"first": state[0]}
    elif spoil == "state of no parameter":
        state[7] = state[0]
    elif spoil == "missing key":
        del state[1]["exp_avg_sq"]
    elif spoil == "unexpected key":
        state[1]["velocity"] = state[1]["exp_avg"]
    elif spoil == "amsgrad without its max":
        groups[0]["amsgrad"] = True
    elif spoil == "string state":
        state[1]["exp_avg"] = np.array(["a", "b", "c"])
    elif spoil == "shape":
        state[1]["exp_avg"] = np.ones(4)
    elif spoil == "negative step":
        state[1]["step"] = -1
    elif spoil == "fractional step":
        state[1]["step"] = 1.5
    elif spoil == "bad betas":
        groups[0]["betas"] = (0.9, 1.5)
    elif spoil == "missing hyper-parameter":
        del groups[0]["eps"]
    return {"state": state, "param_groups": groups}


SPOILS = ["not a dict", "group without params", "group count", "param count", "index twice", "state key",
          "state of no parameter", "missing key", "unexpected key", "amsgrad without its max", "string state",
          "shape", "negative step", "fractional step", "bad betas", "missing hyper-parameter"]


@pytest.mark.parametrize("spoil", SPOILS)
def test_load_state_dict_rejects_bad_state_clearly_and_changes_nothing(spoil, device):
    a = nn.Parameter(backend.to_device(np.ones(3, dtype="float32"), device))
    b = nn.Parameter(backend.to_device(np.ones(3, dtype="float32"), device))
    opt = optim.Adam([a, b], lr=0.1)
    opt.zero_grad()
    ((a * a).sum() + (b * b).sum()).backward()
    opt.step()
    sd = opt.state_dict()
    other = optim.Adam([nn.Parameter(np.ones(3)), nn.Parameter(np.ones(3))], lr=0.1)
    before = _snapshot(opt, [a, b])
    with pytest.raises(ValueError, match="Adam.load_state_dict"):
        opt.load_state_dict(_spoiled(sd, spoil))
    _assert_unchanged(opt, [a, b], before)
    other.load_state_dict(sd)  # the unspoiled one loads


def test_load_state_dict_accepts_pytorch_shaped_values():
    # PyTorch saves step as a 0-d float tensor; older checkpoints lack newer group keys
    a = nn.Parameter(np.ones(2))
    opt = optim.Adam([a], lr=0.1)
    quad_step(opt, a)
    sd = opt.state_dict()
    sd["state"][0]["step"] = np.array(1.0, dtype="float32")
    for key in ("foreach", "fused", "capturable", "differentiable", "decoupled_weight_decay"):
        del sd["param_groups"][0][key]
    twin = optim.Adam([nn.Parameter(np.ones(2))], lr=0.1)
    twin.load_state_dict(sd)
    assert twin.state[twin.param_groups[0]["params"][0]]["step"] == 1
    assert twin.param_groups[0]["decoupled_weight_decay"] is False


def test_module_and_optimizer_share_one_state_check():
    """One check for both (tinynn/_state_dict.py): a wrong shape is reported the same way, and nothing is loaded."""
    model = nn.Linear(3, 2)
    opt = optim.Adam(model.parameters(), lr=0.1)
    model(tn.randn(4, 3)).sum().backward()
    opt.step()
    saved = opt.state_dict()
    bad_state = {**saved, "state": {i: dict(s) for i, s in saved["state"].items()}}
    bad_state["state"][0]["exp_avg"] = np.zeros((5, 5), dtype="float32")
    before = [s["exp_avg"].copy() for s in opt.state.values()]
    with pytest.raises(ValueError) as from_optimizer:
        opt.load_state_dict(bad_state)
    with pytest.raises(ValueError) as from_module:
        model.load_state_dict({"weight": np.zeros((5, 5), dtype="float32"), "bias": np.zeros(2, dtype="float32")})
    for error in (from_optimizer, from_module):
        assert "shape (5, 5) in the state dict, (2, 3) in the model" in str(error.value)
    assert all(np.array_equal(a, s["exp_avg"]) for a, s in zip(before, opt.state.values()))
