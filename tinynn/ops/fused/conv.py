"""2-D convolution and pooling on NCHW batches (PyTorch's layout), written as im2col + matmul.

im2col copies every kh×kw patch of the (padded) input into a column, so a convolution
becomes one matrix product per image — the dense layer z = W a + b  [E6] applied to every
patch at once. Backward is the chain rule [E27] through that product and back through the
copy (col2im adds each column's gradient to the pixels it was copied from).

The only Python loop runs over the kh×kw kernel offsets (9 for a 3×3 kernel), never over
pixels or images: each offset is one strided slice of the whole batch.

>>> import tinynn as tn
>>> x = tn.ones((1, 1, 4, 4)); w = tn.ones((1, 1, 3, 3))
>>> conv2d(x, w, padding=1)[0, 0].tolist()
[[4.0, 6.0, 6.0, 4.0], [6.0, 9.0, 9.0, 6.0], [6.0, 9.0, 9.0, 6.0], [4.0, 6.0, 6.0, 4.0]]
"""
from __future__ import annotations

from tinynn import backend
from tinynn.tensor import Function


def _pair(value, name, op):
    """3 -> (3, 3); (2, 3) stays; anything else is a clear error."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value, value
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return tuple(value)
    raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")


def output_size(size, kernel, stride, padding):
    """Length of one output axis: floor((size + 2·padding - kernel) / stride) + 1.

    >>> output_size(32, 3, 1, 0), output_size(32, 3, 2, 1)
    (30, 16)
    """
    return (size + 2 * padding - kernel) // stride + 1


def _check_geometry(op, shape, kernel, stride, padding):
    """Output (OH, OW), or an error naming the op and the sizes when the kernel does not fit."""
    if len(shape) != 4:
        raise ValueError(f"{op}: expected a 4-D input (batch, channels, height, width), got shape "
                         f"{tuple(shape)}; add a batch axis with x.unsqueeze(0) for one image")
    if min(stride) < 1 or min(padding) < 0:
        raise ValueError(f"{op}: stride must be >= 1 and padding >= 0, got stride {stride}, padding {padding}")
    oh, ow = (output_size(shape[2 + a], kernel[a], stride[a], padding[a]) for a in range(2))
    if oh < 1 or ow < 1:
        raise ValueError(f"{op}: kernel {kernel} does not fit the input {tuple(shape[2:])} with padding "
                         f"{padding}: pad the input or use a smaller kernel")
    return oh, ow


def _pad(x, padding, value=0.0):
    """x with ``padding`` rows/columns of ``value`` around its last two axes."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    n, c, h, w = x.shape
    out = backend.xp_of(x).full((n, c, h + 2 * ph, w + 2 * pw), value, dtype=x.dtype)
    out[:, :, ph:ph + h, pw:pw + w] = x
    return out


def _offsets(kernel, stride, out_hw):
    """(i, j, slices) for every kernel offset: the strided slice of the padded input that the
    offset (i, j) of every window reads."""
    (kh, kw), (sh, sw), (oh, ow) = kernel, stride, out_hw
    for i in range(kh):
        for j in range(kw):
            yield i, j, (slice(None), slice(None), slice(i, i + sh * oh, sh), slice(j, j + sw * ow, sw))


def im2col(x, kernel, stride, padding, out_hw, fill=0.0, out=None):
    """(N, C, H, W) -> (N, C, kh, kw, OH, OW): entry [n, c, i, j, y, x] is the input pixel that
    offset (i, j) of the window at output position (y, x) sees (padding, of value ``fill``,
    included). ``out``: an array of that shape to write into (a view is fine)."""
    xp = backend.xp_of(x)
    xpad = _pad(x, padding, fill)
    n, c = x.shape[:2]
    cols = xp.empty((n, c) + tuple(kernel) + tuple(out_hw), dtype=x.dtype) if out is None else out
    for i, j, window in _offsets(kernel, stride, out_hw):
        cols[:, :, i, j] = xpad[window]
    return cols


def col2im(cols, x_shape, kernel, stride, padding, out_hw):
    """The adjoint of im2col: add every column entry back onto the pixel it was copied from
    (pixels shared by overlapping windows receive the sum), then drop the padding."""
    xp = backend.xp_of(cols)
    (ph, pw), (n, c, h, w) = padding, x_shape
    grad = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for i, j, window in _offsets(kernel, stride, out_hw):
        grad[window] += cols[:, :, i, j]
    return grad[:, :, ph:ph + h, pw:pw + w]


