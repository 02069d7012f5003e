"""Every fix the thread suggests, measured on lesson 4's net: does lr = 1e-3 now train, and why.

The thread (Data Science Stack Exchange, "Why is learning rate causing my neural network's
weights to skyrocket?") collects several remedies: a lower rate, "how did you initialize your
weights?", "try Adam", and conditioning. This module runs each of them on the very experiment
that blew up in lesson 4 (:func:`helpers.experiment.make_experiment`) and returns a uniform
:class:`FixResult`, so lesson 5 can put them side by side:

* :func:`train` -- minibatch training with any Keras optimizer, a mean or summed loss and the
  same minibatch order as :func:`helpers.experiment.train_sgd`, recording every step;
* :func:`loss_sharpness` -- the top Hessian eigenvalue of *any* loss of the model's output
  (:class:`helpers.curvature.HessianOperator` with that loss), e.g. the summed squared error;
* :func:`preconditioned_sharpness` -- the top eigenvalue of ``P^-1/2 H P^-1/2`` for a diagonal
  preconditioner ``P`` (Adam's, :func:`adam_preconditioner`, is computed from the gradients the
  training loop saw, not read out of the optimizer);
* :class:`SharpnessTracker` -- a callback for :func:`train` that measures the full-data
  sharpness every few steps;
* one function per fix (:func:`lower_rate`, :func:`standardize`, :func:`adam`, ...), and
  :func:`run_all` to run every one of them.

Sharpness (largest Hessian eigenvalue) is always that of the full-data mean squared error
(:func:`helpers.curvature.sharpness`) unless said otherwise; ``critical_lr`` is 2 / sharpness.
"""

from __future__ import annotations

import functools
import math
import os
import time
from dataclasses import dataclass, field

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from helpers.curvature import HessianOperator, check_model, check_xy, sharpness, top_eigenpair  # noqa: E402
from helpers.experiment import (LESSON, TrainingOutcome, make_data, make_model,  # noqa: E402
                                minibatch_order, set_seed)
from helpers.validation import check_int, check_lr, check_positive  # noqa: E402

__all__ = [
    "FixResult", "TrainRecord", "SharpnessTracker", "train", "loss_sharpness", "preconditioned_sharpness",
    "adam_preconditioner", "standardize_features", "make_model_with_init", "warmup_schedule",
    "baseline", "lower_rate", "rate_from_sharpness", "standardize", "adam", "adam_sweep",
    "init_scale", "init_comparison", "clipping", "mean_not_sum", "warmup", "run_all",
    "summary_table", "DEFAULT_FIXES",
]

BASELINE_LR = 1e-3
"""The thread's rate, which blows lesson 4's net up."""


# --------------------------------------------------------------------------- training
@dataclass
class TrainRecord(TrainingOutcome):
    """One training run, step by step (see :func:`train`).

    Attributes
    ----------
    loss : (steps,) minibatch loss before each step (mean squared error, whatever the
        reduction used for the gradient, so runs compare).
    grad_norm : (steps,) norm of the gradient actually computed, over all weights (before any
        clipping).
    lr : (steps,) learning rate used at each step.
    first_nonfinite_step : first step with an inf/nan loss (training stopped there), or None.
    initial_loss, final_loss : full-data mean squared error before and after (nan if diverged).
    step_norm : (steps,) length of the update the optimizer actually applied, over all weights
        (0 at a step that was not applied).
    second_moment : flat (weights,) running average of the squared gradients with
        ``second_moment_beta`` (Adam's ``v``, before bias correction), or None when not tracked.

    ``diverged`` and ``trained`` (finite, and the full-data loss at most half where it started:
    lesson 4's criterion) are those of :class:`helpers.experiment.TrainingOutcome`.
    """

    loss: np.ndarray
    grad_norm: np.ndarray
    lr: np.ndarray
    first_nonfinite_step: int | None
    initial_loss: float
    final_loss: float
    step_norm: np.ndarray | None = None
    second_moment: np.ndarray | None = None

    @property
    def steps_applied(self):
        """Number of updates applied (all steps, or those before the first non-finite loss)."""
        return len(self.loss) if self.first_nonfinite_step is None else self.first_nonfinite_step


