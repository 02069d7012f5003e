"""The course website (``make site``) works offline as a student and a screen reader meet it: every
page renders with its formulas typeset and its images loaded (each figure with alt text), every
internal link resolves, the sidebar lists the lessons in order, search finds them, each lesson
page has its page contents, previous/next links, its .ipynb download and a Binder launch button
(and no other launch service), widgets are pictures (no placeholder, no widget manager), axe-core
finds no critical or serious violation, and nothing is fetched from outside 127.0.0.1.

The site is built once per test run into a temporary folder (``_site`` itself is reused when it
is newer than everything it is built from), and served on 127.0.0.1.
"""

from __future__ import annotations

import json
import subprocess
import sys
try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib
import urllib.parse
from pathlib import Path

import pytest

import axe
from browser_support import ARTIFACTS, chromium, offline_page, skip_or_fail_without_chromium
from notebook_runner import NOTEBOOKS, ROOT

sys.path.insert(0, str(ROOT / "tools"))
from publish import serve  # noqa: E402

pytestmark = pytest.mark.browser

HAS_ANCHOR = ("ids => ids.some(id => !!document.getElementById(id) || "
              "document.getElementsByName(id).length > 0)")
# Sphinx loads MathJax only on pages with math.
MATHJAX_IDLE = ("() => !document.querySelector('script[src*=\"MathJax.js\"]') || (window.MathJax && MathJax.Hub"
                " && MathJax.Hub.queue.pending === 0 && !MathJax.Hub.queue.running)")

LESSONS = [p.with_suffix(".html").name for p in NOTEBOOKS]
EXTRA_PAGES = [p.with_suffix(".html").name for p in sorted((ROOT / "notebooks").glob("[A-Z]*.md"))]
PAGES = ["index.html", *LESSONS, *EXTRA_PAGES]
COURSE = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["course"]
AXE_REPORT = ARTIFACTS / "axe-site.json"


def _newest_source() -> float:
    sources = [*NOTEBOOKS, *(ROOT / "notebooks").glob("*.md"), *(ROOT / "helpers").rglob("*.py"),
               *(ROOT / "book").rglob("*.*"), ROOT / "tools" / "publish.py", ROOT / "pyproject.toml"]
    return max(p.stat().st_mtime for p in sources)


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory) -> Path:
    """A built site: ``_site`` when fresh and complete, else a build into a temporary folder."""
    skip_or_fail_without_chromium()
    existing = ROOT / "_site"
    if (all((existing / page).exists() for page in PAGES)
            and (existing / "index.html").stat().st_mtime > _newest_source()):
        return existing
    out = tmp_path_factory.mktemp("site") / "_site"
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "publish.py"), "site", "--out", str(out)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"publish.py site failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    assert "WARNING" not in result.stdout + result.stderr, result.stdout[-3000:] + result.stderr[-5000:]
    return out


@pytest.fixture(scope="module")
def site(site_dir):
    AXE_REPORT.parent.mkdir(exist_ok=True)
    AXE_REPORT.write_text("{}")
    with serve(site_dir) as url, chromium() as browser:
        yield site_dir, url, browser


def test_sidebar_lists_the_lessons_in_order_then_the_other_pages(site):
    site_dir, url, browser = site
    page = browser.new_page()
    try:
        page.goto(f"{url}/index.html")
        hrefs = page.eval_on_selector_all("nav.bd-docs-nav a.reference.internal",
                                          "links => links.map(a => a.getAttribute('href'))")
        assert [h for h in hrefs if h != "#"] == [*LESSONS, *EXTRA_PAGES]
    finally:
        page.close()


def test_search_finds_the_lessons_that_use_a_word(site):
    site_dir, url, browser = site
    page = browser.new_page()
    try:
        page.goto(f"{url}/search.html?q=sharpness")
        page.wait_for_selector("#search-results ul.search li", timeout=60_000)
        found = page.eval_on_selector_all("#search-results ul.search li a",
                                          "links => links.map(a => a.getAttribute('href'))")
        assert any(h.startswith("04_a_real_network") for h in found), found
    finally:
        page.close()


