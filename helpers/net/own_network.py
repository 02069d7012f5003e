"""Lesson 7's experiments: your own network, on real data, below and above its critical rate.

A thin recipe over the course's library: :func:`helpers.net.hessian.sharpness` for the critical
rate at initialisation (plain SGD or momentum, :func:`helpers.momentum.critical_lr`),
:func:`helpers.net.training.train` for full-batch gradient descent at multiples of it, and
:mod:`helpers.net.regime` for what each run did (trains, diverges, units die, saturates).
The benchmark ``benchmarks/own_network.py`` runs the same recipe over fresh seeds.

* :func:`diabetes_net` -- the lesson's regression nets (linear, or one hidden layer of 32);
* :func:`digits_cnn` -- the lesson's small classifier (one 3 x 3 convolution, 8 filters);
* :func:`rate_runs` -- sharpness, critical rate and the runs at ``factors`` x the critical rate.

Examples
--------
>>> import numpy as np
>>> x = np.array([[1.0], [3.0]], "float32"); y = np.zeros((2, 1), "float32")
>>> net = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
>>> result = rate_runs(net, x, y, factors=(0.5, 4.0), steps=40, name="toy")
>>> round(result.critical_lr, 4), [r.regime.value for r in result.runs]
(0.1716, ['trains', 'diverges'])
"""

from __future__ import annotations

import contextlib
import logging
import math
from dataclasses import dataclass

import helpers.net.env  # noqa: F401  (TensorFlow's environment first)

import numpy as np  # noqa: E402
import keras  # noqa: E402

from helpers.momentum import check_momentum, critical_lr  # noqa: E402
from helpers.net.env import set_seed  # noqa: E402
from helpers.net.hessian import HessianOperator, sharpness  # noqa: E402
from helpers.net.models import mlp  # noqa: E402
from helpers.net.regime import Regime, UnitFractions, regime_of, unit_fractions  # noqa: E402
from helpers.net.training import TrainResult, train  # noqa: E402
from helpers.validation import check_int, check_positive  # noqa: E402

__all__ = ["ACTIVATIONS", "diabetes_net", "digits_cnn", "cross_entropy", "RateRun", "RateRuns", "rate_runs",
           "NEAR", "LESSON_SAYS", "agrees_with_lesson", "constant_predictor_loss"]

ACTIVATIONS = ("linear", "leaky_relu", "relu", "tanh")
"""The regression nets of lesson 7: a linear model and one hidden layer of each activation."""


def diabetes_net(activation, seed=0, width=32):
    """A seeded regression net for the ten diabetes features: linear, or ``10 -> width -> 1``.

    Examples
    --------
    >>> [layer.name for layer in diabetes_net("tanh").layers], diabetes_net("linear").count_params()
    (['hidden1', 'output'], 11)
    >>> diabetes_net("softplus")
    Traceback (most recent call last):
    ...
    ValueError: activation must be one of ('linear', 'leaky_relu', 'relu', 'tanh'), got 'softplus'
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    width = check_int(width, "width", 1)
    return mlp(10, () if activation == "linear" else (width,), activation, seed=seed, name=activation)


def digits_cnn(seed=0, filters=8):
    """A seeded small CNN for 8 x 8 digit images: ``Conv2D(filters, 3, relu) -> Flatten -> Dense(10)`` (logits).

    Examples
    --------
    >>> digits_cnn(0).count_params()
    2970
    """
    filters = check_int(filters, "filters", 1)
    set_seed(seed)
    return keras.Sequential([keras.Input((8, 8, 1)),
                             keras.layers.Conv2D(filters, 3, activation="relu", name="conv"),
                             keras.layers.Flatten(name="flatten"),
                             keras.layers.Dense(10, name="logits")], name="digits_cnn")


def cross_entropy():
    """The classifier's loss: sparse categorical cross-entropy on logits (mean over the rows)."""
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


@dataclass(frozen=True)
class RateRun:
    """One run at ``factor`` x the critical rate.

    Attributes
    ----------
    factor, lr : float
    run : helpers.net.training.TrainResult
    units : UnitFractions
        Dead and saturated shares on the data after the run (nan when it diverged).
    regime : Regime
    sharpness_after : float
        The sharpness at the end (nan when the run diverged or it was not measured).
    """

    factor: float
    lr: float
    run: TrainResult
    units: UnitFractions
    regime: Regime
    sharpness_after: float


