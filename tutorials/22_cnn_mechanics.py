# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # 22. CNN mechanics: sizes, im2col and pooling's backward
#
# Document 004 (§4.3, a cat-and-dog classifier) describes a convolutional network in one
# sentence:
#
# > Build a convolutional neural network with convolutional layers, pooling layers and fully
# > connected layers. The convolutional layers extract local features of the image, the
# > pooling layers reduce the dimension of the data, the fully connected layers classify.
# > (搭建一个卷积神经网络，包括卷积层、池化层和全连接层。卷积层用于提取图像的局部特征，
# > 池化层用于降低数据的维度，全连接层用于分类。)
#
# and its §5.2 program builds it in PyTorch:
#
# ```python
# self.conv1 = nn.Conv2d(3, 32, 3, 1)
# self.pool = nn.MaxPool2d(2, 2)
# self.conv2 = nn.Conv2d(32, 64, 3, 1)
# self.fc1 = nn.Linear(64 * 6 * 6, 128)
# ...
# x = self.pool(F.relu(self.conv1(x)))
# x = self.pool(F.relu(self.conv2(x)))
# x = x.view(-1, 64 * 6 * 6)
# ```
#
# with images loaded by `datasets.ImageFolder('train', transform=transforms.ToTensor())`,
# i.e. at whatever size the photos have. That `64 * 6 * 6` hides an assumption about the
# image size that the text never states. In this tutorial we
# 1. derive the **output-size formula** (kernel, stride, padding), check it against tinynn,
#    and find the image sizes document 004's program actually accepts;
# 2. write a convolution twice, as loops and as **im2col** + one matrix product, and check
#    both against `F.conv2d`, forward and backward;
# 3. derive **pooling's backward** (max and average) by hand and check it against
#    `F.max_pool2d` / `F.avg_pool2d`.

# %%
# Find tutorials/_setup.py (the fast switch and the output folder, shared by the tutorials).
import sys
from pathlib import Path

here = Path.cwd()
candidates = [here / "_setup.py", *(d / "tutorials" / "_setup.py" for d in (here, *here.parents)),
              *here.glob("*/tutorials/_setup.py")]
sys.path += [str(p.parent) for p in candidates if p.is_file()][:1]

# %%
import itertools
import time

import matplotlib.pyplot as plt
import numpy as np
from _setup import save  # tutorials/_setup.py, found above

import tinynn as tn
import tinynn.functional as F
from tinynn import nn

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. Output sizes
#
# A k×k kernel slides over an input of side H, padded with p zeros on each side, moving s
# pixels at a time (the stride). Its left edge can sit at 0, s, 2s, … as long as the kernel
# still fits inside the padded width H + 2p, i.e. at positions j·s with j·s + k ≤ H + 2p.
# Counting the j:
#
# $$H_\text{out} = \left\lfloor \frac{H + 2p - k}{s} \right\rfloor + 1 .$$
#
# Special cases worth remembering: k = 3, p = 1, s = 1 keeps the size ("same" padding);
# s = 2 halves it (rounding up for odd H with p = 1); pooling with k = s = 2 halves it,
# rounding *down*: a 15-pixel map becomes 7 and the last row and column are dropped.
#
# We check the formula against `F.conv2d` and `F.max_pool2d` on every combination of a few
# sizes, kernels, strides and paddings.

# %%
def out_size(h, k, s=1, p=0):
    return (h + 2 * p - k) // s + 1


checked = 0
for h, k, s, p in itertools.product((5, 8, 13), (1, 2, 3, 5), (1, 2, 3), (0, 1, 2)):
    if k > h + 2 * p or p > k // 2:  # the kernel must fit; PyTorch's pooling wants p <= k/2
        continue
    image = tn.randn(1, 1, h, h)
    conv_h = F.conv2d(image, tn.randn(1, 1, k, k), stride=s, padding=p).shape[-1]
    pool_h = F.max_pool2d(image, k, s, p).shape[-1]
    assert conv_h == pool_h == out_size(h, k, s, p), (h, k, s, p)
    checked += 1
print(f"the formula matches F.conv2d and F.max_pool2d on {checked} (size, kernel, stride, padding) cases")

