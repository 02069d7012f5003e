"""Lesson 2's claims, checked against the executed lesson (what it printed and its variables)."""

import re

import numpy as np
import pytest

from claim_support import markdown, printed, printed_output
from notebook_runner import lesson


@pytest.fixture(scope="module")
def L():
    return lesson("02")


def test_the_threshold_is_two_over_the_sharpness(L):
    assert printed(L, r"critical_lr = 2/λ_max = {n}") == (0.2,)


def test_at_018_the_steep_factor_is_negative_and_the_flat_one_shrinks_about_as_fast(L):
    # "At 0.18 the steep direction's factor is negative (−0.8) ... the flat direction shrinks steadily at 0.82, barely slower than the steep one's
    #  0.8 in size" (review r16 B3: not "creeps")
    flat, steep = printed(L, r"lr = 0.18: factors 1 - lr·λ = \[\s*{n}\s+{n}\s*\] → converges")
    assert (flat, steep) == (0.82, -0.8) and abs(flat - abs(steep)) < 0.05
    text = markdown(L)
    assert "the flat direction shrinks steadily at 0.82, barely slower than the steep one's 0.8 in size" in text and "creeps" not in text


def test_at_021_the_steep_factor_passes_minus_one(L):
    # "At 0.21 the steep factor passes −1 and the zig-zag grows"
    flat, steep = printed(L, r"lr = 0.21: factors 1 - lr·λ = \[\s*{n}\s+{n}\s*\] → diverges")
    assert steep < -1 < 0 < flat < 1


def test_formula_one_matches_the_run_to_rounding_error(L):
    # "Formula (1) is not an approximation"
    assert L["closed_form_gap"] < 1e-12


def test_with_a_large_kappa_the_best_rate_sits_at_the_threshold_and_progress_crawls(L):
    # "When κ is large the best rate is almost at the threshold, and progress along the flat direction still crawls"
    kappas, best, critical = map(np.array, (L["kappas"], L["best_lrs"], L["critical_lrs"]))
    rates, steps = np.array(L["best_factors"]), np.array(L["steps_needed"])
    np.testing.assert_allclose(rates, (kappas - 1) / (kappas + 1))
    assert np.all(np.diff(best / critical) > 0) and best[-1] / critical[-1] > 0.999
    # The table prints enough digits to tell the best rate from 2/λ_max even at κ = 10000.
    for kappa in (1000, 10000):
        row = re.search(rf"\n\s*{kappa}\s+(\S+)\s+(\S+)\s", printed_output(L))
        assert row and row.group(1) != row.group(2), row
    assert np.all(np.diff(steps) > 0) and steps[-1] > 10_000


def test_raw_features_put_the_threshold_between_the_threads_two_rates(L):
    # "The threshold lands between the thread's two rates: 1e-3 is above it and 1e-4 below"
    sharpness, kappa, critical = printed(L, r"raw features: sharpness {n}, κ = {n}, critical_lr = {n}")
    assert 1e-4 < critical < 1e-3 and critical == pytest.approx(2 / sharpness, rel=2e-3)
    std_sharpness, std_kappa, _ = printed(L, r"\n\s+standardized\s+{n}\s+{n}\s+{n}\n")
    assert std_kappa < 2 < 1e4 < kappa and std_sharpness < sharpness / 100


