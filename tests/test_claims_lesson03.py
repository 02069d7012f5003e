"""Lesson 3's claims, checked against the values the executed lesson printed.

Each test names a sentence of the lesson (its heading in brackets) and asserts the number or
direction it states.
"""

import re

import numpy as np
import pytest

from claim_support import markdown, printed, printed_output
from helpers import plots
from helpers.quadratic import second_order_change
from notebook_runner import ROOT, lesson


@pytest.fixture(scope="module")
def L():
    return lesson("03")


def test_the_second_order_change_is_exact_on_a_quadratic_to_rounding_error(L):
    # [The change in loss after one step] "The curves lie on top of each other"; summary: "matched it to rounding error"
    assert L["gap"] < 1e-12
    np.testing.assert_allclose(L["predicted"], L["actual"], rtol=0, atol=1e-12)


def test_one_step_lowers_the_loss_below_twice_the_best_step_which_lies_above_critical_lr(L):
    # "one step lowers the loss for any η < 2η*, which here lies above critical_lr"
    lrs, actual = np.array(L["lrs"]), np.array(L["actual"])
    assert np.all(actual[(lrs > 0) & (lrs < 2 * L["best"] * (1 - 1e-9))] < 0)
    assert np.all(actual[lrs > 2 * L["best"] * (1 + 1e-9)] > 0)
    assert 2 * L["best"] > L["critical"]


def test_ten_percent_above_critical_lr_the_curvature_along_g_climbs_and_then_every_step_goes_up(L):
    # "the curvature along it climbs towards λ_max, 2η* falls below the learning rate, and from then on every step goes up"
    along, changes, k = np.array(L["along"]), np.array(L["changes"]), L["rises_from"]
    assert np.all(np.diff(along) > 0) and along[-1] <= 10.0
    assert np.all(changes[:k] < 0) and np.all(changes[k:] > 0)
    lr = 1.1 * L["critical"]
    assert np.all(2 / along[k:] < lr) and np.all(2 / along[:k] > lr)
    # r22 B6: the reason the rises go on is pointed to, not assumed
    assert ("and from then on every step goes up (on a bowl, once the change is positive it can only grow; the reason is "
            "under “Even very small steps increase the cost”):") in markdown(L)
    assert "the change can only increase from one step to the next" in markdown(L) and np.all(np.diff(changes) > 0)


def test_non_quadratic_prediction_is_good_for_small_steps_and_off_for_large_ones(L):
    # [A non-quadratic loss] "For small steps the two curves agree ... For larger steps they part"
    rel_err, lrs = np.array(L["rel_err"]), np.array(L["lrs_q"])
    assert np.all(rel_err[lrs < 0.3 * L["best_q"]] < 0.01)
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
    assert "checks the numerical integration and is not more evidence" in L.text()   # r20 A1


def test_raw_features_put_the_gradient_almost_along_the_sharpest_direction(L):
    # ["Even very small steps increase the cost"] "g^T H g / g^T g is close to λ_max"
    assert 0.99 < L["along_r"] / L["sharpness_r"] <= 1.0


def test_a_step_can_go_up_only_above_critical_lr_and_here_2_eta_star_is_practically_critical_lr(L):
    # "2η* ≥ 2/λ_max = critical_lr at every point of a quadratic bowl" and "2η* is practically lesson 2's critical_lr"
    two_best, critical = printed(L, r"2η\* = {n} ≥ critical_lr = 2/λ_max = {n}")
    assert critical <= two_best < 1.01 * critical
    assert two_best == pytest.approx(2 * L["best_r"], rel=1e-3)
    assert "So (1) does not make the condition number the cause" in L.text() and "is the same condition" in L.text()
    assert "What (1) does not say" not in L.text()
    assert "different situation" not in L.text()


def test_one_step_of_1e3_raises_the_loss_and_one_of_1e4_lowers_it(L):
    # "At 1e-3 ... one step raises the loss ... At 1e-4 the same step lowers it"
    assert L["change_1e3"] > 0 > L["change_1e4"]
    assert 1e-4 < 2 * L["best_r"] < 1e-3


def test_the_up_step_condition_is_qualified_to_a_quadratic(L):
    # the non-quadratic loss turned positive later than 2η*, so the summary's condition is for quadratics
    assert "On a quadratic a step goes up exactly when" in L.text()
    assert "- A step goes up when" not in L.text()


def test_the_overview_says_exact_on_a_quadratic_and_approximate_elsewhere(L):
    # Review r14 A1: "On a quadratic the formula says exactly which step sizes do; elsewhere only approximately
    # (on this lesson's non-quadratic loss the loss turns up at a larger step than it predicts)"
    overview = markdown(L).split("## The change in loss")[0]
    assert "On a quadratic the formula says exactly" in overview and "elsewhere only approximately" in overview
    turn, predicted = printed(L, r"actual change turns positive at η ≈ {n}: later than the predicted {n}")
    assert turn > predicted


def test_the_parabola_needs_positive_curvature_along_g(L):
    # Review r14 B4: "If instead gᵀHg ≤ 0 ... (1) predicts a fall at every η and there is no best step"
    text = markdown(L)
    assert "If instead $g^\\top H g \\le 0$" in text and "predicts a fall at every $\\eta$" in text
    g = np.array([1.0, 2.0])
    H = np.diag([-1.0, 0.0])                                        # gᵀHg = -1 < 0: the change is negative at every η
    steps = np.geomspace(1e-3, 1e3, 50)
    assert np.all(second_order_change(g, H, steps) < 0)
    # r18 A3: a negative eigenvalue does not make gᵀHg ≤ 0; what lesson 4 measures is the negative curvature of the
    # gradient's part off the sharpest direction (its rest_curvature)
    # r21 D15: lesson 4 measured an average curvature of that part (rᵀHr/rᵀr)
    assert "on lesson 4's net the part of the gradient off the sharpest direction has negative average curvature" in text
    assert lesson("04")["check.rest_curvature"] < 0


