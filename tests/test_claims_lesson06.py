"""Lesson 6's sentences, checked against the values the executed lesson computed and printed.

The closing section cites lesson 5 as well; those claims read ``lesson("05")``'s values.
Each test names the claim; the cell heading it belongs to is in its comment.
"""

import math
import re

import numpy as np
import pytest

from claim_support import markdown, printed, printed_output
from notebook_runner import lesson

pytestmark = pytest.mark.slow


def figure_titles(lesson):
    """Each figure's alt text: its titles, computed from the data when the lesson ran."""
    return [out["metadata"]["image/png"]["alt"] for cell in lesson.nb.cells for out in cell.get("outputs", [])
            if "image/png" in out.get("metadata", {})]


@pytest.fixture(scope="module")
def L():
    return lesson("06")


@pytest.fixture(scope="module")
def L5():
    return lesson("05")


# ------------------------------------------------------------------ Each step sees different data

def test_minibatches_spread_around_and_often_above_the_full_batch(L):
    above = sum(b > L["mb.full"] for b in L["mb.batches"]) / len(L["mb.batches"])
    assert 0.2 < above < 1
    assert min(L["mb.batches"]) < L["mb.full"] < max(L["mb.batches"])


def test_the_figure_counts_the_batches_whose_threshold_the_rate_exceeds(L):
    # "at 0.9 x critical_lr the rate is above 2/sharpness for {n_above} of 16 batches" (title, computed)
    expected = sum(L["lr_near"] > 2 / b for b in L["mb.batches"])
    assert L["n_above"] == expected >= 1
    assert any(f"for {expected} of {len(L['mb.batches'])} batches" in alt for alt in figure_titles(L))


def test_the_full_data_hessian_is_the_mean_over_a_partition_not_over_random_batches(L):
    text = markdown(L)
    assert "mean of the losses of one epoch's minibatches (the rows split into disjoint batches of 32)" in text
    assert "The full-data Hessian is the mean of the minibatch Hessians" not in text
    (rows,) = printed(L, r"full batch \({n} rows\)")           # the data size is given
    assert rows == 32 * len(L["batch_losses"])


def test_near_the_edge_full_batch_diverges_with_minibatches_in_lesson_5(L5):
    assert abs(L5["mb_diverged_at"] - L5["fb_diverged_at"]) <= 1
    assert L5["same_fate"] is True


# ------------------------------------------------------------------ Progressive sharpening and the edge of stability

def test_the_prediction_is_stated_before_the_start_is_printed_and_the_start_is_below_the_edge(L):
    assert "if the sharpness at the start is below the edge" in markdown(L)
    assert "the initial sharpness is well below 20" not in markdown(L)
    assert L["start"] < 1 and "below the edge, so the quadratic picture predicts convergence" in L.text()


def test_the_sharpness_rises_to_2_over_lr_and_stays_near_it_for_both_rates(L):
    for med, low, high in ((L["med"], L["low"], L["high"]), (L["med2"], L["low2"], L["high2"])):
        assert 0.95 <= med <= 1.05 and 0.8 <= low and high <= 1.2
    assert L["eos.sharpness"][0] * L["eos.lr"] / 2 < 0.6


def test_at_the_edge_the_loss_spikes_while_its_lowest_values_creep_down(L):
    # "rises in spikes and falls back, while its lowest values still creep down for both rates"
    assert len(L["late_low"]) == 2 and all(0.8 < ratio < 1 for ratio in L["late_low"])
    for run, rises in zip(("eos", "eos2"), L["late_rises"]):
        late = np.array(L[f"{run}.loss"][600:])
        assert rises == int(np.sum(np.diff(late) > 0)) and rises > 50
        assert late.max() > 1.3 * late.min()                     # spikes, not a flat line
    assert "the loss ends at" not in markdown(L) and "ratio in the title" not in markdown(L)
    title = next(alt for alt in figure_titles(L) if "full-batch GD" in alt)
    assert " and ".join(f"{f:.2f}" for f in L["late_low"]) + " x that of steps 600-799" in title
    assert "ends at" not in title


def test_lesson_5s_sharpness_at_1e_4_climbed_most_of_the_way_to_2_over_lr(L5):
    assert 0.6 < L5["low.sharpness_after"] * L5["low.lr"] / 2 < 1


