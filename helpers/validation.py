"""Shared argument checks: fail early, naming the argument and the value.

Every public helper of the course validates its inputs with these few functions, so a
student who passes ``lr=-0.1`` reads "lr must be a positive finite number, got -0.1"
instead of a NaN three cells later.

Examples
--------
>>> check_lr(0.01)
0.01
>>> check_lr(-0.1)
Traceback (most recent call last):
...
ValueError: lr must be a positive finite number, got -0.1
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["check_lr", "check_positive", "check_int", "check_steps", "check_finite_array"]


def check_positive(value, name: str) -> float:
    """Return ``value`` as a float if it is a positive finite real number, else raise.

    Parameters
    ----------
    value : real number
        The value to check.
    name : str
        The argument's name, used in the error message.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If ``value`` is not a real number (booleans and strings are refused).
    ValueError
        If ``value`` is zero, negative, nan or infinite.

    Examples
    --------
    >>> check_positive(2, "curvature")
    2.0
    >>> check_positive(float("nan"), "curvature")
    Traceback (most recent call last):
    ...
    ValueError: curvature must be a positive finite number, got nan
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return value


def check_lr(lr, name: str = "lr") -> float:
    """Return the learning rate as a float if it is positive and finite, else raise.

    Examples
    --------
    >>> check_lr(1e-3)
    0.001
    >>> check_lr(float("inf"))
    Traceback (most recent call last):
    ...
    ValueError: lr must be a positive finite number, got inf
    """
    return check_positive(lr, name)


def check_int(value, name: str, minimum: int = 0) -> int:
    """Return ``value`` as an int if it is an integer of at least ``minimum``, else raise.

    Parameters
    ----------
    value : integer
        The value to check (Python or numpy integer; booleans are refused).
    name : str
        The argument's name, used in the error message.
    minimum : int
        The smallest value allowed (default 0).

    Returns
    -------
    int

    Raises
    ------
    TypeError
        If ``value`` is not an integer.
    ValueError
        If ``value`` is below ``minimum``. The message says "a non-negative integer" for
        ``minimum=0``, "a positive integer" for ``minimum=1`` and "an integer >= N" otherwise.

    Examples
    --------
    >>> check_int(3, "epochs", 1)
    3
    >>> check_int(0, "epochs", 1)
    Traceback (most recent call last):
    ...
    ValueError: epochs must be a positive integer, got 0
    >>> check_int(2.5, "batch_size")
    Traceback (most recent call last):
    ...
    TypeError: batch_size must be an integer, got 2.5
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        kind = {0: "a non-negative integer", 1: "a positive integer"}.get(minimum, f"an integer >= {minimum}")
        raise ValueError(f"{name} must be {kind}, got {value!r}")
    return int(value)


def check_steps(steps, name: str = "steps") -> int:
    """Return a number of steps as an int if it is a non-negative integer, else raise.

    Examples
    --------
    >>> check_steps(10)
    10
    >>> check_steps(-1)
    Traceback (most recent call last):
    ...
    ValueError: steps must be a non-negative integer, got -1
    """
    return check_int(steps, name, 0)


def check_finite_array(x, name: str, ndim: int | None = None, shape: tuple | None = None) -> np.ndarray:
    """Return ``x`` as a float64 array if every entry is finite (and the shape fits), else raise.

    Parameters
    ----------
    x : array_like
        The values to check.
    name : str
        The argument's name, used in the error message.
    ndim : int, optional
        Required number of dimensions.
    shape : tuple of int, optional
        Required shape.

    Returns
    -------
    numpy.ndarray
        A float64 copy of ``x``.

    Examples
    --------
    >>> check_finite_array([1, 2], "w0")
    array([1., 2.])
    >>> check_finite_array([1.0, float("nan")], "w0")
    Traceback (most recent call last):
    ...
    ValueError: w0 must contain only finite numbers, got [ 1. nan]
    >>> check_finite_array([1.0, 2.0], "minimum", shape=(3,))
    Traceback (most recent call last):
    ...
    ValueError: minimum must have shape (3,), got shape (2,)
    """
    try:
        arr = np.array(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers, got {x!r}") from exc
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {arr.shape}")
    if shape is not None and arr.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite numbers, got {arr}")
    return arr
