"""Lesson 4's claims, asserted on the values the executed lesson computed and printed.

Each test names the section whose sentence it checks. The lesson is executed once per change
(``notebook_runner.lesson``); these tests read its variables, so they check the very numbers a
student sees next to the sentences.
"""

import math
import re
from pathlib import Path

import numpy as np
import pytest

from claim_support import markdown, printed
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
    np.testing.assert_allclose(L["fast.losses"][:8], [1.06e4, 1.47e3, 8.3e3, 2.44e3, 1.04e4, 6.69e3, 1.2e5, 3.24e12],
                               rtol=5e-3)
    assert L["fast.diverged_at"] == 8
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
    assert 5e3 < L["fast.losses"][0] < 2e4  # "from about ten thousand" (What we learned)


def test_leaky_relu_has_slope_0_2_below_zero():
    import keras

    assert float(keras.activations.leaky_relu(np.array([-1.0]))[0]) == pytest.approx(-0.2)


# ---------------------------------------------------------------- Predict first
def test_lanczos_needs_a_few_dozen_products(L):
    assert 12 <= L["info.hvps"] <= 100 and L["info.converged"]
    assert "converged: True" in L.text()                               # printed, not only asserted


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


def test_in_the_model_negative_curvature_components_grow_at_both_rates(L):
    """'the weights' displacement along v_i grows at every step, at any rate'; 'The parts along negative curvature are negative and grow in size at both
    rates'; the model's loss can rise at 1e-3 and cannot at 1e-4 (printed); 'the full-data gradient here is large'."""
    for lr in (1e-3, 1e-4):
        assert 1 - lr * L["lam_min"] > 1                                  # grows at any rate
        assert (1 - lr * L["lam_min"]) ** 2 > 1                           # its (negative) loss part grows in size
    assert (1 - 1e-3 * L["lam"]) ** 2 > 1 > (1 - 1e-4 * L["lam"]) ** 2     # the sharpest part grows at 1e-3 only
    assert L["lam"] > 2 / 1e-3 and L["lam"] < 2 / 1e-4                     # only 1e-3 has a part that can grow
    # r22 A2: above 2/η only the part along v must rise; the iterated model's total fell at every step (printed)
    assert ("λ_max above 2/η = 2,000, so the quadratic model's part along v rises; its total loss need not "
            "(a formula, not a run)") in L.text()
    assert list(L["model_rates"]) == [1e-3, 1e-4] and np.all(np.diff(np.array(L["model_loss"])[0]) < 0)
    assert "λ_max below 2/η = 20,000, so the quadratic model's loss cannot rise (a formula, not a run)" in L.text()
    assert "falls towards −∞ in the model" not in L.text()
    assert math.sqrt(L["check.gg"]) > 1e3                                 # full-data gradient: not a saddle point


def test_the_model_is_written_from_the_current_weights_and_defines_loss_parts(L):
    """Round 7: the model's loss after k steps is written from the current weights with g_i = g·v_i, not from a
    stationary point w* = w − H⁻¹g that would lie far outside the model's valid region; the loss part and r are
    defined where used."""
    text = markdown(L)
    assert "bottom of this model" not in text and "distance to the bottom" not in text
    assert "**stationary point**" not in text and "w^\\star" not in text
    assert text.index("g_i = g\\cdot v_i") < text.index("**loss part**") < text.index("only if some $\\lambda_i > 2/\\eta$")
    assert "**loss part**" in text and "r = g - (g\\cdot v)\\,v" in text
    assert "*full-batch* gradient descent" in text and "minibatch SGD" in text     # which threshold, which runs


def test_lambda_min_agrees_from_two_start_vectors(L):
    """'called as here, returns the value alone (with `return_info=True` it would also say whether it converged); the
    check used here is to run it from two different random start vectors' (r20 B10, r23 A2); the centred targets'
    λ_min gets the same check (r23 A2: the × 32 rests on it)."""
    assert L["lam_min_other_start"] == pytest.approx(L["lam_min"], rel=1e-4)
    assert "from another start vector" in L.text()
    assert L["lam_min_c_other"] == pytest.approx(L["lam_min_c"], rel=1e-3)
    assert f"λ_min {L['lam_min_c']:,.0f} (from another start vector: {L['lam_min_c_other']:,.0f}; raw:".replace("-", "−") in L.text() \
        or f"λ_min {L['lam_min_c']:,.0f} (from another start vector: {L['lam_min_c_other']:,.0f}; raw:" in L.text()


def test_most_of_the_sharpness_and_all_negative_curvature_come_from_the_residual_part(L):
    """'Where the curvature comes from': the Gauss-Newton part's largest eigenvalue is a small fraction of λ_max;
    the residuals are large (outputs near 0, targets about 100); Weyl's bounds on the residual part."""
    lam, lam_gn, lam_min = L["lam"], L["lam_gn"], L["lam_min"]
    assert 0 < lam_gn < 0.25 * lam                                     # "a small fraction of λ_max"
    assert lam - lam_gn > 0.5 * lam                                    # Weyl: residual part has an eigenvalue ≥ λ_max − λ_GN
    assert lam_min < 0                                                 # all negative curvature: G is PSD
    outputs, y = np.array(L["outputs"]), np.array(L["y"]).ravel()
    assert abs(outputs.mean()) < 5 and 90 < y.mean() < 110             # "outputs values near 0 ... targets about 100"
    assert L["residual"] == pytest.approx(np.mean(outputs - y)) and L["residual"] < -90
    assert "(no negative eigenvalue)" in L.text()


def test_the_gauss_newton_part_matches_an_independent_computation(L):
    """The lesson's λ_GN is the top eigenvalue of (2/n) J Jᵀ, the same nonzero spectrum as (2/n) JᵀJ."""
    from helpers.experiment import make_experiment
    from helpers.mlp import gauss_newton_sharpness

    model, x, _ = make_experiment()
    weights = model.get_weights()
    assert gauss_newton_sharpness(weights, x) == pytest.approx(L["lam_gn"], rel=1e-6)


# ---------------------------------------------------------------- Run both rates
def test_1e_3_passes_a_trillion_and_reaches_inf_within_the_first_epoch(L):
    loss = np.array(L["fast.losses"], dtype=float)
    k = L["fast.diverged_at"]
    assert len(loss) == k + 1  # training stops cleanly at the first inf/nan
    trillion = int(np.flatnonzero(~(loss <= 1e12))[0])
    assert np.isfinite(loss[trillion]) and trillion < k < L["fast.steps_per_epoch"]
    assert np.isposinf(loss[k])  # "reaches `inf`"


def test_the_mean_predictors_loss_is_the_variance_of_y(L):
    y = np.array(L["y"], dtype=float)
    assert L["baseline"] == pytest.approx(np.mean((y - y.mean()) ** 2), rel=1e-5)


def test_1e_4_stays_finite_and_falls_but_does_not_fit_the_data(L):
    """'the loss stays finite ... falls within the first epoch and then moves up and down ... several times above the
    mean's'."""
    full = np.array(L["slow.full_losses"])
    assert np.all(np.isfinite(L["slow.losses"])) and np.all(np.isfinite(full))
    assert L["slow.final_loss"] < 0.5 * L["slow.initial_loss"]
    spe = L["slow.steps_per_epoch"]
    assert full[spe] < 0.1 * full[0]                             # falls within the first epoch
    settled = np.array(L["settled"])
    np.testing.assert_array_equal(settled, full[spe:])
    assert settled.max() / settled.min() > 1.1                   # ... then moves up and down
    assert L["slow.final_loss"] > 3 * L["baseline"]              # several times the mean predictor's loss
    assert "stayed finite" in L.text() and "blew up (inf)" in L.text()


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
    wrong = (actual > 0) & (predicted < 0)          # "between the two turning points the model has the wrong sign"
    assert wrong.any()
    assert np.all(lrs[wrong] >= turn) and np.all(lrs[wrong] < L["check.predicted_turns_positive_at"])
    assert not np.any(wrong & (lrs > L["check.predicted_turns_positive_at"]))


def test_the_rest_of_the_gradient_sees_negative_curvature(L):
    assert L["lam_min"] <= L["check.rest_curvature"] < 0
    # "... so its curvature term adds to its predicted drop; at 1e-3 it is about half of the rest's predicted
    # change, the other half being the gain −η rᵀr."
    term = L["rest_curvature_term"]
    rest = (1 - L["check.top_share"]) * L["check.gg"]
    assert term == pytest.approx(1e-3**2 / 2 * L["check.rest_curvature"] * rest)
    rest_change = L["check.predicted_rest"][at(L, 1e-3)]
    assert rest_change == pytest.approx(-1e-3 * rest + term, rel=1e-4)   # float32 sums in the check
    assert term < 0 and L["rest_curvature_share"] == pytest.approx(term / rest_change)
    assert 0.4 < L["rest_curvature_share"] < 0.6


# ---------------------------------------------------------------- Step by step
def test_the_loss_at_1e_3_bounces_down_and_up_before_it_explodes(L):
    r = ratios(L["fast.losses"])
    assert len(r) == 7
    assert r[0] < 1 < r[1] and r[2] < 1 < r[3] and r[4] < 1  # the first five alternate below and above 1


def test_at_1e_3_eta_lambda_stays_above_2_while_lambda_jumps_then_runs_away_with_the_loss(L):
    steps, lam = np.array(L["along_fast.steps"], dtype=int), np.array(L["along_fast.sharpness"])
    loss = np.array(L["along_fast.full_losses"])
    assert steps.tolist() == list(range(L["fast.diverged_at"]))   # every step until the inf
    assert lam[0] == pytest.approx(L["lam"], rel=1e-6)
    np.testing.assert_allclose(loss, np.array(L["fast.full_losses"])[steps], rtol=1e-5)
    assert L["fast_unstable"] and np.all(1e-3 * lam > 2)                  # ηλ_max > 2 at every step
    early = np.diff(lam[:6])
    assert np.any(early > 0) and np.any(early < 0)                        # it jumps up and down
    assert lam[-1] > 1e3 * lam[0] and loss[-1] > 1e6 * loss[0]            # ... then both run away by orders of magnitude


def test_every_step_goes_downhill_first_and_the_rising_steps_overshoot_the_lowest_point_on_their_line(L):
    """'Along the steps the run took': every replayed step lowers the full-data loss as it begins; at every step
    where the loss rose it first fell, reached its lowest point a fraction of the way along and climbed past the
    start: the step was more than twice as long as the way to that point, at the blow-up step far longer still."""
    assert L["replay_error"] < 1e-3                                    # the numpy replay is the recorded run
    frac = np.array(L["frac"])
    assert frac[0] == 0 and frac[-1] == 1
    falls, lowest, end = np.array(L["falls_first"], dtype=bool), np.array(L["lowest_at"]), np.array(L["end_ratio"])
    assert falls.size == L["fast.diverged_at"] - 1 == 7 and falls.all()
    rose = np.array(L["rose"], dtype=int)
    full = np.array(L["fast.full_losses"])[: falls.size + 1]
    np.testing.assert_array_equal(rose, np.flatnonzero(full[1:] > full[:-1]))      # the steps whose loss rose
    assert rose.tolist() == [1, 3, 5, 6]
    np.testing.assert_allclose(end[rose], (full[1:] / full[:-1])[rose], rtol=1e-3)
    assert np.all(lowest[rose] < 0.5) and np.all(lowest[rose] > 0)     # "more than twice as long"
    assert 1 / lowest[rose[-1]] > 10 and end[rose[-1]] > 1e6           # the blow-up step: far longer still
    assert "every replayed step lowers the full-data loss as it begins: True" in L.text()


def test_the_exercise_feedback_on_option_c_says_what_the_replay_measured(L):
    from helpers.exercises import lesson04

    feedback = lesson04.q3.options["c"][1]
    assert "starts downhill" in feedback and "lowest point on its own line" in feedback
    assert all(L["falls_first"]) and all(np.array(L["lowest_at"])[np.array(L["rose"], dtype=int)] < 1)
    assert "overshoots by more than it gains" not in feedback


def test_the_full_data_loss_at_1e_3_falls_at_some_steps_and_rises_at_others(L):
    """Round 5: 'the full-data loss at 1e-3 fell at some steps and rose at others (the ratios printed above)'; the
    minibatch ratios and the one-direction factor are no longer set against each other."""
    r = np.array(L["rises"])
    assert np.any(r < 1) and np.any(r > 1)
    np.testing.assert_allclose(r, np.array(L["along_fast.full_losses"])[1:] / np.array(L["along_fast.full_losses"])[:-1])
    assert "mb_ratios" not in L.ns and "while the model's factor is above 1 at every step" not in markdown(L)
    assert "multiplies only the loss above the minimum along one direction" in markdown(L)   # round 9


def test_no_bounded_below_argument_and_no_edge_of_stability_claim(L):
    """Round 4: a lower bound on the loss says nothing about which direction drives it; the 1e-4 run is not shown
    to be at the edge of stability; a minibatch spike is not the signature of a catapult."""
    text = markdown(L)
    for phrase in ("has no such bound", "cannot go on below", "opposite wall", "the edge of stability (lessons",
                   "up to the **edge of stability**", "signature of a catapult", "nearly all of the gradient",
                   "2/|\\lambda_{\\min}|$ would separate them too", "proportional to the weights of the others"):
        assert phrase not in text, phrase
    assert "**progressive sharpening**" in text and "does not show that it is in the regime" in text
    assert "a jump within a few minibatch steps, as here, is not that" in text             # r16 B11
    assert "we use the name here only" not in text
    assert "the threshold of nothing" not in text   # round 11: the aside was dropped


