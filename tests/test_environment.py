"""pyproject.toml (the ranges), requirements/lock.txt (the exact versions) and environment.yml
(conda, Binder) describe one environment.

pyproject.toml keeps the ranges a contributor edits; ``make lock`` resolves them into the lock for
Python 3.10-3.13; ``make lab``, ``make test``, CI and Binder all install from that lock. Binder's
environment.yml takes only Python and pip from conda and everything else from the lock.
"""

import re
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PROJECT = "lr-blowup-course"
LOCK_PATH = "requirements/lock.txt"


def pyproject_requirements(text: str) -> list[Requirement]:
    """[project.dependencies] and the ``test`` extra: what ``make lock`` resolves."""
    project = tomllib.loads(text)["project"]
    return [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]]


def lock_pins(text: str) -> list[dict]:
    """Each ``name==version ; marker`` line of the lock, with the packages it is there for (``via``)."""
    pins, current, in_via = [], None, False
    for line in text.splitlines():
        if line and not line.startswith((" ", "#")):
            req = Requirement(line.replace(" ;", ";"))
            (version,) = [s.version for s in req.specifier if s.operator == "=="]
            current = {"name": canonicalize_name(req.name), "version": version, "marker": req.marker, "via": set()}
            pins.append(current)
            in_via = False
        elif current is not None and line.strip().startswith("# via"):
            rest = line.strip()[len("# via"):].strip()
            in_via = not rest
            if rest:
                current["via"].add(rest)
        elif current is not None and in_via and line.strip().startswith("#   "):
            current["via"].add(line.strip()[1:].strip())
    return pins


def lock_python_floor(makefile_text: str) -> str:
    """The lowest Python ``make lock`` resolves for (its ``--python-version``)."""
    return re.search(r"--python-version (\d+\.\d+)", makefile_text).group(1)


def environment_entries(text: str) -> tuple[list[str], list[str]]:
    """(conda dependencies, pip lines) of environment.yml."""
    conda, pip = [], []
    for dep in yaml.safe_load(text)["dependencies"]:
        if isinstance(dep, dict):
            pip.extend(dep["pip"])
        else:
            conda.append(dep)
    return conda, pip


def disagreements(pyproject_text: str, lock_text: str, environment_text: str, makefile_text: str) -> list[str]:
    """Every way the three files (and ``make lock``'s Python range) disagree, in words."""
    problems = []
    requires_python = SpecifierSet(tomllib.loads(pyproject_text)["project"]["requires-python"])
    pins = lock_pins(lock_text)
    wanted = pyproject_requirements(pyproject_text)
    for req in wanted:
        name = canonicalize_name(req.name)
        found = [p for p in pins if p["name"] == name]
        if not found:
            problems.append(f"{name} is in pyproject.toml but not in the lock")
        for pin in found:
            if not req.specifier.contains(pin["version"], prereleases=True):
                problems.append(f"{name}: the lock pins {pin['version']}, outside pyproject.toml's {req.specifier}")
    direct = {p["name"] for p in pins if any(v.startswith(PROJECT) for v in p["via"])}
    for name in sorted(direct - {canonicalize_name(r.name) for r in wanted}):
        problems.append(f"{name} is locked as a requirement of the course but pyproject.toml does not list it")
    floor = lock_python_floor(makefile_text)
    major, minor = floor.split(".")
    if not requires_python.contains(f"{floor}.0") or requires_python.contains(f"{major}.{int(minor) - 1}.99"):
        problems.append(f"make lock resolves from Python {floor}, but pyproject.toml requires {requires_python}")
    conda, pip = environment_entries(environment_text)
    pythons = [d for d in conda if re.match(r"python\b", d)]
    others = [d for d in conda if d not in pythons and d != "pip"]
    if others:
        problems.append(f"environment.yml takes {others} from conda; only python and pip may come from there")
    if "pip" not in conda:
        problems.append("environment.yml does not install pip")
    if len(pythons) != 1 or not re.fullmatch(r"python=3\.\d+", pythons[0]):
        problems.append(f"environment.yml must pin one Python minor version (python=3.x), got {pythons}")
    elif not requires_python.contains(pythons[0].split("=")[1] + ".0"):
        problems.append(f"environment.yml's {pythons[0]} is outside pyproject.toml's requires-python {requires_python}")
    if pip != [f"-r {LOCK_PATH}"]:
        problems.append(f"environment.yml's pip section must be exactly ['-r {LOCK_PATH}'], got {pip}")
    return problems