def test_centring_alone_and_scaling_alone_each_remove_part_of_the_sharpness_and_of_kappa(L):
    # "Each change alone removes part of the sharpness and of κ; only both together make the Hessian well conditioned"
    rows = {name: printed(L, rf"\n\s+{name}\s+{{n}}\s+{{n}}\s+{{n}}\n")
            for name in ("raw", "centred only", "scaled only", "standardized")}
    (raw_s, raw_k, _), (std_s, std_k, _) = rows["raw"], rows["standardized"]
    for name in ("centred only", "scaled only"):
        s, k, _ = rows[name]
        assert std_s < s < raw_s and std_k < k < raw_k and k > 100 * std_k
    assert std_k < 2
    # Review r15 B5: "the means are larger than the spreads, and 2|m|² is most of the sharpness (printed below): the one
    # very sharp direction comes from the mean that all the columns share" (the angle argument is gone)
    X = np.array(L["X_raw"])
    gram = 2 / X.shape[0] * X.T @ X                                    # the raw Hessian (3)
    mean, spread, ratio_lo, ratio_hi = printed(L, r"features: mean {n}, spread \(std\) {n}, mean / spread {n}-{n}\n")
    assert mean > spread and 1 < ratio_lo <= ratio_hi
    sharpness, lower, share, upper = printed(
        L, r"raw sharpness {n}: at least 2\|m\|² = {n} \({n}% of it\), at most 2\|m\|² \+ 2·\(largest eigenvalue of C\) = {n}")
    assert lower <= sharpness <= upper and share > 90 and sharpness == pytest.approx(np.linalg.eigvalsh(gram)[-1], rel=1e-3)
    m = np.array(L["m"])
    assert 2 * m @ m == pytest.approx(lower, rel=1e-3) and m[0] == 1
    # the decomposition (1/n) XᵀX = m mᵀ + C the bounds rest on
    np.testing.assert_allclose(np.outer(m, m) + np.array(L["C"]), gram / 2, rtol=1e-9, atol=1e-9)
    text = markdown(L)
    assert "the one very sharp direction comes from the mean that all the columns share" in text
    assert "angle is small" not in text and "point roughly the same way" not in text and "mostly a multiple" not in text
    centring, scaling, both = printed(L, r"centring alone divides the sharpness by {n}, scaling alone by {n}, both by {n}")
    assert 1 < centring < both and 1 < scaling < both


def test_the_threshold_does_not_move_when_only_kappa_changes(L):
    # "Keep the sharpness at 10 and change only κ: the threshold does not move"
    for eigenvalues in (r"\[10.0, 10.0\]", r"\[1.0, 10.0\]", r"\[0.01, 10.0\]"):
        kappa, critical = printed(L, rf"eigenvalues {eigenvalues}: κ = \s*{{n}}, critical_lr = {{n}}, "
                                     r"lr = 0.21 → diverges, lr = 0.18 → converges")
        assert critical == 0.2
    assert kappa == 1000


def test_a_hessian_as_sharp_but_with_kappa_one_blows_up_at_1e3_too(L):
    # "A Hessian just as sharp but perfectly conditioned blows up at 1e-3 the same way"
    # Review r16 B8: the printed number is the factor's size, labelled |factor|; the factor itself is 1 - 1e-3·λ < -1
    kappa, factor = printed(L, r"twice: κ = {n}, lr = 1e-3 → \|factor\| {n} → diverges")
    sharpness = eigenvalues_of(L)[-1]                                  # the raw sharpness, printed
    assert kappa == 1 and factor > 1 and factor == pytest.approx(abs(1 - 1e-3 * sharpness), abs=0.01) and 1 - 1e-3 * sharpness < -1


def test_raw_1e3_overflows_within_a_few_dozen_steps(L):
    # "1e-3 is above the threshold and the loss passes float32 overflow within a few dozen steps"
    k = L["raw_1e3.diverged_at"]
    assert k is not None and 20 <= k <= 60
    assert L["raw_1e3.losses"][k] > 3.4e38


def test_raw_1e4_is_stable_but_does_not_train_to_the_minimum(L):
    # "1e-4 is stable, but it does not train to the minimum: after 300 steps the MSE is still far above it"
    losses = np.array(L["raw_1e4.losses"])
    assert "raw_1e4.diverged_at" not in L.ns and np.all(np.isfinite(losses))
    assert np.all(np.diff(losses) <= 0)
    assert losses[-1] > 10 * L["best_mse"]
    steps, final, gap, minimum, drop = printed(
        L, r"raw at 1e-4: stable, but after {n} steps its MSE {n} is still {n} above the minimum {n}; it fell by {n} over the last 100 steps")
    assert steps == 300 and gap == pytest.approx(L["gap_1e4"], rel=1e-3)
    # Review r16 C14: the line looks flat on the log axis, yet it is still falling: its last-100-step drop is printed
    assert drop > 0 and drop == pytest.approx(losses[-101] - losses[-1], rel=5e-3) and drop < 0.01 * losses[-1]
    assert "its line looks flat on the log axis, yet its MSE still falls over the last 100 steps" in markdown(L)
    assert L["gap_1e4"] == pytest.approx(losses[-1] - L["best_mse"])


