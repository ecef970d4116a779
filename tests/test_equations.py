"""The documents' equations E1..E28: the table in tutorials/equations.md is complete and
points at real, tagged code and real tests; and one numeric check per equation.

Expected values come from hand formulas in NumPy (float64) or from central differences
(tn.numerical_grad), never from the code under test.
"""
import ast
import pathlib
import re

import numpy as np
import pytest

import tinynn as tn
import tinynn.functional as F
from tinynn import backend, nn, optim

ROOT = pathlib.Path(__file__).resolve().parents[1]
TABLE = ROOT / "tutorials" / "equations.md"
IDS = [f"E{i}" for i in range(1, 29)]


# --------------------------------------------------------------------------- the table
def _rows():
    """id -> (code file, qualified name, test file, test name), from the markdown table."""
    rows = {}
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\|\s*(E\d+)\s*\|", line)
        if not match:
            continue
        code = re.search(r"`([\w./-]+\.py):([\w.]+)`", line)
        test = re.search(r"`(tests/[\w./-]+\.py)::(\w+)`", line)
        rows[match.group(1)] = (code and code.groups(), test and test.groups())
    return rows


ROWS = _rows()


def _tags(text):
    """Equation ids inside [...] groups: "[E8, corrected; E10]" -> {E8, E10}, "[E1-E3]" -> E1..E3."""
    found = set()
    for group in re.findall(r"\[([^\]]*)\]", text):
        for first, last in re.findall(r"E(\d+)(?:\s*[-–]\s*E(\d+))?", group):
            found.update(f"E{i}" for i in range(int(first), int(last or first) + 1))
    return found


def _definition(tree, qualname):
    """The ast node of ``Class.method`` / ``function`` / ``Class`` at module level, or None."""
    nodes = tree.body
    node = None
    for part in qualname.split("."):
        node = next((n for n in nodes if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == part), None)
        if node is None:
            return None
        nodes = node.body
    return node


@pytest.mark.parametrize("eq", IDS)
def test_table_row_names_tagged_code_and_an_existing_test(eq):
    assert eq in ROWS, f"{eq} is missing from tutorials/equations.md"
    code, test = ROWS[eq]
    assert code, f"{eq}: no `file.py:function` code location in its row"
    assert test, f"{eq}: no `tests/....py::test_name` in its row"
    path, qualname = code
    source_file = ROOT / path
    assert source_file.is_file(), f"{eq}: {path} does not exist"
    source = source_file.read_text(encoding="utf-8")
    assert eq in _tags(source), f"{eq}: {path} has no [{eq}] tag"
    tree = ast.parse(source)
    node = _definition(tree, qualname)
    assert node is not None, f"{eq}: {path} defines no {qualname}"
    where = (ast.get_source_segment(source, node) or "") + (ast.get_docstring(tree) or "")
    assert eq in _tags(where), f"{eq}: the tag [{eq}] is in {path} but not in {qualname} (or the module docstring)"
    test_path, test_name = test
    test_file = ROOT / test_path
    assert test_file.is_file(), f"{eq}: {test_path} does not exist"
    test_tree = ast.parse(test_file.read_text(encoding="utf-8"))
    assert any(isinstance(n, ast.FunctionDef) and n.name == test_name for n in ast.walk(test_tree)), \
        f"{eq}: {test_path} has no test {test_name}"


def test_table_has_no_unknown_ids_and_errata_cover_the_suspects():
    assert set(ROWS) == set(IDS)
    text = TABLE.read_text(encoding="utf-8")
    errata = text[text.index("## Errata"):]
    headings = " ".join(re.findall(r"^### (.*)$", errata, re.M))
    for eq in ("E8", "E10", "E11", "E17", "E18", "E21", "E22"):
        assert re.search(rf"\b{eq}\b", headings), f"no errata section for {eq}"


def _bullet_ids(text, title):
    """The equation ids in the bullet that starts with **title** (up to the next bullet)."""
    match = re.search(rf"^\* \*\*{re.escape(title)}\*\*(.*?)(?=^\* |^\S|\Z)", text, re.M | re.S)
    assert match, f"equations.md has no bullet '**{title}**'"
    return set(re.findall(r"\bE\d+\b", match.group(1).split(":", 1)[1].split(".")[0]))


