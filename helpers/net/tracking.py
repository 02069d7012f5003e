"""``SharpnessTracker``: a training callback that measures the full-data sharpness every few steps.

The sharpness of a net moves while it trains (lessons 5 and 6). :class:`SharpnessTracker` is a
``keras.callbacks.Callback`` for :func:`helpers.net.training.train` (or ``model.fit``): at the
start and after every ``every``-th update it measures the largest Hessian eigenvalue of the
loss over all of ``x, y`` (:class:`helpers.net.hessian.HessianOperator`, Lanczos warm-started
from the last eigenvector), as long as the step's loss was finite and training goes on.

Examples
--------
>>> import numpy as np
>>> from helpers.net.training import train
>>> x = np.linspace(-1, 1, 16, dtype="float32").reshape(-1, 1); y = 3 * x
>>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
>>> tracker = SharpnessTracker(x, y, every=2)
>>> _ = train(model, x, y, keras.optimizers.SGD(0.1), epochs=5, batch_size=None, callbacks=[tracker])
>>> tracker.steps.tolist(), np.round(tracker.values, 4).tolist()   # a linear model: constant curvature
([0, 2, 4], [2.0, 2.0, 2.0])

A second estimate from another start vector at each measurement, to check the first:

>>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
>>> tracker = SharpnessTracker(x, y, every=2, check_seed=1)
>>> _ = train(model, x, y, keras.optimizers.SGD(0.1), epochs=5, batch_size=None, callbacks=[tracker])
>>> np.round(tracker.checks, 4).tolist(), bool((tracker.residuals < 1e-3).all() and (tracker.check_residuals < 1e-3).all())
([2.0, 2.0, 2.0], True)
"""

from __future__ import annotations

import math

import helpers.net.env  # noqa: F401  (TensorFlow's environment first)

import numpy as np  # noqa: E402
import keras  # noqa: E402

from helpers.eigen import top_eigenpair  # noqa: E402
from helpers.net.hessian import HessianOperator  # noqa: E402
from helpers.validation import check_int, check_positive  # noqa: E402

__all__ = ["SharpnessTracker"]


def _relative(residual, value):
    """``residual / |value|`` (inf for a value of 0)."""
    return residual / abs(value) if value != 0 else math.inf


class SharpnessTracker(keras.callbacks.Callback):
    """Measure the full-data sharpness at the start and after every ``every``-th update.

    Parameters
    ----------
    x, y : arrays, or a finite ``tf.data.Dataset`` as ``x``
        The data whose loss's Hessian is measured (all of it).
    every : int
        Measure after updates ``every, 2 every, ...`` (and at the start, before any).
    loss : str, keras.losses.Loss or callable, optional
        Default the mean squared error.
    tol : float
        Relative residual of the Lanczos iteration.
    at_end : bool
        Also measure after the run's last planned update when it falls on ``every``
        (default True); False: only at weights another step starts from.
    check_seed : int, optional
        Also estimate the sharpness a second time at each measurement, by a Lanczos iteration
        from a random start vector seeded by ``check_seed`` (not warm-started), to check the
        warm-started estimate: a Lanczos estimate is never above the largest eigenvalue, and one
        that converged on another eigenvalue differs from a second start's.

    Attributes
    ----------
    steps : numpy.ndarray
        Updates taken before each measurement (0: the initial weights).
    values : numpy.ndarray
        The sharpness measured there.
    residuals : numpy.ndarray
        Relative residual ``||H q - value q|| / |value|`` of each estimate: an eigenvalue of the
        Hessian lies within that fraction of it.
    checks, check_residuals : numpy.ndarray
        With ``check_seed``: the second estimate at each measurement and its relative residual
        (empty without).

    A measurement is skipped after a step whose loss was not finite, or at which another
    callback (earlier in the list) set ``model.stop_training``.
    """

    def __init__(self, x, y=None, *, every=1, loss=None, tol=1e-3, at_end=True, check_seed=None):
        super().__init__()
        self.data = (x, y)
        self.every = check_int(every, "every", 1)
        self.loss = loss
        self.tol = check_positive(tol, "tol")
        self.at_end = bool(at_end)
        self.check_seed = None if check_seed is None else check_int(check_seed, "check_seed")
        self._steps, self._values, self._residuals, self._checks, self._check_residuals = [], [], [], [], []

    def _measure(self, steps_taken):
        lam, self._vector, residual = top_eigenpair(self._op.matvec, self._op.shape[0], tol=self.tol, v0=self._vector)
        self._steps.append(steps_taken)
        self._values.append(lam)
        self._residuals.append(_relative(residual, lam))
        if self.check_seed is not None:
            check, _, check_residual = top_eigenpair(self._op.matvec, self._op.shape[0], tol=self.tol,
                                                     seed=self.check_seed)
            self._checks.append(check)
            self._check_residuals.append(_relative(check_residual, check))

    def on_train_begin(self, logs=None):
        self._op = HessianOperator(self.model, *self.data, loss=self.loss)
        self._vector = None
        self._steps, self._values, self._residuals, self._checks, self._check_residuals = [], [], [], [], []
        self._taken = 0
        self._planned = self.params.get("epochs", 1) * self.params.get("steps", 0) if self.params else 0
        self._measure(0)

    def on_train_batch_end(self, batch, logs=None):
        self._taken += 1
        finite = math.isfinite((logs or {}).get("loss", math.nan))
        last = self._taken == self._planned
        if (finite and self._taken % self.every == 0 and not self.model.stop_training
                and (self.at_end or not last)):
            self._measure(self._taken)

    @property
    def steps(self):
        return np.array(self._steps, dtype=int)

    @property
    def values(self):
        return np.array(self._values, dtype=float)

    @property
    def residuals(self):
        return np.array(self._residuals, dtype=float)

    @property
    def checks(self):
        return np.array(self._checks, dtype=float)

    @property
    def check_residuals(self):
        return np.array(self._check_residuals, dtype=float)