def test_the_raw_best_fixed_rate_ends_further_from_the_minimum_than_1e4(L):
    # "after 300 steps that run is further from the minimum than the one at 1e-4"
    assert L["raw_best.losses"][-1] > L["raw_1e4.losses"][-1]


def test_standardizing_at_the_threads_rates_helps_at_1e3_and_hurts_at_1e4(L):
    # Review r15 A1, D17: "At the same rates, standardizing helps at 1e-3 and hurts at 1e-4 (each compared with raw
    # features at the same rate, printed above)"
    raw_k, std_1e3 = printed(L, r"at 1e-3 \(standardized threshold 0.819\): raw overflows at step {n}, standardized ends at MSE {n}: standardizing helps")
    raw_1e4, std_1e4 = printed(L, r"at 1e-4 \(standardized threshold 0.819\): raw ends at MSE {n}, standardized ends at MSE {n}: standardizing hurts")
    assert raw_k == L["raw_1e3.diverged_at"] and np.isfinite(L["std_1e3.losses"]).all() and "std_1e3.diverged_at" not in L.ns
    assert std_1e4 > raw_1e4 and L["std_1e4.losses"][-1] > L["raw_1e4.losses"][-1]
    assert std_1e3 == pytest.approx(L["std_1e3.losses"][-1], rel=1e-3)
    text = markdown(L)
    assert "standardizing helps at 1e-3 and hurts at 1e-4" in text and "makes things worse, not better" not in text
    assert "At the thread's rates they help at 1e-3 (a finite fit instead of a blow-up) and fit worse than raw features at 1e-4" in text
    best, to_1e3, to_1e4, to_raw, raw_threshold = printed(
        L, r"the standardized best rate {n} is {n} times 1e-3, {n} times 1e-4 and {n} times the raw threshold {n}")
    # "hundreds of times the thread's 1e-3 and hundreds of times the raw features' threshold (thousands of times 1e-4)"
    assert 100 <= to_1e3 < 1000 and 100 <= to_raw < 1000 and 1000 <= to_1e4 < 10000
    assert to_raw == pytest.approx(best / raw_threshold, rel=5e-3) and to_1e4 == pytest.approx(10 * to_1e3, rel=5e-3)
    assert ("hundreds of times the thread's 1e-3 and hundreds of times the raw threshold" in markdown(L)
            and "thousands of times 1e-4" in markdown(L))
    # Review r16 A1, A2: the stable range ends at the standardized 2/λ_max, thousands of times the raw threshold; the best
    # rate, lower than that, is the one hundreds of times 1e-3 and the raw threshold. Both ratios are printed.
    threshold, ratio, raw_threshold_2 = printed(L, r"the standardized threshold {n} is {n} times the raw threshold {n}")
    X_std = np.array(L["X_std"])
    assert threshold == pytest.approx(2 / np.linalg.eigvalsh(2 / X_std.shape[0] * X_std.T @ X_std)[-1], rel=5e-3)
    assert best < threshold and 1000 <= ratio < 10000 and raw_threshold_2 == raw_threshold
    assert ratio == pytest.approx(threshold / raw_threshold, rel=5e-3)
    text = markdown(L)
    # Review r17 A2: the printed ratio (about 1500) is "more than a thousand", not "thousands"
    assert ("Its threshold $2/\\lambda_{\\max}$, below which every rate converges, is more than a thousand times the raw features' "
            "threshold. Its best fixed rate $2/(\\lambda_{\\min}+\\lambda_{\\max})$, lower than that threshold," in text)
    assert "go up to the standardized $2/(\\lambda_{\\min}+\\lambda_{\\max})$" not in text and "the largest rate the raw" not in text
    assert ("Standardized features raise the threshold $2/\\lambda_{\\max}$ more than a thousand times above the raw one, and their "
            "best fixed rate is hundreds of times 1e-3 and hundreds of times the raw threshold." in text)
    assert "allow a rate hundreds of times" not in text and "need a rate" not in text


def test_even_the_best_fixed_rate_of_the_raw_problem_barely_shrinks_the_error(L):
    # "(raw features: ...)": the raw problem's best fixed rate multiplies the worst directions' error by ≈ 0.99994
    (rate,) = printed(L, r"\(raw features: {n}\)")
    assert 0.9999 < rate < 1


