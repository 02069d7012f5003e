"""Lanczos finds the largest *algebraic* eigenvalue; power iteration the largest in magnitude."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.eigen import power_iteration, top_eigenpair


def symmetric(seed, size, negative_shift=0.0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((size, size))
    return (a + a.T) / 2 - negative_shift * np.eye(size)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), size=st.integers(2, 60), shift=st.floats(0.0, 20.0))
def test_top_eigenpair_is_the_largest_algebraic_eigenvalue_within_its_residual(seed, size, shift):
    a = symmetric(seed, size, shift)
    value, vector, residual = top_eigenpair(lambda v: a @ v, size, tol=1e-8)
    assert abs(value - np.linalg.eigvalsh(a)[-1]) <= residual + 1e-9 * max(1.0, abs(value))
    assert np.linalg.norm(a @ vector - value * vector) == pytest.approx(residual, abs=1e-8)


def test_power_iteration_returns_the_largest_magnitude_not_the_largest():
    a = np.diag([3.0, -10.0, 1.0])
    value, used = power_iteration(lambda v: a @ v, 3, max_iter=500, tol=1e-9)
    assert value == pytest.approx(-10.0, rel=1e-6) and used <= 500
    assert top_eigenpair(lambda v: a @ v, 3)[0] == pytest.approx(3.0)


def test_warm_start_still_finds_the_top_after_a_crossing():
    a = np.diag([5.0, 4.0] + [0.0] * 30)
    old_top = np.eye(32)[1]  # the eigenvector of 4: no longer the top one
    assert top_eigenpair(lambda v: a @ v, 32, v0=old_top)[0] == pytest.approx(5.0)


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="v0"):
        top_eigenpair(lambda v: v, 3, v0=[0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="tol"):
        power_iteration(lambda v: v, 3, tol=-1.0)


def test_an_operator_whose_product_overflows_gives_nan_not_an_error():
    # The Hessian at weights whose loss already overflows (a run's last step before inf): the
    # sharpness there is not a number, and tracking a run every step must not crash on it.
    def overflowing(v):
        return np.where(np.arange(v.size) == 0, np.inf, v)

    value, vector, residual = top_eigenpair(overflowing, 5)
    assert np.isnan(value) and np.all(np.isfinite(vector)) and residual == np.inf
