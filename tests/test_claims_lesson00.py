"""Lesson 0's claims, checked against the executed lesson (what it printed and its variables)."""

import re

import pytest

import numpy as np

from claim_support import markdown, printed, printed_output
from helpers.setup_check import demo_response
from notebook_runner import NOTEBOOKS, ROOT, lesson


@pytest.fixture(scope="module")
def L():
    return lesson("00")


def test_at_half_one_step_lands_on_the_minimum(L):
    # "Try lr = 0.5 (one step lands exactly on the minimum)"
    assert printed(L, r"lr = 0.5: x is multiplied by {n} per step") == (0.0,)
    assert "multiplied by +0.0" not in L.text()                  # a zero factor prints as plain 0
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
    assert abs(L["after_12"][3]) > 1


def test_at_one_the_distance_stays_the_same_as_printed(L):
    # "at η = 1 it stays the same, above it it grows (the four rates printed above)"
    assert list(L["check_rates"]) == [0.5, 0.9, 1.0, 1.1]
    assert printed(L, r"lr = 1.0: x is multiplied by {n} per step; after 12 steps x = {n}") == (-1.0, 1.0)
    assert "(the four rates printed above)" in " ".join(markdown(L).split())


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
    overview = " ".join(L.nb.cells[0].source.split())
    assert "computes its gradient on different examples" in overview and "lessons 05 and 06" in overview
    # Review r18 A2: the answer's own point is a bigger loss on new examples, not a different surface per step
    assert "a model fitted to one step's examples can give a bigger loss on the next step's" in overview
    assert "the loss a step\ngoes down" not in overview


def test_the_title_does_not_call_the_rate_ten_times_too_large(L):
    # The thread shows only that 1e-3 fails and 1e-4 works: the threshold lies somewhere in that decade.
    title = L.nb.cells[0].source.splitlines()[0]
    assert "ten times larger than a rate that works" in title and "too large" not in title


def test_the_overview_claims_a_quadratic_prediction_not_an_exact_one(L):
    overview = L.nb.cells[0].source
    assert "exact" not in overview
    # Review r20 A1: the threshold holds on a bowl; the stand-in's starting loss is none, so no "predicts" there
    assert "predict" not in overview and "shows where that picture stops holding" in overview


def test_the_overview_says_sharpness_not_conditioning_sets_the_threshold(L):
    # Review r15 B4, r16 A1/B2: the answer's quoted mechanism is large curvature, i.e. the sharpness; the course adds
    # a distinction (not a correction): the sharpness alone sets the threshold learning rate, conditioning the speed.
    overview = " ".join(L.nb.cells[0].source.split())
    # Review r17 A1/A2: the book's term is the curvature along the gradient (at most the sharpness), and "the
    # sharpness alone" holds in the quadratic picture with plain gradient descent, said where the claim is first made.
    # Review r20 B4: the formula is named before its term is used, and the curvature along the gradient is said in words
    # Review r21 A4: the answer's own hedge, ill-conditioning as one possibility besides user error
    assert ("It offers ill-conditioning as one possible cause (besides user error), but the mechanism it "
            "quotes is large curvature") in overview and "It frames the problem as ill-conditioning" not in overview
    assert ("the mechanism it quotes is large curvature. The formula it gives for the change of the loss in one step "
            "(lesson 03) has a second-derivative term that grows with the curvature of the loss in the direction of the "
            "gradient, and that curvature is at most the *sharpness*, the largest curvature of the loss") in overview
    assert "the book's formula" not in overview and "curvature along the gradient" not in overview
    # Review r20 A1: the sharpness alone sets the threshold on a bowl; lesson 04's starting loss is not one
    assert ("The course adds a distinction, made in the *quadratic picture*: the loss approximated by a bowl, a "
            "quadratic whose curvatures are all positive. There, plain gradient descent blows up above a learning rate "
            "set by the sharpness $\\lambda_{\\max}$ alone, while the conditioning explains why training is slow "
            "(lesson 02)") in overview
    assert "the quadratic picture at the starting weights" not in overview
    assert "which is the *sharpness*" not in overview
    assert "The first answer, quoting the Deep Learning book (Goodfellow, Bengio & Courville, 2016, ch. 8)" in overview
    assert "correction" not in overview and "the rate at which training blows up" not in overview


