"""Lesson 7's library: dead and saturated units, the regime of a run, the recipe and the check's regime report."""

import numpy as np
import pytest

import helpers.net.env  # noqa: F401
import keras
from helpers.net.check import check_learning_rate
from helpers.net.own_network import agrees_with_lesson, rate_runs
from helpers.net.regime import Regime, UnitFractions, regime_of, unit_fractions
from helpers.net.training import train


def one_layer(activation, kernel, bias=None):
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(len(kernel), activation=activation, name="hidden"),
                              keras.layers.Dense(1, name="output")])
    model.layers[0].set_weights([np.array([kernel], "float32"), np.zeros(len(kernel), "float32") if bias is None
                                 else np.array(bias, "float32")])
    return model


X = np.array([[1.0], [2.0], [3.0]], "float32")


def test_a_relu_unit_is_dead_only_when_it_is_off_on_every_row():
    # unit 0 on everywhere, unit 1 off everywhere, unit 2 off on one row only (x - 1.5)
    units = unit_fractions(one_layer("relu", [1.0, -1.0, 1.0], [0.0, 0.0, -1.5]), X)
    assert units.dead == pytest.approx(1 / 3) and np.isnan(units.saturated)


def test_a_tanh_unit_is_saturated_when_it_is_near_plus_or_minus_one_on_every_row():
    units = unit_fractions(one_layer("tanh", [50.0, -50.0, 0.01, 1.0]), X)
    assert units.saturated == 0.5 and np.isnan(units.dead)


def test_unit_fractions_refuses_a_model_it_cannot_read_in_order():
    inputs = keras.Input((1,))
    functional = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    with pytest.raises(TypeError, match="model must be a keras.Sequential"):
        unit_fractions(functional, X)
    with pytest.raises(ValueError, match="threshold must be a positive finite number, got 0"):
        unit_fractions(one_layer("tanh", [1.0]), X, threshold=0)


def test_regime_of_a_diverged_run_and_of_a_stuck_one():
    x = np.array([[1.0], [3.0]], "float32"); y = np.zeros((2, 1), "float32")
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    blown = train(model, 1e3 * x, y, keras.optimizers.SGD(10.0), epochs=20, batch_size=None)
    assert regime_of(blown, None) is Regime.DIVERGES
    with pytest.raises(TypeError, match="units must be a UnitFractions"):
        regime_of(train(keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)]), x, y, "sgd", batch_size=None),
                  None)


def test_rate_runs_restores_the_initial_weights_and_runs_each_factor_from_them():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 5, size=(64, 2)).astype("float32"); y = x.sum(axis=1, keepdims=True)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    before = [w.numpy().copy() for w in model.trainable_variables]
    result = rate_runs(model, x, y, factors=(0.5, 4.0), steps=60)
    for w, b in zip(model.trainable_variables, before):
        np.testing.assert_array_equal(w.numpy(), b)
    assert result.critical_lr == pytest.approx(2 / result.sharpness)
    assert result.at(0.5).regime is Regime.TRAINS and result.at(4.0).regime is Regime.DIVERGES
    assert result.at(0.5).run.initial_loss == result.at(4.0).run.initial_loss
    assert agrees_with_lesson("linear", result)[0]
    with pytest.raises(ValueError, match="every factor must be"):
        rate_runs(model, x, y, factors=(-1.0,))


def test_rate_runs_counts_momentum_in_the_critical_rate():
    x = np.array([[1.0], [3.0]], "float32"); y = np.zeros((2, 1), "float32")
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    result = rate_runs(model, x, y, factors=(0.5,), steps=5, momentum=0.9, nesterov=True)
    assert result.critical_lr == pytest.approx(2 * 1.9 / (2.8 * result.sharpness))


def test_the_check_reports_the_regime_only_when_asked():
    model = one_layer("relu", [1.0, -1.0])
    model.compile(optimizer=keras.optimizers.SGD(1e-3), loss="mse")
    y = np.zeros((3, 1), "float32")
    assert check_learning_rate(model, X, y, verbose=False).units is None
    check = check_learning_rate(model, X, y, verbose=False, regime=True)
    assert isinstance(check.units, UnitFractions) and check.units.dead == 0.5
    assert "50% of ReLU units dead" in check.sentence
    with pytest.raises(TypeError, match="regime must be True or False"):
        check_learning_rate(model, X, y, regime="yes")


