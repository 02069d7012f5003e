"""The slider apps draw what the formulas say, update in place, and carry a static picture."""

import html

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

from helpers import plots
from helpers.descent import gradient_descent
from helpers.quadratic import Quadratic
from helpers.sliders import conditioning_app, lr_slider_app


@pytest.fixture(autouse=True)
def agg_backend():
    """Plain Agg (no kernel, every draw real) for these tests only; other modules keep theirs."""
    previous = matplotlib.get_backend()
    plt.switch_backend("Agg")
    yield
    plt.switch_backend(previous)


@pytest.fixture
def lesson1():
    app = lr_slider_app(lr=0.05, curvature=20.0)
    app.fig.canvas.draw()
    yield app
    app.close()


@pytest.fixture
def lesson2():
    app = conditioning_app(kappa=10.0, lr=0.05)
    app.fig.canvas.draw()
    yield app
    app.close()


@pytest.mark.parametrize("lr, curvature", [(0.12, 20.0), (0.12, 2.0), (0.01, 20.0), (0.3, 5.0)])
def test_lesson1_slider_moves_the_drawing_as_the_formula_says(lesson1, lr, curvature):
    lesson1.sliders["curvature"].value = curvature   # as if dragged
    lesson1.sliders["lr"].value = lr
    assert lesson1.state == {"lr": pytest.approx(lr), "curvature": pytest.approx(curvature)}
    factor = abs(1 - lr * curvature)
    # The steps on the parabola: w_k = w0 (1 - lr f'')^k, at height f''/2 w_k².
    x, y = lesson1.artists["steps"].get_data()
    k = np.arange(len(x))
    np.testing.assert_allclose(x, (1 - lr * curvature) ** k)
    np.testing.assert_allclose(y, curvature / 2 * x**2)
    # The loss curve is the run's loss, and the cross sits on the divergence step.
    run = gradient_descent(lambda w: curvature * w, [1.0], lr, lesson1.steps,
                           loss=lambda w: curvature / 2 * float(w @ w))
    steps, losses = lesson1.artists["loss"]["line"].get_data()
    expected = run.losses[np.isfinite(run.losses) & (run.losses >= plots.LOSS_FLOOR)]
    np.testing.assert_allclose(losses, np.minimum(expected, plots.LOSS_CEILING))
    marker_x = list(lesson1.artists["loss"]["marker"].get_xdata())
    assert marker_x == ([run.diverged_at] if run.diverged else [])
    # The threshold line sits at 2/f'', the dot at (lr, factor), the label prints the factor.
    assert lesson1.artists["factor"]["threshold"].get_xdata()[0] == pytest.approx(2 / curvature)
    np.testing.assert_allclose(lesson1.artists["factor"]["current"].get_data(),
                               [[lr], [min(factor, 2.9)]])
    title = lesson1.suptitle.get_text()
    assert f"|1 - lr·f''| = {factor:.3f}" in title
    assert ("diverges" in title) == (lr > 2 / curvature)
    assert html.unescape(lesson1.label.value) == title


def test_lesson1_factor_curve_follows_curvature(lesson1):
    lesson1.update(curvature=7.0)
    curve = lesson1.artists["factor"]["curve"]
    lrs, values = curve.get_data()
    np.testing.assert_allclose(values, np.abs(1 - np.asarray(lrs) * 7.0))
    assert lesson1.artists["factor"]["threshold_text"].get_text().strip() == "2/f'' = 0.286"


@pytest.mark.parametrize("lr, kappa", [(0.05, 10.0), (0.15, 10.0), (0.25, 10.0), (0.02, 90.0)])
def test_lesson2_path_components_and_levels_follow_the_formulas(lesson2, lr, kappa):
    lesson2.sliders["kappa"].value = kappa
    lesson2.sliders["lr"].value = lr
    q = Quadratic.from_eigenvalues([10.0 / kappa, 10.0], angle=lesson2.angle)     # sharpness fixed at 10
    run = gradient_descent(q.grad, lesson2.w0, lr, lesson2.steps, loss=q.loss)
    finite = run.path[np.all(np.isfinite(run.path), axis=1)]
    np.testing.assert_allclose(np.transpose(lesson2.artists["path"].get_data()), finite)
    c0 = q.eigenvectors.T @ lesson2.w0
    for line, c, lam in zip(lesson2.artists["components"], c0, q.eigenvalues):
        k, drawn = line.get_data()
        expected = np.clip(np.abs(c * (1 - lr * lam) ** np.asarray(k)), 1e-30, 1e30)
        np.testing.assert_allclose(drawn, expected, rtol=1e-9,
                                   atol=1e-12 * np.abs(c0).max() * max(1.0, q.contraction(lr)) ** lesson2.steps)
    for line, level in zip(lesson2.artists["levels"], lesson2._levels(q)):
        np.testing.assert_allclose(q.loss(np.transpose(line.get_data())), level, rtol=1e-9)
    for text, lam in zip(lesson2.labels, q.eigenvalues):
        assert f"factor 1 - lr·λ = {1 - lr * lam:+.3f}" in text.get_text()
    title = lesson2.suptitle.get_text()
    assert f"worst |factor| {max(abs(1 - lr * 10 / kappa), abs(1 - lr * 10)):.3f}" in title
    assert ("diverges" in title) == (lr > 0.2)
    assert f"{q.best_rate:.3f}" in lesson2.best_text.get_text()


