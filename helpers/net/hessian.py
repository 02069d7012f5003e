"""The Hessian of any Keras model's loss as a ``scipy.sparse.linalg.LinearOperator``; sharpness and critical rate.

The Hessian ``H`` is that of the loss over *all* the data given, as a function of the
model's trainable weights flattened into one vector (in the order of
``model.trainable_variables``). It is never formed: :class:`HessianOperator` computes
Hessian-vector products ``H v`` by differentiating ``grad L(w) . v`` a second time (two nested
``tf.GradientTape``), and scipy's solvers (``eigsh``, ``cg``, ...) accept it as it is.

* any Keras loss: a name, a ``keras.losses.Loss`` (with its reduction) or a callable
  ``fn(y_true, y_pred)``; default the mean squared error (:mod:`helpers.net.losses`);
* data as ``x, y`` arrays or a finite ``tf.data.Dataset`` of ``(x, y)`` batches; with
  ``batch_size`` the product for the *whole-data* loss is accumulated batch by batch (each
  batch weighted by its share of the rows), so memory is bounded by one batch and the value is
  that of the full batch up to float32 rounding;
* layers that behave differently in training (``Dropout``, ``BatchNormalization``) are
  evaluated in **inference mode** (``training=False``): no dropout, and batch normalisation
  with its moving statistics, so the Hessian is that of a fixed, deterministic function;
* weight regularisation (``model.losses``) is not part of the loss here: the Hessian is the
  data term's.

:func:`sharpness` is the largest *algebraic* eigenvalue (Lanczos, :func:`helpers.eigen.top_eigenpair`);
:func:`min_eigenvalue` the most negative one (each with its eigenvector when ``return_info=True``);
:func:`critical_lr` the largest stable rate of plain SGD, SGD with momentum or Nesterov
(:func:`helpers.momentum.critical_lr`).

Examples
--------
>>> import numpy as np
>>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
>>> x, y = np.array([[1.0], [3.0]]), np.zeros(2)
>>> op = HessianOperator(model, x, y)
>>> op.shape
(2, 2)
>>> op @ np.array([1.0, 0.0])            # mean squared error: (2/n) sum x^2, (2/n) sum x
array([10.,  4.])
>>> round(sharpness(model, x, y), 4)     # top eigenvalue of [[10, 4], [4, 2]]
11.6569
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import helpers.net.env  # noqa: F401  (TensorFlow's environment first)

import numpy as np  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from scipy.sparse.linalg import LinearOperator  # noqa: E402

from helpers.eigen import top_eigenpair  # noqa: E402
from helpers.momentum import critical_lr as _momentum_critical_lr  # noqa: E402
from helpers.net.data import Batches  # noqa: E402
from helpers.net.losses import as_loss, batch_weight  # noqa: E402
from helpers.validation import check_int, check_positive  # noqa: E402

__all__ = ["HessianOperator", "hvp", "dense_hessian", "SharpnessResult", "sharpness",
           "MinEigenvalueResult", "min_eigenvalue", "critical_lr", "optimizer_momentum",
           "preconditioned_sharpness", "check_model"]


class _OperatorTracesOnce(logging.Filter):
    """Drop TensorFlow's "frequent retracing" warning about HessianOperator: each operator traces
    its products once per batch shape, by design, and a lesson that builds dozens of operators
    (one per model or data set) would otherwise be told it retraces too often."""

    def filter(self, record):
        message = record.getMessage()
        return not ("triggered tf.function retracing" in message and "HessianOperator" in message)


tf.get_logger().addFilter(_OperatorTracesOnce())


def check_model(model):
    """Return ``model`` if it is a built ``keras.Model`` with trainable weights, else raise.

    Examples
    --------
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


