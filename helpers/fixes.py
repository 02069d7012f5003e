"""Lesson 5's recipes: every fix the thread suggests, run on lesson 4's net through :mod:`helpers.net`.

The thread (Data Science Stack Exchange, "Why is learning rate causing my neural network's
weights to skyrocket?") collects several remedies: a lower rate, "how did you initialize your
weights?", "try Adam", and conditioning. This module runs each of them on the very experiment
that blew up in lesson 4 (:func:`helpers.experiment.make_experiment`) and returns a uniform
:class:`FixResult`, so lesson 5 can put them side by side. The training is
:func:`helpers.net.training.train` (the same minibatch order as lesson 4's runs for the same
seed), the curvature :mod:`helpers.net.hessian`, the sharpness during training
:class:`helpers.net.tracking.SharpnessTracker`:

* one function per fix (:func:`lower_rate`, :func:`standardize`, :func:`adam`, ...), and
  :func:`run_all` to run every one of them;
* the ingredients: :func:`standardize_features`, :class:`Init` and :func:`make_model_with_init`,
  :func:`warmup_schedule`.

Sharpness (largest Hessian eigenvalue) is always that of the full-data mean squared error
(:func:`helpers.net.hessian.sharpness`) unless said otherwise; ``critical_lr`` is 2 / sharpness.
"""

from __future__ import annotations

import enum
import functools
import math
import time
from dataclasses import dataclass, field

import helpers.net.env  # noqa: F401  (TensorFlow's environment first)

import numpy as np  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from helpers.dynamics import DynamicsResult  # noqa: E402
from helpers.experiment import LESSON, make_data, make_model  # noqa: E402
from helpers.net.hessian import preconditioned_sharpness, sharpness  # noqa: E402
from helpers.net.models import mlp  # noqa: E402
from helpers.net.tracking import SharpnessTracker  # noqa: E402
from helpers.net.training import TrainResult, minibatch_order, train  # noqa: E402
from helpers.validation import check_int, check_lr, check_positive  # noqa: E402

__all__ = [
    "FixResult", "Init", "standardize_features", "make_model_with_init", "warmup_schedule",
    "baseline", "lower_rate", "rate_from_sharpness", "standardize", "centre_target", "adam", "adam_sweep",
    "init_scale", "init_comparison", "clipping", "mean_not_sum", "warmup", "run_all",
    "summary_table", "DEFAULT_FIXES",
]

BASELINE_LR = 1e-3
"""The thread's rate, which blows lesson 4's net up."""


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


class Init(enum.Enum):
    """A kernel initializer lesson 5 compares (its value is the name lessons and tables use).

    Examples
    --------
    >>> Init("he_normal").description
    'He normal: variance 2/fan_in (a normal cut at 2 standard deviations, rescaled to it; for ReLU-like units)'
    """

    GLOROT_UNIFORM = "glorot_uniform"
    HE_NORMAL = "he_normal"
    NORMAL_1 = "normal_1"

    @property
    def description(self):
        return {"glorot_uniform": "Glorot uniform (Keras default): variance 2/(fan_in + fan_out)",
                "he_normal": "He normal: variance 2/fan_in (a normal cut at 2 standard deviations, rescaled to it; for ReLU-like units)",
                "normal_1": "plain N(0, 1): no fan-in scaling"}[self.value]

    @property
    def initializer(self):
        """What :func:`helpers.net.models.mlp` takes as ``kernel_initializer``."""
        return keras.initializers.RandomNormal(stddev=1.0) if self is Init.NORMAL_1 else self.value


def _init(init):
    try:
        return Init(init)
    except ValueError:
        raise ValueError(f"init must be an Init or one of {[i.value for i in Init]}, got {init!r}") from None


