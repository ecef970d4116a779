"""Bad input gets a clear exception naming the op, the shapes/dtypes/devices and the fix,
raised before any state changes."""
import numpy as np
import pytest

import tinynn as tn
import tinynn.functional as F


def test_matmul_shape_mismatch_names_both_shapes():
    a, b = tn.ones((2, 3)), tn.ones((4, 5))
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(4, 5\)"):
        a @ b


def test_broadcast_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"Add.*\(2, 3\).*\(4,\)"):
        tn.ones((2, 3)) + tn.ones(4)


def test_int_and_bool_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match="floating-point.*int64"):
        tn.tensor([1, 2], requires_grad=True)
    t = tn.tensor([True, False])
    with pytest.raises(TypeError, match="bool"):
        t.requires_grad = True
    assert not t.requires_grad


def test_backward_on_non_scalar_needs_a_gradient():
    x = tn.ones(3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"shape \(3,\).*y.backward\(gradient\)"):
        y.backward()
    assert x.grad is None
    y.backward(tn.ones(3))
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


def test_backward_grad_of_wrong_shape():
    y = tn.ones(3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"gradient has shape \(2,\) but the tensor has shape \(3,\)"):
        y.backward(np.ones(2, dtype=np.float32))


def test_mixing_devices_names_the_op_and_devices():
    a = tn.ones(3, requires_grad=True)
    b = tn.ones(3).to("strict")
    with pytest.raises(RuntimeError, match=r"MulFunction: inputs are on different devices \(cpu .*strict"):
        a * b
    with pytest.raises(RuntimeError, match="different devices"):
        b + np.ones(3)  # a raw host array next to a device tensor


def test_cross_entropy_target_errors():
    logits = tn.zeros((2, 3), requires_grad=True)
    with pytest.raises(IndexError, match="class index 3 is out of range for 3 classes"):
        F.cross_entropy(logits, tn.tensor([0, 3]))
    with pytest.raises(IndexError, match="class index -1 is out of range for 3 classes"):
        F.cross_entropy(logits, tn.tensor([-1, 0]))  # NumPy indexing would wrap it silently
    for dtype in ("int8", "int32", "uint8", "uint64"):  # every integer width, signed or not
        with pytest.raises(IndexError, match="class index 100 is out of range"):
            F.cross_entropy(logits, tn.tensor(np.array([100, 0], dtype=dtype)))
        assert F.cross_entropy(logits, tn.tensor(np.array([2, 0], dtype=dtype))).item() > 0
    with pytest.raises(IndexError, match="class index -1 is out of range"):  # on the CuPy-like device
        F.nll_loss(logits.to("strict"), tn.tensor(np.array([0, -1], dtype="int8")).to("strict"))
    with pytest.raises(TypeError, match="integers"):
        F.cross_entropy(logits, tn.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"2 rows of logits but targets of shape \(3,\)"):
        F.cross_entropy(logits, tn.tensor([0, 1, 2]))


def test_loss_shape_mismatch_is_not_broadcast_silently():
    with pytest.raises(ValueError, match=r"mse_loss: input shape \(4, 1\) and target shape \(4,\)"):
        F.mse_loss(tn.zeros((4, 1)), tn.zeros(4))


def test_cuda_without_cupy_names_the_gpu_extra():
    if tn.cuda_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match=r"tinynn-edu\[gpu\]|no usable GPU"):
        tn.zeros(3, device="cuda")
    with pytest.raises(ValueError, match="unknown device"):
        tn.zeros(3, device="tpu")


def test_custom_function_returning_a_wrong_shape():
    class Bad(tn.Function):
        def forward(self, x):
            return x.sum()

        def backward(self, grad):
            return grad * tn.backend.numpy.ones(7)

    x = tn.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError,
                       match=r"Bad.backward produced a gradient of shape \(7,\) for an input of shape \(3,\)"):
        Bad()(x).backward()


def test_linear_refuses_a_float64_batch_for_float32_weights():
    from tinynn import nn
    layer = nn.Linear(2, 3)
    with pytest.raises(TypeError, match=r"linear: input is float64 but the weight is float32.*x.to\(dtype='float32'\)"):
        layer(tn.Tensor(np.ones((4, 2))))
    assert layer(tn.ones(4, 2)).dtype == np.float32


# ----------------------------------------------------------------------------- found by the fuzz suite (issue 15)
def _decision(fn):
    """'ok' with the result, or 'refused' with the exception."""
    try:
        return "ok", fn()
    except Exception as e:  # noqa: BLE001 - the caller checks which kind
        return "refused", e


