"""Lesson 6's sentences, checked against the values the executed lesson computed and printed.

The closing section cites lesson 5 as well; those claims read ``lesson("05")``'s values.
Each test names the claim; the cell heading it belongs to is in its comment.
"""

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from claim_support import markdown, printed, printed_output
from notebook_runner import lesson

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


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
    rows, loss = printed(L, r"full batch \({n} rows, loss {n}\)")   # the data size and the starting loss are given
    assert rows == 32 * len(L["batch_losses"]) == 1024
    assert loss == pytest.approx(L["loss0"], rel=1e-3) and 5e3 < loss < 2e4   # R5-15: "starts near $100^2 = 10^4$"
    assert "starts near $100^2 = 10^4$ (printed below)" in markdown(L) and "in the thousands" not in markdown(L)


def test_the_printed_share_of_sharper_minibatches_is_the_count_the_figure_draws(L):
    # R5-9: the figure draws one tick per minibatch and counts those sharper than the full batch
    # R6-2: the share is a share of the minibatches, and the size of the largest excess is printed apart
    sharper = sum(b > L["mb.full"] for b in L["mb.batches"])
    share, largest = printed(L, r"{n}% of the minibatches are sharper than the full batch, the sharpest {n} x the full batch's sharpness")
    assert share == round(100 * sharper / len(L["mb.batches"]))     # the legend's count: test_plots
    assert largest == pytest.approx(max(L["mb.batches"]) / L["mb.full"], abs=0.006) and 1 < largest < 1.5
    assert "% sharper than the full batch" not in L.text()


def test_the_lesson_4_net_is_described_before_its_first_code_cell(L):
    # B1: "The net is the **lesson-4 net** ... 4 → 64 → 64 → 1 with leaky ReLU ... raw features"
    first_code = next(i for i, c in enumerate(L.nb.cells) if c.cell_type == "code" and "make_experiment(seed=0)" in c.source)
    before = "\n".join(c.source for c in L.nb.cells[:first_code] if c.cell_type == "markdown")
    for words in ("**lesson-4 net**", "4 → 64 → 64 → 1 with leaky ReLU", "1,024 rows", "raw features", "targets lie around 100"):
        assert words in before, words


def test_near_the_edge_full_batch_diverges_with_minibatches_in_lesson_5(L5):
    assert abs(L5["mb_diverged_at"] - L5["fb_diverged_at"]) <= 1
    assert L5["same_fate"] is True


def test_eight_of_eight_orders_diverged_at_different_steps_and_model_fit_is_a_ninth_that_survived(L, L5):
    # R6-1, R7-1: 8 of 8 orders in the course's loop diverged (at steps 5-11); model.fit's order stayed finite for 64
    # steps (lesson 5); no other difference between the loops was measured, so: "order decides, rarely"
    assert L["lr_near"] == pytest.approx(L5["near.lr"], rel=1e-3)
    assert len(L["order_steps"]) == L["n_order_diverged"] == 8
    assert min(L["order_steps"]) < max(L["order_steps"])               # "the order changed *when* the run blew up"
    # R8-3: each blow-up step printed; the interpretive line is computed from how many differ
    assert f"first inf/nan in 8 of 8, at steps {', '.join(map(str, L['order_steps']))} (order 0 to 7)" in L.text()
    assert L["n_distinct"] == len(set(L["order_steps"])) > 1
    assert f"{L['n_distinct']} different blow-up steps among 8 diverged runs: the order moved the step of the blow-up; 0 of 8 orders kept the run finite" in L.text()
    fit_line = next(line for line in L5.text().splitlines() if line.startswith(f"--> lr = {L5['near.lr']:.3g}:"))
    assert "first inf/nan at step None" in fit_line and "in 64 steps" in fit_line      # model.fit: finite for 64 steps
    assert "which of the two differences kept it finite is not isolated here" in markdown(L5)   # lesson 5 (r20 B7): order or loop, not isolated
    text = markdown(L)
    # R8-4: model.fit's run is a different loop, not a ninth order; no rate of survival is claimed
    assert "8 of 8 orders diverged in the course's loop, at the steps printed: the order moved *when* the run blew up" in text
    assert "Through `model.fit` the same rate stayed finite for 64 steps (lesson 5, *Debugging: find the blow-up, ideally before the nan*)" in text
    assert "If the orders are independent draws, 0 survivors of 8 puts the share of orders that keep this run finite at most" in text   # R12-A4, r15 A3
    for old in ("one survivor in nine", "only rarely", "rarely (one order in nine)", "`model.fit`'s order is a ninth", "it always moved the step",
                "at different steps (printed)"):
        assert old not in text, old
    for old in ("neither the minibatch noise nor the order of the minibatches decided the blow-up", "so the order did not decide it either",
                "differs from the other two in more than the order", "it could decide whether one happened"):
        assert old not in text, old
    # the two loops are said apart where they first appear
    assert "**The course's loop** (`train_sgd`, lesson 4) shuffles the rows afresh each epoch" in text
    assert "Keras's **`model.fit`** takes the same kind of step" not in text                  # R12-A4: not backed here
    assert "Keras's **`model.fit`** also takes minibatch steps, but through its own code" in text


def test_near_the_edge_the_loss_first_rose_below_the_edge_in_lesson_5_and_lesson_6_says_so(L, L5):
    # R7-2: lesson 5's full-batch run at 0.9 x: the first rise came on a step that started below the edge
    loss, edge = np.array(L5["full.losses"][:4]), np.array(L5["full.sharpness"][:4]) * L5["near.lr"] / 2
    first_rise = int(np.argmax(np.diff(loss) > 0))
    assert np.diff(loss)[first_rise] > 0 and edge[first_rise] < 1 and L5["predicted_change"] < 0 < L5["actual_change"]
    text = markdown(L)
    # R8-1: lesson 5 measured the predicted change for the full-batch run only; the claim is restricted to it
    assert "In that full-batch run the loss first rose on step 1, which started *below* the edge" in text       # r16 B7: printed here
    assert "For a minibatch step the bound does not apply" in text
    assert "In both, the loss first rose" not in text and "in both the sharpness of the loss itself had jumped past $2/\\eta$ first" not in text
    assert ("the full-batch run's loss first rose on a step that started below the edge, where the quadratic model predicts a fall "
            "(printed in the first section, re-running lesson 5's run)") in text          # r19 A6: printed here, not in lesson 5
    # R8-9, R11-6: the edge is defined (in the table of the four names) before its first use
    first = text.index("the edge")
    assert text.index("| the **edge** $2/\\eta$ | for a given rate $\\eta$, the sharpness whose `critical_lr` is $\\eta$ |") < first


def test_the_minibatch_stability_argument_is_a_heuristic_and_their_mean_sharpness_is_above_the_full(L):
    # R7-10: λ_max is convex, so over a partition the minibatches are on average at least as sharp as the full batch
    assert L["mb_mean_ratio"] == pytest.approx(np.mean(L["mb.batches"]) / L["mb.full"]) and L["mb_mean_ratio"] > 1
    assert f"= {L['mb_mean_ratio']:.3f} x the full batch's" in L.text()
    text = markdown(L)
    assert "The largest eigenvalue is a convex function of the matrix" in text and "That is a heuristic, not a stability test" in text
    assert "their mean sharpness, in the third line printed above, is a little above the full batch's" in text and L["mb_mean_ratio"] < 1.1


# ------------------------------------------------------------------ Progressive sharpening and the edge of stability

def test_the_prediction_is_stated_before_the_start_is_printed_and_the_start_is_below_the_edge(L):
    assert "if the sharpness at the start is below the edge" in markdown(L)
    assert "the initial sharpness is well below 20" not in markdown(L)
    assert L["start"] < 1 and "below the edge, so the quadratic picture predicts convergence" in L.text()


def test_the_sharpness_rises_to_2_over_lr_and_stays_near_it_for_both_rates(L):
    for med, low, high in ((L["med"], L["low"], L["high"]), (L["med2"], L["low2"], L["high2"])):
        assert 0.95 <= med <= 1.05 and 0.8 <= low and high <= 1.2
    assert L["eos.sharpness"][0] * L["eos.lr"] / 2 < 0.6


def test_at_the_edge_the_loss_spikes_and_its_lowest_values_are_level_at_0_1_and_lower_at_0_15(L):
    # A6: "lower in the later window at 0.15 and roughly level at 0.1"
    assert L["late_trend"] == ["roughly level", "lower"]
    assert abs(L["late_low"][0] - 1) < 0.05 and L["late_low"][1] < 0.95
    for run, ratio in zip(("eos", "eos2"), L["late_low"]):
        loss = np.array(L[f"{run}.losses"])
        assert ratio == pytest.approx(loss[800:].min() / loss[600:800].min())
    text = markdown(L)
    assert "creep down" not in text and "lower in the later window at 0.15 and roughly level at 0.1" in text
    assert "lower at one rate and roughly level at the other" in text
    for run, rises in zip(("eos", "eos2"), L["late_rises"]):
        late = np.array(L[f"{run}.losses"][600:])
        assert rises == int(np.sum(np.diff(late) > 0)) and rises > 50
        assert late.max() > 1.3 * late.min()                     # spikes, not a flat line
    assert "the loss ends at" not in markdown(L) and "ratio in the title" not in markdown(L)
    title = next(alt for alt in figure_titles(L) if "full-batch GD" in alt)   # C1, D1: the title claims no trend
    assert "lowest value" not in title and "ends at" not in title


def test_the_prediction_gets_a_verdict_the_loss_fell_overall_but_not_steadily_and_the_sharpness_moved(L):
    # R5-8, R5-12: "at both rates the loss ended lower than it started ... after step 600 the loss rose on more
    # than a third of the steps, and the sharpness ... climbed to it"
    assert L["verdict_fell"] == [True, True]
    for run, rises, share in (("eos", L["late_rises"][0], L["late_share"][0]), ("eos2", L["late_rises"][1], L["late_share"][1])):
        loss = np.array(L[f"{run}.losses"])
        assert loss[-1] < loss[0] and share == pytest.approx(rises / (len(loss) - 601)) and share > 2 / 5
        assert f"it rose on {rises} of the {len(loss) - 601} steps after step 600 ({100 * share:.0f}%)" in L.text()
        assert f"it rose on {rises} of the {len(loss) - 601} steps after step 600" in L.text()
        assert L[f"{run}.sharpness"][0] * L[f"{run}.lr"] / 2 < 0.9      # started below the edge ...
    assert 0.95 < L["med"] and 0.95 < L["med2"]                           # ... and climbed to it
    text = markdown(L)
    assert "**Verdict on the prediction** (printed under the figure)" in text
    assert "after step 600 the loss rose on more than two steps in five (the shares printed)" in text
    assert "more than a third of the steps" not in text                    # R11-16: 43 % and 47 % understated


def test_lesson_5s_sharpness_at_1e_4_rose_3_fold_and_stayed_below_the_edge(L, L5):
    # R11-11: the climb is cited with lesson 5's printed numbers; "In one line" says it stayed below
    ratio = L5["low.sharpness_after"] * L5["low.lr"] / 2
    growth = L5["low.sharpness_after"] / L5["low.sharpness_before"]
    assert 0.6 < ratio < 1 and f"{ratio:.2f}" == "0.81" and f"{growth:.1f}" == "3.1"
    assert f"after the 64 steps (x{growth:.1f})" in L5.text() and f"lr / (2/λ_max(64)) = {ratio:.2f}" in L5.text()
    text = markdown(L)
    assert ("over 64 minibatch steps at 1e-4 its sharpness rose 3.1-fold, to where sharpness / (2/lr) was 0.81, still below the edge "
            "(lesson 5, *Fix 1*)") in text
    assert "most of the way to" not in text
    assert ("At 1e-3, in this lesson's full-batch gradient descent, the rate then stayed above the current $2/\\lambda_{\\max}$" in text
            and "at 1e-4, in lesson 5's minibatch SGD, it was still below it after 64 steps" in text)       # r16 A3: both settings named


# ------------------------------------------------------------------ The catapult

def test_the_catapult_heading_and_text_do_not_call_3x_far_above(L):
    # R5-13: the thread's rate is 2.58 x and the cited ranges reach 6 x: 3 x is not "far above"
    text = markdown(L)
    assert "## The catapult: rates above the threshold at the start" in text and "far above it (3" not in text and "2/λ₀, far above" not in text
    assert "further above $2/\\lambda_0^{\\mathrm{s}}$ (3 ×, 10 ×) each of the two runs tried diverged" in text and L["multiples"][2:] == [3.0, 10.0]


def test_seed_0_survives_at_1_5_without_its_loss_rising_and_diverges_at_3_and_10(L):
    assert L["multiples"] == pytest.approx([0.5, 1.5, 3.0, 10.0])
    text = L.text()
    assert "lr =  3.0 x 2/λ₀ˢ: diverged at step" in text and "lr = 10.0 x 2/λ₀ˢ: diverged at step" in text
    assert "lr =  1.5 x 2/λ₀ˢ: loss x0." in text                # "its loss never rising above its start"
    assert L["spikes"][0] < 1
    assert "was right about 3 × and 10 × and wrong about 1.5 ×" not in markdown(L)    # D2
    assert "it does not predict a run's fate" not in markdown(L)                  # R7-4: it predicted, wrongly at 1.5 x
    assert "and so divergence; the fates differ: 3 × and 10 × diverged, 1.5 × did not, so at 1.5 × its prediction failed" in markdown(L)