def test_library_and_tutorial_lists_agree_with_the_table():
    """equations.md says which equations the library implements and which only tutorials show."""
    text = TABLE.read_text(encoding="utf-8")
    in_library, in_tutorials = _bullet_ids(text, "In the library"), _bullet_ids(text, "Shown in tutorials only")
    by_code = {eq: ROWS[eq][0][0].startswith("tutorials/") for eq in IDS}
    assert in_tutorials == {eq for eq, tutorial in by_code.items() if tutorial}
    assert in_library == {eq for eq, tutorial in by_code.items() if not tutorial}
    assert {f"E{i}" for i in (7, 9, 13, 18, 19, 21, 22)} == in_tutorials  # the set the README must describe


def test_tag_parser():
    assert _tags("x [E8, corrected; E10, corrected] y [E1-E3]") == {"E1", "E2", "E3", "E8", "E10"}
    assert _tags("E5 without brackets") == set()


# --------------------------------------------------------------------------- helpers
def on(device, values, grad=False, dtype="float64"):
    return tn.Tensor(backend.to_device(np.asarray(values, dtype=dtype), device), requires_grad=grad)


def host(t):
    """A host NumPy array from a Tensor (whatever .grad is: an array or a Tensor) or a raw array."""
    return t.numpy() if isinstance(t, tn.Tensor) else backend.to_host(t)


def numeric(fn, *values):
    """Central differences of the scalar fn at float64 host ``values``."""
    inputs = [tn.tensor(np.asarray(v, dtype="float64"), requires_grad=True) for v in values]
    return tn.numerical_grad(fn, inputs)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# --------------------------------------------------------------------------- E1-E3
def test_e1_sigmoid(device):
    xs = np.array([-30.0, -2.0, -0.5, 0.0, 0.7, 3.0, 30.0])
    x = on(device, xs, grad=True)
    y = F.sigmoid(x)
    y.sum().backward()
    s = 1 / (1 + np.exp(-xs))
    assert np.allclose(host(y), s, rtol=1e-12)
    assert np.allclose(host(x.grad), s * (1 - s), rtol=1e-10, atol=1e-300)
    with np.errstate(all="raise"):  # the stable form never overflows
        assert host(F.sigmoid(on(device, [-1e4, 1e4]))).tolist() == [0.0, 1.0]


def test_e2_relu(device):
    x = on(device, [-2.0, -0.1, 0.0, 0.1, 3.0], grad=True)
    y = F.relu(x)
    y.sum().backward()
    assert host(y).tolist() == [0.0, 0.0, 0.0, 0.1, 3.0]
    assert host(x.grad).tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]  # 0 at the kink, as PyTorch


def test_e3_tanh(device):
    xs = np.array([-3.0, -0.4, 0.0, 0.9, 2.5])
    x = on(device, xs, grad=True)
    y = F.tanh(x)
    y.sum().backward()
    printed = (np.exp(xs) - np.exp(-xs)) / (np.exp(xs) + np.exp(-xs))  # E3 as printed
    assert np.allclose(host(y), printed, rtol=1e-12, atol=1e-15)
    assert np.allclose(host(x.grad), 1 - printed ** 2, rtol=1e-10)
    with np.errstate(all="raise"):
        assert host(F.tanh(on(device, [-1e4, 1e4]))).tolist() == [-1.0, 1.0]


# --------------------------------------------------------------------------- losses
def test_e4_e14_mse(device):
    pred, target = np.array([[0.9, 0.3], [-0.5, 2.0], [0.0, 1.0]]), np.array([[1.0, 0.0], [0.0, 1.5], [0.5, 1.0]])
    p = on(device, pred, grad=True)
    loss = F.mse_loss(p, on(device, target))
    loss.backward()
    n = pred.size
    assert loss.item() == pytest.approx(((target - pred) ** 2).sum() / n, rel=1e-12)  # E4 (y − ŷ)²
    assert np.allclose(host(p.grad), 2 / n * (pred - target), rtol=1e-12)
    m = len(pred)  # E14 divides by the number of samples: sum / m
    per_sample = F.mse_loss(on(device, pred), on(device, target), reduction="sum").item() / m
    assert per_sample == pytest.approx(((pred - target) ** 2).sum() / m, rel=1e-12)


