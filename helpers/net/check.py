"""One call on your own compiled model: is its learning rate below the critical rate at these weights?

:func:`check_learning_rate` reads what ``model.compile`` set -- the loss and the optimizer --
measures the sharpness of that loss on the data you give (:func:`helpers.net.hessian.sharpness`,
inference mode, optionally in batches), turns it into the critical rate for that optimizer
(plain SGD ``2 / sharpness``, momentum ``2 (1 + beta) / sharpness``, Nesterov
``2 (1 + beta) / ((1 + 2 beta) sharpness)``), and says in one sentence where the current rate
stands. The check is local: it holds at the weights the model has now, and the sharpness
changes as the model trains (lesson 6).

Examples
--------
>>> import numpy as np
>>> x = np.array([[1.0], [3.0]]); y = np.zeros(2)
>>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
>>> model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
>>> check = check_learning_rate(model, x, y)
sharpness 11.66 (mse), critical rate 0.1716 for SGD: lr = 0.5 is 2.9 x the critical rate: above it, the loss grows along the sharpest direction of the quadratic model at these weights. The critical rate is that model's, not a safe bound: lesson 7's heavy-ball run failed from 0.9 x it; leave a margin.
>>> check.verdict.name, round(check.ratio, 2)
('ABOVE', 2.91)
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import helpers.net.env  # noqa: F401  (TensorFlow's environment first)

import keras  # noqa: E402

from helpers.momentum import critical_lr  # noqa: E402
from helpers.net.hessian import check_model, optimizer_momentum, sharpness  # noqa: E402
from helpers.net.regime import UnitFractions, unit_fractions  # noqa: E402

__all__ = ["Verdict", "LearningRateCheck", "check_learning_rate", "EDGE", "FAILED_FROM", "NOTABLE"]

EDGE = 0.1
"""Within this relative distance of the critical rate the verdict is "at the edge"."""

FAILED_FROM = 0.9
"""The fraction of its predicted critical rate from which lesson 7's heavy-ball run (the leaky-ReLU net on raw
diabetes, seed 0) failed: the margin quoted in every verdict (a lesson-7 claim test checks it against that run)."""

NOTABLE = 0.25
"""With ``regime=True``: a share of dead ReLU or saturated tanh/sigmoid units at least this large is reported as the
regime (leaky-ReLU and linear units are never dead: they always pass a gradient)."""


class Verdict(enum.Enum):
    """Where the rate stands against the critical rate."""

    BELOW = "below the critical rate"
    EDGE = "at the critical rate"
    ABOVE = "above the critical rate"
    NO_THRESHOLD = "no single critical rate for this optimizer"


@dataclass(frozen=True)
class LearningRateCheck:
    """What :func:`check_learning_rate` measured and concluded.

    Attributes
    ----------
    sharpness : float
        Largest Hessian eigenvalue of the compiled loss on the data given.
    critical_lr : float or None
        Largest stable rate for the optimizer at these weights (None for an optimizer without
        such a threshold, e.g. Adam).
    lr : float
        The optimizer's current learning rate.
    ratio : float or None
        ``lr / critical_lr``.
    optimizer : str
        The optimizer's class name, with its momentum.
    loss : str
        The compiled loss's name.
    verdict : Verdict
    sentence : str
        The verdict in one sentence (what is printed).
    units : helpers.net.regime.UnitFractions or None
        With ``regime=True``: the dead and saturated shares of the hidden units on ``x``
        (lesson 7: above the critical rate, they decide whether the loss diverges, sticks or
        saturates). None otherwise.
    """

    sharpness: float
    critical_lr: float | None
    lr: float
    ratio: float | None
    optimizer: str
    loss: str
    verdict: Verdict
    sentence: str
    units: UnitFractions | None = None


def _current_lr(optimizer):
    value = optimizer.learning_rate  # a variable, or a schedule's value at the current step
    return float(value.numpy() if hasattr(value, "numpy") else value)


def _describe(optimizer):
    name = type(optimizer).__name__
    if not isinstance(optimizer, keras.optimizers.SGD):
        return name
    beta, nesterov = optimizer_momentum(optimizer)
    if beta == 0:
        return name
    return f"{name} with {'Nesterov ' if nesterov else ''}momentum {beta:g}"


def _regime_sentence(units):
    if units.dead >= NOTABLE:
        return (f" Regime: {units.sentence()}: above the critical rate more units may die and the loss stick "
                f"at a constant level (where depends on the run) rather than reach nan (a hint, from one data set and plain SGD: lesson 7's ReLU net did "
                f"so at 4 x on its own seed and on 10 of 10 benchmark seeds).")
    if units.saturated >= NOTABLE:
        return (f" Regime: {units.sentence()}: the sharpest direction can sit in the few unsaturated units; "
                f"above the critical rate they may saturate rather than the loss blow up, and below it the net may "
                f"not learn either: scale the inputs (a hint, from one data set and plain SGD: lesson 7's tanh net saturated "
                f"at 4 x on its own seed and on 10 of 10 benchmark seeds; that it did not learn below rests on its one seed).")
    return (f" Regime: {units.sentence()}: the units are live (linear and leaky-ReLU units always pass a gradient), "
            f"so well above the critical rate expect the loss to grow to inf/nan (lesson 7 shows at "
            f"which rates its linear and leaky-ReLU nets did and did not).")


def check_learning_rate(model, x, y=None, *, batch_size=None, tol=1e-4, seed=0, verbose=True, regime=False):
    """Sharpness of a compiled model's loss, the critical rate of its optimizer, and a verdict.

    Parameters
    ----------
    model : keras.Model
        Compiled (``model.compile(optimizer=..., loss=...)``) and built.
    x, y : arrays, or a finite ``tf.data.Dataset`` of ``(x, y)`` batches as ``x``
        The data the sharpness is measured on: the training set, or a large sample of it.
    batch_size : int, optional
        Accumulate Hessian-vector products over batches of this many rows (bounded memory).
    tol, seed
        Passed to :func:`helpers.net.hessian.sharpness`.
    verbose : bool
        Print the one-line summary (default True).
    regime : bool
        Also measure the dead and saturated shares of the hidden units on ``x`` (arrays and a
        ``keras.Sequential`` model; :func:`helpers.net.regime.unit_fractions`) and say what they
        mean for a rate above the critical one (default False).

    Returns
    -------
    LearningRateCheck

    Examples
    --------
    >>> import numpy as np
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    >>> check_learning_rate(model, [[1.0], [3.0]], [0.0, 0.0], verbose=False).verdict
    <Verdict.NO_THRESHOLD: 'no single critical rate for this optimizer'>
    >>> check_learning_rate(keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)]), [[1.0]], [0.0])
    Traceback (most recent call last):
    ...
    ValueError: model must be compiled (model.compile(optimizer=..., loss=...)) before its learning rate can be checked
    """
    check_model(model)
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or getattr(model, "loss", None) is None:
        raise ValueError("model must be compiled (model.compile(optimizer=..., loss=...)) "
                         "before its learning rate can be checked")
    for name, flag in (("verbose", verbose), ("regime", regime)):
        if not isinstance(flag, bool):
            raise TypeError(f"{name} must be True or False, got {flag!r}")
    loss = model.loss
    loss_name = loss if isinstance(loss, str) else getattr(loss, "name", type(loss).__name__)
    lam = sharpness(model, x, y, loss=loss, batch_size=batch_size, tol=tol, seed=seed)
    lr = _current_lr(optimizer)
    described = _describe(optimizer)
    head = f"sharpness {lam:.4g} ({loss_name}), "
    try:
        beta, nesterov = optimizer_momentum(optimizer)
    except ValueError:
        sentence = (head + f"{described} at lr = {lr:.4g}: {described} has no single critical rate "
                    f"(it rescales each weight's step by its own gradient history); "
                    f"plain SGD's would be {critical_lr(lam):.4g}.")
        result = LearningRateCheck(lam, None, lr, None, described, loss_name, Verdict.NO_THRESHOLD, sentence)
    else:
        critical = critical_lr(lam, momentum=beta, nesterov=nesterov)
        ratio = lr / critical if math.isfinite(critical) else 0.0
        if ratio > 1 + EDGE:
            verdict = Verdict.ABOVE
            tail = "above it, the loss grows along the sharpest direction of the quadratic model at these weights."
        elif ratio >= 1 - EDGE:
            verdict = Verdict.EDGE
            tail = ("at the edge: on the quadratic model at these weights the sharpest direction neither shrinks "
                    "nor grows much; expect oscillation.")
        else:
            verdict = Verdict.BELOW
            tail = ("below it, along every direction of positive curvature of the quadratic model at these weights "
                    "the loss shrinks (along negative curvature, if the Hessian has any, it grows at any rate; "
                    "not measured here).")
        sentence = (head + f"critical rate {critical:.4g} for {described}: "
                    f"lr = {lr:.4g} is {ratio:.2g} x the critical rate: {tail} The critical rate is that model's, "
                    f"not a safe bound: lesson 7's heavy-ball run failed from {FAILED_FROM:g} x it; leave a margin.")
        result = LearningRateCheck(lam, critical, lr, ratio, described, loss_name, verdict, sentence)
    if regime:
        units = unit_fractions(model, x)
        result = LearningRateCheck(result.sharpness, result.critical_lr, result.lr, result.ratio, result.optimizer,
                                   result.loss, result.verdict, result.sentence + _regime_sentence(units), units)
    if verbose:
        print(result.sentence)
    return result
