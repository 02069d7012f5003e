"""What kind of test a test module holds, read from what it imports.

``make test-fast`` leaves out the slow kinds; reading them from the imports sorts a new test file
without anyone listing it (a claim test that imports ``notebook_runner`` is a notebook test).

* ``browser``: drives Chromium (imports ``browser_support`` or ``playwright``);
* ``notebook``: executes lessons (imports ``notebook_runner``, ``nbclient`` or ``nbmake``);
* ``tensorflow``: imports TensorFlow or Keras, directly or through a ``helpers`` module that does.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

KIND_IMPORTS = {
    "browser": {"browser_support", "playwright"},
    "notebook": {"notebook_runner", "nbclient", "nbmake"},
    "tensorflow": {"tensorflow", "keras"},
}


def imported_modules(source: str) -> set[str]:
    """Every module an ``import`` anywhere in ``source`` names (``from a import b`` gives a and a.b)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _roots(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


@functools.cache
def tensorflow_helpers() -> frozenset[str]:
    """The ``helpers`` modules that import TensorFlow or Keras, themselves or through each other."""
    imports = {}
    for path in (ROOT / "helpers").rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        imports[name] = imported_modules(path.read_text())
    heavy = {name for name, mods in imports.items() if _roots(mods) & KIND_IMPORTS["tensorflow"]}
    while True:
        more = {name for name, mods in imports.items() if name not in heavy and mods & heavy}
        if not more:
            return frozenset(heavy)
        heavy |= more


@functools.cache
def kinds(path: Path) -> frozenset[str]:
    """The slow kinds of the test module at ``path``, from its imports."""
    modules = imported_modules(Path(path).read_text())
    found = {kind for kind, names in KIND_IMPORTS.items() if _roots(modules) & names}
    if modules & tensorflow_helpers():
        found.add("tensorflow")
    return frozenset(found)
