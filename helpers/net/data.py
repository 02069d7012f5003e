"""Data as batches: arrays (whole or cut into batches) or a finite ``tf.data.Dataset``.

Functions that evaluate a loss over *all* the data (the Hessian, the full-data loss) take
``x, y`` arrays, optionally with a ``batch_size``, or a finite ``tf.data.Dataset`` of
``(x, y)`` batches. :class:`Batches` iterates over the batches as tensors, as often as asked,
and knows how many rows there are in total, so a batch's loss can be weighted by its share
(:func:`helpers.net.losses.batch_weight`).

Examples
--------
>>> import numpy as np
>>> data = Batches(np.zeros((5, 2)), np.zeros(5), batch_size=2)
>>> data.rows, [int(xb.shape[0]) for xb, yb in data]
(5, [2, 2, 1])
"""

from __future__ import annotations

import helpers.net.env  # noqa: F401  (TensorFlow's environment first)

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from helpers.validation import check_int  # noqa: E402

__all__ = ["Batches"]


class Batches:
    """The batches of ``(x, y)`` arrays or of a finite ``tf.data.Dataset``, iterable many times.

    Parameters
    ----------
    x : array_like or tf.data.Dataset
        Inputs, one row per sample (any shape after the first axis), or a finite dataset
        yielding ``(x, y)`` batches (its own batching is used).
    y : array_like, optional
        Targets, one row per row of ``x`` (floats, or integer class labels); must be None
        for a dataset.
    batch_size : int, optional
        Rows per batch for arrays (the last batch may be smaller). None: all rows at once.
        Must be None for a dataset.
    dtype : tf.DType
        Of the inputs (the model's weights' dtype); float targets are cast to it too.
    finite : bool
        Refuse arrays with inf or nan entries (default True).

    Attributes
    ----------
    rows : int
        Rows in all the batches together.

    Examples
    --------
    >>> ds = tf.data.Dataset.from_tensor_slices((np.ones((6, 1)), np.ones(6))).batch(4)
    >>> Batches(ds).rows
    6
    >>> Batches(np.ones((3, 1)), np.ones(4))
    Traceback (most recent call last):
    ...
    ValueError: y must have one row per row of x, got 4 rows for 3
    """

    def __init__(self, x, y=None, *, batch_size=None, dtype=tf.float32, finite=True):
        self.dtype = tf.as_dtype(dtype)
        if isinstance(x, tf.data.Dataset):
            if y is not None or batch_size is not None:
                raise ValueError("with a tf.data.Dataset, y and batch_size must be None: "
                                 "the dataset yields (x, y) batches")
            if x.cardinality() == tf.data.INFINITE_CARDINALITY:
                raise ValueError("the dataset must be finite (it repeats forever)")
            self._dataset = x
            self._arrays = None
            self.rows = sum(int(tf.shape(xb)[0]) for xb, _ in self._batches_of_dataset())
            if self.rows == 0:
                raise ValueError("the dataset is empty")
            return
        if y is None:
            raise ValueError("y is required with array inputs")
        x = np.asarray(x, dtype=self.dtype.as_numpy_dtype)
        y = np.asarray(y)
        if x.ndim < 2 or x.shape[0] == 0:
            raise ValueError(f"x must be a non-empty array of shape (samples, features...), got shape {x.shape}")
        if y.ndim == 0 or y.shape[0] != x.shape[0]:
            raise ValueError(f"y must have one row per row of x, got {y.shape[0] if y.ndim else 0} "
                             f"rows for {x.shape[0]}")
        if not np.issubdtype(y.dtype, np.integer):
            y = y.astype(self.dtype.as_numpy_dtype)
        if finite and not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
            raise ValueError("x and y must be finite")
        self.rows = int(x.shape[0])
        self.batch_size = self.rows if batch_size is None else check_int(batch_size, "batch_size", 1)
        self._dataset = None
        self._arrays = (tf.constant(x), tf.constant(y))

    def _batches_of_dataset(self):
        for element in self._dataset:
            if not isinstance(element, (tuple, list)) or len(element) < 2:
                raise ValueError("the dataset must yield (x, y) batches")
            xb, yb = element[0], element[1]
            if xb.dtype.is_floating:
                xb = tf.cast(xb, self.dtype)
            if yb.dtype.is_floating:
                yb = tf.cast(yb, self.dtype)
            yield xb, yb

    def __iter__(self):
        if self._dataset is not None:
            yield from self._batches_of_dataset()
            return
        x, y = self._arrays
        for start in range(0, self.rows, self.batch_size):
            yield x[start:start + self.batch_size], y[start:start + self.batch_size]
