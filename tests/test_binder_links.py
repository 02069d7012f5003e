"""The README has a working Binder link for every notebook, built from the one slug in pyproject.toml."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import binder_links  # noqa: E402

README = (ROOT / "README.md").read_text()
LINK = re.compile(r"https://mybinder\.org/v2/gh/([^/\s]+/[^/\s]+)/([^?\s]+)\?urlpath=lab/tree/notebooks/([^)\s]+)")


def test_every_notebook_has_a_binder_link():
    linked = {m.group(3) for m in LINK.finditer(README)}
    notebooks = {p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert notebooks and notebooks <= linked, f"no link for {sorted(notebooks - linked)}"


def test_every_binder_link_points_at_an_existing_notebook_on_the_configured_repository():
    settings = binder_links.course_settings()
    links = list(LINK.finditer(README))
    assert links
    for m in links:
        assert (ROOT / "notebooks" / m.group(3)).is_file(), m.group(0)
        assert (m.group(1), m.group(2)) == (settings["repository"], settings["branch"]), m.group(0)


def test_readme_links_are_what_the_script_generates():
    assert binder_links.render_readme(README, binder_links.links_table()) == README, (
        "run: python tools/binder_links.py")


def test_lesson_names_mentioned_anywhere_exist():
    names = {p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    texts = [README] + [p.read_text() for p in (ROOT / "notebooks").glob("*.ipynb")]
    mentioned = {m for text in texts for m in re.findall(r"\b(\d\d_[a-z][a-z0-9_]*)(?:\.ipynb)?\b", text)}
    assert mentioned <= names, f"references to missing notebooks: {sorted(mentioned - names)}"