def test_the_weights_are_normalised_and_the_evidence_is_printed_first(L):
    # Review r14 B6: "the weights divided by their total η²/2 so that they sum to 1"; the evidence stands out; the
    # consistency check is labelled as such. r20 A1: the evidence is the average up to 2η* (not fixed by construction)
    text = markdown(L)
    assert "the weights divided by their total $\\eta^2/2$ so that they sum to 1" in text
    assert "lies at distance" not in text
    at_w, _, averaged = printed(L, r"the evidence: curvature along g at w, used by \(1\): {n}; averaged over the step up to 2η\* = {n}: {n}")
    assert averaged < at_w
    assert at_w == pytest.approx(L["curv_pred"][0], rel=1e-2) and averaged == pytest.approx(L["curv_pred_avg"], rel=1e-2)
    turn, _, back = printed(L, r"check of the integration: averaged up to the measured turn {n}, the curvature is {n}, and 2 / average = {n}")
    assert back == turn
    weights = L["turn"] - np.array(L["t_grid"])
    # the printed average uses weights η - t normalised to sum 1 (a Riemann sum of the remainder's weights / (η²/2))
    assert np.sum(weights) * (L["t_grid"][1] - L["t_grid"][0]) == pytest.approx(L["turn"] ** 2 / 2, rel=1e-2)


def test_the_words_from_lesson_2_are_recalled(L):
    # Review r14 B7: sharpness, critical_lr, condition number and ill-conditioning defined in this lesson's prose
    text = markdown(L)
    assert "the **sharpness** $\\lambda_{\\max}$ is the Hessian's largest eigenvalue" in text
    assert "`critical_lr` $= 2/\\lambda_{\\max}$ is the learning rate above which" in text
    assert "**condition number** $\\kappa = \\lambda_{\\max}/\\lambda_{\\min}$" in text and "**ill-conditioned**" in text
    assert text.index("**sharpness**") < text.index("`critical_lr` $= 2/\\lambda_{\\max}$ (printed above)")


def test_the_condition_number_is_printed_and_lesson_2_separates_it_from_the_sharpness(L):
    # Review r14 B2: "both sharp and ill-conditioned (its κ is printed below) ... lesson 2 did: bowls with the same
    # sharpness 10 and κ = 1, 10 and 1000 all had critical_lr = 0.2, and all diverged at 0.21 and converged at 0.18"
    (kappa,) = printed(L, r"condition number κ = {n}")
    assert kappa > 1e4
    assert "so on its own it cannot tell the two apart" in markdown(L)
    lesson2 = lesson("02")
    for eigenvalues, expected in ((r"\[10.0, 10.0\]", 1), (r"\[1.0, 10.0\]", 10), (r"\[0.01, 10.0\]", 1000)):
        k, critical = printed(lesson2, rf"eigenvalues {eigenvalues}: κ = \s*{{n}}, critical_lr = {{n}}, "
                                       r"lr = 0.21 → diverges, lr = 0.18 → converges")
        assert (k, critical) == (expected, 0.2)


def test_the_up_step_condition_is_first_stated_for_a_quadratic(L):
    # Review r14 B3: "On a quadratic, where (1) is exact, a step raises the loss exactly when η > 2η*"
    assert "On a quadratic, where (1) is exact, a step raises the loss exactly when" in markdown(L)
    assert "What (1) makes exact is the condition" not in markdown(L)


def test_the_predicted_best_step_is_compared_with_the_actual_minimum(L):
    # Review r14 D11: "is lowest at a larger step than the predicted best step η*"
    lowest, best = printed(L, r"actual change is lowest at η ≈ {n}: larger than the predicted best step η\* = {n}")
    lrs, actual = np.array(L["lrs_q"]), np.array(L["actual_q"])
    assert lowest == pytest.approx(lrs[np.argmin(actual)], rel=2e-3) and lowest > best
    assert best == pytest.approx(L["best_q"], rel=2e-3)
    assert "is lowest at a larger step than the predicted best step" in markdown(L)


def test_the_two_turning_points_are_drawn_differently(L):
    # Review r14 C8: the predicted 2η* (from draw_change_vs_step) and the actual turn are drawn differently;
    # r22 C1: each vertical line takes the colour of the curve it comes from (the colours were crossed)
    (cell,) = [c for c in L.nb.cells if "actual change turns positive at {turn:.3g}" in c.source]
    assert 'ax.axvline(turn, color=plots.COLORS["actual"], ls="-."' in cell.source
    assert 'ax.axvline(lowest, color=plots.COLORS["actual"], ls=":"' in cell.source
    assert ("In the figure each vertical line has the colour of the curve it comes from: green for the prediction, orange "
            "for the actual change; dotted for a best step, dash-dotted for a turn.") in markdown(L)
    assert (plots.COLORS["predicted"], plots.COLORS["actual"]) == ("#009E73", "#E69F00")   # Okabe–Ito green, orange


def test_the_loop_says_its_change_is_the_formula_exact_on_a_quadratic(L):
    # Review r14 D12
    assert printed_output(L).count("ΔL by (1), exact on a quadratic = ") == 12


def test_no_exercise_cell_shows_a_bare_false(L):
    # Review r14 D10: the unanswered function exercise printed its message and a stray Out[] False
    results = [out for cell in L.nb.cells for out in cell.get("outputs", []) if out.get("output_type") == "execute_result"]
    assert not [r for r in results if r.get("data", {}).get("text/plain") in ("False", "True")]
    assert printed_output(L).count("Not answered yet") == 2


