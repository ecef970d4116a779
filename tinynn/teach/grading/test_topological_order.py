"""Exercise topological_order: the order of the backward walk, in tinynn/tensor.py.

Only ops that are not exercises build the graphs here (add, tanh, exp), so this grades the
walk alone."""
import math

import tinynn as tn
from tinynn.backend import numpy as np
from tinynn.tensor import topological_order


def _assert_topological(order, root):
    """Root first; every op output exactly once, before every tensor it was computed from.
    A leaf may be listed more than once (backward then delivers its gradient in parts); its
    last place must come after every tensor computed from it."""
    assert order[0] is root, "the root (the tensor backward starts from) must come first"
    computed = [id(t) for t in order if t.creator is not None]
    assert len(set(computed)) == len(computed), "a tensor computed by an op appears twice: backward would run it twice"
    position = {id(t): i for i, t in enumerate(order)}  # the last place of each tensor
    for t in order:
        if t.creator is not None:
            for parent in t.creator.parents():
                if parent.requires_grad:
                    assert id(parent) in position, "a tensor that needs a gradient is missing from the order"
                    assert position[id(parent)] > position[id(t)], "a tensor comes before one computed from it"


def test_diamond_every_tensor_once_and_after_its_users():
    x = tn.tensor([0.3, -0.7], dtype=tn.float64, requires_grad=True)
    a, b = tn.tanh(x), tn.exp(x)
    y = a + b
    z = y + a
    order = topological_order(z)
    _assert_topological(order, z)
    assert {id(t) for t in order} == {id(t) for t in (x, a, b, y, z)}


def test_constants_are_left_out():
    x = tn.tensor([1.0], requires_grad=True)
    c = tn.tensor([2.0])
    z = tn.tanh(x + c)
    order = topological_order(z)
    assert all(t is not c for t in order) and any(t is x for t in order)


def test_backward_through_a_diamond_by_hand():
    values = np.array([0.3, -0.7])
    x = tn.tensor(values, dtype=tn.float64, requires_grad=True)
    a = tn.tanh(x)
    z = (a + tn.exp(x)) + a  # z = 2 tanh(x) + exp(x)
    z.backward(tn.ones(2, dtype=tn.float64))
    want = [2 * (1 - math.tanh(v) ** 2) + math.exp(v) for v in values]
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-12)


def test_ten_thousand_op_chain_needs_no_recursion():
    x = tn.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y + 1.0
    order = topological_order(y)
    assert len(order) == 10_001 and order[-1] is x
    y.backward(tn.ones(1))
    np.testing.assert_allclose(x.grad.numpy(), [1.0])
