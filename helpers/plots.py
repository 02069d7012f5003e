"""Matplotlib drawing for the lessons: each function takes results, draws them on the given axes,
and returns the artists a slider app updates in place. Knows nothing of widgets.

Examples
--------
>>> from matplotlib.figure import Figure
>>> from helpers.quadratic import Quadratic
>>> from helpers.descent import gradient_descent
>>> bowl = Quadratic(20.0)
>>> run = gradient_descent(bowl.grad, [1.0], lr=0.12, steps=20, loss=bowl.loss)
>>> ax = Figure().subplots()
>>> artists = draw_loss_per_step(ax, run, label="lr = 0.12")
>>> list(artists["marker"].get_xdata())     # no divergence within 20 steps
[]
"""

from __future__ import annotations

import math

import numpy as np

from helpers.descent import FLOAT32_MAX

__all__ = ["COLORS", "EIGEN_COLORS", "LOSS_FLOOR", "LOSS_CEILING", "parabola_curve", "draw_parabola",
           "draw_parabola_steps", "draw_loss_per_step", "update_loss_per_step",
           "draw_loss_thresholds", "draw_factor_vs_lr", "ellipse_levels", "draw_level_sets",
           "draw_eigen_directions", "draw_path_2d", "draw_change_vs_step", "verdict",
           "power_of_ten", "power_of_ten_or_inf", "set_log_ticks", "draw_rate_comparison", "draw_clock",
           "parabola_steps_xy"]

COLORS = {"small": "#0072B2", "large": "#D55E00", "threshold": "#555555", "predicted": "#009E73",
          "actual": "#E69F00"}
"""Okabe–Ito colours (distinguishable with every common colour-vision deficiency); the lessons'
default colour and line-style cycle is the same palette (``notebooks/matplotlibrc``)."""
EIGEN_COLORS = ("#CC79A7", "#56B4E9")
"""The two eigen-directions of a 2-D bowl (Okabe–Ito reddish purple and sky blue)."""
LOSS_FLOOR = 1e-12
"""Bottom of log loss axes: losses below it (or exactly 0) are drawn at the floor."""
LOSS_CEILING = 1e42
"""Top of log loss axes: just above float32 overflow (about 3.4e38)."""


def verdict(factor: float) -> str:
    """'diverges' if a per-step factor's magnitude exceeds 1, else 'converges'.

    Examples
    --------
    >>> verdict(1.4), verdict(-0.76)
    ('diverges', 'converges')
    """
    return "diverges" if abs(factor) > 1 else "converges"


def power_of_ten(value, pos=None) -> str:
    """Plain-text tick label for a power of ten (mathtext labels cost more to draw).

    Examples
    --------
    >>> power_of_ten(1e12), power_of_ten(1.0), power_of_ten(0.001)
    ('1e12', '1', '1e-3')
    """
    exponent = int(round(np.log10(value)))
    return "1" if exponent == 0 else f"1e{exponent}"


def power_of_ten_or_inf(value, pos=None) -> str:
    """Like :func:`power_of_ten`, but the tick at ``LOSS_CEILING``, where an ``inf`` loss is drawn, reads "inf".

    Examples
    --------
    >>> power_of_ten_or_inf(1e36), power_of_ten_or_inf(LOSS_CEILING)
    ('1e36', 'inf')
    """
    return "inf" if value >= LOSS_CEILING else power_of_ten(value)


