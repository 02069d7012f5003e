"""The divergence monitor warns before the first nan, stays quiet on a healthy run, never on stderr."""

import math

import keras
import pytest

from helpers.experiment import make_experiment
from helpers.monitor import DivergenceMonitor, stable_threshold

pytestmark = pytest.mark.slow


def fit_with_monitor(lr, seed=0):
    model, x, y = make_experiment(seed=seed)
    monitor = DivergenceMonitor(x, y, every=8)
    model.compile(optimizer=keras.optimizers.SGD(lr), loss="mse")
    model.fit(x, y, batch_size=32, epochs=2, verbose=0,
              callbacks=[monitor, keras.callbacks.TerminateOnNaN()])
    return monitor


def test_monitor_warns_before_the_first_nan_at_1e_3(capsys):
    monitor = fit_with_monitor(1e-3)
    bad = [k for k, loss in enumerate(monitor.losses) if not math.isfinite(loss)]
    assert bad, "the lesson-4 run at 1e-3 should diverge"
    assert monitor.first_warning_step is not None and monitor.first_warning_step < bad[0]
    assert any(e.kind == "lr_above_critical" for e in monitor.events)
    out = capsys.readouterr()
    assert "DivergenceMonitor" in out.out and "DivergenceMonitor" not in out.err


def test_monitor_stays_silent_at_1e_4(capsys):
    monitor = fit_with_monitor(1e-4)
    assert monitor.events == []
    assert len(monitor.losses) == 64 and len(monitor.sharpness_log) == 8
    assert "DivergenceMonitor" not in capsys.readouterr().out


def test_geometric_growth_is_reported_once_then_summarised(capsys):
    monitor = DivergenceMonitor(growth=2.0, patience=3)
    for step, loss in enumerate([1.0, 0.9, 2.0, 5.0, 11.0, 30.0, 70.0, 200.0]):
        monitor.observe(step, loss)
    kinds = [e.kind for e in monitor.events]
    assert kinds == ["loss_growth"] * 4 and monitor.first_warning_step == 4
    assert capsys.readouterr().out.count("DivergenceMonitor") == 1
    assert "loss_growth x4" in monitor.summary()


def test_noisy_but_bounded_losses_raise_nothing():
    monitor = DivergenceMonitor(verbose=False)
    for step, loss in enumerate([5.0, 9.0, 4.0, 8.0, 3.0, 7.0, 2.0] * 5):
        monitor.observe(step, loss)
    assert monitor.events == []


def test_python_warnings_only_when_asked():
    monitor = DivergenceMonitor(verbose=False, python_warnings=True, patience=1)
    with pytest.warns(RuntimeWarning, match="grew"):
        monitor.observe(0, 1.0)
        monitor.observe(1, 3.0)


def test_stable_threshold_includes_momentum():
    assert stable_threshold(keras.optimizers.SGD(0.1), 10.0) == pytest.approx(0.2)
    assert stable_threshold(keras.optimizers.SGD(0.1, momentum=0.5), 10.0) == pytest.approx(0.3)


@pytest.mark.parametrize("kwargs, message", [({"every": 5}, "needs x and y"), ({"growth": 1.0}, "growth"),
                                             ({"patience": 0}, "patience"), ({"every": 0, "x": 1, "y": 1}, "every")])
def test_monitor_validates_its_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DivergenceMonitor(**kwargs)