@pytest.mark.parametrize("name", LESSONS)
def test_lesson_page_has_its_buttons_contents_and_neighbours(site, name):
    site_dir, url, browser = site
    page = browser.new_page()
    try:
        page.goto(f"{url}/{name}")
        notebook = Path(name).with_suffix(".ipynb").name
        launch = page.eval_on_selector_all(".dropdown-launch-buttons a", "as => as.map(a => a.href)")
        assert launch == [f"https://mybinder.org/v2/gh/{COURSE['repository']}/{COURSE['branch']}"
                          f"?urlpath=lab/tree/notebooks/{notebook}"]
        downloads = page.eval_on_selector_all(".dropdown-download-buttons a",
                                              "as => as.map(a => a.getAttribute('href'))")
        ipynb = [h for h in downloads if h.endswith(".ipynb")]
        assert ipynb and (site_dir / ipynb[0]).is_file(), downloads
        assert page.locator("nav.page-toc a").count() >= 2, "no table of contents for the page"
        neighbours = page.eval_on_selector_all(".prev-next-area a", "as => as.map(a => a.getAttribute('href'))")
        position = PAGES.index(name)
        assert neighbours == PAGES[position - 1:position + 2:2], "previous / next are not the neighbours"
        text = "\n".join(page.eval_on_selector_all(".cell_output", "os => os.map(o => o.innerText)"))
        for stray in ("An interactive widget", "FloatProgress", "HBox(children", "Canvas(", "Loading widget"):
            assert stray not in text, f"a widget placeholder is shown: {stray!r}"
        scripts = page.eval_on_selector_all("script[src]", "ss => ss.map(s => s.getAttribute('src'))")
        assert not [s for s in scripts if "require" in s or "widget" in s
                    or urllib.parse.urlsplit(s).hostname not in (None, "127.0.0.1")], scripts
    finally:
        page.close()


@pytest.mark.parametrize("name", PAGES)
def test_page_renders_offline_accessible_with_images_and_links(site, name):
    site_dir, url, browser = site
    page, outside, failed = offline_page(browser, {"width": 1280, "height": 900})
    # MathJax probes for fonts with an about:blank request; that is not a resource of the site.
    page.on("requestfailed", lambda r: None if r.url.startswith(("about:", "data:")) else failed.append(r.url))
    try:
        page.goto(f"{url}/{name}", wait_until="load")
        assert page.title().strip(), "page has no title"
        assert page.locator("article h1").count() == 1, "page has no heading"
        page.wait_for_function(MATHJAX_IDLE, timeout=90_000)
        if page.locator("article .math").count():
            assert page.locator("article .MathJax, article .MathJax_Display").count() > 0, "no typeset math"
        assert page.locator(".MathJax_Error, .merror").count() == 0, "MathJax reported an error"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"site-{Path(name).stem}.png"))

        images = page.evaluate("""() => [...document.querySelectorAll('article img')].map(i => ({
            src: i.src.slice(-70), ok: i.complete && i.naturalWidth > 0, alt: i.alt}))""")
        assert not [i["src"] for i in images if not i["ok"]], f"images that did not load: {images}"
        if name in LESSONS:
            figures = [i for i in images if i["src"].endswith(".png")]
            assert figures, "a lesson page without a figure"
            untitled = [i["src"] for i in figures if not i["alt"].startswith("Figure: ")]
            assert not untitled, f"figures without alt text from their title: {untitled}"

        links = page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))")
        problems = []
        for href in sorted(set(links)):
            parts = urllib.parse.urlsplit(href)
            if parts.scheme or parts.netloc:
                continue  # external: not part of the site
            target = (site_dir / name).parent / urllib.parse.unquote(parts.path) if parts.path else site_dir / name
            if not target.is_file():
                problems.append(f"{href}: no such file")
            elif parts.fragment:
                fragment = [parts.fragment, urllib.parse.unquote(parts.fragment)]
                if parts.path and target.suffix == ".html":
                    other = page.context.new_page()
                    other.goto(f"{url}/{target.relative_to(site_dir).as_posix()}")
                    found = other.evaluate(HAS_ANCHOR, fragment)
                    other.close()
                else:
                    found = page.evaluate(HAS_ANCHOR, fragment)
                if not found:
                    problems.append(f"{href}: no such anchor")
        assert not problems, "broken internal links:\n" + "\n".join(problems)

        found = axe.violations_by_impact(page)
        report = json.loads(AXE_REPORT.read_text())
        report[name] = axe.counts(found)
        AXE_REPORT.write_text(json.dumps(report, indent=1))
        assert not axe.blocking(found), f"axe-core on {name}:\n{axe.blocking(found)}"
        assert not outside, f"the page tried to load from outside: {outside}"
        assert not failed, f"failed requests: {failed}"
    finally:
        page.context.close()
