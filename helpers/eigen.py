"""Extreme eigenvalues of a symmetric operator known only through products ``v -> A v``.

A Hessian of a network is such an operator: each product is one Hessian-vector product, and
the matrix itself is never formed. Two methods, pure numpy:

* :func:`top_eigenpair` -- the largest *algebraic* eigenvalue and its eigenvector by a Lanczos
  iteration with full reorthogonalisation, stopped on the residual of its Ritz pair (which
  bounds the error), optionally warm-started;
* :func:`power_iteration` -- the method PyHessian uses, for comparison: it converges to the
  eigenvalue of largest *magnitude*, which can be the most negative one.

Examples
--------
>>> A = np.diag([2.0, -7.0, 1.0])
>>> round(top_eigenpair(lambda v: A @ v, 3)[0], 6)     # largest algebraic
2.0
>>> round(power_iteration(lambda v: A @ v, 3, max_iter=500)[0], 3)  # largest magnitude
-7.0
"""

from __future__ import annotations

import numpy as np

from helpers.validation import check_int, check_positive

__all__ = ["top_eigenpair", "power_iteration"]


_WARM_START_MIN_ITER = 20  # Lanczos vectors a warm start builds before it may stop


def top_eigenpair(matvec, size, *, tol=1e-4, max_iter=300, seed=0, v0=None):
    """Largest algebraic eigenvalue of a symmetric operator and its eigenvector, by Lanczos.

    A Lanczos iteration with full reorthogonalisation (float64) that only calls ``matvec``,
    once per iteration. It stops when the residual ``|beta_k s_k| = ||A q - theta q||`` of its
    best Ritz pair ``(theta, q)`` is at most ``tol * |theta|``, after ``max_iter`` products, or
    when the Krylov space stops growing (it then holds an exact eigenpair). A product that is
    not finite (the Hessian of weights whose loss overflows) ends it with the value ``nan``.

    A warm start ``v0`` close to an eigenvector that is no longer the top one (the top two
    eigenvalues crossed since ``v0`` was computed) has a small residual after two products,
    so with ``v0`` the iteration builds at least ``min(size, 20)`` vectors before it may stop
    (as scipy's ARPACK builds 20 before its first test), and if the Krylov space of ``v0``
    stops growing earlier it goes on from a random direction orthogonal to it.

    Parameters
    ----------
    matvec : callable
        ``v -> A v`` for a flat float64 vector ``v`` of length ``size``; ``A`` symmetric.
    size : int
        Dimension of the operator.
    tol : float
        Relative residual at which to stop (default 1e-4).
    max_iter : int
        At most this many products (and never more than ``size``); default 300.
    seed : int
        Seeds the random start vector (not used when ``v0`` is given).
    v0 : array_like, optional
        Start vector (normalised here), e.g. the eigenvector found for a nearby operator
        (warm start).

    Returns
    -------
    value : float
        The top Ritz value: there is an eigenvalue within ``residual`` of it (``nan`` when a
        product was not finite).
    vector : numpy.ndarray
        The unit Ritz vector (float64, length ``size``).
    residual : float
        ``||A vector - value vector||``.

    Examples
    --------
    >>> A = np.diag([3.0, -5.0, 1.0])
    >>> value, vector, residual = top_eigenpair(lambda v: A @ v, 3)
    >>> round(value, 6), np.round(np.abs(vector), 6).tolist()
    (3.0, [1.0, 0.0, 0.0])
    >>> round(top_eigenpair(lambda v: A @ v, 3, v0=[0.0, 0.0, 1.0])[0], 6)  # v0: another eigenvector
    3.0
    >>> top_eigenpair(lambda v: np.full(3, np.inf), 3)[0]               # an operator that overflowed
    nan
    """
    size = check_int(size, "size", 1)
    tol = check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", 1)
    rng = np.random.default_rng(seed)
    if v0 is None:
        q = rng.standard_normal(size)
    else:
        q = np.array(v0, dtype=np.float64).reshape(-1)
        if q.shape != (size,) or not np.all(np.isfinite(q)) or not np.any(q):
            raise ValueError(f"v0 must be a finite, non-zero vector of {size} entries")
    q /= np.linalg.norm(q)
    basis, alphas, betas = [q], [], []
    theta, s, residual = 0.0, np.ones(1), np.inf
    for k in range(min(max_iter, size)):
        w = matvec(basis[k])
        if not np.all(np.isfinite(w)):
            return float("nan"), basis[k], float("inf")
        alphas.append(float(basis[k] @ w))
        Q = np.array(basis)
        w -= Q.T @ (Q @ w)
        w -= Q.T @ (Q @ w)  # twice is enough (Kahan-Parlett)
        beta = float(np.linalg.norm(w))
        T = np.diag(alphas) + np.diag(betas, 1) + np.diag(betas, -1)
        evals, evecs = np.linalg.eigh(T)
        theta, s = float(evals[-1]), evecs[:, -1]
        residual = abs(beta * s[-1])
        if residual <= tol * abs(theta) and (v0 is None or k + 1 >= _WARM_START_MIN_ITER):
            break
        if beta <= 1e-12 * max(abs(theta), 1.0):  # the Krylov space is invariant
            if v0 is None or k + 1 >= min(_WARM_START_MIN_ITER, size):
                break
            w = rng.standard_normal(size)
            w -= Q.T @ (Q @ w)
            w -= Q.T @ (Q @ w)
            beta = 0.0  # T stays block diagonal: the new block starts from w
            basis.append(w / np.linalg.norm(w))
        else:
            basis.append(w / beta)
        betas.append(beta)
    vector = np.array(basis[: len(s)]).T @ s
    return theta, vector, residual


def power_iteration(matvec, size, *, max_iter=100, tol=1e-3, seed=0):
    """Dominant eigenvalue as PyHessian computes it: power iteration, relative-change stop.

    Stops when ``|lambda_k - lambda_{k-1}| / (|lambda_{k-1}| + 1e-6) < tol`` or after
    ``max_iter`` products. Converges to the eigenvalue of largest *magnitude* (possibly
    negative), and slowly when the top two are close in magnitude.

    Parameters
    ----------
    matvec : callable
        ``v -> A v`` for a flat float64 vector of length ``size``; ``A`` symmetric.
    size : int
    max_iter : int
        At most this many products (PyHessian's default: 100).
    tol : float
        Relative change at which to stop (PyHessian's default: 1e-3).
    seed : int
        Seeds the random start vector.

    Returns
    -------
    (eigenvalue, products_used)

    Examples
    --------
    >>> A = np.array([[10.0, 4.0], [4.0, 2.0]])
    >>> value, used = power_iteration(lambda v: A @ v, 2)
    >>> round(value, 2)
    11.66
    """
    size = check_int(size, "size", 1)
    max_iter = check_int(max_iter, "max_iter", 1)
    tol = check_positive(tol, "tol")
    v = np.random.default_rng(seed).standard_normal(size)
    v /= np.linalg.norm(v)
    value, used = None, 0
    for _ in range(max_iter):
        hv = np.asarray(matvec(v), dtype=np.float64)
        used += 1
        new = float(v @ hv)
        v = hv / (np.linalg.norm(hv) + 1e-6)
        if value is not None and abs(value - new) / (abs(value) + 1e-6) < tol:
            value = new
            break
        value = new
    return value, used
