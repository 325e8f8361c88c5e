"""Shared fixtures, once per worker: the generated project of each combination (with
the standard models, or bare), the worker's mypy cache, and a throw-away PostgreSQL
primary, its streaming replica and PgBouncer (see pg_cluster).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from fastapi_db_scaffold.matrix.generate import generate_project

from .matrix import Combination
from .pg_cluster import PgBouncer, PgServer, pgbouncer, primary, streaming_replica


@pytest.fixture(scope="session", autouse=True)
def fastapi_db_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The tool's data directory (its template repository), one per test run and
    shared by the workers, instead of the user's own."""
    home = tmp_path_factory.getbasetemp().parent / "fastapi-db-home"
    previous = os.environ.get("FASTAPI_DB_HOME")
    os.environ["FASTAPI_DB_HOME"] = str(home)
    yield home
    if previous is None:
        os.environ.pop("FASTAPI_DB_HOME", None)
    else:
        os.environ["FASTAPI_DB_HOME"] = previous


@pytest.fixture(scope="session")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The worker's mypy cache directory, shared by its generated projects: the
    installed packages (SQLAlchemy, FastAPI, Pydantic) are analysed once per worker
    instead of once per project (about 30 s each); a project's own modules are
    checked again whenever their source differs (mypy compares hashes). One per
    worker, so no two mypy processes write it at once."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return tmp_path_factory.getbasetemp().parent / f"mypy-cache-{worker}"


@pytest.fixture(scope="session")
def generated_project(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[Combination], Path]:
    """The project of a combination, given the standard models (once per worker),
    generated as `fastapi-db check` does it (`matrix.generate`)."""
    cache: dict[Combination, Path] = {}

    def generate(combination: Combination) -> Path:
        if combination not in cache:
            dest = tmp_path_factory.mktemp(combination.id) / combination.project_name
            cache[combination] = generate_project(combination, dest)
        return cache[combination]

    return generate


@pytest.fixture(scope="session")
def bare_project(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[Combination], Path]:
    """The project of a combination as `new` makes it, with no models (once per
    worker): for checks of the skeleton's own files. Do not change it."""
    cache: dict[Combination, Path] = {}

    def generate(combination: Combination) -> Path:
        if combination not in cache:
            dest = tmp_path_factory.mktemp(f"bare-{combination.id}")
            cache[combination] = generate_project(
                combination, dest / combination.project_name, models=[]
            )
        return cache[combination]

    return generate


@pytest.fixture(scope="session")
def pg_primary() -> Iterator[PgServer]:
    """A fresh PostgreSQL 15 primary on a free port (skips when tools are missing)."""
    with primary() as server:
        yield server


@pytest.fixture(scope="session")
def pg_replica(pg_primary: PgServer) -> Iterator[PgServer]:
    """A hot standby streaming from `pg_primary`; a test that stops it starts it again
    (`with pg_replica.stopped(): ...`)."""
    with streaming_replica(pg_primary) as server:
        yield server


@pytest.fixture(scope="session")
def pg_bouncer(pg_primary: PgServer) -> Iterator[PgBouncer]:
    """PgBouncer in transaction pooling mode (pool size 5) in front of `pg_primary`."""
    with pgbouncer(pg_primary) as bouncer:
        yield bouncer