def test_e5_softmax_cross_entropy_gradient(device):
    z = np.array([[2.0, -1.0, 0.5], [0.1, 0.2, 3.0], [-4.0, 0.0, 4.0]])
    y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.2, 0.3, 0.5]])  # one-hot and soft targets
    logits = on(device, z, grad=True)
    loss = F.cross_entropy(logits, on(device, y), reduction="sum")
    loss.backward()
    y_hat = softmax(z)
    assert loss.item() == pytest.approx(-(y * np.log(y_hat)).sum(), rel=1e-12)  # −Σ y log ŷ
    assert np.allclose(host(logits.grad), y_hat - y, rtol=1e-10, atol=1e-14)  # ŷ − y per sample
    (check,) = numeric(lambda t: F.cross_entropy(t, tn.tensor(y), reduction="sum"), z)
    assert np.allclose(check, y_hat - y, atol=1e-8)


def test_e15_e24_batch_mean_cross_entropy(device):
    z = np.array([[2.0, -1.0, 0.5], [0.1, 0.2, 3.0]])
    labels = np.array([0, 2])
    y = np.eye(3)[labels]
    m = len(z)
    expected = -(y * np.log(softmax(z))).sum() / m  # −(1/m) Σ_i Σ_k y_k log z_k, z = softmax
    for target in (on(device, y), tn.tensor(labels, device=device)):
        logits = on(device, z, grad=True)
        loss = F.cross_entropy(logits, target)
        loss.backward()
        assert loss.item() == pytest.approx(expected, rel=1e-12)
        assert np.allclose(host(logits.grad), (softmax(z) - y) / m, rtol=1e-10)
    with np.errstate(invalid="ignore"):
        assert np.isnan(np.log(z)).any()  # why E24's z must be the probabilities it defines, not logits


def test_e15_with_i_over_samples_gives_negatives_no_gradient(device):
    """E15 read as document 001 defines m (the number of samples), one probability per sample."""
    p_pos, labels = np.array([0.9, 0.8, 0.3]), np.array([1.0, 0.0, 0.0])
    q = on(device, p_pos, grad=True)
    (-(on(device, labels) * q.log()).sum() / len(p_pos)).backward()
    assert np.allclose(host(q.grad), [-1 / (3 * 0.9), 0.0, 0.0], atol=1e-12)  # −y_i/(m ŷ_i): 0 for negatives
    # the two-class double sum (E24 form) is binary cross-entropy, whose gradient reaches the negatives
    rows, onehot = np.stack([1 - p_pos, p_pos], 1), np.stack([1 - labels, labels], 1)
    assert F.binary_cross_entropy(tn.tensor(p_pos), tn.tensor(labels)).item() == pytest.approx(
        -(onehot * np.log(rows)).sum() / 3, rel=1e-12)
    (bce_grad,) = numeric(lambda v: F.binary_cross_entropy(v, tn.tensor(labels)), p_pos)
    assert np.allclose(bce_grad, (p_pos - labels) / (p_pos * (1 - p_pos)) / 3, atol=1e-8)
    assert np.all(np.abs(bce_grad[1:]) > 0.4)


