"""Attention: the fused kernel equals its reference composition (values and gradients) and passes
gradcheck in float64; F.scaled_dot_product_attention, nn.MultiheadAttention and the Transformer
layers equal PyTorch on the same weights, forward and every gradient, on every device."""
import numpy as np
import pytest

import tinynn as tn
import tinynn.functional as F
from tinynn import backend, nn
from tinynn.ops.fused.attention import scaled_dot_product_attention_reference


def _leaf(array, device, dtype="float64", grad=True):
    return tn.Tensor(backend.to_device(np.asarray(array, dtype=dtype), device), requires_grad=grad)


def _run(fn, arrays, device, upstream, dtype="float64"):
    leaves = [_leaf(a, device, dtype) for a in arrays]
    out = fn(*leaves)
    out.backward(backend.to_device(upstream.astype(dtype), device))
    return out.numpy(), [t.grad.numpy() for t in leaves]


def _close(a, b, tol):
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


CASES = {  # name -> (L, S, mask maker)
    "no mask": (4, 6, lambda rng, L, S: {}),
    "causal": (5, 5, lambda rng, L, S: {"is_causal": True}),
    "causal, fewer queries than keys": (3, 6, lambda rng, L, S: {"is_causal": True}),
    "bool mask": (4, 6, lambda rng, L, S: {"attn_mask": _some_true(rng, L, S)}),
    "float mask": (4, 6, lambda rng, L, S: {"attn_mask": rng.standard_normal((L, S))}),
    "scale": (4, 6, lambda rng, L, S: {"scale": 0.3}),
}


def _some_true(rng, L, S):
    keep = rng.random((L, S)) < 0.6
    keep[:, 0] = True  # every query may see at least one key
    return keep


def _masks_on(kwargs, device, dtype="float64"):
    out = dict(kwargs)
    if "attn_mask" in out:
        m = out["attn_mask"]
        out["attn_mask"] = tn.Tensor(backend.to_device(m if m.dtype == bool else m.astype(dtype), device))
    return out


# ---------------------------------------------------------------------------- fused == reference
@pytest.mark.parametrize("case", list(CASES))
def test_fused_attention_equals_reference_composition(device, rng, case):
    L, S, make = CASES[case]
    kwargs = _masks_on(make(rng, L, S), device)
    q, k, v = rng.standard_normal((2, 3, L, 8)), rng.standard_normal((2, 3, S, 8)), rng.standard_normal((2, 3, S, 5))
    g = rng.standard_normal((2, 3, L, 5))
    fused = _run(lambda *t: F.scaled_dot_product_attention(*t, **kwargs), [q, k, v], device, g)
    plain = _run(lambda *t: scaled_dot_product_attention_reference(*t, **kwargs), [q, k, v], device, g)
    _close(fused[0], plain[0], 1e-12)
    for a, b in zip(fused[1], plain[1]):
        _close(a, b, 1e-11)


def test_fused_attention_with_dropout_equals_reference_on_the_same_seed(device, rng):
    q, k, v, g = (rng.standard_normal((2, 4, 8)) for _ in range(4))
    results = []
    for fn in (F.scaled_dot_product_attention, scaled_dot_product_attention_reference):
        tn.manual_seed(7)
        results.append(_run(lambda *t, fn=fn: fn(*t, dropout_p=0.3), [q, k, v], device, g))
    _close(results[0][0], results[1][0], 1e-12)
    for a, b in zip(results[0][1], results[1][1]):
        _close(a, b, 1e-11)


def test_gradient_reaches_a_float_mask_that_requires_grad(device, rng):
    q, k, v = (rng.standard_normal((3, 4)) for _ in range(3))
    m, g = rng.standard_normal((3, 3)), rng.standard_normal((3, 4))
    fused = _run(lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m), [q, k, v, m], device, g)
    plain = _run(lambda q, k, v, m: scaled_dot_product_attention_reference(q, k, v, attn_mask=m),
                 [q, k, v, m], device, g)
    for a, b in zip(fused[1], plain[1]):
        _close(a, b, 1e-11)