@pytest.mark.parametrize("kappa", [1.0, 3.0, 10.0, 40.0, 100.0])
def test_lesson2_kappa_moves_only_the_flat_eigenvalue_never_the_threshold(lesson2, kappa):
    """Review r14 (lesson 2, B5): the κ slider used eigenvalues 1 and κ, so raising κ raised λ_max and
    pulled the threshold 2/λ_max down, teaching that κ sets it. Now λ_max stays at the app's sharpness."""
    lesson2.sliders["lr"].value = 0.15
    lesson2.sliders["kappa"].value = kappa
    q = lesson2.quadratic()
    np.testing.assert_allclose(q.eigenvalues, [10.0 / kappa, 10.0])
    assert q.critical_lr == pytest.approx(0.2)
    title = lesson2.suptitle.get_text()
    assert "λ_max = 10 (fixed)" in title and "2/λ_max = 0.2 →" in title and f"κ = {kappa:.3g}" in title
    assert "converges" in title                     # 0.15 < 0.2 whatever κ is
    assert lesson2.labels[1].get_text() == "λ = 10: factor 1 - lr·λ = -0.500"


def test_lesson2_app_refuses_a_condition_number_below_one():
    with pytest.raises(ValueError, match="kappa must be at least 1"):
        conditioning_app(kappa=0.5)


def _pixels(app):
    return np.asarray(app.fig.canvas.buffer_rgba()).copy()


@pytest.mark.parametrize("make, change", [(lambda: lr_slider_app(lr=0.05), {"lr": 0.15}),
                                          (lambda: lr_slider_app(lr=0.05), {"curvature": 3.0}),
                                          (lambda: conditioning_app(lr=0.05), {"lr": 0.19}),
                                          (lambda: conditioning_app(lr=0.05), {"kappa": 40.0})])
def test_fast_update_shows_the_same_picture_as_a_full_redraw(make, change):
    app = make()
    app.fig.canvas.draw()
    before = _pixels(app)
    app.update(**change)          # restores the cached static part and draws the moving artists
    fast = _pixels(app)
    assert (fast != before).any(axis=-1).mean() > 0.001, "the picture did not change"
    app.fig.canvas.draw()         # a full redraw of the same state
    full = _pixels(app)
    differ = (np.abs(fast.astype(int) - full.astype(int)) > 40).any(axis=-1).mean()
    app.close()
    assert differ < 0.002, f"{differ:.2%} of pixels differ between the fast update and a full draw"


def test_full_redraw_mode_draws_every_time():
    app = lr_slider_app(lr=0.05, blit=False)
    draws = []
    app.fig.canvas.mpl_connect("draw_event", lambda event: draws.append(1))
    app.update(lr=0.2)
    app.update(lr=0.3)
    assert len(draws) == 2
    app.close()


def test_display_carries_a_png_and_the_widget_view(lesson1):
    bundle = lesson1._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    import base64
    assert base64.b64decode(bundle["image/png"])[:8] == b"\x89PNG\r\n\x1a\n"


def test_png_includes_the_moving_artists(lesson1):
    """Artists drawn by blitting are 'animated'; the saved picture must still show them."""
    with_lines = lesson1.png()
    for artist in lesson1.dynamic:
        artist.set_visible(False)
    without = lesson1.png()
    assert with_lines != without


def test_without_a_widget_canvas_the_box_shows_an_image_that_follows_the_slider(lesson1):
    import ipywidgets as widgets

    box = lesson1.widget
    image = box.children[-1]
    assert isinstance(image, widgets.Image)
    before = image.value
    lesson1.sliders["lr"].value = 0.3
    assert image.value != before