class Conv2dFunction(Function):
    """Cross-correlation of an (N, C, H, W) batch with (O, C, kh, kw) filters, as torch's conv2d.

    Forward, per image n, with the patches as columns (K = C·kh·kw rows, L = OH·OW columns):
        Z_n = W_2d · cols_n + b            [E6 on every patch], W_2d of shape (O, K)
    Backward [E27], with G_n = ∂L/∂Z_n of shape (O, L):
        ∂L/∂W_2d = Σ_n G_n cols_nᵀ         (the dense layer's δ aᵀ, summed over images and patches)
        ∂L/∂b    = Σ_n Σ_patches G_n
        ∂L/∂cols_n = W_2dᵀ G_n, then col2im puts it back on the input pixels.

    The bias rides in the matrix products as one more column of W_2d, with a row of ones
    under the patches: W a + b = [W b] [a; 1]. Then Σ_n G_n [cols_n; 1]ᵀ gives ∂L/∂W_2d and,
    in its last column, ∂L/∂b: no separate pass adding b to, or summing G over, the whole
    (N, O, OH, OW) output.
    """

    def __init__(self, stride=1, padding=0):
        self.stride = _pair(stride, "stride", "conv2d")
        self.padding = _pair(padding, "padding", "conv2d")

    def forward(self, x, weight, bias=None):
        if weight.ndim != 4 or x.ndim != 4 or x.shape[1] != weight.shape[1]:
            raise ValueError(
                f"conv2d: input {tuple(x.shape)} and weight {tuple(weight.shape)} do not match: expected "
                "input (batch, in_channels, H, W) and weight (out_channels, in_channels, kh, kw) with the "
                "same in_channels (tinynn is NCHW like PyTorch; Keras' NHWC images need "
                "x.permute(0, 3, 1, 2))")
        if x.dtype != weight.dtype or (bias is not None and bias.dtype != weight.dtype):  # as linear and PyTorch
            raise TypeError(
                f"conv2d: input is {x.dtype} but the weight is {weight.dtype}"
                f"{'' if bias is None or bias.dtype == weight.dtype else f' and the bias {bias.dtype}'}; convert one of them, e.g. "
                f"x.to(dtype='{weight.dtype}') (float32 data) or model.to(dtype='{x.dtype}')")
        xp = backend.xp_of(x)
        self.kernel = tuple(weight.shape[2:])
        self.out_hw = _check_geometry("conv2d", x.shape, self.kernel, self.stride, self.padding)
        n, o = x.shape[0], weight.shape[0]
        self.x_shape, self.weight = x.shape, weight
        pixels = self.out_hw[0] * self.out_hw[1]
        patch = x.shape[1] * self.kernel[0] * self.kernel[1]  # not -1: an empty batch has no size to infer from
        self.cols = xp.empty((n, patch + (bias is not None), pixels), dtype=x.dtype)
        im2col(x, self.kernel, self.stride, self.padding, self.out_hw,
               out=self.cols[:, :patch].reshape((n, x.shape[1]) + self.kernel + self.out_hw))
        w2d = weight.reshape(o, patch)
        if bias is not None:
            self.cols[:, patch] = 1  # the row of ones the bias multiplies
            w2d = xp.concatenate([w2d, bias[:, None]], axis=1)
        out = w2d @ self.cols  # (O, K) @ (N, K, L) -> (N, O, L): already NCHW
        return out.reshape((n, o) + self.out_hw)

    def backward(self, grad):
        need = self.needs_input_grad
        n, o = grad.shape[:2]
        g = grad.reshape(n, o, self.out_hw[0] * self.out_hw[1])  # (N, O, L)
        patch = self.cols.shape[1] - (len(need) == 3)
        grad_x = grad_w = grad_b = None
        if need[0]:
            dcols = (self.weight.reshape(o, patch).T @ g).reshape((n, self.x_shape[1]) + self.kernel + self.out_hw)
            grad_x = col2im(dcols, self.x_shape, self.kernel, self.stride, self.padding, self.out_hw)
        if any(need[1:]):
            # batched (O, L) @ (L, K [+ 1]) per image, then Σ over images: faster than one einsum here
            both = (g @ self.cols.transpose(0, 2, 1)).sum(axis=0)
            grad_w = both[:, :patch].reshape(self.weight.shape) if need[1] else None
            grad_b = both[:, patch] if len(need) == 3 and need[2] else None
        return (grad_x, grad_w) if len(need) == 2 else (grad_x, grad_w, grad_b)


