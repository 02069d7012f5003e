"""Lesson 5's sentences, checked against the values the executed lesson computed and printed.

Each test names the claim it guards; the numbers come from ``lesson("05")`` (one cached
execution shared with tests/test_notebooks.py), never from a second computation.
"""

import math
import re
import numpy as np

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


def test_training_at_1e_4_raises_the_sharpness_to_below_but_not_far_from_2_over_lr_by_the_end(L):
    assert L["low.sharpness_after"] > 2 * L["low.sharpness_before"]
    assert 0.6 < L["low.lr"] * L["low.sharpness_after"] / 2 < 1      # "below 1 but not far from it"


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


def test_full_batch_blows_up_with_the_minibatch_run_under_one_criterion(L):
    # Both runs judged by the full-data loss and full-batch GD's criterion (above 1e6 x its start, or inf/nan).
    assert L["replay_matches"] is True                 # the full-data losses are those of the run in the table
    assert L["sgd_full_loss"][0] == pytest.approx(L["full.losses"][0])   # same initial net, same loss
    for name in ("sgd_full_loss", "full.losses"):
        loss, k = L[name], L["mb_diverged_at" if name == "sgd_full_loss" else "fb_diverged_at"]
        assert not loss[k] < 1e6 * loss[0] and all(v < 1e6 * loss[0] for v in loss[:k])
    assert L["same_fate"] is True and abs(L["mb_diverged_at"] - L["fb_diverged_at"]) <= 1
    assert max(L["mb_above"], L["fb_above"]) < min(L["mb_diverged_at"], L["fb_diverged_at"])
    assert "one seed, one rate: an order in time, not a proof of cause" in L.text()


def test_at_0_9_the_loss_first_rose_in_a_step_taken_below_the_edge_and_the_sharpness_jumped_in_it(L):
    # "the step in which the loss first rose (the second) was taken from weights whose sharpness was below the edge";
    # "that one step raised the loss and raised the sharpness to many times the edge"
    for run, loss in (("sgd", L["sgd_full_loss"]), ("full", L["full.losses"])):
        edge = [s * L["near.lr"] / 2 for s in L[f"{run}.sharpness"]]
        assert loss[1] < loss[0] and loss[2] > loss[1], run
        assert edge[0] < 1 and edge[1] < 1, run
        assert edge[2] > 5, run
    assert L["sgd.sharpness"][2] > 5 * L["lam0"] and L["full.sharpness"][2] > 5 * L["lam0"]


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


def test_adams_printed_step_is_a_median_rms_step_below_lr_and_kingma_and_bas_3_2_is_not_the_largest_step(L):
    """Round 9: Kingma & Ba's 3.16 lr is their sparse case; by Cauchy-Schwarz the largest |m_hat|/sqrt(v_hat) is
    1.81 after 64 bias-corrected steps and 7.27 in a long run (checked here by brute force over step counts)."""
    assert L["adam_bound"] == pytest.approx(3.16, abs=0.01)
    b1, b2 = 0.9, 0.999
    def largest(t):                                    # the Cauchy-Schwarz bound, attained by g_k ∝ (β1/β2)^(t-k)
        j = np.arange(t)
        return (1 - b1) / (1 - b1 ** t) / np.sqrt((1 - b2) / (1 - b2 ** t)) * np.sqrt(np.sum((b1 ** 2 / b2) ** j))
    assert L["adam_bound_64"] == pytest.approx(largest(64), rel=1e-9) == pytest.approx(1.81, abs=0.01)
    assert L["adam_bound_long"] == pytest.approx(largest(100_000), rel=1e-6) == pytest.approx(7.27, abs=0.01)
    assert all(s < 1 < L["adam_bound_64"] < L["adam_bound"] < L["adam_bound_long"] for s in L["adam_step_over_lr"])
    text = L.text()
    assert "in the worst case" not in text and "that is not the largest possible step" not in text
    # r15 D15: Kingma & Ba state 3.2η as an upper bound (when 1-β1 > sqrt(1-β2)); the Cauchy-Schwarz value exceeds it
    assert (1 - b1) > np.sqrt(1 - b2) and L["adam_bound_long"] > L["adam_bound"]
    assert "as an upper bound on the step when $(1-\\beta_1) > \\sqrt{1-\\beta_2}$" in text
    assert "That bound does not hold for every sequence of gradients." in text and "larger than theirs" in text
    assert "divides $v$ by a small number then to give $\\hat v$" in text and "divides $\\hat v$" not in text
    assert f"largest step of one weight, any gradients: {L['adam_bound_64']:.2f} x lr within 64 steps" in text
    # Round 11 (B11): Kingma & Ba's 3.16 is a long-run value; at step 64 their case gives (1-b1)/(1-b1^64)/sqrt((1-b2)/(1-b2^64))
    assert L["adam_bound_kb_64"] == pytest.approx((1 - b1) / (1 - b1 ** 64) / np.sqrt((1 - b2) / (1 - b2 ** 64)), rel=1e-12)
    assert L["adam_bound_kb_64"] == pytest.approx(0.79, abs=0.01) and L["adam_bound_kb_64"] < L["adam_bound_64"]
    assert f"one weight's step in Kingma & Ba's sparse case: {L['adam_bound_kb_64']:.2f} x lr at step 64, {L['adam_bound']:.2f} x lr in a long run" in text
    assert "at most about $3.2" not in text


def test_fix_2b_bounds_the_offset_terms_share_of_the_sharpness_by_weyl(L):
    """Round 9: only the errors change when the target is centred, so H_raw - H_centred is the term the target's
    mean multiplies; by Weyl its top eigenvalue is at least λ₀ raw - λ₀ centred."""
    share = (L["lam0"] - L["lam_c"]) / L["lam0"]
    assert share > 0.8
    # Round 11 (A6, B10): Weyl gives a bound on the difference's top eigenvalue, not a share; stated in one line
    assert f"at least {L['lam0']:.4g} - {L['lam_c']:.4g} = {L['lam0'] - L['lam_c']:.4g} (a bound on that term, not a share of λ₀)" in L.text()
    md = markdown_text(L)
    assert "$\\lambda_{\\max}(A) \\le \\lambda_{\\max}(B) + \\lambda_{\\max}(A-B)$" in md
    assert "made most of the initial sharpness" not in md and "finds that most of it goes with the target's offset" not in md
    assert "% of the raw λ₀" not in L.text()
    assert L["lam0"] / L["lam_z"] > 3 and L["lam0"] / L["lam_c"] > 3        # "several-fold", both fixes
    assert "not only the raw inputs, made 1e-3 too large" not in L.text()
    assert "products of two inputs" not in L.text()
    assert "median RMS step" in L.text() and "x the RMS initial weight" in L.text()
    assert "a typical weight" not in L.text()


def test_where_adam_fails_the_loss_rises_by_orders_of_magnitude_and_stays_finite(L):
    rise = dict(zip([lr for lr, ok in zip(L["adam_lrs"], L["adam_trains"]) if not ok], L["adam_rise"]))
    assert rise[10.0] > 1e6 and all(v > 10 for v in rise.values())   # "at η = 10 by many orders of magnitude"
    assert L["adam_fail_finite"] is True
    assert "wanders off" not in L.text()


def test_adams_step_grows_with_the_rate_to_a_large_fraction_of_a_weight_where_it_fails(L):
    ratios = dict(zip(L["adam_lrs"], L["adam_step_ratio"]))
    assert ratios[1e-3] < ratios[0.1] < ratios[1.0] < ratios[10.0]
    trains = dict(zip(L["adam_lrs"], L["adam_trains"]))
    assert all(ratios[lr] < 0.1 for lr in ratios if trains[lr])       # "a few per cent or less"
    assert all(ratios[lr] > 0.3 for lr in ratios if not trains[lr])   # "comparable to or larger than"
    assert all(s <= 1.0 for s in L["adam_step_over_lr"])             # "roughly η at most", below η


def test_adam_at_1e_3_ends_at_the_highest_loss_of_the_fixes_that_train_but_adam_at_0_1_ends_lower(L):
    assert L["worst_trained"] == "adam"
    assert "(lr = 0.001, after 64 steps)" in L.text()             # "after its 64 steps"
    assert sorted(L["below_adam_01"]) == ["centre_target", "standardize"]   # only these two fixes end lower
    # "Adam at 0.1 ended lower than all but two of the rows that trained"
    printed = re.search(r"lower than (\d+) of the (\d+) table rows that trained", L.text())
    assert int(printed.group(1)) == L["above_adam_01"] and int(printed.group(2)) - int(printed.group(1)) == 2
    assert "Adam at 0.1 ended lower than all but two of the rows that trained" in markdown_text(L)


def test_adams_typical_step_is_about_0_06_lr_at_0_1_1_and_10(L):
    steps = dict(zip(L["adam_lrs"], L["adam_step_over_lr"]))
    assert all(0.04 < steps[lr] < 0.08 for lr in (0.1, 1.0, 10.0))


def test_the_first_step_at_1e_3_moves_the_weights_by_almost_half_their_norm(L):
    line = [l for l in L.text().splitlines() if l.startswith("lr = 1e-3 ") and "a step along the full-data gradient" in l][0]
    share = float(line.split("% of the weights")[0].split()[-1]) / 100
    assert 0.35 < share < 0.6
    assert 1 - 1e-3 * L["lam_min"] > abs(1 - 1e-3 * L["lam0"])   # the quadratic model's factor would be the larger one
    low = [l for l in L.text().splitlines() if l.startswith("lr = 1e-4 ") and "a step along the full-data gradient" in l][0]
    assert float(low.split("% of the weights")[0].split()[-1]) < 10     # "a few per cent"
    assert 1 - 1e-4 * L["lam_min"] > 1                                   # "already above 1"


def test_the_quadratic_models_growth_along_lambda_min_is_absurd_at_1e_4_and_the_run_trains(L):
    assert L["neg_growth"] == pytest.approx((1 - 1e-4 * L["lam_min"]) ** 64, rel=1e-6)   # the run's 64 steps
    assert L["neg_growth"] > 1e6 and L["low.trains"]
    assert "the full-data loss fell and stayed finite" in L.text()
    text = markdown_text(L)   # the contradiction: the model's own loss along that direction would go far below zero
    assert "falls far below zero, a value no squared error can take" in text and "absurd growth" not in text


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


def test_warm_up_fails_once_the_rate_stays_above_the_current_2_over_sharpness(L):
    assert L["wu.trains"] is False and L["k_wu"] is not None and L["passed"] < L["k_wu"]
    assert L["lam_low"] < L["lam0"] < L["lam_last"]    # the sharpness swung: down to its lowest, and above λ0
    steps, over = L["wu_s"], L["wu_over"]
    above = [int(s) for s, v in zip(steps, over) if v > 1]
    assert above == L["wu_above"] and len(above) >= 2  # the rate crossed the current 2/sharpness more than once
    early = [s for s in above if s < L["wu_from"]]
    assert early and L["k_wu"] - early[0] >= 5         # the early crossings passed; the loss stayed finite for many steps
    late = [v for s, v in zip(steps, over) if s >= L["wu_from"]]
    assert all(v > 1 for v in late) and late == sorted(late)   # above at every measurement after, by a growing factor
    assert L["wu_from"] < L["k_wu"]


def test_range_test_raw_loss_turns_up_below_2_over_lambda_0_where_lr_meets_the_current_sharpness(L):
    assert L["critical_lr0"] / L["lr_turn"] > 2           # "several times below 2/λ0"
    assert L["lam_turn"] > 2.5 * L["lam0"]                # the sweep raised λ_max(t) "to several times λ0"
    assert 0.8 < L["lr_turn"] * L["lam_turn"] / 2 < 1     # "already close to 1"
    assert 0 < L["cross"] - L["turn"] <= 5                # "it passes 1 within a few steps"
    # Round 11 (A4): measured every 2 steps, so the crossing lies between two measurements, not "at step 51"
    before_step, before_value = L["cross_before"]
    assert L["cross"] - before_step == 2 and before_value <= 1 < L["after_cross"][0]
    assert "it passed 1 between these two measurements" in L.text() and "first exceeds 1 at step" not in L.text()
    after = L["after_cross"]                              # "it then stays above 1 at every measured step ... until
    assert all(v > 1 for v in after) and after[-1] > 10 * max(after[:-1])   # the sharpness explodes at the last step"
    assert 1 < L["rt.stopped_lr"] / L["critical_lr0"] < 1.3   # shoots up only past 2/λ0, "stopped soon after passing it"


def test_the_range_test_runs_on_the_lessons_loop_with_the_lessons_minibatches(L):
    # "so it takes the lesson's minibatches in the lesson's order (seed 0)": the same first minibatch as the baseline
    assert L["rt.losses"][0] == pytest.approx(L["base_first"][0], rel=1e-6)
    assert L["rt.lrs"][0] == pytest.approx(1e-7) and len(L["rt.losses"]) == len(L["rt.lrs"])
    assert "The sweep runs on the course's training loop (`helpers.net.training.train`)" in markdown_text(L)


def test_the_range_tests_reading_moves_with_the_minibatch_order(L):
    below, ratios, stops = L["order_below"], L["order_ratios"], L["order_stops"]
    assert len(ratios) == len(stops) == len(below) == 5 and L["order_turns"][0] == L["turn"]
    assert ratios[0] == pytest.approx(L["lr_turn"] * L["lam_turn"] / 2)       # seed 0 is the sweep above
    assert all(b > 2 for b in below)                                          # "several times below 2/λ0" on every order
    assert 0.4 < min(ratios) < 0.65 and max(ratios) > 1.2                     # "from about one half to above 1"
    assert all(0.4 < r < 2 for r in ratios) and min(ratios) < ratios[0] < max(ratios)   # "near the current one, on either side"
    assert 1 < min(stops) < 1.3 and max(stops) > 3                            # "from just past 2/λ0 to several times it"
    text = markdown_text(L)
    assert "ranges from about one half to above 1" in text and "Seed 0's reading, close to 1, is one draw among these" in text
    assert "ranged from about one half to above 1 over five minibatch orders" in text
    assert "is about one half" not in text and "about twice $2/\\lambda_0$" not in text


