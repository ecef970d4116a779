"""Generated datasets: offline, seeded, fast; NumPy arrays out (wrap them in a TensorDataset).

* Points in the plane for classifiers: ``make_xor``, ``make_moons``, ``make_spirals``;
  noisy linear data for regression: ``make_regression``.
* Images for the documents' CNN programs: ``make_shapes`` (small colour images (N, 3, S, S)
  of circles, squares and triangles of equal area, at random positions and sizes, in random
  colours on random backgrounds, with noise: colour, size and the amount of ink say nothing
  about the class, only the outline does) and ``make_colour_digits`` (the bundled 8×8 digits
  upsampled to (N, 3, 32, 32) colour images).
* Token sequences for the LSTM programs: ``make_sentiment``, reviews in a tiny "movie review"
  language whose label depends on the words *and their order*: a negator ("not", "never",
  "hardly") directly before a sentiment word flips it. Every review holds as many negators as
  sentiment words, so the bag of words carries no information about which words are flipped:
  a bag-of-words model stays at chance while a sequence model (an LSTM) can learn the task.

Randomness comes from tinynn's generator (``tn.manual_seed``) unless a ``seed`` is given.

>>> x, y = make_moons(100, noise=0.1, seed=0)
>>> x.shape, x.dtype, y.dtype
((100, 2), dtype('float32'), dtype('int64'))
>>> x, y = make_shapes(6, seed=0)
>>> x.shape, x.dtype, y.tolist()
((6, 3, 32, 32), dtype('float32'), [0, 1, 2, 0, 1, 2])
>>> tokens, labels = make_sentiment(4, seq_len=12, seed=0)
>>> tokens.shape, labels.dtype
((4, 12), dtype('int64'))
"""
from __future__ import annotations

import math

from tinynn import backend
from tinynn.data._common import default_float, seeded
from tinynn.data.files import load_digits

np = backend.numpy  # host-only module: data is generated on the CPU

# --------------------------------------------------------------------------- points and lines
def _finish(x, y, rng, noise):
    """Add Gaussian noise to the points, shuffle, cast: float features, int64 labels."""
    if noise:
        x = x + rng.normal(scale=noise, size=x.shape)
    order = rng.permutation(len(x))
    return default_float(x[order]), np.asarray(y[order])


def _check_n(name, n, minimum=1):
    if not isinstance(n, int) or isinstance(n, bool) or n < minimum:
        raise ValueError(f"{name}: n_samples must be an int >= {minimum}, got {n!r}")


def make_xor(n_samples=200, noise=0.2, seed=None):
    """XOR: four clusters at (±1, ±1); label 1 where the signs differ. Not linearly separable.

    Returns ``(x, y)``: float32 (n, 2) points and int64 (n,) labels, shuffled, classes balanced
    (the clusters get ``n_samples // 4`` points each, the first ``n_samples % 4`` one more).

    >>> x, y = make_xor(8, noise=0.0, seed=0)
    >>> sorted(zip(x[:, 0].tolist(), x[:, 1].tolist(), y.tolist()))[:3]
    [(-1.0, -1.0, 0), (-1.0, -1.0, 0), (-1.0, 1.0, 1)]
    """
    _check_n("make_xor", n_samples, 4)
    rng = seeded(seed)
    corners = np.array([[-1.0, -1.0], [1.0, 1.0], [-1.0, 1.0], [1.0, -1.0]])
    which = np.arange(n_samples) % 4
    x, y = corners[which], (which >= 2).astype(np.int64)
    return _finish(x, y, rng, noise)


def make_moons(n_samples=200, noise=0.1, seed=None):
    """Two interleaving half circles (scikit-learn's two moons), labels 0 (upper) and 1 (lower).

    >>> x, y = make_moons(100, noise=0.0, seed=0)
    >>> x.shape, x.dtype, np.bincount(y).tolist()
    ((100, 2), dtype('float32'), [50, 50])
    """
    _check_n("make_moons", n_samples, 2)
    rng = seeded(seed)
    n_upper = n_samples // 2 + n_samples % 2
    n_lower = n_samples - n_upper
    t_up, t_lo = np.linspace(0, np.pi, n_upper), np.linspace(0, np.pi, n_lower)
    upper = np.stack([np.cos(t_up), np.sin(t_up)], axis=1)
    lower = np.stack([1 - np.cos(t_lo), 0.5 - np.sin(t_lo)], axis=1)
    y = np.concatenate([np.zeros(n_upper, np.int64), np.ones(n_lower, np.int64)])
    return _finish(np.concatenate([upper, lower]), y, rng, noise)


