"""The static site (``make site``) works offline: every page renders, every image loads, every
internal link resolves, the formulas are typeset, and nothing is fetched from outside 127.0.0.1.

The site is built once per test run into a temporary folder (``_site`` itself is reused when it
is newer than every lesson and helper module), and served by a small http.server on 127.0.0.1.
"""

from __future__ import annotations

import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

from browser_support import ROOT, chromium, offline_page, serve, skip_or_fail_without_chromium
from notebook_runner import NOTEBOOKS

pytestmark = pytest.mark.browser

HAS_ANCHOR = ("ids => ids.some(id => !!document.getElementById(id) || "
              "document.getElementsByName(id).length > 0)")

PAGES = ["index.html"] + [p.with_suffix(".html").name for p in NOTEBOOKS]


def _newest_source() -> float:
    sources = [*NOTEBOOKS, *(ROOT / "helpers").rglob("*.py"), ROOT / "tools" / "build_site.py"]
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
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "build_site.py"), "--out", str(out)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"build_site.py failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    return out


def figure_outputs(notebook: str) -> int:
    """How many figures the executed notebook (build_site's cache) holds: each must be an image."""
    import nbformat

    executed = ROOT / "build" / "executed" / notebook
    if not executed.exists():
        return 0
    count = 0
    for cell in nbformat.read(executed, as_version=4).cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "image/png" in data or "<img" in str(data.get("text/html", "")):
                count += 1
    return count


@pytest.fixture(scope="module")
def site(site_dir):
    with serve(site_dir) as url, chromium() as browser:
        yield site_dir, url, browser


def test_every_lesson_has_a_page_and_the_index_lists_them_in_order(site):
    site_dir, url, browser = site
    page = browser.new_page()
    try:
        page.goto(f"{url}/index.html")
        hrefs = page.eval_on_selector_all("ol.lessons a", "links => links.map(a => a.getAttribute('href'))")
        assert hrefs == PAGES[1:]
        titles = page.eval_on_selector_all("ol.lessons a", "links => links.map(a => a.innerText.trim())")
        assert all(titles), titles
    finally:
        page.close()


@pytest.mark.parametrize("name", PAGES)
def test_page_renders_offline_with_images_and_links(site, name):
    site_dir, url, browser = site
    page, outside, failed = offline_page(browser, {"width": 1200, "height": 900})
    # MathJax probes for fonts with an about:blank request; that is not a resource of the site.
    page.on("requestfailed", lambda r: None if r.url.startswith(("about:", "data:")) else failed.append(r.url))
    try:
        page.goto(f"{url}/{name}", wait_until="load")
        assert page.title().strip(), "page has no title"
        assert page.locator("h1").count() >= 1, "page has no heading"
        if name != "index.html":
            # Formulas typeset by the local MathJax, with no "Math Processing Error".
            page.wait_for_function("() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0 "
                                   "&& MathJax.Hub.queue.running === 0", timeout=60_000)
            if "$" in (site_dir / name).read_text(encoding="utf-8"):
                assert page.locator(".MathJax, .MathJax_Display, .MathJax_SVG").count() > 0, "no typeset math"
            assert page.locator(".MathJax_Error, .merror").count() == 0, "MathJax reported an error"
            page.screenshot(path=str(ROOT / "test-artifacts" / f"site-{Path(name).stem}.png"))

        images = page.evaluate("""() => [...document.images].map(i => ({
            src: i.src.slice(0, 80), ok: i.complete && i.naturalWidth > 0}))""")
        broken = [i["src"] for i in images if not i["ok"]]
        assert not broken, f"images that did not load: {broken}"
        if name != "index.html":
            expected = figure_outputs(Path(name).with_suffix(".ipynb").name)
            assert len(images) >= expected, f"{len(images)} images shown, the notebook made {expected} figures"
            if images:
                page.locator("img").first.scroll_into_view_if_needed()
                page.screenshot(path=str(ROOT / "test-artifacts" / f"site-{Path(name).stem}-figure.png"))

        links = page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))")
        problems = []
        for href in links:
            parts = urllib.parse.urlsplit(href)
            if parts.scheme or parts.netloc:
                continue  # external: not part of the site
            target = (site_dir / name).parent / urllib.parse.unquote(parts.path) if parts.path else site_dir / name
            if not target.is_file():
                problems.append(f"{href}: no such file")
            elif parts.fragment:
                # As a browser does: the fragment as written, then percent-decoded.
                fragment = [parts.fragment, urllib.parse.unquote(parts.fragment)]
                if parts.path:
                    other = page.context.new_page()
                    other.goto(f"{url}/{target.relative_to(site_dir).as_posix()}")
                    found = other.evaluate(HAS_ANCHOR, fragment)
                    other.close()
                else:
                    found = page.evaluate(HAS_ANCHOR, fragment)
                if not found:
                    problems.append(f"{href}: no such anchor")
        assert not problems, "broken internal links:\n" + "\n".join(problems)
        assert not outside, f"the page tried to load from outside: {outside}"
        assert not failed, f"failed requests: {failed}"
    finally:
        page.context.close()


def test_static_pages_show_progress_bars_in_their_final_state():
    """A tqdm bar's own text/plain is its first state (0%); the page shows the last one, from the saved state."""
    import importlib.util

    from notebook_runner import lesson

    spec = importlib.util.spec_from_file_location("build_site", ROOT / "tools" / "build_site.py")
    build_site = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_site)
    bars = []
    for cell in build_site.static_outputs(lesson("04").nb).cells:
        for out in cell.get("outputs", []):
            text = str(out.get("data", {}).get("text/plain", ""))
            if text.startswith(("training at each lr", "sharpness along")):
                bars.append(text)
    assert len(bars) >= 4
    assert all("100%" in bar and " 0%" not in bar for bar in bars), bars
