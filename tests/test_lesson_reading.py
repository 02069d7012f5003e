"""Lessons 00-03 read as one course: one notation, terms in a glossary, each lesson closes with what
it showed and what it used. (Lessons 04-06 are checked by their own claim tests.)"""

import re
from pathlib import Path

import nbformat
import pytest

from notebook_runner import NOTEBOOKS, ROOT

EARLY = [p for p in NOTEBOOKS if p.name[:2] in {"00", "01", "02", "03"}]
GLOSSARY = ROOT / "notebooks" / "GLOSSARY.md"


def markdown_cells(path):
    return [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"]


@pytest.mark.parametrize("path", EARLY, ids=[p.name for p in EARLY])
def test_the_learning_rate_is_eta_in_every_formula(path):
    text = "\n".join(markdown_cells(path))
    assert r"\alpha" not in text, "the learning rate is η in formulas (lr in code)"
    # ε appears only where lesson 3 says that the book and the thread write it for η.
    for line in text.splitlines():
        if r"\varepsilon" in line or "ε" in line:
            assert "the book and the thread write" in line, line


@pytest.mark.parametrize("path", EARLY, ids=[p.name for p in EARLY])
def test_every_lesson_links_the_glossary(path):
    assert any("](GLOSSARY.md)" in cell for cell in markdown_cells(path))


@pytest.mark.parametrize("path", EARLY, ids=[p.name for p in EARLY])
def test_every_lesson_ends_with_what_we_learned_and_references(path):
    headings = [line for cell in markdown_cells(path) for line in cell.splitlines() if line.startswith("## ")]
    before_exercises = headings[:headings.index("## Exercises")] if "## Exercises" in headings else headings
    assert before_exercises[-2:] == ["## What we learned", "## References"], headings


@pytest.mark.parametrize("path", EARLY, ids=[p.name for p in EARLY])
def test_references_are_what_the_lesson_uses(path):
    # Every work in "References" is named in the lesson's own text, and the thread is always there.
    text = "\n".join(markdown_cells(path))
    body, references = text.split("## References")
    assert "datascience.stackexchange.com" in references
    for author in ("Goodfellow", "LeCun", "Goh", "Smith", "Cohen", "Lewkowycz", "IEEE 754"):
        if author in references:
            assert author in body, f"{path.name} lists {author} under References but never uses it"


def test_every_glossary_link_points_at_a_lesson_that_exists():
    links = re.findall(r"\]\(([^)]+\.ipynb)\)", GLOSSARY.read_text())
    assert links
    for link in links:
        assert (GLOSSARY.parent / link).is_file(), link


@pytest.mark.parametrize("term", ["Learning rate", "Curvature", "Hessian", "Eigenvalue", "Sharpness",
                                  "critical learning rate", "Condition number", "Second-order change",
                                  "Lanczos", "Hessian-vector product", "saddle", "Preconditioning",
                                  "Edge of stability", "Catapult", "Minibatch", "float32", "Quartic wall",
                                  "valley floor"])
def test_the_glossary_defines(term):
    assert re.search(rf"^\*\*[^*\n]*{re.escape(term)}", GLOSSARY.read_text(), re.M | re.I), term


@pytest.mark.parametrize("path", EARLY, ids=[p.name for p in EARLY])
def test_the_thread_is_quoted_as_after_one_epoch(path):
    # The thread says the loss jumped "after one epoch"; "within" reads more into it.
    text = "\n".join(markdown_cells(path))
    assert "within one epoch" not in text and "within an epoch" not in text


DEFINED_WHERE_FIRST_USED = {"02": ["eigenbasis", "level sets", "design matrix", "intercept column", "least-squares"],
                            "03": ["Taylor expansion", "remainder", "quartic wall", "valley floor"]}


@pytest.mark.parametrize("number, term", [(n, t) for n, terms in DEFINED_WHERE_FIRST_USED.items() for t in terms])
def test_a_term_is_defined_where_it_is_first_used(number, term):
    # The first mention of the term in the lesson's text is its definition, set in bold.
    (path,) = [p for p in EARLY if p.name.startswith(number)]
    text = "\n".join(markdown_cells(path))
    first = text.lower().index(term.lower())
    assert text[first - 2:first] == "**", f"{path.name}: '{term}' is used before it is defined: {text[first - 80:first + 40]!r}"


def test_the_lessons_do_not_call_the_sharpness_a_speed_limit():
    # κ sets the speed; the sharpness sets the threshold.
    for path in EARLY:
        assert "speed limit" not in "\n".join(markdown_cells(path)), path.name


def test_glossary_lessons_for_minibatch_and_sgd_use_the_terms():
    entry = re.search(r"^\*\*Minibatch, SGD, epoch\.\*\*.*?(?=^\*\*)", GLOSSARY.read_text(), re.M | re.S).group(0)
    assert "epoch: [lesson 0]" in entry and "minibatch and SGD: [lesson 4]" in entry
    lesson0 = "\n".join(markdown_cells(ROOT / "notebooks" / "00_start_here.ipynb"))
    lesson4 = "\n".join(markdown_cells(ROOT / "notebooks" / "04_a_real_network_blows_up.ipynb"))
    assert "epoch" in lesson0 and "minibatch" in lesson4 and "SGD" in lesson4


@pytest.mark.parametrize("term, defined_by", [("eigenvalue", "curvature"), ("sharpness", "largest")])
def test_lesson_0_says_what_eigenvalue_and_sharpness_mean_where_it_first_uses_them(term, defined_by):
    # Lesson 0 comes before lesson 2 defines them: a plain one-line meaning goes with the first use.
    text = "\n".join(markdown_cells(ROOT / "notebooks" / "00_start_here.ipynb"))
    first = text.lower().index(term)
    assert defined_by in text[first:first + 60], text[first - 40:first + 80]
