"""tinynn.data.transforms: every random transform checked image by image against a plain
NumPy (or SciPy) construction of what it should do, plus seeding and the two hooks."""
import numpy as np
import pytest

import tinynn as tn
from tinynn import backend
from tinynn import random
from tinynn.data import DataLoader, TensorDataset
from tinynn.data.transforms import (
    Compose,
    GaussianNoise,
    Normalize,
    RandomCrop,
    RandomHorizontalFlip,
    RandomRotation,
    RandomShift,
    RandomVerticalFlip,
)


def images(n=8, c=2, h=6, w=6, seed=0):
    return np.random.default_rng(seed).random((n, c, h, w)).astype("float32")


def windows(padded, size):
    """Every (size × size) window of a (C, H, W) image, keyed by its offset."""
    h, w = padded.shape[-2:]
    return {(i, j): padded[:, i:i + size[0], j:j + size[1]] for i in range(h - size[0] + 1)
            for j in range(w - size[1] + 1)}


def offset_of(out, padded):
    found = [k for k, v in windows(padded, out.shape[-2:]).items() if np.array_equal(v, out)]
    assert found, "the output is not a window of the padded image"
    return found[0]


# --------------------------------------------------------------------------- crop and shift
def test_random_crop_takes_a_window_of_the_padded_image_per_image():
    x = images(n=40)
    out = RandomCrop(6, padding=2, fill=0.5)(x)
    assert out.shape == x.shape and out.dtype == x.dtype
    offsets = set()
    for img, o in zip(x, out):
        padded = np.pad(img, ((0, 0), (2, 2), (2, 2)), constant_values=0.5)
        offsets.add(offset_of(o, padded))
    assert len(offsets) > 5  # each image drew its own offset


def test_crop_padding_forms_and_modes_match_numpy_pad():
    img = images(n=1, c=1, h=4, w=5)[0]
    # (left/right, top/bottom) = (1, 2): a crop of the full padded size is the padding itself
    full = RandomCrop((8, 7), padding=(1, 2))(img)
    assert np.array_equal(full, np.pad(img, ((0, 0), (2, 2), (1, 1))))
    full = RandomCrop((4 + 0 + 3, 5 + 1 + 2), padding=(1, 0, 2, 3), padding_mode="reflect")(img)
    assert np.array_equal(full, np.pad(img, ((0, 0), (0, 3), (1, 2)), mode="reflect"))
    grown = RandomCrop(6, pad_if_needed=True, padding_mode="edge")(img)
    assert grown.shape == (1, 6, 6)
    assert np.array_equal(RandomCrop((4, 5))(img), img)  # the whole image: nothing random left
    with pytest.raises(ValueError, match="larger than"):
        RandomCrop(7)(img)
    with pytest.raises(ValueError, match="padding_mode"):
        RandomCrop(2, padding_mode="wrap")


def test_random_shift_moves_each_image_by_at_most_max_shift():
    x = images(n=30, c=1, h=5, w=5)
    out = RandomShift(2)(x)
    shifts = set()
    for img, o in zip(x, out):
        dy, dx = (2 - k for k in offset_of(o, np.pad(img, ((0, 0), (2, 2), (2, 2)))))
        assert abs(dy) <= 2 and abs(dx) <= 2
        shifts.add((dy, dx))
    assert len(shifts) > 5
    assert np.array_equal(RandomShift(0)(x), x)


# --------------------------------------------------------------------------- flips
def test_horizontal_flip_flips_about_p_of_the_images():
    x = images(n=400, c=1, h=2, w=3)
    out = RandomHorizontalFlip(p=0.5)(x)
    flipped = np.array([np.array_equal(o, i[..., ::-1]) for o, i in zip(out, x)])
    kept = np.array([np.array_equal(o, i) for o, i in zip(out, x)])
    assert (flipped ^ kept).all() and 0.4 < flipped.mean() < 0.6
    assert np.array_equal(RandomHorizontalFlip(p=1.0)(x), x[..., ::-1])
    assert np.array_equal(RandomHorizontalFlip(p=0.0)(x), x)
    assert np.array_equal(RandomVerticalFlip(p=1.0)(x), x[..., ::-1, :])
    with pytest.raises(ValueError, match="probability"):
        RandomHorizontalFlip(p=1.5)


# --------------------------------------------------------------------------- rotation
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("size", [5, 6])
def test_quarter_turns_equal_rot90(interpolation, size):
    x = images(n=3, c=2, h=size, w=size)
    for degrees, k in ((90, 1), (-90, -1), (180, 2)):
        out = RandomRotation((degrees, degrees), interpolation=interpolation)(x)
        assert np.allclose(out, np.rot90(x, k=k, axes=(2, 3)), atol=1e-6)  # counter-clockwise, as torchvision
    assert np.array_equal(RandomRotation(0, interpolation=interpolation)(x), x)