# %% [markdown]
# Now document 004's network. Follow a square image of side H through it:
# conv 3×3 (H − 2), pool 2 (⌊·/2⌋), conv 3×3 (− 2), pool 2 (⌊·/2⌋). For `fc1` to receive
# 64·6·6 numbers per image the last map must be 6×6. Which H give that?

# %%
def doc004_side(h):
    h = out_size(h, 3)  # conv1, stride 1, no padding
    h = out_size(h, 2, 2)  # pool
    h = out_size(h, 3)  # conv2
    return out_size(h, 2, 2)  # pool


accepted = [h for h in range(10, 300) if doc004_side(h) == 6]
print("image sides for which 64·6·6 is right:", accepted)
assert accepted == [30, 31, 32, 33]  # computed from the formula; 32×32 is CIFAR-10's size


class Doc004ConvNet(nn.Module):
    """Document 004's ConvNet, in tinynn (the same layer calls)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, 1)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.fc1 = nn.Linear(64 * 6 * 6, 128)
        self.fc2 = nn.Linear(128, 2)

    def features(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        return self.pool(F.relu(self.conv2(x)))

    def forward(self, x):
        x = self.features(x).view(-1, 64 * 6 * 6)
        return self.fc2(F.relu(self.fc1(x)))


net = Doc004ConvNet()
with tn.no_grad():
    assert net(tn.randn(4, 3, 32, 32)).shape == (4, 2)
    try:
        net(tn.randn(4, 3, 64, 64))
    except ValueError as error:
        print("64×64 photos:", str(error)[:100])
    else:
        raise AssertionError("a 64×64 batch should not fit view(-1, 2304)")
    photo = net.features(tn.randn(4, 3, 224, 224))  # the usual photo size for ImageNet models
    flat = photo.view(-1, 64 * 6 * 6)
side = doc004_side(224)
print(f"224×224 photos: a batch of 4 reaches the view as {tuple(photo.shape)}, and view(-1, 2304) turns it "
      f"into {tuple(flat.shape)}: {flat.shape[0]} 'images'")
assert photo.shape == (4, 64, side, side) and flat.shape[0] * 2304 == 4 * 64 * side * side

# %% [markdown]
# So the program works only for images of side 30–33, and the `ImageFolder` + `ToTensor()`
# pipeline does not resize. A 64×64 batch at least fails at the `view`. A 224×224 batch
# (the size photos are usually cut to) is worse: 4·64·54·54 happens to be a multiple of
# 2304, so `view(-1, …)` quietly makes a "batch" of 324 rows that mix pixels of different
# images, and only the loss (324 predictions for 4 labels) stops it. The fixes: resize the
# images (`transforms.Resize((32, 32))`), flatten with `x.flatten(1)` (keeps the batch axis,
# so a wrong size fails in `fc1` with a clear shape error), or put
# `nn.AdaptiveAvgPool2d((6, 6))` before `fc1` to accept any size. (The program also calls
# `F.relu` without importing `torch.nn.functional as F`.)
#
# ## 2. Convolution as loops, and as im2col
#
# A convolution layer (as in PyTorch, it is really a cross-correlation: the kernel is not
# flipped) with weights W of shape (O, C, k, k) and bias b computes
#
# $$y_{n,o,i,j} = b_o + \sum_{c=0}^{C-1}\sum_{u=0}^{k-1}\sum_{v=0}^{k-1}
#   W_{o,c,u,v}\; x^{\text{pad}}_{n,\,c,\; i s + u,\; j s + v}.$$
#
# The direct loops are slow. **im2col** rearranges the work: copy every k×k×C patch of
# the input into one row of a matrix X_col of shape (N·H_out·W_out, C·k·k); reshape W
# to (O, C·k·k); then the whole layer is **one matrix product** y = X_col Wᵀ + b, the
# dense layer applied to every patch at once, which BLAS does fast. The copy needs only
# k² strided slices (one per kernel offset), never a loop over pixels.

# %%
def conv_loops(x, w, b, stride=1, pad=0):
    """The definition, literally (slow: only for checking)."""
    n, c, h, wd = x.shape
    o, _, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = out_size(h, k, stride, pad), out_size(wd, k, stride, pad)
    y = np.zeros((n, o, oh, ow))
    for ni, oi, i, j in itertools.product(range(n), range(o), range(oh), range(ow)):
        patch = xp[ni, :, i * stride: i * stride + k, j * stride: j * stride + k]
        y[ni, oi, i, j] = b[oi] + np.sum(w[oi] * patch)
    return y


def im2col(x, k, stride=1, pad=0):
    """(N, C, H, W) -> (N·OH·OW, C·k·k): one row per output position, one column per (c, u, v)."""
    n, c, h, wd = x.shape
    oh, ow = out_size(h, k, stride, pad), out_size(wd, k, stride, pad)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = np.empty((n, c, k, k, oh, ow))
    for u in range(k):  # k² slices of the whole batch, no loop over pixels
        for v in range(k):
            cols[:, :, u, v] = xp[:, :, u: u + stride * oh: stride, v: v + stride * ow: stride]
    return cols.transpose(0, 4, 5, 1, 2, 3).reshape(n * oh * ow, c * k * k), (n, oh, ow)


def conv_im2col(x, w, b, stride=1, pad=0):
    o, _, k, _ = w.shape
    cols, (n, oh, ow) = im2col(x, k, stride, pad)
    y = cols @ w.reshape(o, -1).T + b  # the dense layer, on every patch
    return y.reshape(n, oh, ow, o).transpose(0, 3, 1, 2)


x_np = rng.normal(size=(2, 3, 9, 9))
w_np = rng.normal(size=(4, 3, 3, 3))
b_np = rng.normal(size=4)
for stride, pad in ((1, 0), (1, 1), (2, 1), (3, 2)):
    ref = F.conv2d(tn.tensor(x_np), tn.tensor(w_np), tn.tensor(b_np), stride=stride, padding=pad).numpy()
    loops, cols = conv_loops(x_np, w_np, b_np, stride, pad), conv_im2col(x_np, w_np, b_np, stride, pad)
    assert np.allclose(loops, ref, atol=1e-12) and np.allclose(cols, ref, atol=1e-12), (stride, pad)
print("loops == im2col == F.conv2d for strides 1, 2, 3 and paddings 0, 1, 2")

x_big, w_big = rng.normal(size=(8, 8, 16, 16)), rng.normal(size=(16, 8, 3, 3))
t0 = time.perf_counter()
slow = conv_loops(x_big[:2], w_big, np.zeros(16), 1, 1)
t_loops = (time.perf_counter() - t0) * 4  # measured on 2 images, scaled to 8
t0 = time.perf_counter()
fast = conv_im2col(x_big, w_big, np.zeros(16), 1, 1)
t_cols = time.perf_counter() - t0
assert np.allclose(slow, fast[:2])
print(f"8 images 8×16×16, 16 filters 3×3: loops ≈ {t_loops * 1e3:.0f} ms, im2col {t_cols * 1e3:.1f} ms "
      f"({t_loops / t_cols:.0f}× faster)")
assert t_cols < t_loops

# %% [markdown]
# ### The backward pass of a convolution, through im2col
#
# Because y = X_col Wᵀ (+ b) is a matrix product (tutorial 19's rule), with G = ∂L/∂y
# reshaped to (N·H_out·W_out, O):
#
# $$\frac{\partial L}{\partial W} = G^\top X_\text{col},\qquad
#   \frac{\partial L}{\partial b} = \textstyle\sum_\text{rows} G,\qquad
#   \frac{\partial L}{\partial X_\text{col}} = G\,W .$$
#
# The last one is a gradient for the *copies*. Each input pixel was copied into every patch
# that covers it (up to k² of them), so its gradient is the **sum** over those copies:
# **col2im** adds each row back where it came from, the transpose of im2col (and the
# reverse of the broadcast ⇄ sum rule).

# %%
def col2im(dcols, shape, k, stride=1, pad=0):
    n, c, h, wd = shape
    oh, ow = out_size(h, k, stride, pad), out_size(wd, k, stride, pad)
    d = dcols.reshape(n, oh, ow, c, k, k).transpose(0, 3, 4, 5, 1, 2)
    dxp = np.zeros((n, c, h + 2 * pad, wd + 2 * pad))
    for u in range(k):
        for v in range(k):  # overlapping patches add up
            dxp[:, :, u: u + stride * oh: stride, v: v + stride * ow: stride] += d[:, :, u, v]
    return dxp[:, :, pad: pad + h, pad: pad + wd]


stride, pad = 2, 1
xt, wt, bt = (tn.tensor(a, requires_grad=True) for a in (x_np, w_np, b_np))
y = F.conv2d(xt, wt, bt, stride=stride, padding=pad)
upstream = rng.normal(size=y.shape)
(y * tn.tensor(upstream)).sum().backward()

cols, _ = im2col(x_np, 3, stride, pad)
G = upstream.transpose(0, 2, 3, 1).reshape(-1, 4)
dW = (G.T @ cols).reshape(w_np.shape)
db = G.sum(0)
dx = col2im(G @ w_np.reshape(4, -1), x_np.shape, 3, stride, pad)
for name, hand, auto in (("x", dx, xt.grad), ("weight", dW, wt.grad), ("bias", db, bt.grad)):
    gap = np.abs(hand - np.asarray(auto)).max()
    print(f"conv ∂L/∂{name:6s}: hand (im2col/col2im) vs autodiff max |diff| {gap:.1e}")
    assert gap < 1e-10, name

# %% [markdown]
# ## 3. Pooling and its backward
#
# **Max pooling** outputs the largest value of each window. The max is locally a
# *selection*: moving the winning input by ε moves the output by ε, moving any other input
# a little changes nothing. So the backward sends each output's gradient to the **position
# of its window's maximum**, and zero elsewhere:
#
# $$\frac{\partial L}{\partial x_{n,c,a,b}} = \sum_{(i,j):\ (a,b) = \arg\max \text{ of window } (i,j)}
#   \frac{\partial L}{\partial y_{n,c,i,j}} .$$
#
# The sum matters when windows **overlap** (stride < kernel, e.g. 3×3 windows with stride
# 2, as in AlexNet): one input can be the maximum of several windows and collects all their
# gradients. **Average pooling** y = (1/k²) Σ x spreads each gradient evenly: every input of
# the window gets ∂L/∂y / k² (summed over the windows that contain it). Neither has
# parameters; both are just routing.

# %%
def max_pool_forward_backward(x, upstream, k, stride):
    """Max pool (no padding) and its input gradient, by hand."""
    cols, (n, oh, ow) = im2col(x.reshape(-1, 1, *x.shape[2:]), k, stride)  # one channel at a time
    winner = cols.argmax(axis=1)  # position of the max inside each window
    y = cols[np.arange(len(cols)), winner].reshape(x.shape[0], x.shape[1], oh, ow)
    dcols = np.zeros_like(cols)
    dcols[np.arange(len(cols)), winner] = upstream.reshape(-1)  # route to the argmax ...
    dx = col2im(dcols, (x.shape[0] * x.shape[1], 1, *x.shape[2:]), k, stride)  # ... and add overlaps
    return y, dx.reshape(x.shape)


def avg_pool_forward_backward(x, upstream, k, stride):
    cols, (n, oh, ow) = im2col(x.reshape(-1, 1, *x.shape[2:]), k, stride)
    y = cols.mean(axis=1).reshape(x.shape[0], x.shape[1], oh, ow)
    dcols = np.repeat(upstream.reshape(-1, 1) / k ** 2, k * k, axis=1)  # spread evenly
    dx = col2im(dcols, (x.shape[0] * x.shape[1], 1, *x.shape[2:]), k, stride)
    return y, dx.reshape(x.shape)


x_pool = rng.normal(size=(2, 3, 9, 9))  # continuous values: no ties inside a window
for k, s in ((2, 2), (3, 2), (3, 1)):
    for name, by_hand, op in (("max", max_pool_forward_backward, F.max_pool2d),
                              ("avg", avg_pool_forward_backward, F.avg_pool2d)):
        xt = tn.tensor(x_pool, requires_grad=True)
        y = op(xt, k, s)
        up = rng.normal(size=y.shape)
        (y * tn.tensor(up)).sum().backward()
        y_hand, dx_hand = by_hand(x_pool, up, k, s)
        assert np.allclose(y_hand, y.numpy(), atol=1e-12), (name, k, s)
        assert np.allclose(dx_hand, np.asarray(xt.grad), atol=1e-12), (name, k, s)
print("max and average pooling, forward and backward by hand == F.max_pool2d / F.avg_pool2d "
      "for windows 2/2, 3/2 (overlapping), 3/1")

# %% [markdown]
# Two facts the derivation predicts, measured: with non-overlapping 2×2 max pooling exactly
# one input in four receives a gradient; with overlapping 3×3/stride-2 windows some inputs
# win several windows, and their gradient is the sum. And `tn.gradcheck` agrees with the
# library's max pool (away from ties, where the max is not differentiable).

# %%
x_one = rng.normal(size=(1, 1, 8, 8))
_, routed = max_pool_forward_backward(x_one, np.ones((1, 1, 4, 4)), 2, 2)
print(f"2×2/2 max pool on 8×8: {np.count_nonzero(routed)} of 64 inputs get a gradient")
assert np.count_nonzero(routed) == 16
_, overlapped = max_pool_forward_backward(x_one, np.ones((1, 1, 3, 3)), 3, 2)
print(f"3×3/2 max pool: {np.count_nonzero(overlapped)} inputs get a gradient, the largest share "
      f"{overlapped.max():.0f} windows")
assert overlapped.sum() == 9 and overlapped.max() > 1  # 9 windows; some input wins more than one
assert tn.gradcheck(lambda t: F.max_pool2d(t, 3, 2), [tn.tensor(x_pool[:1, :1], requires_grad=True)])
assert tn.gradcheck(lambda t: F.avg_pool2d(t, 3, 2), [tn.tensor(x_pool[:1, :1], requires_grad=True)])

fig, axes = plt.subplots(1, 3, figsize=(15, 4.3))
sides = np.arange(20, 70)
flat_sizes = [64 * doc004_side(h) ** 2 for h in sides]
axes[0].plot(sides, flat_sizes, "o-", markersize=3)
axes[0].axhline(64 * 6 * 6, color="tab:red", linestyle="--", label="64·6·6 = 2304 (what fc1 expects)")
axes[0].axvspan(accepted[0] - 0.5, accepted[-1] + 0.5, color="tab:green", alpha=0.2, label="sides 30–33 work")
axes[0].set(xlabel="image side H (pixels)", ylabel="numbers per image after conv2 + pool",
            title="Document 004's ConvNet: what reaches fc1")
axes[0].legend()
small = np.arange(25.0).reshape(1, 1, 5, 5)
cols_small, _ = im2col(small, 3)
im = axes[1].imshow(cols_small, cmap="viridis", aspect="auto")
axes[1].set(xlabel="column = kernel offset (u, v), 0…8", ylabel="row = output position (i, j), 0…8",
            title="im2col of a 5×5 image (pixel value = its index)")
fig.colorbar(im, ax=axes[1], label="pixel index 0…24")
im2 = axes[2].imshow(overlapped[0, 0], cmap="magma")
for (i, j), value in np.ndenumerate(overlapped[0, 0]):
    if value:
        axes[2].text(j, i, f"{value:.0f}", ha="center", va="center", color="k" if value > 1 else "w", fontsize=9)
axes[2].set(xlabel="column", ylabel="row", title="Max pool 3×3, stride 2: windows each input wins")
fig.colorbar(im2, ax=axes[2], label="∂L/∂x with ∂L/∂y = 1")
fig.tight_layout()
save(fig, "22_cnn_mechanics.png")

# %% [markdown]
# ## What we learned
# * H_out = ⌊(H + 2p − k)/s⌋ + 1 for convolutions and pooling alike; it matched tinynn on
#   every case. Document 004's `64 * 6 * 6` only fits images of side 30–33, which its
#   loading code does not guarantee, and `view(-1, …)` can silently mix images: flatten with
#   `flatten(1)` or pool adaptively.
# * im2col turns a convolution into one matrix product (the dense layer on every patch);
#   its backward is the matrix-product rule plus col2im, which sums the gradients of the
#   overlapping copies.
# * Max pooling routes each gradient to its window's argmax (summing where windows overlap);
#   average pooling spreads it evenly. Both agreed with tinynn's `F.max_pool2d` and
#   `F.avg_pool2d` and with `tn.gradcheck`.
#
# Next: [23. RNNs and backpropagation through time](23_rnn_and_bptt.py).
