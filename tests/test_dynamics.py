"""Beyond the quadratic picture: the edge of stability and the catapult, on a small net."""

import numpy as np
import pytest

from helpers.dynamics import (SMALL, catapult_runs, eos_summary, gd_with_sharpness, make_small_data,
                              make_small_model, minibatch_sharpness)

pytestmark = pytest.mark.slow

LR, STEPS, SHARPENED_BY = 0.1, 900, 600


@pytest.mark.parametrize("seed", [0, 1])
def test_full_batch_gd_sharpens_to_the_edge_of_stability_and_hovers_there(seed):
    x, y = make_small_data(SMALL, seed)
    run = gd_with_sharpness(make_small_model(SMALL, seed), x, y, LR, STEPS, every=10)
    assert not run.diverged
    assert run.sharpness[0] < 0.6 * 2 / LR, "the run should start well below the edge"
    median, low, high = eos_summary(run, SHARPENED_BY)
    assert 0.8 <= low and high <= 1.2, (low, high)      # within 20 % of 2 / lr
    assert 0.95 <= median <= 1.05
    # The loss keeps falling overall, but not monotonically.
    assert run.loss[-1] < 0.2 * run.loss[0]
    assert np.sum(np.diff(run.loss[SHARPENED_BY:]) > 0) > 10


def test_a_rate_a_little_above_2_over_sharpness_recovers_at_lower_sharpness_far_above_diverges():
    lam0, (catapult, far) = catapult_runs((1.5, 10.0), steps=200, every=10, seed=1)
    assert not catapult.diverged
    assert catapult.loss.max() > catapult.loss[0]              # the spike
    assert catapult.loss[-1] < 0.3 * catapult.loss[0]          # the recovery
    assert catapult.sharpness[-1] < 0.8 * lam0                 # at a lower sharpness
    assert catapult.sharpness[-1] < 1.2 * 2 / catapult.lr
    assert far.diverged


def test_minibatch_sharpness_varies_around_and_above_the_full_batch_value():
    x, y = make_small_data()
    result = minibatch_sharpness(make_small_model(), x, y, batch_size=16, n_batches=8)
    assert result.batches.shape == (8,)
    assert result.batches.max() > result.full
    assert result.batches.std() > 0


def test_gd_with_sharpness_validates_its_arguments():
    x, y = make_small_data()
    with pytest.raises(ValueError, match="lr"):
        gd_with_sharpness(make_small_model(), x, y, lr=-1.0, steps=5)
