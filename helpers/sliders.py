"""Slider apps: connect controls (``controls.Slider``: named sliders a screen reader can announce)
to the mathematics (``quadratic``, ``descent``) and the drawings (``plots``).

Each app builds its figure ONCE and, on every slider change, moves the existing artists
(``set_data``, ``set_text``, limits) and shows them. On a canvas that supports blitting (Agg), the
static part of the figure (axes, ticks, labels) is cached after each full draw and only the moving
artists are drawn over it and blitted. On one that does not (``canvas.supports_blit`` is False:
matplotlib's web canvas, hence ipympl in JupyterLab) and with ``blit=False``, the app calls
``fig.canvas.draw_idle()``: the browser then asks for the picture and gets exactly one image per
request. An image pushed without a request (a blit, a draw) can reach the browser right behind
another one; the browser keeps only the newer, and when that is a difference image over a frame
it never drew, the figure stays blank. Figure titles and labels are computed from the state.
``app.update(lr=...)`` is what a slider calls; tests call it directly.

In a notebook with ``%matplotlib widget`` the figure's canvas is an ipympl widget and
``display(app)`` shows ``VBox([controls, canvas])``. Where no widget front-end runs (an executed
notebook exported to HTML, GitHub's viewer), the display also carries a PNG of the figure. With a
non-widget backend (Agg, inline) the controls drive an ``ipywidgets.Image`` instead.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> app = lr_slider_app(lr=0.12, curvature=20.0)
>>> app.suptitle.get_text()
"lr = 0.12, f'' = 20: factor |1 - lr·f''| = 1.400 > 1 → diverges (threshold 2/f'' = 0.1)"
>>> app.update(lr=0.01)
>>> app.suptitle.get_text()
"lr = 0.01, f'' = 20: factor |1 - lr·f''| = 0.800 < 1 → converges (threshold 2/f'' = 0.1)"
>>> app.close()
"""

from __future__ import annotations

import html
import io
from base64 import b64encode
from dataclasses import dataclass

import numpy as np

from helpers import plots
from helpers.descent import gradient_descent
from helpers.quadratic import Quadratic
from helpers.validation import check_finite_array, check_lr, check_positive

__all__ = ["SliderApp", "LossCurve", "LrSliderApp", "ConditioningApp", "lr_slider_app", "conditioning_app",
           "LrGridApp", "lr_grid_app",
           "FIGURE_DPI", "PROJECTOR_FONT_SIZE", "projector_fonts"]

FIGURE_DPI = 80
"""Modest dpi keeps each Agg redraw cheap (ipympl doubles it on HiDPI screens by itself)."""

_LIVE_APPS = {}


def _new_figure(key, figsize, ncols, **gridspec_kw):
    """A pyplot figure with one row of axes, made without displaying it.

    Closes the figure that a previous app of the same ``key`` used (re-running a cell).
    """
    import matplotlib.pyplot as plt

    old = _LIVE_APPS.pop(key, None)
    if old is not None:
        old.close()
    # A fixed title height skips matplotlib's per-draw title placement (a large share of a redraw).
    with plt.ioff(), plt.rc_context({"axes.titley": 1.01}):
        fig = plt.figure(figsize=figsize, dpi=FIGURE_DPI)
        axes = fig.subplots(1, ncols, gridspec_kw=gridspec_kw or None)
    canvas = fig.canvas
    for name, value in (("header_visible", False), ("footer_visible", False),
                        ("resizable", False), ("toolbar_position", "right")):
        if hasattr(canvas, name):
            setattr(canvas, name, value)
    return fig, axes


