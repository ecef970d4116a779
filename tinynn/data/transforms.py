"""Data augmentation and normalisation for images, with torchvision's names and arguments.

Every transform takes an image ``(H, W)``, ``(C, H, W)`` or a batch ``(N, C, H, W)`` (NumPy,
a Tensor, or a device array; the result has the same kind, shape and dtype) and works on the
host with NumPy. In a batch **every image draws its own** random crop, angle, flip and noise,
so one call per batch augments like one call per image, only faster. A 2-D array is one
(H, W) image, so reshape flat rows first (``x.reshape(-1, 1, 28, 28)`` for MNIST).

Randomness comes from tinynn's global generator, so ``tn.manual_seed`` repeats an
augmented run exactly.

Two places to apply them:

* per sample: ``TensorDataset(x, y, transform=t)`` calls ``t`` on each ``(C, H, W)`` row,
  as a torchvision dataset does;
* per batch: ``DataLoader(ds, batch_size=64, transform=t)`` calls ``t`` once on each batch's
  inputs ``(N, C, H, W)`` (a NumPy array, before the batch becomes Tensors).

>>> import tinynn as tn
>>> augment = Compose([RandomCrop(8, padding=1), RandomHorizontalFlip(), GaussianNoise(sigma=0.01)])
>>> tn.manual_seed(0)
>>> augment(np.zeros((16, 3, 8, 8), dtype="float32")).shape
(16, 3, 8, 8)

What differs from torchvision: the transforms work on arrays (no PIL images, no
``ToTensor``); ``RandomShift`` is tinynn's (a random translation, i.e. ``RandomCrop`` to the
input's own size after padding); ``RandomRotation(expand=True)`` is not supported; at the
border of a bilinear rotation the fill is mixed in by the weight of the corners that fall
outside (torchvision mixes by an interpolated mask: the same inside the image).
"""
from __future__ import annotations

import numbers

from tinynn import backend, random
from tinynn.tensor import Tensor

np = backend.numpy  # augmentation runs on the host


# --------------------------------------------------------------------------- plumbing
def _as_images(x, name):
    """``x`` as a host (N, C, H, W) array, and a function that puts a result back into the
    form ``x`` came in (shape, Tensor or device array)."""
    if isinstance(x, Tensor):
        h, device, kind = x.numpy(), x.device, "tensor"
    elif backend.is_array(x):
        h, device, kind = backend.to_host(x), backend.device_of(x), "array"
    else:
        h, device, kind = np.asarray(x), "cpu", "array"
    if h.ndim not in (2, 3, 4):
        raise ValueError(f"{name}: expected an image (H, W), (C, H, W) or a batch (N, C, H, W), got shape "
                         f"{h.shape}; reshape flat rows first, e.g. x.reshape(-1, 1, 28, 28)")
    shape = h.shape
    batch = h.reshape((1,) * (4 - h.ndim) + shape)

    def restore(out):
        out = out.reshape(shape[:-2] + out.shape[-2:])
        if kind == "tensor":
            return Tensor(out, device=device)
        return backend.to_device(out, device) if device != "cpu" else out

    return batch, restore


def _require_float(images, name):
    if images.dtype.kind != "f":
        raise TypeError(f"{name}: expects float images, got dtype {images.dtype}; convert first, e.g. "
                        "x.astype('float32') / 255")


def _pair(value, name, what):
    """An int or a pair of ints as (height, width)."""
    if isinstance(value, numbers.Number):
        return int(value), int(value)
    if len(value) == 1:
        return int(value[0]), int(value[0])
    if len(value) != 2:
        raise ValueError(f"{name}: {what} must be an int or a pair (h, w), got {value!r}")
    return int(value[0]), int(value[1])


def _fill_array(fill, channels, name):
    """``fill`` (a number or one value per channel) shaped to broadcast over (N, C, H, W)."""
    f = np.asarray(fill, dtype=np.float64).reshape(-1)
    if f.size not in (1, channels):
        raise ValueError(f"{name}: fill must be a number or one value per channel ({channels}), got {fill!r}")
    return f.reshape(1, -1, 1, 1)


class _Transform:
    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({args})"


# --------------------------------------------------------------------------- composition
class Compose(_Transform):
    """Apply ``transforms`` one after the other.

    >>> Compose([RandomHorizontalFlip(p=1.0), Normalize([0.5], [0.5])])(np.array([[[0.0, 1.0]]])).tolist()
    [[[1.0, -1.0]]]
    """

    def __init__(self, transforms):
        self.transforms = list(transforms)
        for t in self.transforms:
            if not callable(t):
                raise TypeError(f"Compose: every transform must be callable, got {type(t).__name__}")

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x


