"""Where the first nan of a diverged run came from: a float32 replay of its last steps, or TensorFlow's own checks.

A loss that grows geometrically reaches inf first (float32 overflows near 3.4e38); nan comes
one operation later, from ``inf - inf`` or ``0 * inf``. :func:`nan_autopsy` replays the diverged
step of a :class:`helpers.net.training.TrainResult`, operation by operation, and names the
first operation whose result is nan, with a concrete pair of float32 operands. The forward and
backward pass are :mod:`helpers.mlp`'s, run in float32; this module only traces where the nan appeared.
:func:`first_nonfinite_op` asks TensorFlow instead: it runs any function with every operation
checking its output, and names the first operation whose output was inf or nan.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass

import helpers.net.env  # noqa: F401  (TensorFlow's environment first)

import numpy as np  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from helpers.mlp import _backward, _forward  # noqa: E402  (the forward and backward pass)
from helpers.net.hessian import check_model  # noqa: E402
from helpers.net.training import TrainResult, train  # noqa: E402
from helpers.validation import check_int  # noqa: E402

__all__ = ["NanAutopsy", "nan_autopsy", "first_nonfinite_op"]


@dataclass
class NanAutopsy:
    """The first operation that produced a nan, found by replaying SGD in float32 numpy.

    Attributes
    ----------
    step : training step (as in :class:`helpers.net.training.TrainResult`) where the nan appeared.
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

    ``model`` must hold the weights at which ``result`` stopped (as
    :func:`helpers.net.training.train` leaves them: the diverging step's update is not applied).
    The model must be Dense layers with relu, leaky_relu (slope 0.2) or linear activations,
    trained by plain SGD on the mean squared error. The run's first non-finite step is replayed in float32 numpy, operation by
    operation, and its update applied (training stopped before applying it); if no nan
    appeared yet, SGD continues, in numpy, on the next minibatches until one does. For every
    replayed step before the nan the autopsy records the largest output, the loss, and how
    many gradient entries and weights were infinite: the chain that leads from a finite
    output to the nan.

    Parameters
    ----------
    model : keras.Model
    x, y : arrays of shapes (n, features) and (n, 1), the data ``result`` trained on
    result : helpers.net.training.TrainResult
        A diverged run (its ``lr``, ``diverged_at`` and ``batch_index`` are used).
    max_extra_steps : int

    Returns
    -------
    NanAutopsy, or None if no nan appeared within ``max_extra_steps`` further steps.

    Examples
    --------
    >>> x = np.array([[3e19]], "float32"); y = np.zeros((1, 1), "float32")
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, kernel_initializer="ones")])
    >>> run = train(model, x, y, keras.optimizers.SGD(1.0), epochs=3, batch_size=1)
    >>> run.diverged_at, nan_autopsy(model, x, y, run).operation
    (0, 'inf - inf')
    """
    check_model(model)
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y, dtype=np.float32)
    if x.ndim != 2 or y.shape != (x.shape[0], 1):
        raise ValueError(f"x must be (n, features) and y (n, 1), got shapes {x.shape} and {y.shape}")
    if not isinstance(result, TrainResult):
        raise TypeError(f"result must be a helpers.net.training.TrainResult, got {type(result).__name__}")
    if not result.diverged:
        raise ValueError("result did not diverge: there is no nan to explain")
    max_extra_steps = check_int(max_extra_steps, "max_extra_steps", 1)
    layers, slopes = _dense_layers(model)
    weights = [w.numpy().astype(np.float32) for layer in layers for w in (layer.kernel, layer.bias)]
    names = [layer.name for layer in layers]
    lr = np.float32(result.lr)
    step = result.diverged_at
    idx = result.batch_index[step]
    first = {}   # what the first replayed step showed
    trail = []
    with np.errstate(all="ignore"):
        for extra in range(max_extra_steps + 1):
            xb, yb = x[idx], y[idx]
            inputs, pre = _forward(weights, xb, slopes)
            found = _nan_in_forward(weights, inputs, pre, names)
            if not found:
                err = inputs[-1] - yb
                loss = float(np.mean(np.square(err)))
                grads, deltas = _backward(weights, inputs, pre, np.float32(2.0 / len(yb)) * err, slopes)
                found = _nan_in_backward(weights, inputs, deltas, names)
            if not found:
                largest = float(np.abs(inputs[-1]).max())
                inf_grads = int(sum(np.isinf(g).sum() for g in grads))
                if not first:
                    first.update(largest_output=largest, loss=loss, inf_gradients=inf_grads, inf_weights=0)
                found = _nan_in_update(weights, grads, lr, names)
            if found:
                return _autopsy(step + extra, *found, first, trail)
            weights = [w - lr * g for w, g in zip(weights, grads)]
            inf_weights = int(sum(np.isinf(w).sum() for w in weights))
            if extra == 0:
                first["inf_weights"] = inf_weights
            trail.append(f"step {step + extra}: largest output {largest:.3g}, loss {loss:.3g}; "
                         f"{inf_grads:,} gradient entries are ±inf; after the update {inf_weights:,} weights are ±inf")
            if step + extra + 1 >= len(result.batch_index):
                break
            idx = result.batch_index[step + extra + 1]
    return None


def _nan_in_forward(weights, inputs, pre, names):
    """The first layer whose product or bias sum made a nan, in the order the forward pass runs."""
    for i, name in enumerate(names):
        kernel, bias = weights[2 * i], weights[2 * i + 1]
        found = _find_nan_in_matmul(inputs[i], kernel, f"forward pass of {name} (inputs times kernel)")
        if found:
            return found
        if np.isnan(pre[i]).any():
            bad = np.argwhere(np.isnan(pre[i]))[0]
            return (f"forward pass of {name} (plus bias)", "inf - inf",
                    (float((inputs[i] @ kernel)[tuple(bad)]), float(bias[bad[1]])))
    return None


def _nan_in_backward(weights, inputs, deltas, names):
    """The first product of backpropagation that made a nan, from the output layer down."""
    for i in reversed(range(len(names))):
        found = _find_nan_in_matmul(inputs[i].T, deltas[i], f"gradient of {names[i]} kernel")
        if not found and i:
            found = _find_nan_in_matmul(deltas[i], weights[2 * i].T, f"error backpropagated into {names[i - 1]}")
        if found:
            return found
    return None


def _nan_in_update(weights, grads, lr, names):
    """The first weight whose update ``w - lr * grad`` is nan."""
    for j, (w, g) in enumerate(zip(weights, grads)):
        bad = np.argwhere(np.isnan(w - lr * g))
        if bad.size:
            at = tuple(bad[0])
            return (f"update of {names[j // 2]} {('kernel', 'bias')[j % 2]} (w - lr * grad)", "inf - inf",
                    (float(w[at]), float(-lr * g[at])))
    return None


def _autopsy(step, where, operation, operands, first, trail):
    a, b = operands
    text = (f"step {step}: the first nan appeared in the {where}: "
            f"{a:.3g} {'*' if operation == '0 * inf' else '+'} {b:.3g} = nan ({operation})")
    first = first or {"largest_output": math.nan, "loss": math.nan, "inf_gradients": 0, "inf_weights": 0}
    return NanAutopsy(step=int(step), where=where, operation=operation, operands=(a, b),
                      trail=tuple(trail), description="\n".join([*trail, text]), **first)