class SliderApp:
    """Base of the slider apps: owns a figure, a dict of sliders, and the current state.

    Subclasses implement ``_redraw(changed)``, which moves artists to show ``self.state``.

    Attributes
    ----------
    fig : matplotlib.figure.Figure
    sliders : dict of str to helpers.controls.Slider
    state : dict
        The values currently drawn.
    """

    key = "app"
    use_blit = True
    """Redraw only the moving artists over a cached background (False: ``draw_idle`` every time)."""

    def __init__(self, fig, sliders, state, blit=True):
        import ipywidgets as widgets

        self.fig = fig
        self.label = widgets.HTML()
        self.use_blit = bool(blit) and fig.canvas.supports_blit
        self.dynamic = []
        self._background = None
        self._saving = False
        self.sliders = sliders
        self.state = dict(state)
        self._syncing = False
        self._box = None
        self._fallback = None
        for name, slider in sliders.items():
            slider.observe(self._slider_callback(name), names="value")
        _LIVE_APPS[self.key] = self

    def _slider_callback(self, name):
        def on_change(change):
            if not self._syncing:
                self.update(**{name: change["new"]})
        return on_change

    def _validate(self, name, value):
        return check_positive(value, name)

    def update(self, **values):
        """Set some of the state (e.g. ``lr=0.1``), move the sliders to match, redraw in place."""
        unknown = set(values) - set(self.state)
        if unknown:
            raise TypeError(f"unknown value(s) {sorted(unknown)}; this app has {sorted(self.state)}")
        values = {name: self._validate(name, v) for name, v in values.items()}
        self.state.update(values)
        self._syncing = True
        try:
            for name, value in values.items():
                if name in self.sliders:
                    self.sliders[name].value = value
        finally:
            self._syncing = False
        self._redraw(set(values))
        self.label.value = html.escape(self.summary(), quote=False)
        self.refresh()
        if self._fallback is not None:
            self._fallback.value = self.png()

    def _track(self, artists):
        """Mark the artists that updates move; the rest of the figure is drawn once and cached."""
        self.dynamic = list(artists)
        for artist in self.dynamic:
            artist.set_animated(self.use_blit)
        self.fig.canvas.mpl_connect("draw_event", self._on_draw)

    def _on_draw(self, event):
        # After any full draw (first display, resize, zoom): cache the static part, add the moving part.
        if self._saving or not self.use_blit:
            return
        self._background = self.fig.canvas.copy_from_bbox(self.fig.bbox)
        self._draw_dynamic()

    def _draw_dynamic(self):
        for artist in self.dynamic:
            self.fig.draw_artist(artist)

    def refresh(self):
        """Show the current state: blit the moving artists onto the cached static part, or,
        before the first full draw (or with ``use_blit = False``), ask for a full redraw."""
        canvas = self.fig.canvas
        if self.use_blit and self._background is not None:
            canvas.restore_region(self._background)
            self._draw_dynamic()
            canvas.blit(self.fig.bbox)
        else:
            canvas.draw_idle()

    def _redraw(self, changed):
        raise NotImplementedError

    def summary(self) -> str:
        """One sentence on the current state, computed (shown above the figure and as its title)."""
        return self.suptitle.get_text()

    def png(self) -> bytes:
        """The figure as PNG bytes (what a static export shows)."""
        buf = io.BytesIO()
        self._saving = True
        for artist in self.dynamic:
            artist.set_animated(False)
        try:
            self.fig.savefig(buf, format="png")
        finally:
            for artist in self.dynamic:
                artist.set_animated(self.use_blit)
            self._saving = False
            self._background = None  # saving may have replaced the canvas's renderer
        return buf.getvalue()

    @property
    def widget(self):
        """``VBox([sliders, label, figure])``: the ipympl canvas, or a PNG image with other backends."""
        import ipywidgets as widgets

        if self._box is None:
            view = self.fig.canvas
            if isinstance(view, widgets.DOMWidget):
                # Give the canvas its size before any view of it exists. Shown inside a box, ipympl
                # learns it only from a view's greeting, which a busy kernel (Run All) answers late;
                # a view made before the size arrives keeps a 0 x 0 canvas: a blank figure.
                self.fig.canvas.manager.resize(*self.fig.bbox.size)
            else:
                self._fallback = widgets.Image(value=self.png(), format="png")
                view = self._fallback
            controls = widgets.HBox(list(self.sliders.values()))
            self._box = widgets.VBox([controls, self.label, view])
        return self._box

    def _repr_mimebundle_(self, include=None, exclude=None):
        data = self.widget._repr_mimebundle_() or {}
        data["image/png"] = b64encode(self.png()).decode("ascii")
        return data

    def close(self):
        """Close the figure and the widgets."""
        import matplotlib.pyplot as plt

        plt.close(self.fig)
        if self._box is not None:
            self._box.close()
        self.label.close()
        for slider in self.sliders.values():
            slider.close()
        if _LIVE_APPS.get(self.key) is self:
            del _LIVE_APPS[self.key]


def _log_slider(value, lo, hi, description, aria_label):
    from helpers.controls import log_slider

    return log_slider(value, lo, hi, description, aria_label=aria_label, width="380px")


PROJECTOR_FONT_SIZE = 13
"""Points for tick labels, axis labels and notes of the lesson apps (titles one or two larger):
readable from the back of a room at ``FIGURE_DPI``."""