def test_at_3_the_sharpness_rose_and_the_values_off_the_panel_are_named(L):
    # B4, R5-7: "at 3 ×, where the sharpness is measured every 5 steps, it was further above the edge at step 5
    # than at the start ...; whether it dipped in steps 1–4 was not measured"
    three, ten = L["edge_start"][2], L["edge_start"][3]
    text = markdown(L)
    assert "at 3 ×, where the sharpness is measured every 5 steps, it was further above the edge at step 5 than at the start" in text
    assert "whether it dipped in steps 1–4 was not measured" in text and "the sharpness did not drop" not in text
    assert any("dynamics.catapult_runs(" in c.source and "every=5" in c.source for c in L.nb.cells if c.cell_type == "code")
    assert three[1] > three[0] > 1 and len(ten) == 1           # 10 × diverged before step 5: one measurement
    assert "every run left that region at once" not in markdown(L)
    assert "by step 5 each 1.5 × run was at weights where the sharpness was below $2/\\eta$. (On seed 0 at 3 ×, by contrast, sharpness / (2/lr) was higher at step 5 than at the start.)" in markdown(L)
    assert "(at 3 ×, above," not in markdown(L)                       # R11-8: "above" was ambiguous
    # R7-4: the drop is the catapult's sign, not a quadratic prediction; the early total loss stayed below its start on 4 of 5
    assert "the sharpness at the start foretold the first steps" not in markdown(L)
    assert sum(s < 1 for s in L["early_spikes"]) == 4
    assert "On the other four seeds the sharpness dropped below the edge without the total loss rising above its start" in markdown(L)
    assert L["edge_start"][1][1] < 1 < L["edge_start"][1][0]
    # C2: the 3 × values above the panel (top 20) are stated on it; the 10 × run says it was measured once
    assert L["off_note"].startswith("above the panel (> 20): 3 x 2/λ₀ˢ ")
    assert L["cat_labels"][3] == "10 x 2/λ₀ˢ" and len(L["edge_start"][3]) == 1   # its legend says "measured once" (test_plots)


def test_at_1_5_the_sharpness_drops_on_every_seed_and_the_loss_rises_first_on_one(L):
    # "Read the five columns against the catapult's two signs"
    assert L["n_seeds"] == 5 and L["n_survive"] == 5 and L["n_below_edge"] == 5
    assert L["early_seeds"] == [1]                             # "one seed of five (seed 1)"; "the other four"
    assert L["early_spikes"][1] > 1 and sum(s > 1 for s in L["early_spikes"]) == 1


def test_the_total_loss_is_not_read_as_the_catapult_signs_absence(L):
    # A3: the sharp-direction part grows by a constant factor per step at 1.5 x (printed); it was not measured
    (factor,) = printed(L, r"multiplies the loss's part along the sharpest direction by \(1 - 2 x 1.5\)² = {n} per step")
    assert factor == pytest.approx((1 - 2 * 1.5) ** 2) and factor > 1
    text = markdown(L)
    for overread in ("not a full catapult", "not further catapults", "what they show is the drop alone"):
        assert overread not in text, overread
    assert "This lesson did not measure them, so on the other four seeds" in text and "Zhu et al. (2023)" in text
    assert "The loss along the top eigenvector was not measured" not in text


def test_later_the_sharpness_swings_about_the_edge_and_the_loss_spikes_on_three_seeds(L):
    assert L["n_back_above"] == L["n_seeds"]                   # climbs back above 2/lr on every seed
    assert L["late_seeds"] == [1, 2, 4]                        # "three seeds of five (1, 2 and 4)"
    # R5-2, R11-15: "again on seed 1 ... and for the first time on seeds 2 and 4"
    assert L["late_again"] == [1] and all(L["early_spikes"][k] < 1 for k in (2, 4))
    assert "of these, above its start in steps 1-19 too: seed 1; for the first time from step 20: seed 2, 4" in L.text()
    assert "and for the first time on seeds 2 and 4, as the last lines under the table count" in markdown(L)
    assert "spikes above its start again" not in markdown(L)
    rows = re.findall(r"^\s*(\d)\s+[\d.]+\s+[\d.]+ \(\s*\d+\)\s+[\d.]+\s+([\d.]+)\s+[\d.]+\s+[\d.]+\s+([\d.]+)\s*$",
                      printed_output(L), re.M)
    assert [int(seed) for seed, _, _ in rows] == list(range(5))
    for _, final_over_start, at_end in rows:                   # "well below its start", "ends a little above it"
        assert float(final_over_start) < 0.3 and 1 < float(at_end) < 1.2


def test_every_loss_rise_comes_above_the_edge_but_the_edge_does_not_mark_the_rises(L):
    # R6-4: the spikes are lined up with lr·λ > 2 where the lesson measured it, and the overshoot reading is cited
    assert L["rises_total"] > 0 and L["rises_above_total"] == L["rises_total"]     # "every step on which the loss rose"
    assert L["falls_above_total"] > L["rises_total"]                             # "fell on more steps than it rose"
    text = markdown(L)
    assert "That is their explanation, cited, not tested here" in text
    assert "on these runs every step on which the loss rose" in text and "as the overshoot explanation needs" not in text
    assert "That is no law (lesson 5's 0.9 × run first rose below the edge; first section)" in text   # r15 D15: a pointer back
    assert "And here the converse fails: above the edge the loss fell on more steps than it rose (the line above it)" in text
    # R8-6: the base rate: most steps sat above the edge; below it the loss never rose
    above, total = L["steps_above"], L["steps_total"]
    assert above == L["rises_above_total"] + L["falls_above_total"] and above / total > 0.5
    assert total - above > 0 and L["rises_total"] - L["rises_above_total"] == 0
    assert (f"base rate: {above} of {total} steps ({100 * above / total:.0f}%) came with the last sharpness above 2/lr; "
            f"of the {total - above} below it, the loss rose on 0") in L.text()
    assert "**The base rate** (the line starting *base rate*, above the figure): most steps sat above the edge, and on none of the steps below it did the loss rise." in text
    assert "swings about the edge, as in the edge-of-stability runs" not in text


def test_the_thread_rate_sits_below_lewkowyczs_threshold_measured_with_their_eigenvalue_and_diverges(L):
    # r20 A1: their λ₀ is the Gauss-Newton part's top eigenvalue (λ_GN), measured here as lesson 4 does
    lam_gn, m = L["lam_gn"], L["gn_multiple"]
    assert m == pytest.approx(1e-3 * lam_gn / 2) and f"{m:.2f}" == "0.41" and m < 1       # lesson 4: 1e-3 below 2/λ_GN
    assert 0 < lam_gn < L["mb.full"]                                                     # a small fraction of the sharpness
    assert f"λ_GN = {lam_gn:.4g} = {lam_gn / L['mb.full']:.2f} x the sharpness λ₀; 2/λ_GN = {2 / lam_gn:.2e}" in L.text()
    assert f"lr = 1e-3 is {m:.2f} x 2/λ_GN: below it, in their lazy phase" in L.text()
    code4 = "".join("".join(c["source"]) for c in json.loads(next((ROOT / "notebooks").glob("04_*.ipynb")).read_text())["cells"])
    assert "lam_gn = gauss_newton_sharpness(model.get_weights(), x)" in code4            # the same measurement in lesson 4
    assert any(c.cell_type == "code" and "lam_gn = gauss_newton_sharpness(model.get_weights(), x)" in c.source for c in L.nb.cells)
    text = markdown(L)
    assert "above 4/λ₀" not in L.text() and "past the end of Lewkowycz" not in text and "as the first range would have it" not in text
    assert "above the end of Lewkowycz et al.'s catapult range" not in text and "wider for ReLU nets" not in text
    assert "it reached about six times it ($12/\\lambda_{GN}$)" in text
    assert ("Measured with their own eigenvalue, the thread's 1e-3 lies below $2/\\lambda_{GN}$ (printed above; lesson 4 found the same, "
            "under *The catapult criterion*): in the phase their theory calls **lazy**") in text
    # r26 A1, A3: the criterion read literally, with its premise (a wide net, mostly Gauss-Newton) said not to hold
    assert ("So, read literally, their criterion says 1e-3 should train on this net, although its premise, a wide net whose "
            "Hessian is mostly its Gauss–Newton part, does not hold here (λ_GN is 0.16 × λ₀, printed above);") in text
    assert f"{L['lam_gn'] / L['mb.full']:.2f}" == "0.16" and "for the thread's minibatch SGD" not in text
    assert "So their criterion, with their own $\\lambda_{GN}$, does not transfer to this net" in text
    assert ("- Measured with Lewkowycz et al.'s own eigenvalue $\\lambda_{GN}$, the thread's 1e-3 is 0.41 × their threshold "
            "$2/\\lambda_{GN}$ on the lesson-4 net, in the lazy phase where their theory predicts stable training; in full-batch "
            "gradient descent on one seed it diverged") in text
    heading = text.index("Where does the thread's rate sit"), text.index("## The thread's answers, checked")
    assert heading[0] < text.index("**tangent kernel**") < heading[1]                 # R7-9: defined where it is used
    assert "strongly **indefinite**" in text and L["lam_min0"] < -0.8 * L["mb.full"]
    # B2: the pointer names a heading that exists
    assert "#### The run at 1e-3, step by step" in text and "under answer 1 (*The run at 1e-3, step by step*)" in text
    assert "The next section runs it" not in text
    assert L["full_1e3.stopped_at"] is not None and L["full_1e3.stopped_at"] <= 10   # "within a few steps"
    # R7-8: "Its sharpness did drop on the way, on two steps below λ₀ itself, but not below the edge"
    k = L["full_1e3.stopped_at"]
    dropped = [j for j in range(1, k) if L["full_1e3.sharpness"][j] < L["mb.full"]]
    assert L["dropped"] == dropped and len(dropped) == 2 and all(L["edge_1e3"][j] > 1 for j in range(k))
    assert ": a drop, but not below the edge" in L.text()
    assert "on two steps below $\\lambda_0$ itself, but not below the edge" in text and "so no catapult caught it" not in text


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
    # B3: the definition of κ with absolute values is cited to §4.2, and §4.2 is in the references
    assert "Goodfellow et al. (§4.2, for a matrix with an eigendecomposition; applied to the Hessian in §4.3.1) define $\\kappa$" in text and "§4.2 (the condition number)" in text.split("## References")[1]


def test_the_gradient_step_decreases_the_loss_to_second_order_yet_full_batch_gd_at_1e_3_diverges(L, L5):
    curvature = L["gc.ghg"] / L["gc.gg"]
    assert 0 < curvature < 0.2 * L["mb.full"]                  # small against λ_max
    assert 2 * L["gc.gg"] / L["gc.ghg"] > 1e-3                 # turning point beyond the thread's rate
    # R5-1: "it turns positive only beyond a rate several times the thread's (printed above), and at 1e-3 it
    # predicts a decrease. What puts the threshold between 1e-4 and 1e-3 is ... λ_max"
    turning = 2 * L["gc.gg"] / L["gc.ghg"]
    assert 3 < turning / 1e-3 < 10
    assert f"= {turning / 1e-3:.1f} x the thread's 1e-3" in L.text()
    assert 1e-4 < 2 / L["mb.full"] < 1e-3 < turning
    text = markdown(L)
    assert "does not explain the blow-up at 1e-3: it turns positive only beyond a rate several times the thread's" in text
    assert "fits the start" not in text and "What puts the threshold between 1e-4 and 1e-3 is the course's criterion" not in text
    # R7-6, R11-13: the criterion predicts a threshold; the observed boundary is not sharp (0.9 x diverged, others not)
    assert "Only the model's positive-curvature part gives a threshold, at `critical_lr`, between 1e-4 and 1e-3" in text      # R14-A1
    # r19 A3: the full-batch evidence is lesson 5's run; the minibatch failures are against a full-batch criterion
    assert ("- *Observed.* The boundary is not a sharp line. On the lesson-4 net failures began below `critical_lr`: lesson 5's full-batch run at 0.9 × `critical_lr` "
            "passed $10^6$ times its starting loss (cited; its steps 0–2 are re-run in the first section).") in text
    assert ("but `critical_lr` is a full-batch criterion, and a minibatch run's stability also depends on how the minibatch Hessians "
            "spread, so those eight are no test of it") in text
    assert "(two different criteria, each a failure)" not in text
    # R8-5, R8-10: model.fit's finite run and lesson 5's He init at 1.02 x are named; critical_lr's pointer is right
    assert ("On the small net a success came above its own threshold: 1.5 × $2/\\lambda_0^{\\mathrm{s}}$ trained on 5 of 5 seeds "
            "(the catapult section).") in text                                               # r20 B8: each net against its own
    assert "(Lesson 5's He init, weights of variance $2/\\text{fan}_\\text{in}$, trained at 1.02 × its `critical_lr`, *Fix 4*: just above it, a small miss of the rule.)" in text
    assert L5["he_1e_4.trains"] and f"{1e-4 * L5['he_1e_4.sharpness_before'] / 2:.2f}" == "1.02"
    assert "at `critical_lr`, between 1e-4 and 1e-3 (printed in the first section)" in text and L.text().index(f"critical_lr {2 / L['mb.full']:.2e}") < L.text().index("## Progressive sharpening")
    assert L["n_order_diverged"] == 8 and L["lr_near"] < 2 / L["mb.full"]
    assert 0.5 * 1e-6 * L["gc.ghg"] - 1e-3 * L["gc.gg"] < -L["gc.loss"]   # a decrease larger than the loss
    assert L["full_1e3.losses"][1] < L["full_1e3.losses"][0]       # the first step lowers the loss
    assert "The gradient points mostly along gentle directions" not in markdown(L)