SIZES = {  # what a user passes as a size, each to tinynn and (converted) to torch
    "3": 3, "(2, 3)": (2, 3), "[2, 3]": [2, 3], "()": (), "int-0d-tensor": "T:3", "float-0d-tensor": "T:1.5",
    "bool-0d-tensor": "T:True", "(int-tensor, 3)": ("T:2", 3), "(float-tensor, 3)": ("T:2.0", 3),
    "np.int64": np.int64(3), "np.float64": np.float64(3.0), "0-d int array": np.array(3),
    "1-d array": np.array([2, 3]), "2-d array": np.ones((2, 3)), "None": None, "str": "abc", "2.5": 2.5,
    "True": True, "-1": -1, "(2, -3)": (2, -3), "10**20": 10 ** 20,
}


def _size_for(lib, value):
    if isinstance(value, tuple):
        return tuple(_size_for(lib, v) for v in value)
    if isinstance(value, str) and value.startswith("T:"):
        return lib.tensor(eval(value[2:]))  # noqa: S307 - a literal from the table above
    return value


@pytest.mark.parametrize("op", ["zeros", "ones", "empty", "randn", "rand"])
@pytest.mark.parametrize("label", sorted(SIZES))
def test_sizes_are_accepted_or_refused_as_torch(op, label):
    """tn.zeros(tn.tensor(1.5)) gave shape (1,); an ndarray or 10**20 gave NumPy's own message."""
    torch = pytest.importorskip("torch")
    theirs, their_result = _decision(lambda: getattr(torch, op)(_size_for(torch, SIZES[label])))
    ours, result = _decision(lambda: getattr(tn, op)(_size_for(tn, SIZES[label])))
    assert ours == theirs, (op, label, result, their_result)
    if ours == "ok":
        assert tuple(result.shape) == tuple(their_result.shape)
    else:
        assert isinstance(result, (TypeError, RuntimeError)) and f"{op}()" in str(result), result


@pytest.mark.parametrize("size,match", [
    (10 ** 20, r"zeros\(\): the size \(100000000000000000000,\) has .* more than a tensor can hold"),
    ((2 ** 31, 2 ** 31), r"zeros\(\): cannot allocate a float32 tensor of size \(2147483648, 2147483648\)"),
    (2 ** 46, r"zeros\(\): cannot allocate .*not enough memory|too large"),  # 256 TiB: past the address space
])
def test_huge_sizes_name_the_op_and_the_size(size, match):
    for op in (tn.zeros, tn.ones):
        with pytest.raises(RuntimeError, match=match.replace("zeros", op.__name__)):
            op(size)


def test_a_size_that_is_an_array_names_the_op():
    with pytest.raises(TypeError, match=r"randn\(\): the size must be ints .* got an ndarray of shape \(2, 3\).*t.shape"):
        tn.randn(np.ones((2, 3)))
    with pytest.raises(TypeError, match=r"full\(\): .*e.g. full\(\(2, 3\), 7.0\)"):
        tn.full(None, 1.0)
    assert tn.zeros(tn.ones((2, 3)).shape).shape == (2, 3)  # what was meant


def test_a_non_number_operand_names_the_op():
    x = tn.ones((2, 3))
    for value in ("abc", {"a": 1}, object(), [[1.0, 2.0], [3.0]]):
        with pytest.raises(TypeError, match="MatMul.*an operand is .*expected a Tensor, a number"):
            x @ value
        with pytest.raises(TypeError, match="Add.*an operand is"):
            x + value
    assert (x @ [1.0, 2.0, 3.0]).tolist() == [6.0, 6.0]  # a list of numbers is still a constant


@pytest.mark.parametrize("shape", [None, "abc", 2.5, True, (2.0, 3), [2, None], {"a": 1}], ids=repr)
def test_reshape_with_a_non_int_names_reshape(shape):
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError):
        torch.ones(2, 3).reshape(shape)
    with pytest.raises(TypeError, match=r"reshape: the shape must be ints, e.g. x.reshape\(2, -1\)"):
        tn.ones((2, 3)).reshape(shape)


def test_reshape_with_a_tensor_as_the_shape_follows_torch():
    torch = pytest.importorskip("torch")
    assert tn.ones((2, 3)).reshape(tn.tensor(6)).shape == tuple(torch.ones(2, 3).reshape(torch.tensor(6)).shape)
    for bad in (tn.tensor(1.5), tn.tensor([2, 3])):
        with pytest.raises(TypeError, match="reshape: the shape must be ints"):
            tn.ones((2, 3)).reshape(bad)


