"""nn: Module registration, layers, activations, losses, init, penalties.

Oracles: central differences in float64 (tn.gradcheck / tn.numerical_grad), PyTorch with
copied weights (the `torch` fixture), and values computed by hand in the test."""
import copy
import math

import numpy as np
import pytest

import tinynn as tn
import tinynn.functional as F
from tests.conftest import host
from tinynn import backend, nn, optim


def dev_tensor(a, device, requires_grad=True, dtype="float64"):
    return tn.Tensor(backend.to_device(np.asarray(a, dtype=dtype), device), requires_grad=requires_grad)


def check_module_grads(module, *inputs, seed=0):
    """Analytic grads of sum(v * module(*inputs)) w.r.t. inputs *and* parameters against
    central differences (float64), with a random non-uniform upstream weighting v."""
    out = module(*inputs)
    rng = np.random.default_rng(seed)
    v = backend.to_device(rng.uniform(0.5, 1.5, out.shape) * rng.choice([-1.0, 1.0], out.shape), out.device)
    (out * tn.Tensor(v)).sum().backward()
    tensors = [t for t in inputs if t.requires_grad] + list(module.parameters())
    analytic = [host(t.grad) for t in tensors]
    for t in tensors:
        t.grad = None
    numeric = tn.numerical_grad(lambda *_: module(*inputs), tensors, weight=v)
    for a, n in zip(analytic, numeric):
        np.testing.assert_allclose(a, n, rtol=1e-5, atol=1e-7)


# ----------------------------------------------------------------------------- Module
class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


def test_registration_order_names_children_modules():
    m = MLP()
    assert [n for n, _ in m.named_parameters()] == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert list(m.children()) == [m.fc1, m.act, m.fc2]
    assert [type(x).__name__ for x in m.modules()] == ["MLP", "Linear", "ReLU", "Linear"]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in m.parameters())
    seq = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Sequential(nn.Linear(3, 1)))
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.0.weight", "2.0.bias"]
    assert len(seq) == 3 and isinstance(seq[1], nn.Tanh) and len(seq[:2]) == 2


def test_shared_parameter_listed_once_and_reassignment():
    a = nn.Linear(2, 2)
    seq = nn.Sequential(a, a)
    assert len(list(seq.parameters())) == 2
    m = MLP()
    m.fc2 = nn.Linear(8, 5)  # replacing a child keeps its slot
    assert [n for n, _ in m.named_parameters()][-2:] == ["fc2.weight", "fc2.bias"]
    with pytest.raises(TypeError, match="nn.Parameter or None expected"):
        m.fc1.weight = tn.zeros(8, 4)
    m.fc1.bias = None
    assert "fc1.bias" not in dict(m.named_parameters())


def test_setattr_before_init_is_a_clear_error():
    class Bad(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)"):
        Bad()


