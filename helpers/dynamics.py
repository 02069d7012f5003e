"""Lesson 6's recipes: how the sharpness itself moves while a small net trains (over :mod:`helpers.net`).

Lessons 1-5 treat the sharpness as a fixed property of the loss. In a network it changes
with the weights, and the learning rate pushes back on it. This module measures that on
small nets (a narrow MLP on a small synthetic regression set), fast enough for a lesson:

* :func:`gd_with_sharpness` -- full-batch gradient descent at a fixed ``lr``, the loss every
  step and the sharpness every ``every`` steps. With a rate below ``2 / sharpness`` at the
  start, the sharpness typically rises ("progressive sharpening") until it reaches about
  ``2 / lr`` and then hovers there while the loss keeps falling, non-monotonically: the
  **edge of stability** (Cohen et al., ICLR 2021).
* :func:`catapult_runs` -- gradient descent at multiples of ``2 / sharpness_0``: a little above,
  the net can be thrown to a region of lower sharpness and train on (the **catapult**,
  Lewkowycz et al. 2020; the loss may or may not rise first); far above, it diverges.
  :func:`catapult_seeds` repeats one multiple over several seeds.
* :func:`minibatch_sharpness` -- the sharpness of each minibatch's loss against the full
  batch's: a rate safely below ``2 / sharpness`` of the full batch can still be above it for
  some minibatches.
* :func:`gradient_curvature_along_run` -- Goodfellow's second-order change of each step of a
  full-batch run, at the weights that step starts from; :func:`loss_along_steps` -- the actual
  loss along each such step, where the second-order change is only a model of it;
  :func:`edge_at_rises` -- the steps on
  which a run's loss rose, against the sharpness last measured before them.

Every step is taken by :func:`helpers.net.training.train` (full batch: ``batch_size=None``), the
sharpness is measured by :class:`helpers.net.tracking.SharpnessTracker`, and every curvature by
:class:`helpers.net.hessian.HessianOperator`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import helpers.net.env  # noqa: F401  (TensorFlow's environment first)

import numpy as np  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from helpers.eigen import top_eigenpair  # noqa: E402
from helpers.net.hessian import HessianOperator, min_eigenvalue  # noqa: E402
from helpers.net.models import mlp  # noqa: E402
from helpers.net.tracking import SharpnessTracker  # noqa: E402
from helpers.net.training import TrainResult, train  # noqa: E402
from helpers.validation import check_int, check_lr, check_positive  # noqa: E402

__all__ = ["SmallSetting", "SMALL", "make_small_data", "make_small_model", "DynamicsResult",
           "gd_with_sharpness", "catapult_runs", "catapult_seeds", "minibatch_sharpness",
           "MinibatchSharpness", "eos_summary", "GradientCurvature", "gradient_curvature",
           "gradient_curvature_along_run", "loss_along_steps", "gradient_along_min_eigenvector", "EdgeAtRises", "edge_at_rises"]


@dataclass(frozen=True)
class SmallSetting:
    """A small regression problem and net for lesson 6 (seconds per run on 2 cores).

    ``n_samples`` rows of ``n_features`` standard normal inputs; the target is a fixed smooth
    function of them (a sum of sines of random projections) plus a little noise. The net is
    an MLP with ``depth`` hidden layers of ``width`` units.
    """

    n_samples: int = 256
    n_features: int = 4
    width: int = 16
    depth: int = 2
    activation: str = "tanh"
    noise: float = 0.05
    seed: int = 0


SMALL = SmallSetting()


def make_small_data(setting=SMALL, seed=None):
    """``x`` (n, features), ``y`` (n, 1), float32, generated in code from ``seed``.

    Examples
    --------
    >>> x, y = make_small_data()
    >>> x.shape, y.shape
    ((256, 4), (256, 1))
    """
    seed = setting.seed if seed is None else check_int(seed, "seed")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((setting.n_samples, setting.n_features))
    proj = np.random.default_rng(12345).standard_normal((setting.n_features, 3))
    y = np.sin(x @ proj).sum(axis=1) + setting.noise * rng.standard_normal(setting.n_samples)
    return x.astype(np.float32), y.reshape(-1, 1).astype(np.float32)


def make_small_model(setting=SMALL, seed=None):
    """The small MLP (Glorot-uniform weights, zero biases), seeded (:func:`helpers.net.models.mlp`)."""
    seed = setting.seed if seed is None else check_int(seed, "seed")
    return mlp(setting.n_features, (setting.width,) * setting.depth, setting.activation, seed=seed,
               name="small_mlp")


@dataclass
class DynamicsResult:
    """A training run with the full-data sharpness tracked (:func:`gd_with_sharpness`,
    :meth:`helpers.fixes.FixResult.tracked`), in the field names of
    :class:`helpers.net.training.TrainResult` where they mean the same thing.

    Attributes
    ----------
    lr : the learning rate.
    losses : (steps,) the loss of each step's batch before that step (full batch: the full-data
        mean squared error); :attr:`TrainResult.losses` of ``run``.
    sharpness_steps, sharpness : the steps at which the sharpness was measured and its values.
    stopped_at : the step at which the run was stopped as a blow-up, or None: its first
        non-finite loss (``run.diverged_at``) or, for :func:`gd_with_sharpness`, the first loss
        above ``blowup`` times the first step's, which may still be finite.
    run : the :class:`helpers.net.training.TrainResult` of the loop (None for a made-up result).
    sharpness_residual, sharpness_check, sharpness_check_residual : when measured, the relative
        residual of each sharpness value, and a second estimate from another start vector with
        its relative residual (:class:`helpers.net.tracking.SharpnessTracker`); else None.
    """

    lr: float
    losses: np.ndarray
    sharpness_steps: np.ndarray
    sharpness: np.ndarray
    stopped_at: int | None = None
    run: TrainResult | None = None
    sharpness_residual: np.ndarray | None = None
    sharpness_check: np.ndarray | None = None
    sharpness_check_residual: np.ndarray | None = None

    @property
    def critical_lr(self):
        """``2 / lr``: the sharpness at which this rate sits on the edge."""
        return 2.0 / self.lr

    @property
    def stopped(self):
        """True if the run was stopped as a blow-up (see ``stopped_at``)."""
        return self.stopped_at is not None


@dataclass(frozen=True)
class EdgeAtRises:
    """How a run's loss rises line up with the sharpness above the edge (see :func:`edge_at_rises`).

    Attributes
    ----------
    rises : steps on which the loss rose.
    rises_above : of those, steps whose last measured sharpness was above ``2 / lr``.
    falls_above : steps on which the loss did not rise although the last measured sharpness was above ``2 / lr``.
    """

    rises: int
    rises_above: int
    falls_above: int


def edge_at_rises(run):
    """Count the steps on which the loss rose, and whether the sharpness last measured was above ``2 / lr``.

    Step ``k`` rises when ``losses[k + 1] > losses[k]``; its sharpness is the last measurement at or
    before step ``k`` (measured every few steps, so it may be a few steps old). Steps from the
    one the run was stopped at (``stopped_at``) on are not counted.

    Examples
    --------
    >>> run = DynamicsResult(lr=0.1, losses=np.array([1.0, 2.0, 1.5, 1.8, 1.0]),
    ...                      sharpness_steps=np.array([0, 2]), sharpness=np.array([25.0, 15.0]))
    >>> edge_at_rises(run)
    EdgeAtRises(rises=2, rises_above=1, falls_above=1)
    """
    if not isinstance(run, DynamicsResult):
        raise TypeError(f"run must be a DynamicsResult, got {type(run).__name__}")
    end = len(run.losses) if run.stopped_at is None else run.stopped_at
    steps = np.arange(max(end - 1, 0))
    measured = np.searchsorted(run.sharpness_steps, steps, side="right") - 1
    above = run.sharpness[measured] * run.lr / 2 > 1
    rise = np.diff(run.losses[:end]) > 0
    return EdgeAtRises(rises=int(rise.sum()), rises_above=int((rise & above).sum()), falls_above=int((~rise & above).sum()))


class _BlowUp(keras.callbacks.Callback):
    """Stop training once a step's loss exceeds ``factor`` times the first step's."""

    def __init__(self, factor):
        super().__init__()
        self.factor, self.first, self.at, self.step = factor, None, None, 0

    def on_train_batch_end(self, batch, logs=None):
        loss = logs["loss"]
        self.first = loss if self.first is None else self.first
        if math.isfinite(loss) and loss > self.factor * self.first:
            self.at = self.step
            self.model.stop_training = True
        self.step += 1


def gd_with_sharpness(model, x, y, lr, steps, every=10, blowup=1e6, progress=False, desc=None, check_seed=None):
    """Full-batch gradient descent at ``lr`` on the mean squared error, sharpness every ``every`` steps.

    The model is trained in place by :func:`helpers.net.training.train` with plain SGD and
    ``batch_size=None``. The sharpness (largest Hessian eigenvalue of the full-batch loss) is
    measured by :class:`helpers.net.tracking.SharpnessTracker` (Lanczos on Hessian-vector
    products, each time warm-started from the previous eigenvector).

    Parameters
    ----------
    model : keras.Model
    x, y : arrays
    lr : float
    steps : int
    every : int
        Measure the sharpness at steps 0, every, 2 every, ... (before that step's update).
    blowup : float
        Stop once the loss exceeds ``blowup`` times its initial value (``stopped_at``, as at a
        non-finite loss).
    progress : bool
        Show a ``tqdm.auto`` bar.
    check_seed : int, optional
        Estimate the sharpness a second time at each measurement from a random start vector of
        this seed (``sharpness_check``), to check the warm-started estimate.

    Returns
    -------
    DynamicsResult

    Examples
    --------
    >>> x, y = make_small_data()
    >>> run = gd_with_sharpness(make_small_model(), x, y, lr=0.05, steps=20, every=10)
    >>> run.sharpness_steps.tolist(), bool(run.losses[-1] < run.losses[0]), run.stopped_at
    ([0, 10], True, None)
    """
    lr = check_lr(lr)
    steps = check_int(steps, "steps", 1)
    every = check_int(every, "every", 1)
    x = np.asarray(x, np.float32)
    y = np.asarray(y, np.float32).reshape(len(x), -1)
    stop = _BlowUp(blowup)
    tracker = SharpnessTracker(x, y, every=every, at_end=False, check_seed=check_seed)
    bar = desc or f"gradient descent at lr = {lr:.3g}"
    run = train(model, x, y, keras.optimizers.SGD(learning_rate=lr), epochs=steps, batch_size=None,
                callbacks=[stop, tracker], progress=bar if progress else False)
    stopped_at = run.diverged_at if run.diverged else stop.at
    checked = {} if check_seed is None else dict(sharpness_check=tracker.checks,
                                                 sharpness_check_residual=tracker.check_residuals)
    return DynamicsResult(lr=lr, losses=run.losses, sharpness_steps=tracker.steps, sharpness=tracker.values,
                          stopped_at=stopped_at, run=run, sharpness_residual=tracker.residuals, **checked)


def eos_summary(run, after_step):
    """Sharpness after ``after_step`` relative to ``2 / lr``: (median ratio, min ratio, max ratio).

    Examples
    --------
    >>> run = DynamicsResult(0.1, np.ones(3), np.array([0, 10, 20]), np.array([5.0, 19.0, 21.0]))
    >>> np.round(eos_summary(run, 10), 6).tolist()
    [1.0, 0.95, 1.05]
    """
    keep = run.sharpness_steps >= after_step
    if not keep.any():
        raise ValueError(f"no sharpness measured at or after step {after_step}")
    ratio = run.sharpness[keep] * run.lr / 2.0
    return float(np.median(ratio)), float(ratio.min()), float(ratio.max())


def catapult_runs(multiples=(0.5, 1.5, 10.0), steps=200, every=5, setting=SMALL, seed=None,
                  progress=False):
    """Gradient descent from the same initial net at ``lr = m * 2 / sharpness_0`` for each ``m``.

    Returns
    -------
    (sharpness_0, list of DynamicsResult)
    """
    x, y = make_small_data(setting, seed)
    model = make_small_model(setting, seed)
    initial = model.get_weights()
    op = HessianOperator(model, x, y)
    lam0 = top_eigenpair(op.matvec, op.shape[0], tol=1e-6)[0]
    runs = []
    iterator = multiples
    if progress:
        from tqdm.auto import tqdm
        iterator = tqdm(multiples, desc="gradient descent at each multiple of 2/sharpness", leave=False)
    for m in iterator:
        model.set_weights(initial)
        runs.append(gd_with_sharpness(model, x, y, m * 2.0 / lam0, steps, every=every))
    model.set_weights(initial)
    return lam0, runs


def catapult_seeds(multiple=1.5, seeds=range(5), steps=200, every=5, setting=SMALL, progress=False):
    """:func:`catapult_runs` at one ``multiple`` of ``2 / sharpness_0`` for each data/weight seed.

    Returns
    -------
    (array of sharpness_0 per seed, list of DynamicsResult)
    """
    seeds = [check_int(s, "seed") for s in seeds]
    iterator = seeds
    if progress:
        from tqdm.auto import tqdm
        iterator = tqdm(seeds, desc=f"gradient descent at {multiple:g} x 2/sharpness, each seed", leave=False)
    lams, runs = [], []
    for seed in iterator:
        lam0, (run,) = catapult_runs((multiple,), steps=steps, every=every, setting=setting, seed=seed)
        lams.append(lam0)
        runs.append(run)
    return np.array(lams), runs


@dataclass
class MinibatchSharpness:
    """Sharpness of the full-batch loss and of each minibatch's loss at the same weights."""

    full: float
    batches: np.ndarray
    batch_size: int

    @property
    def fraction_above_full(self):
        return float(np.mean(self.batches > self.full))


def minibatch_sharpness(model, x, y, batch_size=32, n_batches=16, seed=0):
    """Sharpness of the mean squared error on all of ``x`` and on ``n_batches`` random minibatches.

    Examples
    --------
    >>> x, y = make_small_data()
    >>> result = minibatch_sharpness(make_small_model(), x, y, batch_size=16, n_batches=4)
    >>> result.batches.shape
    (4,)
    """
    batch_size = check_int(batch_size, "batch_size", 1)
    n_batches = check_int(n_batches, "n_batches", 1)
    x = np.asarray(x, np.float32)
    y = np.asarray(y, np.float32).reshape(len(x), -1)
    if batch_size > len(x):
        raise ValueError(f"batch_size must be at most {len(x)}, got {batch_size}")
    op = HessianOperator(model, x, y)
    full = top_eigenpair(op.matvec, op.shape[0], tol=1e-4, seed=seed)[0]
    # One operator for every minibatch: its loss is the mean squared error over the rows a
    # 0/1 mask selects, and the mask is swapped per batch (no new TensorFlow graph each time).
    mask = tf.Variable(tf.zeros((len(x), 1), tf.float32), trainable=False)
    op_b = HessianOperator(model, x, y, loss=lambda t, p: tf.reduce_sum(mask * tf.square(p - t)) / batch_size)
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n_batches):
        chosen = np.zeros((len(x), 1), np.float32)
        chosen[rng.choice(len(x), batch_size, replace=False)] = 1.0
        mask.assign(chosen)
        values.append(top_eigenpair(op_b.matvec, op_b.shape[0], tol=1e-4, seed=seed)[0])
    return MinibatchSharpness(full=full, batches=np.array(values), batch_size=batch_size)


