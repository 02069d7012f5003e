"""Lesson 1's claims, checked against the executed lesson (what it printed and its variables)."""

import math

import numpy as np
import re

import pytest

from claim_support import markdown, printed
from notebook_runner import lesson


@pytest.fixture(scope="module")
def L():
    return lesson("01")


def test_on_x_squared_both_rates_converge_and_012_is_more_than_eight_times_below_the_threshold(L):
    # "On x² both rates converge: 0.12 is more than eight times below the threshold and multiplies w by 0.76 per step"
    threshold, ratio = printed(L, r"threshold 2/f'' = {n}: 0.12 is {n} times below it")
    assert threshold == 1 and ratio > 8
    assert printed(L, r"lr = 0.12: factor \|1 - lr·f''\| = {n} → converges") == (0.76,)
    assert "multiplies $w$ by 0.76 per step" in markdown(L)
    assert printed(L, r"lr = 0.01: factor \|1 - lr·f''\| = {n} → converges") == (0.98,)


def test_on_ten_w_squared_012_diverges_past_f_second_167(L):
    # "0.12 diverges as soon as f'' > 2/0.12 ≈ 16.7. Take f(w) = 10 w², with f'' = 20"
    threshold, needed = printed(L, r"threshold 2/f'' = {n}, and 0.12 needs f'' > {n} to diverge")
    assert threshold == 0.1 and needed == 16.7 and 20 > needed
    assert "16.7" in markdown(L)
    (factor,) = printed(L, r"lr = 0.12: factor \|1 - lr·f''\| = {n} → diverges")
    assert factor == 1.4


def test_the_loss_grows_by_the_square_of_the_factor(L):
    # formula (2): r = (1 - ηλ)²; printed "the loss is multiplied by r = 1.96 per step"
    assert L["r"] == pytest.approx(1.4**2)
    assert printed(L, r"multiplied by r = {n} per step") == (1.96,)


def test_the_clock_counts_the_runs_steps_and_is_not_called_an_independent_check(L):
    # "Formula and run agree to the step (table above), as they must on a quadratic. ... 31 steps, and to overflow 122"
    predicted = L["clock.predicted"]
    assert predicted == [31, 122]
    for threshold, k in zip([1e12, 3.4e38], predicted):
        assert printed(L, r"\s+" + re.escape(f"{threshold:.3g}") + r"\s+{n}\s+{n}") == (k, k)
    assert L["run.diverged_at"] == 122
    md = markdown(L)
    assert "takes 31 steps, and to overflow 122" in md and "(122 here" in md
    assert "as they must on a quadratic" in md and "this is not an independent test of (3)" in md
    assert "Prediction and run agree" not in md and "predict, then run" not in md
    assert "## The blow-up clock: count the steps without running them" in md
    assert printed(L, r"counted by \(3\): the loss passes 1e\+12 at step {n}") == (31,)


def test_the_clocks_loss_level_is_not_called_a_threshold(L):
    # "threshold" is kept for 2/λ; the loss level of (3) is "level T"
    md = markdown(L)
    assert "first passes a level $T$" in md and "passes a threshold $T$" not in md
    assert re.search(r"level T\s+by \(3\)\s+run", L.text())


def test_figure_1_says_what_its_cross_marks(L):
    md = markdown(L)
    assert "A cross marks the step at which the loss passed float32's largest value" in md
    assert "a cross marks divergence;" not in md
    assert L["first_figure_run.diverged_at"] is not None
    assert float(L["first_figure_run.losses"][L["first_figure_run.diverged_at"]]) > float(np.finfo(np.float32).max)


def test_every_factor_of_ten_costs_the_same_number_of_steps(L):
    (per_decade,) = printed(L, r"each factor of 10 in the loss takes log 10 / log r = {n} steps")
    assert per_decade == pytest.approx(math.log(10) / math.log(L["r"]), abs=0.005)


def test_a_tenfold_smaller_rate_converges_on_the_same_bowl(L):
    # "What a tenfold smaller rate does on the same bowl" / summary: a tenfold change carries it across
    assert printed(L, r"lr = 0.12\s*: factor {n} → diverges") == (1.4,)
    assert printed(L, r"lr = 0.012\s*: factor {n} → converges") == (0.76,)


def test_summary_numbers_are_the_printed_ones(L):
    md = markdown(L)
    assert "(factor 0.76)" in md and "(factor 1.4, threshold 0.1)" in md


def test_the_choice_exercise_shows_its_choices_and_no_feedback(L):
    from helpers.exercises import lesson01

    text = L.text()
    for key, (choice, feedback) in lesson01.q3.options.items():
        assert f"- **{key}**: {choice}" in text
        assert feedback not in text


