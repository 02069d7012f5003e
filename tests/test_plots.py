"""The drawing helpers draw what they are given: divergence marked, thresholds where they belong."""

import math

import numpy as np
import pytest
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
    # review r15 B5: the legend says "grows" for a factor above 1; "diverged" is kept for the float32 cross
    assert [a["steps"].get_label() for a in out] == ["lr = 0.01: factor 0.80 → |w| shrinks",
                                                    "lr = 0.12: factor 1.40 → |w| grows"]


def test_rate_comparison_says_stays_at_a_factor_of_exactly_one():
    bowl = Quadratic(2.0)
    runs = [gradient_descent(bowl.grad, [1.0], 1.0, 10, loss=bowl.loss)]
    ax_bowl, ax_loss = Figure().subplots(1, 2)
    (out,) = plots.draw_rate_comparison(ax_bowl, ax_loss, 2.0, runs)
    assert out["steps"].get_label() == "lr = 1: factor 1.00 → |w| stays"


# ---------------------------------------------------------------- lesson 4
def _run(lr, loss, steps_per_epoch=4):
    from types import SimpleNamespace

    loss = np.array(loss, dtype=float)
    bad = np.flatnonzero(~np.isfinite(loss))
    first = int(bad[0]) if bad.size else None
    finite = loss[np.isfinite(loss)]
    return SimpleNamespace(lr=lr, losses=loss, full_losses=0.9 * loss, diverged_at=first,
                           diverged=first is not None, outcome="inf" if first is not None else "trained",
                           steps_per_epoch=steps_per_epoch, loss_ratios=finite[1:] / finite[:-1],
                           initial_loss=0.9 * loss[0], final_loss=0.9 * finite[-1])


def test_two_rate_figure_draws_only_values_that_occurred_each_run_on_its_own_axis():
    blown = _run(1e-3, [1e4, 2e3, 1e9, 1e20, np.inf])
    trained = _run(1e-4, [1e4, 6e3, 3e3, 2e3, 1.5e3, 1e3])
    ax_blow, ax_train = Figure().subplots(1, 2)
    lines = plots.draw_blowup_and_training(ax_blow, ax_train, blown, trained, critical_lr=4e-4, baseline=100.0)
    np.testing.assert_array_equal(lines["blown"].get_ydata(), [1e4, 2e3, 1e9, 1e20])  # no segment to inf
    # The inset zooms on the first steps, before the loss passed a million, so their bounce is readable.
    np.testing.assert_array_equal(lines["inset"].get_lines()[0].get_ydata(), [1e4, 2e3])
    # The left axis has a tick every three decades from 1e3, so "thousands" can be read off it.
    assert 1e3 in ax_blow.get_yticks() and 1e6 in ax_blow.get_yticks()
    # The run that stayed finite shows its full-data loss and the mean predictor's loss as well.
    # ... before each step, then after the last: the line ends at the final loss the title quotes.
    np.testing.assert_array_equal(lines["trained_full"].get_ydata(), np.append(trained.full_losses, trained.final_loss))
    assert any("predicting the mean" in label for label in ax_train.get_legend_handles_labels()[1])
    assert "full-data loss 9,000 → 900" in ax_train.get_title()
    # The first non-finite step is marked by a vertical line and a cross on the top edge (axes coordinates).
    crosses = [l for l in ax_blow.get_lines() if l.get_marker() == "X"]
    assert [list(c.get_xdata()) for c in crosses] == [[4]] and list(crosses[0].get_ydata()) == [1.0]
    # The run that trained gets an axis scaled to its own losses and the baseline, not to the blow-up's.
    low, high = ax_train.get_ylim()
    assert low == 50 and high < 1e5
    title = ax_blow.figure.get_suptitle()
    assert "lr = 0.001 blows up" in title and "lr = 0.0001 stays finite" in title
    assert "Outcome: inf, stayed finite" in title