def test_e11_bce_through_sigmoid(device):
    x, w, b, y0 = np.array([[0.5, -1.5, 2.0]]), np.array([[0.2, -0.4, 0.1]]), np.array([0.1]), np.array([[1.0]])
    W = on(device, w, grad=True)
    loss = F.binary_cross_entropy(F.sigmoid(F.linear(on(device, x), W, on(device, b))), on(device, y0))
    loss.backward()
    y = sigmoid(x @ w.T + b)
    correct = (y - y0) * x
    assert np.allclose(host(W.grad), correct, rtol=1e-9)
    (check,) = numeric(lambda v: F.binary_cross_entropy(F.sigmoid(F.linear(tn.tensor(x), v, tn.tensor(b))),
                                                        tn.tensor(y0)), w)
    assert np.allclose(check, correct, atol=1e-8)
    document = (y - y0) * y * (1 - y) * x  # E11 as printed keeps σ'
    assert not np.allclose(check, document, atol=1e-3)
    z = on(device, [[-6.0, 0.0, 3.0]], grad=True)
    F.binary_cross_entropy_with_logits(z, on(device, [[1.0, 0.0, 1.0]]), reduction="sum").backward()
    assert np.allclose(host(z.grad), sigmoid(np.array([[-6.0, 0.0, 3.0]])) - [[1.0, 0.0, 1.0]], rtol=1e-10)


def test_e17_mse_gradient_is_a_vector(device):
    for pred, target, expected in [((0.9, 0.3), (1.0, 0.0), (-0.1, 0.3)), ((0.9, 0.1), (1.0, 0.0), (-0.1, 0.1))]:
        p = on(device, pred, grad=True)
        F.mse_loss(p, on(device, target)).backward()
        assert np.allclose(host(p.grad), expected, atol=1e-12)  # (2/m)(ŷ − y), by hand
        document = np.mean(-2 * (np.array(pred) - np.array(target)))
        assert not np.allclose(np.full(2, document), expected, atol=1e-3)
    assert abs(np.mean(-2 * (np.array([0.9, 0.1]) - [1.0, 0.0]))) < 1e-12  # the printed form says 0 here


def test_e18_worked_example():
    y_hat, y = np.array([0.9, 0.1]), np.array([1.0, 0.0])
    results = {}
    for name, fn in {"mean": lambda q: F.mse_loss(q, tn.tensor(y)),
                     "sum": lambda q: F.mse_loss(q, tn.tensor(y), reduction="sum"),
                     "half sum": lambda q: 0.5 * F.mse_loss(q, tn.tensor(y), reduction="sum"),
                     "half mean": lambda q: 0.5 * F.mse_loss(q, tn.tensor(y))}.items():
        q = tn.tensor(y_hat, requires_grad=True)
        value = fn(q)
        value.backward()
        results[name] = (value.item(), q.grad, y_hat - 0.1 * q.grad)
    hand = {"mean": 0.01, "sum": 0.02, "half sum": 0.01, "half mean": 0.005}
    for name, value in hand.items():
        assert results[name][0] == pytest.approx(value, rel=1e-12)
        assert abs(results[name][0] - 0.05) > 1e-3  # the document's 0.05 matches no convention
    assert 0.5 * (0.9 - 1) ** 2 + (0.1 - 0) ** 2 == pytest.approx(0.015)  # its expression as printed
    assert -2 * (0.9 - 1) == pytest.approx(0.2)  # its arithmetic: +0.2, not −0.2
    assert np.allclose(results["sum"][1], [-0.2, 0.2]) and np.allclose(results["sum"][2], [0.92, 0.08])
    assert np.allclose(results["mean"][2], [0.91, 0.09])


# --------------------------------------------------------------------------- layers and backprop
def test_e6_e23_dense_layer(device):
    rng = np.random.default_rng(1)
    a, w, b = rng.normal(size=(4, 3)), rng.normal(size=(2, 3)), rng.normal(size=2)
    z = host(F.linear(on(device, a), on(device, w), on(device, b)))
    per_unit = np.array([[sum(w[l, j] * a[i, j] for j in range(3)) + b[l] for l in range(2)] for i in range(4)])
    assert np.allclose(z, per_unit, rtol=1e-12)  # E23: z_l = Σ_j w_lj a_j + b_l
    assert np.allclose(z, (w @ a.T).T + b, rtol=1e-12)  # E6: column-vector form W a + b
    assert tn.gradcheck(F.linear, [on(device, a, True), on(device, w, True), on(device, b, True)])