def make_model_with_init(init=Init.GLOROT_UNIFORM, scale=1.0, config=LESSON, seed=None):
    """Lesson 4's net with another kernel initializer, every kernel then multiplied by ``scale``.

    ``init`` is an :class:`Init` or its name: ``"glorot_uniform"`` (the Keras default),
    ``"he_normal"`` or ``"normal_1"`` (N(0, 1), the "large init" of many hand-written nets).

    Examples
    --------
    >>> make_model_with_init("normal_1").name
    'lesson4_mlp_normal_1'
    """
    init = _init(init)
    check_positive(scale, "scale")
    seed = config.seed if seed is None else seed
    return mlp(config.n_features, (config.width,) * config.depth, config.activation,
               kernel_initializer=init.initializer, scale=scale, seed=seed, name=f"lesson4_mlp_{init.value}")


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
    record : the :class:`helpers.net.training.TrainResult` (per-step losses, rates, gradient
        and step norms).
    note : one line on what the fix does here.
    sharpness_steps, sharpness : with ``track_every``: the updates taken before each
        measurement of the full-data sharpness during training, and its values.
    sharpness_residual : with ``track_every``: the relative residual of each of those values.
    sharpness_check, sharpness_check_residual : with ``check_seed`` too: a second estimate at
        each measurement, from another start vector, and its relative residual
        (:class:`helpers.net.tracking.SharpnessTracker`).
    fraction : :func:`rate_from_sharpness`: the rate as a fraction of ``2 / sharpness``.
    raw_sharpness : :func:`standardize`: the sharpness on the raw features.
    rms_step, rms_weight, preconditioned_sharpness, adam_threshold : :func:`adam`: see there.
    clipped_fraction, max_step_over_bound : :func:`clipping`: see there.
    summed_record, batch_sharpness_mean, batch_sharpness_sum, batch_size : :func:`mean_not_sum`.

    Fields a fix does not measure are None.
    """

    name: str
    lr: float
    trains: bool
    final_loss: float
    sharpness_before: float
    sharpness_after: float
    seconds: float
    record: TrainResult | None = field(repr=False)
    note: str = ""
    sharpness_steps: np.ndarray | None = field(default=None, repr=False)
    sharpness: np.ndarray | None = field(default=None, repr=False)
    sharpness_residual: np.ndarray | None = field(default=None, repr=False)
    sharpness_check: np.ndarray | None = field(default=None, repr=False)
    sharpness_check_residual: np.ndarray | None = field(default=None, repr=False)
    fraction: float | None = None
    raw_sharpness: float | None = None
    rms_step: float | None = None
    rms_weight: float | None = None
    preconditioned_sharpness: float | None = None
    adam_threshold: float | None = None
    clipped_fraction: float | None = None
    max_step_over_bound: float | None = None
    summed_record: TrainResult | None = field(default=None, repr=False)
    batch_sharpness_mean: float | None = None
    batch_sharpness_sum: float | None = None
    batch_size: int | None = None

    @property
    def critical_lr_before(self):
        return 2.0 / self.sharpness_before if self.sharpness_before > 0 else math.inf

    def tracked(self):
        """The run as a :class:`helpers.dynamics.DynamicsResult` (minibatch loss per step and the
        sharpness tracked during training), for :func:`helpers.plots.draw_edge_runs`."""
        if self.sharpness is None:
            raise ValueError(f"{self.name}: the sharpness was not tracked during training (track_every)")
        return DynamicsResult(lr=self.lr, losses=self.record.losses, sharpness_steps=self.sharpness_steps,
                              sharpness=self.sharpness, stopped_at=self.record.diverged_at, run=self.record,
                              sharpness_residual=self.sharpness_residual, sharpness_check=self.sharpness_check,
                              sharpness_check_residual=self.sharpness_check_residual)

    def measured(self):
        """The fix's own numbers (its scalar fields that are not None), by field name.

        Examples
        --------
        >>> FixResult("demo", 1e-3, True, 0.5, 100.0, 50.0, 1.0, record=None, fraction=0.25).measured()
        {'fraction': 0.25}
        """
        names = ("fraction", "raw_sharpness", "rms_step", "rms_weight", "preconditioned_sharpness",
                 "adam_threshold", "clipped_fraction", "max_step_over_bound", "batch_sharpness_mean",
                 "batch_sharpness_sum", "batch_size")
        return {name: getattr(self, name) for name in names if getattr(self, name) is not None}

    def as_dict(self):
        """The fields of the benchmark's JSON line."""
        return {"trains": bool(self.trains), "final_loss": _json_float(self.final_loss),
                "sharpness_before": _json_float(self.sharpness_before),
                "sharpness_after": _json_float(self.sharpness_after),
                "seconds": round(self.seconds, 2)}


