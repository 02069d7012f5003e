"""A Keras callback that sees a blow-up coming before the first nan.

``keras.callbacks.TerminateOnNaN`` stops training *after* the loss is already nan. By then the
weights are gone. :class:`DivergenceMonitor` watches for the two signs lessons 1-4 taught:

* the loss **growing geometrically**: several steps in a row, each multiplying the loss by at
  least ``growth`` (on a quadratic above the threshold every step multiplies it by
  ``(1 - lr * sharpness)**2``);
* the learning rate **above the critical rate** ``2 / sharpness`` (``(2 + 2 beta) / sharpness``
  for SGD with momentum ``beta``), checked every ``every`` steps when given data to measure
  the sharpness on.

Warnings never go to stderr (a notebook would show them as errors): each is recorded in
``monitor.events`` as an :class:`Event` ``(step, kind, message)``, the first of each kind is
printed as one line on stdout, and the rest are summarised in one line when training ends.
``python_warnings=True`` also raises a Python ``RuntimeWarning`` for the printed ones.
"""

from __future__ import annotations

import logging
import math
import os
import re
import warnings
from collections import Counter
from dataclasses import dataclass

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from helpers.eigen import top_eigenpair  # noqa: E402
from helpers.net.hessian import HessianOperator  # noqa: E402
from helpers.validation import check_positive  # noqa: E402

__all__ = ["Event", "DivergenceMonitor", "current_lr", "stable_threshold", "first_nonfinite_op"]


@dataclass(frozen=True)
class Event:
    """One thing the monitor noticed: the global step, a kind and a readable message.

    Kinds: ``"lr_above_critical"``, ``"loss_growth"``, ``"nonfinite"``.
    """

    step: int
    kind: str
    message: str


def first_nonfinite_op(run):
    """Call ``run()`` with TensorFlow's numeric checks on: the first operation whose output was inf/nan.

    ``tf.debugging.enable_check_numerics()`` makes every operation check its output and raise at
    the first inf or nan. Returns the line of TensorFlow's message that names the operation
    ("Detected Infinity or NaN in output 0 of graph op ..."), or None when ``run()`` finished
    with every output finite. The checks are switched off again afterwards, and TensorFlow's
    informational log lines about switching them are kept off stderr.

    Examples
    --------
    >>> first_nonfinite_op(lambda: tf.math.log(tf.constant([0.0])))
    'Detected Infinity or NaN in output 0 of eagerly-executing op "Log"'
    >>> first_nonfinite_op(lambda: tf.math.log(tf.constant([1.0]))) is None
    True
    """
    if not callable(run):
        raise TypeError(f"run must be callable, got {type(run).__name__}")
    logger = tf.get_logger()
    level = logger.level
    logger.setLevel(logging.ERROR)
    tf.debugging.enable_check_numerics()
    try:
        run()
    except tf.errors.InvalidArgumentError as err:
        found = re.search(r'Detected Infinity or NaN in output \d+ of (graph op \S+|eagerly-executing op "\w+")',
                          str(err))
        return found.group(0) if found else str(err).splitlines()[0]
    finally:
        tf.debugging.disable_check_numerics()
        logger.setLevel(level)
    return None


def current_lr(optimizer):
    """The learning rate the optimizer will use at its next step (schedules evaluated)."""
    value = optimizer.learning_rate
    return float(value.numpy() if hasattr(value, "numpy") else value)


def stable_threshold(optimizer, sharpness):
    """Largest stable rate for this optimizer on a quadratic of top curvature ``sharpness``.

    ``2 / sharpness`` for plain SGD, ``(2 + 2 beta) / sharpness`` with momentum ``beta``;
    ``None`` for other optimizers (Adam's threshold concerns a preconditioned Hessian).

    Examples
    --------
    >>> stable_threshold(keras.optimizers.SGD(0.1), 100.0)
    0.02
    >>> round(stable_threshold(keras.optimizers.SGD(0.1, momentum=0.9), 100.0), 6)
    0.038
    >>> stable_threshold(keras.optimizers.Adam(0.1), 100.0) is None
    True
    """
    if not isinstance(optimizer, keras.optimizers.SGD) or sharpness <= 0:
        return None if not isinstance(optimizer, keras.optimizers.SGD) else math.inf
    beta = float(optimizer.momentum or 0.0)
    return (2.0 + 2.0 * beta) / sharpness