def test_train_eval_recursive_and_zero_grad():
    m = nn.Sequential(MLP(), nn.Dropout(0.5))
    assert m.eval() is m
    assert not any(x.training for x in m.modules())
    m.train()
    assert all(x.training for x in m.modules())
    m(tn.randn(5, 4)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_repr_matches_pytorch(torch):
    tnn = torch.nn
    ours = nn.Sequential(nn.Linear(784, 128), nn.ReLU(),
                         nn.Sequential(nn.Linear(128, 10, bias=False), nn.Tanh()),
                         nn.Sigmoid(), nn.Softmax(dim=-1), nn.Flatten(), nn.LogSoftmax(dim=1),
                         nn.MSELoss(), nn.CrossEntropyLoss(), nn.Identity())
    theirs = tnn.Sequential(tnn.Linear(784, 128), tnn.ReLU(),
                            tnn.Sequential(tnn.Linear(128, 10, bias=False), tnn.Tanh()),
                            tnn.Sigmoid(), tnn.Softmax(dim=-1), tnn.Flatten(), tnn.LogSoftmax(dim=1),
                            tnn.MSELoss(), tnn.CrossEntropyLoss(), tnn.Identity())
    assert repr(ours) == repr(theirs)
    assert repr(MLP()).splitlines()[1] == "  (fc1): Linear(in_features=4, out_features=8, bias=True)"
    assert repr(nn.Dropout(0.25)) == "Dropout(p=0.25)"


def test_to_device_moves_data_in_place(device):
    m = MLP()
    params = list(m.parameters())
    opt = optim.SGD(m.parameters(), lr=0.1)
    before = [host(p).copy() for p in params]
    assert m.to(device) is m
    assert [id(p) for p in m.parameters()] == [id(p) for p in params]
    assert all(p.device == device for p in params)
    assert all(np.array_equal(host(p), b) for p, b in zip(params, before))
    x = dev_tensor(np.ones((2, 4)), device, requires_grad=False, dtype="float32")
    m(x).sum().backward()
    opt.step()  # the optimizer built before the move updates the moved arrays
    assert all(p.device == device for p in params)
    assert not np.array_equal(host(params[0]), before[0])
    m.to("cpu")
    assert params[0].device == "cpu"


def test_buffers_move_and_save():
    m = nn.Linear(2, 2)
    m.register_buffer("running", np.zeros(2, dtype="float32"))
    m.register_buffer("scratch", np.zeros(3, dtype="float32"), persistent=False)
    assert list(m.state_dict()) == ["weight", "bias", "running"]
    m.to("strict")
    assert m.running.device == "strict" and m.scratch.device == "strict"


# ----------------------------------------------------------------------------- state dict
def test_state_dict_shares_memory_like_torch_and_round_trips():
    a, b = MLP(), MLP()
    sd = a.state_dict()
    kept = copy.deepcopy(sd)  # the PyTorch way to keep "the best weights so far"
    a.fc1.weight.data[...] = 0  # an in-place update of the parameter ...
    assert np.all(host(sd["fc1.weight"]) == 0)  # ... shows in its state dict, as in PyTorch
    assert not sd["fc1.weight"].requires_grad and not np.all(host(kept["fc1.weight"]) == 0)
    b.load_state_dict(kept)
    assert np.array_equal(b.fc1.weight.numpy(), host(kept["fc1.weight"]))
    w = b.fc1.weight._data
    b.load_state_dict(a.state_dict())
    assert b.fc1.weight._data is w  # copied into the same array (optimizer state stays valid)
    assert np.all(b.fc1.weight.numpy() == 0)


def test_state_dict_values_share_memory_exactly_when_torch_does(torch):
    seen = []
    for lib in (tn, torch):
        m = lib.nn.Linear(3, 2)
        sd = m.state_dict()
        with lib.no_grad():
            m.weight.add_(1.0)
        seen.append((bool((sd["weight"] == m.weight).all()), sd["weight"].requires_grad, type(sd["weight"]).__name__))
    assert seen[0][:2] == seen[1][:2] == (True, False) and seen[0][2] == seen[1][2] == "Tensor"


def test_load_state_dict_reports_everything_and_changes_nothing():
    m = MLP()
    before = {k: v.clone() for k, v in m.state_dict().items()}
    bad = dict(before)
    del bad["fc2.bias"]
    bad["fc3.weight"] = np.zeros((3, 8), dtype="float32")
    bad["fc1.weight"] = np.zeros((4, 8), dtype="float32")
    with pytest.raises(ValueError) as info:
        m.load_state_dict(bad)
    msg = str(info.value)
    assert "fc2.bias" in msg and "missing" in msg
    assert "fc3.weight" in msg and "unexpected" in msg
    assert "fc1.weight" in msg and "(4, 8)" in msg and "(8, 4)" in msg
    assert "nothing was loaded" in msg
    assert all(np.array_equal(v, before[k]) for k, v in m.state_dict().items())
    partial = {"fc1.bias": np.ones(8, dtype="float32"), "extra": np.ones(1)}
    result = m.load_state_dict(partial, strict=False)
    assert result.missing_keys == ["fc1.weight", "fc2.weight", "fc2.bias"]
    assert result.unexpected_keys == ["extra"]
    assert np.all(m.fc1.bias.data == 1)



@pytest.mark.parametrize("bad", [np.array(["a", "b", "c"]), np.full(3, 1 + 2j)])
def test_load_state_dict_refuses_a_non_numeric_dtype_before_copying_anything(bad, device):
    m = MLP().to(device)
    before = {k: v.clone() for k, v in m.state_dict().items()}
    sd = {k: np.full(v.shape, 7.0, dtype="float32") for k, v in before.items()}
    sd["fc2.bias"] = bad  # the last key: every other parameter would be copied first
    with pytest.raises(ValueError) as info:
        m.load_state_dict(sd)
    assert "fc2.bias" in str(info.value) and str(bad.dtype) in str(info.value)
    assert "nothing was loaded" in str(info.value)
    assert all(np.array_equal(host(v), host(before[k])) for k, v in m.state_dict().items())

def test_state_dict_keys_match_torch_and_load_into_torch(torch):
    tnn = torch.nn
    ours = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3))
    theirs = tnn.Sequential(tnn.Linear(6, 5), tnn.ReLU(), tnn.Linear(5, 3)).double()
    sd = ours.state_dict()
    assert list(sd) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().astype("float64")) for k, v in sd.items()})
    x = np.random.default_rng(0).standard_normal((4, 6))
    expected = theirs(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours.double()(tn.tensor(x)).numpy(), expected, rtol=1e-12)
    # and back: torch's weights load into ours
    back = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3))
    back.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert np.allclose(back.double()(tn.tensor(x)).numpy(), expected)