# -- optimizers: hyper-parameters given as Tensors, betas that are not a pair
HYPER = {"0-d": 0.05, "0-d float64": ("float64", 0.05), "1-element": [0.05], "int 0-d": 1}


@pytest.mark.parametrize("opt,key", [("Adam", "lr"), ("Adam", "eps"), ("SGD", "lr"), ("AdamW", "lr")])
@pytest.mark.parametrize("label", sorted(HYPER))
def test_a_one_element_tensor_hyper_parameter_steps_as_torch(opt, key, label):
    """PyTorch accepts lr=torch.tensor(0.05); tinynn uses float(tensor): the same steps."""
    torch = pytest.importorskip("torch")
    value = HYPER[label]
    dtype, value = value if isinstance(value, tuple) else ("float32", value)
    w0 = np.array([[0.5, -1.0], [2.0, 0.25]], dtype=np.float32)
    ours_w, their_w = tn.nn.Parameter(tn.tensor(w0)), torch.nn.Parameter(torch.tensor(w0))
    ours = getattr(tn.optim, opt)([ours_w], **{key: tn.tensor(value, dtype=dtype)})
    theirs = getattr(torch.optim, opt)([their_w], **{key: torch.tensor(value, dtype=getattr(torch, dtype))})
    assert isinstance(ours.param_groups[0][key], (int, float))
    for _ in range(3):
        for o, w in ((ours, ours_w), (theirs, their_w)):
            o.zero_grad()
            ((w * w).sum() + w.sum()).backward()
            o.step()
    np.testing.assert_allclose(ours_w.detach().numpy(), their_w.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("value", [tn.tensor(float("nan")), tn.tensor(-1.0), tn.tensor([0.1, 0.2]), tn.tensor(True)],
                         ids=["nan", "negative", "two-elements", "bool"])
def test_a_bad_tensor_hyper_parameter_is_refused_naming_it(value):
    with pytest.raises((TypeError, ValueError), match="Adam: (invalid )?learning rate"):
        tn.optim.Adam(tn.nn.Linear(2, 2).parameters(), lr=value)


@pytest.mark.parametrize("betas", [None, 0.9, 5, "ab", object(), {"a": 1}, tn.tensor(0.9), True], ids=repr)
def test_adam_betas_that_are_not_a_pair_are_a_type_error(betas):
    torch = pytest.importorskip("torch")
    with pytest.raises((TypeError, IndexError, KeyError)):  # PyTorch refuses, with messages of its own
        torch.optim.Adam(torch.nn.Linear(2, 2).parameters(), betas=betas if not isinstance(betas, tn.Tensor) else
                         torch.tensor(0.9))
    with pytest.raises(TypeError, match=r"Adam: betas must be a pair of floats \(beta1, beta2\)"):
        tn.optim.Adam(tn.nn.Linear(2, 2).parameters(), betas=betas)


def test_adam_betas_as_a_list_or_a_tensor_pair_as_torch():
    torch = pytest.importorskip("torch")
    for ours, theirs in (([0.8, 0.9], [0.8, 0.9]), (tn.tensor([0.8, 0.9]), torch.tensor([0.8, 0.9]))):
        got = tn.optim.Adam(tn.nn.Linear(2, 2).parameters(), betas=ours).param_groups[0]["betas"]
        want = torch.optim.Adam(torch.nn.Linear(2, 2).parameters(), betas=theirs).param_groups[0]["betas"]
        assert isinstance(got, tuple) and np.allclose(got, [float(b) for b in want])
    with pytest.raises(ValueError, match=r"Adam: betas must be a pair .* got 3 values"):
        tn.optim.Adam(tn.nn.Linear(2, 2).parameters(), betas=(0.9, 0.99, 0.999))


@pytest.mark.parametrize("make,error,match", [
    (lambda o: tn.optim.lr_scheduler.MultiStepLR(o, milestones=5), TypeError, "MultiStepLR: milestones must be a list"),
    (lambda o: tn.optim.lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=0), ValueError,
     "OneCycleLR: invalid pct_start"),
    (lambda o: tn.optim.lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=10, anneal_strategy=tn.tensor(1.0)),
     TypeError, "OneCycleLR: anneal_strategy must be one of 'cos', 'linear'"),
    (lambda o: tn.optim.lr_scheduler.ReduceLROnPlateau(o, mode=np.ones(2)), TypeError, "ReduceLROnPlateau: mode"),
    (lambda o: tn.optim.SGD(None), TypeError, "SGD: params must be an iterable"),
    (lambda o: tn.optim.LBFGS(tn.nn.Linear(2, 2).parameters(), line_search_fn=np.ones(2)), TypeError,
     "LBFGS: line_search_fn must be one of None, 'strong_wolfe'"),
], ids=["milestones-int", "pct_start-0", "anneal-tensor", "mode-array", "params-None", "line_search-array"])
def test_schedule_and_optimizer_arguments_name_the_class(make, error, match):
    opt = tn.optim.SGD(tn.nn.Linear(2, 2).parameters(), lr=0.1, momentum=0.9)
    before = [dict(g) for g in opt.param_groups]
    with pytest.raises(error, match=match):
        make(opt)
    assert [dict(g) for g in opt.param_groups] == before


