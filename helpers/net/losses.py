"""Any Keras loss -- a name, a loss object or a callable -- as one ``keras.losses.Loss``.

Keras accepts a loss in three forms; every function of :mod:`helpers.net` takes the same
three and turns them into a ``keras.losses.Loss`` here, once:

* a name Keras knows (``"mse"``, ``"sparse_categorical_crossentropy"``, ...);
* a ``keras.losses.Loss`` object, used as it is, with its own ``reduction``
  (``keras.losses.MeanSquaredError(reduction="sum")`` is the summed squared error);
* a callable ``fn(y_true, y_pred)`` returning per-sample losses (as Keras's loss functions do),
  averaged over the batch.

``None`` means the mean squared error, the loss of lessons 1-6.

:func:`batch_weight` says how the loss of one batch adds up to the loss of all the data: a
mean over ``n`` rows is the sum over batches of ``(rows in batch / n)`` times the batch's mean;
a sum is the plain sum of the batches' sums.

Examples
--------
>>> import numpy as np
>>> mse = as_loss(None)
>>> float(mse(np.array([[1.0], [3.0]]), np.zeros((2, 1))))      # (1 + 9) / 2
5.0
>>> summed = as_loss(keras.losses.MeanSquaredError(reduction="sum"))
>>> float(summed(np.array([[1.0], [3.0]]), np.zeros((2, 1))))
10.0
"""

from __future__ import annotations

import re

import helpers.net.env  # noqa: F401  (TensorFlow's environment first)

import keras  # noqa: E402

__all__ = ["as_loss", "batch_weight", "MEAN_REDUCTIONS"]

MEAN_REDUCTIONS = ("sum_over_batch_size", "mean", "mean_with_sample_weight")
"""Keras reductions that average over the rows of a batch."""


class _FunctionLoss(keras.losses.Loss):
    """A per-sample loss function as a ``keras.losses.Loss`` (mean over the batch)."""

    def __init__(self, fn, name, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.fn = fn

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred)


def as_loss(loss=None, dtype=None):
    """The ``keras.losses.Loss`` for ``loss``: None (mean squared error), a name, a Loss or a callable.

    ``dtype`` (e.g. the model's weights' dtype, ``"float64"``) is the dtype a loss made here
    computes in; None: Keras's default (float32). A ``keras.losses.Loss`` given keeps its own.

    Raises
    ------
    ValueError
        For a name Keras does not know, or a loss object that does not reduce to a scalar
        (``reduction=None``).
    TypeError
        For anything else.

    Examples
    --------
    >>> as_loss("sparse_categorical_crossentropy").name
    'sparse_categorical_crossentropy'
    >>> square = as_loss(lambda t, p: (p - t) ** 2)
    >>> square.reduction, square.name
    ('sum_over_batch_size', 'lambda')
    >>> as_loss(None, dtype="float64").dtype
    'float64'
    >>> as_loss("no such loss")
    Traceback (most recent call last):
    ...
    ValueError: loss must be a Keras loss name, a keras.losses.Loss or a callable, got 'no such loss'
    >>> as_loss(3)
    Traceback (most recent call last):
    ...
    TypeError: loss must be a Keras loss name, a keras.losses.Loss or a callable, got 3
    """
    message = f"loss must be a Keras loss name, a keras.losses.Loss or a callable, got {loss!r}"
    if loss is None:
        return keras.losses.MeanSquaredError(dtype=dtype)
    if isinstance(loss, str):
        try:
            found = keras.losses.get(loss)
        except ValueError as exc:
            raise ValueError(message) from exc
        if found is None:
            raise ValueError(message)
        loss = found if isinstance(found, keras.losses.Loss) else _FunctionLoss(found, name=loss, dtype=dtype)
    elif not isinstance(loss, keras.losses.Loss):
        if not callable(loss):
            raise TypeError(message)
        name = re.sub(r"[^A-Za-z0-9_.]", "_", getattr(loss, "__name__", "")).strip("_")
        loss = _FunctionLoss(loss, name=name or "loss", dtype=dtype)  # a TensorFlow name scope: no '<lambda>'
    batch_weight(loss, 1, 1)  # refuses a loss that does not reduce to a scalar
    return loss


def batch_weight(loss, rows, total_rows):
    """The factor by which a batch's loss enters the loss of all the data.

    ``rows / total_rows`` for a loss that averages over rows (Keras's default reduction),
    1 for a summed loss.

    Examples
    --------
    >>> batch_weight(as_loss("mse"), 32, 128)
    0.25
    >>> batch_weight(keras.losses.MeanSquaredError(reduction="sum"), 32, 128)
    1.0
    """
    reduction = loss.reduction
    if reduction in MEAN_REDUCTIONS:
        return rows / total_rows
    if reduction == "sum":
        return 1.0
    raise ValueError(f"loss must reduce to a scalar (reduction 'sum' or one of {MEAN_REDUCTIONS}), "
                     f"got reduction {reduction!r}")