def test_two_rate_figure_without_a_threshold_gives_the_outcomes_only():
    """Lesson 4 shows the two runs before it measures the sharpness: no 2/λ_max in any title then."""
    blown = _run(1e-3, [1e4, 2e3, 1e9, 1e20, np.inf])
    trained = _run(1e-4, [1e4, 6e3, 3e3, 2e3, 1.5e3, 1e3])
    ax_blow, ax_train = Figure().subplots(1, 2)
    plots.draw_blowup_and_training(ax_blow, ax_train, blown, trained, baseline=100.0)
    title = ax_blow.figure.get_suptitle()
    assert title == "Same initial weights, same minibatches: lr = 0.001 reached inf, lr = 0.0001 stayed finite."
    assert ax_blow.get_title() == "lr = 0.001: inf at step 4"
    assert ax_train.get_title() == "lr = 0.0001: full-data loss 9,000 → 900"
    assert not any("λ" in t for t in (title, ax_blow.get_title(), ax_train.get_title()))


def test_step_check_figure_draws_prediction_actual_and_error():
    from types import SimpleNamespace

    lrs = np.geomspace(1e-6, 1e-2, 9)
    predicted = -lrs * 1e7 + lrs**2 * 1.2e10
    actual = predicted * (1 + lrs * 100)
    top = (lrs**2 / 2 * 5e3 - lrs) * 2e6                      # the part along v: positive above 2/λ_max = 4e-4
    check = SimpleNamespace(lrs=lrs, predicted=predicted, predicted_top=top, actual=actual, loss=1e4, tolerance=0.1,
                            relative_error=np.abs(predicted - actual) / np.abs(actual), valid_up_to=1e-3,
                            actual_turns_positive_at=lrs[np.argmax(actual > 0)],
                            index=lambda lr: int(np.argmin(np.abs(np.log(lrs / lr)))))
    ax_change, ax_error = Figure().subplots(1, 2)
    out = plots.draw_step_check(ax_change, ax_error, check, critical_lr=4e-4)
    np.testing.assert_array_equal(out["predicted"].get_ydata(), predicted)
    np.testing.assert_array_equal(out["actual"].get_ydata(), actual)
    np.testing.assert_allclose(out["error"].get_ydata(), check.relative_error)
    np.testing.assert_allclose(out["error_of_loss"].get_ydata(), np.abs(predicted - actual) / 1e4)
    k = int(np.argmax(actual > 0))                            # the actual change turns positive between k - 1 and k
    assert 0 < k and any(label.startswith(f"actual ΔL crosses 0 (η {lrs[k - 1]:.2g} to {lrs[k]:.2g})")
                         for label in [p.get_label() for p in ax_error.patches])
    assert ax_change.get_ylim() == (-2e4, 2e4) and "up to η = 0.001" in ax_error.get_title()
    # above 2/λ_max one step's part along v is positive, its total need not be (lesson 4's split)
    assert ("2/λ_max = 0.0004: above it, the part along v\n(green dashed) is positive (the total need not be)"
            in ax_change.get_legend_handles_labels()[1])
    np.testing.assert_allclose(out["predicted_top"].get_ydata(), top)              # r20 C14: the part along v is drawn
    assert np.all(top[lrs > 4e-4] > 0) and np.all(top[lrs < 4e-4] < 0)
    assert "2/λ_max = 0.0004" in ax_error.get_legend_handles_labels()[1]     # r15 C18: the right panel names its line too
    for ax in (ax_change, ax_error):                                         # r16 C16: the circles are named
        assert "η = 0.0001, 0.001 (black circles)" in ax.get_legend_handles_labels()[1]


def test_the_loss_along_steps_is_drawn_relative_to_the_loss_before_each_step():
    t = np.linspace(0, 1, 11)
    losses = {1: 1728 * (1 - 3 * t + 8 * t**2), 6: 1.1e5 * (1 + 1e3 * t**2 - 40 * t)}
    ax = Figure().subplots()
    lines = plots.draw_loss_along_steps(ax, t, losses, lr=1e-3)
    for step, loss in losses.items():
        np.testing.assert_allclose(lines[step].get_ydata(), loss / loss[0])
        assert f"× {loss[-1] / loss[0]:.2g} at t = 1" in lines[step].get_label()
    assert ax.get_yscale() == "log" and "1, 6" in ax.get_title()
    lowest = min((loss / loss[0]).min() for loss in losses.values())
    highest = max((loss / loss[0]).max() for loss in losses.values())
    bottom, top = ax.get_ylim()                                  # r17 C10: the y-axis spans the data, not far below it
    assert lowest / 3 < bottom < lowest and highest < top < highest * 3
    assert [l.get_ydata()[0] for l in ax.get_lines() if l.get_linestyle() == "--"] == [1]   # the loss before
    names = ax.get_legend_handles_labels()[1]                                  # r16 C17: dots and squares named
    assert "dot: the lowest point on the line" in names and "square: where the step landed (t = 1)" in names


