"""The Examples in the helpers' docstrings run and print what they say."""

import doctest
import importlib
import pkgutil

import matplotlib
import pytest

import helpers
from suite_kinds import tensorflow_helpers

# Every module of the package, so a new module's examples are run without anyone listing it.
MODULES = sorted(info.name for info in pkgutil.walk_packages(helpers.__path__, "helpers.")
                 if not info.ispkg)


@pytest.fixture(autouse=True)
def restore_backend():
    """The sliders' examples switch pyplot to Agg; give other test modules their backend back."""
    import matplotlib.pyplot as plt

    previous = matplotlib.get_backend()
    yield
    plt.switch_backend(previous)


@pytest.mark.parametrize("name", [pytest.param(name, marks=pytest.mark.tensorflow)
                                  if name in tensorflow_helpers() else name for name in MODULES])
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