def test_the_1e_3_run_meets_a_sharpness_that_jumps_and_a_rate_above_its_threshold_at_every_step(L):
    k = L["full_1e3.stopped_at"]
    assert L["full_1e3.sharpness_steps"][:k + 1] == list(range(k + 1))       # measured at every step
    sharp = np.array(L["full_1e3.sharpness"][:5])
    # R5-3: "it jumps from step to step, up by more than a factor of ten once and down by a smaller factor"
    jump = sharp[1:] / sharp[:-1]
    assert np.allclose(jump, L["sharp_jump"]) and len(jump) == k - 1 == 4
    assert sum(j > 10 for j in jump) == 1 and 1 < 1 / jump.min() < 10 and jump.max() > 1 / jump.min()
    assert f"largest rise x{jump.max():.1f}" in L.text() and f"largest fall ÷{1 / jump.min():.1f}" in L.text()
    assert "up by more than a factor of ten once and down by a smaller factor (both printed above)" in markdown(L)
    signs = np.sign(np.diff(L["full_1e3.losses"][:5]))
    assert signs.tolist() == [-1, 1, -1, 1]                    # "falls and rises in turn"
    assert all(e > 1 for e in L["edge_1e3"][:k])               # "above 1 on every row"
    assert sum(e > 10 for e in L["edge_1e3"][:k]) == 2         # "more than tenfold on two rows"
    assert np.allclose(L["edge_1e3"], np.array(L["full_1e3.sharpness"]) * 1e-3 / 2)


def test_the_answers_formula_at_each_steps_weights_has_the_sign_of_every_change(L):
    # R6-3: evaluated at the weights each step of the 1e-3 run starts from, not only at the first
    k = L["full_1e3.stopped_at"]
    predicted, actual = np.array(L["predicted"]), np.array(L["actual"])
    assert len(predicted) == len(actual) == k and L["same_sign"] == k
    assert np.allclose(actual, np.diff(L["full_1e3.losses"][:k + 1]))
    assert (np.sign(predicted) == np.sign(actual)).all()            # "the *sign* of every change right"
    (gap,) = printed(L, r"replay against run, largest relative difference of the losses {n}")
    assert gap == pytest.approx(L["replay_gap"], abs=1e-9) and gap < 1e-3     # the replay took the run's steps
    rises = actual > 0
    lr_curv, share = np.array(L["lr_curv"]), np.array(L["curv_share"])
    assert rises.any() and (~rises).any()
    assert (lr_curv[rises] > 2).all() and (lr_curv[~rises] < 2).all()     # "rose exactly on the steps where ... > 2"
    # "a large fraction", "a small fraction"; "mostly along sharp directions": no eigenvalue exceeds λ_max, so a ratio
    # r > 0.75 puts more than half (2r - 1) of the gradient's squared length on curvatures of at least λ_max / 2
    assert share[rises].min() > 0.75 and share[~rises].max() < 0.1
    assert "and a ratio above 0.75, as on every rising step here, more than half of it along curvatures above" in markdown(L)
    off = predicted[rises] / actual[rises]                           # "more than a factor of ten, too high on one ... too low on the others"
    assert ((off > 10) | (off < 0.1)).all() and (off > 10).sum() == 1 and (off < 0.1).sum() == rises.sum() - 1
    assert np.allclose(predicted[~rises] / actual[~rises], 1, atol=0.5)   # the falling steps: not missed by large factors
    text = markdown(L)
    assert "at the weights of the later, rising steps it was not evaluated" not in text
    assert "the formula gets the *sign* of every change right, as the count under the replay table says, though not the size of the rises" in text
    # R8-2: one finding (the sign and the > 2 rule are the same fact), its size misses printed, the gradient's share measured
    rose = np.array(L["rose"])
    assert (rose == rises).all() and len(L["size_miss"]) == rises.sum()
    # R11-9: each miss printed with its direction (too high on step 1, too low on steps 3 and 4)
    misses = ", ".join(f"step {k} {'too high' if predicted[k] > actual[k] else 'too low'} x{m:.0f}"
                       for k, m in zip(np.flatnonzero(rises), L["size_miss"]))
    assert f"on the {rises.sum()} rising steps the formula misses the size: {misses};" in L.text()
    assert [predicted[k] > actual[k] for k in np.flatnonzero(rises)] == [True, False, False]
    assert "in both directions: too high on the first rise, too low on the other two (the factors printed;" in text
    assert min(L["size_miss"]) > 10 and "which it misses by more than a factor of ten on each, in both directions" in text
    assert f"there gᵀHg/gᵀg ÷ λ_max is at least {share[rises].min():.2f}" in L.text()
    assert "and fell on the two where it did not: five steps of one run" in text and k == 5   # r15 A5: no "one finding, not two"
    assert "In this run the loss rose exactly on the steps where" not in text and "the steps themselves showed" not in text
    assert ("the gradient at the start of every step on which the loss rose lay mostly along positively curved, sharp directions "
            "(its curvature $g^\\top H g/g^\\top g$ above 0.75 × $\\lambda_{\\max}$, printed there)") in text
    assert "though it missed the size of every rise; at the start of each step on which the loss rose the gradient lay mostly along sharp directions" in text   # r19 D16


def test_above_the_current_edge_is_a_condition_that_held_not_a_diagnosis(L, L5):
    # A1: the loss fell on two steps above the edge; runs that trained sat above their current edge too (printed)
    loss, edge = np.array(L["full_1e3.losses"]), np.array(L["edge_1e3"])
    fell = [k for k in range(L["full_1e3.stopped_at"]) if edge[k] > 1 and loss[k + 1] < loss[k]]
    assert L["fell_above"] == fell and len(fell) == 2          # "it fell on two of them"
    assert max(L["back_above"]) > 1.5 and max(L["high"], L["high2"]) > 1   # "sat above their current edge ... still trained"
    assert f"up to {max(L['back_above']):.2f} x" in L.text() and f"and {max(L['high'], L['high2']):.3f} x" in L.text()
    text = markdown(L)
    for cause in ("the culprit is", "The thread's blow-up is gradient descent with a rate above"):
        assert cause not in text, cause
    assert "an order in time, not a cause" in text and "may as well be a symptom" in text
    lesson5 = markdown(L5)   # lesson 5's caveat, which lesson 6 paraphrases: the two readings are not separated
    assert "the quadratic model failed over that step" in lesson5
    assert "or both came from a step too long for the quadratic model, this lesson does not separate" in lesson5


def test_which_direction_overflows_is_not_claimed(L, L5):
    # A2: a lower bound says the model is wrong along λ_min, not that the growth there cannot overflow
    text = markdown(L)
    for overclaim in ("cannot overflow", "is not what overflows", "fails first"):
        assert overclaim not in text, overclaim
    assert "carries the blow-up, the sharp one or the negatively curved one, the fixed model at the start cannot say" in text
    assert "overflow" not in text.split("## References")[0].replace("float32 overflow", "")       # R7-5: the run stopped finite
    assert L5["neg_growth"] > 1e10 and L5["low.trains"]        # "compounded ... to an absurd size, and the net trains"


def test_a_fixed_quadratic_model_grows_both_components_and_the_loss_only_along_the_sharpest(L):
    # R5-4: both factors in one unit (the gradient's component, |1 - lr·λ|), and what each does to the model's loss
    text = L.text()
    lam0, lam_min = L["mb.full"], L["lam_min0"]
    f_sharp, f_neg = abs(1 - 1e-3 * lam0), abs(1 - 1e-3 * lam_min)
    assert L["f_sharp"] == pytest.approx(f_sharp) and L["f_neg"] == pytest.approx(f_neg)
    assert f"sharpest direction (λ₀ = {lam0:.4g}): x{f_sharp:.2f}; that direction's part of the model's loss grows with its square, x{f_sharp ** 2:.1f}" in text
    assert f"most negative curvature (λ_min = {lam_min:.4g}): x{f_neg:.2f}; that direction's part of the model's loss is negative and falls" in text
    assert 1 < f_sharp < f_neg and lam_min < 0                  # "a larger factor, but there the growth *lowers* the model's loss"
    assert f"|1 - lr·λ₀| = {f_sharp:.2f} per step (grows)" in text     # the same factor under Picture x²
    md = markdown(L)
    assert "the component grows by $1-\\eta\\lambda_{\\min}$, a larger factor, but there the growth *lowers* the model's loss" in md
    assert "the error along the most negative curvature" not in text and "sharpest part of the error" not in md


# ------------------------------------------------------------------ Picture x²; question 1 in numbers

def test_x_squared_at_0_12_converges_and_ten_x_squared_diverges(L):
    text = L.text()
    assert "f = 1 x², f'' = 2: |1 - 0.12 f''| = 0.76 per step -> converges" in text
    assert "f = 10 x², f'' = 20: |1 - 0.12 f''| = 1.40 per step -> diverges" in text


def test_a_tenfold_change_of_rate_crosses_the_threshold_of_the_lesson_4_net(L, L5):
    # R5-5: the thread gives no architecture
    assert "On the lesson-4 net (the course's stand-in for the thread's), the threshold" in markdown(L)
    assert "the thread's kind of net" not in markdown(L)
    lam0 = L["mb.full"]
    assert 1e-4 < 2 / lam0 < 1e-3
    assert abs(1 - 1e-4 * lam0) < 1 < abs(1 - 1e-3 * lam0)
    assert "(shrinks)" in L.text() and "(grows)" in L.text()
    assert L5["lam_min"] < 0 and 1 - 1e-4 * L5["lam_min"] > 1   # the component along negative curvature grows at 1e-4 too
    assert L5["low.lr"] == 1e-4 and L5["low.trains"]           # and at 1e-4 the net trains


# ------------------------------------------------------------------ Answer 2, first reason

def test_minibatch_losses_differ_by_a_small_factor(L):
    losses = np.array(L["batch_losses"])
    assert len(losses) == 32 and losses.max() / losses.min() < 1.5
    # A7: after one step fitted batch 0: at 1e-4 no other batch is above it, at 1e-3 the largest is, by less than 2 x
    at_1e4, at_1e3 = L["fit_ratios"]
    assert at_1e4 <= 1 < at_1e3 < 2
    assert f"the largest = {at_1e3:.3g} x batch 0's" in L.text() and f"the largest = {at_1e4:.3g} x batch 0's" in L.text()
    text = markdown(L)
    assert "at 1e-3 the largest of the other batches' losses is above the fitted batch's, by less than a factor of two" in text
    # R7-3: the step lowered every other batch's loss: at 1e-3 each fell to less than a third of its value before
    at_1e4_change, at_1e3_change = L["other_change"]
    assert at_1e4_change < 1 and at_1e3_change < 1 / 4
    assert f"each at most {at_1e3_change:.3g} x its loss before" in L.text() and f"each at most {at_1e4_change:.3g} x its loss before" in L.text()
    assert "the one step on batch 0 *lowered* the loss of every other batch too, at both rates" in text
    assert "at 1e-3 each fell to less than a quarter of its value before the step" in text
    assert "could take thousands to a trillion only by compounding" not in text
    assert "and at 1e-4 none is: each printed line ends with that largest ratio" in text and "which does not compound" not in text
    assert "True, and measured at the top of this lesson" not in markdown(L)
    assert "fitted the values of one batch" in markdown(L)     # the answer's own argument, before it is judged


# ------------------------------------------------------------------ Initialization and Adam (cited from lesson 5)

def test_initialization_claims_cited_from_lesson_5(L5):
    assert L5["normal_critical"] < 1e-4 and L5["he_critical"] < L5["critical_lr0"]
    assert 2 / L5["small.sharpness_before"] > 1e-3 and math.isnan(L5["small.final_loss"])
    assert L5["small_crossed"] <= 10                           # "passed 2/η within a few steps"


def test_adam_claims_cited_from_lesson_5(L, L5):
    assert L5["ad.trains"] and 1e-3 > L5["critical_lr0"]
    trains = dict(zip(L5["adam_lrs"], L5["adam_trains"]))
    assert not trains[1.0] and not trains[10.0]
    assert L5["adam_fail_finite"] and L5["adam_fail_below_38"]
    assert L5["worst_trained"] == "adam"
    assert sorted(L5["below_adam_01"]) == ["centre_target", "standardize"]   # "lower than all of them but two, ..."
    assert "lower than all of them but two, standardized features and the centred target" in markdown(L)
    assert all(r > 1 for r in L5["adam_rise"])                 # "its loss ending above its start"
    text = markdown(L)                                         # R7-7: lesson 5's caveat, no explanation beyond it
    assert "which says little" in text and "what sets Adam's limit on this net, the course did not establish" in text
    assert "what grew with the rate was the step" not in text


# ------------------------------------------------------------------ Reading