class HessianOperator(LinearOperator):
    """The Hessian of a model's loss over all the data, in its flattened trainable weights.

    A ``scipy.sparse.linalg.LinearOperator`` of shape ``(p, p)`` (``p`` trainable weights),
    float64, symmetric: ``op @ v``, ``op.matvec(v)``, ``op.matmat(V)`` and scipy's solvers
    work on it. Every Hessian-vector product is counted in ``op.hvps`` (a block of ``k``
    columns counts ``k``). Layers run in inference mode (``training=False``).

    Parameters
    ----------
    model : keras.Model
        Built, with trainable weights. Its weights are read at each product, so the operator
        follows the model as it trains.
    x : array_like or tf.data.Dataset
        Inputs (one row per sample), or a finite dataset of ``(x, y)`` batches.
    y : array_like, optional
        Targets (None with a dataset).
    loss : str, keras.losses.Loss or callable, optional
        The loss (see :func:`helpers.net.losses.as_loss`); default the mean squared error.
    batch_size : int, optional
        Accumulate each product over batches of this many rows (bounded memory, same value).
        None: all rows at once (or the dataset's own batches).

    Examples
    --------
    >>> import numpy as np
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> op = HessianOperator(model, np.eye(2), np.zeros(2), loss="mse", batch_size=1)
    >>> np.round(op.matvec([0.0, 0.0, 1.0]), 6)   # the bias column: mean of 2 * [x, 1]
    array([1., 1., 2.])
    >>> op.hvps
    1
    """

    def __init__(self, model, x, y=None, *, loss=None, batch_size=None):
        check_model(model)
        self.model = model
        self.variables = list(model.trainable_variables)
        self.weights_dtype = tf.as_dtype(self.variables[0].dtype)
        self.loss = as_loss(loss, dtype=self.weights_dtype.name)
        self.data = Batches(x, y, batch_size=batch_size, dtype=self.weights_dtype)
        self.shapes = [tuple(v.shape) for v in self.variables]
        self.sizes = [int(np.prod(s)) for s in self.shapes]
        size = int(sum(self.sizes))
        super().__init__(dtype=np.float64, shape=(size, size))
        self.hvps = 0
        self._hvp = tf.function(self._hvp_graph, reduce_retracing=True)
        self._block = tf.function(self._block_graph, reduce_retracing=True)
        self._grad = tf.function(self._grad_graph, reduce_retracing=True)
        self._loss = tf.function(self._batch_loss, reduce_retracing=True)

    # ------------------------------------------------------------------ graphs (one batch)
    def _batch_loss(self, xb, yb):
        return self.loss(yb, self.model(xb, training=False))

    def _flat(self, tensors):
        return tf.concat([tf.reshape(t if t is not None else tf.zeros(s, self.weights_dtype), [-1])
                          for t, s in zip(tensors, self.shapes)], axis=0)

    def _grad_graph(self, xb, yb):
        with tf.GradientTape() as tape:
            loss = self._batch_loss(xb, yb)
        return loss, self._flat(tape.gradient(loss, self.variables))

    def _hvp_graph(self, xb, yb, v):
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                loss = self._batch_loss(xb, yb)
            grad_dot_v = tf.reduce_sum(self._flat(inner.gradient(loss, self.variables)) * v)
        return self._flat(outer.gradient(grad_dot_v, self.variables))

    def _block_graph(self, xb, yb, vs):
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                loss = self._batch_loss(xb, yb)
            grads_dot_vs = tf.linalg.matvec(vs, self._flat(inner.gradient(loss, self.variables)))
        jac = outer.jacobian(grads_dot_vs, self.variables, experimental_use_pfor=True)
        k = tf.shape(vs)[0]
        return tf.concat([tf.reshape(j if j is not None else tf.zeros((k,) + s, self.weights_dtype), [k, -1])
                          for j, s in zip(jac, self.shapes)], axis=1)

    # ------------------------------------------------------------------ accumulated over batches
    def _accumulate(self, graph, *args):
        total = None
        for xb, yb in self.data:
            part = graph(xb, yb, *args).numpy().astype(np.float64)
            part *= batch_weight(self.loss, int(tf.shape(xb)[0]), self.data.rows)
            total = part if total is None else total + part
        return total

    def _matvec(self, v):
        v = np.asarray(v, dtype=np.float64).reshape(-1)
        self.hvps += 1
        return self._accumulate(self._hvp, tf.constant(v, dtype=self.weights_dtype))

    def _matmat(self, vs):
        vs = np.asarray(vs, dtype=np.float64)
        self.hvps += vs.shape[1]
        return self._accumulate(self._block, tf.constant(vs.T, dtype=self.weights_dtype)).T

    def _adjoint(self):
        return self

    def loss_value(self):
        """The loss over all the data (float), inference mode: :meth:`loss_and_gradient` without the gradient.

        Examples
        --------
        >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, kernel_initializer="ones")])
        >>> HessianOperator(model, [[1.0], [3.0]], [0.0, 0.0], batch_size=1).loss_value()   # mean of x^2
        5.0
        """
        return sum(batch_weight(self.loss, int(tf.shape(xb)[0]), self.data.rows) * float(self._loss(xb, yb))
                   for xb, yb in self.data)

    def loss_and_gradient(self):
        """The loss over all the data (float) and its flat gradient (float64 array), inference mode.

        Examples
        --------
        >>> import numpy as np
        >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, kernel_initializer="ones")])
        >>> loss, grad = HessianOperator(model, [[1.0], [3.0]], [0.0, 0.0]).loss_and_gradient()
        >>> loss, grad.tolist()             # mean of (x)^2; gradient (2/n) sum x * [x, 1]
        (5.0, [10.0, 4.0])
        """
        loss, grad = 0.0, np.zeros(self.shape[0])
        for xb, yb in self.data:
            value, g = self._grad(xb, yb)
            weight = batch_weight(self.loss, int(tf.shape(xb)[0]), self.data.rows)
            loss += weight * float(value)
            grad += weight * g.numpy().astype(np.float64)
        return loss, grad


