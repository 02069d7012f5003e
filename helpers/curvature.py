"""Curvature of a Keras model's loss: Hessian-vector products, sharpness and the critical rate.

All quantities are for the mean squared error of ``model(x)`` against ``y`` over all the rows
given (full batch, mean reduction), as a function of the model's trainable weights ``w``
(:class:`HessianOperator` also takes any other loss of the model's output):

* :func:`hvp` -- the Hessian-vector product ``H v`` by differentiating ``grad L(w) . v``
  a second time (two nested ``tf.GradientTape``: reverse over reverse);
* :func:`dense_hessian` -- the whole Hessian, column block by column block (small models);
* :func:`sharpness` -- the largest *algebraic* eigenvalue ``lambda_max`` of the Hessian, by a
  Lanczos iteration on Hessian-vector products (never forms the Hessian);
* :func:`top_eigenpair` -- that Lanczos iteration on any symmetric operator (e.g. a
  preconditioned Hessian), optionally warm-started from a previous eigenvector;
* :func:`critical_lr` -- ``2 / sharpness``: plain gradient descent on the local quadratic
  model is stable below it and diverges above it;
* :func:`power_iteration` -- the method PyHessian uses (for comparison): it returns the
  eigenvalue of largest *magnitude*, which can be the most negative one.

Sharpness is the largest algebraic eigenvalue, not the largest in magnitude: a negative
eigenvalue is a direction where the loss curves *down*, and gradient descent does not blow up
along it.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from helpers.eigen import top_eigenpair  # noqa: E402  (the one Lanczos solver)
from helpers.validation import check_int, check_positive  # noqa: E402

__all__ = ["HessianOperator", "hvp", "dense_hessian", "sharpness", "critical_lr",
           "SharpnessResult", "min_eigenvalue", "power_iteration", "top_eigenpair", "check_model", "check_xy"]


def check_model(model):
    """Return ``model`` if it is a built ``keras.Model`` with trainable weights, else raise.

    Examples
    --------
    >>> import keras
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> check_model(model) is model
    True
    >>> check_model("net")
    Traceback (most recent call last):
    ...
    TypeError: model must be a keras.Model, got str
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    if not model.built or not model.trainable_variables:
        raise ValueError("model must be built and have trainable weights")
    return model


def check_xy(x, y, dtype=np.float32, *, single_target=False, finite=True):
    """Return ``x`` and ``y`` as arrays of ``dtype`` with one row of ``y`` per row of ``x``, else raise.

    A 1-D ``y`` becomes a column.

    Parameters
    ----------
    x, y : array_like
    dtype : numpy dtype
        Of the returned arrays (float32 by default; :class:`HessianOperator` passes the
        model's).
    single_target : bool
        False (default): ``x`` has shape (samples, features...) and ``y`` any number of
        columns. True: ``x`` must be 2-D and ``y`` one column (the lesson-4 experiment).
    finite : bool
        Also refuse inf and nan entries (default True).

    Returns
    -------
    x, y : numpy.ndarray

    Examples
    --------
    >>> x, y = check_xy([[1.0, 2.0], [3.0, 4.0]], [5.0, 6.0])
    >>> x.dtype.name, y.shape
    ('float32', (2, 1))
    >>> check_xy([[1.0], [2.0]], [[1.0], [2.0], [3.0]], single_target=True)
    Traceback (most recent call last):
    ...
    ValueError: y must have one target per row of x, got shape (3, 1) for x of shape (2, 1)
    """
    x = np.asarray(x, dtype=dtype)
    y = np.asarray(y, dtype=dtype)
    if single_target and (x.ndim != 2 or x.shape[0] == 0):
        raise ValueError(f"x must be a non-empty 2-D array (samples, features), got shape {x.shape}")
    if x.ndim < 2 or x.shape[0] == 0:
        raise ValueError(f"x must be a non-empty array of shape (samples, features...), got shape {x.shape}")
    if y.ndim == 1:
        y = y.reshape(-1, 1)
    if single_target and y.shape != (x.shape[0], 1):
        raise ValueError(f"y must have one target per row of x, got shape {y.shape} for x of shape {x.shape}")
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"y must have one row per row of x, got shape {y.shape} for x of shape {x.shape}")
    if finite and not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("x and y must be finite")
    return x, y