def set_log_ticks(ax, axis, exponents):
    """Log scale on ``axis`` ("x" or "y") with major ticks only at ``10**exponents``, plain labels.

    Few fixed ticks and no minor ticks keep a slider's redraw cheap.
    """
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    target = ax.xaxis if axis == "x" else ax.yaxis
    (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
    target.set_major_locator(FixedLocator([10.0**e for e in exponents]))
    target.set_major_formatter(FuncFormatter(power_of_ten))
    target.set_minor_locator(NullLocator())


def parabola_curve(curvature, half_width, n=121):
    """Points of ``f(w) = curvature / 2 * w**2`` on ``[-half_width, half_width]``.

    Examples
    --------
    >>> x, y = parabola_curve(2.0, 1.0, n=3)
    >>> y.tolist()
    [1.0, 0.0, 1.0]
    """
    x = np.linspace(-half_width, half_width, n)
    return x, 0.5 * curvature * x**2


def draw_parabola(ax, curvature, half_width, **style):
    """Draw the bowl ``f(w) = f''/2 w**2``; returns the Line2D."""
    style = {"ls": "-", **style}  # a fixed style: the runs drawn after it take the first line styles
    (line,) = ax.plot(*parabola_curve(curvature, half_width), color="0.6", lw=1.5, zorder=1, **style)
    ax.set_xlabel("w")
    ax.set_ylabel("loss f(w)")
    return line


def parabola_steps_xy(path, curvature, max_steps):
    """Points ``(w_k, f''/2 w_k**2)`` of the first ``max_steps`` finite iterates of a 1-D run.

    Examples
    --------
    >>> x, y = parabola_steps_xy([[1.0], [-0.5], [float("nan")]], 2.0, 5)
    >>> x.tolist(), y.tolist()
    ([1.0, -0.5], [1.0, 0.25])
    """
    w = np.asarray(path, dtype=float)[: max_steps + 1, 0]
    w = w[np.isfinite(w)]
    return w, 0.5 * curvature * w**2


def draw_parabola_steps(ax, path, curvature, max_steps=12, **style):
    """Draw the first ``max_steps`` iterates of a 1-D run as points on the parabola joined in order.

    Returns the Line2D (move it with ``set_data(*parabola_steps_xy(...))``).
    """
    style = {"marker": "o", "ms": 4, "lw": 1.0, **style}
    (line,) = ax.plot(*parabola_steps_xy(path, curvature, max_steps), zorder=3, **style)
    return line


def _loss_xy(losses):
    y = np.asarray(losses, dtype=float)
    k = np.arange(y.size)
    with np.errstate(invalid="ignore"):
        keep = np.isfinite(y) & (y >= LOSS_FLOOR)  # below the floor the line simply ends
    return k[keep], np.minimum(y[keep], LOSS_CEILING)


def draw_loss_per_step(ax, run, label="", color=None, annotate=True, log_ticks=range(-36, 43, 6)):
    """Loss per step on a log axis, with the divergence step marked by a cross and a label.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    run : helpers.descent.DescentResult
        Must have been run with a ``loss``.
    label : str
    color : color, optional
    annotate : bool
        Write "diverged at step k" next to the cross.
    log_ticks : sequence of int
        Exponents of the labelled powers of ten on the loss axis.

    Returns
    -------
    dict
        ``line``, ``marker`` (Line2D) and ``text`` (Annotation): pass to :func:`update_loss_per_step`.
    """
    set_log_ticks(ax, "y", log_ticks)
    (line,) = ax.plot(*_loss_xy(run.losses), lw=1.5, color=color, label=label)
    (marker,) = ax.plot([], [], "X", ms=11, color=line.get_color(), mec="k", zorder=5)
    text = ax.annotate("", xy=(0, 1), xytext=(-9, 0), textcoords="offset points",
                       color=line.get_color(), fontsize=11, ha="right", va="center", visible=annotate)
    ax.set_xlabel("step")
    ax.set_ylabel("loss (log scale)")
    artists = {"line": line, "marker": marker, "text": text}
    update_loss_per_step(artists, run)
    return artists


def update_loss_per_step(artists, run):
    """Move the artists of :func:`draw_loss_per_step` to show another run."""
    artists["line"].set_data(*_loss_xy(run.losses))
    k = run.diverged_at
    if k is None:
        artists["marker"].set_data([], [])
        artists["text"].set_text("")
        return
    y = run.losses[k]
    y = LOSS_CEILING if not np.isfinite(y) else min(max(y, LOSS_FLOOR), LOSS_CEILING)
    artists["marker"].set_data([k], [y])
    artists["text"].xy = (k, y)
    artists["text"].set_text(f"diverged at step {k}")


def draw_loss_thresholds(ax, thresholds=((1e12, "a trillion (1e12)"),
                                         (FLOAT32_MAX, "float32 overflow (3.4e38)")), fontsize=8):
    """Horizontal dotted lines at the blow-up thresholds, labelled at the left; returns them."""
    lines = []
    for value, name in thresholds:
        lines.append(ax.axhline(value, color=COLORS["threshold"], ls=":", lw=1))
        ax.text(0.01, value / 3, name, transform=ax.get_yaxis_transform(), fontsize=fontsize,
                color=COLORS["threshold"], va="top")
    return lines


def draw_factor_vs_lr(ax, curvature, lr, lr_range=(1e-3, 10.0), n=200):
    """The per-step factor ``|1 - lr f''|`` against lr (log x axis), the line 1, and the threshold.

    Returns
    -------
    dict
        ``curve`` (Line2D), ``threshold`` (vertical Line2D at ``2 / f''``), ``threshold_text``
        (Text), ``current`` (the dot at the chosen lr).
    """
    lrs = np.geomspace(*lr_range, n)
    set_log_ticks(ax, "x", range(int(np.floor(np.log10(lr_range[0]))), int(np.ceil(np.log10(lr_range[1]))) + 1))
    (curve,) = ax.plot(lrs, np.abs(1 - lrs * curvature), color="k", lw=1.2)
    ax.axhline(1.0, color=COLORS["threshold"], ls=":", lw=1)
    ax.axhspan(1.0, 1e3, color=COLORS["large"], alpha=0.08, lw=0)
    threshold = ax.axvline(2.0 / curvature, color=COLORS["large"], ls="--", lw=1.2)
    threshold_text = ax.text(2.0 / curvature, 0.97, "", transform=ax.get_xaxis_transform(),
                             color=COLORS["large"], fontsize=11, ha="right", va="top")
    (current,) = ax.plot([lr], [abs(1 - lr * curvature)], "o", ms=8, color=COLORS["large"], mec="k")
    ax.set_xlim(*lr_range)
    ax.set_ylim(0, 3)
    ax.set_xlabel("learning rate lr (log scale)")
    ax.set_ylabel("factor per step |1 - lr f''|")
    return {"curve": curve, "threshold": threshold, "threshold_text": threshold_text,
            "current": current, "lrs": lrs}


def ellipse_levels(quadratic, levels, n=90):
    """Points on the level sets ``loss(w) = c`` of a 2-D positive-definite quadratic, exactly.

    Returns an array of shape (len(levels), n, 2): one closed curve per level.

    Examples
    --------
    >>> from helpers.quadratic import Quadratic
    >>> q = Quadratic.from_eigenvalues([1.0, 4.0], angle=0.3)
    >>> pts = ellipse_levels(q, [0.5, 2.0])
    >>> bool(np.allclose(q.loss(pts), [[0.5], [2.0]]))
    True
    """
    t = np.linspace(0, 2 * np.pi, n)
    unit = np.stack([np.cos(t), np.sin(t)], axis=-1) / np.sqrt(quadratic.eigenvalues)
    shape = unit @ quadratic.eigenvectors.T
    radii = np.sqrt(2.0 * np.asarray(levels, dtype=float))
    return quadratic.minimum + radii[:, None, None] * shape[None]


def draw_level_sets(ax, quadratic, levels, **style):
    """Draw level sets as plain lines (cheap to move with ``set_data``); returns the list of Line2D."""
    style = {"color": "0.7", "lw": 0.8, **style}
    curves = ellipse_levels(quadratic, levels)
    lines = [ax.plot(c[:, 0], c[:, 1], **style)[0] for c in curves]
    return lines


def draw_eigen_directions(ax, quadratic, length=1.0):
    """Dashed lines through the minimum along each eigenvector, labelled with its eigenvalue.

    Returns a list of (Line2D, Text) pairs, flattest direction first.
    """
    out = []
    for lam, v, color in zip(quadratic.eigenvalues, quadratic.eigenvectors.T, EIGEN_COLORS):
        ends = quadratic.minimum + np.outer([-length, length], v)
        (line,) = ax.plot(ends[:, 0], ends[:, 1], ls="--", lw=1, color=color)
        text = ax.text(*ends[1], f"λ = {lam:.3g}", color=color, fontsize=11)
        out.append((line, text))
    return out


def draw_path_2d(ax, path, **style):
    """The zig-zag path of a 2-D run as points joined in order; returns the Line2D."""
    style = {"marker": "o", "ms": 3, "lw": 1.0, "color": COLORS["large"], **style}
    p = np.asarray(path, dtype=float)
    p = p[np.all(np.isfinite(p), axis=1)]
    (line,) = ax.plot(p[:, 0], p[:, 1], zorder=3, **style)
    return line


def draw_change_vs_step(ax, eps, predicted, actual=None, best=None,
                        label_pred="second-order prediction", label_actual="actual change", exact=False):
    """Goodfellow's predicted change in loss against the step size, and the actual change.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    eps : array_like
        Step sizes.
    predicted, actual : array_like
        Predicted and (optionally) actual change in loss at each step size.
    best : float, optional
        The best step ``eta* = g^T g / g^T H g``; marks it (dotted) and twice it (dash-dotted, where the
        change turns positive), both in the prediction's colour, since both come from the prediction.
    exact : bool, default False
        True on a quadratic, where the second-order change is exact: the legend then says that the change
        turns positive at ``2 eta*`` (exact), instead of that it is predicted to.

    Returns
    -------
    dict
        ``predicted`` and (if given) ``actual`` Line2D.
    """
    if not isinstance(exact, bool):
        raise TypeError(f"exact must be True or False, got {exact!r}")
    out = {}
    (out["predicted"],) = ax.plot(eps, predicted, color=COLORS["predicted"], lw=2.5, label=label_pred)
    if actual is not None:
        (out["actual"],) = ax.plot(eps, actual, color=COLORS["actual"], lw=1.5, ls="--",
                                   label=label_actual)
    ax.axhline(0.0, color="k", lw=0.8)
    if best is not None:
        ax.axvline(best, color=COLORS["predicted"], ls=":", lw=1.8, label=f"best step η* = {best:.3g}")
        turns = "turns positive (exact on a quadratic)" if exact else "predicted to turn positive"
        ax.axvline(2 * best, color=COLORS["predicted"], ls="-.", lw=1.8, label=f"2η* = {2 * best:.3g}: {turns}")
    ax.set_xlabel("learning rate η (step size)")
    ax.set_ylabel("change in loss ΔL")
    return out


def draw_rate_comparison(ax_bowl, ax_loss, curvature, runs, colors=None, parabola_steps=6):
    """One bowl, several rates: the steps on the parabola (left) and the loss per step (right).

    Each legend entry gives the rate's factor ``|1 - lr * curvature|`` and whether ``|w|`` grows,
    stays or shrinks by it; the loss panel marks with a cross where a run diverged (passed float32's
    largest value).

    Parameters
    ----------
    ax_bowl, ax_loss : matplotlib.axes.Axes
    curvature : float
        ``f''`` of the bowl ``f(w) = f''/2 w**2``.
    runs : list of helpers.descent.DescentResult
        1-D runs on that bowl (with losses), one per learning rate.
    colors : list of colors, optional
    parabola_steps : int
        How many steps to draw on the parabola.

    Returns
    -------
    list of dict
        Per run: ``steps`` (Line2D) and the artists of :func:`draw_loss_per_step`.
    """
    colors = colors or [COLORS["small"], COLORS["large"]] + [None] * len(runs)
    # Wide enough to show every drawn step, including the ones that climb out of the bowl.
    half = 1.1 * max(np.nanmax(np.abs(r.path[: parabola_steps + 1, 0])) for r in runs)
    draw_parabola(ax_bowl, curvature, half)
    ax_bowl.set_xlim(-half, half)
    ax_bowl.set_ylim(-0.04 * curvature * half**2, 0.55 * curvature * half**2)
    out = []
    for run, color in zip(runs, colors):
        factor = abs(1 - run.lr * curvature)
        # "grows", not "diverges": the legend names the factor; the cross marks where the run diverged
        trend = "grows" if factor > 1 else ("stays" if factor == 1 else "shrinks")
        label = f"lr = {run.lr:g}: factor {factor:.2f} → |w| {trend}"
        steps = draw_parabola_steps(ax_bowl, run.path, curvature, parabola_steps, color=color,
                                    label=label)
        out.append({"steps": steps, **draw_loss_per_step(ax_loss, run, label=label, color=color)})
    ax_bowl.legend(loc="upper center", fontsize=10)
    coefficient = "" if curvature == 2 else f"{curvature / 2:g} "
    ax_bowl.set_title(f"f(w) = {coefficient}w²  (f'' = {curvature:g}): first {parabola_steps} steps",
                      fontsize=11)
    # Losses below the floor are not drawn: the axis ends there, so such a line runs off its bottom edge.
    ax_loss.set_ylim(bottom=LOSS_FLOOR)
    ax_loss.set_title(f"loss per step, colours as on the left (threshold 2/f'' = {2 / curvature:g})",
                      fontsize=11)
    return out


def draw_clock(ax, run, clock, names=("a trillion", "float32 overflow")):
    """The blow-up clock on a loss-per-step plot: each loss level, the step at which the clock counts
    that the loss passes it (dashed vertical line) and where the run did pass it (dot).

    Returns the list of (threshold line, predicted line, observed marker) per threshold.
    """
    from helpers.descent import first_step_above

    out = []
    for threshold, predicted, name in zip(clock.thresholds, clock.predicted, names):
        line = ax.axhline(threshold, color=COLORS["threshold"], ls=":", lw=1)
        pred = ax.axvline(predicted, color=COLORS["predicted"], ls="--", lw=1.2)
        seen = first_step_above(run.losses, threshold)
        (mark,) = ax.plot([seen], [min(run.losses[seen], LOSS_CEILING)], "o", ms=9, mfc="none",
                          mec="k", mew=1.5)
        ax.text(predicted, threshold * 1e-2, f" {name}: clock step {predicted}, run: {seen} ",
                fontsize=10, va="top", ha="right" if predicted > 0.5 * ax.get_xlim()[1] else "left")
        out.append((line, pred, mark))
    return out


# --------------------------------------------------------------------------- lesson 4
__all__ += ["mark_nonfinite_step", "draw_blowup_and_training", "draw_step_check", "draw_sharpness_along",
            "draw_loss_along_steps", "draw_layer_norms"]

READABLE = {"title": 13, "label": 12, "ticks": 11, "legend": 11}
"""Font sizes of the lesson-4 figures (readable on a projector)."""


def _fonts(*axes):
    for ax in axes:
        ax.tick_params(labelsize=READABLE["ticks"])
        ax.xaxis.label.set_size(READABLE["label"])
        ax.yaxis.label.set_size(READABLE["label"])
        ax.title.set_size(READABLE["title"])


def mark_nonfinite_step(ax, step, color=None, text=None):
    """Mark a run's first non-finite step without drawing a value there: a dashed vertical line
    and a cross on the top edge of the axes, with ``text`` (default "loss = inf/nan at step k").

    Returns the vertical line and the cross (Line2D).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> line, cross = mark_nonfinite_step(ax, 8)
    >>> list(line.get_xdata()), [float(y) for y in cross.get_ydata()]   # the cross sits on the top edge
    ([8, 8], [1.0])
    """
    color = color or COLORS["large"]
    line = ax.axvline(step, color=color, ls="--", lw=1.2)
    (cross,) = ax.plot([step], [1.0], "X", ms=14, color=color, mec="k", transform=ax.get_xaxis_transform(),
                       clip_on=False, zorder=5)
    ax.annotate(text or f"loss = inf/nan at step {step}", xy=(step, 0.86), xycoords=ax.get_xaxis_transform(),
                xytext=(-8, 0), textcoords="offset points", ha="right", va="top", color=color,
                fontsize=READABLE["legend"], bbox={"fc": "white", "ec": "none", "pad": 1})
    return line, cross


def _run_title(run, critical_lr=None):
    ratio = "" if critical_lr is None else f" ({run.lr / critical_lr:.2g} × 2/λ_max)"
    if run.diverged:
        return f"lr = {run.lr:g}{ratio}: {run.outcome} at step {run.diverged_at}"
    return f"lr = {run.lr:g}{ratio}: full-data loss {run.initial_loss:,.0f} → {run.final_loss:,.0f}"


def draw_blowup_and_training(ax_blow, ax_train, blown, trained, critical_lr=None, baseline=None):
    """Two training runs of lesson 4, each on its own log axis: the one that blew up (left, with the
    trillion and float32-overflow lines, its first non-finite step marked, and an inset that zooms
    on the steps before the loss passed a million) and the one that stayed finite (right, scaled
    to its own losses: the minibatch loss and the full-data loss per step, and ``baseline``). The
    figure's title gives the outcomes, and with ``critical_lr`` puts the heuristic's verdicts beside them.

    Parameters
    ----------
    ax_blow, ax_train : matplotlib.axes.Axes
    blown, trained : helpers.net.training.TrainResult with ``full_losses`` (:func:`helpers.experiment.train_sgd`;
        or anything with ``lr``, ``losses``, ``full_losses``, ``diverged_at``, ``diverged``, ``outcome``,
        ``steps_per_epoch``, ``initial_loss`` and ``final_loss``)
    critical_lr : float, optional
        ``2 / sharpness`` at initialisation (in the titles); without it the titles give the outcomes only, as
        lesson 4 shows the runs before it measures the sharpness.
    baseline : float, optional
        A reference loss drawn on the right, e.g. that of always predicting the mean target.

    Returns
    -------
    dict with the loss lines ``blown``, ``trained`` and ``trained_full`` (Line2D) and the
    inset's axes ``inset``.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from matplotlib.figure import Figure
    >>> blown = SimpleNamespace(lr=1e-3, losses=np.array([1e4, 1e3, 1e20, np.inf]), diverged_at=3,
    ...                         diverged=True, outcome="inf", steps_per_epoch=32)
    >>> trained = SimpleNamespace(lr=1e-4, losses=np.array([1e4, 5e3, 2e3]), full_losses=np.array([9e3, 4e3, 2e3]),
    ...                           diverged_at=None, diverged=False, outcome="trained",
    ...                           steps_per_epoch=32, initial_loss=9e3, final_loss=1e3)
    >>> lines = draw_blowup_and_training(*Figure().subplots(1, 2), blown, trained, critical_lr=4e-4)
    >>> lines["blown"].get_ydata().tolist()    # the values that occurred, not the inf
    [10000.0, 1000.0, 1e+20]
    >>> lines["inset"].get_lines()[0].get_ydata().tolist()   # zoom on the steps below a million
    [10000.0, 1000.0]
    >>> lines["trained_full"].get_ydata().tolist()   # before each step, then the final loss the title quotes
    [9000.0, 4000.0, 2000.0, 1000.0]
    """
    out = {}
    for key, ax, run, color in (("blown", ax_blow, blown, COLORS["large"]),
                                ("trained", ax_train, trained, COLORS["small"])):
        finite = np.isfinite(run.losses)
        steps = np.arange(run.losses.size)
        (out[key],) = ax.semilogy(steps[finite], run.losses[finite], "o-", ms=4, lw=1.5 if run.diverged else 0.8,
                                  color=color, alpha=1 if run.diverged else 0.45,
                                  label="minibatch loss (before each step)")
        if run.diverged:
            mark_nonfinite_step(ax, run.diverged_at, color)
        epochs = range(run.steps_per_epoch, run.losses.size, run.steps_per_epoch)
        for k in epochs:
            ax.axvline(k, color="0.8", lw=1, zorder=0)
        ax.set_title(_run_title(run, critical_lr), pad=16 if run.diverged else None)
        ax.set_xlabel("SGD step (minibatch)" + (" — grey line: end of an epoch" if len(epochs) else ""))
        ax.set_ylabel("loss (log scale)")
    ax_blow.set_ylabel("minibatch loss (log scale)")
    full = np.append(trained.full_losses, trained.final_loss)    # before each step, then after the last one
    (out["trained_full"],) = ax_train.semilogy(np.arange(full.size), full, "-", lw=2.5, color=COLORS["small"],
                                               label="full-data loss (before each step, and after the last)")
    if baseline is not None:
        ax_train.axhline(baseline, color=COLORS["predicted"], ls="-.", lw=1.5,
                         label=f"always predicting the mean target: {baseline:,.0f}")
        ax_train.set_ylim(bottom=baseline / 2)
    draw_loss_thresholds(ax_blow, fontsize=READABLE["legend"])
    set_log_ticks(ax_blow, "y", range(3, 40, 3))
    ax_blow.set_ylim(1e2, 1e41)
    ax_blow.set_xlim(-0.5, blown.losses.size + 0.5)
    early = np.flatnonzero(blown.losses < 1e6)
    early = early[: np.argmax(np.diff(early, append=early[-1] + 2) > 1) + 1]   # the first run of such steps
    inset = ax_blow.inset_axes([0.08, 0.42, 0.45, 0.3])
    inset.semilogy(early, blown.losses[early], "o-", ms=4, lw=1.5, color=COLORS["large"])
    inset.set_title(f"zoom: steps {early[0]}–{early[-1]}, loss below a million", fontsize=READABLE["legend"])
    inset.tick_params(labelsize=READABLE["legend"])
    inset.set_xticks(early)
    out["inset"] = inset
    ax_train.legend(loc="upper right", fontsize=READABLE["legend"])
    _fonts(ax_blow, ax_train)
    if critical_lr is None:
        outcomes = ", ".join(f"lr = {run.lr:g} {'reached ' + run.outcome if run.diverged else 'stayed finite'}"
                             for run in (blown, trained))
        title = f"Same initial weights, same minibatches: {outcomes}."
    else:
        verdicts = ", ".join(f"lr = {run.lr:g} {'blows up' if run.lr > critical_lr else 'stays finite'}"
                             for run in (blown, trained))
        outcomes = ", ".join(run.outcome if run.diverged else "stayed finite" for run in (blown, trained))
        title = f"Heuristic from initial weights, 2/λ_max = {critical_lr:.2g}: {verdicts}. Outcome: {outcomes}."
    ax_blow.figure.suptitle(title, fontsize=READABLE["title"] + 1)
    return out


def draw_step_check(ax_change, ax_error, check, rates=(1e-4, 1e-3), critical_lr=None):
    """One full-batch gradient step against its second-order prediction, over step sizes.

    Left: the predicted and the actual change in loss ``ΔL`` against the step size (log x),
    with ``ΔL = -L`` (a loss of 0, the floor of a squared error). Right (log-log): the error of
    the prediction relative to the actual change, the tolerance and the largest step within it,
    and the same error as a fraction of the loss ``L``, which stays meaningful where the actual
    change crosses 0 (there the relative error has a near-zero denominator: a dotted line marks it).

    Parameters
    ----------
    ax_change, ax_error : matplotlib.axes.Axes
    check : helpers.experiment.StepCheck
    rates : step sizes to mark with dots (the thread's two rates).
    critical_lr : float, optional
        ``2 / sharpness``, drawn as a dashed line.

    Returns
    -------
    dict with ``predicted``, ``actual``, ``error`` and ``error_of_loss`` (Line2D), and
    ``predicted_top`` (the prediction's part along the sharpest direction ``v``, dashed) when
    ``check.predicted_top`` is finite.
    """
    out = {}
    (out["predicted"],) = ax_change.plot(check.lrs, check.predicted, color=COLORS["predicted"], lw=2.5,
                                         label="predicted: η²/2 gᵀHg − η gᵀg")
    (out["actual"],) = ax_change.plot(check.lrs, check.actual, "o-", ms=3, color=COLORS["actual"], lw=1.5,
                                      label="actual: L(w − ηg) − L(w)")
    if np.all(np.isfinite(check.predicted_top)):          # the part along v: it turns positive at 2/λ_max
        (out["predicted_top"],) = ax_change.plot(check.lrs, check.predicted_top, "--", color=COLORS["predicted"],
                                                 lw=1.5, label="predicted, part along v: (η²λ_max/2 − η)(g·v)²")
    ax_change.axhline(0.0, color="k", lw=0.8)
    ax_change.axhline(-check.loss, color=COLORS["threshold"], ls=":", lw=1.5,
                      label=f"ΔL = −L = {-check.loss:,.0f}: the loss would be 0")
    ax_change.axhspan(-10 * check.loss, -check.loss, color=COLORS["threshold"], alpha=0.12, lw=0,
                      label="impossible: the loss would be negative")
    error = check.relative_error
    (out["error"],) = ax_error.loglog(check.lrs, error, "o-", ms=3, color=COLORS["actual"], lw=1.5,
                                      label="|predicted − actual| / |actual|")
    (out["error_of_loss"],) = ax_error.loglog(check.lrs, np.abs(check.predicted - check.actual) / check.loss, "s--",
                                              ms=3, color=COLORS["small"], lw=1.5,
                                              label="|predicted − actual| / L (fraction of the loss)")
    ax_error.axhline(check.tolerance, color=COLORS["threshold"], ls=":", lw=1.5,
                     label=f"{check.tolerance:.0%} error")
    if np.isfinite(check.actual_turns_positive_at):
        k = check.index(check.actual_turns_positive_at)        # first tried step whose actual change is positive
        ax_error.axvspan(check.lrs[max(k - 1, 0)], check.lrs[k], color="0.5", alpha=0.25, lw=0,
                         label=f"actual ΔL crosses 0 (η {check.lrs[max(k - 1, 0)]:.2g} to {check.lrs[k]:.2g}):\n"
                               "the relative error divides by ≈ 0")
    if np.isfinite(check.valid_up_to):
        ax_error.axvline(check.valid_up_to, color=COLORS["predicted"], ls="-.", lw=1.5,
                         label=f"within {check.tolerance:.0%} up to η = {check.valid_up_to:.2g}")
    for lr in rates:
        i = check.index(lr)
        for ax, y in ((ax_change, check.actual[i]), (ax_error, error[i])):
            ax.plot([check.lrs[i]], [y], "o", ms=10, mfc="none", mec="k", mew=1.5,
                    label=f"η = {', '.join(f'{r:g}' for r in rates)} (black circles)" if lr == rates[0] else None)
        ax_change.plot([check.lrs[i]], [check.predicted[i]], "D", ms=8, mfc="none", mec=COLORS["predicted"], mew=1.5)
        ax_change.annotate(f"η = {check.lrs[i]:g}: actual {check.actual[i]:+,.0f} (circle),\n"
                           f"predicted {check.predicted[i]:+,.0f} (diamond)",
                           (check.lrs[i], check.actual[i]), xytext=(-20, -30 if lr == min(rates) else -60),
                           textcoords="offset points", ha="right", va="top", fontsize=READABLE["legend"],
                           bbox={"fc": "white", "ec": "0.7", "pad": 2},
                           arrowprops={"arrowstyle": "-", "color": "0.4"})
    if critical_lr is not None:
        for ax in (ax_change, ax_error):
            ax.axvline(critical_lr, color=COLORS["large"], ls="--", lw=1.2,
                       label=(f"2/λ_max = {critical_lr:.2g}: above it, the part along v\n"
                              "(green dashed) is positive (the total need not be)") if ax is ax_change
                       else f"2/λ_max = {critical_lr:.2g}")
    ax_change.set_xscale("log")
    ax_change.set_ylim(-2 * check.loss, 2 * check.loss)
    ax_change.set(xlabel="step size η (log scale)", ylabel="change in loss ΔL",
                  title="one full-batch gradient step from initialisation")
    ax_error.set(xlabel="step size η (log scale)", ylabel="error of the prediction (log scale)",
                 title=(f"prediction error: within {check.tolerance:.0%} up to η = {check.valid_up_to:.2g}"
                        if np.isfinite(check.valid_up_to) else
                        f"prediction error: never within {check.tolerance:.0%}"))
    for ax in (ax_change, ax_error):                       # below the axes: inside, they hid the rising curves
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize=READABLE["legend"])
    _fonts(ax_change, ax_error)
    return out


