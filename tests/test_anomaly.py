"""tn.detect_anomaly(): the first op whose forward output or backward gradient is NaN/inf
raises FloatingPointError naming the op and the line that created it; outside the context
nothing is checked."""
import inspect
import pathlib

import numpy as np
import pytest

import tinynn as tn
from tinynn import backend

THIS_FILE = pathlib.Path(__file__).name


def _checking():
    """Whether anomaly detection is on right now: does an op that makes NaN raise?"""
    try:
        with np.errstate(invalid="ignore"):
            tn.tensor([-1.0]).sqrt()
        return False
    except FloatingPointError:
        return True


def _line():
    """The line number of the caller's next line."""
    return inspect.currentframe().f_back.f_lineno + 1


def test_forward_nan_names_the_op_and_the_line(device):
    x = tn.tensor([-1.0, 4.0], device=device, requires_grad=True)
    with pytest.raises(FloatingPointError) as info, tn.detect_anomaly():
        line = _line()
        x.sqrt()
    message = str(info.value)
    assert message.startswith("SqrtFunction produced nan in its forward output")
    assert f"{THIS_FILE}:{line}" in message and "x.sqrt()" in message


def test_forward_inf_without_grad_is_checked_too(device):
    x = tn.tensor([1.0, 1000.0], device=device)  # no requires_grad: forward is still checked
    with pytest.raises(FloatingPointError, match="^ExpFunction produced inf in its forward output"), tn.detect_anomaly():
        x.exp()


def test_backward_inf_names_the_op_and_where_it_was_created(device):
    x = tn.tensor([0.0, 4.0], device=device, requires_grad=True)
    with tn.detect_anomaly():
        line = _line()
        y = x.sqrt().sum()  # forward is finite: sqrt(0) = 0
        with pytest.raises(FloatingPointError) as info, np.errstate(divide="ignore", invalid="ignore"):
            y.backward()  # d sqrt(x)/dx = 1 / (2 sqrt(x)) is inf at 0
    message = str(info.value)
    assert message.startswith("SqrtFunction produced inf in its backward (a gradient of its inputs)")
    assert f"{THIS_FILE}:{line}" in message and "x.sqrt().sum()" in message


def test_backward_nan_in_a_custom_function():
    class Broken(tn.Function):
        def forward(self, x):
            return x * 2

        def backward(self, grad):
            return grad * backend.numpy.nan

    x = tn.tensor([1.0, 2.0], requires_grad=True)
    with tn.detect_anomaly():
        out = Broken()(x).sum()
        with pytest.raises(FloatingPointError, match="^Broken produced nan in its backward"):
            out.backward()
    assert x.grad is None  # the pass stopped at the bad op: nothing accumulated


def test_the_first_bad_op_is_reported_not_a_later_one():
    x = tn.tensor([-1.0], requires_grad=True)
    with pytest.raises(FloatingPointError, match="^LogFunction produced nan"), tn.detect_anomaly():
        (x.log() * 2).exp()  # log(-1) is nan; MulFunction and ExpFunction downstream never get to complain


def test_outside_the_context_nothing_is_checked(device):
    x = tn.tensor([-1.0, 0.0], device=device, requires_grad=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        y = x.sqrt()
        y.sum().backward()
    assert np.isnan(backend.to_host(y.data)[0])
    assert np.isinf(backend.to_host(x.grad)[1])
    assert not _checking()


def test_finite_values_pass_and_the_result_is_unchanged(device):
    x = tn.tensor([0.5, 2.0], device=device, requires_grad=True)
    with tn.detect_anomaly():
        y = (x.log() * x).sum()
        y.backward()
    assert np.allclose(backend.to_host(x.grad), np.log([0.5, 2.0]) + 1)


def test_context_restores_the_previous_state_even_after_an_error():
    with pytest.raises(FloatingPointError), tn.detect_anomaly():
        tn.tensor([-1.0]).sqrt()
    assert not _checking()
    with tn.detect_anomaly():
        with tn.detect_anomaly():
            pass
        assert _checking()  # leaving the inner one keeps the outer on
    assert not _checking()


def test_integer_results_are_not_checked():
    idx = tn.tensor([0, 1, 1])
    with tn.detect_anomaly():
        assert (idx + 1).tolist() == [1, 2, 2]
