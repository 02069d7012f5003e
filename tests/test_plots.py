"""The drawing helpers draw what they are given: divergence marked, thresholds where they belong."""

import numpy as np
from matplotlib.figure import Figure  # a bare Figure draws with Agg whatever pyplot's backend

from helpers import plots
from helpers.descent import FLOAT32_MAX, blowup_clock, gradient_descent
from helpers.quadratic import Quadratic


def test_loss_plot_marks_the_divergence_step():
    bowl = Quadratic(20.0)
    run = gradient_descent(bowl.grad, [10.0], 0.12, 200, loss=bowl.loss)
    ax = Figure().subplots()
    artists = plots.draw_loss_per_step(ax, run)
    assert ax.get_yscale() == "log"
    assert list(artists["marker"].get_xdata()) == [run.diverged_at]
    assert artists["text"].get_text() == f"diverged at step {run.diverged_at}"
    x, y = artists["line"].get_data()
    assert x[-1] == run.diverged_at and np.all(y <= plots.LOSS_CEILING)


def test_clock_drawing_puts_predictions_and_observations_where_they_are():
    bowl = Quadratic(20.0)
    run = gradient_descent(bowl.grad, [10.0], 0.12, 200, loss=bowl.loss)
    clock = blowup_clock(run.losses[0], bowl.contraction(0.12) ** 2)
    ax = Figure().subplots()
    plots.draw_loss_per_step(ax, run)
    drawn = plots.draw_clock(ax, run, clock)
    for (threshold_line, predicted_line, mark), threshold, predicted in zip(drawn, clock.thresholds,
                                                                            clock.predicted):
        assert threshold_line.get_ydata()[0] == threshold
        assert predicted_line.get_xdata()[0] == predicted
        assert run.losses[int(mark.get_xdata()[0])] > threshold
    assert clock.thresholds[-1] == FLOAT32_MAX


def test_factor_panel_draws_the_threshold_at_two_over_curvature():
    ax = Figure().subplots()
    artists = plots.draw_factor_vs_lr(ax, 20.0, 0.12)
    assert artists["threshold"].get_xdata()[0] == 0.1
    np.testing.assert_allclose(artists["current"].get_ydata(), [1.4])


def test_rate_comparison_labels_come_from_the_runs():
    bowl = Quadratic(20.0)
    runs = [gradient_descent(bowl.grad, [1.0], lr, 50, loss=bowl.loss) for lr in (0.01, 0.12)]
    ax_bowl, ax_loss = Figure().subplots(1, 2)
    out = plots.draw_rate_comparison(ax_bowl, ax_loss, 20.0, runs)
    assert [a["steps"].get_label() for a in out] == ["lr = 0.01: factor 0.80 → converges",
                                                    "lr = 0.12: factor 1.40 → diverges"]


def test_finite_and_diverged_runs_get_their_own_panels_and_only_values_that_occurred():
    bowl = Quadratic(20.0)
    runs = {f"lr = {lr}": gradient_descent(bowl.grad, [1.0], lr, 150, loss=bowl.loss) for lr in (0.01, 0.12)}
    ax_ok, ax_bad = Figure().subplots(1, 2)
    lines = plots.draw_runs_by_outcome(ax_ok, ax_bad, runs, minimum=1e-9)
    assert lines["lr = 0.01"].axes is ax_ok and lines["lr = 0.12"].axes is ax_bad
    diverged = runs["lr = 0.12"]
    k, drawn = lines["lr = 0.12"].get_data()
    # The line ends at the divergence step, at the loss the run really computed there: no segment to a made-up value.
    assert k[-1] == diverged.diverged_at and drawn[-1] == diverged.losses[diverged.diverged_at]
    np.testing.assert_array_equal(drawn, diverged.losses[: diverged.diverged_at + 1])
    assert f"step {diverged.diverged_at}" in lines["lr = 0.12"].get_label()
    assert ax_bad.get_xlim()[1] < 1.2 * diverged.diverged_at + 2   # the diverged panel is scaled to its own run
