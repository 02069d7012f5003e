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


def _fix(losses, bad):
    from types import SimpleNamespace
    return SimpleNamespace(record=SimpleNamespace(loss=np.array(losses, dtype=float), first_nonfinite_step=bad))


def test_runs_never_draw_a_loss_that_did_not_occur_and_mark_the_nonfinite_step():
    ax = Figure().subplots()
    (line,) = plots.draw_runs(ax, [("blew up", np.array([10.0, 1e20, np.inf]), 2)])
    assert line.get_xdata().tolist() == [0, 1] and line.get_ydata().tolist() == [10.0, 1e20]
    marks = [m for m in ax.lines if m is not line]
    assert [m.get_xdata()[0] for m in marks] == [2]          # the triangle at step 2, on the top edge
    assert "inf/nan at step 2" in line.get_label()


def test_fix_runs_put_finite_and_diverged_runs_in_their_own_panels():
    ok, bad = _fix([9.0, 3.0, 1.0], None), _fix([9.0, 1e8, np.nan], 2)
    a, b = Figure().subplots(1, 2)
    plots.draw_fix_runs(a, b, [ok, bad], ["ok", "bad"])
    assert [line.get_label() for line in a.get_lines()] == ["ok"]
    assert b.get_lines()[0].get_label().startswith("bad")
    assert a.get_ylim()[1] < 100                             # the finite run is not squashed


def test_edge_runs_divide_the_sharpness_by_two_over_lr_and_separate_diverged_runs():
    from types import SimpleNamespace as R
    fine = R(loss=np.array([4.0, 2.0]), sharpness_steps=np.array([0]), sharpness=np.array([30.0]), lr=0.1, diverged_at=None)
    gone = R(loss=np.array([4.0, 4e7]), sharpness_steps=np.array([0]), sharpness=np.array([60.0]), lr=0.1, diverged_at=1)
    a, b, c = Figure().subplots(1, 3)
    out = plots.draw_edge_runs(a, c, [fine, gone], ["fine", "gone"], ax_diverged=b, relative=True)
    assert [e.get_ydata()[0] for e in out["edge"]] == [1.5, 3.0]
    assert [line.get_label() for line in a.get_lines()] == ["fine"]
    assert out["loss"][1].get_ydata().tolist() == [1.0, 1e7]
