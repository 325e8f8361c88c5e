"""The generation matrix: every combination is generated and its own checks run.

engine {async, sync} x database {sqlite, postgresql, mysql} x repository {on, off}:
the project's own test suite (against a real server for postgresql/mysql), ruff,
ruff format, mypy --strict, and the migration round trip on a fresh database.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from .matrix import (
    Combination,
    fresh_database,
    matrix_params,
    output_of,
    project_env,
    run_in_project,
)

pytestmark = pytest.mark.matrix

Generate = Callable[[Combination], Path]


@pytest.mark.parametrize("combination", matrix_params())
def test_project_test_suite(
    generated_project: Generate, combination: Combination
) -> None:
    server_url = combination.server_url()
    project = generated_project(combination)
    env = project_env(**({"TEST_DATABASE_URL": server_url} if server_url else {}))
    result = run_in_project(project, "pytest", "-q", "-p", "no:cacheprovider", env=env)
    assert result.returncode == 0, output_of(result)
    assert " passed" in result.stdout and " skipped" not in result.stdout, result.stdout
    assert "Unhandled" not in result.stdout, result.stdout  # e.g. a thread's exception


@pytest.mark.parametrize("combination", matrix_params())
def test_project_lint_and_format(
    generated_project: Generate, combination: Combination
) -> None:
    project = generated_project(combination)
    for command in (("ruff", "check", "."), ("ruff", "format", "--check", ".")):
        result = run_in_project(project, *command)
        assert result.returncode == 0, output_of(result)


@pytest.mark.parametrize("combination", matrix_params())
def test_project_types(
    generated_project: Generate,
    combination: Combination,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    project = generated_project(combination)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    cache = tmp_path_factory.getbasetemp().parent / f"mypy-cache-{worker}"
    env = project_env(MYPY_CACHE_DIR=str(cache))
    result = run_in_project(project, "mypy", env=env)
    assert result.returncode == 0, output_of(result)
    assert "Success" in result.stdout


@pytest.mark.parametrize("combination", matrix_params())
def test_project_migrations_round_trip(
    generated_project: Generate, combination: Combination, tmp_path: Path
) -> None:
    project = generated_project(combination)
    with fresh_database(combination, tmp_path) as url:
        env = project_env(DATABASE_URL=url)
        for step in (
            ("upgrade", "head"),
            ("check",),
            ("downgrade", "base"),
            ("upgrade", "head"),
        ):
            result = run_in_project(project, "alembic", *step, env=env)
            assert result.returncode == 0, (
                f"alembic {' '.join(step)}\n{output_of(result)}"
            )
            if step == ("upgrade", "head"):  # Alembic says what it does
                assert "Running upgrade  -> 0001" in result.stderr, output_of(result)