def _full_mse(model, x, y):
    with np.errstate(all="ignore"):
        value = float(tf.reduce_mean(tf.square(model(x, training=False) - y)))
    return value


def train(model, x, y, optimizer, epochs=LESSON.epochs, batch_size=LESSON.batch_size, seed=0,
          reduction="mean", callbacks=(), second_moment_beta=None):
    """Train ``model`` in place on minibatches with any Keras optimizer; record every step.

    Parameters
    ----------
    model : keras.Model
    x, y : arrays (n, features) and (n, 1)
    optimizer : keras.optimizers.Optimizer
        A fresh optimizer (it binds to the model's variables on its first step). Its
        ``learning_rate`` may be a schedule; ``clipnorm``/``global_clipnorm``/``clipvalue``
        are honoured.
    epochs, batch_size, seed : int
        The minibatch order is that of :func:`helpers.experiment.train_sgd` for the same seed.
    reduction : ``"mean"`` or ``"sum"``
        How the minibatch's squared errors are combined into the loss that is differentiated
        (``tf.reduce_mean`` or ``tf.reduce_sum``). ``"sum"`` multiplies gradient and Hessian by
        the batch size.
    callbacks : sequence of callables ``f(step, loss)``
        Called after each step with the minibatch mean squared error (e.g. a
        :class:`SharpnessTracker`).
    second_moment_beta : float in [0, 1), optional
        Also keep ``v <- beta v + (1 - beta) g**2`` of the gradients (Adam's second-moment
        estimate when ``beta`` is the optimizer's ``beta_2``); stored in ``second_moment``.

    Returns
    -------
    TrainRecord

    Examples
    --------
    >>> model, (x, y) = make_model(), make_data()
    >>> record = train(model, x, y, keras.optimizers.SGD(1e-4), epochs=1)
    >>> record.trained, len(record.loss)
    (True, 32)
    """
    check_model(model)
    x, y = check_xy(x, y, single_target=True, finite=False)  # non-finite data: recorded as a divergence
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise TypeError(f"optimizer must be a keras optimizer, got {type(optimizer).__name__}")
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
    epochs = check_int(epochs, "epochs", 1)
    batch_size = check_int(batch_size, "batch_size", 1)
    if batch_size > x.shape[0]:
        raise ValueError(f"batch_size must be at most the number of rows ({x.shape[0]}), got {batch_size}")
    if second_moment_beta is not None and not 0 <= second_moment_beta < 1:
        raise ValueError(f"second_moment_beta must be in [0, 1) or None, got {second_moment_beta!r}")
    xt, yt = tf.constant(x), tf.constant(y)
    reduce = tf.reduce_mean if reduction == "mean" else tf.reduce_sum
    variables = model.trainable_variables
    moments = None if second_moment_beta is None else [
        tf.Variable(tf.zeros_like(v), trainable=False) for v in variables]

    @tf.function(reduce_retracing=True)
    def step(idx):
        xb, yb = tf.gather(xt, idx), tf.gather(yt, idx)
        with tf.GradientTape() as tape:
            sq = tf.square(model(xb, training=True) - yb)
            loss = reduce(sq)
        grads = tape.gradient(loss, variables)
        lr = tf.cast(optimizer.learning_rate, tf.float32)  # the rate this step will use
        mean_loss = tf.reduce_mean(sq)
        step_norm = tf.constant(0.0)
        if tf.math.is_finite(loss):
            before = [tf.identity(v) for v in variables]
            optimizer.apply_gradients(zip(grads, variables))
            step_norm = tf.linalg.global_norm([v - b for v, b in zip(variables, before)])
            if moments is not None:
                for m, g in zip(moments, grads):
                    m.assign(second_moment_beta * m + (1.0 - second_moment_beta) * tf.square(g))
        return mean_loss, tf.linalg.global_norm(grads), lr, step_norm

    initial = _full_mse(model, x, y)
    losses, gnorms, lrs, snorms = [], [], [], []
    first_bad = None
    # The same minibatch order as helpers.experiment.train_sgd, so every fix sees the same data.
    for k, idx in enumerate(minibatch_order(x.shape[0], batch_size, epochs, seed)):
        loss, gnorm, lr, snorm = step(tf.constant(idx))
        losses.append(float(loss))
        gnorms.append(float(gnorm))
        lrs.append(float(lr))
        snorms.append(float(snorm))
        for callback in callbacks:
            callback(k, losses[-1])
        if not math.isfinite(losses[-1]):
            first_bad = k
            break
    final = float("nan") if first_bad is not None else _full_mse(model, x, y)
    second = None if moments is None else np.concatenate(
        [m.numpy().astype(np.float64).ravel() for m in moments])
    return TrainRecord(loss=np.array(losses), grad_norm=np.array(gnorms), lr=np.array(lrs),
                       first_nonfinite_step=first_bad, initial_loss=initial,
                       final_loss=final if math.isfinite(final) else float("nan"),
                       step_norm=np.array(snorms), second_moment=second)