def test_the_float64_run_passes_float32s_largest_value_which_in_float32_is_inf_then_nan(L):
    # "`diverged` here means that the loss passed float32's largest value ... Stored as float32: inf; inf - inf = nan"
    f64, f32 = printed(L, r"float64's largest value: {n}; float32's: {n}")
    (loss,) = printed(L, r"loss {n} as float32: inf; inf - inf = nan")
    assert f32 < loss < f64 and math.isfinite(L["run.losses"][L["run.diverged_at"]])
    md = markdown(L)
    assert "after one epoch" in md and "within one epoch" not in md


def test_the_thread_is_not_said_to_show_x_squared_diverging_or_converging(L):
    # Body, Exercise 3 and References agree: the thread asks to imagine x²; it does not say what its figures show.
    from helpers.exercises import lesson01

    md = markdown(L)
    assert "does not say which function its figures show" in md
    assert "picture of $x^2$" not in md and "cannot be $x^2$ itself" not in md
    assert "On x² itself" in lesson01.q3.prompt and "draws gradient descent on x²" not in lesson01.q3.prompt


def test_the_slider_shows_the_promised_cross_at_its_starting_setting(L):
    # "the middle the loss per step over 150 steps (log axis; a cross where the loss passes float32's largest value ...)"
    import matplotlib

    matplotlib.use("Agg")
    from helpers.sliders import lr_slider_app

    assert "lr_slider_app(lr=0.12, curvature=20.0, steps=150)" in "".join(c.source for c in L.nb.cells)
    assert "over 150 steps" in markdown(L)
    app = lr_slider_app(lr=0.12, curvature=20.0, steps=150)
    try:
        assert list(app.artists["loss"]["marker"].get_xdata()) == [app.run().diverged_at] and app.run().diverged_at < 150
        assert app.scale_text.get_text() == "steps: w from -40.5 to 56.7"      # (-1.4)^11 and (-1.4)^12
    finally:
        app.close()


def test_only_inf_minus_inf_and_zero_times_inf_are_said_to_give_nan(L):
    # review r16 A5: "some arithmetic on `inf` (`inf - inf`, `0 · inf`) gives `nan` (printed below)"; inf + 1 stays inf
    md = markdown(L)
    assert "arithmetic on `inf` gives `nan`" not in md and "arithmetic on `inf` (such as" not in md
    assert "some arithmetic on `inf` (`inf - inf`, `0 · inf`) gives `nan` (printed below)" in md
    assert "inf - inf = nan; 0 · inf = nan" in L.text() and "but inf + 1 = inf and 2 · inf = inf" in L.text()
    assert np.isnan(L["zero_times_inf"]) and np.isnan(L["inf_minus_inf"])
    with np.errstate(invalid="ignore"):
        inf = np.float32(np.inf)
        assert np.isinf(inf + np.float32(1)) and np.isinf(2 * inf)
        assert np.isnan(inf - inf) and np.isnan(np.float32(0) * inf)


def test_the_first_figures_run_stopped_later_because_it_started_two_decades_lower(L):
    # "the first figure's run on 10w² stopped later: it started two factors of ten lower"
    start, decades, step = printed(L, r"the first figure's run started at loss {n}, {n} factors of ten lower, and stopped at step {n}")
    assert decades == 2 and step > L["run.diverged_at"]
    per_decade = np.log(10) / np.log(L["r"])
    assert step - L["run.diverged_at"] == pytest.approx(decades * per_decade, abs=1)
    assert "two factors of ten lower" in markdown(L)


def test_the_first_answer_is_qualified_to_a_quadratic(L):
    assert "On a quadratic, below the threshold any rate converges and above it every rate diverges." in markdown(L)


def test_in_float32_the_loss_is_inf_first_and_the_weight_nan_later(L):
    # "the loss overflows first, at the same step as the float64 run above, while the weight is still a finite number;
    #  ... the gradient overflows, the update makes the weight infinite, and the next update ... `nan`"
    assert "float32_route(steep.sharpness, w_start, lr)" in "".join(c.source for c in L.nb.cells)
    k_loss, w_at = printed(L, r"step {n}: loss inf, but the weight is finite, w = {n}")
    assert k_loss == L["route.loss_inf"] == L["run.diverged_at"] == 122 and math.isfinite(w_at)
    k_grad, w_grad, = printed(L, r"step {n}: w = {n}, gradient 20 w = inf")
    assert k_grad == L["route.gradient_inf"] and k_grad > k_loss and math.isfinite(w_grad)
    (k_inf,) = printed(L, r"step {n}: w = {n} - 0.12·inf = -?inf")[:1]
    assert k_inf == L["route.weight_inf"] == k_grad + 1
    (k_nan,) = printed(L, r"step {n}: w = -?inf - 0.12·\(-?inf\) = nan")
    assert k_nan == L["route.weight_nan"] == k_inf + 1 == 250
    md = markdown(L)
    assert "The thread's `nan` is in its *weights*" in md and "the loss overflows first, at the same step" in md
    assert "the weight keeps growing by the factor 1.4" in md
    assert printed(L, r"lr = 0.12: factor \|1 - lr·f''\| = {n} → diverges") == (1.4,)


