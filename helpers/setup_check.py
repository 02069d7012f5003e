"""The 30-second environment check of lesson 00: versions, TensorFlow, a slider that answers.

Examples
--------
>>> from helpers.setup_check import package_versions
>>> versions = package_versions(["numpy", "not-a-real-package"])
>>> versions["not-a-real-package"]
'not installed'
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata

from helpers.sliders import SliderApp, _new_figure, projector_fonts

COURSE_PACKAGES = ("numpy", "scipy", "matplotlib", "jupyterlab", "ipywidgets", "anywidget", "ipympl",
                   "tensorflow-cpu", "keras")

_TF_PROBE = "import tensorflow as tf, keras; print(tf.__version__, keras.__version__)"


def package_versions(names=COURSE_PACKAGES) -> dict[str, str]:
    """Installed version of each distribution in ``names`` ('not installed' if missing).

    Reads package metadata only: nothing is imported, so this is instant.
    """
    if isinstance(names, str):
        raise TypeError(f"names must be a sequence of package names, got the string {names!r}")
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


@dataclass(frozen=True)
class TensorFlowStatus:
    """Whether TensorFlow imports, its and Keras's versions, and what to do if it does not."""

    importable: bool
    message: str


def tensorflow_status(timeout: float = 120.0) -> TensorFlowStatus:
    """Try ``import tensorflow`` in a separate Python process and report, without raising.

    A separate process keeps this kernel free of TensorFlow's 500 MB and shows the real
    import error, if any, in a message a student can act on.
    """
    if not (isinstance(timeout, (int, float)) and timeout > 0):
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", TF_ENABLE_ONEDNN_OPTS="0")
    try:
        done = subprocess.run([sys.executable, "-c", _TF_PROBE], capture_output=True, text=True,
                              timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return TensorFlowStatus(False, f"importing TensorFlow took longer than {timeout:.0f} s; "
                                       "the machine may be overloaded. Lessons 01-03 do not need it.")
    if done.returncode == 0:
        tf_version, keras_version = done.stdout.split()
        return TensorFlowStatus(True, f"TensorFlow {tf_version} with Keras {keras_version} imports "
                                      "fine: lessons 04-07 will run.")
    last_line = (done.stderr.strip().splitlines() or ["(no error text)"])[-1]
    return TensorFlowStatus(False, "TensorFlow does not import here, so lessons 04-07 will not run "
                                   f"(lessons 00-03 will). The error was: {last_line}. Fix: run "
                                   "`make lab` from the repository, which installs it into .venv.")


def demo_response(lr: float, curvature: float = 2.0, steps: int = 12):
    """Iterates of gradient descent on f(x) = curvature/2 * x**2 from x = 1: x_k = (1 - lr*curvature)**k.

    The data behind lesson 00's check slider, closed form so it needs no other module.

    >>> demo_response(0.25, curvature=2.0, steps=3).tolist()
    [1.0, 0.5, 0.25, 0.125]
    """
    import numpy as np

    if not (isinstance(lr, (int, float)) and np.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive finite number, got {lr!r}")
    if not (isinstance(curvature, (int, float)) and np.isfinite(curvature) and curvature > 0):
        raise ValueError(f"curvature must be a positive finite number, got {curvature!r}")
    if not (isinstance(steps, int) and steps >= 0):
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    return (1.0 - lr * curvature) ** np.arange(steps + 1, dtype=float)


def path_ylim(path, margin: float = 1.15) -> tuple[float, float]:
    """Symmetric y-limits that hold every point of ``path``: ``±margin · max|x_k|``.

    When the iterates grow (factor above 1) the axis grows with them, so no point is clipped.

    >>> path_ylim([1.0, -1.2, 1.44])
    (-1.656, 1.656)
    """
    import numpy as np

    path = np.asarray(path, dtype=float)
    if path.size == 0 or not np.all(np.isfinite(path)):
        raise ValueError(f"path must be a non-empty array of finite numbers, got {path!r}")
    if not (isinstance(margin, (int, float)) and margin >= 1):
        raise ValueError(f"margin must be a number of at least 1, got {margin!r}")
    high = round(float(margin * np.max(np.abs(path))), 12) or margin
    return (-high, high)


def distance_ylim(*paths, margin: float = 3.0) -> tuple[float, float]:
    """Log-scale y-limits that hold every nonzero ``|x_k|`` of ``paths``, with a factor ``margin`` either side.

    Exact zeros (lr = 0.5 lands on the minimum) cannot sit on a log axis and are left out.

    >>> distance_ylim([1.0, -0.1, 0.01], [1.0, -2.0])
    (0.00333333333333, 6.0)
    """
    import numpy as np

    sizes = [np.abs(np.asarray(path, dtype=float)) for path in paths]
    if not sizes or any(size.size == 0 or not np.all(np.isfinite(size)) for size in sizes):
        raise ValueError(f"paths must be non-empty arrays of finite numbers, got {paths!r}")
    if not (isinstance(margin, (int, float)) and margin > 1):
        raise ValueError(f"margin must be a number above 1, got {margin!r}")
    nonzero = np.concatenate([size[size > 0] for size in sizes])
    if nonzero.size == 0:
        raise ValueError(f"paths must hold a nonzero value, got {paths!r}")
    return (round(float(nonzero.min() / margin), 14), round(float(nonzero.max() * margin), 14))


def _on_log_axis(path):
    """``|x_k|`` with exact zeros as NaN, so a log axis leaves them out instead of clipping them."""
    import numpy as np

    size = np.abs(np.asarray(path, dtype=float))
    return np.where(size > 0, size, np.nan)


class CheckSlider(SliderApp):
    """A learning-rate slider and an ipympl figure that redraws as the slider moves.

    Shows ``demo_response``: below lr = 1 the iterates shrink, above it they grow. The left panel
    draws ``x_k`` on an axis that rescales to hold every iterate (``path_ylim``), so a growing path
    stays on the figure; the grey line at 0 is the minimum. The right panel draws the distance to
    the minimum ``|x_k|`` on a log scale (``distance_ylim``), where a constant factor per step is a
    straight line. Both panels also draw a fixed ``reference_lr`` (0.9, just below the threshold 1)
    in its own colour for comparison. Built on the course's ``SliderApp``, so displaying it shows
    the live widget, and a static export shows the figure's PNG. ``update(lr=...)`` is what the
    slider calls.
    """

    key = "setup_check"

    def __init__(self, lr: float = 0.3, steps: int = 12, blit: bool = True, reference_lr: float = 0.9):
        from helpers.controls import linear_slider

        if not (isinstance(reference_lr, (int, float)) and 0 < reference_lr < 1):
            raise ValueError(f"reference_lr must be a rate below the threshold 1, got {reference_lr!r}")
        self.steps = steps
        fig, (self.ax, self.log_ax) = _new_figure(self.key, (9.6, 3.8), 2, width_ratios=[3, 2])
        slider = linear_slider(lr, 0.05, 1.2, 0.05, "lr", aria_label="learning rate lr")
        super().__init__(fig, {"lr": slider}, {"lr": lr}, blit=blit)
        steps_axis = range(steps + 1)
        reference = demo_response(reference_lr, steps=steps)
        self.reference, = self.ax.plot(steps_axis, reference, "s--", color="C1", ms=4,
                                       label=f"lr = {reference_lr:g}\n(fixed)")
        self.line, = self.ax.plot(steps_axis, demo_response(lr, steps=steps), "o-", color="C0",
                                  label="lr on\nthe slider")
        minimum = self.ax.axhline(0.0, color="grey", lw=0.8, label="minimum\nx = 0")
        self.log_reference, = self.log_ax.plot(steps_axis, _on_log_axis(reference), "s--", color="C1", ms=4)
        self.log_line, = self.log_ax.plot(steps_axis, _on_log_axis(demo_response(lr, steps=steps)), "o-",
                                          color="C0")
        self.log_ax.set_yscale("log")
        self.log_ax.legend(handles=[self.reference, self.line, minimum], loc="upper left",
                           bbox_to_anchor=(1.02, 1.0), fontsize=9, frameon=False)
        self.ax.set(xlabel="step $k$", ylabel="$x_k$", ylim=path_ylim(demo_response(lr, steps=steps)))
        self.log_ax.set(xlabel="step $k$", ylabel="distance $|x_k|$ (log scale)")
        self.suptitle = fig.suptitle("")
        projector_fonts(fig)
        fig.subplots_adjust(left=0.08, right=0.83, bottom=0.18, top=0.87, wspace=0.35)
        self._track([self.line, self.log_line, self.suptitle])
        self.update(lr=lr)

    def _redraw(self, changed):
        lr = self.state["lr"]
        path = demo_response(lr, steps=self.steps)
        self.line.set_ydata(path)
        self.log_line.set_ydata(_on_log_axis(path))
        limits = {self.ax: path_ylim(path), self.log_ax: distance_ylim(path, self.reference.get_ydata())}
        for ax, ylim in limits.items():
            if ax.get_ylim() != ylim:
                ax.set_ylim(*ylim)
                self._background = None  # an axis changed: the next refresh draws the whole figure
        factor = abs(1.0 - 2.0 * lr)
        verdict = "shrinks" if factor < 1 else ("stays" if factor == 1 else "grows")
        self.suptitle.set_text(f"lr = {lr:.2f}: |x| is multiplied by {factor:.2f} each step, so it {verdict}")
