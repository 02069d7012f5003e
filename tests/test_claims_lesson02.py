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


def test_at_018_the_steep_factor_is_negative_and_the_flat_one_creeps(L):
    # "At 0.18 the steep direction's factor is negative (−0.8) ... the flat direction creeps along at 0.82"
    flat, steep = printed(L, r"lr = 0.18: factors 1 - lr·λ = \[\s*{n}\s+{n}\s*\] → converges")
    assert (flat, steep) == (0.82, -0.8)


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
    # "the columns of X point roughly the same way": every feature column is within 35° of the intercept column
    mean, spread, ratio_lo, ratio_hi, lo, hi = printed(
        L, r"features: mean {n}, spread \(std\) {n}, mean / spread {n}-{n}; angle to the intercept column {n}°-{n}°")
    assert mean > spread and 1 < ratio_lo <= ratio_hi and 0 < lo <= hi < 35
    # the angle follows from mean / spread alone: cos = ratio / sqrt(1 + ratio²)
    assert np.degrees(np.arccos(ratio_lo / np.hypot(1, ratio_lo))) == pytest.approx(hi, abs=1)
    # Review r14 D15: no printed number backed "mostly a multiple of the intercept column"
    assert "mostly a multiple" not in markdown(L) and "the mean is larger than the spread and the angle is small" in markdown(L)
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
    kappa, factor = printed(L, r"twice: κ = {n}, lr = 1e-3 → factor {n} → diverges")
    assert kappa == 1 and factor > 1


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
    steps, final, gap, minimum = printed(L, r"raw at 1e-4: stable, but after {n} steps its MSE {n} is still {n} above the minimum {n}")
    assert steps == 300 and gap == pytest.approx(L["gap_1e4"], rel=1e-3)
    assert L["gap_1e4"] == pytest.approx(losses[-1] - L["best_mse"])


def test_the_raw_best_fixed_rate_ends_further_from_the_minimum_than_1e4(L):
    # "after 300 steps that run is further from the minimum than the one at 1e-4"
    assert L["raw_best.losses"][-1] > L["raw_1e4.losses"][-1]


def test_standardized_features_at_the_threads_rates_fit_worse_than_raw_at_1e4(L):
    # "Standardizing at the same rates makes things worse ... at 1e-4 they fit worse than raw features do"
    assert min(L["std_1e3.losses"][-1], L["std_1e4.losses"][-1]) > L["raw_1e4.losses"][-1]
    assert "worse than raw at 1e-4" in L.text()
    best, to_1e3, to_1e4, to_raw, raw_threshold = printed(
        L, r"the standardized best rate {n} is {n} times 1e-3, {n} times 1e-4 and {n} times the raw threshold {n}")
    # "hundreds of times the thread's 1e-3 and hundreds of times the raw features' threshold (thousands of times 1e-4)"
    assert 100 <= to_1e3 < 1000 and 100 <= to_raw < 1000 and 1000 <= to_1e4 < 10000
    assert to_raw == pytest.approx(best / raw_threshold, rel=5e-3) and to_1e4 == pytest.approx(10 * to_1e3, rel=5e-3)
    assert ("hundreds of times the thread's 1e-3 and hundreds of times the raw features' threshold" in markdown(L)
            and "thousands of times 1e-4" in markdown(L))
    assert "hundreds of times larger than 1e-3, or than the largest rate raw features allow" in markdown(L)


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
    assert lr == 1e-4 and round(factors[0], 4) == 1.0 and np.all(np.abs(factors[1:]) < 0.98)
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
    assert "sets the rate above which the run diverges" in learned and "the conditioning sets neither rate" in learned
    assert "starts at $2\\, g^\\top g / g^\\top H g \\ge 2/\\lambda_{\\max}$" in learned
    body = markdown(L).split("## What we learned")[0]
    assert "g^\\top H g \\le \\lambda_{\\max}\\, g^\\top g" in body and "Lesson 3 tests the formula" in body
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


def test_the_raw_best_rate_run_coincides_with_standardized_1e4_and_ends_above_it(L):
    # Review r14 A2 and C8: "drawn over the standardized run at 1e-4, which it almost coincides with ... the raw run
    # is the lower one at first and ends the higher one (both final MSEs printed above)"
    raw_best, std_1e4 = printed(L, r"final MSE: raw at its best rate {n}, standardized at 1e-4 {n}: the raw run ends above")
    assert raw_best > std_1e4 and raw_best == pytest.approx(L["raw_best.losses"][-1], rel=1e-3)
    diff = np.array(L["diff"])
    assert abs(diff[-1]) < 0.02 * std_1e4 and diff[0] == 0 and diff[1] < 0 < diff[-1]
    (difference,) = [alt for alt in alt_texts(L) if "minus standardized at lr = 1e-4" in alt]
    below_to, above_from = (int(k) for k in re.search(r"below 0 from step 1 to (\d+), above from step (\d+)", difference).groups())
    assert np.all(diff[1:below_to + 1] < 0) and np.all(diff[above_from:] > 0) and above_from == below_to + 1
    assert "lies under" not in markdown(L) and "which it almost coincides with" in markdown(L)


def test_the_minimum_is_introduced_before_the_runs_are_trained(L):
    # Review r14 D12: "Before training, look at the raw problem" precedes the cell that trains the six runs
    sources = [c.source for c in L.nb.cells]
    before = next(i for i, s in enumerate(sources) if s.startswith("Before training"))
    trained = next(i for i, s in enumerate(sources) if "raw_1e3, raw_1e4, raw_best = fit(" in s)
    assert before < trained and "Before the runs" not in markdown(L)


def test_wording_and_references(L):
    # Review r14 D13, D14
    assert "and is gone after 300 steps" in markdown(L) and "and are gone" not in markdown(L)
    assert "§4.3 (normalizing the inputs)" in markdown(L)


def test_no_exercise_cell_shows_a_bare_false(L):
    # Review r14 D11: an unanswered function exercise printed its message and a stray Out[] False
    results = [out for cell in L.nb.cells for out in cell.get("outputs", []) if out.get("output_type") == "execute_result"]
    assert not [r for r in results if r.get("data", {}).get("text/plain") in ("False", "True")]
    assert printed_output(L).count("Not answered yet") == 3