def test_the_one_step_threshold_rests_on_the_bound_and_kappa_moves_it_only_above_critical_lr(L):
    # Review r15 A1, B7: "this one-step threshold 2η* lies between 2/λ_max = critical_lr and 2/λ_min ... on this
    # lesson's bowl it was 4.5 times critical_lr (printed in the first section), but it cannot push 2η* below
    # critical_lr"; lesson 2 is cited for many steps only; κ and ill-conditioning are defined in their own paragraph
    (ratio,) = printed(L, r"so 2η\* is {n} times critical_lr")
    assert ratio == 4.5 and 2 * L["best"] / L["critical"] == pytest.approx(4.5, abs=0.05)
    assert 2 * L["best"] <= 2 / 1.0                                    # at most 2/λ_min of the bowl (λ_min = 1)
    text = markdown(L)
    section = text.split('## "Even very small steps increase the cost"')[1]
    assert section.index("**ill-conditioned**") < section.index("uses it for ill-conditioning")
    assert "on this lesson's bowl $2\\eta^\\ast$ was 4.5 times `critical_lr`" in section and "nothing can push $2\\eta^\\ast$ below `critical_lr`" in section
    assert "Over many steps, lesson 2's verdicts are the evidence (computed from" in section   # r17 A4: no runs there
    assert "lesson 2 did:" not in section


def test_the_curvature_along_the_step_falls_on_average_and_the_split_is_printed(L):
    # Review r15 A2: "falls on average, not all along the step ... its quartic curvature is higher there than at the
    # start; ... Almost all of the fall comes from w₂" (r21 A2: the weights are not the cause; see the r21 test)
    total_at_w, total_avg, part_2, part_1 = printed(L, r"the fall {n} → {n}, by coordinate: w₂'s quartic part {n}, w₁'s {n}")
    fall = np.array(L["fall"])
    assert fall.sum() == pytest.approx(L["curv"][0] - L["curv_avg"], rel=1e-6)
    assert part_2 > 10 * part_1 > 0
    start, cross, end, turn = printed(L, r"w₂'s quartic curvature 3βw₂²: {n} at w, 0 at η = {n} where w₂ crosses 0, {n} at the end of the step \(η = {n}\)")
    assert end > start and 0 < cross < turn / 2 < turn
    text = markdown(L)
    assert "falls *on average*, not all along the step" in text and "its quartic curvature is higher there than at the start" in text
    assert "mainly because the step crosses" not in text


def test_the_gradient_share_along_the_sharpest_direction_is_printed(L):
    # Review r15 A3: "(its share of gᵀg is printed above)"
    (share,) = printed(L, r"share of g·g along the sharpest eigen-direction: {n}")
    assert share > 0.99
    assert "its share of $g^\\top g$ is printed above" in markdown(L)


def test_every_step_goes_up_once_the_curvature_passes_2_over_lr(L):
    # Review r15 A4: the loop runs 12 steps, and the argument's factors (flat ×0.78, sharp ×-1.2) are printed
    lr, flat, sharp = printed(L, r"lr = {n}: factors 1 - lr·λ = {n}, {n} per step \(flat, sharp\)")
    assert abs(flat) < 1 < abs(sharp) and (flat, sharp) == (0.78, -1.2)
    changes = np.array(L["changes"])
    assert changes.size == 12 and changes.size - L["rises_from"] >= 5 and np.all(changes[L["rises_from"]:] > 0)
    assert "the gradient keeps turning towards the sharp direction" in markdown(L)


def test_the_book_is_paraphrased_faithfully_and_cited_without_unverified_equation_numbers(L):
    # Review r15 A5, D14
    text = markdown(L)
    assert "does not shrink significantly (the book's Fig. 8.1 shows it growing)" in text
    assert "stays about the same" not in text and "eq. 4.9" not in text and "eq. 4.10" not in text


def test_the_remainder_is_the_first_order_integral_remainder(L):
    # Review r15 B6
    # r20 B6: one word per meaning: the Optional section's integral is the *first-order remainder*
    text = markdown(L)
    assert "write everything beyond the linear term, the second-order term of (1) included, exactly as an integral" in text
    assert "We call that integral the *first-order remainder*, to keep it apart from the remainder of the second-order expansion" in text
    assert "this remainder holds everything beyond" not in text and "the remainder, exactly" not in text
    code = "".join(c.source for c in L.nb.cells if c.cell_type == "code")
    assert "# the remainder's weights" not in code and code.count("the first-order remainder's weights") == 2


def test_the_verdict_on_the_thread_and_the_role_left_for_kappa(L):
    # Review r15 B8
    text = markdown(L)
    assert "**The verdict on the thread's answer.**" in text
    assert "the threshold at which steps blow up is set by the sharpness, not by the condition number" in text
    # r20 A2: the book's own condition (second-order term outgrowing the first-order gain) is given; no "derivation"
    assert "Its formula is right, and so is its reading" in text and "its derivation" not in text
    assert ("§8.2.1 counts ill-conditioning as a problem once the second-order term of (1) outgrows the first-order gain "
            "$\\eta\\, g^\\top g$, that is, to second order, once $\\eta > 2\\eta^\\ast$") in text
    assert "But the word names a large $\\kappa$ (above)" in text and "a Hessian with a large $\\kappa$ is called **ill-conditioned**" in text
    assert "What ill-conditioning does govern is speed" in text
    # the lesson-2 fact it leans on: raw regression at 1e-4 is still far from its minimum after 300 steps
    lesson2 = lesson("02")
    assert lesson2["raw_1e4.losses"][-1] > 10 * lesson2["best_mse"] and len(lesson2["raw_1e4.losses"]) == 301


