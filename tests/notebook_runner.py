"""Execute a notebook top to bottom in a fresh kernel, as a student's "Run All" would.

Each lesson is executed once per change of the lesson or of ``helpers`` and the executed copy
is cached in ``build/executed/``; every test that needs the executed lesson (runs clean, the
lesson's claims) reads that one copy. After the last cell, the runner reads the lesson's
numeric and text variables from the kernel (:func:`lesson`), so a claim test asserts on the
very values the lesson printed, not on a second computation.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from traitlets.config import Config

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CACHE_DIR = ROOT / "build" / "executed"

# Appended to the notebook for execution only (removed again before the copy is cached): it
# prints the lesson's scalar variables, and scalar fields of dataclass results, as JSON.
_DUMP_NAMESPACE = r'''
def __course_dump():
    import dataclasses, json, numbers
    import numpy as np

    def plain(value):
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        if isinstance(value, numbers.Integral):
            return int(value)
        if isinstance(value, numbers.Real):
            return float(value)
        if isinstance(value, str) and len(value) <= 2000:
            return value
        if isinstance(value, np.ndarray) and value.dtype.kind in "biuf" and value.size <= 20000:
            return value.astype(float).tolist()
        if isinstance(value, (list, tuple)) and len(value) <= 20000:
            items = [plain(v) for v in value]
            return None if any(i is None for i in items) else items
        return None

    found = {}
    for name, value in list(globals().items()):
        if name.startswith("_") or name in ("In", "Out") or callable(value) and not dataclasses.is_dataclass(value):
            continue
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            for f in dataclasses.fields(value):
                field = plain(getattr(value, f.name, None))
                if field is not None:
                    found[f"{name}.{f.name}"] = field
            continue
        simple = plain(value)
        if simple is not None:
            found[name] = simple
    print(json.dumps(found, allow_nan=True))

__course_dump()
del __course_dump
'''


# Prepended for execution only (removed again before the copy is cached): every figure image the
# lesson displays carries output metadata {"image/png": {"alt": ...}} computed from the figure's
# titles by helpers.plots.alt_text; the site and the slides use it as the image's alt text.
_ALT_TEXT_HOOK = r'''
def __course_alt_text_hook():
    from helpers.plots import alt_text

    def alt(fig):
        return {"image/png": {"alt": alt_text(fig)}}

    bundles = get_ipython().display_formatter.mimebundle_formatter
    # An inline-backend Figure: metadata only, the PNG comes from matplotlib's own formatter.
    bundles.for_type_by_name("matplotlib.figure", "Figure", lambda fig: ({}, alt(fig)))
    # An ipympl canvas and a slider app: their own bundle (with its PNG), plus the metadata.
    bundles.for_type_by_name("ipympl.backend_nbagg", "Canvas",
                             lambda canvas: (canvas._repr_mimebundle_(), alt(canvas.figure)))
    bundles.for_type_by_name("helpers.sliders", "SliderApp",
                             lambda app: (app._repr_mimebundle_(), alt(app.fig)))

__course_alt_text_hook()
del __course_alt_text_hook
'''


def _source_key(path: Path) -> str:
    """Changes when what the lesson runs changes: its code cells, any helper module, the lessons'
    ``matplotlibrc``, this runner or the Python version. Markdown and cell metadata (tags, slide types) do not count:
    :func:`executed` takes those from the lesson as it is now."""
    nb = nbformat.read(path, as_version=4)
    code = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    digest = hashlib.sha256(json.dumps(code).encode())
    digest.update(sys.version.encode())  # each Python version runs the lesson itself
    sources = [Path(__file__), *sorted((ROOT / "helpers").rglob("*.py"))]
    sources += [rc for rc in [path.parent / "matplotlibrc"] if rc.exists()]
    for source in sources:
        digest.update(source.relative_to(ROOT).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def _with_current_text(path: Path, run: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The lesson as it is now, with the outputs of ``run`` (an execution of the same code cells)."""
    nb = nbformat.read(path, as_version=4)
    outputs = iter([cell for cell in run.cells if cell.cell_type == "code"])
    for cell in nb.cells:
        if cell.cell_type == "code":
            done = next(outputs)
            cell.outputs, cell.execution_count = done.outputs, done.execution_count
    nb.metadata.update({k: v for k, v in run.metadata.items() if k.startswith("course_") or k == "widgets"})
    return nb