@pytest.mark.parametrize("causal", [False, True])
def test_fused_attention_gradcheck(rng, causal):
    q, k, v = (tn.tensor(rng.standard_normal((2, 4, 3)), dtype=tn.float64, requires_grad=True) for _ in range(3))
    assert tn.gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=causal), [q, k, v],
                        atol=1e-7, rtol=1e-6)


def test_fused_attention_gradcheck_float_mask(rng):
    q, k, v, m = (tn.tensor(rng.standard_normal((3, 3)), dtype=tn.float64, requires_grad=True) for _ in range(4))
    assert tn.gradcheck(lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m), [q, k, v, m],
                        atol=1e-7, rtol=1e-6)


def test_causal_attention_ignores_the_future(rng):
    """Changing the last token's key and value leaves every earlier output unchanged."""
    q, k, v = (rng.standard_normal((5, 4)) for _ in range(3))
    before = F.scaled_dot_product_attention(*(tn.tensor(a) for a in (q, k, v)), is_causal=True).numpy()
    k[-1], v[-1] = 100.0, -100.0
    after = F.scaled_dot_product_attention(*(tn.tensor(a) for a in (q, k, v)), is_causal=True).numpy()
    np.testing.assert_array_equal(before[:-1], after[:-1])
    assert not np.allclose(before[-1], after[-1])


# ---------------------------------------------------------------------------- against PyTorch
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("dtype, tol", [("float64", 1e-12), ("float32", 2e-5)])
def test_sdpa_equals_torch(torch, device, rng, case, dtype, tol):
    L, S, make = CASES[case]
    raw = make(rng, L, S)
    q, k, v = rng.standard_normal((2, 3, L, 8)), rng.standard_normal((2, 3, S, 8)), rng.standard_normal((2, 3, S, 5))
    g = rng.standard_normal((2, 3, L, 5))
    ours = _run(lambda *t: F.scaled_dot_product_attention(*t, **_masks_on(raw, device, dtype)), [q, k, v], device,
                g, dtype)
    tt = [torch.tensor(a, dtype=getattr(torch, dtype), requires_grad=True) for a in (q, k, v)]
    kw = {key: (torch.tensor(val) if key == "attn_mask" and val.dtype == bool else
                torch.tensor(val, dtype=getattr(torch, dtype)) if key == "attn_mask" else val)
          for key, val in raw.items()}
    out = torch.nn.functional.scaled_dot_product_attention(*tt, **kw)
    out.backward(torch.tensor(g, dtype=getattr(torch, dtype)))
    _close(ours[0], out.detach().numpy(), tol)
    for a, t in zip(ours[1], tt):
        _close(a, t.grad.numpy(), tol)


def test_sdpa_bool_mask_true_means_take_part_and_a_fully_masked_row_is_zero(torch, rng):
    q, k, v = (rng.standard_normal((3, 4)) for _ in range(3))
    keep = np.array([[False, False, False], [True, False, False], [True, True, False]])
    ours = F.scaled_dot_product_attention(*(tn.tensor(a) for a in (q, k, v)), attn_mask=tn.tensor(keep)).numpy()
    theirs = torch.nn.functional.scaled_dot_product_attention(*(torch.tensor(a) for a in (q, k, v)),
                                                              attn_mask=torch.tensor(keep)).numpy()
    np.testing.assert_array_equal(ours[0], 0)
    _close(ours, theirs, 1e-12)
    _close(ours[1], v[0], 1e-12)  # the only key it may see: its weight is 1


def _copy_torch_weights(ours, theirs, rng):
    """Random non-trivial weights (biases too) in the torch module, loaded into ours."""
    import torch

    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape)) * 0.5))
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