class SharpnessTracker:
    """A :func:`train` callback: the full-data sharpness every ``every`` steps.

    After step ``k`` (that is, at the weights step ``k + 1`` starts from) with
    ``(k + 1) % every == 0``, it measures the sharpness of the mean squared error on ``x, y``
    by Lanczos, warm-started from the last eigenvector. ``steps`` holds the number of updates
    taken before each measurement (0 for the one made when the tracker is created, at the
    initial weights), ``values`` the sharpness.

    Examples
    --------
    >>> model, (x, y) = make_model(), make_data()
    >>> tracker = SharpnessTracker(model, x, y, every=16)
    >>> _ = train(model, x, y, keras.optimizers.SGD(1e-4), epochs=1, callbacks=[tracker])
    >>> tracker.steps.tolist()
    [0, 16, 32]
    """

    def __init__(self, model, x, y, every=4, tol=1e-3):
        check_model(model)
        self.every = check_int(every, "every", 1)
        self.tol = check_positive(tol, "tol")
        self._op = HessianOperator(model, *check_xy(x, y, single_target=True))
        self._vector = None
        self._steps, self._values = [], []
        self._measure(0)

    def _measure(self, steps_taken):
        lam, self._vector, _ = top_eigenpair(self._op, self._op.size, tol=self.tol, v0=self._vector)
        self._steps.append(steps_taken)
        self._values.append(lam)

    def __call__(self, step, loss):
        if math.isfinite(loss) and (step + 1) % self.every == 0:
            self._measure(step + 1)

    @property
    def steps(self):
        return np.array(self._steps)

    @property
    def values(self):
        return np.array(self._values)


# --------------------------------------------------------------------------- curvature of any loss
def loss_sharpness(model, x, y, loss_fn, *, tol=1e-6, seed=0):
    """Largest Hessian eigenvalue of ``loss_fn(model(x), y)`` in the model's weights.

    Hessian-vector products of the loss you give (two nested ``tf.GradientTape``:
    :class:`helpers.curvature.HessianOperator` with ``loss_fn``), driven by the Lanczos
    iteration of :func:`helpers.curvature.top_eigenpair` (largest algebraic eigenvalue).
    Use it for losses :func:`helpers.curvature.sharpness` does not cover, such as a summed
    squared error.

    Parameters
    ----------
    model : keras.Model
    x, y : arrays
    loss_fn : callable ``(prediction, target) -> scalar tensor``
    tol : float
        Relative residual at which the Lanczos iteration stops.
    seed : int
        Seeds the start vector.

    Examples
    --------
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    >>> x, y = np.array([[1.0], [3.0]]), np.zeros((2, 1))
    >>> summed = lambda p, t: tf.reduce_sum(tf.square(p - t))
    >>> round(loss_sharpness(model, x, y, summed), 4)   # twice the mean's 11.6569
    23.3137
    """
    check_model(model)
    x, y = check_xy(x, y, single_target=True)
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable, got {type(loss_fn).__name__}")
    check_positive(tol, "tol")
    op = HessianOperator(model, x, y, loss_fn=loss_fn)
    return top_eigenpair(op, op.size, tol=tol, seed=seed)[0]


