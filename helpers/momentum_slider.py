"""Lesson 7's momentum app: a beta slider next to the learning-rate slider, thresholds drawn.

Gradient descent with heavy-ball and Nesterov momentum (:func:`helpers.momentum.momentum_descent`)
on the bowl ``f(w) = lambda/2 w**2``. Left: the loss per step of plain gradient descent, heavy
ball and Nesterov at the current ``lr`` and ``beta``. Right: the (beta, lr) plane with the three
stability thresholds ``2/lambda``, ``2(1+beta)/lambda`` and ``2(1+beta)/((1+2 beta) lambda)``
(:func:`helpers.momentum.critical_lr`) and the current point. The app follows the pattern of
:mod:`helpers.sliders` (one figure, artists moved in place, the title computed from the state).

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> app = momentum_app(lr=0.3, beta=0.9, curvature=10.0)
>>> app.suptitle.get_text()
'lr = 0.3, β = 0.9, λ = 10:\\nplain GD grows (2/λ = 0.2), heavy ball shrinks (2(1+β)/λ = 0.38), Nesterov grows (2(1+β)/((1+2β)λ) = 0.136)'
>>> app.update(beta=0.0)
>>> [app.grows(run) for run in app.runs().values()]
[True, True, True]
>>> app.close()
"""

from __future__ import annotations

import html

import numpy as np

from helpers import plots
from helpers.descent import gradient_descent
from helpers.momentum import check_momentum, critical_lr, momentum_descent
from helpers.quadratic import Quadratic
from helpers.sliders import SliderApp, _log_slider, _new_figure, projector_fonts
from helpers.validation import check_lr, check_positive

__all__ = ["MomentumApp", "momentum_app", "METHODS"]

METHODS = ("plain GD", "heavy ball", "Nesterov")
"""The three methods the app runs, in the order of :meth:`MomentumApp.runs`."""


def _beta_slider(value):
    from helpers.controls import linear_slider

    return linear_slider(value, 0.0, 0.99, 0.01, "β", aria_label="momentum β", readout_format=".2f",
                         width="380px")


