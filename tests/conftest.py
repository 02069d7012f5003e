import sys
from pathlib import Path

import pytest

# Lets tests import their small shared modules (notebook_runner, ...) by name.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from suite_kinds import kinds  # noqa: E402


def pytest_collection_modifyitems(config, items):
    """Mark each test with the slow kinds its module's imports show (see suite_kinds.py)."""
    for item in items:
        for kind in kinds(item.path):
            item.add_marker(getattr(pytest.mark, kind))