def projector_fonts(fig, size=PROJECTOR_FONT_SIZE):
    """Set every text of ``fig`` to at least ``size`` points (axes titles ``size + 1``, the figure
    title ``size + 2``), including tick labels made later. Returns ``fig``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from matplotlib.figure import Figure
    >>> fig = Figure()
    >>> ax = fig.subplots()
    >>> note = ax.text(0, 0, "note", fontsize=8)
    >>> _ = projector_fonts(fig, size=12)
    >>> note.get_fontsize(), ax.xaxis.get_ticklabels()[0].get_fontsize()
    (12.0, 12.0)
    """
    size = check_positive(size, "size")
    for ax in fig.axes:
        ax.tick_params(labelsize=size)
        ax.title.set_fontsize(size + 1)
        for text in (ax.xaxis.label, ax.yaxis.label, *ax.texts):
            text.set_fontsize(max(text.get_fontsize(), size))
        legend = ax.get_legend()
        for text in legend.get_texts() if legend else ():
            text.set_fontsize(max(text.get_fontsize(), size))
    for text in fig.texts:
        text.set_fontsize(size + 2)
    return fig


class LrSliderApp(SliderApp):
    """Lesson 1: gradient descent on the bowl ``f(w) = f''/2 w**2``.

    Three panels: the steps on the parabola; the loss per step on a log axis with the
    divergence step marked; the factor ``|1 - lr f''|`` against lr with the threshold ``2/f''``.
    The parabola panel has no ticks and rescales to hold every drawn step (a note gives the
    range of w those steps cover), so the path never leaves it.
    """

    key = "lr_slider_app"

    def __init__(self, lr=0.12, curvature=20.0, w0=1.0, steps=60, parabola_steps=12,
                 lr_range=(1e-3, 10.0), curvature_range=(0.2, 50.0), blit=True):
        from matplotlib.ticker import FixedLocator, MaxNLocator, NullLocator

        lr, curvature = check_lr(lr), check_positive(curvature, "curvature")
        self.w0 = float(check_finite_array(w0, "w0", ndim=0))
        self.steps, self.parabola_steps = steps, parabola_steps
        fig, (ax_bowl, ax_loss, ax_factor) = _new_figure(self.key, (12, 4.4), 3)
        sliders = {"lr": _log_slider(lr, *lr_range, "lr", "learning rate lr"),
                   "curvature": _log_slider(curvature, *curvature_range, "f''", "curvature f''")}
        super().__init__(fig, sliders, {"lr": lr, "curvature": curvature}, blit=blit)
        fig.subplots_adjust(left=0.035, right=0.98, bottom=0.17, top=0.8, wspace=0.33)
        self.axes = {"bowl": ax_bowl, "loss": ax_loss, "factor": ax_factor}
        run = self.run()

        self.artists = {"parabola": plots.draw_parabola(ax_bowl, curvature, 1.0)}
        # No ticks here: both axes rescale to hold the steps; the note says the range of w.
        ax_bowl.xaxis.set_major_locator(NullLocator())
        ax_bowl.yaxis.set_major_locator(NullLocator())
        ax_bowl.set_ylabel("loss f(w)")
        self.artists["steps"] = plots.draw_parabola_steps(ax_bowl, run.path, curvature,
                                                          parabola_steps, color=plots.COLORS["large"])
        self.scale_text = ax_bowl.text(0.5, 0.97, "", transform=ax_bowl.transAxes, ha="center", va="top",
                                       color="0.3")
        ax_bowl.set_title(f"first {parabola_steps} steps on the parabola")

        self.artists["loss"] = plots.draw_loss_per_step(ax_loss, run, color=plots.COLORS["large"],
                                                        log_ticks=range(-12, 43, 12))
        plots.draw_loss_thresholds(ax_loss)
        # "diverged at step k" above the overflow line: below it sits the line's own label.
        self.artists["loss"]["text"].set(va="bottom")
        self.artists["loss"]["text"].xyann = (-9, 1)
        ax_loss.set_xlim(0, steps)
        ax_loss.xaxis.set_major_locator(MaxNLocator(4))
        ax_loss.set_ylim(plots.LOSS_FLOOR, plots.LOSS_CEILING)
        ax_loss.set_title(f"loss per step from w0 = {self.w0:g}")

        self.artists["factor"] = plots.draw_factor_vs_lr(ax_factor, curvature, lr, lr_range)
        ax_factor.yaxis.set_major_locator(FixedLocator([0, 1, 2, 3]))
        ax_factor.set_title("factor per step vs lr")
        self.suptitle = fig.suptitle("")
        projector_fonts(fig)
        fa = self.artists["factor"]
        self._track([self.artists["parabola"], self.artists["steps"], self.scale_text,
                     *self.artists["loss"].values(),
                     fa["curve"], fa["threshold"], fa["threshold_text"], fa["current"], self.suptitle])
        self._redraw({"lr", "curvature"})
        self.label.value = html.escape(self.summary(), quote=False)

    def run(self):
        """Gradient descent at the current state."""
        bowl = Quadratic(self.state["curvature"])
        return gradient_descent(bowl.grad, [self.w0], self.state["lr"], self.steps, loss=bowl.loss)

    def factor(self):
        """``|1 - lr f''|`` at the current state."""
        return Quadratic(self.state["curvature"]).contraction(self.state["lr"])

    def _redraw(self, changed):
        lr, c = self.state["lr"], self.state["curvature"]
        run, a = self.run(), self.artists
        steps_xy = plots.parabola_steps_xy(run.path, c, self.parabola_steps)
        half = 1.1 * max(np.max(np.abs(steps_xy[0]), initial=0.0), abs(self.w0)) or 1.0
        a["parabola"].set_data(*plots.parabola_curve(c, half))
        self.axes["bowl"].set_xlim(-half, half)
        self.axes["bowl"].set_ylim(-0.05 * c * half**2, 0.55 * c * half**2)
        self.scale_text.set_text(f"steps: w from {steps_xy[0].min():.3g} to {steps_xy[0].max():.3g}")
        if "curvature" in changed:
            lrs = a["factor"]["lrs"]
            a["factor"]["curve"].set_ydata(np.abs(1 - lrs * c))
            a["factor"]["threshold"].set_xdata([2 / c, 2 / c])
            a["factor"]["threshold_text"].set_x(2 / c)
            a["factor"]["threshold_text"].set_text(f"2/f'' = {2 / c:.3g} ")
        a["steps"].set_data(*steps_xy)
        plots.update_loss_per_step(a["loss"], run)
        g = self.factor()
        a["factor"]["current"].set_data([lr], [min(g, 2.9)])
        sign = ">" if g > 1 else "<"
        self.suptitle.set_text(f"lr = {lr:.3g}, f'' = {c:.3g}: factor |1 - lr·f''| = {g:.3f} "
                               f"{sign} 1 → {plots.verdict(g)} (threshold 2/f'' = {2 / c:.3g})")