class MomentumApp(SliderApp):
    """Plain GD, heavy ball and Nesterov on ``f = lambda/2 w**2``; sliders for lr and beta."""

    key = "momentum_app"

    def __init__(self, lr=0.3, beta=0.9, curvature=10.0, w0=1.0, steps=100, lr_range=(1e-3, 1.0), blit=True):
        from matplotlib.ticker import MaxNLocator

        lr, beta = check_lr(lr), check_momentum(beta, "beta")
        self.curvature = check_positive(curvature, "curvature")
        self.w0, self.steps = float(w0), steps
        fig, (ax_loss, ax_plane) = _new_figure(self.key, (12, 5.0), 2)
        sliders = {"lr": _log_slider(lr, *lr_range, "lr", "learning rate lr"), "beta": _beta_slider(beta)}
        super().__init__(fig, sliders, {"lr": lr, "beta": beta}, blit=blit)
        fig.subplots_adjust(left=0.09, right=0.98, bottom=0.15, top=0.76, wspace=0.3)
        self.axes = {"loss": ax_loss, "plane": ax_plane}
        colors = (plots.COLORS["threshold"], plots.COLORS["large"], plots.COLORS["small"])
        self.artists = {"loss": [plots.draw_loss_per_step(ax_loss, run, label=name, color=color, annotate=False)
                                 for (name, run), color in zip(self.runs().items(), colors)]}
        plots.draw_loss_thresholds(ax_loss)
        ax_loss.set_xlim(0, steps)
        ax_loss.set_ylim(plots.LOSS_FLOOR, plots.LOSS_CEILING)
        ax_loss.xaxis.set_major_locator(MaxNLocator(4))
        ax_loss.legend(loc="center right", fontsize=11)
        ax_loss.set_title(f"loss per step on f(w) = {self.curvature:g}/2 w², w0 = {self.w0:g}")

        betas = np.linspace(0.0, 0.99, 100)
        for name, nesterov_or_plain, color in zip(METHODS, (None, False, True), colors):
            curve = [critical_lr(self.curvature) if nesterov_or_plain is None
                     else critical_lr(self.curvature, b, nesterov=nesterov_or_plain) for b in betas]
            ax_plane.plot(betas, curve, color=color)
            at, above = {"plain GD": (70, False), "heavy ball": (30, True), "Nesterov": (30, False)}[name]
            ax_plane.annotate(name, (betas[at], curve[at]), xytext=(0, 3 if above else -3), textcoords="offset points",
                              ha="center", va="bottom" if above else "top", color=color)
        ax_plane.set_yscale("log")
        ax_plane.set_ylim(*lr_range)
        ax_plane.set_xlim(0, 1)
        ax_plane.set_xlabel("momentum β")
        ax_plane.set_ylabel("lr (log scale)")
        ax_plane.set_title("stable below each method's line")
        (self.point,) = ax_plane.plot([lr], [beta], "o", color="k", ms=9, zorder=5)
        self.suptitle = fig.suptitle("")
        projector_fonts(fig)
        self._track([a for artists in self.artists["loss"] for a in artists.values()] + [self.point, self.suptitle])
        self._redraw({"lr", "beta"})
        self.label.value = html.escape(self.summary(), quote=False)

    def _validate(self, name, value):
        return check_momentum(value, "beta") if name == "beta" else check_lr(value)

    def thresholds(self):
        """The three critical rates at the current beta, keyed like :meth:`runs`."""
        beta, lam = self.state["beta"], self.curvature
        return {"plain GD": critical_lr(lam), "heavy ball": critical_lr(lam, beta),
                "Nesterov": critical_lr(lam, beta, nesterov=True)}

    def runs(self):
        """Plain GD, heavy ball and Nesterov at the current state (``DescentResult`` each)."""
        bowl = Quadratic(self.curvature)
        lr, beta = self.state["lr"], self.state["beta"]
        return {"plain GD": gradient_descent(bowl.grad, [self.w0], lr, self.steps, loss=bowl.loss),
                "heavy ball": momentum_descent(bowl.grad, [self.w0], lr, self.steps, beta, loss=bowl.loss),
                "Nesterov": momentum_descent(bowl.grad, [self.w0], lr, self.steps, beta, nesterov=True,
                                             loss=bowl.loss)}

    @staticmethod
    def grows(run):
        """True if the run diverged or ended with a larger loss than it started with."""
        return run.diverged or not run.losses[-1] < run.losses[0]

    def _redraw(self, changed):
        lr, beta = self.state["lr"], self.state["beta"]
        runs, limits = self.runs(), self.thresholds()
        for artists, run in zip(self.artists["loss"], runs.values()):
            plots.update_loss_per_step(artists, run)
        self.point.set_data([beta], [lr])
        formulas = {"plain GD": "2/λ", "heavy ball": "2(1+β)/λ", "Nesterov": "2(1+β)/((1+2β)λ)"}
        parts = [f"{name} {'grows' if self.grows(runs[name]) else 'shrinks'} ({formulas[name]} = {limits[name]:.3g})"
                 for name in METHODS]
        self.suptitle.set_text(f"lr = {lr:.3g}, β = {beta:.2g}, λ = {self.curvature:g}:\n" + ", ".join(parts))


def momentum_app(lr=0.3, beta=0.9, curvature=10.0, **kwargs) -> MomentumApp:
    """Lesson 7's app: sliders for lr (log scale) and beta; see :class:`MomentumApp`.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> app = momentum_app(lr=0.1, beta=0.5)
    >>> app.sliders["beta"].value = 0.95          # what dragging the slider does
    >>> app.state["beta"], round(app.thresholds()["heavy ball"], 3)
    (0.95, 0.39)
    >>> momentum_app(beta=1.0)
    Traceback (most recent call last):
    ...
    ValueError: beta must be in [0, 1), got 1.0
    """
    return MomentumApp(lr=lr, beta=beta, curvature=curvature, **kwargs)