def adam_preconditioner(second_moment, steps, beta_2=0.999, epsilon=1e-7):
    """Adam's per-weight step divisor ``P`` after ``steps`` updates (flat, order of the weights).

    Keras's Adam moves weight ``i`` by ``lr * m_hat_i / (sqrt(v_hat_i) + epsilon / sqrt(1 - beta_2**t))``
    with the bias-corrected moments ``m_hat``, ``v_hat = v / (1 - beta_2**t)``: gradient descent
    preconditioned by ``P = diag(sqrt(v_hat) + epsilon / sqrt(1 - beta_2**t))``. ``v`` is the
    running average of the squared gradients that :func:`train` keeps with
    ``second_moment_beta=beta_2`` (Keras's default ``beta_2`` is 0.999, ``epsilon`` 1e-7).

    Examples
    --------
    >>> # after one step v = (1 - beta_2) g**2, so P is |g| (plus a tiny epsilon term)
    >>> np.round(adam_preconditioner(0.001 * np.array([4.0, 0.25]), 1, beta_2=0.999), 4).tolist()
    [2.0, 0.5]
    """
    v = np.asarray(second_moment, dtype=np.float64).ravel()
    steps = check_int(steps, "steps", 1)
    if not 0 <= beta_2 < 1:
        raise ValueError(f"beta_2 must be in [0, 1), got {beta_2!r}")
    check_positive(epsilon, "epsilon")
    if not np.all(np.isfinite(v)) or np.any(v < 0):
        raise ValueError("second_moment must be finite and non-negative")
    correction = 1.0 - beta_2 ** steps
    return np.sqrt(v / correction) + epsilon / math.sqrt(correction)


def preconditioned_sharpness(model, x, y, preconditioner, *, tol=1e-4, seed=0):
    """Top eigenvalue of ``P^-1/2 H P^-1/2`` (``H``: Hessian of the full-data mean squared error).

    For Adam, ``P`` is :func:`adam_preconditioner`. Cohen et al.
    (2022) found that Adam with ``beta1 = 0.9`` trains with this quantity hovering near
    ``38 / lr``, its own stability threshold, where plain SGD's is ``2 / lr`` for the raw Hessian.
    """
    p = np.asarray(preconditioner, dtype=np.float64).ravel()
    if not np.all(np.isfinite(p)) or np.any(p <= 0):
        raise ValueError("preconditioner must be positive and finite")
    op = HessianOperator(model, x, y)
    if p.size != op.size:
        raise ValueError(f"preconditioner must have {op.size} entries, got {p.size}")
    scale = 1.0 / np.sqrt(p)
    return top_eigenpair(lambda v: scale * op(scale * v), op.size, tol=tol, seed=seed)[0]


# --------------------------------------------------------------------------- ingredients
def standardize_features(x):
    """Each column shifted to mean 0 and scaled to standard deviation 1 (float32).

    Examples
    --------
    >>> z = standardize_features([[0.0, 10.0], [2.0, 30.0]])
    >>> z.tolist()
    [[-1.0, -1.0], [1.0, 1.0]]
    """
    x = np.asarray(x, dtype=np.float64)
    std = x.std(axis=0)
    std[std == 0] = 1.0
    return ((x - x.mean(axis=0)) / std).astype(np.float32)


INITS = {
    "glorot_uniform": "Glorot uniform (Keras default): variance 2/(fan_in + fan_out)",
    "he_normal": "He normal: variance 2/fan_in (for ReLU-like units)",
    "normal_1": "plain N(0, 1): no fan-in scaling",
}


def make_model_with_init(init="glorot_uniform", scale=1.0, config=LESSON, seed=None):
    """Lesson 4's net with another kernel initializer, every kernel then multiplied by ``scale``.

    ``init`` is ``"glorot_uniform"`` (the Keras default), ``"he_normal"`` or ``"normal_1"``
    (N(0, 1), the "large init" of many hand-written nets).
    """
    if init not in INITS:
        raise ValueError(f"init must be one of {sorted(INITS)}, got {init!r}")
    check_positive(scale, "scale")
    seed = config.seed if seed is None else seed
    set_seed(seed)
    initializer = keras.initializers.RandomNormal(stddev=1.0) if init == "normal_1" else init
    layers = [keras.Input(shape=(config.n_features,))]
    layers += [keras.layers.Dense(config.width, activation=config.activation, name=f"hidden{i + 1}",
                                  kernel_initializer=initializer) for i in range(config.depth)]
    layers += [keras.layers.Dense(1, name="output", kernel_initializer=initializer)]
    model = keras.Sequential(layers, name=f"lesson4_mlp_{init}")
    if scale != 1.0:
        for layer in model.layers:
            layer.kernel.assign(layer.kernel * scale)
    return model


