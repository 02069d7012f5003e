"""The lesson-4 Keras experiment: a small MLP on raw, unnormalised data, trained with plain SGD.

The thread (Data Science Stack Exchange, "Why is learning rate causing my neural network's
weights to skyrocket?") trained a TensorFlow net whose loss went from the thousands to a
trillion to nan within an epoch at lr = 1e-3, and trained fine at lr = 1e-4. This module
rebuilds that situation so it happens on every machine, every time:

* :func:`make_data` -- four raw features uniform in [0, 15] and a target around 100, so the
  mean squared error starts near 10,000 (nothing is normalised, as in the thread);
* :func:`make_model` -- a Keras MLP 4 -> 64 -> 64 -> 1 with leaky ReLU;
* :func:`train_sgd` -- plain SGD written out as TensorFlow 1's ``optimizer.minimize(loss)`` did
  it for a gradient-descent optimizer, one step ``w <- w - lr * grad L(w)`` per minibatch,
  recording per-step loss, gradient norm, weight norms per layer and the first non-finite step;
* :func:`fit_sgd` -- the same training through ``model.fit``, the API students know;
* :func:`lr_sweep` -- the same initial net trained at many rates (for the lesson's slider);
* :func:`nan_autopsy` -- replays the last steps in float32 numpy to find the operation that
  produced the first nan (``inf - inf`` or ``0 * inf``);
* :func:`sharpness_along` -- the full-batch sharpness measured step by step along an SGD run;
* :func:`second_order_check` -- Goodfellow's second-order prediction of one full-batch gradient
  step's change in loss, against the change the step actually makes, over many step sizes.

The thread does not say which optimizer the asker used (they tried several). Plain gradient
descent is the optimizer whose behaviour the thread's answers explain, so it is the one used here.

Keras 3 optimizers have no ``minimize``. Its equivalent is a ``tf.GradientTape`` that records
the loss and ``optimizer.apply_gradients(zip(grads, model.trainable_variables))``.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from helpers.curvature import HessianOperator, SharpnessResult, check_model, check_xy, top_eigenpair  # noqa: E402
from helpers.validation import check_int, check_lr  # noqa: E402

tf.config.experimental.enable_op_determinism()

__all__ = [
    "LessonConfig", "LESSON", "make_data", "make_model", "make_experiment", "TrainResult",
    "train_sgd", "fit_sgd", "lr_sweep", "SweepResult", "NanAutopsy", "nan_autopsy",
    "set_seed", "mse", "minibatch_order", "TrainingOutcome", "StepCheck", "second_order_check",
    "SharpnessTrace", "sharpness_along",
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


def set_seed(seed):
    """Seed Python, numpy and TensorFlow (``keras.utils.set_random_seed``).

    Examples
    --------
    >>> set_seed(0)
    """
    keras.utils.set_random_seed(check_int(seed, "seed"))


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
    """The lesson's Keras MLP (Glorot-uniform weights, zero biases), seeded.

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
    set_seed(seed)
    layers = [keras.Input(shape=(config.n_features,))]
    layers += [keras.layers.Dense(config.width, activation=config.activation, name=f"hidden{i + 1}")
               for i in range(config.depth)]
    layers += [keras.layers.Dense(1, name="output")]
    return keras.Sequential(layers, name="lesson4_mlp")


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
    check_model(model)
    x, y = check_xy(x, y, single_target=True)
    pred = model(x, training=False)
    return float(tf.reduce_mean(tf.square(pred - y)))


