"""Evaluation metrics for classifiers: accuracy, precision, recall, F1, confusion matrix.

Inputs are class labels as Tensors, arrays or lists, from any device. Predictions may also be
(N, C) scores (logits or probabilities): their argmax is taken. Definitions, per class c with
TP/FP/FN counted from the confusion matrix (rows = true class, columns = predicted):

    precision_c = TP / (TP + FP)       recall_c = TP / (TP + FN)
    F1_c = 2·precision·recall / (precision + recall) = 2·TP / (2·TP + FP + FN)

Zero division (a class never predicted, or absent): the score is ``zero_division`` (default
0), as scikit-learn's ``zero_division=0``, silently. ``average="binary"`` reports the class
``pos_label``; ``"macro"`` the unweighted mean over classes; ``None`` one score per class. The
classes are ``labels`` if given, else ``range(num_classes)``, else every label seen in
``y_true`` or ``y_pred`` (sorted), as in scikit-learn.

>>> y_true, y_pred = [0, 1, 1, 1, 0], [0, 1, 0, 1, 1]
>>> accuracy(y_true, y_pred), precision(y_true, y_pred), recall(y_true, y_pred)
(0.6, 0.666..., 0.666...)
"""
from __future__ import annotations

from tinynn import backend
from tinynn.tensor import Tensor

np = backend.numpy  # metrics are computed on host copies of the labels

AVERAGES = ("binary", "macro", None)


def _labels_of(y, name):
    """Host int labels from a Tensor/array/list; (N, C) scores become their argmax."""
    a = y._data if isinstance(y, Tensor) else y
    a = backend.to_host(a) if backend.is_array(a) else np.asarray(a)
    if a.ndim == 2 and a.shape[1] > 1:
        a = a.argmax(axis=1)
    elif a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1:
        raise ValueError(f"{name} must be labels of shape (N,) or scores (N, C), got shape {a.shape}")
    if a.dtype.kind == "f":
        if not np.all(a == np.round(a)):
            raise ValueError(f"{name} holds non-integer values: pass class labels (threshold probabilities "
                             "first, e.g. (p > 0.5)) or (N, C) scores")
        a = a.astype(np.int64)
    return a


def _pair(y_true, y_pred):
    t, p = _labels_of(y_true, "y_true"), _labels_of(y_pred, "y_pred")
    if t.shape != p.shape:
        raise ValueError(f"y_true has {t.shape[0]} labels but y_pred has {p.shape[0]}")
    return t, p


def _classes(t, p, labels, num_classes):
    if labels is not None:
        return np.asarray(labels)
    if num_classes is not None:
        return np.arange(num_classes)
    return np.union1d(t, p)


def accuracy(y_true, y_pred):
    """Fraction of predictions equal to the true label (a Python float).

    >>> scores = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [0.0, 0.0, 1.0], [9.0, 0.0, 0.0]])
    >>> accuracy(np.array([0, 1, 2, 2]), scores)   # (N, C) scores: argmax is the prediction
    0.75
    """
    t, p = _pair(y_true, y_pred)
    if t.size == 0:
        raise ValueError("accuracy of an empty set of predictions is undefined")
    return float((t == p).mean())


def confusion_matrix(y_true, y_pred, labels=None, num_classes=None):
    """Counts ``cm[i, j]`` of samples of true class ``labels[i]`` predicted as ``labels[j]``.

    Rows are the truth, columns the prediction (scikit-learn's layout), int64.

    >>> confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2]).tolist()
    [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    """
    t, p = _pair(y_true, y_pred)
    classes = _classes(t, p, labels, num_classes)
    index = {int(c): i for i, c in enumerate(classes.tolist())}
    k = len(classes)
    keep = np.isin(t, classes) & np.isin(p, classes)  # labels outside `labels` are ignored (sklearn)
    rows = np.array([index[int(v)] for v in t[keep]], dtype=np.int64)
    cols = np.array([index[int(v)] for v in p[keep]], dtype=np.int64)
    cm = np.zeros((k, k), dtype=np.int64)
    np.add.at(cm, (rows, cols), 1)
    return cm


def _divide(num, den, zero_division):
    """num / den per class, with ``zero_division`` where den == 0 (no warning)."""
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    out = np.full(num.shape, float(zero_division))
    np.divide(num, den, out=out, where=den != 0)
    return out


def _scores(y_true, y_pred, average, pos_label, labels, num_classes, zero_division):
    """Per-class precision, recall, F1 arrays, then averaged as asked."""
    if average not in AVERAGES:
        raise ValueError(f"average must be one of {AVERAGES}, got {average!r}")
    t, p = _pair(y_true, y_pred)
    if average == "binary":
        present = np.union1d(t, p)
        if len(present) > 2 or not set(present.tolist()) <= {0, 1, pos_label}:
            raise ValueError(f"average='binary' needs two classes (0/1 or with pos_label={pos_label}), got "
                             f"labels {present.tolist()}: use average='macro' (or None for per class)")
        classes = np.array([pos_label])
    else:
        classes = _classes(t, p, labels, num_classes)
    tp = np.array([np.sum((t == c) & (p == c)) for c in classes])
    fp = np.array([np.sum((t != c) & (p == c)) for c in classes])
    fn = np.array([np.sum((t == c) & (p != c)) for c in classes])
    prec = _divide(tp, tp + fp, zero_division)
    rec = _divide(tp, tp + fn, zero_division)
    f1 = _divide(2 * tp, 2 * tp + fp + fn, zero_division)
    if average is None:
        return prec, rec, f1
    return float(prec.mean()), float(rec.mean()), float(f1.mean())


def precision_recall_f1(y_true, y_pred, average="binary", pos_label=1, labels=None, num_classes=None,
                        zero_division=0.0):
    """``(precision, recall, f1)`` in one pass; floats, or per-class arrays when ``average=None``.

    >>> p, r, f = precision_recall_f1([0, 1, 2, 2], [0, 2, 2, 2], average="macro")
    >>> round(p, 4), round(r, 4), round(f, 4)   # class 1 never predicted: precision 0 (zero_division)
    (0.5556, 0.6667, 0.6)
    """
    return _scores(y_true, y_pred, average, pos_label, labels, num_classes, zero_division)


def precision(y_true, y_pred, average="binary", pos_label=1, labels=None, num_classes=None,
              zero_division=0.0):
    """TP / (TP + FP): of the samples predicted as a class, the share that belong to it.

    >>> precision([1, 0, 1, 0], [1, 1, 1, 0])
    0.666...
    """
    return _scores(y_true, y_pred, average, pos_label, labels, num_classes, zero_division)[0]


def recall(y_true, y_pred, average="binary", pos_label=1, labels=None, num_classes=None, zero_division=0.0):
    """TP / (TP + FN): of the samples of a class, the share predicted as it.

    >>> recall([1, 0, 1, 0], [1, 1, 0, 0])
    0.5
    """
    return _scores(y_true, y_pred, average, pos_label, labels, num_classes, zero_division)[1]


def f1_score(y_true, y_pred, average="binary", pos_label=1, labels=None, num_classes=None, zero_division=0.0):
    """Harmonic mean of precision and recall, 2·TP / (2·TP + FP + FN).

    >>> f1_score([1, 0, 1, 0], [1, 1, 0, 0])
    0.5
    """
    return _scores(y_true, y_pred, average, pos_label, labels, num_classes, zero_division)[2]


f1 = f1_score  # short alias (Keras-style metric name)
