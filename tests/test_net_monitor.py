"""DivergenceMonitor in model.fit: it warns before the first nan, and is quiet below the critical rate.

Claims: on a compiled linear regression (a quadratic loss) trained by ``model.fit`` at twice its
critical rate, the monitor reports the rate above the critical rate at step 0 and geometric
loss growth steps before the loss turns non-finite, then stops training; at half the critical
rate it reports nothing; without a probe set it still stops at the first non-finite loss; with
Adam (no single critical rate) it skips the rate check and still watches the loss.
"""

import math

import numpy as np
import pytest

from helpers.net.env import set_seed
from helpers.net.hessian import sharpness
from helpers.net.monitor import DivergenceMonitor, EventKind

import keras

pytestmark = pytest.mark.slow


def compiled(optimizer, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((64, 3)) * [1.0, 4.0, 0.5]).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]]) + 3.0).astype("float32")
    set_seed(seed)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse")
    return model, x, y


def critical(x, y):
    probe, _, _ = compiled("sgd")
    return 2 / sharpness(probe, x, y, tol=1e-8)


def test_above_the_critical_rate_it_warns_before_the_loss_turns_non_finite(capsys):
    _, x, y = compiled("sgd")
    model, x, y = compiled(keras.optimizers.SGD(2 * critical(x, y)))
    monitor = DivergenceMonitor(x, y, every=100)
    history = model.fit(x, y, batch_size=len(x), epochs=500, verbose=0, shuffle=False, callbacks=[monitor])
    kinds = {e.kind: e.step for e in reversed(monitor.events)}  # first step of each kind
    assert kinds[EventKind.LR_ABOVE_CRITICAL] == 0
    assert kinds[EventKind.LOSS_GROWTH] < kinds[EventKind.NONFINITE]
    assert len(history.history["loss"]) == kinds[EventKind.NONFINITE] + 1 < 500  # it stopped training
    step, lam, lr, crit = monitor.sharpness_log[0]
    assert lr / crit == pytest.approx(2.0, rel=1e-3)
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 4 and printed[-1] == monitor.summary()  # one line per kind, then the summary


def test_below_the_critical_rate_it_stays_quiet(capsys):
    _, x, y = compiled("sgd")
    model, x, y = compiled(keras.optimizers.SGD(0.5 * critical(x, y)))
    monitor = DivergenceMonitor(x, y, every=10)
    model.fit(x, y, batch_size=len(x), epochs=20, verbose=0, callbacks=[monitor])
    assert monitor.events == [] and capsys.readouterr().out == ""
    assert len(monitor.losses) == 20 and monitor.losses[-1] < monitor.losses[0]
    assert monitor.first_warning_step is None


def test_without_a_probe_set_it_still_stops_at_the_first_non_finite_loss():
    _, x, y = compiled("sgd")
    model, x, y = compiled(keras.optimizers.SGD(50 * critical(x, y)))
    monitor = DivergenceMonitor(verbose=False)
    history = model.fit(x, y, batch_size=len(x), epochs=500, verbose=0, callbacks=[monitor])
    assert [e.kind for e in monitor.events] == [EventKind.NONFINITE]
    assert len(history.history["loss"]) == monitor.events[0].step + 1 < 500
    assert not math.isfinite(history.history["loss"][-1])


def test_with_adam_it_skips_the_rate_check_and_watches_the_loss():
    model, x, y = compiled(keras.optimizers.Adam(1e-2))
    monitor = DivergenceMonitor(x, y, every=1, verbose=False)
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[monitor])
    assert monitor.sharpness_log == [] and len(monitor.losses) == 8


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="every"):
        DivergenceMonitor(every=5)
    with pytest.raises(ValueError, match="x and y"):
        DivergenceMonitor(np.ones((2, 1)))
    with pytest.raises(ValueError, match="growth"):
        DivergenceMonitor(growth=1.0)
    with pytest.raises(ValueError, match="patience"):
        DivergenceMonitor(patience=0)


def test_in_the_training_loop_it_logs_the_sharpness_every_k_steps():
    from helpers.net.training import train

    _, x, y = compiled("sgd")
    set_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])  # not compiled
    optimizer = keras.optimizers.SGD(0.5 * critical(x, y))
    monitor = DivergenceMonitor(x, y, every=10, optimizer=optimizer, verbose=False)
    run = train(model, x, y, optimizer, batch_size=None, epochs=25, callbacks=[monitor])
    steps = [s for s, *_ in monitor.sharpness_log]
    lams = np.array([lam for _, lam, *_ in monitor.sharpness_log])
    assert steps == [0, 10, 20] and np.allclose(lams, 2 / critical(x, y), rtol=1e-3)  # a quadratic: constant
    np.testing.assert_allclose(monitor.losses, run.losses, rtol=1e-5)  # full batch: the same loss