def test_fastai_suggestions_sit_below_the_turn(L):
    assert len(L["suggested_rates"]) == 3
    for rate in L["suggested_rates"]:
        assert rate < L["lr_turn"] and rate * L["lam_turn"] / 2 < 1
    # Round 11 (A5): computed on every order's own sweep, "sit below it on all five"
    assert len(L["order_suggest_below"]) == 5 and all(L["order_suggest_below"])
    assert "all below that order's lowest raw loss: on 5 of the 5 orders" in L.text()
    assert "fastai's suggestions, computed on each order's sweep, sit below it on all five (printed)" in markdown_text(L)


def test_debugging_tools_report_what_the_text_says(L):
    text = L.text()
    assert 'graph op "Square"' in text
    line = [l for l in text.splitlines() if l.startswith("--> lr = 0.001:")][0]
    assert "loss growth" not in line and "'lr above critical rate', 'non-finite loss'" in line   # the growth check never fired
    first_bad = int(line.split("first inf/nan at step ")[1].split(",")[0])
    assert f"2 event(s) in {first_bad + 1} steps" in line and first_bad <= 10   # "it stops the run at its first inf a few steps later"
    assert len(L["x"]) == 1024                                                 # the probe set: "all 1,024 training rows"
    assert "DivergenceMonitor: step 0: lr = 0.001 > critical rate " in text and "stable rate" not in text
    assert "--> lr = 0.001: first warning at step 0," in text
    assert "--> lr = 0.0001: first warning at step None, first inf/nan at step None, 0 event(s)" in text


def test_the_table_has_one_row_per_distinct_run_and_the_warm_up_dot_is_the_rate_it_reached(L):
    # Fix 6's mean-loss run is Fix 1's run: the same numbers, so no row of its own.
    assert L["ms.final_loss"] == L["low.final_loss"] and L["ms.sharpness_after"] == L["low.sharpness_after"]
    assert "mean_not_sum" not in L["order"] and len(L["order"]) == len(set(L["order"]))
    assert "among the 6 fixes that train" in L.text()
    reached = L["reached"][L["order"].index("warmup")]
    assert reached == pytest.approx(float(L.text().split(f"the last update that ran, step {L['k_wu'] - 1}, used ")[1].split()[0]), rel=1e-2)
    assert 2 / L["wu.sharpness_before"] < reached < L["wu.lr"]      # outside its bar, below 1e-3


def test_trains_means_finite_and_at_least_halved_as_defined_in_the_overview(L):
    assert "at most half the one at the start" in L.nb.cells[0].source
    lines = re.findall(r"(trains|does not train) \(loss ([\d.e+-]+) -> ([\d.e+-]+)\)", L.text())
    assert len(lines) == 2                                            # the two clipping runs
    for verdict, start, end in lines:
        assert (verdict == "trains") == (float(end) <= float(start) / 2)
    assert L["half_edge_end"] > 1 and "0.5 x critical_lr" in L.text()   # 0.5x: finite, 1e4 -> 1.21e3, trains


def test_the_summary_figure_text_matches_the_table(L):
    for key in ("base", "he", "wu"):
        assert L[f"{key}.trains"] is False and L[f"{key}.lr"] > 2 / L[f"{key}.sharpness_before"]
    for key in ("low", "best_read_off", "std", "ctr", "ms"):
        assert L[f"{key}.trains"] is True and L[f"{key}.lr"] < 2 / L[f"{key}.sharpness_before"]
    for key in ("near", "small"):                      # inside their bar, and diverged
        assert L[f"{key}.trains"] is False and L[f"{key}.lr"] < 2 / L[f"{key}.sharpness_before"]
    for key in ("ad", "clip", "he_1e_4"):             # outside their bar, and trained
        assert L[f"{key}.trains"] is True and L[f"{key}.lr"] > 2 / L[f"{key}.sharpness_before"]


def test_the_monitor_also_warns_on_runs_below_the_starting_edge_that_stay_finite(L):
    # "0.9 x critical_lr did not reach inf within its 64 steps" under model.fit's order; "warned on it at a later
    # check, and on the 0.5 x run too (both kinds of warning), and both runs stayed finite"
    lines = {line.split(":")[0]: line for line in L.text().splitlines() if line.startswith("--> lr = ")}
    near = lines.pop(f"--> lr = {L['near.lr']:.3g}")
    (half,) = [line for key, line in lines.items() if key not in ("--> lr = 0.001", "--> lr = 0.0001")]
    assert float(half.split(":")[0].split()[-1]) == pytest.approx(0.5 * L["critical_lr0"], rel=0.01)
    assert "first inf/nan at step None" in near and "in 64 steps" in near
    assert "first warning at step None" not in near and "first warning at step 0," not in near
    assert "first inf/nan at step None" in half and "first warning at step None" not in half
    for line in (near, half):                        # "both times because the rate was above critical_lr at a check"
        assert line.endswith("of kinds ['lr above critical rate']")
    # "prints the first of each kind as one line ... and, when there were more, one line at the end counting each kind"
    printed = [l for l in L.text().splitlines() if l.startswith("DivergenceMonitor: ")]
    counts = [l for l in printed if " x" in l and "(first at step " in l]
    assert len(counts) == 2 and all(l.startswith("DivergenceMonitor: lr above critical rate x") for l in counts)
    assert sum("> critical rate" in l for l in printed) == 3 and sum("loss is inf" in l for l in printed) == 1
    assert "first inf/nan at step None" not in lines["--> lr = 0.001"]


def test_the_overview_calls_the_net_a_stand_in_and_says_which_remedies_are_the_threads(L):
    overview = L.nb.cells[0].source
    assert "stand-in" in overview and "rebuilt the thread's network" not in overview
    assert "Every fix from the thread" not in overview
    for remedy in ("standardizing the features", "gradient clipping", "`reduce_mean`", "warm-up", "range test"):
        assert remedy in overview.split("the thread does not mention")[1], remedy


def test_terms_and_citations_are_stated_precisely(L):
    text = "\n".join(c.source for c in L.nb.cells if c.cell_type == "markdown")
    # a large λ_max is not ill-conditioning; the condition number is a ratio of |λ|s (Goodfellow et al. §4.3.1)
    assert "conditioning made visible" not in text and "the ratio of the largest to the smallest $|\\lambda|$" in text
    assert "linearly, in Smith's paper" in text and "fastai's `lr_find` sweeps exponentially" in text
    assert "Gilmer et al. 2021" not in text and "Gilmer et al. 2022" in text and "ICLR 2022" in text
    for term in ("**Hessian-vector product**", "are a layer's numbers of inputs and outputs", "r_i\\,\\nabla^2 f_i"):
        assert term in text, term                                   # defined where first used
    assert "Kingma & Ba (2015, §2.1)" in text and "the root-mean-square (RMS) change of one weight" in text


# ------------------------------------------------------------------ round 4 (a fresh review of the round-3 lesson)

def markdown_text(L):
    return "\n".join(c.source for c in L.nb.cells if c.cell_type == "markdown")


def test_trains_is_not_attributed_to_lesson_4_and_every_final_loss_is_above_the_mean_predictor(L):
    # Overview: "'Trains' says only that the loss stays finite and falls ... no run here gets below it within its 64 steps"
    overview = L.nb.cells[0].source
    assert "lesson 4's criterion" not in overview
    assert "only one run here gets below it within its 64 steps (Fix 2b, the centred target)" in overview
    assert L["mean_predictor_loss"] == pytest.approx(127, rel=0.05)          # lesson 4's yardstick, recomputed here
    assert "always predicting the mean target: loss" in L.text()
    finals = {k: v for k, v in L.ns.items() if k.endswith(".final_loss") and isinstance(v, float) and math.isfinite(v)}
    assert {"low.final_loss", "std.final_loss", "ad.final_loss", "clip.final_loss", "he_1e_4.final_loss"} <= set(finals)
    below = {k for k, v in finals.items() if v < L["mean_predictor_loss"]}
    assert below == {"ctr.final_loss"}, finals                                  # only the centred target
    assert all(v > L["mean_predictor_loss"] for v in L["adam_final"])
    assert "÷ mean predictor" in L.text()


def test_no_sentence_says_negative_curvature_cannot_overflow_the_loss(L):
    text = markdown_text(L)
    for phrase in ("never overflow", "cannot overflow", "bounded below requires", "growth cannot overflow"):
        assert phrase not in text, phrase
    assert "the model does not say (it may rise)" in text


def test_at_0_9_the_step_that_raised_the_loss_was_one_the_quadratic_model_predicted_a_fall_for(L):
    # "### What happens at 0.9 x critical_lr": the model at the weights of the second step predicts a fall,
    # larger than the loss itself; the loss rose; the step was a sizeable fraction of the weights' norm.
    text = markdown_text(L)
    assert "### What happens at 0.9 × `critical_lr`: a measurement" in text and "Why 0.9" not in text
    assert L["full.sharpness"][1] * L["near.lr"] / 2 < 1
    assert L["predicted_change"] < 0 and -L["predicted_change"] > L["gc1.loss"]
    assert L["gc1.loss"] == pytest.approx(L["full.losses"][1], rel=1e-3)         # the same weights as the run
    assert L["actual_change"] > 0 and L["actual_change"] == pytest.approx(L["full.losses"][2] - L["full.losses"][1])
    assert 0.1 < L["second_step_share"] < 0.5                                   # "a sizeable fraction"
    assert "the quadratic model failed over that step" in text


def test_the_verdict_follows_the_printed_measurements(L):
    assert L["apart"] <= 1 and L["order_ok"] is True and L["same_fate"] is True
    text = L.text()
    assert "within one step of each other" in text and "before the blow-up in both runs" in text


def test_the_summary_paragraph_says_unclipped_and_draws_the_rates_clipping_ran(L):
    text = markdown_text(L)
    assert "Count the unclipped plain-SGD rows both ways" in text
    assert "Every plain-SGD run whose dot" not in text and "Every unclipped plain-SGD run whose dot" not in text
    assert L["clip.trains"] and L["clip.lr"] > 2 / L["clip.sharpness_before"]   # the exception the sentence names
    titles = [o["metadata"]["image/png"]["alt"] for c in L.nb.cells for o in c.get("outputs", []) if "image/png" in o.get("metadata", {})]
    assert any("clipping: nominal" in t and "warm-up: the rate of its last update" in t for t in titles)
    assert any("minibatch loss per step" in t for t in titles)                  # the Adam figure says what it plots


def test_adams_claims_are_narrowed_to_the_four_rates_and_the_end_measurement_is_qualified(L):
    text = markdown_text(L)
    assert "On these four rates" in text and "exactly those where" not in text
    growth = dict(zip(L["adam_lrs"], L["adam_grad_growth"]))
    assert all(growth[r] > 100 for r, ok in zip(L["adam_lrs"], L["adam_trains"]) if not ok)   # "orders of magnitude"
    assert "Whether these runs went past $38/\\eta$ on the way is not measured" in text
    for term in ("**median RMS step per weight**", "**RMS initial weight**", "$\\beta_2$", "$\\delta$ (Keras's `epsilon`"):
        assert term in text, term


def test_he_init_trains_at_1e_4_just_above_its_threshold_and_n01_diverges(L):
    assert 1 < 1e-4 / L["he_critical"] < 1.1                                    # "a few per cent above"
    assert L["he_1e_4.trains"] is True and L["he_1e_4.lr"] == 1e-4
    assert L["normal_1e_4.trains"] is False and math.isnan(L["normal_1e_4.final_loss"])
    text = markdown_text(L)
    assert "not run here" not in text and "the rule is not decisive" in text


def test_clipping_text_matches_what_ran(L):
    text = markdown_text(L)
    assert "seatbelt" not in text and "did not let SGD run far above" not in text
    assert L["clip.final_loss"] == pytest.approx(L["low.final_loss"], rel=0.1)   # "to about the loss ... 1e-4 reaches"
    assert 0.3 < min(L["clip_eff_end"]) < 1 < max(L["clip_eff_end"]) < 2.5     # "from about one half to about two"


def test_the_range_test_is_a_reimplementation_and_prints_its_settings(L):
    text = L.text()
    assert "reimplementation" in markdown_text(L) and "used here" not in markdown_text(L)
    assert "settings: start_lr = 1e-07, end_lr = 0.1, num_steps = 100, batch_size = 32, beta = 0.98, stop_factor = 4" in text


def test_the_thread_offers_three_remedies_not_four(L):
    overview = L.nb.cells[0].source
    assert "four remedies" not in overview and "three remedies, one of them only a question" in overview


def test_one_name_for_the_ratio_and_one_for_the_threshold(L):
    overview = L.nb.cells[0].source
    assert "**lr / (2/sharpness)**" in overview and "**`critical_lr`**" in overview
    text = L.text()
    for old in ("the rate's edge", "sharpness ÷ (2/lr)", "rate ÷ current 2/sharpness", "lr·sharpness/2", "x 2/sharpness",
                "at the turn", "2/sharp.", "0.25 x 2/sharpness", "we call $2/\\eta$ the **edge**"):
        assert old not in text, old
    assert "stable rate" not in text and "critical rate" in text                # the monitor's word is the lesson's
    assert "**edge of stability**" in markdown_text(L)


def test_sections_predict_first_only_where_the_sharpness_makes_a_prediction(L):
    assert "Each section predicts from the sharpness first" not in L.nb.cells[0].source


