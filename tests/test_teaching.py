"""The teacher's path (notebooks/TEACHING.md) refers only to sections and exercises that exist."""

import importlib
import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
GUIDE = (NOTEBOOKS / "TEACHING.md").read_text()
LINK = re.compile(r"\]\(((\d\d_[a-z0-9_]+)\.ipynb)(?:#([^)]+))?\)")
EXERCISE = re.compile(r"`(lesson\d\d)\.(q\d+)`")


def anchors(path: Path) -> set[str]:
    """JupyterLab's heading anchors: the heading's text with spaces turned into dashes."""
    found = set()
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("#"):
                    found.add(line.lstrip("#").strip().replace(" ", "-"))
    return found


def test_guide_covers_every_lesson():
    linked = {m.group(2) for m in LINK.finditer(GUIDE)}
    assert linked == {p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")}


def test_guide_plans_two_lectures_of_90_minutes():
    for lecture in ("Lecture 1", "Lecture 2"):
        section = GUIDE.split(f"## {lecture}")[1].split("\n## ")[0]
        minutes = [int(m) for m in re.findall(r"\((\d+) min\)", section)]
        assert sum(minutes) == 90, f"{lecture}: segments add up to {sum(minutes)} minutes"


@pytest.mark.parametrize("link", sorted({m.group(0) for m in LINK.finditer(GUIDE)}))
def test_every_section_link_resolves(link):
    m = LINK.search(link)
    path = NOTEBOOKS / m.group(1)
    assert path.is_file(), f"{m.group(1)} does not exist"
    if m.group(3):
        assert m.group(3) in anchors(path), f"no heading '{m.group(3)}' in {m.group(1)}"


@pytest.mark.parametrize("ref", sorted(set(EXERCISE.findall(GUIDE))))
def test_every_exercise_named_exists(ref):
    module, name = ref
    assert hasattr(importlib.import_module(f"helpers.exercises.{module}"), name)


def test_every_lesson_has_slide_metadata_for_rise():
    for path in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"):
        cells = json.loads(path.read_text())["cells"]
        kinds = [c["metadata"].get("slideshow", {}).get("slide_type") for c in cells]
        assert None not in kinds, f"{path.name}: cells without slide metadata"
        assert kinds.count("slide") >= 3, f"{path.name}: fewer than three slides"
