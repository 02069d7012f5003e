"""Lesson 4's recipes: the raw-data net that blows up at lr = 1e-3, trained and examined with :mod:`helpers.net`.

The thread (Data Science Stack Exchange, "Why is learning rate causing my neural network's
weights to skyrocket?") trained a TensorFlow net whose loss went from the thousands to a
trillion to nan within an epoch at lr = 1e-3, and trained fine at lr = 1e-4. This module
rebuilds that situation so it happens on every machine, every time; all the TensorFlow work
is done by :mod:`helpers.net` (one model builder, one training loop, one Hessian):

* :func:`make_data` -- four raw features uniform in [0, 15] and a target around 100, so the
  mean squared error starts near 10,000 (nothing is normalised, as in the thread);
* :func:`make_model` -- a Keras MLP 4 -> 64 -> 64 -> 1 with leaky ReLU (:func:`helpers.net.models.mlp`);
* :func:`train_sgd` -- plain SGD, one step ``w <- w - lr * grad L(w)`` per minibatch, as TensorFlow 1's
  ``optimizer.minimize(loss)`` did it: :func:`helpers.net.training.train`'s own
  :class:`~helpers.net.training.TrainResult`, with the full-data loss before every step (``full_losses``);
* :func:`fit_sgd` -- the same training through ``model.fit``, the API students know, and what
  its running epoch mean hides;
* :func:`lr_sweep` -- the same initial net trained at many rates (for the lesson's slider);
* :func:`nan_autopsy` -- the operation that produced the first nan (:mod:`helpers.net.autopsy`);
* :func:`sharpness_along` -- the full-batch sharpness measured step by step along an SGD run;
* :func:`second_order_check` -- Goodfellow's second-order prediction of one full-batch gradient
  step's change in loss, against the change the step actually makes, over many step sizes.

The thread does not say which optimizer the asker used (they tried several). Plain gradient
descent is the optimizer whose behaviour the thread's answers explain, so it is the one used here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import helpers.net.env  # noqa: F401  (TensorFlow's environment first)

import numpy as np  # noqa: E402
import keras  # noqa: E402

from helpers.eigen import top_eigenpair  # noqa: E402
from helpers.net.autopsy import NanAutopsy, nan_autopsy  # noqa: E402
from helpers.net.env import set_seed  # noqa: E402
from helpers.net.hessian import HessianOperator, SharpnessResult, check_model  # noqa: E402
from helpers.net.models import mlp  # noqa: E402
from helpers.net.training import full_loss, train  # noqa: E402
from helpers.validation import check_int, check_lr  # noqa: E402

__all__ = [
    "LessonConfig", "LESSON", "make_data", "make_model", "make_experiment",
    "train_sgd", "fit_sgd", "lr_sweep", "SweepResult", "NanAutopsy", "nan_autopsy",
    "set_seed", "mse", "StepCheck", "second_order_check", "SharpnessTrace", "sharpness_along",
]


# --------------------------------------------------------------------------- configuration
@dataclass(frozen=True)
class LessonConfig:
    """Everything that defines the lesson's experiment (chosen and checked over 40 seeds).

    Attributes
    ----------
    n_samples : rows of data (1,024: 32 minibatches of 32 per epoch).
    n_features : raw input features, each uniform in [0, feature_high].
    feature_high : upper end of the features' range (15: unnormalised on purpose).
    target_mean : mean of the target (100), so the initial mean squared error is ~1e4.
    noise : standard deviation of the target's noise.
    width, depth : hidden layers of the MLP (two layers of 64 units).
    activation : of the hidden layers: ``"leaky_relu"`` (slope 0.2 below zero). With plain ReLU,
        units pushed below zero for every input stop learning ("die"), and a diverging net
        often stalls or recovers (catapults) instead of reaching nan, on some seeds only.
    batch_size : minibatch size for SGD (32, Keras's default).
    epochs : epochs per training run (2: the thread's blow-up happened "after one epoch").
    seed : the lesson's seed (weights, data and minibatch order).
    """

    n_samples: int = 1024
    n_features: int = 4
    feature_high: float = 15.0
    target_mean: float = 100.0
    noise: float = 5.0
    width: int = 64
    depth: int = 2
    batch_size: int = 32
    epochs: int = 2
    seed: int = 0
    activation: str = "leaky_relu"


#: The configuration lesson 4 uses.
LESSON = LessonConfig()


def make_data(config=LESSON, seed=None):
    """Raw regression data, generated in code: ``x`` (n, 4) in [0, 15], ``y`` (n, 1) around 100.

    The target is a fixed linear function of the features plus a gentle nonlinearity and
    Gaussian noise; nothing is normalised (that is the point).

    Parameters
    ----------
    config : LessonConfig
    seed : int, optional
        Defaults to ``config.seed``.

    Returns
    -------
    x, y : float32 arrays of shapes (n_samples, n_features) and (n_samples, 1)

    Examples
    --------
    >>> x, y = make_data()
    >>> x.shape, y.shape, x.dtype.name
    ((1024, 4), (1024, 1), 'float32')
    >>> 80 < float(y.mean()) < 120
    True
    """
    if not isinstance(config, LessonConfig):
        raise TypeError(f"config must be a LessonConfig, got {type(config).__name__}")
    seed = config.seed if seed is None else check_int(seed, "seed")
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, config.feature_high, size=(config.n_samples, config.n_features))
    # A fixed "true" relation, the same for every seed: only the sample and the noise change.
    coef = np.linspace(2.0, -1.0, config.n_features)
    centred = x - config.feature_high / 2
    signal = centred @ coef + 0.05 * centred[:, 0] * centred[:, -1]
    y = config.target_mean + signal + rng.normal(0.0, config.noise, size=config.n_samples)
    return x.astype(np.float32), y.reshape(-1, 1).astype(np.float32)


def make_model(config=LESSON, seed=None):
    """The lesson's Keras MLP (Glorot-uniform weights, zero biases), seeded (:func:`helpers.net.models.mlp`).

    Examples
    --------
    >>> model = make_model()
    >>> [tuple(v.shape) for v in model.trainable_variables]
    [(4, 64), (64,), (64, 64), (64,), (64, 1), (1,)]
    >>> model.count_params()
    4545
    """
    if not isinstance(config, LessonConfig):
        raise TypeError(f"config must be a LessonConfig, got {type(config).__name__}")
    seed = config.seed if seed is None else check_int(seed, "seed")
    return mlp(config.n_features, (config.width,) * config.depth, config.activation, seed=seed,
               name="lesson4_mlp")


def make_experiment(config=LESSON, seed=None):
    """``(model, x, y)`` for one seed: the same seed gives the same weights and data.

    Examples
    --------
    >>> model, x, y = make_experiment(seed=3)
    >>> model.count_params(), x.shape
    (4545, (1024, 4))
    """
    if not isinstance(config, LessonConfig):
        raise TypeError(f"config must be a LessonConfig, got {type(config).__name__}")
    seed = config.seed if seed is None else check_int(seed, "seed")
    x, y = make_data(config, seed)
    return make_model(config, seed), x, y


def mse(model, x, y):
    """Mean squared error of ``model(x)`` against ``y`` over all rows (a Python float).

    Examples
    --------
    >>> model, x, y = make_experiment()
    >>> mse(model, x, y) > 1e3
    True
    """
    return full_loss(model, x, y)


# --------------------------------------------------------------------------- training
def _sgd(model, x, y, lr, epochs, batch_size, seed, callbacks=()):
    return train(model, x, y, keras.optimizers.SGD(learning_rate=lr), epochs=epochs, batch_size=batch_size,
                 seed=seed, callbacks=callbacks, track_full_loss=True)


def train_sgd(model, x, y, lr, epochs=LESSON.epochs, batch_size=LESSON.batch_size, seed=0):
    """Train ``model`` in place with plain minibatch SGD and record every step.

    Each step is what ``optimizer.minimize(loss)`` did in TensorFlow 1 with a gradient-descent
    optimizer: compute the minibatch mean squared error and its gradient, then ``w <- w - lr * grad``
    (:func:`helpers.net.training.train` with ``keras.optimizers.SGD(lr)``). Training stops cleanly
    at the first inf/nan loss (an outcome, not an error): ``diverged_at`` is that step.

    Parameters
    ----------
    model : keras.Model
        Trained in place (its weights change).
    x, y : arrays of shapes (n, features) and (n, 1)
    lr : float
        Learning rate, > 0.
    epochs, batch_size : int
        Rows that do not fill a last minibatch are skipped (1,024 / 32 leaves none).
    seed : int
        Seeds the minibatch order.

    Returns
    -------
    helpers.net.training.TrainResult
        With ``full_losses``: the full-data mean squared error before each step. Its ``lr`` is
        the rate the steps used (``lr`` in float32, as the optimizer holds it).

    Examples
    --------
    >>> model, x, y = make_experiment(seed=0)
    >>> result = train_sgd(model, x, y, lr=1e-4)
    >>> result.trained, len(result.losses), len(result.full_losses), result.diverged_at
    (True, 64, 64, None)
    """
    return _sgd(model, x, y, check_lr(lr), epochs, batch_size, seed)


@dataclass
class SweepResult:
    """Training runs from one initial net at several learning rates (see :func:`lr_sweep`).

    ``runs[i]`` is the :class:`helpers.net.training.TrainResult` (with ``full_losses``) for ``lrs[i]``.
    """

    lrs: np.ndarray
    runs: list

    def run_at(self, lr):
        """The run whose learning rate is closest to ``lr`` (on a log scale)."""
        lr = check_lr(lr)
        return self.runs[int(np.argmin(np.abs(np.log(self.lrs) - math.log(lr))))]


def _lrs(lrs):
    lrs = np.asarray(lrs, dtype=np.float64).ravel()
    if lrs.size == 0:
        raise ValueError("lrs must contain at least one learning rate")
    for value in lrs:
        check_lr(float(value), "every lr in lrs")
    return lrs


def lr_sweep(model, x, y, lrs, epochs=LESSON.epochs, batch_size=LESSON.batch_size, seed=0,
             progress=True):
    """Train copies of ``model``'s current weights at each rate in ``lrs`` (same minibatches).

    ``model`` is restored to its initial weights afterwards. Shows a ``tqdm.auto`` bar when
    ``progress`` is true.

    Examples
    --------
    >>> model, x, y = make_experiment()
    >>> sweep = lr_sweep(model, x, y, [1e-4, 1e-3], progress=False)
    >>> [run.outcome.value for run in sweep.runs]
    ['trained', 'inf']
    """
    check_model(model)
    lrs = _lrs(lrs)
    initial = model.get_weights()
    runs = []
    iterator = lrs
    if progress:
        from tqdm.auto import tqdm
        iterator = tqdm(lrs, desc="training at each lr")  # left in place: it ends showing 100%
    try:
        for lr in iterator:
            model.set_weights(initial)
            runs.append(_sgd(model, x, y, float(lr), epochs, batch_size, seed))
    finally:
        model.set_weights(initial)
    return SweepResult(lrs=lrs, runs=runs)


@dataclass
class SharpnessTrace:
    """Full-batch curvature measured along a minibatch SGD run (see :func:`sharpness_along`).

    Attributes
    ----------
    lr : the learning rate of the run.
    steps : (m,) the steps measured, at the weights before that step's update.
    sharpness : (m,) largest Hessian eigenvalue of the full-data loss there.
    full_losses : (m,) full-data mean squared error there (as in
        :attr:`helpers.net.training.TrainResult.full_losses`).
    relative_residual : (m,) the Lanczos check of each ``sharpness``: ``||H q - θ q|| / |θ|`` for the
        returned value ``θ`` and unit vector ``q`` (:func:`helpers.eigen.top_eigenpair`), with the
        Hessian-vector products it used; at most its tolerance, 1e-4, when it converged.
    """

    lr: float
    steps: np.ndarray
    sharpness: np.ndarray
    full_losses: np.ndarray
    relative_residual: np.ndarray

    @property
    def critical_lr(self):
        """``2 / sharpness`` at each measured step."""
        return 2.0 / self.sharpness


class _MeasureAlong(keras.callbacks.Callback):
    """Before each wanted step: the full-data sharpness and loss."""

    def __init__(self, op, wanted, bar):
        super().__init__()
        self.op, self.wanted, self.bar = op, set(wanted), bar
        self.last = max(wanted)
        self.step = 0
        self.steps, self.lams, self.losses, self.residuals = [], [], [], []

    def on_train_batch_begin(self, batch, logs=None):
        if self.step not in self.wanted:
            return
        loss = self.op.loss_value()
        if not math.isfinite(loss):
            self.wanted = set()          # measuring stops at the first non-finite full-data loss
            self.model.stop_training = True
            return
        lam, _, residual = top_eigenpair(self.op.matvec, self.op.shape[0], tol=1e-4, max_iter=200)
        self.residuals.append(residual / abs(lam))
        self.steps.append(self.step)
        self.lams.append(lam)
        self.losses.append(loss)
        if self.bar is not None:
            self.bar.update()

    def on_train_batch_end(self, batch, logs=None):
        if self.step == self.last:
            self.model.stop_training = True
        self.step += 1


def sharpness_along(model, x, y, lr, steps, epochs=LESSON.epochs, batch_size=LESSON.batch_size, seed=0,
                    progress=True):
    """Repeat :func:`train_sgd`'s run and measure the full-batch sharpness at the given steps.

    The run takes the same minibatches and updates as :func:`train_sgd` and :func:`lr_sweep`
    with the same ``seed`` (the same loop, :func:`helpers.net.training.train`, with a callback).
    At each step in ``steps`` (before its update) the sharpness of the full-data loss is found
    by Lanczos on Hessian-vector products, together with the full-data loss and the gradient's
    share along the sharpest eigenvector. Measuring stops at the first step whose full-data
    loss is not finite. ``model`` keeps its weights. Shows a ``tqdm.auto`` bar when
    ``progress`` is true.

    Returns
    -------
    SharpnessTrace

    Examples
    --------
    >>> model, x, y = make_experiment()
    >>> trace = sharpness_along(model, x, y, 1e-4, [0, 2], progress=False)
    >>> trace.steps.tolist(), bool(trace.sharpness[0] > 1000), bool(np.all(trace.relative_residual <= 1e-4))
    ([0, 2], True, True)
    """
    check_model(model)
    lr = check_lr(lr)
    epochs = check_int(epochs, "epochs", 1)
    batch_size = check_int(batch_size, "batch_size", 1)
    planned = epochs * (len(x) // batch_size)
    wanted = sorted({check_int(s, "every step in steps") for s in steps})
    if not wanted:
        raise ValueError("steps must contain at least one step")
    if wanted[-1] >= planned:
        raise ValueError(f"steps must be below the {planned} planned steps, got {wanted[-1]}")
    initial = model.get_weights()
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(wanted), desc=f"sharpness along lr = {lr:g}")
    measure = _MeasureAlong(HessianOperator(model, x, y), wanted, bar)
    try:
        train(model, x, y, keras.optimizers.SGD(learning_rate=lr), epochs=epochs, batch_size=batch_size,
              seed=seed, callbacks=[measure])
    finally:
        if bar is not None:
            bar.total = bar.n   # measuring may stop early, at a non-finite loss: the bar ends full
            bar.refresh()
            bar.close()
        model.set_weights(initial)
    return SharpnessTrace(lr=float(lr), steps=np.array(measure.steps, dtype=int), sharpness=np.array(measure.lams),
                          full_losses=np.array(measure.losses), relative_residual=np.array(measure.residuals))


class _RunningMeanRecorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.running_mean = []

    def on_train_batch_end(self, batch, logs=None):
        self.running_mean.append(float((logs or {}).get("loss", float("nan"))))


def fit_sgd(model, x, y, lr, epochs=LESSON.epochs, batch_size=LESSON.batch_size, verbose=0):
    """The same training through ``model.fit`` (SGD, mean squared error, ``TerminateOnNaN``).

    This is Keras's own loop, shown because students use it: after each batch it reports the
    running mean of the epoch's batch losses, not the batch's loss. This function returns those
    means and the per-batch losses recovered from them (``(k + 1) m_k - k m_{k-1}``), which
    lose precision where the loss explodes -- the course's own loop,
    :func:`helpers.net.training.train`, records each batch's loss as computed instead.

    Returns
    -------
    dict with ``running_mean`` (as Keras logs it), ``batch_loss`` (per batch), ``steps`` and
    ``stopped_at`` (index of the batch where ``TerminateOnNaN`` stopped training, or None).

    Examples
    --------
    >>> model, x, y = make_experiment()
    >>> fit_sgd(model, x, y, lr=1e-4)["stopped_at"] is None
    True
    """
    check_model(model)
    lr = check_lr(lr)
    epochs = check_int(epochs, "epochs", 1)
    batch_size = check_int(batch_size, "batch_size", 1)
    recorder = _RunningMeanRecorder()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss="mse")
    model.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=True, verbose=verbose,
              callbacks=[recorder, keras.callbacks.TerminateOnNaN()])
    running = np.array(recorder.running_mean)
    per_epoch = math.ceil(len(x) / batch_size)
    batch_loss = np.empty_like(running)
    with np.errstate(all="ignore"):
        for i, value in enumerate(running):
            k = i % per_epoch
            batch_loss[i] = value if k == 0 else (k + 1) * value - k * running[i - 1]
    bad = np.flatnonzero(~np.isfinite(running))
    return {"running_mean": running, "batch_loss": batch_loss, "steps": len(running),
            "stopped_at": int(bad[0]) if bad.size else None}


# --------------------------------------------------------------------------- one step, to second order
@dataclass
class StepCheck:
    """One full-batch gradient step of size ``lr``: Goodfellow's second-order prediction of its
    change in loss, and the change it actually makes (see :func:`second_order_check`).

    Attributes
    ----------
    lrs : (n,) the step sizes tried, increasing.
    loss : full-batch loss ``L(w)`` at the weights checked.
    gg, gHg : ``g^T g`` and ``g^T H g`` for the full-batch gradient ``g`` and Hessian ``H``.
    predicted : (n,) ``lr**2 / 2 * gHg - lr * gg``, the second-order change.
    actual : (n,) ``L(w - lr g) - L(w)``, the change the step makes.
    predicted_top, predicted_rest : (n,) the prediction split into the gradient's part along the
        sharpest direction ``v`` (the eigenvector of ``sharpness``), ``(lr**2 / 2 * sharpness - lr)
        (g . v)**2``, and the rest, ``predicted - predicted_top`` (nan when no sharpness result
        was given).
    sharpness : ``lambda_max`` used for the split (nan when none was given).
    top_share : ``(g . v)**2 / g^T g``: the share of the gradient's squared length along ``v``.
    rest_curvature : ``r^T H r / r^T r`` for the rest ``r = g - (g . v) v``: the average
        curvature the rest of the gradient sees (negative: the loss curves down there).
    tolerance : relative error allowed in ``valid_up_to``.
    valid_up_to : the largest tried step size up to which every prediction was within
        ``tolerance`` of the actual change (relative to the actual change).
    predicted_turns_positive_at : ``2 g^T g / g^T H g`` (inf when ``g^T H g <= 0``).
    actual_turns_positive_at : the smallest tried step size whose actual change is positive
        (nan when none is).
    """

    lrs: np.ndarray
    loss: float
    gg: float
    gHg: float
    predicted: np.ndarray
    actual: np.ndarray
    predicted_top: np.ndarray
    predicted_rest: np.ndarray
    sharpness: float
    top_share: float
    rest_curvature: float
    tolerance: float
    valid_up_to: float
    predicted_turns_positive_at: float
    actual_turns_positive_at: float

    @property
    def relative_error(self):
        """``|predicted - actual| / |actual|`` at each step size."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.abs(self.predicted - self.actual) / np.abs(self.actual)

    def index(self, lr):
        """Index of the tried step size closest to ``lr`` (on a log scale)."""
        lr = check_lr(lr)
        return int(np.argmin(np.abs(np.log(self.lrs) - math.log(lr))))

    def summary(self, lr):
        """One line: predicted (along the sharpest direction and the rest) and actual change at ``lr``."""
        i = self.index(lr)
        split = (f" ({self.predicted_top[i]:+,.0f} along the sharpest direction, "
                 f"{self.predicted_rest[i]:+,.0f} along the rest)" if math.isfinite(self.sharpness) else "")
        return (f"lr = {self.lrs[i]:g}: predicted ΔL {self.predicted[i]:+,.0f}{split}, "
                f"actual ΔL {self.actual[i]:+,.0f}: loss {self.loss:,.0f} → predicted "
                f"{self.loss + self.predicted[i]:,.0f}, actual {self.loss + self.actual[i]:,.0f}")


def second_order_check(model, x, y, lrs, top=None, tolerance=0.1):
    """Predict and take one full-batch gradient step of each size in ``lrs`` from the current weights.

    The prediction is the second-order Taylor change quoted in the thread (Goodfellow et al.
    2016, section 4.3.1), ``lr**2 / 2 * g^T H g - lr * g^T g``, with ``g`` the gradient and
    ``H`` the Hessian of the mean squared error over all of ``x``; ``H g`` is one
    Hessian-vector product. The actual change is the loss after ``w <- w - lr * g`` minus the
    loss before. ``model`` keeps its weights.

    Parameters
    ----------
    model : keras.Model
    x, y : arrays of shapes (n, features) and (n,) or (n, 1)
    lrs : sequence of float
        Step sizes, each > 0 (sorted here).
    top : helpers.net.hessian.SharpnessResult, optional
        The sharpness and its eigenvector ``v`` at these weights: splits the prediction into
        the gradient's part along ``v`` and the rest.
    tolerance : float
        Relative error that still counts as agreement, for ``valid_up_to`` (default 0.1).

    Returns
    -------
    StepCheck

    Examples
    --------
    >>> model, x, y = make_experiment()
    >>> check = second_order_check(model, x, y, [1e-6, 1e-5])
    >>> bool(check.relative_error.max() < 0.01), bool(np.all(check.actual < 0))
    (True, True)
    """
    check_model(model)
    lrs = np.sort(np.asarray(lrs, dtype=np.float64).ravel())
    if lrs.size == 0:
        raise ValueError("lrs must contain at least one step size")
    for value in lrs:
        check_lr(float(value), "every lr in lrs")
    if top is not None and not isinstance(top, SharpnessResult):
        raise TypeError(f"top must be a SharpnessResult (sharpness(..., return_info=True)), "
                        f"got {type(top).__name__}")
    tolerance = check_lr(tolerance, "tolerance")
    op = HessianOperator(model, x, y)
    size = op.shape[0]
    if top is not None and top.vector.shape != (size,):
        raise ValueError(f"top.vector must have {size} entries (one per weight), got {top.vector.shape}")
    loss, g = op.loss_and_gradient()
    gg, gHg = float(g @ g), float(g @ op.matvec(g))
    predicted = lrs**2 / 2 * gHg - lrs * gg
    nan = np.full_like(lrs, np.nan)
    if top is None:
        predicted_top, predicted_rest, lam, top_share, rest_curvature = nan, nan, math.nan, math.nan, math.nan
    else:
        lam, v = float(top.sharpness), top.vector / np.linalg.norm(top.vector)
        along = float(g @ v)
        rest = g - along * v
        predicted_top = (lrs**2 / 2 * lam - lrs) * along**2
        # No cross term when H v = lam v exactly (then H v is orthogonal to the rest).
        predicted_rest = predicted - predicted_top
        top_share = along**2 / gg
        rest_curvature = float(rest @ op.matvec(rest)) / float(rest @ rest)
    variables = model.trainable_variables
    start = [v.numpy() for v in variables]
    parts = np.split(g, np.cumsum([w.size for w in start])[:-1])
    actual = np.empty_like(lrs)
    try:
        for i, lr in enumerate(lrs):
            for var, w, d in zip(variables, start, parts):
                var.assign((w - lr * d.reshape(w.shape)).astype(w.dtype))
            actual[i] = mse(model, x, y) - loss
    finally:
        for var, w in zip(variables, start):
            var.assign(w)
    with np.errstate(divide="ignore", invalid="ignore"):
        close = np.abs(predicted - actual) <= tolerance * np.abs(actual)
    bad = np.flatnonzero(~close)
    valid = lrs[-1] if bad.size == 0 else (lrs[bad[0] - 1] if bad[0] > 0 else math.nan)
    positive = np.flatnonzero(actual > 0)
    return StepCheck(
        lrs=lrs, loss=loss, gg=gg, gHg=gHg, predicted=predicted, actual=actual,
        predicted_top=predicted_top, predicted_rest=predicted_rest, sharpness=lam,
        top_share=top_share, rest_curvature=rest_curvature, tolerance=tolerance,
        valid_up_to=float(valid),
        predicted_turns_positive_at=2 * gg / gHg if gHg > 0 else math.inf,
        actual_turns_positive_at=float(lrs[positive[0]]) if positive.size else math.nan)
