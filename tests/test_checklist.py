"""CHECKLIST.md: one printed page, the three formulas, and every step traced to a lesson that exists."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEXT = (ROOT / "notebooks" / "CHECKLIST.md").read_text()
LINK = re.compile(r"\]\(([^)#]+)(?:#[^)]*)?\)")


def test_every_local_link_resolves():
    local = [link for link in LINK.findall(TEXT) if not link.startswith("http")]
    assert local
    for link in local:
        assert (ROOT / "notebooks" / link).is_file(), link


def test_every_step_cites_a_lesson():
    steps = re.split(r"\n\d+\. ", TEXT)[1:]
    assert len(steps) >= 7
    for step in steps:
        assert re.search(r"\(\d\d_[a-z0-9_]+\.ipynb\)", step), step[:60]


def test_the_three_formulas_are_there():
    for formula in ("η < 2/λ", "η < 2(1+β)/λ", "η < 2(1+β)/((1+2β)λ)"):
        assert formula in TEXT


def test_it_fits_one_printed_page():
    assert len(TEXT.splitlines()) <= 60 and len(TEXT) <= 5000


def test_readme_lesson_0_and_lesson_7_link_it():
    assert "(notebooks/CHECKLIST.md)" in (ROOT / "README.md").read_text()
    for name in ("00_start_here.ipynb", "07_your_own_network.ipynb"):
        assert "](CHECKLIST.md)" in (ROOT / "notebooks" / name).read_text(), name
