"""Gradient descent on any function with a gradient, divergence detection, and the blow-up clock.

Divergence is an outcome, not a crash: :func:`gradient_descent` records the first step whose
iterate or loss is non-finite or passes float32's largest value (about 3.4e38, where a
float32 network turns into ``inf`` and then ``nan``), stops there, and lets no
RuntimeWarning escape. :func:`blowup_clock` predicts from the growth factor how many steps
the loss needs to pass a threshold; :func:`first_step_above` reads the same from a run.
:func:`float32_route` runs a one-dimensional bowl in float32, as a network computes, to show
where ``inf`` and then ``nan`` first appear. Pure numpy.

Examples
--------
>>> from helpers.quadratic import Quadratic
>>> bowl = Quadratic(20.0)                  # 10 x^2
>>> run = gradient_descent(bowl.grad, [10.0], lr=0.12, steps=200, loss=bowl.loss)
>>> run.diverged_at
122
>>> blowup_clock(run.losses[0], bowl.contraction(0.12) ** 2).predicted
(31, 122)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from helpers.validation import check_finite_array, check_lr, check_positive, check_steps

__all__ = ["FLOAT32_MAX", "DescentResult", "gradient_descent", "BlowupClock", "blowup_clock",
           "first_step_above", "Float32Route", "float32_route"]

FLOAT32_MAX = float(np.finfo(np.float32).max)
"""Largest float32 (about 3.4e38): beyond it a float32 network's numbers become inf, then nan."""


@dataclass(frozen=True)
class DescentResult:
    """What a run of gradient descent did.

    Attributes
    ----------
    path : numpy.ndarray, shape (steps + 1, d)
        Iterates ``w_0 .. w_steps``; rows after divergence are nan.
    losses : numpy.ndarray, shape (steps + 1,)
        Loss at each iterate; nan where not computed (no loss given, or after divergence).
    diverged_at : int or None
        First step whose iterate or loss is non-finite or above :data:`FLOAT32_MAX`.
    lr : float
    steps : int
    """

    path: np.ndarray
    losses: np.ndarray
    diverged_at: int | None
    lr: float
    steps: int
    message: str = field(default="")

    @property
    def diverged(self) -> bool:
        """True if the run blew up."""
        return self.diverged_at is not None


def _blew_up(w, loss_value) -> bool:
    if not np.all(np.isfinite(w)) or np.max(np.abs(w), initial=0.0) > FLOAT32_MAX:
        return True
    return loss_value is not None and not (np.isfinite(loss_value) and abs(loss_value) <= FLOAT32_MAX)


def _descend(grad, w0, lr, steps, loss, momentum, nesterov, label) -> DescentResult:
    """The one loop of gradient descent, with momentum ``beta`` (0: plain, ``w <- w - lr * grad(w)``).

    With velocity ``v`` (zero at the start) and ``g = grad(w)``: ``v <- beta v - lr g``, then
    ``w <- w + v`` (heavy ball) or ``w <- w + beta v - lr g`` (Nesterov). ``momentum`` and
    ``nesterov`` are checked by the caller; ``label`` starts the result's message.
    """
    if not callable(grad):
        raise TypeError(f"grad must be callable, got {grad!r}")
    if loss is not None and not callable(loss):
        raise TypeError(f"loss must be callable or None, got {loss!r}")
    w = np.atleast_1d(check_finite_array(w0, "w0"))
    lr = check_lr(lr)
    steps = check_steps(steps)

    path = np.full((steps + 1,) + w.shape, np.nan)
    losses = np.full(steps + 1, np.nan)
    velocity = np.zeros_like(w)
    diverged_at = None
    with np.errstate(all="ignore"):
        for k in range(steps + 1):
            if k > 0:
                g = np.asarray(grad(w), dtype=float)
                velocity = momentum * velocity - lr * g
                w = w + (momentum * velocity - lr * g if nesterov else velocity)
            value = None if loss is None else float(loss(w))
            path[k] = w
            if value is not None:
                losses[k] = value
            if _blew_up(w, value):
                diverged_at = k
                break
    message = (f"{label}diverged at step {diverged_at}" if diverged_at is not None
               else f"{label}finished {steps} steps without diverging")
    return DescentResult(path=path, losses=losses, diverged_at=diverged_at, lr=lr, steps=steps,
                         message=message)


