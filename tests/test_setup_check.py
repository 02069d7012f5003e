"""Lesson 00's environment check reports honestly and its slider redraws."""

import matplotlib
import numpy as np
import pytest

matplotlib.use("module://ipympl.backend_nbagg")

from helpers.setup_check import (CheckSlider, demo_response, distance_ylim, package_versions, path_ylim,  # noqa: E402
                                 tensorflow_status)


def test_versions_report_missing_packages_instead_of_failing():
    versions = package_versions(["numpy", "surely-not-installed-xyz"])
    assert versions["numpy"] == np.__version__
    assert versions["surely-not-installed-xyz"] == "not installed"


def test_versions_refuse_a_bare_string():
    with pytest.raises(TypeError, match="names"):
        package_versions("numpy")


@pytest.mark.tensorflow  # imports TensorFlow in a subprocess
def test_tensorflow_status_says_it_imports():
    status = tensorflow_status()
    assert status.importable, status.message
    assert "TensorFlow 2." in status.message


def test_tensorflow_status_explains_a_failure(monkeypatch):
    import helpers.setup_check as setup_check

    monkeypatch.setattr(setup_check, "_TF_PROBE", "import tensorflow_that_does_not_exist")
    status = setup_check.tensorflow_status()
    assert not status.importable
    assert "No module named 'tensorflow_that_does_not_exist'" in status.message
    assert "make lab" in status.message
    assert "lessons 04-07 will not run" in status.message  # lesson 07 imports TensorFlow too


@pytest.mark.parametrize("bad", [0, -0.1, float("nan"), float("inf"), "0.1"])
def test_demo_refuses_bad_rates(bad):
    with pytest.raises(ValueError, match="lr must be a positive finite number"):
        demo_response(bad)


def test_demo_is_the_closed_form():
    np.testing.assert_allclose(demo_response(0.9, steps=4), (-0.8) ** np.arange(5))


def test_slider_redraws_and_relabels():
    app = CheckSlider(lr=0.3)
    app.sliders["lr"].value = 1.1
    np.testing.assert_allclose(app.line.get_ydata(), demo_response(1.1, steps=app.steps))
    assert "multiplied by 1.20" in app.label.value and "grows" in app.label.value
    assert app.suptitle.get_text() == app.label.value
    app.sliders["lr"].value = 0.5
    assert "multiplied by 0.00" in app.label.value and "shrinks" in app.label.value


def test_static_export_gets_a_picture():
    bundle = CheckSlider()._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["image/png"].startswith("iVBOR")  # base64 of the PNG signature


@pytest.mark.parametrize("lr", [0.3, 0.9, 1.1, 1.2])
def test_the_slider_axis_holds_every_iterate(lr):
    # at 1.1 and 1.2 the iterates grow to 8.9 and 56.7: the y-axis must grow with them, not clip them at ±3
    app = CheckSlider(lr=0.3)
    app.sliders["lr"].value = lr
    low, high = app.ax.get_ylim()
    path = demo_response(lr, steps=app.steps)
    assert low < path.min() and path.max() < high
    assert high == pytest.approx(1.15 * np.abs(path).max())


def test_path_ylim_refuses_an_empty_or_infinite_path():
    with pytest.raises(ValueError, match="path"):
        path_ylim([])
    with pytest.raises(ValueError, match="path"):
        path_ylim([1.0, np.inf])
    with pytest.raises(ValueError, match="margin"):
        path_ylim([1.0], margin=0.5)


@pytest.mark.parametrize("lr", [0.05, 0.3, 1.1, 1.2])
def test_the_fixed_reference_rate_has_its_own_colour_and_stays_on_both_panels(lr):
    # review r15 C10, r16 C1: the figure shows lr = 0.9 (below the threshold) next to 1.1 (above), visibly
    from matplotlib.colors import to_rgb

    app = CheckSlider(lr=0.3)
    try:
        app.sliders["lr"].value = lr
        reference = demo_response(0.9, steps=app.steps)
        np.testing.assert_allclose(app.reference.get_ydata(), reference)
        np.testing.assert_allclose(app.log_reference.get_ydata(), np.abs(reference))
        low, high = app.ax.get_ylim()
        assert low < reference.min() and reference.max() < high
        low, high = app.log_ax.get_ylim()
        assert low < np.abs(reference).min() and np.abs(reference).max() < high
        minimum = app.ax.get_lines()[-1]
        colours = {to_rgb(line.get_color()) for line in (app.reference, app.line, minimum)}
        assert len(colours) == 3  # the reference is neither the slider's colour nor the minimum's grey
        assert to_rgb(app.log_reference.get_color()) == to_rgb(app.reference.get_color())
        labels = [t.get_text() for t in app.log_ax.get_legend().get_texts()]
        assert labels == ["lr = 0.9\n(fixed)", "lr on\nthe slider", "minimum\nx = 0"]
    finally:
        app.close()


@pytest.mark.parametrize("lr", [0.05, 0.3, 0.9, 1.1, 1.2])
def test_the_log_panel_draws_the_distance_and_holds_it(lr):
    app = CheckSlider(lr=0.3)
    try:
        app.sliders["lr"].value = lr
        distance = np.abs(demo_response(lr, steps=app.steps))
        assert app.log_ax.get_yscale() == "log"
        np.testing.assert_allclose(app.log_line.get_ydata(), distance)
        low, high = app.log_ax.get_ylim()
        assert low < distance.min() and distance.max() < high
    finally:
        app.close()


def test_the_log_panel_leaves_out_the_exact_zero_at_one_half():
    app = CheckSlider(lr=0.5)
    try:
        drawn = app.log_line.get_ydata()
        assert drawn[0] == 1.0 and np.all(np.isnan(drawn[1:]))
        assert app.log_ax.get_ylim()[0] > 0
    finally:
        app.close()


def test_distance_ylim_spans_every_nonzero_distance_and_refuses_bad_paths():
    assert distance_ylim([1.0, -0.1, 0.0], [2.0]) == pytest.approx((0.1 / 3, 6.0))
    with pytest.raises(ValueError, match="paths"):
        distance_ylim([0.0, 0.0])
    with pytest.raises(ValueError, match="paths"):
        distance_ylim([1.0, np.nan])
    with pytest.raises(ValueError, match="paths"):
        distance_ylim()
    with pytest.raises(ValueError, match="margin"):
        distance_ylim([1.0], margin=1)


@pytest.mark.parametrize("bad", [0, 1.0, 1.1, -0.5, "0.9"])
def test_the_reference_rate_must_lie_below_the_threshold(bad):
    with pytest.raises(ValueError, match="reference_lr"):
        CheckSlider(reference_lr=bad)