# --------------------------------------------------------------------------- training
def minibatch_order(n, batch_size, epochs, seed):
    """The rows of every minibatch: an int32 array of shape (epochs * (n // batch_size), batch_size).

    Each epoch is a fresh permutation of the ``n`` rows, drawn from one generator seeded with
    ``seed``; rows that do not fill a last minibatch are skipped. :func:`train_sgd` and
    :func:`helpers.fixes.train` both use it, so runs with the same seed see the same data.

    Parameters
    ----------
    n, batch_size, epochs : int
    seed : int (or anything else ``numpy.random.default_rng`` accepts)

    Examples
    --------
    >>> order = minibatch_order(5, 2, epochs=2, seed=0)
    >>> order.shape, order.dtype.name
    ((4, 2), 'int32')
    >>> len(set(order[:2].ravel().tolist()))  # no row twice within an epoch
    4
    """
    n = check_int(n, "n", 1)
    batch_size = check_int(batch_size, "batch_size", 1)
    epochs = check_int(epochs, "epochs", 1)
    if batch_size > n:
        raise ValueError(f"batch_size must be at most n ({n}), got {batch_size}")
    rng = np.random.default_rng(seed)
    per_epoch = n // batch_size
    order = np.concatenate([rng.permutation(n)[: per_epoch * batch_size] for _ in range(epochs)])
    return order.reshape(-1, batch_size).astype(np.int32)


class TrainingOutcome:
    """``diverged`` and ``trained`` for a training record (lesson 4's criterion, defined once).

    A base for dataclasses with the fields ``first_nonfinite_step`` (int or None),
    ``initial_loss`` and ``final_loss`` (full-data losses before and after training), such as
    :class:`TrainResult` and :class:`helpers.fixes.TrainRecord`.

    Examples
    --------
    >>> @dataclass
    ... class Run(TrainingOutcome):
    ...     first_nonfinite_step: int | None
    ...     initial_loss: float
    ...     final_loss: float
    >>> Run(None, 100.0, 40.0).trained, Run(None, 100.0, 60.0).trained, Run(3, 100.0, float("nan")).diverged
    (True, False, True)
    """

    @property
    def diverged(self):
        """True when a non-finite loss stopped training."""
        return self.first_nonfinite_step is not None

    @property
    def trained(self):
        """True when training stayed finite and at least halved the full-data loss."""
        return (not self.diverged and math.isfinite(self.final_loss)
                and self.final_loss <= 0.5 * self.initial_loss)


@dataclass
class TrainResult(TrainingOutcome):
    """What a training run recorded, one entry per SGD step (minibatch).

    Attributes
    ----------
    lr : the learning rate.
    loss : (steps,) minibatch loss at each step, before that step's update (what the
        thread printed).
    full_loss : (steps,) full-data mean squared error at each step, before that step's update.
    grad_norm : (steps,) Euclidean norm of the minibatch gradient over all weights.
    weight_norm : (steps,) Euclidean norm of all weights before each step.
    layer_norms : (steps, layers) norm of each layer's weights (kernel and bias) before each step.
    layer_names : names of the layers in ``layer_norms``.
    first_nonfinite_step : index of the first step whose loss was inf or nan, or None.
        Training stops there: that step's update is not applied.
    steps_per_epoch : minibatches per epoch.
    initial_loss, final_loss : full-data mean squared error before and after training
        (``final_loss`` is nan when training diverged).
    batch_index : (planned steps, batch_size) rows of ``x`` for every planned step
        (also those after a divergence, so :func:`nan_autopsy` can continue the run).
    """

    lr: float
    loss: np.ndarray
    full_loss: np.ndarray
    grad_norm: np.ndarray
    weight_norm: np.ndarray
    layer_norms: np.ndarray
    layer_names: list
    first_nonfinite_step: int | None
    steps_per_epoch: int
    initial_loss: float
    final_loss: float
    batch_index: np.ndarray = field(repr=False)

    @property
    def steps(self):
        return len(self.loss)

    def first_step_above(self, threshold):
        """First step whose loss exceeds ``threshold`` or is not finite (None if none)."""
        bad = ~(self.loss <= threshold)  # nan compares False, so it counts as "above"
        hits = np.flatnonzero(bad)
        return int(hits[0]) if hits.size else None

    @property
    def loss_ratios(self):
        """``loss[k + 1] / loss[k]`` for consecutive finite losses (one fewer than those)."""
        finite = self.loss[np.isfinite(self.loss)]
        return finite[1:] / finite[:-1]

    @property
    def outcome(self):
        """``"nan"``, ``"inf"``, ``"trained"`` or ``"did not train"``."""
        if self.diverged:
            return "nan" if np.isnan(self.loss[self.first_nonfinite_step]) else "inf"
        return "trained" if self.trained else "did not train"


