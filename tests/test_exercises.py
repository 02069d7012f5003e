"""Every exercise accepts its reference answer and refuses typical wrong ones with a useful message."""

import importlib
import pkgutil

import numpy as np
import pytest

import helpers.exercises as exercises_package
from helpers.exercises import ChoiceExercise, Exercise, FunctionExercise, NumberExercise


def all_exercises():
    found = []
    for info in pkgutil.iter_modules(exercises_package.__path__):
        if info.name.startswith("lesson"):
            module = importlib.import_module(f"helpers.exercises.{info.name}")
            found += [(f"{info.name}.{name}", obj) for name, obj in vars(module).items()
                      if isinstance(obj, Exercise)]
    return sorted(found, key=lambda pair: pair[0])


EXERCISES = all_exercises()
IDS = [name for name, _ in EXERCISES]


def reference_answer(q):
    if isinstance(q, NumberExercise):
        return q.expected
    if isinstance(q, ChoiceExercise):
        return q.correct
    return q.reference


def wrong_answers(q):
    """(answer, message the student must see) for each typical wrong answer."""
    if isinstance(q, ChoiceExercise):
        return [(key, q.feedback(key)) for key in q.options if key != q.correct]
    return list(q.mistakes)


def test_at_least_ten_exercises_across_lessons_01_to_05():
    assert len(EXERCISES) >= 10, IDS
    lessons = {name.split(".")[0] for name in IDS}
    assert {"lesson01", "lesson02", "lesson03", "lesson04", "lesson05"} <= lessons


@pytest.mark.parametrize("name,q", EXERCISES, ids=IDS)
def test_reference_answer_passes(name, q, capsys):
    assert q.check(reference_answer(q)) is True
    assert capsys.readouterr().out.startswith("Correct!")


@pytest.mark.parametrize("name,q", EXERCISES, ids=IDS)
def test_typical_wrong_answers_fail_with_their_message(name, q, capsys):
    wrong = wrong_answers(q)
    assert len(wrong) >= 2, f"{name} declares fewer than two typical wrong answers"
    for answer, message in wrong:
        assert q.check(answer) is False
        out = capsys.readouterr().out
        assert out.startswith("Not yet:") and message in out


CHOICES = [(name, q) for name, q in EXERCISES if isinstance(q, ChoiceExercise)]


@pytest.mark.parametrize("name,q", EXERCISES, ids=IDS)
def test_the_rendered_exercise_shows_its_prompt(name, q):
    assert q.prompt in q._repr_markdown_()


@pytest.mark.parametrize("name,q", CHOICES, ids=[name for name, _ in CHOICES])
def test_a_student_sees_every_choice_and_none_of_the_feedback(name, q):
    shown = q._repr_markdown_()
    for key, (choice, feedback) in q.options.items():
        assert f"- **{key}**: {choice}" in shown, f"{name}: choice {key!r} is not listed"
        assert feedback not in shown, f"{name}: the feedback of {key!r} is shown before any answer"
    assert q._solution not in shown and all(hint not in shown for hint in q.hints)


@pytest.mark.parametrize("name,q", CHOICES, ids=[name for name, _ in CHOICES])
def test_choices_are_short_and_distinct_from_their_feedback(name, q):
    for key, (choice, feedback) in q.options.items():
        assert len(choice) <= 100, f"{name}: choice {key!r} is a paragraph, not a choice"
        assert choice not in feedback and feedback not in choice


@pytest.mark.parametrize("name,q", EXERCISES, ids=IDS)
def test_unanswered_does_not_raise(name, q, capsys):
    assert q.check(None) is None and q.check(...) is None
    assert "Not answered yet" in capsys.readouterr().out