def raw_factor_lines(L):
    """The two printed lines 'lr = ... (threshold ...): factors ...; after 300 steps ...' as (lr, threshold, factors, after)."""
    lines = re.findall(r"lr = (\S+) \(threshold (\S+)\): factors ([^;]+); after 300 steps (.+)", printed_output(L))
    assert len(lines) == 2, lines
    return [(float(lr), float(threshold), np.array(factors.split(", "), float), np.array(after.split(", "), float))
            for lr, threshold, factors, after in lines]


def test_only_one_raw_direction_is_flat_and_it_is_the_intercept(L):
    # "Only one direction is flat: the smallest eigenvalue is thousands of times smaller than the other four ...
    #  its eigenvector is almost exactly the intercept"
    eigenvalues = np.array(printed(L, r"raw eigenvalues: {n}, {n}, {n}, {n}, {n}"))
    assert eigenvalues[0] < 1 < 1000 * eigenvalues[0] < eigenvalues[1] and np.all(np.diff(eigenvalues) > 0)
    (intercept_entry,) = printed(L, r"flattest eigenvector \(intercept entry first\): {n},")
    assert abs(intercept_entry) > 0.999 and L["theta_star"][0] > 90
    assert "Only one direction is flat" in markdown(L) and "flat directions barely move" not in markdown(L)


def test_the_stall_at_1e4_is_the_flat_direction(L):
    # "At 1e-4 that direction's factor is 1 to four decimals, while each of the four others shrinks by at least a few
    #  percent per step and are gone after 300 steps; so the flat direction, with only a small share of the starting
    #  loss, is where 1e-4 stalls"
    (lr, _, factors, after), _ = raw_factor_lines(L)
    assert lr == 1e-4 and np.all(np.abs(factors[1:]) < 0.98)
    # Review r16 D15: "differs from 1 only in the fifth decimal", as printed to five decimals
    assert factors[0] == 0.99999 and 0 < 1 - L["flat_1e4"] < 5e-5
    assert markdown(L).count("differs from 1 only in the fifth decimal") == 2 and "1 to four decimals" not in markdown(L)
    assert np.all(after[1:] < 1e-3) and after[0] > 0.99
    share = np.array(L["loss_share"])
    assert share.sum() == pytest.approx(1) and share[0] < 0.05
    # what is left after 300 steps at 1e-4 is the flat direction's part of the start, times its factor² per step
    start_gap = L["raw_1e4.losses"][0] - L["best_mse"]
    assert share[0] * start_gap * (1 - 1e-4 * eigenvalues_of(L)[0]) ** 600 == pytest.approx(L["gap_1e4"], rel=0.01)


def eigenvalues_of(L):
    return np.array(printed(L, r"raw eigenvalues: {n}, {n}, {n}, {n}, {n}"))


def test_the_best_fixed_rate_flips_the_sharp_direction_which_holds_most_of_the_loss(L):
    # "giving the flattest and the sharpest direction factors of the same size, nearly 1, with the sign flipped for
    #  the sharpest. Most of the starting loss lies along the sharpest direction, so that run barely lowers its loss"
    _, (best, threshold, factors, after) = raw_factor_lines(L)
    assert best < threshold and (best,) == printed(L, r"raw, best lr = {n}")   # two printed values that differ
    assert factors[0] == pytest.approx(-factors[-1]) and 0.9999 < factors[0] < 1
    assert after[0] == after[-1] > 0.98
    assert L["loss_share"][-1] > 0.5
    assert L["raw_best.losses"][-1] > 0.8 * L["raw_best.losses"][0]
    assert "Most of the starting loss lies along the sharpest direction" in markdown(L)