@dataclass(frozen=True)
class RateRuns:
    """A net at initialisation, its critical rate, and its runs below and above it.

    Attributes
    ----------
    name : str
    sharpness : float
        At initialisation, on all the data.
    critical_lr : float
        For the optimizer used: ``2 / sharpness``, or with momentum ``2 (1 + beta) / sharpness``
        (Nesterov ``2 (1 + beta) / ((1 + 2 beta) sharpness)``).
    momentum : float
    nesterov : bool
    initial_loss : float
    gradient_share : float
        ``|g . v| / |g|`` at initialisation, ``v`` the sharpest direction: how much of the
        gradient points along it (1: all of it).
    first_layer_share : float
        Share of the sharpest direction (a unit vector) in the first layer's weights.
    units : UnitFractions
        At initialisation.
    runs : tuple of RateRun
    """

    name: str
    sharpness: float
    critical_lr: float
    momentum: float
    nesterov: bool
    initial_loss: float
    gradient_share: float
    first_layer_share: float
    units: UnitFractions
    runs: tuple

    def at(self, factor):
        """The run at ``factor`` x the critical rate."""
        for r in self.runs:
            if math.isclose(r.factor, factor):
                return r
        raise KeyError(f"no run at factor {factor}; factors: {[r.factor for r in self.runs]}")


@contextlib.contextmanager
def _quiet_retracing():
    # Each net gets its own Hessian operator, so TensorFlow traces its products anew and warns
    # about "retracing" after five nets: expected here, and not the student's concern.
    logger = logging.getLogger("tensorflow")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def rate_runs(model, x, y, factors=(0.5, 4.0), *, loss=None, steps=300, momentum=0.0, nesterov=False,
              measure_after=True, name=None, progress=False):
    """Measure ``model``'s critical rate at its weights now, then train a copy at each factor of it.

    Every run starts from the same initial weights and runs ``steps`` full-batch steps of Keras
    SGD (with ``momentum``). The model is left at its initial weights.

    Parameters
    ----------
    model : keras.Sequential
    x, y : arrays
    factors : sequence of float
        Multiples of the critical rate to run at.
    loss : optional
        Any Keras loss (default the mean squared error).
    steps : int
    momentum : float
        Keras SGD's ``momentum`` (0: plain gradient descent); the critical rate counts it.
    nesterov : bool
    measure_after : bool
        Measure the sharpness at the end of each finite run.
    name : str, optional
        Default: the model's name.
    progress : bool
        A ``tqdm.auto`` bar over the runs.

    Returns
    -------
    RateRuns
    """
    factors = [check_positive(f, "every factor") for f in factors]
    steps = check_int(steps, "steps", 1)
    momentum = check_momentum(momentum)
    with _quiet_retracing():
        return _rate_runs(model, x, y, factors, loss, steps, momentum, nesterov, measure_after, name, progress)


def _rate_runs(model, x, y, factors, loss, steps, momentum, nesterov, measure_after, name, progress):
    info = sharpness(model, x, y, loss=loss, return_info=True)
    initial_loss, grad = HessianOperator(model, x, y, loss=loss).loss_and_gradient()
    norm = float(np.linalg.norm(grad))
    gradient_share = abs(float(grad @ info.vector)) / norm if norm > 0 else float("nan")
    first = sum(w.numpy().size for w in model.layers[0].trainable_weights)
    first_layer_share = float(np.sum(info.vector[:first] ** 2))
    critical = critical_lr(info.sharpness, momentum=momentum, nesterov=nesterov)
    units0 = unit_fractions(model, x)
    initial = [w.numpy() for w in model.trainable_variables]
    runs = []
    iterator = factors
    if progress:
        from tqdm.auto import tqdm
        iterator = tqdm(factors, desc=name or model.name, leave=False)
    for factor in iterator:
        for w, value in zip(model.trainable_variables, initial):
            w.assign(value)
        lr = factor * critical
        run = train(model, x, y, keras.optimizers.SGD(lr, momentum=momentum, nesterov=nesterov), loss=loss,
                    epochs=steps, batch_size=None)
        nan = float("nan")
        units = unit_fractions(model, x) if not run.diverged else UnitFractions(nan, nan, (), ())
        after = sharpness(model, x, y, loss=loss, tol=1e-3) if measure_after and not run.diverged else nan
        runs.append(RateRun(factor, lr, run, units, regime_of(run, units), after))
    for w, value in zip(model.trainable_variables, initial):
        w.assign(value)
    return RateRuns(name or model.name, info.sharpness, critical, momentum, bool(nesterov), initial_loss,
                    gradient_share, first_layer_share, units0, tuple(runs))


NEAR = 0.1
"""A final loss is "near" a reference (mean y², ln 10) when within this fraction of it."""

