"""The GPT: built in tinynn and in PyTorch from identical weights, 20 training steps (AdamW
parameter groups, warm-up + cosine, clipping) give losses that agree to 1e-4 relative in float32;
and the parts around it: weight tying, parameter groups, accumulation, generation, checkpoints."""
import math

import numpy as np
import pytest

import tinynn as tn
from benchmarks.gpt import copy_weights, torch_gpt
from tinynn.models import (GPT, CharTokenizer, GPTConfig, encode_splits, get_batch, load_checkpoint, lr_at,
                           save_checkpoint, train_step)

SMALL = dict(block_size=16, vocab_size=65, n_layer=2, n_head=4, n_embd=32, dropout=0.0)


def _data(n=20000):
    """The start of Tiny Shakespeare as token ids (65 characters): text a model can learn from."""
    from tinynn.data import load_shakespeare

    text = load_shakespeare()
    return np.array(CharTokenizer.from_text(text).encode(text[:n]))


@pytest.mark.parametrize("bias", [False, True])
def test_twenty_training_steps_match_pytorch(torch, bias):
    torch.set_num_threads(1)
    config = GPTConfig(**SMALL, bias=bias)
    model = GPT(config)
    twin = torch_gpt(config)
    copy_weights(model, twin)
    opt = model.configure_optimizers(weight_decay=0.1, learning_rate=3e-3, betas=(0.9, 0.99))
    topt = twin.configure_optimizers(0.1, 3e-3, (0.9, 0.99))
    data, gen = _data(), tn.Generator().manual_seed(0)
    ours, theirs = [], []
    for step in range(20):
        lr = lr_at(step, 3e-3, warmup_iters=5, lr_decay_iters=20, min_lr=3e-4)
        for group in opt.param_groups + topt.param_groups:
            group["lr"] = lr
        x, y = get_batch(data, config.block_size, 6, gen)
        loss, _ = train_step(model, opt, lambda: (x, y), grad_clip=1.0)
        _, tloss = twin(torch.from_numpy(x.numpy()), torch.from_numpy(y.numpy()))
        tloss.backward()
        torch.nn.utils.clip_grad_norm_(twin.parameters(), 1.0)
        topt.step()
        topt.zero_grad()
        ours.append(loss)
        theirs.append(tloss.item())
    np.testing.assert_allclose(ours, theirs, rtol=1e-4)
    assert theirs[-1] < theirs[0] - 0.3  # it learned something, so the comparison is not of constants
    for name, p in twin.state_dict().items():  # and the weights went the same way
        np.testing.assert_allclose(model.state_dict()[name], p.numpy(), rtol=1e-3, atol=1e-4)


def test_loss_at_initialisation_is_log_vocab():
    model = GPT(GPTConfig(**SMALL))
    x, y = get_batch(_data(), 16, 8, tn.Generator().manual_seed(1))
    _, loss = model(x, y)
    assert abs(loss.item() - math.log(65)) < 0.05  # -log(1/65) = 4.17: every token equally likely


def test_weight_tying_shares_one_table():
    model = GPT(GPTConfig(**SMALL))
    assert model.transformer.wte.weight is model.lm_head.weight
    names = [n for n, _ in model.named_parameters()]
    assert "lm_head.weight" not in names and "transformer.wte.weight" in names
    state = model.state_dict()
    assert "lm_head.weight" in state  # as PyTorch: both names in the state dict
    x, y = get_batch(_data(), 16, 4, tn.Generator().manual_seed(1))
    model(x, y)[1].backward()  # the shared table gets gradient from both uses
    assert np.abs(model.lm_head.weight.grad.numpy()).sum() > 0


def test_configure_optimizers_decays_matrices_only():
    model = GPT(GPTConfig(**SMALL, bias=True))
    opt = model.configure_optimizers(weight_decay=0.1, learning_rate=1e-3)
    decay, no_decay = opt.param_groups
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0
    assert all(p.ndim == 2 for p in decay["params"]) and all(p.ndim == 1 for p in no_decay["params"])
    assert len(decay["params"]) + len(no_decay["params"]) == len(list(model.parameters()))
    assert isinstance(opt, tn.optim.AdamW)


def test_train_step_accumulation_takes_the_step_of_the_big_batch():
    """Two micro-batches of 4 accumulated = one batch of 8: the same SGD update."""
    config = GPTConfig(**SMALL)
    x, y = get_batch(_data(), 16, 8, tn.Generator().manual_seed(3))
    after = []
    for halves in (False, True):
        tn.manual_seed(0)
        model = GPT(config)
        opt = tn.optim.SGD(model.parameters(), lr=1.0)
        if halves:
            batches = iter([(x[:4], y[:4]), (x[4:], y[4:])])
            loss, _ = train_step(model, opt, lambda: next(batches), accumulation_steps=2, grad_clip=0)
        else:
            loss, _ = train_step(model, opt, lambda: (x, y), grad_clip=0)
        after.append((loss, {n: p.numpy().copy() for n, p in model.named_parameters()}))
    assert after[0][0] == pytest.approx(after[1][0], rel=1e-5)
    for n, w in after[0][1].items():
        np.testing.assert_allclose(after[1][1][n], w, rtol=1e-4, atol=1e-6)