def _windows(x, kernel, stride, padding, out_hw, fill):
    """(N, C, H, W) -> (N, C, kh·kw, OH, OW): every pooling window laid out along axis 2, in
    row-major order of the offsets (so argmax's first index is torch's first index)."""
    cols = im2col(x, kernel, stride, padding, out_hw, fill)
    n, c = x.shape[:2]
    return cols.reshape((n, c, kernel[0] * kernel[1]) + tuple(out_hw))


class _Pool2d(Function):
    op = "pool2d"

    def __init__(self, kernel_size, stride=None, padding=0):
        self.kernel = _pair(kernel_size, "kernel_size", self.op)
        self.stride = self.kernel if stride is None else _pair(stride, "stride", self.op)
        self.padding = _pair(padding, "padding", self.op)
        if any(2 * p > k for p, k in zip(self.padding, self.kernel)):
            raise ValueError(f"{self.op}: padding {self.padding} should be at most half of kernel_size "
                             f"{self.kernel} (as in PyTorch)")

    def _setup(self, x):
        self.out_hw = _check_geometry(self.op, x.shape, self.kernel, self.stride, self.padding)
        self.x_shape, self.dtype = x.shape, x.dtype

    def _scatter(self, grad, per_offset):
        """Σ over kernel offsets q of per_offset(q) placed where offset q of every window reads:
        the col2im of pooling (overlapping windows add up)."""
        xp = backend.xp_of(grad)
        (ph, pw), (n, c, h, w) = self.padding, self.x_shape
        grad = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=self.dtype)
        for i, j, window in _offsets(self.kernel, self.stride, self.out_hw):
            grad[window] += per_offset(i * self.kernel[1] + j)
        return grad[:, :, ph:ph + h, pw:pw + w]


class MaxPool2dFunction(_Pool2d):
    """Maximum of each kh×kw window (stride defaults to the kernel size, padding is -inf).

    Backward: each window's gradient goes to its maximum only, which is the derivative of
    max; on ties the first maximal element in row-major order wins, and a NaN is a maximum
    (the last NaN of a window wins), as in PyTorch.

    Forward keeps a running maximum over the kh·kw strided slices of the input (one per
    kernel offset) and, beside it, which offset holds it: no im2col copy of the input. When the
    windows tile the input (stride == kernel, no padding: the common 2×2 pooling), each pixel
    is in at most one window, so backward writes each offset's share straight into its
    slice of the input gradient instead of adding into a zeroed one. Reference composition:
    ``max_pool2d_reference`` below (tests/test_conv.py proves the two equal).
    """

    op = "max_pool2d"

    def forward(self, x):
        self._setup(x)
        xp = backend.xp_of(x)
        xpad = _pad(x, self.padding, float("-inf"))
        views = [xpad[window] for _, _, window in _offsets(self.kernel, self.stride, self.out_hw)]
        out, self.which = _max_and_offset(xp, views)
        if x.dtype.kind == "f" and xp.isnan(out).any():
            out, self.which = _max_and_offset(xp, views, nan_wins=True)
        return out

    def backward(self, grad):
        xp = backend.xp_of(grad)
        which, finite = self.which, bool(xp.isfinite(grad).all())

        def share(q):  # the gradient of every window whose maximum is at offset q, 0 elsewhere
            return grad * (which == q) if finite else xp.where(which == q, grad, 0)  # inf * 0 would be NaN

        if self.stride != self.kernel or self.padding != (0, 0):
            return self._scatter(grad, share)  # windows overlap or reach into the padding: add up
        (n, c, h, w), (kh, kw), (oh, ow) = self.x_shape, self.kernel, self.out_hw
        tiled = (h, w) == (kh * oh, kw * ow)  # else the last rows/columns are in no window: gradient 0
        grad_x = (xp.empty if tiled else xp.zeros)(self.x_shape, dtype=self.dtype)
        for i, j, window in _offsets(self.kernel, self.stride, self.out_hw):
            if finite:
                xp.multiply(grad, which == i * kw + j, out=grad_x[window])
            else:
                grad_x[window] = share(i * kw + j)
        return grad_x