def test_the_table_shows_the_rate_reached_no_wall_clock_and_adams_sharpness_is_its_own(L):
    text = L.text()
    assert "wall-clock" not in text and "''s" not in text
    header = [l for l in text.splitlines() if l.startswith("run ") and "final loss" in l][0]
    assert header.split()[-1] == "end" and " s" not in header.split("sharpness at end")[1]
    warm = [l for l in text.splitlines() if "(last update)" in l and l.startswith("warm-up")][0]
    assert float(warm.split("(last update)")[1].split()[0]) == pytest.approx(L["reached"][L["order"].index("warmup")], rel=0.02)
    assert "two different runs, close values" not in text                       # the orphan print is gone


# ------------------------------------------------------------------ round 5 (a fresh review of the round-4 lesson)

def test_the_summary_counts_plain_sgd_runs_both_ways_with_he_at_1e_4_in_the_table(L):
    # "Count the unclipped plain-SGD rows both ways": outside the bar, well above it failed, He at 1e-4 (a few
    # per cent outside) trained; inside, most trained and two diverged. Table, figure title and prose agree.
    assert "init he_normal (0.0001)" in L["names"]
    assert len(L["out_failed"]) == 3 and min(L["out_failed"]) > 1.3          # "well above it"
    assert len(L["out_trained"]) == 1 and 1 < L["out_trained"][0] < 1.1      # "only a few per cent outside"
    assert len(L["in_trained"]) == 4 and len(L["in_failed"]) == 2            # "most runs trained ... two did not"
    assert L["small.lr"] * L["small.sharpness_before"] / 2 < 0.5              # "the small init's dot sits well inside its bar"
    ratios = [L[f"{k}.lr"] * L[f"{k}.sharpness_before"] / 2 for k in ("low", "best_read_off", "std", "near")]
    assert all(r < 1 for r in ratios) and L["he_1e_4.lr"] * L["he_1e_4.sharpness_before"] / 2 > 1
    assert L["in_failed"] == ["rate read off: 0.9 x critical_lr", "init glorot_uniform x 0.1 (0.001)"]
    text = markdown_text(L)
    assert ("but He init at 1e-4, its dot only a few per cent outside (a triangle, as is every dot right of its bar but Adam's, "
            "whose hatched bar is plain SGD's threshold, not its own), trained") in text
    assert "the one just above it (He init at 1e-4, 1.02 ×) trained" in text    # What we learned
    assert "with its rate above the starting `critical_lr` failed" not in text and "the last two rows" not in text
    titles = [o["metadata"]["image/png"]["alt"] for c in L.nb.cells for o in c.get("outputs", []) if "image/png" in o.get("metadata", {})]
    assert any(f"plain SGD: {len(L['in_failed'])} runs inside their bar diverged (0.9 x: in the course's loop), {len(L['out_trained'])} outside it trained" in t
               for t in titles)
    assert "unclipped plain SGD, dot outside its bar: 3 failed" in L.text()


def test_adams_failing_runs_blow_up_early_then_fall_back_by_orders_of_magnitude_ending_above_the_start(L):
    assert len(L["adam_peak_step"]) == 2
    assert all(k <= 5 for k in L["adam_peak_step"])                          # "within the first few steps"
    assert all(p > 100 for p in L["adam_peak_rise"])                         # "a peak orders of magnitude above its start"
    assert all(p / e > 100 for p, e in zip(L["adam_peak_rise"], L["adam_last_rise"]))  # "falls back by orders of magnitude"
    assert all(e > 1 for e in L["adam_last_rise"])                           # "not to where it started"
    last = dict(zip([lr for lr, ok in zip(L["adam_lrs"], L["adam_trains"]) if not ok], L["adam_last_rise"]))
    assert last[10.0] > 100                                                  # "at η = 10 by orders of magnitude"
    text = markdown_text(L)
    assert "an early blow-up that stays finite, then a fall that ends far above the start" in text
    # Round 11 (A3, A8): a robust measure of where the runs ended, not the last minibatch's dip; no general claim
    assert all(t > 10 for t in L["adam_tail_rise"]) and all(v > 10 for v in L["adam_rise"])    # "far above the start"
    assert all(t > e for t, e in zip(L["adam_tail_rise"], L["adam_last_rise"]))               # the last loss dips below
    assert "Every optimizer has a rate past which it fails" not in text
    assert "a loss that rises by orders of magnitude without reaching" not in text
    assert "rises by orders of magnitude while staying finite" not in text


def test_adams_step_is_the_rate_rescaled_above_1e_3_and_the_text_says_so(L):
    steps = dict(zip(L["adam_lrs"], L["adam_step_over_lr"]))
    assert steps[1e-3] > 0.8                                                 # "close to η at 1e-3"
    big = [steps[lr] for lr in (0.1, 1.0, 10.0)]
    assert max(big) / min(big) < 1.3                                         # "one and the same small fraction of η"
    text = markdown_text(L)
    assert "what separates the two that fail from the two that train is the size of the steps" not in text
    assert "among Adam's runs it separates nothing the rate does not" in text


def test_the_model_predicts_growth_along_every_direction_above_2_over_eta_not_only_the_sharpest(L):
    text = markdown_text(L)
    assert "only along the sharpest direction" not in text
    assert "every eigendirection whose $\\lambda$ exceeds $2/\\eta$" in text
    assert "how many there are at these weights is not measured here" in text
    assert 1e-3 > L["critical_lr0"]                                          # at 1e-3, λ_max itself is above 2/η


def test_edge_of_stability_claims_are_what_was_printed(L):
    text = markdown_text(L)
    assert 1.7 < L["half_edge_end"] < 2.5                                    # "above 1, about 2", one value at the end
    assert "at or just above $2/\\eta$" not in text and "a first sign of the **edge of stability**" not in text
    assert "*full-batch* gradient descent, the **edge of stability**" in text
    # range test: "On this order it then stays above 1 at every measured step (counted in the print)"
    assert L["cross_below"] == 0 and L["cross_above"] == len(L["after_cross"]) - 1
    assert "at or above 1 without the loss exploding" not in text
    assert f"before the last: {L['cross_above']} above 1, {L['cross_below']} at or below" in L.text()


def test_fix_1_and_fix_2_say_what_was_measured_and_what_is_only_expected(L):
    text = markdown_text(L)
    assert "how far one could push" not in text and "tested below, with three rates read off it" in text
    assert "until lr / (2/sharpness) came close to 1" not in text
    assert "measured at the start and at the end only, not in between" in text
    assert "Where it stopped holding is not measured here" not in text and "an argument by contradiction" in text
    assert "the first layer's curvature scales with" not in text
    assert "how much of $\\lambda_{\\max}$ each term carries is not measured here" in text


def test_the_range_test_says_where_the_sharpness_was_measured_and_how_far_it_sweeps(L):
    assert L["turn_measured"] <= L["turn"] < L["turn_measured"] + 2           # measured every 2 steps
    assert f"(step {L['turn']}; measured at step {L['turn_measured']})" in L.text()
    assert "not to fastai's 10" in markdown_text(L) and "end_lr = 0.1," in L.text()


def test_warm_up_text_names_the_marked_step_and_the_0_9_figure_stops_at_its_blow_up(L):
    text = markdown_text(L)
    assert "the dashed line in the figure, drawn for reference" not in text and "the grey vertical line" in text
    assert f"the rate passed 2/λ₀ = {L['critical_lr0']:.2e} at step {L['passed']}" in L.text()
    # Figure 0.9 x: the off-panel note names only steps up to each run's blow-up step (the top panel's end)
    for label, k in (("minibatch SGD", L["mb_diverged_at"]), ("full-batch GD", L["fb_diverged_at"])):
        part = L["off_note"].split(label)[1].split(";")[0] if label in L["off_note"] else ""
        assert all(int(s) <= k for s in re.findall(r"at step (\d+)", part)), (label, L["off_note"])


def test_row_labels_use_one_name_and_fix_6_says_where_its_prediction_comes_from(L):
    text = L.text()
    assert "rate read off: 0.9 x critical_lr" in text and "rate read off: 0.9 x 2/λ₀" not in text
    assert "prediction from the initial weights at lr = 1e-4" in text
    defined = markdown_text(L).index("**median RMS step per weight**")
    assert defined < markdown_text(L).index("What the sweep shows")            # defined before the sweep prints it


# ------------------------------------------------------------------ round 6 (a fresh review of the round-5 lesson)

def test_fix_1_states_the_prediction_before_the_run_that_tests_it(L):
    text = markdown_text(L)
    assert "The sharpness says why" not in text
    # D19 (r12): the value restated instead of "(printed above)", ten cells back
    assert "The sharpness predicts it: at 1e-4, lr / (2/λ₀) is about 0.26, below 1. The run below tests that prediction" in text
    assert round(1e-4 / L["critical_lr0"], 2) == 0.26
    assert 1e-4 < L["critical_lr0"] and L["low.trains"]                       # predicted, then measured
    assert text.index("The sharpness predicts it") > text.index("## The problem, measured again")


def test_each_kind_of_sharpness_is_labelled_where_it_is_used(L):
    overview = L.nb.cells[0].source
    for term in ("**$\\lambda_0$**", "**$\\lambda_{\\max}(t)$**", "**one minibatch's loss**"):
        assert term in overview, term
    text, printed = markdown_text(L), L.text()
    # Fix 6 compares the sharpness of one minibatch's loss (mean vs sum), printed next to λ0 of all the data
    assert "sharpness of its mean loss" in printed and f"(all the data: λ₀ = {L['lam0']:.4g})" in printed
    assert "the sharpness compared here is that of **one minibatch's loss**" in text
    assert L["lam_mean"] != L["lam0"]                                          # two different quantities
    titles = [o["metadata"]["image/png"]["alt"] for c in L.nb.cells for o in c.get("outputs", []) if "image/png" in o.get("metadata", {})]
    assert sum("λ_max(t)" in t for t in titles) >= 3                          # 0.9 x, warm-up and range-test figures
    assert any("critical_lr at its start (bar)" in t for t in titles)         # the summary figure's bars
    assert "full-data sharpness at start" in printed and "full-data sharpness at end" in printed


def test_warm_up_is_measured_after_every_step_and_crosses_in_separate_short_stretches(L):
    # "the rate went above the current critical_lr and back below it, in separate stretches of one or two
    # steps (counted above, measured after every step) ... from the step printed on, above 1 at every step"
    assert L["every_step"] is True and L["wu_s"] == list(range(L["k_wu"]))
    stretches = L["wu_stretches"]
    assert [s for r in stretches for s in r] == L["wu_above"]
    early, last = stretches[:-1], stretches[-1]
    assert len(early) >= 2 and all(1 <= len(r) <= 3 for r in stretches)      # "separate short stretches"
    assert L["wu_stretch_len"] == [len(r) for r in stretches]                 # their lengths, printed
    over = dict(zip(L["wu_s"], L["wu_over"]))
    assert all(over[r[-1] + 1] <= 1 for r in early)                           # back below 1 after each early stretch
    assert last[0] == L["wu_from"] and last[-1] == L["k_wu"] - 1              # above for good until the blow-up
    assert L["lam_last"] == pytest.approx(L["wu.sharpness"][L["wu_from"]])
    text = markdown_text(L)
    assert "in separate short stretches (their steps and lengths printed, measured after every step)" in text
    assert "the stretches above 1 last " + ", ".join(str(len(r)) for r in stretches) + " step(s)" in L.text()
    assert "crossed it twice" not in text and "measured every two steps during the run" not in text
    assert "went above it and back below it in several stretches before it finally diverged" in text
    titles = [o["metadata"]["image/png"]["alt"] for c in L.nb.cells for o in c.get("outputs", []) if "image/png" in o.get("metadata", {})]
    assert any(f"lr > 2/λ_max(t) in {len(stretches)} separate stretches, the last ending in inf" in t for t in titles)   # D20: steps printed, not in the title
    assert "above 1 in " + str(len(stretches)) + " separate stretches: steps " in L.text()


def test_the_summary_figure_writes_each_runs_ratio_so_he_at_1e_4_reads_as_just_outside(L):
    ratio = L["he_1e_4.lr"] * L["he_1e_4.sharpness_before"] / 2
    assert 1 < ratio < 1.1 and f"{ratio:.2f} x" != "1.00 x"                   # the label by the dot tells it apart from 1
    assert "(each row's ratio is written right of the axes)" in markdown_text(L)   # r17 C12: no white box on the bar


def test_the_range_test_ratio_panel_shows_the_swing_and_names_what_leaves_it(L):
    after = L["after_cross"]                                   # above 1 from the crossing on, then the explosion
    assert 0.05 < min(after) and max(after[:-1]) < 20          # all inside the panel's (0.05, 20)
    assert after[-1] > 20 and "above 20 at lr = " in L["rt_note"]
    assert L["rt_note"].startswith("outside the panel: below 0.05 at lr = ")


def test_no_unsourced_popularity_claims_and_lanczos_is_defined(L):
    text = markdown_text(L)
    for phrase in ("classic cause", "A classic", "as many hand-written", "TensorFlow 1 nets"):
        assert phrase not in text, phrase
    assert "the thread does not say how its loss was written" in text
    assert "the **Lanczos iteration** finds the largest (or the most negative) eigenvalue of a symmetric matrix" in text
    assert text.index("**Lanczos iteration**") < text.index("## Fix 1")       # B9 (r12): defined at its first use
    assert "summed loss: inf/nan at step" in L.text() and L["ms.trains"]      # "blows up at a rate that trains the mean"


# ------------------------------------------------------------------ round 7 (a fresh review of the round-6 lesson)

