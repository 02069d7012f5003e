"""Gradient descent with momentum (heavy ball and Nesterov) and its stability thresholds.

On a quadratic whose Hessian has largest eigenvalue ``sharpness`` (lambda), with learning
rate ``lr`` (alpha) and momentum ``beta`` in [0, 1):

* plain gradient descent is stable for ``lr < 2 / lambda``;
* heavy-ball momentum (Polyak; Keras's ``SGD(momentum=beta)``) for ``lr < 2 (1 + beta) / lambda``;
* Nesterov momentum (``SGD(momentum=beta, nesterov=True)``) for
  ``lr < 2 (1 + beta) / ((1 + 2 beta) lambda)``.

Each follows from the two-step recurrence of one eigen-component: its characteristic
polynomial has a root at -1 exactly at the threshold (heavy ball:
``z^2 - (1 + beta - alpha lambda) z + beta``; Nesterov:
``z^2 - (1 - alpha lambda)(1 + beta) z + (1 - alpha lambda) beta``).
:func:`momentum_descent` runs the same updates Keras's SGD applies and returns a
:class:`helpers.descent.DescentResult`. Pure numpy.

Examples
--------
>>> round(critical_lr(10.0), 6), round(critical_lr(10.0, momentum=0.9), 6)
(0.2, 0.38)
>>> round(critical_lr(10.0, momentum=0.9, nesterov=True), 6)
0.135714
"""

from __future__ import annotations

import numbers

import numpy as np

from helpers.descent import DescentResult, _descend

__all__ = ["critical_lr", "momentum_descent", "check_momentum", "heavy_ball_roots", "heavy_ball_peak"]