def make_spirals(n_samples=300, n_classes=3, noise=0.2, seed=None):
    """``n_classes`` interleaved spiral arms in the plane (the CS231n spiral), one class each.

    ``noise`` jitters the angle (in radians), so the arms stay spirals.

    >>> x, y = make_spirals(300, n_classes=3, seed=0)
    >>> x.shape, np.bincount(y).tolist(), bool(abs(x).max() <= 1.0)
    ((300, 2), [100, 100, 100], True)
    """
    _check_n("make_spirals", n_samples, n_classes)
    if not isinstance(n_classes, int) or n_classes < 2:
        raise ValueError(f"make_spirals: n_classes must be an int >= 2, got {n_classes!r}")
    rng = seeded(seed)
    y = np.arange(n_samples, dtype=np.int64) % n_classes
    x = np.empty((n_samples, 2))
    for k in range(n_classes):
        rows = np.flatnonzero(y == k)
        r = np.linspace(0.0, 1.0, len(rows))
        t = np.linspace(k * 4.0, (k + 1) * 4.0, len(rows)) + rng.normal(scale=noise, size=len(rows))
        x[rows] = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
    return _finish(x, y, rng, 0.0)


def make_regression(n_samples=100, n_features=1, noise=0.1, coef=None, bias=0.5, seed=None,
                    return_coef=False):
    """Noisy linear data: ``y = x @ coef + bias + noise·N(0, 1)`` with ``x ~ N(0, 1)``.

    Returns ``(x, y)``: float32 (n, n_features) and (n, 1) targets, the shape a
    ``Linear(n_features, 1)`` predicts, so ``mse_loss(model(x), y)`` lines up. ``coef`` defaults
    to random values in [-2, 2]; ``return_coef=True`` also returns ``(coef, bias)`` to check what
    a model recovers.

    >>> x, y, (w, b) = make_regression(50, 3, noise=0.0, seed=0, return_coef=True)
    >>> x.shape, y.shape, bool(np.allclose(x @ w + b, y.ravel(), atol=1e-5))
    ((50, 3), (50, 1), True)
    """
    _check_n("make_regression", n_samples)
    rng = seeded(seed)
    x = rng.normal(size=(n_samples, n_features))
    coef = rng.uniform(-2.0, 2.0, size=n_features) if coef is None else np.asarray(coef, dtype=np.float64)
    if coef.shape != (n_features,):
        raise ValueError(f"make_regression: coef must have shape ({n_features},), got {coef.shape}")
    y = x @ coef + bias + noise * rng.normal(size=n_samples)
    x, y = default_float(x), default_float(y.reshape(-1, 1))
    return (x, y, (coef, float(bias))) if return_coef else (x, y)


# --------------------------------------------------------------------------- images
SHAPES = ("circle", "square", "triangle")