def test_the_overview_paraphrases_the_symptom_and_names_the_comments(L):
    # Review r16 D2, D3: "to a trillion and then to infinity" paraphrased; the comments (initialization, Adam) -> 05.
    overview = " ".join(L.nb.cells[0].source.split())
    # Review r21 B9: no undefined "overflow" aside inside the question; lesson 01 shows how a loss ends at inf and nan
    assert "from the thousands to a trillion and then to infinity (`nan`; lesson 01 shows how a growing loss ends there)" in overview
    assert "about a trillion" not in overview and "overflow" not in overview
    # Review r21 A5: the comment asks how the weights were initialized; it suggests nothing
    assert ("One comment asks how the weights were initialized, another suggests trying *Adam*, an optimizer that adapts "
            "each weight's step size to that weight's recent gradients; lesson 05 tests both") in overview   # r20 B6
    assert "suggest checking the weight initialization" not in overview
    assert overview.index("One comment asks") > overview.index("bigger loss on the next step")  # r17 B3: after the three
    row05 = next(line for line in markdown(L).splitlines() if line.startswith("| `05_"))
    assert "Adam" in row05 and "initialization" in row05


def test_lesson_04_is_called_a_stand_in(L):
    # r25 A3: the stand-in reproduces which rate blows up, not the thread's time scale
    assert "A stand-in network in Keras that, like the thread's, blows up at $10^{-3}$ and stays finite at $10^{-4}$" in markdown(L)
    assert "The thread's failure reproduced" not in markdown(L)


def test_the_blow_up_clock_is_defined_where_the_table_names_it(L):
    assert "*blow-up clock*, a formula that counts the steps until the loss passes a given level" in markdown(L)


def test_the_demo_answers_both_questions_with_its_printed_numbers(L):
    # 0.9 -> 1.1 is a 22% larger rate; |x12| grows 130-fold; at 1.1 the loss is multiplied by 1.44 per step
    # Review r15 B7: 130 compares the two runs' |x| (their losses differ by 130²); 79 is one run's loss growth.
    # Review r16 D4: one comparison per printed line.
    assert printed(L, r"0.9 → 1.1 is a {n}% larger rate\n") == (22,)
    # Review r20 D12: the ratio to four digits, and the loss ratio is its square (16,834, not 130² = 16,900)
    assert printed(L, r"after 12 steps: \|x\| = {n} at lr = 0.9 and {n} at lr = 1.1, {n} times more\n") == (
        0.0687, 8.92, 129.7)
    assert (f"so the loss x² at lr = 1.1 is that ratio squared, {L['growth'] ** 2:,.0f} times the loss at lr = 0.9\n"
            in L.text())
    assert round(L["growth"] ** 2) == 16834 and round(L["growth"], 1) == 129.7
    assert max(len(line) for line in printed_output(L).splitlines()) < 120
    assert round(L["growth"] ** 2) == round(1.5**24)
    assert L["growth"] == pytest.approx(abs(1.2**12 / 0.8**12))
    assert L["loss_factor"] == pytest.approx(1.44)
    (factor, after) = printed(L, r"at lr = 1.1 the loss x² is multiplied by \(1 - 2·1.1\)² = {n} per step: "
                                 r"after 12 steps it is {n} times its start")
    assert factor == 1.44 and after == round(1.44**12)
    md = " ".join(markdown(L).split())
    assert "So the 22% step from 0.9 to 1.1 (printed) does not make training a little worse" in md
    # Review r21 D19: the paragraph names the factor by its formula and points at the print
    # r25 A2: the factor comes first; landing higher is what a factor above 1 means, not its cause
    assert ("the loss $x^2$ is multiplied by $(1 - 2\\eta)^2$ per step, printed above for 1.1: above the threshold that factor "
            "is above 1, so each step still goes downhill from where it stands, yet lands higher on the other side (question 2)") in md
    assert "a factor of 1.44" not in md and "grows by 1.44 per step" not in md
    # Review r21 A3: the demo's answer to question 1 is scoped to x²
    assert "Why one order of magnitude can matter, on $x^2$: a rate 22% larger, 0.9 → 1.1, crosses that threshold" in md
    assert "multiplies the loss $x^2$ by $(1 - 2\\eta)^2 = 1.44$ (printed)" in md
    assert "What the demo answers, on $x^2$" in md and "in miniature" not in md
    # r22 B4, B5: the answers have a heading of their own (a slide), and the pointers to them name it
    (cell,) = [c for c in L.nb.cells if c.source.startswith("## What the demo answers, on $x^2$\n")]
    assert cell.metadata["slideshow"]["slide_type"] == "slide"
    assert "after the threshold's computation below" not in md and "after the 2000/20000 print above" not in md