def test_fix_2b_centring_the_target_shrinks_both_ends_of_the_spectrum_and_1e_3_trains_below_the_mean_predictor(L):
    # "Prediction first": λ₀ smaller (|λ_min| far more), critical_lr above 1e-3, so 1e-3 should train
    assert L["lam_c"] < L["lam0"] and abs(L["lam_min_c"]) < abs(L["lam_min"]) / 10
    assert abs(L["lam_min"]) / abs(L["lam_min_c"]) > 2 * L["lam0"] / L["lam_c"]      # "|λ_min| far more than λ_max"
    assert 2 / L["lam_c"] > 1e-3 and "so 1e-3 should train" in L.text()
    assert L["ctr.lr"] == 1e-3 and L["ctr.trains"] is True
    assert L["ctr.sharpness_before"] == pytest.approx(L["lam_c"], rel=1e-3)          # the run starts where the prediction was made
    # "starts at the mean predictor's loss", "many times higher (the ratio printed)" with the raw target, ends below it
    found = re.search(r"centred target at lr = 1e-3: trains, full-data loss ([\d.e+-]+) -> .*raw target: it started at ([\d.e+-]+), (\d+) x higher\)",
                      L.text())
    start, raw_start = float(found.group(1)), float(found.group(2))
    assert start == pytest.approx(L["mean_predictor_loss"], rel=0.05)
    assert abs(int(found.group(3)) - raw_start / start) < 1.5 and int(found.group(3)) > 10    # "many times higher (the ratio printed)"
    assert "about a hundred times higher" not in markdown_text(L)
    assert L["ctr.final_loss"] < L["mean_predictor_loss"]
    assert L["ctr.sharpness_after"] > L["ctr.sharpness_before"]                     # "the sharpness still rose"
    assert L["ctr.lr"] * L["ctr.sharpness_after"] / 2 < 1                           # "ended with the rate below the current critical_lr"
    assert "centre_target" in L["order"] and "centred target" in L["names"]
    text = markdown_text(L)
    assert "## Fix 2b: centre the target" in text and "an output bias started at the mean target did (that is Fix 2b)" in text
    assert "centring the target" in L.nb.cells[0].source.split("the thread does not mention")[1]


def _one_unit(L):
    """Each run's applied minibatch steps ÷ the initial weights' norm, as the lesson computed them."""
    return {name: (np.asarray(steps), ok) for name, steps, ok in L["one_unit"]}


def test_adams_and_sgds_steps_are_compared_in_one_unit_and_split_trains_from_fails(L):
    """Round 11 (A2): both optimizers measured the same way, by the first minibatch step and by the median one.
    "By the first step it fails plainly: Adam at 0.1 trained after a first step of most of the weights' norm ...
    far longer than the first step of plain SGD at 0.9 x, which failed"; "By the median step every run that trained did
    take a shorter step than every run that failed", "at 0.9 x the median is many times the first step"."""
    runs = _one_unit(L)
    assert len(runs) == 8 and sum(n.startswith("plain SGD") for n in runs) == 4       # "these eight runs"
    first = {n: s[0] for n, (s, _) in runs.items()}
    median = {n: float(np.median(s)) for n, (s, _) in runs.items()}
    trained, failed = [n for n, (_, ok) in runs.items() if ok], [n for n, (_, ok) in runs.items() if not ok]
    assert max(first[n] for n in trained) > min(first[n] for n in failed)              # by the first step: no ordering
    assert max(median[n] for n in trained) < min(median[n] for n in failed)            # by the median: ordered
    assert runs["Adam, lr = 0.1"][1] and not runs["plain SGD, lr = 0.9 x critical_lr"][1]
    assert first["Adam, lr = 0.1"] > 0.5 and first["Adam, lr = 0.1"] > 3 * first["plain SGD, lr = 0.9 x critical_lr"]
    assert median["plain SGD, lr = 0.9 x critical_lr"] > 3 * first["plain SGD, lr = 0.9 x critical_lr"]
    text = L.text()
    assert "by the first step: the longest that trained" in text and "they overlap: this length does not split" in text
    assert "by the median step: the longest that trained" in text
    assert "every run that trained took a shorter step than every run that failed" in text
    for stat in (first, median):                                                         # "tens of times shorter" at 1e-3
        assert 10 <= stat["plain SGD, lr = 1e-3"] / stat["Adam, lr = 0.001"] < 100
    assert f"{first['plain SGD, lr = 1e-3'] / first['Adam, lr = 0.001']:.0f} x shorter than plain SGD's by the first step" in text
    # "with bias correction, Adam's first step moves each weight by about η": its first RMS step ÷ lr, printed
    line = next(l for l in text.splitlines() if l.startswith("Adam's first RMS step ÷ lr: "))
    assert all(abs(float(v) - 1) < 0.05 for v in re.findall(r"([0-9.]+) at lr", line))
    for name, (steps, ok) in runs.items():                                              # each printed line is the run's
        assert f"{name:34} minibatch step ÷ the initial weights' norm: first {steps[0]:8.2%}, median {np.median(steps):7.2%}   " \
               f"{'trains' if ok else 'FAILS'}" in text
    shares = dict(zip(L["adam_lrs"], L["adam_step_ratio"]))                              # the sweep's RMS ratio is the median
    assert median["Adam, lr = 0.001"] == pytest.approx(shares[1e-3], rel=1e-4)
    md = markdown_text(L)
    assert "By the first step it fails plainly" in md and "so that ordering is partly the failure itself" in md
    assert "Why Adam trains at 1e-3, these eight runs do not show." not in md
    assert "The step's length does not sort all eight runs." not in md      # r17 A3: the median step does sort them
    assert ("So by the first step the step's length does not sort the eight runs, and by the median step it does, "
            "but that ordering may be caused by the failures themselves.") in md
    assert "Sorted by that length, every run that trained" not in md and "about as far as SGD at 1e-4" not in md


def test_fix_1_prints_g_u_and_the_models_loss_far_below_zero_and_says_the_model_is_full_batch(L):
    assert L["lam_min_u"] == pytest.approx(L["lam_min"], rel=1e-2) and L["g_u"] > 0
    assert L["g_u_end"] == pytest.approx(L["g_u"] * L["neg_growth"], rel=1e-9)
    assert L["model_loss_end"] < -1e6                                    # "falls far below zero"
    assert f"g_u = {L['g_u']:.3g}" in L.text() and f"{L['model_loss_end']:.2e}" in L.text()
    assert "That compounding is what full-batch gradient descent on the model would do" in markdown_text(L)


def test_fix_4_states_the_rules_prediction_for_the_small_init_before_its_miss(L):
    line = [l for l in L.text().splitlines() if l.startswith("init glorot_uniform x 0.1 (0.001):")][0]
    assert line.index("the rule predicts: trains") < line.index("the run: inf/nan at step")
    assert L["small.lr"] < 2 / L["small.sharpness_before"] and L["small.trains"] is False
    he_line = [l for l in L.text().splitlines() if l.startswith("init he_normal (0.001):")][0]
    assert "the rule predicts: diverges" in he_line and "inf/nan" in he_line
    text = markdown_text(L)
    assert 0.2 < L["small.lr"] * L["small.sharpness_before"] / 2 < 0.3          # "about a quarter of the starting critical_lr"
    near_ratio, he_ratio = L["near.lr"] * L["near.sharpness_before"] / 2, L["he_1e_4.lr"] * L["he_1e_4.sharpness_before"] / 2
    assert 0.85 < near_ratio < 1 < he_ratio < 1.1                                 # the other misses "sat near their bar"
    assert "this is the rule's clearest miss in the lesson" in text and "one clean miss" not in text
    assert text.index("Each line below states the rule's prediction first") < text.index("this is the rule's clearest miss")


def test_minor_round_7_wording_rests_on_what_was_measured(L):
    text, printed = markdown_text(L), L.text()
    over = dict(zip(L["wu_s"], L["wu_over"]))
    assert max(v for s, v in over.items() if s < L["wu_from"]) > 3       # "some by a factor of several", survived
    assert "On one seed, neither marker is shown to drive the blow-up, as for the 0.9 × and small-init runs" in text
    assert "in full-batch gradient descent, where it was measured, the loss first rose" in text
    assert "`clipvalue=v`" in text and "Keras offers three kinds" in text
    assert "# the helper's argument clipnorm=c sets Keras's global_clipnorm=c" in "\n".join(c.source for c in L.nb.cells)
    assert "stops once its estimate's *relative residual* is below `tol`" in text
    assert text.index("**Hessian-vector product**") < text.index("relative residual* is below `tol`") < text.index("## Fix 1")
    assert "at step t (λ_max(t) after t steps; t = 0: before any step)" in printed
    assert "the two He-init rows and the tenfold smaller Glorot row start from other weights" in text
    assert "not at each suggested rate's own step)" in text
    assert L["weights_finite"] is False and "no longer all finite: already ruined" in printed
    assert "the weights are already ruined\n" not in printed
    assert "stable rate" not in L.nb.cells[0].source            # the monitor's messages say "critical rate" now
    titles = [o["metadata"]["image/png"]["alt"] for c in L.nb.cells for o in c.get("outputs", []) if "image/png" in o.get("metadata", {})]
    # D20 (r12): the numbers left the Adam figure's title for the printed lines
    assert any(t.startswith("Figure: Adam from the same initial net") and "median of the last 20" not in t for t in titles)
    assert f"median of the last 20: " in printed and f"{L['adam_rise'][0]:.1e} at lr = 1" in printed
    assert not any("at the two largest rates the loss ends far above its start" in t for t in titles)


# ------------------------------------------------------------------ round 8 (a fresh review of the round-7 lesson)

def test_each_fix_heading_sits_over_its_own_cells(L):
    # Fix 2b's prediction and run sit under Fix 2b; "## Fix 3" comes right before the Adam sweep
    cells = L.nb.cells
    fix3 = [i for i, c in enumerate(cells) if c.cell_type == "markdown" and "## Fix 3:" in c.source]
    assert len(fix3) == 1 and cells[fix3[0]].source.startswith("## Fix 3:")
    assert "adam_runs = fixes.adam_sweep(" in cells[fix3[0] + 1].source
    fix2b = [i for i, c in enumerate(cells) if c.cell_type == "markdown" and "## Fix 2b:" in c.source]
    centred = [i for i, c in enumerate(cells) if c.cell_type == "code" and "fixes.centre_target(1e-3)" in c.source]
    assert fix2b[0] < centred[0] < fix3[0]
    assert all("## Fix 3" not in cells[i].source for i in fix2b)


def test_the_first_step_at_1e_3_lowers_the_loss_because_the_rest_of_the_gradient_outweighs_the_sharpest_part(L):
    # "the first step lowers the loss, and the loss hovers for a few steps before it explodes (printed)"
    losses = L["base_first"]                                             # steps 0 .. the last before inf/nan
    assert losses[1] < losses[0] and all(v < losses[0] for v in losses[1:5]) and losses[-1] > 1e6 * losses[0]
    # "the rise along v being smaller than the fall along the rest", the model predicts a fall too
    top, rest, actual = L["check.predicted_top"][0], L["check.predicted_rest"][0], L["check.actual"][0]
    assert 0 < top < -rest and actual < 0
    # Round 11 (A1): "the fall it predicts is larger than the whole loss: its loss after the step is below zero"
    start = L["predicted_after"] - top - rest                              # the full-data loss the model starts from
    assert L["predicted_after"] < 0 < start and f"after that step: {start:.3g} {top + rest:+.3g} = " in L.text()
    assert f"= {L['predicted_after']:.3g} < 0, a value no squared error can take" in L.text()
    md = markdown_text(L)
    assert "so its matching sign is no evidence about the real loss, and this lesson does not explain why the real loss went downhill" in md
    assert "so the step goes downhill" not in md
    assert "over a step that long the model is out of its range, so it does not explain the fall" in md
    assert 0 < L["g_top_share"] < 1                                       # "a part of it (the share printed)"
    assert L["top_factor"] == pytest.approx((1 - 1e-3 * L["lam0"]) ** 2) and L["top_factor"] > 4   # "multiplies ... at every step"
    assert "Lesson 4 (“One step, to second order” and “Along the steps the run took”) measures the real loss" in markdown_text(L)
    assert "the loss along each step) gives the full account" not in markdown_text(L)
    # Round 10 (lesson 4's reviewer): no "that part dominates" within a few steps; r22 A1: nor that the λ_min part wins
    # (it grows faster but starts far smaller, and the model is not iterated here)
    assert ("though it starts far smaller ($g_u$, printed in Fix 1 below); this lesson does not iterate the model to see which "
            "part wins, or when.") in markdown_text(L)
    assert "does not predict the blow-up at all" not in markdown_text(L)
    assert "within a few steps that part dominates" not in markdown_text(L)


def test_warm_up_names_both_markers_and_prefers_neither(L):
    # "the step where the rate passed 2/λ₀ ... is the step of the lowest minibatch loss, and from there the loss rose
    # at every step to the blow-up (printed), including a step taken with lr / (2/λ_max(t)) below 1"
    assert L["wu_low"] == L["passed"]
    assert L["wu_rises"] == list(range(L["wu_low"] + 1, L["k_wu"]))
    assert L["wu_dips"] and all(L["wu_low"] < s < L["k_wu"] and v <= 1 for s, v in L["wu_dips"])
    text = markdown_text(L)
    assert ("Two candidate markers line up with the blow-up: the step where the rate passed $2/\\lambda_0$, and the rate staying "
            "above the *current* `critical_lr` over the last steps. The data do not favour either, and the first is weak.") in text   # r20 B8
    assert "The second marker, the rate above the *current* `critical_lr` at every one of the last steps" in text
    assert L["wu_from"] in L["wu_stretches"][-1] and L["wu_stretches"][-1][-1] == L["k_wu"] - 1     # above 1 up to the blow-up
    assert "What lines up in time with the blow-up is the rate against" not in text
    assert "which came once the rate stayed above the *current* `critical_lr`" not in text


def test_clipping_ratios_are_said_to_use_the_sharpness_at_the_end(L):
    text = markdown_text(L)
    assert "with $\\lambda_{\\max}$ measured once, after the last step, and used for all five" in text
    assert "within about a factor of two of the current `critical_lr`" not in text
    assert "with the sharpness at the end" in L.text()