def test_sharpness_figure_draws_lambda_max_and_the_loss_per_run():
    from types import SimpleNamespace

    traces = [SimpleNamespace(lr=1e-3, steps=np.arange(4), sharpness=np.array([5e3, 3e4, 4e3, 6e9]),
                              full_losses=np.array([1e4, 2e3, 8e3, 3e12])),
              SimpleNamespace(lr=1e-4, steps=np.arange(0, 8, 2), sharpness=np.array([5e3, 1e4, 1.5e4, 1.9e4]),
                              full_losses=np.array([1e4, 900.0, 600.0, 500.0]))]
    runs = [_run(1e-3, [1e4, 2e3, 8e3, 3e12, np.inf]), _run(1e-4, [1e4] * 8)]
    axes = Figure().subplots(2, 2)
    lines = plots.draw_sharpness_along(axes, traces, runs)
    for column, line, trace in zip(axes.T, lines, traces):
        ax_lam, ax_loss = column
        np.testing.assert_array_equal(line.get_ydata(), trace.sharpness)
        dashed = [l.get_ydata()[0] for l in ax_lam.get_lines() if l.get_linestyle() == "--"]
        assert dashed == [2 / trace.lr]                      # the stability line 2/η of that run
        assert ax_lam.get_ylim()[1] > max(trace.sharpness.max(), 2 / trace.lr)
        np.testing.assert_array_equal(ax_loss.get_lines()[0].get_ydata(), trace.full_losses)   # the loss on its own axis
    # λ_max spanning six decades gets a log axis; one that stays within a decade a linear axis from 0,
    # so its approach to 2/η is not squashed.
    assert axes[0, 0].get_yscale() == "log"
    assert axes[0, 1].get_yscale() == "linear" and axes[0, 1].get_ylim()[0] == 0
    assert axes[0, 1].get_ylim()[1] < 1.2 * 2 / 1e-4
    dotted = [l for l in axes[1, 0].get_lines() if l.get_linestyle() == ":"]
    assert [list(l.get_xdata()) for l in dotted] == [[4, 4]]   # the inf step is marked, not drawn
    assert "5,000 at step 0, largest 6e+09 at step 3" in axes[0, 0].get_title()


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


def test_the_minimum_line_is_named_after_the_loss():
    """Review r14 (lesson 2, D10): the regression's legend said "loss" where the lesson says "MSE"."""
    bowl = Quadratic(20.0)
    runs = {"lr = 0.01": gradient_descent(bowl.grad, [1.0], 0.01, 20, loss=bowl.loss)}
    ax_ok, ax_bad = Figure().subplots(1, 2)
    plots.draw_runs_by_outcome(ax_ok, ax_bad, runs, minimum=17.7, loss_name="MSE")
    assert "smallest possible MSE 17.7" in [t.get_text() for t in ax_ok.get_legend().get_texts()]
    with pytest.raises(ValueError, match="loss_name"):
        plots.draw_runs_by_outcome(ax_ok, ax_bad, runs, loss_name="")


def _fix(losses, bad):
    from types import SimpleNamespace
    return SimpleNamespace(record=SimpleNamespace(losses=np.array(losses, dtype=float), diverged_at=bad))


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


def test_edge_runs_divide_the_sharpness_by_two_over_lr_and_separate_stopped_runs():
    from types import SimpleNamespace as R
    fine = R(losses=np.array([4.0, 2.0]), sharpness_steps=np.array([0]), sharpness=np.array([30.0]), lr=0.1, stopped_at=None)
    gone = R(losses=np.array([4.0, 4e7]), sharpness_steps=np.array([0]), sharpness=np.array([60.0]), lr=0.1, stopped_at=1)
    a, b, c = Figure().subplots(1, 3)
    out = plots.draw_edge_runs(a, c, [fine, gone], ["fine", "gone"], ax_diverged=b, relative=True)
    assert [e.get_ydata()[0] for e in out["edge"]] == [1.5, 3.0]
    assert [line.get_label() for line in a.get_lines()] == ["fine"]
    assert out["loss"][1].get_ydata().tolist() == [1.0, 1e7]


