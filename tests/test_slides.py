"""The slides (``make slides``) build offline and present in a browser: reveal.js and MathJax come
from the build folder, each deck follows the lesson's slide metadata and shows the code only of
cells that teach code, no slide runs off to the right or sets text below a readable size, every
figure has alt text, axe-core finds no critical or serious violation, and nothing is fetched from
outside 127.0.0.1."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

import axe
from browser_support import ARTIFACTS, chromium, offline_page, skip_or_fail_without_chromium
from notebook_runner import NOTEBOOKS, ROOT

sys.path.insert(0, str(ROOT / "tools"))
from publish import serve  # noqa: E402

pytestmark = pytest.mark.browser  # needs every lesson executed: with the site, not the unit tests

MATHJAX_IDLE = "window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0 && !MathJax.Hub.queue.running"
DECKS = [f"{p.stem}.slides.html" for p in NOTEBOOKS]
VIEWPORT = {"width": 1280, "height": 800}  # a common projector resolution
MIN_TEXT_PX = 18  # on that screen, after reveal.js has scaled the slide
AXE_REPORT = ARTIFACTS / "axe-slides.json"

# Per slide: elements that reach past the slide's right or left edge or scroll sideways, and text
# set smaller than the limit (MathJax's sub- and superscripts are judged by their formula).
MEASURE_SLIDE = """(minPx) => {
  const slide = Reveal.getCurrentSlide(), box = slide.getBoundingClientRect(), scale = Reveal.getScale();
  const name = e => e.tagName.toLowerCase() + (e.className && typeof e.className === 'string'
                    ? '.' + e.className.trim().split(/\\s+/).join('.') : '');
  const wide = [], small = [];
  for (const e of slide.querySelectorAll('*')) {
    const r = e.getBoundingClientRect();
    if (!r.width || !r.height || e.closest('script, style, .MJX_Assistive_MathML')) continue;
    if (r.right > box.right + 1 || r.left < box.left - 1) wide.push(`${name(e)} ends at ${Math.round(r.right)} px, slide at ${Math.round(box.right)}`);
    else if (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible')
      wide.push(`${name(e)} scrolls sideways (${e.scrollWidth} > ${e.clientWidth} px)`);
    const inMath = e.parentElement && e.parentElement.closest('.MathJax, .MathJax_Display');
    const text = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const px = parseFloat(getComputedStyle(e).fontSize) * scale;
    if (text && !inMath && px < minPx) small.push(`${name(e)}: ${px.toFixed(1)} px "${e.textContent.trim().slice(0, 40)}"`);
  }
  return {wide, small};
}"""


def _newest_source() -> float:
    sources = [*NOTEBOOKS, *(ROOT / "helpers").rglob("*.py"), ROOT / "book" / "slides.html.j2",
               ROOT / "tools" / "publish.py"]
    return max(p.stat().st_mtime for p in sources)


@pytest.fixture(scope="module")
def slides_dir(tmp_path_factory) -> Path:
    """Built decks: ``_slides`` when fresh and complete, else a build into a temporary folder."""
    existing = ROOT / "_slides"
    if (all((existing / deck).exists() for deck in DECKS)
            and min((existing / deck).stat().st_mtime for deck in DECKS) > _newest_source()):
        return existing
    out = tmp_path_factory.mktemp("slides") / "_slides"
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "publish.py"), "slides", "--out", str(out)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"publish.py slides failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
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
    assert any("MathJax.js" in url for url in parser.urls), parser.urls
    for url in parser.urls:
        parts = urllib.parse.urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"{deck} loads {url} from the network"
        assert (slides_dir / urllib.parse.unquote(parts.path)).is_file(), f"{deck}: {url} is missing"


def test_index_links_every_deck_in_order(slides_dir):
    text = (slides_dir / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'href="([^"]+\.slides\.html)"', text) == DECKS


def cells(path: Path) -> tuple[int, int]:
    """(cells that start a slide, code cells whose code a slide shows: untagged ones)."""
    nb = nbformat.read(path, as_version=4)
    starts = sum(cell.metadata.get("slideshow", {}).get("slide_type") == "slide" for cell in nb.cells)
    hidden = {"hide-input", "remove-input", "remove-cell"}
    code = sum(cell.cell_type == "code" and not hidden & set(cell.metadata.get("tags", [])) for cell in nb.cells)
    return starts, code


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_slide_fits_reads_and_passes_axe(slides_dir, path):
    skip_or_fail_without_chromium()
    deck = f"{path.stem}.slides.html"
    starts, code = cells(path)
    problems, report = [], {}
    with serve(slides_dir) as url, chromium() as browser:
        page, outside, failed = offline_page(browser, VIEWPORT)
        page.goto(f"{url}/{deck}", wait_until="load")
        page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=60_000)
        assert page.locator(".reveal .slides > section").count() >= max(2, starts), (
            f"{deck}: fewer slides than the notebook's {starts} 'slide' cells")
        assert page.locator(".jp-CodeCell .jp-InputArea").count() == code, (
            "the deck shows code other than the notebook's untagged (code-teaching) cells")
        images = page.evaluate("() => [...document.images].map(i => ({src: i.src.slice(0, 60), alt: i.alt,"
                               " ok: i.complete && i.naturalWidth > 0}))")
        assert not [i for i in images if not i["ok"]], f"images that did not load: {images}"
        assert all(i["alt"].startswith("Figure: ") for i in images), [i["alt"] for i in images]
        ARTIFACTS.mkdir(exist_ok=True)
        count = page.evaluate("() => Reveal.getSlides().length")
        for k in range(count):
            page.evaluate("k => { const ix = Reveal.getIndices(Reveal.getSlides()[k]); Reveal.slide(ix.h, ix.v); }", k)
            page.wait_for_function(f"() => {MATHJAX_IDLE}", timeout=60_000)
            assert page.locator(".MathJax_Error, .merror").count() == 0, f"slide {k + 1}: MathJax error"
            measured = page.evaluate(MEASURE_SLIDE, MIN_TEXT_PX)
            problems += [f"slide {k + 1}: {p}" for p in measured["wide"] + measured["small"]]
            if k < 2:
                page.screenshot(path=str(ARTIFACTS / f"slides-{path.stem}-{k + 1}.png"))
            found = axe.violations_by_impact(page, ".reveal .slides section.present")
            report[f"slide {k + 1}"] = axe.counts(found)
            problems += [f"slide {k + 1}: axe {line}" for line in axe.blocking(found).splitlines()]
        page.context.close()
    AXE_REPORT.parent.mkdir(exist_ok=True)
    totals = json.loads(AXE_REPORT.read_text()) if AXE_REPORT.exists() else {}
    totals[deck] = {impact: sum(r[impact] for r in report.values()) for impact in axe.IMPACTS}
    AXE_REPORT.write_text(json.dumps(totals, indent=1))
    assert not outside, f"{deck} tried to load from outside: {outside}"
    assert not failed, f"failed requests: {failed}"
    assert not problems, f"{deck}:\n" + "\n".join(problems[:40])