def test_the_thread_answers_formula_is_credited_and_the_word_ill_conditioned_is_what_goes_too_far(L):
    assert "half right" not in markdown(L) and "where the data determine both" in markdown(L)
    # Review r14 A1: two rates, not one: the sharpness sets divergence; the formula's one-step rise starts at
    # 2 gᵀg / gᵀHg ≥ 2/λ_max. B4: the formula is shown in the body, before "What we learned", pointing to lesson 3.
    learned = markdown(L).split("## What we learned")[1]
    assert "sets the rate above which the run diverges" in learned and "the conditioning sets neither rate" not in learned
    # Review r15 B7: the narrower claim: at a fixed sharpness κ does not move the divergence threshold, and the one-step
    # threshold lies in [2/λ_max, 2/λ_min]
    assert ("with the sharpness fixed, $\\kappa$ does not move the divergence threshold" in learned
            and "lies between $2/\\lambda_{\\max}$ and $2/\\lambda_{\\min}$, depending on where $g$ points" in learned)
    assert "starts at $2\\, g^\\top g / g^\\top H g \\ge 2/\\lambda_{\\max}$" in learned
    body = markdown(L).split("## What we learned")[0]
    assert "g^\\top H g \\le \\lambda_{\\max}\\, g^\\top g" in body and "lesson 3 tests the formula" in body
    # Review r15 A3: the formula's paragraph follows the sharpness-10 check, whose paragraph is only about that check
    sources = [c.source for c in L.nb.cells]
    check = next(i for i, s in enumerate(sources) if s.startswith("for eigenvalues in ([10.0, 10.0]"))
    assert sources[check + 1].startswith("The thread's first answer argues from another formula")
    assert "formula" not in sources[check - 1]
    assert "does not set that threshold, the sharpness does" not in markdown(L)


def test_standardized_fit_reaches_the_minimum_within_a_few_steps(L):
    # "the fit reaches the minimum within a few steps"
    (step,) = printed(L, r"standardized, best lr = 0.499\s*: start MSE {n}, final MSE {n} \({n} × the minimum\), within 1% of the minimum from step {n}")[3:]
    assert step <= 5
    assert L["std_best.losses"][-1] == pytest.approx(L["best_mse"], rel=1e-6)


def alt_texts(L):
    """The alt text of every figure the lesson shows, computed from the figure's titles."""
    return [out["metadata"]["image/png"]["alt"] for cell in L.nb.cells for out in cell.get("outputs", [])
            if "image/png" in out.get("metadata", {})]


def test_the_best_fixed_rate_is_called_so_everywhere_and_its_factor_column_is_not_a_rate(L):
    # Review r14 B3 and B7: the table's per-step factor is not headed "rate"; "best stable rate" is gone
    header = next(line for line in printed_output(L).splitlines() if "2/λ_max" in line and "best lr" in line)
    assert "factor per step" in header and " rate " not in f"{header} "
    assert "best stable rate" not in markdown(L) and "at the best fixed rate" in markdown(L)


def test_the_diverging_bowl_panel_shows_fewer_steps_on_a_wider_view(L):
    # Review r14 C9: "the right-hand panel below shows fewer steps on a wider view"
    (bowl,) = [alt for alt in alt_texts(L) if "lr = 0.21" in alt]
    steps = [int(s) for s in re.findall(r"(\d+) steps", bowl)]
    assert len(steps) == 3 and steps[2] < steps[0] == steps[1]
    assert "lr = 0.21: diverges" in bowl


def test_the_slider_app_holds_the_sharpness_and_kappa_moves_only_the_flat_eigenvalue(L):
    # Review r14 B5: "The sharpness is held at λ_max = 10 ... κ moves only the flat eigenvalue, λ_min = 10/κ"
    (app,) = [alt for alt in alt_texts(L) if "(fixed)" in alt]
    assert "λ_max = 10 (fixed)" in app and "2/λ_max = 0.2" in app
    assert any("conditioning_app(kappa=10.0, lr=0.15, sharpness=10.0)" in c.source for c in L.nb.cells)
    assert "The sharpness is held at $\\lambda_{\\max} = 10$" in markdown(L)
    assert "come down to meet it" not in markdown(L) and "stays where it is" in markdown(L)