@dataclass
class GradientCurvature:
    """Goodfellow's second-order picture of one full-batch gradient step (see :func:`gradient_curvature`).

    Attributes
    ----------
    loss : the full-batch mean squared error.
    gg : ``g^T g``, the squared gradient norm.
    ghg : ``g^T H g``.
    """

    loss: float
    gg: float
    ghg: float

    @property
    def curvature_along_gradient(self):
        """``g^T H g / g^T g``: the curvature of the loss along the gradient's direction."""
        return self.ghg / self.gg

    @property
    def turning_lr(self):
        """``2 g^T g / g^T H g``: the step beyond which the second-order change is positive (inf if never)."""
        return 2.0 * self.gg / self.ghg if self.ghg > 0 else math.inf

    def change(self, lr):
        """The second-order change ``lr**2 / 2 g^T H g - lr g^T g`` of a step of size ``lr``."""
        return 0.5 * lr ** 2 * self.ghg - lr * self.gg


def gradient_curvature(model, x, y):
    """The loss, ``g^T g`` and ``g^T H g`` of the full-batch mean squared error at the current weights.

    Examples
    --------
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, kernel_initializer="ones")])
    >>> gc = gradient_curvature(model, np.array([[1.0], [3.0]]), np.zeros((2, 1)))
    >>> gc.loss, gc.gg, round(gc.curvature_along_gradient, 4)
    (5.0, 116.0, 11.6552)
    """
    return _curvature_along_gradient(
        HessianOperator(model, np.asarray(x, np.float32), np.asarray(y, np.float32).reshape(len(x), -1)))