def test_edge_runs_say_when_a_run_was_measured_only_once():
    from types import SimpleNamespace as R
    once = R(losses=np.array([4.0, 4e7]), sharpness_steps=np.array([0]), sharpness=np.array([60.0]), lr=0.1, stopped_at=1)
    twice = R(losses=np.array([4.0, 2.0, 1.0]), sharpness_steps=np.array([0, 2]), sharpness=np.array([30.0, 10.0]),
              lr=0.1, stopped_at=None)
    a, b = Figure().subplots(1, 2)
    out = plots.draw_edge_runs(a, b, [twice, once], ["twice", "once"])
    assert [e.get_label() for e in out["edge"]] == ["twice", "once (sharpness measured once, at step 0)"]


def test_edge_runs_name_the_stopping_criterion_and_the_ratio_when_asked():
    from types import SimpleNamespace as R
    gone = R(losses=np.array([4.0, 4e7]), sharpness_steps=np.array([0]), sharpness=np.array([60.0]), lr=0.1, stopped_at=1)
    a, b = Figure().subplots(1, 2)
    plots.draw_edge_runs(a, b, [gone], ["run"], stop_label="loss > 1e6 x start", ratio_label="lr / (2/sharpness)")
    assert a.get_lines()[0].get_label() == "run: loss > 1e6 x start at step 1"
    assert b.get_ylabel() == "lr / (2/sharpness)" and b.get_lines()[-1].get_label() == "lr / (2/sharpness) = 1"


def test_edge_columns_shade_the_steps_after_a_sharpness_above_the_edge_and_count_the_rises_in_the_shade():
    """Lesson 6's five-seed figure: a measurement stands for the steps up to the next one; rises are counted in the title."""
    import pytest
    from types import SimpleNamespace as R
    run = R(losses=np.array([1.0, 2.0, 1.5, 1.8, 1.0, 1.2]), sharpness_steps=np.array([0, 2, 4]),
            sharpness=np.array([25.0, 15.0, 25.0]), lr=0.1, stopped_at=None)      # above, below, above the edge (20)
    assert plots.above_edge_spans(run) == ([(0, 2), (4, 5)], 3, 2)                # rises at steps 0, 2, 4; step 2 unshaded
    top, bottom = Figure().subplots(2, 1)
    out = plots.draw_edge_columns([top], [bottom], [run], ["seed 0"])
    spans = sorted({(p.get_x(), p.get_x() + p.get_width()) for p in out["shade"]})
    assert spans == [(0, 2), (4, 5)] and len(out["shade"]) == 4                    # both rows shaded
    assert top.get_title() == "seed 0\n3 rising steps, 2 shaded"
    (legend,) = bottom.figure.legends                                              # below the figure, off the data
    assert [t.get_text() for t in legend.get_texts()] == ["sharpness above 2/lr (last measured)", "edge: sharpness = 2/lr"]
    gone = R(losses=np.array([1.0, 2.0, 3.0, np.inf]), sharpness_steps=np.array([0]), sharpness=np.array([25.0]),
             lr=0.1, stopped_at=2)                                                # steps after the divergence do not count
    assert plots.above_edge_spans(gone) == ([(0, 2)], 2, 2)
    with pytest.raises(ValueError, match="sharpness_steps"):
        plots.above_edge_spans(R(losses=run.losses, sharpness_steps=np.array([0]), sharpness=np.array([1.0, 2.0]), lr=0.1,
                                 stopped_at=None))