def test_the_threshold_one_is_two_over_the_curvature_of_x_squared(L):
    assert printed(L, r"threshold 2/f'' = {n};") == (1,)
    md = " ".join(markdown(L).split())
    assert "$2/\\lambda_{\\max} = 2/f'' = 1$" in md and "for $0 < \\eta < 1$" in md and "at $\\eta = 1$ it stays" in md
    assert "the learning rate at which the factor $1 - 2\\eta$ reaches $-1$" in md
    # Review r16 D5: at η = 0.5 the distance is 0 after one step (printed: factor 0, x = 0 after 12 steps)
    assert "shrinks (to 0 at once at $\\eta = 0.5$)" in md
    assert printed(L, r"lr = 0.5: x is multiplied by {n} per step; after 12 steps x = {n}") == (0, 0)
    assert list(demo_response(0.5, steps=1)) == [1.0, 0.0]


def test_the_static_figure_shows_the_growing_case_on_axes_that_hold_it(L):
    # The slider starts at lr = 1.1 ("the whole course in miniature"), so the executed PNG shows the growth.
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.colors import to_rgb

    from helpers.setup_check import CheckSlider

    cell = next(c for c in L.nb.cells if "CheckSlider(" in c.source)
    assert "CheckSlider(lr=1.1)" in cell.source
    assert any("image/png" in out.get("data", {}) for out in cell.outputs)
    app = CheckSlider(lr=1.1)
    try:
        path = demo_response(1.1, steps=app.steps)
        low, high = app.ax.get_ylim()
        assert low < path.min() and path.max() < high and "grows" in app.label.value
        # review r15 C10, r16 C1: lr = 0.9 has its own colour, and the log panel separates it from 1.1
        reference = demo_response(0.9, steps=app.steps)
        assert list(app.reference.get_ydata()) == list(reference)
        assert app.reference.get_color() != app.line.get_color() and app.reference.get_color() != "grey"
        md = " ".join(markdown(L).split())
        assert "An orange dashed line keeps lr = 0.9 for comparison" in md
        assert to_rgb(app.reference.get_color())[0] > 0.7  # orange: mostly red
        assert "The right panel draws the distance to the minimum $|x_k|$ on a log scale" in md
        assert app.log_ax.get_yscale() == "log"
        # "straight line": log|x_k| rises by the same amount each step at 1.1 and falls at 0.9
        for drawn, factor in ((app.log_line.get_ydata(), 1.2), (app.log_reference.get_ydata(), 0.8)):
            assert np.diff(np.log(drawn)) == pytest.approx(np.full(app.steps, np.log(factor)))
        assert printed(L, r"after 12 steps: \|x\| = {n} at lr = 0.9 and {n} at lr = 1.1") == (0.0687, 8.92)
    finally:
        app.close()


