"""Shared fixtures: devices (cpu, the strict CuPy-like test device, real cuda when present),
the optional PyTorch oracle, and hypothesis profiles (deadline off; `ci` keeps it quick)."""
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import tinynn as tn
from tinynn import backend

settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                                 HealthCheck.function_scoped_fixture])
settings.register_profile("dev", max_examples=100, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                                 HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

CUDA = pytest.param("cuda", marks=pytest.mark.skipif(
    not backend.cuda_available(), reason="needs CuPy and a CUDA GPU (pip install 'tinynn-edu[gpu]')"))
DEVICES = ["cpu", "strict", CUDA]


@pytest.fixture(params=DEVICES)
def device(request):
    """Run the test on every device: cpu, the strict test device, and cuda where available."""
    return request.param


@pytest.fixture
def torch():
    """PyTorch as an independent oracle; the test skips cleanly where it is not installed."""
    return pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def _seed():
    tn.manual_seed(0)
    yield


def host(x):
    """Host NumPy copy of a Tensor or raw array, from any device."""
    return backend.to_host(x._data if isinstance(x, tn.Tensor) else x)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# tests/programs/ holds plain PyTorch-style scripts that test_torch_programs.py runs in
# subprocesses (once with torch, once with tinynn as torch); --doctest-modules must not import them.
collect_ignore_glob = ["programs/*"]
