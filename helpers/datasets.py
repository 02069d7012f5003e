"""Real data that ships inside scikit-learn's wheel (nothing is downloaded), and standardisation.

* :func:`diabetes` -- 442 patients, ten clinical measurements in their raw units (age in years,
  blood pressure, serum values up to about 300) and a disease-progression score from 25 to 346:
  the thread's situation (raw features, a target in the hundreds) on real measurements;
* :func:`digits` -- 1,797 handwritten digits, 8 x 8 grey levels 0-16, ten classes;
* :func:`standardize` -- zero mean and unit standard deviation per column (pure numpy).

Examples
--------
>>> x, y = diabetes()
>>> x.shape, y.shape, x.dtype.name
((442, 10), (442, 1), 'float32')
>>> float(y.min()), float(y.max())
(25.0, 346.0)
>>> z = standardize(x)
>>> bool(abs(z.mean()) < 1e-5), round(float(z.std(axis=0).mean()), 4)
(True, 1.0)
"""

from __future__ import annotations

import numpy as np

from helpers.validation import check_finite_array

__all__ = ["diabetes", "digits", "standardize"]


def diabetes():
    """Raw diabetes regression data: ``x`` (442, 10) and ``y`` (442, 1), float32, original units.

    scikit-learn's ``load_diabetes(scaled=False)``: the measurements as recorded, not the
    mean-centred, norm-scaled copy scikit-learn gives by default.

    Examples
    --------
    >>> x, y = diabetes()
    >>> round(float(x.max()), 1), round(float(np.mean(y ** 2)))
    (301.0, 29074)
    """
    from sklearn.datasets import load_diabetes

    x, y = load_diabetes(return_X_y=True, scaled=False)
    return x.astype(np.float32), y.astype(np.float32).reshape(-1, 1)


def digits():
    """Digit images and labels: ``images`` (1797, 8, 8, 1) float32 in [0, 1] and ``labels`` (1797,) int32.

    The grey levels 0-16 of scikit-learn's ``load_digits()`` divided by 16.

    Examples
    --------
    >>> images, labels = digits()
    >>> images.shape, float(images.max()), sorted(set(labels.tolist())) == list(range(10))
    ((1797, 8, 8, 1), 1.0, True)
    """
    from sklearn.datasets import load_digits

    data = load_digits()
    return (data.images / 16.0).astype(np.float32)[..., None], data.target.astype(np.int32)


def standardize(a, name="a"):
    """Each column of ``a`` shifted to mean 0 and scaled to standard deviation 1 (float32).

    Parameters
    ----------
    a : array_like, shape (rows, columns) or (rows,)
        Finite values; every column must vary (a constant column has no scale).
    name : str
        The argument's name in error messages.

    Examples
    --------
    >>> standardize([[1.0, 10.0], [3.0, 30.0]])
    array([[-1., -1.],
           [ 1.,  1.]], dtype=float32)
    >>> standardize([[1.0, 5.0], [3.0, 5.0]])
    Traceback (most recent call last):
    ...
    ValueError: a has a constant column (index 1): it cannot be standardized
    """
    a = check_finite_array(a, name)
    if a.ndim not in (1, 2) or a.shape[0] < 2:
        raise ValueError(f"{name} must be (rows, columns) or (rows,) with at least two rows, got shape {a.shape}")
    std = a.std(axis=0)
    flat = np.atleast_1d(std)
    if np.any(flat == 0):
        raise ValueError(f"{name} has a constant column (index {int(np.argmax(flat == 0))}): "
                         f"it cannot be standardized")
    return ((a - a.mean(axis=0)) / std).astype(np.float32)
