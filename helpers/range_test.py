"""The learning-rate range test (Smith 2017; fastai's ``lr_find``) for Keras.

Train for a few dozen minibatches while the learning rate grows exponentially from tiny to
huge, and record the (smoothed) loss at each rate. The loss first barely moves, then falls,
then turns and explodes; the test stops once the smoothed loss exceeds four times the best
seen (fastai's rule). A rate somewhat below the bottom of the curve is a good choice
(fastai's "minimum" suggestion: the rate of the lowest loss divided by ten).

The explosion the test provokes on purpose is the one of lessons 1-4: it sets in where the
rate crosses ``2 / sharpness``. Lesson 5 draws both on one figure.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402
import keras  # noqa: E402

from helpers.validation import check_lr, check_positive  # noqa: E402

__all__ = ["RangeTest", "RangeTestResult", "lr_range_test", "smoothed"]


def smoothed(losses, beta=0.98):
    """Exponential moving average with bias correction, as fastai smooths the range test.

    Examples
    --------
    >>> np.round(smoothed([1.0, 1.0, 1.0]), 12).tolist()
    [1.0, 1.0, 1.0]
    >>> np.round(smoothed([1.0, 3.0], beta=0.5), 4).tolist()
    [1.0, 2.3333]
    """
    if not 0 <= beta < 1:
        raise ValueError(f"beta must be in [0, 1), got {beta!r}")
    out, avg = [], 0.0
    with np.errstate(all="ignore"):
        for k, loss in enumerate(np.asarray(losses, dtype=np.float64), start=1):
            avg = beta * avg + (1 - beta) * loss
            out.append(avg / (1 - beta ** k))
    return np.array(out)


class RangeTest(keras.callbacks.Callback):
    """Keras callback: set the rate ``start_lr * (end_lr / start_lr) ** (k / (num_steps - 1))``
    before batch ``k``, record the batch loss, stop when the smoothed loss passes
    ``stop_factor`` times its best (or is not finite) or after ``num_steps`` batches.
    """

    def __init__(self, start_lr=1e-7, end_lr=1.0, num_steps=100, beta=0.98, stop_factor=4.0):
        super().__init__()
        self.start_lr, self.end_lr = check_lr(start_lr, "start_lr"), check_lr(end_lr, "end_lr")
        if end_lr <= start_lr:
            raise ValueError(f"end_lr must be larger than start_lr, got {end_lr!r} <= {start_lr!r}")
        if isinstance(num_steps, bool) or not isinstance(num_steps, (int, np.integer)) or num_steps < 2:
            raise ValueError(f"num_steps must be an integer >= 2, got {num_steps!r}")
        self.num_steps = int(num_steps)
        self.beta = float(beta)
        self.stop_factor = check_positive(stop_factor, "stop_factor")
        self.lrs, self.losses = [], []

    def _lr(self, k):
        return self.start_lr * (self.end_lr / self.start_lr) ** (k / (self.num_steps - 1))

    def on_train_begin(self, logs=None):
        self.lrs, self.losses, self._prev_mean, self._best = [], [], None, math.inf

    def on_epoch_begin(self, epoch, logs=None):
        self._prev_mean = None

    def on_train_batch_begin(self, batch, logs=None):
        lr = self._lr(len(self.lrs))
        self.model.optimizer.learning_rate.assign(lr)
        self.lrs.append(lr)

    def on_train_batch_end(self, batch, logs=None):
        mean = float((logs or {}).get("loss", float("nan")))
        # Keras logs the running mean of the epoch's batch losses; undo the averaging.
        with np.errstate(all="ignore"):
            loss = mean if self._prev_mean is None or not math.isfinite(mean) else float(
                (batch + 1) * np.float64(mean) - batch * np.float64(self._prev_mean))
        self._prev_mean = mean
        self.losses.append(loss)
        smooth = smoothed(self.losses, self.beta)[-1]
        self._best = min(self._best, smooth)
        if (not math.isfinite(smooth) or smooth > self.stop_factor * self._best
                or len(self.losses) >= self.num_steps):
            self.model.stop_training = True


@dataclass
class RangeTestResult:
    """What :func:`lr_range_test` measured.

    Attributes
    ----------
    lrs, losses, smoothed : per batch: the rate, the batch loss, the smoothed loss.
    lr_at_minimum : the rate where the smoothed loss was lowest.
    suggestion : ``lr_at_minimum / 10`` (fastai's "minimum" rule).
    stopped_lr : the rate at which the test stopped (the loss had exploded).
    """

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    lr_at_minimum: float
    suggestion: float
    stopped_lr: float


def lr_range_test(model, x, y, start_lr=1e-7, end_lr=1.0, num_steps=100, batch_size=32,
                  beta=0.98, stop_factor=4.0, seed=0, verbose=0):
    """Run the range test on ``model`` (plain SGD, mean squared error); weights restored after.

    Parameters
    ----------
    model : keras.Model
    x, y : training data
    start_lr, end_lr : float
        The exponential sweep's ends.
    num_steps : int
        Batches over the whole sweep (the test usually stops earlier).
    batch_size, seed : int
        Minibatch size; ``seed`` seeds Keras's shuffling.
    beta, stop_factor : float
        Smoothing of the loss and the stopping rule (fastai: 0.98 and 4).
    verbose : int
        Keras's progress bar (0: none).

    Returns
    -------
    RangeTestResult

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(256, 2)).astype("float32"); y = x @ np.ones((2, 1), "float32")
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> result = lr_range_test(model, x, y, start_lr=1e-4, end_lr=100.0, num_steps=60)
    >>> bool(result.lr_at_minimum < result.stopped_lr < 100.0)   # stopped once the loss exploded
    True
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y, dtype=np.float32).reshape(len(x), -1)
    callback = RangeTest(start_lr, end_lr, num_steps, beta, stop_factor)
    initial = model.get_weights()
    keras.utils.set_random_seed(seed)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=start_lr), loss="mse")
    epochs = math.ceil(num_steps / math.ceil(len(x) / batch_size))
    try:
        model.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=True, verbose=verbose,
                  callbacks=[callback])
    finally:
        model.set_weights(initial)
    lrs, losses = np.array(callback.lrs), np.array(callback.losses)
    smooth = smoothed(losses, beta)
    finite = np.isfinite(smooth)
    best = int(np.argmin(np.where(finite, smooth, np.inf)))
    return RangeTestResult(lrs=lrs, losses=losses, smoothed=smooth, lr_at_minimum=float(lrs[best]),
                           suggestion=float(lrs[best] / 10), stopped_lr=float(lrs[-1]))