class _Trainer:
    """A compiled SGD step for one model, reusable across learning rates (same optimizer)."""

    def __init__(self, model, x, y, batch_size):
        self.model = model
        self.x = tf.constant(x)
        self.y = tf.constant(y)
        self.batch_size = batch_size
        self.optimizer = keras.optimizers.SGD(learning_rate=1e-3)
        self.optimizer.build(model.trainable_variables)
        self.layers = [layer for layer in model.layers if layer.trainable_weights]
        self.step = tf.function(self._step, reduce_retracing=True)

    def _step(self, idx):
        model = self.model
        xb = tf.gather(self.x, idx)
        yb = tf.gather(self.y, idx)
        layer_norms = tf.stack([
            tf.sqrt(tf.add_n([tf.reduce_sum(tf.square(w)) for w in layer.trainable_weights]))
            for layer in self.layers])
        full_loss = tf.reduce_mean(tf.square(model(self.x, training=False) - self.y))
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(xb, training=True) - yb))
        grads = tape.gradient(loss, model.trainable_variables)
        grad_norm = tf.linalg.global_norm(grads)
        # TensorFlow 1's minimize(loss) for plain SGD: one step w <- w - lr * grad, unless the loss
        # is already inf/nan, in which case training stops here with the weights untouched.
        if tf.math.is_finite(loss):
            self.optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss, full_loss, grad_norm, layer_norms

    def run(self, lr, epochs, seed):
        self.optimizer.learning_rate.assign(lr)
        n = int(self.x.shape[0])
        steps_per_epoch = n // self.batch_size
        batches = minibatch_order(n, self.batch_size, epochs, seed)
        initial = float(tf.reduce_mean(tf.square(self.model(self.x) - self.y)))
        losses, full_losses, gnorms, lnorms = [], [], [], []
        first_bad = None
        for step, idx in enumerate(batches):
            loss, full_loss, gnorm, lnorm = self.step(tf.constant(idx))
            losses.append(float(loss))
            full_losses.append(float(full_loss))
            gnorms.append(float(gnorm))
            lnorms.append(lnorm.numpy().astype(np.float64))
            if not math.isfinite(losses[-1]):
                first_bad = step
                break
        final = float("nan") if first_bad is not None else float(
            tf.reduce_mean(tf.square(self.model(self.x) - self.y)))
        lnorms = np.array(lnorms)
        return TrainResult(
            lr=float(lr), loss=np.array(losses), full_loss=np.array(full_losses), grad_norm=np.array(gnorms),
            weight_norm=np.sqrt(np.sum(lnorms ** 2, axis=1)), layer_norms=lnorms,
            layer_names=[layer.name for layer in self.layers], first_nonfinite_step=first_bad,
            steps_per_epoch=steps_per_epoch, initial_loss=initial,
            final_loss=final if math.isfinite(final) else float("nan"),
            batch_index=batches)


def train_sgd(model, x, y, lr, epochs=LESSON.epochs, batch_size=LESSON.batch_size, seed=0):
    """Train ``model`` in place with plain minibatch SGD and record every step.

    Each step is what ``optimizer.minimize(loss)`` did in TensorFlow 1 with a gradient-descent
    optimizer: compute the minibatch mean squared error and its gradient, then ``w <- w - lr * grad``. In Keras 3
    that is a ``tf.GradientTape`` plus ``keras.optimizers.SGD(lr).apply_gradients``. Training
    stops cleanly at the first inf/nan loss (an outcome, not an error).

    Parameters
    ----------
    model : keras.Model
        Trained in place (its weights change).
    x, y : arrays of shapes (n, features) and (n,) or (n, 1)
    lr : float
        Learning rate, > 0.
    epochs, batch_size : int
        Rows that do not fill a last minibatch are skipped (1,024 / 32 leaves none).
    seed : int
        Seeds the minibatch order.

    Returns
    -------
    TrainResult

    Examples
    --------
    >>> model, x, y = make_experiment(seed=0)
    >>> result = train_sgd(model, x, y, lr=1e-4)
    >>> result.trained, result.steps
    (True, 64)
    """
    check_model(model)
    x, y = check_xy(x, y, single_target=True)
    lr = check_lr(lr)
    epochs = check_int(epochs, "epochs", 1)
    batch_size = check_int(batch_size, "batch_size", 1)
    seed = check_int(seed, "seed")
    if batch_size > x.shape[0]:
        raise ValueError(f"batch_size must be at most the number of rows ({x.shape[0]}), got {batch_size}")
    return _Trainer(model, x, y, batch_size).run(lr, epochs, seed)