def test_bilinear_rotation_matches_scipy():
    ndimage = pytest.importorskip("scipy.ndimage")
    x = images(n=6, c=1, h=9, w=9, seed=3).astype("float64")
    tn.manual_seed(7)
    out = RandomRotation(15, interpolation="bilinear", fill=0.25)(x)
    tn.manual_seed(7)
    angles = random.rng().uniform(-15, 15, size=6)  # the angles the transform drew
    for img, o, angle in zip(x, out, angles):
        expected = ndimage.rotate(img[0], angle, reshape=False, order=1, mode="constant", cval=0.25)
        assert np.abs(o[0] - expected)[1:-1, 1:-1].max() < 1e-9  # the border's fill is mixed differently
    assert len(set(np.round(angles, 6))) == 6


def test_rotation_arguments():
    x = images(n=2, c=3, h=4, w=4)
    out = RandomRotation((45, 45), fill=[1.0, 2.0, 3.0])(x)
    assert out[0, 1, 0, 0] == 2.0  # a corner comes from outside: that channel's fill
    # center (x, y) in torchvision's pixel coordinates: (0.5, 0.5) is the centre of pixel (0, 0),
    # which a quarter turn about it keeps in place
    img = np.arange(16.0).reshape(1, 4, 4)
    assert RandomRotation((90, 90), center=(0.5, 0.5))(img)[0, 0, 0] == img[0, 0, 0]
    with pytest.raises(TypeError, match="float"):
        RandomRotation(10)(np.zeros((1, 4, 4), dtype=np.uint8))
    with pytest.raises(NotImplementedError, match="expand"):
        RandomRotation(10, expand=True)
    with pytest.raises(ValueError, match="interpolation"):
        RandomRotation(10, interpolation="bicubic")


# --------------------------------------------------------------------------- values
def test_gaussian_noise_has_the_asked_mean_and_sigma():
    x = np.full((4, 1, 100, 100), 0.5, dtype="float32")
    noise = GaussianNoise(mean=0.05, sigma=0.1, clip=False)(x) - x
    assert abs(noise.mean() - 0.05) < 0.005 and abs(noise.std() - 0.1) < 0.005
    clipped = GaussianNoise(sigma=1.0)(x)
    assert clipped.min() >= 0.0 and clipped.max() <= 1.0 and clipped.dtype == np.float32
    with pytest.raises(TypeError, match="float"):
        GaussianNoise()(np.zeros((1, 2, 2), dtype=np.int64))


def test_normalize_per_channel():
    x = images(n=2, c=3)
    out = Normalize(mean=[0.1, 0.2, 0.3], std=[1.0, 2.0, 4.0])(x)
    expected = np.stack([(x[:, k] - m) / s for k, (m, s) in enumerate([(0.1, 1.0), (0.2, 2.0), (0.3, 4.0)])], 1)
    assert np.allclose(out, expected) and out.dtype == np.float32
    assert np.allclose(Normalize(0.5, 0.25)(x), (x - 0.5) / 0.25)
    with pytest.raises(ValueError, match="channels"):
        Normalize([0.1, 0.2], [1.0, 1.0])(x)
    with pytest.raises(ValueError, match="zero"):
        Normalize([0.0], [0.0])


# --------------------------------------------------------------------------- shapes, kinds, seeding
def test_shapes_kinds_and_bad_input(device):
    x = images(n=4)
    chw = RandomCrop(4, padding=1)(x[0])
    assert chw.shape == (2, 4, 4) and isinstance(chw, np.ndarray)
    t = tn.tensor(x, device=device)
    out = Compose([RandomHorizontalFlip(), Normalize(0.5, 0.5)])(t)
    assert isinstance(out, tn.Tensor) and out.device == device and out.dtype == np.float32 and out.shape == x.shape
    with pytest.raises(ValueError, match="reshape"):
        RandomHorizontalFlip()(np.zeros((4, 784)).reshape(4, 784, 1, 1, 1))


def test_manual_seed_repeats_an_augmented_pipeline():
    pipeline = Compose([RandomShift(1), RandomHorizontalFlip(), RandomRotation(10), GaussianNoise(sigma=0.05)])
    x = images(n=5)
    tn.manual_seed(11)
    a = pipeline(x)
    tn.manual_seed(11)
    b = pipeline(x)
    tn.manual_seed(12)
    c = pipeline(x)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert "RandomShift" in repr(pipeline)


def test_hooks_per_sample_and_per_batch():
    x, y = images(n=6), np.arange(6)
    (xb, yb), = DataLoader(TensorDataset(x, y, transform=RandomHorizontalFlip(p=1.0)), batch_size=6)
    assert np.array_equal(xb.numpy(), x[..., ::-1]) and yb.tolist() == list(range(6))
    (xb, yb), = DataLoader(TensorDataset(x, y), batch_size=6, transform=RandomVerticalFlip(p=1.0))
    assert np.array_equal(xb.numpy(), x[..., ::-1, :])
    tn.manual_seed(0)
    first = [b[0].numpy() for b in DataLoader((x, y), batch_size=2, shuffle=True, transform=RandomShift(1))]
    tn.manual_seed(0)
    again = [b[0].numpy() for b in DataLoader((x, y), batch_size=2, shuffle=True, transform=RandomShift(1))]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
