"""The divergence monitor on the lesson-4 net: it warns before the first nan, stays quiet on a healthy run, never on stderr.

The monitor is :class:`helpers.net.monitor.DivergenceMonitor`, in ``model.fit`` with the training
set as its probe set (as lesson 5 runs it); the checks of its loss-growth rule need no model.
(``tests/test_net_monitor.py`` covers other models, Adam and the course's own training loop.)
"""

import warnings

import keras
import numpy as np
import pytest

from helpers.experiment import make_experiment
from helpers.net.hessian import sharpness
from helpers.net.monitor import DivergenceMonitor, EventKind

pytestmark = pytest.mark.slow


def fit_with_monitor(lr, seed=0):
    model, x, y = make_experiment(seed=seed)
    monitor = DivergenceMonitor(x, y, every=8)
    model.compile(optimizer=keras.optimizers.SGD(lr), loss="mse")
    history = model.fit(x, y, batch_size=32, epochs=2, verbose=0, callbacks=[monitor])
    return monitor, history


def test_monitor_warns_before_the_first_nan_at_1e_3_and_stops_training(capsys):
    monitor, history = fit_with_monitor(1e-3)
    nonfinite = [e.step for e in monitor.events if e.kind is EventKind.NONFINITE]
    assert nonfinite, "the lesson-4 run at 1e-3 should diverge"
    assert not np.isfinite(monitor.losses[nonfinite[0]]) and np.isfinite(monitor.losses[:nonfinite[0]]).all()
    assert monitor.first_warning_step is not None and monitor.first_warning_step < nonfinite[0]
    assert monitor.events[0].kind is EventKind.LR_ABOVE_CRITICAL and monitor.events[0].step == 0
    assert len(monitor.losses) == nonfinite[0] + 1 < 64           # it stopped training at the non-finite loss
    out = capsys.readouterr()
    assert "DivergenceMonitor" in out.out and "DivergenceMonitor" not in out.err


def test_monitor_stays_silent_at_1e_4(capsys):
    monitor, _ = fit_with_monitor(1e-4)
    assert monitor.events == [] and monitor.first_warning_step is None
    assert len(monitor.losses) == 64 and [s for s, *_ in monitor.sharpness_log] == list(range(0, 64, 8))
    assert "DivergenceMonitor" not in capsys.readouterr().out


def test_the_probe_loss_is_the_full_data_loss_before_each_step():
    model, x, y = make_experiment(seed=0)
    monitor = DivergenceMonitor(x, y)
    model.compile(optimizer=keras.optimizers.SGD(1e-4), loss="mse")
    model.fit(x, y, batch_size=32, epochs=1, verbose=0, callbacks=[monitor])
    after = float(np.mean((model.predict(x, verbose=0) - y) ** 2))
    fresh, _, _ = make_experiment(seed=0)
    assert monitor.losses[0] == pytest.approx(float(np.mean((fresh.predict(x, verbose=0) - y) ** 2)), rel=1e-5)
    assert len(monitor.losses) == 32 and monitor.losses[-1] != pytest.approx(after, rel=1e-5)   # before, not after


def test_geometric_growth_is_reported_once_then_summarised(capsys):
    monitor = DivergenceMonitor(growth=2.0, patience=3)
    for step, loss in enumerate([1.0, 0.9, 2.0, 5.0, 11.0, 30.0, 70.0, 200.0]):
        monitor.observe(step, loss)
    kinds = [e.kind for e in monitor.events]
    assert kinds == [EventKind.LOSS_GROWTH] * 4 and monitor.first_warning_step == 4
    assert capsys.readouterr().out.count("DivergenceMonitor") == 1
    assert "loss growth x4 (first at step 4)" in monitor.summary()


def test_noisy_but_bounded_losses_raise_nothing():
    monitor = DivergenceMonitor(verbose=False)
    for step, loss in enumerate([5.0, 9.0, 4.0, 8.0, 3.0, 7.0, 2.0] * 5):
        monitor.observe(step, loss)
    assert monitor.events == []


def test_warnings_are_events_and_printed_lines_never_python_warnings(capsys):
    monitor = DivergenceMonitor(patience=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                      # any Python warning would raise here
        for step, loss in enumerate([1.0, 3.0, float("inf")]):
            monitor.observe(step, loss)
    assert [e.kind for e in monitor.events] == [EventKind.LOSS_GROWTH, EventKind.NONFINITE]
    out = capsys.readouterr()
    assert out.out.count("DivergenceMonitor") == 2 and out.err == ""


def test_the_critical_rate_includes_momentum():
    # On a linear regression (a quadratic) at 1.5 x plain SGD's 2/lambda: plain SGD is warned, heavy ball
    # with beta = 0.5 (critical rate 2(1 + beta)/lambda = 3/lambda) is not.
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((64, 3)) * [1.0, 4.0, 0.5]).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]])).astype("float32")
    logs = {}
    for beta in (0.0, 0.5):
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        lr = 1.5 * 2 / sharpness(model, x, y, tol=1e-8)
        model.compile(optimizer=keras.optimizers.SGD(lr, momentum=beta), loss="mse")
        monitor = DivergenceMonitor(x, y, every=1, verbose=False)
        model.fit(x, y, batch_size=len(x), epochs=1, verbose=0, callbacks=[monitor])
        logs[beta] = monitor
    (_, lam, lr, critical), = logs[0.0].sharpness_log
    assert critical == pytest.approx(2 / lam) and [e.kind for e in logs[0.0].events] == [EventKind.LR_ABOVE_CRITICAL]
    (_, lam, lr, critical), = logs[0.5].sharpness_log
    assert critical == pytest.approx(3 / lam) and logs[0.5].events == []


@pytest.mark.parametrize("kwargs, message", [({"every": 5}, "needs x and y"), ({"growth": 1.0}, "growth"),
                                             ({"patience": 0}, "patience"), ({"every": 0, "x": 1, "y": 1}, "every"),
                                             ({"margin": -1.0}, "margin")])
def test_monitor_validates_its_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DivergenceMonitor(**kwargs)