def gradient_descent(grad, w0, lr, steps, loss=None) -> DescentResult:
    """Run ``w <- w - lr * grad(w)`` for ``steps`` steps, stopping cleanly at divergence.

    The loop is heavy-ball momentum's with ``beta = 0`` (:func:`helpers.momentum.momentum_descent`).

    Parameters
    ----------
    grad : callable
        ``grad(w) -> array`` of the same shape as ``w``.
    w0 : array_like, shape (d,) or scalar
        Starting point (finite).
    lr : float
        Learning rate, positive and finite.
    steps : int
        Number of steps, non-negative.
    loss : callable, optional
        ``loss(w) -> float``; if given, recorded at every iterate and used to detect divergence.

    Returns
    -------
    DescentResult

    Raises
    ------
    TypeError, ValueError
        If ``grad``/``loss`` are not callable or ``w0``, ``lr``, ``steps`` are invalid.

    Examples
    --------
    >>> run = gradient_descent(lambda w: 2 * w, [1.0], lr=0.12, steps=3, loss=lambda w: float(w @ w))
    >>> run.path[:, 0].round(4)                 # x^2: factor 1 - 0.12 * 2 = 0.76 per step
    array([1.    , 0.76  , 0.5776, 0.439 ])
    >>> run.diverged_at is None
    True
    """
    return _descend(grad, w0, lr, steps, loss, momentum=0.0, nesterov=False, label="")


@dataclass(frozen=True)
class BlowupClock:
    """Predicted steps for a geometrically growing loss to pass each threshold.

    Attributes
    ----------
    loss0 : float
        Loss at step 0.
    loss_growth : float
        Factor by which the loss is multiplied every step (``contraction(lr)**2`` on a quadratic).
    thresholds : tuple of float
    predicted : tuple of (int or None)
        For each threshold, the first step ``k`` with ``loss0 * loss_growth**k > threshold``;
        None if the loss never gets there (growth <= 1).
    """

    loss0: float
    loss_growth: float
    thresholds: tuple
    predicted: tuple


def blowup_clock(loss0, loss_growth, thresholds=(1e12, FLOAT32_MAX)) -> BlowupClock:
    """Predict, from the growth factor alone, when the loss passes each threshold.

    If the loss is multiplied by ``r > 1`` every step, it passes ``T`` at the first step
    ``k > log(T / loss0) / log(r)``: a count that grows only with the logarithm of ``T``,
    which is why "thousands, a trillion, overflow" takes a handful of steps.

    Parameters
    ----------
    loss0 : float
        Loss at step 0 (positive).
    loss_growth : float
        Per-step multiplication of the loss (positive).
    thresholds : sequence of float
        Default: a trillion (1e12) and float32 overflow (about 3.4e38).

    Returns
    -------
    BlowupClock

    Examples
    --------
    >>> blowup_clock(1e3, 1.96).predicted      # 10 x^2 at lr = 0.12 from loss 1000
    (31, 122)
    >>> blowup_clock(1e3, 0.5).predicted       # a shrinking loss never gets there
    (None, None)
    """
    loss0 = check_positive(loss0, "loss0")
    loss_growth = check_positive(loss_growth, "loss_growth")
    thresholds = tuple(check_positive(t, "threshold") for t in thresholds)
    predicted = []
    for t in thresholds:
        if loss0 > t:
            predicted.append(0)
        elif loss_growth <= 1.0:
            predicted.append(None)
        else:
            predicted.append(math.floor(math.log(t / loss0) / math.log(loss_growth)) + 1)
    return BlowupClock(loss0=loss0, loss_growth=loss_growth, thresholds=thresholds,
                       predicted=tuple(predicted))