def hvp(model, x, y, v, *, loss=None, batch_size=None):
    """One Hessian-vector product ``H v`` (see :class:`HessianOperator` for the arguments).

    Examples
    --------
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    >>> hvp(model, [[1.0], [3.0]], [0.0, 0.0], [1.0, 0.0])
    array([10.,  4.])
    """
    op = HessianOperator(model, x, y, loss=loss, batch_size=batch_size)
    v = np.asarray(v, dtype=np.float64).reshape(-1)
    if v.shape != (op.shape[0],):
        raise ValueError(f"v must have {op.shape[0]} entries, got {v.shape[0]}")
    return op.matvec(v)


def dense_hessian(model, x, y=None, *, loss=None, batch_size=None, block=256):
    """The whole Hessian (float64, symmetrised), built ``block`` columns at a time.

    For small models and for checking :func:`sharpness`: ``p`` weights cost ``p``
    Hessian-vector products and ``8 p^2`` bytes.

    Examples
    --------
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    >>> dense_hessian(model, [[1.0], [3.0]], [0.0, 0.0])
    array([[10.,  4.],
           [ 4.,  2.]])
    """
    block = check_int(block, "block", 1)
    op = HessianOperator(model, x, y, loss=loss, batch_size=batch_size)
    size = op.shape[0]
    eye = np.eye(size)
    hess = np.concatenate([op.matmat(eye[:, s:s + block]) for s in range(0, size, block)], axis=1)
    return 0.5 * (hess + hess.T)


@dataclass(frozen=True)
class SharpnessResult:
    """Result of :func:`sharpness` with ``return_info=True``.

    Attributes
    ----------
    sharpness : float
        Largest algebraic eigenvalue of the Hessian.
    critical_lr : float
        ``2 / sharpness`` (plain SGD; inf when the sharpness is not positive).
    hvps : int
        Hessian-vector products used.
    residual : float
        ``||H q - sharpness q||`` for the returned vector ``q``: an eigenvalue lies within
        ``residual`` of ``sharpness``.
    converged : bool
        Whether ``residual <= tol * |sharpness|`` was reached within ``max_hvps``.
    vector : numpy.ndarray
        The unit eigenvector estimate (flat, float64).
    """

    sharpness: float
    critical_lr: float
    hvps: int
    residual: float
    converged: bool
    vector: np.ndarray


def _check_solver(tol, max_hvps, seed):
    tol = check_positive(tol, "tol")
    max_hvps = check_int(max_hvps, "max_hvps", 1)
    seed = check_int(seed, "seed")
    return tol, max_hvps, seed