def test_the_raw_best_rate_run_almost_coincides_with_standardized_1e4_and_markers_tell_them_apart(L):
    # Review r15 C11: "its line almost coincides with the standardized run at 1e-4 (the dashed line with squares; both
    # final MSEs printed above)"; the difference figure is gone; the standardized best run's arrival is starred
    raw_best, std_1e4 = printed(L, r"final MSE: raw at its best rate {n} \(\d+% below its start\), standardized at 1e-4 {n}: the raw run ends above")
    assert raw_best > std_1e4 and raw_best == pytest.approx(L["raw_best.losses"][-1], rel=1e-3)
    gap = np.abs(np.array(L["raw_best.losses"]) - np.array(L["std_1e4.losses"]))
    assert np.all(gap < 0.07 * np.array(L["std_1e4.losses"]))       # within 7% at every step: on the log axis, one line
    (cell,) = [c.source for c in L.nb.cells if "draw_runs_by_outcome(ax_ok, ax_bad" in c.source]
    assert 'set(marker="o", markevery=25' in cell and 'set(marker="s", markevery=(12, 25)' in cell
    assert not [c for c in L.nb.cells if c.source.startswith("diff = ")] and len(alt_texts(L)) == 3
    assert L["reached"] == 3 and L["std_best.losses"][3] <= 1.01 * L["best_mse"] < L["std_best.losses"][2]
    text = markdown(L)
    assert "the dashed line with squares" in text and "(the star in the figure)" in text and "the figure after it" not in text


def test_the_minimum_is_introduced_before_the_runs_are_trained(L):
    # Review r14 D12: "Before training, look at the raw problem" precedes the cell that trains the six runs
    sources = [c.source for c in L.nb.cells]
    before = next(i for i, s in enumerate(sources) if s.startswith("Before training"))
    trained = next(i for i, s in enumerate(sources) if "raw_1e3, raw_1e4, raw_best = fit(" in s)
    assert before < trained and "Before the runs" not in markdown(L)


def test_wording_and_references(L):
    # Review r14 D13, D14
    assert "and is gone after 300 steps" in markdown(L) and "and are gone" not in markdown(L)
    # Review r16 B4, B5, B11: only two table columns are rates; 10/11 is κ/(κ+1) at κ = 10; the regression is built
    text = markdown(L)
    assert "the columns $2/\\lambda_{\\max}$ and *best lr* are learning rates" in text and "the other columns are learning rates" not in text
    assert "$10/11$ of the threshold at $\\kappa = 10$" in text and "well below the threshold" not in text
    kappas, best, critical = map(np.array, (L["kappas"], L["best_lrs"], L["critical_lrs"]))
    assert kappas[1] == 10 and best[1] / critical[1] == pytest.approx(10 / 11)
    assert "This regression is built to reproduce the thread's blow-up at 1e-3 (we chose the feature range for it)" in text
    assert "This regression reproduces" not in text
    assert "§4.3 (normalizing the inputs)" in markdown(L)


def test_no_exercise_cell_shows_a_bare_false(L):
    # Review r14 D11: an unanswered function exercise printed its message and a stray Out[] False
    results = [out for cell in L.nb.cells for out in cell.get("outputs", []) if out.get("output_type") == "execute_result"]
    assert not [r for r in results if r.get("data", {}).get("text/plain") in ("False", "True")]
    assert printed_output(L).count("Not answered yet") == 3


def test_the_kappa_table_says_why_its_threshold_moves(L):
    # Review r15 B4, D16: the table's eigenvalues are 1 and κ, so its sharpness grows with κ; the best rate is
    # 2/λ_max · κ/(κ+1): well below the threshold at κ = 10, a hair below for a large κ
    text = markdown(L)
    assert "In this table the eigenvalues are $1$ and $\\kappa$, so the sharpness grows with $\\kappa$" in text
    kappas, best, critical = map(np.array, (L["kappas"], L["best_lrs"], L["critical_lrs"]))
    np.testing.assert_allclose(critical, 2 / kappas)                  # λ_max = κ in this table
    np.testing.assert_allclose(best, critical * kappas / (kappas + 1))
    assert best[1] / critical[1] < 0.95 and best[-1] / critical[-1] > 0.9999


def test_1e4_is_still_converging_beyond_the_300_step_budget(L):
    # Review r15 B6: "does not train to the minimum within our budget of 300 steps ... It is still converging, only
    # slowly (the steps its flat factor needs are printed above)"
    factor, steps = printed(L, r"raw at 1e-4 is still converging: at its flat factor {n} per step that direction needs {n} steps")
    assert 0.9999 < factor < 1 and steps > 1e5 and steps == pytest.approx(np.log(0.01) / np.log(L["flat_1e4"]), rel=0.05)
    assert "within our budget of 300 steps" in markdown(L) and "stall at 1e-4 within 300 steps" in markdown(L)
    assert "it stalls far above the minimum" not in markdown(L)