def test_what_changes_at_the_threshold_is_the_size_of_the_factor(L):
    # Review r15 A1: the factor is constant on both sides; above the threshold |1 - 2η| > 1.
    # Review r16 B3: "distance to the minimum |x|", not the undefined "error"; no "geometrically".
    md = " ".join(markdown(L).split())
    # r22 B1: one factor per run (-0.8 at 0.9, -1.2 at 1.1), not "the same factor" on both sides
    assert ("On both sides of the threshold every step of a run multiplies $x$ by one factor, $1 - 2\\eta$, so the "
            "distance to the minimum $|x|$ is multiplied by $|1 - 2\\eta|$") in md          # r20 B8: not "of it"
    assert "by the same factor $1 - 2\\eta$ on both sides" not in md
    assert ("below the threshold $|1 - 2\\eta| < 1$ and the distance to the minimum shrinks, above it "
            "$|1 - 2\\eta| > 1$ and the distance to the minimum grows instead, by the same factor each step") in md
    assert "$|1 - 2\\eta| > 1$, so the distance to the minimum $|x|$ grows by the same factor each step" in md
    assert " error " not in md and "geometrically" not in md
    (below,) = printed(L, r"lr = 0.9: x is multiplied by {n} per step")
    (above,) = printed(L, r"lr = 1.1: x is multiplied by {n} per step")
    assert abs(below) < 1 < abs(above)


def test_the_thread_threshold_is_placed_between_its_two_rates(L):
    # Review r15 B3: 1e-4 trains and 1e-3 blows up only if 2/λmax lies between them: 2000 < λmax < 20000.
    assert printed(L, r"λmax lies between 2/1e-3 = {n} and 2/1e-4 = {n}") == (2000, 20000)
    assert (L["sharpness_low"], L["sharpness_high"]) == pytest.approx((2e3, 2e4))
    md = " ".join(markdown(L).split())
    assert "$10^{-4}$ trains and $10^{-3}$ blows up only if $2/\\lambda_{\\max}$ lies between them" in md
    # Review r17 B4: the thread names no optimizer and the asker says changing it did not help; plain GD is assumed
    # Review r20 A2: a bowl is the second assumption, stated as one
    # Review r21 A1: the thread does not say whether it used minibatches; the assumptions are the course's
    assert ("The thread does not name its optimizer (the asker says changing it did not help), nor say whether it trained "
            "on minibatches. The course makes two assumptions, its hypotheses, not facts from the thread: the quadratic "
            "picture (the loss is a bowl) and plain *full-batch* gradient descent (every step computes its gradient on "
            "all the training data)") in md
    assert "On a bowl a rate trains below $2/\\lambda_{\\max}$ and blows up above it" in md
    assert "Lesson 01 reads the thread's two rates this way. Lesson 04 tests the window on a stand-in network" in md
    # Review r16 B6: the summary keeps the conditions of the range; r17 B6: a condition, not a measured value;
    # r20 A2, r21 D17: and points to the one full statement of what lesson 04 found
    assert ("If the loss were a bowl and the steps plain full-batch gradient descent, the thread's two rates would put the sharpness "
            "$\\lambda_{\\max}$ between 2000 and 20000 (printed above); on lesson 04's stand-in that window is a rule of "
            "thumb checked by running (why: under *What the demo answers*)") in md


def test_row_01_says_where_012_comes_from_and_that_it_converges_on_x_squared(L):
    # Review r15 B5: 0.12 is the x² answer's rate; the threshold of x² is 1 (printed), so 0.12 converges there.
    # Review r16 A2: the answer does not say which function its figures show; no implied inconsistency.
    md = " ".join(markdown(L).split())
    assert ("The thread's $x^2$ answer refers to figures at the rates 0.01 and 0.12 (the function they show is not "
            "stated); on $x^2$ itself 0.12 would converge (the threshold of $x^2$ is 1, computed below)") in md
    assert "yet on $x^2$" not in md
    assert printed(L, r"threshold 2/f'' = {n}") == (1,) and 0.12 < 1
    assert abs(1 - 0.12 * 2) < 1                                   # the factor on x² at 0.12