def test_torch_refuses_the_schedule_arguments_refused_above():
    torch = pytest.importorskip("torch")
    opt = torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=0.1, momentum=0.9)
    with pytest.raises(TypeError):
        torch.optim.lr_scheduler.MultiStepLR(opt, milestones=5)
    with pytest.raises(ValueError):
        torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=10, pct_start=0)
    with pytest.raises(TypeError):
        torch.optim.SGD(None)


# -- data and checkpoints
def test_data_arguments_name_the_function():
    from tinynn.data import DataLoader, Subset, TensorDataset, random_split
    ds = TensorDataset(tn.ones((6, 2)), tn.zeros(6))
    for lengths in (None, 5, "ab", tn.tensor(1.5), [0.5, "a"]):
        with pytest.raises(TypeError, match="random_split: (lengths must be a list|every length must be a number)"):
            random_split(ds, lengths)
    for indices in (None, 5, 2.5, "ab", [1.5], np.ones((2, 2), dtype=int)):
        with pytest.raises(TypeError, match="Subset: indices must be"):
            Subset(ds, indices)
    assert len(Subset(ds, tn.tensor([4, 1]))) == 2 and len(Subset(ds, range(3))) == 3
    for timeout in (None, "abc", -1, float("nan")):
        with pytest.raises(ValueError, match="DataLoader: timeout option should be a non-negative number"):
            DataLoader(ds, timeout=timeout)
    for sampler in (5, 2.5, "abc"):
        with pytest.raises(TypeError, match="DataLoader: sampler must be an iterable of indices"):
            DataLoader(ds, sampler=sampler)
    assert [len(b[0]) for b in DataLoader(ds, sampler=[5, 0, 3], batch_size=2)] == [2, 1]


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="needs os.mkfifo")
def test_save_does_not_replace_a_fifo(tmp_path):
    """The atomic rename would have swapped a FIFO (or, as root, /dev/null) for a file."""
    import os
    import stat
    path = tmp_path / "pipe"
    os.mkfifo(path)
    with pytest.raises(ValueError, match=r"tn.save\(.*pipe'\): the path is not a regular file"):
        tn.save({"w": np.ones(3)}, path)
    assert stat.S_ISFIFO(os.stat(path).st_mode)
    assert sorted(os.listdir(tmp_path)) == ["pipe"]  # no temporary left behind


@pytest.mark.parametrize("call, op", [
    (lambda lib: lib.ones(3) + 10 ** 20, "Add"),            # beyond int64: PyTorch refuses, whatever the dtype
    (lambda lib: lib.ones(7).reshape(-7), "reshape"),        # NumPy reads any negative as -1; PyTorch refuses
    (lambda lib: lib.softmax(lib.tensor([1, 2]), 0), "softmax"),
    (lambda lib: __import__(f"{lib.__name__}.functional" if lib.__name__ == "tinynn" else "torch.nn.functional",
                            fromlist=["gelu"]).gelu(lib.tensor([1, 2])), "gelu"),
])
def test_refused_as_torch_refuses_naming_the_op(call, op):
    torch = pytest.importorskip("torch")
    with pytest.raises((RuntimeError, OverflowError, NotImplementedError, TypeError)):
        call(torch)
    with pytest.raises((TypeError, ValueError, RuntimeError, OverflowError)) as info:
        call(tn)
    assert op.lower() in str(info.value).lower()


def test_autograd_has_torchs_anomaly_switches():
    with tn.autograd.detect_anomaly():
        assert tn.is_anomaly_enabled()
    tn.autograd.set_detect_anomaly(True)
    try:
        assert tn.is_anomaly_enabled()
    finally:
        tn.autograd.set_detect_anomaly(False)
    assert not tn.is_anomaly_enabled()
