"""The lesson-4 experiment: generated data, the seeded MLP, recorded SGD and its divergence.

The slow test at the end asserts exactly what notebook 04 tells students about the lesson's
seed: 2 / sharpness at initialisation lies between 1e-4 and 1e-3, lr = 1e-3 reaches inf/nan
within two epochs after passing a trillion, and lr = 1e-4 trains.
"""

import numpy as np
import pytest

from helpers.curvature import critical_lr
from helpers.curvature import sharpness
from helpers.experiment import (LESSON, fit_sgd, lr_sweep, make_data, make_experiment,
                                make_model, mse, nan_autopsy, second_order_check, sharpness_along, train_sgd)
from helpers.net.training import TrainResult


def test_data_is_raw_generated_and_seeded():
    x, y = make_data()
    assert x.shape == (LESSON.n_samples, 4) and y.shape == (LESSON.n_samples, 1)
    assert 0 <= x.min() and x.max() <= LESSON.feature_high and x.max() > 0.9 * LESSON.feature_high
    assert 10 <= np.abs(y).mean() <= 1000  # targets in the tens to hundreds: nothing normalised
    np.testing.assert_array_equal(make_data(seed=5)[0], make_data(seed=5)[0])
    assert not np.array_equal(make_data(seed=5)[0], make_data(seed=6)[0])


def test_model_is_seeded_and_loss_starts_in_the_thousands():
    model, x, y = make_experiment(seed=3)
    again = make_model(seed=3)
    for a, b in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert 1e3 <= mse(model, x, y) < 1e6


def test_training_is_repeatable():
    runs = []
    for _ in range(2):
        model, x, y = make_experiment(seed=1)
        runs.append(train_sgd(model, x, y, lr=1e-4, seed=1))
    np.testing.assert_array_equal(runs[0].losses, runs[1].losses)
    assert runs[0].steps == len(runs[0].losses) == 2 * LESSON.n_samples // LESSON.batch_size


def test_divergence_stops_cleanly_at_the_first_non_finite_loss(recwarn, capfd):
    model, x, y = make_experiment(seed=0)
    result = train_sgd(model, x, y, lr=1e-2)
    step = result.diverged_at
    assert result.diverged and step is not None
    assert len(result.losses) == len(result.full_losses) == step + 1  # nothing recorded after the first inf/nan
    assert result.steps == 2 * LESSON.n_samples // LESSON.batch_size  # the steps planned
    assert np.all(np.isfinite(result.losses[:step])) and not np.isfinite(result.losses[step])
    assert result.outcome in ("inf", "nan") and not result.trained and np.isnan(result.final_loss)
    assert result.first_step_above(1e300) == step
    # The weights are those the non-finite step saw (its update was not applied): still finite.
    assert all(np.all(np.isfinite(w)) for w in model.get_weights())
    assert len(recwarn) == 0
    assert capfd.readouterr().err == ""


def test_recorded_norms_match_the_model():
    model, x, y = make_experiment(seed=2)
    before = model.get_weights()
    result = train_sgd(model, x, y, lr=1e-5, epochs=1)
    layer0 = np.sqrt(sum(np.sum(w.astype(np.float64) ** 2) for w in before[:2]))
    assert result.layer_norms[0, 0] == pytest.approx(layer0, rel=1e-5)
    assert result.weight_norm[0] == pytest.approx(np.sqrt(sum(np.sum(w.astype(np.float64) ** 2) for w in before)), rel=1e-5)
    assert result.layer_names == ["hidden1", "hidden2", "output"]
    assert np.all(result.grad_norm > 0)


def test_lr_sweep_restores_the_initial_weights_and_matches_train_sgd():
    model, x, y = make_experiment(seed=4)
    before = model.get_weights()
    sweep = lr_sweep(model, x, y, [3e-5, 1e-4], seed=4, progress=False)
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    direct = train_sgd(model, x, y, lr=1e-4, seed=4)
    np.testing.assert_allclose(sweep.run_at(1.1e-4).losses, direct.losses, rtol=1e-5)


def test_model_fit_reports_the_same_blow_up():
    model, x, y = make_experiment(seed=0)
    fitted = fit_sgd(model, x, y, lr=1e-3)
    assert fitted["stopped_at"] is not None and fitted["steps"] == fitted["stopped_at"] + 1
    assert np.nanmax(fitted["batch_loss"][np.isfinite(fitted["batch_loss"])]) > 1e6
    model, x, y = make_experiment(seed=0)
    assert fit_sgd(model, x, y, lr=1e-4)["stopped_at"] is None