def test_minibatch_sharpness_draws_a_tick_per_batch_and_counts_those_sharper_than_the_full_batch():
    from types import SimpleNamespace   # the fields of helpers.dynamics.MinibatchSharpness, without TensorFlow

    result = SimpleNamespace(full=5.0, batches=np.array([4.0, 4.5, 5.5, 6.0, 7.0]), batch_size=8)
    ax = Figure().subplots()
    plots.draw_minibatch_sharpness(ax, result, lr=0.3)
    labels = ax.get_legend_handles_labels()[1]
    assert "a minibatch sharper than the full batch (3)" in labels
    assert "a minibatch not sharper than the full batch (2)" in labels
    assert "2 / lr at lr = 3.00e-01: 6.67" in labels              # R12-D15: the rate written as lesson 6 prints it
    ticks = [line for line in ax.get_lines() if line.get_marker() == "|"]
    assert sorted(np.concatenate([t.get_xdata() for t in ticks]).tolist()) == result.batches.tolist()
    # R8-14: the axis spans 0.8-1.3 x the full batch at least, widened to hold every batch and 2/lr
    low, high = ax.get_xlim()
    assert low < min(result.batches.min(), 2 / 0.3, 0.8 * result.full) and high > max(result.batches.max(), 2 / 0.3, 1.3 * result.full)
    narrow = SimpleNamespace(full=5.0, batches=np.array([4.8, 5.2]), batch_size=8)
    ax = Figure().subplots()
    plots.draw_minibatch_sharpness(ax, narrow, lr=2 / 5.5)
    assert ax.get_xlim() == (0.8 * 5.0, 1.3 * 5.0)
    (top,) = ax.child_axes                                     # the ratio axis on top, named in its tick labels
    assert top.get_xlabel() == "" and top.xaxis.get_major_formatter()(1.1, 0) == "1.1 x full batch"


def test_rate_and_threshold_marks_the_step_the_rate_passed_the_starting_threshold():
    from types import SimpleNamespace as R
    lrs = np.linspace(1e-5, 1e-3, 10)
    record = R(losses=np.array([1e4, 9e3, 8e3, 7e3, 6e3, 5e3, 4e3, 1e6, 1e12, np.inf]), diverged_at=9, lrs=lrs)
    result = R(name="warm-up", record=record, sharpness_steps=np.array([0, 4, 8]), sharpness=np.array([5e3, 4e3, 6e4]))
    ax_loss, ax_rate = Figure().subplots(2, 1)
    plots.draw_rate_and_threshold(ax_loss, ax_rate, result, 4e-4, passed_step=4)
    marks = [line for line in ax_rate.get_lines() if line.get_label().startswith("step 4:")]
    assert len(marks) == 1 and list(marks[0].get_xdata()) == [4, 4]
    unmarked = Figure().subplots(2, 1)
    plots.draw_rate_and_threshold(*unmarked, result, 4e-4)
    assert not [line for line in unmarked[1].get_lines() if line.get_label().startswith("step ")]


def test_rate_and_threshold_names_the_blow_up_line_and_the_threshold_values_below_the_panel():
    from types import SimpleNamespace as R
    lrs = np.linspace(1e-5, 1e-3, 10)
    record = R(losses=np.array([1e4, 9e3, 8e3, 7e3, 6e3, 5e3, 4e3, 1e6, 1e12, np.inf]), diverged_at=9, lrs=lrs)
    result = R(name="warm-up", record=record, sharpness_steps=np.array([0, 4, 8]), sharpness=np.array([5e3, 4e3, 1e7]))
    ax_loss, ax_rate = Figure().subplots(2, 1)
    plots.draw_rate_and_threshold(ax_loss, ax_rate, result, 4e-4)
    assert [line.get_label() for line in ax_rate.get_lines() if line.get_label() == "inf/nan at step 9"]
    (note,) = [t.get_text() for t in ax_rate.texts]
    assert note == "2/λ_max(t) below the panel (< 3e-06): 2e-07 at step 8"


def test_sharpness_figure_rings_the_steps_above_two_over_eta_and_titles_the_largest():
    """Round 8: the title names the largest λ_max and its step (not the last), and the steps above 2/η are ringed."""
    from types import SimpleNamespace

    trace = SimpleNamespace(lr=1e-4, steps=np.arange(5), sharpness=np.array([5e3, 2.1e4, 1.5e4, 2.05e4, 1.9e4]),
                            full_losses=np.array([1e4, 900.0, 600.0, 700.0, 500.0]))
    axes = Figure().subplots(2, 1, squeeze=False)
    plots.draw_sharpness_along(axes, [trace])
    ax_lam = axes[0, 0]
    rings = [l for l in ax_lam.get_lines() if l.get_label().startswith("above 2/η")]
    assert len(rings) == 1 and rings[0].get_xdata().tolist() == [1, 3]
    assert rings[0].get_label() == "above 2/η: 2 of 5 steps"
    assert "largest 21,000 at step 1" in ax_lam.get_title()


