"""Helpers of the model-command tests: a project with models, Alembic in it, a
synchronous URL for looking at its database."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from fastapi_db_scaffold.add_model import AddModelOptions, add_model
from fastapi_db_scaffold.scaffold import NewProjectOptions, create_project

from .matrix import Combination, output_of, project_env, run_in_project
from .project_pytest import project_pytest


def make_project(
    dest: Path,
    models: list[tuple[str, list[str]]],
    combination: Combination | None = None,
) -> Path:
    """A project of `combination` (default: async, SQLite, repository) with `models`."""
    answers = combination.answers if combination else {}
    create_project(
        NewProjectOptions(
            name=str(answers.get("project_name", "blog")),
            dest=dest,
            engine=str(answers.get("engine", "async")),
            database=str(answers.get("database", "sqlite")),
            repository=bool(answers.get("repository", True)),
            yes=True,
        )
    )
    for model, fields in models:
        add_model(AddModelOptions(project_dir=dest, model=model, fields=fields))
    return dest


def alembic(project: Path, url: str, *step: str) -> str:
    result = run_in_project(
        project, "alembic", *step, env=project_env(DATABASE_URL=url)
    )
    assert result.returncode == 0, f"alembic {' '.join(step)}\n{output_of(result)}"
    return result.stderr


def sync_url(url: str) -> sa.URL:
    parsed = sa.make_url(url)
    driver = {
        "sqlite": "sqlite",
        "postgresql": "postgresql+psycopg",
        "mysql": "mysql+pymysql",
    }
    return parsed.set(drivername=driver[parsed.get_backend_name()])


def assert_project_passes(
    project: Path, server_url: str | None, mypy_cache: Path
) -> None:
    """The project's own tests (on the server, if any), ruff and mypy pass;
    `mypy_cache` is the worker's (the `mypy_cache` fixture)."""
    env = project_env(**({"TEST_DATABASE_URL": server_url} if server_url else {}))
    result = run_in_project(project, *project_pytest(), env=env)
    assert result.returncode == 0, output_of(result)
    assert " skipped" not in result.stdout, result.stdout
    for command in (("ruff", "check", "."), ("ruff", "format", "--check", ".")):
        result = run_in_project(project, *command)
        assert result.returncode == 0, output_of(result)
    env = project_env(MYPY_CACHE_DIR=str(mypy_cache))
    result = run_in_project(project, "mypy", env=env)
    assert result.returncode == 0, output_of(result)
