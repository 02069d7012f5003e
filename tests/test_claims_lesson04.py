"""Lesson 4's claims, asserted on the values the executed lesson computed and printed.

Each test names the section whose sentence it checks. The lesson is executed once per change
(``notebook_runner.lesson``); these tests read its variables, so they check the very numbers a
student sees next to the sentences.
"""

import math

import numpy as np
import pytest

from notebook_runner import lesson


@pytest.fixture(scope="module")
def L():
    return lesson("04")


def at(L, lr):
    """Index of ``lr`` in the one-step check's grid of step sizes."""
    lrs = np.array(L["check.lrs"])
    i = int(np.argmin(np.abs(np.log(lrs) - math.log(lr))))
    assert lrs[i] == pytest.approx(lr, rel=1e-6), f"{lr} is not on the check's grid"
    return i


def ratios(losses):
    losses = np.array(losses, dtype=float)
    finite = losses[np.isfinite(losses)]
    return finite[1:] / finite[:-1]


# ---------------------------------------------------------------- the numbers the course relies on
def test_the_lessons_anchor_numbers_are_unchanged(L):
    """Other lessons and TEACHING.md rely on these: the seed's run and its sharpness."""
    np.testing.assert_allclose(L["fast.loss"][:8], [1.06e4, 1.47e3, 8.3e3, 2.44e3, 1.04e4, 6.69e3, 1.2e5, 3.24e12],
                               rtol=5e-3)
    assert L["fast.first_nonfinite_step"] == 8
    assert L["lam"] == pytest.approx(5166.7, rel=1e-3)
    assert 1e-4 < L["info.critical_lr"] < 1e-3


# ---------------------------------------------------------------- The experiment
def test_the_experiment_is_raw_data_and_the_stated_net(L):
    x, y = np.array(L["x"]), np.array(L["y"])
    assert x.shape == (1024, 4) and 0 <= x.min() and x.max() <= 15 and x.max() > 14  # uniform in [0, 15]
    assert 90 < y.mean() < 110                       # "the target is about 100"
    assert L["n_weights"] == 4545                    # "This net has 4,545 weights": 4·64+64 + 64·64+64 + 64+1
    assert 4 * 64 + 64 + 64 * 64 + 64 + 64 + 1 == 4545
    assert L["LESSON.activation"] == "leaky_relu" and L["LESSON.batch_size"] == 32
    assert L["fast.steps_per_epoch"] == 1024 // 32 == 32   # "An epoch is one pass through all 1,024 rows: 32 steps"


def test_the_loss_starts_at_about_ten_thousand(L):
    assert 5e3 < L["fast.initial_loss"] < 2e4
    assert 5e3 < L["fast.loss"][0] < 2e4  # "from about ten thousand" (What we learned)


def test_leaky_relu_has_slope_0_2_below_zero():
    import keras

    assert float(keras.activations.leaky_relu(np.array([-1.0]))[0]) == pytest.approx(-0.2)


# ---------------------------------------------------------------- Predict first
def test_lanczos_needs_a_few_dozen_products(L):
    assert 12 <= L["info.hvps"] <= 100 and L["info.converged"]


def test_the_critical_rate_lies_between_the_threads_rates(L):
    lam = L["lam"]
    assert L["info.critical_lr"] == pytest.approx(2 / lam)
    assert 1e-4 < 2 / lam < 1e-3
    assert 1 - 1e-3 * lam < -1  # at 1e-3 the sharpest component changes sign and grows
    assert 1e-4 * lam < 2       # at 1e-4 every positive-curvature component shrinks
    assert (1 - 1e-4 * lam) ** 2 < 1


def test_the_hessian_at_initialisation_is_a_saddle_with_comparable_ends(L):
    """'The most negative eigenvalue is negative, and its size is comparable to the sharpness.'"""
    assert L["lam_min"] < 0
    assert 0.5 * L["lam"] < abs(L["lam_min"]) <= L["lam"]


