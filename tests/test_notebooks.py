"""Every lesson runs top to bottom in a fresh kernel and writes nothing to stderr."""

import time

import pytest

from notebook_runner import NOTEBOOKS, execute, stderr_outputs


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks/NN_*.ipynb found"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_clean(path, record_property):
    start = time.perf_counter()
    nb = execute(path)
    record_property("seconds", round(time.perf_counter() - start, 1))
    problems = stderr_outputs(nb)
    assert not problems, "\n".join(problems)