def test_the_thread_rates_are_read_as_curvature_bounds_with_the_caveat(L):
    # "a sharpness above 2000 ... at 1e-3, and at most about 20000 ... at 1e-4", "if the one-dimensional picture holds"
    assert printed(L, r"lr = 0.001 blew up: the threshold 2/lr = {n}") == (2000,)
    assert printed(L, r"lr = 0.0001 trained: the threshold 2/lr = {n}") == (20000,)
    md = " ".join(markdown(L).split())
    assert "if the one-dimensional picture holds for its network" in md
    # review r15 A2: the bounds assume plain full-batch gradient descent, and the upper one is "at most about"
    assert "a sharpness above 2000 somewhere along its path at $10^{-3}$, and at most about 20000" in md
    assert "exceeded 2000 at $10^{-3}$ and stayed at most about 20000 at $10^{-4}$" in md
    assert "below 20000" not in md
    assert ("The threshold $2/\\eta$ belongs to one optimizer only, plain full-batch gradient descent; momentum (lesson 7), "
            "Adam (lesson 5) and minibatches (lesson 6) change it.") in md
    assert "So if the picture held and the thread ran plain gradient descent" in md
    assert "it ran plain full-batch gradient descent (a bound for that one optimizer" in md
    assert "(the *edge of stability*, lesson 6)" in md


def test_a_tenfold_change_crosses_only_when_the_threshold_is_inside_the_decade(L):
    assert "threshold 0.1 lies between 0.012 and 0.12" in L.text()
    assert L["inside"] is True
    md = markdown(L)
    assert "can easily carry it across" not in md
    assert "carries it across only when $2/f''$ lies inside that decade" in md


def test_the_first_answers_formula_is_the_general_form_of_2(L):
    # eps²/2 gᵀHg − eps gᵀg at w = 1 on 10 w² equals f(w)(r − 1)
    a, b = printed(L, r"second-order change {n}; f\(w\)·\(r - 1\) = {n}")
    assert a == b
    assert L["second_order"] == pytest.approx(10.0 * (L["r"] - 1))
    md = markdown(L)
    assert "The thread's first answer gives the general form" in md and "Goodfellow" in md


def test_the_thread_is_paraphrased_not_quoted_and_the_epoch_claim_is_conditional(L):
    md = markdown(L)
    assert '"from the thousands to a trillion to infinity"' not in md
    # review r16 A2: the quadratic's step counts are not applied to the thread's epoch
    assert "fit in one epoch" not in md and "That is the pattern the thread reports" not in md


def test_the_float32_summary_is_one_route_with_the_printed_steps(L):
    # review r15 A1: "one route, on this 1-D quadratic": loss inf at 122, gradient inf at 248, w = -inf at 249, nan at 250
    steps = (L["route.loss_inf"], L["route.gradient_inf"], L["route.weight_inf"], L["route.weight_nan"])
    assert steps == (122, 248, 249, 250)
    assert printed(L, r"step {n}: w = {n} - 0.12·inf = -inf")[0] == 249
    md = " ".join(markdown(L).split())
    assert ("One route to `nan`, on this 1-D quadratic in float32 (printed above): the loss is `inf` at step 122, the "
            "gradient at step 248, the update after it makes the weight `-inf` at step 249, and the next update "
            "computes `inf - inf`, so the weight is `nan` at step 250. In a network, activations can overflow first "
            "(not measured here).") in md
    assert "In float32 the loss reaches `inf` first; the weight becomes `nan` later" not in md