def test_at_1e_4_the_sharpness_rises_towards_two_over_eta(L):
    lam = np.array(L["along_slow.sharpness"])
    assert np.array(L["along_slow.steps"]).tolist() == list(range(len(L["slow.losses"])))    # every step (round 7)
    assert lam[0] == pytest.approx(L["lam"], rel=1e-6) and 1e-4 * lam[0] < 2
    assert lam.max() > 2.5 * lam[0]                                  # it rises
    assert 1.8 < 1e-4 * lam.max() < 2.1                              # ... until ηλ_max is close to 2
    half = lam[lam.size // 2:]
    assert np.all(1e-4 * half > 1.1)                                 # ... and hovers there
    # "... within a few steps ηλ_max reaches 2" (see also the round-7 test below)
    steps = np.array(L["along_slow.steps"])
    edge = L["edge_step"]
    assert edge == steps[np.argmax(1e-4 * lam > 1.8)]
    at_edge = np.array(L["at_edge"])
    np.testing.assert_array_equal(at_edge, lam[steps >= edge])
    first_above_2 = int(steps[np.argmax(1e-4 * lam > 2)])
    assert np.any(1e-4 * lam > 2) and first_above_2 < 10                 # "within a few steps ... reaches 2"


def test_the_minibatch_loss_at_1e_4_scatters_around_the_full_data_loss(L):
    mb, full = np.array(L["slow.losses"]), np.array(L["slow.full_losses"])
    later = slice(L["slow.steps_per_epoch"] // 2, None)
    assert np.any(mb[later] > full[later]) and np.any(mb[later] < full[later])


def test_every_layer_grows_by_the_same_order_of_magnitude_in_the_same_steps(L):
    growth = np.array(L["growth"])
    assert growth.shape == (3,) and np.all(growth > 1e6)
    assert growth.max() / growth.min() < 10
    # "in the figure all three jump in the same steps": each layer's two largest per-step jumps are the same steps
    jumps = np.diff(np.log10(np.array(L["fast.layer_norms"], dtype=float)), axis=0)
    largest = [set(np.argsort(jumps[:, j])[-2:].tolist()) for j in range(3)]
    assert largest[0] == largest[1] == largest[2]


# ---------------------------------------------------------------- Where the first nan comes from
def test_the_loss_overflows_to_inf_before_any_nan(L):
    assert math.isinf(L["run.losses"][-1])
    assert L["autopsy.step"] >= L["run.diverged_at"]
    assert L["autopsy.operation"] in ("inf - inf", "0 * inf")


def test_the_nan_chain_is_finite_output_inf_loss_inf_gradient_inf_weights_inf_minus_inf(L):
    """'the output is still a finite number, but its square overflows ... gradient entries overflow ...
    Applying that update turns the same number of weights into ±inf. In the next forward pass ... +inf to -inf'."""
    out = L["autopsy.largest_output"]
    assert math.isfinite(out) and out > math.sqrt(np.finfo(np.float32).max)
    assert math.isinf(L["autopsy.loss"])
    assert L["autopsy.inf_gradients"] > 0 and L["autopsy.inf_weights"] == L["autopsy.inf_gradients"]
    assert L["autopsy.step"] == L["run.diverged_at"] + 1           # the next forward pass
    assert L["autopsy.operation"] == "inf - inf" and L["autopsy.where"].startswith("forward pass")


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


def test_the_blowup_step_is_not_ordered_by_the_rate(L):
    """'How many steps it took is not ordered by the rate: the smallest rate that blew up took fewer steps than 1e-3.'"""
    steps = np.array(L["blowup_steps"])
    assert not np.all(np.diff(steps) <= 0)
    lrs = np.array(L["grid.lrs"])[np.array(L["grid_diverged"], dtype=bool)]
    at_1e_3 = int(np.argmin(np.abs(np.log(lrs / 1e-3))))
    assert lrs[at_1e_3] == pytest.approx(1e-3) and steps[0] < steps[at_1e_3]
    assert "always blew up at the same or an earlier step: False" in L.text()


def test_one_seed_a_coarse_grid_and_2_over_lambda_min_lands_in_the_same_gap(L):
    """'neighbouring rates almost a factor of two apart'; '2/|λ_min| would land in the same gap, only because |λ_min|
    is close to λ_max here'."""
    lrs = np.array(L["grid.lrs"])
    assert 1.5 < lrs[1] / lrs[0] < 2
    assert L["largest_finite"] < 2 / abs(L["lam_min"]) < L["smallest_blown"]
    assert 0.9 < abs(L["lam_min"]) / L["lam"] < 1


def test_no_finite_run_fits_the_data_and_the_best_one_spiked_then_recovered(L):
    """'on the way that run's minibatch loss spiked above its starting value before falling to the lowest final
    loss of the grid ... here at a rate below 2/λ_max measured at initialisation'."""
    assert L["best.final_loss"] > 3 * L["baseline"]           # every final loss is several times the mean's
    spike = L["spike"]
    assert spike >= 1 and L["best.losses"][spike] > L["best.losses"][0]   # the spike above the starting loss
    assert L["best.full_losses"][spike] > L["best.full_losses"][0]        # "its full-data loss ... above its starting value too"
    finals = np.array(L["grid_final"])[~np.array(L["grid_diverged"], dtype=bool)]
    assert L["best.final_loss"] == finals.min()               # ... then the lowest final loss of the grid
    assert L["best.lr"] < L["info.critical_lr"]


def test_final_losses_near_1_8e_4_are_a_fragile_snapshot(L):
    final = np.array(L["near_final"])
    assert np.all(np.isfinite(final)) and final.size == 9
    steps = np.diff(final)
    assert np.any(steps > 0) and np.any(steps < 0)            # no order
    assert final.max() > 2 * final.min()                       # a wide range
    # "Each of those runs' own full-data loss moves up and down over its second epoch by a larger factor than that
    # spread"
    assert L["near_spread"] == pytest.approx(final.max() / final.min())
    assert np.all(np.array(L["own_spread"]) > L["near_spread"])
    grid_final = {round(math.log10(lr), 3): f for lr, f in zip(L["grid.lrs"], L["grid_final"])}
    lrs = sorted(grid_final)
    i = lrs.index(round(math.log10(1.778e-4), 3))
    assert grid_final[lrs[i]] > max(grid_final[lrs[i - 1]], grid_final[lrs[i + 1]])   # 1.8e-4 worse than neighbours


def test_the_nearby_rate_1_83e_4_ends_among_the_lowest(L):
    """'the run at the nearby 1.83e-4 (printed above) ends among the lowest'."""
    lrs, final = np.array(L["near.lrs"]), np.array(L["near_final"])
    i = int(np.argmin(np.abs(lrs - 1.83e-4)))
    assert f"{lrs[i]:.3g}" == "0.000183"
    assert final[i] <= np.sort(final)[2] and final[i] < 0.5 * L["grid_final"][5]
    assert L["grid.lrs"][5] == pytest.approx(1.778e-4, rel=1e-3)


# ---------------------------------------------------------------- round 5
def test_the_catapult_criterion_uses_the_gauss_newton_eigenvalue_and_both_rates_are_below_it(L):
    """'The experiment' and 'Where the curvature comes from': Lewkowycz et al.'s range starts at 2/λ_GN (λ_GN, the
    Gauss-Newton part's top eigenvalue, is the NTK's for squared error); the thread's 1e-3 and the grid's spiking run
    are below it."""
    assert L["catapult_from"] == pytest.approx(2 / L["lam_gn"])
    assert 1e-3 < L["catapult_from"] and L["best.lr"] < L["catapult_from"]
    text = markdown(L)
    assert "neural tangent kernel" in text and "Gauss-Newton part" in text
    for phrase in ("a little above the critical rate", "measures neither of these", "is what a catapult looks like"):
        assert phrase not in text, phrase
    assert "spike followed by recovery, and nothing more is claimed" in text


def test_the_threshold_is_a_heuristic_with_the_seed_benchmarks_readme_figures(L):
    """Overview and 'What the quadratic model predicts': a threshold computed and tested, not predicted; the
    negative-curvature part changes by a larger factor per step at 1e-3 than the sharpest part; the 20-seed figures
    are those of README's measured table."""
    text = markdown(L)
    assert "predict it before training" not in text and "**Prediction.**" not in text
    assert "compute a threshold from the initial weights and test it" in text
    assert (1 - 1e-3 * L["lam_min"]) ** 2 > (1 - 1e-3 * L["lam"]) ** 2
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert "| `blowup_seeds.py --seeds 20 --first-seed 100` |" in readme
    assert "inf or nan at 1e-3: 20/20; 1e-4 trains: 20/20; 1e-4 < 2/sharpness < 1e-3: 20/20" in readme
    assert ("1e-3 reached `inf` or `nan` on 20 of 20, 1e-4 trained (stayed finite and at least halved its full-data loss, "
            "the benchmark's definition) on 20 of 20, and $2/\\lambda_{\\max}$ lay between the two rates on 20 of 20") in text


def test_the_replayed_steps_are_those_before_the_loss_passed_a_trillion(L):
    """'Along the steps the run took' and 'What we learned': steps 0-6 were replayed, the step to inf was not."""
    n = L["n_replayed"]
    assert n == L["fast.diverged_at"] - 1
    loss = np.array(L["fast.losses"], dtype=float)
    assert np.all(loss[:n] < 1e12) and loss[n] > 1e12
    assert f"replayed: steps 0–{n - 1}; not replayed: step {n}" in L.text()
    text = markdown(L)
    assert "Every step the run took" not in text and "Every step of the 1e-3 run" not in text


def test_at_the_1e_4_runs_sharpest_step_the_gauss_newton_part_is_nearly_all_of_the_sharpness(L):
    """'Step by step': residuals several times smaller; the Gauss-Newton part alone close to λ_max, against a small
    fraction at step 0."""
    lam = np.array(L["along_slow.sharpness"])
    assert L["peak"] == np.array(L["along_slow.steps"])[np.argmax(lam)] and L["lam_peak"] == lam.max()
    assert L["lam_gn_peak"] / L["lam_peak"] > 0.9 and L["lam_gn_peak"] <= L["lam_peak"] * (1 + 1e-6)
    assert L["lam_gn"] / L["lam"] < 0.2
    assert math.sqrt(L["loss_peak"]) < math.sqrt(np.array(L["along_slow.full_losses"])[0]) / 3   # several times smaller


def test_the_grids_lowest_final_loss_is_within_the_noise(L):
    """'Try it': the lowest final loss among the nine nearby rates is within the spread of the grid's lowest."""
    assert min(L["near_final"]) / L["best.final_loss"] < L["near_spread"]
    assert "The lowest final loss came from the largest finite rate" not in markdown(L)


def test_round_5_wording_fixes(L, capsys):
    """Cross-reference to the gradient norm, the nan chain hedged, TerminateOnNaN a callback, no 'blow-up step' for
    the step to 3e12, the exercise solution claims nothing unshown."""
    from helpers.exercises import lesson04

    text = markdown(L)
    assert "(its norm is printed in “One step, to second order” below)" in text
    assert "One step, to second order" in text and "√(gᵀg) =" in L.text()
    assert "This is why the thread saw" not in text and "one way the thread's net could have reached" in text
    assert "a function that `fit` calls" not in text and "*callback*" in text
    assert "at the blow-up step (right)" not in text
    lesson04.q1.solution()
    shown = capsys.readouterr().out
    assert "heuristic" in shown and "somewhat below it" not in shown and "should blow up. " not in shown


def test_the_curvature_jumped_only_at_the_end_and_no_causal_order_is_claimed(L, capsys):
    """Round 7/9, 'Step by step', 'Which weights explode' and 'What we learned': ηλ_max jumped up and down, then grew
    by orders of magnitude only in the last two steps (not 'by an ever larger factor'); before that the first and
    last layers' norms grew by factors of about two to three; over the whole run λ_max and the loss grew by factors
    within two of what the scale argument gives for the product's growth (product^(4/3), product²), most of it in the
    last step, which is why the lesson says the whole-run line adds no evidence of its own. No 'larger factor than the product' reading, no 'curvature first, weights followed'."""
    from helpers.exercises import lesson04

    norms = np.array(L["fast.layer_norms"], dtype=float)        # (steps recorded, layers), before each step
    lam, loss = np.array(L["along_fast.sharpness"], dtype=float), np.array(L["along_fast.full_losses"], dtype=float)
    last = L["last"]
    assert last == len(lam) - 1 == L["fast.diverged_at"] - 1
    eta_lam = 1e-3 * lam
    assert np.any(np.diff(eta_lam[:last - 1]) < 0)               # not "ever larger"
    assert eta_lam[last - 1] > eta_lam[:last - 1].max() * 3 and eta_lam[last] > 100 * eta_lam[last - 1]
    assert eta_lam[:last - 1].max() / eta_lam[:last - 1].min() < 10   # before: jumps, no orders of magnitude
    early = np.array(L["early"])
    np.testing.assert_allclose(early, norms[last - 1] / norms[0])
    assert 1.5 < early[0] < 3.5 and 1.5 < early[2] < 3.5        # "about two to three"
    product = np.prod(norms, axis=1)
    assert L["norm_rise"] == pytest.approx(product[last] / product[0])
    assert L["lam_rise"] == pytest.approx(lam[last] / lam[0]) and L["loss_rise"] == pytest.approx(loss[last] / loss[0])
    assert 0.5 < L["lam_rise"] / L["norm_rise"] ** (4 / 3) < 2           # "within two of what the scale argument gives"
    assert 0.5 < L["loss_rise"] / L["norm_rise"] ** 2 < 2
    step_product = product[last] / product[last - 1]
    assert math.log(step_product) > 0.5 * math.log(L["norm_rise"])       # "most of it in the last step"
    assert math.log(lam[last] / lam[last - 1]) > 0.5 * math.log(L["lam_rise"])
    shown = printed(L, r"step 0 → \d+: product of the layer norms × {n}; λ_max × {n} \(product\^\(4/3\): {n}\); "
                       r"full-data loss × {n} \(product²: {n}\)")
    np.testing.assert_allclose(shown, [L["norm_rise"], L["lam_rise"], L["norm_rise"] ** (4 / 3), L["loss_rise"],
                                       L["norm_rise"] ** 2], rtol=0.01)
    text = markdown(L)
    for phrase in ("the curvature rose first", "ever larger factor", "the weights followed", "after the curvature",
                   "grew by a larger factor than the product", "mostly did not follow the weights' scale",
                   "they mostly disagree", "come from something else"):
        assert phrase not in text, phrase
    assert "not a cause and its effect" not in text and "one process seen at two scales" not in text   # round 8
    assert "the last step makes most of the growth" in text      # round 11: the whole-run comparison adds no evidence
    assert "Whether the curvature drove the weights or the weights the curvature, these measurements do not say" in text
    lesson04.q2.solution()
    assert "after the curvature had jumped" not in capsys.readouterr().out


# ---------------------------------------------------------------- round 6
def test_centred_targets_shrink_the_sharpness_to_the_gauss_newton_part_and_the_negative_curvature(L):
    """'Where the curvature comes from': with y − ȳ (same net, weights and inputs) the sharpness is almost exactly the
    Gauss-Newton part, λ_min stays negative but many times smaller, and 2/λ_max no longer lies between 1e-4 and 1e-3;
    'What we learned' says the same."""
    assert abs(np.mean(L["y_centred"])) < 1e-3 and np.std(L["y_centred"]) == pytest.approx(np.std(L["y"]), rel=1e-5)
    lam, lam_c, lam_gn = L["lam"], L["lam_c"], L["lam_gn"]
    assert lam_c < 0.25 * lam                                            # the raw targets made it large
    assert lam_c == pytest.approx(lam_gn, rel=0.05)                      # "almost exactly the Gauss-Newton part"
    assert L["lam_min_c"] < 0 and abs(L["lam_min_c"]) < abs(L["lam_min"]) / 10   # "still negative, many times smaller"
    assert not 1e-4 < 2 / lam_c < 1e-3                                   # "no longer lies between the thread's two rates"
    assert f"1e-4 < 2/λ_max < 1e-3: {1e-4 < 2 / lam_c < 1e-3}" in L.text()
    text = markdown(L)
    assert "large because the raw targets are far from" not in text
    assert "so here the raw targets make the curvature large" not in text.lower()
    assert "with the targets' mean removed (same net, same inputs) the sharpness shrank to the Gauss-Newton part" in text


def test_the_catapult_range_is_printed_with_both_ends_after_its_terms_are_defined(L):
    """'Where the curvature comes from': 4/λ_0 is their theory's end (wide networks), about 12/λ_0 their ReLU
    experiments'; the neural tangent kernel and the Gauss-Newton part are defined before they are used."""
    lam_gn = L["lam_gn"]
    start, theory_end, relu_end = printed(L, r"starts at 2/λ_GN = {n}; it ends at 4/λ_GN = {n} in their theory "
                                             r"\(wide networks\), near 12/λ_GN = {n} in their ReLU experiments")
    assert start == pytest.approx(2 / lam_gn, rel=0.05) and theory_end == pytest.approx(4 / lam_gn, rel=0.05)
    assert relu_end == pytest.approx(12 / lam_gn, rel=0.05)
    assert "to about 4/λ_GN" not in L.text()
    text = markdown(L)
    definition = text.index("The first, the *Gauss-Newton* part")
    assert text.index("neural tangent kernel") > definition and text.index("Gauss-Newton") > definition
    assert text.index("*catapult* of Lewkowycz et al. (2020)") > definition                 # r17 B5: moved after
    assert "$n \\times n$ matrix $J J^\\top$" in text                        # the kernel defined where it is used


def test_the_answer_to_the_threads_first_question_comes_with_its_support(L):
    """'The threshold and the runs' (r14 B7: right after the sharpness is printed, the runs already shown): the
    answer comes with its support and a pointer to 'A heuristic threshold', which says the sorting is empirical."""
    text = markdown(L)
    assert "That answers the thread's first question" not in text
    answer = text.index("That is this lesson's answer to the thread's first question")
    assert text.index("## Run both rates") < text.index("**The threshold and the runs.**") < answer
    support = text[answer:answer + 1300]
    assert "the run shows only that the total loss blew up at 1e-3 and not at 1e-4" in support   # r13 A1
    assert "found by running them, not derived" not in support and answer < text.index("**A heuristic threshold.**")   # r21 D12
    heuristic = text[text.index("**A heuristic threshold.**"):]
    assert "13 rates" in heuristic[:1200] and "20 other seeds" in heuristic[:1200]
    assert len(L["grid.lrs"]) == 13
    assert text.count("support is empirical") == 0


def test_the_relative_error_spikes_where_the_actual_change_crosses_zero(L):
    """'One step, to second order': the relative error's spike sits just before the actual change turns positive;
    the error as a fraction of the loss has no spike and grows with the step size after the dip, which is where
    predicted − actual changes sign, at a small step size."""
    lrs = np.array(L["check.lrs"])
    predicted, actual = np.array(L["check.predicted"]), np.array(L["check.actual"])
    rel = np.abs(predicted - actual) / np.abs(actual)                    # StepCheck.relative_error, as drawn
    crossing = at(L, L["check.actual_turns_positive_at"])
    assert actual[crossing - 1] < 0 < actual[crossing]
    assert int(np.argmax(rel)) == crossing - 1                           # "spikes at the left edge of the grey band"
    of_loss = np.abs(predicted - actual) / L["check.loss"]
    flips = np.array(L["error_flips"], dtype=int)
    np.testing.assert_array_equal(flips, np.flatnonzero(np.diff(np.sign(predicted - actual))))
    first = int(flips[0])
    assert lrs[first + 1] < L["info.critical_lr"]                        # "at the same small step size"
    dip = first + int(of_loss[first + 1] < of_loss[first])              # the grid point nearer the sign change
    assert of_loss[dip] < of_loss[dip - 1] and of_loss[dip] < of_loss[dip + 1]   # "both curves dip"
    assert np.all(np.diff(of_loss[first + 1:]) > 0)                     # "grows steadily", no spike
    assert "dividing by a number near 0 inflates any error, so that peak is no sudden failure" in markdown(L)


def test_at_1e_4_measured_at_every_step_eta_lambda_swings_mostly_below_2(L):
    """Round 7 (every step measured, so no period-2 aliasing): after ηλ_max first passed 1.8 it swung up and down at
    most consecutive pairs of steps, with a median well below 2, above 2 at only a few steps, and the run stayed
    finite: not hovering at or just above 2/η. The earlier 'never above 2' (every second step) is gone."""
    lam = np.array(L["along_slow.sharpness"])
    eta_lam = 1e-4 * lam
    np.testing.assert_allclose(L["eta_lam"], eta_lam)
    assert L["closest"] == pytest.approx(eta_lam.max()) and L["closest_step"] == np.argmax(lam)
    at_edge = 1e-4 * np.array(L["at_edge"])
    assert np.median(at_edge) < 1.8 and at_edge.min() < 1.5              # "swung ... median well below 2"
    above = int(np.sum(at_edge > 2))
    assert 0 < above <= 0.1 * at_edge.size                              # "above 2 at only a few steps"
    turns = np.sign(np.diff(at_edge))                                    # r13 A3: over the phase the text describes
    alternations = int(np.sum(turns[1:] != turns[:-1]))
    assert alternations > (turns.size - 1) / 2                           # "for most consecutive pairs of steps"
    assert f"from step {L['edge_step']} on, ηλ_max went up then down, or down then up, at {alternations} of " \
           f"{turns.size - 1} consecutive pairs of steps" in L.text()
    assert f"above 2 at {above} of {at_edge.size} steps" in L.text()
    assert np.all(np.isfinite(L["slow.losses"]))                           # the run stayed finite
    text = markdown(L)
    assert "does something different from hovering" in text and "every second step" not in text
    assert "never passed it" not in text and "never above 2" not in text
    assert "mostly below 2 and above it at a few steps" in text


# ---------------------------------------------------------------- round 7
def test_the_sharpest_part_is_measured_and_matches_the_one_step_split(L):
    """'What the quadratic model predicts' and 'One step, to second order': the sharpest direction's loss part,
    g_v²/(2λ_max)·((1 − ηλ_max)^(2k) − 1), is measured (|g·v| printed); after one step at 1e-3 it is the printed '+'
    part of the predicted change."""
    g_top = math.sqrt(L["check.top_share"] * L["check.gg"])
    assert L["g_top"] == pytest.approx(g_top) and L["top_part"] == pytest.approx(g_top**2 / (2 * L["lam"]))
    one_step = L["top_part"] * ((1 - 1e-3 * L["lam"]) ** 2 - 1)
    assert one_step == pytest.approx(L["check.predicted_top"][at(L, 1e-3)], rel=1e-6)
    assert f"{one_step:+,.0f} after one step" in L.text()
    text = markdown(L)
    assert "Nothing in the quadratic model supports reading only" not in text
    assert "separates the rates at which a part of the loss can *rise* geometrically (add to the loss, not only grow in size)" in text
    assert (1 - 1e-3 * L["lam_min"]) ** 2 > (1 - 1e-3 * L["lam"]) ** 2  # "at 1e-3 by a larger factor per step"


def test_the_catapult_criterion_says_1e_3_should_train_and_does_not_transfer(L):
    """'The catapult criterion': below 2/λ_GN is their lazy, stable phase; 1e-3 and other grid rates below it blew
    up; the Gauss-Newton part is a small fraction of λ_max (printed)."""
    assert not np.isfinite(L["fast.losses"][-1]) and 1e-3 < L["catapult_from"]
    lrs = np.array(L["grid.lrs"])[np.array(L["grid_diverged"], dtype=bool)]
    below = lrs[lrs < L["catapult_from"]]
    np.testing.assert_allclose(L["below_catapult"], below)
    assert below.size >= 3 and np.any(np.isclose(below, 1e-3))          # 1e-3 and other rates
    assert ", ".join(f"{lr:.2g}" for lr in below) in L.text()
    assert L["lam_gn"] < 0.25 * L["lam"]
    text = markdown(L)
    assert "their criterion does not transfer to this net" in text and "gets this net wrong" not in text and "not one of their catapults that failed" not in text


def test_the_noise_floor_and_the_1e_4_replay_are_printed(L):
    """'The experiment': the target's noise (σ) and its floor σ² are printed; 'Step by step': the float64 replay of
    the 1e-4 run agrees with the float32 run before the Gauss-Newton part is measured at its weights."""
    assert L["LESSON.noise"] == 5
    assert f"standard deviation {L['LESSON.noise']:g}, so the noise floor is about {L['LESSON.noise'] ** 2:.0f}" in L.text()
    assert L["replay_slow_error"] < 1e-4
    assert "agrees with the recorded float32 run's full-data loss" in L.text()


def test_round_7_minor_wording(L, capsys):
    """The relu benchmark pointer without a result is gone; the model.fit heading names two rates; one sign change;
    the thread's second answer is credited; exercise 1's solution says how the minibatch step differs."""
    from helpers.exercises import lesson04

    text = markdown(L)
    assert "--activation relu" not in text
    assert "## The same two rates through `model.fit`" in text and "The same run through" not in text
    assert len(L["error_flips"]) == 1 and "(the sign change printed above)" in text
    assert "the picture of the thread's second answer" in text
    lesson04.q1.solution()
    shown = capsys.readouterr().out
    assert "minibatch" in shown and "full-batch step" in shown


def test_the_output_is_linear_in_each_layer_alone_so_the_residual_part_has_zero_diagonal(L):
    """Round 7, 'Where the curvature comes from': with the leaky-ReLU pattern fixed, the output is linear in each
    layer's weights and bias taken alone (second differences along one layer vanish), but not in two layers at once;
    hence the residual part's diagonal, and its trace, is zero."""
    from helpers.experiment import make_experiment

    model, x, _ = make_experiment()
    weights = [w.astype(np.float64) for w in model.get_weights()]   # kernel, bias per layer

    def f(ws):
        h = np.asarray(x, dtype=np.float64)
        for j in range(0, len(ws), 2):
            h = h @ ws[j] + ws[j + 1]
            if j < len(ws) - 2:
                h = np.where(h > 0, h, 0.2 * h)
        return h.ravel()

    rng = np.random.default_rng(0)
    direction = [rng.normal(size=w.shape) for w in weights]
    t = 1e-4

    def second_difference(layers):
        step = [d * t if j // 2 in layers else 0 * d for j, d in enumerate(direction)]
        plus = f([w + s for w, s in zip(weights, step)])
        minus = f([w - s for w, s in zip(weights, step)])
        return np.median(np.abs(plus + minus - 2 * f(weights)))      # typical row: crosses no kink

    across = second_difference({0, 2})                               # two layers at once: curved
    assert across > 1e-9
    for layer in range(3):
        assert second_difference({layer}) < 1e-6 * across               # one layer alone: linear
    assert "so is its trace, the sum of its eigenvalues" in markdown(L)


# ---------------------------------------------------------------- round 8
def test_the_target_is_the_stated_function_of_x_plus_noise_of_the_stated_size(L):
    """'The experiment': y = 100 + 2(x₁−7.5) + (x₂−7.5) − (x₄−7.5) + 0.05(x₁−7.5)(x₄−7.5) + ε; what is left after
    removing that function is noise of the printed standard deviation, and y spreads more than the noise does.
    The noise floor is an expected error on new data, not a floor on the training loss."""
    x, y = np.array(L["x"], dtype=float), np.ravel(np.array(L["y"], dtype=float))
    c = x - 7.5
    eps = y - (100 + 2 * c[:, 0] + c[:, 1] - c[:, 3] + 0.05 * c[:, 0] * c[:, 3])
    assert abs(eps.mean()) < 0.5 and eps.std() == pytest.approx(L["LESSON.noise"], rel=0.1)
    assert y.std() > 2 * eps.std()
    assert f"y mean {y.mean():.1f} (std {y.std():.1f})" in L.text()
    text = markdown(L)
    assert "$$y = 100 + 2(x_1 - 7.5) + (x_2 - 7.5) - (x_4 - 7.5) + 0.05\\,(x_1 - 7.5)(x_4 - 7.5) + \\varepsilon .$$" in text
    assert "the target is about 100 plus Gaussian noise" not in text
    assert "no network can push the mean squared error much below its square" not in text
    assert "the mean squared error that even the true function makes on new data" in text


def test_the_sharpest_part_grows_fastest_only_among_the_parts_that_raise_the_loss(L):
    """'A threshold from the initial weights': at 1e-3 the negative-curvature factor per step exceeds the sharpest's."""
    assert (1 - 1e-3 * L["lam_min"]) ** 2 > (1 - 1e-3 * L["lam"]) ** 2 > 1
    assert printed(L, r"lr = 0\.001: .*\n.*\(1 − ηλ_max\)² = {n} per step")[0] < \
        printed(L, r"lr = 0\.001: .*\n.*\n.*\(1 − ηλ_min\)² = {n} per step")[0]
    text = markdown(L)
    assert "the sharpest direction's part then grows fastest" not in text
    assert "among the parts that *raise* the loss, the sharpest direction's then grows fastest" in text


def test_the_scale_argument_is_applied_only_to_the_last_step(L):
    """Round 9, 'Which weights explode': no per-step 'scale alone' column or verdict; the per-step factors are measured
    and printed with the root-mean-square residual, which stays within a few times the targets' size up to the last
    step and dwarfs them after it; over that last step scale alone (product^(4/3)) gives the order of λ_max's jump."""
    norms = np.array(L["fast.layer_norms"], dtype=float)
    lam, loss = np.array(L["along_fast.sharpness"], dtype=float), np.array(L["along_fast.full_losses"], dtype=float)
    last = L["last"]
    product = np.prod(norms, axis=1)
    product_step, lam_step = product[1:last + 1] / product[:last], lam[1:] / lam[:-1]
    np.testing.assert_allclose(L["product_step"], product_step)
    np.testing.assert_allclose(L["lam_step"], lam_step)
    rms = np.sqrt(loss)
    np.testing.assert_allclose(L["rms_residual"], rms)
    target = L["target_rms"]
    assert target == pytest.approx(float(np.sqrt(np.mean(np.array(L["y"], dtype=float) ** 2))), rel=1e-6)
    assert printed(L, r"targets: root-mean-square {n}")[0] == pytest.approx(target, abs=0.5)
    assert np.all(rms[:last] < 5 * target)                             # "within a few times the targets' size"
    assert rms[last] > 1000 * target                                   # "dwarfed them only after it"
    assert L["final_scale"] == pytest.approx(product_step[-1] ** (4 / 3))
    assert 0.5 < lam_step[-1] / L["final_scale"] < 2                   # "gives the order of λ_max's jump"
    shown = printed(L, r"step \d+ → \d+: scale alone gives λ_max × product\^\(4/3\) = {n}; measured × {n}")
    np.testing.assert_allclose(shown, [L["final_scale"], lam_step[-1]], rtol=0.01)
    for name in ("scale_says", "against_scale", "far_from_scale", "near_scale"):
        assert name not in L.ns, name
    assert "so scale alone" not in L.text() and "the scale's factor" not in L.text()
    text = markdown(L)
    assert "from step 0 to step 6 (the line “step 0 → 6” above)" in text and last - 1 == 6
    assert "step 0 → 6: layer norms ×" in L.text()
    assert "the argument can hold at most over that last step" in text and "Dinh et al. 2017" in text
    assert "The earlier swings of $\\lambda_{\\max}$ are not explained by this lesson" in text


def test_rising_steps_mostly_lay_along_the_sharpest_direction_of_that_moment(L):
    """'Step by step' (B4): at most steps that raised the loss (1e-3 replay) the step lay > 90% along the current
    sharpest eigenvector; at every step that lowered it the share was lower; one rising step does not fit;
    at step 0 the share is close to the full-data gradient's share along v."""
    share, ratio = np.array(L["step_share"]), np.array(L["end_ratio"])
    rising = ratio > 1
    assert share.size == ratio.size == 7 and np.all((share >= 0) & (share <= 1 + 1e-9))
    mostly = np.flatnonzero(rising & (share > 0.9))
    assert list(L["mostly_along"]) == list(mostly)
    assert len(mostly) > rising.sum() / 2                                        # "at most of the steps"
    assert share[~rising].max() < share[mostly].min()                           # lowering steps: below the rising ones
    assert share[~rising].max() < 0.9
    assert rising.sum() - len(mostly) == 1                                      # "one rising step does not fit"
    assert share[0] == pytest.approx(L["check.top_share"], abs=0.05)              # step 0 ≈ full-data gradient's share
    assert np.all(1e-3 * np.array(L["along_fast.sharpness"])[mostly] > 10)     # "ηλ_max far above 2 at that step"
    assert "a correlation over seven steps of one run" in markdown(L)
    assert "whether the real steps moved along the sharpest direction at that step is measured in “Step by step”" in markdown(L)


def test_the_one_step_formula_turns_positive_after_two_over_lambda_max_and_says_1e3_lowers_the_loss(L):
    """'The thread's formula and 2/λ_max' (B5): gᵀHg/gᵀg ≤ λ_max, so 2gᵀg/gᵀHg ≥ 2/λ_max; here it lies above 1e-3,
    and at 1e-3 both the formula and the actual first step lower the loss."""
    turn = L["check.predicted_turns_positive_at"]
    assert L["grad_curvature"] == pytest.approx(2 / turn)
    assert L["grad_curvature"] <= L["lam"] and turn >= L["info.critical_lr"]
    assert L["lam"] / L["grad_curvature"] > 5                                     # "far below λ_max"
    assert turn > 1e-3
    i = at(L, 1e-3)
    assert L["check.predicted"][i] < 0 and L["check.actual"][i] < 0
    shown = printed(L, r"turns positive at 2gᵀg / gᵀHg = {n}, {n} × 2/λ_max")
    assert shown[0] == pytest.approx(turn, rel=0.05) and shown[1] == pytest.approx(turn / L["info.critical_lr"], rel=0.05)
    # Round 10: the one-step part along v does turn positive at 2/λ_max; the total change does not.
    assert "So the *total* change of one step does not turn positive at $2/\\lambda_{\\max}$" in markdown(L)
    assert "marks nothing that a single step does" not in markdown(L) and "dominant after a few" not in markdown(L)
    assert (1 - 1e-3 * L["lam_min"]) ** 2 > (1 - 1e-3 * L["lam"]) ** 2 > 1     # "whose factor is larger at 1e-3"
    assert 1e-4 * L["lam"] < 2 < 1e-3 * L["lam"]          # the part along v: negative at 1e-4, positive at 1e-3


def test_the_1e_4_loss_rose_at_single_steps_never_back_to_its_start(L):
    """'Step by step' and 'Run both rates' (B6): the 1e-4 full-data loss rose at many steps, most with ηλ_max < 2,
    at most of the steps with ηλ_max > 2; its largest rise came at a step with ηλ_max > 2; never back to its start.
    The margins of the two runs: within about two of each other, against ten at initialisation."""
    losses = np.append(np.array(L["slow.full_losses"]), L["slow.final_loss"])
    np.testing.assert_allclose(L["slow_losses"], losses)
    rose = np.flatnonzero(losses[1:] > losses[:-1])
    eta_lam = 1e-4 * np.array(L["along_slow.sharpness"])
    above = np.flatnonzero(eta_lam > 2)
    assert list(L["slow_rose"]) == list(rose) and list(L["above_two"]) == list(above)
    assert 0.2 * (losses.size - 1) < rose.size                                   # "at many single steps"
    assert len(np.setdiff1d(rose, above)) > len(rose) / 2                       # "most of them with ηλ_max below 2"
    assert len(np.intersect1d(rose, above)) > len(above) / 2                     # "at most of the few ... above 2"
    biggest = int(np.argmax(losses[1:] / losses[:-1]))
    assert L["biggest"] == biggest and eta_lam[biggest] > 2                      # largest rise at ηλ_max > 2
    assert losses[1:].max() < losses[0]                                          # never back to its start
    fast_min = 1e-3 * min(L["along_fast.sharpness"])
    assert 1 < fast_min / eta_lam.max() < 2.5                                    # "within a factor of about two"
    text = markdown(L)
    assert "falls within the first epoch and then hovers" not in text
    assert "then moves up and down (it rose at many single steps" in text
    assert "plausibly because each step follows one minibatch's gradient; not measured here" in text


def test_round_8_minor_wording(L, capsys):
    """Catapult paragraph as a forward reference; exercise 1's solution names minibatch noise and the minibatch
    Hessian; the |λ_min| ≈ λ_max reason is marked as not measured."""
    from helpers.exercises import lesson04

    text = markdown(L)
    assert "below will show" not in text and "It blew up (“Run both rates”, above)" in text         # r14 B7
    assert "A plausible reason, which this lesson does not measure" not in text and "\\pm\\sigma" not in text  # cut
    lesson04.q1.solution()
    shown = capsys.readouterr().out
    assert "noise" in shown and "own Hessian" in shown and "lesson 6" in shown


def test_round_9_two_over_lambda_max_bounds_growth_along_v_not_stability(L, capsys):
    """Round 9: with λ_min < 0 no rate is stable, so 2/λ_max is labelled as where the loss can grow along the sharpest
    direction (text, figure legends and titles, exercise 1), not as 'unstable above'; the loss above the minimum along
    v, not the loss part, is what (1 − ηλ_max)² multiplies (text and exercise 2); the pointer to the factors' cell."""
    from matplotlib.figure import Figure
    from types import SimpleNamespace
    from helpers import plots
    from helpers.exercises import lesson04

    assert L["lam_min"] < 0
    text = markdown(L)
    assert "is the threshold of *full-batch* gradient descent" not in text
    assert "above it, the quadratic model's loss can grow along the sharpest direction $v$" in text
    assert "sharpest direction's part is positive and is multiplied by" not in text
    assert text.count("the loss above the minimum along") >= 4 and "is the factor of one loss part only" not in text
    assert "as the next cell prints at 1e-3" not in text and "as the second cell below prints at 1e-3" in text
    cells = L.nb.cells
    here = next(i for i, c in enumerate(cells) if "as the second cell below prints at 1e-3" in c.source)
    below = [c for c in cells[here + 1:] if c.cell_type == "code"][1]
    assert "(1 − ηλ_min)²" in below.source                               # the pointer lands on the factors' cell
    traces = [SimpleNamespace(lr=1e-3, steps=np.arange(3), sharpness=np.array([5e3, 3e4, 6e9]),
                              full_losses=np.array([1e4, 2e3, 3e12]))]
    axes = Figure().subplots(2, 1, squeeze=False)
    plots.draw_sharpness_along(axes, traces)
    labels = axes[0, 0].get_legend_handles_labels()[1]
    assert any("above it, the loss above\nthe minimum along v can grow" in label for label in labels)    # r17 B4
    assert "the loss can grow" not in axes[0, 0].get_title() and "2/η: the dashed line" in axes[0, 0].get_title()
    assert not any("the loss can grow along v" in label for label in labels)
    assert not any("unstable" in label for label in labels) and "unstable" not in axes[0, 0].get_title()
    assert "unstable" not in lesson04.q1.prompt and "can the loss grow along the sharpest direction" in lesson04.q1.prompt
    assert "the loss above the minimum along the sharpest direction" in lesson04.q2.prompt


def test_round_9_the_answer_in_short_and_a_shorter_saddle_bullet(L):
    """Round 9, 'What we learned': one paragraph states the answer and its limits; its statements rest on the lesson's
    values: 2/λ_max between the two rates, 1e-3 blew up (float32 overflow) after bouncing, 1e-4 stayed finite; the
    saddle bullet lost its hedging clauses."""
    text = markdown(L)
    start = text.index("**The answer, in short.**")
    assert text.index("## What we learned") < start
    assert 1e-4 < L["info.critical_lr"] < 1e-3                            # "lay between 1e-4 and 1e-3"
    loss = np.array(L["fast.losses"], dtype=float)
    assert np.isinf(loss[-1]) and np.any(np.diff(loss[:5]) > 0) and np.any(np.diff(loss[:5]) < 0)  # bounced, then inf
    assert np.all(np.isfinite(L["slow.losses"])) and L["lam"] < 2 / 1e-4                # "could not at the start ... stayed finite"
    assert "In the README's benchmark, not run in this lesson, the same verdicts held at the thread's two rates on 20 of 20" in text
    bullet = text[text.index("- At initialisation the loss is shaped like a **saddle**"):]
    bullet = bullet[:bullet.index("\n")]
    assert len(bullet) < 650 and "which wins" not in bullet


def test_round_9_minor_wording(L):
    """Round 9 minors: the catapult criterion 'does not transfer'; 'trained' is not 'fits well' next to the 20-seed
    claim (this seed's 1e-4 ends several times above the mean predictor); float32 overflow is explained where first
    used; the two senses of 'kernel'; the model.fit bar's 32/32; a one-sentence noise floor; the 1e-4 run's layer
    norms at its sharpest step are printed (the step-check legend is asserted in tests/test_plots.py)."""
    text = markdown(L)
    assert "“trained” is not “fits well”" in text and L["slow.final_loss"] > 3 * L["baseline"]
    overflow = text.index("*overflows* to `inf`")
    assert overflow < text.index("### Where the first `nan` comes from")
    assert "a different sense from the neural tangent kernel above" in text
    assert "is not the number of batches run" in text
    stopped = printed(L, r"lr = 0\.001: stopped by TerminateOnNaN at batch {n}")[0]
    assert stopped < 31 and "32/32" in L.text() and "Invalid loss, terminating training" in L.text()
    assert "could go below it only by fitting the noise" not in text
    assert "since step 0" in L.text() and "layer norms at step" not in L.text()        # r21 A3: cut with its bound


def test_round_11_rising_steps_were_of_the_order_eta_lambda_max_times_the_way_to_their_lowest_point(L):
    """'How long were the rising steps?': on every rising step the measured step ÷ way to the lowest point is
    below ηλ_max (even at the grid's bound) but between about a third and four fifths of it allowing for the grid
    (r16 A1: both neighbouring grid points bound it); the steps have the
    same order by length as by ηλ_max, step 6 the longest; almost wholly along v at steps 1, 3, 6, hardly at 5."""
    rose = [int(k) for k in L["rose"]]
    ratio, eta_lam = np.array(L["length_ratio"]), np.array(L["eta_lam_rose"])
    assert rose == [1, 3, 5, 6]
    np.testing.assert_allclose(eta_lam, 1e-3 * np.array(L["along_fast.sharpness"])[rose])
    np.testing.assert_allclose(ratio, 1 / np.array(L["lowest_at"])[rose])
    assert np.all(np.array(L["longest_possible"]) < eta_lam)
    share = ratio / eta_lam
    assert 0.45 < share.min() and share.max() < 0.75, share
    assert list(np.argsort(ratio)) == list(np.argsort(eta_lam)) and rose[int(np.argmax(ratio))] == 6
    step_share = np.array(L["step_share"])
    assert np.all(step_share[[1, 3, 6]] > 0.9) and step_share[5] < 0.1
    md = markdown(L)
    assert "between about a third and four fifths of it once the grid's spacing is allowed for (printed above)" in md
    assert "almost wholly at steps 1, 3 and 6, hardly at step 5" in md
    assert "It does not say why those steps were so long" not in md
    assert "between about a third and four fifths of $\\eta\\lambda_{\\max}$ times as long" in md   # the summary
    assert "half and three quarters" not in md


def test_round_11_measured_words_in_place_of_loose_ones(L):
    """The median ηλ_max at 1e-4 is named (1.66); the last step's residuals are what was measured (a few times
    the targets' size before it, more than ten thousand times after); the scale argument is an order-of-magnitude
    check; (1 − ηλ)² > 1 needs λ > 0; 'the model' is always the quadratic model; the target's offset, not the
    inputs, made most of the sharpness at initialisation."""
    md = markdown(L)
    median = 1e-4 * np.median(L["at_edge"])
    assert f"{median:.2f}" == "1.66" and "with its median at 1.66, below 2" in md and "well below 2" not in md
    rms, target = np.array(L["rms_residual"]), L["target_rms"]
    assert 1 < rms[-2] / target < 5 and rms[-1] / target > 1e4
    assert "grew from a few times the targets' size to more than ten thousand times it" in md
    assert "once the outputs dwarfed the targets, $\\lambda_{\\max}$ jumped" not in md
    scale_over_measured = L["final_scale"] / np.array(L["lam_step"])[-1]
    assert 0.1 < scale_over_measured < 10 and abs(scale_over_measured - 1) > 0.1
    assert md.count("an order-of-magnitude check, not a match") == 2 and "(an order-of-magnitude check, not a match)" in md
    assert "(so $\\lambda_i > 0$, and along $v_i$ the quadratic model has a minimum)" in md
    assert not re.search(r"(?<!quadratic )(?<!Taylor )\b[Tt]he model\b", md)
    assert L["lam"] / L["lam_c"] > 3 and "We test removing the targets' mean" in md


# ---------------------------------------------------------------- round 11 review (r11_04)
def test_r11_the_quadratic_model_iterated_from_the_initial_weights_falls_without_bound_at_both_rates(L):
    """A3, 'What the quadratic model predicts, part by part': iterated with full-batch steps, the quadratic model at
    the initial weights falls at every step, below 0 within a few steps, in the end by a factor per step close to
    (1 − ηλ_min)², at 1e-3 and at 1e-4; so 2/λ_max sorting the runs is an empirical result, not the model's."""
    losses, rates = np.array(L["model_loss"]), L["model_rates"]
    assert list(rates) == [1e-3, 1e-4] and losses.shape == (2, 41)
    assert losses[0, 0] == pytest.approx(L["fast.initial_loss"], rel=1e-4) == losses[1, 0]
    for row, lr in enumerate(rates):   # one step of the iterated model is the one-step prediction of the check
        assert losses[row, 1] - losses[row, 0] == pytest.approx(L["check.predicted"][at(L, lr)], rel=1e-3)
    assert np.all(np.diff(losses, axis=1) < 0)                                  # "rises at 0 of 40 steps"
    assert "it rises at 0 of 40 steps" in L.text()
    for row, lr in enumerate(rates):
        assert 0 < int(np.argmax(losses[row] < 0)) <= 5 and np.all(losses[row, 5:] < 0)   # "within a few steps"
        last = losses[row, -1] / losses[row, -2]
        bottom, top = (1 - lr * L["lam_min"]) ** 2, (1 - lr * L["lam"]) ** 2
        assert last == pytest.approx(bottom, rel=0.1) and abs(last - bottom) < abs(last - top)
    assert losses[0, -1] < -1e60 and losses[1, -1] < -1e15                         # "without bound"
    md = markdown(L)
    assert "does not predict a blow-up of the loss, at both rates" in md and "opposite of a blow-up" not in md
    assert "is an empirical result of this lesson, not a consequence of the quadratic model" in md
    assert "- Iterated from the initial weights, the quadratic model predicts a loss falling without bound at both rates" in md
    assert "What the quadratic model does not decide is whether that growth wins" not in md
    assert md.index("**Roadmap.**") < md.index("## The experiment")
    # the summary's "three of the four replayed steps that raised the loss lay almost wholly along" v, ηλ_max > 2
    assert list(L["mostly_along"]) == [1, 3, 6] and list(L["rose"]) == [1, 3, 5, 6]
    assert np.all(1e-3 * np.array(L["along_fast.sharpness"])[[1, 3, 6]] > 2)
    assert "three of the four replayed rising steps (steps 0–6) lay almost wholly (share 0.99) along" in md   # r21 A1
    assert "Of the four replayed rising steps of the 1e-3 run (steps 0–6), three lay almost wholly along" in md


def test_r11_the_parabola_gives_the_steps_length_not_where_it_lands(L):
    """A1, 'How long were the rising steps?': over the steps mostly along v the length ratio is about half to three
    quarters of ηλ_max (step 5 inside that range but not along v); the parabola's landing factor (1/t* − 1)² is off
    from the measured one by more than ×5 at every rising step, in both directions."""
    rose = np.array(L["rose"], dtype=int)
    along = [np.array(L["along_step"][int(k)]) for k in rose]
    measured = np.array([(c[-1] - c.min()) / (c[0] - c.min()) for c in along])
    np.testing.assert_allclose(L["landed"], measured)
    parabola = (1 / np.array(L["lowest_at"])[rose] - 1) ** 2
    np.testing.assert_allclose(L["on_parabola"], parabola)
    off = parabola / measured
    assert np.all(np.maximum(off, 1 / off) > 5) and np.any(off > 1) and np.any(off < 1), off
    share = np.array(L["length_over_eta_lam"])
    mostly = np.array(L["step_share"])[rose] > 0.9
    assert list(rose[mostly]) == [1, 3, 6] and list(rose[~mostly]) == [5]
    assert 0.45 < share[mostly].min() and share[mostly].max() < 0.75
    assert share[mostly].min() < share[~mostly][0] < share[mostly].max()       # "happens to fall inside the same range"
    assert "steps mostly along v (1, 3, 6)" in L.text()
    md = markdown(L)
    assert "off from the measured one by more than a factor of five at every rising step, too large at some and too small at others" in md
    assert "which it misses by more than a factor of five at every rising step" in md                   # the summary
    assert "the order a parabola as sharp as $\\lambda_{\\max}$ gives" not in md


def test_r11_only_the_targets_centring_was_measured(L):
    """A2: the lesson centres the targets only; it does not compare the targets with the inputs."""
    md = markdown(L)
    assert "In this net the target weighs more" not in md and "Both come mostly from the targets' offset" not in md
    assert "we never standardise the inputs, so this lesson does not say which of the two weighs more here" in md
    assert "so it does not show that the targets weigh more than the inputs" in md
    assert "The inputs' share was not measured" in md
    assert L["lam"] / L["lam_c"] > 3 and L["lam_min"] / L["lam_min_c"] > 3


def test_r11_below_the_threshold_the_loss_still_rose_above_its_start(L):
    """A4, 'Try it' and 'part by part': the grid's largest finite rate lies below 2/λ_max at initialisation, and its
    full-data loss rose above its start; the threshold sorted only finite against inf."""
    assert L["largest_finite"] == L["best.lr"] < L["info.critical_lr"] < L["smallest_blown"]
    full = np.array(L["best.full_losses"])
    assert full[L["spike"]] > full[0]
    md = markdown(L)
    assert "What the threshold sorted on this grid is the verdict, finite or `inf`, not whether the loss ever rose above its start" in md
    assert "at the largest rate of the grid that stayed finite, also below $2/\\lambda_{\\max}$, the real loss did rise above its start" in md


def test_r11_the_sharpness_at_1e_4_dips_before_it_jumps(L):
    """A5: at 1e-4, λ_max falls over the first steps, then jumps to its largest value."""
    lam_slow = np.array(L["along_slow.sharpness"])
    dip, peak = L["dip"], L["closest_step"]
    assert 0 < dip < peak <= 6 and lam_slow[dip] < 0.8 * lam_slow[0] and lam_slow[peak] > 3 * lam_slow[0]
    assert np.all(np.diff(lam_slow[:dip + 1]) < 0)
    md = markdown(L)
    assert "the sharpness first dips over the first steps and then jumps" in md and "the sharpness first dipped" in md
    assert "the sharpness rises too" not in md


def test_r11_the_last_two_steps_layer_by_layer(L):
    """A6: over the last two measured steps λ_max and the loss grew by orders of magnitude; the layer norms by less
    than ×2 at the first of them and by about an order of magnitude at the second."""
    norms, last = np.array(L["fast.layer_norms"]), L["last"]
    first, second = norms[last - 1] / norms[last - 2], norms[last] / norms[last - 1]
    assert np.all(first < 2) and np.all((5 < second) & (second < 50)), (first, second)
    assert np.prod(np.array(L["lam_step"])[-2:]) > 100
    assert "by less than a factor of two at the first of those steps and by about an order of magnitude at the second" in markdown(L)


def test_r11_trained_is_a_low_bar(L):
    """A7: the benchmark's 'trained' (finite, loss at least halved) is cleared by predicting the mean."""
    assert L["baseline"] < L["fast.initial_loss"] / 2 and L["slow.final_loss"] > 3 * L["baseline"]
    assert "That definition of “trained” is a low bar" in markdown(L)


def test_r11_the_whole_run_scale_comparison_adds_nothing(L):
    """A8: over the whole run the last step makes most of the growth of the norms' product and of λ_max."""
    assert math.log(np.array(L["product_step"])[-1]) > 0.5 * math.log(L["norm_rise"])
    assert math.log(np.array(L["lam_step"])[-1]) > 0.5 * math.log(L["lam_rise"])
    md = markdown(L)
    assert "grew by factors within two of what the scale argument gives" not in md
    losses = np.array(L["along_fast.full_losses"])
    assert math.log(losses[-1] / losses[-2]) > 0.5 * math.log(L["loss_rise"])      # and of the loss (r15 B10)
    assert "the last step makes most of the growth" in md


def test_r11_ill_conditioning_measured(L):
    """B2 (as corrected in r12 A1): the spread is about twice λ_max; every step size below the actual turning point
    lowered the loss; ηλ_max below 2 at 1e-4 and above at 1e-3."""
    lam, lam_min = L["lam"], L["lam_min"]
    assert lam / lam_min < 0
    assert "spread λ_max − λ_min" not in L.text() and "spread" not in L.ns      # r17 D14: the unused print is gone
    assert "lowered" not in L.ns and "one-step check" not in L.text()          # r20 A3: the circular check is cut
    turn = L["check.actual_turns_positive_at"]
    assert turn > 1e-3 and f"turns the loss up only at η ≈ {turn:.2g}, above 1e-3: True" in L.text()
    assert "so not a condition number" not in L.text()
    assert 1e-4 * lam < 2 < 1e-3 * lam
    md = markdown(L)
    assert "**Ill-conditioning?**" in md and "not defined" not in md


def test_r11_terms_caveats_and_citations(L):
    """B3, B4, B6, D: the SGD caveat in the visible text; eigenvector, lazy phase, NTK, Weyl in plain words; 'above
    the minimum' only where λ > 0; unbacked asides dropped; Pearlmutter's order named."""
    md = markdown(L)
    assert "exercise 1's solution says why" not in md
    assert "a minibatch gradient differs from the full-data gradient by noise that changes from step to step" in md
    assert md.index("$Hv = \\lambda v$") < md.index("Lanczos")
    assert "the weights move so little that the output's gradients barely change" in md
    assert "how much a small step that changes the output on one row changes it on another" in md
    assert "Weyl's inequality, a fact about symmetric matrices" in md
    assert "(so $\\lambda_i > 0$, and along $v_i$ the quadratic model has a minimum)" in md
    for phrase in ("the threshold of nothing", "stuck at a finite loss", "the same order as the thread's"):
        assert phrase not in md, phrase
    assert "*reverse-over-reverse*" in md and "differentiates forward over reverse" in md
    assert "At 1e-4, $\\eta\\lambda_{\\max} < 2$ (printed above)" not in md


# ---------------------------------------------------------------- twelfth review (r12_04)
def test_r12_a1_condition_number_needs_the_smallest_eigenvalue_magnitude(L):
    """A1: the condition number max|λ_i/λ_j| is defined for an indefinite H and set by the smallest |λ_i|, which the
    lesson did not measure; what was measured (λ_max, λ_min, the spread) is printed; the thread's first answer offers
    ill-conditioning as one possibility, it does not diagnose it."""
    lam, lam_min = L["lam"], L["lam_min"]
    assert f"measured: λ_max = {lam:,.0f}, λ_min = {lam_min:,.0f} (the most negative)" in L.text()
    assert "the smallest |λ_i|, which sets the condition number max|λ_i / λ_j|, was not measured" in L.text()
    md = markdown(L)
    assert "\\max_{i,j}|\\lambda_i/\\lambda_j|$ (the book's §4.2)" in md and "set by the smallest $|\\lambda_i|$" in md
    assert "offers *ill-conditioning* as one possible cause, besides a mistake by the asker" in md
    assert "diagnoses the blow-up" not in md
    assert "not a condition number" not in md and "condition number is not defined" not in md
    assert "needs the smallest $|\\lambda_i|$, which this lesson did not measure" in md and "which was not measured" in md   # section + summary
    assert "not to a wide ratio of eigenvalues" not in md and "not a ratio of eigenvalues" not in md


def test_r12_a2_the_quadratic_model_does_not_explain_one_step(L):
    """A2: no 'explains one step'; at 1e-3 the one-step prediction was far off (off by more than a third, a negative
    predicted loss); one wording for where it stopped holding: within the first step."""
    md = markdown(L)
    assert "explains is one step" not in md and "explains one step" not in md
    i = at(L, 1e-3)
    assert printed(L, r"at η = 1e-3 it is off by {n}%")[0] > 30                          # "far off"
    assert L["fast.initial_loss"] + L["check.predicted"][i] < 0                          # "predicted a negative loss"
    assert "after one step (above)" not in md and "leaves the region where it holds" not in md
    assert "stopped being valid within the first step" in md and md.count("stopped being valid within that first step") == 0   # r20 D16
    assert "within a few steps at the latest (at 1e-3 within the first, “One step, to second order”)" in md
    assert "Its one-step prediction at 1e-3 was off by more than a third" in md and "far off" not in md   # r16 A4
    assert printed(L, r"at η = 1e-3 it is off by {n}%")[0] > 100 / 3
    # the per-step part ("the order of the step's length, not where the step landed") rests on the values asserted in
    # test_r11_the_parabola_gives_the_steps_length_not_where_it_lands; here only that the summary says no more
    assert "gave the order of the step's length, not where the step landed" in md and "the sign and the order" not in md


def test_r12_a3_the_quadratic_models_loss_falls_but_its_weights_run_off(L):
    """A3: 'its loss falls without bound', not 'no blow-up'; the displacement along λ_min's eigenvector is multiplied
    by |1 − ηλ_min| > 1 per step at both rates, printed."""
    md = markdown(L)
    assert "no blow-up" not in md and "and then falls without bound, in the end by a factor per step" in md
    for lr in (1e-3, 1e-4):
        factor = abs(1 - lr * L["lam_min"])
        assert factor > 1
        assert f"multiplied by |1 − ηλ_min| = {factor:.3g} per step" in L.text()
    assert ("by the formula, the displacement along the most negative curvature's eigenvector is multiplied by "
            "$|1-\\eta\\lambda_{\\min}| > 1$ per step, at both rates (the formula's value is printed above") in md


def test_r12_a4_the_largest_share_at_a_lowering_step_is_printed_and_the_cut_is_after_the_fact(L):
    """A4: the largest share along v at a step that lowered the loss is more than half (printed with its step and
    loss ratio); the 90% line is called what it is."""
    share, ratio = np.array(L["step_share"]), np.array(L["end_ratio"])
    fell = np.flatnonzero(ratio <= 1)
    k = fell[np.argmax(share[fell])]
    assert share[k] > 0.5 and ratio[k] < 1                                              # "more than half ... still fell"
    assert (f"largest share at a step that lowered the loss: {share[k]:.2f} at step {k} (full-data loss × {ratio[k]:.3g}); "
            f"the 90% line was chosen after seeing these {share.size} steps") in L.text()
    md = markdown(L)
    assert "well below that" not in md and "chosen after seeing these steps" in md


def test_r12_a5_a6_a7_b11_d15_wording(L):
    """A5: full-batch eigencomponents evolve on their own (no 'as long as the steps keep a component'); A6: the target's
    offset as a cause is this lesson's measurement, not a cited classic; A7: '20 more seeds in the README's benchmark';
    B11: the thread's formula is the quadratic model for one step along the gradient, and that one step matches the
    check's prediction; D15: 'never reverses direction' within a step."""
    md = markdown(L)
    assert "as long as the steps keep a component along it" not in md and "whenever $g\\cdot v \\neq 0$" in md
    assert "and so is a target far from what a fresh network outputs" not in md
    assert "we never standardise the inputs" in md
    assert "20 more, in the README" not in md
    assert "The thread's formula is the quadratic model evaluated for one step along the gradient" in md
    i = at(L, 1e-3)
    gg, turn = L["check.gg"], L["check.predicted_turns_positive_at"]
    gHg = 2 * gg / turn
    assert -1e-3 * gg + 1e-3**2 / 2 * gHg == pytest.approx(L["check.predicted"][i], rel=1e-3)
    assert "within a step the optimizer cannot reverse direction" in md and "never turns around within a step" in md
    assert np.ptp(np.array(L["step_share"])) > 0.5                      # "from one step to the next the direction changes"


def test_r12_b8_b10_b12_roadmap_terms_and_batch_numbering(L):
    """B8: the roadmap uses no term before its definition; B10: loss part and loss above the minimum along v_i are named
    apart, and exercise 2 means the latter; B12: Keras numbers batches from 0, so the stopped batch is one less than the
    count of per-batch losses printed."""
    from helpers.exercises import lesson04
    md = markdown(L)
    roadmap = md[md.index("**Roadmap.**"):]
    roadmap = re.sub(r"“[^”]*”", "", roadmap[:roadmap.index("\n")])          # section titles are names, not terms
    for term in ("\\lambda_{\\max}", "curvature (", "quadratic model", "sharpest direction", "loss part"):
        assert term not in roadmap, term
    assert "Several sections of theory then explain what you saw" in roadmap
    assert "**loss above the minimum along $v_i$**" in md and "Exercise 2 asks about the loss above the minimum" not in md
    assert "the loss above the minimum along the sharpest direction" in lesson04.q2.prompt
    stopped = printed(L, r"lr = 0\.001: stopped by TerminateOnNaN at batch {n}")[0]
    line = next(t for t in L.text().splitlines() if t.startswith("lr = 1e-3, ") and "per-batch losses" in t)
    n_losses = printed(L, r"lr = 1e-3, {n} per-batch losses \(Keras numbers batches from 0\)")[0]
    assert n_losses == stopped + 1 == len(line.split(": ", 1)[1].split(", "))
    assert "one less than the count of per-batch losses printed above" in md


# ---------------------------------------------------------------- round 13 review (r13_04)
def test_r13_a1_the_run_shows_the_total_loss_blew_up_and_step_by_step_shows_the_direction(L):
    """A1, 'Run both rates': the run shows only that the total loss blew up at 1e-3 and not at 1e-4; the evidence
    along the sharpest direction comes from the step shares in 'Step by step'."""
    md = markdown(L)
    assert "this run shows that at 1e-3 it did" not in md
    assert not np.all(np.isfinite(L["fast.losses"])) and np.all(np.isfinite(L["slow.losses"]))
    assert "lay along the sharpest direction is measured in “Step by step”, with the sharpest direction *at that step*" in md
    assert "share of the step along the sharpest direction" in L.text()


def test_r13_a2_the_measured_first_step_shows_the_blow_up_took_repeated_steps(L):
    """A2, 'What we learned': the first full-batch step at 1e-3 lowered the loss by 8,815 and the real minibatch
    step 0 multiplied the full-data loss by 0.173 (both printed)."""
    md = markdown(L)
    actual = L["check.actual"][at(L, 1e-3)]
    assert actual < 0 and f"lowered the loss by {-actual:,.0f}" in md
    assert f"the actual first full-batch step: {actual:+,.0f}" in L.text()
    first = np.array(L["rises"])[0]
    assert first < 1 and f"multiplied the full-data loss by {first:.3g}" in md
    assert f"step 0: × {first:.3g}" in L.text()
    assert "Its turning point $2g^\\top g/g^\\top Hg$ lay above 1e-3: the blow-up took repeated steps." not in md


def test_r13_a4_weyl_bound_on_the_residual_part_is_stated_as_a_bound(L):
    """A4, 'Where the curvature comes from': λ_max(residual) ≥ λ_max − λ_GN = 4,342, printed and quoted."""
    md = markdown(L)
    bound = L["lam"] - L["lam_gn"]
    assert f"at least $\\lambda_{{\\max}}$ minus it, {bound:,.0f} (printed above)" in md
    assert f"= {bound:,.0f} and one ≤ λ_min" in L.text()
    assert "most of the sharpness, and all of the negative curvature" not in md and "supplies most of the sharpness" not in md


def test_r13_b5_the_loss_floor_is_why_the_heuristic_reads_only_the_top_of_the_spectrum(L):
    """B5, 'A heuristic threshold': a mean of squares is bounded below by 0; at 1e-3 the quadratic model predicted a
    negative loss after the first step where the actual loss stayed positive (both printed)."""
    md = markdown(L)
    i = at(L, 1e-3)
    loss = L["check.loss"]
    predicted, actual = loss + L["check.predicted"][i], loss + L["check.actual"][i]
    assert predicted < 0 < actual
    quoted = f"predicted a loss of {predicted:,.0f}".replace("-", "−") + f" where the actual loss was {actual:,.0f}"
    assert quoted in md
    assert f"predicted {predicted:,.0f}, actual {actual:,.0f}" in L.text()
    # r19 A1: the negative prediction comes from the first-order gain as much as from curvature: no "saturates" claim
    assert ("A mean of squared errors is bounded below by 0, so no drop the quadratic model predicts, whatever drives it (the gain "
            "$-\\eta\\, g^\\top g$ or negative curvature), can take the real loss below 0") in md
    assert "descent along negative curvature saturates" not in md
    assert "That is the reason the heuristic keeps only" not in md and "Nothing bounds a rise in the same way." not in md
    # r22 A3: the floor explains why the bottom of the spectrum fails; it is no reason to trust predicted rises
    assert "So the bottom of the spectrum cannot say how far the real loss falls." in " ".join(md.split())
    assert ("The bound is no reason to trust the quadratic model's predicted rises either; whether the top of the spectrum "
            "sorts the runs is what running tests.") in " ".join(md.split())


def test_r13_b8_the_negative_curvature_factor_is_not_a_blow_up_factor(L):
    """B8: next to '(1 − ηλ_min)² = 35.1 per step; its part is negative' the lesson says it is no blow-up factor."""
    assert L["lam_min"] < 0
    line = next(t for t in L.text().splitlines() if "most negative curvature: (1 − ηλ_min)²" in t)
    assert "its part is negative" in line and "this factor is not a blow-up factor of the loss" in line


def test_r13_b9_t_star_is_defined_where_first_used(L):
    """B9: t* is the fraction of the step at which the line's lowest point lies, defined before it is printed."""
    md = markdown(L)
    definition = "Write $t^*$ for the fraction of the step at which the line's lowest point lies"
    assert definition in md
    rose = np.array(L["rose"], dtype=int)
    np.testing.assert_allclose(L["length_ratio"], 1 / np.array(L["lowest_at"])[rose])
    text = L.text()
    assert text.index(definition) < text.index("a parabola with this t* gives")


def test_r13_b11_the_gauss_newton_growth_is_printed_without_a_norm_bound(L):
    """B11 / r21 A3: at the 1e-4 run's sharpest step the Gauss-Newton part's growth is printed; the per-layer 'at most'
    bound from the layer norms is cut (layer norms do not determine J)."""
    md = markdown(L)
    assert L["gn_rise"] == pytest.approx(L["lam_gn_peak"] / L["lam_gn"])
    assert f"Gauss-Newton part's largest eigenvalue × {L['gn_rise']:.2g} since step 0\n" in L.text()
    assert "norms_scale" not in L.ns and "at most about" not in md and "gives at most ×" not in L.text()
    assert "the outputs became more sensitive to the weights.\n" in md + "\n"


def test_r13_d15_d16_live_note_and_the_plain_sentence_on_what_is_normalised(L):
    """D15: the static widget note points to the README's Binder link; D16: one plain sentence on what is tested."""
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    from publish import LIVE_NOTE
    assert "Binder button" not in LIVE_NOTE and "the Binder link for this lesson in the README" in LIVE_NOTE
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert "04_a_real_network_blows_up" in readme and "mybinder.org" in readme
    md = markdown(L)
    assert "this lesson's own measurement" not in md
    assert "We test removing the targets' mean" in md and "we never standardise the inputs" in md


# ---------------------------------------------------------------- fourteenth round (r13_04, left open)
def _headings(L):
    return [line.lstrip("#").strip() for cell in L.nb.cells if cell.cell_type == "markdown"
            for line in cell.source.splitlines() if line.startswith("## ") or line.startswith("### ")]


def test_r14_b7_the_blow_up_comes_first_and_the_roadmap_lists_the_sections_in_order(L):
    """B7: 'Run both rates' (the runs and their figure) comes right after 'The experiment', before the Hessian,
    Lanczos and the quadratic model; the Overview's roadmap names the sections in the lesson's order; the sharpness
    section prints where each run's rate lies against 2/λ_max; no forward reference to the runs is left."""
    heads = _headings(L)
    assert heads[:4] == ["Overview", "The experiment", "Run both rates", "A threshold from the initial weights: the sharpness"]
    md = markdown(L)
    for theory in ("**Hessian-vector product**", "**Lanczos iteration**", "**quadratic model**", "Weyl's inequality"):
        assert md.index("## Run both rates") < md.index(theory), theory
    code = [c.source for c in L.nb.cells if c.cell_type == "code"]
    run_fig = next(i for i, c in enumerate(code) if "draw_blowup_and_training" in c)
    assert run_fig < next(i for i, c in enumerate(code) if "sharpness(model, x, y, return_info=True)" in c)
    roadmap = md[md.index("**Roadmap.**"):]
    roadmap = roadmap[:roadmap.index("\n")]
    named = [name.replace("‘", "“").replace("’", "”") for name in re.findall(r"“([^”]*)”", roadmap)]
    order = [next(i for i, h in enumerate(heads) if h.startswith(name)) for name in named]
    assert len(named) >= 12 and order == sorted(order), list(zip(named, order))
    assert "below will show" not in md and "before training, we **compute" not in md
    fast_ratio, slow_ratio = 1e-3 / L["info.critical_lr"], 1e-4 / L["info.critical_lr"]
    assert fast_ratio > 1 > slow_ratio and L["fast.diverged_at"] == 8 and np.all(np.isfinite(L["slow.losses"]))
    assert (f"the runs above: lr = 0.001 = {fast_ratio:.2g} × 2/λ_max, blew up; "
            f"lr = 0.0001 = {slow_ratio:.2g} × 2/λ_max, stayed finite") in L.text()


def _answer_in_short(L):
    md = markdown(L)
    start = md.index("**The answer, in short.**")
    return md[start:md.index("\n\n", md.index("\n- ", start))]


def test_r14_b6_the_answer_in_short_is_a_few_plain_bullets_on_printed_values(L):
    """B6: 3-5 bullets, no sentence over about 35 words, each number equal to the lesson's value and printed by the
    cell right below: 2/λ_max; the per-step factors along v (0.234 at 1e-4, 17.4 at 1e-3) and what replaces the
    quadratic model (the rising steps' shares along v and ηλ_max); the self-feeding growth as the answer to Q1;
    the overshoot as the answer to Q2."""
    answer = _answer_in_short(L)
    bullets = [line for line in answer.splitlines() if line.startswith("- ")]
    assert 3 <= len(bullets) <= 5, bullets
    for bullet in bullets:
        for sentence in re.split(r"(?<=[.?:;])\s+(?=[A-Z“$])", re.sub(r"\*\*", "", bullet[2:])):
            assert len(sentence.split()) <= 36, sentence
    lam, crit = L["lam"], L["info.critical_lr"]
    assert f"was {crit:.2g}: between 1e-4 and 1e-3" in answer and 1e-4 < crit < 1e-3
    assert L["largest_finite"] < crit < L["smallest_blown"] and len(L["grid.lrs"]) == 13
    slow_f, fast_f = (1 - 1e-4 * lam) ** 2, (1 - 1e-3 * lam) ** 2
    assert slow_f < 1 < fast_f
    assert f"× {fast_f:.3g}" not in answer and "quadratic model's factor" not in answer   # r21 B8: no model factor
    i = at(L, 1e-3)
    off = abs(L["check.predicted"][i] - L["check.actual"][i]) / abs(L["check.actual"][i])   # r16 A4: as printed
    assert f"**What replaces the quadratic model.** At 1e-3 its one-step prediction was off by {off:.0%} and predicted a negative loss" in answer
    assert L["check.loss"] + L["check.predicted"][at(L, 1e-3)] < 0 and "fails within" not in answer
    rose, share = np.array(L["rose"], dtype=int), np.array(L["step_share"])
    along = rose[share[rose] > 0.9]
    eta_lam = np.array(L["eta_lam_rose"])[share[rose] > 0.9]
    assert len(along) == 3 and len(rose) == 4 and {f"{share[k]:.2f}" for k in along} == {"0.99"}
    assert f"(share 0.99) along the sharpest direction of that moment, with $\\eta\\lambda_{{\\max}}$ from " \
           f"{eta_lam.min():.2g} to {eta_lam.max():.3g}" in answer
    sharp = 1e-3 * np.array(L["along_fast.sharpness"])
    big = f"{sharp[-1]:.2g}".replace("e+0", "e")
    assert f"went from {sharp[0]:.3g} to {big} in seven steps, almost all of it over steps 5 → 7" in answer   # r17 B6
    assert int(L["last"]) == 7 and sharp[-1] / sharp[-3] >= sharp[-1] / sharp[0]    # the last two steps: all of it
    below = [int(k) for k in np.flatnonzero(sharp < sharp[0])]
    assert below == [2, 4, 5] and "at steps 2, 4 and 5 it lay below its start" in answer
    assert f"At 1e-4 it stayed at or below {np.max(L['eta_lam']):.3g}" in answer
    assert "(the thread's first question). The tenfold change moved the rate across" in answer      # r15 A1
    assert "a possible way for the growth to feed itself, and the skyrocketing weights" in markdown(L)
    assert f"up to {np.max(L['length_ratio']):.2g} times as long, and landed higher" in answer
    assert "(the second question). Every replayed step went downhill as it began" in answer
    cells = L.nb.cells
    here = next(i for i, c in enumerate(cells) if "**The answer, in short.**" in c.source)
    below = cells[here + 1]
    assert below.cell_type == "code"
    shown = "".join(o.get("text", "") for o in below.outputs)
    assert f"{fast_f:.3g} at 0.001" not in shown and "1e-3, the 4 replayed rising steps (steps 0–6): step 1:" in shown
    for value in (f"{crit:.2g}", "share along v 0.99",
                  f"off by {off:.0%}", "below its step-0 value at steps 2, 4, 5", "over steps 5 → 7",
                  f"{eta_lam.max():.3g}", f"{sharp[-1]:.2g}", f"at most {np.max(L['eta_lam']):.3g}",
                  f"to {np.max(L['length_ratio']):.2g} ×"):
        assert value in shown, value


def test_r16_a3_a5_ill_conditioning_symptom_absent_and_kappa_not_claimed(L):
    """r16 A5: no 'very likely huge' κ; the book's symptom (small steps raising the loss) is absent at the first step:
    gᵀHg/gᵀg far below λ_max, the formula turns positive above 1e-3, and so does the actual first step. A3: 'what separated these two runs', a heuristic, with the 1e-4 run above 2 at a few later steps."""
    md, text = markdown(L), L.text()
    assert "very likely" not in md and "what sorted the runs" not in md
    assert L["n_weights"] == 4545 and L["lam_min"] < 0 < L["lam"]
    assert (f"λ_min = {L['lam_min']:,.0f} (the most negative), the two ends of 4,545 eigenvalues") in text
    curv, turn = L["grad_curvature"], L["check.predicted_turns_positive_at"]
    assert curv < L["lam"] / 5 and turn > 1e-3
    assert (f"average curvature gᵀHg / gᵀg = {curv:,.0f} ({L['lam'] / curv:.2g} × below λ_max); the one-step formula "
            f"turns positive at η = {turn:.2g}, above 1e-3: True") in text
    assert L["check.actual_turns_positive_at"] > 1e-3                  # r20 A3: "and so did the actual first step"
    assert "The book's symptom, small steps that raise the loss, is absent at the first step" in md
    assert "so it says nothing about $\\kappa$" in md
    assert "one number set against the rate" not in md                    # r20 B8: toned down
    assert 1e-4 * L["lam"] < 2 < 1e-3 * L["lam"]
    assert np.sum(np.array(L["eta_lam"]) > 2) >= 1                 # "later rose above 2 at a few steps"
    assert "the book's symptom of ill-conditioning was absent at the first step" in md


def test_r16_b12_b13_b15_b9_d19_d20_definitions_and_wording(L):
    """r16: the roadmap points to where the quadratic model is defined; float64 is explained; the initializer is
    printed (Glorot uniform, zero biases); the per-direction offset is derived; a step is a straight line;
    'Try it' names the inf boundary; the intro leaves the caveats to 'A heuristic threshold'."""
    md, text = markdown(L), L.text()
    assert "the sharpness” defines the second-order approximation of the loss, measures" in md
    assert "(defined there)" not in md
    assert md.index("the **quadratic model**") > md.index("## A threshold from the initial weights")
    assert "float64 numpy (64-bit floats: more digits than float32" in md
    assert "initialisation (Keras's default): GlorotUniform weights, Zeros biases" in text
    assert "ours start from Keras's default (printed below)" in md
    assert "each step multiplies the offset $a + g_i/\\lambda_i$ from that point" in md
    assert "A step is a straight line, so within a step the optimizer cannot reverse direction" in md
    assert "watch for the first rate whose loss runs to `inf`" in md and "starts to climb" not in md
    intro = md[:md.index("## The experiment")]
    assert "A heuristic threshold" not in intro and "found by running" not in intro and "**A heuristic threshold.**" in md   # r21 D12
    assert md.index("**A heuristic threshold.**") > md.index("### What the quadratic model predicts, part by part")
    assert "rises gradually over long full-batch training **progressive sharpening**" in md


def test_r16_a1_the_rising_steps_ratio_range_allows_for_the_grid(L):
    """r16 A1: the ratio's range uses both neighbouring grid points; steps along v (1, 3, 6): from about a third to
    four fifths of ηλ_max; a parabola gives the length to within a factor of about three."""
    rose = [int(k) for k in L["rose"]]
    frac = np.array(L["frac"])
    eta_lam = np.array(L["eta_lam_rose"])
    lo, hi = np.array(L["shortest_possible"]), np.array(L["longest_possible"])
    ratio = np.array(L["length_ratio"])
    assert np.all(lo <= ratio) and np.all(ratio <= hi)
    at_grid = np.array([int(np.argmin(np.abs(frac - 1 / r))) for r in ratio])   # the lowest grid point of each line
    np.testing.assert_allclose(lo, 1 / frac[at_grid + 1])                     # the neighbouring grid point after it
    low_over, high_over = np.array(L["low_over"]), np.array(L["high_over"])
    along = np.array(L["step_share"])[rose] > 0.9
    a, b = low_over[along].min(), high_over[along].max()
    assert 0.3 < a < 0.4 and 0.75 < b < 0.85, (a, b)          # "about a third", "four fifths"
    assert f"from {a:.2f} to {b:.2f} allowing for the grid" in L.text()
    assert a < low_over[~along][0] and high_over[~along][0] < b   # step 5 "happens to fall inside the same range"
    assert 2.5 < 1 / a < 3.5                                    # "to within a factor of about three"
    assert "to within a factor of about three" in markdown(L)

def test_r14_b12_rescaling_layers_keeps_the_function_only_with_the_first_bias_scaled(L):
    """B12 (Dinh et al.): on the lesson's own net, scaling the first layer's kernel by c and the next layer's kernel
    by 1/c keeps every output only if the first layer's bias is scaled by c too; so rescaled, H changes (its
    Gauss-Newton part's top eigenvalue, measured here)."""
    from helpers.experiment import make_experiment
    from helpers.mlp import gauss_newton_sharpness

    model, x, _ = make_experiment()
    w = model.get_weights()                                  # kernel, bias per layer
    assert not np.any(w[1])                                  # Keras starts the biases at 0: give the first one a value
    w[1] = np.random.default_rng(0).normal(0.0, 1.0, w[1].shape).astype(np.float32)
    c = 3.0
    model.set_weights(w)
    before = np.asarray(model(x))

    def outputs(weights):
        model.set_weights(weights)
        return np.asarray(model(x))

    scaled = [w[0] * c, w[1] * c, w[2] / c, *w[3:]]
    np.testing.assert_allclose(outputs(scaled), before, rtol=1e-4, atol=1e-4)
    unscaled_bias = [w[0] * c, w[1], w[2] / c, *w[3:]]
    assert np.max(np.abs(outputs(unscaled_bias) - before)) > 1e-2
    assert abs(gauss_newton_sharpness(scaled, x) / gauss_newton_sharpness(w, x) - 1) > 0.1
    md = markdown(L)
    assert "if the up-scaled layer's bias is scaled up by $c$ too" in md and "Dinh et al. 2017" in md   # r24 A1
    assert "scaling one layer up and the next down by the same factor leaves the network's function unchanged" not in md


def test_r14_c13_the_grid_figures_right_panel_plots_full_data_losses_only(L):
    """C13: the right panel of 'Try it' draws full-data final losses, full-data spikes and the full-data start
    (10,005), not the minibatch start (10,555)."""
    cell = next(c for c in L.nb.cells if c.cell_type == "code" and "lr_grid_app(" in c.source)
    assert "full_losses=[run.full_losses for run in grid.runs]" in cell.source
    start = L["fast.initial_loss"]
    assert f"{start:,.0f}" == "10,005" and L["fast.losses"][0] > start * 1.03
    md = markdown(L)
    assert "in full-data losses only" in md and "where a run's minibatch loss later rose" not in md


def test_r14_c14_the_layer_norm_figure_shows_the_early_growth_on_a_linear_inset(L):
    """C14: the growth over steps 0-6 (× 1.9 and × 3.1 for the first and last layers) is drawn on a linear inset
    beside the log axis, its labels computed from the run."""
    cell = next(c for c in L.nb.cells if c.cell_type == "code" and "draw_layer_norms(" in c.source)
    assert "zoom_until=fast.diverged_at - 2" in cell.source and L["fast.diverged_at"] - 2 == int(L["last"]) - 1 == 6
    early = np.array(L["early"])
    assert [f"{r:.2g}" for r in early] == ["1.9", "1.2", "3.1"]
    assert "small on the figure's log scale" not in markdown(L)


def test_r14_d17_one_hedge_per_point_and_the_scope_statements_kept(L):
    """D17: the recurring 'this lesson does not measure ...' and 'a correlation' hedges cut to the one that matters per
    section (17 in r13, at most 8 now); the scope statements that claims need stay."""
    md = markdown(L)
    hedges = re.findall(r"(?:does not|did not|do not) measure|not measured|a correlation|not a proof", md)
    assert len(hedges) <= 8, hedges
    for cut in ("does not measure what plain ReLU would do", "this lesson does not separate it further",
                "This lesson does not measure the residual part at that step", "which directions raised the loss there",
                "came to point along $v$ this lesson does not measure", "the feedback between layers step by step",
                "(a correlation in one run)", "nor what the minibatch noise adds"):
        assert cut not in md, cut
    for scope in ("a correlation over seven steps of one run, not a proof", "not run in this lesson",
                  "The inputs' share was not measured", "does not show that it is in the regime",
                  "plausibly because each step follows one minibatch's gradient; not measured here",
                  "this lesson does not measure the sharpness along that run",
                  "Whether the curvature drove the weights or the weights the curvature, these measurements do not say"):
        assert scope in md, scope


# ---------------------------------------------------------------- round 15 review (r15_04)
def sentences(md):
    """The Markdown split into sentences (at '. ' followed by a capital, '$', '`' or '*')."""
    return re.split(r"(?<=[.!?])\s+(?=[A-Z$`*“(0-9])", md)


def test_r15_a1_the_summary_answers_the_first_question_with_the_threshold_and_scopes_the_feedback(L):
    """A1: the summary's answer to Q1 is the body's (the tenfold change moved the rate across 2/λ_max: 2.6× and 0.26×,
    printed); 'the growth feeds itself' is scoped to what was measured: the product of the layer norms and λ_max grew
    together at every step only over the last two steps (not at 1→2, 3→4, 4→5)."""
    md, text = markdown(L), L.text()
    answer = md[md.index("**The answer, in short.**"):md.index("**In more detail.**")]
    crit = L["info.critical_lr"]
    fast_x, slow_x = f"{1e-3 / crit:.2g}", f"{1e-4 / crit:.2g}"
    assert (fast_x, slow_x) == ("2.6", "0.26")
    # r22 A5: the threshold is computed; what running found is that it sorted the outcomes
    assert (f"The tenfold change moved the rate across $2/\\lambda_{{\\max}}$, computed before training: 1e-3 is {fast_x} × "
            f"$2/\\lambda_{{\\max}}$, 1e-4 is {slow_x} ×. That this crossing decided the outcome was found by running, "
            "not derived.") in answer
    assert f"lr = 1e-3 is {fast_x} × 2/λ_max, lr = 1e-4 is {slow_x} × 2/λ_max" in text
    assert "feeds itself" not in md and "Past the threshold the growth" not in md
    norms, lam = np.array(L["fast.layer_norms"]), np.array(L["along_fast.sharpness"])
    last = int(L["last"])
    product = np.prod(norms, axis=1)
    both = (product[1:last + 1] / product[:last] > 1) & (lam[1:] / lam[:-1] > 1)
    np.testing.assert_array_equal(np.array(L["both_grew"], dtype=bool), both)
    assert not both[1] and not both[3] and not both[4] and both[-2:].all()      # not at 1→2, 3→4, 4→5; the last two
    assert int(L["together_last"]) == 2 == int(np.argmin(both[::-1]))
    assert "not at: " + ", ".join(f"{k} → {k + 1}" for k in np.flatnonzero(~both)) in text
    assert f"both grew at every step only over the last 2 steps (from step {last - 2} to step {last})" in text
    assert "grew together at every step only over steps 5 → 6 and 6 → 7" in answer                 # r17 B6
    assert "growing together at every step only over steps 5 → 6 and 6 → 7; at earlier steps they grew together at " \
           "some and not at others (printed above)" in md
    assert "which drove which, these measurements do not say" in answer


def test_r15_a2_the_shares_are_along_the_sharpest_direction_at_each_step(L):
    """A2: the 0.99 shares were measured along the eigenvector recomputed at each step's weights; λ_max had moved
    several-fold by step 1 (5,167 → 34,504), so the text says 'the sharpest direction at that step'."""
    md = markdown(L)
    lam = np.array(L["along_fast.sharpness"])
    assert lam[1] / lam[0] > 3                                                   # "moved several-fold by step 1"
    assert "three lay almost wholly along the sharpest direction at that step (“Step by step”): the eigenvector " \
           "recomputed at that step's own weights, not the initial model's" in md
    assert "since $\\lambda_{\\max}$ itself had moved several-fold by step 1 (the table there)" in md
    assert "lay almost wholly along that direction (“Step by step”)" not in md
    assert "the direction the quadratic model singles out" not in md
    assert "most of the step lay along the sharpest direction at that step" in md


def test_r15_a3_the_spike_below_the_threshold_has_two_candidate_causes(L):
    """A3: 'Try it', the 3.2e-4 run's rise: the moving sharpness (not measured on that run) and minibatch noise (the
    1e-4 run's loss rose at 27 of 64 steps, 25 with ηλ_max < 2, printed nearby); the rule is full-batch, quadratic."""
    md, text = markdown(L), L.text()
    slow_rose, eta_lam = np.array(L["slow_rose"], dtype=int), np.array(L["eta_lam"])
    n_steps = len(L["slow_losses"]) - 1
    below = int(np.sum(eta_lam[slow_rose] < 2))
    assert (slow_rose.size, n_steps, below) == (27, 64, 25) and L["rose_below_two"] == below
    assert (f"the 1e-4 run's full-data loss rose at {slow_rose.size} of {n_steps} steps, {below} of them with "
            f"ηλ_max < 2") in text
    assert (f"at 1e-4 the full-data loss rose at {slow_rose.size} of {n_steps} steps, {below} of them with "
            f"$\\eta\\lambda_{{\\max}}$ below 2 (printed above)") in md
    assert L["best.lr"] < L["info.critical_lr"] and np.max(L["best.full_losses"]) > L["best.full_losses"][0]
    assert "holds only for full-batch steps, in the quadratic model at the initial weights" in md
    assert "Two causes fit, and this lesson does not separate them" in md
    assert "that rule holds only at the initial weights, and the sharpness moves" not in md
    assert "since the rule holds only at the initial weights" not in md


def test_r15_a4_a5_a6_what_the_evidence_for_the_sorting_is(L):
    """A4: per-step ηλ_max and step shares describe the 1e-3 run, not the sorting; A5: every '20 of 20' sentence says
    'in the README's benchmark, not run in this lesson'; A6: 'are consistent with', not 'say why'."""
    md = markdown(L)
    assert "It is measured: on this seed" not in md
    # r23 A1: ηλ_max is measured along both runs; only the step shares are the 1e-3 run's
    assert "describe these two runs only; they do not test whether $2/\\lambda_{\\max}$ sorts runs" in md
    assert len(L["eta_lam"]) > 8 and max(L["eta_lam"]) < 3                 # the 1e-4 run's ηλ_max, measured per step
    with_seeds = [s for s in sentences(md) if "20 of 20" in s]
    assert len(with_seeds) >= 2
    for s in with_seeds:
        assert "in the README's benchmark, not run in this lesson" in s.replace("In the README", "in the README"), s
    intro = md[:md.index("## The experiment")]
    assert "20 more seeds" not in intro                                                 # r21 D12: said in the heuristic
    assert "The measurements above say why" not in md
    assert "The measurements above are consistent with one reason, which no run here tests" in md


def test_r15_b8_b11_b12_b13_definitions_and_labels(L):
    """B8: the intro says why the iterated model's loss falls (negative curvature, defined there); B11: what flips sign;
    B12: |1 − ηλ_min| and 'can rise' are labelled as formula values; B13: loss part vs loss above the minimum in short
    sentences."""
    md, text = markdown(L), L.text()
    intro = md[:md.index("## The experiment")]
    assert "$\\lambda_i < 0$ (negative curvature)" in md                                  # defined where first used (r16 B6)
    assert np.array(L["model_loss"])[:, -1].max() < 0 and L["lam_min"] < 0
    assert "the offset of the weights from the minimum along that eigendirection flips sign at every step" in md   # r21 A4
    assert "quadratic model's minimum $w^*$" not in md
    for lr in (1e-3, 1e-4):
        assert (f"its weights, by the formula (not measured on the iterate): the displacement along λ_min's eigenvector "
                f"is multiplied by |1 − ηλ_min| = {abs(1 - lr * L['lam_min']):.3g} per step") in text
    assert "(a formula, not a run)" in text and "by this formula (no run)" not in text
    part = md[md.index("Each eigenvector contributes its own **loss part**"):md.index("The signs tell which")]
    assert max(len(s) for s in sentences(part)) < 170
    assert "A part is a change, so it is 0 before the first step; no fixed factor multiplies it." in part   # r17 B4
    assert "Every step multiplies it by $(1-\\eta\\lambda_i)^2$." in part
    assert part.index("**loss part**") < part.index("\n\n") < part.index("**loss above the minimum along $v_i$**")


def test_r15_b9_b10_the_scaling_argument_is_given_before_its_use(L):
    """B9: the s⁴ argument and product^(4/3) are defined where 'Step by step' first uses them; B10: the loss is compared
    with product² because the loss is about the output squared once the outputs dwarf the targets."""
    md = markdown(L)
    assert "product^(4/3)" not in md[:md.index("### Which weights explode")]           # r21 A3: one rule, used once
    assert md.index("### Which weights explode") < md.index("the product of the three norms' factors to the power $4/3$")
    assert "by the $s^4$ argument of" not in md
    assert ("the full-data loss against product$^2$, because once the outputs dwarf the targets the loss is about the "
            "output squared") in md
    rise, loss_rise = L["norm_rise"], L["loss_rise"]
    assert 0.3 < loss_rise / rise ** 2 < 3                                        # the printed comparison is close


def test_r15_b14_x3_has_coefficient_zero(L):
    """B14: x₃ does not enter the target: its coefficient in make_data is 0 (a least-squares fit on the lesson's data
    finds it near 0, the others near 2, 1, −1)."""
    x, y = np.array(L["x"]) - 7.5, np.array(L["y"]).ravel()
    design = np.column_stack([np.ones(len(x)), x, x[:, 0] * x[:, 3]])
    coef = np.linalg.lstsq(design, y, rcond=None)[0]
    np.testing.assert_allclose(coef[1:5], [2, 1, 0, -1], atol=0.15)
    import inspect
    from helpers.experiment import make_data
    assert "np.linspace(2.0, -1.0, config.n_features)" in inspect.getsource(make_data)
    assert "its coefficient in `make_data` (`np.linspace(2, -1, 4)`, that is 2, 1, 0 and −1) is 0" in markdown(L)


def test_r15_b15_b16_step_numbering_and_where_the_table_stops(L):
    """B15: one early sentence on step numbering (step k's loss before update k; inf at step 8 = after 8 updates;
    Keras's 'Batch 5' is the sixth batch); B16: the 1e-3 sharpness table stops at the last finite step."""
    md = markdown(L)
    k = int(L["fast.diverged_at"])
    assert not np.isfinite(L["fast.losses"][k]) and np.all(np.isfinite(L["fast.losses"][:k]))
    assert (f"so the 1e-3 run's `inf` at step {k} (printed below) came after {k} updates") in md
    assert md.index("Steps are numbered from 0") < md.index("## A threshold from the initial weights")
    stopped = int(printed(L, r"lr = 0\.001: stopped by TerminateOnNaN at batch {n}")[0])
    ordinal = {4: "fifth", 5: "sixth", 6: "seventh", 7: "eighth"}[stopped]
    assert f"Batch {stopped}: Invalid loss" in L.text()
    assert f"its “Batch {stopped}” (in “The same two rates through `model.fit`”) is the {ordinal} batch" in md
    steps = np.array(L["along_fast.steps"], dtype=int)
    assert steps[-1] == k - 1 and steps.size == k
    assert "The 1e-3 table stops at the last step with a finite full-data loss" in md


def test_r15_c20_the_climb_along_step_1_is_not_monotone(L):
    """C20: at step 1 the loss along the line peaks mid-step above where it lands (printed: peak and end)."""
    rose, over = np.array(L["rose"], dtype=int), np.array(L["overshoot"], dtype=int)
    curves, frac = [np.array(c) for c in L["along_step"]], np.array(L["frac"])
    assert 1 in over and set(over) <= set(rose)
    for k in rose:
        assert (k in over) == (curves[k].max() > curves[k][-1])
    c = curves[1]
    top = int(np.argmax(c))
    assert 0 < frac[top] < 1 and c[top] > c[-1] > c[0]
    assert (f"step 1: the loss along its line peaks at {c[top]:,.0f} at t = {frac[top]:.2g} ({c[top] / c[0]:.3g} × its "
            f"start) and ends at {c[-1]:,.0f} at t = 1") in L.text()
    assert "The climb was not always monotone: at the steps printed just above, the loss along the line peaked " \
           "partway and fell back somewhat before the step ended, still above its start" in markdown(L)


def test_r15_d21_d22_cross_references_and_the_one_measured_step(L):
    """D21: bold paragraph names are located by their section; D22: the sharpness's source is scoped to one step."""
    md = markdown(L)
    assert "(“A heuristic threshold”, below)" not in md and "(“How long were the rising steps?”, below)" not in md
    assert "(the paragraph “How long were the rising steps?” at the end of “Step by step”, below)" in md
    assert "Where the later sharpness comes from" not in md
    assert "Where the sharpness comes from, at one step only: the 1e-4 run's sharpest measured step" in md


# ---------------------------------------------------------------- seventeenth review (r17_04)
def test_r17_a1_the_full_data_loss_rose_on_the_same_rows(L):
    """A1: the thread's second answer puts the rising loss down to new data at each step; the full-data loss (the same
    1,024 rows at every step) rose too, at steps 1, 3, 5 and 6 by the printed factors, and at the grid's spiking rate
    it stood above its start at the spike's step."""
    md = markdown(L)
    ratio, rose = np.array(L["end_ratio"]), [int(k) for k in L["rose"]]
    assert rose == [1, 3, 5, 6] and [f"{ratio[k]:.3g}" for k in rose] == ["4.99", "4.41", "17", "2.69e+07"]
    assert "at steps 1, 3, 5 and 6, by × 4.99, × 4.41, × 17 and × 2.69e+07 (printed above)" in md
    np.testing.assert_allclose(np.array(L["rises"])[rose], ratio[rose], rtol=1e-2)   # the recorded run's own ratios
    assert len(L["x"]) == 1024 and "The full-data loss is computed on the same 1,024 rows at every step" in md
    full, spike = np.array(L["best.full_losses"]), int(L["spike"])
    assert f"{L['best.lr']:.1e}" == "3.2e-04" and full[spike] > full[0]
    assert (f"And at 3.2e-4 on the grid of “Try it”, the full-data loss at the spike's step was {full[spike]:,.0f}, "
            f"above its start of {full[0]:,.0f} (printed there)") in md
    assert "So the rise is not only a new-batch effect." in md and "did not turn these steps uphill" not in md


def test_r17_b5_b7_b8_b9_d13_d16_d18_wording(L):
    """B5: the catapult is introduced in 'Where the curvature comes from'; B7: the roadmap says 'One step' is a
    full-batch step from the initial weights; B8: the norm is named; B9: eigendirection defined; D13: §4.2 cited;
    D16: only the blow-up half is reproduced; D18: the overflow threshold is for the batch's sum of squares."""
    md = markdown(L)
    first = md.index("*catapult* of Lewkowycz et al. (2020)")
    assert md.index("### Where the curvature comes from") < first < md.index("**The catapult criterion.**") + 200
    assert md.count("*catapult* of Lewkowycz") == 1
    assert "starts from one full-batch step from the initial weights (“One step, to second order”) and then follows" in md
    assert "the Frobenius norm of the kernel and the bias together" in md
    assert md.index("eigendirections (directions of eigenvectors)") == md.index("eigendirection")
    refs = md[md.index("## References"):]
    assert "§4.2 (poor conditioning, the condition number)" in refs and "(the book's §4.2)" in md
    assert "reproduces the blow-up half of the thread" in md and "So this net reproduces the thread:" not in md
    assert int(L["LESSON.batch_size"]) == 32
    assert "The loss sums the squared errors of a minibatch's 32 rows before dividing by 32" in md
    errors = np.full(32, 1.1e19, dtype=np.float32)                 # each below 1.8e19, its square finite
    with np.errstate(over="ignore"):
        assert np.all(np.isfinite(errors ** 2)) and np.isinf(np.sum(errors ** 2))   # their sum overflows


def test_r17_b6_d12_step_numbers_and_length_ratio(L):
    """B6: 'the last two steps' replaced by step numbers (λ_max 5 → 6 → 7; norms before step 6); D12: every rising
    step was more than twice as long as the way to its line's lowest point, up to 73 times."""
    md = markdown(L)
    assert int(L["last"]) == 7 and int(L["fast.diverged_at"]) == 8
    assert "only at steps 5 → 6 and 6 → 7, the last two before `inf`, does it grow by orders of magnitude" in md
    assert "The weights did not stay put before step 6 either: from step 0 to step 6" in md
    assert "over steps 5 → 6 and 6 → 7, the last two measured, with the loss" in md
    sharp = np.array(L["along_fast.sharpness"])
    assert sharp[-1] / sharp[-3] > 1e4 and np.all(sharp[:-2] / sharp[0] < 10)
    length = np.array(L["length_ratio"])
    assert length.min() > 2 and f"{length.max():.2g}" == "73"
    answer = md[md.index("**The answer, in short.**"):md.index("**In more detail.**")]
    assert "But each of the four replayed rising steps (steps 0–6) was more than twice as long as the way to the lowest point on its line" in answer
    assert len(L["rose"]) == 4 and int(L["n_replayed"]) - 1 == 6                       # r21 A1: four, steps 0–6
    assert f"the rising steps: from {length.min():.2g} to {length.max():.2g} × as long" in L.text()


def test_r17_a2_final_losses_scatter_within_a_runs_own_last_steps(L):
    """A2: the claim rests on each run's range over its last 8 full-data losses (not only the second epoch's max/min):
    from 1.4 to 7, above the 2.7 spread across rates for 4 of the 9 runs."""
    md = markdown(L)
    last_range, spread = np.array(L["last_range"]), L["near_spread"]
    assert last_range.size == 9 and f"{spread:.2g}" == "2.7"
    assert f"{last_range.min():.2g}" == "1.4" and f"{last_range.max():.2g}" == "7"
    assert int(np.sum(last_range > spread)) == 4
    assert ("over just its last 8 values by factors from 1.4 to 7, above the spread for 4 of the 9 runs (largest / "
            "smallest, printed above)") in md
    assert "is enough to scatter the final losses this much" not in md
    line = next(t for t in L.text().splitlines() if t.startswith("each run's full-data loss over its last 8 values"))
    assert line.endswith(", ".join(f"{s:.2g}" for s in last_range))


def test_r17_a3_every_sharpness_passed_its_lanczos_check(L):
    """A3: the per-step λ_max of both runs come with the Lanczos relative residual, all within the 1e-4 tolerance;
    at 1e-4 the step-to-step changes after step 5 dwarf it, so the alternation is not Lanczos error."""
    md, text = markdown(L), L.text()
    fast_res = np.array(L["along_fast.relative_residual"])
    slow_res = np.array(L["along_slow.relative_residual"])
    assert fast_res.size == len(L["along_fast.sharpness"]) and slow_res.size == len(L["along_slow.sharpness"]) == 64
    assert np.all(fast_res <= 1e-4) and np.all(slow_res <= 1e-4)
    assert (f"largest {fast_res.max():.1e} (at step {int(L['along_fast.steps'][int(np.argmax(fast_res))])}); "
            f"all within the tolerance 1e-4: True") in text
    assert f"largest Lanczos relative residual along the 1e-4 run {slow_res.max():.1e} (all within the tolerance 1e-4: True)" in text
    jumps = np.array(L["jumps"])
    assert int(L["edge_step"]) == 5 and jumps.min() > 10 * slow_res.max()                # "far larger"
    assert "was within the iteration's tolerance, $10^{-4}$, at every measured step of both runs" in md
    assert "so its up-and-down is not Lanczos error" in md
    assert "The check does not show that no larger eigenvalue was missed" in md
    assert int(L["along_fast.steps"][-1]) == 7 and 2e12 < L["along_fast.full_losses"][-1] < 4e12   # "near 3e12"
    assert "at step 7 of the 1e-3 run, at a full-data loss near 3e12" in md


def test_r19_the_saddle_reading_and_the_norm_argument_are_scoped(L):
    # Review r19 A2-A4: the gap along r is one reading (not measured); the norm argument's step was uneven; the answer
    # to the first question is found by running, not derived.
    md = " ".join(markdown(L).split())
    assert "That the gap between the predicted and the actual change lies there is one reading; no run here checks the real loss along $r$." in md
    assert "and the step rescaled the three layers unequally (printed above)" in md
    assert "**Why one factor of ten matters** (the thread's first question)" in md and "so violent**" not in md
    assert "found by running, not derived" in md


# ---------------------------------------------------------------- round 20 review (r20_04)
def test_r20_a1_the_scaling_caveat_names_only_the_biases(L):
    # A1: a leaky ReLU is positively homogeneous, so its slopes do not spoil the s³ / s² / s⁴ scaling.
    md = " ".join(markdown(L).split())
    assert "leaky ReLU's two slopes" not in md and "leaky ReLU's slopes" not in md
    assert "The network's output is, apart from the biases, a product of its three layers' weights" in md
    assert "since the argument leaves out the biases, and the step rescaled the three layers unequally" in md
    z = np.linspace(-3, 3, 13)
    leaky = np.where(2.5 * z > 0, 2.5 * z, 0.2 * 2.5 * z)
    np.testing.assert_allclose(leaky, 2.5 * np.where(z > 0, z, 0.2 * z))    # σ(cz) = cσ(z) for c > 0


def test_r21_a3_no_per_layer_bound_and_one_scaling_rule(L):
    # r21 A3: the per-layer 'at most × 3.5' bound is cut (layer norms do not determine J); the only scaling rule left
    # is product^(4/3) over the last step, stated as an order-of-magnitude check with the unequal factors named.
    md, text = " ".join(markdown(L).split()), L.text()
    assert "largest product of two" not in md + text and "factors" not in L.ns and "norms_scale" not in L.ns
    assert "at most × 3.5" not in text and "a factor of at most about" not in md
    assert "as the layer norms' product to the power $4/3$ gives (an order-of-magnitude check, not a match)" in md
    assert "the weights' growth alone gives" not in md
    assert "and the step rescaled the three layers unequally (printed above)" in md


def test_r20_a3_a4_no_circular_check_and_the_threshold_printed_apart(L):
    # A3: the 'all step sizes below the turning point lowered the loss' check was true by construction: cut.
    # A4: '13 × 2/λ_max (2/λ_max = 0.00039)', not '13 × 2/λ_max = 0.00039'.
    md, text = " ".join(markdown(L).split()), L.text()
    assert "every step size on the one-step grid below the actual turning point" not in md
    assert "one-step check" not in text and "lowered" not in L.ns
    turn = L["check.actual_turns_positive_at"]
    assert turn > 1e-3 and "so the thread's formula turns positive only above 1e-3, and so did the actual first step" in md
    pred, crit = L["check.predicted_turns_positive_at"], L["info.critical_lr"]
    assert (f"the thread's formula turns positive at 2gᵀg / gᵀHg = {pred:.2g}, {pred / crit:.2g} × 2/λ_max "
            f"(2/λ_max = {crit:.2g})") in text


def test_r21_a2_along_v_the_ratio_is_the_quadratic_model_s_and_the_line_profile_is_measured(L):
    # r21 A2: ηλ_max/2 is the ratio of a quadratic model at that step's weights for a full-batch step along v, not a
    # measurement; what was measured is the line profile (fell, then climbed past its start). No "held".
    md, text = " ".join(markdown(L).split()), L.text()
    along = np.array(L["mostly_along"], dtype=int)
    assert list(along) == [1, 3, 6] and list(np.array(L["along_fast.steps"])[:7]) == list(range(7))
    ratio = 1e-3 * np.array(L["along_fast.sharpness"], dtype=float)[along] / 2    # (η²/2)λ(g·v)² ÷ η(g·v)²
    np.testing.assert_allclose(L["curvature_over_gain"], ratio)
    assert ("quadratic model at those steps' weights, full-batch step along v (not measured): curvature term ÷ gain = "
            "ηλ_max / 2: " + ", ".join(f"step {k}: {r:.3g}" for k, r in zip(along, ratio))) in text
    assert "a ratio of that Taylor model, not a measurement, since the real step followed a minibatch gradient" in md
    rose = np.array(L["rose"], dtype=int)
    curves = [np.array(L["along_step"][int(k)], dtype=float) for k in rose]
    assert all(c[1] < c[0] and c[-1] > c[0] for c in curves)                        # "it fell, then climbed past its start"
    assert "What was measured is the loss along each rising step's line (“Along the steps the run took”): it fell, then climbed past its start." in md
    for gone in ("held at each rising step's own weights", "the answer's condition did hold along the sharpest direction",
                 "while along $v$ at the rising steps the curvature term outweighed the gain"):
        assert gone not in md, gone
    assert "the book's symptom of ill-conditioning was absent at the first step." in md


def test_r21_a1_the_rising_steps_are_counted_among_the_replayed_ones(L):
    # r21 A1: five steps raised the loss; step 7 was not replayed; the text counts the four replayed ones (steps 0–6).
    md, text = " ".join(markdown(L).split()), L.text()
    n, rose = int(L["n_replayed"]), np.array(L["rose"], dtype=int)
    assert n == 7 and rose.size == 4 and list(rose) == [1, 3, 5, 6]
    losses = np.array(L["fast.full_losses"], dtype=float)
    assert int(L["fast.diverged_at"]) == 8 and np.isfinite(losses[7])              # step 7 (not replayed) → inf
    assert f"(of the 4 replayed rising steps, steps 0–6: 1, 3, 5, 6)" in text
    assert "At three of the four replayed steps that raised the loss, the step lay almost entirely along" in md
    assert "Three of the four replayed rising steps (steps 0–6) lay almost entirely along the sharpest direction" in md
    assert "Of the four real steps" not in md and "Most rising steps lay" not in md


def test_r21_b8_b9_b11_d12_wording(L):
    md, text = " ".join(markdown(L).split()), L.text()
    # B9: the maximum over steps 1–64, not "after step 0"
    losses = np.array(L["slow_losses"], dtype=float)
    assert losses.size == 65 and f"highest loss over steps 1–64: {losses[1:].max():,.0f} (start {losses[0]:,.0f})" in text
    assert "highest loss after step 0" not in text
    # B11: no claimed match with "the thousands"
    assert "the thread's loss started in the thousands" not in md
    # D12: the 'found by running, not derived' caveat: where it is shown and in the summary only
    assert md.count("found by running") == 1 and "an empirical one" not in md and "heuristic found by running" not in md
    assert md.count("an empirical result of this lesson, not a consequence of the quadratic model") == 1
    assert "not a derivation of the blow-up" not in md and "That sorting does not follow" not in md


def test_r20_a6_the_thread_s_time_scale_is_not_reproduced(L):
    md, text = " ".join(markdown(L).split()), L.text()
    assert ("It reproduces the outcome, not the time scale: the thread's loss jumped after one epoch, ours reached "
            "`inf` a few minibatch steps into the first (printed above).") in md
    k, per_epoch = int(L["fast.diverged_at"]), int(L["fast.steps_per_epoch"])
    assert k < per_epoch / 2 and f"first inf/nan loss: step {k} of epoch 1 ({per_epoch} steps per epoch)" in text


def test_r20_b7_one_sentence_joins_the_measured_pieces(L):
    # B7: the answer to Q1 is called empirical where it is first given, and one sentence in the summary joins the
    # pieces measured in five sections.
    md = markdown(L)
    assert "That is this lesson's answer to the thread's first question: a rate" in md          # r21 D12
    answer = md[md.index("**The answer, in short.**"):md.index("**In more detail.**")]
    joined = answer[answer.index("Joined: at 1e-3 three of the four replayed rising steps lay along the sharpest direction"):]
    joined = joined[:joined.index(".\n") + 1]
    assert len(sentences(joined)) == 1 and joined.endswith("grew together until the loss overflowed.")
    assert len(joined.split()) <= 36
    rose, share = np.array(L["rose"], dtype=int), np.array(L["step_share"], dtype=float)
    along = share[rose] > 0.9
    assert rose.size == 4 and along.sum() == 3                                     # "three of the four"
    lam = np.array(L["along_fast.sharpness"], dtype=float)
    assert np.all(1e-3 * lam[rose[along]] > 10)                                    # "far above 2"
    assert np.all(np.array(L["length_ratio"])[along] > 5)                          # "many times over"
    product = np.prod(np.array(L["fast.layer_norms"], dtype=float), axis=1)
    assert product[7] / product[5] > 1 and lam[7] / lam[5] > 1                   # "then ... grew together"
    assert list(np.flatnonzero(np.array(L["both_grew"], dtype=bool))[-2:]) == [5, 6] and int(L["together_last"]) == 2
    assert not np.isfinite(L["fast.losses"][-1]) and int(L["fast.diverged_at"]) == 8   # "until the loss overflowed"


def test_r20_b8_b10_b11_d16_d17_d18_wording(L):
    md, text = " ".join(markdown(L).split()), L.text()
    assert ("Two runs, and the README's 20 seeds, test only that $2/\\lambda_{\\max}$ lies inside that tenfold window, "
            "not where in it the boundary lies") in md
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert "20/20" in readme
    assert "one number set against the rate" not in md
    assert "until that one has converged; it reports no convergence flag" not in md
    assert ("returns the value alone (with `return_info=True` it would also say whether it converged); the check used "
            "here is to run it from two") in md
    assert f"relative difference {abs(L['lam_min_other_start'] / L['lam_min'] - 1):.0e}" in text
    assert "an eigenvalue of the operator the Hessian-vector products define" in md
    assert md.count("stopped being valid within") == 1 and "within a few steps at the latest" in md   # D16
    assert "standardizing" not in md and "standardising the data" in md                          # D17
    assert "by this formula (no run)" not in text and "(a formula, not a run)" in text           # D18


def test_r20_c14_the_part_along_v_is_drawn_and_turns_positive_at_the_critical_rate(L):
    md = " ".join(markdown(L).split())
    assert "(the vertical dashed line in the figure); only its part along the sharpest direction does (the green dashed curve)" in md
    lrs, top, crit = np.array(L["check.lrs"]), np.array(L["check.predicted_top"]), L["info.critical_lr"]
    assert np.all(top[lrs < crit] < 0) and np.all(top[lrs > crit] > 0)


def test_r23_a3_exercise_2s_solution_says_which_grew_by_orders_of_magnitude(L):
    # at step 6 -> 7 the loss and λ_max grew by orders of magnitude, the layers' weights by about one (×9 to ×23)
    from helpers.exercises import lesson04
    assert "the curvature and the loss grew by orders of magnitude and each layer's weights by about one" in lesson04.q2._solution
    loss, sharp = np.array(L["fast.losses"], dtype=float), np.array(L["along_fast.sharpness"], dtype=float)
    norms = np.array(L["fast.layer_norms"], dtype=float)
    assert loss[7] / loss[6] > 1e3 and sharp[7] / sharp[6] > 1e3
    assert np.all((norms[7] / norms[6] > 5) & (norms[7] / norms[6] < 50))


def test_r23_b5_b6_a_part_can_grow_and_the_curvature_term_outweighs_the_gain_in_the_model(L):
    md = " ".join(markdown(L).split())
    assert "separates the rates at which a part of the loss can *rise* geometrically (add to the loss, not only grow in size) from those at which none can" in md   # r25 A1
    assert ("Later, at the three rising steps that lay along $v$, the quadratic model at each step's own weights puts the "
            "curvature term at 6 to 77 times the gain (printed in “Step by step”): the first answer's mechanism, as the "
            "quadratic model sees it there.") in md
    rose, share = np.array(L["rose"], dtype=int), np.array(L["step_share"], dtype=float)
    along = rose[share[rose] > 0.9]
    ratios = 1e-3 * np.array(L["along_fast.sharpness"], dtype=float)[along] / 2   # ηλ_max / 2, as printed
    assert len(along) == 3 and f"{ratios.min():.0f}" == "6" and f"{ratios.max():.0f}" == "77"
    line = next(l for l in L.text().splitlines() if "curvature term ÷ gain = ηλ_max / 2: " in l)
    assert all(f"step {k}: {r:.3g}" in line for k, r in zip(along, ratios))


def test_r24_a1_a2_the_norms_product_and_why_the_top_not_the_bottom(L):
    md = " ".join(markdown(L).split())
    assert "the norms alone do not fix $H$" not in md
    assert ("with the same function and (biases aside) the same product, $H$ changes (Dinh et al. 2017)") in md
    # the runs cannot tell the two ends apart: 2/|λ_min| puts the thread's rates on the same sides as 2/λ_max
    assert 1e-4 < 2 / abs(L["lam_min"]) < 1e-3 and 1e-4 < 2 / L["lam"] < 1e-3
    assert f"(|λ_min| / λ_max = {abs(L['lam_min']) / L['lam']:.2f})" in L.text()
    assert L["largest_finite"] < 2 / abs(L["lam_min"]) < L["smallest_blown"]               # r25 A2: the grid too
    assert "It sorted a grid of 13 rates, the thread's two among them, into finite and `inf`; $2/|\\lambda_{\\min}|$, close to it, would too." in md
    assert ("so a rule read off $2/|\\lambda_{\\min}|$ would sort the thread's two rates, and the grid of “Try it”, the same way. What singles "
            "out the top is that negative curvature sets no rate at all: $|1-\\eta\\lambda_{\\min}| > 1$ at every $\\eta$.") in md