def _fake_runs(below, above, initial_loss=2.3):
    """A stand-in for RateRuns: two runs given as (regime, final loss, losses, diverged_at)."""
    from types import SimpleNamespace as NS

    def run(factor, spec):
        regime, final, losses, bad = spec
        return NS(factor=factor, regime=regime,
                  run=NS(final_loss=final, losses=np.array(losses), diverged=bad is not None, diverged_at=bad))
    runs = {0.5: run(0.5, below), 4.0: run(4.0, above)}
    return NS(initial_loss=initial_loss, at=runs.__getitem__)


def test_the_benchmarks_rules_are_exactly_what_the_lesson_says():
    y = np.full(10, 100.0)                                                  # mean y² = 1e4
    stuck = (Regime.UNITS_DIE, 9.7e3, [3e4, 9.7e3], None)
    assert agrees_with_lesson("relu", _fake_runs((Regime.TRAINS, 10.0, [1e4, 10.0], None), stuck), y=y)[0]
    far = (Regime.UNITS_DIE, 5e3, [3e4, 5e3], None)                         # dead but not near mean y²
    assert not agrees_with_lesson("relu", _fake_runs((Regime.TRAINS, 10.0, [1e4, 10.0], None), far), y=y)[0]
    with pytest.raises(ValueError, match="y must be the targets"):
        agrees_with_lesson("relu", _fake_runs((Regime.TRAINS, 10.0, [1e4, 10.0], None), stuck))
    # tanh: finite below (any label), saturated above; "4x ends lower than 0.5x" is no longer required
    saturated = (Regime.SATURATES, 9e3, [3e4, 9e3], None)
    assert agrees_with_lesson("tanh", _fake_runs((Regime.DID_NOT_TRAIN, 1e3, [3e4, 1e3], None), saturated))[0]
    assert not agrees_with_lesson("tanh", _fake_runs((Regime.DIVERGES, np.inf, [3e4, np.inf], 1), saturated))[0]
    assert not agrees_with_lesson("tanh", _fake_runs((Regime.SATURATES, 1e3, [3e4, 1e3], None),
                                                     (Regime.TRAINS, 9e3, [3e4, 9e3], None)))[0]
    # cnn: above, trained or stuck near ln 10; a rise above the start is not required
    trains = (Regime.TRAINS, 0.3, [2.3, 0.3], None)
    assert agrees_with_lesson("cnn", _fake_runs(trains, (Regime.UNITS_DIE, 2.31, [2.3, 2.31], None)))[0]
    assert agrees_with_lesson("cnn", _fake_runs(trains, (Regime.TRAINS, 0.4, [2.3, 0.4], None)))[0]
    assert not agrees_with_lesson("cnn", _fake_runs(trains, (Regime.DID_NOT_TRAIN, 1.5, [2.3, 1.5], None)))[0]


def test_a_leaky_relu_unit_is_never_dead_and_the_check_expects_inf_or_nan_for_it():
    # the same weights that leave half the ReLU units off on every row: leaky ReLU passes a gradient there
    leaky = one_layer("leaky_relu", [1.0, -1.0])
    units = unit_fractions(leaky, X)
    assert np.isnan(units.dead) and np.isnan(units.saturated) and units.layers == ()
    assert regime_of(train(one_layer("leaky_relu", [1.0, -1.0]), X, np.full((3, 1), 9.0, "float32"),
                           keras.optimizers.SGD(1e-9), epochs=2, batch_size=None), units) is Regime.DID_NOT_TRAIN
    leaky.compile(optimizer=keras.optimizers.SGD(1e-3), loss="mse")
    check = check_learning_rate(leaky, X, np.zeros((3, 1), "float32"), verbose=False, regime=True)
    assert "dead" not in check.sentence and "stick" not in check.sentence
    assert "expect the loss to grow to inf/nan" in check.sentence


def test_the_check_says_saturated_units_may_not_learn_below_the_critical_rate_either():
    model = one_layer("tanh", [50.0, -50.0])
    model.compile(optimizer=keras.optimizers.SGD(1e-6), loss="mse")
    check = check_learning_rate(model, X, np.zeros((3, 1), "float32"), verbose=False, regime=True)
    assert check.units.saturated == 1.0
    assert "below it the net may not learn either: scale the inputs" in check.sentence