# ----------------------------------------------------------------------------- Linear
def test_linear_default_init_is_torchs_bound():
    layer = nn.Linear(50, 400)
    bound = 1 / math.sqrt(50)  # kaiming_uniform(a=sqrt(5)): gain sqrt(1/3) * sqrt(3/fan_in)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert w.shape == (400, 50) and w.dtype == np.float32 and b.shape == (400,)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert np.abs(b).max() <= bound and abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound
    assert nn.Linear(3, 2, bias=False).bias is None
    assert nn.Linear(3, 2, dtype="float64").weight.dtype == np.float64
    with pytest.raises(ValueError, match="positive"):
        nn.Linear(0, 3)


def test_linear_on_device_argument(device):
    tn.manual_seed(3)
    cpu = nn.Linear(3, 2)
    tn.manual_seed(3)
    other = nn.Linear(3, 2, device=device)
    assert other.weight.device == device
    assert np.array_equal(host(other.weight), cpu.weight.data)  # drawn on the host: same numbers


def test_linear_and_sequential_match_torch(torch):
    rng = np.random.default_rng(1)
    ours = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 4), nn.Sigmoid(), nn.Linear(4, 3)).double()
    tnn = torch.nn
    theirs = tnn.Sequential(tnn.Linear(5, 7), tnn.Tanh(), tnn.Linear(7, 4), tnn.Sigmoid(),
                            tnn.Linear(4, 3)).double()
    theirs.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in ours.state_dict().items()})
    x = rng.standard_normal((6, 5))
    target = rng.integers(0, 3, 6)
    xt = tn.tensor(x, requires_grad=True)
    loss = nn.CrossEntropyLoss()(ours(xt), tn.tensor(target))
    loss.backward()
    xt_t = torch.tensor(x, requires_grad=True)
    loss_t = tnn.CrossEntropyLoss()(theirs(xt_t), torch.from_numpy(target))
    loss_t.backward()
    assert abs(loss.item() - loss_t.item()) < 1e-12
    np.testing.assert_allclose(xt.grad, xt_t.grad.numpy(), rtol=1e-10, atol=1e-14)
    for (name, p), (name_t, p_t) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert name == name_t
        np.testing.assert_allclose(p.grad, p_t.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_linear_gradcheck_with_parameters(device):
    layer = nn.Linear(4, 3, dtype="float64", device=device)
    x = dev_tensor(np.random.default_rng(0).standard_normal((5, 4)), device)
    check_module_grads(layer, x)
    check_module_grads(nn.Linear(4, 2, bias=False, dtype="float64", device=device), x)
    x3 = dev_tensor(np.random.default_rng(1).standard_normal((2, 3, 4)), device)  # extra batch axis
    check_module_grads(layer, x3)


def test_sequential_gradcheck_with_parameters(device):
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 4), nn.Sigmoid(), nn.Linear(4, 2))
    model.to(device, "float64")
    check_module_grads(model, dev_tensor(np.random.default_rng(2).standard_normal((4, 3)), device))