def _curvature_along_gradient(op):
    """:class:`GradientCurvature` at the operator's current weights: the loss, gᵀg and gᵀHg."""
    loss, g = op.loss_and_gradient()
    return GradientCurvature(loss=loss, gg=float(g @ g), ghg=float(g @ op.matvec(g)))


def gradient_along_min_eigenvector(model, x, y, tol=1e-3):
    """The most negative Hessian eigenvalue of the full-batch mean squared error and the gradient's
    component along its (unit) eigenvector, ``(lambda_min, |g . u|)``
    (:func:`helpers.net.hessian.min_eigenvalue` with ``return_info=True``, at most 300 products).

    On the quadratic model, gradient descent multiplies that component by ``1 - lr * lambda_min``
    per step, and the model's loss along ``u`` changes by ``(g_t**2 - g_u**2) / (2 lambda_min)``
    once the component has grown from ``g_u`` to ``g_t``.

    Examples
    --------
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, kernel_initializer="ones")])
    >>> lam, g_u = gradient_along_min_eigenvector(model, np.array([[1.0], [3.0]]), np.zeros((2, 1)))
    >>> round(lam, 4), round(g_u, 3)
    (0.3431, 0.131)
    """
    check_positive(tol, "tol")
    x, y = np.asarray(x, np.float32), np.asarray(y, np.float32).reshape(len(x), -1)
    _, g = HessianOperator(model, x, y).loss_and_gradient()
    bottom = min_eigenvalue(model, x, y, tol=tol, max_hvps=300, seed=0, return_info=True)
    return bottom.min_eigenvalue, abs(float(g @ bottom.vector))


