"""The generated datasets of tinynn.synthetic: shapes, seeding, and the sentiment task's promise
(the label follows the negation rule, and a bag of words cannot predict it)."""
import numpy as np
import pytest

import tinynn as tn
from tinynn import nn, optim
from tinynn.synthetic import (
    NEGATIVE,
    NEGATORS,
    POSITIVE,
    bag_of_words,
    decode,
    make_colour_digits,
    make_sentiment,
    make_shapes,
    sentiment_vocabulary,
)


def test_shapes_are_balanced_seeded_and_in_range():
    x, y = make_shapes(30, n_classes=3, size=24, seed=5)
    assert x.shape == (30, 3, 24, 24) and x.dtype == np.float32 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [10, 10, 10]
    assert 0.0 <= x.min() and x.max() <= 1.0
    again, _ = make_shapes(30, n_classes=3, size=24, seed=5)
    np.testing.assert_array_equal(x, again)
    tn.manual_seed(1)
    a, _ = make_shapes(4)
    tn.manual_seed(1)
    b, _ = make_shapes(4)
    np.testing.assert_array_equal(a, b)  # seed=None draws from tn.manual_seed's generator


def test_shapes_have_equal_area_so_ink_does_not_give_the_class_away():
    x, y = make_shapes(300, size=32, noise=0.0, seed=0)
    ink = (np.abs(x - x[:, :, :1, :1]) > 1e-6).any(axis=1).mean(axis=(1, 2))  # differs from a corner pixel
    means = [ink[y == k].mean() for k in range(3)]
    assert max(means) / min(means) < 1.2


def test_shapes_bad_arguments():
    with pytest.raises(ValueError, match="make_shapes: n_classes must be 1..3"):
        make_shapes(10, n_classes=4)


def test_colour_digits():
    x, y = make_colour_digits(16, seed=0)
    assert x.shape == (1797, 3, 16, 16) and sorted(set(y.tolist())) == list(range(10))
    with pytest.raises(ValueError, match="multiple of 8"):
        make_colour_digits(20)


def _reference_label(tokens, vocab):
    """The rule, written independently: read left to right; a negator flips the next word's
    polarity if that word is a sentiment word; the label is the sign of the sum."""
    words = [vocab[t] for t in tokens if t != 0]
    total = 0
    for i, w in enumerate(words):
        sign = 1 if w in POSITIVE else -1 if w in NEGATIVE else 0
        if sign and i > 0 and words[i - 1] in NEGATORS:
            sign = -sign
        total += sign
    assert total != 0
    return int(total > 0)


def test_sentiment_labels_follow_the_negation_rule():
    vocab = sentiment_vocabulary(60)
    tokens, labels = make_sentiment(400, seq_len=14, vocab_size=60, seed=0)
    assert tokens.shape == (400, 14) and tokens.dtype == np.int64
    assert [_reference_label(t, vocab) for t in tokens] == labels.tolist()
    assert 0.4 < labels.mean() < 0.6
    sentiment_words = np.isin(tokens, [vocab.index(w) for w in POSITIVE + NEGATIVE]).sum(axis=1)
    negators = np.isin(tokens, [vocab.index(w) for w in NEGATORS]).sum(axis=1)
    np.testing.assert_array_equal(sentiment_words, negators)  # the counts never reveal the negations
    assert decode(tokens[0], 60).split()[0] in vocab


def test_bag_of_words_cannot_learn_the_sentiment_task():
    tn.manual_seed(0)
    tokens, labels = make_sentiment(3000, seq_len=12, vocab_size=60, max_sentiment=1, seed=1)
    counts = bag_of_words(tokens, 60)
    assert counts.shape == (3000, 60) and counts[:, 0].sum() == 0
    x_train, x_val = tn.tensor(counts[:2000]), tn.tensor(counts[2000:])
    y_train = tn.tensor(labels[:2000, None].astype("float32"))
    model = nn.Linear(60, 1)
    opt = optim.Adam(model.parameters(), lr=0.05)
    for _ in range(150):  # full-batch logistic regression, to convergence on the training set
        loss = nn.BCEWithLogitsLoss()(model(x_train), y_train)
        opt.zero_grad()
        loss.backward()
        opt.step()
    val_acc = ((model(x_val).numpy()[:, 0] > 0) == labels[2000:]).mean()
    assert 0.4 < val_acc < 0.6  # chance: the words alone carry no information about the label


def test_old_import_paths_still_work():
    import tinynn.data
    import tinynn.data.generated as generated
    import tinynn.synthetic as synthetic

    for name in generated.__all__:
        assert getattr(synthetic, name) is getattr(generated, name)
    # everything tinynn/data.py offered before it became a package
    old_data_names = ["Dataset", "TensorDataset", "DataLoader", "train_test_split", "StandardScaler", "MinMaxScaler",
                      "make_xor", "make_moons", "make_spirals", "make_regression", "load_digits", "load_mnist",
                      "read_idx", "MNIST_FILES"]
    assert all(hasattr(tinynn.data, name) for name in old_data_names)
    assert set(tinynn.data.__all__) <= set(dir(tinynn.data)) and not [n for n in tinynn.data.__all__ if n[0] == "_"]
