"""Which regime a network is in: dead ReLU units, saturated tanh units, and how a run ended.

Above ``2 / sharpness`` the sharpest direction of the loss is unstable; what the loss then does
depends on the activations (lesson 7):

* units that can grow without bound (linear, leaky ReLU) carry the growth on: the loss
  **diverges** to inf or nan. A leaky-ReLU unit is never dead: it passes a fraction of a
  negative input, so its gradient is never zero, and :func:`unit_fractions` does not count it;
* plain ReLU units switch off: a unit whose input is negative on every row outputs 0, passes
  no gradient and never recovers (**dead**). When most of them die, the net predicts a constant
  and the loss **sticks** near that constant's loss;
* tanh units whose inputs are large sit at +-1 (**saturated**): they pass almost no gradient.
  The sharpest direction lives in the few unsaturated ones, and a step along it saturates them
  further: the curvature collapses instead of the loss growing.

:func:`unit_fractions` measures the dead and saturated shares of every hidden layer on the data;
:func:`regime_of` names how a finished run ended in these terms. Pure reading of the model's
outputs, layer by layer (a ``keras.Sequential``).

Examples
--------
>>> import numpy as np
>>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(2, activation="relu", name="hidden"),
...                           keras.layers.Dense(1)])
>>> model.layers[0].set_weights([np.array([[1.0, -1.0]]), np.zeros(2)])
>>> units = unit_fractions(model, np.array([[1.0], [2.0]]))
>>> units.dead, units.layers, units.sentence()
(0.5, ('hidden',), '50% of ReLU units dead')
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import helpers.net.env  # noqa: F401  (TensorFlow's environment first)

import numpy as np  # noqa: E402
import keras  # noqa: E402

from helpers.validation import check_positive  # noqa: E402

__all__ = ["UnitFractions", "unit_fractions", "Regime", "regime_of", "DEAD", "SATURATED", "MOSTLY"]

DEAD = ("relu",)
"""Activations whose units can be switched off (output <= 0 on every row, zero gradient).