FILES = {name: (ROOT / path).read_text() for name, path in
         (("pyproject", "pyproject.toml"), ("lock", LOCK_PATH), ("environment", "environment.yml"),
          ("makefile", "Makefile"))}


def check(**changed) -> list[str]:
    texts = dict(FILES, **changed)
    return disagreements(texts["pyproject"], texts["lock"], texts["environment"], texts["makefile"])


def test_lock_pyproject_and_environment_agree():
    assert check() == []


# --- each drift is caught --------------------------------------------------------------------

@pytest.mark.parametrize("package", sorted({canonicalize_name(r.name) for r in pyproject_requirements(FILES["pyproject"])}))
def test_a_package_missing_from_the_lock_is_caught(package):
    lines = FILES["lock"].splitlines()
    kept = [line for line in lines if canonicalize_name(re.split(r"[=; ]", line)[0]) != package
            or line.startswith((" ", "#"))]
    assert any(f"{package} is in pyproject.toml but not in the lock" == p for p in check(lock="\n".join(kept)))


def test_a_package_added_to_pyproject_without_relocking_is_caught():
    changed = FILES["pyproject"].replace('"tqdm>=4.66,<5",', '"tqdm>=4.66,<5",\n    "surely-not-a-package-xyz>=1",')
    assert changed != FILES["pyproject"]
    assert check(pyproject=changed) == ["surely-not-a-package-xyz is in pyproject.toml but not in the lock"]


def test_a_package_dropped_from_pyproject_is_caught():
    changed = re.sub(r'\n\s*"tqdm[^"]*",', "", FILES["pyproject"])
    assert changed != FILES["pyproject"]
    assert check(pyproject=changed) == [
        "tqdm is locked as a requirement of the course but pyproject.toml does not list it"]


def test_a_range_that_excludes_the_locked_version_is_caught():
    changed = FILES["pyproject"].replace('"ipympl>=0.9.4,<0.11"', '"ipympl>=0.9.4,<0.10"')
    assert changed != FILES["pyproject"]
    assert check(pyproject=changed) == ["ipympl: the lock pins 0.10.0, outside pyproject.toml's <0.10,>=0.9.4"]


def test_a_hand_edited_pin_is_caught():
    changed = re.sub(r"^ipympl==\S+", "ipympl==0.8.0", FILES["lock"], flags=re.M)
    assert changed != FILES["lock"]
    assert check(lock=changed) == ["ipympl: the lock pins 0.8.0, outside pyproject.toml's <0.11,>=0.9.4"]


@pytest.mark.parametrize("python", ["python=3.9", "python=3.14"])
def test_binder_python_outside_the_supported_range_is_caught(python):
    changed = re.sub(r"python=3\.\d+", python, FILES["environment"])
    assert len(check(environment=changed)) == 1


def test_a_conda_package_in_environment_yml_is_caught():
    changed = FILES["environment"].replace("  - pip\n", "  - pip\n  - numpy>=1.26\n", 1)
    assert changed != FILES["environment"]
    assert check(environment=changed) == [
        "environment.yml takes ['numpy>=1.26'] from conda; only python and pip may come from there"]


def test_environment_yml_installing_something_else_than_the_lock_is_caught():
    changed = FILES["environment"].replace(f"-r {LOCK_PATH}", "tensorflow-cpu>=2.21")
    assert changed != FILES["environment"]
    assert len(check(environment=changed)) == 1


def test_requires_python_and_make_lock_disagreeing_is_caught():
    changed = FILES["pyproject"].replace('requires-python = ">=3.10,<3.14"', 'requires-python = ">=3.11,<3.14"')
    assert changed != FILES["pyproject"]
    assert check(pyproject=changed) == [
        'make lock resolves from Python 3.10, but pyproject.toml requires <3.14,>=3.11']


def test_postbuild_installs_the_course_without_touching_the_environment():
    text = (ROOT / "postBuild").read_text()
    assert "set -euo pipefail" in text
    assert "pip install --no-deps -e ." in text
