"""PyTorch as the oracle for the nn extras: the same function on the same numbers in both
frameworks, forward values and input gradients compared (tests/test_*_extra.py, test_batchnorm)."""
import numpy as np

import tinynn as tn
from tinynn import backend


def host(t):
    if isinstance(t, tn.Tensor):
        return backend.to_host(t._data)
    return backend.to_host(t) if backend.is_array(t) else np.asarray(t)


def compare(torch, ours, theirs, arrays, device="cpu", dtype="float64", rtol=1e-6, atol=1e-8, grad=True,
            seed=0, upstream=True):
    """Run ``ours(*tinynn tensors)`` and ``theirs(*torch tensors)`` on ``arrays``; compare the
    output and, for float arrays, the gradients of every input under a random upstream gradient."""
    arrays = [np.asarray(a) for a in arrays]
    floats = [a.dtype.kind == "f" for a in arrays]
    ts = [tn.Tensor(backend.to_device(a.astype(dtype) if f else a, device), requires_grad=grad and f)
          for a, f in zip(arrays, floats)]
    ps = [torch.tensor(a.astype(dtype) if f else a, requires_grad=grad and f) for a, f in zip(arrays, floats)]
    out, ref = ours(*ts), theirs(*ps)
    np.testing.assert_allclose(host(out), ref.detach().numpy(), rtol=rtol, atol=atol, err_msg="forward")
    assert host(out).dtype == np.dtype(str(ref.dtype).replace("torch.", "")), (host(out).dtype, ref.dtype)
    if not grad or not any(floats) or not ref.requires_grad:
        return out, ref
    g = np.random.default_rng(seed).normal(size=ref.shape).astype(dtype) if upstream else np.ones(ref.shape, dtype)
    out.backward(tn.Tensor(backend.to_device(g, device)))
    ref.backward(torch.tensor(g))
    for i, (t, p, f) in enumerate(zip(ts, ps, floats)):
        if f:
            assert (t.grad is None) == (p.grad is None), f"input {i}: grad None mismatch"
            if p.grad is not None:
                np.testing.assert_allclose(host(t.grad), p.grad.numpy(), rtol=rtol, atol=atol,
                                           err_msg=f"gradient of input {i}")
    return out, ref


def module_pair(ours, theirs, device="cpu", dtype="float64"):
    """``theirs`` (a torch module) given ``ours``'s parameters and buffers; ours moved to device/dtype."""
    import torch

    ours.to(device, dtype) if dtype else ours.to(device)
    state = {k: torch.tensor(host(v)) for k, v in ours.state_dict().items()}
    theirs.load_state_dict(state)
    if dtype:
        theirs.to(getattr(torch, dtype))
    return ours, theirs