MHA_CASES = {
    "self, batch_first": dict(batch_first=True, self_attention=True),
    "cross, seq first": dict(batch_first=False, self_attention=False),
    "per-head weights": dict(batch_first=True, self_attention=True, average_attn_weights=False),
    "no weights (fused)": dict(batch_first=True, self_attention=True, need_weights=False),
    "bool mask True = not allowed": dict(batch_first=True, self_attention=True, mask="bool"),
    "float mask, no weights": dict(batch_first=False, self_attention=True, mask="float", need_weights=False),
    "key padding": dict(batch_first=True, self_attention=False, padding=True),
    "key padding + causal, no weights": dict(batch_first=True, self_attention=True, padding=True, mask="causal",
                                             need_weights=False),
    "no bias": dict(batch_first=True, self_attention=True, bias=False),
    "per-head 3-d mask": dict(batch_first=True, self_attention=True, mask="3d"),
}


@pytest.mark.parametrize("case", list(MHA_CASES))
@pytest.mark.parametrize("dtype, tol", [("float64", 1e-11), ("float32", 3e-5)])
def test_multihead_attention_equals_torch(torch, device, rng, case, dtype, tol):
    c = MHA_CASES[case]
    E, H, N, L = 8, 2, 3, 4
    S = L if c["self_attention"] else 5
    theirs = torch.nn.MultiheadAttention(E, H, bias=c.get("bias", True), batch_first=c["batch_first"],
                                         dtype=getattr(torch, dtype))
    ours = nn.MultiheadAttention(E, H, bias=c.get("bias", True), batch_first=c["batch_first"]).to(getattr(tn, dtype))
    _copy_torch_weights(ours, theirs, rng)
    ours.to(device)
    q_shape = (N, L, E) if c["batch_first"] else (L, N, E)
    kv_shape = (N, S, E) if c["batch_first"] else (S, N, E)
    arrays = [rng.standard_normal(q_shape)] + ([] if c["self_attention"] else [rng.standard_normal(kv_shape)] * 2)
    masks = {}
    if c.get("mask") == "bool":
        m = rng.random((L, S)) < 0.3
        m[:, 0] = False
        masks["attn_mask"] = m
    elif c.get("mask") == "float":
        masks["attn_mask"] = rng.standard_normal((L, S))
    elif c.get("mask") == "causal":
        masks["attn_mask"] = np.triu(np.ones((L, S), dtype=bool), 1)
    elif c.get("mask") == "3d":
        masks["attn_mask"] = rng.standard_normal((N * H, L, S))
    if c.get("padding"):
        pad = np.zeros((N, S), dtype=bool)
        pad[0, -2:], pad[2, -1] = True, True
        masks["key_padding_mask"] = pad
    flags = {k: c[k] for k in ("need_weights", "average_attn_weights") if k in c}

    def ours_fn(*leaves):
        q = leaves[0]
        k, v = (q, q) if c["self_attention"] else (leaves[1], leaves[1])
        kw = {name: tn.Tensor(backend.to_device(m if m.dtype == bool else m.astype(dtype), device))
              for name, m in masks.items()}
        out, weights = ours(q, k, v, **kw, **flags)
        ours_fn.weights = weights
        return out

    arrays = arrays[:1] if c["self_attention"] else arrays[:2]
    g = rng.standard_normal(q_shape)
    out, grads = _run(ours_fn, arrays, device, g, dtype)
    tt = [torch.tensor(a, dtype=getattr(torch, dtype), requires_grad=True) for a in arrays]
    tq = tt[0]
    tk = tq if c["self_attention"] else tt[1]
    tkw = {name: torch.tensor(m) if m.dtype == bool else torch.tensor(m, dtype=getattr(torch, dtype))
           for name, m in masks.items()}
    t_out, t_weights = theirs(tq, tk, tk, **tkw, **flags)
    t_out.backward(torch.tensor(g, dtype=getattr(torch, dtype)))
    _close(out, t_out.detach().numpy(), tol)
    if flags.get("need_weights", True):
        _close(ours_fn.weights.numpy(), t_weights.detach().numpy(), tol)
    else:
        assert ours_fn.weights is None and t_weights is None
    for a, t in zip(grads, tt):
        _close(a, t.grad.numpy(), tol)
    ours_grads = {n: p.grad.numpy() for n, p in ours.named_parameters()}
    for n, p in theirs.named_parameters():
        _close(ours_grads[n], p.grad.numpy(), tol * 10)