def _lines_under_legend(inset, ax, samples=200):
    """The lines of ``inset`` and ``ax`` that pass under ``inset``'s legend box (display coordinates)."""
    ax.figure.canvas.draw()
    box = inset.get_legend().get_window_extent()
    under = []
    for line in inset.get_lines() + ax.get_lines():
        points = line.get_transform().transform(np.column_stack([line.get_xdata(), line.get_ydata()]).astype(float))
        points = points[np.all(np.isfinite(points), axis=1)]
        for a, b in zip(points[:-1], points[1:]):
            t = np.linspace(0, 1, samples)[:, None]
            x, y = (a + t * (b - a)).T
            if np.any((x >= box.x0) & (x <= box.x1) & (y >= box.y0) & (y <= box.y1)):
                under.append(line.get_label())
                break
    return under


def test_growth_inset_draws_only_finite_losses_beside_the_parabolas_growth_up_to_the_overflow():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    figure = Figure(figsize=(4, 6)); FigureCanvasAgg(figure)
    ax = figure.subplots()
    ax.semilogy([0, 0, 1, 2], [50.0, 10.0, 8.0, 7.0], label="a run falling at the left edge, as in lesson 7")
    ax.axhline(20.0, label="a level below the inset")
    losses = np.array([10.0, 25.0, 400.0, 1e6, np.inf, np.nan])
    inset = plots.draw_growth_inset(ax, losses, 49.0, 1e9)
    run, parabola, ceiling = inset.get_lines()
    assert run.get_ydata().tolist() == [10.0, 25.0, 400.0, 1e6]            # nothing after the first inf
    steps = parabola.get_xdata()
    np.testing.assert_allclose(parabola.get_ydata(), 10.0 * 49.0 ** steps)    # x 49 per step from the first loss
    assert steps[-1] == math.ceil(math.log(1e9 / 10.0) / math.log(49.0))     # drawn until it passes the overflow
    assert ceiling.get_ydata()[0] == 1e9 and parabola.get_label() == "x 49 per step (parabola)"
    assert inset.get_title() == "first 4 steps, log scale" and inset.get_yscale() == "log"
    low, high = np.log10(inset.get_ylim())          # review r15 C13: the y-range is the run and the overflow, no more
    span = math.log10(1e9) - math.log10(10.0)
    assert math.log10(10.0) - 0.1 * span <= low < math.log10(10.0) and math.log10(1e9) < high <= math.log10(1e9) + 0.1 * span
    assert not _lines_under_legend(inset, ax)       # the legend (below the inset) covers no line of the inset or panel
    inset.legend(loc="center")                      # the rule can fail: a legend in the inset's middle sits on its lines
    assert _lines_under_legend(inset, ax)
    for bad in ({"factor": 1.0}, {"ceiling": 0.0}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            plots.draw_growth_inset(ax, losses, **{"factor": 49.0, "ceiling": 1e9, **bad})
    with pytest.raises(ValueError, match="losses"):
        plots.draw_growth_inset(ax, [1.0, np.inf], 49.0, 1e9)


def test_fix_summary_writes_each_ratio_on_its_dots_own_row():
    """Lesson 5, review r11 (C17): a label above its dot sat under the next row's dot and read as that row's ratio."""
    from matplotlib.figure import Figure
    ax = Figure().subplots()
    labels = plots.draw_fix_summary(ax, ["a", "b", "c"], [1e-3, 1e-3, 1e-3], [1.5e-3, 1e-3, 5e-4], [False, True, True])
    assert [t.get_text() for t in labels] == ["1.50 x", "1.00 x", "0.50 x"]
    assert all(t.get_va() == "center" and t.xy[1] == row for t, row in zip(labels, [2, 1, 0]))


def test_fix_summary_marks_a_dot_just_outside_its_bar_by_its_shape():
    """Lesson 5, review r12 (C14): He init at 1.02 x sat exactly on its bar's end; outside now shows as a triangle."""
    from matplotlib.figure import Figure
    ax = Figure().subplots()
    labels = plots.draw_fix_summary(ax, ["out", "at", "in"], [1e-4, 1e-3, 1e-3], [1.02e-4, 1e-3, 5e-4], [True, True, False])
    assert [line.get_marker() for line in ax.lines[:3]] == [">", "o", "o"]
    # Review r17 C12: a white label box next to the dot hid the bar there; the labels sit right of the axes
    assert all(t.xy[0] > 1 and t.xycoords == ("axes fraction", "data") and t.get_bbox_patch() is None for t in labels)


def test_change_vs_step_says_exact_on_a_quadratic_and_predicted_elsewhere():
    # Review r16 C12: on a quadratic the second-order change is exact, so 2η* is where it turns positive
    lrs = np.linspace(0.0, 0.3, 31)
    labels = {}
    for exact in (True, False):
        ax = Figure().subplots()
        plots.draw_change_vs_step(ax, lrs, 0.5 * lrs**2 * 40 - lrs * 4, best=0.1, exact=exact)
        labels[exact] = [line.get_label() for line in ax.get_lines()]
        assert [line.get_xdata()[0] for line in ax.get_lines()[-2:]] == [0.1, 0.2]
    # r22 C1: η* and 2η* come from the prediction, so they take its colour (dotted and dash-dotted)
    lines = ax.get_lines()
    assert [(l.get_color(), l.get_linestyle()) for l in lines[-2:]] == [(plots.COLORS["predicted"], ":"),
                                                                        (plots.COLORS["predicted"], "-.")]
    assert "2η* = 0.2: turns positive (exact on a quadratic)" in labels[True]
    assert "2η* = 0.2: predicted to turn positive" in labels[False]
    with pytest.raises(TypeError, match="exact"):
        plots.draw_change_vs_step(Figure().subplots(), lrs, lrs, best=0.1, exact="yes")


def test_stretch_first_steps_makes_the_first_steps_linear_and_rejects_a_bad_threshold():
    from matplotlib.figure import Figure
    from helpers.plots import stretch_first_steps
    ax = Figure().subplots()
    ax.plot([0, 5, 10, 100, 200], [1, 2, 3, 4, 5])
    stretch_first_steps(ax, linear_to=10)
    to_px = ax.transData.transform
    # steps 0-10 take as much width as 10-100 or more (a linear axis would give them a twentieth)
    assert to_px((10, 1))[0] - to_px((0, 1))[0] >= to_px((100, 1))[0] - to_px((10, 1))[0]
    assert ax.get_xlim()[0] < 0 < ax.get_xlim()[1]
    with pytest.raises(ValueError, match="linear_to"):
        stretch_first_steps(ax, linear_to=0)


def test_first_steps_inset_spreads_a_finite_runs_first_steps_out():
    # review r17 C10: the ReLU 4x run's early spikes, drawn like the diverging panels' insets
    ax = Figure().subplots()
    losses = np.array([5.0, 9.0, 2.0, 3.0, 3.0, 3.0])
    inset = plots.draw_first_steps_inset(ax, losses, steps=4)
    (line,) = inset.get_lines()
    assert line.get_xdata().tolist() == [0, 1, 2, 3] and line.get_ydata().tolist() == [5.0, 9.0, 2.0, 3.0]
    assert inset.get_title() == "first 4 steps, log scale" and inset.get_yscale() == "log"
    with pytest.raises(ValueError, match="losses"):
        plots.draw_first_steps_inset(ax, [1.0, np.nan, 2.0])
    for bad in (1, 7, 2.5, True):
        with pytest.raises(ValueError, match="steps"):
            plots.draw_first_steps_inset(ax, losses, steps=bad)


def test_edge_runs_cross_at_the_blow_up_is_not_clipped_at_the_last_step():
    # r20 C14: the cross sits on the diverged panel's right edge; it is drawn whole
    from types import SimpleNamespace as R
    run = R(losses=np.array([1.0, 10.0, 1e7]), sharpness_steps=np.array([0]), sharpness=np.array([30.0]), lr=0.1, stopped_at=2)
    a, b, c = Figure().subplots(3, 1)
    plots.draw_edge_runs(a, b, [run], ["demo"], ax_diverged=c)
    cross = [line for line in c.get_lines() if line.get_marker() == "X"]
    assert len(cross) == 1 and cross[0].get_clip_on() is False


def test_ratio_per_step_draws_markers_only_and_names_what_leaves_the_panel():
    """Lesson 5 warm-up panel, moved out of the notebook (review r20): nothing is drawn between measured steps."""
    from matplotlib.figure import Figure
    ax = Figure().subplots()
    note = plots.draw_ratio_per_step(ax, np.arange(4), [0.5, 3.0, 0.8, 1e9], limits=(0.01, 300))
    (points,) = [line for line in ax.get_lines() if line.get_label().startswith("lr / (2/λ_max(t))")]
    assert points.get_linestyle() == "None" and points.get_marker() == "o"
    assert note.get_text() == "above the panel: 1e+09 at step 3"
    assert ax.get_yscale() == "log" and tuple(float(v) for v in ax.get_ylim()) == (0.01, 300.0)
    assert plots.draw_ratio_per_step(Figure().subplots(), [0, 1], [0.5, 2.0]).get_text() == ""
    with pytest.raises(ValueError, match="limits"):
        plots.draw_ratio_per_step(Figure().subplots(), [0], [1.0], limits=(1, 0.5))
    with pytest.raises(ValueError, match="same shape"):
        plots.draw_ratio_per_step(Figure().subplots(), [0, 1], [1.0])


def test_range_test_draws_the_ratio_the_sweep_would_have_at_the_starting_sharpness():
    """Review r20 C15: in an exponential sweep lr / (2/λ) rises with lr alone; the dashed lr / (2/λ₀) shows the gap."""
    from types import SimpleNamespace as R
    from matplotlib.figure import Figure
    lrs = np.geomspace(1e-6, 1e-2, 5)
    fake = R(lrs=lrs, losses=np.array([5.0, 4, 2, 3, np.inf]), smoothed=np.array([5.0, 4, 3, 3, 9]),
             sharpness_steps=np.array([0, 2, 4]), sharpness=np.array([100.0, 200, 400]))
    a, b = Figure().subplots(2, 1)
    out = plots.draw_range_test(a, b, fake, 2e-2, 2)
    assert np.allclose(out["frozen"].get_ydata(), lrs / 2e-2) and out["frozen"].axes is b
    assert "had the sharpness stayed at λ₀" in out["frozen"].get_label()
    assert np.allclose(out["edge"].get_ydata() / out["frozen"].get_ydata()[[0, 2, 4]], fake.sharpness / 100)   # the gap = λ/λ₀


def test_fix_summary_hatches_the_bar_that_is_no_threshold_for_its_optimizer():
    """Review r20 C16: Adam's row had plain SGD's bar, drawn like every other, and its dot as 'outside'."""
    from matplotlib.figure import Figure
    ax = Figure().subplots()
    plots.draw_fix_summary(ax, ["sgd", "adam"], [1e-3, 1e-3], [2e-3, 2e-3], [False, True], not_plain_sgd=[False, True])
    assert [line.get_marker() for line in ax.lines[:2]] == [">", "o"]
    assert [str(p.get_hatch()) for p in ax.patches] == ["None", "//"]
    assert any("no threshold for this optimizer" in t.get_text() for t in ax.get_legend().get_texts())
    with pytest.raises(ValueError, match="not_plain_sgd"):
        plots.draw_fix_summary(Figure().subplots(), ["a", "b"], [1e-3, 1e-3], [1e-3, 1e-3], [True, True], not_plain_sgd=[True])


def test_rate_and_threshold_calls_two_over_the_sharpness_a_rate():
    """Review r20 C14: 2/λ_max(t) is the current critical_lr, a rate, not the sharpness."""
    from types import SimpleNamespace as R
    from matplotlib.figure import Figure
    record = R(losses=np.array([1e4, 9e3, 8e3]), diverged_at=None, lrs=np.array([1e-5, 2e-5, 3e-5]))
    result = R(name="warm-up", record=record, sharpness_steps=np.array([0, 1, 2]), sharpness=np.array([5e3, 4e3, 6e3]))
    ax_loss, ax_rate = Figure().subplots(2, 1)
    plots.draw_rate_and_threshold(ax_loss, ax_rate, result, 4e-4)
    labels = [line.get_label() for line in ax_rate.get_lines()]
    assert "2/λ_max(t): the current critical_lr\n(λ_max(t): full-data sharpness after t steps, every step)" in labels
