"""Lesson 5's claims about the fixes, measured on lesson 4's net."""

import math

import keras
import numpy as np
import pytest

from helpers import fixes
from helpers.curvature import sharpness
from helpers.experiment import make_experiment
from helpers.net.tracking import SharpnessTracker
from helpers.net.training import train

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def experiment():
    return make_experiment(seed=0)


def test_standardizing_the_features_lowers_the_sharpness_below_the_1e_3_threshold(experiment):
    model, x, y = experiment
    raw = sharpness(model, x, y, tol=1e-3)
    standardized = sharpness(model, fixes.standardize_features(x), y, tol=1e-3)
    assert standardized < raw / 5
    assert 2 / raw < 1e-3 < 2 / standardized


@pytest.mark.parametrize("batch_size", [8, 32])
def test_summed_loss_sharpness_is_batch_size_times_the_mean_loss_sharpness(experiment, batch_size):
    model, x, y = experiment
    xb, yb = x[:batch_size], y[:batch_size]
    summed = sharpness(model, xb, yb, loss=keras.losses.MeanSquaredError(reduction="sum"), tol=1e-6, max_hvps=300)
    mean = sharpness(model, xb, yb, tol=1e-8, max_hvps=400)
    assert summed == pytest.approx(batch_size * mean, rel=1e-3)


def test_an_unknown_initializer_is_refused_by_name():
    with pytest.raises(ValueError, match="init must be an Init or one of"):
        fixes.make_model_with_init("zeros")
    assert fixes.Init("normal_1") is fixes.Init.NORMAL_1


def test_the_baseline_diverges_and_the_recommended_fixes_train():
    assert not fixes.baseline().trains
    for fix in (fixes.lower_rate, fixes.standardize, fixes.adam):
        result = fix()
        assert result.trains, result.name
        assert math.isfinite(result.final_loss) and result.final_loss < 0.1 * result.record.initial_loss


def test_summed_loss_blows_up_at_a_rate_where_the_mean_trains():
    result = fixes.mean_not_sum(lr=1e-4)
    assert result.trains
    assert result.summed_record.diverged
    ratio = result.batch_sharpness_sum / result.batch_sharpness_mean
    assert ratio == pytest.approx(result.batch_size, rel=1e-3)


def test_adam_fails_at_a_large_enough_rate():
    results = fixes.adam_sweep((1e-3, 1.0))
    assert results[0].trains and not results[1].trains


def test_a_larger_initialization_raises_the_sharpness():
    table = fixes.init_comparison(("glorot_uniform", "he_normal", "normal_1"))
    values = [table[k]["sharpness"] for k in ("glorot_uniform", "he_normal", "normal_1")]
    assert values[0] < values[1] < values[2]


def test_clipping_keeps_1e_3_finite_though_the_rate_stays_above_2_over_sharpness():
    result = fixes.clipping(clipnorm=100.0)
    assert not result.record.diverged
    assert result.clipped_fraction > 0.5
    assert result.max_step_over_bound <= 1 + 1e-4
    assert result.lr > 2 / result.sharpness_after


def test_summary_table_has_one_row_per_fix():
    rows = [fixes.FixResult(f"fix {i}", 1e-3, False, float("nan"), 10.0, float("nan"), 0.1, record=None)
            for i in range(3)]
    text = fixes.summary_table(rows)
    assert len(text.splitlines()) == 5 and "NO" in text
    assert rows[0].as_dict()["final_loss"] is None


def test_adam_preconditioner_from_the_loops_gradients_reproduces_a_real_adam_step():
    """After one step Adam moved each weight by lr * g / P: P computed from the gradient alone."""
    model, x, y = make_experiment(seed=0)
    x, y = x[:32], y[:32]                      # one minibatch: one step per epoch
    before = np.concatenate([w.ravel() for w in model.get_weights()]).astype(np.float64)
    optimizer = keras.optimizers.Adam(1e-3)
    record = train(model, x, y, optimizer, epochs=1, batch_size=32)
    after = np.concatenate([w.ravel() for w in model.get_weights()]).astype(np.float64)
    p = record.adam_preconditioner
    g = p - 1e-7 / np.sqrt(1 - 0.999)  # after one step v_hat = g**2: P = |g| + epsilon / sqrt(1 - beta_2)
    moved = np.abs(after - before)
    big = g > 1e-3 * g.max()
    np.testing.assert_allclose(moved[big], 1e-3 * g[big] / p[big], rtol=1e-3)


