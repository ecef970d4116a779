"""Graph semantics: topological order, deep chains, diamonds, retain_graph, memory release."""
import gc
import tracemalloc

import numpy as np
import pytest

import tinynn as tn


def test_diamond_reuse_gets_both_paths():
    x = tn.tensor([2.0], dtype="float64", requires_grad=True)
    a = x * 3
    y = a * a + a  # a is used twice: dy/dx = (2a + 1) * 3
    y.backward()
    assert x.grad.tolist() == [(2 * 6 + 1) * 3]


def test_a_plus_a():
    a = tn.tensor([1.0], requires_grad=True)
    (a + a).backward()
    assert a.grad.tolist() == [2.0]


def test_ten_thousand_op_chain_does_not_hit_the_recursion_limit():
    x = tn.tensor([1.0], dtype="float64", requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    np.testing.assert_allclose(x.grad, [1.0001 ** 10_000], rtol=1e-9)


def test_graph_is_freed_after_backward_unless_retained():
    x = tn.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()  # allowed: the first call kept the graph
    assert x.grad.tolist() == [4.0, 8.0]
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_backward_releases_saved_arrays():
    x = tn.tensor(np.ones(10), requires_grad=True)
    h = x.exp()
    y = h.sum()
    fn = h.creator
    assert fn.out is not None
    y.backward()
    assert fn.inputs is None and not hasattr(fn, "out")


def test_memory_does_not_grow_over_1000_steps():
    w = tn.randn(32, 16, requires_grad=True)
    x = tn.randn(8, 16)

    def step():
        loss = ((x @ w.T).tanh() ** 2).mean()
        loss.backward()
        w.grad = None

    for _ in range(50):
        step()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(1000):
        step()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert after - before < 64_000, f"memory grew by {after - before} bytes over 1000 steps"


def test_no_reference_cycles_keep_graphs_alive():
    """Outputs point to their creator and the creator to its inputs, never back: plain
    reference counting frees a graph the moment the last tensor of it goes."""
    gc.collect()
    gc.disable()
    try:
        x = tn.randn(4, requires_grad=True)
        for _ in range(100):
            (x.exp() * 2).sum()
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_only_inputs_that_need_grad_get_one():
    a = tn.tensor([1.0], requires_grad=True)
    b = tn.tensor([2.0])
    (a * b).backward()
    assert a.grad.tolist() == [2.0] and b.grad is None