def _number(value):
    return f"{value:,.0f}" if abs(value) < 1e6 else f"{value:.2g}"


def draw_sharpness_along(axes, traces, runs=None):
    """The full-batch curvature step by step along training runs, one run per column of ``axes``
    (2 rows): the sharpness ``λ_max`` with the line ``2/η`` above which the loss above the minimum
    along the sharpest direction ``v`` can grow at that run's rate (log y when ``λ_max`` spans more than a decade, else
    linear from 0, so the approach to ``2/η`` stays readable), and the full-data loss (log y). When
    ``runs`` (the matching :class:`helpers.net.training.TrainResult`) are given, a run's first
    non-finite step (``diverged_at``) is marked.

    ``traces`` are :class:`helpers.experiment.SharpnessTrace` (``lr``, ``steps``, ``sharpness``,
    ``full_losses``).

    Returns
    -------
    list of Line2D, the sharpness lines.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from matplotlib.figure import Figure
    >>> traces = [SimpleNamespace(lr=1e-3, steps=np.arange(3), sharpness=np.array([5e3, 3e4, 6e9]),
    ...                           full_losses=np.array([1e4, 2e3, 3e12]))]
    >>> lines = draw_sharpness_along(Figure().subplots(2, 1, squeeze=False), traces)
    >>> lines[0].get_ydata().tolist(), [float(v) for v in lines[0].axes.get_lines()[1].get_ydata()]  # λ_max, 2/η
    ([5000.0, 30000.0, 6000000000.0], [2000.0, 2000.0])
    """
    axes = np.asarray(axes).reshape(2, -1)
    lines = []
    runs = [None] * len(traces) if runs is None else runs
    colors = [COLORS["large"], COLORS["small"]] + [None] * len(traces)
    for (ax_lam, ax_loss), trace, run, color in zip(axes.T, traces, runs, colors):
        edge = 2 / trace.lr
        (line,) = ax_lam.plot(trace.steps, trace.sharpness, "o-", ms=5, lw=2, color=color,
                              label="sharpness λ_max (full data)")
        ax_lam.axhline(edge, color=color, ls="--", lw=1.5,
                       label=f"2/η = {edge:,.0f}; above it, the loss above\nthe minimum along v can grow")
        spread = np.nanmax(trace.sharpness) / np.nanmin(trace.sharpness)
        if spread > 10:
            ax_lam.set_yscale("log")
        else:
            ax_lam.set_ylim(0, 1.15 * max(edge, np.nanmax(trace.sharpness)))
        above = trace.sharpness > edge
        ax_lam.plot(trace.steps[above], trace.sharpness[above], "o", ms=11, mfc="none", mec="k", mew=1.5,
                    label=f"above 2/η: {int(above.sum())} of {trace.steps.size} steps")
        peak = int(np.nanargmax(trace.sharpness))
        ax_lam.set_title(f"lr = {trace.lr:g}: λ_max {_number(trace.sharpness[0])} at step {trace.steps[0]}, "
                         f"largest {_number(trace.sharpness[peak])} at step {trace.steps[peak]}\n"
                         f"(ηλ_max = {trace.lr * trace.sharpness[peak]:.3g}; 2/η: the dashed line)")
        ax_lam.set_ylabel("λ_max" + (" (log scale)" if spread > 10 else ""))
        ax_loss.semilogy(trace.steps, trace.full_losses, "s-", ms=4, lw=1.5, color="0.3", label="full-data loss")
        ax_loss.set(ylabel="full-data loss (log)", xlabel="SGD step (weights before that step's update)")
        if run is not None and run.diverged:
            for ax in (ax_lam, ax_loss):
                ax.axvline(run.diverged_at, color=color, ls=":", lw=1.5)
            ax_loss.annotate(f"loss = inf\nat step {run.diverged_at}", (run.diverged_at, 0.3),
                             xycoords=ax_loss.get_xaxis_transform(), xytext=(-6, 0), textcoords="offset points",
                             color=color, fontsize=READABLE["legend"], ha="right", va="center")
        ax_lam.legend(loc="upper left" if spread > 10 else "lower right", fontsize=READABLE["legend"])
        _fonts(ax_lam, ax_loss)
        lines.append(line)
    return lines