def test_float32_largest_value_points_to_lesson_1_and_spread_is_defined(L):
    # Review r15 B8, D14
    text = markdown(L)
    assert "where a float32 network overflows: lesson 1" in text and "use that value only as a marker" in text
    assert "their spread (their **standard deviation**)" in text
    assert "float32 overflow at step" not in printed_output(L) and "passed float32's largest value at step 41" in printed_output(L)


def test_the_slider_text_names_its_panel_and_the_answer_is_paraphrased_faithfully(L):
    # Review r15 B9, B10
    text = markdown(L)
    assert "the line at the top left of the right-hand panel" in text and "Both panels show the same 40 steps" in text
    assert "conditioning_app(kappa=10.0, lr=0.15, sharpness=10.0)" in "".join(c.source for c in L.nb.cells)
    assert "blames" not in text and "as one possible cause" in text
    # Review r16 B10: the book is cited for the ill-conditioned Hessian, not for the asker's possible mistake
    assert ("offers an ill-conditioned Hessian (Goodfellow, Bengio and Courville, *Deep Learning*, §4.3.1 and §8.2.1) as one "
            "possible cause, besides a mistake on the asker's side, and" in text)


def test_the_bowl_figure_marks_the_start_and_the_minimum(L):
    # Review r15 C12: square start (as in the slider) and the minimum w* = 0 marked
    (cell,) = [c.source for c in L.nb.cells if "draw_eigen_directions(ax, bowl" in c.source]
    assert 'ax.plot(*w0, "s"' in cell and 'ax.plot(0, 0, "P"' in cell and "label.set(zorder=5" in cell
    assert "the path from its start (square) and the minimum $w^* = 0$ (cross)" in markdown(L)


def test_the_overview_calls_2_over_the_sharpness_a_threshold_not_a_stable_rate(L):
    # Review r15 D15: at lr = 2/λ_max the steep factor is exactly -1, so no "largest stable learning rate" exists
    overview = markdown(L).split("## One factor per eigen-direction")[0]
    assert "sets the threshold above which it diverges" in overview and "largest stable learning rate" not in overview


def test_worst_factor_is_defined_where_the_first_figure_shows_it(L):
    # Review r16 B9: "Each title gives the worst |factor|, max_i |1 - ηλ_i| ... converges if and only if it is below 1"
    bowl_paragraph = next(c.source for c in L.nb.cells if c.source.startswith("At 0.18 the steep direction's factor"))
    assert "**worst |factor|**, $\\max_i |1 - \\eta\\lambda_i|$" in bowl_paragraph
    (bowl,) = [alt for alt in alt_texts(L) if "lr = 0.21" in alt]
    worst = [float(w) for w in re.findall(r"worst \|factor\| = ([\d.]+)", bowl)]
    assert worst[:2] == [0.95, 0.82] and worst[2] > 1        # max of the printed |factors| at 0.05, 0.18 and 0.21


def test_centring_and_scaling_leave_the_least_squares_minimum_unchanged(L):
    # Review r16 B6: "with the intercept column, a fit on standardized features is a fit on the raw ones with other
    # coefficients, and back (both minima printed below)"
    raw_min, std_min = printed(L, r"smallest possible MSE \(the least-squares fit, solved directly\): {n} on raw features, {n} on standardized ones")
    assert raw_min == std_min and L["best_mse_std"] == pytest.approx(L["best_mse"], rel=1e-9)
    X_raw, X_std = np.array(L["X_raw"]), np.array(L["X_std"])
    # the two design matrices span the same column space: each is the other times an invertible 5×5 matrix
    assert np.linalg.matrix_rank(np.hstack([X_raw, X_std])) == 5 == np.linalg.matrix_rank(X_std)
    y = np.array(L["y"])
    fits = [X @ np.linalg.lstsq(X, y, rcond=None)[0] for X in (X_raw, X_std)]
    np.testing.assert_allclose(fits[0], fits[1], rtol=1e-9, atol=1e-9)
    assert "Centring and scaling do not change that minimum" in markdown(L)


