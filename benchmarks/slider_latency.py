"""Kernel-side slider latency of the lesson 1-2 apps against the naive re-plot.

For each slider app and each of its sliders, time >= 50 value changes from ``slider.value = v``
to the figure redrawn on an Agg canvas, three ways, in the same run:

* ours: the app as the lessons use it; the moving artists are set in place and drawn over the
  cached static part of the figure (restore + Agg draw of the moving artists + blit);
* full redraw: the same app with ``blit=False``; artists set in place, then a full Agg draw;
* naive: what ``interact`` with the inline backend does; a new figure, everything plotted with
  the same helpers, saved to PNG, closed.

A few states are also checked pixel by pixel: the fast update must look like a full draw.
Prints a table, then as the LAST line a JSON object: ``median_ms`` (the worst app's median,
ours), ``naive_median_ms`` (that app's naive median), ``speedup`` (naive / ours).
"""

from __future__ import annotations

import io
import json
import statistics
import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from helpers import plots  # noqa: E402
from helpers.descent import gradient_descent  # noqa: E402
from helpers.quadratic import Quadratic  # noqa: E402
from helpers.sliders import FIGURE_DPI, conditioning_app, lr_slider_app  # noqa: E402

CHANGES = 60   # per slider, after WARMUP untimed ones
WARMUP = 5


def sweep(lo, hi, n=CHANGES + WARMUP):
    """Values across a slider's range, forth and back, as a drag would produce."""
    half = np.geomspace(lo, hi, (n + 1) // 2)
    return np.concatenate([half, half[::-1]])[:n]


def naive_lesson1(lr, curvature, w0=1.0, steps=60):
    fig, (ax_bowl, ax_loss, ax_factor) = plt.subplots(1, 3, figsize=(12, 4.4), dpi=FIGURE_DPI)
    bowl = Quadratic(curvature)
    run = gradient_descent(bowl.grad, [w0], lr, steps, loss=bowl.loss)
    plots.draw_parabola(ax_bowl, curvature, 1.6)
    plots.draw_parabola_steps(ax_bowl, run.path, curvature, 12, color=plots.COLORS["large"])
    ax_bowl.set_xlim(-1.6, 1.6)
    plots.draw_loss_per_step(ax_loss, run, color=plots.COLORS["large"])
    plots.draw_loss_thresholds(ax_loss)
    plots.draw_factor_vs_lr(ax_factor, curvature, lr)
    fig.suptitle(f"lr = {lr:.3g}, f'' = {curvature:.3g}: factor {bowl.contraction(lr):.3f}")
    return fig


def naive_lesson2(lr, kappa, w0=(-2.5, 1.2), steps=40, sharpness=10.0):
    fig, (ax_path, ax_comp) = plt.subplots(1, 2, figsize=(11.5, 5.0), dpi=FIGURE_DPI)
    q = Quadratic.from_eigenvalues([sharpness / kappa, sharpness], angle=np.pi / 6)   # as conditioning_app
    w0 = np.asarray(w0)
    run = gradient_descent(q.grad, w0, lr, steps, loss=q.loss)
    plots.draw_level_sets(ax_path, q, q.loss(w0) * np.geomspace(1.0, 1e-3, 6))
    plots.draw_eigen_directions(ax_path, q, length=2.7)
    plots.draw_path_2d(ax_path, run.path)
    ax_path.set(xlim=(-3, 3), ylim=(-3, 3), aspect="equal")
    comps = np.abs((run.path - q.minimum) @ q.eigenvectors)
    for c, lam in zip(comps.T, q.eigenvalues):
        ax_comp.semilogy(c, label=f"λ = {lam:.3g}: factor {1 - lr * lam:+.3f}")
    ax_comp.legend(loc="lower left")
    fig.suptitle(f"λ_max = {sharpness:.3g} (fixed), κ = {kappa:.3g}: lr = {lr:.3g} vs 2/λ_max = {q.critical_lr:.3g}")
    return fig


APPS = {
    "lesson 1 (lr_slider_app)": (lr_slider_app, naive_lesson1,
                                 {"lr": (1e-3, 1.0), "curvature": (0.5, 50.0)}),
    "lesson 2 (conditioning_app)": (conditioning_app, naive_lesson2,
                                    {"lr": (1e-3, 1.0), "kappa": (1.0, 100.0)}),
}


def time_app(make, name, values, blit):
    app = make(blit=blit)
    app.fig.canvas.draw()               # the first display: a full draw
    times = []
    for i, value in enumerate(values):
        start = time.perf_counter()
        app.sliders[name].value = float(value)
        if i >= WARMUP:
            times.append(time.perf_counter() - start)
    app.close()
    return times


def time_naive(naive, state, name, values):
    times = []
    for i, value in enumerate(values):
        start = time.perf_counter()
        fig = naive(**{**state, name: float(value)})
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
        if i >= WARMUP:
            times.append(time.perf_counter() - start)
    return times


def pixel_check(make, name, values):
    """Largest share of pixels that differ visibly between the fast update and a full draw."""
    app = make()
    app.fig.canvas.draw()
    worst = 0.0
    for value in values[:: max(1, len(values) // 5)]:
        app.sliders[name].value = float(value)
        fast = np.asarray(app.fig.canvas.buffer_rgba()).astype(int)
        app.fig.canvas.draw()
        full = np.asarray(app.fig.canvas.buffer_rgba()).astype(int)
        worst = max(worst, float((np.abs(fast - full) > 40).any(axis=-1).mean()))
    app.close()
    return worst


def ms(seconds):
    return 1e3 * statistics.median(seconds), 1e3 * float(np.percentile(seconds, 90))


def main():
    rows, summary = [], {}
    for app_name, (make, naive, ranges) in APPS.items():
        state = {name: make().state[name] for name in ranges}
        plt.close("all")
        per_app = {"ours": [], "full": [], "naive": []}
        for name, (lo, hi) in ranges.items():
            values = sweep(lo, hi)
            got = {"ours": time_app(make, name, values, blit=True),
                   "full": time_app(make, name, values, blit=False),
                   "naive": time_naive(naive, state, name, values)}
            for key, times in got.items():
                per_app[key] += times
            rows.append((app_name, name, len(got["ours"]), *ms(got["ours"]), *ms(got["full"]),
                         *ms(got["naive"]), pixel_check(make, name, values)))
        summary[app_name] = {key: ms(times)[0] for key, times in per_app.items()}

    header = (f"{'app':28} {'slider':9} {'n':>3} {'ours med':>9} {'p90':>6} {'full med':>9} {'p90':>6}"
              f" {'naive med':>10} {'p90':>6} {'pixels off':>10}")
    print(header)
    print("-" * len(header))
    for app_name, name, n, om, op, fm, fp, nm, npct, off in rows:
        print(f"{app_name:28} {name:9} {n:3d} {om:9.1f} {op:6.1f} {fm:9.1f} {fp:6.1f} {nm:10.1f}"
              f" {npct:6.1f} {off:10.2%}")
    print("(ms; ours = in-place update + Agg draw of the moving artists over the cached background;"
          " full = in-place update + full Agg draw; naive = new figure + PNG, as `interact` does)")
    worst = max(summary, key=lambda name: summary[name]["ours"])
    result = {"median_ms": round(summary[worst]["ours"], 2),
              "naive_median_ms": round(summary[worst]["naive"], 2),
              "speedup": round(summary[worst]["naive"] / summary[worst]["ours"], 2),
              "full_redraw_median_ms": round(max(s["full"] for s in summary.values()), 2),
              "worst_app": worst}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
