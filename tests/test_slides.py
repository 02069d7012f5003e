"""The slides (``make slides``) build offline and present in a browser: reveal.js and MathJax come
from the build folder, each deck follows the lesson's slide metadata, and nothing is fetched from
outside 127.0.0.1."""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from browser_support import ARTIFACTS, ROOT, chromium, offline_page, serve, skip_or_fail_without_chromium
from notebook_runner import NOTEBOOKS

pytestmark = pytest.mark.browser  # builds every deck, executing the lessons: with the site, not the unit tests

MATHJAX_IDLE = "window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0 && !MathJax.Hub.queue.running"

DECKS = [f"{p.stem}.slides.html" for p in NOTEBOOKS]


@pytest.fixture(scope="module")
def slides_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("slides") / "_slides"
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "build_slides.py"), "--out", str(out)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"build_slides.py failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    return out


class _Resources(HTMLParser):
    """Collects the URLs a page loads as scripts and style sheets."""

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.urls.append(attrs["src"])
        elif tag == "link" and attrs.get("href") and "stylesheet" in (attrs.get("rel") or ""):
            self.urls.append(attrs["href"])


@pytest.mark.parametrize("deck", DECKS)
def test_deck_loads_reveal_and_mathjax_from_the_build_folder(slides_dir, deck):
    parser = _Resources()
    parser.feed((slides_dir / deck).read_text(encoding="utf-8"))
    assert any(url.endswith("dist/reveal.js") for url in parser.urls), parser.urls
    for url in parser.urls:
        parts = urllib.parse.urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"{deck} loads {url} from the network"
        assert (slides_dir / urllib.parse.unquote(parts.path)).is_file(), f"{deck}: {url} is missing"


def slide_cells(path: Path) -> int:
    nb = nbformat.read(path, as_version=4)
    return sum(cell.metadata.get("slideshow", {}).get("slide_type") == "slide" for cell in nb.cells)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_deck_presents_in_chromium(slides_dir, path):
    skip_or_fail_without_chromium()
    deck = f"{path.stem}.slides.html"
    with serve(slides_dir) as url, chromium() as browser:
        page, outside, failed = offline_page(browser, {"width": 1280, "height": 800})
        page.goto(f"{url}/{deck}", wait_until="load")
        page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=60_000)
        top = page.locator(".reveal .slides > section").count()
        sections = page.locator(".reveal .slides section").count()
        assert sections > 1, f"{deck} has {sections} section(s)"
        assert top >= max(2, slide_cells(path)), (
            f"{deck}: {top} slides, but the notebook marks {slide_cells(path)} cells as 'slide'")
        page.wait_for_function(f"() => {MATHJAX_IDLE}", timeout=60_000)
        assert page.locator(".MathJax_Error, .merror").count() == 0, "MathJax reported an error"
        broken = page.evaluate("() => [...document.images].filter(i => !(i.complete && i.naturalWidth > 0))"
                               ".map(i => i.src.slice(0, 80))")
        assert not broken, f"images that did not load: {broken}"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"slides-{path.stem}-1.png"))
        page.keyboard.press("ArrowRight")
        page.wait_for_function("() => Reveal.getIndices().h === 1", timeout=10_000)
        # Formulas of the slide now shown are typeset again (hidden slides cannot be measured).
        page.wait_for_function(f"() => {MATHJAX_IDLE}", timeout=60_000)
        math = page.evaluate("""() => {
            const slide = Reveal.getCurrentSlide();
            return [slide.querySelectorAll('script[type^="math/tex"]').length,
                    slide.querySelectorAll('.MathJax, .MathJax_Display').length];
        }""")
        assert math[1] >= math[0], f"slide 2 of {deck}: {math[0]} formulas, {math[1]} typeset"
        page.screenshot(path=str(ARTIFACTS / f"slides-{path.stem}-2.png"))
        page.context.close()
    assert not outside, f"{deck} tried to load from outside: {outside}"
    assert not failed, f"failed requests: {failed}"


def test_index_links_every_deck_in_order(slides_dir):
    text = (slides_dir / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'href="([^"]+\.slides\.html)"', text) == DECKS