def warmup_schedule(lr, warmup_steps, start_fraction=0.01):
    """A Keras schedule: linear warm-up from ``start_fraction * lr`` to ``lr``, then constant."""
    lr = check_lr(lr)
    warmup_steps = check_int(warmup_steps, "warmup_steps", 1)

    class LinearWarmup(keras.optimizers.schedules.LearningRateSchedule):
        def __call__(self, step):
            frac = tf.minimum(tf.cast(step, tf.float32) / warmup_steps, 1.0)
            return lr * (start_fraction + (1.0 - start_fraction) * frac)

        def get_config(self):
            return {"lr": lr, "warmup_steps": warmup_steps, "start_fraction": start_fraction}

    return LinearWarmup()


# --------------------------------------------------------------------------- results
@dataclass
class FixResult:
    """One fix, run on lesson 4's experiment.

    Attributes
    ----------
    name : short name of the fix (a row of the summary table).
    lr : the learning rate used (the peak rate for a warm-up).
    trains : the run stayed finite and at least halved the full-data loss (as in lesson 4).
    final_loss : full-data mean squared error after training (nan if it diverged).
    sharpness_before, sharpness_after : sharpness of the full-data mean squared error at the
        start and the end (nan after a divergence).
    seconds : wall time of the fix (training and curvature).
    record : the :class:`TrainRecord` (per-step losses, for plotting).
    note : one line on what the fix does here.
    extra : fix-specific numbers (e.g. the rate at which Adam fails).
    """

    name: str
    lr: float
    trains: bool
    final_loss: float
    sharpness_before: float
    sharpness_after: float
    seconds: float
    record: TrainRecord = field(repr=False)
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def critical_lr_before(self):
        return 2.0 / self.sharpness_before if self.sharpness_before > 0 else math.inf

    def tracked(self):
        """The run as a :class:`helpers.dynamics.DynamicsResult` (minibatch loss per step and the
        sharpness tracked during training), for :func:`helpers.plots.draw_edge_runs`."""
        from helpers.dynamics import DynamicsResult

        if "sharpness" not in self.extra:
            raise ValueError(f"{self.name}: the sharpness was not tracked during training (track_every)")
        return DynamicsResult(lr=self.lr, loss=self.record.loss, sharpness_steps=self.extra["sharpness_steps"],
                              sharpness=self.extra["sharpness"], diverged_at=self.record.first_nonfinite_step)

    def as_dict(self):
        """The fields of the benchmark's JSON line."""
        return {"trains": bool(self.trains), "final_loss": _json_float(self.final_loss),
                "sharpness_before": _json_float(self.sharpness_before),
                "sharpness_after": _json_float(self.sharpness_after),
                "seconds": round(self.seconds, 2)}


def _json_float(value):
    return float(value) if math.isfinite(value) else None


def _measure(name, model, x, y, optimizer, *, lr, note="", extra=None, reduction="mean",
             epochs=LESSON.epochs, seed=0, start=None, sharpness_tol=1e-3, track_every=None,
             second_moment_beta=None, before=None):
    """Sharpness before, train, sharpness after: the uniform shape of every fix.

    With ``track_every``, the sharpness is also measured every that many steps
    (:class:`SharpnessTracker`); ``extra["sharpness_steps"]`` and ``extra["sharpness"]`` hold it.
    ``before``: the sharpness at the start when already known (lesson 4's untouched initial net).
    """
    start = time.perf_counter() if start is None else start
    before = sharpness(model, x, y, tol=sharpness_tol) if before is None else before
    tracker = None if track_every is None else SharpnessTracker(model, x, y, every=track_every)
    record = train(model, x, y, optimizer, epochs=epochs, seed=seed, reduction=reduction,
                   callbacks=() if tracker is None else (tracker,),
                   second_moment_beta=second_moment_beta)
    extra = dict(extra or {})
    if tracker is not None:
        extra.update(sharpness_steps=tracker.steps, sharpness=tracker.values)
    after = float("nan") if record.diverged else sharpness(model, x, y, tol=sharpness_tol)
    return FixResult(name=name, lr=float(lr), trains=record.trained, final_loss=record.final_loss,
                     sharpness_before=before, sharpness_after=after,
                     seconds=time.perf_counter() - start, record=record, note=note,
                     extra=extra)