LESSON_SAYS = {
    "linear": "trains below, diverges above",
    "leaky_relu": "trains below, diverges above",
    "relu": "trains below; above, at least 90% of its units die and the loss sticks near mean y² (no nan)",
    "tanh": "stays finite below; above, stays finite with at least 90% of its units saturated",
    "cnn": "trains below; above, no nan, and the run ends trained or stuck near ln 10",
    "momentum": "trains below, diverges above (momentum threshold)",
}
"""What lesson 7 says each of its nets does at 0.5 x and 4 x the critical rate, no more."""


def agrees_with_lesson(net, result, below=0.5, above=4.0, *, y=None):
    """Whether ``result`` (:class:`RateRuns`) came out as lesson 7 says, and if not, why.

    Parameters
    ----------
    net : str
        A key of :data:`LESSON_SAYS`.
    result : RateRuns
        With runs at ``below`` and ``above`` x the critical rate.
    y : array_like, optional
        The targets; needed for ``"relu"`` (its stuck loss is compared with mean y²).

    Returns
    -------
    (bool, str)
        Agreement, and what the two runs did.

    Examples
    --------
    >>> agrees_with_lesson("gelu", None)
    Traceback (most recent call last):
    ...
    ValueError: net must be one of ['linear', 'leaky_relu', 'relu', 'tanh', 'cnn', 'momentum'], got 'gelu'
    """
    if net not in LESSON_SAYS:
        raise ValueError(f"net must be one of {list(LESSON_SAYS)}, got {net!r}")
    if net == "relu" and y is None:
        raise ValueError("y must be the targets for net 'relu' (its stuck loss is compared with mean y²), got None")
    lo, hi = result.at(below), result.at(above)
    what = f"{below:g}x: {lo.regime.value} (final {lo.run.final_loss:.3g}); {above:g}x: {hi.regime.value}"
    if hi.run.diverged:
        what += f" at step {hi.run.diverged_at}"
    else:
        what += f" (final {hi.run.final_loss:.3g}, highest {float(np.max(hi.run.losses)):.3g}, start {result.initial_loss:.3g})"
    if net in ("linear", "leaky_relu", "momentum"):
        ok = lo.regime is Regime.TRAINS and hi.regime is Regime.DIVERGES
    elif net == "relu":
        mean_y2 = float(np.mean(np.square(np.asarray(y, dtype=float))))
        near = hi.regime is Regime.UNITS_DIE and abs(hi.run.final_loss / mean_y2 - 1) < NEAR
        ok = lo.regime is Regime.TRAINS and near
        if hi.regime is Regime.UNITS_DIE:
            what += f" = {hi.run.final_loss / mean_y2:.2f} x mean y²"
    elif net == "tanh":
        ok = not lo.run.diverged and hi.regime is Regime.SATURATES
    else:
        ok = (lo.regime is Regime.TRAINS and not hi.run.diverged
              and (hi.regime is Regime.TRAINS or abs(hi.run.final_loss / math.log(10) - 1) < NEAR))
    return bool(ok), what


def constant_predictor_loss(initial_loss, floor, weights, lr, steps):
    """The squared-error loss after ``steps`` of gradient descent on a constant predictor.

    A net whose hidden units are each pinned at +1 or -1 on every row predicts the same for every
    row: its output bias plus one output weight per unit. Its mean squared error is a quadratic in
    those ``weights`` (bias included) with curvature ``2 * weights`` along the one direction that
    changes the prediction, and its lowest value ``floor`` is var(y). Each step multiplies the
    prediction's gap to the mean of y by ``1 - 2 * weights * lr``, so the loss's excess over ``floor``
    by its square (lesson 7, the tanh net).

    Parameters
    ----------
    initial_loss : float
        The loss at step 0.
    floor : float
        The loss of predicting the mean, var(y).
    weights : int
        Output weights that move the prediction: the pinned units plus the output bias.
    lr : float
    steps : int

    Returns
    -------
    float

    Examples
    --------
    >>> constant_predictor_loss(5.0, 1.0, 1, lr=0.25, steps=1)    # excess 4 x (1 - 0.5)**2
    2.0
    >>> constant_predictor_loss(5.0, 1.0, 0, lr=0.25, steps=1)
    Traceback (most recent call last):
    ...
    ValueError: weights must be a positive integer, got 0
    """
    initial_loss, floor = check_positive(initial_loss, "initial_loss"), check_positive(floor, "floor")
    weights, steps = check_int(weights, "weights", 1), check_int(steps, "steps", 0)
    lr = check_positive(lr, "lr")
    return floor + (initial_loss - floor) * (1 - 2 * weights * lr) ** (2 * steps)