def _one_hidden_layer(device, seed=2):
    rng = np.random.default_rng(seed)
    x, y = np.array([0.5, -1.0, 2.0]), np.array([0.0, 1.0])
    W1, b1 = rng.normal(size=(4, 3)), rng.normal(size=4) * 0.1
    W2, b2 = rng.normal(size=(2, 4)), rng.normal(size=2) * 0.1
    z1 = W1 @ x + b1
    a1 = sigmoid(z1)
    delta2 = softmax(W2 @ a1 + b2) - y
    tensors = [on(device, v, True) for v in (W1, b1, W2, b2)]
    loss = F.cross_entropy(F.linear(F.sigmoid(F.linear(on(device, x[None]), tensors[0], tensors[1])),
                                    tensors[2], tensors[3]), on(device, y[None]))
    loss.backward()
    return dict(x=x, y=y, W1=W1, b1=b1, W2=W2, b2=b2, z1=z1, a1=a1, delta2=delta2,
                grads=[host(t.grad) for t in tensors])


def test_e7_output_error(device):
    z = np.array([[0.3, -1.2, 2.0]])
    y = np.array([[1.0, 0.0, 1.0]])
    zt = on(device, z, grad=True)
    F.mse_loss(F.sigmoid(zt), on(device, y), reduction="sum").backward()
    a = sigmoid(z)
    assert np.allclose(host(zt.grad), 2 * (a - y) * a * (1 - a), rtol=1e-10)  # ∂L/∂a ⊙ ∂a/∂z: elementwise σ


def test_e7_with_softmax_needs_the_full_jacobian(device):
    """With softmax + CE the ⊙ form gives −y ⊙ (1 − ŷ); ŷ − y is Jᵀ ∂L/∂ŷ with the full Jacobian."""
    z, y = np.array([0.3, -1.2, 2.0]), np.array([0.0, 1.0, 0.0])
    zt = on(device, z[None], grad=True)
    F.cross_entropy(zt, on(device, y[None]), reduction="sum").backward()
    y_hat = softmax(z)
    autodiff = host(zt.grad)[0]
    (d_loss_d_yhat,) = numeric(lambda a: -(tn.tensor(y) * a.log()).sum(), y_hat)
    jacobian = np.stack([numeric(lambda v, k=k: F.softmax(v)[k], z)[0] for k in range(3)])  # ∂ŷ_k/∂z_j
    assert np.allclose(jacobian, np.diag(y_hat) - np.outer(y_hat, y_hat), atol=1e-8)
    assert np.allclose(autodiff, y_hat - y, rtol=1e-10, atol=1e-14)
    assert np.allclose(jacobian.T @ d_loss_d_yhat, autodiff, atol=1e-6)  # full Jacobian: ŷ − y
    elementwise = d_loss_d_yhat * np.diag(jacobian)  # E7's ⊙ with ∂a/∂z read elementwise
    assert np.allclose(elementwise, -y * (1 - y_hat), atol=1e-6)
    assert not np.allclose(elementwise, autodiff, atol=1e-2)


def test_e8_hidden_error(device):
    net = _one_hidden_layer(device)
    delta1 = (net["W2"].T @ net["delta2"]) * net["a1"] * (1 - net["a1"])
    gW1, gb1, gW2, gb2 = net["grads"]
    assert np.allclose(gb1, delta1, rtol=1e-9)  # ∂L/∂b_l = δ_l
    assert np.allclose(gW1, np.outer(delta1, net["x"]), rtol=1e-9)  # ∂L/∂W_l = δ_l a_(l−1)ᵀ
    assert np.allclose(gW2, np.outer(net["delta2"], net["a1"]), rtol=1e-9)
    assert np.allclose(gb2, net["delta2"], rtol=1e-9)
    document = np.outer(net["x"], net["x"]) + 1  # E8 as printed: a aᵀ + 1
    assert document.shape != delta1.shape


