"""What the published course (site, slides, handouts) shows of a lesson, checked without a browser:
widgets become their picture, progress bars vanish, and the cell tags hide plotting code while
keeping every number and every exercise answer cell in view."""

from __future__ import annotations

import re
import sys
import urllib.parse
import urllib.request

import nbformat
import pytest

from notebook_runner import NOTEBOOKS, ROOT

sys.path.insert(0, str(ROOT / "tools"))
from publish import LIVE_NOTE, WIDGET_VIEW, serve, static_copy  # noqa: E402

FIGURE_CODE = ("plt.subplots(", "plots.draw_", "_app(", "CheckSlider(")
HIDDEN = {"hide-input", "remove-input", "remove-cell"}


def widget_output(plain: str, png: bool) -> dict:
    data = {WIDGET_VIEW: {"model_id": "m", "version_major": 2, "version_minor": 0}, "text/plain": plain}
    if png:
        data["image/png"] = "iVBORw0KGgo="
        data["text/html"] = "<div>Figure</div><img src='data:image/png;base64,iVBORw0KGgo='/>"
    return nbformat.v4.new_output("display_data", data=data, metadata={"image/png": {"alt": "Figure: t"}})


def test_widgets_become_their_picture_and_progress_bars_vanish():
    nb = nbformat.v4.new_notebook(metadata={"widgets": {}, "course_namespace": {"a": 1}})
    nb.cells = [nbformat.v4.new_code_cell("app", outputs=[widget_output("VBox(children=(HBox(...", True)]),
                nbformat.v4.new_code_cell("fig", outputs=[widget_output("Canvas(toolbar=...", True)]),
                nbformat.v4.new_code_cell("train", outputs=[
                    widget_output("HBox(children=(HTML(value=''), FloatProgress(...", False),
                    nbformat.v4.new_output("stream", name="stdout", text="loss 1.0\n")])]
    app, fig, train = static_copy(nb).cells
    assert [list(o["data"]) for o in app.outputs] == [["image/png"], ["text/markdown"]]
    assert app.outputs[0]["metadata"]["image/png"]["alt"] == "Figure: t"
    assert app.outputs[1]["data"]["text/markdown"] == LIVE_NOTE
    assert [list(o["data"]) for o in fig.outputs] == [["image/png"]]  # a plain figure: no note
    assert [o["output_type"] for o in train.outputs] == ["stream"]
    assert "widgets" not in static_copy(nb).metadata and "widgets" in nb.metadata  # a copy


def test_a_figure_keeps_its_png_and_loses_the_html_img_made_for_jupyterlab():
    """helpers.display gives each inline figure an HTML <img alt> for JupyterLab; the static copy
    keeps the PNG (which the site and the slides give the alt text of its metadata), and any other
    HTML output as it is."""
    from matplotlib.figure import Figure

    from helpers.display import figure_html

    fig = Figure(figsize=(2, 1))
    fig.subplots().set_title("loss per step")
    figure = nbformat.v4.new_output("display_data", data={"text/html": figure_html(fig), "image/png": "iVBORw0KGgo=",
                                                          "text/plain": "<Figure>"},
                                    metadata={"image/png": {"alt": "Figure: loss per step"}})
    table = nbformat.v4.new_output("display_data", data={"text/html": "<table></table>", "text/plain": "t"})
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("fig", outputs=[figure, table])]
    figure_out, table_out = static_copy(nb).cells[0].outputs
    assert sorted(figure_out["data"]) == ["image/png", "text/plain"]
    assert figure_out["metadata"]["image/png"]["alt"] == "Figure: loss per step"
    assert table_out["data"]["text/html"] == "<table></table>"
    assert "text/html" in nb.cells[0].outputs[0]["data"]  # a copy


def code_cells():
    for path in NOTEBOOKS:
        for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
            if cell.cell_type == "code":
                yield pytest.param(cell, id=f"{path.stem}-{index}")


@pytest.mark.parametrize("cell", list(code_cells()))
def test_cell_tags_hide_plotting_code_and_keep_numbers_and_answers(cell):
    tags = set(cell.metadata.get("tags", []))
    if any(marker in cell.source for marker in FIGURE_CODE):
        assert tags & HIDDEN, "a cell that draws a figure shows its plotting code on the site and slides"
    if "remove-cell" in tags:
        # Removing the whole cell removes its output: only for cells that show nothing.
        last = [line for line in cell.source.strip().splitlines() if line.strip()][-1:]
        assert "print(" not in cell.source and (not last or last[0].rstrip().endswith(";")
                                                or re.match(r"\s*(import|from)\s", last[0])), \
            "remove-cell on a cell that prints or displays something"
    if ".check(answer)" in cell.source:
        assert not tags & HIDDEN, "an exercise's answer cell must stay visible: students write in it"


def test_serve_gives_each_folder_its_own_free_port_on_127_0_0_1(tmp_path):
    """The one static server (the site, slide and handout tests use it): loopback only, never a fixed port."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "page.html").write_text("first", encoding="utf-8")
    (tmp_path / "b" / "page.html").write_text("second", encoding="utf-8")
    with serve(tmp_path / "a") as first, serve(tmp_path / "b") as second:
        urls = [urllib.parse.urlsplit(url) for url in (first, second)]
        assert [u.hostname for u in urls] == ["127.0.0.1", "127.0.0.1"] and urls[0].port != urls[1].port
        pages = [urllib.request.urlopen(f"{url}/page.html").read().decode() for url in (first, second)]
    assert pages == ["first", "second"]