def test_terms_of_the_lesson_table_are_defined_in_their_rows(L):
    # Review r15 B6: row 03 says what η, g and H are and that the thread writes ε; the glossary covers lesson 06's terms.
    md = " ".join(markdown(L).split())
    assert ("with learning rate $\\eta$ (which the book and the thread write as $\\varepsilon$), gradient $g$ and "
            "Hessian $H$") in md
    # Review r20 B6: lesson 06's terms are defined in the row itself, not only in the glossary
    assert ("minibatch noise (each minibatch's gradient differs from the full data's), the edge of stability (the "
            "sharpness climbing to about $2/\\eta$ and hovering there), the catapult (a loss spike after which the "
            "sharpness falls and training recovers)") in md


def test_the_overview_says_the_rates_are_tested_on_a_stand_in(L):
    # Review r15 B8 and D13: the thread's rates on a stand-in network; the asker writes "simple neural networks".
    overview = " ".join(L.nb.cells[0].source.split())
    assert ("The course computes that rate for a stand-in network before training (the thread describes no network), tests it "
            "at the thread's two rates") in overview
    assert "simple neural networks" in overview and "small TensorFlow network" not in overview


def test_the_slider_text_names_the_title_and_promises_no_threshold_drawing(L):
    # Review r15 B9 and C10: the slider's sentence is its title; the threshold is computed, not drawn, in lesson 00.
    md = " ".join(markdown(L).split())
    assert "the curve and the title above it should change" in md
    assert "drawn on the figure" not in md and "A threshold such as $2/\\lambda_{\\max}$ is computed from the starting weights alone" in md


def test_the_slider_text_derives_the_factor_and_gives_the_threshold_where_it_first_names_it(L):
    # Review r16 B1: the update that gives 1 - 2η; B4: "just below the threshold" comes with its value.
    md = " ".join(markdown(L).split())
    assert "$f'(x) = 2x$, so one step gives $x - \\eta \\cdot 2x = (1 - 2\\eta)x$" in md
    first = md.index("below the threshold")
    assert md[first:].startswith("below the threshold $\\eta = 1$ where the factor $1 - 2\\eta$ reaches $-1$")
    assert printed(L, r"threshold 2/f'' = {n};") == (1,)
    assert printed(L, r"lr = 1.0: x is multiplied by {n} per step") == (-1.0,)
    assert list(demo_response(0.25, steps=2)) == [1.0, 0.5, 0.25]  # x - 0.25·2x = x/2


def test_the_references_cite_the_deep_learning_book(L):
    # Review r16 D1: the body quotes the book through the thread's first answer.
    refs = markdown(L).split("## References", 1)[1]
    assert "Goodfellow, I., Bengio, Y. & Courville, A. (2016)" in refs and "ch. 8" in refs
    overview = " ".join(L.nb.cells[0].source.split())
    assert "The first answer, quoting the Deep Learning book (Goodfellow, Bengio & Courville, 2016, ch. 8)" in overview


def test_r19_inf_arithmetic_and_the_full_batch_hypothesis(L):
    # Review r19 A2, A3: only some arithmetic on inf gives nan; the 2/λ_max window is a full-batch hypothesis
    md = " ".join(markdown(L).split())
    assert "lesson 01 shows how a growing loss ends there" in md          # r21 B9: the inf/nan aside moved to lesson 01
    lesson01 = next(p for p in NOTEBOOKS if p.name.startswith("01_")).read_text()
    assert "inf - inf" in lesson01 and "gives `nan`" in lesson01
    assert "plain *full-batch* gradient descent" in md and "its hypotheses, not facts from the thread" in md
    assert float("inf") + 1 == float("inf") and (float("inf") - float("inf")) != (float("inf") - float("inf"))


# ---------------------------------------------------------------- review r20

@pytest.fixture(scope="module")
def L4():
    return lesson("04")