def test_e9_single_layer(device):
    x, y0 = np.array([[0.4, -1.0, 2.0]]), np.array([[0.0, 1.0]])
    w, b = np.array([[0.1, 0.2, -0.3], [0.5, -0.5, 0.25]]), np.array([0.05, -0.1])
    W, B = on(device, w, True), on(device, b, True)
    (0.5 * (F.sigmoid(F.linear(on(device, x), W, B)) - on(device, y0)) ** 2).sum().backward()
    y = sigmoid(x @ w.T + b)
    delta = (y - y0) * y * (1 - y)  # (y − y0) σ'(z)
    assert np.allclose(host(W.grad), delta.T @ x, rtol=1e-10)  # ... xᵀ: an outer product
    assert np.allclose(host(B.grad), delta[0], rtol=1e-10)


def test_e10_previous_layer_gradient(device):
    net = _one_hidden_layer(device)
    gW1, gb1, _, _ = net["grads"]
    # the W line: ∂E/∂z⁽²⁾ · ∂z⁽²⁾/∂a⁽¹⁾ = W₂ᵀδ₂ is ∂E/∂a⁽¹⁾, not a weight gradient
    w_line = net["W2"].T @ net["delta2"]
    (d_a1,) = numeric(lambda a: F.cross_entropy(F.linear(a, tn.tensor(net["W2"]), tn.tensor(net["b2"])),
                                                tn.tensor(net["y"][None])), net["a1"][None])
    assert np.allclose(w_line, d_a1[0], atol=1e-8)
    assert w_line.shape != gW1.shape
    slope = net["a1"] * (1 - net["a1"])
    assert np.allclose(gW1, np.outer(w_line * slope, net["x"]), rtol=1e-9)  # the corrected W line
    # the b line: ∂E/∂z⁽²⁾ · ∂z⁽²⁾/∂b⁽¹⁾, the Jacobian measured by central differences, is right

    def z2(b, k):
        hidden = F.sigmoid(F.linear(tn.tensor(net["x"][None]), tn.tensor(net["W1"]), b))
        return F.linear(hidden, tn.tensor(net["W2"]), tn.tensor(net["b2"]))[0][k]

    dz2_db1 = np.stack([numeric(lambda b, k=k: z2(b, k), net["b1"])[0] for k in range(2)])
    assert np.allclose(dz2_db1, net["W2"] * slope, atol=1e-8)  # W₂ diag σ'(z⁽¹⁾)
    b_line = net["delta2"] @ dz2_db1
    assert np.allclose(b_line, gb1, atol=1e-7)
    assert np.allclose(gb1, w_line * slope, rtol=1e-9)


def test_e13_neuron_without_bias(device):
    x, w = np.array([[1.0, -2.0, 0.5]]), np.array([[0.3, 0.1, -0.4]])
    W = on(device, w, True)
    out = F.sigmoid(F.linear(on(device, x), W))
    out.sum().backward()
    s = sigmoid((w * x).sum())
    assert out.item() == pytest.approx(s, rel=1e-12)  # σ(Σ w_i x_i)
    assert np.allclose(host(W.grad), s * (1 - s) * x, rtol=1e-10)
    assert F.sigmoid(F.linear(on(device, np.zeros((1, 3))), W)).item() == 0.5  # boundary through the origin


def test_e19_two_layer_mlp(device):
    rng = np.random.default_rng(3)
    x, W1, W2 = rng.normal(size=3), rng.normal(size=(4, 3)), rng.normal(size=(2, 4))
    f = F.sigmoid(F.linear(F.sigmoid(F.linear(on(device, x[None]), on(device, W1))), on(device, W2)))
    assert np.allclose(host(f)[0], sigmoid(W2 @ sigmoid(W1 @ x)), rtol=1e-12)
    assert tn.gradcheck(lambda a, b: F.sigmoid(F.linear(F.sigmoid(F.linear(on(device, x[None]), a)), b)),
                        [on(device, W1, True), on(device, W2, True)])