# --------------------------------------------------------------------------- geometry
_PAD_MODES = {"constant": "constant", "edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}


def _padding4(padding, name):
    """torchvision's padding: an int (all sides), (left/right, top/bottom) or (left, top, right, bottom)."""
    if padding is None:
        return 0, 0, 0, 0
    if isinstance(padding, numbers.Number):
        p = int(padding)
        return p, p, p, p
    padding = [int(p) for p in padding]
    if len(padding) == 1:
        return tuple(padding * 4)
    if len(padding) == 2:
        return padding[0], padding[1], padding[0], padding[1]
    if len(padding) == 4:
        return tuple(padding)
    raise ValueError(f"{name}: padding must be an int or a sequence of 1, 2 or 4 ints, got {padding!r}")


def _pad(images, left, top, right, bottom, fill, mode):
    if not (left or top or right or bottom):
        return images
    widths = ((0, 0), (0, 0), (top, bottom), (left, right))
    if mode == "constant":
        return np.pad(images, widths, mode="constant", constant_values=fill)
    return np.pad(images, widths, mode=_PAD_MODES[mode])


def _crop_each(images, size, rng):
    """A random (th, tw) window of every image, each at its own offset."""
    n, c, h, w = images.shape
    th, tw = size
    top = rng.integers(0, h - th + 1, size=n)
    left = rng.integers(0, w - tw + 1, size=n)
    rows = top[:, None] + np.arange(th)  # (N, th)
    cols = left[:, None] + np.arange(tw)  # (N, tw)
    return images[np.arange(n)[:, None, None, None], np.arange(c)[None, :, None, None],
                  rows[:, None, :, None], cols[:, None, None, :]]


class RandomCrop(_Transform):
    """Crop a random ``size`` window (torchvision's ``RandomCrop``), after ``padding``.

    Args:
        size: an int (square) or (h, w).
        padding: pixels added first: an int for every side, (left/right, top/bottom) or
            (left, top, right, bottom).
        pad_if_needed: pad an image smaller than ``size`` up to it.
        fill: the value of constant padding.
        padding_mode: "constant", "edge", "reflect" or "symmetric".

    >>> import tinynn as tn; tn.manual_seed(0)
    >>> RandomCrop(2)(np.arange(16.0).reshape(1, 4, 4)).shape
    (1, 2, 2)
    """

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        if padding_mode not in _PAD_MODES:
            raise ValueError(f"RandomCrop: padding_mode must be one of {sorted(_PAD_MODES)}, got {padding_mode!r}")
        self.size = None if size is None else _pair(size, "RandomCrop", "size")
        self.padding = padding
        self._pad4 = _padding4(padding, type(self).__name__)
        self.pad_if_needed, self.fill, self.padding_mode = bool(pad_if_needed), fill, padding_mode

    def __call__(self, x):
        name = type(self).__name__
        images, restore = _as_images(x, name)
        size = self.size or images.shape[-2:]
        images = _pad(images, *self._pad4, self.fill, self.padding_mode)
        h, w = images.shape[-2:]
        if self.pad_if_needed and w < size[1]:
            images = _pad(images, size[1] - w, 0, size[1] - w, 0, self.fill, self.padding_mode)
        if self.pad_if_needed and h < size[0]:
            images = _pad(images, 0, size[0] - h, 0, size[0] - h, self.fill, self.padding_mode)
        if images.shape[-2] < size[0] or images.shape[-1] < size[1]:
            raise ValueError(f"{name}: crop size {tuple(size)} is larger than the (padded) image "
                             f"{images.shape[-2:]}; pass padding= or pad_if_needed=True")
        return restore(_crop_each(images, size, random.rng()))


class RandomShift(RandomCrop):
    """Move every image by a random whole number of pixels, up to ``max_shift`` each way
    (tinynn's; DrQ's "random shift", which pads with ``padding_mode="edge"``): pad by ``max_shift`` and crop back to
    the image's own size, so what slides out is lost and ``fill`` slides in.

    >>> import tinynn as tn; tn.manual_seed(0)
    >>> out = RandomShift(1)(np.ones((2, 1, 5, 5)))
    >>> out.shape, bool(out.sum() >= 2 * 16)   # each image loses at most one row and one column
    ((2, 1, 5, 5), True)
    """

    def __init__(self, max_shift, fill=0, padding_mode="constant"):
        if not isinstance(max_shift, int) or max_shift < 0:
            raise ValueError(f"RandomShift: max_shift must be an int >= 0 (pixels), got {max_shift!r}")
        super().__init__(None, padding=max_shift, fill=fill, padding_mode=padding_mode)
        self.max_shift = max_shift


class RandomHorizontalFlip(_Transform):
    """Mirror each image left-right with probability ``p``.

    >>> RandomHorizontalFlip(p=1.0)(np.array([[1, 2, 3]])).tolist()
    [[3, 2, 1]]
    """

    def __init__(self, p=0.5):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{type(self).__name__}: p is a probability in [0, 1], got {p}")
        self.p = float(p)

    _axis = -1

    def __call__(self, x):
        images, restore = _as_images(x, type(self).__name__)
        out = images.copy()
        flip = random.rng().random(len(images)) < self.p
        out[flip] = np.flip(images[flip], axis=self._axis)
        return restore(out)


class RandomVerticalFlip(RandomHorizontalFlip):
    """Mirror each image top-bottom with probability ``p``.

    >>> RandomVerticalFlip(p=1.0)(np.array([[1], [2]])).tolist()
    [[2], [1]]
    """

    _axis = -2


_INTERPOLATIONS = ("nearest", "bilinear")


class RandomRotation(_Transform):
    """Rotate each image by its own random angle, counter-clockwise in degrees (torchvision's
    ``RandomRotation``): uniform in ``(-degrees, degrees)``, or in ``degrees=(low, high)``.

    Args:
        degrees: a number d >= 0 for (-d, d), or (low, high).
        interpolation: "nearest" (torchvision's default) or "bilinear".
        center: (x, y) in pixel coordinates, origin at the top-left corner of the image
            (torchvision's convention); default: the centre of the image.
        fill: the value (or one per channel) of pixels that come from outside the image.

    Every output pixel is looked up where the rotation came from (inverse mapping), so no
    holes appear. A 90-degree turn equals ``np.rot90`` on square images.

    >>> img = np.array([[[1.0, 2.0], [3.0, 4.0]]])
    >>> RandomRotation((90, 90))(img).tolist()
    [[[2.0, 4.0], [1.0, 3.0]]]
    """

    def __init__(self, degrees, interpolation="nearest", expand=False, center=None, fill=0):
        if isinstance(degrees, numbers.Number):
            if degrees < 0:
                raise ValueError(f"RandomRotation: a single degrees value must be >= 0, got {degrees}")
            degrees = (-float(degrees), float(degrees))
        elif len(degrees) != 2 or degrees[0] > degrees[1]:
            raise ValueError("RandomRotation: degrees must be a number or (low, high) with low <= high, "
                             f"got {degrees!r}")
        interpolation = getattr(interpolation, "value", interpolation)  # torchvision's InterpolationMode
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(f"RandomRotation: interpolation must be 'nearest' or 'bilinear', got {interpolation!r}")
        if expand:
            raise NotImplementedError("RandomRotation: expand=True is not supported in tinynn; the output keeps "
                                      "the input's size (pad the images first if the corners matter)")
        self.degrees = (float(degrees[0]), float(degrees[1]))
        self.interpolation, self.expand, self.center, self.fill = interpolation, expand, center, fill

    def __call__(self, x):
        images, restore = _as_images(x, "RandomRotation")
        _require_float(images, "RandomRotation")
        n, c, h, w = images.shape
        angles = np.deg2rad(random.rng().uniform(self.degrees[0], self.degrees[1], size=n)).astype(images.dtype)
        cx, cy = ((w - 1) / 2, (h - 1) / 2) if self.center is None else (self.center[0] - 0.5, self.center[1] - 0.5)
        # coordinates in the images' precision (float32 is exact enough for any image size here)
        dy, dx = np.mgrid[0:h, 0:w].astype(np.result_type(images.dtype, np.float32))
        dy, dx = dy - cy, dx - cx
        cos, sin = np.cos(angles)[:, None, None], np.sin(angles)[:, None, None]
        # where each output pixel comes from: the inverse rotation (y points down, angles turn
        # counter-clockwise on screen)
        src_x = cx + cos * dx - sin * dy
        src_y = cy + sin * dx + cos * dy
        fill = _fill_array(self.fill, c, "RandomRotation").astype(images.dtype)
        sample = _nearest if self.interpolation == "nearest" else _bilinear
        return restore(sample(images, src_y, src_x, fill).astype(images.dtype))


def _gather(images, iy, ix):
    """``images[n, :, iy[n], ix[n]]`` for every image n, plus which lookups fall inside.

    One flat gather per image row (take_along_axis over H*W) is several times faster than
    four broadcast index arrays."""
    n, c, h, w = images.shape
    inside = (iy >= 0) & (iy < h) & (ix >= 0) & (ix < w)
    flat = (np.clip(iy, 0, h - 1) * w + np.clip(ix, 0, w - 1)).reshape(n, 1, h * w)
    values = np.take_along_axis(images.reshape(n, c, h * w), flat, axis=2).reshape(n, c, h, w)
    return values, inside[:, None]


def _nearest(images, src_y, src_x, fill):
    values, inside = _gather(images, np.rint(src_y).astype(np.int64), np.rint(src_x).astype(np.int64))
    return np.where(inside, values, fill)


def _bilinear(images, src_y, src_x, fill):
    y0, x0 = np.floor(src_y), np.floor(src_x)
    wy, wx = (src_y - y0)[:, None], (src_x - x0)[:, None]
    y0, x0 = y0.astype(np.int64), x0.astype(np.int64)
    out, weight_inside = 0.0, 0.0
    for iy, ix, weight in ((y0, x0, (1 - wy) * (1 - wx)), (y0, x0 + 1, (1 - wy) * wx),
                           (y0 + 1, x0, wy * (1 - wx)), (y0 + 1, x0 + 1, wy * wx)):
        values, inside = _gather(images, iy, ix)
        weight = weight * inside
        out, weight_inside = out + weight * values, weight_inside + weight
    return out + (1 - weight_inside) * fill  # the corners outside the image bring the fill


# --------------------------------------------------------------------------- values
class GaussianNoise(_Transform):
    """Add Gaussian noise of mean ``mean`` and standard deviation ``sigma`` to every pixel,
    then clip to [0, 1] if ``clip`` (torchvision.transforms.v2's ``GaussianNoise``: images
    in [0, 1]).

    >>> import tinynn as tn; tn.manual_seed(0)
    >>> out = GaussianNoise(sigma=0.1)(np.full((1, 100, 100), 0.5))
    >>> bool(abs(out.std() - 0.1) < 0.01), bool(out.min() >= 0.0)
    (True, True)
    """

    def __init__(self, mean=0.0, sigma=0.1, clip=True):
        if sigma < 0:
            raise ValueError(f"GaussianNoise: sigma must be >= 0, got {sigma}")
        self.mean, self.sigma, self.clip = float(mean), float(sigma), bool(clip)

    def __call__(self, x):
        images, restore = _as_images(x, "GaussianNoise")
        _require_float(images, "GaussianNoise")
        out = images + (self.mean + self.sigma * random.rng().standard_normal(images.shape))
        if self.clip:
            out = np.clip(out, 0.0, 1.0)
        return restore(out.astype(images.dtype))


class Normalize(_Transform):
    """``(x - mean[c]) / std[c]`` for every channel c (torchvision's ``Normalize``): one value
    per channel, or one for all.

    >>> Normalize(mean=[0.5, 0.0], std=[0.5, 2.0])(np.ones((2, 1, 1))).ravel().tolist()
    [1.0, 0.5]
    """

    def __init__(self, mean, std, inplace=False):
        self.mean = [float(m) for m in np.asarray(mean, dtype=np.float64).reshape(-1)]
        self.std = [float(s) for s in np.asarray(std, dtype=np.float64).reshape(-1)]
        if any(s == 0 for s in self.std):
            raise ValueError(f"Normalize: std evaluated to zero after conversion, leading to division by zero "
                             f"(std={std!r})")
        self.inplace = inplace  # accepted for torchvision's signature; a new array is always returned

    def __call__(self, x):
        images, restore = _as_images(x, "Normalize")
        _require_float(images, "Normalize")
        c = images.shape[1]
        for what, values in (("mean", self.mean), ("std", self.std)):
            if len(values) not in (1, c):
                raise ValueError(f"Normalize: {len(values)} {what} values for {c} channels; give one per channel "
                                 "or one for all")
        mean = np.asarray(self.mean).reshape(1, -1, 1, 1)
        std = np.asarray(self.std).reshape(1, -1, 1, 1)
        return restore(((images - mean) / std).astype(images.dtype))


__all__ = ["Compose", "RandomCrop", "RandomShift", "RandomHorizontalFlip", "RandomVerticalFlip",
           "RandomRotation", "GaussianNoise", "Normalize"]