def test_accumulated_gradient_is_the_mean_gradient():
    config = GPTConfig(**SMALL)
    x, y = get_batch(_data(), 16, 8, tn.Generator().manual_seed(3))
    tn.manual_seed(0)
    model = GPT(config)
    model(x, y)[1].backward()
    full = {n: p.grad.numpy().copy() for n, p in model.named_parameters()}
    model.zero_grad()
    for part in (slice(0, 4), slice(4, 8)):
        (model(x[part], y[part])[1] / 2).backward()
    for n, p in model.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), full[n], rtol=1e-4, atol=1e-7)


def test_lr_schedule_warms_up_then_follows_the_cosine():
    lrs = [lr_at(s, 1.0, warmup_iters=10, lr_decay_iters=110, min_lr=0.1) for s in range(120)]
    assert lrs[0] == pytest.approx(1 / 11) and lrs[9] == pytest.approx(10 / 11)
    assert lrs[10] == pytest.approx(1.0) and lrs[60] == pytest.approx(0.1 + 0.45)  # half-way down the cosine
    assert lrs[110] == pytest.approx(0.1) and lrs[119] == 0.1
    assert all(a >= b for a, b in zip(lrs[10:], lrs[11:]))


def test_generation_is_seeded_and_top_k_keeps_the_likeliest():
    model = GPT(GPTConfig(**SMALL)).eval()
    start = tn.zeros(2, 1, dtype=tn.long)
    a = model.generate(start, 20, generator=tn.Generator().manual_seed(5))
    b = model.generate(start, 20, generator=tn.Generator().manual_seed(5))
    assert a.shape == (2, 21) and (a.numpy() == b.numpy()).all()
    greedy = model.generate(start, 5, top_k=1)  # top_k=1 is greedy decoding: argmax each time
    idx = start
    for _ in range(5):
        logits, _ = model(idx)
        idx = tn.cat([idx, tn.tensor(logits.numpy()[:, -1].argmax(-1)[:, None])], dim=1)
    assert (greedy.numpy() == idx.numpy()).all()


def test_generation_crops_to_the_block_size():
    model = GPT(GPTConfig(**SMALL)).eval()
    out = model.generate(tn.zeros(1, 16, dtype=tn.long), 3)  # the context is already full
    assert out.shape == (1, 19)


def test_checkpoint_round_trip(tmp_path):
    tok = CharTokenizer.from_text("hello, world")
    model = GPT(GPTConfig(block_size=8, vocab_size=tok.vocab_size, n_layer=1, n_head=2, n_embd=8))
    opt = model.configure_optimizers(0.1, 1e-3)
    x, y = get_batch(np.array(tok.encode("hello, world" * 3)), 8, 2, tn.Generator().manual_seed(0))
    train_step(model, opt, lambda: (x, y))
    save_checkpoint(tmp_path / "gpt.npz", model, tok, opt, step=1, history=[1.5])
    loaded, tok2, ckpt = load_checkpoint(tmp_path / "gpt.npz")
    assert tok2.chars == tok.chars and ckpt["step"] == 1 and ckpt["history"] == [1.5]
    np.testing.assert_array_equal(loaded(x, y)[0].numpy(), model(x, y)[0].numpy())
    assert loaded.transformer.wte.weight is loaded.lm_head.weight  # still tied after loading


def test_tokenizer_split_and_batches():
    text = "First Citizen: before we proceed any further"
    tok = CharTokenizer.from_text(text)
    assert tok.decode(tok.encode(text)) == text and tok.chars == "".join(sorted(set(text)))
    train, val = encode_splits(text, tok)
    assert len(train) == int(0.9 * len(text)) and len(train) + len(val) == len(text)
    x, y = get_batch(train, 8, 5, tn.Generator().manual_seed(0))
    assert x.dtype == tn.int64 and (y.numpy()[:, :-1] == x.numpy()[:, 1:]).all()
    with pytest.raises(ValueError, match="not in the vocabulary"):
        tok.encode("Z")


def test_a_too_long_sequence_is_an_error():
    model = GPT(GPTConfig(**SMALL))
    with pytest.raises(ValueError, match="longer than block_size"):
        model(tn.zeros(1, 17, dtype=tn.long))