def draw_loss_along_steps(ax, t, losses, lr):
    """The full-data loss along the line of each of some SGD steps, relative to its value before the step.

    ``t`` runs from 0 (the weights before the step) to 1 (where the step landed); each curve is
    divided by its value at ``t = 0`` (log y), so a curve ending above the dashed line at 1 is
    a step that raised the loss. The lowest point of each curve is marked with a dot, the end
    with a square, both named in the legend below the axes; the y-axis spans the curves' range.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    t : (m,) array, fractions of the step, from 0 to 1.
    losses : dict of int to (m,) array
        The full-data loss along each step's line (e.g. :func:`helpers.mlp.loss_along_step`), by step.
    lr : float
        The run's learning rate, for the title.

    Returns
    -------
    dict of int to Line2D

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> t = np.linspace(0, 1, 5)
    >>> lines = draw_loss_along_steps(Figure().subplots(), t, {3: 1 + 12 * t * (t - 0.5)}, lr=1e-3)
    >>> lines[3].get_label()
    'step 3: lowest at t = 0.25 (× 0.25), × 7 at t = 1'
    """
    t = np.asarray(t, dtype=float)
    lines, lowest, highest = {}, np.inf, 1.0
    for step, loss in losses.items():
        relative = np.asarray(loss, dtype=float) / loss[0]
        low = int(np.argmin(relative))
        (line,) = ax.semilogy(t, relative, lw=2,
                              label=f"step {step}: lowest at t = {t[low]:.2g} (× {relative[low]:.2g}), "
                                    f"× {relative[-1]:.2g} at t = 1")
        ax.plot(t[low], relative[low], "o", ms=7, color=line.get_color())
        lowest, highest = min(lowest, relative[low]), max(highest, relative.max())
        ax.plot(t[-1], relative[-1], "s", ms=7, color=line.get_color())
        lines[step] = line
    ax.plot([], [], "o", ms=7, color="0.3", label="dot: the lowest point on the line")
    ax.plot([], [], "s", ms=7, color="0.3", label="square: where the step landed (t = 1)")
    ax.axhline(1, color="0.4", ls="--", lw=1.2, label="the loss before the step")
    ax.axvline(1, color="0.4", ls=":", lw=1.2)
    ax.set(xlabel="fraction t of the step taken (t = 1: where the step landed)",
           ylabel="full-data loss / loss before the step (log)",
           title=f"lr = {lr:g}: full-data loss along step{'' if len(losses) == 1 else 's'} "
                 f"{', '.join(str(k) for k in losses)}")
    ax.set_ylim(lowest / 2, highest * 2)           # the data's range, with a margin on the log axis
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize=READABLE["legend"])   # below the axes
    _fonts(ax)
    return lines


def draw_layer_norms(ax, run, zoom_until=None):
    """Norm of each layer's weights (kernel and bias) per step of a run (log y), one line per layer.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    run : helpers.net.training.TrainResult (or anything with ``layer_names``, ``layer_norms`` of shape
        (steps, layers), ``lr``, ``losses``, ``diverged`` and ``diverged_at``)
    zoom_until : int, optional
        Adds an inset on a linear axis with each layer's norm divided by its value at step 0, over steps
        0 to ``zoom_until``: growth by a factor of two or three, invisible next to a jump by orders of
        magnitude on the log axis, can be read there.

    Returns
    -------
    list of Line2D
        One per layer on ``ax``, then one per layer in the inset if there is one.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from matplotlib.figure import Figure
    >>> run = SimpleNamespace(layer_names=["a", "b"], layer_norms=np.array([[1.0, 2.0], [2.0, 2.0], [3.0, 4.0],
    ...                       [1e8, 1e8]]), lr=1e-3, losses=np.array([1.0, 2.0, 3.0, np.inf]), diverged=True,
    ...                       diverged_at=3)
    >>> lines = draw_layer_norms(Figure().subplots(), run, zoom_until=2)
    >>> [line.get_ydata().tolist() for line in lines[2:]]     # the inset: each norm ÷ its value at step 0
    [[1.0, 2.0, 3.0], [1.0, 1.0, 2.0]]
    >>> lines[2].get_label()
    'a: × 3'
    >>> draw_layer_norms(Figure().subplots(), run, zoom_until=3)
    Traceback (most recent call last):
    ...
    ValueError: zoom_until must be a step from 1 to 2 (before the last recorded step), got 3
    """
    steps = run.layer_norms.shape[0]
    if zoom_until is not None and not (isinstance(zoom_until, (int, np.integer)) and 1 <= zoom_until <= steps - 2):
        raise ValueError(f"zoom_until must be a step from 1 to {steps - 2} (before the last recorded step), "
                         f"got {zoom_until!r}")
    lines = []
    for j, name in enumerate(run.layer_names):
        norms = run.layer_norms[:, j]
        (line,) = ax.semilogy(norms, "o-", ms=4, label=f"{name}: {norms[0]:.3g} → {norms[-1]:.3g}")
        lines.append(line)
    last = f"the inf loss at step {run.diverged_at}" if run.diverged else f"step {len(run.losses) - 1}"
    ax.set(xlabel=f"SGD step at lr = {run.lr:g}", ylabel="weight norm ‖W‖ (log scale)",
           title=f"weight norm of each layer, up to {last}")
    ax.legend(loc="upper left", fontsize=READABLE["legend"])
    if zoom_until is not None:
        inset = ax.inset_axes([0.3, 0.38, 0.36, 0.5])
        zoom = np.arange(zoom_until + 1)
        for line, j in zip(list(lines), range(len(run.layer_names))):
            growth = run.layer_norms[zoom, j] / run.layer_norms[0, j]
            (grown,) = inset.plot(zoom, growth, "o-", ms=3, color=line.get_color(),
                                  label=f"{run.layer_names[j]}: × {growth[-1]:.2g}")
            lines.append(grown)
        inset.axhline(1, color="0.6", lw=0.8, ls=":")
        inset.set_title(f"steps 0–{zoom_until}, linear scale: ‖W‖ ÷ ‖W‖ at step 0", fontsize=READABLE["legend"])
        inset.set_xticks(zoom)
        inset.tick_params(labelsize=READABLE["legend"])
        inset.legend(loc="upper left", fontsize=READABLE["legend"] - 1)
    _fonts(ax)
    return lines
__all__ += ["draw_runs_by_outcome"]


def draw_runs_by_outcome(ax_finite, ax_diverged, runs, colors=None, minimum=None, loss_name="loss"):
    """Loss per step of several runs: those that stayed finite on ``ax_finite``, those that
    diverged on ``ax_diverged``, each axes on its own log scale so neither flattens the other.

    A diverged run's line ends at the last loss it computed (the step where it passed float32's
    largest value, marked by a cross); nothing beyond is drawn.

    Parameters
    ----------
    ax_finite, ax_diverged : matplotlib.axes.Axes
    runs : dict of str to helpers.descent.DescentResult
        Runs with losses, by label.
    colors : dict of str to color, optional
    minimum : float, optional
        The smallest possible loss, drawn as a dotted line on ``ax_finite``.
    loss_name : str
        What the loss is called in the minimum's legend entry (e.g. "MSE").

    Returns
    -------
    dict of str to Line2D

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from helpers.quadratic import Quadratic
    >>> from helpers.descent import gradient_descent
    >>> bowl = Quadratic(20.0)
    >>> runs = {f"lr = {lr}": gradient_descent(bowl.grad, [1.0], lr, 150, loss=bowl.loss) for lr in (0.01, 0.12)}
    >>> ax_ok, ax_bad = Figure().subplots(1, 2)
    >>> lines = draw_runs_by_outcome(ax_ok, ax_bad, runs)
    >>> [line.axes is ax_bad for line in lines.values()]
    [False, True]
    >>> lines["lr = 0.12"].get_label()
    "lr = 0.12:\\npasses float32's largest value at step 129"
    """
    colors = colors or {}
    lines = {}
    for label, run in runs.items():
        ax = ax_diverged if run.diverged else ax_finite
        text = f"{label}:\npasses float32's largest value at step {run.diverged_at}" if run.diverged else label
        artists = draw_loss_per_step(ax, run, label=text, color=colors.get(label), annotate=False)
        lines[label] = artists["line"]
    ax_finite.set_yscale("log")
    if not isinstance(loss_name, str) or not loss_name.strip():
        raise ValueError(f"loss_name must be a non-empty string, got {loss_name!r}")
    if minimum is not None:
        ax_finite.axhline(minimum, color="k", ls=":", lw=1.2, label=f"smallest possible {loss_name} {minimum:.3g}")
    ax_finite.legend(loc="upper right", fontsize=11)
    ax_finite.set_title("runs that stayed finite", fontsize=12)
    if any(run.diverged for run in runs.values()):
        draw_loss_thresholds(ax_diverged, ((FLOAT32_MAX, "float32 overflow (3.4e38)"),))
        ax_diverged.set_xlim(-1, 1.1 * max(run.diverged_at for run in runs.values() if run.diverged) + 1)
        ax_diverged.legend(loc="lower right", fontsize=11)
        ax_diverged.set_title("runs that diverged", fontsize=12)
    return lines