def test_round_8_minor_wording(L):
    text = markdown_text(L)
    assert "So the range test meets the same threshold as the Hessian" not in text
    assert "because the sweep sharpens the net" not in text
    assert "the sweep went on to about twice" not in text        # it stopped at 1.1 x 2/λ₀ on the lesson's order
    assert "**full-batch gradient descent**, run in places below for comparison, takes every step on the loss of all the data" in text
    assert text.index("**full-batch gradient descent**") < text.index("## Fix 1")           # B9 (r12): before its first use
    assert "full-batch" not in text[:text.index("**full-batch gradient descent**")].lower()   # defined at its first use
    assert "twice the edge" not in text
    assert "$\\tfrac{\\eta^2}{2}\\lVert g\\rVert^2$ times the curvature along the gradient" in text
    assert "§4.2, applied to the Hessian in §4.3.1" in text and "as good as 1e-4" not in text
    assert "Why, the step lengths say" not in text
    assert "this rests on the operation's name" in text and "Square" in L.text()
    assert "initial sharpness, raw target: λ₀ = " in L.text() and "-> centred target: λ₀' = " in L.text()


def test_round_8_summary_and_the_reasons_given(L):
    text = markdown_text(L)
    assert L["check.rest_curvature"] < 0                                     # "the rest ... sees, on average, negative curvature"
    swing = [b / a for a, b in zip(L["wu.sharpness"][:L["k_wu"]], L["wu.sharpness"][1:L["k_wu"]])]
    assert max(max(swing), 1 / min(swing)) > 3                               # warm-up: "swings several-fold from one step to the next"
    assert "the runs with steps of a few per cent of the weights' norm or less trained, the longer ones failed" not in text
    assert "with less than a factor of two between the longest that trained and the shortest that failed" not in text
    assert "Adam at 0.1 ends lower than all but two of the rows that trained." in text and "lower than almost" not in text


def _markdown(L):
    return "\n".join(cell.source for cell in L.nb.cells if cell.cell_type == "markdown")


def test_round_11_the_summary_counts_the_bar_as_the_table_printout_does(L):
    """'the three runs 1.4 times or more above it failed, the one just above it (He init at 1e-4, 1.02 ×) trained,
    and of the six inside it four trained and two diverged (0.9 × and the small init)' (warm-up at its reached rate)."""
    failed, trained = sorted(L["out_failed"]), L["out_trained"]
    assert len(failed) == 3 and failed[0] >= 1.4 and len(trained) == 1 and f"{trained[0]:.2f}" == "1.02"
    assert len(L["in_trained"]) == 4 and len(L["in_failed"]) == 2
    assert any("0.9 x" in name for name in L["in_failed"]) and any("x 0.1" in name for name in L["in_failed"])
    reached_warmup = L["reached"][L["order"].index("warmup")]
    assert reached_warmup / L["critical_lr0"] == pytest.approx(failed[0], rel=0.02)    # warm-up counted as reached
    md = _markdown(L)
    assert ("the three runs 1.4 times or more above it failed (warm-up only after most of its updates had run inside it, printed), "
            "the one just above it (He init at 1e-4, 1.02 ×) trained, and of the six inside it four trained and two diverged") in md
    assert "with the rate well above the starting `critical_lr` failed" not in md


def test_round_11_the_adam_summary_states_an_ordering_not_a_cause(L):
    assert f"{1e-3 / L['critical_lr0']:.1f}" == "2.6"
    assert len(L["one_unit"]) == 8                                        # "these eight runs"
    assert L["adam_fail_finite"] and L["adam_fail_lr"] == 1.0              # fails at 1 and 10 without nan
    md = _markdown(L)
    assert "Adam survives 1e-3" not in md and "Why Adam trains at 1e-3, these eight runs do not show." not in md
    assert "Step length does not sort all eight runs" not in md and "For the 1e-3 run there is a partial answer" in md
    assert "By the first step, step length does not sort the eight runs:" in md
    # Round 11 (A2, A3): the summary bullet says what the same-unit numbers show, and how far above its start it ended
    assert "Adam at 0.1 trained after a longer step than plain SGD at 0.9 × failed with" in md
    assert "a failing run's median counts its own blow-up, so that ordering may be caused by the failures themselves" in md
    assert "but a failing run's median counts its own blow-up" in md and "stayed far above its start" in md


def test_round_11_relative_residual_is_defined_and_is_what_lanczos_stops_on():
    from helpers.eigen import top_eigenpair
    A = np.diag([5.0, 3.0, -1.0, 0.5])
    value, vector, residual = top_eigenpair(lambda v: A @ v, 4, tol=1e-3)
    assert residual <= 1e-3 * abs(value) and abs(value - 5.0) <= residual + 1e-12
    md = _markdown(lesson("05"))
    assert "*relative residual*" in md and "the relative residual is that bound divided by $|\\theta|$" in md


def test_round_11_terminate_on_nan_stops_on_inf_as_well():
    import keras
    callback, net = keras.callbacks.TerminateOnNaN(), keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    callback.set_model(net)
    net.stop_training = False
    callback.on_batch_end(0, {"loss": float("inf")})
    assert net.stop_training
    assert "stops `model.fit` at the first `nan` or `inf` loss" in _markdown(lesson("05"))


# ------------------------------------------------------------------ the eleventh fresh review (r11_05)

def test_r11_the_square_op_is_not_pinned_on_the_prediction_error(L):
    # A7: the training step squares the weights too (layer norms), and train_sgd the full-data errors
    md = markdown_text(L)
    assert "The name does not say which square" in md and "also squares every weight" in md
    assert "in this loss that is the squaring of the prediction error" not in md
    import inspect
    from helpers.net import training
    assert "tf.square(w)" in inspect.getsource(training)                  # the weights' squares the text names


def test_r11_step_numbering_is_stated_once_and_the_figure_title_counts_updates(L):
    # B12: "Steps are numbered from 0 ... 'after t steps' means after t updates"
    assert "Steps are numbered from 0: step $t$ is the $(t+1)$-th update" in L.nb.cells[0].source
    titles = [o["metadata"]["image/png"]["alt"] for c in L.nb.cells for o in c.get("outputs", []) if "image/png" in o.get("metadata", {})]
    ratio_1, ratio_2 = L["full.sharpness"][1] * L["near.lr"] / 2, L["full.sharpness"][2] * L["near.lr"] / 2
    assert any(f"= {ratio_1:.2f} after 1 step (full batch), {ratio_2:.2f} after 2 steps" in t for t in titles)   # r21 D15: 2 decimals
    assert ratio_1 < 1 < ratio_2


def test_r11_warmup_rise_is_called_a_trend_across_minibatches(L):
    # B13: "each minibatch loss was higher than the one before, up to the blow-up"
    losses, low = L["wu_loss"], L["wu_low"]
    assert L["wu_rises"] == list(range(low + 1, L["k_wu"]))
    assert all(b > a for a, b in zip(losses[low:], losses[low + 1:]))
    assert "this is a trend across different data, not one loss measured rising" in markdown_text(L)
    assert "the loss rose at every step to the blow-up" not in markdown_text(L)


def test_r11_the_clipped_rate_passed_the_bar_at_one_step_and_stayed_finite(L):
    # C14: "at one step it went above 2/λ₀ (the step and the rate printed ...), and the loss stayed finite"
    eff = np.asarray(L["clip_eff"])
    assert L["clip_above"] == int(np.sum(eff > L["critical_lr0"])) == 1
    assert L["clip_peak"] == int(np.argmax(eff)) and eff[L["clip_peak"]] > L["critical_lr0"]
    assert L["clip_finite"][1] and L["clip_trains"][1] and L["clip.trains"]    # c = 100: finite, and it trains
    assert f"at step {L['clip_peak']} = {eff[L['clip_peak']] / L['critical_lr0']:.2f} x 2/λ₀; above 2/λ₀ at 1 of its" in L.text()
    assert "at one step it went above $2/\\lambda_0$" in markdown_text(L)
    assert "which reaches past its bar at one step (Fix 5 prints it) with the loss still finite" in markdown_text(L)


def test_r11_range_test_shading_and_exercise_feedback_state_what_was_measured(L):
    # C16: the shading is the quadratic model's prediction; D18: standardized sharpness rose, 2/sharpness stayed above 1e-3
    from helpers import plots
    import inspect
    assert "above 1: the quadratic model predicts growth along the sharpest direction" in inspect.getsource(plots)
    assert "the sharpest direction is unstable" not in inspect.getsource(plots)
    from helpers.exercises import lesson05
    feedback = lesson05.q1.options["a"][1]
    assert "2/sharpness was still above 1e-3 at its end" in feedback and "the sharpness falls until" not in feedback
    assert L["std.sharpness_after"] > L["lam_z"] and 2 / L["std.sharpness_after"] > 1e-3 and 2 / L["lam_z"] > 5e-3
    # D19: no restatement of unprinted full-data losses
    assert "before it had doubled three steps in a row" not in markdown_text(L)


def test_r11_the_adam_heading_quotes_nothing_and_names_the_commenter(L):
    md = markdown_text(L)
    assert "## Fix 3: Adam, a commenter's suggestion" in md and "“try Adam”" not in md
    assert "A comment under the question (D.W.'s) suggests trying the Adam optimizer" in md


def test_r11_the_short_answer_states_the_two_printed_ratios(L):
    # D20: "1e-3 is about 2.6 times the starting critical_lr and 1e-4 about 0.26 times it (printed above)"
    assert f"{1e-3 / L['critical_lr0']:.1f}" == "2.6" and f"{1e-4 / L['critical_lr0']:.2f}" == "0.26"
    assert f"lr = 1e-4: lr / (2/λ₀) = {1e-4 / L['critical_lr0']:.2f}" in L.text()
    md = markdown_text(L)
    assert "1e-3 is about 2.6 times the starting `critical_lr` and 1e-4 about 0.26 times it (printed above)" in md
    # the initialization comment is attributed and paraphrased, not quoted
    assert "## Fix 4: weight initialization, a commenter's question" in md and "(Himanshu Rai's) asks how the weights were initialized" in md
    assert "“how did you initialize your weights?”" not in md


# Round 12 (review r12_05)

def test_fastai_minimum_is_read_where_the_kept_steps_end_not_at_a_minimum_of_the_curve(L):
    # A1: suggestions() drops the first 10 and the last 5 steps; on seed 0 "minimum" is the last step it keeps
    assert L["min_at_edge"] is True
    text = L.text()
    assert "÷ 10: the last step kept, the trimmed edge, where the smoothed loss was still falling" in text
    assert f"the whole smoothed curve is lowest at step {L['smooth_low']}" in text
    printed = int(re.search(r"'minimum' = lr at step (\d+) ", text).group(1))
    assert L["smooth_low"] > printed                            # the curve was still falling where the kept steps end
    assert re.search(rf"fastai reads steps 10 to {printed} of the \d+ \(it drops the first 10 and the last 5\)", text)
    edge = list(L["order_min_edge"])
    assert len(edge) == 5 and edge[0] == L["min_at_edge"] and sum(edge) >= 1
    assert f"not at a minimum of the curve, on {sum(edge)} of the 5 orders" in text
    md = markdown_text(L)
    assert "“minimum” is that cut-off step's rate divided by ten, not a minimum of the curve" in md
    assert "the “minimum” one is read at the last step fastai keeps, the trimmed edge (printed above, and marked in the figure" in md   # r20 B9
    assert "but the “minimum” one comes from the last step fastai keeps on the orders counted there" in md


def test_the_summary_scopes_failing_above_the_bar_to_unclipped_plain_sgd(L):
    # A2 / C14: Adam and clipping trained above their nominal bars, counted in the title
    others = list(L["others_out_trained"])
    assert len(others) == 2 and L["ad.trains"] and L["clip.trains"]
    assert f"not unclipped plain SGD, trained with the rate set outside its bar: {', '.join(others)}" in L.text()
    titles = [o["metadata"]["image/png"]["alt"] for c in L.nb.cells for o in c.get("outputs", []) if "image/png" in o.get("metadata", {})]
    assert any(f"also trained with lr right of the bar: {' and '.join(n.split(' (')[0] for n in others)} "
               "(Adam: the bar is plain SGD's, no threshold for it; clipping: nominal lr)" in t for t in titles)     # r20 C16
    assert [n.split(' (')[0] for n in others] == ["Adam", "gradient clipping"]
    md = markdown_text(L)
    assert "So every unclipped plain-SGD run well above its bar failed (Adam and the clipped run trained above" in md
    assert "So every run well above its bar failed" not in md
    assert "The other unclipped plain-SGD fixes that trained kept `lr` below it" in md
    assert "Adam and clipping trained above their nominal bars" in md


def test_standardizing_cut_lambda0_about_17x_and_centring_6_2x(L):
    # A3
    assert round(L["lam0"] / L["lam_z"]) == 17 and f"{L['lam0'] / L['lam_c']:.1f}" == "6.2"
    assert f"({L['lam0'] / L['lam_z']:.0f}x smaller)" in L.text() and f"({L['lam0'] / L['lam_c']:.1f}x smaller)" in L.text()
    assert "cut the initial sharpness about 17 x, against 6.2 x here: both printed" in markdown_text(L)


def test_adams_last_minibatch_loss_dips_far_below_the_tail_median_only_at_lr_1(L):
    # A4: at lr = 1 far below, at lr = 10 only about half of it
    failed = [lr for lr, ok in zip(L["adam_lrs"], L["adam_trains"]) if not ok]
    ratio = dict(zip(failed, L["adam_last_vs_tail"]))
    assert failed == [1.0, 10.0] and ratio[1.0] < 0.2 and 0.35 < ratio[10.0] < 0.75
    for v in ratio.values():
        assert f"the last loss is {v:.2g} x that median" in L.text()
    assert "at $\\eta = 1$ the last one is far below that median, at $\\eta = 10$ only about half of it" in markdown_text(L)