def test_the_regressions_one_step_change_has_a_scale(L):
    # Review r15 B9: loss above its minimum at θ = 0, and the one-step factors 0.45 at 1e-4 and 6.4 at 1e-3
    (loss_0,) = printed(L, r"at θ = 0 the loss is {n} above its minimum")
    assert loss_0 == pytest.approx(L["loss_0"], rel=1e-3) and loss_0 == pytest.approx(2.51e4, rel=1e-2)
    factors = [float(f) for f in re.findall(r"one step multiplies the loss above the minimum by (\S+)", printed_output(L))]
    assert factors == [pytest.approx((L["loss_0"] + L["change_1e4"]) / L["loss_0"], rel=0.02),
                       pytest.approx((L["loss_0"] + L["change_1e3"]) / L["loss_0"], rel=0.02)]
    assert factors[0] < 1 < factors[1]


def test_the_non_quadratic_figure_marks_the_actual_best_step_and_eta_star_is_near_the_band(L):
    # Review r15 C11: "The predicted best step itself lies just below the grey band where the error passes 10%: at η*
    # the error is already close to that (printed above)"
    best, predicted, actual, error = printed(L, r"at η\* = {n}: predicted {n}, actual {n}, an error of {n}% of the loss at w")
    assert predicted > actual and 5 <= error < 10 and L["best_q"] < L["breaks"] < 1.1 * L["best_q"]
    (cell,) = [c.source for c in L.nb.cells if "plots.draw_change_vs_step(ax, lrs_q" in c.source]
    assert 'ax.axvline(lowest' in cell and "is lowest at a larger step than the predicted" in markdown(L)


def test_the_exercise_stub_gives_a_hint_not_the_formula_and_the_summary_does_not_repeat(L):
    # Review r15 D12, D13, B10
    sources = "".join(c.source for c in L.nb.cells)
    assert "lr**2/2 g^T H g" not in sources and "formula (1)" in sources
    assert markdown(L).count("the lesson's non-quadratic loss turned later") == 0
    code = "".join(c.source for c in L.nb.cells if c.cell_type == "code")
    assert "above_best" not in code and not re.search(r"\beps", code)


# Review r16


def test_r16_a1_above_critical_lr_is_needed_not_enough_and_the_regression_rises_because_g_is_sharp(L):
    # "What we learned": "that needs η > 2/λ_max (needed, not enough)"; "On raw features one step of 1e-3 raises the
    # loss ... because the gradient lies almost entirely along the sharpest direction, so 2η* is practically critical_lr"
    text = markdown(L)
    summary = text.split("## What we learned")[1]
    assert "that needs $\\eta > 2/\\lambda_{\\max}$ (needed, not enough)" in summary
    assert "because 1e-3 is above `critical_lr`" not in text
    assert "because the gradient lies almost entirely along the sharpest direction, so $2\\eta^\\ast$ is practically `critical_lr`" in summary
    # r23 A2: the 'because' explains the rise at 1e-3 only; 1e-4 lowers the loss as any step below critical_lr must
    assert "one step of 1e-4 lowers the loss, as any step below `critical_lr` must on a quadratic, and one of 1e-3 raises it" in summary
    (_, critical_r) = printed(L, r"2η\* = {n} ≥ critical_lr = 2/λ_max = {n}")
    assert 1e-4 < critical_r < 1e-3
    # not enough: on the bowl, rates between critical_lr and 2η* are above critical_lr and still lower the loss
    lrs, actual = np.array(L["lrs"]), np.array(L["actual"])
    between = (lrs > L["critical"]) & (lrs < 2 * L["best"] * (1 - 1e-9))
    assert between.sum() > 10 and np.all(actual[between] < 0)
    # the regression: 99.46% of gᵀg along the sharpest direction, so 2η* is within 1% of critical_lr
    (share,) = printed(L, r"share of g·g along the sharpest eigen-direction: {n}")
    two_best, critical = printed(L, r"2η\* = {n} ≥ critical_lr = 2/λ_max = {n}")
    assert share > 0.99 and critical <= two_best < 1.01 * critical < 1e-3


def test_r16_a2_stuck_is_the_books_growing_curvature_and_slowness_is_lesson_2s_conditioning(L):
    text = markdown(L)
    assert 'the slow training the book calls "stuck"' not in text and "That is where the book's \"stuck\" ends" not in text
    # r17 A2: the book's "stuck" ends in slowness too (the rate must be shrunk), by another route than κ
    assert "What ill-conditioning does govern is speed, by lesson 2's conditioning argument: a rate that does not diverge is at most $2/\\lambda_{\\max}$" in text
    # r23 A1: at a stable rate the flattest factor is above 1 - 2/κ (κ of the regression printed); it is κ, through
    # the bound η < 2/λ_max, that keeps every fixed rate slow along the flattest direction
    assert "stays at or above $1 - 2/\\kappa$, close to 1 when $\\kappa$ is large: no fixed rate makes that direction converge fast" in text
    (kappa,) = printed(L, r"condition number κ = {n}")
    assert 1 - 2 / kappa > 0.999 and (1 - 2 / kappa) < 1
    # r24 A1, A2: the book's Fig. 8.1 shows gᵀg growing; "stuck" is filed under ill-conditioning, not "another route than κ"
    assert "The book's \"stuck\" is a rate that had worked starting to raise the cost as $g^\\top H g$ grows faster than " \
           "$g^\\top g$, so the rate must be shrunk and learning becomes very slow; the book files it under ill-conditioning." in text
    assert "slowness by another route" not in text and "(the book's Fig. 8.1 shows it growing)" in text
    assert "not the book's \"stuck\"" not in text
    assert "now raise it, and the rate has to be shrunk. That, in this lesson's reading, is what the book calls getting \"stuck\"" in text