def test_an_unanswered_exercise_cell_shows_the_message_and_no_bare_false():
    """Review r12 D15: a cell ending in ``check(...)`` showed ``False`` under "Not answered yet" (IPython
    displays a cell's last value unless it is None); a wrong answer still returns False."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output
    shell = InteractiveShell.instance()
    shell.user_ns["q"] = EXERCISES[0][1]
    with capture_output() as shown:
        shell.run_cell("q.check(...)")
    assert "Not answered yet" in shown.stdout and "False" not in shown.stdout and not shown.outputs
    assert shell.user_ns["q"].check(object()) is False


@pytest.mark.parametrize("name,q", EXERCISES, ids=IDS)
def test_hints_and_solution_print(name, q, capsys):
    assert q.hints, f"{name} has no hints"
    q.hint()
    q.solution()
    out = capsys.readouterr().out
    assert "Hint 1 of" in out and "Solution:" in out


# The machinery itself.

def make_number():
    return NumberExercise("2/f'' for f''=10?", 0.2, ["think of x^2"], "0.2",
                          mistakes=[(0.1, "that is 1/f''"), (20.0, "that is 2 f''")])


def test_number_exercise_gives_direction_for_an_unlisted_wrong_answer(capsys):
    assert make_number().check(0.5) is False
    assert "too large" in capsys.readouterr().out


@pytest.mark.parametrize("answer", ["0.2", True, float("nan"), [0.2]])
def test_number_exercise_refuses_non_numbers_without_raising(answer, capsys):
    assert make_number().check(answer) is False
    assert "Not yet:" in capsys.readouterr().out


def test_hints_come_in_order_then_repeat_the_last(capsys):
    q = NumberExercise("?", 1.0, ["first", "second"], "one")
    q.hint(), q.hint(), q.hint()
    out = capsys.readouterr().out.splitlines()
    assert out == ["Hint 1 of 2: first", "Hint 2 of 2: second", "Hint 2 of 2: second"]


def test_function_exercise_reports_a_raising_answer(capsys):
    q = FunctionExercise("square", lambda x: x * x, [(2,), (3,)], ["multiply"], "x*x",
                         mistakes=[(lambda x: 2 * x, "doubled"), (lambda x: x + x, "added")])
    assert q.check(lambda x: 1 / 0) is False
    assert "ZeroDivisionError" in capsys.readouterr().out
    assert q.check(lambda x: x ** 2) is True


@pytest.mark.parametrize("kwargs,match", [
    (dict(prompt="", expected=1.0), "prompt"),
    (dict(prompt="?", expected=float("inf")), "expected"),
    (dict(prompt="?", expected=1.0, rtol=2), "rtol"),
])
def test_badly_declared_exercises_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        NumberExercise(hints=["h"], solution="s", **kwargs)


def test_choice_needs_a_valid_correct_key():
    with pytest.raises(ValueError, match="correct"):
        ChoiceExercise("?", {"a": ("x", "no"), "b": ("y", "yes")}, "c", ["h"], "s")


def test_choice_needs_a_choice_and_its_feedback_for_every_key():
    with pytest.raises(TypeError, match=r"options\['b'\]"):
        ChoiceExercise("?", {"a": ("x", "no"), "b": "feedback only"}, "a", ["h"], "s")


def test_choice_accepts_an_upper_case_letter_and_refuses_an_unknown_one(capsys):
    q = ChoiceExercise("?", {"a": ("x", "right, because"), "b": ("y", "wrong, because")}, "a", ["h"], "s")
    assert q.check(" A ") is True
    assert capsys.readouterr().out == "Correct! Right, because\n"
    assert q.check("z") is False
    assert "'a', 'b'" in capsys.readouterr().out


def test_a_function_left_unwritten_is_unanswered_not_wrong(capsys):
    """Review r14 (lesson 2 D11, lesson 3 D10): a function whose body is still ``...`` returns None; it
    was graded False, so the cell showed a bare ``False`` under the message. It is unanswered: how to
    answer is printed and nothing is returned (IPython then shows no output value)."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output
    q = FunctionExercise("square", lambda x: x * x, [(2,)], ["multiply"], "x*x")

    def unwritten(x):
        ...

    assert q.check(unwritten) is None
    out = capsys.readouterr().out
    assert out.startswith("Not answered yet") and "returns None" in out and "return statement" in out
    shell = InteractiveShell.instance()
    shell.user_ns.update(q=q, unwritten=unwritten)
    with capture_output() as shown:
        shell.run_cell("q.check(unwritten)")
    assert "Not answered yet" in shown.stdout and "False" not in shown.stdout and not shown.outputs


def test_a_written_function_is_still_graded(capsys):
    q = FunctionExercise("square", lambda x: x * x, [(2,), (3,)], ["multiply"], "x*x")
    assert q.check(lambda x: 2 * x) is False          # agrees at 2, not at 3
    assert capsys.readouterr().out.startswith("Not yet:")

    def raises(x):
        raise ZeroDivisionError("oops")

    assert q.check(raises) is False
    assert "raised ZeroDivisionError" in capsys.readouterr().out


def test_lesson02_q1_asks_for_the_threshold_not_a_largest_stable_rate(capsys):
    # Review r15 D15: at 0.2 the steep factor is exactly -1 (no shrinking), so 0.2 is the threshold, not a stable rate
    from helpers.exercises import lesson02
    from helpers.quadratic import Quadratic

    bowl = Quadratic.from_eigenvalues([1.0, 10.0], angle=np.pi / 6)
    assert bowl.factors(0.2)[-1] == pytest.approx(-1.0)
    assert "largest stable" not in lesson02.q1.prompt and "threshold" in lesson02.q1.prompt
    lesson02.q1.solution()
    assert "exactly -1" in capsys.readouterr().out
    assert lesson02.q1.check(0.2) and not lesson02.q1.check(2.0)


def test_lesson03_q1_answer_is_not_the_bowls_critical_lr(capsys):
    # Review r16 D15: the answer used to be 0.2, the same number as lesson 3's bowl's critical_lr = 2/10
    from helpers.exercises import lesson03
    from helpers.quadratic import Quadratic

    critical = Quadratic.from_eigenvalues([1.0, 10.0], angle=np.pi / 6).critical_lr
    assert lesson03.q1.check(0.25) and not lesson03.q1.check(critical)
    assert not lesson03.q1.check(0.125) and "best step" in capsys.readouterr().out
    lesson03.q1.solution()
    assert "2·5/40 = 0.25" in capsys.readouterr().out
