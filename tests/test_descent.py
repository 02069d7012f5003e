"""Claims about gradient descent's divergence and the blow-up clock."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.descent import (FLOAT32_MAX, blowup_clock, first_step_above, gradient_descent)
from helpers.quadratic import Quadratic


def test_on_10x2_lr_012_diverges_and_001_converges():
    bowl = Quadratic(20.0)  # 10 x², f'' = 20, threshold 0.1
    assert bowl.critical_lr == pytest.approx(0.1)
    big = gradient_descent(bowl.grad, [10.0], 0.12, 300, loss=bowl.loss)
    small = gradient_descent(bowl.grad, [10.0], 0.01, 300, loss=bowl.loss)
    assert big.diverged and small.diverged_at is None
    assert small.losses[-1] < 1e-20 * small.losses[0]
    assert bowl.contraction(0.12) == pytest.approx(1.4)


def test_divergence_stops_cleanly_without_warnings():
    bowl = Quadratic(20.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = gradient_descent(bowl.grad, [10.0], 5.0, 1000, loss=bowl.loss)
    k = run.diverged_at
    assert k is not None and k < 1000
    assert np.all(np.isnan(run.path[k + 1:])) and np.all(np.isnan(run.losses[k + 1:]))
    assert np.all(np.isfinite(run.losses[:k]))
    assert run.losses[k] > FLOAT32_MAX or not np.isfinite(run.losses[k])
    assert run.losses[k - 1] <= FLOAT32_MAX


def test_divergence_is_detected_without_a_loss_too():
    run = gradient_descent(lambda w: 20 * w, [1.0], 0.3, 500)
    assert run.diverged_at is not None
    assert np.all(np.isnan(run.losses))
    assert np.abs(run.path[run.diverged_at]).max() > FLOAT32_MAX
    assert np.abs(run.path[run.diverged_at - 1]).max() <= FLOAT32_MAX


def test_a_gradient_that_returns_nan_is_divergence_not_a_crash():
    run = gradient_descent(lambda w: w * np.nan, [1.0, 2.0], 0.1, 5)
    assert run.diverged_at == 1


def test_result_shapes_and_zero_steps():
    run = gradient_descent(lambda w: w, [1.0, 2.0], 0.5, 0, loss=lambda w: float(w @ w))
    assert run.path.shape == (1, 2) and run.losses.tolist() == [5.0] and run.diverged_at is None
    run = gradient_descent(lambda w: w, 3.0, 0.5, 4)
    assert run.path.shape == (5, 1)


@settings(deadline=None, max_examples=80)
@given(st.floats(0.5, 100.0), st.floats(1.05, 20.0), st.floats(1.0, 1e6))
def test_clock_predicts_the_run_within_one_step(curvature, excess, loss0):
    """From the loss growth (1 - lr f'')² alone, predict when the loss passes 1e12 and overflows."""
    bowl = Quadratic(curvature)
    lr = bowl.critical_lr * excess
    w0 = np.sqrt(2 * loss0 / curvature)
    clock = blowup_clock(bowl.loss([w0]), bowl.contraction(lr) ** 2)
    run = gradient_descent(bowl.grad, [w0], lr, max(clock.predicted) + 5, loss=bowl.loss)
    for threshold, predicted in zip(clock.thresholds, clock.predicted):
        assert abs(first_step_above(run.losses, threshold) - predicted) <= 1
    assert abs(run.diverged_at - clock.predicted[-1]) <= 1


def test_clock_for_the_lesson_run():
    bowl = Quadratic(20.0)
    w0 = np.sqrt(2 * 1e3 / 20.0)  # loss starts at 1000
    clock = blowup_clock(bowl.loss([w0]), bowl.contraction(0.12) ** 2)
    run = gradient_descent(bowl.grad, [w0], 0.12, 200, loss=bowl.loss)
    assert clock.predicted == (first_step_above(run.losses, 1e12), run.diverged_at)


def test_clock_edge_cases():
    assert blowup_clock(1e13, 2.0).predicted[0] == 0
    assert blowup_clock(1.0, 1.0).predicted == (None, None)
    assert first_step_above([1.0, np.inf], 10.0) == 1


@pytest.mark.parametrize("kwargs, error, match", [
    ({"lr": 0.0}, ValueError, "lr must be a positive finite number, got 0.0"),
    ({"lr": -0.1}, ValueError, "got -0.1"),
    ({"lr": float("nan")}, ValueError, "got nan"),
    ({"lr": float("inf")}, ValueError, "got inf"),
    ({"lr": "0.1"}, TypeError, "lr must be a real number"),
    ({"steps": -1}, ValueError, "steps must be a non-negative integer, got -1"),
    ({"steps": 2.5}, TypeError, "steps must be an integer"),
    ({"w0": [1.0, float("nan")]}, ValueError, "w0 must contain only finite"),
    ({"w0": [float("inf")]}, ValueError, "w0 must contain only finite"),
    ({"grad": 3}, TypeError, "grad must be callable"),
    ({"loss": "x"}, TypeError, "loss must be callable"),
])
def test_bad_input_is_refused(kwargs, error, match):
    args = {"grad": lambda w: w, "w0": [1.0], "lr": 0.1, "steps": 3, **kwargs}
    with pytest.raises(error, match=match):
        gradient_descent(**args)


@pytest.mark.parametrize("loss0, growth", [(0.0, 2.0), (1.0, -1.0), (float("nan"), 2.0)])
def test_clock_refuses_bad_input(loss0, growth):
    with pytest.raises(ValueError):
        blowup_clock(loss0, growth)


def test_float32_route_loss_overflows_first_then_gradient_then_weight_then_nan():
    from helpers.descent import float32_route

    route = float32_route(20.0, 10.0, 0.12)
    assert route.weights.dtype == np.float32
    k = route.loss_inf
    assert np.isfinite(route.weights[k]) and np.isfinite(route.losses[k - 1]) and np.isinf(route.losses[k])
    assert k < route.gradient_inf < route.weight_inf < route.weight_nan == route.weights.size - 1
    assert route.weight_inf == route.gradient_inf + 1 and route.weight_nan == route.weight_inf + 1
    assert np.isfinite(route.weights[route.gradient_inf])
    # the float64 clock's overflow step is float32's first inf loss
    assert k == blowup_clock(1000.0, 1.4**2).predicted[1]


def test_float32_route_of_a_converging_run_has_no_inf():
    from helpers.descent import float32_route

    route = float32_route(20.0, 10.0, 0.01, steps=50)
    assert route.weights.size == 51
    assert route.loss_inf is None and route.gradient_inf is None and route.weight_nan is None


@pytest.mark.parametrize("kwargs, name", [({"curvature": 0.0}, "curvature"), ({"lr": -1.0}, "lr"),
                                          ({"w0": float("nan")}, "w0"), ({"steps": -1}, "steps")])
def test_float32_route_validates(kwargs, name):
    from helpers.descent import float32_route

    args = {"curvature": 20.0, "w0": 10.0, "lr": 0.12} | kwargs
    with pytest.raises(ValueError, match=name):
        float32_route(**args)