def test_r21_row_04_and_the_paragraph_after_the_print_say_rule_of_thumb_once(L, L4):
    # Review r21 B6-B8, B12, D17: row 04 says plainly what matched and points to the one full statement
    row04 = next(line for line in markdown(L).splitlines() if line.startswith("| `04_"))
    assert ("Its threshold $2/\\lambda_{\\max}$, read from the Hessian before training, puts $10^{-3}$ above it and "
            "$10^{-4}$ below it, matching which run blows up: a rule of thumb checked by running, not a proof (why: "
            "under *What the demo answers*, below)") in row04
    assert "predicts" not in row04 and "sorted" not in row04 and "saddle" not in row04 and "\\eta\\lambda" not in row04
    md = " ".join(markdown(L).split())
    # Review r21 A2, B8: saddle in its general meaning; why it makes the rule a rule of thumb; not "a saddle point"
    assert ("Lesson 04 tests the window on a stand-in network trained on minibatches. Its $2/\\lambda_{\\max}$, read "
            "before training, puts $10^{-3}$ above the threshold and $10^{-4}$ below it, matching which run blew up. "
            "That is a rule of thumb checked by running, not a proof. Near its starting weights the loss is shaped like "
            "a *saddle*: it curves up in some directions and down in others, so it is not the bowl the rule assumes; a "
            "quadratic approximation there has no bottom, and lesson 04 finds it stops describing the loss within a few "
            "steps") in md
    # Review r21 B7, B12: the sharpness changes during training; ηλmax > 2 said as the rate above 2/λmax
    assert ("And $\\lambda_{\\max}$ changes during training: in the $10^{-4}$ run the rate was above $2/\\lambda_{\\max}$ "
            "($\\eta\\lambda_{\\max} > 2$) at a few steps, yet the run stayed finite. And its steps follow minibatch "
            "gradients, not the full-data gradient the rule assumes (lesson 06)") in md   # r22 C1
    assert "about as steeply" not in md and "starting loss is a" not in md and "heuristic" not in md
    assert md.count("rule of thumb") == 3                       # stated once in full, pointed to twice
    # what lesson 04 printed: the threshold between the rates, 1e-3 diverged and 1e-4 did not
    assert 1e-4 < L4["info.critical_lr"] < 1e-3
    assert L4["fast.diverged_at"] is not None and "without diverging" in L4["slow.message"]
    assert L4["LESSON.batch_size"] < L4["LESSON.n_samples"]                  # minibatch runs
    assert L4["lam_min"] < 0 < L4["info.sharpness"]                         # curvature of both signs
    assert "The weights are not at a *saddle point*" in L4.text()
    assert "the quadratic model stops holding within a few steps at the latest" in " ".join(L4.text().split())
    # ηλmax along the 1e-4 run above 2 at a few of its steps, and the run finite
    assert L4["closest"] > 2 and 0 < len(L4["above_two"]) <= 5
    assert "found by running" in L4.text()


def test_r21_the_thread_does_not_say_whether_it_used_minibatches(L):
    # Review r21 A1, B10: no counting argument from the thread's "three values"
    md = " ".join(markdown(L).split())
    assert "nor say whether it trained on minibatches" in md
    assert "three values" not in md and "the thread suggests several steps" not in md
    assert "not the thread's setting" not in md


def test_r21_the_slider_text_mentions_only_rates_it_prints(L):
    # Review r21 C16: lr = 0.3 had no output; the text names only printed rates
    md = " ".join(markdown(L).split())
    assert "lr = 0.3" not in md
    assert ("Try lr = 0.5 (one step lands exactly on the minimum), lr = 0.9 (it overshoots but still shrinks) and back "
            "to lr = 1.1") in md
    assert "These three rates, and lr = 1.0 where the factor is exactly $-1$, computed" in md
    for lr in (0.5, 0.9, 1.1):
        assert f"lr = {lr}: x is multiplied by" in L.text()


