"""Feature scaling learnt on the training data: ``StandardScaler`` and ``MinMaxScaler``
(scikit-learn's names and attributes: ``mean_``, ``scale_``, ``data_min_``, ...).

Fit on the training set only, then transform every split with the same statistics, so no
information leaks from the validation or test set. Tensors in give Tensors out.

>>> StandardScaler().fit_transform(np.array([[1.0], [3.0]])).ravel().tolist()
[-1.0, 1.0]
"""
from __future__ import annotations

from tinynn import backend
from tinynn.data._common import like

np = backend.numpy


class _Scaler:
    """Shared fit/transform plumbing: statistics per feature (column), learnt on training data."""

    def __init__(self):
        self.n_features_ = None

    def fit(self, x):
        x = self._check(x, "fit")
        if x.shape[0] == 0:
            raise ValueError(f"{type(self).__name__}.fit: got no rows")
        self._fit(x.astype(np.float64))
        self.n_features_ = x.shape[1:]
        return self

    def transform(self, x):
        self._require_fit("transform")
        h = self._check(x, "transform")
        out = self._transform(h.astype(np.float64)).astype(self._dtype(h))
        return like(x, out)

    def inverse_transform(self, x):
        self._require_fit("inverse_transform")
        h = self._check(x, "inverse_transform")
        out = self._inverse(h.astype(np.float64)).astype(self._dtype(h))
        return like(x, out)

    def fit_transform(self, x):
        """``fit(x)`` then ``transform(x)``: use it on the training set only."""
        return self.fit(x).transform(x)

    def _require_fit(self, what):
        if self.n_features_ is None:
            name = type(self).__name__
            raise RuntimeError(f"{name}.{what} called before fit: call scaler.fit(x_train) first (fit on the "
                               "training data only, then transform the validation and test data)")

    def _check(self, x, what):
        h = backend.to_host(x)
        if h.ndim < 2:
            raise ValueError(f"{type(self).__name__}.{what}: expected (samples, features), got shape "
                             f"{h.shape}; reshape a single feature with x.reshape(-1, 1)")
        if self.n_features_ is not None and what != "fit" and h.shape[1:] != self.n_features_:
            raise ValueError(f"{type(self).__name__}.{what}: fitted on features of shape {self.n_features_}, "
                             f"got {h.shape[1:]}")
        return h

    @staticmethod
    def _dtype(h):
        return h.dtype if h.dtype.kind == "f" else backend.default_dtype()



class StandardScaler(_Scaler):
    """Standardise features: ``(x - mean) / std``, with mean and std learnt by ``fit``.

    Fit on the training set only, then transform every split with the same statistics (so no
    information leaks from the test set). Constant features get std 1 (they become 0).

    >>> s = StandardScaler().fit(np.array([[1.0, 5.0], [3.0, 5.0]]))
    >>> s.mean_.tolist(), s.scale_.tolist(), s.transform(np.array([[3.0, 6.0]])).tolist()
    ([2.0, 5.0], [1.0, 1.0], [[1.0, 1.0]])
    """

    def _fit(self, x):
        self.mean_ = x.mean(axis=0)
        std = x.std(axis=0)
        self.scale_ = np.where(std > 0, std, 1.0)

    def _transform(self, x):
        return (x - self.mean_) / self.scale_

    def _inverse(self, x):
        return x * self.scale_ + self.mean_


class MinMaxScaler(_Scaler):
    """Rescale every feature to ``feature_range`` (default [0, 1]) using the min and max seen by ``fit``.

    Test data outside the training range lands outside ``feature_range`` (it is not clipped).

    >>> MinMaxScaler().fit_transform(np.array([[0.0], [5.0], [10.0]])).ravel().tolist()
    [0.0, 0.5, 1.0]
    """

    def __init__(self, feature_range=(0.0, 1.0)):
        super().__init__()
        low, high = feature_range
        if not low < high:
            raise ValueError("MinMaxScaler: feature_range must be (low, high) with low < high, "
                             f"got {feature_range}")
        self.feature_range = (float(low), float(high))

    def _fit(self, x):
        self.data_min_, self.data_max_ = x.min(axis=0), x.max(axis=0)
        span = self.data_max_ - self.data_min_
        low, high = self.feature_range
        self.scale_ = (high - low) / np.where(span > 0, span, 1.0)  # a constant feature maps to `low`

    def _transform(self, x):
        return (x - self.data_min_) * self.scale_ + self.feature_range[0]

    def _inverse(self, x):
        return (x - self.feature_range[0]) / self.scale_ + self.data_min_
