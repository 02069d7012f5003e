"""Publish the course offline: the website, the slides and PDF handouts.

- ``site``: Sphinx + myst-nb + sphinx-book-theme (configured in ``book/conf.py``) into ``_site/``.
- ``slides``: one reveal.js deck per lesson (nbconvert, following the slide metadata) into ``_slides/``.
- ``handouts``: each lesson page of the site printed to PDF by Chromium into ``_handouts/``.

Every lesson comes from the execution cache of ``tests/notebook_runner.py`` (``build/executed/``),
which the notebook tests share: a lesson runs only when its code or ``helpers`` changed. Widgets
become their static image with a sentence on running them live; progress bars are left out.
MathJax, reveal.js and every other asset come from installed packages: nothing from a CDN.

Usage: ``python tools/publish.py site|slides|handouts [--out DIR]``
"""

from __future__ import annotations

import argparse
import copy
import functools
import html
import shutil
import sys
import threading
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
import nbformat  # noqa: E402
from notebook_runner import NOTEBOOKS, executed  # noqa: E402  (the one execution cache)

from helpers.display import FIGURE_CLASS  # noqa: E402

BOOK = ROOT / "book"
STAGE = ROOT / "build" / "book-src"
ASSETS = ROOT / "build" / "book-assets"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
LIVE_NOTE = ("*A static picture of an interactive figure. To move its sliders, open this lesson in "
             "JupyterLab (the Binder link for this lesson in the README, or `make lab` on your machine) and run it.*")
# Cells hidden on the site are code a slide does not show either (tags set in the notebooks).
SLIDE_CONFIG = {"TagRemovePreprocessor": {
    "enabled": True, "remove_cell_tags": {"remove-cell"},
    "remove_input_tags": {"remove-input", "hide-input"}}}


def static_copy(nb):
    """The executed lesson as a static page shows it: each widget and each figure as its PNG (a
    widget with a sentence on running it live when it has controls), no progress bars or saved
    widget state. The builders give each PNG the alt text in its output metadata."""
    nb = copy.deepcopy(nb)
    for key in ("widgets", "course_namespace", "course_build"):
        nb.metadata.pop(key, None)
    for cell in nb.cells:
        outputs = []
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if WIDGET_VIEW not in data:
                if FIGURE_CLASS in data.get("text/html", "") and "image/png" in data:
                    del data["text/html"]  # the figure's <img alt> for JupyterLab; the page has the PNG
                outputs.append(out)
            elif "image/png" in data:  # a figure or a slider app; anything else is a progress bar
                interactive = not str(data.get("text/plain", "")).startswith("Canvas(")
                out["data"] = {"image/png": data["image/png"]}
                outputs.append(out)
                if interactive:
                    outputs.append(nbformat.v4.new_output("display_data", {"text/markdown": LIVE_NOTE}))
        if cell.cell_type == "code":
            cell.outputs = outputs
    return nb


def lessons():
    """``(path, static executed notebook)`` for every lesson, in course order."""
    return [(path, static_copy(executed(path, log=print))) for path in NOTEBOOKS]


def build_site(out: Path) -> int:
    """Stage the lessons, pages and MathJax, then run Sphinx; returns Sphinx's exit status."""
    import jupyter_server_mathjax
    from sphinx.cmd.build import build_main

    shutil.rmtree(STAGE, ignore_errors=True)
    STAGE.mkdir(parents=True)
    shutil.copy2(BOOK / "index.md", STAGE / "index.md")
    for path, nb in lessons():
        nbformat.write(nb, STAGE / path.name)
    for page in sorted((ROOT / "notebooks").glob("[A-Z]*.md")):  # TEACHING, GLOSSARY, CHECKLIST
        shutil.copy2(page, STAGE / page.name)
    mathjax = Path(jupyter_server_mathjax.__file__).parent / "static"
    shutil.copytree(mathjax, ASSETS / "mathjax", dirs_exist_ok=True)
    # Sphinx builds under build/ (myst-nb writes its images beside the output folder), then publishes.
    html = ROOT / "build" / "book" / "html"
    status = build_main(["-b", "html", "-E", "-q", "-c", str(BOOK), "-d", str(html.parent / "doctrees"),
                         str(STAGE), str(html)])
    if status == 0:
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(html, out)
    return status


def build_slides(out: Path) -> int:
    """One reveal.js deck per lesson and an index page; reveal.js and MathJax copied beside them."""
    import jupyter_server_mathjax
    import sphinx_revealjs
    from nbconvert import SlidesExporter
    from traitlets.config import Config

    shutil.rmtree(out, ignore_errors=True)
    reveal = Path(sphinx_revealjs.__file__).parent / "_static" / "revealjs"
    for part in ("dist", "plugin"):
        shutil.copytree(reveal / part, out / "reveal.js" / part)
    shutil.copy2(reveal / "LICENSE", out / "reveal.js" / "LICENSE")
    shutil.copytree(Path(jupyter_server_mathjax.__file__).parent / "static", out / "mathjax")
    exporter = SlidesExporter(
        config=Config(SLIDE_CONFIG), extra_template_paths=[str(BOOK)], template_file="slides.html.j2",
        reveal_url_prefix="reveal.js", mathjax_url="mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe",
        reveal_theme="white", reveal_transition="none", exclude_input_prompt=True, exclude_output_prompt=True)
    items = []
    for path, nb in lessons():
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
        (out / f"{path.stem}.slides.html").write_text(body, encoding="utf-8")
        items.append(f'<li><a href="{path.stem}.slides.html">{html.escape(path.stem)}</a></li>')
    (out / "index.html").write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Slides</title></head>'
        "<body><main><h1>Slides, one deck per lesson</h1><p>Arrow keys move; <kbd>Esc</kbd> shows "
        f"the overview; <kbd>S</kbd> the speaker notes.</p><ol>{''.join(items)}</ol></main></body></html>",
        encoding="utf-8")
    return 0


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextmanager
def serve(folder: Path):
    """``folder`` over HTTP on 127.0.0.1 (a free port); yields the base URL."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def build_handouts(out: Path, site: Path = ROOT / "_site") -> int:
    """Print each lesson page of the built site to ``out/NN_name.pdf`` with Chromium."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if not chromium or not (site / "index.html").exists():
        print("handouts need Debian's chromium and a built site (make site)", file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    with serve(site) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium)
        page = browser.new_page()
        for path in NOTEBOOKS:
            page.goto(f"{url}/{path.stem}.html", wait_until="load")
            page.wait_for_function("() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0"
                                   " && !MathJax.Hub.queue.running", timeout=120_000)
            page.pdf(path=str(out / f"{path.stem}.pdf"), format="A4", print_background=True,
                     margin={"top": "15mm", "bottom": "15mm", "left": "12mm", "right": "12mm"})
            print(f"  wrote {out / (path.stem + '.pdf')}")
        browser.close()
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["site", "slides", "handouts"])
    parser.add_argument("--out", type=Path, help="output folder (default _site, _slides or _handouts)")
    args = parser.parse_args(argv)
    out = (args.out or ROOT / f"_{args.what}").resolve()
    build = {"site": build_site, "slides": build_slides, "handouts": build_handouts}[args.what]
    status = build(out)
    if status == 0:
        print(f"built {out}")
    return status


if __name__ == "__main__":
    sys.exit(main())