def test_terms_are_defined_where_this_lesson_uses_them(L):
    text = markdown(L)
    for term in ("**edge**", "**preconditioned sharpness**", "**preconditioning**", "**catapult**", "Glorot's (weights of variance",
                 "**tangent kernel**. That is the matrix", "**Gauss–Newton part** of the Hessian. This is the first term",
                 "of lesson 5's formula $H = "):
        assert term in text, term
    assert "(the sharpness at the start)" not in text
    # R7-9: the ratio's two spellings are one ratio; the residual in lesson 5's formula is defined here
    assert "the ratio sharpness / (2/lr) $= \\eta\\lambda_{\\max}/2$ (the table in the first section)" in text   # r15 B9: one spelling
    assert "where $r_i = f_i - y_i$ is the net's error on row $i$" in text


def test_the_overview_names_both_nets(L):
    # R5-11: the first and last sections run the lesson-4 net, the sections between the small one
    overview = L.nb.cells[0].source
    assert "on small nets so every run takes seconds" not in overview
    assert ("- the **lesson-4 net**, the thread's stand-in: in the first section (at 0.9 × its threshold), at the end of the third "
            "section and in the closing section on the thread's answers;\n- a **small net**, in the two sections between") in overview  # r15 B10
    assert ("200 for the *catapult* (at a rate above the threshold at the start, two signs in the first steps: the loss rises, "
            "then the sharpness drops below $2/\\eta$") in overview
    assert "$\\lambda_0$ is always the lesson-4 net's sharpness at the start; the small net's is $\\lambda_0^{\\mathrm{s}}$" in overview
    assert L["loss0"] > 1e3 and L["eos.lr"] == 0.1 and len(L["eos.losses"]) == 1000   # two different nets; a thousand steps


def test_every_reference_is_cited_in_the_text(L):
    body, references = markdown(L).split("## References")
    for author in ("Cohen", "Damian", "Lewkowycz", "Goodfellow", "Kingma", "Gilmer", "Zhu"):
        if author in references:
            assert author in body, f"{author} is listed under References but never cited"


def test_suptitles_are_short(L):
    # D1: one line each, no printed output repeated
    for alt in figure_titles(L):
        for title in alt.removeprefix("Figure: ").split("; "):
            assert len(title) <= 130, title


def test_the_starting_criterion_is_a_rule_of_thumb_that_needed_a_margin(L, L5):
    """Answer 1 and 'What we learned': the criterion at the start is a rule of thumb; lesson 5's 0.9 x run and its
    small init diverged inside it; the answer's formula was evaluated at the initial weights only."""
    text = markdown(L)
    assert ("the criterion is a rule of thumb that needs a margin (lesson 5's 0.9 × run diverged inside it, and so did its tenfold "
            "smaller Glorot init at 1e-3, *Fix 4*;") in text
    assert L5["small.trains"] is False and 2 / L5["small.sharpness_before"] > 1e-3      # small init: inside its bar
    assert L5["mb_diverged_at"] is not None and L5["fb_diverged_at"] is not None      # 0.9 x: both runs blew up
    assert "evaluated at the initial weights along the gradient" in text and "it predicts where trouble starts" not in text
    assert "So at 1.5 × the quadratic model at the start predicted growth along the sharp direction, and divergence" in text


def test_the_1e_3_run_stopped_by_the_1e6_rule_with_a_finite_loss(L):
    # R7-5: gd_with_sharpness stops at 1e6 x the starting loss; the 1e-3 run's last loss is finite
    k = L["full_1e3.stopped_at"]
    loss = L["full_1e3.losses"]
    assert math.isfinite(loss[k]) and loss[k] > 1e6 * loss[0] and all(v <= 1e6 * loss[0] for v in loss[:k])
    assert "above 1e6 x its start (the run's stop rule; still finite, not an overflow)" in L.text()
    assert "until the loss passed $10^6$ times its start" in markdown(L) and "until the loss overflowed" not in markdown(L)


def test_round_8_minors_the_catapult_control_the_thread_multiple_and_the_computed_remarks(L):
    text = markdown(L)
    # R8-7: the 0.5 x control on seed 0 barely moved over the first five steps, the 1.5 x run fell below the edge
    (half0, half5), (big0, big5) = L["edge_start"][0], L["edge_start"][1]
    assert abs(half5 / half0 - 1) < 0.05 and big0 > 1 > big5 and L["multiples"][:2] == [0.5, 1.5]
    assert ("the 0.5 × control on seed 0 shows (the other seeds have none): over the same five steps its sharpness / (2/lr) "
            "barely moved, while at 1.5 × it fell below 1") in text
    assert "nothing measured here tells the two names apart" not in text and "Its first sign is not shown" not in text
    # R8-8: each net's own λ₀; the comparison is not withdrawn after being made
    # R14-B9: the lesson-4 net's multiple is no longer set against the small net's 1.5 x and 3 x
    assert "neither range transfers" not in text
    assert "That is between the small net's 1.5 ×" not in text and "3 × (one run, seed 0, diverged)" not in text
    # R8-13: the remarks printed beside the numbers are conditions computed from them
    ratio = -L["predicted"][0] / L["gc.loss"]                  # the first step's predicted change is the formula at the start
    assert ratio > 1 and f"a decrease of {ratio:.2f} x the loss itself ({L['gc.loss']:.4g}): a fall no squared error can have" in L.text()
    assert L["lam_min0"] < 0 and L["f_neg"] > 1 and "that direction's part of the model's loss is negative and falls, without bound" in L.text()
    # R8-15: the dotted window minima are named in the edge-of-stability figure's legend (figure viewed)
    code = "".join(c.source for c in L.nb.cells if c.cell_type == "code")
    assert 'label=f"lr = {run.lr:g}: lowest loss in steps 600-799 and 800-999"' in code and "ax_l.legend(" in code


def test_round_10_the_start_already_had_a_sharp_component_and_one_step_was_tested_only_at_the_start(L, L5):
    """Round 10: lesson 5 printed the gradient's share along the sharpest direction at the start (0.61), so lesson 6
    no longer says the gradient turned towards the sharp directions 'not at the start'; the one-step test of the
    answer's 'different data' ran from the initial weights only, and the lesson says so."""
    text = markdown(L)
    assert "not at the start." not in text
    assert "does not mean that the first gradient avoided the sharpest direction" in text     # R11-10, tested below
    assert "from the initial weights, lowered every other batch's loss too" in text
    assert "a partly trained net, the answer's scenario, was not tested" in text



def test_round_11_the_bound_is_stated_the_boundary_is_not_sharp_and_the_step_counts_are_printed(L, L5):
    """'That prediction is a bound ... negative whenever ηλ_max < 2'; 'The observed boundary is not a sharp line
    there: ... failures began below it; yet model.fit's run ... stayed finite, and ... He init trained at 1.02 ×';
    '1,000 full-batch steps for the edge of stability and 200 for the catapult'; 'again on seed 1'."""
    md = markdown(L)
    assert "is at most $-\\eta\\, g^\\top g\\,(1 - \\eta\\lambda_{\\max}/2)$" in md
    assert np.all(np.array(L["curv_share"]) <= 1 + 1e-6)          # gᵀHg ≤ λ_max gᵀg on every measured step
    assert "- *Observed.* The boundary is not a sharp line." in md and "boundary lies lower" not in md
    assert L["n_order_diverged"] == 8 and f"{L5['out_trained'][0]:.2f}" == "1.02"
    assert printed(L, r"{n} full-batch steps planned per run") == (200.0,)
    assert printed(L, r"lr = 0.1: lowest loss .* the loss rose on {n} of the {n} steps after step 600")[1] + 601 == 1000
    assert "1,000 steps for the *edge of stability* (the sharpness climbs to $2/\\eta$ and stays there), 200 for the *catapult*" in md
    assert "a thousand steps (the sections between)" not in md
    early = [s for s in range(len(L["early_spikes"])) if L["early_spikes"][s] > 1]
    late = [s for s in range(len(L["late_spikes"])) if L["late_spikes"][s] > 1]
    assert early == [1] and late == [1, 2, 4]
    assert "again on seed 1 (whose loss was above its start in steps 1–19 too)" in md and "a second time" not in md


# ------------------------------------------------------------------ Round 11 review (r11_06)

def test_r11_a1_the_run_at_1e_3_diverged_where_their_lazy_phase_predicts_training(L):
    """r20 A1: 'did this run ... train, as Lewkowycz et al.'s lazy phase predicts? No'."""
    assert L["gn_multiple"] < 1 and L["full_1e3.stopped_at"] is not None
    text = markdown(L)
    assert ("did this run, full-batch gradient descent on one seed, train, as Lewkowycz et al.'s lazy phase predicts? No: it passed "
            "$10^6$ times its starting loss at step 5") in text and L["full_1e3.stopped_at"] == 5
    assert "That outcome is what the solvable model's range would give" not in text


def test_r11_a2_one_step_lowered_every_other_batch_at_both_rates_and_any_step_is_not_claimed(L):
    # "any step" is contradicted: from the initial weights the second-order change turns positive beyond ε = 4.92e-03
    assert all(change < 1 for change in L["other_change"]) and len(L["other_change"]) == 2
    assert L["gc.ghg"] > 0 and math.isfinite(2 * L["gc.gg"] / L["gc.ghg"])
    text = markdown(L)
    assert "offset that any step reduces" not in text and "target's offset" not in text
    assert ("One step on one batch, at either of the thread's rates, from the initial weights, lowered every other batch's loss too: "
            "there the different data did not make the loss rise;") in text


def test_r11_a3_on_seed_0_the_starting_multiple_ranked_the_outcomes_and_2_over_lambda0_was_not_the_line(L):
    text = L.text()
    for m in (" 0.5", " 1.5"):
        line = next(l for l in text.splitlines() if l.startswith(f"lr = {m} x 2/λ₀ˢ:"))
        assert "diverged" not in line and "at the end" in line
    for m in (" 3.0", "10.0"):
        assert f"lr = {m} x 2/λ₀ˢ: diverged at step" in text
    assert L["n_survive"] == L["n_seeds"] == 5
    md = markdown(L)
    assert "The starting sharpness did not foretell the outcome either" not in md
    assert "On seed 0 the starting multiple $\\eta\\lambda_0^{\\mathrm{s}}/2$ did rank the outcomes" in md
    assert ("What failed is $2/\\lambda_0^{\\mathrm{s}}$ as the line between them: on seed 0, of the rates tried, the boundary lay between "
            "1.5 × and 3 ×, not at 1 ×") in md                                         # R12-A5: one seed, the rates tried
    assert "the one run tried on seed 0 diverged" not in md                     # R11-17: two runs, "each"


def test_r11_a4_the_values_cited_are_printed_above_the_first_catapult_figure(L):
    cells = L.nb.cells
    printed_at = next(i for i, c in enumerate(cells) if c.cell_type == "code" and any(
        "initial sharpness" in o.get("text", "") and "0.49 at step 5" in o.get("text", "") for o in c.get("outputs", [])))
    figure_at = next(i for i, c in enumerate(cells) if c.cell_type == "code" and "plt.subplot_mosaic" in c.source)
    assert printed_at < figure_at                                   # the λ₀ and the control values: in the cell above
    (lam0,) = printed(L, r"initial sharpness {n}, 2/λ₀ˢ")
    assert any(f"(λ₀ˢ = {lam0:.3g})" in alt for alt in figure_titles(L))      # "and shown in its title"
    md = markdown(L)
    assert "under the first catapult figure" not in md
    assert "(both printed just above the first catapult figure)" in md


def test_r11_a5_the_two_divergence_criteria_are_named_and_like_is_compared_with_like(L, L5):
    # lesson 6's orders: train_sgd's first inf/nan; lesson 5's comparison: the full-data loss above 1e6 x start
    assert "first inf/nan in 8 of 8" in L.text()
    assert "full-data loss above 1e6 x its start: full-batch GD at step" in L5.text() and "(within one step of each other)" in L5.text()
    md = markdown(L)
    assert "diverged within a step of the minibatch run" not in md
    assert ("with one criterion for both runs, the full-data loss passing $10^6$ times its start: full-batch gradient descent, "
            "with no minibatch noise at all, passed it within a step of the minibatch run") in md
    assert ("Here *diverged* is `train_sgd`'s rule, a minibatch loss turning inf or nan; lesson 5's comparison above counted the steps "
            "to the full-data loss passing $10^6$ times its start, a different rule, so the two sets of step numbers are not compared") in md
    assert "runs diverged within a step of each other" not in md
    assert "diverged above (and at 0.9 × `critical_lr` in lesson 5; first section)" in md   # r15 D15: said once, pointed back to
    assert "all eight minibatch orders of the course's loop diverged (first section), and so did" not in md


def test_r11_b6_the_four_names_stand_side_by_side_before_the_noise_question(L):
    md = markdown(L)
    table = md.index("| name | what it is | kind |")
    assert table < md.index("Does that noise decide whether training diverges?") < md.index("## Progressive sharpening")
    for row in ("| `critical_lr` $= 2/\\lambda_{\\max}$ | the **threshold**", "| $\\lambda_0$ and $2/\\lambda_0$ |",
                "| the **edge** $2/\\eta$ |", "| $\\eta\\lambda_{\\max}/2$ | lr ÷ `critical_lr` $=$ sharpness ÷ edge"):
        assert table < md.index(row) < table + 1200, row
    assert "defined fully under *Progressive sharpening*" not in md
    assert "at which the rate sits exactly on the threshold" not in md            # the circular definition


