"""Build reveal.js slides of each lesson (``make slides``), offline.

The decks follow each cell's ``slideshow.slide_type`` metadata (the same metadata RISE uses to
present live from ``make lab``). Lessons are executed as for the site (the executed copies in
``build/executed/`` are shared with ``make site``), widgets show their static image, and
reveal.js and MathJax are copied into the build folder from installed Python packages
(``sphinx-revealjs`` and ``jupyter-server-mathjax``): nothing is loaded from a CDN.

Usage: ``python tools/build_slides.py [--out _slides] [--timeout 900]``
"""

from __future__ import annotations

import html
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from build_site import (CACHE_DIR, MATHJAX_FONTS, NOTEBOOK_DIR, ROOT, cli, copy_mathjax,  # noqa: E402
                        executed, fix_links, lesson_paths, staged, static_outputs, title_of)

REVEAL_PREFIX = "_static/revealjs"

# nbconvert's reveal template without its CDN scripts (jQuery, require.js, mermaid, the widget
# manager): reveal.js and its notes plugin are plain <script>s from the build folder.
DECK_TEMPLATE = """{%- extends 'reveal/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}
@MATHJAX_FONTS@
{{ super() }}
{%- endblock html_head_js_mathjax -%}
{% block footer_js %}
<script src="{{ resources.reveal.url_prefix }}/dist/reveal.js"></script>
<script src="{{ resources.reveal.url_prefix }}/plugin/notes/notes.js"></script>
<script>
Reveal.initialize({
  controls: true, progress: true, history: true, slideNumber: true,
  transition: "{{ resources.reveal.transition | default('slide', true) }}",
  width: 1280, height: 800, margin: 0.04,
  plugins: [RevealNotes],
});
// A slide taller than the screen scrolls instead of being cut off.
function scrollTallSlides() {
  const limit = document.querySelector('.reveal').clientHeight * 0.95;
  document.querySelectorAll('.reveal .slides section.present section, .reveal .slides > section.present')
    .forEach(s => { if (s.scrollHeight > limit) { s.style.height = '95vh'; s.style.overflowY = 'auto'; } });
}
function typeset() {
  if (window.MathJax && MathJax.Hub) MathJax.Hub.Queue(["Rerender", MathJax.Hub, Reveal.getCurrentSlide()]);
}
Reveal.on('ready', scrollTallSlides);
Reveal.on('slidechanged', () => { scrollTallSlides(); typeset(); });
</script>
{% endblock footer_js %}
""".replace("@MATHJAX_FONTS@", MATHJAX_FONTS)


def copy_reveal(out_dir: Path) -> str:
    """Copy reveal.js (dist and plugins) from the installed sphinx-revealjs package."""
    import sphinx_revealjs

    source = Path(sphinx_revealjs.__file__).parent / "_static" / "revealjs"
    for part in ("dist", "plugin", "LICENSE"):
        if (source / part).is_dir():
            shutil.copytree(source / part, out_dir / REVEAL_PREFIX / part, dirs_exist_ok=True)
        elif (source / part).exists():
            shutil.copy2(source / part, out_dir / REVEAL_PREFIX / part)
    return REVEAL_PREFIX


INDEX_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Slides: why does a learning rate ten times too large blow training up?</title>
<style>
body {{ font-family: sans-serif; max-width: 760px; margin: 3em auto; padding: 0 1em; line-height: 1.5; }}
li {{ margin: 0.5em 0; }}
</style>
</head>
<body>
<h1>Slides</h1>
<p>One deck per lesson. Arrow keys move between slides, <kbd>S</kbd> opens the speaker notes,
<kbd>Esc</kbd> shows the overview. To present live with a kernel, open a lesson in JupyterLab
(<code>make lab</code>) and start RISE.</p>
<ol class="decks">
{items}
</ol>
</body>
</html>
"""


def build_slides(out_dir: Path = ROOT / "_slides", timeout: int = 900,
                 cache_dir: Path | None = CACHE_DIR, notebook_dir: Path = NOTEBOOK_DIR,
                 log=print) -> list[Path]:
    """Build one deck per lesson into ``out_dir`` (replaced whole); return the decks written."""
    from jinja2 import DictLoader
    from nbconvert import SlidesExporter

    paths = lesson_paths(notebook_dir)
    with staged(out_dir, ".slides-") as staging:
        exporter = SlidesExporter(
            extra_loaders=[DictLoader({"deck.html.j2": DECK_TEMPLATE})], template_file="deck.html.j2",
            reveal_url_prefix=copy_reveal(staging), mathjax_url=copy_mathjax(staging),
            reveal_theme="white", reveal_transition="none")
        names = {path.name for path in paths}
        decks, items = [], []
        for path in paths:
            nb = fix_links(static_outputs(executed(path, timeout, cache_dir, log)), names,
                           notebook_dir, staging)
            for cell in nb.cells:  # links between lessons go to their decks
                if cell.cell_type == "markdown":
                    for other in names:
                        page = Path(other).with_suffix(".html").name
                        cell.source = cell.source.replace(f"]({page}", f"]({Path(other).stem}.slides.html")
            title = title_of(nb, path.stem)
            nb.metadata["title"] = title
            body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
            deck = staging / f"{path.stem}.slides.html"
            deck.write_text(body, encoding="utf-8")
            decks.append(deck)
            items.append(f'<li><a href="{html.escape(deck.name)}">{html.escape(title)}</a></li>')
        (staging / "index.html").write_text(INDEX_PAGE.format(items="\n".join(items)), encoding="utf-8")
    return [out_dir / deck.name for deck in decks]


def main(argv=None) -> int:
    return cli(argv, "Build reveal.js slides of each lesson, offline.", ROOT / "_slides", build_slides)


if __name__ == "__main__":
    sys.exit(main())