def make_shapes(n_samples=600, n_classes=3, size=32, noise=0.05, seed=None, shuffle=False):
    """Colour images of ``SHAPES[:n_classes]`` (circle, square, triangle): x (N, 3, size, size)
    float32 in [0, 1] (NCHW, as tinynn and PyTorch), y int64 class indices.

    Every shape covers the same area (π r², r drawn per image), so only the outline tells
    the classes apart; triangles point up or down at random. Shape and background colours
    are random per image (bright on dark), plus Gaussian pixel noise of std ``noise``.
    Classes are balanced and interleaved (0, 1, 2, 0, ...) unless ``shuffle``.

    >>> x, y = make_shapes(4, n_classes=2, size=16, seed=1)
    >>> x.shape, sorted(set(y.tolist())), 0.0 <= float(x.min()) and float(x.max()) <= 1.0
    ((4, 3, 16, 16), [0, 1], True)
    """
    if not 1 <= n_classes <= len(SHAPES):
        raise ValueError(f"make_shapes: n_classes must be 1..{len(SHAPES)} ({', '.join(SHAPES)}), got {n_classes}")
    if size < 8:
        raise ValueError(f"make_shapes: size must be at least 8 pixels, got {size}")
    rng = seeded(seed)
    n = int(n_samples)
    y = np.arange(n) % n_classes  # balanced and interleaved
    if shuffle:
        y = rng.permutation(y)
    r = rng.uniform(0.13, 0.26, n) * size  # radius of the circle of the same area
    half_tri = r * math.sqrt(math.pi / math.sqrt(3))  # half the side of the equilateral triangle
    margin = 1.05 * half_tri  # the triangle sticks out furthest
    cy, cx = (rng.uniform(margin, size - margin) for _ in range(2))
    grid = np.arange(size) + 0.5
    dy = grid[None, :, None] - cy[:, None, None]  # (N, S, 1)
    dx = grid[None, None, :] - cx[:, None, None]  # (N, 1, S)
    rr = r[:, None, None]
    circle = dx * dx + dy * dy <= rr * rr
    square = np.maximum(np.abs(dx), np.abs(dy)) <= rr * math.sqrt(math.pi) / 2  # side r√π
    flip = np.where(rng.random(n) < 0.5, 1.0, -1.0)[:, None, None]
    height_half = (half_tri * math.sqrt(3) / 2)[:, None, None]  # half the height, centred
    t = (dy * flip + height_half) / (2 * height_half)  # 0 at the apex, 1 at the base
    triangle = (t >= 0) & (t <= 1) & (np.abs(dx) <= t * half_tri[:, None, None])
    mask = np.select([y[:, None, None] == k for k in range(3)], [circle, square, triangle])
    ink = rng.uniform(0.55, 1.0, (n, 3))[:, :, None, None]
    paper = rng.uniform(0.0, 0.35, (n, 3))[:, :, None, None]
    x = np.where(mask[:, None], ink, paper) + noise * rng.standard_normal((n, 3, size, size))
    return np.clip(x, 0.0, 1.0).astype(backend.default_dtype()), y.astype(np.int64)


def make_colour_digits(size=32, seed=None):
    """The bundled UCI digits (1797 images, labels 0..9) as colour images (N, 3, size, size):
    each 8×8 image upsampled (nearest neighbour) and painted in a random colour on a random
    dark background. ``size`` must be a multiple of 8.

    >>> x, y = make_colour_digits(16, seed=0)
    >>> x.shape, y.shape, int(y.max())
    ((1797, 3, 16, 16), (1797,), 9)
    """
    if size % 8:
        raise ValueError(f"make_colour_digits: size must be a multiple of 8, got {size}")
    rng = seeded(seed)
    images, y = load_digits(images=True, dtype="float64")
    scale = size // 8
    images = (images / 16.0).repeat(scale, axis=1).repeat(scale, axis=2)[:, None]  # (N, 1, S, S)
    ink = rng.uniform(0.6, 1.0, (len(y), 3))[:, :, None, None]
    paper = rng.uniform(0.0, 0.3, (len(y), 3))[:, :, None, None]
    x = paper + (ink - paper) * images
    return x.astype(backend.default_dtype()), y


# --------------------------------------------------------------------------- sequences
NEGATORS = ("not", "never", "hardly")
POSITIVE = ("good", "great", "fun", "superb", "lovely", "brilliant", "charming", "moving", "clever", "enjoyable")
NEGATIVE = ("bad", "dull", "awful", "boring", "clumsy", "weak", "tedious", "messy", "bland", "poor")
FILLER = ("the", "movie", "film", "plot", "was", "is", "a", "and", "acting", "story", "really", "quite",
          "this", "cast", "it", "ending", "music", "director", "scenes", "script")
PAD = 0


def sentiment_vocabulary(vocab_size=100):
    """The words of ``make_sentiment``: index 0 is "<pad>", then the negators, positive,
    negative and filler words, then "w38", "w39", ... (more filler) up to ``vocab_size``.

    >>> sentiment_vocabulary(45)[:4], sentiment_vocabulary(45)[-1]
    (['<pad>', 'not', 'never', 'hardly'], 'w44')
    """
    words = ["<pad>", *NEGATORS, *POSITIVE, *NEGATIVE, *FILLER]
    if vocab_size < len(words):
        raise ValueError(f"sentiment_vocabulary: vocab_size must be at least {len(words)}, got {vocab_size}")
    return words + [f"w{k}" for k in range(len(words), vocab_size)]


