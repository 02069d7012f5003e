"""A dense network's mean squared error and its gradient in plain numpy, to replay an SGD run.

Lesson 4 asks what the steps of a recorded run did to the loss. :func:`sgd_replay` repeats the
run's minibatch steps in float64 numpy from the same initial weights (``model.get_weights()`` of a
Keras ``Sequential`` of ``Dense`` layers with leaky-ReLU hidden layers and a linear output), and
:func:`loss_along_step` evaluates the full-data loss along the line of any one of those steps.
:func:`gauss_newton_sharpness` measures the Hessian's Gauss-Newton part at any weights. The flat
order of the weights is that of ``model.trainable_variables``: each layer's kernel, then its bias.

Examples
--------
>>> weights = [np.array([[2.0]]), np.array([0.0])]          # one linear unit: prediction 2x
>>> x, y = np.array([[1.0], [2.0]]), np.array([[1.0], [2.0]])
>>> loss, grads = loss_and_gradient(weights, x, y)
>>> loss, [g.tolist() for g in grads]                          # mean (2x - x)^2 = 2.5
(2.5, [[[5.0]], [3.0]])
"""

from __future__ import annotations

import numpy as np

from helpers.eigen import top_eigenpair
from helpers.validation import check_finite_array, check_lr, check_positive

__all__ = ["loss_and_gradient", "sgd_replay", "SGDReplay", "loss_along_step",
           "gauss_newton_sharpness"]


def _check_weights(weights):
    if not isinstance(weights, (list, tuple)) or len(weights) < 2 or len(weights) % 2:
        raise ValueError(f"weights must be a list of kernels and biases (even length >= 2), got {type(weights).__name__}"
                         f" of length {len(weights) if hasattr(weights, '__len__') else '?'}")
    out = [np.asarray(w, dtype=np.float64) for w in weights]
    for i in range(0, len(out), 2):
        kernel, bias = out[i], out[i + 1]
        if kernel.ndim != 2 or bias.shape != (kernel.shape[1],):
            raise ValueError(f"weights[{i}] must be a kernel (inputs, units) followed by its bias (units,), "
                             f"got shapes {kernel.shape} and {bias.shape}")
        if i and kernel.shape[0] != out[i - 2].shape[1]:
            raise ValueError(f"weights[{i}] has {kernel.shape[0]} inputs, but the layer before has "
                             f"{out[i - 2].shape[1]} units")
    return out


def _check_xy(x, y, weights):
    x = check_finite_array(x, "x", ndim=2).astype(np.float64)
    y = check_finite_array(y, "y").astype(np.float64).reshape(x.shape[0], -1)
    if x.shape[1] != weights[0].shape[0]:
        raise ValueError(f"x must have {weights[0].shape[0]} columns (the first kernel's inputs), got {x.shape[1]}")
    if y.shape[1] != weights[-1].shape[0]:
        raise ValueError(f"y must have {weights[-1].shape[0]} column(s) (the last layer's units), got {y.shape[1]}")
    return x, y