# ----------------------------------------------------------------------------- activations, Flatten
@pytest.mark.parametrize("module", [nn.Sigmoid(), nn.ReLU(), nn.Tanh(), nn.Softmax(dim=-1), nn.Softmax(dim=0),
                                    nn.LogSoftmax(dim=1), nn.Identity(), nn.Flatten(), nn.Flatten(0, 1)],
                         ids=repr)
def test_activation_and_shape_modules_gradcheck(module, device):
    a = np.random.default_rng(0).standard_normal((3, 4, 2))
    a = np.where(np.abs(a) < 0.1, 0.5, a)  # away from ReLU's kink
    assert tn.gradcheck(lambda x: module(x), [dev_tensor(a, device)])


def test_activation_modules_match_functional():
    x = tn.tensor([[-2.0, 0.0, 3.0]])
    assert nn.ReLU()(x).tolist() == [[0.0, 0.0, 3.0]]
    assert np.allclose(nn.Sigmoid()(x).numpy(), 1 / (1 + np.exp(-x.numpy())))
    assert np.allclose(nn.Softmax()(x).numpy().sum(), 1.0)
    assert np.allclose(nn.LogSoftmax()(x).numpy(), F.log_softmax(x).numpy())
    assert nn.Flatten()(tn.zeros(2, 3, 4)).shape == (2, 12)
    assert nn.Flatten(0, 1)(tn.zeros(2, 3, 4)).shape == (6, 4)


@pytest.mark.parametrize("shape", [(3,), (), (2, 3, 4)], ids=str)
@pytest.mark.parametrize("dims", [(1, -1), (0, -1), (2, 1), (0, 0), (-3, -1), (3, -1)], ids=str)
def test_flatten_shapes_and_out_of_range_dims_as_torch(shape, dims, torch):
    # PyTorch is the oracle for which dims are valid (a 0-d input counts as 1-d) and the result
    # shape; Flatten() of a 1-d input used to return it unchanged instead of raising
    try:
        expected = tuple(torch.nn.Flatten(*dims)(torch.zeros(shape)).shape)
    except (IndexError, RuntimeError) as e:
        with pytest.raises(type(e), match=r"Flatten\(start_dim=.*input of shape"):
            nn.Flatten(*dims)(tn.zeros(*shape))
    else:
        assert nn.Flatten(*dims)(tn.zeros(*shape)).shape == expected


