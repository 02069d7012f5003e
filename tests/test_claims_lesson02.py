"""Lesson 2's claims, checked against the executed lesson (what it printed and its variables)."""

import numpy as np
import pytest

from claim_support import markdown, printed
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
    rates, steps = np.array(L["rates"]), np.array(L["steps_needed"])
    np.testing.assert_allclose(rates, (kappas - 1) / (kappas + 1))
    assert np.all(np.diff(best / critical) > 0) and best[-1] / critical[-1] > 0.999
    assert np.all(np.diff(steps) > 0) and steps[-1] > 10_000


def test_raw_features_put_the_threshold_between_the_threads_two_rates(L):
    # "The threshold lands between the thread's two rates: 1e-3 is above it and 1e-4 below"
    sharpness, kappa, critical = printed(L, r"raw features: sharpness {n}, κ = {n}, critical_lr = {n}")
    assert 1e-4 < critical < 1e-3 and critical == pytest.approx(2 / sharpness, rel=2e-3)
    std_sharpness, std_kappa, _ = printed(L, r"standardized: sharpness {n}, κ = {n}, critical_lr = {n}")
    assert std_kappa < 2 < 1e4 < kappa and std_sharpness < sharpness / 100


def test_raw_1e3_overflows_within_a_few_dozen_steps(L):
    # "1e-3 is above the threshold and the loss passes float32 overflow within a few dozen steps"
    k = L["raw_1e3.diverged_at"]
    assert k is not None and 20 <= k <= 60
    assert L["raw_1e3.losses"][k] > 3.4e38


def test_raw_1e4_is_stable_but_stalls_far_above_the_minimum(L):
    # "1e-4 is stable but stalls far above the minimum"
    losses = np.array(L["raw_1e4.losses"])
    assert "raw_1e4.diverged_at" not in L.ns and np.all(np.isfinite(losses))
    assert np.all(np.diff(losses) <= 0)
    assert losses[-1] > 10 * L["best_mse"]


def test_even_the_best_fixed_rate_of_the_raw_problem_barely_shrinks_the_error(L):
    # "even the best fixed rate of the raw problem shrinks the error by only 0.99994 per step"
    (rate,) = printed(L, r"\(raw features: {n}\)")
    assert round(rate, 5) == 0.99994 and "0.99994" in markdown(L)


def test_standardized_fit_reaches_the_minimum_within_a_few_steps(L):
    # "the fit reaches the minimum within a few steps"
    (step,) = printed(L, r"standardized, lr = 0.5\s*: start MSE {n}, final MSE {n}, within 1% of the minimum from step {n}")[2:]
    assert step <= 5
    assert L["std_best.losses"][-1] == pytest.approx(L["best_mse"], rel=1e-6)
