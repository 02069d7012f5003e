"""The one training loop: any Keras model, optimizer, loss and batch size, every step recorded.

:func:`train` is what the thread's ``optimizer.minimize(loss)`` did, step by step: take a
minibatch (a seeded order, :func:`minibatch_order`), compute its loss and gradient under a
``tf.GradientTape``, let the optimizer apply the gradient. Each step's loss is recorded as it
was computed -- never rebuilt from Keras's running epoch mean, which loses its precision just
where the loss explodes. Divergence is an outcome: at the first non-finite loss training stops
cleanly, that step's update is not applied, and :attr:`TrainResult.diverged_at` says where.

:class:`TrainResult` uses the field names of :class:`helpers.descent.DescentResult` where they
mean the same thing (``losses``, ``diverged_at``, ``lr``, ``steps``, ``message``).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(64, 2)).astype("float32"); y = x @ np.array([[1.0], [-2.0]], "float32")
>>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
>>> run = train(model, x, y, keras.optimizers.SGD(0.1), epochs=3, batch_size=16)
>>> run.steps, len(run.losses), run.diverged_at, run.outcome
(12, 12, None, <Outcome.TRAINED: 'trained'>)
>>> run = train(model, 1e3 * x, y, keras.optimizers.SGD(10.0), epochs=3, batch_size=16)
>>> run.diverged, run.outcome.value, len(run.losses) == run.diverged_at + 1
(True, 'inf', True)
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field

import helpers.net.env  # noqa: F401  (TensorFlow's environment first)

import numpy as np  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from helpers.net.data import Batches  # noqa: E402
from helpers.net.hessian import check_model  # noqa: E402
from helpers.net.losses import as_loss, batch_weight  # noqa: E402
from helpers.validation import check_int  # noqa: E402

__all__ = ["Outcome", "TrainResult", "train", "minibatch_order", "full_loss"]


def minibatch_order(n, batch_size, epochs, seed):
    """The rows of every minibatch: an int32 array of shape (epochs * (n // batch_size), batch_size).

    Each epoch is a fresh permutation of the ``n`` rows, drawn from one generator seeded with
    ``seed``; rows that do not fill a last minibatch are skipped. The same seed gives the same
    minibatches to every run, whatever the optimizer or the rate.

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


class Outcome(str, enum.Enum):
    """How a run ended (lesson 5's criterion for "trained": finite, full-data loss at least halved).

    A string enum: it prints, formats and compares as its value, so a sentence can say it.

    Examples
    --------
    >>> f"blew up ({Outcome.INF})", "blew up (" + Outcome.NAN + ")", Outcome.TRAINED == "trained"
    ('blew up (inf)', 'blew up (nan)', True)
    """

    TRAINED = "trained"
    DID_NOT_TRAIN = "did not train"
    INF = "inf"
    NAN = "nan"

    def __str__(self):
        return self.value

    def __format__(self, spec):
        return format(self.value, spec)


@dataclass(frozen=True)
class TrainResult:
    """What :func:`train` recorded, one entry per step (minibatch) taken.

    Attributes
    ----------
    losses : numpy.ndarray, shape (steps taken,)
        Loss of each step's minibatch at the weights before that step, as differentiated
        (the loss's own reduction; weight regularisation included). Ends at the first
        non-finite value when the run diverged.
    diverged_at : int or None
        First step whose loss was inf or nan (its update was not applied), else None.
    lr : float
        The learning rate of the first step.
    lrs : numpy.ndarray, shape (steps taken,)
        The rate each step used (a schedule changes it).
    steps : int
        Steps planned (``epochs * steps_per_epoch``); fewer were taken if the run diverged.
    steps_per_epoch : int
    grad_norm : numpy.ndarray, shape (steps taken,)
        Euclidean norm of each step's whole gradient (before any clipping).
    weight_norm : numpy.ndarray, shape (steps taken,)
        Norm of all trainable weights before each step.
    layer_norms : numpy.ndarray, shape (steps taken, layers)
        Norm of each layer's trainable weights before each step; ``layer_names`` names them.
    layer_names : list of str
    initial_loss, final_loss : float
        The loss over all rows (inference mode) before and after training; ``final_loss`` is
        nan after a divergence.
    batch_index : numpy.ndarray, shape (steps, batch_size)
        The rows of every planned step (also those after a divergence).
    step_norm : numpy.ndarray, shape (steps taken,)
        Length of the update the optimizer applied at each step, over all weights (0 at the
        step that diverged, whose update was not applied).
    adam_preconditioner : numpy.ndarray or None
        For an optimizer with ``beta_2`` (Adam and its kin): Keras Adam's per-weight divisor
        ``sqrt(v_hat) + epsilon / sqrt(1 - beta_2**t)``, flat, from the bias-corrected running
        mean ``v_hat`` of the squared gradients this loop computed (before any clipping) after
        ``t`` updates; Adam is gradient descent preconditioned by it
        (:func:`helpers.net.hessian.preconditioned_sharpness`). None for other optimizers.
    full_losses : numpy.ndarray or None
        With ``track_full_loss=True``: the loss over all rows (inference mode) before each
        step, shape (steps taken,); else None.
    message : str
    """

    losses: np.ndarray
    diverged_at: int | None
    lr: float
    lrs: np.ndarray
    steps: int
    steps_per_epoch: int
    grad_norm: np.ndarray
    weight_norm: np.ndarray
    layer_norms: np.ndarray
    layer_names: list
    initial_loss: float
    final_loss: float
    batch_index: np.ndarray = field(repr=False)
    step_norm: np.ndarray = field(default=None, repr=False)
    adam_preconditioner: np.ndarray | None = field(default=None, repr=False)
    full_losses: np.ndarray | None = field(default=None, repr=False)
    message: str = ""

    @property
    def diverged(self) -> bool:
        """True if a non-finite loss stopped training."""
        return self.diverged_at is not None

    @property
    def trained(self) -> bool:
        """True if training stayed finite and at least halved the full-data loss (lesson 5)."""
        return (not self.diverged and math.isfinite(self.final_loss)
                and self.final_loss <= 0.5 * self.initial_loss)

    @property
    def outcome(self) -> Outcome:
        """:class:`Outcome`: trained, did not train, or diverged to inf or to nan."""
        if self.diverged:
            return Outcome.NAN if np.isnan(self.losses[self.diverged_at]) else Outcome.INF
        return Outcome.TRAINED if self.trained else Outcome.DID_NOT_TRAIN

    def first_step_above(self, threshold):
        """First step whose loss exceeds ``threshold`` or is not finite (None if none)."""
        hits = np.flatnonzero(~(self.losses <= threshold))  # nan compares False: counts as above
        return int(hits[0]) if hits.size else None

    @property
    def loss_ratios(self):
        """``losses[k + 1] / losses[k]`` for consecutive finite losses (one fewer than those)."""
        finite = self.losses[np.isfinite(self.losses)]
        return finite[1:] / finite[:-1]


def full_loss(model, x, y, loss=None, batch_size=None):
    """The loss over all rows of ``x, y`` in inference mode (a float; inf or nan if so).

    Accumulated over batches of ``batch_size`` rows (None: all at once), each weighted by its
    share of the rows (:func:`helpers.net.losses.batch_weight`).

    Examples
    --------
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, kernel_initializer="ones")])
    >>> full_loss(model, [[1.0], [3.0]], [0.0, 0.0])
    5.0
    """
    check_model(model)
    loss = as_loss(loss, dtype=tf.as_dtype(model.trainable_variables[0].dtype).name)
    total = 0.0
    # Non-finite data is not an argument error here: it makes a non-finite loss, an outcome.
    data = Batches(x, y, batch_size=batch_size, dtype=model.trainable_variables[0].dtype, finite=False)
    with np.errstate(all="ignore"):
        for xb, yb in data:
            value = float(loss(yb, model(xb, training=False)))
            total += batch_weight(loss, int(xb.shape[0]), data.rows) * value
    return total


def _as_optimizer(optimizer):
    if isinstance(optimizer, str):
        optimizer = keras.optimizers.get(optimizer)
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise TypeError(f"optimizer must be a keras optimizer or its name, got {type(optimizer).__name__}")
    return optimizer


class _Step:
    """One compiled training step for a model, optimizer and loss."""

    def __init__(self, model, optimizer, loss, x, y, beta_2, track_full_loss):
        self.model, self.optimizer, self.loss = model, optimizer, loss
        self.x, self.y = tf.constant(x), tf.constant(y)
        self.variables = list(model.trainable_variables)
        self.layers = [layer for layer in model.layers if layer.trainable_weights]
        self.beta_2 = beta_2
        self.track_full_loss = track_full_loss
        if beta_2 is not None:
            self.second = [tf.Variable(tf.zeros_like(v), trainable=False) for v in self.variables]
        self.compiled = tf.function(self._step, reduce_retracing=True)

    def _step(self, idx):
        xb, yb = tf.gather(self.x, idx), tf.gather(self.y, idx)
        layer_norms = tf.stack([tf.sqrt(tf.add_n([tf.reduce_sum(tf.square(w)) for w in layer.trainable_weights]))
                                for layer in self.layers])
        with tf.GradientTape() as tape:
            loss = self.loss(yb, self.model(xb, training=True))
            if self.model.losses:
                loss = loss + tf.add_n(self.model.losses)
        grads = tape.gradient(loss, self.variables)
        grad_norm = tf.linalg.global_norm(grads)
        lr = tf.cast(self.optimizer.learning_rate, tf.float64)  # the rate this step uses
        full = (self.loss(self.y, self.model(self.x, training=False)) if self.track_full_loss
                else tf.constant(float("nan"), loss.dtype))
        step_norm = tf.constant(0.0, grad_norm.dtype)
        # An inf/nan loss ends training here: the update is not applied (an outcome, not an error).
        if tf.math.is_finite(loss):
            if self.beta_2 is not None:
                for v, g in zip(self.second, grads):
                    v.assign(self.beta_2 * v + (1.0 - self.beta_2) * tf.square(g))
            before = [tf.identity(v) for v in self.variables]
            self.optimizer.apply_gradients(zip(grads, self.variables))
            step_norm = tf.linalg.global_norm([v - b for v, b in zip(self.variables, before)])
        return loss, grad_norm, layer_norms, lr, step_norm, full

    def preconditioner(self, steps, epsilon):
        flat = np.concatenate([v.numpy().astype(np.float64).ravel() for v in self.second])
        correction = 1.0 - self.beta_2 ** steps
        return np.sqrt(flat / correction) + epsilon / np.sqrt(correction)


def train(model, x, y, optimizer, *, loss=None, epochs=1, batch_size=32, seed=0, callbacks=(),
          progress=False, track_full_loss=False):
    """Train ``model`` in place on seeded minibatches and record every step.

    Parameters
    ----------
    model : keras.Model
        Built; trained in place. Need not be compiled (``model.compile`` settings are not used).
    x, y : arrays
        Inputs (one row per sample, any shape after the first axis) and targets (floats, or
        integer class labels). Non-finite values are allowed: they show up as a divergence.
    optimizer : keras.optimizers.Optimizer or str
        A fresh optimizer, e.g. ``keras.optimizers.SGD(1e-3)`` (it binds to the model's
        variables on its first step); any Keras optimizer, with a rate schedule, momentum,
        clipping, ...; or a Keras name (``"adam"``).
    loss : str, keras.losses.Loss or callable, optional
        Default the mean squared error; ``keras.losses.MeanSquaredError(reduction="sum")``
        is the summed loss (its gradient is batch-size times larger).
    epochs : int
    batch_size : int or None
        Rows per minibatch; rows that do not fill a last minibatch are skipped. None: full
        batch (gradient descent, all rows every step, in their order).
    seed : int
        Seeds the minibatch order (:func:`minibatch_order`).
    callbacks : sequence of keras.callbacks.Callback
        Called as in ``model.fit`` (train, epoch and batch begin/end); ``logs["loss"]`` after a
        batch is that batch's own loss (not a running mean). A callback may set
        ``model.stop_training = True``.
    progress : bool or str
        Show a ``tqdm.auto`` bar over the steps (a string: the bar's description).
    track_full_loss : bool
        Also record the loss over all rows before each step (:attr:`TrainResult.full_losses`;
        one extra forward pass over the data per step).

    Returns
    -------
    TrainResult

    Examples
    --------
    >>> import numpy as np
    >>> x = np.linspace(-1, 1, 32, dtype="float32").reshape(-1, 1)
    >>> labels = (x[:, 0] > 0).astype("int32")
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(2, activation="softmax")])
    >>> run = train(model, x, labels, "sgd", loss="sparse_categorical_crossentropy", batch_size=None, epochs=5)
    >>> bool(run.losses[-1] < run.losses[0]), run.steps_per_epoch
    (True, 1)
    """
    check_model(model)
    optimizer = _as_optimizer(optimizer)
    loss_obj = as_loss(loss, dtype=tf.as_dtype(model.trainable_variables[0].dtype).name)
    epochs = check_int(epochs, "epochs", 1)
    seed = check_int(seed, "seed")
    dtype = tf.as_dtype(model.trainable_variables[0].dtype).as_numpy_dtype
    x = np.asarray(x, dtype=dtype)
    y = np.asarray(y)
    if not np.issubdtype(y.dtype, np.integer):
        y = y.astype(dtype)
    if x.ndim < 2 or x.shape[0] == 0 or y.ndim == 0 or y.shape[0] != x.shape[0]:
        raise ValueError(f"x must be (samples, features...) and y have one row per row of x, "
                         f"got shapes {x.shape} and {y.shape}")
    n = x.shape[0]
    if batch_size is None:
        batches = np.tile(np.arange(n, dtype=np.int32), (epochs, 1))
    else:
        batch_size = check_int(batch_size, "batch_size", 1)
        if batch_size > n:
            raise ValueError(f"batch_size must be at most the number of rows ({n}), got {batch_size}")
        batches = minibatch_order(n, batch_size, epochs, seed)
    steps_per_epoch = len(batches) // epochs
    callbacks = list(callbacks)
    for callback in callbacks:
        if not isinstance(callback, keras.callbacks.Callback):
            raise TypeError(f"every callback must be a keras.callbacks.Callback, got {type(callback).__name__}")
    config = optimizer.get_config()
    beta_2 = float(config["beta_2"]) if "beta_2" in config else None
    step = _Step(model, optimizer, loss_obj, x, y, beta_2, bool(track_full_loss))

    hooks = keras.callbacks.CallbackList(callbacks, model=model, epochs=epochs, steps=steps_per_epoch)
    model.stop_training = False
    initial = full_loss(model, x, y, loss_obj)   # the rows are in memory already: one pass
    losses, gnorms, lnorms, lrs, snorms, fulls = [], [], [], [], [], []
    diverged_at = None
    iterator = enumerate(batches)
    if progress:
        from tqdm.auto import tqdm
        iterator = tqdm(iterator, total=len(batches), desc=progress if isinstance(progress, str) else "training",
                        leave=False)
    hooks.on_train_begin()
    with np.errstate(all="ignore"):
        for k, idx in iterator:
            epoch, batch = divmod(k, steps_per_epoch)
            if batch == 0:
                hooks.on_epoch_begin(epoch)
            hooks.on_train_batch_begin(batch)
            value, gnorm, lnorm, lr, snorm, full = step.compiled(tf.constant(idx))
            losses.append(float(value))
            gnorms.append(float(gnorm))
            lnorms.append(lnorm.numpy().astype(np.float64))
            lrs.append(float(lr))
            snorms.append(float(snorm))
            fulls.append(float(full))
            hooks.on_train_batch_end(batch, {"loss": losses[-1]})
            if not math.isfinite(losses[-1]):
                diverged_at = k
                break
            if batch == steps_per_epoch - 1:
                hooks.on_epoch_end(epoch, {"loss": losses[-1]})
            if model.stop_training:
                break
    hooks.on_train_end()
    final = float("nan") if diverged_at is not None else full_loss(model, x, y, loss_obj)
    lnorms = np.array(lnorms).reshape(len(losses), len(step.layers))
    taken = len(losses) - (diverged_at is not None)
    preconditioner = (step.preconditioner(taken, float(config["epsilon"]))
                      if beta_2 is not None and taken > 0 else None)
    message = (f"diverged at step {diverged_at} (loss {losses[diverged_at]})" if diverged_at is not None
               else f"finished {len(losses)} of {len(batches)} steps without diverging")
    return TrainResult(
        losses=np.array(losses), diverged_at=diverged_at, lr=lrs[0] if lrs else float("nan"),
        lrs=np.array(lrs), steps=len(batches), steps_per_epoch=steps_per_epoch,
        grad_norm=np.array(gnorms), weight_norm=np.sqrt(np.sum(lnorms ** 2, axis=1)), layer_norms=lnorms,
        layer_names=[layer.name for layer in step.layers], initial_loss=initial,
        final_loss=final if math.isfinite(final) else float("nan"), batch_index=batches,
        step_norm=np.array(snorms), adam_preconditioner=preconditioner,
        full_losses=np.array(fulls) if track_full_loss else None, message=message)