def _max_and_offset(xp, views, nan_wins=False):
    """The elementwise maximum of ``views`` and the index of the view that holds it (the first on
    ties; with ``nan_wins``, any NaN takes the place, as PyTorch's kernel: ``val > max || isnan(val)``)."""
    best = views[0].copy()
    which = xp.zeros(best.shape, dtype=xp.uint8 if len(views) <= 256 else xp.int32)
    better, step = xp.empty(best.shape, dtype=bool), xp.empty_like(which)
    for q, v in enumerate(views[1:], 1):
        xp.greater(v, best, out=better)  # strictly greater: an equal later value leaves the first in place
        if nan_wins:
            better |= xp.isnan(v)
        xp.maximum(best, v, out=best)
        xp.multiply(better, which.dtype.type(q), out=step)  # which = q where v is better: q exceeds every earlier index, so
        xp.maximum(which, step, out=which)  # a maximum does it (several times faster than which[better] = q)
    return best, which


def max_pool2d_reference(x, kernel_size, stride=None, padding=0):
    """The plain composition ``max_pool2d`` must equal: pad with -inf, take the strided slice of
    every kernel offset, stack them and take the maximum over the stack (all tensor ops).

    >>> import tinynn as tn
    >>> x = tn.randn(2, 3, 6, 6)
    >>> bool((max_pool2d_reference(x, 3, 2, 1) == max_pool2d(x, 3, 2, 1)).all())
    True
    """
    from tinynn.ops import concatenate, stack
    from tinynn.creation import full

    fn = MaxPool2dFunction(kernel_size, stride, padding)
    out_hw = _check_geometry(fn.op, x.shape, fn.kernel, fn.stride, fn.padding)
    (ph, pw), (n, c, h, w) = fn.padding, x.shape
    if ph:
        rows = full((n, c, ph, w), float("-inf"), dtype=x.dtype, device=x.device)
        x = concatenate([rows, x, rows], axis=2)
    if pw:
        cols = full((n, c, h + 2 * ph, pw), float("-inf"), dtype=x.dtype, device=x.device)
        x = concatenate([cols, x, cols], axis=3)
    views = [x[window] for _, _, window in _offsets(fn.kernel, fn.stride, out_hw)]
    return stack(views, axis=2).max(dim=2).values


class AvgPool2dFunction(_Pool2d):
    """Mean of each kh×kw window (zero padding counted, PyTorch's count_include_pad=True).

    Backward: every element of a window receives 1/(kh·kw) of the window's gradient.
    """

    op = "avg_pool2d"

    def forward(self, x):
        self._setup(x)
        win = _windows(x, self.kernel, self.stride, self.padding, self.out_hw, 0.0)
        return win.mean(axis=2).astype(x.dtype, copy=False)

    def backward(self, grad):
        share = grad / (self.kernel[0] * self.kernel[1])
        return self._scatter(grad, lambda q: share)


def _batched(fn, x, *args):
    """Run a 4-D op on a single (C, H, W) image too, as PyTorch accepts unbatched input."""
    if x.ndim == 3:
        return fn(x.unsqueeze(0), *args).squeeze(0)
    return fn(x, *args)


def conv2d(x, weight, bias=None, stride=1, padding=0):
    """2-D convolution (cross-correlation) of an NCHW batch, as ``torch.nn.functional.conv2d``.

    >>> import tinynn as tn
    >>> conv2d(tn.ones((2, 3, 8, 8)), tn.ones((4, 3, 3, 3)), stride=2, padding=1).shape
    (2, 4, 4, 4)
    """
    fn = Conv2dFunction(stride, padding)
    return _batched(lambda x: fn(x, weight) if bias is None else fn(x, weight, bias), x)


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """Maximum over kh×kw windows; ``stride`` defaults to ``kernel_size``.

    >>> import tinynn as tn
    >>> max_pool2d(tn.arange(16.0).reshape(1, 1, 4, 4), 2)[0, 0].tolist()
    [[5.0, 7.0], [13.0, 15.0]]
    """
    return _batched(MaxPool2dFunction(kernel_size, stride, padding), x)


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    """Mean over kh×kw windows; ``stride`` defaults to ``kernel_size``.

    >>> import tinynn as tn
    >>> avg_pool2d(tn.arange(16.0).reshape(1, 1, 4, 4), 2)[0, 0].tolist()
    [[2.5, 4.5], [10.5, 12.5]]
    """
    return _batched(AvgPool2dFunction(kernel_size, stride, padding), x)


__all__ = ["conv2d", "max_pool2d", "avg_pool2d"]