def test_r16_a3_where_2_eta_star_falls_depends_on_g_not_kappa_and_the_range_needs_positive_eigenvalues(L):
    text = markdown(L)
    assert "can move $2\\eta^\\ast$" not in text and "$\\kappa$ can move" not in text
    # r22 A1: with g's direction and λ_max fixed, 2η* still moves with λ_min; only its lower end ignores κ
    assert ("depending on where $g$ points and on every eigenvalue; its lower end, `critical_lr`, does not depend on "
            "$\\kappa$") in text and "not on $\\kappa$" not in text
    assert "With $\\lambda_{\\max}$ fixed, a large $\\kappa$ only makes that range wide" in text
    assert "for a Hessian whose eigenvalues are all positive ($\\lambda_{\\min} > 0$)" in text
    assert ("(for $\\lambda_{\\min} > 0$) depends on where $g$ points and on every eigenvalue; its lower end "
            "$2/\\lambda_{\\max}$ does not depend on $\\kappa$") in text
    shares = np.array([0.86, 0.14])          # the same direction of g, λ_max = 10, two values of λ_min
    assert 2 / (shares @ [1.0, 10.0]) != pytest.approx(2 / (shares @ [0.01, 10.0]), rel=0.1)
    # the same λ_max and κ, two gradient directions: 2η* = 2/(curvature along g) moves across [2/λ_max, 2/λ_min]
    H = np.diag([1.0, 10.0])
    two_best = [2 * (g @ g) / (g @ H @ g) for g in (np.array([1.0, 0.0]), np.array([0.0, 1.0]))]
    assert two_best == [2.0, 0.2]
    # "as on lesson 4's network, 2/λ_min is negative"
    assert "as on lesson 4's network, $2/\\lambda_{\\min}$ is negative" in text
    assert lesson("04")["lam_min"] < 0


def test_r16_a4_lesson_6_is_not_cited_for_the_stuck_regime(L):
    assert "lesson 6 follows the sharpness" not in markdown(L)


def test_r16_a5_every_term_the_lesson_defines_is_in_the_glossary(L):
    text = markdown(L)
    assert "every term is in the [glossary](GLOSSARY.md)" in text
    glossary = (ROOT / "notebooks" / "GLOSSARY.md").read_text().lower()
    for term in ("Taylor expansion", "remainder", "curvature along the gradient", "sharpness", "quartic wall",
                 "valley floor", "condition number", "ill-conditioned"):
        assert re.search(rf"\*\*{re.escape(term)}\*\*", text, re.I), term
        assert term.lower() in glossary, term


def test_r16_b6_on_lesson_4s_network_the_first_step_at_1e3_goes_down(L):
    # "On lesson 4's network the first full-batch step at 1e-3 goes *down*: the curvature along g there is 407
    # against λ_max = 5,167 (lesson 4, “One step, to second order”)"
    text = markdown(L)
    L4 = lesson("04")
    curvature, lam = L4["grad_curvature"], L4["lam"]
    assert f"the curvature along $g$ there is {curvature:,.0f} against $\\lambda_{{\\max}}$ = {lam:,.0f}" in text
    i = int(np.argmin(np.abs(np.array(L4["check.lrs"]) - 1e-3)))
    assert L4["check.lrs"][i] == pytest.approx(1e-3) and L4["check.actual"][i] < 0
    assert "On lesson 4's network the first full-batch step (one on the gradient of the whole data set) at 1e-3 goes *down*" in text
    assert "One step, to second order" in "".join(c.source for c in L4.nb.cells if c.cell_type == "markdown")
    assert "On lesson 4's network the first step at 1e-3 goes down." in text.split("## What we learned")[1]


def test_r16_b7_the_integral_remainder_is_written_out_and_t_is_the_integrals_variable(L):
    text = markdown(L)
    assert "$$\\Delta L(\\eta) = -\\eta\\, g^\\top g + \\int_0^\\eta (\\eta - t)\\; g^\\top H(w - t g)\\, g \\; dt" in text
    code = "".join(c.source for c in L.nb.cells if c.cell_type == "code")
    assert "t = np.linspace" not in code and "t_grid = np.linspace(0, turn, 401)" in code
    # the printed average is that integral's ratio, evaluated on t_grid
    t = np.array(L["t_grid"])
    assert t[0] == 0 and t[-1] == pytest.approx(L["turn"])
    assert L["curv_avg"] == pytest.approx(np.sum((L["turn"] - t) * np.array(L["curv"])) / np.sum(L["turn"] - t))


def test_r16_b8_why_later_is_marked_optional_after_the_take_away(L):
    cells = [c for c in L.nb.cells if c.cell_type == "markdown"]
    (k,) = [j for j, c in enumerate(cells) if c.source.startswith("**Optional: why later?**")]
    assert cells[k].metadata["slideshow"]["slide_type"] == "subslide"
    assert "(1) is a statement about small steps, reliable only for them." in cells[k - 1].source
    assert "the next section does not need it" in cells[k].source


def test_r16_b9_the_flat_share_is_printed_and_flat_and_sharp_are_defined(L):
    (share,) = printed(L, r"share of g·g along the flat direction: {n}%")
    g, v = np.array(L["g"]), np.array(L["v_flat"])
    assert share == round(100 * (g @ v) ** 2 / (g @ g)) == 86
    text = markdown(L)
    assert "(the eigenvector with the smallest eigenvalue, along which the loss curves least; the sharp direction is the one with the largest)" in text
    assert "points mostly along the flat direction (its share of $g^\\top g$ is printed above)" in text


