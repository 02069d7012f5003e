"""The learning-rate range test: an exponential sweep that stops once the loss has exploded."""

import numpy as np
import pytest

from helpers.curvature import critical_lr
from helpers.experiment import make_experiment
from helpers.range_test import RangeTest, lr_range_test, smoothed

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
    test = RangeTest(start_lr=1e-6, end_lr=1e-2, num_steps=5)
    assert np.allclose([test._lr(k) for k in range(5)], [1e-6, 1e-5, 1e-4, 1e-3, 1e-2])


def test_smoothing_is_debiased():
    assert smoothed([4.0])[0] == pytest.approx(4.0)
    assert smoothed([2.0, 2.0, 2.0], beta=0.9) == pytest.approx([2.0, 2.0, 2.0])
    with pytest.raises(ValueError, match="beta"):
        smoothed([1.0], beta=1.0)


def test_range_test_validates_its_rates():
    with pytest.raises(ValueError, match="end_lr"):
        RangeTest(start_lr=1e-2, end_lr=1e-3)
