"""How a lesson's static figures reach JupyterLab: as images that carry their alt text.

JupyterLab 4 shows an ``image/png`` output as an ``<img>`` without ``alt`` (its image renderer reads
only the size from the output's metadata), so a screen reader announces "image" and nothing more.
An HTML output can carry the alt text, and JupyterLab prefers ``text/html`` to ``image/png`` when an
output has both. :func:`figures_with_alt_text` makes every figure the inline backend displays carry an
HTML ``<img>`` whose alt text is :func:`helpers.plots.alt_text` (read from the figure's titles, which
are computed from the data); the ``image/png`` stays in the output for every other front end. Figures
drawn by ipympl (``%matplotlib widget``) are live canvases, not outputs, and are not affected.

Examples
--------
>>> from IPython.core.formatters import DisplayFormatter
>>> from matplotlib.figure import Figure
>>> formatter = DisplayFormatter()
>>> figures_with_alt_text(formatter)
>>> fig = Figure(figsize=(2, 1))
>>> _ = fig.subplots().set_title("loss per step")
>>> data, _ = formatter.format(fig)
>>> data["text/html"][:55]
'<img class="course-figure" alt="Figure: loss per step" '
"""

from __future__ import annotations

import base64
import html
import io

from helpers.plots import alt_text

__all__ = ["FIGURE_CLASS", "figure_html", "figures_with_alt_text"]

FIGURE_CLASS = "course-figure"
"""The HTML class of a figure's ``<img>``: a static copy of a lesson (the site, the slides) recognises
the output by it and keeps the ``image/png`` next to it instead."""


def figure_html(fig) -> str:
    """The figure as one HTML ``<img>``: a PNG (tight bounding box, the figure's own dpi and face
    colour, as the inline backend draws it) in a data URI, with ``alt`` from its titles.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> fig = Figure(figsize=(2, 1))
    >>> _ = fig.subplots().set_title('a "quoted" <title>')
    >>> figure_html(fig)[:76]
    '<img class="course-figure" alt="Figure: a &quot;quoted&quot; &lt;title&gt;" '
    >>> figure_html("not a figure")
    Traceback (most recent call last):
    ...
    TypeError: fig must be a matplotlib Figure, got str
    """
    from matplotlib.figure import Figure

    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=fig.dpi, bbox_inches="tight", facecolor=fig.get_facecolor(),
                edgecolor=fig.get_edgecolor())
    data = base64.b64encode(png.getvalue()).decode("ascii")
    return (f'<img class="{FIGURE_CLASS}" alt="{html.escape(alt_text(fig), quote=True)}" '
            f'src="data:image/png;base64,{data}" style="max-width: 100%">')


def figures_with_alt_text(formatter=None) -> None:
    """Give every matplotlib figure displayed from now on an HTML ``<img>`` with alt text.

    Parameters
    ----------
    formatter : IPython.core.formatters.DisplayFormatter, optional
        Where to register; by default the running IPython kernel's (what a lesson's first cell uses).

    Raises
    ------
    RuntimeError
        Without ``formatter`` and outside IPython (there is no display to register with).
    TypeError
        If ``formatter`` is not an IPython ``DisplayFormatter``.
    """
    from IPython.core.formatters import DisplayFormatter

    if formatter is None:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is None:
            raise RuntimeError("figures_with_alt_text needs an IPython kernel, or a formatter")
        formatter = shell.display_formatter
    if not isinstance(formatter, DisplayFormatter):
        raise TypeError(f"formatter must be an IPython DisplayFormatter, got {type(formatter).__name__}")
    formatter.formatters["text/html"].for_type_by_name("matplotlib.figure", "Figure", figure_html)
