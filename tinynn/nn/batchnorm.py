"""``BatchNorm1d`` and ``BatchNorm2d``: PyTorch's arguments, buffers and state-dict keys
(weight, bias, running_mean, running_var, num_batches_tracked), computed by
``tinynn.ops.batch_norm`` (a composition: its gradient comes from the primitives).

>>> import tinynn as tn
>>> from tinynn import nn
>>> bn = nn.BatchNorm1d(3)
>>> list(bn.state_dict())
['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']
>>> y = bn(tn.randn(8, 3)); int(bn.num_batches_tracked.item())
1
"""
from __future__ import annotations

from tinynn import backend
from tinynn.modes import no_grad
from tinynn.nn import _checks
from tinynn.nn.module import Module, Parameter
from tinynn.ops.batch_norm import batch_norm
from tinynn.tensor import Tensor


class _BatchNorm(Module):
    _ndims, _expected = (), ""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True):
        super().__init__()
        layer = type(self).__name__
        self.num_features = _checks.positive_int(layer, "num_features", num_features)
        self.eps = _checks.real(layer, "eps", eps, 0.0, None, low_open=True)
        self.momentum = None if momentum is None else _checks.real(layer, "momentum", momentum, 0.0, 1.0)
        self.affine, self.track_running_stats = bool(affine), bool(track_running_stats)
        dtype = backend.as_dtype(dtype) or backend.default_dtype()
        np = backend.numpy
        if self.affine:
            self.weight = Parameter(_checks.new_array(layer, (self.num_features,), dtype, "ones"))
            if bias:
                self.bias = Parameter(_checks.new_array(layer, (self.num_features,), dtype, "zeros"))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if self.track_running_stats:
            features = (self.num_features,)
            self.register_buffer("running_mean", Tensor(_checks.new_array(layer, features, dtype, "zeros")))
            self.register_buffer("running_var", Tensor(_checks.new_array(layer, features, dtype, "ones")))
            self.register_buffer("num_batches_tracked", Tensor(np.zeros((), dtype="int64")))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)
        if device is not None and backend.check_device(device) != "cpu":
            self.to(device)

    def reset_running_stats(self):
        """Running mean 0, running variance 1, no batches seen."""
        if self.track_running_stats:
            with no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1.0)
                self.num_batches_tracked.zero_()

    def reset_parameters(self):
        """Running statistics reset; weight 1, bias 0."""
        self.reset_running_stats()
        if self.affine:
            with no_grad():
                self.weight.fill_(1.0)
                if self.bias is not None:
                    self.bias.zero_()

    def forward(self, input):  # noqa: A002 - PyTorch's name
        """Normalise with the batch's statistics (training) or the running ones (eval).

        Everything is checked before ``num_batches_tracked`` or the running statistics
        move, so a refused batch leaves the layer as it was. An empty batch gives an empty
        result and leaves the running statistics alone, as PyTorch.
        """
        use_batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        self._check_input(input, use_batch_stats)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            with no_grad():
                self.num_batches_tracked.add_(1)  # an empty batch counts too, as in PyTorch
            if self.momentum is None:  # cumulative moving average: every batch weighs the same
                factor = 1.0 / float(self.num_batches_tracked.item())
        if input.numel() == 0:
            return self._empty(input)
        keep = not self.training or self.track_running_stats  # update the estimates only when tracked
        return batch_norm(input, self.running_mean if keep else None, self.running_var if keep else None,
                          self.weight, self.bias, use_batch_stats, factor, self.eps)

    def _check_input(self, input, use_batch_stats):  # noqa: A002
        """Rank, channels, dtype and batch size: PyTorch's refusals, raised before any state moves."""
        layer = type(self).__name__
        _checks.batch(layer, input, self._ndims, self._expected)
        _checks.channels(layer, input, 1, self.num_features, "features" if input.ndim < 4 else "channels")
        _checks.float_input(layer, input, self.weight, self.running_mean)  # PyTorch: "mixed dtype"
        count = input.numel() // self.num_features
        if use_batch_stats and count == 1:  # (0 values: an empty batch, accepted below)
            raise ValueError(f"{layer}: expected more than 1 value per channel when training, got input of "
                             f"shape {tuple(input.shape)}; use a batch of 2 or more, or call .eval()")

    def _empty(self, input):  # noqa: A002
        """The (empty) result of an empty batch, still in the graph of weight and bias (their
        gradients are zeros): normalised with mean 0 and variance 1, nothing updated."""
        zeros = Tensor(backend.xp_of(input._data).zeros(self.num_features, dtype=input.dtype))
        return batch_norm(input, zeros, zeros + 1, self.weight, self.bias, False, 0.0, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) features or (N, C, L) sequences: one mean and variance per C.

    >>> import tinynn as tn
    >>> y = BatchNorm1d(2)(tn.tensor([[1.0, 10.0], [3.0, 30.0]]))
    >>> [round(v, 3) for v in y.flatten().tolist()]
    [-1.0, -1.0, 1.0, 1.0]
    """

    _ndims, _expected = (2, 3), "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) images: one mean and variance per channel.

    >>> import tinynn as tn
    >>> BatchNorm2d(3)(tn.randn(4, 3, 5, 5)).shape
    (4, 3, 5, 5)
    """

    _ndims, _expected = (4,), "(N, C, H, W)"