# ---------------------------------------------------------------- Run both rates
def test_1e_3_passes_a_trillion_and_reaches_inf_within_the_first_epoch(L):
    loss = np.array(L["fast.loss"], dtype=float)
    k = L["fast.first_nonfinite_step"]
    assert len(loss) == k + 1  # training stops cleanly at the first inf/nan
    trillion = int(np.flatnonzero(~(loss <= 1e12))[0])
    assert np.isfinite(loss[trillion]) and trillion < k < L["fast.steps_per_epoch"]
    assert np.isposinf(loss[k])  # "reaches `inf`"


def test_1e_4_trains(L):
    assert np.all(np.isfinite(L["slow.loss"]))
    assert L["slow.final_loss"] < 0.5 * L["slow.initial_loss"]


# ---------------------------------------------------------------- One step, to second order
def test_for_small_steps_prediction_and_actual_coincide(L):
    lrs = np.array(L["check.lrs"])
    predicted, actual = np.array(L["check.predicted"]), np.array(L["check.actual"])
    small = lrs <= 1e-5
    assert small.any()
    np.testing.assert_allclose(predicted[small], actual[small], rtol=0.01)


def test_the_prediction_holds_to_a_little_above_the_critical_rate(L):
    lrs = np.array(L["check.lrs"])
    predicted, actual = np.array(L["check.predicted"]), np.array(L["check.actual"])
    valid = L["check.valid_up_to"]
    assert L["check.tolerance"] == 0.1
    assert 1 < valid / L["info.critical_lr"] < 2  # "up to a little above 2/λ_max"
    inside = lrs <= valid
    assert np.all(np.abs(predicted[inside] - actual[inside]) <= 0.1 * np.abs(actual[inside]))
    nxt = np.flatnonzero(lrs > valid)[0]
    assert abs(predicted[nxt] - actual[nxt]) > 0.1 * abs(actual[nxt])


def test_at_1e_3_the_first_step_lowers_the_loss_by_less_than_predicted(L):
    i = at(L, 1e-3)
    loss, predicted, actual = L["check.loss"], L["check.predicted"][i], L["check.actual"][i]
    assert actual < 0                  # the first full-batch step still lowers the loss
    assert predicted < actual          # ... by less than predicted
    assert abs(predicted - actual) > 0.2 * abs(actual)   # "clearly", "far off"
    assert loss + predicted < 0 < loss + actual          # the prediction would make the loss negative


def test_at_1e_3_only_the_sharpest_part_of_the_step_is_positive(L):
    i = at(L, 1e-3)
    assert L["check.predicted_top"][i] > 0 > L["check.predicted_rest"][i]
    assert L["check.predicted_top"][i] + L["check.predicted_rest"][i] == pytest.approx(L["check.predicted"][i])
    # The split is the lesson's formula along the sharpest direction: (η²/2 λ_max − η)(g·v)².
    top = (1e-3**2 / 2 * L["lam"] - 1e-3) * L["check.top_share"] * L["check.gg"]
    assert L["check.predicted_top"][i] == pytest.approx(top, rel=1e-9)


def test_the_actual_change_turns_positive_well_before_the_model_says(L):
    lrs = np.array(L["check.lrs"])
    predicted, actual = np.array(L["check.predicted"]), np.array(L["check.actual"])
    turn = L["check.actual_turns_positive_at"]
    assert turn == lrs[np.flatnonzero(actual > 0)[0]]
    assert turn < 0.5 * L["check.predicted_turns_positive_at"]
    assert L["check.predicted_turns_positive_at"] == pytest.approx(2 * L["check.gg"] / L["check.gHg"])
    assert np.any((actual > 0) & (predicted < 0))  # "the wrong sign for larger steps"


