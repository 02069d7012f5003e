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
    # "does TensorFlow import?" prints that lessons 04-07 will run (07 imports keras and helpers.net)
    assert L["status.importable"] is True
    assert "imports fine: lessons 04-07 will run" in L.text()


def _imports_tensorflow(path):
    import nbformat

    code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    return bool(re.search(r"^\s*(import|from)\s+(tensorflow|keras|helpers\.(experiment|curvature|fixes|"
                          r"range_test|dynamics|net))\b", code, re.M))


LESSONS = [p for p in NOTEBOOKS if not p.name.startswith("00_")]  # lesson 00 probes TensorFlow in a subprocess


@pytest.mark.parametrize("path", LESSONS, ids=[p.name for p in LESSONS])
def test_lessons_01_to_03_need_no_tensorflow_and_04_to_07_import_it(path):
    # "Lessons 01-03 need no TensorFlow (numpy, matplotlib and the sliders only); 04-07 import it."
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
    assert "computes its gradient on different examples" in overview and "lessons 05\nand 06" in overview
    assert "the loss a step\ngoes down" not in overview


def test_the_title_does_not_call_the_rate_ten_times_too_large(L):
    # The thread shows only that 1e-3 fails and 1e-4 works: the threshold lies somewhere in that decade.
    title = L.nb.cells[0].source.splitlines()[0]
    assert "ten times larger than a rate that works" in title and "too large" not in title


def test_the_overview_claims_a_quadratic_prediction_not_an_exact_one(L):
    overview = L.nb.cells[0].source
    assert "exact" not in overview
    assert "predicts that gradient descent" in overview and "shows where that picture stops holding" in overview


def test_the_overview_says_sharpness_not_conditioning_sets_the_threshold(L):
    overview = " ".join(L.nb.cells[0].source.split())
    assert "set by the *sharpness* $\\lambda_{\\max}$, the largest curvature, not by the conditioning" in overview
    assert "lesson 02 shows both" in overview


def test_lesson_04_is_called_a_stand_in(L):
    assert "A stand-in network in Keras that fails like the thread's" in markdown(L)
    assert "The thread's failure reproduced" not in markdown(L)


def test_the_blow_up_clock_is_defined_where_the_table_names_it(L):
    assert "*blow-up clock*, a formula that counts the steps until the loss passes a given level" in markdown(L)


def test_the_demo_answers_both_questions_with_its_printed_numbers(L):
    # 0.9 -> 1.1 is a 22% larger rate; |x12| grows 130-fold; at 1.1 the loss is multiplied by 1.44 per step
    assert printed(L, r"0.9 → 1.1 is a {n}% larger rate; after 12 steps \|x\| is {n} times larger "
                      r"\({n} → {n}\)") == (22, 130, 0.0687, 8.92)
    assert L["growth"] == pytest.approx(abs(1.2**12 / 0.8**12))
    assert L["loss_factor"] == pytest.approx(1.44)
    (factor, after) = printed(L, r"at lr = 1.1 the loss x² is multiplied by \(1 - 2·1.1\)² = {n} per step, "
                                 r"so after 12 steps by {n}")
    assert factor == 1.44 and after == round(1.44**12)
    md = " ".join(markdown(L).split())
    assert "So the 22% step from 0.9 to 1.1 (printed)" in md and "grows by 1.44 per step" in md
    assert "a rate 22% larger, 0.9 → 1.1, crosses that threshold" in md and "multiplies the loss $x^2$ by 1.44" in md


def test_the_threshold_one_is_two_over_the_curvature_of_x_squared(L):
    assert printed(L, r"threshold 2/f'' = {n}") == (1,)
    md = " ".join(markdown(L).split())
    assert "$2/\\lambda_{\\max} = 2/f'' = 1$" in md and "for $0 < \\eta < 1$" in md and "at $\\eta = 1$ it stays" in md


def test_the_static_figure_shows_the_growing_case_on_axes_that_hold_it(L):
    # The slider starts at lr = 1.1 ("the whole course in miniature"), so the executed PNG shows the growth.
    import matplotlib

    matplotlib.use("Agg")
    from helpers.setup_check import CheckSlider, demo_response

    cell = next(c for c in L.nb.cells if "CheckSlider(" in c.source)
    assert "CheckSlider(lr=1.1)" in cell.source
    assert any("image/png" in out.get("data", {}) for out in cell.outputs)
    app = CheckSlider(lr=1.1)
    try:
        path = demo_response(1.1, steps=app.steps)
        low, high = app.ax.get_ylim()
        assert low < path.min() and path.max() < high and "grows" in app.label.value
    finally:
        app.close()