class _CurvatureAlongGradient(keras.callbacks.Callback):
    """Record :class:`GradientCurvature` at the weights each step starts from (one operator for the run)."""

    def __init__(self, x, y):
        super().__init__()
        self.data, self.values = (x, y), []

    def on_train_begin(self, logs=None):
        self._op = HessianOperator(self.model, *self.data)

    def on_train_batch_begin(self, batch, logs=None):
        self.values.append(_curvature_along_gradient(self._op))


def gradient_curvature_along_run(model, x, y, lr, steps):
    """Goodfellow's second-order picture at the weights each step of full-batch gradient descent starts from.

    Takes ``steps`` full-batch steps at ``lr`` (in place, by :func:`helpers.net.training.train`)
    and, before each, measures what :func:`gradient_curvature` measures at the initial weights.

    Parameters
    ----------
    model : keras.Model
    x, y : arrays
    lr : float
    steps : int

    Returns
    -------
    list of GradientCurvature
        One per step, measured before it; compare ``result[k].change(lr)`` with the loss the
        step actually reached (``result[k + 1].loss``).

    Examples
    --------
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, kernel_initializer="ones")])
    >>> along = gradient_curvature_along_run(model, np.array([[1.0], [3.0]]), np.zeros((2, 1)), lr=0.01, steps=2)
    >>> [round(c.loss, 4) for c in along]          # before step 0, before step 1
    [5.0, 3.9076]
    >>> round(along[0].loss + along[0].change(0.01), 4)    # the second-order prediction: exact for a linear model
    3.9076
    """
    lr = check_lr(lr)
    steps = check_int(steps, "steps", 1)
    x = np.asarray(x, np.float32)
    y = np.asarray(y, np.float32).reshape(len(x), -1)
    probe = _CurvatureAlongGradient(x, y)
    train(model, x, y, keras.optimizers.SGD(learning_rate=lr), epochs=steps, batch_size=None, callbacks=[probe],
          progress=False)
    return probe.values