def test_r11_b7_the_top_eigenvector_and_the_part_of_the_loss_along_it_are_defined_where_used(L):
    md = markdown(L)
    defined = md.index("its Hessian's **top eigenvector** (the eigenvector of its largest eigenvalue)")   # r15 B8: first use
    assert defined < md.index("top eigenvector's term, the **part of the loss along the sharp direction**")
    assert "A quadratic model's loss is a constant plus one term per eigenvector of its Hessian, $\\tfrac{1}{2}\\lambda_i c_i^2$" in md   # r25 A3
    assert "this lesson does not measure the loss along the top eigenvector" not in md


def test_r11_b10_the_small_ratio_at_the_start_is_an_average_of_both_signs(L, L5):
    """'Lesson 5 ... printed the cosine ..., 0.61, so about 0.37 of gᵀg lay along it, which alone adds about
    0.37 × λ_max to the ratio; the rest ... average negative ..., and that cancelled most of it.'"""
    cosine = L5["g_top_share"]
    assert f"|g·v| / |g| = {cosine:.2f}" in L5.text() and f"{cosine:.2f}" == "0.61" and f"{cosine ** 2:.2f}" == "0.37"
    (rest,) = printed(L5, r"rᵀHr / rᵀr = {n}")
    assert rest < 0
    start_share = L["curv_share"][0]                                   # 0.079: gᵀHg/gᵀg ÷ λ_max at step 0
    assert start_share < cosine ** 2 / 2                               # "cancelled most of it"
    assert start_share == pytest.approx(L["gc.ghg"] / L["gc.gg"] / L["mb.full"], rel=1e-3)
    md = markdown(L)
    assert "Lesson 5 (*The problem, measured again*) printed the share of that gradient along the sharpest direction $v$, $|g\\cdot v|/|g|$ (the cosine between the two), 0.61" in md
    assert "so about 0.37 of $g^\\top g$ lay along it, which alone adds about 0.37 × $\\lambda_{\\max}$ to the ratio" in md
    assert "the rest of the gradient lay along curvatures that average negative (lesson 5 printed the average)" in md


def test_r11_b12_the_answers_diagnosis_is_compared_with_the_rule_of_thumb(L):
    assert "condition number 100, critical_lr = 2/λ_max = 0.02 -> diverges" in L.text()     # the two bowls above
    assert "condition number 100, critical_lr = 2/λ_max = 2 -> converges" in L.text()
    md = markdown(L)
    assert "does not fit either" not in md
    # R14-A4: the answer's ill-conditioning is Goodfellow et al.'s (the curvature term outgrowing the first-order one),
    # credited as the mechanism found; only the condition number is said not to set the threshold
    assert "The answer's *label* fits worse than that rule of thumb" not in md
    assert ("- *Ill-conditioning.* In Goodfellow et al.'s §8.2.1, which the answer follows, ill-conditioning shows itself as the "
            "curvature term outgrowing the first-order one. On this run the loss rose on the steps where that term won (the replay table).") in md
    assert "The word's other meaning, a large condition number $\\kappa$, does not set the threshold; $\\lambda_{\\max}$ does" in md
    assert "the first step's was negative" not in md and "The second-order change of the whole first step was negative" not in md
    assert L["same_sign"] == len(L["predicted"]) == 5                      # "had the sign of every step's change"
    assert f"the sign is right on {L['same_sign']} of {len(L['predicted'])} steps" in L.text()
    stop = L["full_1e3.stopped_at"]
    assert all(e > 1 for e in L["edge_1e3"][:stop])                          # the rule held on every step before the blow-up
    fell = [k for k in range(stop) if L["full_1e3.losses"][k + 1] < L["full_1e3.losses"][k]]
    assert fell == L["fell_above"] and fell                                   # ... including the steps on which the loss fell
    assert f"above the current 2/sharpness, yet the loss fell: step(s) {fell}" in L.text()
    # R14-A3: the formula (each step's own gradient and Hessian) and the stability rule are not scored against each other
    assert "its formula fared better than the rule on this run" not in md
    assert "- *Formula and rule.* They answer different questions, so they are not scored against each other here." in md
    assert "fed each step's own gradient and Hessian, which are known only while the run happens" in md
    assert "is a stability criterion: in the quadratic model it says whether the part along the sharpest direction grows over many steps, not the sign of any one step's change" in md


def test_r11_c13_the_five_seed_figure_shades_the_steps_above_the_edge_and_counts_the_rises_in_it(L):
    # each column's title counts its rises and those in the shade (computed by plots.above_edge_spans)
    alt = next(a for a in figure_titles(L) if "on 5 seeds" in a)
    counts = [tuple(map(int, m)) for m in re.findall(r"(\d+) rising steps?, (\d+) shaded", alt)]
    assert len(counts) == L["n_seeds"] == 5
    assert sum(r for r, _ in counts) == L["rises_total"] and all(r == inside for r, inside in counts)
    assert L["rises_above_total"] == L["rises_total"]
    assert "grey shades those stretches in both rows, and each column's title counts its rises and how many lie in the shade" in markdown(L)


def test_r11_d15_the_threads_words_are_paraphrased_and_attributed_not_quoted(L):
    md = markdown(L)
    body = md.split("## References")[0]
    quoted = re.findall(r"“([^”]*)”", body)
    assert quoted == ["Why is learning rate causing my neural network's weights to skyrocket?"], quoted   # the thread's title only
    for heading in ("### Answer 1: an ill-conditioned Hessian, and the second-order change", "### Answer 2, second reason: the picture of $x^2$",
                    "### Answer 2, first reason: new data at the next step", "### A comment: how were the weights initialized?",
                    "### A comment: try Adam"):
        assert heading in md, heading
    assert "One comment under the question (Himanshu Rai's) asks how the weights were initialized" in md
    assert "Another comment under the question (D.W.'s) suggests the Adam optimizer" in md
    assert "The answer quotes Goodfellow et al. on ill-conditioning, then sums up their derivation in its own words" in md


# ---- twelfth review (r12_06) ----

def test_r12_a2_the_threshold_is_defined_on_a_bowl(L):
    md = markdown(L)
    assert "gradient descent on a quadratic with sharpness" not in md
    assert "gradient descent on a bowl (all eigenvalues positive) with sharpness $\\lambda_{\\max}$ converges at any rate below it" in md


def test_r12_a3_the_one_batch_test_ran_from_the_initial_weights_with_a_shared_offset(L):
    md = markdown(L)
    assert "From these initial weights the next batch's loss did not rise, so in this test there is no growth factor to compound" in md
    assert "every batch shares the same offset error" in md and "a partly trained net, the answer's scenario, was not tested" in md
    spread = L["batch_losses"]
    assert max(spread) / min(spread) < 1.5 and min(spread) > 1e3                 # "differ by the small factor printed"
    assert f"largest / smallest = {max(spread) / min(spread):.2f}" in L.text()
    assert all(c < 1 for c in L["other_change"])                                  # the step lowered every other batch, both rates


def test_r12_a4_zero_of_eight_bounds_the_survival_rate_computed_exactly(L):
    from scipy.stats import binom
    n, k = len(L["order_steps"]), L["n_finite"]
    assert (n, k) == (8, 0)
    upper = L["survive_upper"]
    assert binom.cdf(k, n, upper) == pytest.approx(0.05, rel=1e-9)             # the exact one-sided 95% Clopper-Pearson limit
    assert upper == pytest.approx(1 - 0.05 ** (1 / 8), rel=1e-9) and 0.25 < upper < 0.35
    assert (f"0 of 8 orders finite: if orders are independent draws, the share that keeps the run finite is at most "
            f"{100 * upper:.0f}% (exact binomial, one-sided 95% upper limit)") in L.text()
    md = markdown(L)
    # r25 A1: lesson 5 left the cause open; the 0 of 8 speaks against the order alone, not against a reading of lesson 5
    assert "only mild evidence against the order alone having kept `model.fit`'s run finite" in md
    assert "lesson 5 left open whether the order of the minibatches or the training code made that difference" in md
    assert "which of the two differences kept it finite is not isolated here" in markdown(lesson("05"))
    assert "`model.fit` also differs in its generator, loss and optimizer code, and which difference matters was not measured" in md
    assert "neither confirm nor rule out" not in md and "These runs do not say how often an order survives" not in md


def test_r12_a6_lesson_5s_rise_was_under_minibatch_sgd(L):
    md = markdown(L)
    assert "Lesson 5 saw the start of the same rise" not in md
    assert "Lesson 5 saw a similar rise on the lesson-4 net, but under minibatch SGD, not this section's full-batch gradient descent" in md


def test_r12_c13_steps_0_to_4_are_shaded_by_construction_and_the_later_rises_are_counted(L):
    runs_start = [s for s in L["seed_lams"]]
    assert len(runs_start) == 5
    after = L["rises_after_4"]
    assert 0 < after <= L["rises_total"]
    assert (f"steps 0-4 are shaded by construction (sharpness / (2/lr) = 1.50 at step 0, the only measurement before step 5); "
            f"{after} of the {L['rises_total']} rises came after step 4") in L.text()
    assert L["rises_above_total"] == L["rises_total"]                             # "all of them in the shade too"
    md = markdown(L)
    assert "Steps 0–4 are shaded on every seed by construction" in md and "all of them in the shade too, is printed" in md
    assert "the figure cannot show whether a rise comes before or after the sharpness crosses the edge" in md


def test_r12_b8_r14_b8_the_1e3_runs_outcome_is_read_after_its_table(L):
    md = markdown(L)
    assert "what follows summarises it ahead of time" not in md                       # R14-B8: no outcome before its table
    assert "The run printed further down, under answer 1 (*The run at 1e-3, step by step*), is full-batch gradient descent at 1e-3 from the same initial weights, on one seed, and whether it trained is read there" in md
    verdict = md.index("First the question left open under the catapult: did this run, full-batch gradient descent on one seed, train, as Lewkowycz et al.'s lazy phase predicts? No: it passed $10^6$ times its starting loss at step 5")
    assert md.index("#### The run at 1e-3, step by step") < verdict
    assert md.index("on two steps below $\\lambda_0$ itself, but not below the edge") > md.index("#### The run at 1e-3, step by step")
    assert L["full_1e3.stopped_at"] == 5 and "diverged at step 5: loss" in L.text()


def test_r12_b9_terms_are_defined_where_first_used(L):
    md = markdown(L)
    first = lambda term: md.index(term)
    assert first("sharp direction") == first("**sharp direction**: the direction in weight space along which that batch's curvature is largest") + 2
    low = md.lower()
    heading, definition = low.index("## progressive sharpening"), low.index("*progressive sharpening* is the sharpness rising while the net trains")
    assert low.index("progressive sharpening") == heading + 3 and 0 < definition - heading < 120   # defined right under its heading
    assert first("edge of stability") > first("the *edge of stability* (the sharpness climbs to $2/\\eta$ and stays there)") - 1
    assert first("catapult") > first("the *catapult* (at a rate above") - 1


def test_r12_d15_the_rate_in_the_minibatch_legend_is_written_as_in_the_printout(L):
    # the legend (helpers.plots.draw_minibatch_sharpness, tested in test_plots) writes the rate with :.2e, as this printout does
    assert f"at lr = 0.9 x critical_lr = {L['lr_near']:.2e}" in L.text()
    assert "plots.draw_minibatch_sharpness(ax, mb, lr_near)" in "".join(c.source for c in L.nb.cells if c.cell_type == "code")


def test_r12_b7_b10_pointers_to_where_the_numbers_are(L):
    md = markdown(L)
    assert "That run is lesson 5's, and its numbers are checked there." in md
    assert "The short answers to the thread's two questions are in *In one line*, at the end of this section." in md
    # "the loss rose on exactly the steps that went more than twice as far": lr·gᵀHg/gᵀg > 2 exactly on the rising steps
    rose = np.array(L["actual"]) > 0
    assert rose.any() and ((np.array(L["lr_curv"]) > 2) == rose).all()


# ---- fourteenth review (r14_06) ----

def _source_markdown(number):
    """A lesson's Markdown as written (unexecuted): for a sentence of another lesson that lesson 6 cites."""
    import nbformat
    path = next((ROOT / "notebooks").glob(f"{number}_*.ipynb"))
    return "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")