def _json_float(value):
    return float(value) if math.isfinite(value) else None


def _measure(name, model, x, y, optimizer, *, lr, note="", loss=None, epochs=LESSON.epochs, seed=0,
             start=None, sharpness_tol=1e-3, track_every=None, check_seed=None, before=None, **measured):
    """Sharpness before, train, sharpness after: the uniform shape of every fix.

    With ``track_every``, the sharpness is also measured every that many steps
    (:class:`helpers.net.tracking.SharpnessTracker`), and with ``check_seed`` estimated a second
    time there from another start vector. ``before``: the sharpness at the start
    when already known (lesson 4's untouched initial net). ``measured``: the fix's own fields.
    """
    start = time.perf_counter() if start is None else start
    before = sharpness(model, x, y, tol=sharpness_tol) if before is None else before
    if check_seed is not None and track_every is None:
        raise ValueError(f"check_seed={check_seed!r} needs track_every (the sharpness tracked during training)")
    tracker = None if track_every is None else SharpnessTracker(x, y, every=track_every, check_seed=check_seed)
    record = train(model, x, y, optimizer, loss=loss, epochs=epochs, batch_size=LESSON.batch_size, seed=seed,
                   callbacks=() if tracker is None else (tracker,))
    if tracker is not None:
        measured.update(sharpness_steps=tracker.steps, sharpness=tracker.values, sharpness_residual=tracker.residuals)
    if check_seed is not None:
        measured.update(sharpness_check=tracker.checks, sharpness_check_residual=tracker.check_residuals)
    after = float("nan") if record.diverged else sharpness(model, x, y, tol=sharpness_tol)
    return FixResult(name=name, lr=float(lr), trains=record.trained, final_loss=record.final_loss,
                     sharpness_before=before, sharpness_after=after,
                     seconds=time.perf_counter() - start, record=record, note=note, **measured)


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


def rate_from_sharpness(fraction=0.25, seed=0, track_every=None, check_seed=None):
    """SGD at ``fraction * 2 / sharpness`` measured at the initial weights.

    On a quadratic the best fixed rate is ``2 / (lambda_min + lambda_max)``, just under
    ``2 / lambda_max`` when ``lambda_min`` is tiny. A net is not a quadratic: on lesson 4's net
    the sharpness roughly triples while training at 1e-4 and each minibatch has its own, so the
    lesson keeps a margin of four (0.5 oscillates, 0.9 diverges). With ``track_every`` the
    sharpness is measured during training too, and with ``check_seed`` checked (see :func:`warmup`).
    """
    check_positive(fraction, "fraction")
    start = time.perf_counter()
    model, x, y = _experiment(seed)
    lam0 = _initial_sharpness(seed)
    lr = fraction * 2.0 / lam0
    return _measure(f"rate read off sharpness ({fraction:g} x 2/sharpness)", model, x, y,
                    keras.optimizers.SGD(lr), lr=lr, seed=seed, start=start,
                    note=f"lr = {lr:.2e}", fraction=fraction, track_every=track_every, check_seed=check_seed,
                    before=lam0)


def standardize(lr=BASELINE_LR, seed=0):
    """Standardize the features (mean 0, std 1), then plain SGD at 1e-3."""
    model, x, y = _experiment(seed)
    z = standardize_features(x)
    return _measure("standardized features", model, z, y, keras.optimizers.SGD(lr), lr=lr, seed=seed,
                    note="conditioning: sharpness falls", raw_sharpness=_initial_sharpness(seed))


