"""environment.yml (conda, Binder) and pyproject.toml (pip, make) list the same runtime packages."""

import re
from pathlib import Path

import pytest
import tomllib
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def pyproject_requirements(text: str) -> dict[str, str]:
    """{package name: version specifier} of [project.dependencies]."""
    deps = tomllib.loads(text)["project"]["dependencies"]
    return {canonicalize_name(r.name): str(r.specifier) for r in map(Requirement, deps)}


def environment_requirements(text: str) -> dict[str, str]:
    """{package name: version specifier} of environment.yml, conda and pip entries alike.

    ``python`` and ``pip`` themselves are the environment, not the course's packages.
    """
    entries = []
    for dep in yaml.safe_load(text)["dependencies"]:
        entries.extend(dep["pip"] if isinstance(dep, dict) else [dep])
    found = {}
    for entry in entries:
        name = re.match(r"[A-Za-z0-9_.\-]+", entry).group(0)
        if canonicalize_name(name) in {"python", "pip"}:
            continue
        req = Requirement(entry.replace(" ", ""))
        found[canonicalize_name(req.name)] = str(req.specifier)
    return found


def disagreements(pyproject_text: str, environment_text: str) -> list[str]:
    """Every package missing from one side or pinned differently, in words."""
    pip_side, conda_side = pyproject_requirements(pyproject_text), environment_requirements(environment_text)
    problems = []
    for name in sorted(pip_side.keys() | conda_side.keys()):
        if name not in conda_side:
            problems.append(f"{name} is in pyproject.toml but not in environment.yml")
        elif name not in pip_side:
            problems.append(f"{name} is in environment.yml but not in pyproject.toml")
        elif pip_side[name] != conda_side[name]:
            problems.append(f"{name}: pyproject.toml says {pip_side[name]!r}, "
                            f"environment.yml says {conda_side[name]!r}")
    return problems


PYPROJECT = (ROOT / "pyproject.toml").read_text()
ENVIRONMENT = (ROOT / "environment.yml").read_text()


def test_environment_and_pyproject_agree():
    assert disagreements(PYPROJECT, ENVIRONMENT) == []


def test_environment_pins_python_311_for_binder():
    assert "python=3.11" in yaml.safe_load(ENVIRONMENT)["dependencies"]


@pytest.mark.parametrize("package", sorted(pyproject_requirements(PYPROJECT)))
def test_dropping_a_package_from_either_side_is_caught(package):
    env_lines = [line for line in ENVIRONMENT.splitlines()
                 if not line.strip().lstrip("- ").startswith(package)]
    assert any(package in p for p in disagreements(PYPROJECT, "\n".join(env_lines)))
    shrunk = "\n".join(line for line in PYPROJECT.splitlines()
                       if not line.strip().startswith(f'"{package}'))
    assert any(package in p for p in disagreements(shrunk, ENVIRONMENT))


def test_changing_a_range_is_caught():
    changed = ENVIRONMENT.replace("numpy>=1.26,<3", "numpy>=1.26,<2")
    assert changed != ENVIRONMENT
    assert disagreements(PYPROJECT, changed) == [
        "numpy: pyproject.toml says '<3,>=1.26', environment.yml says '<2,>=1.26'"]


def test_postbuild_installs_the_course_without_touching_the_environment():
    text = (ROOT / "postBuild").read_text()
    assert "set -euo pipefail" in text
    assert "pip install --no-deps -e ." in text
