"""A Keras callback that sees a blow-up coming before the first nan, in ``model.fit`` of any compiled model.

``keras.callbacks.TerminateOnNaN`` stops training *after* the loss is nan; by then the weights
are gone. :class:`DivergenceMonitor` watches the two signs lessons 1-4 taught:

* the loss **growing geometrically**: ``patience`` steps in a row, each multiplying it by at
  least ``growth``. The loss watched is computed by the monitor itself, before each step, on a
  fixed probe set ``(x, y)`` with the model's compiled loss, in inference mode -- never rebuilt
  from the running epoch mean Keras logs, which loses its precision near overflow;
* the learning rate **above the critical rate** of the optimizer (:func:`helpers.net.hessian.critical_lr`:
  plain SGD, momentum, Nesterov), measured on the probe set every ``every`` steps.

Without a probe set it still sees a non-finite loss: Keras's running mean turns inf or nan at
the very step a batch loss does. It then stops training (``stop_on_nonfinite``), as
``TerminateOnNaN`` would. Nothing goes to stderr: each event is recorded in ``monitor.events``,
the first of each kind is printed as one line, and the rest summarised when training ends.

Examples
--------
>>> monitor = DivergenceMonitor(verbose=False)
>>> for step, loss in enumerate([10.0, 11.0, 30.0, 90.0, 400.0]):
...     monitor.observe(step, loss)
>>> monitor.events[0].kind, monitor.events[0].step
(<EventKind.LOSS_GROWTH: 'loss growth'>, 4)
"""

from __future__ import annotations

import enum
import math
from collections import Counter
from dataclasses import dataclass

import helpers.net.env  # noqa: F401  (TensorFlow's environment first)

import keras  # noqa: E402

from helpers.eigen import top_eigenpair  # noqa: E402
from helpers.momentum import critical_lr  # noqa: E402
from helpers.net.hessian import HessianOperator, optimizer_momentum  # noqa: E402
from helpers.net.training import full_loss  # noqa: E402
from helpers.validation import check_int, check_positive  # noqa: E402

__all__ = ["EventKind", "Event", "DivergenceMonitor"]


class EventKind(enum.Enum):
    """What the monitor noticed."""

    LR_ABOVE_CRITICAL = "lr above critical rate"
    LOSS_GROWTH = "loss growth"
    NONFINITE = "non-finite loss"


@dataclass(frozen=True)
class Event:
    """One thing the monitor noticed: the global step, its kind and a readable message."""

    step: int
    kind: EventKind
    message: str