def decode(tokens, vocab_size=100):
    """Token ids -> the review as text (padding dropped).

    >>> decode([0, 0, 1, 4, 24])
    'not good the'
    """
    words = sentiment_vocabulary(max(vocab_size, int(np.max(tokens)) + 1))
    return " ".join(words[int(t)] for t in tokens if int(t) != PAD)


def make_sentiment(n_samples=2000, seq_len=20, vocab_size=100, max_sentiment=3, min_len=None, seed=None):
    """Reviews in a tiny language and their labels: tokens (N, seq_len) int64, left-padded with
    0 (as Keras' pad_sequences), labels (N,) int64 (1 = positive).

    Each review has k sentiment words (k odd, 1..``max_sentiment``), each positive or
    negative at random and *negated* with probability 1/2 by a negator directly before it.
    The label is the majority of the effective (after negation) polarities. For every
    sentiment word that is not negated, a decoy negator stands before a filler word instead
    ("not the"), so the count of negators is always k: which words are flipped shows only in
    the order, and a bag-of-words model cannot beat chance.

    >>> tokens, labels = make_sentiment(500, seq_len=10, max_sentiment=1, seed=3)
    >>> bool(((tokens >= 1) & (tokens <= 3)).sum(axis=1).max() == 1)   # one negator per review
    True
    """
    words = sentiment_vocabulary(vocab_size)
    if max_sentiment < 1 or max_sentiment % 2 == 0:
        raise ValueError(f"make_sentiment: max_sentiment must be odd (no ties), got {max_sentiment}")
    longest_needed = 2 * max_sentiment + max_sentiment  # k sentiment units + k decoys, worst case
    min_len = longest_needed if min_len is None else max(min_len, longest_needed)
    if seq_len < min_len:
        raise ValueError(f"make_sentiment: seq_len must be at least {min_len} for max_sentiment="
                         f"{max_sentiment}, got {seq_len}")
    rng = seeded(seed)
    first_pos = 1 + len(NEGATORS)
    first_neg, first_fill = first_pos + len(POSITIVE), first_pos + len(POSITIVE) + len(NEGATIVE)
    tokens = np.zeros((n_samples, seq_len), dtype=np.int64)
    labels = np.zeros(n_samples, dtype=np.int64)
    ks = rng.integers(0, (max_sentiment + 1) // 2, n_samples) * 2 + 1
    lengths = rng.integers(min_len, seq_len + 1, n_samples)
    for s in range(n_samples):
        k, length = int(ks[s]), int(lengths[s])
        polarity = rng.choice([-1, 1], size=k)
        negated = rng.random(k) < 0.5
        labels[s] = int((polarity * np.where(negated, -1, 1)).sum() > 0)
        units = []
        for p, neg in zip(polarity, negated):
            word = int(rng.integers(first_pos, first_neg) if p > 0 else rng.integers(first_neg, first_fill))
            negator = int(rng.integers(1, first_pos))
            units.append([negator, word] if neg else [word])
            if not neg:  # the decoy: a negator that negates a filler word
                units.append([negator, int(rng.integers(first_fill, len(words)))])
        used = sum(len(u) for u in units)
        units += [[int(w)] for w in rng.integers(first_fill, len(words), max(length - used, 0))]
        sentence = [w for i in rng.permutation(len(units)) for w in units[i]]
        tokens[s, seq_len - len(sentence):] = sentence
    return tokens, labels


def bag_of_words(tokens, vocab_size):
    """Word counts per review, (N, vocab_size) float32, padding ignored: the features of a
    bag-of-words baseline (which forgets the order).

    >>> bag_of_words(np.array([[0, 1, 4, 4]]), 6).tolist()
    [[0.0, 1.0, 0.0, 0.0, 2.0, 0.0]]
    """
    tokens = np.asarray(tokens)
    counts = np.zeros((len(tokens), vocab_size))
    np.add.at(counts, (np.arange(len(tokens))[:, None].repeat(tokens.shape[1], 1), tokens), 1.0)
    counts[:, PAD] = 0
    return counts.astype(backend.default_dtype())


__all__ = [
    "make_xor", "make_moons", "make_spirals", "make_regression",
    "SHAPES", "make_shapes", "make_colour_digits",
    "NEGATORS", "POSITIVE", "NEGATIVE", "FILLER", "PAD", "sentiment_vocabulary", "decode", "make_sentiment",
    "bag_of_words",
]