def sharpness(model, x, y=None, *, loss=None, batch_size=None, tol=1e-4, max_hvps=200, seed=0,
              return_info=False):
    """Largest algebraic eigenvalue of the Hessian of the loss over all the data.

    A Lanczos iteration with full reorthogonalisation (:func:`helpers.eigen.top_eigenpair`)
    drives Hessian-vector products and stops when the residual of its best Ritz pair is at
    most ``tol`` times the eigenvalue (the relative error is at most ``tol``, and in practice
    far smaller). It used no more products than scipy's ``eigsh(which="LA")`` at the same
    tolerance on the course's models (``benchmarks/sharpness.py``). Layers run in inference mode.

    Parameters
    ----------
    model : keras.Model
    x, y : arrays, or a finite ``tf.data.Dataset`` of ``(x, y)`` batches as ``x``
    loss : str, keras.losses.Loss or callable, optional
        Default: the mean squared error.
    batch_size : int, optional
        Accumulate each product over batches of this many rows (see :class:`HessianOperator`).
    tol : float
        Relative residual at which to stop (default 1e-4).
    max_hvps : int
        At most this many Hessian-vector products.
    seed : int
        Seeds the start vector.
    return_info : bool
        Return a :class:`SharpnessResult` instead of a float.

    Examples
    --------
    >>> import numpy as np
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    >>> x = np.array([[1.0], [3.0]])
    >>> round(sharpness(model, x, [0.0, 0.0]), 4)
    11.6569
    >>> round(sharpness(model, x, [0.0, 0.0], loss=keras.losses.MeanSquaredError(reduction="sum")), 4)
    23.3137
    """
    tol, max_hvps, seed = _check_solver(tol, max_hvps, seed)
    op = HessianOperator(model, x, y, loss=loss, batch_size=batch_size)
    theta, vector, residual = top_eigenpair(op.matvec, op.shape[0], tol=tol, max_iter=max_hvps, seed=seed)
    if not return_info:
        return theta
    return SharpnessResult(sharpness=theta, critical_lr=_momentum_critical_lr(theta), hvps=op.hvps,
                           residual=residual, converged=bool(residual <= tol * abs(theta)), vector=vector)


@dataclass(frozen=True)
class MinEigenvalueResult:
    """Result of :func:`min_eigenvalue` with ``return_info=True``.

    Attributes
    ----------
    min_eigenvalue : float
        Smallest algebraic (most negative) eigenvalue of the Hessian.
    hvps, residual, converged, vector
        As in :class:`SharpnessResult`, for this eigenvalue: ``vector`` is its unit eigenvector estimate.
    """

    min_eigenvalue: float
    hvps: int
    residual: float
    converged: bool
    vector: np.ndarray


def min_eigenvalue(model, x, y=None, *, loss=None, batch_size=None, tol=1e-4, max_hvps=200, seed=0,
                   return_info=False):
    """Smallest algebraic (most negative) eigenvalue of the Hessian of the loss over all the data.

    Negative at a saddle: along its eigenvector the loss curves *down*, and gradient descent
    slides away from the saddle at any rate instead of blowing up. Computed as
    ``-top_eigenpair(-H)`` with the same Lanczos iteration as :func:`sharpness`, and with the
    same arguments; ``return_info=True`` returns a :class:`MinEigenvalueResult`, which holds
    the eigenvector too.

    Examples
    --------
    >>> import numpy as np
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    >>> x = np.array([[1.0], [3.0]])
    >>> round(min_eigenvalue(model, x, [0.0, 0.0]), 4)    # bottom eigenvalue of [[10, 4], [4, 2]]
    0.3431
    >>> info = min_eigenvalue(model, x, [0.0, 0.0], return_info=True)
    >>> round(info.min_eigenvalue, 4), np.round(np.abs(info.vector), 4).tolist(), info.converged
    (0.3431, [0.3827, 0.9239], True)
    """
    tol, max_hvps, seed = _check_solver(tol, max_hvps, seed)
    op = HessianOperator(model, x, y, loss=loss, batch_size=batch_size)
    theta, vector, residual = top_eigenpair(lambda v: -op.matvec(v), op.shape[0], tol=tol, max_iter=max_hvps,
                                            seed=seed)
    if not return_info:
        return -theta
    return MinEigenvalueResult(min_eigenvalue=-theta, hvps=op.hvps, residual=residual,
                               converged=bool(residual <= tol * abs(theta)), vector=vector)


