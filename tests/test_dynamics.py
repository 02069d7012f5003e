"""Beyond the quadratic picture: the edge of stability and the catapult, on a small net."""

import numpy as np
import pytest

from helpers.dynamics import (SMALL, DynamicsResult, EdgeAtRises, catapult_runs, catapult_seeds, edge_at_rises,
                              eos_summary, gd_with_sharpness, gradient_along_min_eigenvector, gradient_curvature,
                              gradient_curvature_along_run, loss_along_steps,
                              make_small_data, make_small_model, minibatch_sharpness)

pytestmark = pytest.mark.slow

LR, STEPS, SHARPENED_BY = 0.1, 900, 600


@pytest.mark.parametrize("seed", [0, 1])
def test_full_batch_gd_sharpens_to_the_edge_of_stability_and_hovers_there(seed):
    x, y = make_small_data(SMALL, seed)
    run = gd_with_sharpness(make_small_model(SMALL, seed), x, y, LR, STEPS, every=10)
    assert not run.stopped
    assert run.sharpness[0] < 0.6 * 2 / LR, "the run should start well below the edge"
    median, low, high = eos_summary(run, SHARPENED_BY)
    assert 0.8 <= low and high <= 1.2, (low, high)      # within 20 % of 2 / lr
    assert 0.95 <= median <= 1.05
    # The loss keeps falling overall, but not monotonically.
    assert run.losses[-1] < 0.2 * run.losses[0]
    assert np.sum(np.diff(run.losses[SHARPENED_BY:]) > 0) > 10


def test_a_rate_a_little_above_2_over_sharpness_recovers_at_lower_sharpness_far_above_diverges():
    lam0, (catapult, far) = catapult_runs((1.5, 10.0), steps=200, every=10, seed=1)
    assert not catapult.stopped
    assert catapult.losses.max() > catapult.losses[0]              # the spike
    assert catapult.losses[-1] < 0.3 * catapult.losses[0]          # the recovery
    assert catapult.sharpness[-1] < 0.8 * lam0                 # at a lower sharpness
    assert catapult.sharpness[-1] < 1.2 * 2 / catapult.lr
    assert far.stopped


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


def test_minibatch_sharpness_of_each_batch_is_the_sharpness_of_that_batch_alone():
    from helpers.curvature import sharpness

    x, y = make_small_data()
    model = make_small_model()
    result = minibatch_sharpness(model, x, y, batch_size=16, n_batches=2, seed=3)
    rng = np.random.default_rng(3)
    first = rng.choice(len(x), 16, replace=False)
    assert result.batches[0] == pytest.approx(sharpness(model, x[first], y[first], tol=1e-8, max_hvps=300), rel=1e-3)


def test_catapult_seeds_runs_one_multiple_per_seed():
    lams, runs = catapult_seeds(1.5, seeds=[0, 2], steps=20, every=5)
    assert lams.shape == (2,) and len(runs) == 2
    assert all(r.lr == pytest.approx(1.5 * 2 / lam) for r, lam in zip(runs, lams))


def test_second_order_change_along_the_gradient_is_exact_on_a_linear_model():
    import keras

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    x = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]], np.float32)
    y = np.array([[1.0], [0.0], [2.0]], np.float32)
    gc = gradient_curvature(model, x, y)
    lr = 0.3 * gc.turning_lr
    grads = [g.numpy() for g in _grads(model, x, y)]
    model.set_weights([w - lr * g for w, g in zip(model.get_weights(), grads)])
    after = float(np.mean((model(x).numpy() - y) ** 2))
    assert after - gc.loss == pytest.approx(gc.change(lr), rel=1e-3, abs=1e-5)


def _grads(model, x, y):
    import tensorflow as tf

    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x) - y))
    return tape.gradient(loss, model.trainable_variables)


def test_along_a_run_the_second_order_change_of_each_step_is_exact_on_a_linear_model():
    # every step's prediction, made at that step's weights, lands on the loss the next step starts from
    import keras

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    x = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]], np.float32)
    y = np.array([[1.0], [0.0], [2.0]], np.float32)
    lr = 1.5 * gradient_curvature(model, x, y).turning_lr      # past the turning point: the loss rises
    along = gradient_curvature_along_run(model, x, y, lr=lr, steps=4)
    assert len(along) == 4
    for before, after in zip(along, along[1:]):
        assert after.loss - before.loss == pytest.approx(before.change(lr), rel=1e-3, abs=1e-5)
        assert after.loss > before.loss
    with pytest.raises(ValueError, match="steps"):
        gradient_curvature_along_run(model, x, y, lr=0.1, steps=0)


def test_loss_along_steps_ends_where_each_step_lands_and_is_a_parabola_on_a_linear_model():
    import keras

    def net():
        return keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, kernel_initializer="ones")])

    x = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]], np.float32)
    y = np.array([[1.0], [0.0], [2.0]], np.float32)
    lr = 1.5 * gradient_curvature(net(), x, y).turning_lr      # past the turning point: each step rises
    sizes, losses = loss_along_steps(net(), x, y, lr=lr, steps=3, points=41)
    along = gradient_curvature_along_run(net(), x, y, lr=lr, steps=4)
    assert sizes[0] == 0 and sizes[-1] == pytest.approx(lr) and losses.shape == (3, 41)
    for k in range(3):
        assert losses[k, 0] == pytest.approx(along[k].loss, rel=1e-6)           # the weights the step starts from
        assert losses[k, -1] == pytest.approx(along[k + 1].loss, rel=1e-5)      # where the step lands: the run was not disturbed
        quadratic = along[k].loss + np.array([along[k].change(s) for s in sizes])
        assert losses[k] == pytest.approx(quadratic, rel=1e-4, abs=1e-5)        # a linear model's loss is exactly quadratic
    with pytest.raises(ValueError, match="points"):
        loss_along_steps(net(), x, y, lr=0.1, steps=1, points=2)


def test_edge_at_rises_counts_each_step_against_the_last_sharpness_measured():
    run = DynamicsResult(lr=0.1, losses=np.array([1.0, 2.0, 1.5, 1.8, 1.0, 3.0, np.inf]),
                         sharpness_steps=np.array([0, 2, 4]), sharpness=np.array([25.0, 15.0, 30.0]), stopped_at=6)
    # steps 0, 1 above the edge (25 x 0.1 / 2 > 1); 2, 3 below; 4 above (steps after the divergence are not counted)
    assert edge_at_rises(run) == EdgeAtRises(rises=3, rises_above=2, falls_above=1)
    with pytest.raises(TypeError, match="run"):
        edge_at_rises([1.0, 2.0])


def test_gradient_along_min_eigenvector_matches_the_closed_form_of_a_linear_model():
    import keras
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, kernel_initializer="ones")])
    x, y = np.array([[1.0], [3.0]]), np.zeros((2, 1))
    # loss = mean((w x + b)^2): H = [[10, 4], [4, 2]], gradient at w = 1, b = 0 (Keras's zero bias): (10, 4)
    values, vectors = np.linalg.eigh(np.array([[10.0, 4.0], [4.0, 2.0]]))
    lam, g_u = gradient_along_min_eigenvector(model, x, y)
    assert lam == pytest.approx(values[0], rel=1e-6)
    assert g_u == pytest.approx(abs(np.array([10.0, 4.0]) @ vectors[:, 0]), rel=1e-5)
    with pytest.raises(ValueError, match="tol"):
        gradient_along_min_eigenvector(model, x, y, tol=0)
