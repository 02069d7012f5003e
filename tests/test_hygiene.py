"""What a reviewer checks first: notebooks stripped, helpers importable without TensorFlow."""

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ALL_NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
HELPER_MODULES = sorted(
    ".".join(p.relative_to(ROOT).with_suffix("").parts)
    for p in (ROOT / "helpers").rglob("*.py") if p.name != "__init__.py")


def committed_notebooks():
    listed = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout.split()
    return [ROOT / p for p in listed]


def code_of(path):
    return ["".join(c["source"]) for c in json.loads(path.read_text())["cells"]
            if c["cell_type"] == "code"]


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=[p.name for p in ALL_NOTEBOOKS])
def test_notebook_is_stripped(path):
    nb = json.loads(path.read_text())
    dirty = [i for i, c in enumerate(nb["cells"])
             if c.get("outputs") or c.get("execution_count") is not None]
    assert not dirty, f"cells {dirty} carry outputs or execution counts: run nbstripout"
    assert "widgets" not in nb["metadata"], "saved widget state: run nbstripout"


def test_git_sees_the_same_stripped_notebooks():
    # What is committed is what CI and students get; the working copy alone is not enough.
    for path in committed_notebooks():
        blob = subprocess.run(["git", "show", f"HEAD:{path.relative_to(ROOT)}"], cwd=ROOT,
                              capture_output=True, text=True)
        if blob.returncode:  # added but not yet committed
            continue
        cells = json.loads(blob.stdout)["cells"]
        assert not any(c.get("outputs") or c.get("execution_count") for c in cells), path.name


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=[p.name for p in ALL_NOTEBOOKS])
def test_notebook_imports_helpers_without_path_tricks(path):
    for source in code_of(path):
        assert "sys.path" not in source, f"{path.name} edits sys.path; helpers is installed"


def _helpers_imported(line):
    """helpers modules a line imports (``from helpers import a, b``, ``from helpers.a import x``,
    ``from helpers.net.a import x``)."""
    m = re.match(r"\s*from helpers import (.+)", line)
    if m:
        return {f"helpers.{name.split(' as ')[0].strip()}" for name in m.group(1).split("#")[0].split(",")}
    m = re.match(r"\s*(?:from|import) (helpers(?:\.\w+)+)", line)
    return {m.group(1)} if m else set()


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=[p.name for p in ALL_NOTEBOOKS])
def test_tensorflow_log_settings_come_before_tensorflow(path):
    """A notebook that imports TensorFlow itself silences its logs in an earlier line, or has
    already imported a helpers module that does so on import (the one place they are set)."""
    seen, silenced = "", False
    for source in code_of(path):
        for line in source.splitlines():
            if re.match(r"\s*(import tensorflow|from tensorflow|import keras|from keras)", line):
                assert silenced or ("TF_CPP_MIN_LOG_LEVEL" in seen and "TF_ENABLE_ONEDNN_OPTS" in seen), (
                    f"{path.name}: `{line.strip()}` before TF_CPP_MIN_LOG_LEVEL / TF_ENABLE_ONEDNN_OPTS")
            silenced = silenced or bool(_helpers_imported(line) & set(TF_MODULES))
            seen += line + "\n"


def _imports_tensorflow(name):
    tree = ast.parse((ROOT / (name.replace(".", "/") + ".py")).read_text())
    imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    names = [getattr(n, "module", None) or "" for n in imports] + [a.name for n in imports for a in n.names]
    return any(m.split(".")[0] in {"tensorflow", "keras"} or m == "helpers.net" or m.startswith("helpers.net.")
               for m in names)


# helpers.net is the TensorFlow subpackage: all of it counts as TensorFlow code, even a module
# that reaches TensorFlow only through another module of it; so does a module that imports it.
NET_MODULES = [m for m in HELPER_MODULES if m.startswith("helpers.net.")]
TF_MODULES = [m for m in HELPER_MODULES if m in NET_MODULES or _imports_tensorflow(m)]


@pytest.mark.parametrize("name", TF_MODULES or ["(none yet)"])
def test_tensorflow_modules_silence_logs_before_importing(name):
    if name == "(none yet)":
        pytest.skip("no helpers module imports TensorFlow yet")
    source = (ROOT / (name.replace(".", "/") + ".py")).read_text()
    first = re.search(r"^(import|from) (tensorflow|keras|helpers\.net)", source, re.M)
    assert first, f"{name} imports neither TensorFlow nor helpers.net"
    if name != "helpers.net.env" and (name in NET_MODULES or first.group(0) == "import helpers.net"):
        # The one preamble (helpers.net.env) comes before anything else of TensorFlow, in the
        # subpackage and in the lesson recipes over it.
        assert first.group(0) == "import helpers.net", (
            f"{name} must import helpers.net.env before TensorFlow, got `{first.group(0)}` first")
        assert source[first.start():].startswith("import helpers.net.env"), name
        return
    for variable in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS"):
        assert variable in source[:first.start()], f"{name} imports TensorFlow before setting {variable}"


def test_helpers_net_is_the_tensorflow_subpackage_and_env_is_its_preamble():
    assert "helpers.net.env" in NET_MODULES and len(NET_MODULES) > 1
    outside = [m for m in TF_MODULES if not m.startswith("helpers.net.")]
    # Modules outside helpers.net that still import TensorFlow are the ones issue 11 migrates.
    assert set(outside) <= {"helpers.curvature", "helpers.experiment", "helpers.fixes", "helpers.dynamics"}, outside
    done = subprocess.run([sys.executable, "-c",
                           "import os, helpers.net.env; print(os.environ['TF_CPP_MIN_LOG_LEVEL'], "
                           "os.environ['TF_ENABLE_ONEDNN_OPTS'])"],
                          capture_output=True, text=True, check=True, env={"PATH": "/usr/bin:/bin"})
    assert done.stdout.split() == ["2", "0"] and done.stderr == ""


def test_import_helpers_does_not_load_tensorflow():
    light = [m for m in HELPER_MODULES if m not in TF_MODULES]
    code = ("import sys, importlib\nimport helpers\n"
            f"for m in {light!r}: importlib.import_module(m)\n"
            "heavy = sorted(m for m in ('tensorflow', 'keras') if m in sys.modules)\n"
            "print(','.join(heavy))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "", f"importing {light} loaded {done.stdout.strip()}"


def test_bare_import_helpers_loads_nothing_heavy():
    code = ("import sys, helpers\n"
            "print(','.join(m for m in ('tensorflow', 'keras', 'matplotlib', 'ipywidgets') "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_nbstripout_filter_is_declared_for_contributors():
    assert "*.ipynb filter=nbstripout" in (ROOT / ".gitattributes").read_text()
