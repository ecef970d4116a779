"""tinynn.metrics against values worked out by hand (and a hand-coded confusion matrix)."""
import numpy as np
import pytest

import tinynn as tn
from tinynn.metrics import accuracy, confusion_matrix, f1_score, precision, precision_recall_f1, recall

# Three classes, ten samples. Counted by hand:
#            pred 0  pred 1  pred 2
#   true 0     2       1       0
#   true 1     0       3       1
#   true 2     1       0       2
Y_TRUE = [0, 0, 0, 1, 1, 1, 1, 2, 2, 2]
Y_PRED = [0, 0, 1, 1, 1, 1, 2, 0, 2, 2]
CM = [[2, 1, 0], [0, 3, 1], [1, 0, 2]]
# per class: TP, FP, FN -> precision, recall, F1
#   0: 2, 1, 1 -> 2/3, 2/3, 2/3
#   1: 3, 1, 1 -> 3/4, 3/4, 3/4
#   2: 2, 1, 1 -> 2/3, 2/3, 2/3
PER_CLASS = [2 / 3, 3 / 4, 2 / 3]


def test_accuracy_and_confusion_matrix_by_hand(device):
    t, p = tn.tensor(Y_TRUE, device=device), tn.tensor(Y_PRED, device=device)
    assert accuracy(t, p) == pytest.approx(7 / 10)
    cm = confusion_matrix(t, p)
    assert cm.tolist() == CM and cm.dtype == np.int64
    assert accuracy(np.array(Y_TRUE), np.array(Y_PRED)) == accuracy(Y_TRUE, Y_PRED)


def test_confusion_matrix_agrees_with_a_plain_loop():
    rng = np.random.default_rng(0)
    t, p = rng.integers(0, 5, 300), rng.integers(0, 5, 300)
    loop = np.zeros((5, 5), dtype=int)
    for a, b in zip(t, p):
        loop[a, b] += 1
    assert (confusion_matrix(t, p) == loop).all()
    assert (confusion_matrix(t, p, num_classes=7)[:5, :5] == loop).all()
    expected = [[loop[3, 3], loop[3, 1]], [loop[1, 3], loop[1, 1]]]
    assert confusion_matrix(t, p, labels=[3, 1]).tolist() == expected


def test_per_class_and_macro_scores_by_hand():
    p, r, f = precision_recall_f1(Y_TRUE, Y_PRED, average=None)
    assert np.allclose(p, PER_CLASS) and np.allclose(r, PER_CLASS) and np.allclose(f, PER_CLASS)
    macro = sum(PER_CLASS) / 3
    assert precision(Y_TRUE, Y_PRED, average="macro") == pytest.approx(macro)
    assert recall(Y_TRUE, Y_PRED, average="macro") == pytest.approx(macro)
    assert f1_score(Y_TRUE, Y_PRED, average="macro") == pytest.approx(macro)


def test_binary_scores_by_hand():
    # TP = 2 (idx 0, 2), FP = 1 (idx 1), FN = 2 (idx 3, 5), TN = 1 (idx 4)
    t = [1, 0, 1, 1, 0, 1]
    p = [1, 1, 1, 0, 0, 0]
    assert precision(t, p) == pytest.approx(2 / 3)
    assert recall(t, p) == pytest.approx(2 / 4)
    assert f1_score(t, p) == pytest.approx(2 * (2 / 3) * (1 / 2) / (2 / 3 + 1 / 2))  # = 4/7
    assert precision(t, p, pos_label=0) == pytest.approx(1 / 3)  # TP=1 (idx 4), FP=2 (idx 3, 5)


def test_zero_division_gives_zero_like_sklearn():
    # class 2 is never predicted and never true in the first example: P, R, F1 all 0/0
    p, r, f = precision_recall_f1([0, 1, 1], [0, 1, 0], average=None, num_classes=3)
    assert p.tolist() == [0.5, 1.0, 0.0] and r.tolist() == [1.0, 0.5, 0.0]
    assert f[2] == 0.0
    # never predicted positive: precision 0/0 -> 0; recall 0/2 = 0; F1 -> 0
    assert precision([1, 1, 0], [0, 0, 0]) == 0.0 and f1_score([1, 1, 0], [0, 0, 0]) == 0.0
    assert precision([1, 1, 0], [0, 0, 0], zero_division=1.0) == 1.0
    with np.errstate(all="raise"):  # silently, no RuntimeWarning
        recall([0, 0], [0, 0], pos_label=1)


def test_scores_rows_become_argmax_predictions():
    scores = tn.tensor([[0.1, 2.0], [3.0, -1.0], [0.0, 0.5]])
    assert accuracy(tn.tensor([1, 0, 0]), scores) == pytest.approx(2 / 3)


def test_bad_inputs_are_clear():
    with pytest.raises(ValueError, match="3 labels but y_pred has 2"):
        accuracy([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="average='macro'"):
        precision([0, 1, 2], [0, 1, 2])
    with pytest.raises(ValueError, match="average must be"):
        recall([0, 1], [0, 1], average="micro-ish")
    with pytest.raises(ValueError, match="non-integer"):
        accuracy([0, 1], [0.2, 0.9])