# --------------------------------------------------------------------------- lessons 5 and 6
__all__ += ["FONT", "draw_runs", "draw_fix_runs", "draw_fix_summary", "draw_range_test", "note_off_panel",
            "draw_edge_runs", "draw_edge_columns", "above_edge_spans", "draw_minibatch_sharpness", "draw_rate_and_threshold", "draw_ratio_per_step",
            "label_short_log_axis"]

FONT = 12
"""Font size of labels, ticks and legends in lessons 5 and 6 (readable on a projector)."""

_RUN_COLORS = ("#1f77b4", "#2ca02c", "#ff7f0e", "#d62728", "#9467bd", "#8c564b", "#e377c2")


def _readable(ax, legend=True, loc="best"):
    ax.tick_params(labelsize=FONT - 1)
    ax.xaxis.label.set_size(FONT)
    ax.yaxis.label.set_size(FONT)
    ax.title.set_size(FONT)
    if legend and ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=FONT - 2, loc=loc)


def label_short_log_axis(ax, axis="y", max_decades=2.5):
    """Plain tick labels at 1, 2 and 5 times each power of ten on a log axis that spans few decades.

    Matplotlib labels a log axis only at powers of ten: over one or two decades that leaves one
    or two labels (1e-1, 1e0) and the values in between unreadable. Axes spanning more than
    ``max_decades`` decades keep the default. Returns True when the ticks were changed.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> _ = ax.plot([1, 2], [0.4, 1.8]); ax.set_yscale("log"); _ = ax.set_ylim(0.3, 2.5)
    >>> changed = label_short_log_axis(ax)
    >>> ticks = [t for t in ax.yaxis.get_majorticklocs() if 0.3 <= t <= 2.5]
    >>> changed, [ax.yaxis.get_major_formatter()(t) for t in ticks]
    (True, ['0.5', '1', '2'])
    """
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    if axis not in ("x", "y"):
        raise ValueError(f"axis must be 'x' or 'y', got {axis!r}")
    target = ax.yaxis if axis == "y" else ax.xaxis
    low, high = sorted(ax.get_ylim() if axis == "y" else ax.get_xlim())
    if target.get_scale() != "log" or low <= 0 or np.log10(high / low) > max_decades:
        return False
    target.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    target.set_major_formatter(FuncFormatter(lambda value, pos=None: f"{value:g}"))
    target.set_minor_formatter(NullFormatter())
    (ax.set_ylim if axis == "y" else ax.set_xlim)(low, high)
    return True


def _mark_nonfinite(ax, step, color):
    """A triangle at the top edge of the axes, at ``step``: the loss there was inf/nan (not drawn)."""
    (mark,) = ax.plot([step], [0.97], "^", ms=11, color=color, mec="k", zorder=5,
                      transform=ax.get_xaxis_transform(), clip_on=False)
    return mark


def draw_runs(ax, runs, colors=None, styles=None):
    """Loss per step of several runs on a log axis; a triangle at the top where a run hit inf/nan.

    Only losses that occurred are drawn: a run's line ends at its last finite loss, and the
    step whose loss was inf/nan is marked by a triangle on the top edge of the axes.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    runs : sequence of (label, losses, diverged_at: the first inf/nan step, or None)
    colors, styles : sequences of colors and line styles, optional

    Returns
    -------
    list of Line2D

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> lines = draw_runs(ax, [("ok", np.array([10.0, 5.0, 2.0]), None),
    ...                        ("bad", np.array([10.0, 1e3, np.inf]), 2)])
    >>> [line.get_label() for line in lines], lines[1].get_xdata().tolist()
    (['ok', 'bad: inf/nan at step 2 (▲)'], [0, 1])
    """
    lines = []
    for i, (label, losses, bad) in enumerate(runs):
        color = _RUN_COLORS[i % len(_RUN_COLORS)] if colors is None else colors[i]
        style = "-" if styles is None else styles[i]
        text = label if bad is None else f"{label}: inf/nan at step {bad} (▲)"
        (line,) = ax.plot(*_loss_xy(losses), lw=2, ls=style, color=color, label=text)
        if bad is not None:
            _mark_nonfinite(ax, bad, color)
        lines.append(line)
    ax.set_yscale("log")
    ax.set_xlabel("step (minibatch)")
    ax.set_ylabel("minibatch loss (log)")
    _readable(ax, legend=False)
    return lines


def draw_fix_runs(ax_finite, ax_diverged, results, labels, styles=None):
    """Runs of lesson 5's fixes in two panels: those that stayed finite, those that hit inf/nan.

    ``results`` are :class:`helpers.fixes.FixResult` (their ``record.losses`` and
    ``record.diverged_at`` are drawn); ``labels`` name them. Each run keeps its color
    in either panel. Returns the lines of both panels.

    Examples
    --------
    >>> from types import SimpleNamespace as R
    >>> from matplotlib.figure import Figure
    >>> ok = R(record=R(losses=np.array([9.0, 3.0]), diverged_at=None))
    >>> bad = R(record=R(losses=np.array([9.0, np.inf]), diverged_at=1))
    >>> a, b = Figure().subplots(1, 2)
    >>> [line.get_label() for line in draw_fix_runs(a, b, [ok, bad], ["fine", "blew up"])]
    ['fine', 'blew up: inf/nan at step 1 (▲)']
    """
    if len(labels) != len(results):
        raise ValueError(f"labels must name each of the {len(results)} results, got {len(labels)}")
    styles = ["-"] * len(results) if styles is None else styles
    lines = []
    for ax, want_bad, title in ((ax_finite, False, "runs that stayed finite"),
                                (ax_diverged, True, "runs that reached inf/nan")):
        picked = [i for i, r in enumerate(results) if (r.record.diverged_at is not None) == want_bad]
        lines += draw_runs(ax, [(labels[i], results[i].record.losses, results[i].record.diverged_at)
                                for i in picked],
                           colors=[_RUN_COLORS[i % len(_RUN_COLORS)] for i in picked],
                           styles=[styles[i] for i in picked])
        ax.set_title(title)
        _readable(ax)
    return lines


def draw_fix_summary(ax, names, critical_lrs, lrs, trains, not_plain_sgd=None):
    """One row per fix: its ``2 / sharpness`` at the start (bar) and the rate it used (dot).

    ``not_plain_sgd`` (one bool per row, optional) marks the rows of another optimizer (Adam):
    their bar, plain SGD's threshold, is no threshold for them, so it is drawn hatched and
    unfilled, and their dot is not called outside a bar (a circle, whatever the ratio).

    A dot right of its bar's end uses a rate above the quadratic threshold; it is drawn as a
    triangle pointing right (inside or at the bar: a circle), so a dot a few per cent past its
    bar's end, where the two would look the same on a log axis, still reads as outside. Dots are
    filled when the run trained and hollow when it did not. Each row's ratio ``lr / critical_lr``
    is written on that row in a column just right of the axes, where it covers no bar and no dot.
    Log x axis. Returns the ratio labels.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> labels = draw_fix_summary(ax, ["a", "b"], [1e-3, 1e-4], [2.5e-4, 1.02e-4], [True, True])
    >>> [t.get_text() for t in labels], [line.get_marker() for line in ax.lines[:2]]
    (['0.25 x', '1.02 x'], ['o', '>'])
    >>> ax = Figure().subplots()
    >>> _ = draw_fix_summary(ax, ["sgd", "adam"], [1e-3, 1e-3], [2e-3, 2e-3], [False, True], not_plain_sgd=[False, True])
    >>> [line.get_marker() for line in ax.lines[:2]], [str(bar.get_hatch()) for bar in ax.patches]
    (['>', 'o'], ['None', '//'])
    """
    rows = np.arange(len(names))[::-1]
    other = np.zeros(len(names), bool) if not_plain_sgd is None else np.asarray(not_plain_sgd, bool)
    if other.shape != (len(names),):
        raise ValueError(f"not_plain_sgd must have one entry per row ({len(names)}), got {not_plain_sgd!r}")
    critical_lrs = np.asarray(critical_lrs, dtype=float)
    ax.barh(rows[~other], critical_lrs[~other], color=COLORS["threshold"], alpha=0.35, height=0.6,
            label="critical_lr at the run's own start, 2/λ₀ or 2/λ₀' (plain SGD's threshold)")
    if other.any():
        ax.barh(rows[other], critical_lrs[other], height=0.6, facecolor="none", edgecolor=COLORS["threshold"], hatch="//",
                label="hatched: plain SGD's critical_lr, no threshold for this optimizer")
    labels = []
    for row, lr, critical, ok, skip in zip(rows, lrs, critical_lrs, trains, other):
        ax.plot([lr], [row], ">" if lr > critical and not skip else "o", ms=10, mec="k", mfc=COLORS["small"] if ok else "white")
        # On the dot's own row (a label above the dot would sit under the next row's dot), right of the
        # axes: next to the dot a label hid the bar where the dot is compared with the bar's end.
        labels.append(ax.annotate(f"{lr / critical:.2f} x", (1.01, row), xycoords=("axes fraction", "data"),
                                  fontsize=FONT - 2, va="center", ha="left"))
    ax.plot([], [], "o", mec="k", mfc=COLORS["small"], label="lr used: trained")
    ax.plot([], [], "o", mec="k", mfc="white", label="lr used: did not train")
    ax.plot([], [], ">", mec="k", mfc="white", label="triangle: lr above its bar (outside)")
    ax.plot([], [], " ", label="number right of the axes: lr ÷ critical_lr")
    ax.set_yticks(rows, names)
    ax.set_xscale("log")
    ax.set_xlabel("learning rate (log scale)")
    _readable(ax, legend=False)
    # Below the axes, where it covers no bar.
    ax.legend(fontsize=FONT - 2, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3, frameon=False)
    return labels