def test_nan_autopsy_names_an_inf_minus_inf_or_zero_times_inf():
    model, x, y = make_experiment(seed=0)
    result = train_sgd(model, x, y, lr=1e-3)
    found = nan_autopsy(model, x, y, result)
    assert found is not None and found.step >= result.diverged_at
    a, b = found.operands
    with np.errstate(all="ignore"):
        combined = np.float32(a) * np.float32(b) if found.operation == "0 * inf" else np.float32(a) + np.float32(b)
    assert np.isnan(combined)


def test_nan_autopsy_records_the_chain_from_a_finite_output_to_the_nan():
    """The lesson's chain: finite output -> its square overflows (loss inf) -> gradient inf -> weights inf -> nan."""
    model, x, y = make_experiment()
    result = train_sgd(model, x, y, lr=1e-3, seed=LESSON.seed)
    found = nan_autopsy(model, x, y, result)
    assert np.isfinite(found.largest_output) and found.largest_output ** 2 > float(np.finfo(np.float32).max)
    assert np.isposinf(found.loss)
    assert found.inf_gradients > 0 and found.inf_weights > 0
    assert found.step == result.diverged_at + len(found.trail)
    assert found.description.splitlines()[:-1] == list(found.trail)
    assert found.description.splitlines()[-1].startswith(f"step {found.step}: the first nan appeared in the")


@pytest.mark.parametrize("activations", [("leaky_relu", "leaky_relu", "linear"), ("relu", "linear", "relu")])
def test_the_autopsy_replays_through_helpers_mlps_pass_which_is_tensorflows_in_float32(activations):
    """nan_autopsy's float32 forward and backward pass is helpers.mlp's (per-layer slopes, any output activation)."""
    import keras
    import tensorflow as tf
    from helpers.mlp import _backward, _forward
    from helpers.net.autopsy import _dense_layers

    keras.utils.set_random_seed(4)
    model = keras.Sequential([keras.Input((4,))] + [keras.layers.Dense(units, activation=act)
                                                    for units, act in zip((6, 5, 1), activations)])
    rng = np.random.default_rng(4)
    x, y = rng.uniform(-1.5, 1.5, (16, 4)).astype("float32"), rng.normal(size=(16, 1)).astype("float32")
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x) - y))
    expected = [g.numpy() for g in tape.gradient(loss, model.trainable_variables)]
    weights = [w.numpy() for w in model.trainable_variables]
    _, slopes = _dense_layers(model)
    inputs, pre = _forward(weights, x, slopes)
    grads, _ = _backward(weights, inputs, pre, np.float32(2 / len(y)) * (inputs[-1] - y), slopes)
    assert all(g.dtype == np.float32 for g in grads)
    np.testing.assert_allclose(float(np.mean(np.square(inputs[-1] - y))), float(loss), rtol=1e-5)
    for g, e in zip(grads, expected):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5 * np.abs(e).max())


def test_train_sgd_records_the_full_data_loss_before_every_step():
    model, x, y = make_experiment()
    result = train_sgd(model, x, y, lr=1e-4, epochs=1, seed=LESSON.seed)
    assert result.full_losses.shape == result.losses.shape
    assert result.full_losses[0] == pytest.approx(result.initial_loss, rel=1e-6)
    assert result.full_losses[-1] > result.final_loss * 0.5    # one step before the end, the same order


def test_sharpness_along_follows_the_same_run_and_measures_the_sharpness():
    model, x, y = make_experiment()
    start = [w.copy() for w in model.get_weights()]
    run = lr_sweep(model, x, y, [1e-3], seed=LESSON.seed, progress=False).runs[0]
    trace = sharpness_along(model, x, y, 1e-3, range(len(run.losses) + 3), seed=LESSON.seed, progress=False)
    # Measuring stops at the first non-finite loss; the losses are the run's own full-data losses.
    finite = np.flatnonzero(~np.isfinite(run.full_losses))[0]
    assert trace.steps.tolist() == list(range(finite))
    np.testing.assert_allclose(trace.full_losses, run.full_losses[trace.steps], rtol=1e-5)
    assert trace.sharpness[0] == pytest.approx(sharpness(model, x, y), rel=1e-6)
    np.testing.assert_allclose(trace.critical_lr, 2 / trace.sharpness)
    assert trace.relative_residual.shape == trace.sharpness.shape and np.all(trace.relative_residual >= 0)
    for before, after in zip(start, model.get_weights()):   # the model keeps its weights
        np.testing.assert_array_equal(before, after)
    with pytest.raises(ValueError, match="steps must be below the 64 planned steps, got 64"):
        sharpness_along(model, x, y, 1e-3, [64], progress=False)
    with pytest.raises(ValueError, match="steps must contain at least one step"):
        sharpness_along(model, x, y, 1e-3, [], progress=False)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(lr=-0.1), ValueError, "lr must be a positive finite number, got -0.1"),
    (dict(lr=float("nan")), ValueError, "lr must be a positive finite number, got nan"),
    (dict(lr="1e-3"), TypeError, "lr must be a real number"),
    (dict(lr=1e-3, epochs=0), ValueError, "epochs must be a positive integer, got 0"),
    (dict(lr=1e-3, batch_size=2.5), TypeError, "batch_size must be an integer, got 2.5"),
    (dict(lr=1e-3, batch_size=5000), ValueError, "batch_size must be at most the number of rows"),
    (dict(lr=1e-3, seed=-1), ValueError, "seed must be a non-negative integer, got -1"),
])
def test_train_sgd_validates_arguments(kwargs, error, message):
    model, x, y = make_experiment()
    with pytest.raises(error, match=message):
        train_sgd(model, x, y, **kwargs)