# ----------------------------------------------------------------------------- Dropout
def test_dropout_statistics_and_eval(device):
    p = 0.3
    drop = nn.Dropout(p)
    x = dev_tensor(np.ones((200, 500)), device, requires_grad=False, dtype="float32")
    y = host(drop(x))
    zeroed = (y == 0).mean()
    assert abs(zeroed - p) < 0.01  # 100 000 draws: the std of the fraction is 0.0014
    assert np.allclose(y[y != 0], 1 / (1 - p))
    assert abs(y.mean() - 1.0) < 0.01  # inverted dropout keeps the expectation
    drop.eval()
    assert drop(x) is x
    assert nn.Dropout(0.0)(x) is x
    assert np.all(host(nn.Dropout(1.0)(x)) == 0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        nn.Dropout(1.5)


def test_dropout_gradcheck_and_gradient_is_the_mask(device):
    drop = nn.Dropout(0.4)

    def fn(x):
        tn.manual_seed(7)  # the same mask on every evaluation
        return drop(x)

    x = dev_tensor(np.random.default_rng(0).standard_normal((4, 6)), device)
    assert tn.gradcheck(fn, [x])
    y = fn(x)
    y.sum().backward()
    np.testing.assert_allclose(host(x.grad), host(y) / host(x), rtol=1e-12)


def test_manual_seed_reproduces_init_dropout_and_training():
    def run():
        tn.manual_seed(42)
        model = nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 1))
        opt = optim.Adam(model.parameters(), lr=0.01)
        x, y = tn.randn(32, 3), tn.randn(32, 1)
        losses = []
        for _ in range(5):
            loss = nn.MSELoss()(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses, model.state_dict()

    (l1, s1), (l2, s2) = run(), run()
    assert l1 == l2
    assert all(np.array_equal(s1[k], s2[k]) for k in s1)
    tn.manual_seed(43)
    assert not np.array_equal(nn.Linear(3, 16).weight.data, s1["0.weight"])


# ----------------------------------------------------------------------------- losses
LOSSES = [
    (nn.MSELoss, lambda rng: rng.standard_normal((4, 3)), lambda rng: rng.standard_normal((4, 3))),
    (nn.CrossEntropyLoss, lambda rng: rng.standard_normal((5, 4)), lambda rng: rng.integers(0, 4, 5)),
    (nn.CrossEntropyLoss, lambda rng: rng.standard_normal((5, 4)), lambda rng: rng.dirichlet(np.ones(4), 5)),
    (nn.NLLLoss, lambda rng: np.log(rng.dirichlet(np.ones(4), 5)), lambda rng: rng.integers(0, 4, 5)),
    (nn.BCELoss, lambda rng: rng.uniform(0.1, 0.9, (4, 2)),
     lambda rng: rng.integers(0, 2, (4, 2)).astype(float)),
    (nn.BCEWithLogitsLoss, lambda rng: rng.standard_normal((4, 2)) * 3,
     lambda rng: rng.uniform(0, 1, (4, 2))),
]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("cls,make_input,make_target", LOSSES, ids=lambda v: getattr(v, "__name__", ""))
def test_loss_modules_gradcheck(cls, make_input, make_target, reduction, device):
    rng = np.random.default_rng(0)
    a, t = make_input(rng), make_target(rng)
    target = tn.Tensor(backend.to_device(np.asarray(t), device))
    loss_fn = cls(reduction=reduction)
    assert tn.gradcheck(lambda x: loss_fn(x, target), [dev_tensor(a, device)])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name,make_input,make_target", [
    ("MSELoss", *LOSSES[0][1:]), ("CrossEntropyLoss", *LOSSES[1][1:]), ("CrossEntropyLoss", *LOSSES[2][1:]),
    ("NLLLoss", *LOSSES[3][1:]), ("BCELoss", *LOSSES[4][1:]), ("BCEWithLogitsLoss", *LOSSES[5][1:])])
def test_loss_modules_match_torch(name, make_input, make_target, reduction, torch):
    rng = np.random.default_rng(5)
    a, t = make_input(rng), make_target(rng)
    ours = getattr(nn, name)(reduction=reduction)(tn.tensor(a), tn.tensor(t)).numpy()
    loss_t = getattr(torch.nn, name)(reduction=reduction)
    theirs = loss_t(torch.from_numpy(a), torch.from_numpy(np.asarray(t))).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


def test_loss_module_bad_reduction():
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="avg")


# ----------------------------------------------------------------------------- init
def test_fan_and_gain_by_hand():
    from tinynn.nn.init import _calculate_fan_in_and_fan_out, calculate_gain
    assert _calculate_fan_in_and_fan_out(tn.zeros(7, 3)) == (3, 7)
    assert _calculate_fan_in_and_fan_out(tn.zeros(8, 4, 3, 3)) == (36, 72)
    assert calculate_gain("relu") == math.sqrt(2) and calculate_gain("tanh") == 5 / 3
    assert calculate_gain("leaky_relu", math.sqrt(5)) == math.sqrt(2 / 6)
    with pytest.raises(ValueError, match="2 dimensions"):
        nn.init.xavier_uniform_(tn.zeros(5))
    with pytest.raises(ValueError, match="unsupported"):
        calculate_gain("swish")


