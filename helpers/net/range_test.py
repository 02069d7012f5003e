"""The learning-rate range test (Smith 2017; fastai's ``lr_find``) on the course's training loop.

Train for a few dozen minibatches while the learning rate grows exponentially from tiny to
huge, and record the loss at each rate. The loss first barely moves, then falls, then turns
and explodes; the test stops once the smoothed loss exceeds four times the best seen
(fastai's rule). :func:`suggestions` reads a rate off the curve with fastai's rules: "valley"
(fastai's default), "minimum" (the rate of the lowest smoothed loss divided by ten) and
"steep" (where the smoothed loss falls fastest).

The explosion the test provokes on purpose is the one of lessons 1-4, and the sharpness moves
during the sweep: with ``sharpness_every`` the test also measures the sharpness as it goes,
so lesson 5 can compare where the raw loss turns up (:func:`turn_up_step`) with ``2 / sharpness``
at that very step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import helpers.net.env  # noqa: F401  (TensorFlow's environment first)

import numpy as np  # noqa: E402
import keras  # noqa: E402

from helpers.eigen import top_eigenpair  # noqa: E402
from helpers.net.hessian import HessianOperator  # noqa: E402
from helpers.net.training import train  # noqa: E402
from helpers.validation import check_int, check_lr, check_positive  # noqa: E402

__all__ = ["RangeTest", "RangeTestResult", "lr_range_test", "smoothed", "suggestion_steps", "suggestions", "turn_up_step"]


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
    """Callback for :func:`helpers.net.training.train`: the exponential sweep and fastai's stop rule.

    Before batch ``k`` it sets ``optimizer``'s rate to ``start_lr * (end_lr / start_lr) ** (k / (num_steps - 1))``;
    after it, it reads that batch's own loss (``logs["loss"]``, as ``train`` computed it) and stops
    training once the smoothed loss passes ``stop_factor`` times its best (or is not finite) or
    after ``num_steps`` batches. It needs ``train``'s logs: ``model.fit`` logs a running mean.

    With ``sharpness_data=(x, y)`` and ``sharpness_every=k`` it also measures the sharpness of
    the mean squared error on ``x, y`` before every ``k``-th batch (``sharpness_steps``,
    ``sharpness``).

    Examples
    --------
    >>> test = RangeTest(keras.optimizers.SGD(), start_lr=1e-6, end_lr=1e-2, num_steps=5)
    >>> [f"{test.rate(k):.0e}" for k in range(5)]
    ['1e-06', '1e-05', '1e-04', '1e-03', '1e-02']
    """

    def __init__(self, optimizer, start_lr=1e-7, end_lr=1.0, num_steps=100, beta=0.98, stop_factor=4.0,
                 sharpness_data=None, sharpness_every=None):
        super().__init__()
        if not isinstance(optimizer, keras.optimizers.Optimizer):
            raise TypeError(f"optimizer must be a keras optimizer, got {type(optimizer).__name__}")
        if (sharpness_data is None) != (sharpness_every is None):
            raise ValueError("sharpness_data and sharpness_every go together")
        self.optimizer = optimizer
        self.sharpness_data = sharpness_data
        self.sharpness_every = None if sharpness_every is None else check_int(sharpness_every, "sharpness_every", 1)
        self.start_lr, self.end_lr = check_lr(start_lr, "start_lr"), check_lr(end_lr, "end_lr")
        if end_lr <= start_lr:
            raise ValueError(f"end_lr must be larger than start_lr, got {end_lr!r} <= {start_lr!r}")
        self.num_steps = check_int(num_steps, "num_steps", 2)
        if not 0 <= beta < 1:
            raise ValueError(f"beta must be in [0, 1), got {beta!r}")
        self.beta = float(beta)
        self.stop_factor = check_positive(stop_factor, "stop_factor")
        self.losses, self.sharpness_steps, self.sharpness = [], [], []

    def rate(self, k):
        """The rate of batch ``k`` of the sweep."""
        return self.start_lr * (self.end_lr / self.start_lr) ** (k / (self.num_steps - 1))

    def on_train_begin(self, logs=None):
        self.losses, self.sharpness_steps, self.sharpness = [], [], []
        self._best, self._vector = math.inf, None
        self._operator = None if self.sharpness_data is None else HessianOperator(self.model, *self.sharpness_data)

    def on_train_batch_begin(self, batch, logs=None):
        k = len(self.losses)
        if self._operator is not None and k % self.sharpness_every == 0:
            op = self._operator
            lam, self._vector, _ = top_eigenpair(op.matvec, op.shape[0], tol=1e-3, v0=self._vector)
            self.sharpness_steps.append(k)
            self.sharpness.append(lam)
        self.optimizer.learning_rate.assign(self.rate(k))

    def on_train_batch_end(self, batch, logs=None):
        self.losses.append(float((logs or {}).get("loss", float("nan"))))
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
    lrs, losses, smoothed : per batch: the rate, the batch loss (as the training loop computed
        it), the smoothed loss.
    lr_at_minimum : the rate where the smoothed loss was lowest.
    suggestion : ``lr_at_minimum / 10`` (fastai's "minimum" rule).
    stopped_lr : the rate at which the test stopped (the loss had exploded).
    sharpness_steps, sharpness : the batches before which the sharpness was measured, and its
        values (empty unless ``sharpness_every`` was given).
    """

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    lr_at_minimum: float
    suggestion: float
    stopped_lr: float
    sharpness_steps: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    sharpness: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def sharpness_at(self, step):
        """The sharpness measured last at or before batch ``step`` (nan if none was)."""
        before = np.flatnonzero(self.sharpness_steps <= step)
        return float(self.sharpness[before[-1]]) if before.size else float("nan")