def draw_range_test(ax_loss, ax_edge, result, critical_lr0, turn_up, suggested=None, edge_limits=None):
    """The range test against the curvature, in two panels sharing the rate axis (log).

    Top: the raw minibatch loss (dots) and fastai's smoothed loss against the rate at that step,
    with vertical lines at ``2 / sharpness`` at the start, at the rate of batch ``turn_up`` (the
    lowest raw loss, after which it turns up) and at each suggested rate. Bottom: ``lr / (2 / sharpness)`` measured
    during the sweep with the full-data sharpness at that step (above 1, shaded, the quadratic model predicts growth along the sharpest
    direction), next to ``lr / critical_lr0`` (dashed), the ratio had the sharpness stayed at its start: in an
    exponential sweep the ratio rises with the rate alone, so the gap between the two is what the sweep did to
    the sharpness. ``edge_limits`` sets the bottom panel's y range; the measurements
    beyond it are named in a note inside the panel (``out["note"]``), not hidden.

    Parameters
    ----------
    result : :class:`helpers.net.range_test.RangeTestResult` with the sharpness measured.
    critical_lr0 : float
    turn_up : int
        A batch index.
    suggested : dict name -> rate, optional

    Examples
    --------
    >>> from types import SimpleNamespace as R
    >>> from matplotlib.figure import Figure
    >>> lrs = np.geomspace(1e-6, 1e-2, 5)
    >>> fake = R(lrs=lrs, losses=np.array([5.0, 4, 2, 3, np.inf]), smoothed=np.array([5.0, 4, 3, 3, 9]),
    ...          sharpness_steps=np.array([0, 2, 4]), sharpness=np.array([100.0, 200, 400]))
    >>> a, b = Figure().subplots(2, 1)
    >>> out = draw_range_test(a, b, fake, 2e-2, 2, {"valley": 1e-5})
    >>> sorted(out)
    ['critical', 'edge', 'frozen', 'loss', 'note', 'smoothed', 'turn_up', 'valley']
    >>> out["frozen"].get_ydata()[[0, -1]].round(6).tolist()       # lr / critical_lr0: the sharpness frozen at its start
    [5e-05, 0.5]
    >>> a, b = Figure().subplots(2, 1)
    >>> draw_range_test(a, b, fake, 2e-2, 2, edge_limits=(0.01, 1))["note"].get_text()
    'outside the panel: below 0.01 at lr = 1e-06; above 1 at lr = 0.01'
    """
    lrs = np.asarray(result.lrs, dtype=float)
    out = {}
    with np.errstate(invalid="ignore"):
        keep = np.isfinite(result.losses)
    (out["loss"],) = ax_loss.plot(lrs[keep], np.asarray(result.losses)[keep], "o-", ms=3, lw=0.8,
                                  color=COLORS["threshold"], label="raw minibatch loss")
    with np.errstate(invalid="ignore"):
        keep = np.isfinite(result.smoothed)
    (out["smoothed"],) = ax_loss.plot(lrs[keep], np.asarray(result.smoothed)[keep], lw=2.5,
                                      color=COLORS["small"], label="smoothed (β = 0.98, as fastai)")
    lines = [("critical", critical_lr0, COLORS["large"], "--", f"2/λ₀: critical_lr at the start = {critical_lr0:.2g}"),
             ("turn_up", lrs[turn_up], "k", "-", f"lowest raw loss: lr = {lrs[turn_up]:.2g}")]
    looks = ((COLORS["predicted"], ":"), ("#9467bd", "-."), ("#8c564b", (0, (1, 3))))
    for (name, rate), (color, ls) in zip((suggested or {}).items(), looks):
        lines.append((name, rate, color, ls, f"fastai '{name}' = {rate:.2g}"))
    for name, rate, color, ls, label in lines:
        out[name] = ax_loss.axvline(rate, color=color, ls=ls, lw=1.8, label=label)
        ax_edge.axvline(rate, color=color, ls=ls, lw=1.8)
    ax_loss.set_xscale("log")
    ax_loss.set_yscale("log")
    ax_loss.set_ylabel("loss (log)")
    steps = np.asarray(result.sharpness_steps, dtype=int)
    every = int(np.min(np.diff(steps))) if len(steps) > 1 else 1
    ratio = lrs[steps] * np.asarray(result.sharpness) / 2
    (out["edge"],) = ax_edge.plot(lrs[steps], ratio, "o-", color=COLORS["actual"], lw=2, ms=4,
                                  label=f"lr / (2/λ_max(t)), λ_max(t): full-data sharpness, every {every} steps")
    # The ratio grows with lr even at a fixed sharpness: the gap to this curve is what the sweep did to λ_max.
    (out["frozen"],) = ax_edge.plot(lrs, lrs / critical_lr0, ls="--", color="0.35", lw=1.5,
                                    label="lr / (2/λ₀): the ratio had the sharpness stayed at λ₀")
    ax_edge.axhline(1.0, color="k", lw=1, label="lr / (2/λ_max(t)) = 1")
    ax_edge.set_xscale("log")
    ax_edge.set_yscale("log")
    low, high = edge_limits if edge_limits is not None else (np.nanmin(ratio) / 2, np.nanmax(ratio) * 2)
    ax_edge.axhspan(1.0, high, color=COLORS["large"], alpha=0.08, label="above 1: the quadratic model predicts growth along the sharpest direction")
    ax_edge.set_ylim(low, high)
    off = [f"below {low:g} at lr = " + _span(lrs[steps][ratio < low])] if np.any(ratio < low) else []
    off += [f"above {high:g} at lr = " + _span(lrs[steps][ratio > high])] if np.any(ratio > high) else []
    out["note"] = ax_edge.text(0.99, 0.04, "outside the panel: " + "; ".join(off) if off else "",
                               transform=ax_edge.transAxes, ha="right", va="bottom", fontsize=FONT - 3)
    ax_edge.set_xlabel("learning rate at that step (log)")
    ax_edge.set_ylabel("lr / (2/λ_max(t))")
    _readable(ax_loss, loc="upper left")
    _readable(ax_edge, loc="upper left")
    return out


def _span(values):
    """``a`` or ``a to b`` (the first and last of ``values``), for notes on what leaves a panel."""
    return f"{values[0]:.2g}" if len(values) == 1 else f"{values[0]:.2g} to {values[-1]:.2g}"


def draw_edge_runs(ax_loss, ax_edge, runs, labels, ax_diverged=None, relative=False, edge_scale="log",
                   edge_limits=None, stop_label="diverged", ratio_label=None):
    """Gradient-descent runs with their sharpness tracked: loss (top) and sharpness × lr / 2 (bottom).

    Each run has ``losses``, ``sharpness_steps``, ``sharpness``, ``lr`` and ``stopped_at``
    (:class:`helpers.dynamics.DynamicsResult`). The bottom panel divides the sharpness by
    ``2 / lr``, so every run's edge of stability is the line at 1. Runs stopped as a blow-up
    (``stopped_at`` not None) are drawn in ``ax_diverged`` when it is given (their loss, up to the
    value that stopped them, with a cross there). ``relative`` divides each loss by its first value. ``edge_limits`` sets the
    bottom panel's y range (values beyond it leave the panel). A run whose sharpness was measured
    only once (it diverged before the next measurement) says so in the bottom panel's legend.
    ``stop_label`` names, in the legend,
    the criterion that stopped a run (``"{stop_label} at step k"``); ``ratio_label``
    renames the bottom panel's quantity (its axis and the line at 1).

    Examples
    --------
    >>> from types import SimpleNamespace as R
    >>> from matplotlib.figure import Figure
    >>> run = R(losses=np.array([4.0, 2.0, 1.0]), sharpness_steps=np.array([0, 2]),
    ...         sharpness=np.array([10.0, 20.0]), lr=0.1, stopped_at=None)
    >>> a, b = Figure().subplots(2, 1)
    >>> out = draw_edge_runs(a, b, [run], ["demo"], relative=True)
    >>> out["edge"][0].get_ydata().tolist(), out["loss"][0].get_ydata().tolist()
    ([0.5, 1.0], [1.0, 0.5, 0.25])
    """
    if len(labels) != len(runs):
        raise ValueError(f"labels must name each of the {len(runs)} runs, got {len(labels)}")
    out = {"loss": [], "edge": []}
    for i, (run, label) in enumerate(zip(runs, labels)):
        color = _RUN_COLORS[i % len(_RUN_COLORS)]
        loss = np.asarray(run.losses, dtype=float)
        loss = loss / loss[0] if relative else loss
        ax = ax_diverged if run.stopped_at is not None and ax_diverged is not None else ax_loss
        text = label if run.stopped_at is None else f"{label}: {stop_label} at step {run.stopped_at}"
        (line,) = ax.plot(*_loss_xy(loss), lw=2, color=color, label=text)
        if run.stopped_at is not None:
            last = loss[run.stopped_at]
            if np.isfinite(last):
                ax.plot([run.stopped_at], [last], "X", ms=11, mec="k", color=color, zorder=5, clip_on=False)   # not cut at the last step
            else:
                _mark_nonfinite(ax, run.stopped_at, color)
        out["loss"].append(line)
        # A run measured once is a lone dot: say so, or it reads as a line that failed to draw.
        once = len(run.sharpness) == 1
        edge_label = f"{label} (sharpness measured once, at step {int(run.sharpness_steps[0])})" if once else label
        (edge,) = ax_edge.plot(run.sharpness_steps, np.asarray(run.sharpness) * run.lr / 2, "o-", ms=3,
                               lw=1.5, color=color, label=edge_label)
        out["edge"].append(edge)
    for ax in (ax_loss, ax_diverged):
        if ax is not None:
            ax.set_yscale("log")
            ax.set_ylabel("loss ÷ initial loss (log)" if relative else "loss (log)")
            _readable(ax)
    ax_edge.axhline(1.0, color="k", lw=1.2, ls="--",
                    label="sharpness = 2 / lr (edge)" if ratio_label is None else f"{ratio_label} = 1")
    ax_edge.set_yscale(edge_scale)
    if edge_limits is not None:
        ax_edge.set_ylim(*edge_limits)
    for ax in (ax_loss, ax_diverged, ax_edge):
        if ax is not None:
            label_short_log_axis(ax)
    ax_edge.set_xlabel("step")
    ax_edge.set_ylabel("sharpness ÷ (2 / lr)" if ratio_label is None else ratio_label)
    _readable(ax_edge)
    return out


def note_off_panel(ax_edge, runs, labels, top):
    """Name, inside the bottom-right corner of ``ax_edge``, the ``sharpness × lr / 2`` values above ``top``.

    For the bottom panel of :func:`draw_edge_runs` with ``edge_limits``: the values cut off are
    stated, not hidden. Returns the text (empty when nothing leaves the panel).

    Examples
    --------
    >>> from types import SimpleNamespace as R
    >>> from matplotlib.figure import Figure
    >>> run = R(lr=0.1, sharpness_steps=np.array([0, 1, 2]), sharpness=np.array([10.0, 30.0, 1e5]))
    >>> note_off_panel(Figure().subplots(), [run], ["demo"], top=300)
    'above the panel (> 300): demo 5e+03 at step 2'
    """
    parts = []
    for run, label in zip(runs, labels):
        edge = np.asarray(run.sharpness, dtype=float) * run.lr / 2
        off = [f"{v:.2g} at step {int(s)}" for s, v in zip(run.sharpness_steps, edge) if v > top]
        if off:
            parts.append(f"{label} " + ", ".join(off))
    text = f"above the panel (> {top:g}): " + "; ".join(parts) if parts else ""
    if text:
        ax_edge.text(0.99, 0.04, text, transform=ax_edge.transAxes, ha="right", va="bottom", fontsize=FONT - 3)
    return text


