"""Lesson 5's sentences, checked against the values the executed lesson computed and printed.

Each test names the claim it guards; the numbers come from ``lesson("05")`` (one cached
execution shared with tests/test_notebooks.py), never from a second computation.
"""

import math

import pytest

from notebook_runner import lesson

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def L():
    return lesson("05")


def test_1e_3_is_above_and_1e_4_below_the_initial_critical_rate(L):
    assert 1e-4 < L["critical_lr0"] < 1e-3
    assert 2 < 1e-3 / L["critical_lr0"] < 3          # "2.6 x", not "ten times"
    assert not L["base.trains"] and L["low.trains"]


def test_the_hessian_at_the_start_is_indefinite_with_lambda_min_about_as_large_as_lambda_max(L):
    assert L["lam_min"] < 0
    assert 0.7 < abs(L["lam_min"]) / L["lam0"] < 1.3


def test_training_at_1e_4_raises_the_sharpness_until_2_over_sharpness_nears_the_rate(L):
    assert L["low.sharpness_after"] > 2 * L["low.sharpness_before"]
    assert 0.6 < L["low.lr"] * L["low.sharpness_after"] / 2 < 1


def test_a_quarter_of_critical_lr_is_almost_1e_4_and_trains_as_well(L):
    assert L["best_read_off.lr"] == pytest.approx(1e-4, rel=0.05)
    assert L["best_read_off.final_loss"] == pytest.approx(L["low.final_loss"], rel=0.05)


def test_half_survives_with_a_higher_loss_and_0_9_diverges(L):
    text = L.text()
    assert "0.5 x critical_lr" in text and "0.9 x critical_lr" in text
    assert L["near.trains"] is False and math.isnan(L["near.final_loss"])
    half = [line for line in text.splitlines() if line.strip().startswith("0.5 x critical_lr")][0]
    assert "final loss" in half                        # survived, with a loss well above the 0.25 run's
    assert float(half.split("final loss ")[1].split(",")[0]) > 2 * L["best_read_off.final_loss"]


def test_full_batch_diverges_with_the_minibatch_run_and_both_sharpen_past_2_over_lr_first(L):
    assert L["same_fate"] is True
    assert abs(L["mb_diverged_at"] - L["fb_diverged_at"]) <= 1
    assert max(L["mb_above"], L["fb_above"]) < min(L["mb_diverged_at"], L["fb_diverged_at"])
    # "after two steps of either kind the sharpness is many times λ0"
    assert L["sgd.sharpness"][2] > 5 * L["lam0"] and L["full.sharpness"][2] > 5 * L["lam0"]
    assert "on this seed and rate, a rise of the loss's own sharpness" in L.text()   # one seed, stated as such


def test_standardizing_shrinks_the_sharpness_so_1e_3_trains_to_a_lower_loss_than_1e_4(L):
    assert L["lam0"] / L["lam_z"] > 10
    assert 2 / L["lam_z"] > 1e-3
    assert L["std.trains"] and L["std.final_loss"] < L["low.final_loss"]
    assert 2 / L["std.sharpness_after"] > 1e-3


def test_adam_trains_at_1e_3_and_fails_at_1_and_10_without_overflow(L):
    trains = dict(zip(L["adam_lrs"], L["adam_trains"]))
    assert trains == {1e-3: True, 0.1: True, 1.0: False, 10.0: False}
    assert L["adam_fail_lr"] == 1.0
    assert L["adam_fail_finite"] is True


def test_adam_fails_with_its_preconditioned_sharpness_below_38_over_lr(L):
    for lr, ok, pre in zip(L["adam_lrs"], L["adam_trains"], L["adam_pre"]):
        if not ok:
            assert pre < 38 / lr
    assert L["adam_fail_below_38"] is True


def test_adams_step_grows_with_the_rate_to_a_large_fraction_of_a_weight_where_it_fails(L):
    ratios = dict(zip(L["adam_lrs"], L["adam_step_ratio"]))
    assert ratios[1e-3] < ratios[0.1] < ratios[1.0] < ratios[10.0]
    trains = dict(zip(L["adam_lrs"], L["adam_trains"]))
    assert all(ratios[lr] < 0.1 for lr in ratios if trains[lr])       # "a few per cent or less"
    assert all(ratios[lr] > 0.3 for lr in ratios if not trains[lr])   # "a sizeable fraction"
    assert all(s <= 1.0 for s in L["adam_step_over_lr"])             # "roughly η at most", below η


def test_adam_at_1e_3_ends_at_the_highest_loss_of_the_fixes_that_train_but_adam_at_0_1_ends_lower(L):
    assert L["worst_trained"] == "adam"
    assert "(lr = 0.001, after 64 steps)" in L.text()             # "after its 64 steps"
    assert len(L["below_adam_01"]) <= 1                          # "lower than almost every row"


def test_adams_typical_step_is_about_0_06_lr_at_0_1_1_and_10(L):
    steps = dict(zip(L["adam_lrs"], L["adam_step_over_lr"]))
    assert all(0.04 < steps[lr] < 0.08 for lr in (0.1, 1.0, 10.0))


