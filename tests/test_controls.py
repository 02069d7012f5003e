"""The course's slider (helpers.controls): a name for screen readers, values kept in range, errors
that name the argument. What it looks like and how it moves in a browser: tests/test_browser.py."""

import pytest

from helpers.controls import Slider, choice_slider, linear_slider, log_slider


def test_every_slider_carries_an_accessible_name():
    named = log_slider(0.12, 1e-3, 10.0, "lr", aria_label="learning rate lr")
    plain = linear_slider(0.3, 0.05, 1.2, 0.05, "lr")
    assert isinstance(named, Slider) and named.aria_label == "learning rate lr"
    # Without aria_label the front end names the input by its visible description.
    assert plain.aria_label == "" and plain.description == "lr"


def test_values_from_python_stay_on_the_slider():
    lr = log_slider(0.12, 1e-3, 10.0, "lr")
    lr.value = 1e-6
    assert lr.value == 1e-3
    pick = choice_slider([1e-4, 3e-4, 1e-3], 1e-4, "lr", labels=["1e-04", "0.0003", "0.001"])
    pick.value = 8e-4
    assert pick.value == 1e-3


@pytest.mark.parametrize("make, argument", [
    (lambda: log_slider(0.1, 1e-3, 10.0, ""), "description"),
    (lambda: log_slider(0.1, -1.0, 10.0, "lr"), "lo"),
    (lambda: log_slider(0.1, 1e-3, 10.0, "lr", step=0), "step"),
    (lambda: log_slider(float("nan"), 1e-3, 10.0, "lr"), "value"),
    (lambda: linear_slider(0.3, 0.05, 1.2, 0.05, "lr", readout_format="%.2f"), "readout_format"),
    (lambda: choice_slider([1.0], 1.0, "lr"), "choices"),
    (lambda: choice_slider([1.0, 2.0], 1.0, "lr", labels=["one"]), "labels"),
])
def test_bad_arguments_raise_naming_the_argument(make, argument):
    with pytest.raises(ValueError, match=argument):
        make()