def centre_target(lr=BASELINE_LR, seed=0):
    """Centre the target (subtract its mean), then plain SGD at ``lr`` on the raw features.

    Predicting ``y - mean(y)`` with a net ``f`` is predicting ``y`` with ``f + mean(y)``: the
    same as starting the output bias at the mean target. The errors, hence the mean squared
    error, are those of that net on ``y``, so the losses compare directly with the other fixes'
    (and the mean predictor's loss is unchanged). ``raw_sharpness``: the sharpness with the raw
    target.
    """
    model, x, y = _experiment(seed)
    y_centred = (y - np.mean(y)).astype(np.float32)
    return _measure("centred target", model, x, y_centred, keras.optimizers.SGD(lr), lr=lr, seed=seed,
                    note="smaller errors: sharpness falls", raw_sharpness=_initial_sharpness(seed))


def adam(lr=BASELINE_LR, seed=0, epochs=LESSON.epochs):
    """Adam (Keras defaults: beta1 = 0.9, beta2 = 0.999) at ``lr`` on the raw data.

    The result holds two step sizes: ``rms_step`` (median over the steps of the
    root-mean-square change of a weight, ``step_norm / sqrt(weights)``) and ``rms_weight`` (the
    root-mean-square initial weight); and, when the run stayed finite, Adam's preconditioned
    sharpness at the end (:func:`helpers.net.hessian.preconditioned_sharpness` with the
    preconditioner the loop computed from the gradients it saw,
    :attr:`helpers.net.training.TrainResult.adam_preconditioner`) and the threshold ``38 / lr``
    Cohen et al. (2022) found for it.
    """
    model, x, y = _experiment(seed)
    n = int(sum(np.prod(v.shape) for v in model.trainable_variables))
    rms_weight = float(np.sqrt(sum(np.sum(np.square(w)) for w in model.get_weights()) / n))
    result = _measure(f"Adam ({lr:g})", model, x, y, keras.optimizers.Adam(lr), lr=lr, seed=seed, epochs=epochs,
                      note="per-weight step scaling", before=_initial_sharpness(seed), rms_weight=rms_weight)
    record = result.record
    applied = record.step_norm[:len(record.losses) - record.diverged]
    result.rms_step = float(np.median(applied) / math.sqrt(n))
    if not record.diverged:
        result.preconditioned_sharpness = preconditioned_sharpness(model, x, y, record.adam_preconditioner,
                                                                   tol=1e-3, max_hvps=300)
        result.adam_threshold = 38.0 / lr
    return result


def adam_sweep(lrs=(1e-3, 1e-2, 1e-1, 1.0, 10.0), seed=0, epochs=LESSON.epochs, progress=False):
    """Adam at several rates from the same initial net: a list of :class:`FixResult`."""
    iterator = lrs
    if progress:
        from tqdm.auto import tqdm
        iterator = tqdm(lrs, desc="Adam at each lr", leave=False)
    return [adam(float(lr), seed=seed, epochs=epochs) for lr in iterator]


def init_scale(init=Init.HE_NORMAL, scale=1.0, lr=BASELINE_LR, seed=0, track_every=None, check_seed=None):
    """Lesson 4's net with another weight initialization (an :class:`Init` or its name), SGD at ``lr``.

    With ``track_every`` the sharpness is measured during training too, and with ``check_seed``
    checked (see :func:`warmup`).
    """
    init = _init(init)
    x, y = make_data(LESSON, seed)
    model = make_model_with_init(init, scale, seed=seed)
    label = init.value if scale == 1.0 else f"{init.value} x {scale:g}"
    return _measure(f"init {label} ({lr:g})", model, x, y, keras.optimizers.SGD(lr), lr=lr, seed=seed,
                    note=init.description, track_every=track_every, check_seed=check_seed)