@dataclass
class SweepResult:
    """Training runs from one initial net at several learning rates (see :func:`lr_sweep`).

    ``runs[i]`` is the :class:`TrainResult` for ``lrs[i]``.
    """

    lrs: np.ndarray
    runs: list

    def run_at(self, lr):
        """The run whose learning rate is closest to ``lr`` (on a log scale)."""
        lr = check_lr(lr)
        return self.runs[int(np.argmin(np.abs(np.log(self.lrs) - math.log(lr))))]


def lr_sweep(model, x, y, lrs, epochs=LESSON.epochs, batch_size=LESSON.batch_size, seed=0,
             progress=True):
    """Train copies of ``model``'s current weights at each rate in ``lrs`` (same minibatches).

    ``model`` is restored to its initial weights afterwards. Shows a ``tqdm.auto`` bar when
    ``progress`` is true.

    Examples
    --------
    >>> model, x, y = make_experiment()
    >>> sweep = lr_sweep(model, x, y, [1e-4, 1e-3], progress=False)
    >>> [run.outcome for run in sweep.runs]
    ['trained', 'inf']
    """
    check_model(model)
    x, y = check_xy(x, y, single_target=True)
    lrs = np.asarray(lrs, dtype=np.float64).ravel()
    if lrs.size == 0:
        raise ValueError("lrs must contain at least one learning rate")
    for value in lrs:
        check_lr(float(value), "every lr in lrs")
    epochs = check_int(epochs, "epochs", 1)
    batch_size = check_int(batch_size, "batch_size", 1)
    seed = check_int(seed, "seed")
    initial = model.get_weights()
    trainer = _Trainer(model, x, y, batch_size)
    runs = []
    iterator = lrs
    if progress:
        from tqdm.auto import tqdm
        iterator = tqdm(lrs, desc="training at each lr")  # left in place: it ends showing 100%
    try:
        for lr in iterator:
            model.set_weights(initial)
            runs.append(trainer.run(float(lr), epochs, seed))
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
    loss : (m,) full-data mean squared error there.
    top_share : (m,) share of the full-data gradient's squared length along that step's own
        sharpest eigenvector, ``(g . v)**2 / g^T g``.
    """

    lr: float
    steps: np.ndarray
    sharpness: np.ndarray
    loss: np.ndarray
    top_share: np.ndarray

    @property
    def critical_lr(self):
        """``2 / sharpness`` at each measured step."""
        return 2.0 / self.sharpness


def sharpness_along(model, x, y, lr, steps, epochs=LESSON.epochs, batch_size=LESSON.batch_size, seed=0,
                    progress=True):
    """Repeat :func:`train_sgd`'s run and measure the full-batch sharpness at the given steps.

    The run takes the same minibatches and updates as :func:`train_sgd` and :func:`lr_sweep`
    with the same ``seed``. At each step in ``steps`` (before its update) the sharpness of the
    full-data loss is found by Lanczos on Hessian-vector products, together with the full-data
    loss and the gradient's share along the sharpest eigenvector. Measuring stops at the first
    step whose full-data loss is not finite. ``model`` keeps its weights. Shows a
    ``tqdm.auto`` bar when ``progress`` is true.

    Returns
    -------
    SharpnessTrace

    Examples
    --------
    >>> model, x, y = make_experiment()
    >>> trace = sharpness_along(model, x, y, 1e-4, [0, 2], progress=False)
    >>> trace.steps.tolist(), bool(trace.sharpness[0] > 1000)
    ([0, 2], True)
    """
    check_model(model)
    x, y = check_xy(x, y, single_target=True)
    lr = check_lr(lr)
    epochs = check_int(epochs, "epochs", 1)
    batch_size = check_int(batch_size, "batch_size", 1)
    seed = check_int(seed, "seed")
    batches = minibatch_order(x.shape[0], batch_size, epochs, seed)
    wanted = sorted({check_int(s, "every step in steps") for s in steps})
    if not wanted:
        raise ValueError("steps must contain at least one step")
    if wanted[-1] >= len(batches):
        raise ValueError(f"steps must be below the {len(batches)} planned steps, got {wanted[-1]}")
    initial = model.get_weights()
    trainer = _Trainer(model, x, y, batch_size)
    trainer.optimizer.learning_rate.assign(lr)
    op = HessianOperator(model, x, y)
    measured, lams, losses, shares = [], [], [], []
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(wanted), desc=f"sharpness along lr = {lr:g}")
    try:
        for step in range(wanted[-1] + 1):
            if step in wanted:
                loss, g = op.loss_and_gradient()
                if not math.isfinite(loss):
                    break
                lam, v, _ = top_eigenpair(op, op.size, tol=1e-4, max_iter=200)
                v = v / np.linalg.norm(v)
                measured.append(step)
                lams.append(lam)
                losses.append(loss)
                shares.append(float(g @ v) ** 2 / float(g @ g))
                if bar is not None:
                    bar.update()
            loss = trainer.step(tf.constant(batches[step]))[0]
            if not math.isfinite(float(loss)):
                break
    finally:
        if bar is not None:
            bar.total = bar.n   # measuring may stop early, at a non-finite loss: the bar ends full
            bar.refresh()
            bar.close()
        model.set_weights(initial)
    return SharpnessTrace(lr=float(lr), steps=np.array(measured, dtype=int), sharpness=np.array(lams),
                          loss=np.array(losses), top_share=np.array(shares))


class _BatchLossRecorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.running_mean = []

    def on_train_batch_end(self, batch, logs=None):
        self.running_mean.append(float((logs or {}).get("loss", float("nan"))))


def fit_sgd(model, x, y, lr, epochs=LESSON.epochs, batch_size=LESSON.batch_size, verbose=0):
    """The same training through ``model.fit`` (SGD, mean squared error, ``TerminateOnNaN``).

    Keras reports, after each batch, the running mean of the epoch's batch losses; this
    function returns those and also the per-batch losses recovered from them.

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
    x, y = check_xy(x, y, single_target=True)
    lr = check_lr(lr)
    epochs = check_int(epochs, "epochs", 1)
    batch_size = check_int(batch_size, "batch_size", 1)
    recorder = _BatchLossRecorder()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss="mse")
    model.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=True, verbose=verbose,
              callbacks=[recorder, keras.callbacks.TerminateOnNaN()])
    running = np.array(recorder.running_mean)
    per_epoch = math.ceil(x.shape[0] / batch_size)
    batch_loss = np.empty_like(running)
    with np.errstate(all="ignore"):
        for i, value in enumerate(running):
            k = i % per_epoch
            batch_loss[i] = value if k == 0 else (k + 1) * value - k * running[i - 1]
    bad = np.flatnonzero(~np.isfinite(running))
    return {"running_mean": running, "batch_loss": batch_loss, "steps": len(running),
            "stopped_at": int(bad[0]) if bad.size else None}


