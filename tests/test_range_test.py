"""The learning-rate range test: an exponential sweep on the course's training loop that stops once the loss has exploded."""

import keras
import numpy as np
import pytest

from helpers.curvature import critical_lr
from helpers.experiment import make_experiment
from helpers.net.range_test import RangeTest, RangeTestResult, lr_range_test, smoothed, suggestion_steps, suggestions, turn_up_step
from helpers.net.training import train

pytestmark = pytest.mark.slow


def test_range_test_explodes_just_above_2_over_sharpness_and_restores_the_weights():
    model, x, y = make_experiment(seed=0)
    before = [w.copy() for w in model.get_weights()]
    result = lr_range_test(model, x, y, start_lr=1e-7, end_lr=1e-1, num_steps=100)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    crit = critical_lr(model, x, y, tol=1e-3)
    assert len(result.lrs) < 100, "the 4x-best-loss rule should stop the sweep early"
    assert result.smoothed[-1] > 4 * np.nanmin(result.smoothed) or not np.isfinite(result.smoothed[-1])
    assert crit < result.stopped_lr < 4 * crit
    assert result.lr_at_minimum < result.stopped_lr and result.suggestion == pytest.approx(result.lr_at_minimum / 10)


def test_sweep_is_exponential():
    test = RangeTest(keras.optimizers.SGD(), start_lr=1e-6, end_lr=1e-2, num_steps=5)
    assert np.allclose([test.rate(k) for k in range(5)], [1e-6, 1e-5, 1e-4, 1e-3, 1e-2])


def test_the_sweep_runs_on_the_training_loop_with_its_minibatches_and_per_batch_losses():
    model, x, y = make_experiment(seed=0)
    result = lr_range_test(model, x, y, start_lr=1e-7, end_lr=1e-1, num_steps=100, seed=3)
    steps = len(result.lrs)
    # the same seed's minibatches in the loop, at the rates the sweep set: the same losses, step by step
    optimizer = keras.optimizers.SGD(1e-7)
    sweep_only = RangeTest(optimizer, start_lr=1e-7, end_lr=1e-1, num_steps=100, stop_factor=1e300)   # no stop rule
    run = train(make_experiment(seed=0)[0], x, y, optimizer, epochs=4, seed=3, callbacks=[sweep_only])
    assert len(run.losses) > steps and np.allclose(result.lrs, [1e-7 * 1e6 ** (k / 99) for k in range(steps)], rtol=1e-6)
    np.testing.assert_allclose(result.losses, run.losses[:steps], rtol=1e-6)
    other = lr_range_test(model, x, y, start_lr=1e-7, end_lr=1e-1, num_steps=100, seed=4)
    assert other.losses[0] != result.losses[0]                     # another seed, other minibatches


def test_the_stop_rule_stops_the_loop_when_the_smoothed_loss_passes_four_times_its_best():
    model, x, y = make_experiment(seed=0)
    result = lr_range_test(model, x, y, start_lr=1e-7, end_lr=1e-1, num_steps=100)
    best = np.minimum.accumulate(result.smoothed)
    passed = np.flatnonzero(~(result.smoothed <= 4 * best))        # nan/inf count as past it
    assert passed.tolist() == [len(result.lrs) - 1]               # the first batch past the rule is the last one run


def test_smoothing_is_debiased():
    assert smoothed([4.0])[0] == pytest.approx(4.0)
    assert smoothed([2.0, 2.0, 2.0], beta=0.9) == pytest.approx([2.0, 2.0, 2.0])
    with pytest.raises(ValueError, match="beta"):
        smoothed([1.0], beta=1.0)


def test_range_test_validates_its_rates():
    with pytest.raises(ValueError, match="end_lr"):
        RangeTest(keras.optimizers.SGD(), start_lr=1e-2, end_lr=1e-3)
    with pytest.raises(TypeError, match="optimizer"):
        RangeTest("sgd")


