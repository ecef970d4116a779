"""Every optimizer against torch.optim over several steps (param groups with their own
hyper-parameters, a frozen layer inside the optimizer), and state dicts that cross between
the two libraries: tinynn's loads into torch and torch's into tinynn, and training goes on
identically."""
import numpy as np
import pytest

import tinynn as tn
from tinynn import nn, optim

torch = pytest.importorskip("torch")

CONFIGS = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.01, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.5, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.3, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.5)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1, maximize=True)),
]
LBFGS_CONFIGS = [
    dict(lr=0.5, max_iter=5, history_size=3),
    dict(lr=1, max_iter=8, history_size=5, line_search_fn="strong_wolfe"),
]


def _data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((16, 4)), rng.integers(0, 3, 16)


def _models():
    tn.manual_seed(1)
    ours = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 3)).double()
    tnn = torch.nn
    theirs = tnn.Sequential(tnn.Linear(4, 8), tnn.Tanh(), tnn.Linear(8, 8), tnn.Tanh(), tnn.Linear(8, 3)).double()
    theirs.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in ours.state_dict().items()})
    for model in (ours, theirs):
        model[2].requires_grad_(False)  # a frozen layer that stays in the optimizer
    return ours, theirs


def _groups(model, lr):
    """Two groups: the first layer with its own lr and weight decay, the rest with the defaults."""
    first = {"params": list(model[0].parameters()), "lr": 2 * lr, "weight_decay": 0.02}
    return [first, {"params": list(model[2].parameters()) + list(model[4].parameters())}]


class Pair:
    """The same model, data and optimizer in both libraries, stepped side by side."""

    def __init__(self, name, kwargs, groups=True):
        self.ours, self.theirs = _models()
        x, y = _data()
        self.x, self.y = tn.tensor(x), tn.tensor(y)
        self.xt, self.yt = torch.from_numpy(x), torch.from_numpy(y)
        lr = kwargs.get("lr", 1.0)
        params = _groups(self.ours, lr) if groups else self.ours.parameters()
        params_t = _groups(self.theirs, lr) if groups else self.theirs.parameters()
        self.opt = getattr(optim, name)(params, **kwargs)
        self.opt_t = getattr(torch.optim, name)(params_t, **kwargs)

    def closure(self):
        self.opt.zero_grad()
        loss = nn.CrossEntropyLoss()(self.ours(self.x), self.y)
        loss.backward()
        return loss

    def closure_t(self):
        self.opt_t.zero_grad()
        loss = torch.nn.CrossEntropyLoss()(self.theirs(self.xt), self.yt)
        loss.backward()
        return loss

    def step(self, times=1):
        for _ in range(times):
            loss, loss_t = self.opt.step(self.closure), self.opt_t.step(self.closure_t)
            assert abs(loss.item() - loss_t.item()) < 1e-10

    def assert_same_weights(self, rtol=1e-9):
        ours = self.ours.state_dict()
        for k, v in self.theirs.state_dict().items():
            np.testing.assert_allclose(np.array(ours[k]), v.numpy(), rtol=rtol, atol=1e-12, err_msg=k)


def _to_torch(state_dict):
    """A tinynn optimizer state dict as torch would hold it: arrays become tensors."""
    def convert(v):
        return torch.from_numpy(np.array(v)) if hasattr(v, "dtype") and hasattr(v, "shape") else (
            [convert(x) for x in v] if isinstance(v, list) else v)
    state = {i: {k: convert(v) for k, v in s.items()} for i, s in state_dict["state"].items()}
    return {"state": state, "param_groups": [dict(g) for g in state_dict["param_groups"]]}


def _from_torch(state_dict):
    """A torch optimizer state dict with its tensors as NumPy arrays (what tn.load would give)."""
    def convert(v):
        return v.detach().numpy().copy() if isinstance(v, torch.Tensor) else (
            [convert(x) for x in v] if isinstance(v, list) else v)
    state = {i: {k: convert(v) for k, v in s.items()} for i, s in state_dict["state"].items()}
    return {"state": state, "param_groups": [dict(g) for g in state_dict["param_groups"]]}


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=lambda v: str(v))
def test_trajectory_matches_torch_with_groups_and_a_frozen_layer(name, kwargs):
    pair = Pair(name, kwargs)
    frozen = np.array(pair.ours[2].weight.numpy()).copy()
    pair.step(15)
    pair.assert_same_weights()
    np.testing.assert_array_equal(pair.ours[2].weight.numpy(), frozen)


