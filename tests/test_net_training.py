"""The one training loop: every step as computed, any optimizer/loss/batch size, divergence as an outcome.

Claims: on lesson 4's net each step is plain SGD on its minibatch (the same losses as a
hand-written tape-and-update loop, to the bit, the same first inf step at lr = 1e-3); full-batch SGD converges at 0.95 x ``critical_lr`` and diverges at 1.05 x,
with and without momentum; Keras's momentum updates are those of ``helpers.momentum``; the loss
recorded at each step is that batch's loss at the weights before the step; Adam's
preconditioner comes from the gradients the loop saw; a diverging run stops cleanly.
"""

import warnings

import numpy as np
import pytest

from helpers.momentum import momentum_descent
from helpers.net.env import set_seed
from helpers.net.hessian import critical_lr
from helpers.net.training import Outcome, full_loss, minibatch_order, train

import keras
import tensorflow as tf

pytestmark = pytest.mark.slow


def linear_regression(n=64, seed=0):
    """A linear model on exactly linear targets: its MSE is a quadratic with minimum 0."""
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((n, 3)) * [1.0, 3.0, 0.5]).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3).astype("float32")
    set_seed(seed)
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)]), x, y


class Recorder(keras.callbacks.Callback):
    def __init__(self, stop_after=None):
        super().__init__()
        self.logged, self.kernels, self.calls, self.stop_after = [], [], [], stop_after

    def on_train_begin(self, logs=None):
        self.calls.append("train_begin")

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append(f"epoch_begin {epoch}")

    def on_train_batch_begin(self, batch, logs=None):
        self.kernels.append(self.model.layers[0].kernel.numpy().ravel().copy())

    def on_train_batch_end(self, batch, logs=None):
        self.logged.append(logs["loss"])
        if self.stop_after is not None and len(self.logged) > self.stop_after:
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        self.calls.append("train_end")


@pytest.mark.parametrize("lr", [1e-3, 1e-4])
def test_on_lesson_4s_net_each_step_is_plain_sgd_on_its_minibatch(lr):
    """The loop against a hand-written one (tape, w <- w - lr g) on the same minibatches: equal to the bit."""
    from helpers.experiment import make_experiment

    model, x, y = make_experiment(seed=0)
    run = train(model, x, y, keras.optimizers.SGD(lr), epochs=2, batch_size=32, seed=0)
    model, x, y = make_experiment(seed=0)
    by_hand = []
    for idx in minibatch_order(len(x), 32, 2, 0):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x[idx], training=True) - y[idx]))
        by_hand.append(float(loss))
        if not np.isfinite(by_hand[-1]):
            break
        for v, g in zip(model.trainable_variables, tape.gradient(loss, model.trainable_variables)):
            v.assign_sub(np.float32(lr) * g)
    np.testing.assert_array_equal(run.losses, by_hand)
    assert run.diverged == (lr == 1e-3) and (run.diverged_at == len(by_hand) - 1 if run.diverged else True)