class ConditioningApp(SliderApp):
    """Lesson 2: gradient descent on a 2-D bowl with eigenvalues sharpness/kappa and sharpness.

    The sharpness (the largest eigenvalue) is fixed, so the threshold 2/sharpness never moves; the
    kappa slider moves only the flat eigenvalue, sharpness/kappa. Left: level sets, eigen-directions
    and the zig-zag path. Right: the size of each eigen-component per step on a log axis; each
    shrinks or grows by ``|1 - lr lambda_i|``.
    """

    key = "conditioning_app"

    def __init__(self, kappa=10.0, lr=0.15, sharpness=10.0, angle=np.pi / 6, w0=(-2.5, 1.2), steps=40,
                 lr_range=(1e-3, 3.0), kappa_range=(1.0, 100.0), blit=True):
        from matplotlib.ticker import MaxNLocator

        kappa, lr = check_positive(kappa, "kappa"), check_lr(lr)
        if kappa < 1:
            raise ValueError(f"kappa must be at least 1 (it is λ_max/λ_min), got {kappa!r}")
        self.sharpness = check_positive(sharpness, "sharpness")
        self.angle = float(angle)
        self.w0 = check_finite_array(w0, "w0", shape=(2,))
        self.steps = steps
        fig, (ax_path, ax_comp) = _new_figure(self.key, (11.5, 5.0), 2, width_ratios=[1, 1.25])
        sliders = {"lr": _log_slider(lr, *lr_range, "lr", "learning rate lr"),
                   "kappa": _log_slider(kappa, *kappa_range, "κ", "condition number κ")}
        super().__init__(fig, sliders, {"lr": lr, "kappa": kappa}, blit=blit)
        fig.subplots_adjust(left=0.07, right=0.985, bottom=0.12, top=0.9, wspace=0.24)
        self.axes = {"path": ax_path, "components": ax_comp}
        q, run = self.quadratic(), self.run()
        r = 1.25 * np.max(np.abs(self.w0))
        ax_path.set_xlim(-r, r)
        ax_path.set_ylim(-r, r)
        ax_path.set_aspect("equal")
        for axis in (ax_path.xaxis, ax_path.yaxis, ax_comp.xaxis):
            axis.set_major_locator(MaxNLocator(5))
        ax_path.set_xlabel("w₁")
        ax_path.set_ylabel("w₂")
        self.artists = {"levels": plots.draw_level_sets(ax_path, q, self._levels(q)),
                        "eigen": plots.draw_eigen_directions(ax_path, q, length=0.9 * r),
                        "path": plots.draw_path_2d(ax_path, run.path)}
        ax_path.plot(*self.w0, "s", color="k", ms=6)
        plots.set_log_ticks(ax_comp, "y", range(-8, 9, 4))
        comps = self.components(run)
        self.artists["components"] = [
            ax_comp.plot(np.arange(len(c)), np.abs(c), lw=1.5, color=color)[0]
            for c, color in zip(comps.T, plots.EIGEN_COLORS)]
        ax_comp.set_xlim(0, steps)
        ax_comp.set_ylim(1e-8, 1e8)
        ax_comp.set_xlabel("step k")
        ax_comp.set_ylabel("|component along eigen-direction|")
        # Direct labels in the lines' colours: as clear as a legend and far cheaper to redraw.
        self.labels = [ax_comp.text(0.02, y, "", color=line.get_color(), transform=ax_comp.transAxes)
                       for line, y in zip(self.artists["components"], (0.11, 0.03))]
        self.best_text = ax_comp.text(0.02, 0.96, "", va="top", transform=ax_comp.transAxes)
        self.suptitle = fig.suptitle("")
        projector_fonts(fig)
        self._track([*self.artists["levels"], *(text for _, text in self.artists["eigen"]),
                     self.artists["path"], *self.artists["components"], *self.labels,
                     self.best_text, self.suptitle])
        self._redraw({"lr", "kappa"})
        self.label.value = html.escape(self.summary(), quote=False)

    def quadratic(self):
        """The bowl at the current ``kappa``: eigenvalues sharpness/kappa and sharpness, rotated by ``angle``."""
        return Quadratic.from_eigenvalues([self.sharpness / self.state["kappa"], self.sharpness], angle=self.angle)

    def run(self):
        """Gradient descent at the current state."""
        q = self.quadratic()
        return gradient_descent(q.grad, self.w0, self.state["lr"], self.steps, loss=q.loss)

    def components(self, run):
        """The path in the eigenbasis: column i is the component along eigenvector i."""
        q = self.quadratic()
        return (run.path - q.minimum) @ q.eigenvectors

    def _levels(self, q):
        return q.loss(self.w0) * np.geomspace(1.0, 1e-3, 6)

    def _redraw(self, changed):
        lr = self.state["lr"]
        q, run, a = self.quadratic(), self.run(), self.artists
        if "kappa" in changed:
            for line, curve in zip(a["levels"], plots.ellipse_levels(q, self._levels(q))):
                line.set_data(curve[:, 0], curve[:, 1])
            for (line, text), lam in zip(a["eigen"], q.eigenvalues):
                text.set_text(f"λ = {lam:.3g}")
        p = run.path[np.all(np.isfinite(run.path), axis=1)]
        a["path"].set_data(p[:, 0], p[:, 1])
        comps = self.components(run)
        k = np.arange(comps.shape[0])
        for line, c, text, lam, f in zip(a["components"], comps.T, self.labels,
                                         q.eigenvalues, q.factors(lr)):
            keep = np.isfinite(c)
            line.set_data(k[keep], np.clip(np.abs(c[keep]), 1e-30, 1e30))
            text.set_text(f"λ = {lam:.3g}: factor 1 - lr·λ = {f:+.3f}")
        g = q.contraction(lr)
        self.suptitle.set_text(
            f"λ_max = {q.sharpness:.3g} (fixed), κ = {q.condition_number:.3g}: lr = {lr:.3g} vs 2/λ_max = {q.critical_lr:.3g} → "
            f"{plots.verdict(g)} (worst |factor| {g:.3f})")
        self.best_text.set_text(f"best lr 2/(λ_min+λ_max) = {q.best_lr:.3g}: × {q.best_rate:.3f} per step")


