"""A quadratic bowl: the one loss on which gradient descent can be solved exactly.

``loss(w) = 1/2 (w - minimum)^T H (w - minimum)``, with ``H`` the (constant) Hessian.
In the eigenbasis of ``H`` every step of gradient descent multiplies the i-th component
of ``w - minimum`` by ``1 - lr * lambda_i``; it converges iff ``lr < 2 / sharpness``.
Pure numpy; knows nothing of plots or widgets.

Examples
--------
>>> bowl = Quadratic([[20.0]])          # 10 x^2: f'' = 20
>>> bowl.critical_lr
0.1
>>> round(bowl.contraction(0.12), 6)    # |1 - 0.12 * 20|
1.4
"""

from __future__ import annotations

import numbers

import numpy as np

from helpers.validation import check_finite_array, check_lr

__all__ = ["Quadratic", "second_order_change"]


def second_order_change(g, H, lr):
    """Goodfellow's second-order prediction of the change in loss after one step ``-lr * g``.

    ``lr**2 / 2 * g^T H g - lr * g^T g`` (Deep Learning book, eq. 4.9 and sec. 8.2.1).
    Exact on a quadratic; an approximation elsewhere.

    Parameters
    ----------
    g : array_like, shape (d,)
        Gradient at the current point.
    H : array_like, shape (d, d)
        Hessian at the current point.
    lr : float or array_like
        Step size(s); an array gives one prediction per step size.

    Returns
    -------
    float or numpy.ndarray

    Examples
    --------
    >>> second_order_change([1.0], [[2.0]], 0.5)    # 0.25/2*2 - 0.5
    -0.25
    """
    g = check_finite_array(g, "g", ndim=1)
    H = check_finite_array(H, "H", shape=(g.size, g.size))
    lr = np.asarray(lr, dtype=float)
    change = 0.5 * lr**2 * (g @ H @ g) - lr * (g @ g)
    return float(change) if change.ndim == 0 else change