def test_overview_smith_warm_up_asker_and_first_step_wording(L):
    md = markdown_text(L)
    # A5: the overview promises only what the sections give
    assert "every section answers" not in md and "in Fix 6 only" not in md
    assert "follows the sharpness where it was measured (it is `nan` once a run has diverged)" in md
    assert "and that of **one minibatch's loss** (Fix 6)" in md          # r15 B8: the overview shortened
    # A6: Smith reads accuracy; reading the loss is fastai's
    assert "reads off, from the plotted *accuracy*" in md and "Reading the *loss* instead is fastai's variant" in md
    # B11: what backs "the first step lowers the loss" is the full-batch step
    assert L["first_step_change"] == pytest.approx(L["check.actual"][0]) and L["first_step_change"] < 0
    assert f"actual {L['first_step_change']:+.3g}" in L.text()
    assert "one step of 1e-3 along the gradient of all the data, from the initial weights, changes the loss on all the data by the “actual” value printed, a fall" in md
    # B13, D17
    assert "a different problem" not in md and "threshold of where training is going" not in md
    assert "Warm-up is meant for other problems" in md
    assert "himself" not in md and "The asker found it themselves" in md


def test_no_raw_python_list_in_the_output(L):
    # D18
    text = L.text()
    joined = " and ".join(L["names"][L["order"].index(k)] for k in L["below_adam_01"])
    assert f"table rows that trained; only {joined} end lower" in text and "only ['" not in text


def test_the_full_batch_loss_at_0_9x_falls_once_on_its_way_up_at_a_step_above_1(L):
    # Review r12_05 A8: "not by rising at every step: the full-batch loss falls once on the way, at a step taken with
    # lr / (2/λ_max(t)) above 1"
    loss, k = np.asarray(L["full.losses"]), L["fb_diverged_at"]
    falls = [t for t in range(1, k) if loss[t + 1] < loss[t]]                 # steps after the first that lower the loss
    assert len(falls) == 1
    t = falls[0]
    steps = list(L["full.sharpness_steps"])
    assert L["near.lr"] * L["full.sharpness"][steps.index(t)] / 2 > 1
    assert loss[k] > 1e6 * loss[0] and k == 6
    assert "though not by rising at every step: in the figure the full-batch loss falls once on the way" in markdown_text(L)


# ------------------------------------------------------------------ round 14 (the findings review r12 left open)

def test_b10_the_plain_answer_to_the_second_question_comes_before_the_expert_first_step(L):
    # "One step multiplies the distance to that parabola's lowest point by |1 - ηλ₀| ... At 1e-4 each step ends
    # closer, on the same side. At 1e-3 ... overshoots to the other side and ends farther ... than it started"
    f3, f4 = L["plain_factors"]
    assert f3 == pytest.approx(1 - 1e-3 * L["lam0"], rel=1e-12) and f4 == pytest.approx(1 - 1e-4 * L["lam0"], rel=1e-12)
    assert f3 < -1 and 0 < f4 < 1
    printed = L.text()
    assert (f"lr = 0.001: 1 - lr·λ₀ = {f3:+.2f}: a step lands on the other side of the lowest point, "
            f"{abs(f3):.2f} x as far from it as it started (farther); the loss along that direction x {f3 ** 2:.3g}") in printed
    assert (f"lr = 0.0001: 1 - lr·λ₀ = {f4:+.2f}: a step lands on the same side of the lowest point, "
            f"{abs(f4):.2f} x as far from it as it started (closer)") in printed
    assert f3 ** 2 == pytest.approx((1 - 1e-3 * L["lam0"]) ** 2)           # the same factor the expert cell prints
    assert f"(1 - lr·λ₀)² = {f3 ** 2:.1f}" in printed
    text = markdown_text(L)
    plain = text.index("The thread's second question is why “minimize” makes the loss *grow*")
    assert plain < text.index("At 1e-3 each step still goes downhill, but it overshoots to the other side") \
        < text.index("**What that picture leaves out.**") < text.index("What that one-direction picture leaves out")
    assert printed.index("a step lands on the other side") < printed.index("|g·v| / |g|")   # before the expert cell
    assert 2.55 < 1e-3 / L["critical_lr0"] < 2.65                            # "(about 2.6 times it)"
    assert "(about 2.6 times it)" in text and "(the ratio printed at the top)" not in text
    learned = text[text.index("## What we learned"):]
    assert "because $|1-\\eta\\lambda_0| > 1$; at 1e-4 the factor is below 1" in learned   # f3 < -1 and 0 < f4 < 1 above


def test_a7_the_swinging_sharpness_estimates_agree_from_a_second_start_vector(L):
    # 0.9 x: "the second start vector gave the same value"; warm-up: "each value came out the same, to the relative
    # difference printed, with both estimates converged, and the stretches above 1 are the same by either start"
    assert L["near_gap"] < 1e-2 and L["wu_gap"] < 1e-2 and L["small_gap"] < 1e-2
    assert L["near_residual"] <= 1e-3 and L["wu_residual"] <= 1e-3          # both starts converged (tol = 1e-3)
    for run in ("sgd", "full"):
        a, b = np.array(L[f"{run}.sharpness"]), np.array(L[f"{run}.sharpness_check"])
        assert np.max(np.abs(b / a - 1)) <= L["near_gap"]
        assert max(L[f"{run}.sharpness_residual"] + L[f"{run}.sharpness_check_residual"]) <= L["near_residual"]
    full_after_1 = L["full.sharpness"][1] * L["near.lr"] / 2
    assert full_after_1 < 1 and L["full.sharpness_check"][1] * L["near.lr"] / 2 < 1   # the step where the loss first rose
    wu_check = np.array(L["wu_check"])
    assert [int(s) for s, v in zip(L["wu_s"], wu_check) if v > 1] == L["wu_above"] and L["wu_same_above"] is True
    assert len(L["wu_swings"]) >= 6                                          # the several-fold swings that were checked
    printed = L.text()
    assert f"the two starts differ by at most {L['near_gap']:.0e} (relative)" in printed
    assert f"over all {len(L['wu_s'])} steps: the two starts differ by at most {L['wu_gap']:.0e} (relative)" in printed
    assert "above 1 at the same steps by both starts: True" in printed
    swing_line = [l for l in printed.splitlines() if l.startswith("where lr / (2/λ_max(t)) changed more than 2-fold")][0]
    swing_steps = [int(v) for v in swing_line.split("steps ")[1].split(";")[0].split(", ")]   # r20 D17: steps only
    assert {9, 10, 13, 15} <= set(swing_steps)                                # the review's 7.2 (9), 1.1 (10), 2.7 (13), 0.81 (15)
    text = markdown_text(L)
    assert "The swings are in the sharpness, not in its estimate" in text
    assert "(printed; the second start vector gave the same value)" in text
    assert "four separate stretches" not in text


def test_b9_lambda_0_is_seed_0s_raw_initial_sharpness_and_each_run_elses_is_lambda_0_prime(L):
    text, printed = markdown_text(L), L.text()
    assert "From here on, $\\lambda_0$ is the initial sharpness of the run at hand" not in text
    assert "has its own, written **$\\lambda_0'$**" in L.nb.cells[0].source          # r15 B8: the overview shortened
    assert f"-> centred target: λ₀' = {L['lam_c']:.4g}" in printed and f"lr / (2/λ₀') = {1e-3 * L['lam_c'] / 2:.2f}" in printed
    assert "at least $\\lambda_0 - \\lambda_0'$ (printed)" in text
    assert "glorot_uniform  λ₀' " in printed and "init he_normal (0.001): λ₀' " in printed
    # "the bar" is defined where Fix 4 first uses it, before the summary figure
    first_bar = text.index("**bar**")
    assert first_bar < text.index("## Fix 5") and "their **bar**: the `critical_lr` at their own start" in text
    assert "sat near their bar." not in text


def test_b12_the_adam_step_bounds_are_compared_with_the_measured_steps(L):
    # "Adam's median RMS step at 1e-3, about lr, is about half the largest step one weight can take within 64 steps, and above
    # Kingma & Ba's case ... from 0.1 up the median stays far below both bounds"
    s = L["adam_step_over_lr"]
    # r17 A6: an RMS over weights is not one weight's maximum: no "above Kingma & Ba's case", only the scale
    assert all(v < 0.1 * L["adam_bound_kb_64"] for v in s[1:])             # "from 0.1 up the median stays far below both bounds"
    assert 0.8 < s[0] < 1.2 and f"median RMS step / lr: {s[0]:.2g} at lr = 0.001" in L.text()   # "about `lr` (printed)"
    kb = lambda t: (1 - 0.9) / (1 - 0.9 ** t) / np.sqrt((1 - 0.999) / (1 - 0.999 ** t))           # Kingma & Ba's case at step t
    assert kb(1) == pytest.approx(1) and kb(64) == pytest.approx(L["adam_bound_kb_64"])       # "from `lr` at step 1 to ... at step 64"
    md = markdown_text(L)
    assert "and above Kingma & Ba's case" not in md
    assert "Kingma & Ba's case alone goes from `lr` at step 1 to the value printed at step 64" in md


def test_c14_d20_figures_carry_no_rows_of_numbers_and_outside_dots_differ(L):
    titles = [o["metadata"]["image/png"]["alt"] for c in L.nb.cells for o in c.get("outputs", []) if "image/png" in o.get("metadata", {})]
    wu_title = [t for t in titles if t.startswith("Figure: warm-up to 1e-3")][0]
    assert f"in {len(L['wu_stretches'])} separate stretches, the last ending in inf" in wu_title and "6, 9-10" not in wu_title
    assert 1 < L["he_1e_4.lr"] * L["he_1e_4.sharpness_before"] / 2 < 1.05   # just outside: drawn as a triangle (test_plots)
    source = "\n".join(c.source for c in L.nb.cells if c.cell_type == "code")
    assert 'fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center"' in source


def test_d19_long_paragraphs_are_split(L):
    # "the Fix 3 introduction is a single block of about 350 words": every prose paragraph is now under 300 words
    paragraphs = [p for c in L.nb.cells if c.cell_type == "markdown" and not c.source.startswith("## What we learned")
                  for p in c.source.split("\n\n")]
    assert max(len(p.split()) for p in paragraphs) < 300
    fix3 = [c.source for c in L.nb.cells if c.cell_type == "markdown" and c.source.startswith("## Fix 3")][0]
    assert len(fix3.split("\n\n")) >= 4
    assert "(the reason one expects; how much of" not in markdown_text(L)
    # back-references many cells away restate the value: "the 0.5 × run ended above it, with lr / (2/λ_max) about 2"
    assert "the 0.5 × run ended above it, with lr / (2/λ_max(64)) about 2 at its end (Fix 1)" in markdown_text(L)
    assert 1.7 < L["half_edge_end"] < 2.5


# ------------------------------------------------------------------ round 15 (review r15_05)

def _code_source(L):
    return "\n".join(c.source for c in L.nb.cells if c.cell_type == "code")


def test_r15_a1_at_the_full_batch_fall_the_curvature_along_the_gradient_was_above_2_over_eta_and_the_model_predicted_a_rise(L):
    # "A ratio above 1 says only that the model's loss rises along the sharpest direction ... At that step the curvature
    # along the gradient was above 2/η as well, so the model predicted a rise, and the loss fell (all printed above)"
    loss, k, t = np.asarray(L["full.losses"]), L["fb_diverged_at"], L["fb_fall"]
    assert [s for s in range(1, k) if loss[s + 1] < loss[s]] == [t]            # the one fall on the way up
    assert L["along_same"] is True                                             # the re-run took the same steps
    assert L["near.lr"] * L["full.sharpness"][list(L["full.sharpness_steps"]).index(t)] / 2 > 1
    assert L["fall_curv"] > 2 / L["near.lr"] and L["fall_change"] > 0 and loss[t + 1] < loss[t]
    text, md = L.text(), markdown_text(L)
    assert (f"step {t}: loss {loss[t]:.3g} -> {loss[t + 1]:.3g}; lr / (2/λ_max(t)) = "
            f"{L['full.sharpness'][t] * L['near.lr'] / 2:.2f}; along the gradient gᵀHg/gᵀg = {L['fall_curv']:.4g}") in text
    assert f"the quadratic model there predicts a change of {L['fall_change']:+.3g} (a rise)" in text
    assert "A ratio above 1 says only that the model's loss rises along the sharpest direction" in md
    assert "so the model predicted a rise, and the loss fell (all printed above)" in md
    assert "above 1, where the quadratic model predicts a rise." not in md
    learned = md[md.index("## What we learned"):]
    assert "On the way up the loss also fell once, in a step for which the model predicted a rise" in learned


def test_r15_a2_the_removed_term_curved_up_and_the_gauss_newton_term_stays(L):
    # "The removed term did not only curve the loss down: by the Weyl bound it had an eigenvalue of at least λ0 - λ0'"
    assert L["lam0"] - L["lam_c"] > 0 and L["lam_c"] > 0
    assert abs(L["lam_min"]) / abs(L["lam_min_c"]) > L["lam0"] / L["lam_c"]  # |λ_min| shrank far more than λ_max
    md = markdown_text(L)
    assert "a smaller term that curves the loss down" not in md
    assert "so it curved the loss up at least that strongly along some direction" in md
    # r20 A5: why |λ_min| shrank more is the formula's reading, said to be unmeasured, not a causal claim
    assert "since negative curvature can come only from the error term, which centring shrank" in md
    assert "the two terms' spectra are not measured here, so this is a reading of the formula, not a measurement" in md
    assert "The asymmetry comes from the term that stays" not in md and "is still well above 0" not in md