class DivergenceMonitor(keras.callbacks.Callback):
    """Warn when the loss grows geometrically or the rate exceeds the critical rate -- before nan.

    Parameters
    ----------
    x, y : arrays, optional
        A fixed probe set (the training set, or a sample of it) on which the monitor computes
        the loss before every step and, with ``every``, the sharpness. None: only a
        non-finite loss is seen.
    every : int, optional
        Measure the sharpness every ``every`` steps (from step 0). Needs ``x`` and ``y``, and
        an SGD optimizer (another optimizer has no single critical rate; the check is skipped).
    loss : str, keras.losses.Loss or callable, optional
        The loss to watch; default the model's compiled loss (``model.loss``).
    optimizer : keras.optimizers.Optimizer, optional
        The optimizer whose critical rate is checked; default the compiled one
        (``model.optimizer``). Give it when the monitor runs in
        :func:`helpers.net.training.train`, which needs no compiled model.
    growth : float
        A step "grows" the loss when it multiplies it by at least this factor (default 2).
    patience : int
        Warn after this many growing steps in a row (default 3: a factor of at least 8).
    margin : float
        Warn when ``lr > margin * critical_lr`` (default 1). Training often settles *at* the
        critical rate (the edge of stability, lesson 6); a margin above 1 keeps quiet there.
    batch_size : int, optional
        Evaluate the probe loss and the Hessian in batches of this many rows.
    stop_on_nonfinite : bool
        Set ``model.stop_training`` at the first non-finite loss (default True).
    verbose : bool
        Print the first event of each kind, and a summary of the rest, to stdout.

    Attributes
    ----------
    events : list of :class:`Event`
    losses : list of float
        The probe loss before each step (empty without a probe set).
    sharpness_log : list of ``(step, sharpness, lr, critical_lr)``

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0], [3.0]]); y = np.zeros(2)
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")   # 2.9 x its critical rate
    >>> monitor = DivergenceMonitor(x, y, every=1)
    >>> _ = model.fit(x, y, epochs=8, verbose=0, callbacks=[monitor])  # doctest: +ELLIPSIS
    DivergenceMonitor: step 0: lr = 0.5 > critical rate 0.1716 (sharpness 11.66): the loss will grow ...
    DivergenceMonitor: step 3: loss grew x... over the last 3 steps (...): geometric growth, divergence likely
    DivergenceMonitor: lr above critical rate x8 (first at step 0), loss growth x5 (first at step 3)
    >>> monitor.first_warning_step
    0
    """

    def __init__(self, x=None, y=None, *, every=None, loss=None, optimizer=None, growth=2.0, patience=3,
                 margin=1.0, batch_size=None, stop_on_nonfinite=True, verbose=True):
        super().__init__()
        if (x is None) != (y is None):
            raise ValueError("x and y go together: give both (a probe set) or neither")
        if every is not None:
            every = check_int(every, "every", 1)
            if x is None:
                raise ValueError("every needs x and y to measure the sharpness on")
        self.growth = check_positive(growth, "growth")
        if self.growth <= 1:
            raise ValueError(f"growth must be greater than 1, got {growth!r}")
        self.patience = check_int(patience, "patience", 1)
        self.margin = check_positive(margin, "margin")
        for name, flag in (("stop_on_nonfinite", stop_on_nonfinite), ("verbose", verbose)):
            if not isinstance(flag, bool):
                raise TypeError(f"{name} must be True or False, got {flag!r}")
        if optimizer is not None and not isinstance(optimizer, keras.optimizers.Optimizer):
            raise TypeError(f"optimizer must be a keras optimizer or None, got {type(optimizer).__name__}")
        self.x, self.y, self.every, self.loss, self.optimizer = x, y, every, loss, optimizer
        self.batch_size = batch_size
        self.stop_on_nonfinite, self.verbose = stop_on_nonfinite, verbose
        self._reset()

    def _reset(self):
        self.events, self.losses, self.sharpness_log = [], [], []
        self._printed, self._run, self._step = set(), 0, 0
        self._operator, self._vector = None, None

    def _loss(self):
        return self.loss if self.loss is not None else getattr(self.model, "loss", None)

    # ------------------------------------------------------------------ the checks
    def observe(self, step, loss):
        """Feed the loss at one step (the monitor does this itself in ``fit``)."""
        loss = float(loss)
        self.losses.append(loss)
        if not math.isfinite(loss):
            self._nonfinite(step, loss)
            return
        prev = self.losses[-2] if len(self.losses) > 1 else None
        grew = prev is not None and math.isfinite(prev) and prev > 0 and loss >= self.growth * prev
        self._run = self._run + 1 if grew else 0
        if self._run >= self.patience:
            start = self.losses[-1 - self._run]
            self._event(step, EventKind.LOSS_GROWTH,
                        f"step {step}: loss grew x{loss / start:.3g} over the last {self._run} steps "
                        f"({start:.3g} -> {loss:.3g}): geometric growth, divergence likely")

    def check_sharpness(self, step):
        """Measure the sharpness on the probe set and warn if the rate is above the critical rate."""
        optimizer = self.optimizer if self.optimizer is not None else getattr(self.model, "optimizer", None)
        if optimizer is None:
            raise ValueError("the monitor needs an optimizer to check the rate: compile the model or pass optimizer=")
        try:
            beta, nesterov = optimizer_momentum(optimizer)
        except ValueError:
            return  # no single critical rate for this optimizer (see helpers.net.hessian)
        if self._operator is None:
            self._operator = HessianOperator(self.model, self.x, self.y, loss=self._loss(),
                                             batch_size=self.batch_size)
        op = self._operator
        lam, self._vector, _ = top_eigenpair(op.matvec, op.shape[0], tol=1e-3, v0=self._vector)
        value = optimizer.learning_rate
        lr = float(value.numpy() if hasattr(value, "numpy") else value)
        critical = critical_lr(lam, momentum=beta, nesterov=nesterov)
        self.sharpness_log.append((step, lam, lr, critical))
        if lr > self.margin * critical:
            self._event(step, EventKind.LR_ABOVE_CRITICAL,
                        f"step {step}: lr = {lr:.4g} > critical rate {critical:.4g} (sharpness {lam:.4g}): "
                        f"the loss will grow along the sharpest direction")

    def _nonfinite(self, step, loss):
        self._event(step, EventKind.NONFINITE, f"step {step}: loss is {loss} (training has diverged)")
        if self.stop_on_nonfinite and self.model is not None:
            self.model.stop_training = True

    def _event(self, step, kind, message):
        self.events.append(Event(int(step), kind, message))
        if kind in self._printed:
            return
        self._printed.add(kind)
        if self.verbose:
            print(f"DivergenceMonitor: {message}")

    def summary(self):
        """One line: how many events of each kind, and the first step of each."""
        if not self.events:
            return "DivergenceMonitor: no warnings"
        counts = Counter(e.kind for e in self.events)
        first = {}
        for e in self.events:
            first.setdefault(e.kind, e.step)
        return "DivergenceMonitor: " + ", ".join(
            f"{kind.value} x{n} (first at step {first[kind]})" for kind, n in counts.items())

    @property
    def first_warning_step(self):
        """Step of the first warning that is not itself a non-finite loss (None if none)."""
        steps = [e.step for e in self.events if e.kind is not EventKind.NONFINITE]
        return min(steps) if steps else None

    # ------------------------------------------------------------------ Keras hooks
    def on_train_begin(self, logs=None):
        self._reset()

    def on_train_batch_begin(self, batch, logs=None):
        if self.x is None:
            return
        if self.every is not None and self._step % self.every == 0:
            self.check_sharpness(self._step)
        self.observe(self._step, full_loss(self.model, self.x, self.y, self._loss(), self.batch_size))

    def on_train_batch_end(self, batch, logs=None):
        # A running mean is non-finite from the step a batch loss is: exact for this test alone.
        value = float((logs or {}).get("loss", 0.0))
        if not math.isfinite(value) and not any(e.kind is EventKind.NONFINITE for e in self.events):
            self._nonfinite(self._step, value)
        self._step += 1

    def on_train_end(self, logs=None):
        if self.verbose and len(self.events) > len(self._printed):
            print(self.summary())