def test_e21_e22_two_layer_gradients():
    rng = np.random.default_rng(4)
    x, y = np.array([1.0, -0.5, 2.0]), np.array([1.0, 0.0])
    W1, W2 = rng.normal(size=(3, 3)) * 0.8, rng.normal(size=(2, 3)) * 0.8

    def loss(a, b):
        probs = F.softmax(F.linear(F.sigmoid(F.linear(tn.tensor(x[None]), a)), b))
        return -(tn.tensor(y[None]) * probs.log()).sum()

    check_W1, check_W2 = numeric(loss, W1, W2)
    z1 = W1 @ x
    a1 = sigmoid(z1)
    z2 = W2 @ a1
    delta2 = softmax(z2) - y
    assert np.allclose(check_W2, np.outer(delta2, a1), atol=1e-8)  # E21 corrected
    assert np.allclose(check_W1, np.outer((W2.T @ delta2) * a1 * (1 - a1), x), atol=1e-8)  # E22 corrected
    e21_document = np.outer(delta2 * sigmoid(z2) * (1 - sigmoid(z2)), x)
    e22_document = (W2.T @ e21_document) * (a1 * (1 - a1))[:, None]
    assert not np.allclose(check_W2, e21_document, atol=1e-3)
    assert not np.allclose(check_W1, e22_document, atol=1e-3)


def test_e27_chain_rule(device):
    xs = np.array([0.3, -1.2, 2.0])
    x = on(device, xs, grad=True)
    h = F.tanh(x)
    (h * h + h).sum().backward()  # h used twice: the contributions add
    t = np.tanh(xs)
    assert np.allclose(host(x.grad), (2 * t + 1) * (1 - t ** 2), rtol=1e-10)  # ∂L/∂h · ∂h/∂x


# --------------------------------------------------------------------------- the update rule
def test_e12_e16_e25_e28_gradient_descent(device):
    w0, b0, alpha = np.array([[0.5, -1.0]]), np.array([0.2]), 0.1
    layer = nn.Linear(2, 1).to(device=device, dtype="float64")
    layer.load_state_dict({"weight": w0, "bias": b0})
    x, y = np.array([[1.0, 2.0], [-1.0, 0.5]]), np.array([[1.0], [0.0]])
    opt = optim.SGD(layer.parameters(), lr=alpha)
    F.mse_loss(layer(on(device, x)), on(device, y)).backward()
    opt.step()
    residual = x @ w0.T + b0 - y
    grad_w, grad_b = 2 / len(x) * residual.T @ x, 2 / len(x) * residual.sum(axis=0)
    assert np.allclose(host(layer.weight), w0 - alpha * grad_w, rtol=1e-12)  # W ← W − α ∂E/∂W
    assert np.allclose(host(layer.bias), b0 - alpha * grad_b, rtol=1e-12)  # b ← b − α ∂E/∂b


# --------------------------------------------------------------------------- the errata tables
def _errata_sections():
    """heading -> text of each ### section of equations.md's errata."""
    text = TABLE.read_text(encoding="utf-8")
    errata = text[text.index("## Errata"):text.index("## Loosely written")]
    return {part.splitlines()[0]: part for part in re.split(r"^### ", errata, flags=re.M)[1:]}