def test_r15_b3_adam_at_1e_3_stepped_shorter_than_sgd_at_1e_4_and_sat_far_below_38_over_lr(L):
    runs = _one_unit(L)
    adam, sgd = runs["Adam, lr = 0.001"][0], runs["plain SGD, lr = 1e-4"][0]
    assert runs["plain SGD, lr = 1e-4"][1] and runs["Adam, lr = 0.001"][1]
    assert adam[0] < sgd[0] and np.median(adam) < np.median(sgd)
    pre, growth = L["adam_pre"][0], L["adam_grad_growth"][0]
    assert 100 <= 38 / 1e-3 / pre < 1000 and growth < 2                     # "hundreds of times below", "less than twice"
    assert all(g > 1e3 for g, ok in zip(L["adam_grad_growth"], L["adam_trains"]) if not ok)   # the failing runs' growth
    text = L.text()
    assert (f"Adam at 1e-3 against plain SGD at 1e-4 (trains): first step {adam[0]:.2%} vs {sgd[0]:.2%}, "
            f"median {np.median(adam):.2%} vs {np.median(sgd):.2%} of the initial weights' norm") in text
    assert f"preconditioned sharpness {pre:.3g} at the end, {38 / 1e-3 / pre:.0f} x below 38/lr" in text
    md = markdown_text(L)
    assert "For the 1e-3 run alone the printed values give a partial answer" in md
    assert "For the failing runs the preconditioned sharpness says little." in md


def test_r15_b4_the_gradients_own_curvature_is_far_below_lambda_0_so_the_model_falls_at_1e_3(L):
    curvature, turning = L["gc0.ghg"] / L["gc0.gg"], 2 * L["gc0.gg"] / L["gc0.ghg"]
    assert 0 < curvature < L["lam0"] / 5 and 3e-3 < turning < 1e-2           # "far below", "several times 1e-3"
    assert 0.5 * 1e-3 ** 2 * L["gc0.ghg"] < 1e-3 * L["gc0.gg"]                # second-order term smaller than the fall
    assert f"gᵀHg/gᵀg = {curvature:.4g} (λ₀ = {L['lam0']:.4g})" in L.text() and f"2gᵀg/gᵀHg = {turning:.2g}" in L.text()
    assert "turns positive only at a rate several times 1e-3 (printed)" in markdown_text(L)


def test_r15_b5_the_divide_by_ten_puts_minimum_below_the_lowest_raw_loss(L):
    lrs, low, turn = np.asarray(L["rt.lrs"]), L["smooth_low"], L["turn"]
    assert lrs[low] / 10 < lrs[turn] and lrs[low] > lrs[turn]                 # ÷ 10 alone puts it below
    assert lrs[low] / lrs[L["read_at"]] < 2                                   # the trimmed edge: a little further down
    assert f"that lowest point ÷ 10 = {lrs[low] / 10:.2e}: below the lowest raw loss's lr = {lrs[turn]:.2e}" in L.text()
    md = markdown_text(L)
    assert "For the “minimum” one this is mostly built in by its ÷ 10" in md
    assert "so sitting below is partly built in (printed above: with the sharpness" not in md


def test_r15_b6_b7_b8_weyl_defined_before_use_second_marked_overview_shorter(L):
    cells = L.nb.cells
    defined = next(i for i, c in enumerate(cells) if c.cell_type == "markdown" and "**Weyl's inequality**" in c.source)
    used = next(i for i, c in enumerate(cells) if c.cell_type == "code" and "by Weyl" in c.source)
    assert defined < used
    md = markdown_text(L)
    assert "Second, the sharpness did not stay put" in md
    overview = cells[0].source
    assert "on a convex quadratic, plain gradient descent" in overview and "on a quadratic, plain" not in overview
    assert len(overview.split()) < 600                                        # was 674 words


def test_r15_b9_the_two_first_steps_are_named(L):
    share = lambda rate: rate * L["g_norm0"] / L["w_norm0"]
    text = L.text()
    assert (f"(under “The problem”, a step along the gradient of all the data: {share(1e-3):.0%} at 1e-3, "
            f"{share(0.9 * L['critical_lr0']):.0%} at 0.9 x; here plain SGD's first step is along its first minibatch's gradient, Adam's along that gradient's sign)") in text
    assert "minibatch step ÷ the initial weights' norm: first" in text


def test_r15_b10_exercise_2_says_full_data_sharpness():
    from helpers.exercises import lesson05
    assert "full-data sharpness is 4,000" in lesson05.q2.prompt and "reduce_sum over minibatches of 32" in lesson05.q2.prompt


def test_r15_c11_c12_c13_figures_mark_what_the_text_reads_off(L):
    source = _code_source(L)
    assert "label=f\"'minimum' read here: step {read_at}" in source and "a.axvspan(rt.lrs[0], rt.lrs[first_kept]" in source
    assert L["min_at_edge"] is True and L["first_kept"] == 10                # on seed 0 'minimum' is read at the trimmed edge
    assert "plots.draw_ratio_per_step(ax_ratio, wu_s, wu_over, limits=(0.01, 300))" in source   # markers only (tests/test_plots.py)
    above = [(int(s), v) for s, v in zip(L["wu_s"], L["wu_over"]) if v > 300]           # the last steps' ratios leave the panel, named
    assert above and L["wu_ratio_note"] == "above the panel: " + ", ".join(f"{v:.2g} at step {s}" for s, v in above)
    assert 'ax.hlines(wu_row, wu_ran.min(), wu_ran.max()' in source
    titles = [o["metadata"]["image/png"]["alt"] for c in L.nb.cells for o in c.get("outputs", []) if "image/png" in o.get("metadata", {})]
    assert any("clipping: nominal; lines: the rates that ran" in t for t in titles)


def test_r15_d_minor_wording(L):
    md, text = markdown_text(L), L.text()
    assert "blames" not in md and "names one possibility (besides user error): an ill-conditioned Hessian" in md
    assert "formerly" not in md and "as `lr_min` and `lr_steep`" in md
    assert "where the starting sharpness already decides" not in md
    assert f"{1e-3 / L['critical_lr0']:.1f}" == "2.6" and "where the rate is about 2.6 × the starting `critical_lr`" in md
    assert "38/lr: the threshold Cohen et al. (2022) found for full-batch Adam; these runs take minibatch steps" in text


def test_r17_a1_warm_up_lowest_loss_is_one_minibatch_and_the_loss_rose_above_its_start_before(L):
    loss, low, passed, over = L["wu_loss"], L["wu_low"], L["passed"], L["wu_over"]
    # "one unusually low minibatch, well below both its neighbours (printed)"
    assert loss[low] < 0.5 * min(loss[low - 1], loss[low + 1])
    assert f"the lowest minibatch loss, {loss[low]:.3g} at step {low}, between {loss[low - 1]:.3g} (step {low - 1})" in L.text()
    # "had already gone above its start once before the rate passed 2/λ₀ ... right after the stretch with
    # lr / (2/λ_max(t)) far above 1 at steps 9-10 (the ratios printed), and it came back down"
    early = L["wu_over_start"]
    assert len(early) == 1 and early[0] < passed and early[0] == 10
    assert over[9] > 5 and over[10] > 1 and [9, 10] in L["wu_stretches"]
    assert loss[early[0] + 1] < loss[0]                                            # came back down
    assert f"minibatch loss above its start ({loss[0]:.3g}) before step {passed}: step 10 ({loss[10]:.3g};" in L.text()
    md = markdown_text(L)
    assert "But that lowest loss is one unusually low minibatch, well below both its neighbours (printed)" in md
    # r20 A1: step 10's own ratio is barely above 1; the loss that rose came right after the update at step 9
    assert "at the step printed, right after an update taken with lr / (2/λ_max(t)) several times above 1 (the ratios printed)" in md
    assert over[early[0] - 1] > 3 and "far above 1 at steps 9–10" not in md
    assert "the minibatch loss turned up where the rate passed" not in md


def test_r17_a2_range_test_position_uncertain_by_a_factor_of_two(L):
    f = L["step_factor"]
    assert f == pytest.approx((1e-1 / 1e-7) ** (1 / 99), rel=1e-3) and 1.7 < f ** 4 < 2.1 and f ** 5 == pytest.approx(2, rel=0.05)
    assert f"each step multiplies the rate by {f:.3f}: 3 steps by {f ** 3:.2f}, 5 steps by {f ** 5:.2f}" in L.text()
    near = L["near_low"]                                     # "a raw loss almost as low comes a few steps later, in the steps
    assert near and all(s > L["turn"] for s in near)         # fastai drops, at a rate closer to 2/λ₀, lr / (2/λ_max(t)) about 2"
    s = near[0]
    assert 3 <= s - L["turn"] <= 8 and L["min_at_edge"] and s > L["read_at"]     # 'minimum' is read at the last step kept
    assert L["critical_lr0"] / L["rt.lrs"][s] < L["critical_lr0"] / L["lr_turn"]
    measured = [v for k, v in zip(L["rt.sharpness_steps"], L["rt.sharpness"]) if k <= s][-1]     # as RangeTestResult.sharpness_at
    ratio = L["rt.lrs"][s] * measured / 2
    assert 1.6 < ratio < 2.4 and ratio > 1.8 * L["lr_turn"] * L["lam_turn"] / 2                  # "about 2", about twice the 0.90
    assert "(in the last steps fastai drops)" in L.text() and f"lr / (2/λ_max(t)) there = {ratio:.2f} (in the last" in L.text()
    md = markdown_text(L)
    assert "uncertain by a few steps" not in md and "several times below $2/\\lambda_0$" not in md
    assert "so a shift of a few steps moves it by a factor of about 2 in rate (printed)" in md


def test_r17_a4_steep_is_almost_half(L):
    ratios = {k: v * L["lam_turn"] / 2 for k, v in zip(("valley", "minimum", "steep"), L["suggested_rates"])}
    assert ratios["valley"] < 0.2 and ratios["minimum"] < 0.2 and 0.35 < ratios["steep"] < 0.5
    md = markdown_text(L)
    assert "'valley' and 'minimum' at a small fraction of `critical_lr` there and 'steep' at a bit under half of it" in md
    assert "each a small fraction of `critical_lr` there" not in md


def test_r17_a5_within_about_a_factor_of_two(L):
    ratios = L["order_ratios"]
    assert 0.5 <= min(ratios) and max(ratios) <= 2 and min(ratios) < 1 < max(ratios)
    md = markdown_text(L)
    assert "lies within about a factor of two of the current one, on either side" in md and "near the current one" not in md


def test_r17_b7_b8_b9_definitions(L):
    md = markdown_text(L)
    first = md.index("quadratic model")
    assert md[first:].startswith("quadratic model (the loss's second-order Taylor expansion at the current weights)")
    assert "at step 1 this gives $\\hat m = g$ and $\\hat v = g^2$, so the update $\\eta\\,\\hat m/\\sqrt{\\hat v} = \\eta\\, g/|g|$" in md
    assert "lr / (2/λ_max)" not in L.text().replace("lr / (2/λ_max(", "")   # every ratio names its sharpness
    assert f"lr / (2/λ_max(64)) = {L['low.lr'] * L['low.sharpness_after'] / 2:.2f}" in L.text()
    assert "$\\lambda_{\\max}(64)$: at a run's end" in md


def test_r17_b10_the_table_rows_are_named(L):
    assert not any("0.5 x" in n for n in L["names"]) and any("0.25 x" in n for n in L["names"])
    assert L["half_edge_end"] > 1 and re.search(r"0\.5 x critical_lr = \S+: final loss .*: lr / \(2/λ_max\(64\)\) = ", L.text())   # it trained
    md = markdown_text(L)
    assert "the 0.5 × run, which trained, is left out, as are clipping with $c = 1$, Adam's other rates and two runs" in md
    assert "these are the table's rows, which leave out the 0.5 × run (trained, inside its bar)" in md
    # r22 B5: the two failures far above their bars that the table leaves out are named
    assert ("two runs that failed far above their bars (the $N(0,1)$ init at 1e-4, Fix 4, and the summed loss at 1e-4, "
            "Fix 6)") in md and "and two more failures far above their bars ($N(0,1)$ init and the summed loss, both at 1e-4)." in md
    assert not any("N(0,1)" in n or "summed" in n for n in L["names"])
    assert L["normal_1e_4.trains"] is False and 1e-4 / L["normal_critical"] > 10                  # far above its bar
    assert L["summed.diverged_at"] is not None and 1e-4 * L["lam_sum"] / 2 > 5                    # 8.4 x


def test_r17_d15_d16_small_values_and_the_exercise_reference(L):
    from helpers.exercises import lesson05
    ratio = L["adam_step_ratio"][0]
    assert f"median RMS step {L['ad.rms_step']:.2g} = {ratio:.2g} x the RMS initial weight" in L.text() and f"{ratio:.2g}" != "0.01"
    assert "(as in Fix 6 above)" in lesson05.q2.prompt and "lesson 5's Fix 6" not in lesson05.q2.prompt


# ------------------------------------------------------------------ round 19 (a fresh review of the round-18 lesson)


def test_r19_a1_warm_up_is_drawn_at_the_rate_of_its_last_update_not_the_rate_scheduled_for_its_inf(L):
    """'warm-up, drawn at the rate of its last update, the one after which its loss was `inf`';
    'the three runs 1.4 times or more above it failed'."""
    k, ran, losses = L["k_wu"], L["wu_ran"], L["wu_loss"]
    assert len(losses) == k and all(math.isfinite(v) for v in losses) and not L["wu.trains"]   # steps 0..k-1 ran from a finite loss
    reached = L["reached"][L["order"].index("warmup")]
    assert len(ran) == k and reached == L["wu_last"] == ran[-1] == max(ran)  # the orange line: only updates that ran
    assert f"the last update that ran, step {k - 1}, used {reached:.2e} = {reached / L['critical_lr0']:.2f} x 2/λ₀" in L.text()
    assert reached + (ran[-1] - ran[-2]) <= L["wu.lr"]                       # the rate scheduled for the inf step was one increment higher
    failed = sorted(L["out_failed"])
    assert 1.4 <= failed[0] < 1.5                                            # warm-up's ratio, now the smallest
    assert reached / L["critical_lr0"] == pytest.approx(failed[0], rel=1e-6)
    assert f"lr = {failed[0]:.2f}, " in L.text()                               # printed under the table
    md = _markdown(L)
    assert "hit `inf`" not in md and "had reached when" not in md
    assert md.count("the rate of its last update, the one after which") == 3


