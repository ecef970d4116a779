"""Convolution and pooling layers on NCHW batches, with PyTorch's names, shapes and init.

Keras' ``Conv2D(32, (3, 3))`` on NHWC images is ``nn.Conv2d(3, 32, 3)`` here on NCHW images
(move the channel axis first: ``x.permute(0, 3, 1, 2)``).

>>> import tinynn as tn
>>> from tinynn import nn
>>> net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
>>> net(tn.randn(4, 3, 32, 32)).shape
(4, 8, 16, 16)
"""
from __future__ import annotations

import math

from tinynn import backend
from tinynn.nn import _checks, init
from tinynn.nn.module import Module, Parameter
from tinynn.ops.fused import conv as _ops
from tinynn.ops.fused.conv import avg_pool2d, conv2d, max_pool2d


class Conv2d(Module):
    """2-D convolution layer: ``weight`` (out_channels, in_channels, kh, kw), ``bias`` (out_channels,).

    ``padding`` may be an int, a pair, "valid" (0) or "same" (stride 1, odd kernels).
    Initialised as PyTorch: weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
    fan_in = in_channels·kh·kw, so a state dict interchanges with ``torch.nn.Conv2d``.

    >>> import tinynn as tn
    >>> from tinynn import nn
    >>> conv = nn.Conv2d(3, 32, 3)
    >>> conv.weight.shape, conv(tn.randn(2, 3, 32, 32)).shape
    ((32, 3, 3, 3), (2, 32, 30, 30))
    """

    _input_ranks, _input_shape = (3, 4), "(N, {in_channels}, H, W) or ({in_channels}, H, W)"

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True,
                 device=None, dtype=None):
        super().__init__()
        self.in_channels = _checks.positive_int("Conv2d", "in_channels", in_channels)
        self.out_channels = _checks.positive_int("Conv2d", "out_channels", out_channels)
        self.kernel_size = _checks.int_tuple("Conv2d", "kernel_size", kernel_size, 2)
        self.stride = _checks.int_tuple("Conv2d", "stride", stride, 2)
        self.padding = self._padding(padding)
        dtype = backend.as_dtype(dtype) or backend.default_dtype()
        # allocated on the host (the same draws on every device), then moved
        shape = (self.out_channels, self.in_channels) + self.kernel_size
        self.weight = Parameter(_checks.new_array("Conv2d", shape, dtype))
        if bias:
            self.bias = Parameter(_checks.new_array("Conv2d", (self.out_channels,), dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()
        if device is not None and backend.check_device(device) != "cpu":
            self.to(device)

    def _padding(self, padding):
        if not isinstance(padding, str):  # (a Tensor's == would compare elementwise)
            return _checks.int_tuple("Conv2d", "padding", padding, 2, _checks.non_negative_int)
        if _checks.choice("Conv2d", "padding", padding, ("valid", "same")) == "valid":
            return (0, 0)
        if self.stride != (1, 1) or any(k % 2 == 0 for k in self.kernel_size):
            raise ValueError(f"Conv2d: padding='same' needs stride 1 and an odd kernel, got stride "
                             f"{self.stride} and kernel {self.kernel_size}; give the padding as a number")
        return tuple(k // 2 for k in self.kernel_size)

    def reset_parameters(self):
        """PyTorch's default: kaiming_uniform(a=sqrt(5)) = U(±1/sqrt(fan_in)), bias the same."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_channels * self.kernel_size[0] * self.kernel_size[1])
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        """The convolution of ``x`` (N, C_in, H, W) -> (N, C_out, H', W')."""
        return conv2d(x, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self):
        """Channels, kernel, stride, padding and bias for the repr."""
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, bias={self.bias is not None}")


class _Pool2d(Module):
    _input_ranks, _input_shape = (3, 4), "(N, C, H, W) or (C, H, W)"

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        layer = type(self).__name__
        _checks.int_tuple(layer, "kernel_size", kernel_size, 2)
        if stride is not None:
            _checks.int_tuple(layer, "stride", stride, 2)
        _checks.int_tuple(layer, "padding", padding, 2, _checks.non_negative_int)
        _ops.AvgPool2dFunction(kernel_size, stride, padding)  # checks the arguments now, not at the first call
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def extra_repr(self):
        stride = self.kernel_size if self.stride is None else self.stride
        return f"kernel_size={self.kernel_size}, stride={stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """Maximum over kh×kw windows (stride defaults to the kernel size); no parameters.

    >>> import tinynn as tn
    >>> from tinynn import nn
    >>> nn.MaxPool2d(2)(tn.randn(1, 3, 30, 30)).shape
    (1, 3, 15, 15)
    """

    def forward(self, x):
        """The window maxima of ``x`` (N, C, H, W)."""
        return max_pool2d(x, self.kernel_size, self.stride, self.padding)


class AvgPool2d(_Pool2d):
    """Mean over kh×kw windows (zero padding counted, as PyTorch's default); no parameters.

    >>> import tinynn as tn
    >>> from tinynn import nn
    >>> nn.AvgPool2d(2)(tn.ones(1, 1, 4, 4)).tolist()
    [[[[1.0, 1.0], [1.0, 1.0]]]]
    """

    def forward(self, x):
        """The window means of ``x`` (N, C, H, W)."""
        return avg_pool2d(x, self.kernel_size, self.stride, self.padding)