def test_the_first_answer_does_not_call_0012_the_threads_rate_and_prints_it_first(L):
    # review r15 B3: the tenfold computation comes before the answer that uses it; the thread's rates are named
    md = " ".join(markdown(L).split())
    answer = md.index("**Answer to the first question.**")
    assert "0.012 is our own tenfold-smaller rate, not the thread's: its second answer's two rates, 0.01 and 0.12, are " \
           "12 times apart" in md
    assert "computed after the answer to the second question" not in md
    assert 0.12 / 0.01 == pytest.approx(12)
    text = L.text()
    assert text.index("threshold 0.1 lies between 0.012 and 0.12") < text.index("**Answer to the first question.**")
    assert md.index("What a tenfold smaller rate does on the same bowl:") < answer


def test_sharpness_and_hessian_of_a_network_are_said_where_used(L):
    # review r15 B4
    md = " ".join(markdown(L).split())
    assert ("A network's curvature here is its *sharpness*, the largest eigenvalue of its Hessian $H$, the matrix of "
            "second derivatives") in md
    assert "with gradient $g$ and Hessian $H$, the matrix of second derivatives" in md


def test_the_first_figure_says_grows_for_the_factor_and_diverged_for_the_cross(L):
    # review r15 B5: legend "grows" (factor > 1); "diverged" only at the float32 cross
    md = " ".join(markdown(L).split())
    assert ("In the legends, *grows* means that the factor is above 1, so $|w|$ and the loss grow from the very first "
            "step; the run is called *diverged* only later, at the cross.") in md
    cell = next(c for c in L.nb.cells if "plots.draw_rate_comparison(" in c.source)
    assert any("image/png" in out.get("data", {}) for out in cell.outputs)
    assert L["first_figure_run.diverged_at"] > 1


def test_contraction_is_said_to_be_a_contraction_only_below_one(L):
    # review r15 B6
    md = markdown(L)
    assert ("`contraction(lr)` returns the size of the factor, $|1 - \\eta\\lambda|$; despite its name it is a "
            "contraction only when that size is below 1") in md
    assert printed(L, r"lr = 0.12: factor \|1 - lr·f''\| = {n} → diverges") == (1.4,)


def test_the_clock_figure_says_the_cross_covers_the_last_circle(L):
    # review r15 C7: at float32's level the run diverged on the step where it passed the level
    assert L["covered"] == " (it covers the last circle)"
    assert L["run.diverged_at"] == L["clock.predicted"][-1]


def test_the_nan_printed_first_is_called_loss_minus_loss(L):
    # review r15 D10
    assert "came from `loss - loss`, a subtraction a plain gradient-descent update does not compute" in markdown(L)


def test_the_first_figures_run_is_recomputed_not_left_over_from_a_loop(L):
    # review r15 D11: no dependence on the first figure's loop variable
    code = "".join(c.source for c in L.nb.cells if c.cell_type == "code")
    assert "runs[1]" not in code
    assert "first_figure_run = gradient_descent(steep.grad, [w0], lr, steps, loss=steep.loss)" in code
    assert L["first_figure_run.lr"] == 0.12 and L["first_figure_run.losses"][0] == pytest.approx(10.0)


def test_the_squeezed_small_rate_path_is_pointed_to_its_loss_panel(L):
    # review r15 C8: on 10 w² the lr = 0.01 steps sit at the bottom of the bowl; the loss panel shows convergence
    assert "the loss panel beside it shows them converge" in markdown(L)
    assert printed(L, r"lr = 0.01: factor \|1 - lr·f''\| = {n} → converges")
    steep_small = printed(L, r"threshold 2/f'' = 0.1, and 0.12 needs f'' > 16.7 to diverge\nlr = 0.01: factor \|1 - lr·f''\| = {n}")
    assert steep_small == (0.8,)


def test_the_optimizer_bound_fits_one_optimizer_and_the_asker_tried_several(L):
    # review r16 A1: the asker says changing the optimizer did not help; review r17 B2: the bound is limited because
    # 2/η belongs to plain full-batch gradient descent, not because the other optimizers failed
    md = " ".join(markdown(L).split())
    assert ("The thread does not name its optimizer, and the asker says that changing the optimizer did not cure the "
            "`nan` weights: what they tried did not help, while the bound below speaks only for plain full-batch "
            "gradient descent.") in md
    assert "the asker says changing the optimizer did not help" in md and "several optimizers" not in md   # r19 A2
    assert "can fit at most one of the optimizers" not in md
    assert "changing the optimizer, changing the loss" not in md      # paraphrased, not quoted


