"""helpers.display: the figures a lesson shows inline reach JupyterLab as an HTML <img> whose alt
text is read from the figure's titles (JupyterLab's image/png renderer writes no alt)."""

from __future__ import annotations

import base64
import html
import io
import re

import matplotlib.image
import pytest
from IPython.core.formatters import DisplayFormatter
from IPython.core.pylabtools import print_figure
from matplotlib.figure import Figure

from helpers.display import FIGURE_CLASS, figure_html, figures_with_alt_text
from helpers.plots import alt_text


def titled_figure():
    fig = Figure(figsize=(3, 2), dpi=50)
    left, right = fig.subplots(1, 2)
    left.set_title('loss: 5,000 at step 0 & "inf" at step 6')
    right.set_title("factor |1 - lr λ|")
    left.plot([0, 1], [1, 0])
    return fig


def test_a_displayed_figure_carries_an_img_with_the_alt_text_of_its_titles():
    formatter = DisplayFormatter()
    fig = titled_figure()
    assert "text/html" not in formatter.format(fig)[0]  # before: no HTML form at all
    figures_with_alt_text(formatter)
    data, _ = formatter.format(fig)
    img = re.fullmatch(r'<img class="(.*?)" alt="(.*?)" src="data:image/png;base64,(.*?)" style=".*?">',
                       data["text/html"])
    assert img, data["text/html"][:200]
    assert img[1] == FIGURE_CLASS
    assert html.unescape(img[2]) == alt_text(fig) == (
        'Figure: loss: 5,000 at step 0 & "inf" at step 6; factor |1 - lr λ|')
    # The very picture the inline backend would show (IPython's print_figure, as matplotlib-inline calls it).
    picture = matplotlib.image.imread(io.BytesIO(base64.b64decode(img[3])), format="png")
    inline = matplotlib.image.imread(io.BytesIO(print_figure(fig, "png", bbox_inches="tight")), format="png")
    assert picture.shape == inline.shape and (picture == inline).all()


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="fig must be a matplotlib Figure"):
        figure_html(None)
    with pytest.raises(TypeError, match="formatter must be an IPython DisplayFormatter"):
        figures_with_alt_text(object())
    with pytest.raises(RuntimeError, match="needs an IPython kernel"):
        figures_with_alt_text()  # pytest runs outside IPython
