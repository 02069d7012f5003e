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

import numpy as np

from helpers.descent import FLOAT32_MAX

__all__ = ["COLORS", "EIGEN_COLORS", "LOSS_FLOOR", "LOSS_CEILING", "parabola_curve", "draw_parabola",
           "draw_parabola_steps", "draw_loss_per_step", "update_loss_per_step",
           "draw_loss_thresholds", "draw_factor_vs_lr", "ellipse_levels", "draw_level_sets",
           "draw_eigen_directions", "draw_path_2d", "draw_change_vs_step", "verdict",
           "power_of_ten", "set_log_ticks", "draw_rate_comparison", "draw_clock",
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
                       color=line.get_color(), fontsize=9, ha="right", va="center", visible=annotate)
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
                                         (FLOAT32_MAX, "float32 overflow (3.4e38)"))):
    """Horizontal dotted lines at the blow-up thresholds, labelled at the left; returns them."""
    lines = []
    for value, name in thresholds:
        lines.append(ax.axhline(value, color=COLORS["threshold"], ls=":", lw=1))
        ax.text(0.01, value / 3, name, transform=ax.get_yaxis_transform(), fontsize=8,
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
                             color=COLORS["large"], fontsize=9, ha="right", va="top")
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
        text = ax.text(*ends[1], f"λ = {lam:.3g}", color=color, fontsize=9)
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
                        label_pred="second-order prediction", label_actual="actual change"):
    """Goodfellow's predicted change in loss against the step size, and the actual change.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    eps : array_like
        Step sizes.
    predicted, actual : array_like
        Predicted and (optionally) actual change in loss at each step size.
    best : float, optional
        The best step ``g^T g / g^T H g``; marks it and twice it (where the change turns positive).

    Returns
    -------
    dict
        ``predicted`` and (if given) ``actual`` Line2D.
    """
    out = {}
    (out["predicted"],) = ax.plot(eps, predicted, color=COLORS["predicted"], lw=2.5, label=label_pred)
    if actual is not None:
        (out["actual"],) = ax.plot(eps, actual, color=COLORS["actual"], lw=1.5, ls="--",
                                   label=label_actual)
    ax.axhline(0.0, color="k", lw=0.8)
    if best is not None:
        ax.axvline(best, color=COLORS["small"], ls=":", lw=1.2, label=f"best step ε* = {best:.3g}")
        ax.axvline(2 * best, color=COLORS["large"], ls=":", lw=1.2,
                   label=f"2ε* = {2 * best:.3g}: predicted to turn positive")
    ax.set_xlabel("step size ε (learning rate)")
    ax.set_ylabel("change in loss ΔL")
    return out


def draw_rate_comparison(ax_bowl, ax_loss, curvature, runs, colors=None, parabola_steps=6):
    """One bowl, several rates: the steps on the parabola (left) and the loss per step (right).

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
        label = f"lr = {run.lr:g}: factor {factor:.2f} → {verdict(factor)}"
        steps = draw_parabola_steps(ax_bowl, run.path, curvature, parabola_steps, color=color,
                                    label=label)
        out.append({"steps": steps, **draw_loss_per_step(ax_loss, run, label=label, color=color)})
    ax_bowl.legend(loc="upper center", fontsize=8)
    coefficient = "" if curvature == 2 else f"{curvature / 2:g} "
    ax_bowl.set_title(f"f(w) = {coefficient}w²  (f'' = {curvature:g}): first {parabola_steps} steps",
                      fontsize=10)
    ax_loss.legend(loc="lower left", fontsize=8)
    ax_loss.set_title(f"loss per step (threshold 2/f'' = {2 / curvature:g})", fontsize=10)
    return out


def draw_clock(ax, run, clock, names=("a trillion", "float32 overflow")):
    """The blow-up clock on a loss-per-step plot: each threshold, where the clock predicted the
    loss would pass it (dashed vertical line) and where the run did pass it (dot).

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
        ax.text(predicted, threshold * 1e-2, f" {name}: predicted step {predicted}, run: {seen}",
                fontsize=8, va="top", ha="right" if predicted > 0.5 * ax.get_xlim()[1] else "left")
        out.append((line, pred, mark))
    return out


# --------------------------------------------------------------------------- lessons 5 and 6
__all__ += ["draw_runs", "draw_fix_summary", "draw_range_test", "draw_sharpness_track"]


