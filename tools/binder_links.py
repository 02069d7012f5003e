"""Write the README's table of Binder launch links, one per notebook.

The repository slug and branch are read from ``[tool.course]`` in pyproject.toml, the one
place they are set. Run ``python tools/binder_links.py`` after adding or renaming a notebook;
``--check`` exits 1 when the README is out of date (the tests use the same functions).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- binder-links:start -->", "<!-- binder-links:end -->"


def course_settings(root: Path = ROOT) -> dict:
    """The ``[tool.course]`` table of pyproject.toml (``repository`` and ``branch``)."""
    with open(root / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["tool"]["course"]


def notebook_title(path: Path) -> str:
    """The first Markdown heading of a notebook, without its '#' marks."""
    import json

    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return path.stem


def links_table(root: Path = ROOT) -> str:
    """The Markdown table: lesson, title, Binder launch link."""
    settings = course_settings(root)
    base = f"https://mybinder.org/v2/gh/{settings['repository']}/{settings['branch']}"
    rows = ["| notebook | lesson | launch |", "| --- | --- | --- |"]
    for path in sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        url = f"{base}?urlpath=lab/tree/notebooks/{path.name}"
        rows.append(f"| [`{path.name}`](notebooks/{path.name}) | {notebook_title(path)} "
                    f"| [![Binder](https://mybinder.org/badge_logo.svg)]({url}) |")
    return "\n".join(rows)


def render_readme(text: str, table: str) -> str:
    """``text`` with the part between the binder-links markers replaced by ``table``."""
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise ValueError(f"README has no {START} ... {END} markers")
    return pattern.sub(lambda _: f"{START}\n{table}\n{END}", text)


def main(argv: list[str]) -> int:
    readme = ROOT / "README.md"
    current = readme.read_text()
    wanted = render_readme(current, links_table())
    if "--check" in argv:
        if current != wanted:
            print("README.md's Binder links are out of date: run python tools/binder_links.py")
            return 1
        return 0
    readme.write_text(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
