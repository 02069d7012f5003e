"""What a claim test reads from an executed lesson: the numbers it printed, found by a pattern."""

import re

NUMBER = r"([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)"
"""A printed number (``1.4``, ``-0.8``, ``5.48e-04``, ``+1.365e+05``) as a regular-expression group."""


def printed_output(lesson) -> str:
    """Everything the lesson's code cells printed (stdout), in order."""
    return "".join(out.get("text", "") for cell in lesson.nb.cells for out in cell.get("outputs", [])
                   if out.get("output_type") == "stream" and out.get("name") == "stdout")


def printed(lesson, pattern: str) -> tuple[float, ...]:
    """The numbers matched by the groups of ``pattern`` (use ``{n}`` for a number) in the printed output.

    Raises AssertionError naming the pattern when the lesson printed no such line.
    """
    regex = pattern.replace("{n}", NUMBER)
    match = re.search(regex, printed_output(lesson))
    assert match, f"{lesson.path.name} printed nothing matching {pattern!r}"
    return tuple(float(group) for group in match.groups())


def markdown(lesson) -> str:
    """The lesson's Markdown cells, joined."""
    return "\n".join(cell.source for cell in lesson.nb.cells if cell.cell_type == "markdown")