class _OperatorTracesOnce(logging.Filter):
    """Drop TensorFlow's "frequent retracing" warning about HessianOperator: each operator traces
    its Hessian-vector product once, by design, and a lesson that builds dozens of operators (one
    per model or data set) would otherwise be told it retraces too often."""

    def filter(self, record):
        message = record.getMessage()
        return not ("triggered tf.function retracing" in message and "HessianOperator" in message)


tf.get_logger().addFilter(_OperatorTracesOnce())


def _mean_squared_error(prediction, target):
    return tf.reduce_mean(tf.square(prediction - target))


class HessianOperator:
    """The Hessian of ``mean((model(x) - y)**2)`` (or of ``loss_fn``) in the model's weights, as an operator.

    ``op(v)`` returns ``H v`` for a flat float64 vector ``v`` of length ``op.size`` (the number
    of trainable weights, in the order of ``model.trainable_variables``) and counts the
    products in ``op.count``. ``op.matmat(V)`` computes ``H V`` for a block of columns with
    one vectorised call (it counts ``V.shape[1]`` products).

    Parameters
    ----------
    model : keras.Model
    x, y : arrays, the rows the loss is computed on.
    loss_fn : callable ``(prediction, target) -> scalar tensor``, optional
        The loss whose Hessian this is, e.g. a summed squared error. ``target`` is ``y``
        reshaped to the prediction's shape. None (default): the mean squared error.

    Examples
    --------
    >>> import keras, numpy as np
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> op = HessianOperator(model, np.eye(2), np.zeros(2))
    >>> op.size
    3
    >>> np.round(op(np.array([0.0, 0.0, 1.0])), 6)  # the bias column: mean of 2 * 1 * [x, 1]
    array([1., 1., 2.])
    >>> summed = HessianOperator(model, np.eye(2), np.zeros(2),
    ...                          loss_fn=lambda p, t: tf.reduce_sum(tf.square(p - t)))
    >>> np.round(summed(np.array([0.0, 0.0, 1.0])), 6)  # twice the mean's: 2 rows
    array([2., 2., 4.])
    """

    def __init__(self, model, x, y, loss_fn=None):
        check_model(model)
        if loss_fn is not None and not callable(loss_fn):
            raise TypeError(f"loss_fn must be callable, got {type(loss_fn).__name__}")
        self.model = model
        self.loss_fn = _mean_squared_error if loss_fn is None else loss_fn
        self.variables = list(model.trainable_variables)
        self.dtype = self.variables[0].dtype
        x, y = check_xy(x, y, np.dtype(self.dtype))
        self._x = tf.constant(x)
        self._y = tf.constant(y)
        self.shapes = [tuple(v.shape) for v in self.variables]
        self.sizes = [int(np.prod(s)) for s in self.shapes]
        self.size = int(sum(self.sizes))
        self.count = 0
        self._hvp = tf.function(self._hvp_graph, input_signature=[tf.TensorSpec([self.size], self.dtype)])
        self._hvp_block = tf.function(self._block_graph,
                                      input_signature=[tf.TensorSpec([None, self.size], self.dtype)])
        self._grad = tf.function(self._grad_graph)

    def _loss(self):
        pred = self.model(self._x, training=False)
        return self.loss_fn(pred, tf.reshape(self._y, tf.shape(pred)))

    def _unflatten(self, v):
        parts = tf.split(v, self.sizes)
        return [tf.reshape(p, s) for p, s in zip(parts, self.shapes)]

    def _flat(self, tensors):
        return tf.concat([tf.reshape(t if t is not None else tf.zeros(s, self.dtype), [-1])
                          for t, s in zip(tensors, self.shapes)], axis=0)

    def _grad_graph(self):
        with tf.GradientTape() as tape:
            loss = self._loss()
        return loss, self._flat(tape.gradient(loss, self.variables))

    def _hvp_graph(self, v):
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                loss = self._loss()
            grad = self._flat(inner.gradient(loss, self.variables))
            grad_dot_v = tf.reduce_sum(grad * v)
        return self._flat(outer.gradient(grad_dot_v, self.variables))

    def _block_graph(self, vs):
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                loss = self._loss()
            grad = self._flat(inner.gradient(loss, self.variables))
            grads_dot_vs = tf.linalg.matvec(vs, grad)
        jac = outer.jacobian(grads_dot_vs, self.variables, experimental_use_pfor=True)
        return tf.concat([tf.reshape(j if j is not None else tf.zeros((tf.shape(vs)[0],) + s, self.dtype),
                                     [tf.shape(vs)[0], -1]) for j, s in zip(jac, self.shapes)], axis=1)

    def __call__(self, v):
        v = np.asarray(v, dtype=np.float64).reshape(-1)
        if v.shape != (self.size,):
            raise ValueError(f"v must have {self.size} entries, got {v.shape[0]}")
        self.count += 1
        return self._hvp(tf.constant(v, dtype=self.dtype)).numpy().astype(np.float64)

    def matmat(self, vs):
        """``H @ vs`` for a (size, k) block, as float64."""
        vs = np.asarray(vs, dtype=np.float64)
        if vs.ndim != 2 or vs.shape[0] != self.size:
            raise ValueError(f"vs must have shape ({self.size}, k), got {vs.shape}")
        self.count += vs.shape[1]
        return self._hvp_block(tf.constant(vs.T, dtype=self.dtype)).numpy().astype(np.float64).T

    def loss_and_gradient(self):
        """The loss (float) and its flat gradient (float64 array) at the current weights."""
        loss, grad = self._grad()
        return float(loss), grad.numpy().astype(np.float64)