def _printed_numbers(section, label):
    """The numbers in the value cell of the table row whose label starts with ``label``."""
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0].startswith(label):
            return np.array([float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", cells[-1].replace("−", "-"))])
    raise AssertionError(f"no row starting with {label!r} in:\n{section[:300]}")


def _weights(section):
    """The ```python block of a section, executed: the numbers the reader is told were used."""
    (block,) = re.findall(r"```python\n(.*?)```", section, re.S)
    namespace = {}
    exec(block, namespace)
    return {k: np.array(v, dtype="float64") for k, v in namespace.items() if not k.startswith("__")}, block


def _check(section, label, expected, decimals):
    printed = _printed_numbers(section, label)[:np.size(expected)]
    assert np.allclose(printed, np.ravel(expected), atol=0.6 * 10.0 ** -decimals, rtol=0), (label, printed, expected)


def test_errata_tables_reproduce_from_the_printed_weights():
    """Every number of the E7/E8/E10 and E21/E22 tables, redone from the weights equations.md
    prints (hand formulas in NumPy; "gradient check" rows by central differences), and the
    same weights are the ones tutorial 5 uses."""
    sections = _errata_sections()
    tutorial = (ROOT / "tutorials" / "05_backprop_mlp.py").read_text(encoding="utf-8")
    net_heading = next(h for h in sections if h.startswith("The network of E7"))
    w, block = _weights(sections[net_heading])
    for name, value in w.items():
        assert str(value.tolist()) in tutorial, f"tutorial 5 does not use {name} = {value.tolist()}"
    x, y, W1, b1, W2, b2 = (w[k] for k in ("x", "y", "W1", "b1", "W2", "b2"))
    a1 = sigmoid(W1 @ x + b1)
    y_hat = softmax(W2 @ a1 + b2)
    delta2 = y_hat - y
    delta1 = (W2.T @ delta2) * a1 * (1 - a1)

    def loss(W1_, b1_, W2_, b2_, target=y):
        return F.cross_entropy(F.linear(F.sigmoid(F.linear(tn.tensor(x[None]), W1_, b1_)), W2_, b2_),
                               tn.tensor(target[None]))

    e7 = sections[next(h for h in sections if h.startswith("E7"))]
    _check(e7, "⊙ form", -y * (1 - y_hat), 6)
    _check(e7, "full Jacobian form", y_hat - y, 6)
    (check_z2,) = numeric(lambda z: -(tn.tensor(y) * F.softmax(z).log()).sum(), W2 @ a1 + b2)
    _check(e7, "gradient check", check_z2, 6)

    e8 = sections[next(h for h in sections if h.startswith("E8"))]
    _check(e8, "document δ_1", np.outer(x, x) + 1, 6)
    _check(e8, "correct δ_1", delta1, 6)
    check_b1 = numeric(lambda v: loss(tn.tensor(W1), v, tn.tensor(W2), tn.tensor(b2)), b1)[0]
    _check(e8, "gradient check", check_b1, 6)
    other = numeric(lambda v: loss(tn.tensor(W1), v, tn.tensor(W2), tn.tensor(b2), np.array([1.0, 0.0])), b1)[0]
    _check(e8, "check with target (1, 0)", other, 6)

    e10 = sections[next(h for h in sections if h.startswith("E10"))]
    _check(e10, "W line", W2.T @ delta2, 6)
    (check_a1,) = numeric(lambda a: F.cross_entropy(F.linear(a, tn.tensor(W2), tn.tensor(b2)), tn.tensor(y[None])),
                          a1[None])
    _check(e10, "gradient check ∂E/∂a^(1)", check_a1, 6)
    _check(e10, "b line", delta1, 6)
    _check(e10, "gradient check ∂E/∂b^(1)", check_b1, 6)

    two = sections[next(h for h in sections if h.startswith("E21"))]
    w, _ = _weights(two)
    for name, value in w.items():
        assert str(value.tolist()) in tutorial, f"tutorial 5 does not use {name} = {value.tolist()}"
    x, y, W1, W2 = (w[k] for k in ("x", "y", "W1", "W2"))
    z1 = W1 @ x
    a1 = sigmoid(z1)
    z2 = W2 @ a1
    y_hat = softmax(z2)
    e21_document = np.outer((y_hat - y) * sigmoid(z2) * (1 - sigmoid(z2)), x)
    e21_correct = np.outer(y_hat - y, a1)
    slope1 = (a1 * (1 - a1))[:, None]
    check_W1, check_W2 = numeric(
        lambda p, q: -(tn.tensor(y[None]) * F.softmax(F.linear(F.sigmoid(F.linear(tn.tensor(x[None]), p)), q)).log()).sum(),
        W1, W2)
    _check(two, "E21 document", e21_document, 5)
    _check(two, "E21 correct", e21_correct, 5)
    _check(two, "gradient check ∂L/∂W_2", check_W2, 5)
    _check(two, "E22 document (W_2ᵀ · E21)", (W2.T @ e21_document) * slope1, 5)
    _check(two, "E22 document with the correct", (W2.T @ e21_correct) * slope1, 5)
    _check(two, "E22 correct", np.outer((W2.T @ (y_hat - y)) * a1 * (1 - a1), x), 5)
    _check(two, "gradient check ∂L/∂W_1", check_W1, 5)