def test_the_first_step_at_1e_3_moves_the_weights_by_almost_half_their_norm(L):
    line = [l for l in L.text().splitlines() if l.startswith("lr = 1e-3 ") and "first full-batch step" in l][0]
    share = float(line.split("% of the weights")[0].split()[-1]) / 100
    assert 0.35 < share < 0.6
    assert 1 - 1e-3 * L["lam_min"] > abs(1 - 1e-3 * L["lam0"])   # the quadratic model's factor would be the larger one


def test_the_half_rate_run_ends_above_its_edge_and_stays_finite(L):
    assert L["half_edge_end"] > 1


def test_a_larger_init_lowers_the_critical_rate_and_a_smaller_one_does_not_save_1e_3(L):
    assert L["he_critical"] < 1e-4 and L["normal_critical"] < 1e-5
    assert L["he.trains"] is False
    assert 2 / L["small.sharpness_before"] > 1e-3 and L["small.trains"] is False
    assert math.isnan(L["small.final_loss"])          # diverged
    diverged_at = int(L.text().split("init glorot_uniform x 0.1 (0.001)")[1].split("inf/nan at step ")[1].split()[0])
    assert L["small_crossed"] < diverged_at           # passed 2/lr "within a few steps", then inf


def test_global_clipping_keeps_1e_3_finite_every_step_clipped_and_no_step_above_the_bound(L):
    assert L["clip_finite"] == [True, True]
    assert L["clip_trains"] == [False, True]
    assert L["clip_fraction"] == [1.0, 1.0]
    assert all(m <= 1 + 1e-4 for m in L["clip_max_step"])
    assert L["clip_edge_end"][1] > 3                   # the nominal rate, printed as such
    assert L["clip_eff_start"] < 0.2                   # the rate that ran: a small fraction of 2/λ0 at the start
    assert min(L["clip_eff_end"]) < 1 < max(L["clip_eff_end"])          # near the current 2/sharpness, both sides
    assert 0.3 < min(L["clip_eff_end"]) and max(L["clip_eff_end"]) < 3  # "within a small factor"
    assert L["clip.sharpness_after"] > L["clip.sharpness_before"]       # the sharpness rose


def test_the_summed_loss_has_batch_size_times_the_sharpness_and_diverges_at_1e_4(L):
    assert L["lam_sum"] / L["lam_mean"] == pytest.approx(L["n"], rel=1e-3)
    assert 2 / L["lam_sum"] < 1e-4 and L["ms.trains"]
    assert "summed loss: inf/nan at step" in L.text()


def test_warm_up_only_postpones_the_divergence_after_the_rate_passes_2_over_lambda_0(L):
    assert L["wu.trains"] is False and L["k_wu"] is not None
    assert L["passed"] < L["k_wu"]
    assert L["lam_last"] > L["lam0"]                   # then it rises
    assert 2 / L["lam_low"] < 1e-3                     # the gap never opens wide enough for 1e-3
    assert L["wu_over_max"] > 1                        # above the current 2/sharpness before passing 2/λ0 ...
    assert L["wu_over_step"] < L["passed"] and L["k_wu"] - L["wu_over_step"] >= 3   # ... and finite for several steps


def test_range_test_raw_loss_turns_up_below_2_over_lambda_0_where_lr_meets_the_current_sharpness(L):
    assert L["critical_lr0"] / L["lr_turn"] > 2           # "several times below 2/λ0"
    assert L["lam_turn"] > 1.5 * L["lam0"]                # the sweep sharpened the net
    assert 0.35 < L["lr_turn"] * L["lam_turn"] / 2 < 0.65  # "about one half"
    assert 0 < L["cross"] - L["turn"] <= 5
    after = L["after_cross"]                              # "no longer falls far below 1, at times well above it"
    assert min(after) > 0.4 and sum(v > 1.2 for v in after) >= 2 and after[-1] > 100   # "explodes at the last step"
    assert L["rt.stopped_lr"] > L["critical_lr0"]         # the smoothed curve shoots up only past 2/λ0


def test_fastai_suggestions_sit_below_the_turn(L):
    assert len(L["suggested_rates"]) == 3
    for rate in L["suggested_rates"]:
        assert rate < L["lr_turn"] and rate * L["lam_turn"] / 2 < 1


def test_debugging_tools_report_what_the_text_says(L):
    text = L.text()
    assert 'graph op "Square"' in text
    line = [l for l in text.splitlines() if l.startswith("--> lr = 0.001:")][0]
    assert "loss_growth" not in line and "lr_above_critical" in line   # the growth check never fired
    assert "--> lr = 0.001: first warning at step 0," in text
    assert "--> lr = 0.0001: first warning at step None, first inf/nan at step None, 0 event(s)" in text


def test_the_summary_figure_text_matches_the_table(L):
    for key in ("base", "he", "wu"):
        assert L[f"{key}.trains"] is False and L[f"{key}.lr"] > 2 / L[f"{key}.sharpness_before"]
    for key in ("low", "best_read_off", "std", "ms"):
        assert L[f"{key}.trains"] is True and L[f"{key}.lr"] < 2 / L[f"{key}.sharpness_before"]
    for key in ("near", "small"):                      # inside their bar, and diverged
        assert L[f"{key}.trains"] is False and L[f"{key}.lr"] < 2 / L[f"{key}.sharpness_before"]
    for key in ("ad", "clip"):
        assert L[f"{key}.trains"] is True and L[f"{key}.lr"] > 2 / L[f"{key}.sharpness_before"]