def _experiment(seed):
    x, y = make_data(LESSON, seed)
    return make_model(LESSON, seed), x, y


@functools.lru_cache(maxsize=8)
def _initial_sharpness(seed):
    """Sharpness of lesson 4's initial net on its raw data (the same for every fix that starts there)."""
    model, x, y = _experiment(seed)
    return sharpness(model, x, y, tol=1e-3)


# --------------------------------------------------------------------------- the fixes
def baseline(lr=BASELINE_LR, seed=0):
    """The problem itself: plain SGD at the thread's 1e-3 on lesson 4's net."""
    model, x, y = _experiment(seed)
    return _measure("baseline: SGD at 1e-3", model, x, y, keras.optimizers.SGD(lr), lr=lr, seed=seed,
                    note="the thread's setting: diverges", before=_initial_sharpness(seed))


def lower_rate(lr=1e-4, seed=0):
    """The thread's own fix: plain SGD at a ten times lower rate."""
    model, x, y = _experiment(seed)
    return _measure(f"lower rate ({lr:g})", model, x, y, keras.optimizers.SGD(lr), lr=lr, seed=seed,
                    note="below 2/sharpness", before=_initial_sharpness(seed))


def rate_from_sharpness(fraction=0.25, seed=0, track_every=None):
    """SGD at ``fraction * 2 / sharpness`` measured at the initial weights.

    On a quadratic the best fixed rate is ``2 / (lambda_min + lambda_max)``, just under
    ``2 / lambda_max`` when ``lambda_min`` is tiny. A net is not a quadratic: on lesson 4's net
    the sharpness roughly triples while training at 1e-4 and each minibatch has its own, so the
    lesson keeps a margin of four (0.5 oscillates, 0.9 diverges). With ``track_every`` the
    sharpness is measured during training too (see :func:`warmup`).
    """
    check_positive(fraction, "fraction")
    start = time.perf_counter()
    model, x, y = _experiment(seed)
    lam0 = _initial_sharpness(seed)
    lr = fraction * 2.0 / lam0
    return _measure(f"rate read off sharpness ({fraction:g} x 2/sharpness)", model, x, y,
                    keras.optimizers.SGD(lr), lr=lr, seed=seed, start=start,
                    note=f"lr = {lr:.2e}", extra={"fraction": fraction}, track_every=track_every,
                    before=lam0)


def standardize(lr=BASELINE_LR, seed=0):
    """Standardize the features (mean 0, std 1), then plain SGD at 1e-3."""
    model, x, y = _experiment(seed)
    z = standardize_features(x)
    raw_sharpness = _initial_sharpness(seed)
    result = _measure("standardized features", model, z, y, keras.optimizers.SGD(lr), lr=lr, seed=seed,
                      note="conditioning: sharpness falls", extra={"raw_sharpness": raw_sharpness})
    return result