def test_r14_a1_the_answer_to_question_1_rests_on_measured_runs_and_the_one_direction_picture_has_its_caveats(L):
    md = markdown(L)
    assert "That is the course's answer to the thread's first question" not in md
    assert ("The course's answer to the thread's first question, why a tenfold change of rate matters so much, is that a rate is large "
            "or small against the curvature, and it rests on measured runs.") in md
    # lesson 4's 13-rate grid: the threshold lay between the largest finite rate and the smallest that blew up
    lesson4 = _source_markdown("04")
    assert "On this grid $2/\\lambda_{\\max}$ lies between the largest rate that stayed finite and the smallest that blew up" in lesson4
    assert "## Try it" in lesson4
    code4 = "".join("".join(c["source"]) for c in json.loads(next((ROOT / "notebooks").glob("04_*.ipynb")).read_text())["cells"])
    assert "lr_sweep(model, x, y, np.logspace(-5, -2, 13)" in code4
    assert ("In lesson 4 (*Try it*), on a grid of 13 rates from $10^{-5}$ to $10^{-2}$, too coarse to show the failure at 0.9 × "
            "`critical_lr`, it lay between the largest rate that stayed finite") in md              # r20 D19
    assert 1e-5 * 10 ** (3 / 12) > 1.7e-5 and 0.9 > 1 / 10 ** (3 / 12)                   # grid ×1.78 apart: 0.9 x sits between two points
    # the README's 20 further seeds
    readme = (ROOT / "README.md").read_text()
    assert ("| `blowup_seeds.py --seeds 20 --first-seed 100` | the lesson-4 claims on 20 seeds never used for tuning | "
            "inf or nan at 1e-3: 20/20; 1e-4 trains: 20/20; 1e-4 < 2/sharpness < 1e-3: 20/20 |") in readme
    assert ("on 20 further seeds never used for tuning (the README's table, not run here), 1e-3 reached inf or nan "
            "on all 20, 1e-4 trained on all 20, and the threshold lay between the two rates on all 20") in md
    assert "cited under answer 1" not in md      # r21 A4: answer 1 cites only the 1e-3 part
    # the caveats, printed under the factors and quoted with the printed values
    fall = 1 - L["full_1e3.losses"][1] / L["full_1e3.losses"][0]
    jump = L["sharp_jump"][0]
    assert L["first_fall"] == pytest.approx(fall)
    # r21 A3: the eight minibatch orders are no test of a full-batch criterion, so they are no caveat to it either
    assert f"caveat: at 1e-3 the first step lowered the loss by {100 * fall:.0f}% and the sharpness rose x{jump:.1f} in that step\n" in L.text()
    assert "minibatch orders reached inf/nan" not in printed_output(L) and "orders reached inf/nan there too" not in md
    assert f"{100 * fall:.0f}" == "88" and f"{jump:.1f}" == "5.8" and L["n_order_diverged"] == 8
    assert ("at 1e-3 the first step *lowered* the loss, by 88%, and the sharpness rose 5.8-fold in that one step, after which the model "
            "at the start no longer describes the run") in md
    assert ("and at 0.9 × `critical_lr`, below this full-batch threshold, lesson 5's full-batch run diverged (cited; its steps 0–2 re-run "
            "in the first section). The Hessian") in md   # r19 A3, r20 B7
    assert "(the first caveat printed above, the second cited)" in md
    # a saddle: only the positive-curvature part gives a threshold
    assert L["lam_min0"] < 0
    assert "The Hessian at the start is indefinite, so the model is a saddle, and only its positive-curvature part gives a threshold." in md
    assert "along that direction the model is wrong at any rate" in md and 1 - 1e-4 * L["lam_min0"] > 1
    assert ("- A rate is large or small against the curvature: on the lesson-4 net the threshold from the initial weights separated "
            "the thread's two rates on lesson 4's seed and, in the README's table (cited, not run here), on 20 further seeds") in md
    assert 1e-4 < 2 / L["mb.full"] < 1e-3                                # and on this lesson's seed


def test_r14_a2_the_short_answer_carries_its_scope(L):
    misses = [f"{m:.0f}" for m in L["size_miss"]]
    assert misses == ["56", "11", "317"] and L["full_1e3.stopped_at"] == 5 and int(np.sum(np.array(L["actual"]) > 0)) == 3
    md = markdown(L)
    assert ("rests on five steps of one run, full-batch gradient descent on the lesson-4 net at 1e-3: "
            "the loss rose on the three steps") in md
    assert f"while on those three rises the same model missed the size by factors of {misses[0]}, {misses[1]} and {misses[2]}" in md
    assert "That is a finding about that run, not a general law." in md


def test_r14_a4_answer_1_is_read_as_goodfellow_means_it(L):
    md = markdown(L)
    # r16 A4: the formula is tested, the answer's stated cause (an ill-conditioned Hessian) is not
    assert "This lesson tests the formula, not that cause" in md and "mechanism this lesson finds" not in md
    assert "the condition number $\\kappa$ (for a bowl, whose eigenvalues are all positive, $\\kappa = \\lambda_{\\max}/\\lambda_{\\min}^{+}$, where $\\lambda_{\\min}^{+}$ is its smallest eigenvalue, positive; below, $\\lambda_{\\min}$ without the plus is the most negative eigenvalue of a Hessian that has negative ones), and that number does not set the threshold" in md   # r19 B8
    assert "is not what sets the threshold. Two bowls" not in md
    assert "ill-conditioning at work" not in md
    assert ("That backs the answer's formula, on five steps of one run, not its stated cause: whether the Hessian's ill-conditioning "
            "caused the rises was not tested.") in md
    rose = np.array(L["actual"]) > 0                                   # "the loss rose on exactly the steps where that term won"
    assert ((np.array(L["predicted"]) > 0) == rose).all()


def test_r14_a5_b10_the_bound_is_explained_and_read_at_its_strength(L):
    upper = L["survive_upper"]
    assert (1 - upper) ** 8 == pytest.approx(0.05, rel=1e-9)           # 0 of 8 still happens 5% of the time at that share
    assert 0.28 < upper < 0.36                                          # "about one in three"
    md = markdown(L)
    assert "unlikely event" not in md
    assert "at most about one in three, at 95% confidence" in md and "which is not rare. So this is only mild evidence" in md   # r15 A3, B10


def test_r14_b6_lesson_5s_claims_name_their_section(L, L5):
    lesson5 = _source_markdown("05")
    for heading in ("### What happens at 0.9 × `critical_lr`: a measurement", "## Debugging: find the blow-up, ideally before the nan",
                    "## The problem, measured again", "## Fix 1: a lower learning rate", "## Fix 3: Adam, a commenter's suggestion",
                    "## Fix 4: weight initialization, a commenter's question", "## All the fixes side by side"):
        assert heading in lesson5, heading
    md = markdown(L)
    for cite in ("Lesson 5 (*What happens at 0.9 × `critical_lr`: a measurement*, under *Fix 1*) tested it",
                 "stayed finite for 64 steps (lesson 5, *Debugging: find the blow-up, ideally before the nan*)",
                 "by almost half their norm (lesson 5, *The problem, measured again*)",
                 "trained at 1.02 × its `critical_lr`, *Fix 4*: just above", "measured in lesson 5 (*Fix 4: weight initialization, a commenter's question*)",
                 "Measured in lesson 5 (*Fix 3: Adam, a commenter's suggestion*)", "(lesson 5, *All the fixes side by side*)",
                 "lesson 5, under *Fix 1*, compounded its factor"):
        assert cite in md, cite
    assert "blew up too (lesson 5, by the full-data rule)" not in md
    assert L5["fb_diverged_at"] is not None and abs(L5["mb_diverged_at"] - L5["fb_diverged_at"]) <= 1


def test_r14_b7_the_catapult_reading_is_bullets_each_pointing_at_a_printed_column(L):
    cell = next(c.source for c in L.nb.cells if c.cell_type == "markdown" and c.source.startswith("Read the table and the figure above"))
    bullets = [line for line in cell.splitlines() if line.startswith("- **")]
    assert len(bullets) == 7
    header = next(line for line in printed_output(L).splitlines() if line.lstrip().startswith("seed") and "final/start" in line)
    columns = re.findall(r"columns? \*([^*]+)\*(?: and \*([^*]+)\*)?", cell)
    named = {name for pair in columns for name in pair if name}
    assert named == {"sharpness/(2/lr) at step 5", "steps 1-19", "max after 5", "at the end", "max loss/start (step)", "final/start"}
    for name in named:
        assert name in header, name                                     # each column named as printed
    assert "Read the five columns" not in markdown(L) and len(cell.split("\n\n")[0].split()) < 40
    assert "base rate:" in printed_output(L) and "(the line starting *base rate*, above the figure)" in cell


def test_r14_b9_the_thread_multiple_is_not_set_against_the_small_nets(L):
    assert "tried above" not in printed_output(L)
    md = markdown(L)
    assert "The multiple lies between those tried on the small net" not in md
    assert "The small net's 1.5 × and 3 × above are no guide either: multiples measured on one net need not carry over to another" in md


def test_r14_b11_terms_glossed_and_the_edge_and_first_rise_steps_printed(L):
    import keras
    from helpers.experiment import LESSON
    assert (LESSON.activation, LESSON.width, LESSON.depth, LESSON.n_features) == ("leaky_relu", 64, 2, 4)   # Dense layers, helpers.net.models.mlp
    assert float(keras.activations.get("leaky_relu")(np.array([-1.0], np.float32))[0]) == pytest.approx(-0.2)
    md = markdown(L)
    assert ("a multilayer perceptron built with the Keras library: 4 inputs, two fully connected hidden layers of 64 units and one output; "
            "each hidden unit applies the *leaky ReLU* $\\max(z, 0.2z)$") in md
    for run, k in (("eos", 0), ("eos2", 1)):
        ratio = np.array(L[f"{run}.sharpness"]) * L[f"{run}.lr"] / 2
        edge = int(np.array(L[f"{run}.sharpness_steps"])[np.argmax(ratio >= 1)])
        rise = int(np.argmax(np.diff(L[f"{run}.losses"]) > 0))
        assert (L["edge_step"][k], L["first_rise"][k]) == (edge, rise) and edge < rise
        assert np.all(np.diff(L[f"{run}.losses"])[:rise] <= 0)          # no rise before it
        assert (f"sharpness first measured at or above 2/lr at step {edge} (measured every 20 steps); "
                f"the loss first rose at step {rise}") in L.text()
    assert L["edge_step"] == [400, 140] and L["first_rise"] == [479, 204]
    assert ("(at lr = 0.1 the sharpness is first measured at or above the edge at step 400 and the loss first rises at step 479; "
            "at 0.15, steps 140 and 204)") in md
    assert "From then on the loss spikes" not in md


def test_r14_c_d_window_minima_marked_steps_counted_and_the_stop_rule_named(L):
    code = "".join(c.source for c in L.nb.cells if c.cell_type == "code")
    assert 'marker="v"' in code and "markevery=[1]" in code               # the lowest point of each window marked (figure viewed)
    md = markdown(L)
    assert "each with a ▼ where it is reached" in md
    assert len(L["eos.losses"]) == 1000 and "Each run takes 1,000 steps, and its loss is recorded before each step, so at steps 0–999." in md
    assert np.isfinite(L["full_1e3.losses"][L["full_1e3.stopped_at"]])
    assert "until the loss passed $10^6$ times its start (still finite)" in md        # r16 A3: the bullet shortened, the rule kept


# ------------------------------------------------------------------ round 15

def _cell_with(L, words):
    return next(c.source for c in L.nb.cells if c.cell_type == "markdown" and words in c.source)


def test_r15_a1_the_initialization_claim_says_only_what_the_runs_show(L):
    md = markdown(L)
    assert "it cannot by itself make safe a rate that is above the threshold the sharpness reaches during training" not in md
    assert "Whether some initialization would make 1e-3 safe on the lesson-4 net, the course did not measure." in md
    assert ("a rate above the threshold at the start is not always fatal: on the small net, a rate 1.5 times "
            "$2/\\lambda_0^{\\mathrm{s}}$ trained on 5 of 5 seeds (the catapult section)") in md
    assert L["n_survive"] == L["n_seeds"] == 5 and L["multiples"][1] == pytest.approx(1.5)


def test_r15_a2_the_no_is_for_full_batch_gd_on_one_seed(L):
    md = markdown(L)
    assert ("did this run, full-batch gradient descent on one seed, train, as Lewkowycz et al.'s lazy phase predicts? No: it passed "
            "$10^6$ times its starting loss at step 5") in md
    assert L["full_1e3.stopped_at"] == 5 and L["full_1e3.losses"][5] > 1e6 * L["full_1e3.losses"][0]
    assert "That answers for full-batch gradient descent only" in md and "so that run answers for full-batch gradient descent only" in md
    readme = (ROOT / "README.md").read_text()                             # the README's minibatch runs, cited
    assert "inf or nan at 1e-3: 20/20" in readme and "plain SGD for two epochs" in (ROOT / "benchmarks" / "blowup_seeds.py").read_text()
    assert "on its 20 seeds 1e-3 reached inf or nan within two epochs every time" in md


def test_r15_a3_the_clopper_pearson_limit_is_a_confidence_limit_in_two_sentences(L):
    upper = L["survive_upper"]
    assert (1 - upper) ** 8 == pytest.approx(0.05, rel=1e-9) and 0.28 < upper < 0.36      # "about one in three"
    md = markdown(L)
    assert ("0 survivors of 8 puts the share of orders that keep this run finite at most about one in three, at 95% confidence "
            "(the exact binomial, Clopper–Pearson, one-sided upper limit printed above)") in md
    assert "at most that limit" not in md and "That limit (Clopper and Pearson's)" not in md
    assert "Zero of eight puts a 95% upper confidence limit, about one in three, on the share of surviving orders" in md   # the summary too
    para = next(p for p in md.split("\n\n") if "Clopper–Pearson" in p)
    assert para.count(". ") + 1 == 2                                       # two sentences


def test_r15_a4_small_steps_lower_the_loss_at_the_start_and_the_book_speaks_of_later(L):
    md = markdown(L)
    assert "even very small steps increase the cost" not in md            # paraphrased, not quoted
    # r16 B6: the algebraic 199-of-199 check is gone; the turning point is the informative number
    assert ("what the book means is its turning point $2g^\\top g/g^\\top H g$ falling below the rates in use. At the start of the "
            "lesson-4 net that turning point lies several times above the thread's 1e-3 (printed below)") in md
    assert "This lesson reads the remark as one about later in training, because §8.2.1 goes on to describe runs" in md   # r20 A4
    assert "The book's remark is about later in training" not in md
    turning, multiple = printed(L, r"ε = 2gᵀg/gᵀHg = {n} = {n} x the thread's 1e-3")
    assert 2 < multiple < 10 and turning == pytest.approx(4.92e-3, abs=5e-6)       # the review's 4.92e-3
    assert "step sizes from 1e-8 up" not in L.text() and "n_small_fall" not in L.ns