_UNSUPPORTED = ("critical_lr knows plain SGD (2 / sharpness), SGD with momentum beta "
                "(2 (1 + beta) / sharpness) and Nesterov momentum (2 (1 + beta) / ((1 + 2 beta) sharpness)); "
                "got {name}. An adaptive optimizer such as Adam divides each weight's step by its own "
                "running gradient scale, so its stability depends on that preconditioned Hessian, which "
                "changes as it trains: it has no single threshold of this kind")


def optimizer_momentum(optimizer):
    """``(momentum, nesterov)`` of a Keras SGD optimizer, read from its public ``get_config()``.

    Raises ValueError, saying what is supported and why, for any other optimizer.

    Examples
    --------
    >>> optimizer_momentum(keras.optimizers.SGD(0.1, momentum=0.9, nesterov=True))
    (0.9, True)
    >>> optimizer_momentum("sgd")
    (0.0, False)
    >>> optimizer_momentum(keras.optimizers.Adam())
    Traceback (most recent call last):
    ...
    ValueError: critical_lr knows plain SGD (2 / sharpness), ... got Adam. ...
    """
    if isinstance(optimizer, str):
        optimizer = keras.optimizers.get(optimizer)
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise TypeError(f"optimizer must be a keras optimizer or its name, got {type(optimizer).__name__}")
    if not isinstance(optimizer, keras.optimizers.SGD):
        raise ValueError(_UNSUPPORTED.format(name=type(optimizer).__name__))
    config = optimizer.get_config()
    return float(config.get("momentum") or 0.0), bool(config.get("nesterov", False))


def critical_lr(model, x, y=None, *, optimizer=None, **kwargs):
    """The largest stable learning rate at these weights for plain SGD, momentum or Nesterov.

    From the sharpness ``lambda`` (:func:`sharpness`, keyword arguments passed on):
    ``2 / lambda`` for plain SGD (``optimizer=None``), ``2 (1 + beta) / lambda`` for
    ``keras.optimizers.SGD(momentum=beta)``, ``2 (1 + beta) / ((1 + 2 beta) lambda)`` with
    ``nesterov=True``. Any other optimizer raises ValueError (see :func:`optimizer_momentum`).
    ``inf`` when the sharpness is not positive.

    Examples
    --------
    >>> import numpy as np
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    >>> x, y = [[1.0], [3.0]], [0.0, 0.0]
    >>> round(critical_lr(model, x, y), 5)
    0.17157
    >>> round(critical_lr(model, x, y, optimizer=keras.optimizers.SGD(momentum=0.9)), 5)
    0.32599
    """
    beta, nesterov = (0.0, False) if optimizer is None else optimizer_momentum(optimizer)
    return _momentum_critical_lr(sharpness(model, x, y, **kwargs), momentum=beta, nesterov=nesterov)


def preconditioned_sharpness(model, x, y=None, preconditioner=None, *, loss=None, batch_size=None,
                             tol=1e-4, max_hvps=200, seed=0):
    """Top eigenvalue of ``P^-1/2 H P^-1/2`` for a positive diagonal preconditioner ``P``.

    For Adam, ``P = sqrt(v_hat) + epsilon / sqrt(1 - beta_2**t)`` (:attr:`helpers.net.training.TrainResult.adam_preconditioner`):
    Adam is gradient descent preconditioned by ``P``, and Cohen et al. (2022) found that with
    ``beta_1 = 0.9`` it trains with this quantity near ``38 / lr``.

    Examples
    --------
    >>> import numpy as np
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    >>> x = np.array([[1.0], [3.0]])
    >>> round(preconditioned_sharpness(model, x, [0.0, 0.0], [10.0, 2.0]), 4)  # [[1, .894], [.894, 1]]
    1.8944
    """
    tol, max_hvps, seed = _check_solver(tol, max_hvps, seed)
    op = HessianOperator(model, x, y, loss=loss, batch_size=batch_size)
    p = np.asarray(preconditioner, dtype=np.float64).reshape(-1)
    if p.shape != (op.shape[0],) or not np.all(np.isfinite(p)) or np.any(p <= 0):
        raise ValueError(f"preconditioner must be {op.shape[0]} positive finite numbers")
    scale = 1.0 / np.sqrt(p)
    return top_eigenpair(lambda v: scale * op.matvec(scale * v), op.shape[0], tol=tol, max_iter=max_hvps,
                         seed=seed)[0]

