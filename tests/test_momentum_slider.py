"""Lesson 7's momentum app: the title says what the runs did, the thresholds are where the formulas put them."""

import matplotlib
import pytest

matplotlib.use("Agg")

from helpers.momentum import critical_lr  # noqa: E402
from helpers.momentum_slider import METHODS, momentum_app  # noqa: E402


@pytest.fixture
def app():
    app = momentum_app(lr=0.3, beta=0.9, curvature=10.0)
    yield app
    app.close()


def test_each_method_grows_exactly_when_lr_is_above_its_threshold(app):
    for lr in (0.07, 0.17, 0.27, 0.33, 0.5):      # none exactly at a threshold
        for beta in (0.0, 0.5, 0.9):
            app.update(lr=lr, beta=beta)
            limits, runs = app.thresholds(), app.runs()
            for name in METHODS:
                assert app.grows(runs[name]) == (lr > limits[name]), (lr, beta, name)


def test_the_thresholds_are_the_formulas(app):
    app.update(beta=0.5)
    assert app.thresholds() == {"plain GD": critical_lr(10.0), "heavy ball": critical_lr(10.0, 0.5),
                                "Nesterov": critical_lr(10.0, 0.5, nesterov=True)}


def test_the_title_and_the_dot_follow_the_sliders(app):
    app.sliders["beta"].value = 0.0
    assert app.suptitle.get_text().startswith("lr = 0.3, β = 0, λ = 10")
    assert list(app.point.get_data()[0]) == [0.0] and list(app.point.get_data()[1]) == [0.3]


def test_a_bad_beta_is_refused_by_name(app):
    with pytest.raises(ValueError, match="beta must be in \\[0, 1\\), got 1.5"):
        app.update(beta=1.5)