def hvp(model, x, y, v):
    """Hessian-vector product ``H v`` of the mean squared error of ``model(x)`` against ``y``.

    ``v`` is a flat vector over all trainable weights (order of ``model.trainable_variables``).

    Examples
    --------
    >>> import keras, numpy as np
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    >>> hvp(model, [[1.0], [3.0]], [0.0, 0.0], [1.0, 0.0])  # (2/n) sum x^2 and (2/n) sum x
    array([10.,  4.])
    """
    return HessianOperator(model, x, y)(v)


def dense_hessian(model, x, y, block=256):
    """The full Hessian (float64, symmetrised), built ``block`` columns at a time from HVPs.

    Meant for small models and for checking :func:`sharpness`: a model with ``p`` weights
    needs ``p`` Hessian-vector products and ``8 p^2`` bytes.

    Examples
    --------
    >>> import keras, numpy as np
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    >>> dense_hessian(model, [[1.0], [3.0]], [0.0, 0.0])
    array([[10.,  4.],
           [ 4.,  2.]])
    """
    block = check_int(block, "block", 1)
    op = HessianOperator(model, x, y)
    eye = np.eye(op.size)
    cols = [op.matmat(eye[:, start:start + block]) for start in range(0, op.size, block)]
    hess = np.concatenate(cols, axis=1)
    return 0.5 * (hess + hess.T)


@dataclass
class SharpnessResult:
    """Result of :func:`sharpness` with ``return_info=True``.

    Attributes
    ----------
    sharpness : largest algebraic eigenvalue of the Hessian.
    critical_lr : ``2 / sharpness`` (inf when the sharpness is not positive).
    hvps : Hessian-vector products used.
    residual : ``||H q - sharpness q||`` for the returned Ritz vector ``q``; there is an
        eigenvalue within ``residual`` of ``sharpness`` (Weyl/Bauer-Fike bound for symmetric H).
    converged : whether ``residual <= tol * |sharpness|`` was reached within ``max_hvps``.
    vector : the unit eigenvector estimate (flat, float64).
    """

    sharpness: float
    critical_lr: float
    hvps: int
    residual: float
    converged: bool
    vector: np.ndarray