def execute(path: Path, timeout: int = 900) -> nbformat.NotebookNode:
    """Run every cell of ``path`` in a fresh ``python3`` kernel and return the executed notebook.

    Cells tagged ``raises-exception`` may raise; any other error raises ``CellExecutionError``.
    The lesson's variables are stored in ``nb.metadata["course_namespace"]``, and each figure
    image's alt text (from the figure's titles) in its output metadata.
    """
    key = _source_key(path)  # before running: an edit made meanwhile must not be marked fresh
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(_ALT_TEXT_HOOK))
    nb.cells.append(nbformat.v4.new_code_cell(_DUMP_NAMESPACE))
    start = time.perf_counter()
    # The kernel talks over Unix sockets in a private folder: over TCP, ipykernel 7.4 warns on every
    # start that the traffic is unencrypted, and the site build fails on any warning.
    with tempfile.TemporaryDirectory(prefix="course-kernel-") as sockets:
        ipc = Config({"KernelManager": {"transport": "ipc", "ip": str(Path(sockets) / "kernel")}})
        NotebookClient(nb, timeout=timeout, kernel_name="python3", config=ipc,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    dump = nb.cells.pop()
    nb.cells.pop(0)
    text = "".join(o.get("text", "") for o in dump.outputs if o.get("name") == "stdout")
    nb.metadata["course_namespace"] = json.loads(text)
    nb.metadata["course_build"] = {"source_key": key,
                                   "seconds": round(time.perf_counter() - start, 1)}
    return nb


def executed(path: Path, timeout: int = 900, cache_dir: Path | None = CACHE_DIR,
             log=lambda message: None) -> nbformat.NotebookNode:
    """``path`` executed top to bottom (from ``cache_dir`` when the cached copy is fresh)."""
    key = _source_key(path)
    cached = cache_dir / path.name if cache_dir else None
    if cached and cached.exists():
        nb = nbformat.read(cached, as_version=4)
        if nb.metadata.get("course_build", {}).get("source_key") == key:
            log(f"  {path.name}: executed copy in {cached.parent} is fresh")
            return _with_current_text(path, nb)
    log(f"  {path.name}: executing ...")
    nb = execute(path, timeout)
    log(f"  {path.name}: executed in {nb.metadata['course_build']['seconds']:.0f} s")
    if cached:
        cached.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, cached)
        with open(cached.parent / "executions.log", "a", encoding="utf-8") as record:
            record.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {path.name} "
                         f"{nb.metadata['course_build']['seconds']} s\n")
    return nb


@dataclass(frozen=True)
class Lesson:
    """An executed lesson: the notebook with its outputs, and its variables (``ns``)."""

    path: Path
    nb: nbformat.NotebookNode

    @property
    def ns(self) -> dict:
        return self.nb.metadata["course_namespace"]

    def __getitem__(self, name: str):
        if name not in self.ns:
            raise KeyError(f"{self.path.name} has no scalar variable {name!r}; "
                           f"it has {sorted(self.ns)[:40]} ...")
        return self.ns[name]

    def text(self) -> str:
        """Everything the lesson shows as text: Markdown cells and printed/plain outputs."""
        parts = []
        for cell in self.nb.cells:
            if cell.cell_type == "markdown":
                parts.append(cell.source)
            for out in cell.get("outputs", []):
                if out.get("output_type") == "stream":
                    parts.append(out.get("text", ""))
                elif "data" in out:
                    parts.append(out["data"].get("text/markdown", out["data"].get("text/plain", "")))
        return "\n".join(parts)


def lesson(number: str) -> Lesson:
    """The executed lesson ``NN`` (e.g. ``lesson("04")``), executed at most once per change."""
    matches = [p for p in NOTEBOOKS if p.name.startswith(f"{number}_")]
    if len(matches) != 1:
        raise LookupError(f"expected one notebooks/{number}_*.ipynb, found {matches}")
    return Lesson(matches[0], executed(matches[0]))


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