def test_multihead_attention_unbatched_equals_torch(torch, rng):
    theirs = torch.nn.MultiheadAttention(6, 3, dtype=torch.float64)
    ours = nn.MultiheadAttention(6, 3).to(tn.float64)
    _copy_torch_weights(ours, theirs, rng)
    x = rng.standard_normal((4, 6))
    out, w = ours(tn.tensor(x), tn.tensor(x), tn.tensor(x))
    t_out, t_w = theirs(*(torch.tensor(x),) * 3)
    _close(out.numpy(), t_out.detach().numpy(), 1e-12)
    _close(w.numpy(), t_w.detach().numpy(), 1e-12)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_transformer_encoder_layer_equals_torch(torch, device, rng, norm_first, activation):
    theirs = torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, activation=activation,
                                              batch_first=True, norm_first=norm_first, dtype=torch.float64)
    ours = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, activation=activation,
                                      batch_first=True, norm_first=norm_first).to(tn.float64)
    _copy_torch_weights(ours, theirs, rng)
    ours.to(device)
    x, g = rng.standard_normal((3, 5, 8)), rng.standard_normal((3, 5, 8))
    causal = np.triu(np.ones((5, 5), dtype=bool), 1)
    out, (grad,) = _run(lambda t: ours(t, src_mask=tn.Tensor(backend.to_device(causal, device))), [x], device, g)
    xt = torch.tensor(x, requires_grad=True)
    t_out = theirs(xt, src_mask=torch.tensor(causal))
    t_out.backward(torch.tensor(g))
    _close(out, t_out.detach().numpy(), 1e-11)
    _close(grad, xt.grad.numpy(), 1e-11)
    ours_grads = {n: p.grad.numpy() for n, p in ours.named_parameters()}
    assert sorted(ours_grads) == sorted(n for n, _ in theirs.named_parameters())
    for n, p in theirs.named_parameters():
        _close(ours_grads[n], p.grad.numpy(), 1e-10)


@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_decoder_layer_equals_torch(torch, rng, norm_first):
    theirs = torch.nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0, norm_first=norm_first,
                                              dtype=torch.float64)
    ours = nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0, norm_first=norm_first).to(tn.float64)
    _copy_torch_weights(ours, theirs, rng)
    tgt, memory = rng.standard_normal((4, 2, 8)), rng.standard_normal((6, 2, 8))
    causal = np.triu(np.ones((4, 4), dtype=bool), 1)
    out = ours(tn.tensor(tgt), tn.tensor(memory), tgt_mask=tn.tensor(causal))
    expected = theirs(torch.tensor(tgt), torch.tensor(memory), tgt_mask=torch.tensor(causal))
    _close(out.numpy(), expected.detach().numpy(), 1e-11)


# ---------------------------------------------------------------------------- bad input
def test_attention_errors_name_the_problem():
    q = tn.ones(2, 3, 4)
    with pytest.raises(RuntimeError, match="either attn_mask or is_causal"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=tn.ones(3, 3), is_causal=True)
    with pytest.raises(RuntimeError, match="must share E"):
        F.scaled_dot_product_attention(q, tn.ones(2, 3, 5), q)
    with pytest.raises(ValueError, match="multiple of num_heads"):
        nn.MultiheadAttention(6, 4)
    with pytest.raises(RuntimeError, match="attn_mask must have shape"):
        nn.MultiheadAttention(4, 2)(tn.ones(3, 2, 4), tn.ones(3, 2, 4), tn.ones(3, 2, 4), attn_mask=tn.ones(2, 2))