def test_r15_a5_no_exactly_on_five_steps_and_the_count_kept(L):
    md = markdown(L)
    rose = np.array(L["actual"]) > 0
    assert (int(rose.sum()), int((~rose).sum())) == (3, 2)
    lr_curv = np.array(L["lr_curv"])
    assert (lr_curv[rose] > 2).all() and (lr_curv[~rose] < 2).all()
    for old in ("rose on exactly the steps", "one finding, not two", "exactly when $\\eta"):
        assert old not in md, old
    assert ("the loss rose on the three steps that went more than twice as far as the lowest point of the second-order model "
            "along their own direction, and fell on the two that did not") in md


def test_r15_b6_in_one_line_answers_both_questions_with_printed_values(L):
    cell = _cell_with(L, "### In one line")
    block = cell.split("### In one line")[1].split("## What we learned")[0]
    lam0 = L["mb.full"]
    assert f"{2 / lam0:.1e}" == "3.9e-04" and f"{1e-4 * lam0 / 2:.2f}" == "0.26" and f"{1e-3 * lam0 / 2:.2f}" == "2.58"
    assert ("`critical_lr` $= 2/\\lambda_0$, about 3.9e-4 (a rule of thumb for the runs: the first section's 0.9 × diverged), and "
            "the tenfold change moved the rate across it: 1e-4 is 0.26 × it and 1e-3 is 2.58 × it (both printed under") in block
    text = L.text()
    assert f"lr = 0.0001 (0.26 x critical_lr), below critical_lr = 2/λ₀ = {2 / lam0:.2e}" in text
    assert f"lr = 0.001 (2.58 x critical_lr), above critical_lr = 2/λ₀ = {2 / lam0:.2e}" in text     # r20 D16: the number, printed once
    assert text.count("2.58 x") == 1
    assert "1e-3 is 2.58 × it (both printed under *The course's answer: why a tenfold change of rate matters*)" in block
    assert "**Why did minimising raise the loss?**" in block and "so the real loss, not only the model, was overshot" in block
    assert "**Why does one order of magnitude matter?**" in block


def test_r15_b7_the_full_batch_conclusion_names_lesson_5s_run(L):
    md = markdown(L)
    assert "So in lesson 5's full-batch run at 0.9 × `critical_lr` the blow-up did not need different data at each step." in md
    assert "This section's own runs below, apart from the first steps of that full-batch run taken again next, are minibatch runs" in md
    assert "all minibatch runs" not in md
    assert L["n_order_diverged"] == len(L["order_steps"]) == 8


def test_r15_b8_terms_defined_at_first_use(L):
    md = markdown(L)
    assert md.index("strongly **indefinite**: it has negative eigenvalues as well as positive ones") < md.index("indefinite, so")
    assert md.find("indefinite") == md.index("**indefinite**") + 2
    assert md.find("\\lambda_{\\min}") == md.index("written $\\lambda_{\\min}$") + len("written $")
    assert md.index("a **replay**: it re-runs the same gradient-descent steps from the same initial weights") < md.index("the replay table")
    assert "Damian et al.'s overshoot explanation** " not in md and "**Damian et al.'s overshoot explanation**" in md
    assert "as Damian et al.'s overshoot explanation (previous section) expects" in md
    assert "lesson 5's unit" not in md
    assert md.find("sharp direction") == md.index("**sharp direction**") + 2
    assert md.find("top eigenvector") == md.index("**top eigenvector**") + 2


def test_r15_b9_one_lambda_0_per_net_and_one_spelling_of_the_ratio(L):
    out = printed_output(L)
    assert "lr / (2/sharpness)" not in out and "sharpness / (2/lr)" in out
    assert "initial sharpness" in out and "2/λ₀ˢ = " in out and "x 2/λ₀ˢ:" in out
    assert f"lr = 0.001 ({1e-3 * L['mb.full'] / 2:.2f} x critical_lr), above critical_lr = 2/λ₀ = " in out   # plain λ₀: the lesson-4 net
    md = markdown(L)
    assert md.count("lr / (2/sharpness)") == 1 and "(lesson 5 writes lr / (2/sharpness), the same number)" in md
    catapult = md.split("## The catapult: rates above the threshold at the start")[1].split("Where does the thread's rate sit")[0]
    plain = re.findall(r"\\lambda_0(?!\^)", catapult)
    assert len(plain) == 1 and ("Their threshold is $2/\\lambda_{GN}$, where $\\lambda_{GN}$ (their $\\lambda_0$) is a wide net's "
                                "tangent-kernel eigenvalue, not the sharpness of either of this lesson's narrow nets") in catapult   # r20 B9
    assert any("λ₀ˢ" in alt for alt in figure_titles(L))


def test_r15_b10_dense_paragraphs_split(L):
    md = markdown(L)
    assert "It uses two nets:\n\n- the **lesson-4 net**" in md
    assert "not by this lesson's $\\lambda_0$:\n\n- Their $\\lambda_0$, written $\\lambda_{GN}$ here, is the top eigenvalue" in md
    assert "**Predicted and observed thresholds differ.**\n\n- *Predicted.*" in md
    for head in ("- *Observed.*", "- *Ill-conditioning.*", "- *Formula and rule.*"):
        assert head in md, head


def test_r15_c13_c14_figure_captions_and_plateaus_printed(L):
    assert any("a drop below the edge happens between two dots" in alt for alt in figure_titles(L))
    plateau = L["plateau"]
    for run, level in zip(("eos", "eos2"), plateau):
        steps, sharp = np.array(L[f"{run}.sharpness_steps"]), np.array(L[f"{run}.sharpness"])
        assert level == pytest.approx(float(np.median(sharp[steps >= 600])))     # r16 E19: the steps eos_summary counts
        assert f"plateau: median sharpness after step 600 {level:.3g}, against 2/lr = {2 / L[f'{run}.lr']:.3g}" in L.text()
    assert round(plateau[0]) == 20 and round(plateau[1], 1) in (13.4, 13.5, 13.6)
    assert "from about 20 at 0.1 to about 13.5 at 0.15" in markdown(L)
    assert abs(L["late_low"][0] - 1) < 0.05 and "whose two dotted segments nearly coincide" in markdown(L)   # lr = 0.1: the two window minima
    assert "so this figure shows no rise of the loss" not in markdown(L)   # r16 A1: the 1.5 x run does rise, below its start
    assert max(L["edge_start"][1]) > 1 > min(L["edge_start"][1])            # 1.5 x: above the edge at step 0, below it at step 5


def test_r15_d15_d16_repeats_cut_grammar_and_one_name(L):
    md = markdown(L)
    assert md.count("stayed finite for 64 steps") == 2   # r17 B7: the first section and *What we learned*
    assert md.count("(lesson 5's 0.9 × run first rose below the edge; first section)") == 2
    assert "in lesson 5's full-batch run at 0.9 × `critical_lr` the loss first rose on a step that started below the edge" not in md
    n = L["n_above"]
    assert f"{n} of 16 minibatches {'has' if n == 1 else 'have'} 2/sharpness below the rate" in L.text()
    assert md.count("(the cosine between the two)") == 1 and "$|g\\cdot v|/|g|$ (the cosine between the two), 0.61" in md


# ------------------------------------------------------------------ review r16


def test_r16_a1_a2_the_1_5x_run_rises_below_its_start_and_seeds_2_4_later_above_it(L):
    md = markdown(L)
    found = re.search(r"lr =  1\.5 x 2/λ₀ˢ: loss x([\d.]+) at most .*?, rose on (\d+) of (\d+) steps", L.text())
    assert float(found[1]) < 1 and int(found[2]) > 0                     # never above its start, yet it rose on some steps
    assert any(f"{found[2]} rising steps" in alt for alt in figure_titles(L))   # the seed-0 column of the seeds figure agrees
    assert "its loss never above its start (its largest loss / start is below 1), though it rose on some steps" in md
    early, late = L["early_spikes"], L["late_spikes"]
    assert [s for s, e in enumerate(early) if e > 1] == [1] and late[2] > 1 and late[4] > 1   # hence "in steps 1–19"
    assert "the total stayed below its start in steps 1–19, not whether they catapulted" in md
    assert "the total never rose above its start" not in md


def test_r16_b5_the_actual_loss_along_each_step_was_overshot_on_the_rising_steps(L):
    lowest, rose = np.array(L["lowest_at"]), np.array(L["actual"]) > 0
    assert rose.sum() == 3 and (lowest[rose] < 0.5).all() and (lowest[~rose] > 0.5).all()
    assert L["land_gap"] < 1e-5                                            # the evaluated steps are the run's
    assert list(L["beyond_twice"]) == np.flatnonzero(rose).tolist()
    assert "the step went more than twice as far as the actual loss's lowest point on 3 of the 3 rising steps" in L.text()
    assert L["near_two"] == [3] and sum(0.5 < r / 2 < 2 for r in L["lr_curv"]) == 1   # "only step 3's ratio lay near 2"
    assert min(L["size_miss"]) > 10                                        # "missed every rise's size more than tenfold"
    md = markdown(L)
    assert ("The actual loss, evaluated along each step, says where: on every rising step its lowest point lay less than halfway "
            "along the step") in md
    assert "on each rising step it was lowest less than halfway along the step, on each falling step past halfway (printed)" in md
    assert "Only step 3's ratio lay near the threshold 2 (printed)" in md
    assert ("The actual loss along each rising step, evaluated there too, was lowest less than halfway along it: that says where "
            "the step passed the loss's lowest point, not that the model's mechanism was right.") in md


def test_r16_b7_lesson_5s_full_batch_rise_below_the_edge_is_reprinted(L, L5):
    edge, losses = L["near_edge"], L["fb_near.losses"]
    assert losses[1] < losses[0] and losses[2] > losses[1] and edge[0] < 1 and edge[1] < 1 and edge[2] > 5
    assert L["lr_near"] == pytest.approx(L5["near.lr"], rel=1e-5)            # lesson 5's rate (computed there from its own λ₀ estimate)
    assert f"step 1: sharpness / (2/lr) {edge[1]:.2f} (below the edge), next loss / loss {losses[2] / losses[1]:.3g} (rose)" in L.text()
    assert f"lr / (2/λ_max(t)) = {edge[1]:.2f}" in L5.text()                  # the same step lesson 5 printed
    md = markdown(L)
    assert "the loss first rose on step 1, which started *below* the edge" in md and "the table's last row" not in md
    assert "jumped to many times $2/\\eta$ (the last line)" in md


def test_r16_b8_c9_c10_c13_wording(L):
    md = markdown(L)
    assert "so far the quadratic picture held" not in md and "so its prediction of no blow-up held" in md
    assert min(L["late_share"]) > 0.4 and all(L["verdict_fell"])
    assert ("the table of measurements in the course's `README.md` (made by the script `benchmarks/blowup_seeds.py`): "
            "on its 20 seeds 1e-3 reached inf or nan") in md
    assert (ROOT / "benchmarks" / "blowup_seeds.py").exists() and "README's 20 seeds" not in md
    assert "both inits come back under *A comment: how were the weights initialized?*, below" in md
    assert "### A comment: how were the weights initialized?" in md
    assert "The moving sharpness, which lesson 5's full-batch run shares" not in md
    # r25 A2: the thread does not say it trained on minibatches
    assert "Lesson 4's setting, minibatch SGD at 1e-3 (the course's stand-in for the thread's), was not followed step by step." in md
    assert "The thread and lesson 4 use minibatch SGD" not in md


def test_r17_a1_a2_the_along_the_step_check_places_the_overshoot_and_the_formula_is_scoped(L):
    md, rose = markdown(L), np.array(L["actual"]) > 0
    sizes, along_losses, lowest = np.array(L["sizes"]), np.array(L["along_losses"]), np.array(L["lowest_at"])
    assert sizes[0] == 0 and (along_losses[:, 1] < along_losses[:, 0]).all()     # every step starts downhill
    assert (lowest[rose] < 0.5).all() and (lowest[~rose] > 0.5).all()
    miss = sorted(L["size_miss"])
    assert f"{miss[0]:.0f}" == "11" and f"{miss[-1]:.0f}" == "317"               # "missed the rises by ×11 to ×317"
    assert "is the firmer evidence" not in md and "so those steps overshot it" not in md
    assert "The actual loss along the steps (the last table) is no further evidence for that mechanism" in md
    assert "so the real loss, not only the model, was overshot. It does not confirm the second-order model, which missed the rises by ×11 to ×317" in md
    # A2: the formula's sign is right on the five steps of the 1e-3 run, wrong on step 1 of lesson 5's 0.9 x full-batch run
    edge, losses = L["near_edge"], L["fb_near.losses"]
    assert L["same_sign"] == len(L["actual"]) == 5
    assert edge[1] < 1 and f"{edge[1]:.2f}" == "0.68" and f"{losses[2] / losses[1]:.3g}" == "2.09"   # ηλ_max < 2, yet the loss rose
    assert "says whether that one step raises the loss" not in md and "Step by step on this run, the formula gets the *sign*" in md
    assert ("it had the right sign on the five steps of the run at 1e-3 (the count under the replay table), and the wrong one on step 1 "
            "of lesson 5's full-batch run at 0.9 × `critical_lr` (first section): there sharpness / (2/lr) was 0.68") in md
    block = md.split("### In one line")[1].split("## What we learned")[0]
    assert "sharpness / (2/lr) 0.68, so $\\eta\\lambda_{\\max} < 2$, the formula predicted a fall and the loss rose, × 2.09" in block
    assert "which missed every rise's size by ×11 to ×317" in block
    # r23 A1: lesson 5's run missed the sign the other way too, at its step 3 (a predicted rise, a fall)
    assert "on its step 3 the formula predicted a rise and the loss fell (lesson 5)." in block
    assert "On that run's step 3 it missed the other way: it predicted a rise and the loss fell" in md
    L5 = lesson("05")
    t, loss5 = L5["fb_fall"], np.asarray(L5["full.losses"])
    assert t == 3 and L5["fall_change"] > 0 and loss5[t + 1] < loss5[t]