def adam(lr=BASELINE_LR, seed=0, epochs=LESSON.epochs):
    """Adam (Keras defaults: beta1 = 0.9, beta2 = 0.999) at ``lr`` on the raw data.

    ``extra`` holds, when the run stayed finite, Adam's preconditioned sharpness at the end
    (:func:`adam_preconditioner` from the gradients the loop saw, then
    :func:`preconditioned_sharpness`), the threshold ``38 / lr`` Cohen et al. (2022) found for it,
    and two step sizes: ``rms_step`` (median over the steps of the root-mean-square change of a
    weight, ``step_norm / sqrt(weights)``) and ``rms_weight`` (the root-mean-square initial weight).
    """
    model, x, y = _experiment(seed)
    optimizer = keras.optimizers.Adam(lr)
    beta_2 = float(optimizer.beta_2)
    n = int(sum(np.prod(v.shape) for v in model.trainable_variables))
    rms_weight = float(np.sqrt(sum(np.sum(np.square(w)) for w in model.get_weights()) / n))
    result = _measure(f"Adam ({lr:g})", model, x, y, optimizer, lr=lr, seed=seed, epochs=epochs,
                      note="per-weight step scaling", second_moment_beta=beta_2,
                      before=_initial_sharpness(seed))
    record = result.record
    applied = record.step_norm[:record.steps_applied]
    result.extra.update(rms_step=float(np.median(applied) / math.sqrt(n)), rms_weight=rms_weight)
    if not record.diverged:
        p = adam_preconditioner(record.second_moment, record.steps_applied, beta_2, float(optimizer.epsilon))
        result.extra.update(preconditioned_sharpness=preconditioned_sharpness(model, x, y, p, tol=1e-3),
                            adam_threshold=38.0 / lr)
    return result


def adam_sweep(lrs=(1e-3, 1e-2, 1e-1, 1.0, 10.0), seed=0, epochs=LESSON.epochs, progress=False):
    """Adam at several rates from the same initial net: a list of :class:`FixResult`."""
    iterator = lrs
    if progress:
        from tqdm.auto import tqdm
        iterator = tqdm(lrs, desc="Adam at each lr", leave=False)
    return [adam(float(lr), seed=seed, epochs=epochs) for lr in iterator]


def init_scale(init="he_normal", scale=1.0, lr=BASELINE_LR, seed=0, track_every=None):
    """Lesson 4's net with another weight initialization, trained with SGD at ``lr``.

    With ``track_every`` the sharpness is measured during training too (see :func:`warmup`).
    """
    x, y = make_data(LESSON, seed)
    model = make_model_with_init(init, scale, seed=seed)
    label = init if scale == 1.0 else f"{init} x {scale:g}"
    return _measure(f"init {label} ({lr:g})", model, x, y, keras.optimizers.SGD(lr), lr=lr, seed=seed,
                    note=INITS[init], track_every=track_every)


def init_comparison(inits=("glorot_uniform", "he_normal", "normal_1"), seed=0):
    """Sharpness and ``critical_lr`` at initialization for each initializer (no training)."""
    x, y = make_data(LESSON, seed)
    out = {}
    for init in inits:
        lam = sharpness(make_model_with_init(init, seed=seed), x, y, tol=1e-3)
        out[init] = {"sharpness": lam, "critical_lr": 2.0 / lam}
    return out


def clipping(lr=BASELINE_LR, clipnorm=100.0, seed=0):
    """SGD at ``lr`` with the whole gradient clipped to length ``clipnorm`` (Keras ``global_clipnorm``).

    Keras 3's ``global_clipnorm=c`` rescales the gradient of *all* weights together when its
    norm exceeds ``c``, so no step is longer than ``lr * c``. (``clipnorm=c`` would clip each
    variable's gradient on its own: a bound of ``lr * c`` per variable, not per step.)
    ``extra`` holds ``clipped_fraction`` (steps whose gradient norm over all weights exceeded
    ``c``: the ones that were clipped) and ``max_step_over_bound`` (the longest step taken,
    divided by ``lr * c``).
    """
    clipnorm = check_positive(clipnorm, "clipnorm")
    model, x, y = _experiment(seed)
    optimizer = keras.optimizers.SGD(lr, global_clipnorm=clipnorm)
    result = _measure(f"gradient clipping (global_clipnorm={clipnorm:g})", model, x, y, optimizer,
                      lr=lr, seed=seed, note="bounds every step to lr x clip", before=_initial_sharpness(seed))
    record = result.record
    applied = slice(0, record.steps_applied)
    result.extra.update(clipped_fraction=float(np.mean(record.grad_norm[applied] > clipnorm)),
                        max_step_over_bound=float(np.max(record.step_norm[applied]) / (lr * clipnorm)))
    return result