def init_comparison(inits=tuple(Init), seed=0):
    """Sharpness and ``critical_lr`` at initialization for each initializer (no training).

    A dict keyed by the ``inits`` given (an :class:`Init` or its name each).
    """
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
    The result holds ``clipped_fraction`` (steps whose gradient norm over all weights exceeded
    ``c``: the ones that were clipped) and ``max_step_over_bound`` (the longest step taken,
    divided by ``lr * c``).
    """
    clipnorm = check_positive(clipnorm, "clipnorm")
    model, x, y = _experiment(seed)
    optimizer = keras.optimizers.SGD(lr, global_clipnorm=clipnorm)
    result = _measure(f"gradient clipping (global_clipnorm={clipnorm:g})", model, x, y, optimizer,
                      lr=lr, seed=seed, note="bounds every step to lr x clip", before=_initial_sharpness(seed))
    record = result.record
    applied = slice(0, len(record.losses) - record.diverged)
    result.clipped_fraction = float(np.mean(record.grad_norm[applied] > clipnorm))
    result.max_step_over_bound = float(np.max(record.step_norm[applied]) / (lr * clipnorm))
    return result


def mean_not_sum(lr=1e-4, seed=0):
    """The summed loss against the mean at the same ``lr``.

    The returned result is the *fix* (mean loss); it also holds the summed run
    (``summed_record``, its losses are the batches' *summed* squared errors), and the
    sharpness of the mean and of the sum on the first minibatch (the sum's is batch-size
    times larger).
    """
    start = time.perf_counter()
    model, x, y = _experiment(seed)
    batch = minibatch_order(x.shape[0], LESSON.batch_size, 1, seed)[0]
    xb, yb = x[batch], y[batch]
    summed_loss = keras.losses.MeanSquaredError(reduction="sum")
    mean_sharp = sharpness(model, xb, yb, tol=1e-6, max_hvps=300)
    sum_sharp = sharpness(model, xb, yb, loss=summed_loss, tol=1e-6, max_hvps=300)
    summed = train(model, x, y, keras.optimizers.SGD(lr), loss=summed_loss, epochs=LESSON.epochs,
                   batch_size=LESSON.batch_size, seed=seed)
    model, x, y = _experiment(seed)
    return _measure(f"reduce_mean, not reduce_sum ({lr:g})", model, x, y, keras.optimizers.SGD(lr),
                    lr=lr, seed=seed, start=start, note="a summed loss acts as lr x batch size",
                    before=_initial_sharpness(seed), summed_record=summed, batch_sharpness_mean=mean_sharp,
                    batch_sharpness_sum=sum_sharp, batch_size=LESSON.batch_size)


def warmup(lr=BASELINE_LR, warmup_steps=32, seed=0, epochs=LESSON.epochs, track_every=2, check_seed=None):
    """SGD whose rate rises linearly from ``lr / 100`` to ``lr`` over ``warmup_steps`` steps.

    The full-data sharpness is measured every ``track_every`` steps during the run
    (``sharpness_steps``, ``sharpness``, ``sharpness_residual``; None: not tracked). With
    ``check_seed`` each measurement is repeated from a random start vector of that seed
    instead of the warm start (``sharpness_check``, ``sharpness_check_residual``).
    """
    model, x, y = _experiment(seed)
    optimizer = keras.optimizers.SGD(warmup_schedule(lr, warmup_steps))
    return _measure(f"warm-up to {lr:g} over {warmup_steps} steps", model, x, y, optimizer, lr=lr,
                    seed=seed, epochs=epochs, note="rate rises linearly", track_every=track_every,
                    check_seed=check_seed, before=_initial_sharpness(seed))


DEFAULT_FIXES = {
    "baseline": baseline,
    "lower_rate": lower_rate,
    "rate_from_sharpness": rate_from_sharpness,
    "standardize": standardize,
    "adam": adam,
    "he_init": lambda seed=0: init_scale(Init.HE_NORMAL, seed=seed),
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
    >>> row = FixResult("demo", 1e-3, True, 0.5, 100.0, 50.0, 1.0, record=None)
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
