"""Lesson 0's claims, checked against the executed lesson (what it printed and its variables)."""

import re

import pytest

from claim_support import markdown, printed
from notebook_runner import NOTEBOOKS, lesson


@pytest.fixture(scope="module")
def L():
    return lesson("00")


def test_at_half_one_step_lands_on_the_minimum(L):
    # "Try lr = 0.5 (one step lands exactly on the minimum)"
    assert printed(L, r"lr = 0.5: x is multiplied by {n} per step") == (0.0,)
    assert L["after_12"][0] == 0.0


def test_at_nine_tenths_it_overshoots_but_shrinks(L):
    # "lr = 0.9 (it overshoots but still shrinks)"
    (factor,) = printed(L, r"lr = 0.9: x is multiplied by {n} per step")
    assert -1 < factor < 0
    assert 0 < abs(L["after_12"][1]) < 1


def test_at_eleven_tenths_the_distance_grows_every_step(L):
    # "lr = 1.1 (it overshoots by more than it started: the distance grows every step)"
    (factor,) = printed(L, r"lr = 1.1: x is multiplied by {n} per step")
    assert factor < -1
    assert abs(L["after_12"][2]) > 1


def test_tensorflow_imports_as_the_check_says(L):
    # "does TensorFlow import?" prints that lessons 04-06 will run
    assert L["status.importable"] is True
    assert "imports fine" in L.text()


def _imports_tensorflow(path):
    import nbformat

    code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    return bool(re.search(r"^\s*(import|from)\s+(tensorflow|keras|helpers\.(experiment|curvature|fixes|"
                          r"range_test|dynamics))\b", code, re.M))


LESSONS = [p for p in NOTEBOOKS if not p.name.startswith("00_")]  # lesson 00 probes TensorFlow in a subprocess


@pytest.mark.parametrize("path", LESSONS, ids=[p.name for p in LESSONS])
def test_lessons_01_to_03_need_no_tensorflow_and_04_to_06_import_it(path):
    # "Lessons 01-03 need no TensorFlow (numpy, matplotlib and the sliders only); 04-06 import it."
    assert _imports_tensorflow(path) == (int(path.name[:2]) >= 4)


def test_reproducibility_is_stated_as_it_is(L):
    # Issue 10, item 14: identical on the same machine and versions; elsewhere verdicts and orders of magnitude.
    text = markdown(L)
    assert "a different machine gives the same results" not in text
    assert "same package versions" in text and "not bit-reproducible" in text
    assert "same verdicts" in text and "orders of magnitude" in text


def test_the_glossary_is_linked_from_lesson_00_and_the_readme(L):
    from notebook_runner import ROOT

    assert (ROOT / "notebooks" / "GLOSSARY.md").is_file()
    assert "](GLOSSARY.md)" in markdown(L)
    assert "](notebooks/GLOSSARY.md)" in (ROOT / "README.md").read_text()


def test_the_overview_names_every_reason_the_thread_gives(L):
    # the second answer's first reason: each step sees different data (measured in lessons 05 and 06)
    overview = L.nb.cells[0].source
    assert "each step of training sees different examples" in overview and "lessons 05 and 06" in overview