@pytest.mark.parametrize("kwargs", LBFGS_CONFIGS, ids=lambda v: str(v))
def test_lbfgs_matches_torch(kwargs):
    pair = Pair("LBFGS", kwargs, groups=False)
    pair.step(4)
    pair.assert_same_weights(rtol=1e-7)
    ours, theirs = pair.opt.state[pair.ours[0].weight], pair.opt_t.state[pair.theirs[0].weight]
    assert ours["n_iter"] == theirs["n_iter"] and ours["func_evals"] == theirs["func_evals"]


@pytest.mark.parametrize("name,kwargs", CONFIGS + [("LBFGS", c) for c in LBFGS_CONFIGS], ids=lambda v: str(v))
def test_state_dict_has_torchs_structure(name, kwargs):
    pair = Pair(name, kwargs, groups=name != "LBFGS")
    pair.step(2)
    ours, theirs = pair.opt.state_dict(), pair.opt_t.state_dict()
    assert [set(g) for g in ours["param_groups"]] == [set(g) for g in theirs["param_groups"]]
    assert [g["params"] for g in ours["param_groups"]] == [g["params"] for g in theirs["param_groups"]]
    for a, b in zip(ours["param_groups"], theirs["param_groups"]):
        assert {k: v for k, v in a.items() if k != "params"} == {k: v for k, v in b.items() if k != "params"}
    assert ours["state"].keys() == theirs["state"].keys()
    for i in ours["state"]:
        assert ours["state"][i].keys() == theirs["state"][i].keys(), i


@pytest.mark.parametrize("name,kwargs", CONFIGS + [("LBFGS", LBFGS_CONFIGS[0])], ids=lambda v: str(v))
def test_tinynn_state_loads_into_torch_and_training_goes_on_the_same(name, kwargs):
    pair = Pair(name, kwargs, groups=name != "LBFGS")
    pair.step(4)
    # a fresh torch optimizer (different hyper-parameters) on a copy of tinynn's weights
    pair.theirs.load_state_dict({k: torch.from_numpy(np.array(v).copy()) for k, v in pair.ours.state_dict().items()})
    params_t = _groups(pair.theirs, 9.0) if name != "LBFGS" else pair.theirs.parameters()
    pair.opt_t = getattr(torch.optim, name)(params_t, lr=9.0)
    pair.opt_t.load_state_dict(_to_torch(pair.opt.state_dict()))
    pair.step(4)
    pair.assert_same_weights(rtol=1e-7 if name == "LBFGS" else 1e-9)


@pytest.mark.parametrize("name,kwargs", CONFIGS + [("LBFGS", LBFGS_CONFIGS[0])], ids=lambda v: str(v))
def test_torch_state_loads_into_tinynn_and_training_goes_on_the_same(name, kwargs):
    pair = Pair(name, kwargs, groups=name != "LBFGS")
    pair.step(4)
    pair.ours.load_state_dict({k: v.numpy().copy() for k, v in pair.theirs.state_dict().items()})
    params = _groups(pair.ours, 9.0) if name != "LBFGS" else pair.ours.parameters()
    pair.opt = getattr(optim, name)(params, lr=9.0)
    pair.opt.load_state_dict(_from_torch(pair.opt_t.state_dict()))
    assert pair.opt.param_groups[-1]["lr"] == pair.opt_t.param_groups[-1]["lr"] == kwargs.get("lr", 1.0)
    pair.step(4)
    pair.assert_same_weights(rtol=1e-7 if name == "LBFGS" else 1e-9)


def test_float32_on_every_device_matches_torch(device):
    from tinynn import backend
    rng = np.random.default_rng(3)
    w0, a = rng.standard_normal((3, 5)).astype("float32"), rng.standard_normal((3, 5)).astype("float32")
    for name, kwargs in CONFIGS:
        w = nn.Parameter(backend.to_device(w0.copy(), device))
        target = tn.Tensor(backend.to_device(a, device))
        wt = torch.tensor(w0.copy(), requires_grad=True)
        opt, opt_t = getattr(optim, name)([w], **kwargs), getattr(torch.optim, name)([wt], **kwargs)
        for _ in range(10):
            opt.zero_grad()
            ((w - target) ** 2).sum().backward()
            opt.step()
            opt_t.zero_grad()
            ((wt - torch.from_numpy(a)) ** 2).sum().backward()
            opt_t.step()
        assert w.device == device and w.dtype == np.float32, name
        np.testing.assert_allclose(backend.to_host(w._data), wt.detach().numpy(), rtol=1e-5, atol=1e-6, err_msg=name)