def above_edge_spans(run):
    """The step intervals in which the last sharpness measured was above ``2 / lr``, and the rises in them.

    The sharpness is measured every few steps; a measurement at step ``s`` stands for the steps
    up to the next one (or the run's end: its last step, or ``stopped_at``). Step ``k`` *rises*
    when ``losses[k + 1] > losses[k]``; it falls in a span ``(a, b)`` when ``a <= k < b``, so the
    segment drawn from ``k`` to ``k + 1`` lies inside the span. Returns ``(spans, rises,
    rises_inside)``: the spans as ``(a, b)`` pairs, the number of rising steps and how many of them
    lie in a span.

    Examples
    --------
    >>> from types import SimpleNamespace as R
    >>> run = R(losses=np.array([1.0, 2.0, 1.5, 1.8, 1.0]), sharpness_steps=np.array([0, 2]),
    ...         sharpness=np.array([25.0, 15.0]), lr=0.1, stopped_at=None)
    >>> above_edge_spans(run)
    ([(0, 2)], 2, 1)
    """
    steps = np.asarray(run.sharpness_steps, dtype=int)
    loss = np.asarray(run.losses, dtype=float)
    if steps.ndim != 1 or len(steps) != len(run.sharpness) or len(steps) == 0:
        raise ValueError(f"run.sharpness_steps must list one step per sharpness value, got {len(steps)} steps "
                         f"for {len(run.sharpness)} values")
    end = len(loss) - 1 if run.stopped_at is None else int(run.stopped_at)
    bounds = np.append(steps, end)
    above = np.asarray(run.sharpness, dtype=float) * run.lr / 2 > 1
    spans = []
    for a, b, up in zip(bounds[:-1], bounds[1:], above):
        if up and b > a:
            if spans and spans[-1][1] == a:          # adjacent intervals drawn as one span
                spans[-1] = (spans[-1][0], int(b))
            else:
                spans.append((int(a), int(b)))
    rising = np.flatnonzero(np.diff(loss[:end + 1]) > 0)
    inside = sum(any(a <= k < b for a, b in spans) for k in rising)
    return spans, len(rising), int(inside)


def draw_edge_columns(axes_loss, axes_edge, runs, labels, colors=None):
    """One column per run: its loss ÷ initial loss (top, log) and sharpness × lr / 2 (bottom).

    Small multiples of :func:`draw_edge_runs` for runs that would hide each other on one
    panel (several seeds). The top panels mark the initial loss (dotted line at 1), the
    bottom panels the edge (dashed line at 1). Both panels shade the steps during which the
    last sharpness measured was above the edge (:func:`above_edge_spans`); each column is titled
    by its label and, below it, the number of steps on which the loss rose and how many of them
    lie in the shade; a legend below the figure names the shade and the edge. Share the axes of a row (``sharey``) to compare the columns.

    Examples
    --------
    >>> from types import SimpleNamespace as R
    >>> from matplotlib.figure import Figure
    >>> run = R(losses=np.array([4.0, 6.0, 1.0]), sharpness_steps=np.array([0, 2]),
    ...         sharpness=np.array([30.0, 10.0]), lr=0.1, stopped_at=None)
    >>> top, bottom = Figure().subplots(2, 2, sharey="row")
    >>> out = draw_edge_columns(top, bottom, [run, run], ["seed 0", "seed 1"])
    >>> out["loss"][1].get_ydata().tolist(), out["edge"][0].get_ydata().tolist()
    ([1.0, 1.5, 0.25], [1.5, 0.5])
    >>> top[1].get_title(), len(out["shade"]), out["shade"][1].get_label()   # steps 0-2 shaded, top and bottom
    ('seed 1\\n1 rising step, 1 shaded', 4, 'sharpness above 2/lr (last measured)')
    """
    if not len(axes_loss) == len(axes_edge) == len(runs) == len(labels):
        raise ValueError(f"axes_loss, axes_edge and labels must have one entry per run ({len(runs)}), "
                         f"got {len(axes_loss)}, {len(axes_edge)} and {len(labels)}")
    out = {"loss": [], "edge": [], "shade": []}
    for i, (ax_l, ax_e, run, label) in enumerate(zip(axes_loss, axes_edge, runs, labels)):
        color = _RUN_COLORS[i % len(_RUN_COLORS)] if colors is None else colors[i]
        spans, rises, inside = above_edge_spans(run)
        for j, (a, b) in enumerate(spans):
            for ax in (ax_l, ax_e):
                shade = ax.axvspan(a, b, color="0.82", lw=0, zorder=0,
                                   label="sharpness above 2/lr (last measured)" if i == j == 0 and ax is ax_e else None)
                out["shade"].append(shade)
        loss = np.asarray(run.losses, dtype=float)
        (line,) = ax_l.plot(*_loss_xy(loss / loss[0]), lw=1.8, color=color)
        ax_l.axhline(1.0, color="k", lw=0.8, ls=":")
        ax_l.set_yscale("log")
        ax_l.set_title(f"{label}\n{rises} rising step{'s' if rises != 1 else ''}, {inside} shaded")
        (edge,) = ax_e.plot(run.sharpness_steps, np.asarray(run.sharpness) * run.lr / 2, "o-", ms=3,
                            lw=1.5, color=color)
        ax_e.axhline(1.0, color="k", lw=1.2, ls="--", label="edge: sharpness = 2/lr" if i == 0 else None)
        ax_e.set_xlabel("step")
        out["loss"].append(line)
        out["edge"].append(edge)
    axes_loss[0].set_ylabel("loss ÷ initial loss (log)")
    axes_edge[0].set_ylabel("sharpness ÷ (2 / lr)")
    for ax in (*axes_loss, *axes_edge):
        label_short_log_axis(ax)
        _readable(ax, legend=False)
    handles, names = axes_edge[0].get_legend_handles_labels()
    axes_edge[0].figure.legend(handles, names, loc="outside lower center", ncols=len(names), fontsize=FONT - 1)
    return out


def draw_minibatch_sharpness(ax, result, lr):
    """Histogram of the minibatches' sharpness, one tick per minibatch, the full batch's and ``2 / lr``.

    The ticks below the bars are coloured by whether that minibatch is sharper than the full
    batch, and the legend counts them. The axis spans at least 0.8 to 1.3 times the full batch's
    sharpness (wider if a minibatch or ``2 / lr`` lies outside), so the spread fills the panel, and
    a second axis on top reads each value as a multiple of the full batch's sharpness, named in
    its tick labels (an axis label there would read as part of the title).
    ``result`` is a :class:`helpers.dynamics.MinibatchSharpness`.
    """
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.hist(result.batches, bins=8, color=COLORS["small"], alpha=0.7,
            label=f"{len(result.batches)} minibatches of {result.batch_size}")
    # One tick per minibatch below the bars: which side of the full-batch line each one lies on.
    sharper = result.batches > result.full
    for mask, color, width, what in ((sharper, "k", 3, "sharper"), (~sharper, "#999999", 2, "not sharper")):
        ax.plot(result.batches[mask], np.full(mask.sum(), -0.35), "|", ms=22, mew=width, color=color, clip_on=False,
                label=f"a minibatch {what} than the full batch ({mask.sum()})")
    ax.set_ylim(bottom=-0.7)
    ax.axvline(result.full, color="k", lw=2.5, label=f"full batch: {result.full:.3g}")
    ax.axvline(2 / lr, color=COLORS["large"], ls="--", lw=2, label=f"2 / lr at lr = {lr:.2e}: {2 / lr:.3g}")
    shown = np.concatenate([result.batches, [2 / lr]])
    ax.set_xlim(min(0.8 * result.full, 0.97 * shown.min()), max(1.3 * result.full, 1.03 * shown.max()))
    top = ax.secondary_xaxis("top", functions=(lambda s: s / result.full, lambda r: r * result.full))
    top.xaxis.set_major_formatter(FuncFormatter(lambda r, _: f"{r:.2g} x full batch"))
    top.tick_params(labelsize=FONT - 2)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("sharpness of the minibatch loss")
    ax.set_ylabel("minibatches")
    _readable(ax, legend=False)
    ax.legend(fontsize=FONT - 2, loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=2)


def draw_rate_and_threshold(ax_loss, ax_rate, result, critical_lr0, passed_step=None, loss_top=None):
    """A run with a changing rate (warm-up): its loss (top), and its rate against ``2 / sharpness`` (bottom).

    ``result`` is a :class:`helpers.fixes.FixResult` with the sharpness tracked
    (``sharpness_steps`` and ``sharpness``); its ``record.lrs`` are the rates. ``passed_step``,
    when given, is marked in the bottom panel by a grey vertical line: the step at which the rate
    passed ``critical_lr0``. ``loss_top``, when given, caps the loss panel so that the climb
    before the blow-up stays visible; the finite losses above it are named in the panel.
    """
    from matplotlib.ticker import MaxNLocator

    record = result.record
    bad = record.diverged_at
    draw_runs(ax_loss, [(result.name, record.losses, bad)], colors=[COLORS["large"]])
    ax_loss.set_xlabel("")
    _readable(ax_loss, loc="upper left")
    steps = np.arange(len(record.lrs))
    ax_rate.plot(steps, record.lrs, lw=2.5, color=COLORS["small"], label="lr at each step")
    measured = np.asarray(result.sharpness_steps)
    every = "every step" if len(measured) < 2 or np.min(np.diff(measured)) == 1 else f"every {np.min(np.diff(measured))} steps"
    ax_rate.plot(measured, 2 / np.asarray(result.sharpness), "o-", ms=4,
                 lw=1.5, color=COLORS["actual"], label=f"2/λ_max(t): the current critical_lr\n(λ_max(t): full-data sharpness after t steps, {every})")
    ax_rate.axhline(critical_lr0, color=COLORS["large"], ls="--", lw=1.5,
                    label=f"2/λ₀ (full-data sharpness at the start) = {critical_lr0:.2g}")
    if passed_step is not None:
        ax_rate.axvline(passed_step, color="grey", lw=2, alpha=0.7,
                        label=f"step {passed_step}: lr passes 2/λ₀")
    if bad is not None:
        ax_loss.axvline(bad, color="k", lw=1, ls=":")
        ax_rate.axvline(bad, color="k", lw=1, ls=":", label=f"inf/nan at step {bad}")
    if loss_top is not None:
        ax_loss.set_ylim(top=loss_top)
        off = [f"{v:.2g} at step {k}" for k, v in enumerate(record.losses) if np.isfinite(v) and v > loss_top]
        if off:
            ax_loss.text(0.99, 0.04, f"loss above the panel (> {loss_top:.2g}): " + ", ".join(off), transform=ax_loss.transAxes,
                         ha="right", va="bottom", fontsize=FONT - 3, bbox=dict(facecolor="white", edgecolor="none", alpha=0.85))
    ax_rate.set_yscale("log")
    # 2/sharpness measured after the blow-up has begun collapses by orders of magnitude: let it
    # leave the panel rather than squash the rest, and name what left it.
    # The top leaves room for the legend above the curves.
    bottom = 0.3 * np.min(record.lrs)
    ax_rate.set_ylim(bottom, 60 * max(np.max(record.lrs), critical_lr0))
    off = [f"{v:.2g} at step {int(s)}" for s, v in zip(measured, 2 / np.asarray(result.sharpness)) if v < bottom]
    if off:
        ax_rate.text(0.99, 0.96, f"2/λ_max(t) below the panel (< {bottom:.2g}): " + ", ".join(off),
                     transform=ax_rate.transAxes, ha="right", va="top", fontsize=FONT - 3,
                     bbox=dict(facecolor="white", edgecolor="none", alpha=0.85))
    ax_rate.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_rate.set_xlabel("step (minibatch)")
    ax_rate.set_ylabel("learning rate (log)")
    _readable(ax_rate, loc="upper left")   # the 2 / sharpness trace falls off the bottom right