def test_r19_a2_a_summed_loss_gives_a_blow_up_at_both_rates_not_the_threads_pattern(L):
    """'the summed loss's threshold ... is below 1e-4 (printed), so it predicts a blow-up at 1e-3 and at 1e-4 alike,
    and at 1e-4 the run does blow up (printed)'."""
    assert 2 / L["lam_sum"] < 1e-4 and L["summed.diverged_at"] is not None
    assert f"the summed loss's {2 / L['lam_sum']:.1e} is below both rates: it predicts a blow-up at both, not that pattern" in L.text()
    md = _markdown(L)
    assert "gives the thread's symptom" not in md
    assert "On this stand-in that is a blow-up, not the thread's pattern (1e-3 blows up, 1e-4 trains)" in md
    assert "predicts a blow-up at 1e-3 and 1e-4 alike, not the thread's pattern" in md


def test_r19_a3_the_range_test_is_a_diagnostic_that_sets_cyclical_bounds_not_a_remedy(L):
    overview = L.nb.cells[0].source
    assert "warm-up and a learning-rate range test" not in overview
    assert "plus a diagnostic, not a remedy: a learning-rate range test" in overview
    md = _markdown(L)
    assert "does empirically what this course does with the Hessian" not in md
    assert "is a diagnostic, not a remedy" in md and "bounds of a cyclical learning-rate schedule" in md
    assert "it does not look for a stability threshold" in md


def test_r19_b1_d1_the_parabola_bullet_is_the_models_explanation_and_fix_4_has_a_verb(L):
    md = _markdown(L)
    learned = md.split("## What we learned")[1]
    bullets = learned.lstrip().split("\n- ")                       # r20 B6: the thread's first question comes first, then this one
    assert bullets[0].startswith("- The thread's first question, on this stand-in:")
    assert bullets[1].startswith("Why “minimize” can make the loss grow, in the quadratic model's explanation "
                                 "(lesson 1's picture, tested step by step in lesson 4):")
    # r22 A2: the lesson does check the picture, at 0.9 × with full batches, and there it failed
    assert "this lesson's runs do not measure it" not in md
    # r23 A2: the one check that went right (the first step at 1e-3) is named beside the two that went wrong
    assert bullets[1].rstrip().endswith("Checked against full-batch steps, the quadratic model got the sign of the first step "
                                        "at 1e-3 right (a fall) but missed it at both 0.9 × steps printed above, under “What happens at 0.9 × `critical_lr`”: the loss first rose in a step "
                                        "for which it predicted a fall, and later fell in one for which it predicted a rise.")
    assert L["predicted_change"] < 0 < L["actual_change"]                       # printed in "What happens at 0.9 ×"
    assert L["fall_change"] > 0 and L["full.losses"][L["fb_fall"] + 1] < L["full.losses"][L["fb_fall"]]
    top, rest, actual = L["check.predicted_top"][0], L["check.predicted_rest"][0], L["check.actual"][0]
    assert top + rest < 0 and actual < 0                                        # the first step at 1e-3: both a fall
    assert "We compare three: Keras's default (Glorot uniform," in md


def test_r20_truth_pass(L):
    md, text = markdown_text(L), L.text()
    # A2: Adam's first step moves every weight by lr (RMS step ÷ lr = 1.000 at every rate), along the gradient's sign
    line = next(l for l in text.splitlines() if l.startswith("Adam's first RMS step ÷ lr: "))
    assert [float(v.split(" at ")[0]) for v in line.split(": ", 1)[1].split(", ")] == [1.0] * 4
    assert ("plain SGD's first step is along its minibatch's gradient, Adam's moves each weight by $\\eta$ along the sign of that "
            "gradient (bias correction, above; the RMS of that step ÷ $\\eta$ is printed under the step table), so the two are compared by "
            "length only, not by direction") in md
    assert "(a step along one minibatch's gradient, so not the step" not in md
    # A3: He normal as Keras draws it (measured in tests/test_fixes.py on the lesson's net)
    assert "he_normal       λ₀' " in text and "He normal: variance 2/fan_in (a normal cut at 2 standard deviations, rescaled to it" in text
    assert "Keras draws it from a normal cut at two standard deviations, rescaled to that variance" in md
    # A4: the print speaks of every failing rate, as the code tests
    failed = [lr for lr, ok in zip(L["adam_lrs"], L["adam_trains"]) if not ok]
    assert failed == [1.0, 10.0] and L["adam_fail_below_38"] is True and L["adam_fail_finite"] is True
    assert all(p < 38 / lr for p, lr, ok in zip(L["adam_pre"], L["adam_lrs"], L["adam_trains"]) if not ok)
    assert ("rates in the sweep at which Adam fails: 1, 10 (the smallest: 1); at every one of them its preconditioned sharpness "
            "at the end is below 38/lr, and at every one the loss stays finite") in text
    assert "there its preconditioned sharpness" not in text
    # B6: one line answers the thread's first question and keeps the two misses on the safe side
    learned = md.split("## What we learned")[1]
    assert f"{1e-3 / L['critical_lr0']:.1f}" == "2.6" and f"{1e-4 / L['critical_lr0']:.2f}" == "0.26"
    assert f"{L['small.lr'] * L['small.sharpness_before'] / 2:.2f}" == "0.26" and L["near.lr"] < L["critical_lr0"]
    assert L["near.trains"] is False and math.isnan(L["near.final_loss"]) and L["small.trains"] is False and math.isnan(L["small.final_loss"])
    assert ("- The thread's first question, on this stand-in: 1e-3 is about 2.6 × the starting `critical_lr` and 1e-4 about 0.26 ×, "
            "on either side of it, as the thread's two outcomes need. But the rule is not enough on the safe side: 0.9 × diverged "
            "in the course's loop, with minibatches and with full batches (through `model.fit` it stayed finite), "
            "and so did the tenfold smaller init at 0.26 × its own `critical_lr`.") in learned
    # B7: model.fit differs in order and in code; which difference kept 0.9 x finite is not isolated
    assert md.count("which of the two differences kept it finite is not isolated here") == 2
    for old in ("not robust to how the minibatches are drawn", "this order of minibatches: with `model.fit`'s own order",
                "in `model.fit`'s minibatch order"):
        assert old not in md, old
    # B10: the overview's notation sentence
    assert "The same test is also written the other way round, as the sharpness against $2/\\eta$." in L.nb.cells[0].source
    # C15: the range test's bottom panel has the fixed-sharpness reference; the gap is the sharpness the sweep added
    assert L["lam_turn"] / L["lam0"] > 2.5 and "the dashed lr / (2/λ₀), the ratio had the sharpness stayed at $\\lambda_0$" in md
    assert "it could as well be about twice that" not in md
    # D18: the range test and the monitor are two bullets
    assert "\n- The monitor's sharpness check warned before the first `nan` at 1e-3" in learned
    # D17: the swing print names the steps and the largest difference between the two starts there, not every value twice
    swing = next(l for l in text.splitlines() if l.startswith("where lr / (2/λ_max(t)) changed more than 2-fold in one step: steps "))
    assert swing.split("steps ")[1].split(";")[0] == ", ".join(str(int(L["wu_s"][j])) for j in L["wu_swings"])
    assert float(swing.split("by at most ")[1].split(" ")[0]) < 1e-3


# ------------------------------------------------------------------ round 21 (a fresh review of the round-20 lesson)


def test_r21_a1_no_weight_scale_tried_made_1e_3_train_but_the_output_bias_at_the_mean_target_did(L):
    """Fix 4: 'no weight scale tried here made 1e-3 train; an output bias started at the mean target did (that is Fix 2b)';
    What we learned: 'A smaller weight scale did not save 1e-3 ... Starting the output bias at the mean target (Fix 2b) did.'"""
    for key in ("base", "he", "small"):                # the weight scales run at 1e-3: default Glorot, He, Glorot x 0.1
        assert L[f"{key}.lr"] == 1e-3 and L[f"{key}.trains"] is False, key
    assert L["ctr.lr"] == 1e-3 and L["ctr.trains"] is True   # centring the target = the output bias started at the mean
    md = markdown_text(L)
    assert "It is the same as starting the output bias at the mean target" in md
    assert "no weight scale tried here made 1e-3 train; an output bias started at the mean target did (that is Fix 2b)." in md
    assert "A smaller weight scale did not save 1e-3" in md and "Starting the output bias at the mean target (Fix 2b) did." in md
    assert "(Fixes 2 and 2b do)" not in md and "A smaller one did not save 1e-3" not in md


def test_r21_a2_kingma_and_bas_value_is_labelled_as_their_sparse_case_not_a_largest_step(L):
    text = L.text()
    assert "largest step of one weight, Kingma & Ba's case" not in text
    assert f"one weight's step in Kingma & Ba's sparse case: {L['adam_bound_kb_64']:.2f} x lr at step 64" in text
    assert L["adam_bound_kb_64"] < L["adam_step_over_lr"][0]   # below the measured median: so it cannot be read as a maximum
    assert "the bounds printed with it are each one weight's largest step" not in markdown_text(L)


def test_r21_a3_the_lambda_min_part_grows_faster_but_starts_smaller(L):
    """'the part along λ_min's eigenvector grows faster, 1-ηλ_min being larger than |1-ηλ₀| (both printed above),
    though it starts far smaller (g_u, printed in Fix 1 below)' (r22 A1: which part wins is not computed)."""
    grow_min, grow_top = 1 - 1e-3 * L["lam_min"], abs(1 - 1e-3 * L["lam0"])
    assert grow_min > grow_top > 1
    text = L.text()
    assert f"1 - lr·λ_min = {grow_min:.2f}, |1 - lr·λ_max| = {grow_top:.2f}" in text   # the 1e-3 row, printed above
    assert 0 < abs(L["g_u"]) < 0.1 * L["g_norm0"]            # present, but far smaller than the gradient
    assert "the model alone does not say which wins" not in markdown_text(L)


def test_r21_a4_the_0_9x_failure_is_one_minibatch_order_and_warm_up_ran_mostly_inside_its_bar(L):
    k, inside = L["k_wu"], L["wu_inside"]
    assert inside == int(np.sum(np.asarray(L["wu_ran"]) <= 2 / L["wu.sharpness_before"])) and k / 2 < inside < k   # "most"
    assert L["fit_finite"] is True and L["near.trains"] is False
    assert (f"warm-up: {inside} of its {k} updates ran inside its bar; 0.9 x diverged in the course's loop "
            "(through model.fit: finite)") in L.text()
    md = markdown_text(L)
    # r24 A1: it diverged with full batches too, so the minibatch order is not what the label should blame
    assert "0.9 × diverged in the lesson's minibatch order" not in md and L["fb_diverged_at"] is not None
    assert "two diverged (0.9 × `critical_lr`, in the course's loop, and the small init)" in md


def test_r23_a1_a3_a4_a5_a6_bounds_and_claims_say_what_they_rest_on(L):
    md, text = markdown_text(L), L.text()
    # A1: Weyl's bound needs λ₀' to be the top eigenvalue: a second start vector agrees
    assert L["lam_c_other"] == pytest.approx(L["lam_c"], rel=1e-2)
    assert f"λ₀' from another start vector: {L['lam_c_other']:.4g} (relative difference" in text
    # A3: λ_max alone sets the rate above which the quadratic model's loss can rise (not the net's threshold)
    assert "what sets plain SGD's threshold is $\\lambda_{\\max}$ alone" not in md
    assert "in the quadratic model the rate above which its loss can rise is set by $\\lambda_{\\max}$ alone" in md
    # A4: the model's loss after 64 steps counts only the part along λ_min's eigenvector; at 1e-4 the others lower it
    assert "counting its part along that direction only (at 1e-4 every other part lowers it too)" in text
    assert 1e-4 * L["lam0"] < 2 and L["lam_min"] < 0
    # A5: the defaults' purpose is cited, not measured
    assert "Glorot and He are the right defaults" not in md and "(not measured here), but no weight scale tried here" in md
    # A6: Keras adds epsilon to the root of the uncorrected v; the first step's RMS ÷ η is 1.000 at every rate
    assert "Keras adds it to the root of $v$ before the bias correction" in md
    line = next(l for l in text.splitlines() if l.startswith("Adam's first RMS step ÷ lr: "))
    assert all(v.split(" at ")[0] == "1.000" for v in line.split(": ", 1)[1].split(", "))


def test_r24_a2_a3_a4_the_mean_predictor_and_the_init_claims_are_scoped(L):
    md = " ".join(markdown_text(L).split())
    assert "learns more than the target's mean" not in md and "only that run ends below the loss of predicting the mean" in md
    assert "In this one scaled run the weights' initial scale decided where the sharpness started" in md
    assert "keep the variance of the signals about constant from layer to layer (not measured here)" in md


def test_r26_a2_the_geometric_growth_is_the_pictures_not_the_nets(L):
    md = " ".join(markdown_text(L).split())
    assert ("in that picture the loss along that direction is multiplied at every step, the geometric growth of lesson 1 "
            "(the net's own minibatch loss first hovered, then exploded, printed below).") in md
    losses = L["base_first"]
    assert losses[1] < losses[0] and all(v < losses[0] for v in losses[1:5]) and losses[-1] > 1e6 * losses[0]


def test_r27_a2_the_centred_target_is_the_only_run_below_the_mean_predictor_among_those_printed(L):
    md = " ".join(markdown_text(L).split())
    assert ("it is the only run in the table and the sweeps whose loss ends *below* the mean predictor's within its 64 steps "
            "(printed; the monitor's `model.fit` runs print no final loss).") in md