Leaky ReLU is not among them: it passes a fraction of a negative input, so its gradient is never
zero and a unit whose output is negative on every row still learns."""

SATURATED = ("tanh", "sigmoid")
"""Activations whose units can saturate (output pinned near its bounds on every row)."""

MOSTLY = 0.9
"""A share of units at least this large decides the regime (most units dead, or saturated)."""


@dataclass(frozen=True)
class UnitFractions:
    """Shares of hidden units that are dead or saturated on the data given.

    Attributes
    ----------
    dead : float
        Among the units of ReLU layers: the share whose output is <= 0 on every row
        (nan if the net has no such layer; leaky-ReLU layers are not counted: their units
        always pass a gradient).
    saturated : float
        Among the units of tanh/sigmoid layers: the share whose output is within
        ``1 - threshold`` of a bound on every row (nan if the net has no such layer).
    layers : tuple of str
        The hidden layers counted.
    per_layer : tuple of float
        Each counted layer's dead or saturated share, in the order of ``layers``.
    """

    dead: float
    saturated: float
    layers: tuple
    per_layer: tuple

    def sentence(self):
        """The fractions in words (what :func:`helpers.net.check.check_learning_rate` prints)."""
        parts = []
        if not math.isnan(self.dead):
            parts.append(f"{100 * self.dead:.0f}% of ReLU units dead")
        if not math.isnan(self.saturated):
            parts.append(f"{100 * self.saturated:.0f}% of tanh/sigmoid units saturated")
        return ", ".join(parts) if parts else "no ReLU or tanh hidden units"


def _activation(layer):
    config = layer.get_config()
    name = config.get("activation")
    return name if isinstance(name, str) else None


def unit_fractions(model, x, *, threshold=0.99):
    """Dead and saturated shares of the hidden units of a ``keras.Sequential`` model on ``x``.

    Parameters
    ----------
    model : keras.Sequential
    x : array_like
        Inputs, one row per sample (the training set or a large sample of it).
    threshold : float
        A tanh unit is saturated when ``|output| >= threshold`` on every row (a sigmoid unit
        when its output is at most ``1 - threshold`` or at least ``threshold`` on every row).

    Returns
    -------
    UnitFractions

    Examples
    --------
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(3, activation="tanh"), keras.layers.Dense(1)])
    >>> model.layers[0].set_weights([np.array([[100.0, -100.0, 0.001]]), np.zeros(3)])
    >>> round(unit_fractions(model, [[1.0], [2.0]]).saturated, 3)
    0.667
    >>> unit_fractions(model, [[1.0]], threshold=1.5)
    Traceback (most recent call last):
    ...
    ValueError: threshold must be in (0, 1), got 1.5
    """
    if not isinstance(model, keras.Sequential):
        raise TypeError(f"model must be a keras.Sequential (its layers are read in order), got {type(model).__name__}")
    threshold = check_positive(threshold, "threshold")
    if threshold >= 1:
        raise ValueError(f"threshold must be in (0, 1), got {threshold!r}")
    h = np.asarray(x, dtype=model.trainable_variables[0].dtype if model.trainable_variables else "float32")
    counts = {"dead": [0, 0], "saturated": [0, 0]}
    names, shares = [], []
    with np.errstate(all="ignore"):
        for layer in model.layers[:-1]:  # the last layer is the output, not a hidden layer
            h = layer(h, training=False)
            kind = _activation(layer)
            if kind is None or kind not in DEAD + SATURATED:
                continue
            out = np.asarray(h).reshape(len(h), -1)
            if kind in DEAD:
                off = np.all(out <= 0, axis=0)
                key = "dead"
            elif kind == "tanh":
                off = np.all(np.abs(out) >= threshold, axis=0)
                key = "saturated"
            else:
                off = np.all((out <= 1 - threshold) | (out >= threshold), axis=0)
                key = "saturated"
            counts[key][0] += int(off.sum())
            counts[key][1] += off.size
            names.append(layer.name)
            shares.append(float(off.mean()))
    share = {k: (a / b if b else float("nan")) for k, (a, b) in counts.items()}
    return UnitFractions(share["dead"], share["saturated"], tuple(names), tuple(shares))


class Regime(enum.Enum):
    """How a run ended, in lesson 7's categories."""

    TRAINS = "trains"
    DIVERGES = "diverges"
    UNITS_DIE = "units die"
    SATURATES = "saturates"
    DID_NOT_TRAIN = "did not train"


def regime_of(run, units):
    """The regime of a finished run, from its outcome and the units on the data after it.

    Diverged (a non-finite loss): DIVERGES. Else, when at least :data:`MOSTLY` of the ReLU
    units are dead and the loss was not halved: UNITS_DIE. Else, when at least :data:`MOSTLY`
    of the tanh units are saturated: SATURATES (whether or not it trained). Else TRAINS or
    DID_NOT_TRAIN (lesson 5's criterion: the full-data loss at least halved).

    Parameters
    ----------
    run : helpers.net.training.TrainResult
    units : UnitFractions
        Measured after the run (ignored when the run diverged).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> stuck = SimpleNamespace(diverged=False, trained=False)
    >>> regime_of(stuck, UnitFractions(1.0, float("nan"), ("hidden1",), (1.0,)))
    <Regime.UNITS_DIE: 'units die'>
    """
    if run.diverged:
        return Regime.DIVERGES
    if not isinstance(units, UnitFractions):
        raise TypeError(f"units must be a UnitFractions, got {type(units).__name__}")
    if units.dead >= MOSTLY and not run.trained:
        return Regime.UNITS_DIE
    if units.saturated >= MOSTLY:
        return Regime.SATURATES
    return Regime.TRAINS if run.trained else Regime.DID_NOT_TRAIN