def test_global_clipnorm_bounds_every_step_by_lr_times_c():
    result = fixes.clipping(1e-3, clipnorm=10.0)
    applied = len(result.record.losses) - result.record.diverged
    steps = result.record.step_norm[:applied]
    assert np.all(steps <= 1e-3 * 10.0 * (1 + 1e-4))
    clipped = result.record.grad_norm[:applied] > 10.0
    # a clipped step has length lr * c; an unclipped one lr * |g|
    np.testing.assert_allclose(steps[clipped], 1e-2, rtol=1e-4)
    assert result.clipped_fraction == pytest.approx(clipped.mean())


def test_sharpness_tracker_measures_every_few_steps_from_the_start(experiment):
    model, x, y = make_experiment(seed=0)
    tracker = SharpnessTracker(x, y, every=16)
    train(model, x, y, keras.optimizers.SGD(1e-4), epochs=1, callbacks=[tracker])
    assert tracker.steps.tolist() == [0, 16, 32]
    assert tracker.values[0] == pytest.approx(sharpness(make_experiment(seed=0)[0], x, y, tol=1e-3), rel=1e-2)
    assert tracker.values[-1] == pytest.approx(sharpness(model, x, y, tol=1e-3), rel=1e-2)


def test_sharpness_tracker_checks_each_estimate_from_a_second_start_vector(experiment):
    model, x, y = make_experiment(seed=0)
    tracker = SharpnessTracker(x, y, every=16, check_seed=1)
    train(model, x, y, keras.optimizers.SGD(1e-4), epochs=1, callbacks=[tracker])
    assert tracker.checks.shape == tracker.values.shape == tracker.residuals.shape == tracker.check_residuals.shape
    assert (tracker.residuals <= 1e-3).all() and (tracker.check_residuals <= 1e-3).all()    # both converged (tol)
    np.testing.assert_allclose(tracker.checks, tracker.values, rtol=1e-2)                  # and agree here
    unchecked = SharpnessTracker(x, y, every=16)
    assert unchecked.checks.size == 0
    with pytest.raises(TypeError, match="check_seed"):
        SharpnessTracker(x, y, check_seed=1.5)


def test_a_fix_checks_its_tracked_sharpness_only_when_it_tracks_it():
    with pytest.raises(ValueError, match="check_seed"):
        fixes.rate_from_sharpness(0.25, check_seed=1)


def test_he_normal_weights_have_variance_2_over_fan_in_and_are_cut_at_2_standard_deviations():
    # Review r20 A3: Keras draws he_normal from a truncated normal; the lesson's description says variance 2/fan_in
    # and a cut at 2 standard deviations, rescaled to that variance. Checked on the lesson's own net (seed 0).
    model = fixes.make_model_with_init("he_normal", seed=0)
    kernels = [w for w in model.get_weights() if w.ndim == 2]
    big = max(kernels, key=np.size)                                   # the 64 x 64 kernel: 4,096 draws
    fan_in = big.shape[0]
    assert np.var(big) * fan_in == pytest.approx(2.0, rel=0.1)        # variance 2/fan_in after the cut
    sigma = math.sqrt(2 / fan_in) / 0.87962566103423978               # the normal before the cut, rescaled
    assert np.max(np.abs(big)) <= 2 * sigma * (1 + 1e-6)              # nothing beyond 2 of its standard deviations
    assert np.max(np.abs(big)) > 1.8 * sigma                           # and the cut is reached, not a narrower law
    assert "variance 2/fan_in (a normal cut at 2 standard deviations" in fixes.Init("he_normal").description