def first_step_above(losses, threshold):
    """First step at which a recorded loss exceeds ``threshold`` (or is inf), None if never.

    Examples
    --------
    >>> first_step_above([1.0, 10.0, 100.0, float("nan")], 50.0)
    2
    >>> first_step_above([1.0, 0.5], 50.0) is None
    True
    """
    losses = np.asarray(losses, dtype=float)
    threshold = check_positive(threshold, "threshold")
    with np.errstate(invalid="ignore"):
        above = np.flatnonzero(losses > threshold)
    return int(above[0]) if above.size else None


@dataclass(frozen=True)
class Float32Route:
    """Gradient descent on ``f(w) = curvature/2 w**2`` computed in float32, up to the first ``nan`` weight.

    Attributes
    ----------
    weights, losses, gradients : numpy.ndarray of float32
        ``w_k``, ``f(w_k)`` and ``f'(w_k) = curvature * w_k`` for the steps run (``w_0`` first).
    loss_inf : int or None
        First step whose loss is ``inf`` (the weight can still be finite there).
    gradient_inf : int or None
        First step whose gradient is ``±inf``; the update from it makes the next weight infinite.
    weight_inf : int or None
        First step whose weight is ``±inf``.
    weight_nan : int or None
        First step whose weight is ``nan``; the run stops there.
    """

    weights: np.ndarray
    losses: np.ndarray
    gradients: np.ndarray
    loss_inf: int | None
    gradient_inf: int | None
    weight_inf: int | None
    weight_nan: int | None


def _first(mask):
    hits = np.flatnonzero(mask)
    return int(hits[0]) if hits.size else None


def float32_route(curvature, w0, lr, steps=1000) -> Float32Route:
    """Run ``w <- w - lr * curvature * w`` in float32 and find the first ``inf`` loss, gradient, weight and ``nan``.

    In float32 a product beyond about 3.4e38 overflows to ``inf``. On a growing run the loss
    ``curvature/2 w**2`` overflows first; the weight keeps growing until its gradient overflows,
    the update then makes the weight infinite, and the next update computes ``inf - inf = nan``.

    Parameters
    ----------
    curvature : float
        ``f''`` of the bowl (positive).
    w0 : float
        Starting weight (finite).
    lr : float
        Learning rate (positive).
    steps : int
        Most steps to run; the run stops at the first ``nan`` weight.

    Returns
    -------
    Float32Route

    Examples
    --------
    >>> route = float32_route(20.0, 10.0, 0.12)       # 10 w^2 at lr = 0.12 from loss 1000
    >>> route.loss_inf, route.gradient_inf, route.weight_inf, route.weight_nan
    (122, 248, 249, 250)
    >>> float32_route(20.0, 10.0, 0.01).weight_nan is None
    True
    """
    curvature = np.float32(check_positive(curvature, "curvature"))
    w = np.float32(check_finite_array(w0, "w0", ndim=0))
    lr = np.float32(check_lr(lr))
    steps = check_steps(steps)
    half = np.float32(curvature / np.float32(2))
    weights, losses, gradients = [], [], []
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(steps + 1):
            if k > 0:
                w = w - lr * gradients[-1]
            weights.append(w)
            losses.append(half * w * w)
            gradients.append(curvature * w)
            if np.isnan(w):
                break
    weights, losses, gradients = (np.array(a, dtype=np.float32) for a in (weights, losses, gradients))
    return Float32Route(weights=weights, losses=losses, gradients=gradients,
                        loss_inf=_first(np.isinf(losses)), gradient_inf=_first(np.isinf(gradients)),
                        weight_inf=_first(np.isinf(weights)), weight_nan=_first(np.isnan(weights)))
