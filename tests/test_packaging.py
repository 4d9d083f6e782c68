"""The package's metadata is fit for a package index: every third-party package the code imports is declared, the
licence is a PEP 639 expression whose files exist, and the wheel's data folders are there to include."""

from __future__ import annotations

import ast
import sys
import tomllib

from helpers import ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
# import name -> distribution name, where they differ
DISTRIBUTIONS = {"sklearn": "scikit-learn", "distributed": "dask"}


def declared(requirements: list[str]) -> set[str]:
    names = set()
    for requirement in requirements:
        name = requirement.split(";")[0].split("[")[0]
        for mark in "<>=!~ ":
            name = name.split(mark)[0]
        names.add(name.strip().lower().replace("_", "-"))
    return names


def imported_packages() -> set[str]:
    found = set()
    for path in (ROOT / "src" / "factopinion").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"factopinion"}


def test_every_imported_package_is_declared():
    project = PROJECT["project"]
    required = declared(project["dependencies"])
    optional = set().union(*(declared(extra) for extra in project["optional-dependencies"].values()))
    imported = {DISTRIBUTIONS.get(name, name) for name in imported_packages()}
    assert {"numpy", "scipy", "scikit-learn", "pandas", "click"} <= imported  # the scan sees the imports
    assert imported - required - optional == set()
    assert {"numpy", "scipy"} <= required  # imported directly, not only through scikit-learn


def test_the_licence_is_a_pep_639_expression_with_its_files():
    project = PROJECT["project"]
    assert project["license"] == "MIT"
    assert "MIT License" in (ROOT / "LICENSE").read_text("utf-8")
    for pattern in project["license-files"]:
        assert list(ROOT.glob(pattern)), pattern
    assert "License :: OSI Approved :: MIT License" not in project["classifiers"]  # PEP 639: the expression says it
    assert "Typing :: Typed" in project["classifiers"] and (ROOT / "src" / "factopinion" / "py.typed").is_file()


def test_the_wheel_includes_the_model_and_data_folders_under_names_of_their_own():
    wheel = PROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert wheel["force-include"] == {"model": "factopinion/default_model", "data": "factopinion/data"}
    for folder in wheel["force-include"]:
        assert (ROOT / folder).is_dir()
    assert not (ROOT / "src" / "factopinion" / "default_model.py").exists()
