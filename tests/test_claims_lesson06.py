"""Lesson 6's sentences, checked against the values the executed lesson computed and printed.

The closing section cites lesson 5 as well; those claims read ``lesson("05")``'s values.
"""

import math

import pytest

from notebook_runner import lesson

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def L():
    return lesson("06")


@pytest.fixture(scope="module")
def L5():
    return lesson("05")


def test_minibatches_spread_around_and_often_above_the_full_batch(L):
    above = sum(b > L["mb.full"] for b in L["mb.batches"]) / len(L["mb.batches"])
    assert 0.2 < above < 1
    assert min(L["mb.batches"]) < L["mb.full"] < max(L["mb.batches"])
    assert L["share_above"] > 0                        # "above it for some batches"


def test_near_the_edge_full_batch_diverges_with_minibatches_in_lesson_5(L5):
    assert abs(L5["mb_diverged_at"] - L5["fb_diverged_at"]) <= 1
    assert L5["same_fate"] is True


def test_the_sharpness_rises_to_2_over_lr_and_hovers_there_for_both_rates(L):
    assert L["eos.sharpness"][0] * L["eos.lr"] / 2 < 0.6   # "well below 20"
    for med, low, high in ((L["med"], L["low"], L["high"]), (L["med2"], L["low2"], L["high2"])):
        assert 0.95 <= med <= 1.05 and 0.8 <= low and high <= 1.2
    assert L["eos.loss"][-1] < 0.2 * L["eos.loss"][0] and L["rises"] > 10
    for run in ("eos", "eos2"):                        # after step 600 the loss no longer falls steadily
        late = L[f"{run}.loss"][600:]
        assert max(late) > late[0] and late[-1] > min(late)
    assert all(f > 0.5 for f in L["late_fall"])


def test_lesson_5s_sharpness_at_1e_4_climbed_most_of_the_way_to_2_over_lr(L5):
    assert 0.6 < L5["low.sharpness_after"] * L5["low.lr"] / 2 < 1


def test_seed_0_at_four_multiples_survives_below_and_at_1_5_and_diverges_at_3_and_10(L):
    assert L["multiples"] == pytest.approx([0.5, 1.5, 3.0, 10.0])
    text = L.text()
    assert "lr =  3.0 x 2/λ₀: diverged at step" in text and "lr = 10.0 x 2/λ₀: diverged at step" in text


def test_at_1_5_every_seed_survives_falls_below_the_edge_and_several_spike_again_later(L):
    assert L["n_seeds"] == 5
    assert L["n_survive"] == 5
    assert L["n_below_edge"] == 5
    assert L["n_spike"] >= 2 and len(L["spike_seeds"]) == L["n_spike"]   # "on several seeds", over the whole run
    assert L["n_early_spike"] < L["n_spike"]                             # more than steps 1-19 show
    assert L["n_back_above"] == L["n_seeds"]                             # the sharpness climbs back above 2/lr on every seed
    assert all(0.8 < ratio < 1.2 for ratio in L["final_edge"])   # "later hovering near the edge"


def test_same_condition_number_opposite_fates(L):
    text = L.text()
    assert "condition number 100, critical_lr = 2/λ_max = 0.02 -> diverges at lr = 0.1" in text
    assert "condition number 100, critical_lr = 2/λ_max = 2 -> converges at lr = 0.1" in text


def test_the_gradient_step_decreases_the_loss_to_second_order_yet_full_batch_gd_at_1e_3_diverges(L):
    assert L["lam_min0"] < 0
    curvature = L["gc.ghg"] / L["gc.gg"]
    assert 0 < curvature < 0.2 * L["mb.full"]              # gentle along the gradient
    assert 2 * L["gc.gg"] / L["gc.ghg"] > 1e-3                 # turning point beyond the thread's rate
    assert 0.5 * 1e-6 * L["gc.ghg"] - 1e-3 * L["gc.gg"] < 0
    assert L["full_1e3.diverged_at"] is not None
    assert L["full_1e3.loss"][1] < L["full_1e3.loss"][0]       # the first step lowers the loss
    assert L["blowup_growth"] > L["fixed_growth"]               # faster than a fixed λ_max allows


def test_x_squared_at_0_12_converges_and_ten_x_squared_diverges(L):
    text = L.text()
    assert "f = 1 x², f'' = 2: |1 - 0.12 f''| = 0.76 per step -> converges" in text
    assert "f = 10 x², f'' = 20: |1 - 0.12 f''| = 1.40 per step -> diverges" in text


def test_initialization_claims_cited_from_lesson_5(L5):
    assert L5["normal_critical"] < 1e-4 and L5["he_critical"] < L5["critical_lr0"]
    assert 2 / L5["small.sharpness_before"] > 1e-3 and math.isnan(L5["small.final_loss"])


def test_adam_claims_cited_from_lesson_5(L5):
    assert L5["ad.trains"] and 1e-3 > L5["critical_lr0"]
    trains = dict(zip(L5["adam_lrs"], L5["adam_trains"]))
    assert not trains[1.0] and not trains[10.0]
    assert L5["adam_fail_finite"] and L5["adam_fail_below_38"]
    assert L5["worst_trained"] == "adam" and len(L5["below_adam_01"]) <= 1
    steps = dict(zip(L5["adam_lrs"], L5["adam_step_over_lr"]))
    assert all(0.04 < steps[lr] < 0.08 for lr in (0.1, 1.0, 10.0))     # "about 0.06 η per weight"
