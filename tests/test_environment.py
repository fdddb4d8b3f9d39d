"""The ways of installing the kit agree: pyproject.toml, environment.yml and constraints.txt."""

import re
import tomllib

import pytest
import yaml

from conftest import ROOT

# conda-forge names that differ from PyPI's
CONDA_NAMES = {"duckdb": "python-duckdb"}
REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pyproject_requirements(text: str) -> dict[str, str]:
    """Conda name -> version specifier, runtime and every extra."""
    project = tomllib.loads(text)["project"]
    lines = project["dependencies"] + [
        r for extra in project["optional-dependencies"].values() for r in extra
    ]
    found = {}
    for line in lines:
        name, spec = REQUIREMENT.match(line).groups()
        found[CONDA_NAMES.get(_normal(name), _normal(name))] = spec.replace(" ", "")
    return found


def conda_requirements(text: str) -> dict[str, str]:
    found = {}
    entries = []
    for entry in yaml.safe_load(text)["dependencies"]:  # conda packages, then pip's list
        entries += entry.get("pip", []) if isinstance(entry, dict) else [entry]
    for entry in entries:
        name, spec = REQUIREMENT.match(entry).groups()
        if name not in ("python", "pip"):
            found[_normal(name)] = spec.replace(" ", "")
    return found


def drift(pyproject_text: str, environment_text: str) -> list[str]:
    pip, conda = pyproject_requirements(pyproject_text), conda_requirements(environment_text)
    problems = [f"{name}: only in pyproject.toml" for name in sorted(pip.keys() - conda.keys())]
    problems += [f"{name}: only in environment.yml" for name in sorted(conda.keys() - pip.keys())]
    problems += [
        f"{name}: {pip[name]} in pyproject.toml but {conda[name]} in environment.yml"
        for name in sorted(pip.keys() & conda.keys())
        if pip[name] != conda[name]
    ]
    return problems


@pytest.fixture
def texts():
    return (ROOT / "pyproject.toml").read_text(), (ROOT / "environment.yml").read_text()


def test_environment_yml_lists_what_pyproject_lists(texts):
    assert drift(*texts) == []


def test_drift_is_reported(texts):
    pyproject, environment = texts
    environment = environment.replace("  - tqdm>=4.66\n", "").replace("pandas>=3.0", "pandas>=2.2")
    environment += "  - requests\n"
    assert drift(pyproject, environment) == [
        "tqdm: only in pyproject.toml",
        "requests: only in environment.yml",
        "pandas: >=3.0 in pyproject.toml but >=2.2 in environment.yml",
    ]


def test_constraints_pin_every_dependency_exactly():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not an exact pin"
            pins[_normal(name)] = version
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = pyproject["optional-dependencies"]
    wanted = pyproject["dependencies"] + extras["dev"] + extras["web"]
    missing = [r for r in wanted if _normal(REQUIREMENT.match(r).group(1)) not in pins]
    assert missing == []
    assert pins["pandas"].startswith("3.")