def draw_runs(ax, runs, colors=None):
    """Minibatch loss per step of several runs on a log axis, a cross where each diverged.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    runs : sequence of (label, losses, first_nonfinite_step or None)
        ``losses`` is a numpy array, one loss per step.
    colors : sequence of colors, optional

    Returns
    -------
    list of Line2D

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> lines = draw_runs(ax, [("ok", np.array([10.0, 5.0, 2.0]), None),
    ...                        ("bad", np.array([10.0, 1e3, np.inf]), 2)])
    >>> [line.get_label() for line in lines]
    ['ok', 'bad: nan/inf at step 2']
    """
    lines = []
    for i, (label, losses, bad) in enumerate(runs):
        color = None if colors is None else colors[i]
        text = label if bad is None else f"{label}: nan/inf at step {bad}"
        (line,) = ax.plot(*_loss_xy(losses), lw=1.3, color=color, label=text)
        if bad is not None:
            finite = np.asarray(losses[:bad], dtype=float)
            y = finite[-1] if finite.size and np.isfinite(finite[-1]) else LOSS_CEILING
            ax.plot([max(bad - 1, 0)], [min(y, LOSS_CEILING)], "X", ms=10, color=line.get_color(),
                    mec="k", zorder=5)
        lines.append(line)
    ax.set_yscale("log")
    ax.set_xlabel("step (minibatch)")
    ax.set_ylabel("minibatch loss (log scale)")
    return lines


def draw_fix_summary(ax, names, critical_lrs, lrs, trains):
    """One row per fix: its ``2 / sharpness`` at the start (bar) and the rate it used (dot).

    A dot right of its bar's end uses a rate above the quadratic threshold. Dots are filled
    when the run trained and hollow when it did not. Log x axis.
    """
    rows = np.arange(len(names))[::-1]
    ax.barh(rows, critical_lrs, color=COLORS["threshold"], alpha=0.35, height=0.6,
            label="2 / sharpness at the start")
    for row, lr, ok in zip(rows, lrs, trains):
        ax.plot([lr], [row], "o", ms=8, mec="k", mfc=COLORS["small"] if ok else "white")
    ax.plot([], [], "o", mec="k", mfc=COLORS["small"], label="lr used: trained")
    ax.plot([], [], "o", mec="k", mfc="white", label="lr used: did not train")
    ax.set_yticks(rows, names, fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("learning rate (log scale)")
    ax.legend(loc="lower right", fontsize=8)


def draw_range_test(ax, lrs, losses, smoothed, critical_lr=None, suggestion=None):
    """The range test: loss against the (exponentially growing) rate, log-log, with 2/sharpness.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> lines = draw_range_test(ax, np.geomspace(1e-6, 1e-2, 5), np.ones(5), np.ones(5), 1e-3, 1e-4)
    >>> sorted(lines)
    ['critical', 'loss', 'smoothed', 'suggestion']
    """
    out = {}
    with np.errstate(invalid="ignore"):
        keep = np.isfinite(losses)
    (out["loss"],) = ax.plot(np.asarray(lrs)[keep], np.asarray(losses)[keep], lw=0.8, alpha=0.5,
                             color=COLORS["threshold"], label="minibatch loss")
    (out["smoothed"],) = ax.plot(lrs, smoothed, lw=2, color=COLORS["small"], label="smoothed loss")
    if critical_lr is not None:
        out["critical"] = ax.axvline(critical_lr, color=COLORS["large"], ls="--", lw=1.2,
                                     label=f"2 / sharpness at the start = {critical_lr:.2g}")
    if suggestion is not None:
        out["suggestion"] = ax.axvline(suggestion, color=COLORS["predicted"], ls=":", lw=1.5,
                                       label=f"suggestion (minimum / 10) = {suggestion:.2g}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("learning rate at that step (log scale)")
    ax.set_ylabel("loss (log scale)")
    ax.legend(fontsize=8, loc="upper left")
    return out


def draw_sharpness_track(ax_loss, ax_sharp, loss, sharpness_steps, sharpness, lr, label="", color=None,
                         diverged_at=None):
    """Loss per step (log axis, top) and sharpness over the steps with the line ``2 / lr`` (bottom).

    Returns
    -------
    dict with ``loss``, ``sharpness`` and ``edge`` (Line2D).
    """
    out = {}
    (out["loss"],) = ax_loss.plot(*_loss_xy(loss), lw=1.2, color=color, label=label)
    if diverged_at is not None:
        y = loss[diverged_at] if np.isfinite(loss[diverged_at]) else LOSS_CEILING
        ax_loss.plot([diverged_at], [min(y, LOSS_CEILING)], "X", ms=10, mec="k",
                     color=out["loss"].get_color(), zorder=5)
    ax_loss.set_yscale("log")
    ax_loss.set_ylabel("full-batch loss (log)")
    (out["sharpness"],) = ax_sharp.plot(sharpness_steps, sharpness, marker="o", ms=3, lw=1,
                                        ls=out["loss"].get_linestyle(), color=out["loss"].get_color(),
                                        label=label)
    out["edge"] = ax_sharp.axhline(2.0 / lr, color=out["loss"].get_color(), ls="--", lw=1.2)
    ax_sharp.set_xlabel("step")
    ax_sharp.set_ylabel("sharpness")
    return out


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