def test_the_rest_of_the_gradient_sees_negative_curvature(L):
    assert L["lam_min"] <= L["check.rest_curvature"] < 0
    # "... so its curvature term adds to the predicted drop, and at 1e-3 it is most of the predicted drop."
    term = L["rest_curvature_term"]
    assert term == pytest.approx(1e-3**2 / 2 * L["check.rest_curvature"] * (1 - L["check.top_share"]) * L["check.gg"])
    predicted = L["check.predicted"][at(L, 1e-3)]
    assert term < 0 and abs(term) > 0.5 * abs(predicted)


# ---------------------------------------------------------------- Step by step
def test_the_loss_ratios_at_1e_3_alternate_then_explode(L):
    r = ratios(L["fast.loss"])
    factor = (1 - 1e-3 * L["lam"]) ** 2
    assert len(r) == 7
    assert r[0] < 1 < r[1] and r[2] < 1 < r[3] and r[4] < 1  # the first five alternate below and above 1
    assert r[5] == pytest.approx(factor, rel=0.1)            # one ratio comes close to (1 − ηλ_max)²
    assert r[6] > 1000 * factor                              # the next is > 1000 times beyond it


def test_the_loss_ratios_at_1e_4_scatter_around_1_while_the_loss_falls(L):
    r = ratios(L["slow.loss"])
    assert 0.8 < np.median(r) < 1.25 and np.any(r > 1) and np.any(r < 1)
    assert L["slow.final_loss"] < L["slow.initial_loss"]


def test_the_weights_have_moved_far_when_the_growth_accelerates(L):
    norms = np.array(L["fast.layer_norms"])
    r = ratios(L["fast.loss"])
    k = int(np.argmax(r)) + 1          # the step after the largest ratio (the acceleration)
    assert k == 7 and np.all(norms[k] > 5 * norms[0])


def test_every_layer_grows_by_the_same_order_of_magnitude(L):
    growth = np.array(L["growth"])
    assert growth.shape == (3,) and np.all(growth > 1e6)
    assert growth.max() / growth.min() < 10


# ---------------------------------------------------------------- Where the first nan comes from
def test_the_loss_overflows_to_inf_before_any_nan(L):
    assert math.isinf(L["run.loss"][-1])
    assert L["autopsy.step"] >= L["run.first_nonfinite_step"]
    assert L["autopsy.operation"] in ("inf - inf", "0 * inf")


def test_squaring_above_1_8e19_overflows_float32():
    with np.errstate(over="ignore"):
        assert np.isinf(np.float32(1.9e19) ** 2) and np.isfinite(np.float32(1.8e19) ** 2)


# ---------------------------------------------------------------- model.fit
def test_model_fit_tells_the_same_story(L):
    fast, slow = np.array(L["fit_fast"], dtype=float), np.array(L["fit_slow"], dtype=float)
    assert 1e3 <= fast[0] < 1e4                 # from the thousands
    assert np.nanmax(fast[np.isfinite(fast)]) > 1e12   # through astronomically large values
    assert np.isposinf(fast[-1]) and len(fast) < L["fast.steps_per_epoch"]  # to inf within the first epoch
    assert slow[-1] < slow[0]


# ---------------------------------------------------------------- Try it
def test_the_grid_boundary_is_where_two_over_sharpness_puts_it(L):
    lrs = np.array(L["grid.lrs"])
    assert lrs.size == 13 and lrs[0] == pytest.approx(1e-5) and lrs[-1] == pytest.approx(1e-2)
    diverged = np.array(L["grid_diverged"], dtype=bool)
    np.testing.assert_array_equal(diverged, lrs > L["info.critical_lr"])
    assert L["largest_finite"] < L["info.critical_lr"] < L["smallest_blown"]


def test_the_best_rate_is_the_largest_below_the_boundary_and_the_rest_blow_up_within_an_epoch(L):
    assert L["best.lr"] == L["largest_finite"]
    assert L["last_blowup"] < min(10, L["fast.steps_per_epoch"])