def test_a_new_app_closes_the_figure_of_the_one_it_replaces():
    first = lr_slider_app()
    second = lr_slider_app()
    open_figures = [plt.figure(n) for n in plt.get_fignums()]
    assert first.fig not in open_figures and second.fig in open_figures
    second.close()


def test_bad_values_are_refused():
    app = lr_slider_app()
    with pytest.raises(ValueError, match="lr must be a positive finite number, got -1.0"):
        app.update(lr=-1.0)
    with pytest.raises(TypeError, match="unknown"):
        app.update(kappa=3.0)
    app.close()
    with pytest.raises(ValueError, match="curvature"):
        lr_slider_app(curvature=0.0)


class WebFrontEnd:
    """Plays ipympl's browser side of one figure through the canvas widget's public comm.

    ``say(type)`` delivers a message from the page (``refresh``, ``initialized``, ``draw``...);
    ``heard`` lists what the kernel sent back: event types, and ``"image"`` for each picture.
    """

    def __init__(self, canvas):
        import json

        self.canvas, self.heard = canvas, []
        canvas.send = lambda content, buffers=None: self.heard.append(
            "image" if buffers else json.loads(content["data"])["type"])

    def say(self, kind):
        self.canvas.comm.handle_msg({"content": {"data": {"method": "custom", "content": {"type": kind}}},
                                     "buffers": []})

    def take(self):
        heard, self.heard = self.heard, []
        return heard


@pytest.fixture
def web_canvas():
    """pyplot on ipympl's canvas (matplotlib's web canvas: ``supports_blit`` is False)."""
    plt.switch_backend("module://ipympl.backend_nbagg")
    yield
    plt.close("all")


def _grid_app():
    from helpers.sliders import lr_grid_app

    curves = [np.geomspace(1e4, 1e2, 30), np.geomspace(1e4, 1e40, 30)]
    return lr_grid_app([1e-4, 1e-3], curves, critical_lr=3e-4, lr=1e-3)


@pytest.mark.filterwarnings(r"ignore:Passing unrecognized arguments to super\(Toolbar\):DeprecationWarning")
@pytest.mark.parametrize("make, change", [(lr_slider_app, {"lr": 0.3}), (conditioning_app, {"kappa": 40.0}),
                                          (_grid_app, {"lr": 1e-4})], ids=["lesson1", "lesson2", "lesson4"])
def test_on_the_web_canvas_every_image_answers_a_draw_request(web_canvas, make, change):
    """The browser shows the newest image it received; an image it did not ask for can displace
    the full image it was still decoding and leave only a difference image on a blank canvas."""
    app = make()
    assert not app.fig.canvas.supports_blit
    page = WebFrontEnd(app.fig.canvas)
    # A new view's greeting, as the kernel reads it after a busy Run All: all at once.
    for kind in ("refresh", "send_image_mode", "initialized"):
        page.say(kind)
    assert "image" not in page.take(), "an image was pushed to a new view without a draw request"
    app.update(**change)
    assert page.take() == ["draw"], "a slider change must ask the page to request a redraw"
    page.say("draw")
    assert page.take().count("image") == 1
    app.close()


@pytest.mark.filterwarnings(r"ignore:Passing unrecognized arguments to super\(Toolbar\):DeprecationWarning")
@pytest.mark.parametrize("make", [lr_slider_app, conditioning_app, _grid_app], ids=["lesson1", "lesson2", "lesson4"])
def test_on_the_web_canvas_the_size_is_sent_before_any_view_exists(web_canvas, make):
    """A view rendered while the canvas's size is still 0 x 0 keeps a 0 x 0 canvas (ipympl resizes
    views only on its own resize message): the size must be in the widget's state at display."""
    app = make()
    page = WebFrontEnd(app.fig.canvas)
    app._repr_mimebundle_()                       # what displaying the app does, before any view
    width, height = app.fig.canvas.get_state()["_size"]
    assert (width, height) == pytest.approx(tuple(app.fig.bbox.size))
    assert page.take() == ["resize"]
    app.close()