def lr_range_test(model, x, y, start_lr=1e-7, end_lr=1.0, num_steps=100, batch_size=32,
                  beta=0.98, stop_factor=4.0, seed=0, progress=False, sharpness_every=None):
    """Run the range test on ``model`` (plain SGD, mean squared error); weights restored after.

    The sweep runs on the course's one training loop, :func:`helpers.net.training.train`: the
    minibatches of ``seed`` (:func:`helpers.net.training.minibatch_order`, the same as every
    other run of that seed), each batch's loss recorded as it was computed.

    Parameters
    ----------
    model : keras.Model
    x, y : training data
    start_lr, end_lr : float
        The exponential sweep's ends.
    num_steps : int
        Batches over the whole sweep (the test usually stops earlier).
    batch_size, seed : int
        Minibatch size, and the seed of the minibatch order.
    beta, stop_factor : float
        Smoothing of the loss and the stopping rule (fastai: 0.98 and 4).
    progress : bool or str
        A ``tqdm.auto`` progress bar over the batches (as in ``train``).
    sharpness_every : int, optional
        Also measure the sharpness of the mean squared error on all of ``x, y`` before every
        ``sharpness_every``-th batch.

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
    batch_size = check_int(batch_size, "batch_size", 1)
    optimizer = keras.optimizers.SGD(learning_rate=start_lr)
    callback = RangeTest(optimizer, start_lr, end_lr, num_steps, beta, stop_factor,
                         sharpness_data=None if sharpness_every is None else (x, y),
                         sharpness_every=sharpness_every)
    initial = model.get_weights()
    epochs = math.ceil(callback.num_steps / max(len(x) // batch_size, 1))
    try:
        run = train(model, x, y, optimizer, epochs=epochs, batch_size=batch_size, seed=seed,
                    callbacks=[callback], progress=progress)
    finally:
        model.set_weights(initial)
    lrs, losses = run.lrs, run.losses
    smooth = smoothed(losses, beta)
    best = int(np.argmin(np.where(np.isfinite(smooth), smooth, np.inf)))
    return RangeTestResult(lrs=lrs, losses=losses, smoothed=smooth, lr_at_minimum=float(lrs[best]),
                           suggestion=float(lrs[best] / 10), stopped_lr=float(lrs[-1]),
                           sharpness_steps=np.array(callback.sharpness_steps, dtype=int),
                           sharpness=np.array(callback.sharpness, dtype=float))


def turn_up_step(losses):
    """The batch where the raw loss is lowest before it explodes: after it, the loss only grows past it.

    The index of the smallest finite loss. Every later loss is higher, so this is the last
    batch at which the sweep still made progress.

    Examples
    --------
    >>> turn_up_step([10.0, 8.0, 9.0, 3.0, 5.0, 40.0, float("inf")])
    3
    """
    losses = np.asarray(losses, dtype=np.float64)
    finite = np.isfinite(losses)
    if not finite.any():
        raise ValueError("losses has no finite value")
    return int(np.argmin(np.where(finite, losses, np.inf)))


def _longest_falling_run(losses):
    """Start and end of the longest strictly decreasing subsequence (fastai's "valley")."""
    n = len(losses)
    length = np.ones(n, dtype=int)
    start = end = 0
    for i in range(1, n):
        for j in range(i):
            if losses[i] < losses[j] and length[i] < length[j] + 1:
                length[i] = length[j] + 1
            if length[end] < length[i]:
                end = i
                start = end - length[end]
    return start, end


def suggestion_steps(result, num_steps=100):
    """The steps of a range test that fastai's suggestions are read at, and the steps it keeps.

    As fastai's ``lr_find`` does, the smoothed loss is read without the first ``num_steps // 10``
    and the last 5 batches (and nothing from the first non-finite value on). Returns a dict with
    the step (an index into ``result.lrs``) of each rule of :func:`suggestions` (for "minimum",
    the step of the lowest kept smoothed loss, before the division by ten) and ``"last_kept"``,
    the last step read. When ``minimum == last_kept`` the smoothed loss was still falling where
    the kept steps end: the "minimum" is that cut-off, not a minimum of the curve.

    Examples
    --------
    >>> lrs = np.geomspace(1e-5, 1e-1, 40)
    >>> loss = np.r_[np.linspace(10, 1, 30), np.geomspace(1, 100, 10)]
    >>> suggestion_steps(RangeTestResult(lrs, loss, loss, 0.0, 0.0, 0.0), num_steps=40)
    {'valley': 15, 'minimum': 29, 'steep': 5, 'last_kept': 34}
    >>> suggestion_steps(RangeTestResult(lrs[:30], loss[:30], loss[:30], 0.0, 0.0, 0.0), num_steps=40)["minimum"]
    24
    """
    num_steps = check_int(num_steps, "num_steps", 2)
    first = num_steps // 10
    lrs = np.asarray(result.lrs, dtype=np.float64)[first:-5]
    losses = np.asarray(result.smoothed, dtype=np.float64)[first:-5]
    bad = np.flatnonzero(~np.isfinite(losses))
    if bad.size:
        lrs, losses = lrs[:bad[0]], losses[:bad[0]]
    if len(losses) < 3:
        raise ValueError(f"the range test is too short for suggestions ({len(result.lrs)} batches)")
    start, end = _longest_falling_run(losses)
    third = (end - start) / 3
    slope = np.diff(losses) / np.diff(np.log(lrs))
    return {"valley": int(first + start + int(third) + int(third / 2)), "minimum": first + int(np.argmin(losses)),
            "steep": first + int(np.argmin(slope)), "last_kept": first + len(losses) - 1}


def suggestions(result, num_steps=100):
    """fastai's rate suggestions read off a range test: ``{"valley", "minimum", "steep"}``.

    As fastai's ``lr_find`` does, on the smoothed loss without the first ``num_steps // 10``
    and the last 5 batches (and nothing from the first non-finite value on; the steps are
    given by :func:`suggestion_steps`):

    * ``valley`` (fastai's default since version 2.4): along the longest stretch where the
      loss keeps falling, the rate about half-way (``start + len/3 + len/6``);
    * ``minimum``: the rate of the lowest loss, divided by ten;
    * ``steep``: the rate where the loss falls fastest per decade of rate.

    Examples
    --------
    >>> lrs = np.geomspace(1e-5, 1e-1, 40)
    >>> loss = np.r_[np.linspace(10, 1, 30), np.geomspace(1, 100, 10)]
    >>> fake = RangeTestResult(lrs, loss, loss, 0.0, 0.0, 0.0)
    >>> {k: f"{v:.1e}" for k, v in suggestions(fake, num_steps=40).items()}
    {'valley': '3.5e-04', 'minimum': '9.4e-04', 'steep': '3.3e-05'}
    """
    steps = suggestion_steps(result, num_steps)
    lrs = np.asarray(result.lrs, dtype=np.float64)
    return {"valley": float(lrs[steps["valley"]]), "minimum": float(lrs[steps["minimum"]] / 10),
            "steep": float(lrs[steps["steep"]])}