class _LossAlongStep(keras.callbacks.Callback):
    """Before each step, the loss at ``w - s g`` for each size ``s``; the weights are restored exactly."""

    def __init__(self, x, y, sizes):
        super().__init__()
        self.data, self.sizes, self.losses = (x, y), sizes, []

    def on_train_begin(self, logs=None):
        self._op = HessianOperator(self.model, *self.data)

    def on_train_batch_begin(self, batch, logs=None):
        op = self._op
        start = [v.numpy() for v in op.variables]
        _, g = op.loss_and_gradient()
        pieces = np.split(g, np.cumsum(op.sizes)[:-1])
        row = []
        for size in self.sizes:
            for v, w, piece in zip(op.variables, start, pieces):
                v.assign((w - size * piece.reshape(w.shape)).astype(w.dtype))
            row.append(op.loss_value())
        for v, w in zip(op.variables, start):
            v.assign(w)
        self.losses.append(row)


def loss_along_steps(model, x, y, lr, steps, points=61):
    """The full-batch loss along each step of full-batch gradient descent, not a model of it.

    Takes ``steps`` full-batch steps at ``lr`` (in place, by :func:`helpers.net.training.train`,
    as :func:`gradient_curvature_along_run` does) and, before each, evaluates the mean squared
    error at ``w - s g`` (``w`` the weights the step starts from, ``g`` their full-batch
    gradient) for ``points`` step sizes ``s`` from 0 to ``lr``: 0, then geometrically spaced
    from ``lr / 1000`` to ``lr``. The last size is the step itself.

    Parameters
    ----------
    model : keras.Model
    x, y : arrays
    lr : float
    steps : int
    points : int
        Number of step sizes, at least 3.

    Returns
    -------
    sizes : (points,) array
        The step sizes, ``sizes[0] = 0`` and ``sizes[-1] = lr``.
    losses : (steps, points) array
        ``losses[k, j]``: the loss at size ``sizes[j]`` along step ``k``'s gradient.

    Examples
    --------
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, kernel_initializer="ones")])
    >>> sizes, losses = loss_along_steps(model, np.array([[1.0], [3.0]]), np.zeros((2, 1)), lr=0.1, steps=1)
    >>> [round(float(v), 4) for v in (sizes[-1], losses[0, 0], losses[0, -1])]   # mean((1 - 14 s)^2, (3 - 34 s)^2) / 2
    [0.1, 5.0, 0.16]
    """
    lr = check_lr(lr)
    steps = check_int(steps, "steps", 1)
    points = check_int(points, "points", 3)
    x = np.asarray(x, np.float32)
    y = np.asarray(y, np.float32).reshape(len(x), -1)
    sizes = np.concatenate([[0.0], np.geomspace(lr / 1000, lr, points - 1)])
    probe = _LossAlongStep(x, y, sizes)
    train(model, x, y, keras.optimizers.SGD(learning_rate=lr), epochs=steps, batch_size=None, callbacks=[probe],
          progress=False)
    return sizes, np.array(probe.losses)
