"""Self-check exercises for the lessons: ``from helpers.exercises import lesson01`` then
``lesson01.q1.check(answer)``, ``lesson01.q1.hint()``, ``lesson01.q1.solution()``."""

from helpers.exercises.core import ChoiceExercise, Exercise, FunctionExercise, NumberExercise

__all__ = ["Exercise", "NumberExercise", "ChoiceExercise", "FunctionExercise"]