def test_r16_b10_it_is_2_eta_star_that_falls_below_the_fixed_rate(L):
    text = markdown(L)
    assert "a rate that used to lower the cost passes $2\\eta^\\ast$" not in text
    assert "so $2\\eta^\\ast$ falls below a rate that used to lower the cost" in text


def test_r16_c11_c12_critical_lr_is_drawn_on_fig_3_and_quadratic_turns_are_exact(L):
    (fig3,) = [c.source for c in L.nb.cells if "plots.draw_change_vs_step(ax, lrs_r" in c.source]
    assert "ax.axvline(regression.critical_lr" in fig3 and "exact=True" in fig3
    (fig1,) = [c.source for c in L.nb.cells if "plots.draw_change_vs_step(ax, lrs, " in c.source]
    (fig2,) = [c.source for c in L.nb.cells if "plots.draw_change_vs_step(ax, lrs_q" in c.source]
    assert "exact=True" in fig1 and "exact=True" not in fig2


def test_r16_d13_d15_mechanism_once_and_exercise_1_differs_from_critical_lr(L):
    text = markdown(L)
    assert "the gradient turns towards that direction" not in text
    assert text.count("the gradient keeps turning towards the sharp direction") == 1
    from helpers.exercises import lesson03
    assert lesson03.q1.check(0.25) and L["critical"] == pytest.approx(0.2) and not lesson03.q1.check(L["critical"])


def test_r17_the_one_step_rise_needs_curvature_along_g_above_2_over_lr_and_lesson_4_does_not_rise_steadily(L):
    # Review r17 A1, A3: the regression's step rises because the curvature along g (printed) exceeds 2/η = 2000 at 1e-3;
    # lesson 4's loss falls and rises in turn (minibatch steps, jumping sharpness), unlike this lesson's bowl table.
    (curv, lam) = printed(L, r"curvature along g = {n} \(sharpness λ_max = {n}")
    assert curv > 2 / 1e-3 and lam >= curv
    text = " ".join(markdown(L).split())
    assert "it happens here because the curvature along $g$ (printed above) exceeds $2/\\eta$ = 2000 at 1e-3" in text
    assert "only because $g$ lies almost along" not in text and "as in this lesson's 12-step table" not in text
    L4 = lesson("04")
    full = np.array(L4["fast.full_losses"], dtype=float)
    finite = full[np.isfinite(full)]
    ratios = finite[1:] / finite[:-1]
    assert (ratios < 1).any() and (ratios > 1).any()                  # falls and rises in turn
    assert "with the sharpness jumping from step to step" in text and "whose bowl has no negative curvature" not in text
    assert ("on this lesson's bowl, whose eigenvalues are all positive, repeated steps 10% above `critical_lr` turned the "
            "gradient towards the sharpest direction, and then every step went up") in text


def test_r19_lesson_4s_one_step_turn_came_earlier_than_the_formula(L):
    # Review r19 A1, B4: "on a quadratic" scopes the verdict; lesson 4's actual one-step turn came about 3x earlier
    text = " ".join(markdown(L).split())
    assert "on a quadratic the threshold at which steps blow up is set by the sharpness" in text
    assert "about 3 times earlier" not in text
    # r21 A3: the bracket and the factor are printed in lesson 3 (see test_r21_a3_...), the summary refers to them
    assert "on lesson 4's network it turned positive earlier, by the factor printed in “A non-quadratic loss”" in text
    assert "0.0013" not in markdown(L) and "3.9 times" not in text


# Review r20


def test_r20_a1_the_evidence_is_the_curvature_averaged_up_to_2_eta_star_and_the_change_there_is_still_a_fall(L):
    # "At the predicted turn η = 2η* = 2/c the identity gives ΔL(2η*) = (2gᵀg/c)(c̄(2η*)/c − 1): the actual change
    # there is still a fall exactly when the curvature averaged over that step is below c" and "The average is lower,
    # so at the predicted turn the loss still falls, and the real turn comes later (printed above)"
    text = " ".join(markdown(L).split())
    assert "the actual change there is still a fall exactly when the curvature averaged over that step is below $c$" in text
    assert "The average is lower, so at the predicted turn the loss still falls, and the real turn comes later" in text
    c, c_bar, change = L["curv_pred"][0], L["curv_pred_avg"], L["change_2best"]
    assert c_bar < c and change < 0 and L["turn"] > 2 * L["best_q"]
    (printed_change,) = printed(L, r"so the actual change at 2η\* is {n}: still a fall")
    assert printed_change == pytest.approx(change, rel=1e-2)
    # the identity holds for the computed average (up to the Riemann sum's error), so the average is not fixed by
    # construction: it is a measured value, unlike 2 / c̄(turn) = turn
    g_q = np.array(L["g_q"])
    assert change == pytest.approx(2 * (g_q @ g_q) / c * (c_bar / c - 1), rel=1e-2)
    t = np.array(L["t_pred"])
    assert t[0] == 0 and t[-1] == pytest.approx(2 * L["best_q"])


def test_r20_b4_the_turn_towards_the_sharp_direction_is_stated_for_the_rate_above_critical_lr(L):
    text = " ".join(markdown(L).split())
    assert "But repeated steps multiply the flat component" not in text
    assert ("On a quadratic each step multiplies the gradient's component along an eigenvector by $1-\\eta\\lambda$ (lesson 2). "
            "At the rate below, 10% above `critical_lr`, that factor is smaller than 1 in size along the flat direction "
            "and larger than 1 along the sharp one (both printed below).") in text
    lr, flat, sharp = printed(L, r"lr = {n}: factors 1 - lr·λ = {n}, {n} per step \(flat, sharp\)")
    assert lr == pytest.approx(1.1 * L["critical"], abs=1e-3) and abs(flat) < 1 < abs(sharp)
    # the gradient's eigen-components are multiplied by 1 - ηλ: g_{k+1} = H (w_k - η g_k - w*) = (I - ηH) g_k on a quadratic
    H = np.diag([1.0, 10.0])
    g = np.array([2.5, 1.0])
    assert np.allclose(H @ (np.linalg.solve(H, g) - 0.22 * g), (1 - 0.22 * np.diag(H)) * g)


