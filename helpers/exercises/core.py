"""Self-check exercises: declared with their answer, hints and solution; checked without raising.

An exercise is data, not code: the expected answer (a number with a tolerance, one of a few
choices, or a reference function checked on cases), the typical wrong answers with what to say
about each, hints in order, and a worked solution. ``check(answer)`` prints what is right or wrong
in words a student can act on and returns True or False; it never raises, so an unanswered
exercise does not stop "Run All". An unanswered exercise (``...`` or None, or a function whose body
is still ``...`` and so returns None) is not graded: ``check`` prints how to answer and returns None,
so the notebook shows that message and no bare ``False`` under it.

Examples
--------
>>> q = NumberExercise(
...     prompt="Critical learning rate of f(x) = 5 x**2 (so f'' = 10)?",
...     expected=0.2,
...     mistakes=[(0.1, "That is 1/f''. The threshold is 2/f''.")],
...     hints=["Gradient descent multiplies x by (1 - lr f'') each step."],
...     solution="2 / f'' = 2 / 10 = 0.2",
... )
>>> q.check(0.1)
Not yet: That is 1/f''. The threshold is 2/f''.
False
>>> q.check(0.2)
Correct!
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from numbers import Real

import numpy as np

UNANSWERED = "Not answered yet: replace the ... (or None) in this cell with your answer, then run it again."


UNANSWERED_FUNCTION = ("Not answered yet: your function returns None. Replace the ... in its body with a "
                       "return statement, then run the cell again.")


def _is_unanswered(answer) -> bool:
    return answer is None or answer is Ellipsis


class Exercise:
    """Base class: prompt, ordered hints, a solution, and ``check``/``hint``/``solution``.

    Subclasses implement ``_verdict(answer) -> (ok, message)``.
    """

    def __init__(self, prompt: str, hints: Sequence[str], solution: str):
        if not isinstance(prompt, str) or not prompt.strip():
            raise ValueError(f"prompt must be a non-empty string, got {prompt!r}")
        if isinstance(hints, str) or not all(isinstance(h, str) for h in hints):
            raise TypeError(f"hints must be a sequence of strings, got {hints!r}")
        if not isinstance(solution, str) or not solution.strip():
            raise ValueError(f"solution must be a non-empty string, got {solution!r}")
        self.prompt = prompt
        self.hints = list(hints)
        self._solution = solution
        self._hints_given = 0

    def check(self, answer) -> bool | None:
        """Print whether ``answer`` is right (and if not, what to look at); return True or False.

        An unanswered exercise (``...`` or None, or a function whose body is still ``...`` and so returns
        None) prints how to answer and returns None: nothing graded, so a notebook cell ending in
        ``check(...)`` shows no ``False`` output under the message.
        """
        unanswered = self._unanswered(answer)
        if unanswered:
            print(unanswered)
            return None
        try:
            ok, message = self._verdict(answer)
        except Exception as error:  # a student's function may raise: say so, don't stop the notebook
            ok, message = False, f"your answer raised {type(error).__name__}: {error}"
        print(f"Correct! {message[:1].upper()}{message[1:]}".rstrip() if ok else f"Not yet: {message}")
        return ok

    def hint(self) -> None:
        """Print the next hint (the last one again once all have been shown)."""
        if not self.hints:
            print("No hints for this one: try the solution.")
            return
        index = min(self._hints_given, len(self.hints) - 1)
        self._hints_given += 1
        print(f"Hint {index + 1} of {len(self.hints)}: {self.hints[index]}")

    def solution(self) -> None:
        """Print the worked solution."""
        print(f"Solution: {self._solution}")

    def _verdict(self, answer) -> tuple[bool, str]:
        raise NotImplementedError

    def _unanswered(self, answer) -> str:
        """How to answer, if ``answer`` is still the placeholder; an empty string once it is an answer."""
        return UNANSWERED if _is_unanswered(answer) else ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.prompt!r})"

    def _repr_markdown_(self) -> str:
        return (f"**Exercise.** {self.prompt}\n\n*Answer in the next cell and run it. "
                "Stuck? Call `.hint()` on the exercise; `.solution()` shows the worked answer.*")


class NumberExercise(Exercise):
    """A numeric answer, correct within a relative tolerance ``rtol``.

    ``mistakes`` lists (wrong value, message) pairs for the typical wrong answers; an answer
    matching one of them (within ``rtol``) gets that message.
    """

    def __init__(self, prompt: str, expected: float, hints: Sequence[str], solution: str,
                 mistakes: Sequence[tuple[float, str]] = (), rtol: float = 0.02):
        super().__init__(prompt, hints, solution)
        if not (isinstance(expected, Real) and math.isfinite(expected)):
            raise ValueError(f"expected must be a finite number, got {expected!r}")
        if not (isinstance(rtol, Real) and 0 < rtol < 1):
            raise ValueError(f"rtol must be a number in (0, 1), got {rtol!r}")
        self.expected = float(expected)
        self.rtol = float(rtol)
        self.mistakes = [(float(value), str(message)) for value, message in mistakes]

    def _close(self, answer: float, target: float) -> bool:
        return math.isclose(answer, target, rel_tol=self.rtol, abs_tol=1e-12)

    def _verdict(self, answer) -> tuple[bool, str]:
        if isinstance(answer, bool) or not isinstance(answer, (Real, np.number)):
            return False, f"the answer should be a number, got {type(answer).__name__} {answer!r}."
        answer = float(answer)
        if not math.isfinite(answer):
            return False, f"the answer should be a finite number, got {answer}."
        if self._close(answer, self.expected):
            return True, ""
        for value, message in self.mistakes:
            if self._close(answer, value):
                return False, message
        direction = "too large" if answer > self.expected else "too small"
        tolerance = f" (off by more than {self.rtol:.0%})" if self.rtol >= 0.005 else ""
        return False, f"{answer:.4g} is {direction}{tolerance}. Call .hint() on the exercise for a nudge."


class ChoiceExercise(Exercise):
    """Pick one of a few choices; each choice carries its own feedback, shown only after an answer.

    ``options`` maps a key ("a", "b", ...) to a pair ``(choice, feedback)``: ``choice`` is the short
    text a student reads in the exercise; ``feedback`` is what ``check`` prints when that key is the
    answer (why it is right, or why it is wrong).

    Examples
    --------
    >>> q = ChoiceExercise(
    ...     prompt="On f(w) = w² at lr = 0.12, gradient descent ...",
    ...     options={"a": ("converges", "the factor |1 - 0.12·2| = 0.76 is below 1."),
    ...              "b": ("diverges", "the threshold 2/f'' = 1 is far above 0.12.")},
    ...     correct="a", hints=["Compute 1 - lr·f''."], solution="Factor 0.76: it converges.")
    >>> print(q._repr_markdown_())  # what the notebook shows: the choices, no feedback
    **Exercise.** On f(w) = w² at lr = 0.12, gradient descent ...
    <BLANKLINE>
    - **a**: converges
    - **b**: diverges
    <BLANKLINE>
    *Answer in the next cell with the letter of your choice (e.g. `answer = "a"`) and run it. Stuck? Call `.hint()` on the exercise; `.solution()` shows the worked answer.*
    >>> q.check("b")
    Not yet: the threshold 2/f'' = 1 is far above 0.12.
    False
    """

    def __init__(self, prompt: str, options: dict[str, tuple[str, str]], correct: str,
                 hints: Sequence[str], solution: str):
        super().__init__(prompt, hints, solution)
        if not isinstance(options, dict) or len(options) < 2:
            raise ValueError(f"options must map at least two keys to (choice, feedback), got {options!r}")
        for key, option in options.items():
            if not (isinstance(option, tuple) and len(option) == 2
                    and all(isinstance(t, str) and t.strip() for t in option)):
                raise TypeError(f"options[{key!r}] must be a pair of non-empty strings (choice, feedback), "
                                f"got {option!r}")
        if correct not in options:
            raise ValueError(f"correct must be one of {sorted(options)}, got {correct!r}")
        self.options = dict(options)
        self.correct = correct

    @property
    def choices(self) -> dict[str, str]:
        """The choice texts a student reads, by key (no feedback)."""
        return {key: choice for key, (choice, _) in self.options.items()}

    def feedback(self, key: str) -> str:
        """What ``check`` says about choice ``key``."""
        return self.options[key][1]

    def _verdict(self, answer) -> tuple[bool, str]:
        key = answer.strip().lower() if isinstance(answer, str) else answer
        if key not in self.options:
            return False, f"answer with one of {', '.join(repr(k) for k in self.options)}; got {answer!r}."
        return key == self.correct, self.feedback(key)

    def _repr_markdown_(self) -> str:
        listed = "\n".join(f"- **{key}**: {choice}" for key, choice in self.choices.items())
        return (f"**Exercise.** {self.prompt}\n\n{listed}\n\n*Answer in the next cell with the letter of "
                f"your choice (e.g. `answer = \"{next(iter(self.options))}\"`) and run it. Stuck? Call "
                "`.hint()` on the exercise; `.solution()` shows the worked answer.*")


class FunctionExercise(Exercise):
    """Write a function; it is compared with a reference on ``cases`` (tuples of arguments).

    ``mistakes`` lists (wrong function, message): when the student's function agrees with a
    known-wrong one on every case, that message says what went wrong.
    """

    def __init__(self, prompt: str, reference: Callable, cases: Sequence[tuple],
                 hints: Sequence[str], solution: str,
                 mistakes: Sequence[tuple[Callable, str]] = (), rtol: float = 1e-6):
        super().__init__(prompt, hints, solution)
        if not callable(reference):
            raise TypeError(f"reference must be callable, got {reference!r}")
        if not cases:
            raise ValueError("cases must list at least one tuple of arguments")
        self.reference = reference
        self.cases = [tuple(c) for c in cases]
        self.mistakes = list(mistakes)
        self.rtol = rtol

    def _agrees(self, function: Callable, target: Callable) -> bool:
        return all(np.allclose(function(*c), target(*c), rtol=self.rtol, equal_nan=True)
                   for c in self.cases)

    def _verdict(self, answer) -> tuple[bool, str]:
        if not callable(answer):
            return False, f"the answer should be a function, got {type(answer).__name__}."
        for args in self.cases:
            got, want = answer(*args), self.reference(*args)
            if not np.allclose(got, want, rtol=self.rtol, equal_nan=True):
                for wrong, message in self.mistakes:
                    if self._agrees(answer, wrong):
                        return False, message
                return False, f"for arguments {args} your function gives {got!r}, expected {want!r}."
        return True, f"matches the reference on all {len(self.cases)} cases."

    def _unanswered(self, answer) -> str:
        """A function whose body is still ``...`` returns None: not answered yet, so not graded."""
        if callable(answer):
            try:
                returns_none = any(answer(*args) is None for args in self.cases)
            except Exception:  # a written function that raises is graded by _verdict, which says so
                returns_none = False
            if returns_none:
                return UNANSWERED_FUNCTION
        return super()._unanswered(answer)