def lr_slider_app(lr=0.12, curvature=20.0, **kwargs) -> LrSliderApp:
    """Lesson 1's app: sliders for lr (log scale) and the curvature f''; see :class:`LrSliderApp`.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> app = lr_slider_app(lr=0.05, curvature=20.0)
    >>> app.sliders["lr"].value = 0.2           # what dragging the slider does
    >>> app.state["lr"], app.run().diverged
    (0.2, True)
    >>> app.close()
    """
    return LrSliderApp(lr=lr, curvature=curvature, **kwargs)


def conditioning_app(kappa=10.0, lr=0.15, sharpness=10.0, **kwargs) -> ConditioningApp:
    """Lesson 2's app: sliders for the condition number and lr at a fixed sharpness; see :class:`ConditioningApp`.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> app = conditioning_app(kappa=10.0, lr=0.15, sharpness=10.0)
    >>> [label.get_text() for label in app.labels]
    ['λ = 1: factor 1 - lr·λ = +0.850', 'λ = 10: factor 1 - lr·λ = -0.500']
    >>> app.sliders["kappa"].value = 100.0      # κ moves only the flat eigenvalue
    >>> app.labels[0].get_text(), app.quadratic().critical_lr
    ('λ = 0.1: factor 1 - lr·λ = +0.985', 0.2)
    >>> app.close()
    """
    return ConditioningApp(kappa=kappa, lr=lr, sharpness=sharpness, **kwargs)