def test_r20_b5_on_a_bowl_at_a_fixed_rate_the_change_only_increases_so_it_switches_sign_once(L):
    # "each step multiplies the loss's part along each eigenvector by (1-ηλ)², so the falls shrink and the rises grow,
    # and the change can only increase from one step to the next"
    text = " ".join(markdown(L).split())
    assert "and the change can only increase from one step to the next" in text
    assert np.all(np.diff(np.array(L["changes"])) > 0)
    rng = np.random.default_rng(1)
    for _ in range(200):                                        # random bowls, starts and rates: ΔL_k never decreases
        lam = rng.uniform(0.1, 10, 4)
        d = rng.normal(size=4)
        eta = rng.uniform(0, 3 / lam.max())
        rho = (1 - eta * lam) ** 2
        steps = np.arange(30)[:, None]
        changes = (0.5 * lam * d**2 * rho**steps * (rho - 1)).sum(axis=1)
        assert np.all(np.diff(changes) >= -1e-12 * np.abs(changes[1:]).max())


def test_r20_b7_the_error_is_a_share_of_the_loss_at_w_not_of_the_window(L):
    # "We measure its error as a share of the loss at w, the most any step can lower this loss (it is never below 0)"
    assert "We measure its error as a share of the loss at $w$, the most any step can lower this loss" in markdown(L)
    lrs, pred, actual = np.array(L["lrs_q"]), np.array(L["pred_q"]), np.array(L["actual_q"])
    A, beta, w = np.diag([1.0, 10.0]), 2.0, np.array(L["w_q"])
    loss_w = 0.5 * w @ A @ w + beta / 4 * np.sum(w**4)
    np.testing.assert_allclose(L["rel_err"], np.abs(pred - actual) / loss_w)
    assert np.all(actual > -loss_w)                                  # no step lowers the loss by more than the loss at w
    small, breaks = printed(L, r"error below 1% of the loss at w for η < {n}; above 10% of it from η = {n}")
    assert breaks == pytest.approx(L["breaks"], rel=2e-3) and L["best_q"] < L["breaks"]
    (error,) = printed(L, r"an error of {n}% of the loss at w")
    assert error < 10


def test_r20_b8_b9_b10_b11_b12_scope_and_terms(L):
    text = " ".join(markdown(L).split())
    # B9: critical_lr is the divergence threshold of a bowl, from a start with a component along the sharpest direction
    assert ("`critical_lr` $= 2/\\lambda_{\\max}$ is the learning rate above which gradient descent on a bowl (a quadratic "
            "whose eigenvalues are all positive) diverges, from any start with a component along the sharpest direction") in text
    # B11: the summary keeps "on a bowl"
    assert "- Over many steps on a bowl the threshold is `critical_lr` whatever $\\kappa$" in markdown(L)
    # B8: lesson 4's κ for a Hessian with negative eigenvalues
    assert "(lesson 4 uses $\\max_{i,j}|\\lambda_i/\\lambda_j|$ instead)" in text
    assert "\\max_{i,j}|\\lambda_i/\\lambda_j|" in "".join(c.source for c in lesson("04").nb.cells if c.cell_type == "markdown")
    # B10: full-batch and minibatch said in words
    assert "full-batch step (one on the gradient of the whole data set)" in text
    assert "minibatch steps, each on the gradient of a small batch of the data" in text
    # B10: the regression's θ and MSE are lesson 2's
    assert "The regression (its weights written $\\theta$ and its loss the mean squared error, MSE, as in lesson 2)" in text
    lesson2 = "".join(c.source for c in lesson("02").nb.cells if c.cell_type == "markdown")
    assert "mean squared error (MSE) $L(\\theta)" in lesson2
    # B12: the actual change stays below the parabola in the window shown (asserted over that window elsewhere)
    assert "in the window shown the actual change stays below the parabola" in text


def test_r20_c13_critical_lr_and_2_eta_star_are_told_apart_on_the_regression_figure(L):
    (cell,) = [c for c in L.nb.cells if "plots.draw_change_vs_step(ax, lrs_r" in c.source]
    assert 'ax.axvline(regression.critical_lr, color="0.5", lw=10, alpha=0.35' in cell.source   # not dashed like lr = 1e-4
    assert 'ls="--", lw=1.5, label=f"critical_lr' not in cell.source
    offset = L["offset"]                                             # 2η* / critical_lr - 1, critical_lr = 2/λ_max
    assert offset == pytest.approx(L["best_r"] * L["sharpness_r"] - 1, rel=1e-6) and 0 < offset < 0.01
    (alt,) = [o["metadata"]["image/png"]["alt"] for o in cell.outputs if "image/png" in o.get("metadata", {})]
    assert "2η* (green dash-dotted) and critical_lr (wide grey) coincide at this scale" in alt    # r21 C11, r22 C1