# --------------------------------------------------------------------------- where nan comes from
@dataclass
class NanAutopsy:
    """The first operation that produced a nan, found by replaying SGD in float32 numpy.

    Attributes
    ----------
    step : training step (as in :class:`TrainResult`) where the nan appeared.
    where : the quantity that first held a nan, e.g. ``"gradient of hidden2 kernel"``.
    operation : ``"inf - inf"`` or ``"0 * inf"``.
    operands : a concrete pair of float32 numbers whose combination gave the nan.
    largest_output : largest ``|prediction|`` of the network at the first replayed step (the
        run's first non-finite step).
    loss : the float32 minibatch loss at the first replayed step.
    inf_gradients : gradient entries that are +-inf at the first replayed step.
    inf_weights : weights that are +-inf after the first replayed step's update (0 if the nan
        came before that update).
    trail : one line per replayed step before the nan: its output, loss, inf gradients and
        inf weights.
    description : the trail and then one sentence naming the operation that gave the nan.
    """

    step: int
    where: str
    operation: str
    operands: tuple
    largest_output: float
    loss: float
    inf_gradients: int
    inf_weights: int
    trail: tuple
    description: str


_SLOPES = {"relu": 0.0, "leaky_relu": 0.2, "linear": 1.0}


def _dense_layers(model):
    layers = [layer for layer in model.layers if layer.trainable_weights]
    slopes = []
    for layer in layers:
        if not isinstance(layer, keras.layers.Dense):
            raise ValueError(f"nan_autopsy handles Dense layers only, got {type(layer).__name__}")
        name = getattr(layer.activation, "__name__", str(layer.activation))
        if name not in _SLOPES:
            raise ValueError(f"nan_autopsy handles relu, leaky_relu and linear activations, got {name}")
        slopes.append(np.float32(_SLOPES[name]))
    return layers, slopes