def test_lr_grid_right_panel_shows_where_each_rate_ended():
    """Finite runs at their final loss, blown-up runs as crosses in a band above them, 2/λ_max dashed."""
    from helpers.sliders import lr_grid_app

    lrs = [1e-5, 1e-4, 1e-3, 1e-2]
    curves = [np.array([1e4, 8e3, 5e3]), np.array([1e4, 2e3, 600.0]), np.array([1e4, 1e9, np.inf]),
              np.array([1e4, np.inf])]
    app = lr_grid_app(lrs, curves, critical_lr=3e-4, lr=1e-3, final_losses=[4e3, 500.0, np.nan, np.nan])
    try:
        ax = app.fig.axes[1]
        finite = [l for l in ax.get_lines() if l.get_marker() == "o" and len(l.get_xdata()) > 1][0]
        np.testing.assert_array_equal(finite.get_ydata(), [4e3, 500.0])
        assert finite.get_linestyle() == "None"      # not joined: no trend drawn through run-to-run scatter
        crosses = [l for l in ax.get_lines() if l.get_marker() == "X"][0]
        np.testing.assert_array_equal(crosses.get_xdata(), [1e-3, 1e-2])
        band = crosses.get_ydata()[0]
        assert band > 10 * 1e4 and band < ax.get_ylim()[1]        # above every finite value, inside the axes
        assert [t.get_text() for t in ax.texts if t.get_text().isdigit()] == ["2", "1"]  # the inf steps
        # r15 C19: the band is labelled as an outcome, and no loss tick lies in it
        label = next(t for t in ax.texts if "band: reached inf/nan, not a loss value" in t.get_text())
        assert band / 10 < label.get_position()[1] < ax.get_ylim()[1]
        assert max(ax.get_yticks()) < band / 10
        assert "2/λ_max = 0.0003" in ax.get_legend_handles_labels()[1][-1]
        assert app.suptitle.get_text() == "lr = 0.001 is 3.3 × 2/λ_max (above it): loss reached inf/nan at step 2"
        app.update(lr=1e-4)
        assert list(app.current.get_ydata()) == [500.0]
        with pytest.raises(ValueError, match="final_losses must hold one loss per lr"):
            lr_grid_app(lrs, curves, critical_lr=3e-4, final_losses=[1.0])
    finally:
        app.close()


def test_lr_grid_with_full_data_losses_plots_one_quantity_on_its_right_panel():
    """With per-step full-data losses the right panel's spikes and start line are full-data values, like its
    full-data final losses: a minibatch spike that the full-data loss did not share draws no triangle."""
    from helpers.sliders import lr_grid_app

    lrs = [1e-5, 1e-4, 1e-3]
    curves = [np.concatenate([[1.1e4, 3e4], np.full(58, 5e3)]), np.concatenate([[1.1e4, 2e4], np.full(58, 600.0)]),
              np.array([1.1e4, 1e9, np.inf])]
    full = [np.concatenate([[1e4], np.full(59, 4e3)]), np.concatenate([[1e4, 1.8e4], np.full(58, 550.0)]),
            np.array([1e4, 9e8])]
    app = lr_grid_app(lrs, curves, critical_lr=3e-4, lr=1e-3, final_losses=[4e3, 500.0, np.nan], full_losses=full)
    try:
        ax = app.fig.axes[1]
        peaks = [l for l in ax.get_lines() if l.get_marker() == "^"][0]
        np.testing.assert_array_equal(peaks.get_xdata(), [1e-4])      # the first run's spike was minibatch-only
        np.testing.assert_array_equal(peaks.get_ydata(), [1.8e4])
        start = [l for l in ax.get_lines() if l.get_linestyle() == ":"][0]
        assert list(start.get_ydata()) == [1e4, 1e4]                   # the full-data start, not the minibatch one
        assert any(t.get_text() == " first full-data loss (10,000)" for t in ax.texts)
        labels = " ".join(ax.get_legend_handles_labels()[1])
        assert "minibatch" not in labels and "highest full-data loss" in labels
        assert ax.get_ylabel() == "full-data loss (log)"
        with pytest.raises(ValueError, match="full_losses must hold one array per lr"):
            lr_grid_app(lrs, curves, critical_lr=3e-4, full_losses=full[:2])
    finally:
        app.close()