def test_r20_c15_the_curvature_along_the_step_is_drawn_dipping_near_the_valley_floor(L):
    # the figure after the fall's split: the curvature along g falls to its lowest near where w₂ crosses 0, then rises
    curv, t = np.array(L["curv"]), np.array(L["t_grid"])
    low = int(np.argmin(curv))
    assert curv[low] < L["curv_avg"] < curv[0] and curv[-1] > curv[low]
    assert np.all(np.diff(curv[:low + 1]) < 0) and np.all(np.diff(curv[low:]) > 0)
    assert abs(t[low] - L["cross"]) < 0.25 * L["cross"]
    (cell,) = [c for c in L.nb.cells if 'ax.plot(t_grid, curv' in c.source]
    (alt,) = [o["metadata"]["image/png"]["alt"] for o in cell.outputs if "image/png" in o.get("metadata", {})]
    assert (f"curvature along g over the step: {curv[0]:.3g} at w, lowest ({curv[low]:.3g}) at t = {t[low]:.3g}, "
            f"{curv[-1]:.3g} at the turn") in alt
    assert "falls *on average*, not all along the step (the figure above)" in markdown(L)


# Review r21


def test_r21_a1_the_take_away_no_longer_trusts_the_sign_of_1_for_large_steps(L):
    text = " ".join(markdown(L).split())
    assert "trust it as the direction of the effect" not in text
    assert "The take-away: (1) is a statement about small steps, reliable only for them." in text
    # the sign is wrong between 2η* and the actual turn: (1) predicts a rise, the actual change is still a fall
    lrs, pred, actual = np.array(L["lrs_q"]), np.array(L["pred_q"]), np.array(L["actual_q"])
    between = (lrs > 2 * L["best_q"] * (1 + 1e-9)) & (lrs < L["turn"])
    assert between.sum() > 10 and np.all(pred[between] > 0) and np.all(actual[between] < 0)


def test_r21_a2_the_average_is_lower_because_the_curvature_dips_not_because_of_the_weights(L):
    text = " ".join(markdown(L).split())
    assert "favours the first part of the step" not in text and "the weight η - t puts" not in printed_output(L)
    assert ("across the middle of the step, around the crossing, the curvature along $g$ dips well below its value at $w$ "
            "(its lowest value is in the figure's title), so the average is lower. The weights $\\eta - t$ barely matter: uniform weights give almost the same average "
            "(printed above).") in text
    weighted, uniform, at_w = printed(L, r"averaged up to the turn: {n} with weights η - t, {n} with uniform weights \(at w: {n}\)")
    curv = np.array(L["curv"])
    assert uniform == pytest.approx(curv.mean(), rel=1e-3) and weighted == pytest.approx(L["curv_avg"], rel=1e-3)
    assert abs(weighted - uniform) < 0.02 * at_w                     # the weighting moves the average by < 2% of c
    assert max(weighted, uniform) < 0.85 * at_w and curv.min() < 0.75 * at_w   # the dip is what lowers it


def test_r21_a3_lesson_4s_turn_bracket_is_printed_from_its_grid_and_its_printed_values(L):
    L4 = lesson("04")
    lrs, actual = np.array(L4["check.lrs"]), np.array(L4["check.actual"])
    np.testing.assert_allclose(lrs, np.geomspace(1e-6, 1e-2, 41))     # the grid lesson 3 recomputes
    k = int(np.argmax(actual > 0))
    assert actual[k - 1] < 0 < actual[k] and np.all(actual[:k] < 0)
    # the two values lesson 3 quotes are lesson 4's printed (2 significant figures) turns
    assert L["turn_pred_4"] == float(f"{L4['check.predicted_turns_positive_at']:.2g}")
    assert L["first_positive_4"] == float(f"{L4['check.actual_turns_positive_at']:.2g}") == float(f"{lrs[k]:.2g}")
    assert L["last_negative_4"] == float(f"{lrs[k - 1]:.3g}")        # r22 A2: unrounded enough for the ratio
    predicted, below, above = printed(L, r"lesson 4: \(1\) predicts the turn at {n}; the actual change is still negative at {n} "
                                         r"and first positive at {n}")
    assert (predicted, below, above) == (L["turn_pred_4"], L["last_negative_4"], L["first_positive_4"])
    low, high = printed(L, r"so the actual turn came {n} to {n} times earlier than \(1\) predicted")
    assert (low, high) == (round(predicted / above, 1), round(predicted / below, 1))


def test_r21_b4_b5_b7_b10_scope_and_terms(L):
    text = " ".join(markdown(L).split())
    # B4: the split between the thread's rates is lesson 2's design
    assert ("Lesson 2 built this regression so that its threshold falls between the thread's two rates, so this split is a "
            "design choice, not a finding about the thread's data") in text
    lesson2 = " ".join("".join(c.source for c in lesson("02").nb.cells if c.cell_type == "markdown").split())
    assert "We chose this range so that the threshold falls between the thread's two rates" in lesson2
    # B5: no unquantified "very small step"
    assert "a very small step can go up only where" not in text and "only where the sharpness is large" not in text
    assert "on a quadratic no step below `critical_lr` goes up, whatever $\\kappa$" in text
    # B7: the share is defined once, before its first use
    definition = "The **share of $g^\\top g$ along** a unit direction $v$ is $(g \\cdot v)^2 / g^\\top g$"
    assert text.count(definition) == 1 and text.index(definition) < text.index("its share of $g^\\top g$ is printed above")
    # B10: the stuck regime and the book's condition are (1)'s, to second order
    assert "is the same condition to second order, $\\eta > 2\\eta^\\ast$" in text
    assert "that is, to second order, once $\\eta > 2\\eta^\\ast$" in text


def test_r21_c11_c12_the_regression_figure_claims_only_what_it_shows(L):
    text = " ".join(markdown(L).split())
    assert "green for the prediction, orange for the actual change; dotted for a best step, dash-dotted for a turn" in text
    (gap,) = printed(L, r"2η\* lies {n}% above critical_lr: at the figure's scale the two coincide")
    assert gap == pytest.approx(100 * L["offset"], abs=0.05) and 0 < gap < 1