def test_what_is_left_at_1e4_is_the_flattest_direction(L):
    # Review r16 B7: "Nearly all of what is left lies along the flattest direction ... (its part of the gap is printed above)"
    share, start_gap, factor, part = printed(
        L, r"the flattest direction's part of that gap: its share {n} × the starting gap {n} × {n}\^\(2·300\) = {n}")
    assert share == round(L["loss_share"][0], 3) and part == pytest.approx(L["flat_left"], rel=1e-3)
    assert 0.99 * L["gap_1e4"] < L["flat_left"] <= L["gap_1e4"] * 1.001
    assert start_gap == pytest.approx(L["start_gap"], rel=1e-3) and factor == 0.99999
    assert "Nearly all of what is left lies along the flattest direction, essentially the intercept" in markdown(L)


def test_the_raw_best_rate_run_ends_about_ten_percent_below_its_start(L):
    # Review r16 D16: "ends only about 10% below its start"
    (drop,) = printed(L, r"final MSE: raw at its best rate {n} \({n}% below its start\)")[1:]
    losses = L["raw_best.losses"]
    assert drop == 10 and 1 - losses[-1] / losses[0] == pytest.approx(0.10, abs=0.005)
    assert "ends only about 10% below its start" in markdown(L) and "barely below its start" not in markdown(L)


def test_the_diverged_panel_legend_sits_below_the_axes(L):
    # Review r16 C12: the legend no longer covers the diverging line's start (lower left of the right-hand panel)
    (cell,) = [c.source for c in L.nb.cells if "draw_runs_by_outcome(ax_ok, ax_bad" in c.source]
    assert 'ax_bad.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16)' in cell


def test_the_stall_at_1e4_is_the_flat_curvature_and_conditioning_explains_why_no_rate_cures_it(L):
    # Review r17 A1: the well-conditioned standardized run stalls worse at 1e-4 than the raw one, so κ does not cause the
    # stall; the flattest direction's factor (within 1e-4 of 1) does. κ explains why the best fixed rate barely helps.
    md = " ".join(markdown(L).split())
    assert "the ill-conditioning explains the stall" not in md and "(conditioning)" not in md
    assert ("The stall at 1e-4 within 300 steps comes from the flattest direction's tiny curvature (its factor "
            "per step is barely below 1, printed above): the standardized features, well conditioned, stall worse at 1e-4.") in md
    assert L["std_1e4.losses"][-1] > L["raw_1e4.losses"][-1]
    # r18 A2: at the best fixed rate both extreme directions shrink by the same factor in size, (κ−1)/(κ+1)
    assert ("at the best fixed rate the flattest and the sharpest direction both shrink by the same factor per step in "
            "size, barely below 1 (the raw-features factor printed above), so that run ends only about 10% below its start") in md
    (raw_best_factor,) = printed(L, r"\(raw features: {n}\)")
    X = np.array(L["X_raw"])
    H = np.linalg.eigvalsh(2 / X.shape[0] * X.T @ X)
    best = 2 / (H[0] + H[-1])
    assert abs(1 - best * H[0]) == pytest.approx(abs(1 - best * H[-1])) == pytest.approx(raw_best_factor, abs=1e-6)
    assert 0.85 < L["raw_best.losses"][-1] / L["raw_best.losses"][0] < 0.95


def test_the_kappa_drag_starts_at_two_where_the_flat_factor_is_no_longer_negative(L):
    # Review r18 A1: at a rate just below 2/λ_max = 0.2 the flat factor 1 − η·10/κ is negative below κ ≈ 2
    md = " ".join(markdown(L).split())
    assert "drag $\\kappa$ from 2 to 100" in md and "its line first gets steeper as $\\kappa$ grows" in md
    lr = 0.199
    assert 1 - lr * 10 / 1.5 < 0 < 1 - lr * 10 / 2.1


def test_r19_the_1e4_stall_is_named_the_flat_curvature_everywhere(L):
    # Review r19 B1: the bold label no longer pins the 1e-4 stall on the conditioning
    md = " ".join(markdown(L).split())
    assert "that is the **conditioning**" not in md and "that is the flattest direction's **tiny curvature**" in md