class DivergenceMonitor(keras.callbacks.Callback):
    """Warn when the loss grows geometrically or the rate exceeds 2 / sharpness -- before nan.

    Parameters
    ----------
    x, y : arrays, optional
        Data on which to measure the sharpness of the mean squared error (use the training
        set, or a fixed sample of it). Without them only the loss is watched.
    every : int, optional
        Measure the sharpness every ``every`` steps (from step 0, before the first update).
        Needs ``x`` and ``y``. None: never.
    growth : float
        A step "grows" the loss when it multiplies it by at least this factor (default 2).
    patience : int
        Warn after this many growing steps in a row (default 3: a factor of at least 8).
    margin : float
        Warn when ``lr > margin * threshold`` (default 1). Full-batch and minibatch training
        often settle with the sharpness *at* ``2 / lr`` (the edge of stability, lesson 6) and
        keep training; a margin above 1 keeps the monitor quiet there.
    verbose : bool
        Print the first warning of each kind, and a summary of the rest, to stdout.
    python_warnings : bool
        Also issue a ``RuntimeWarning`` for each printed warning (off by default: notebooks
        show warnings on stderr).

    Attributes
    ----------
    events : list of :class:`Event`
    losses : per-step minibatch losses (recovered from Keras's running epoch mean)
    sharpness_log : list of ``(step, sharpness, lr)`` measurements

    Examples
    --------
    >>> monitor = DivergenceMonitor(verbose=False)
    >>> for step, loss in enumerate([10.0, 11.0, 30.0, 90.0, 400.0]):
    ...     monitor.observe(step, loss)
    >>> monitor.events[0].kind, monitor.events[0].step
    ('loss_growth', 4)
    """

    def __init__(self, x=None, y=None, every=None, growth=2.0, patience=3, margin=1.0,
                 verbose=True, python_warnings=False):
        super().__init__()
        if every is not None:
            if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
                raise ValueError(f"every must be a positive integer or None, got {every!r}")
            if x is None or y is None:
                raise ValueError("every needs x and y to measure the sharpness on")
        self.growth = check_positive(growth, "growth")
        if self.growth <= 1:
            raise ValueError(f"growth must be greater than 1, got {growth!r}")
        if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)) or patience < 1:
            raise ValueError(f"patience must be a positive integer, got {patience!r}")
        self.x, self.y, self.every = x, y, every
        self.patience = int(patience)
        self.margin = check_positive(margin, "margin")
        self.verbose = bool(verbose)
        self.python_warnings = bool(python_warnings)
        self._reset()

    def _reset(self):
        self.events, self.losses, self.sharpness_log = [], [], []
        self._printed, self._run, self._step, self._prev_mean = set(), 0, 0, None
        self._operator, self._vector = None, None

    # ------------------------------------------------------------------ the checks
    def observe(self, step, loss):
        """Feed one minibatch loss (also usable outside ``model.fit``)."""
        loss = float(loss)
        self.losses.append(loss)
        if not math.isfinite(loss):
            self._warn(step, "nonfinite", f"step {step}: loss is {loss} (training has diverged)")
            return
        prev = self.losses[-2] if len(self.losses) > 1 else None
        grew = prev is not None and math.isfinite(prev) and prev > 0 and loss >= self.growth * prev
        self._run = self._run + 1 if grew else 0
        if self._run >= self.patience:
            start = self.losses[-1 - self._run]
            self._warn(step, "loss_growth",
                       f"step {step}: loss grew x{loss / start:.3g} over the last {self._run} steps "
                       f"({start:.3g} -> {loss:.3g}): geometric growth, divergence likely")

    def check_sharpness(self, step):
        """Measure the sharpness now and warn if the rate is above the stable threshold."""
        if self._operator is None:
            self._operator = HessianOperator(self.model, self.x, self.y)
        op = self._operator
        lam, self._vector, _ = top_eigenpair(op.matvec, op.shape[0], tol=1e-3, v0=self._vector)
        optimizer = self.model.optimizer
        lr = current_lr(optimizer)
        self.sharpness_log.append((step, lam, lr))
        threshold = stable_threshold(optimizer, lam)
        if threshold is not None and lr > self.margin * threshold:
            self._warn(step, "lr_above_critical",
                       f"step {step}: lr = {lr:.3g} > stable rate {threshold:.3g} "
                       f"(sharpness {lam:.4g}): the loss will grow along the sharpest direction")

    def _warn(self, step, kind, message):
        self.events.append(Event(int(step), kind, message))
        if kind in self._printed:
            return
        self._printed.add(kind)
        if self.verbose:
            print(f"DivergenceMonitor: {message}")
        if self.python_warnings:
            warnings.warn(message, RuntimeWarning, stacklevel=2)

    def summary(self):
        """One line: how many events of each kind, and the first step of each."""
        if not self.events:
            return "DivergenceMonitor: no warnings"
        counts = Counter(e.kind for e in self.events)
        first = {}
        for e in self.events:
            first.setdefault(e.kind, e.step)
        parts = [f"{kind} x{n} (first at step {first[kind]})" for kind, n in counts.items()]
        return "DivergenceMonitor: " + ", ".join(parts)

    @property
    def first_warning_step(self):
        """Step of the first warning that is not itself a non-finite loss (None if none)."""
        steps = [e.step for e in self.events if e.kind != "nonfinite"]
        return min(steps) if steps else None

    # ------------------------------------------------------------------ Keras hooks
    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_begin(self, epoch, logs=None):
        self._prev_mean = None

    def on_train_batch_begin(self, batch, logs=None):
        if self.every is not None and self._step % self.every == 0:
            self.check_sharpness(self._step)

    def on_train_batch_end(self, batch, logs=None):
        mean = float((logs or {}).get("loss", float("nan")))
        # Keras logs the running mean of the epoch's batch losses; undo the averaging.
        if batch == 0 or self._prev_mean is None:
            loss = mean
        else:
            with np.errstate(all="ignore"):
                loss = float((batch + 1) * np.float64(mean) - batch * np.float64(self._prev_mean))
            if not math.isfinite(mean):
                loss = mean
        self._prev_mean = mean
        self.observe(self._step, loss)
        self._step += 1

    def on_train_end(self, logs=None):
        if self.verbose and len(self.events) > len(self._printed):
            print(self.summary())
