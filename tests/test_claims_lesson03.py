"""Lesson 3's claims, checked against the values the executed lesson printed.

Each test names a sentence of the lesson (its heading in brackets) and asserts the number or
direction it states.
"""

import numpy as np
import pytest

from claim_support import printed
from notebook_runner import lesson


@pytest.fixture(scope="module")
def L():
    return lesson("03")


def test_the_second_order_change_is_exact_on_a_quadratic_to_rounding_error(L):
    # [The change in loss after one step] "The curves lie on top of each other"; summary: "matched it to rounding error"
    assert L["gap"] < 1e-12
    np.testing.assert_allclose(L["predicted"], L["actual"], rtol=0, atol=1e-12)


def test_one_step_lowers_the_loss_below_twice_the_best_step_which_lies_above_critical_lr(L):
    # "one step lowers the loss for any η < 2η*, which here lies above critical_lr"
    eps, actual = np.array(L["eps"]), np.array(L["actual"])
    assert np.all(actual[(eps > 0) & (eps < 2 * L["best"] * (1 - 1e-9))] < 0)
    assert np.all(actual[eps > 2 * L["best"] * (1 + 1e-9)] > 0)
    assert 2 * L["best"] > L["critical"]


def test_ten_percent_above_critical_lr_the_curvature_along_g_climbs_and_then_every_step_goes_up(L):
    # "the curvature along it climbs towards λ_max, 2η* falls below the learning rate, and from then on every step goes up"
    along, changes, k = np.array(L["along"]), np.array(L["changes"]), L["rises_from"]
    assert np.all(np.diff(along) > 0) and along[-1] <= 10.0
    assert np.all(changes[:k] < 0) and np.all(changes[k:] > 0)
    lr = 1.1 * L["critical"]
    assert np.all(2 / along[k:] < lr) and np.all(2 / along[:k] > lr)


def test_non_quadratic_prediction_is_good_for_small_steps_and_off_for_large_ones(L):
    # [A non-quadratic loss] "For small steps the two curves agree ... For larger steps they part"
    rel_err, eps = np.array(L["rel_err"]), np.array(L["eps_q"])
    assert np.all(rel_err[eps < 0.3 * L["best_q"]] < 0.01)
    assert rel_err[-1] > 0.1 and L["breaks"] < 2 * L["best_q"]


def test_non_quadratic_actual_change_stays_below_the_parabola_and_turns_positive_later(L):
    # "the actual change stays below the parabola and turns positive later than predicted" (0.187 vs 0.152)
    pred, actual = np.array(L["pred_q"]), np.array(L["actual_q"])
    assert np.all(actual[1:] < pred[1:])
    assert L["turn"] > 2 * L["best_q"]
    assert "later than the predicted" in L.text()


def test_the_turning_point_is_two_over_the_curvature_averaged_over_the_step(L):
    # "the actual change turns positive exactly at η = 2/c̄" and "the curvature at w overstates the curvature along the way"
    assert 2 / L["curv_avg"] == pytest.approx(L["turn"], rel=2e-3)
    assert "implicit equation, not a prediction" in L.text()
    assert L["curv_avg"] < L["curv"][0]
    assert L["w_q"][1] > 0 > L["w_turn"][1]       # the step crosses the valley floor w₂ = 0
    # "mainly because ... w₂ carries most of gᵀg; w₁ also moves towards 0"
    (share,) = printed(L, r"share of g·g along w₂: {n}")
    assert share > 0.5 and 0 < L["w_turn"][0] < L["w_q"][0]
    assert "consistency check of the numerical integration" in L.text()


def test_raw_features_put_the_gradient_almost_along_the_sharpest_direction(L):
    # ["Even very small steps increase the cost"] "g^T H g / g^T g is close to λ_max"
    assert 0.99 < L["along_r"] / L["sharpness_r"] <= 1.0


def test_a_step_can_go_up_only_above_critical_lr_and_here_2_eta_star_is_practically_critical_lr(L):
    # "2η* ≥ 2/λ_max = critical_lr at every point of a quadratic bowl" and "2η* is practically lesson 2's critical_lr"
    two_best, critical = printed(L, r"2η\* = {n} ≥ critical_lr = 2/λ_max = {n}")
    assert critical <= two_best < 1.01 * critical
    assert two_best == pytest.approx(2 * L["best_r"], rel=1e-3)
    assert "the condition number sets it" in L.text() and "is the same condition" in L.text()
    assert "different situation" not in L.text()


def test_one_step_of_1e3_raises_the_loss_and_one_of_1e4_lowers_it(L):
    # "At 1e-3 ... one step raises the loss ... At 1e-4 the same step lowers it"
    assert L["change_1e3"] > 0 > L["change_1e4"]
    assert 1e-4 < 2 * L["best_r"] < 1e-3


def test_the_up_step_condition_is_qualified_to_a_quadratic(L):
    # the non-quadratic loss turned positive later than 2η*, so the summary's condition is for quadratics
    assert "On a quadratic a step goes up exactly when" in L.text()
    assert "- A step goes up when" not in L.text()