def test_r17_a4_b5_b6_b7_d8_catapult_overshoot_inits_and_the_course_answer_heading(L):
    md = markdown(L)
    assert L["n_survive"] == L["n_seeds"] == 5 and L["multiples"][1] == pytest.approx(1.5)   # A4: the success above the threshold
    assert "A success came above it: lesson 5's He init" not in md
    # B5: one definition (both signs) and a plain verdict
    assert "at which the sharpness drops below $2/\\eta$ instead of the run diverging" not in md
    assert "200 for the *catapult* (at a rate above the threshold at the start, two signs in the first steps" in md
    assert "this lesson did not observe a catapult" not in md and "no catapult was observed" not in md   # r19 A1
    assert "the catapult's own sign" not in md
    assert max(L["edge_start"][1]) > 1 > min(L["edge_start"][1])          # the second sign: below the edge by step 5
    # B6: overshoot defined once
    assert md.count("a step **overshoots** when it passes the lowest point of the loss along its own line") == 1
    assert "overshoots along that batch's **sharp direction**" not in md and "an overshoot along the step," not in md
    # B7: the inits are named where used; model.fit's run has its limit in both places
    assert "weights of variance $2/\\text{fan}_\\text{in}$, trained at 1.02 ×" in md and "He's and the small init are defined" not in md
    assert "stayed finite for 64 steps (as long as it ran)" in md
    # D8: the course's answer to the first question has its own heading, and the pointer follows it
    assert "### The course's answer: why a tenfold change of rate matters" in md and "#### Why a tenfold change" not in md
    assert "(both printed under *The course's answer: why a tenfold change of rate matters*)" in md


def _seed_row(L, seed):
    """The printed row of the 1.5 x table for one seed, as floats (max loss/start, its step, steps 1-19, final, step 5, after 5, end)."""
    head = next(i for i, line in enumerate(L.text().splitlines()) if line.startswith("seed ") and "steps 1-19" in line)
    row = L.text().splitlines()[head + 1 + seed].replace("(", " ").replace(")", " ").split()
    assert int(row[0]) == seed
    return [float(v) for v in row[2:]]


def test_r19_a1_seed_1_is_a_catapult_by_the_sources_observable(L):
    md = markdown(L)
    peak, _, early, final, at5, _, _ = _seed_row(L, 1)
    # the printed row: the loss rose above its start in steps 1-19, the sharpness was below the edge at step 5, the run ended lower
    assert early == pytest.approx(L["early_spikes"][1], abs=5e-3) and f"{early:.2f}" == "1.79" and early > 1
    assert f"{at5:.2f}" == "0.90" and at5 < 1 and L["n_below_edge"] == 5
    assert f"{final:.3f}" == "0.285" and final < 1
    assert L["early_seeds"] == [1] and sum(s > 1 for s in L["early_spikes"]) == 1     # "one seed of five"
    assert ("By the observable Lewkowycz et al. watch, the total loss rising and then falling while the sharpness drops below "
            "$2/\\eta$ (here the full Hessian's sharpness, not their $\\lambda_{GN}$), seed 1 looks like a catapult: its loss rose to 1.79 times its start in steps 1–19, its sharpness / (2/lr) was 0.90 at step 5, "
            "and it ended at 0.285 times its start (table, row seed 1).") in md
    assert "The lesson's stricter" not in md and "no seed is shown to pass or fail it" not in md                  # r20 B5
    assert ("the part of the loss along the sharp direction, which can grow while the total falls, was not measured, so whether those four "
            "catapulted is not decided here") in md
    # the other four: below the edge at step 5, no early rise of the total loss
    others = [_seed_row(L, s) for s in (0, 2, 3, 4)]
    assert all(r[2] < 1 and r[4] < 1 for r in others)
    assert "On the other four seeds the sharpness dropped below the edge without the total loss rising above its start;" in md
    assert "What every seed showed instead is the drop in sharpness, the catapult's second sign" in md
    # the Overview and What we learned agree
    assert ("the rise of the total loss, which Lewkowycz et al. watch, shows on one seed of five here, and whether the other four "
            "catapulted is not decided)") in md
    assert "the loss *grows* (they watch the total loss), and then the sharpness *drops*" in md
    assert "the part along the direction of largest curvature is not measured)" not in md
    assert ("seed 1 (to 1.79 times its start, ending at 0.285 times it): catapult-like by the loss Lewkowycz et al. watch (their "
            "catapult is defined against $2/\\lambda_{GN}$, not measured for the small net). Whether the "
            "other four catapulted is not decided here: the part of the loss along the sharp direction, which can grow while the total "
            "falls, was not measured.") in md


def test_r19_a4_a5_a6_a7_d15_narrowed(L):
    md = markdown(L)
    # A4: the loss fell on steps 0 and 2 above the edge; the small net's runs sat above it only mildly
    assert L["fell_above"] == [0, 2]
    edge = np.array(L["edge_1e3"][:L["full_1e3.stopped_at"]])
    assert f"{max(L['back_above']):.2f}" == "1.75" and round(edge[1]) == 15 and round(edge[4]) == 23
    assert max(L["back_above"]) < 2 < min(edge[1], edge[4])
    assert ("the loss fell on steps 0 and 2 while the rate was above it (printed under the table). (The small net's runs that trained "
            "sat above their current edge only up to 1.75 ×, same line, far less than the 15 × and 23 × here, so they say nothing about "
            "such steps.)") in md
    assert "the small net's runs sat above their current edge too and still trained" not in md
    assert "(the loss fell on two of those steps, 0 and 2, while above the edge)" in md
    # A5: 4 distinct steps among 8 runs, in the loop's own rule
    assert L["n_distinct"] == 4 and len(L["order_steps"]) == 8 == L["n_order_diverged"]
    assert ("8 of 8 orders reached inf/nan (that loop's own rule, not the $10^6$ criterion above), at 4 distinct steps among the 8 "
            "(printed in the first section)") in md
    assert "The minibatch order moved the step of that blow-up" not in md
    # A7: what is shown about the initialization
    assert "The initialization can cause the blow-up." not in md
    assert "no run here or in lesson 5 shows a change of initialization alone" not in md                  # r20 A2: empty, cut
    assert ("and at 1e-4 the $N(0,1)$ run reached inf/nan at step 3 (lesson 5, *Fix 4*), so an initialization that large is, on its "
            "own, enough to make the thread's safe rate blow up") in md
    # D15: no comparison of Adam's rate with plain SGD's threshold
    assert "above plain SGD's `critical_lr`" not in md and "Adam (Kingma and Ba 2015) trains at 1e-3. It divides" in md


def test_r19_a2_the_bowl_assumption_is_stated_for_the_small_net(L):
    md = markdown(L)
    # "not measured": the notebook's only most-negative-eigenvalue call is on the lesson-4 net, in Answer 1
    calls = [c.source for c in L.nb.cells if c.cell_type == "code" and "min_eigenvalue(" in c.source]
    assert len(calls) == 1 and "lam_min0 = min_eigenvalue(model, x, y" in calls[0]
    assert ("That prediction treats the small net's loss at the start as a bowl, every curvature positive; its most negative "
            "eigenvalue at the start was not measured") in md
    assert ("The quadratic picture, treating the small net's loss at the start as a bowl (its most negative eigenvalue was not "
            "measured), predicts divergence for all but the first.") in md


# ------------------------------------------------------------------ review r20


def test_r20_a2_n01_init_alone_makes_1e_4_blow_up_in_lesson_5(L, L5):
    line = next(line for line in L5.text().splitlines() if line.startswith("normal_1 at lr = 1e-4"))
    assert line.endswith("inf/nan at step 3")                                   # lesson 5's run, cited with its step
    assert "an initialization as large as $N(0,1)$ is, on its own, enough to make 1e-4 blow up" in markdown(L5)
    assert L5["normal_critical"] < 1e-4                                          # "for $N(0,1)$ far below 1e-4"
    assert "A larger initialization raises the initial sharpness and lowers `critical_lr`: for $N(0,1)$ far below 1e-4" in markdown(L)


def test_r20_a3_the_lowest_loss_at_0_1_fell_too_little_to_resolve(L):
    ratio = L["late_low"][0]
    assert ratio < 1 and f"{ratio:.2f}" == "0.98" and f"(x{ratio:.2f}, roughly level)" in L.text()
    assert L["late_low"][1] < 0.95
    md = markdown(L)
    assert ("these 400 steps are consistent with that: the lowest values fell at 0.15, and at 0.1 by a factor of 0.98 (printed), "
            "too little to resolve") in md
    assert "these 400 steps show that for 0.15, not for 0.1" not in md


def test_r20_b6_b9_b10_b11_wording(L):
    md = markdown(L)
    # B6: the thresholds are per direction; the two names are named
    assert "passing the lowest point along that direction alone takes only $\\eta > 1/\\lambda$" in md
    assert "The lesson uses *overshoot* and *sharp direction* for the loss of all the data too." in md
    assert "The lesson uses both names" not in md
    # B9: one symbol for Lewkowycz et al.'s eigenvalue
    assert "Lewkowycz et al.'s $\\lambda_0$, a different eigenvalue, is written $\\lambda_{GN}$." in L.nb.cells[0].source
    assert "their $\\lambda_0$ is a wide net's" not in md and "4/\\lambda_0" not in md and "12/\\lambda_0" not in md
    # B10: what is cited is said to be cited
    assert ("In lesson 5 (cited; this lesson re-ran the full-batch run's first steps only), on the lesson-4 net, the divergence at "
            "0.9 × `critical_lr` happened with full batches as with minibatches") in md
    assert "(settings in `dynamics.SMALL`, not printed here)" in md
    # B11: tanh glossed
    assert "with tanh (the hyperbolic tangent, an S-shaped unit with outputs between −1 and 1)" in md



def test_r21_a2_the_sharpening_bullet_is_scoped_to_the_small_net(L):
    # Review r21 A2: "stays near 2/η" held on the small net only; at 1e-3 the lesson-4 net's sharpness went far past it
    md = " ".join(markdown(L).split())
    assert ("until it reaches $2/\\eta$, then stays near it, on the small net at both rates tried (on the lesson-4 net at "
            "1e-3 it jumped far past $2/\\eta$ instead: answer 1's table).") in md
    assert max(L["edge_1e3"]) > 10                           # sharpness / (2/lr) in answer 1's table


def test_r21_b5_the_small_nets_phase_on_lewkowycz_s_scale_is_said_to_be_unknown(L):
    # Review r21 B5: the small net's rates are multiples of its sharpness; its λ_GN is never measured, so the lesson
    # says which of Lewkowycz et al.'s phases they lie in is unknown
    md = " ".join(markdown(L).split())
    assert ("The small net's $\\lambda_{GN}$ is not measured, so in which of their phases its 1.5 ×, 3 × and 10 × lie is "
            "not known; here *catapult* names only the two signs, read against the small net's own sharpness.") in md
    code = "".join(c.source for c in L.nb.cells if c.cell_type == "code")
    assert code.count("gauss_newton_sharpness(") == 1 and "gauss_newton_sharpness(model.get_weights(), x)" in code


def test_r23_a2_the_reason_for_sharpness_vs_lambda_gn_and_for_the_non_transfer(L):
    md = " ".join(markdown(L).split())
    assert "So its sharpness is not $\\lambda_{GN}$." not in md
    assert ("A Hessian that is not all Gauss–Newton part can have a sharpness far from $\\lambda_{GN}$; how far, on the "
            "lesson-4 net, is printed below.") in md
    assert ("their criterion does not transfer to this net (as lesson 4 found), which is narrow and starts with large residuals "
            "($\\lambda_{GN}$ only 0.16 × $\\lambda_0$); which of the two matters was not tested.") in md
    assert f"{L['lam_gn'] / L['mb.full']:.2f}" == "0.16"


def test_r27_a2_the_one_line_answer_calls_critical_lr_the_quadratic_models_threshold(L):
    md = " ".join(markdown(L).split())
    assert ("the sharpness at the start sets the quadratic model's threshold `critical_lr` $= 2/\\lambda_0$, about 3.9e-4 "
            "(a rule of thumb for the runs: the first section's 0.9 × diverged)") in md
    assert L["n_order_diverged"] == 8 and L["lr_near"] < 2 / L["mb.full"]