def test_the_clock_counts_are_scoped_to_the_quadratic_with_the_91_steps(L):
    # review r16 A2: 9.0 decades in 31 steps, 26.5 decades in 91 more; not applied to the thread's epoch
    d1, k1, d2, k2 = printed(L, r"a thousand → a trillion: {n} factors of ten in {n} steps; a trillion → overflow: "
                                r"{n} factors of ten in {n} more steps")
    assert (k1, k2) == (L["clock.predicted"][0], L["clock.predicted"][1] - L["clock.predicted"][0]) == (31, 91)
    assert k2 / k1 == pytest.approx(3, abs=0.1) and d2 / d1 == pytest.approx(3, abs=0.1)
    assert d1 == pytest.approx(9.0) and d2 == pytest.approx(math.log10(3.4028235e38 / 1e12), abs=0.05)
    md = " ".join(markdown(L).split())
    assert ("on a quadratic every factor of ten in the loss costs the same number of steps, so the 91 steps from a "
            "trillion to overflow are about three times the 31 from a thousand to a trillion") in md
    assert "These counts belong to this quadratic." in md and "minibatches" in md
    assert "on $10w^2$ at 0.12, from a thousand to a trillion in 31 steps and to float32 overflow in 122" in md


def test_the_overview_separates_overshooting_from_growing(L):
    # review r16 A3: between 1/λ and 2/λ a step overshoots but converges
    md = markdown(L)
    assert "when a step overshoots, when it overshoots so far that the loss grows geometrically" in md
    assert "why the loss then grows geometrically" not in md


def test_the_second_order_match_is_called_exact_by_construction(L):
    # review r16 A4: the 9.6 = 9.6 match is a tautology on a quadratic, as is (3) against the run
    a, b = printed(L, r"second-order change {n}; f\(w\)·\(r - 1\) = {n}")
    assert a == b == 9.6
    md = " ".join(markdown(L).split())
    assert ("On a quadratic the second-order expansion is exact, so the match printed below holds by construction, "
            "as (3) will later: it checks our algebra, not the formula") in md


def test_the_answer_box_cites_the_float32_weight_route_printed_before_it(L):
    # review r16 B6: the route (loss inf at 122 ... weight nan at 250) comes before the answer and is cited in it
    md = markdown(L)
    box = md.index("**Answer to the second question.**")
    assert md.index("Run the same iteration (on $10w^2$ at lr 0.12 from loss 1000) in float32") < box
    assert "in the float32 run above the weight is `nan` at step 250." in md[box:]
    assert "`inf - inf` (printed above)" not in md
    text = L.text()
    assert text.index(f"step {L['route.weight_nan']}: w = -inf") < text.index("**Answer to the second question.**")
    assert L["route.weight_nan"] == 250 and "(122 here" in md[box:] and L["run.diverged_at"] == 122


def test_the_first_figures_cross_is_defined_in_plain_words(L):
    # review r16 B7: float32 said in plain words at the first figure, with a pointer to where it is explained
    md = " ".join(markdown(L).split())
    intro = md[md.index("Same two learning rates, opposite outcome for 0.12."):]
    assert intro.index("TensorFlow computes in float32, a 32-bit number format that cannot hold a number beyond that "
                       "value (the blow-up clock section below explains it).") < intro.index("## ")
    assert "This lesson calls a run *diverged* at that step." in intro
    assert float(np.finfo(np.float32).max) == pytest.approx(3.4e38, rel=0.01)


def test_an_overshoot_that_converges_is_printed(L):
    # review r16 B8: between 1/f'' and 2/f'' each step crosses the minimum and |w| still shrinks
    lo, lr_over, hi, factor = printed(L, r"1/f'' = {n} < lr = {n} < 2/f'' = {n}: factor 1 - lr·f'' = {n} → converges")
    assert lo < lr_over < hi and factor == -0.4 and L["factor_over"] == pytest.approx(-0.4)
    w = np.asarray(L["overshoot.path"])[:, 0]
    assert all(np.sign(w[1:]) == -np.sign(w[:-1])) and np.allclose(np.abs(w[1:]) / np.abs(w[:-1]), 0.4)
    assert "w per step: +1, -0.4, +0.16, -0.064, +0.0256" in L.text()
    assert "yet $|w|$ shrinks by the factor 0.4 (printed above)" in markdown(L)


def test_the_tenfold_cell_prints_the_threshold_once(L):
    # review r16 D12
    cell = next(c for c in L.nb.cells if c.cell_type == "code" and "for lr_try in (0.12, 0.012):" in c.source)
    out = "".join(o.get("text", "") for o in cell.outputs)
    assert out.count("threshold 0.1") == 1


def test_r19_the_clock_run_checks_arithmetic_only(L):
    # Review r19 A1: the clock's run is float64 and never overflows; overflow is shown by the float32 route
    md = " ".join(markdown(L).split())
    assert "what the run checks is the arithmetic." in md and "including where a float overflows" not in md
