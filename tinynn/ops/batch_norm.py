"""Batch normalisation as a composition: y = (x − mean) / √(var + eps) · weight + bias, the
statistics taken per channel (dim 1) over the batch and every spatial position.

In training the batch's own statistics are used (the biased variance, divided by n) and the
running estimates move towards them by ``momentum``, with the *unbiased* variance (divided by
n − 1), exactly as PyTorch. In evaluation the running estimates are used.

>>> import tinynn as tn
>>> x = tn.tensor([[1.0], [3.0]])
>>> rm, rv = tn.zeros(1), tn.ones(1)
>>> [round(v, 4) for v in batch_norm(x, rm, rv, training=True).flatten().tolist()]
[-1.0, 1.0]
>>> rm.tolist(), rv.tolist()      # 0.9·0 + 0.1·2, 0.9·1 + 0.1·2 (unbiased var of 1, 3)
([0.20000000298023224], [1.100000023841858])
"""
from __future__ import annotations

from tinynn.modes import no_grad
from tinynn.ops.compose import rsqrt
from tinynn.ops.reduction import mean
from tinynn.ops.shape import reshape
from tinynn.tensor import Tensor


def _check(input, running, weight, bias):
    if not isinstance(input, Tensor):
        raise TypeError(f"batch_norm: expected a Tensor input, got {type(input).__name__}")
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C, ...) with at least 2 dims, got shape "
                         f"{tuple(input.shape)}")
    channels = input.shape[1]
    for name, t in list(zip(("running_mean", "running_var"), running)) + [("weight", weight), ("bias", bias)]:
        if t is not None and tuple(t.shape) != (channels,):
            raise ValueError(f"batch_norm: {name} has shape {tuple(t.shape)}, but the input (shape "
                             f"{tuple(input.shape)}) has {channels} channels: expected ({channels},)")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,  # noqa: A002
               eps=1e-5):
    """Normalise each channel of ``input`` (N, C, ...) (see the module docstring).

    ``running_mean``/``running_var`` may be None in training (no estimates kept); in
    evaluation they are required. They are updated in place, outside the graph.
    """
    _check(input, (running_mean, running_var), weight, bias)
    channels = input.shape[1]
    axes = (0,) + tuple(range(2, input.ndim))
    per_channel = (1, channels) + (1,) * (input.ndim - 2)
    if training:
        count = input.numel() // max(channels, 1)
        if count <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, got input of "
                             f"shape {tuple(input.shape)}; use a batch of 2 or more, or call .eval()")
        batch_mean = mean(input, axes, keepdim=True)
        centred = input - batch_mean
        var = mean(centred * centred, axes, keepdim=True)  # biased: what normalises this batch
        if running_mean is not None or running_var is not None:
            _update_running(batch_mean, var, running_mean, running_var, momentum, count)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: evaluation (training=False) needs running_mean and running_var")
        centred = input - reshape(running_mean, per_channel)
        var = reshape(running_var, per_channel)
    out = centred * rsqrt(var + eps)
    if weight is not None:
        out = out * reshape(weight, per_channel)
    if bias is not None:
        out = out + reshape(bias, per_channel)
    return out


def _update_running(batch_mean, var, running_mean, running_var, momentum, count):
    """running ← (1 − momentum)·running + momentum·batch statistic (the variance unbiased)."""
    channels = (batch_mean.shape[1],)
    with no_grad():
        if running_mean is not None:
            step = reshape(batch_mean.detach(), channels).to(running_mean.dtype) * momentum
            running_mean.mul_(1 - momentum).add_(step)
        if running_var is not None:
            unbiased = reshape(var.detach(), channels) * (count / (count - 1))
            running_var.mul_(1 - momentum).add_(unbiased.to(running_var.dtype) * momentum)


__all__ = ["batch_norm"]