# --------------------------------------------------------------------------- lesson 4

@dataclass(frozen=True)
class LossCurve:
    """A recorded loss per step, under the names of :class:`helpers.descent.DescentResult`.

    Examples
    --------
    >>> LossCurve.of([4.0, 9.0, float("inf")]).diverged_at
    2
    """

    losses: np.ndarray
    diverged_at: int | None

    @classmethod
    def of(cls, losses):
        """The curve of ``losses``; ``diverged_at`` is its first non-finite entry (None if none)."""
        losses = np.asarray(losses, dtype=float)
        bad = np.flatnonzero(~np.isfinite(losses))
        return cls(losses=losses, diverged_at=int(bad[0]) if bad.size else None)


class LrGridApp(SliderApp):
    """Lesson 4: a real net's loss per SGD step at learning rates chosen from a precomputed grid.

    Takes plain arrays (this module never imports TensorFlow): ``lrs`` (increasing), one
    per-step loss array per rate (ending at the first inf/nan, if any) and the critical rate
    ``2 / sharpness`` measured before training. Left: the loss per step at the selected rate.
    Right: where each rate ended against lr: for runs that stayed finite, ``final_losses`` (e.g.
    the full-data loss after training) or, without it, the mean minibatch loss over the last
    epoch (the last quarter of the steps without ``steps_per_epoch``), and, where a run's
    minibatch loss later rose above its first value, the highest one (a spike on the way); for runs that reached inf/nan, a cross in a
    band above them with the step; ``2 / sharpness`` marked; and, when given, ``baseline`` (e.g.
    the loss of always predicting the mean target) as a horizontal line. With ``full_losses`` (one
    array per rate: each run's full-data loss before each step) the right panel plots full-data
    quantities only: the spikes and the dotted start line are taken from the full-data losses, so
    that, with full-data ``final_losses``, no minibatch value shares its axis. The left panel's step
    axis fits the selected run.
    """

    key = "lr_grid_app"

    def __init__(self, lrs, losses, critical_lr, lr=None, steps_per_epoch=None, final_losses=None, baseline=None,
                 full_losses=None, blit=True):
        from helpers.controls import choice_slider

        self.lrs = check_finite_array(lrs, "lrs", ndim=1)
        if self.lrs.size < 2 or np.any(self.lrs <= 0) or np.any(np.diff(self.lrs) <= 0):
            raise ValueError(f"lrs must be at least two increasing positive rates, got {self.lrs}")
        if len(losses) != self.lrs.size:
            raise ValueError(f"losses must hold one array per lr ({self.lrs.size}), got {len(losses)}")
        self.losses = [np.asarray(curve, dtype=float) for curve in losses]
        self.critical_lr = check_positive(critical_lr, "critical_lr")
        baseline = None if baseline is None else check_positive(baseline, "baseline")
        self.runs = [LossCurve.of(curve) for curve in self.losses]
        lr = self._snap(self.lrs[0] if lr is None else check_lr(lr))
        fig, (ax_loss, ax_lr) = _new_figure(self.key, (12, 5.6), 2, width_ratios=(1.2, 1))
        slider = choice_slider([float(v) for v in self.lrs], lr, "lr", labels=[f"{v:.2g}" for v in self.lrs],
                               aria_label="learning rate lr", width="420px")
        super().__init__(fig, {"lr": slider}, {"lr": lr}, blit=blit)
        fig.subplots_adjust(left=0.08, right=0.98, bottom=0.36, top=0.87, wspace=0.25)
        longest = max(curve.size for curve in self.losses)
        # No "diverged at step k" note: it would sit outside the axes for an early step; the title says it.
        self.artists = {"loss": plots.draw_loss_per_step(ax_loss, self.runs[0], color=plots.COLORS["large"],
                                                         annotate=False, log_ticks=range(0, 43, 6))}
        plots.draw_loss_thresholds(ax_loss, fontsize=12)
        from matplotlib.ticker import FuncFormatter
        ax_loss.yaxis.set_major_formatter(FuncFormatter(plots.power_of_ten_or_inf))   # the cross of an inf loss
        ax_loss.set_ylim(1e1, 100 * plots.LOSS_CEILING)
        self.steps_per_epoch = steps_per_epoch
        if steps_per_epoch:
            for k in range(steps_per_epoch, longest, steps_per_epoch):
                ax_loss.axvline(k, color="0.85", lw=0.8, zorder=0)
        ax_loss.set_title("minibatch loss per step at the selected lr", fontsize=14)
        ax_loss.xaxis.label.set_size(13)
        ax_loss.yaxis.label.set_size(13)
        ax_loss.tick_params(labelsize=12)

        # Right: what each rate achieved: the loss over the last epoch, or, if it blew up, a mark
        # in a band above the data ("largest loss" would be the first loss for every finite run).
        if full_losses is not None and len(full_losses) != self.lrs.size:
            raise ValueError(f"full_losses must hold one array per lr ({self.lrs.size}), got {len(full_losses)}")
        kind = "minibatch" if full_losses is None else "full-data"
        right = self.losses if full_losses is None else [np.asarray(c, dtype=float) for c in full_losses]
        start = float(np.mean([curve[0] for curve in right]))
        tail = steps_per_epoch or max(1, longest // 4)
        blew = np.array([run.diverged_at is not None for run in self.runs])
        if final_losses is None:
            ended = [np.mean(c[-tail:]) for c in self.losses]
            what = "mean loss in the last epoch" if steps_per_epoch else f"mean of the last {tail} losses"
        else:
            ended = np.asarray(final_losses, dtype=float)
            if ended.shape != self.lrs.shape:
                raise ValueError(f"final_losses must hold one loss per lr ({self.lrs.size}), got shape {ended.shape}")
            what = "loss after training" if full_losses is None else "full-data loss after training"
        finals = np.where(blew, np.nan, ended)
        # A spike: a finite run whose loss rose above its own first value on the way.
        peaks = np.array([np.nan if b or c.size < 2 or np.max(c[1:]) <= c[0] else np.max(c[1:])
                          for b, c in zip(blew, right)])
        highest = max([start, *finals[~blew], *peaks[~np.isnan(peaks)]])
        band = 30 * highest
        shown = np.where(blew, band, finals)
        lowest = np.nanmin(finals) if np.any(~blew) else start
        low = np.floor(np.log10(lowest if baseline is None else min(lowest, baseline))) - 1
        ax_lr.set_xscale("log")
        plots.set_log_ticks(ax_lr, "y", range(int(low), int(np.floor(np.log10(highest))) + 1))
        ax_lr.axhspan(3 * highest, 300 * highest, color=plots.COLORS["large"], alpha=0.08, lw=0)
        ax_lr.text(self.lrs[0], 120 * highest, " band: reached inf/nan, not a loss value", fontsize=11,
                   color=plots.COLORS["large"], va="center")   # the band holds outcomes, not loss values
        ax_lr.axhline(start, color=plots.COLORS["threshold"], ls=":", lw=1.2)
        ax_lr.text(self.lrs[0], start / 1.15, f" first {kind} loss ({start:,.0f})", fontsize=12,
                   color=plots.COLORS["threshold"], va="top")   # below the line: spikes sit above it
        ax_lr.plot(self.lrs[~blew], finals[~blew], "o", ms=7, color=plots.COLORS["small"],
                   label=f"stayed finite: {what}")
        spiked = ~np.isnan(peaks)
        ax_lr.plot(self.lrs[spiked], peaks[spiked], "^", ms=9, mfc="none", mew=1.5, color=plots.COLORS["small"],
                   label=f"stayed finite, but spiked: highest {kind} loss\nafter step 0, above its first")
        if baseline is not None:
            ax_lr.axhline(baseline, color=plots.COLORS["predicted"], ls="-.", lw=1.5,
                          label=f"always predicting the mean target ({baseline:,.0f})")
        ax_lr.plot(self.lrs[blew], shown[blew], "X", ms=11, color=plots.COLORS["large"], mec="k",
                   label="reached inf/nan (step in the band)")
        for lr_, run in zip(self.lrs[blew], np.array(self.runs, dtype=object)[blew]):
            ax_lr.annotate(f"{run.diverged_at}", (lr_, band), xytext=(0, -12), textcoords="offset points",
                           ha="center", va="top", fontsize=10, color=plots.COLORS["large"])
        ax_lr.axvline(self.critical_lr, color=plots.COLORS["threshold"], ls="--", lw=1.5,
                      label=f"2/λ_max = {self.critical_lr:.2g} (measured before training)")
        ax_lr.set_ylim(10 ** low, 300 * highest)
        ax_lr.set_xlabel("learning rate lr (log scale)", fontsize=13)
        ax_lr.set_ylabel(f"{kind} loss (log)" if full_losses is not None else f"{what} (log)", fontsize=13)
        fig.legend(*ax_lr.get_legend_handles_labels(), loc="lower center", bbox_to_anchor=(0.55, 0.0), ncols=2,
                   fontsize=11, title="right panel", title_fontsize=11)
        ax_lr.set_title("where each rate ended", fontsize=14)
        ax_lr.tick_params(labelsize=12)
        (self.current,) = ax_lr.plot([], [], "o", ms=18, mfc="none", mec="k", mew=2)
        self.ends = shown
        self.suptitle = fig.suptitle("", fontsize=14)
        self._track([*self.artists["loss"].values(), self.current, self.suptitle])
        self._redraw({"lr"})
        self.label.value = html.escape(self.summary(), quote=False)

    def _snap(self, lr):
        return float(self.lrs[int(np.argmin(np.abs(np.log(self.lrs) - np.log(lr))))])

    def _validate(self, name, value):
        return self._snap(check_lr(value, name))

    def run(self):
        """The precomputed run at the current lr (``losses``, ``diverged_at``)."""
        return self.runs[int(np.flatnonzero(self.lrs == self.state["lr"])[0])]

    def _redraw(self, changed):
        lr, run = self.state["lr"], self.run()
        plots.update_loss_per_step(self.artists["loss"], run)
        ax_loss = self.artists["loss"]["line"].axes
        steps = (-0.5, max(run.losses.size, 8) - 0.5)
        if ax_loss.get_xlim() != steps:
            ax_loss.set_xlim(*steps)
            epochs = self.steps_per_epoch and run.losses.size > self.steps_per_epoch
            ax_loss.set_xlabel(f"SGD step (grey line: end of each epoch of {self.steps_per_epoch} steps)"
                               if epochs else "SGD step")
            self._background = None  # the axis changed: the next refresh draws the whole figure
        self.current.set_data([lr], [self.ends[self.lrs == lr][0]])
        ratio = lr / self.critical_lr
        side = "above" if ratio > 1 else "below"
        if run.diverged_at is not None:
            outcome = f"loss reached inf/nan at step {run.diverged_at}"
        else:
            outcome = f"loss {run.losses[0]:.3g} → {run.losses[-1]:.3g} after {run.losses.size} steps"
        self.suptitle.set_text(f"lr = {lr:.2g} is {ratio:.2g} × 2/λ_max ({side} it): {outcome}")


def lr_grid_app(lrs, losses, critical_lr, lr=None, **kwargs) -> LrGridApp:
    """Lesson 4's app: a selection slider over precomputed rates; see :class:`LrGridApp`.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> curves = [np.array([1e4, 5e3, 2e3]), np.array([1e4, 1e8, np.inf])]
    >>> app = lr_grid_app([1e-4, 1e-3], curves, critical_lr=3e-4, lr=1e-3)
    >>> app.suptitle.get_text()
    'lr = 0.001 is 3.3 × 2/λ_max (above it): loss reached inf/nan at step 2'
    >>> app.sliders["lr"].value = 1e-4
    >>> app.suptitle.get_text()
    'lr = 0.0001 is 0.33 × 2/λ_max (below it): loss 1e+04 → 2e+03 after 3 steps'
    >>> app.close()
    """
    return LrGridApp(lrs, losses, critical_lr, lr=lr, **kwargs)