def test_other_helpers_validate_arguments():
    model, x, y = make_experiment()
    with pytest.raises(ValueError, match="y have one row per row of x"):
        train_sgd(model, x, y[:10], lr=1e-3)
    with pytest.raises(TypeError, match="model must be a keras.Model"):
        mse("net", x, y)
    with pytest.raises(ValueError, match="lrs must contain at least one"):
        lr_sweep(model, x, y, [])
    with pytest.raises(TypeError, match="config must be a LessonConfig"):
        make_data(config={"n_samples": 3})
    trained = train_sgd(model, x, y, lr=1e-5, epochs=1)
    with pytest.raises(ValueError, match="did not diverge"):
        nan_autopsy(model, x, y, trained)


def test_second_order_change_is_exact_on_a_quadratic_loss():
    """A linear model's mean squared error is exactly quadratic in its weights: prediction == actual."""
    import keras

    x, y = make_data()
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    before = model.get_weights()
    top = sharpness(model, x, y, return_info=True)
    check = second_order_check(model, x, y, [1e-6, 1e-4, 1e-3, 0.3 * top.critical_lr], top=top)
    np.testing.assert_allclose(check.predicted, check.actual, rtol=2e-3)
    np.testing.assert_allclose(check.predicted_top + check.predicted_rest, check.predicted)
    assert check.valid_up_to == check.lrs[-1]
    assert check.rest_curvature >= 0  # a linear model's Hessian (2/n XᵀX) has no negative curvature
    for a, b in zip(model.get_weights(), before):  # the weights are put back
        np.testing.assert_array_equal(a, b)


def test_second_order_check_records_where_the_model_fails_on_the_net():
    model, x, y = make_experiment()
    check = second_order_check(model, x, y, np.geomspace(1e-6, 1e-2, 9))
    assert np.isnan(check.sharpness) and np.all(np.isnan(check.predicted_top))
    assert check.relative_error[0] < 0.01            # tiny steps: the model is exact to first order
    assert check.valid_up_to < 1e-2 and check.actual[-1] > 0
    assert check.actual_turns_positive_at == check.lrs[np.flatnonzero(check.actual > 0)[0]]
    assert check.index(1.1e-4) == 4 and "actual ΔL" in check.summary(1e-4)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(lrs=[]), ValueError, "lrs must contain at least one step size"),
    (dict(lrs=[-1.0]), ValueError, "every lr in lrs must be a positive finite number"),
    (dict(lrs=[1e-4], top=5000.0), TypeError, "top must be a SharpnessResult"),
    (dict(lrs=[1e-4], tolerance=0.0), ValueError, "tolerance must be a positive finite number"),
])
def test_second_order_check_validates_arguments(kwargs, error, message):
    model, x, y = make_experiment()
    with pytest.raises(error, match=message):
        second_order_check(model, x, y, **kwargs)


def test_loss_ratios_skip_the_non_finite_loss():
    model, x, y = make_experiment()
    run = train_sgd(model, x, y, lr=1e-2)
    finite = run.losses[np.isfinite(run.losses)]
    np.testing.assert_allclose(run.loss_ratios, finite[1:] / finite[:-1])


@pytest.mark.slow
def test_the_lessons_claims_on_its_seed():
    """What notebook 04 says, on LESSON.seed: prediction first, then both outcomes."""
    model, x, y = make_experiment()
    crit = critical_lr(model, x, y)
    assert 1e-4 < crit < 1e-3
    fast, slow = lr_sweep(model, x, y, [1e-3, 1e-4], seed=LESSON.seed, progress=False).runs
    assert isinstance(fast, TrainResult) and fast.full_losses is not None
    assert fast.diverged and fast.diverged_at < 2 * fast.steps_per_epoch
    assert fast.losses[0] > 1e3  # starts in the thousands ...
    above_trillion = fast.first_step_above(1e12)
    assert np.isfinite(fast.losses[above_trillion])  # ... passes a trillion while still finite ...
    assert above_trillion < fast.diverged_at  # ... and only then becomes inf/nan
    assert slow.trained and np.all(np.isfinite(slow.losses))
