"""Claims about the quadratic bowl: the closed form, the stability threshold, Goodfellow's formula."""

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from helpers.descent import gradient_descent
from helpers.quadratic import Quadratic, second_order_change


@st.composite
def spd_quadratics(draw, max_dim=4):
    """A random symmetric positive-definite Hessian (eigenvalues 0.1..100, random rotation) and minimum."""
    d = draw(st.integers(1, max_dim))
    lam = np.array(draw(st.lists(st.floats(0.1, 100.0), min_size=d, max_size=d)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    minimum = rng.normal(size=d)
    H = Q @ np.diag(lam) @ Q.T
    return Quadratic(0.5 * (H + H.T), minimum=minimum), rng.normal(size=d)


@settings(deadline=None, max_examples=60)
@given(spd_quadratics(), st.floats(0.01, 1.6), st.integers(1, 30))
def test_path_is_the_closed_form_in_the_eigenbasis(case, lr_fraction, steps):
    """Each eigen-component of w_k - w* is (1 - lr·λ_i)^k times its start."""
    q, w0 = case
    lr = lr_fraction * q.critical_lr
    run = gradient_descent(q.grad, w0, lr, steps, loss=q.loss)
    assume(run.diverged_at is None)
    V = q.eigenvectors
    c0 = V.T @ (w0 - q.minimum)
    k = np.arange(steps + 1)[:, None]
    expected = c0 * (1 - lr * q.eigenvalues) ** k
    got = (run.path - q.minimum) @ V
    scale = np.abs(c0).max() * max(1.0, q.contraction(lr)) ** steps + 1.0
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9 * scale)


@settings(deadline=None, max_examples=60)
@given(spd_quadratics(), st.floats(0.01, 3.0))
def test_diverges_when_lr_is_above_critical_lr(case, excess):
    q, w0 = case
    w0 = w0 + q.minimum + q.eigenvectors[:, -1]  # a component along the sharpest direction
    lr = q.critical_lr * (1 + excess)
    top = abs(q.eigenvectors[:, -1] @ (w0 - q.minimum))
    growth = q.contraction(lr)
    # |component| passes float32's overflow after at most this many steps (the clock, with margin).
    steps = math.ceil(math.log(3.5e38 / (top * max(q.eigenvalues[-1], 1.0) * 1e-3)) / math.log(growth)) + 5
    run = gradient_descent(q.grad, w0, lr, steps, loss=q.loss)
    assert run.diverged, f"lr = {lr} > critical_lr = {q.critical_lr} but no divergence in {steps} steps"


@settings(deadline=None, max_examples=60)
@given(spd_quadratics(), st.floats(0.001, 0.99))
def test_never_diverges_below_critical_lr_and_loss_never_rises(case, fraction):
    q, w0 = case
    lr = q.critical_lr * fraction
    run = gradient_descent(q.grad, w0, lr, 500, loss=q.loss)
    assert run.diverged_at is None
    assert np.all(np.diff(run.losses) <= 1e-12 * run.losses[0] + 1e-300)


def test_lr_exactly_at_the_threshold_oscillates_without_diverging():
    q = Quadratic(20.0)
    run = gradient_descent(q.grad, [1.0], q.critical_lr, 1000, loss=q.loss)
    assert run.diverged_at is None
    np.testing.assert_allclose(np.abs(run.path[:, 0]), 1.0)


@settings(deadline=None, max_examples=80)
@given(spd_quadratics(), st.floats(1e-4, 3.0))
def test_second_order_change_is_the_true_change_on_quadratics(case, lr):
    q, w = case
    actual = q.loss(w - lr * q.grad(w)) - q.loss(w)
    predicted = q.second_order_change(w, lr)
    scale = q.loss(w) + q.loss(w - lr * q.grad(w)) + 1e-300
    assert abs(predicted - actual) <= 1e-9 * scale


@settings(deadline=None, max_examples=60)
@given(spd_quadratics())
def test_best_step_along_gradient_and_where_the_change_turns_positive(case):
    q, w = case
    assume(np.linalg.norm(q.grad(w)) > 1e-6)
    best = q.best_lr_along_gradient(w)
    at_best = q.second_order_change(w, best)
    for eps in (0.5 * best, 0.9 * best, 1.1 * best, 1.5 * best):
        assert q.second_order_change(w, eps) >= at_best
    scale = abs(at_best)
    assert abs(q.second_order_change(w, 2 * best)) <= 1e-9 * scale
    assert q.second_order_change(w, 2.01 * best) > 0 > q.second_order_change(w, 1.99 * best)


def test_properties_of_a_known_bowl():
    q = Quadratic.from_eigenvalues([1.0, 100.0], angle=0.3)
    assert q.sharpness == pytest.approx(100.0)
    assert q.critical_lr == pytest.approx(0.02)
    assert q.condition_number == pytest.approx(100.0)
    assert q.best_lr == pytest.approx(2 / 101)
    assert q.best_rate == pytest.approx(99 / 101)
    assert q.contraction(q.best_lr) == pytest.approx(q.best_rate)
    assert q.contraction(0.025) == pytest.approx(1.5)


def test_x_squared_at_the_threads_rates():
    """On x² (f'' = 2) both 0.01 and 0.12 converge; 0.12 shrinks w by 0.76 per step."""
    bowl = Quadratic(2.0)
    assert bowl.critical_lr == pytest.approx(1.0)
    assert bowl.contraction(0.12) == pytest.approx(0.76)
    assert bowl.contraction(0.01) == pytest.approx(0.98)


def test_second_order_change_function_accepts_many_steps():
    eps = np.array([0.0, 0.5, 1.0])
    np.testing.assert_allclose(second_order_change([1.0], [[2.0]], eps), [0.0, -0.25, 0.0])


def test_loss_and_grad_accept_a_grid_of_points():
    q = Quadratic.from_eigenvalues([1.0, 4.0], angle=0.2, minimum=[1.0, -1.0])
    grid = np.random.default_rng(0).normal(size=(5, 7, 2))
    values = q.loss(grid)
    assert values.shape == (5, 7)
    assert values[2, 3] == pytest.approx(q.loss(grid[2, 3]))
    np.testing.assert_allclose(q.grad(grid)[1, 1], q.grad(grid[1, 1]))


@pytest.mark.parametrize("H, minimum, match", [
    ([[1.0, 2.0, 3.0]], None, "square"),
    ([[1.0, 2.0], [0.0, 1.0]], None, "symmetric"),
    ([[1.0, float("nan")], [float("nan"), 1.0]], None, "finite"),
    ([[float("inf")]], None, "finite"),
    ([[1.0, 0.0], [0.0, 2.0]], [1.0, 2.0, 3.0], "minimum must have shape"),
    ([[1.0, 0.0], [0.0, 2.0]], [1.0, float("nan")], "minimum must contain only finite"),
])
def test_bad_hessian_or_minimum_is_refused(H, minimum, match):
    with pytest.raises(ValueError, match=match):
        Quadratic(H, minimum=minimum)


@pytest.mark.parametrize("lr", [0.0, -0.1, float("nan"), float("inf")])
def test_bad_lr_is_refused_with_its_value(lr):
    with pytest.raises(ValueError, match=f"lr must be a positive finite number, got {lr!r}"):
        Quadratic(2.0).contraction(lr)


def test_non_numeric_lr_is_a_type_error():
    with pytest.raises(TypeError, match="lr"):
        Quadratic(2.0).factors("0.1")


def _regression_hessians(seed=0, n=200, scale=40.0):
    rng = np.random.default_rng(seed)
    raw = rng.uniform(0, scale, size=(n, 4))
    standardized = (raw - raw.mean(axis=0)) / raw.std(axis=0)
    make = lambda F: Quadratic(2 / n * np.column_stack([np.ones(n), F]).T @ np.column_stack([np.ones(n), F]))
    return make(raw), make(standardized)


@pytest.mark.parametrize("seed", range(5))
def test_raw_features_put_the_threshold_between_the_threads_rates_and_standardizing_cures_it(seed):
    """Lesson 2's bridge: features in [0, 40] give 1e-4 < critical_lr < 1e-3; standardized, κ < 3."""
    raw, standardized = _regression_hessians(seed)
    assert 1e-4 < raw.critical_lr < 1e-3
    assert raw.condition_number > 1e4
    assert standardized.condition_number < 3 and standardized.critical_lr > 0.5