def _find_nan_in_matmul(a, b, label):
    """If ``a @ b`` has a nan that neither factor has, name the products/sums that made it."""
    with np.errstate(all="ignore"):
        out = a @ b
    nan_rows, nan_cols = np.nonzero(np.isnan(out))
    if nan_rows.size == 0 or np.isnan(a).any() or np.isnan(b).any():
        return None
    i, j = nan_rows[0], nan_cols[0]
    with np.errstate(all="ignore"):
        terms = a[i, :] * b[:, j]
    zero_inf = np.flatnonzero(np.isnan(terms))
    if zero_inf.size:
        k = zero_inf[0]
        return label, "0 * inf", (float(a[i, k]), float(b[k, j]))
    pos = terms[np.isposinf(terms)]
    neg = terms[np.isneginf(terms)]
    return label, "inf - inf", (float(pos[0]) if pos.size else np.inf,
                                float(neg[0]) if neg.size else -np.inf)


def nan_autopsy(model, x, y, result, max_extra_steps=10):
    """Find where the first nan of a diverged run came from.

    ``model`` must hold the weights at which ``result`` stopped (as :func:`train_sgd` leaves
    them). The run's first non-finite step is replayed in float32 numpy, operation by
    operation, and its update applied (training stopped before applying it); if no nan
    appeared yet, SGD continues, in numpy, on the next minibatches until one does. For every
    replayed step before the nan the autopsy records the largest output, the loss, and how
    many gradient entries and weights were infinite: the chain that leads from a finite
    output to the nan.

    Returns
    -------
    NanAutopsy, or None if no nan appeared within ``max_extra_steps`` further steps.
    """
    check_model(model)
    x, y = check_xy(x, y, single_target=True)
    if not isinstance(result, TrainResult):
        raise TypeError(f"result must be a TrainResult, got {type(result).__name__}")
    if not result.diverged:
        raise ValueError("result did not diverge: there is no nan to explain")
    max_extra_steps = check_int(max_extra_steps, "max_extra_steps", 1)
    layers, slopes = _dense_layers(model)
    weights = [[w.numpy().astype(np.float32) for w in (layer.kernel, layer.bias)] for layer in layers]
    names = [layer.name for layer in layers]
    lr = np.float32(result.lr)
    step = result.first_nonfinite_step
    idx = result.batch_index[step]
    first = {}   # what the first replayed step showed
    trail = []

    def found_nan(at, where, operation, operands):
        return _autopsy(at, where, operation, operands, first, trail)

    with np.errstate(all="ignore"):
        for extra in range(max_extra_steps + 1):
            xb, yb = x[idx], y[idx]
            # Forward pass, layer by layer.
            acts, pres = [xb], []
            for i, (kernel, bias) in enumerate(weights):
                found = _find_nan_in_matmul(acts[-1], kernel, f"forward pass of {names[i]} (inputs times kernel)")
                if found:
                    return found_nan(step + extra, *found)
                pre = acts[-1] @ kernel + bias
                if np.isnan(pre).any():
                    bad = np.argwhere(np.isnan(pre))[0]
                    return found_nan(step + extra, f"forward pass of {names[i]} (plus bias)", "inf - inf",
                                     (float((acts[-1] @ kernel)[tuple(bad)]), float(bias[bad[1]])))
                pres.append(pre)
                acts.append(np.where(pre > 0, pre, slopes[i] * pre))
            err = acts[-1] - yb
            loss = float(np.mean(np.square(err)))
            delta = np.float32(2.0 / len(yb)) * err  # d(mean squared error)/d(prediction)
            # Backward pass, layer by layer.
            grads = [None] * len(weights)
            for i in reversed(range(len(weights))):
                found = _find_nan_in_matmul(acts[i].T, delta, f"gradient of {names[i]} kernel")
                if found:
                    return found_nan(step + extra, *found)
                grads[i] = [acts[i].T @ delta, delta.sum(axis=0)]
                if i:
                    found = _find_nan_in_matmul(delta, weights[i][0].T, f"error backpropagated into {names[i - 1]}")
                    if found:
                        return found_nan(step + extra, *found)
                    delta = (delta @ weights[i][0].T) * np.where(pres[i - 1] > 0, np.float32(1), slopes[i - 1])
            largest = float(np.abs(acts[-1]).max())
            inf_grads = int(sum(np.isinf(g).sum() for gs in grads for g in gs))
            if not first:
                first.update(largest_output=largest, loss=loss, inf_gradients=inf_grads, inf_weights=0)
            for i, (ws, gs) in enumerate(zip(weights, grads)):
                for part, w, g in zip(("kernel", "bias"), ws, gs):
                    bad = np.argwhere(np.isnan(w - lr * g))
                    if bad.size:
                        at = tuple(bad[0])
                        return found_nan(step + extra, f"update of {names[i]} {part} (w - lr * grad)",
                                         "inf - inf", (float(w[at]), float(-lr * g[at])))
            weights = [[w - lr * g for w, g in zip(ws, gs)] for ws, gs in zip(weights, grads)]
            inf_weights = int(sum(np.isinf(w).sum() for ws in weights for w in ws))
            if extra == 0:
                first["inf_weights"] = inf_weights
            trail.append(f"step {step + extra}: largest output {largest:.3g}, loss {loss:.3g}; "
                         f"{inf_grads:,} gradient entries are ±inf; after the update {inf_weights:,} weights are ±inf")
            if step + extra + 1 >= len(result.batch_index):
                break
            idx = result.batch_index[step + extra + 1]
    return None


def _autopsy(step, where, operation, operands, first, trail):
    a, b = operands
    text = (f"step {step}: the first nan appeared in the {where}: "
            f"{a:.3g} {'*' if operation == '0 * inf' else '+'} {b:.3g} = nan ({operation})")
    first = first or {"largest_output": math.nan, "loss": math.nan, "inf_gradients": 0, "inf_weights": 0}
    return NanAutopsy(step=int(step), where=where, operation=operation, operands=(a, b),
                      trail=tuple(trail), description="\n".join([*trail, text]), **first)


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
    top : helpers.curvature.SharpnessResult, optional
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
    x, y = check_xy(x, y, single_target=True)
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
    if top is not None and top.vector.shape != (op.size,):
        raise ValueError(f"top.vector must have {op.size} entries (one per weight), got {top.vector.shape}")
    loss, g = op.loss_and_gradient()
    gg, gHg = float(g @ g), float(g @ op(g))
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
        rest_curvature = float(rest @ op(rest)) / float(rest @ rest)
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