def sharpness(model, x, y, *, tol=1e-4, max_hvps=200, seed=0, return_info=False):
    """Largest algebraic eigenvalue of the Hessian of ``mean((model(x) - y)**2)``.

    The Hessian is never formed: a Lanczos iteration (:func:`top_eigenpair`: full
    reorthogonalisation, float64) drives Hessian-vector products and stops when the residual
    of its best Ritz pair is at most ``tol`` times the eigenvalue, which bounds the relative
    error by ``tol`` (in practice the error is far smaller: it shrinks like the residual
    squared over the spectral gap).

    Parameters
    ----------
    model : keras.Model
    x, y : arrays, the rows the loss averages over (use all of them: full batch).
    tol : float
        Relative residual at which to stop (default 1e-4).
    max_hvps : int
        At most this many Hessian-vector products.
    seed : int
        Seeds the Lanczos start vector.
    return_info : bool
        Return a :class:`SharpnessResult` instead of a float.

    Examples
    --------
    >>> import keras, numpy as np
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    >>> x = np.array([[1.0], [3.0]])
    >>> round(sharpness(model, x, [0.0, 0.0]), 4)  # top eigenvalue of [[10, 4], [4, 2]]
    11.6569
    """
    tol = check_positive(tol, "tol")
    max_hvps = check_int(max_hvps, "max_hvps", 1)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    op = HessianOperator(model, x, y)
    theta, vector, residual = top_eigenpair(op, op.size, tol=tol, max_iter=max_hvps, seed=seed)
    if not return_info:
        return theta
    return SharpnessResult(sharpness=theta, critical_lr=2.0 / theta if theta > 0 else math.inf,
                           hvps=op.count, residual=residual,
                           converged=bool(residual <= tol * abs(theta)), vector=vector)


def min_eigenvalue(model, x, y, *, tol=1e-4, max_hvps=200, seed=0):
    """Smallest algebraic eigenvalue of the Hessian of ``mean((model(x) - y)**2)``.

    Negative when the loss curves *down* in some direction (a saddle): along that direction
    gradient descent moves away at any learning rate, sliding off rather than blowing up.
    Computed as ``-top_eigenpair(-H)`` with the same Lanczos iteration as :func:`sharpness`.

    Examples
    --------
    >>> import keras, numpy as np
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    >>> x = np.array([[1.0], [3.0]])
    >>> round(min_eigenvalue(model, x, [0.0, 0.0]), 4)  # bottom eigenvalue of [[10, 4], [4, 2]]
    0.3431
    """
    tol = check_positive(tol, "tol")
    max_hvps = check_int(max_hvps, "max_hvps", 1)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    op = HessianOperator(model, x, y)
    theta, _, _ = top_eigenpair(lambda v: -op(v), op.size, tol=tol, max_iter=max_hvps, seed=seed)
    return -theta


def critical_lr(model, x, y, **kwargs):
    """``2 / sharpness(model, x, y)``: the largest stable plain-SGD rate at these weights.

    On a quadratic loss, full-batch gradient descent converges for ``lr < critical_lr`` and
    diverges for ``lr > critical_lr``; a net is locally close to one. Returns ``inf`` when
    the sharpness is not positive. Keyword arguments go to :func:`sharpness`.

    Examples
    --------
    >>> import keras, numpy as np
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    >>> round(critical_lr(model, [[1.0], [3.0]], [0.0, 0.0]), 5)
    0.17157
    """
    lam = sharpness(model, x, y, **kwargs)
    return 2.0 / lam if lam > 0 else math.inf


def power_iteration(model, x, y, *, max_iter=100, tol=1e-3, seed=0):
    """Top eigenvalue as PyHessian computes it: power iteration on HVPs, relative-change stop.

    Stops when ``|lambda_k - lambda_{k-1}| / (|lambda_{k-1}| + 1e-6) < tol`` or after
    ``max_iter`` products. Converges to the eigenvalue of largest *magnitude* (possibly
    negative) and slowly when the top two are close. Kept for comparison with :func:`sharpness`.

    Returns
    -------
    (eigenvalue, hvps_used)

    Examples
    --------
    >>> import keras, numpy as np
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    >>> value, used = power_iteration(model, [[1.0], [3.0]], [0.0, 0.0])
    >>> round(value, 2)
    11.66
    """
    max_iter = check_int(max_iter, "max_iter", 1)
    tol = check_positive(tol, "tol")
    op = HessianOperator(model, x, y)
    v = np.random.default_rng(seed).standard_normal(op.size)
    v /= np.linalg.norm(v)
    value = None
    for _ in range(max_iter):
        hv = op(v)
        new = float(v @ hv)
        v = hv / (np.linalg.norm(hv) + 1e-6)
        if value is not None and abs(value - new) / (abs(value) + 1e-6) < tol:
            value = new
            break
        value = new
    return value, op.count