def _slopes(weights, negative_slope):
    """Each layer's slope below zero: the hidden layers' leaky ReLU, then the linear output (1)."""
    return [negative_slope] * (len(weights) // 2 - 1) + [1.0]


def _forward(weights, x, slopes):
    """Each layer's input (and the output last) and each layer's pre-activation, in the dtype of ``x``.

    ``slopes`` holds each layer's slope below zero (0 for ReLU, 1 for a linear layer).
    """
    inputs, pre = [x], []
    h = x
    for i, slope in enumerate(slopes):
        z = h @ weights[2 * i] + weights[2 * i + 1]
        pre.append(z)
        h = z if slope == 1 else np.where(z > 0, z, slope * z)
        inputs.append(h)
    return inputs, pre


def _backward(weights, inputs, pre, d_output, slopes):
    """Backpropagation from ``d_output`` (d loss / d output): the gradients, and each layer's delta.

    A layer's delta is d loss / d its pre-activation; the gradients are shaped like ``weights``.
    """
    grads, deltas = [None] * len(weights), [None] * len(slopes)
    delta = d_output
    for i in reversed(range(len(slopes))):
        if slopes[i] != 1:
            delta = delta * np.where(pre[i] > 0, 1, slopes[i]).astype(delta.dtype)
        deltas[i] = delta
        grads[2 * i] = inputs[i].T @ delta
        grads[2 * i + 1] = delta.sum(axis=0)
        if i:
            delta = delta @ weights[2 * i].T
    return grads, deltas


def _loss_and_gradient(weights, x, y, slope):
    slopes = _slopes(weights, slope)
    inputs, pre = _forward(weights, x, slopes)
    error = inputs[-1] - y
    grads, _ = _backward(weights, inputs, pre, 2 * error / error.size, slopes)   # d mean(error²) / d prediction
    return float(np.mean(error ** 2)), grads


def loss_and_gradient(weights, x, y, negative_slope=0.2):
    """Mean squared error of the network over ``(x, y)`` and its gradient, layer by layer.

    Parameters
    ----------
    weights : list of arrays
        Kernel ``(inputs, units)`` and bias ``(units,)`` of each layer, in order (what
        ``model.get_weights()`` returns for a ``Sequential`` of ``Dense`` layers).
    x, y : arrays of shapes (n, inputs) and (n,) or (n, outputs)
    negative_slope : float
        Slope of the hidden layers' leaky ReLU below zero (Keras's default, 0.2).

    Returns
    -------
    loss : float
    grads : list of arrays shaped like ``weights`` (float64)

    Examples
    --------
    >>> w = [np.array([[1.0], [-1.0]]), np.array([0.0]), np.array([[3.0]]), np.array([1.0])]
    >>> x, y = np.array([[2.0, 0.0], [0.0, 2.0]]), np.array([7.0, 1.0])
    >>> loss, grads = loss_and_gradient(w, x, y)           # hidden unit: 2 and leaky(-2) = -0.4
    >>> round(loss, 6), grads[3].round(6).tolist()                # errors 0 and -1.2
    (0.72, [-1.2])
    """
    weights = _check_weights(weights)
    x, y = _check_xy(x, y, weights)
    return _loss_and_gradient(weights, x, y, check_positive(negative_slope, "negative_slope"))


class SGDReplay:
    """The weights before every replayed step and after the last one (see :func:`sgd_replay`).

    Attributes
    ----------
    weights : list of weight lists, ``len(batches) + 1`` of them.
    full_loss : (len(batches) + 1,) array, the full-data loss at each of them.
    """

    def __init__(self, weights, full_loss):
        self.weights = weights
        self.full_loss = np.asarray(full_loss, dtype=np.float64)


def sgd_replay(weights, x, y, lr, batches, negative_slope=0.2):
    """Repeat plain minibatch SGD, ``w <- w - lr * grad(minibatch loss)``, from ``weights``.

    Parameters
    ----------
    weights : list of arrays, as for :func:`loss_and_gradient` (not modified).
    x, y : the full data.
    lr : float
        Learning rate, > 0.
    batches : (steps, batch_size) integer array
        The rows of each step's minibatch, e.g. a recorded run's ``batch_index[:steps]``.
    negative_slope : float

    Returns
    -------
    SGDReplay

    Examples
    --------
    >>> weights = [np.array([[0.0]]), np.array([0.0])]
    >>> x, y = np.array([[0.0], [0.0]]), np.array([1.0, 1.0])   # only the bias matters
    >>> replay = sgd_replay(weights, x, y, lr=0.25, batches=[[0], [1]])
    >>> [float(w[1][0]) for w in replay.weights], replay.full_loss.round(4).tolist()   # error × 0.5 each step
    ([0.0, 0.5, 0.75], [1.0, 0.25, 0.0625])
    """
    weights = _check_weights(weights)
    x, y = _check_xy(x, y, weights)
    lr = check_lr(lr)
    slope = check_positive(negative_slope, "negative_slope")
    batches = np.asarray(batches)
    if batches.ndim != 2 or batches.dtype.kind not in "iu" or batches.size == 0:
        raise ValueError(f"batches must be a non-empty 2-D array of row indices, got shape {batches.shape}")
    if batches.min() < 0 or batches.max() >= x.shape[0]:
        raise ValueError(f"batches must index rows 0..{x.shape[0] - 1}, got {batches.min()}..{batches.max()}")
    path, losses = [weights], [_loss_and_gradient(weights, x, y, slope)[0]]
    for rows in batches:
        _, grads = _loss_and_gradient(path[-1], x[rows], y[rows], slope)
        path.append([w - lr * g for w, g in zip(path[-1], grads)])
        losses.append(_loss_and_gradient(path[-1], x, y, slope)[0])
    return SGDReplay(path, losses)


def loss_along_step(before, after, x, y, t, negative_slope=0.2):
    """Full-data loss at ``before + t (after - before)`` for each ``t``: the loss along one step's line.

    ``t = 0`` is the start of the step and ``t = 1`` where the step landed. A step that is
    downhill at ``t = 0`` but longer than the distance to the lowest loss on its own line shows
    a loss that first falls and then rises, possibly above where it started.

    Parameters
    ----------
    before, after : list of arrays
        The weights before and after the step, as for :func:`loss_and_gradient`.
    x, y : the full data.
    t : array_like of float
        Fractions of the step (any finite values; 0 and 1 are the two ends).
    negative_slope : float

    Returns
    -------
    (len(t),) float64 array

    Examples
    --------
    >>> before, after = [np.array([[0.0]]), np.array([0.0])], [np.array([[0.0]]), np.array([3.0])]
    >>> x, y = np.array([[0.0]]), np.array([1.0])                 # loss (b - 1)² along b = 3t
    >>> loss_along_step(before, after, x, y, [0.0, 1 / 3, 1.0]).round(6).tolist()
    [1.0, 0.0, 4.0]
    """
    before, after = _check_weights(before), _check_weights(after)
    if [w.shape for w in before] != [w.shape for w in after]:
        raise ValueError(f"after must have the shapes of before, got {[w.shape for w in after]} "
                         f"and {[w.shape for w in before]}")
    x, y = _check_xy(x, y, before)
    t = check_finite_array(t, "t", ndim=1).astype(np.float64)
    slope = check_positive(negative_slope, "negative_slope")
    losses = []
    for chunk in np.array_split(t, max(1, t.size // 32)):      # all points of a chunk at once: (points, rows, units)
        fraction = chunk[:, None, None]                           # kernels (points, inputs, units), biases (points, 1, units)
        inputs, _ = _forward([b + fraction * (a - b) for b, a in zip(before, after)], x[None], _slopes(before, slope))
        losses.append(np.mean((inputs[-1] - y[None]) ** 2, axis=(1, 2)))
    return np.concatenate(losses)


def gauss_newton_sharpness(weights, x, negative_slope=0.2, tol=1e-6):
    """Largest eigenvalue of the Gauss-Newton part ``(2/n) JᵀJ`` of the mean squared error's Hessian.

    For ``L = mean((f(x_i) - y_i)²)`` over ``n`` rows the Hessian is
    ``(2/n) JᵀJ + (2/n) Σ_i (f(x_i) - y_i) ∇²f(x_i)``, with ``J`` the ``(n, weights)`` Jacobian of
    the outputs. The first part (Gauss-Newton) is positive semi-definite and does not depend on
    the targets; the second is weighted by the residuals and is where any negative curvature
    comes from. Found by a Lanczos iteration (:func:`helpers.eigen.top_eigenpair`) on ``J``.

    Parameters
    ----------
    weights : list of arrays, as for :func:`loss_and_gradient`, of a network with one output.
    x : (n, inputs) array
    negative_slope : float
    tol : float
        Relative residual at which the Lanczos iteration stops.

    Returns
    -------
    float

    Examples
    --------
    >>> weights = [np.array([[1.0], [2.0]]), np.array([0.5])]    # a linear model: H = (2/n) [x 1]ᵀ[x 1]
    >>> x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> design = np.hstack([x, np.ones((3, 1))])
    >>> bool(np.isclose(gauss_newton_sharpness(weights, x), np.linalg.eigvalsh(2 / 3 * design.T @ design)[-1]))
    True
    """
    weights = _check_weights(weights)
    if weights[-1].shape != (1,):
        raise ValueError(f"weights must end in a layer with one output, got {weights[-1].shape[0]} outputs")
    x = check_finite_array(x, "x", ndim=2).astype(np.float64)
    if x.shape[1] != weights[0].shape[0]:
        raise ValueError(f"x must have {weights[0].shape[0]} columns (the first kernel's inputs), got {x.shape[1]}")
    slope, tol = check_positive(negative_slope, "negative_slope"), check_positive(tol, "tol")
    inputs, pre = _forward(weights, x, _slopes(weights, slope))
    n, layers = x.shape[0], len(weights) // 2
    delta, columns = np.ones((n, 1)), [None] * len(weights)   # d output / d each layer's pre-activation
    for i in reversed(range(layers)):
        columns[2 * i] = (inputs[i][:, :, None] * delta[:, None, :]).reshape(n, -1)
        columns[2 * i + 1] = delta
        if i:
            delta = (delta @ weights[2 * i].T) * np.where(pre[i - 1] > 0, 1.0, slope)
    jacobian = np.concatenate(columns, axis=1)
    value, _, _ = top_eigenpair(lambda v: 2 / n * (jacobian.T @ (jacobian @ v)), jacobian.shape[1], tol=tol)
    return float(value)