def check_momentum(momentum, name: str = "momentum") -> float:
    """Return ``momentum`` as a float if it is a real number in [0, 1), else raise.

    Examples
    --------
    >>> check_momentum(0.9)
    0.9
    >>> check_momentum(1.0)
    Traceback (most recent call last):
    ...
    ValueError: momentum must be in [0, 1), got 1.0
    """
    if isinstance(momentum, bool) or not isinstance(momentum, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {momentum!r}")
    momentum = float(momentum)
    if not 0.0 <= momentum < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {momentum!r}")
    return momentum


def critical_lr(sharpness, momentum=0.0, nesterov=False) -> float:
    """Largest stable learning rate on a quadratic of largest curvature ``sharpness``.

    ``2 / sharpness`` without momentum, ``2 (1 + beta) / sharpness`` with heavy-ball
    momentum ``beta``, ``2 (1 + beta) / ((1 + 2 beta) sharpness)`` with Nesterov momentum.
    ``inf`` when ``sharpness`` is not positive (no direction curves up: no rate overshoots).

    Parameters
    ----------
    sharpness : float
        Largest eigenvalue of the Hessian.
    momentum : float
        ``beta`` in [0, 1) (default 0: plain gradient descent).
    nesterov : bool
        Nesterov's variant (Keras's ``SGD(nesterov=True)``).

    Examples
    --------
    >>> critical_lr(4.0)
    0.5
    >>> critical_lr(4.0, momentum=0.5)
    0.75
    >>> critical_lr(4.0, momentum=0.5, nesterov=True)
    0.375
    >>> critical_lr(-1.0)
    inf
    """
    if isinstance(sharpness, bool) or not isinstance(sharpness, numbers.Real) or not np.isfinite(sharpness):
        raise ValueError(f"sharpness must be a finite real number, got {sharpness!r}")
    beta = check_momentum(momentum)
    if not isinstance(nesterov, bool):
        raise TypeError(f"nesterov must be True or False, got {nesterov!r}")
    if sharpness <= 0:
        return float("inf")
    if nesterov:
        return 2.0 * (1.0 + beta) / ((1.0 + 2.0 * beta) * float(sharpness))
    return 2.0 * (1.0 + beta) / float(sharpness)


def momentum_descent(grad, w0, lr, steps, momentum=0.9, nesterov=False, loss=None) -> DescentResult:
    """Gradient descent with momentum, as Keras's SGD applies it, stopping cleanly at divergence.

    Each step, with velocity ``v`` (zero at the start) and ``g = grad(w)``::

        v <- beta v - lr g
        w <- w + v                      (heavy ball)
        w <- w + beta v - lr g          (Nesterov)

    Parameters
    ----------
    grad : callable
        ``grad(w) -> array`` of the same shape as ``w``.
    w0 : array_like
        Starting point (finite).
    lr : float
        Learning rate, positive and finite.
    steps : int
        Number of steps, non-negative.
    momentum : float
        ``beta`` in [0, 1); 0 gives plain gradient descent.
    nesterov : bool
        Nesterov's variant.
    loss : callable, optional
        ``loss(w) -> float``, recorded at every iterate and used to detect divergence.

    Returns
    -------
    helpers.descent.DescentResult
        ``path``, ``losses``, ``diverged_at`` (first step whose iterate or loss is non-finite
        or above float32's largest value), ``lr``, ``steps`` and ``message``.

    Examples
    --------
    >>> bowl = lambda w: 10.0 * w                       # curvature 10: plain GD needs lr < 0.2
    >>> momentum_descent(bowl, [1.0], lr=0.3, steps=400, momentum=0.9).diverged
    False
    >>> momentum_descent(bowl, [1.0], lr=0.3, steps=400, momentum=0.9, nesterov=True).diverged_at
    62
    """
    beta = check_momentum(momentum)
    if not isinstance(nesterov, bool):
        raise TypeError(f"nesterov must be True or False, got {nesterov!r}")
    kind = "Nesterov" if nesterov else "heavy-ball"
    return _descend(grad, w0, lr, steps, loss, momentum=beta, nesterov=nesterov, label=f"{kind} momentum {beta:g}: ")


def _check_lr_times_sharpness(lr_times_sharpness) -> float:
    if isinstance(lr_times_sharpness, bool) or not isinstance(lr_times_sharpness, numbers.Real) \
            or not np.isfinite(lr_times_sharpness):
        raise ValueError(f"lr_times_sharpness must be a finite real number, got {lr_times_sharpness!r}")
    return float(lr_times_sharpness)


def heavy_ball_roots(lr_times_sharpness, momentum) -> np.ndarray:
    """Roots of the heavy ball's two-step recurrence along one eigen-direction of a quadratic.

    Along a direction of curvature ``lambda`` the heavy ball's displacement ``x`` and velocity
    ``u`` follow ``u <- beta u - alpha lambda x``, ``x <- x + u``, whose characteristic polynomial
    is ``z^2 - (1 + beta - alpha lambda) z + beta``. The larger modulus of its two roots is the
    factor by which that direction shrinks (below 1) or grows (above 1) per step in the long run.

    Parameters
    ----------
    lr_times_sharpness : float
        ``alpha lambda``, the learning rate times the direction's curvature.
    momentum : float
        ``beta`` in [0, 1).

    Returns
    -------
    numpy.ndarray
        The two roots (complex when the direction oscillates).

    Examples
    --------
    >>> roots = heavy_ball_roots(1.9, 0.9)             # half the threshold 2 (1 + beta)
    >>> bool(np.iscomplex(roots).any()), round(float(np.abs(roots).max()), 3)   # modulus sqrt(0.9)
    (True, 0.949)
    >>> round(float(np.abs(heavy_ball_roots(3.8, 0.9)).max()), 6)                # at the threshold: a root at -1
    1.0
    """
    alpha_lambda, beta = _check_lr_times_sharpness(lr_times_sharpness), check_momentum(momentum)
    return np.roots([1.0, -(1.0 + beta - alpha_lambda), beta])


def heavy_ball_peak(lr_times_sharpness, momentum, steps=200) -> float:
    """Largest displacement of the heavy ball along one eigen-direction, in units of its start.

    Runs the same recurrence as :func:`heavy_ball_roots` from displacement 1 and zero velocity
    (how a run starts) and returns ``max |x_t|`` over steps 0 to ``steps``: 1 when the direction
    never swings past its start, more when it first overshoots before shrinking (the per-step
    factor of :func:`heavy_ball_roots` describes only the long run).

    Parameters
    ----------
    lr_times_sharpness : float
        ``alpha lambda``, the learning rate times the direction's curvature.
    momentum : float
        ``beta`` in [0, 1).
    steps : int
        Number of steps to follow, positive.

    Returns
    -------
    float
        ``max |x_t| / |x_0|`` for ``t = 0 .. steps``.

    Examples
    --------
    >>> heavy_ball_peak(1.9, 0.9)                  # 0.5 x the threshold: never past its start
    1.0
    >>> round(heavy_ball_peak(3.42, 0.9), 3)       # 0.9 x: -2.42 after one step, then 2.778
    2.778
    >>> heavy_ball_peak(1.0, 0.0)                  # plain descent at lr = 1/lambda: straight to 0
    1.0
    """
    alpha_lambda, beta = _check_lr_times_sharpness(lr_times_sharpness), check_momentum(momentum)
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    x, u, peak = 1.0, 0.0, 1.0
    for _ in range(int(steps)):
        u = beta * u - alpha_lambda * x
        x = x + u
        peak = max(peak, abs(x))
    return peak