def test_turn_up_step_is_the_lowest_finite_raw_loss():
    assert turn_up_step([5.0, 3.0, float("nan"), 4.0, 2.5, 9.0, float("inf")]) == 4
    with pytest.raises(ValueError, match="finite"):
        turn_up_step([float("nan")])


def test_fastai_suggestions_follow_their_rules_on_a_known_curve():
    lrs = np.geomspace(1e-6, 1e-1, 60)
    loss = np.r_[np.full(10, 10.0), np.linspace(10, 1, 30)[1:], np.geomspace(1, 1e3, 21)]
    fake = RangeTestResult(lrs, loss, loss, 0.0, 0.0, 0.0)
    found = suggestions(fake, num_steps=60)
    kept = lrs[6:-5]
    assert found["minimum"] == pytest.approx(lrs[38] / 10)        # the lowest loss, / 10
    assert kept[0] < found["valley"] < lrs[38]                     # inside the falling stretch
    assert lrs[9] <= found["steep"] <= lrs[38]
    # the valley rule picks the point about half-way along the longest falling run
    assert abs(np.log(found["valley"]) - np.log(lrs[(9 + 38) // 2])) < 0.35 * np.log(lrs[38] / lrs[9])


def test_suggestion_steps_say_where_each_suggestion_is_read_and_where_the_kept_steps_end():
    lrs = np.geomspace(1e-6, 1e-1, 60)
    loss = np.r_[np.full(10, 10.0), np.linspace(10, 1, 30)[1:], np.geomspace(1, 1e3, 21)]
    fake = RangeTestResult(lrs, loss, loss, 0.0, 0.0, 0.0)
    steps, found = suggestion_steps(fake, num_steps=60), suggestions(fake, num_steps=60)
    assert steps["last_kept"] == 54 and steps["minimum"] == 38 < steps["last_kept"]     # a real minimum inside
    assert found == {"valley": lrs[steps["valley"]], "minimum": lrs[38] / 10, "steep": lrs[steps["steep"]]}
    # stopped while still falling: the lowest kept loss is the cut-off, 5 steps before the end
    cut = RangeTestResult(lrs[:30], loss[:30], loss[:30], 0.0, 0.0, 0.0)
    cut_steps = suggestion_steps(cut, num_steps=60)
    assert cut_steps["minimum"] == cut_steps["last_kept"] == 24
    with pytest.raises(ValueError, match="num_steps"):
        suggestion_steps(fake, num_steps=1)


def test_range_test_can_measure_the_sharpness_as_it_sweeps():
    model, x, y = make_experiment(seed=0)
    result = lr_range_test(model, x, y, start_lr=1e-7, end_lr=1e-1, num_steps=100, sharpness_every=8)
    assert result.sharpness_steps.tolist() == list(range(0, len(result.lrs), 8))
    assert result.sharpness[0] == pytest.approx(2 / critical_lr(model, x, y, tol=1e-3), rel=1e-2)
    assert result.sharpness_at(9) == result.sharpness[1]
    with pytest.raises(ValueError, match="together"):
        RangeTest(keras.optimizers.SGD(), sharpness_every=4)


def test_the_stop_rule_is_fastais_four_times_the_best_smoothed_batch_loss():
    def stop_step(test, losses):
        model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        test.set_model(model)
        model.stop_training = False
        test.on_train_begin()
        for k, loss in enumerate(losses):
            test.on_train_batch_begin(k)
            test.on_train_batch_end(k, {"loss": loss})
            if model.stop_training:
                return k
        return None

    growing = [1.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0]           # smoothed (beta 0.5): 1, 1, 1.57, 2.87, 5.52, 10.8, ...
    assert stop_step(RangeTest(keras.optimizers.SGD(), beta=0.5), growing) == 4
    assert stop_step(RangeTest(keras.optimizers.SGD(), beta=0.5, stop_factor=8.0), growing) == 5
    assert stop_step(RangeTest(keras.optimizers.SGD(), num_steps=3), [1.0] * 10) == 2      # after num_steps batches
    assert stop_step(RangeTest(keras.optimizers.SGD()), [1.0, float("inf"), 1.0]) == 1    # at a non-finite loss