@pytest.mark.parametrize("term, meaning", [
    ("minibatch", "a small subset of the training data"),                      # B6
    ("full-batch", "every step computes its gradient on all the training data"),
    ("Adam", "an optimizer that adapts each weight's step size"),
    ("quadratic picture", "the loss approximated by a bowl"),                  # B5
    ("catapult", "a loss spike after which the sharpness falls"),
    ("condition number", "the largest curvature over the smallest"),
    ("zig-zag", "steps bouncing across a narrow valley"),
    ("clipping", "capping the gradient's length"),
    ("edge of stability", "the sharpness climbing to about"),
    ("momentum", "each step adds a fraction of the previous one"),
    ("saddle", "it curves up in some directions and down in others"),     # r21 A2: the general meaning
    ("eigenvalues", "the curvatures along the Hessian's *eigenvectors*"),      # r21 B11
])
def test_r20_a_term_is_explained_where_lesson_00_first_uses_it(L, term, meaning):
    # Review r20 B6: the Notation promises that every term is defined where it first appears
    md = " ".join(markdown(L).split())
    first = md.index(term)
    assert meaning in md[first:first + len(term) + 30 + len(meaning)], md[first - 40:first + 120]


def test_r20_the_overview_says_what_overshooting_means_before_the_demo(L):
    # Review r20 B7: not the cryptic "stepped across rather than down"
    overview = " ".join(L.nb.cells[0].source.split())
    assert "stepped across" not in overview
    assert ("a parabola such as $x^2$, on which too long a step crosses the minimum and lands higher on the other side "
            "(the demo below)") in overview
    (above,) = printed(L, r"lr = 1.1: x is multiplied by {n} per step")
    assert above < -1                                      # crosses the minimum (sign flips) and lands farther out


def test_r20_the_rule_is_for_positive_curvature(L):
    # Review r20 D13: for f'' < 0 gradient descent moves away at every rate
    md = " ".join(markdown(L).split())
    assert "the rule $\\eta < 2/f''$ for any positive curvature $f''$" in md and "for any curvature" not in md


def test_r20_the_overview_is_split_into_short_paragraphs(L):
    # Review r20 D14: the answers, the comments and the course's distinction no longer run as one paragraph
    paragraphs = L.nb.cells[0].source.split("\n\n")
    assert max(len(p.split()) for p in paragraphs) < 120
    assert sum("The course adds a distinction" in p or "The other answer points" in p or
               "The thread's two answers" in p for p in paragraphs) == 3


def test_r24_a1_a2_b6_how_to_use_says_what_is_cited_and_when_a_threshold_predicts(L):
    md = " ".join(markdown(L).split())
    # A1: cited results exist (lesson 3 cites lesson 4, lessons 4 and 6 the README's benchmark): say so
    assert "nothing is typed in by hand" not in md
    assert ("Every number and figure is computed as you go, except results cited from another lesson or from the README's "
            "benchmarks, which say where they come from") in md
    # A2: lesson 04 shows the outcome before it computes the threshold; the threshold uses the starting weights alone
    assert "Lessons predict first" not in md
    assert ("A threshold such as $2/\\lambda_{\\max}$ is computed from the starting weights alone, so it predicts without "
            "looking at the run, even where a lesson shows the outcome first (lesson 04).") in md
    L4 = lesson("04").nb.cells
    heads = [c.source.splitlines()[0] for c in L4 if c.cell_type == "markdown" and c.source.startswith("## ")]
    assert heads.index("## Run both rates") < heads.index("## A threshold from the initial weights: the sharpness")


def test_r25_a1_a4_condition_number_for_a_bowl_and_what_makes_reruns_identical(L):
    md = " ".join(markdown(L).split())
    assert "the condition number (for a bowl, the largest curvature over the smallest)" in md
    assert "a rerun gives identical numbers (the helpers switch on TensorFlow's deterministic operations)" in md
    assert "tf.config.experimental.enable_op_determinism()" in (ROOT / "helpers" / "net" / "env.py").read_text()