def draw_ratio_per_step(ax, steps, ratios, limits=(0.01, 300), every="after every step"):
    """``lr / (2 / λ_max(t))`` at each measured step, as markers only: nothing was measured between steps.

    The line at 1 and the shaded band above it mark where the quadratic model predicts growth
    along the sharpest direction. Log y axis limited to ``limits``; the values above the top are
    named in a note inside the panel, which is returned (its text is empty when none leaves).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    steps, ratios : array_like
        The measured steps and ``lr / (2 / λ_max(t))`` at each, of the same shape.
    limits : (float, float)
        The y range ``(low, high)``, ``0 < low < high``.
    every : str
        How often the sharpness was measured, for the legend.

    Returns
    -------
    matplotlib.text.Text
        The note naming the values above the panel.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> draw_ratio_per_step(ax, [0, 1, 2], [0.5, 2.0, 1e4]).get_text()
    'above the panel: 1e+04 at step 2'
    >>> ax.get_lines()[0].get_linestyle(), [float(v) for v in ax.get_ylim()]
    ('None', [0.01, 300.0])
    """
    steps, ratios = np.asarray(steps), np.asarray(ratios, dtype=float)
    if steps.shape != ratios.shape:
        raise ValueError(f"steps and ratios must have the same shape, got {steps.shape} and {ratios.shape}")
    low, high = limits
    if not 0 < low < high:
        raise ValueError(f"limits must be (low, high) with 0 < low < high, got {limits!r}")
    ax.plot(steps, ratios, "o", color=COLORS["large"], label=f"lr / (2/λ_max(t)), measured {every} (no line: nothing between)")
    ax.axhline(1, color="k", lw=1)
    ax.axhspan(1, high, color=COLORS["large"], alpha=0.08, label="above 1")
    ax.set(yscale="log", ylim=(low, high), xlabel="step (minibatch)", ylabel="lr / (2/λ_max(t))")
    off = ", ".join(f"{v:.2g} at step {s:g}" for s, v in zip(steps, ratios) if v > high)
    note = ax.text(0.99, 0.04, f"above the panel: {off}" if off else "", transform=ax.transAxes, ha="right", va="bottom",
                   fontsize=FONT - 3)
    ax.legend(fontsize=FONT - 3, loc="upper left")
    return note


# --------------------------------------------------------------------------- accessibility
__all__ += ["alt_text"]


def alt_text(fig) -> str:
    """A figure's text alternative, read from its titles: the suptitle, then each panel's title.

    A static copy of a lesson (the course site, the slides) gives each figure image this text
    as its ``alt``; since every title is computed from the data, so is the alt text.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> fig = Figure()
    >>> left, right = fig.subplots(1, 2)
    >>> _ = left.set_title("loss per step"), right.set_title("factor |1 - lr f''|")
    >>> alt_text(fig)
    "Figure: loss per step; factor |1 - lr f''|"
    >>> alt_text(Figure())
    'Figure (untitled)'
    """
    titles = [fig.get_suptitle()]
    for ax in fig.axes:
        titles += [ax.get_title(loc) for loc in ("left", "center", "right")]
    titles = [" ".join(t.split()) for t in titles if t.strip()]
    return f"Figure: {'; '.join(titles)}" if titles else "Figure (untitled)"


__all__ += ["draw_growth_inset"]


def draw_growth_inset(ax, losses, factor, ceiling, color=None, bounds=(0.42, 0.6, 0.55, 0.33)):
    """An inset on ``ax``: a diverging run's loss at each step up to its overflow, beside the fastest
    growth the parabola allows (``losses[0] * factor**t``) and the loss at which it overflows.

    On the run's 300-step panel a run that overflows within a few steps is a vertical line; the
    inset spreads those steps out, so a constant factor per step (a straight line on its log axis)
    and an accelerating growth look different.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    losses : array_like
        The run's loss per step; the first non-finite one ends the line.
    factor : float
        The parabola's growth factor per step, ``(1 - lr * sharpness) ** 2``; must be above 1.
    ceiling : float
        The loss at which the run overflows (drawn dotted).
    color : color, optional
    bounds : (x0, y0, width, height) in axes fractions
        The legend sits in ``ax`` just below the inset (under its tick labels), off the inset's lines.

    Returns
    -------
    matplotlib.axes.Axes
        The inset.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> inset = draw_growth_inset(Figure().subplots(), [10.0, 90.0, 810.0, np.inf], 9.0, 1e3)
    >>> inset.get_title(), [line.get_label() for line in inset.get_lines()]
    ('first 3 steps, log scale', ['the run', 'x 9 per step (parabola)', 'overflow'])
    >>> draw_growth_inset(Figure().subplots(), [1.0, 2.0], 0.5, 1e3)
    Traceback (most recent call last):
    ...
    ValueError: factor must be above 1 (a growth per step), got 0.5
    """
    if not factor > 1:
        raise ValueError(f"factor must be above 1 (a growth per step), got {factor!r}")
    if not ceiling > 0:
        raise ValueError(f"ceiling must be positive, got {ceiling!r}")
    losses = np.asarray(losses, dtype=float)
    bad = ~np.isfinite(losses)
    finite = losses[:np.argmax(bad)] if bad.any() else losses
    if finite.size < 2:
        raise ValueError(f"losses must hold at least 2 finite steps before any inf/nan, got {finite.size}")
    steps = np.arange(finite.size)
    color = COLORS["large"] if color is None else color
    inset = ax.inset_axes(bounds)
    inset.semilogy(steps, finite, "o-", ms=3, lw=1.5, color=color, label="the run")
    reach = math.ceil(math.log(ceiling / finite[0]) / math.log(factor))   # the parabola's step to the ceiling
    fastest = np.arange(max(reach, finite.size - 1) + 1)
    inset.semilogy(fastest, finite[0] * factor ** fastest.astype(float), "--", lw=1, color=COLORS["threshold"],
                   label=f"x {factor:.3g} per step (parabola)")
    inset.axhline(ceiling, color="k", ls=":", lw=1, label="overflow")
    inset.set_title(f"first {finite.size} steps, log scale", fontsize=10)
    inset.tick_params(labelsize=8)
    low, high = np.log10(finite.min()), np.log10(max(ceiling, finite.max()))
    pad = 0.08 * (high - low)
    inset.set_ylim(10 ** (low - pad), 10 ** (high + pad))   # the run and the overflow, no more
    inset.set_xlim(-0.5, fastest[-1] + 0.5)
    inset.legend(fontsize=8, loc="upper right", handlelength=1.5, bbox_to_anchor=(bounds[0] + bounds[2], bounds[1] - 0.07),
                 bbox_transform=ax.transAxes, borderaxespad=0)   # below the inset, off its lines
    return inset


__all__ += ["stretch_first_steps"]


def stretch_first_steps(ax, linear_to=10):
    """Give the first steps of a step axis room: linear up to ``linear_to``, logarithmic beyond.

    For runs whose early steps decide their fate (a catapult) but that go on for hundreds of
    steps: on a linear axis those steps would be squeezed against the left edge. The axis
    label says how the axis is scaled.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> stretch_first_steps(ax, linear_to=10)
    >>> ax.get_xscale(), ax.get_xlabel()
    ('symlog', 'step (linear to 10, log beyond)')
    """
    if isinstance(linear_to, bool) or not isinstance(linear_to, (int, float)) or not linear_to > 0:
        raise ValueError(f"linear_to must be a positive number, got {linear_to!r}")
    ax.set_xscale("symlog", linthresh=linear_to, linscale=1.5)
    ax.set_xlim(left=-linear_to / 20)
    ax.set_xlabel(f"step (linear to {linear_to:g}, log beyond)")


__all__ += ["draw_first_steps_inset"]


def draw_first_steps_inset(ax, losses, steps=20, color=None, bounds=(0.42, 0.6, 0.55, 0.33)):
    """An inset on ``ax``: a finite run's loss over its first ``steps`` steps, on a log axis.

    On a 300-step panel what a run does in its first few steps is squeezed against the left edge;
    the inset spreads those steps out, as :func:`draw_growth_inset` does for a diverging run.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    losses : array_like
        The run's loss per step, all finite.
    steps : int
        How many of the first steps to draw (at least 2, at most ``len(losses)``).
    color : color, optional
    bounds : (x0, y0, width, height) in axes fractions

    Returns
    -------
    matplotlib.axes.Axes
        The inset.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> inset = draw_first_steps_inset(Figure().subplots(), [5.0, 9.0, 2.0, 3.0, 3.0], steps=4)
    >>> inset.get_title(), inset.get_lines()[0].get_ydata().tolist()
    ('first 4 steps, log scale', [5.0, 9.0, 2.0, 3.0])
    >>> draw_first_steps_inset(Figure().subplots(), [1.0, np.inf])
    Traceback (most recent call last):
    ...
    ValueError: losses must all be finite (a diverging run has draw_growth_inset), got a non-finite one at step 1
    """
    losses = np.asarray(losses, dtype=float)
    bad = np.flatnonzero(~np.isfinite(losses))
    if bad.size:
        raise ValueError(f"losses must all be finite (a diverging run has draw_growth_inset), got a non-finite one at step {bad[0]}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 2 <= steps <= losses.size:
        raise ValueError(f"steps must be an integer from 2 to len(losses) = {losses.size}, got {steps!r}")
    color = COLORS["large"] if color is None else color
    inset = ax.inset_axes(bounds)
    inset.semilogy(np.arange(steps), losses[:steps], "o-", ms=3, lw=1.5, color=color)
    inset.set_title(f"first {steps} steps, log scale", fontsize=10)
    inset.tick_params(labelsize=8)
    inset.set_xlim(-0.5, steps - 0.5)
    return inset