def mean_not_sum(lr=1e-4, seed=0):
    """The summed loss (``reduce_sum``) against the mean (``reduce_mean``) at the same ``lr``.

    The returned result is the *fix* (mean loss); ``extra`` holds the summed run, its
    sharpness (batch size times larger, measured by :func:`loss_sharpness` on the first
    minibatch against the mean's) and whether it diverged.
    """
    start = time.perf_counter()
    model, x, y = _experiment(seed)
    batch = minibatch_order(x.shape[0], LESSON.batch_size, 1, seed)[0]
    xb, yb = x[batch], y[batch]
    mean_sharp = loss_sharpness(model, xb, yb, lambda p, t: tf.reduce_mean(tf.square(p - t)))
    sum_sharp = loss_sharpness(model, xb, yb, lambda p, t: tf.reduce_sum(tf.square(p - t)))
    summed = train(model, x, y, keras.optimizers.SGD(lr), seed=seed, reduction="sum")
    model, x, y = _experiment(seed)
    result = _measure(f"reduce_mean, not reduce_sum ({lr:g})", model, x, y, keras.optimizers.SGD(lr),
                      lr=lr, seed=seed, start=start, note="a summed loss acts as lr x batch size",
                      before=_initial_sharpness(seed))
    result.extra.update(summed_record=summed, batch_sharpness_mean=mean_sharp,
                        batch_sharpness_sum=sum_sharp, batch_size=LESSON.batch_size)
    return result


def warmup(lr=BASELINE_LR, warmup_steps=32, seed=0, epochs=LESSON.epochs, track_every=2):
    """SGD whose rate rises linearly from ``lr / 100`` to ``lr`` over ``warmup_steps`` steps.

    The full-data sharpness is measured every ``track_every`` steps during the run
    (``extra["sharpness_steps"]``, ``extra["sharpness"]``; None: not tracked).
    """
    model, x, y = _experiment(seed)
    optimizer = keras.optimizers.SGD(warmup_schedule(lr, warmup_steps))
    return _measure(f"warm-up to {lr:g} over {warmup_steps} steps", model, x, y, optimizer, lr=lr,
                    seed=seed, epochs=epochs, note="rate rises linearly", track_every=track_every,
                    before=_initial_sharpness(seed))


DEFAULT_FIXES = {
    "baseline": baseline,
    "lower_rate": lower_rate,
    "rate_from_sharpness": rate_from_sharpness,
    "standardize": standardize,
    "adam": adam,
    "he_init": lambda seed=0: init_scale("he_normal", seed=seed),
    "clipnorm": clipping,
    "mean_not_sum": mean_not_sum,
    "warmup": warmup,
}
"""Every fix at the settings lesson 5 recommends (keys are the benchmark's names)."""


def run_all(fixes=None, seed=0, progress=False):
    """Run every fix (default :data:`DEFAULT_FIXES`); a dict name -> :class:`FixResult`."""
    fixes = DEFAULT_FIXES if fixes is None else fixes
    items = list(fixes.items())
    if progress:
        from tqdm.auto import tqdm
        items = tqdm(items, desc="running each fix", leave=False)
    return {name: fn(seed=seed) for name, fn in items}


def summary_table(results):
    """A plain-text table of :class:`FixResult` values (one row each).

    Examples
    --------
    >>> rec = TrainRecord(np.ones(2), np.ones(2), np.ones(2), None, 10.0, 0.5)
    >>> row = FixResult("demo", 1e-3, True, 0.5, 100.0, 50.0, 1.0, rec)
    >>> print(summary_table([row]).splitlines()[2])
    demo  1.0e-03  yes     5.00e-01    1.00e+02       2.0e-02   5.00e+01      1.0
    """
    rows = [("fix", "lr", "trains", "final loss", "sharp. before", "2/sharp.", "sharp. after", "s")]
    for r in results:
        rows.append((r.name, f"{r.lr:.1e}", "yes" if r.trains else "NO", _fmt(r.final_loss),
                     _fmt(r.sharpness_before), f"{r.critical_lr_before:.1e}", _fmt(r.sharpness_after),
                     f"{r.seconds:.1f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(value):
    return f"{value:.2e}" if math.isfinite(value) else "nan"