# ------------------------------------------------------------------ The catapult

def test_seed_0_survives_at_1_5_without_its_loss_rising_and_diverges_at_3_and_10(L):
    assert L["multiples"] == pytest.approx([0.5, 1.5, 3.0, 10.0])
    text = L.text()
    assert "lr =  3.0 x 2/λ₀: diverged at step" in text and "lr = 10.0 x 2/λ₀: diverged at step" in text
    assert "lr =  1.5 x 2/λ₀: loss x0." in text                # "its loss never rising above its start"
    assert L["spikes"][0] < 1


def test_at_1_5_the_sharpness_drops_on_every_seed_and_the_loss_rises_first_on_one(L):
    # "Read the five columns against the catapult's two signs"
    assert L["n_seeds"] == 5 and L["n_survive"] == 5 and L["n_below_edge"] == 5
    assert L["early_seeds"] == [1]                             # "one seed of five (seed 1)"; "the other four"
    assert L["early_spikes"][1] > 1 and sum(s > 1 for s in L["early_spikes"]) == 1


def test_later_the_sharpness_swings_about_the_edge_and_the_loss_spikes_on_three_seeds(L):
    assert L["n_back_above"] == L["n_seeds"]                   # climbs back above 2/lr on every seed
    assert L["late_seeds"] == [1, 2, 4]                        # "three seeds of five (1, 2 and 4)"
    rows = re.findall(r"^\s*(\d)\s+[\d.]+\s+[\d.]+ \(\s*\d+\)\s+[\d.]+\s+([\d.]+)\s+[\d.]+\s+[\d.]+\s+([\d.]+)\s*$",
                      printed_output(L), re.M)
    assert [int(seed) for seed, _, _ in rows] == list(range(5))
    for _, final_over_start, at_end in rows:                   # "well below its start", "ends a little above it"
        assert float(final_over_start) < 0.3 and 1 < float(at_end) < 1.2


def test_the_thread_rate_is_between_1_5_and_3_and_above_4_over_lambda0_and_diverges(L):
    assert 1.5 < L["thread_multiple"] < 3 and L["thread_multiple"] > 2
    assert L["thread_multiple"] == pytest.approx(1e-3 * L["mb.full"] / 2)
    assert L["full_1e3.diverged_at"] is not None and L["full_1e3.diverged_at"] <= 10   # "within a few steps"


# ------------------------------------------------------------------ The thread's answers: answer 1

def test_same_condition_number_opposite_fates(L):
    text = L.text()
    assert "condition number 100, critical_lr = 2/λ_max = 0.02 -> diverges at lr = 0.1" in text
    assert "condition number 100, critical_lr = 2/λ_max = 2 -> converges at lr = 0.1" in text


def test_the_hessian_is_indefinite_and_the_lesson_does_not_call_kappa_undefined(L):
    assert L["lam_min0"] < 0 and 0.8 < abs(L["lam_min0"]) / L["mb.full"] < 1.2   # "about as large as λ_max"
    text = markdown(L)
    assert "not even defined" not in text and "no condition number" not in L.text()
    assert "for a bowl (every eigenvalue positive) the threshold is" in text


def test_the_gradient_step_decreases_the_loss_to_second_order_yet_full_batch_gd_at_1e_3_diverges(L):
    curvature = L["gc.ghg"] / L["gc.gg"]
    assert 0 < curvature < 0.2 * L["mb.full"]                  # small against λ_max
    assert 2 * L["gc.gg"] / L["gc.ghg"] > 1e-3                 # turning point beyond the thread's rate
    assert 0.5 * 1e-6 * L["gc.ghg"] - 1e-3 * L["gc.gg"] < -L["gc.loss"]   # a decrease larger than the loss
    assert L["full_1e3.loss"][1] < L["full_1e3.loss"][0]       # the first step lowers the loss
    assert "The gradient points mostly along gentle directions" not in markdown(L)