class Quadratic:
    """The quadratic loss ``1/2 (w - minimum)^T H (w - minimum)``.

    Parameters
    ----------
    H : array_like, shape (d, d) or scalar
        The Hessian: symmetric, finite. A scalar ``c`` means the 1-D bowl ``c/2 * w**2``.
    minimum : array_like, shape (d,), optional
        Where the loss is zero. Defaults to the origin.

    Attributes
    ----------
    H : numpy.ndarray
    minimum : numpy.ndarray
    eigenvalues : numpy.ndarray
        Ascending.
    eigenvectors : numpy.ndarray
        Columns, matching ``eigenvalues``.

    Raises
    ------
    ValueError
        If ``H`` is not square, not symmetric or not finite, or ``minimum`` has the wrong shape.

    Examples
    --------
    >>> q = Quadratic([[1.0, 0.0], [0.0, 100.0]])
    >>> q.sharpness, q.critical_lr, q.condition_number
    (100.0, 0.02, 100.0)
    >>> q.loss([1.0, 1.0])
    50.5
    >>> q.grad([1.0, 1.0])
    array([  1., 100.])
    """

    def __init__(self, H, minimum=None):
        if isinstance(H, numbers.Real) and not isinstance(H, bool):
            H = [[H]]
        H = check_finite_array(H, "H")
        if H.ndim != 2 or H.shape[0] != H.shape[1] or H.shape[0] == 0:
            raise ValueError(f"H must be a non-empty square matrix, got shape {H.shape}")
        scale = max(np.max(np.abs(H)), np.finfo(float).tiny)
        if not np.allclose(H, H.T, rtol=0.0, atol=1e-12 * scale):
            raise ValueError(f"H must be symmetric, got {H.tolist()}")
        self.H = 0.5 * (H + H.T)
        d = H.shape[0]
        if minimum is None:
            self.minimum = np.zeros(d)
        else:
            self.minimum = check_finite_array(minimum, "minimum", shape=(d,))
        self.eigenvalues, self.eigenvectors = np.linalg.eigh(self.H)

    @classmethod
    def from_eigenvalues(cls, eigenvalues, angle=0.0, minimum=None):
        """A 2-D bowl with the given eigenvalues, its eigen-directions rotated by ``angle`` radians.

        Examples
        --------
        >>> q = Quadratic.from_eigenvalues([1.0, 10.0], angle=0.5)
        >>> bool(np.allclose(q.eigenvalues, [1.0, 10.0]))
        True
        """
        lam = check_finite_array(eigenvalues, "eigenvalues", shape=(2,))
        c, s = np.cos(angle), np.sin(angle)
        R = np.array([[c, -s], [s, c]])
        return cls(R @ np.diag(lam) @ R.T, minimum=minimum)

    def __repr__(self):
        return f"Quadratic(H={self.H.tolist()}, minimum={self.minimum.tolist()})"

    @property
    def dim(self) -> int:
        """Number of parameters."""
        return self.H.shape[0]

    def loss(self, w):
        """Loss at ``w``; ``w`` of shape (..., d) gives one value per point.

        Examples
        --------
        >>> Quadratic(2.0).loss([3.0])   # x^2 at x = 3
        9.0
        """
        d = np.asarray(w, dtype=float) - self.minimum
        value = 0.5 * np.einsum("...i,ij,...j->...", d, self.H, d)
        return float(value) if np.ndim(value) == 0 else value

    def grad(self, w):
        """Gradient ``H (w - minimum)`` at ``w`` (shape (d,) or (..., d)).

        Examples
        --------
        >>> Quadratic(2.0).grad([3.0])
        array([6.])
        """
        return (np.asarray(w, dtype=float) - self.minimum) @ self.H

    @property
    def sharpness(self) -> float:
        """Largest eigenvalue of ``H``."""
        return float(self.eigenvalues[-1])

    @property
    def critical_lr(self) -> float:
        """``2 / sharpness``: gradient descent converges iff ``lr`` is below it (inf if sharpness <= 0)."""
        return 2.0 / self.sharpness if self.sharpness > 0 else float("inf")

    @property
    def condition_number(self) -> float:
        """``lambda_max / lambda_min`` (inf unless ``H`` is positive definite)."""
        lo = float(self.eigenvalues[0])
        return self.sharpness / lo if lo > 0 else float("inf")

    @property
    def best_lr(self) -> float:
        """The best fixed rate ``2 / (lambda_min + lambda_max)``, for positive-definite ``H``.

        Examples
        --------
        >>> Quadratic.from_eigenvalues([1.0, 9.0]).best_lr
        0.2
        """
        return 2.0 / (float(self.eigenvalues[0]) + self.sharpness)

    @property
    def best_rate(self) -> float:
        """Contraction per step at ``best_lr``: ``(kappa - 1) / (kappa + 1)``.

        Examples
        --------
        >>> Quadratic.from_eigenvalues([1.0, 9.0]).best_rate
        0.8
        """
        kappa = self.condition_number
        return (kappa - 1.0) / (kappa + 1.0)

    def factors(self, lr):
        """Per-eigen-direction factors ``1 - lr * lambda_i`` (signed; ascending lambda).

        Examples
        --------
        >>> Quadratic.from_eigenvalues([1.0, 10.0]).factors(0.15).round(3)
        array([ 0.85, -0.5 ])
        """
        return 1.0 - check_lr(lr) * self.eigenvalues

    def contraction(self, lr) -> float:
        """``max_i |1 - lr * lambda_i|``: how much the worst component grows (>1) or shrinks per step.

        Examples
        --------
        >>> round(Quadratic(2.0).contraction(0.12), 6)     # x^2, lr = 0.12
        0.76
        """
        return float(np.max(np.abs(self.factors(lr))))

    def second_order_change(self, w, lr):
        """Goodfellow's ``lr**2/2 g^T H g - lr g^T g`` at ``w``; on a quadratic this IS the change.

        Examples
        --------
        >>> q = Quadratic(2.0)
        >>> q.second_order_change([1.0], 0.25), q.loss([1.0 - 0.25 * 2.0]) - q.loss([1.0])
        (-0.75, -0.75)
        """
        return second_order_change(self.grad(check_finite_array(w, "w", shape=(self.dim,))), self.H, lr)

    def best_lr_along_gradient(self, w) -> float:
        """The step ``g^T g / g^T H g`` that lowers the loss most along ``-g`` (inf if g^T H g <= 0).

        The change turns positive beyond twice this value.

        Examples
        --------
        >>> Quadratic(2.0).best_lr_along_gradient([1.0])
        0.5
        """
        g = self.grad(check_finite_array(w, "w", shape=(self.dim,)))
        curvature = float(g @ self.H @ g)
        return float(g @ g) / curvature if curvature > 0 else float("inf")
