"""The Examples in the helpers' docstrings run and print what they say."""

import doctest
import importlib

import matplotlib
import pytest

MODULES = ["helpers.validation", "helpers.quadratic", "helpers.descent", "helpers.plots",
           "helpers.sliders"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    matplotlib.use("Agg")
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
