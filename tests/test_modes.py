"""Grad mode and anomaly detection are thread-local, as PyTorch's (issue 15)."""
import threading

import pytest

import tinynn as tn


def test_no_grad_in_another_thread_does_not_stop_recording_here():
    inside, release, lost = threading.Event(), threading.Event(), []

    def evaluator():
        with tn.no_grad():
            inside.set()
            release.wait(5)

    t = threading.Thread(target=evaluator)
    t.start()
    inside.wait(5)
    x = tn.ones(3, requires_grad=True)
    for _ in range(200):
        if not (x * 2).requires_grad:
            lost.append(1)
    release.set()
    t.join()
    assert not lost and tn.is_grad_enabled()


def test_interleaved_no_grad_blocks_in_two_threads_restore_each_their_own():
    barrier = threading.Barrier(2)
    results = []

    def worker():
        with tn.no_grad():
            barrier.wait(5)
        barrier.wait(5)
        results.append(tn.is_grad_enabled())

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True, True] and tn.is_grad_enabled()


def test_new_threads_start_with_grad_on_even_if_the_parent_turned_it_off():
    seen = []
    with tn.no_grad():
        t = threading.Thread(target=lambda: seen.append(tn.is_grad_enabled()))
        t.start()
        t.join()
    assert seen == [True]


def test_anomaly_mode_is_thread_local():
    seen = []
    with tn.detect_anomaly():
        t = threading.Thread(target=lambda: seen.append(tn.is_anomaly_enabled()))
        t.start()
        t.join()
        assert tn.is_anomaly_enabled()
    assert seen == [False] and not tn.is_anomaly_enabled()


def test_modes_restore_on_exceptions_and_nest():
    with pytest.raises(ZeroDivisionError), tn.no_grad():
        1 / 0
    assert tn.is_grad_enabled()
    with tn.no_grad():
        with tn.enable_grad():
            assert tn.is_grad_enabled()
        assert not tn.is_grad_enabled()
    with tn.set_grad_enabled(False):
        assert not tn.is_grad_enabled()
    assert tn.is_grad_enabled()
    with tn.inference_mode():
        assert not (tn.ones(1, requires_grad=True) * 2).requires_grad


def test_set_grad_enabled_as_a_call_switches_until_switched_back():
    tn.set_grad_enabled(False)
    try:
        assert not tn.is_grad_enabled()
    finally:
        tn.set_grad_enabled(True)
    assert tn.is_grad_enabled()


def test_no_grad_decorates():
    @tn.no_grad()
    def f(x):
        return x * 2

    assert not f(tn.ones(1, requires_grad=True)).requires_grad