def test_init_in_place_and_statistics(device):
    w = nn.Parameter(backend.to_device(np.zeros((400, 300), dtype="float32"), device))
    array = w._data

    def stats():
        a = host(w)
        return a.mean(), a.std(), np.abs(a).max()

    assert nn.init.xavier_uniform_(w, gain=2.0) is w and w._data is array  # same Parameter, same array
    bound = 2.0 * math.sqrt(6 / (300 + 400))
    mean, std, top = stats()
    assert top <= bound and top > 0.99 * bound and abs(std - bound / math.sqrt(3)) < 0.02 * bound
    nn.init.xavier_normal_(w)
    assert abs(stats()[1] - math.sqrt(2 / 700)) < 0.02 * math.sqrt(2 / 700)
    nn.init.kaiming_normal_(w, nonlinearity="relu")
    assert abs(stats()[1] - math.sqrt(2 / 300)) < 0.02 * math.sqrt(2 / 300)
    nn.init.kaiming_uniform_(w, mode="fan_out", nonlinearity="relu")
    assert stats()[2] <= math.sqrt(6 / 400)
    nn.init.normal_(w, mean=1.0, std=0.5)
    mean, std, _ = stats()
    assert abs(mean - 1.0) < 0.01 and abs(std - 0.5) < 0.01
    nn.init.uniform_(w, -3, -2)
    a = host(w)
    assert a.min() >= -3 and a.max() < -2
    nn.init.constant_(w, 0.25)
    assert np.all(host(w) == 0.25)
    nn.init.ones_(w)
    assert np.all(host(w) == 1)
    nn.init.zeros_(w)
    assert np.all(host(w) == 0) and w._data is array and w.device == device
    assert nn.init.he_normal_ is nn.init.kaiming_normal_
    assert nn.init.glorot_uniform_ is nn.init.xavier_uniform_


def test_init_is_seeded():
    w = nn.Parameter(tn.zeros(3, 4))
    tn.manual_seed(5)
    a = nn.init.normal_(w).numpy().copy()
    tn.manual_seed(5)
    assert np.array_equal(nn.init.normal_(w).numpy(), a)


# ----------------------------------------------------------------------------- penalties
def test_l1_l2_penalties_values_and_gradients(device):
    w = nn.Parameter(backend.to_device(np.array([[1.5, -2.0], [0.5, 3.0]]), device))
    b = nn.Parameter(backend.to_device(np.array([-1.0, 0.25]), device))
    l1 = nn.l1_penalty([w, b])
    l2 = nn.l2_penalty([w, b])
    assert l1.item() == 1.5 + 2 + 0.5 + 3 + 1 + 0.25
    assert l2.item() == 2.25 + 4 + 0.25 + 9 + 1 + 0.0625
    (l1 + l2).backward()
    np.testing.assert_array_equal(host(w.grad), np.sign(host(w)) + 2 * host(w))
    np.testing.assert_array_equal(host(b.grad), np.sign(host(b)) + 2 * host(b))
    model = nn.Linear(2, 2)
    by_hand = sum(float((p.data ** 2).sum()) for p in model.parameters())
    assert abs(nn.l2_penalty(model).item() - by_hand) < 1e-5
    with pytest.raises(ValueError, match="no parameters"):
        nn.l1_penalty([])


# ----------------------------------------------------------------------------- learning
def test_xor_is_learned_by_an_mlp_with_adam():
    tn.manual_seed(0)
    x = tn.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = tn.tensor([[0.0], [1.0], [1.0], [0.0]])
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    opt = optim.Adam(model.parameters(), lr=0.05)
    loss_fn = nn.BCEWithLogitsLoss()
    for _ in range(300):
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.05
    assert ((model(x).numpy() > 0) == (y.numpy() > 0.5)).all()


def test_deepcopy_gives_an_independent_model():
    import copy
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    twin = copy.deepcopy(model)
    assert isinstance(twin[0].weight, nn.Parameter) and twin[0].weight is not model[0].weight
    assert list(twin.state_dict()) == list(model.state_dict())
    twin[0].weight.data[...] = 0
    assert np.any(model[0].weight.data != 0)
    twin(tn.randn(4, 2)).sum().backward()
    assert twin[0].weight.grad is not None and model[0].weight.grad is None