def test_lr_grid_shows_spikes_the_baseline_and_fits_the_step_axis_to_the_selected_run():
    """A spike on the way (highest minibatch loss after step 0) and the mean predictor's loss are visible;
    a 3-step run is not squeezed into a 60-step axis."""
    from helpers.sliders import lr_grid_app

    lrs = [1e-5, 1e-4, 1e-3]
    curves = [np.full(60, 5e3), np.concatenate([[1e4, 2e4], np.full(58, 600.0)]), np.array([1e4, 1e9, np.inf])]
    app = lr_grid_app(lrs, curves, critical_lr=3e-4, lr=1e-3, final_losses=[4e3, 500.0, np.nan], baseline=120.0)
    try:
        ax_loss, ax = app.fig.axes[:2]
        peaks = [l for l in ax.get_lines() if l.get_marker() == "^"][0]
        np.testing.assert_array_equal(peaks.get_ydata(), [2e4])   # the second run's spike; the flat first run has none
        np.testing.assert_array_equal(peaks.get_xdata(), [1e-4])
        assert 2e4 < ax.get_ylim()[1]
        baseline = [l for l in ax.get_lines() if l.get_linestyle() == "-."][0]
        assert list(baseline.get_ydata()) == [120.0, 120.0] and ax.get_ylim()[0] < 120.0
        assert "predicting the mean target (120)" in " ".join(ax.get_legend_handles_labels()[1])
        assert ax_loss.get_xlim() == (-0.5, 7.5)            # the 3-step run: at least 8 steps shown
        app.update(lr=1e-5)
        assert ax_loss.get_xlim() == (-0.5, 59.5)
        with pytest.raises(ValueError, match="baseline must be a positive"):
            lr_grid_app(lrs, curves, critical_lr=3e-4, baseline=-1.0)
    finally:
        app.close()


@pytest.mark.parametrize("lr, curvature", [(0.12, 20.0), (0.01, 20.0), (0.9, 2.0), (3.0, 50.0)])
def test_lesson1_parabola_panel_holds_every_drawn_step(lesson1, lr, curvature):
    lesson1.update(lr=lr, curvature=curvature)
    x, y = lesson1.artists["steps"].get_data()
    (x0, x1), (y0, y1) = lesson1.axes["bowl"].get_xlim(), lesson1.axes["bowl"].get_ylim()
    assert x0 <= np.min(x) and np.max(x) <= x1 and y0 <= np.min(y) and np.max(y) <= y1
    assert lesson1.scale_text.get_text() == f"steps: w from {np.min(x):.3g} to {np.max(x):.3g}"


@pytest.mark.parametrize("make", [lambda: lr_slider_app(lr=0.12), lambda: conditioning_app(lr=0.18)])
def test_every_text_of_the_apps_is_readable_on_a_projector(make):
    from helpers.sliders import PROJECTOR_FONT_SIZE

    app = make()
    app.fig.canvas.draw()
    texts = [t for t in app.fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text()]
    small = {t.get_text(): t.get_fontsize() for t in texts if t.get_fontsize() < PROJECTOR_FONT_SIZE}
    app.close()
    assert len(texts) > 10 and not small, small


def test_lesson2_path_stays_in_the_panel_at_the_lessons_setting():
    app = conditioning_app(kappa=10.0, lr=0.15)      # what lesson 2 shows first
    x, y = app.artists["path"].get_data()
    (x0, x1), (y0, y1) = app.axes["path"].get_xlim(), app.axes["path"].get_ylim()
    app.close()
    assert x0 <= np.min(x) and np.max(x) <= x1 and y0 <= np.min(y) and np.max(y) <= y1


def test_lr_grid_mentions_the_epoch_line_only_when_the_selected_run_reaches_it():
    """The grey end-of-epoch line is explained in the x label only when the step axis shows it."""
    from helpers.sliders import lr_grid_app

    curves = [np.full(60, 5e3), np.array([1e4, 1e9, np.inf])]
    app = lr_grid_app([1e-4, 1e-3], curves, critical_lr=3e-4, lr=1e-3, steps_per_epoch=20)
    try:
        ax_loss = app.fig.axes[0]
        assert ax_loss.get_xlabel() == "SGD step"
        app.update(lr=1e-4)
        assert "grey line: end of each epoch of 20 steps" in ax_loss.get_xlabel()
    finally:
        app.close()


def test_lr_grid_left_panel_labels_the_inf_cross_tick_inf():
    """Round 8: an inf loss is drawn at LOSS_CEILING; that tick reads "inf", not a number that never occurred."""
    from helpers.sliders import lr_grid_app

    app = lr_grid_app([1e-4, 1e-3], [np.array([1e4, 2e3, 600.0]), np.array([1e4, 1e9, np.inf])], critical_lr=3e-4, lr=1e-3)
    try:
        ax = app.fig.axes[0]
        formatter = ax.yaxis.get_major_formatter()
        assert formatter(plots.LOSS_CEILING, 0) == "inf" and formatter(1e12, 0) == "1e12"
        assert plots.LOSS_CEILING in ax.yaxis.get_major_locator()()
    finally:
        app.close()
