"""Execute a notebook top to bottom in a fresh kernel, as a student's "Run All" would."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def execute(path: Path, timeout: int = 600) -> nbformat.NotebookNode:
    """Run every cell of ``path`` in a fresh ``python3`` kernel and return the executed notebook.

    Cells tagged ``raises-exception`` may raise; any other error raises ``CellExecutionError``.
    """
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return nb


def stderr_outputs(nb: nbformat.NotebookNode) -> list[str]:
    """Every piece of text the notebook wrote to stderr, and every error, as readable strings."""
    found = []
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                found.append(f"cell {index}: stderr: {out.get('text', '')[:2000]}")
            elif out.get("output_type") == "error":
                found.append(f"cell {index}: {out.get('ename')}: {out.get('evalue')}")
    return found
