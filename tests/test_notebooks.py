"""Every lesson runs top to bottom in a fresh kernel and writes nothing to stderr.

The executed copy is shared (``build/executed/``): claim tests read the same execution.
"""

import pytest

from notebook_runner import NOTEBOOKS, executed, stderr_outputs


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks/NN_*.ipynb found"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_clean(path, record_property):
    nb = executed(path)
    record_property("seconds", nb.metadata["course_build"]["seconds"])
    problems = stderr_outputs(nb)
    assert not problems, "\n".join(problems)
    assert nb.metadata["course_namespace"], "the lesson's variables could not be read"