@pytest.mark.parametrize("momentum, nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_full_batch_sgd_converges_at_095_and_diverges_at_105_of_critical_lr(momentum, nesterov):
    model, x, y = linear_regression()
    start = model.get_weights()
    kind = dict(momentum=momentum, nesterov=nesterov)
    critical = critical_lr(model, x, y, optimizer=keras.optimizers.SGD(**kind), tol=1e-8)
    runs = {}
    for factor in (0.95, 1.05):
        model.set_weights(start)
        runs[factor] = train(model, x, y, keras.optimizers.SGD(factor * critical, **kind),
                             batch_size=None, epochs=3000)
    assert runs[0.95].diverged_at is None and runs[0.95].final_loss < 1e-4 * runs[0.95].initial_loss
    assert runs[1.05].diverged and runs[1.05].outcome in (Outcome.INF, Outcome.NAN)
    assert runs[1.05].steps_per_epoch == 1 and runs[1.05].steps == 3000


@pytest.mark.parametrize("nesterov", [False, True])
def test_keras_momentum_updates_are_those_of_helpers_momentum(nesterov):
    # One weight w, one row x = 2, target 0: the MSE is 4 w^2, its gradient 8 w.
    set_seed(0)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="ones")])
    recorder = Recorder()
    run = train(model, [[2.0]], [0.0], keras.optimizers.SGD(0.2, momentum=0.8, nesterov=nesterov),
                batch_size=None, epochs=30, callbacks=[recorder])
    numpy_run = momentum_descent(lambda w: 8.0 * w, [1.0], 0.2, 29, momentum=0.8, nesterov=nesterov)
    np.testing.assert_allclose(np.array(recorder.kernels)[:, 0], numpy_run.path[:, 0], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(run.losses, 4.0 * numpy_run.path[:, 0] ** 2, rtol=1e-4, atol=1e-9)


def test_each_recorded_loss_is_that_batchs_loss_before_the_step_and_callbacks_see_it():
    model, x, y = linear_regression()
    start = model.get_weights()
    recorder = Recorder(stop_after=5)
    run = train(model, x, y, keras.optimizers.SGD(0.01), epochs=3, batch_size=16, seed=4, callbacks=[recorder])
    assert len(run.losses) == 6 and run.steps == 12 and run.steps_per_epoch == 4
    assert recorder.logged == run.losses.tolist()
    assert recorder.calls == ["train_begin", "epoch_begin 0", "epoch_begin 1", "train_end"]
    probe = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    probe.set_weights(start)
    rows = run.batch_index[0]
    assert run.losses[0] == pytest.approx(full_loss(probe, x[rows], y[rows]), rel=1e-6)


def test_a_diverging_run_stops_cleanly_with_no_warning_and_no_stderr(capfd):
    model, x, y = linear_regression()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = train(model, 1e3 * x, y, keras.optimizers.SGD(1.0), epochs=50, batch_size=16)
    k = run.diverged_at
    assert k is not None and len(run.losses) == k + 1 and not np.isfinite(run.losses[k])
    assert np.all(np.isfinite(run.losses[:k])) and np.isnan(run.final_loss)
    assert "diverged at step" in run.message
    assert capfd.readouterr().err == ""


def test_adam_preconditioner_comes_from_the_gradients_the_loop_saw():
    model, x, y = linear_regression()
    optimizer = keras.optimizers.Adam(1e-2)
    run = train(model, x, y, optimizer, epochs=2, batch_size=16)
    # Keras keeps v as public optimizer variables named "..._velocity" (read only in this test).
    velocity = np.concatenate([v.numpy().ravel() for v in optimizer.variables if v.path.endswith("_velocity")])
    t = run.steps
    expected = np.sqrt(velocity / (1 - 0.999 ** t)) + 1e-7 / np.sqrt(1 - 0.999 ** t)   # Keras Adam's divisor
    np.testing.assert_allclose(run.adam_preconditioner, expected, rtol=1e-4)
    assert train(model, x, y, "sgd", epochs=1).adam_preconditioner is None


def test_any_loss_and_a_classifier_trains():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((96, 2)).astype("float32")
    labels = (x[:, 0] + x[:, 1] > 0).astype("int32")
    set_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(8, activation="tanh"),
                              keras.layers.Dense(2, activation="softmax")])
    run = train(model, x, labels, keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy",
                epochs=10, batch_size=16)
    assert run.outcome is Outcome.TRAINED and run.lrs.shape == run.losses.shape


def test_a_summed_loss_is_batch_size_times_the_mean():
    model, x, y = linear_regression()
    start = model.get_weights()
    mean = train(model, x, y, keras.optimizers.SGD(1e-6), epochs=1, batch_size=16)
    model.set_weights(start)
    summed = train(model, x, y, keras.optimizers.SGD(1e-6 / 16), epochs=1, batch_size=16,
                   loss=keras.losses.MeanSquaredError(reduction="sum"))
    np.testing.assert_allclose(summed.losses, 16 * mean.losses, rtol=1e-4)
    np.testing.assert_allclose(summed.grad_norm, 16 * mean.grad_norm, rtol=1e-4)


def test_bad_arguments_name_themselves():
    model, x, y = linear_regression()
    with pytest.raises(TypeError, match="optimizer"):
        train(model, x, y, 0.1)
    with pytest.raises(ValueError, match="batch_size"):
        train(model, x, y, "sgd", batch_size=1000)
    with pytest.raises(TypeError, match="callback"):
        train(model, x, y, "sgd", callbacks=[print])
    with pytest.raises(ValueError, match="epochs"):
        train(model, x, y, "sgd", epochs=0)