def test_the_1e_3_run_meets_a_sharpness_that_jumps_and_a_rate_above_its_threshold_at_every_step(L):
    k = L["full_1e3.diverged_at"]
    assert L["full_1e3.sharpness_steps"][:k + 1] == list(range(k + 1))       # measured at every step
    sharp = np.array(L["full_1e3.sharpness"][:5])
    assert sharp.max() / sharp.min() > 10                      # "more than a factor of ten"
    assert (np.diff(sharp) > 0).any() and (np.diff(sharp) < 0).any()        # "up and down"
    signs = np.sign(np.diff(L["full_1e3.loss"][:5]))
    assert signs.tolist() == [-1, 1, -1, 1]                    # "falls and rises in turn"
    assert all(e > 1 for e in L["edge_1e3"][:k])               # "above 1 on every row"
    assert np.allclose(L["edge_1e3"], np.array(L["full_1e3.sharpness"]) * 1e-3 / 2)


def test_a_fixed_quadratic_model_grows_the_error_along_negative_curvature_and_the_loss_along_the_sharpest(L):
    text = L.text()
    lam0, lam_min = L["mb.full"], L["lam_min0"]
    assert f"x(1 - lr·λ₀)² = x{(1 - 1e-3 * lam0) ** 2:.0f} per step" in text
    assert f"x(1 - lr·λ_min) = x{1 - 1e-3 * lam_min:.2f} per step" in text and 1 - 1e-3 * lam_min > 1


# ------------------------------------------------------------------ Picture x²; question 1 in numbers

def test_x_squared_at_0_12_converges_and_ten_x_squared_diverges(L):
    text = L.text()
    assert "f = 1 x², f'' = 2: |1 - 0.12 f''| = 0.76 per step -> converges" in text
    assert "f = 10 x², f'' = 20: |1 - 0.12 f''| = 1.40 per step -> diverges" in text


def test_a_tenfold_change_of_rate_crosses_the_threshold_of_the_lesson_4_net(L, L5):
    lam0 = L["mb.full"]
    assert 1e-4 < 2 / lam0 < 1e-3
    assert abs(1 - 1e-4 * lam0) < 1 < abs(1 - 1e-3 * lam0)
    assert "(shrinks)" in L.text() and "(grows)" in L.text()
    assert L5["lam_min"] < 0 and 1 - 1e-4 * L5["lam_min"] > 1   # the error along negative curvature grows at 1e-4 too
    assert L5["low.lr"] == 1e-4 and L5["low.trains"]           # and at 1e-4 the net trains


# ------------------------------------------------------------------ Answer 2, first reason

def test_minibatch_losses_differ_by_a_small_factor(L):
    losses = np.array(L["batch_losses"])
    assert len(losses) == 32 and losses.max() / losses.min() < 1.5
    assert "True, and measured at the top of this lesson" not in markdown(L)
    assert "fitted the values of one batch" in markdown(L)     # the answer's own argument, before it is judged


# ------------------------------------------------------------------ Initialization and Adam (cited from lesson 5)

def test_initialization_claims_cited_from_lesson_5(L5):
    assert L5["normal_critical"] < 1e-4 and L5["he_critical"] < L5["critical_lr0"]
    assert 2 / L5["small.sharpness_before"] > 1e-3 and math.isnan(L5["small.final_loss"])
    assert L5["small_crossed"] <= 10                           # "passed 2/η within a few steps"


def test_adam_claims_cited_from_lesson_5(L5):
    assert L5["ad.trains"] and 1e-3 > L5["critical_lr0"]
    trains = dict(zip(L5["adam_lrs"], L5["adam_trains"]))
    assert not trains[1.0] and not trains[10.0]
    assert L5["adam_fail_finite"] and L5["adam_fail_below_38"]
    assert L5["worst_trained"] == "adam" and len(L5["below_adam_01"]) <= 1
    steps = dict(zip(L5["adam_lrs"], L5["adam_step_over_lr"]))
    assert all(0.04 < steps[lr] < 0.08 for lr in (0.1, 1.0, 10.0))     # "about 0.06 η per weight"


# ------------------------------------------------------------------ Reading

def test_terms_are_defined_where_this_lesson_uses_them(L):
    text = markdown(L)
    for term in ("**edge**", "**preconditioned sharpness**", "**preconditioning**", "**catapult**", "Glorot's (weights of variance"):
        assert term in text, term
    assert "(the sharpness at the start)" not in text


def test_every_reference_is_cited_in_the_text(L):
    body, references = markdown(L).split("## References")
    for author in ("Cohen", "Damian", "Lewkowycz", "Goodfellow", "Kingma", "Gilmer"):
        if author in references:
            assert author in body, f"{author} is listed under References but never cited"
