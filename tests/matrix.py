"""The generation matrix: combinations, database servers and generated projects.

A `Combination` is one answer set of the template (engine x database x repository).
`ServerDatabases` makes throw-away databases on the PostgreSQL/MySQL servers named by
`TEST_POSTGRES_URL` / `TEST_MYSQL_URL` (or temporary SQLite files), and
`run_in_project` runs a tool of the generated project with the current interpreter.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url

from fastapi_db_scaffold.choices import SYNC_SERVER_DRIVERS, Database, Engine

REPO_ROOT = Path(__file__).resolve().parents[1]

SERVER_ENV = {"postgresql": "TEST_POSTGRES_URL", "mysql": "TEST_MYSQL_URL"}
SYNC_DRIVERS = SYNC_SERVER_DRIVERS


@dataclass(frozen=True)
class Combination:
    engine: str
    database: str
    repository: bool

    @property
    def id(self) -> str:
        return (
            f"{self.engine}-{self.database}-{'repo' if self.repository else 'norepo'}"
        )

    @property
    def project_name(self) -> str:
        """Short names, and long ones (lines that grow with the name must still fit)."""
        if self.repository:
            return f"app_{self.engine}_{self.database}"
        return (
            f"inventory_service_with_a_rather_long_name_{self.engine}_{self.database}"
        )

    @property
    def answers(self) -> dict[str, object]:
        return {
            "project_name": self.project_name,
            "engine": self.engine,
            "database": self.database,
            "repository": self.repository,
        }

    def server_url(self) -> str | None:
        """The server URL of this combination's database, None for SQLite.

        Skips the calling test, saying why, when the server is not configured.
        """
        if self.database == "sqlite":
            return None
        variable = SERVER_ENV[self.database]
        url = os.environ.get(variable)
        if not url:
            pytest.skip(
                f"{variable} is not set: {self.database} combinations need a server"
            )
        return url


# The models every matrix project is given: every field type, relations with each ON
# DELETE behaviour (cascade, set-null, restrict), reserved SQL words (User, Order).
MODELS: list[tuple[str, list[str]]] = [
    ("User", ["email:str(120):unique", "name:str(80)", "bio:text:optional"]),
    ("Category", ["name:str(50):unique:index", "position:int:default=0"]),
    (
        "Post",
        [
            "title:str(200):unique",
            "body:text",
            "views:int:index",
            "reach:bigint:optional",
            "rating:float",
            "price:decimal(8,2)",
            "published:bool:default=false",
            "day:date",
            "published_at:datetime:optional",
            "reminder:time",
            "key:uuid:unique",
            "meta:json",
            "contact:email:unique",
            "homepage:url:optional",
            "status:enum(draft,published,archived):default=draft",
            "author:User:cascade",
            "category:Category:optional:set-null",
        ],
    ),
    ("Order", ["number:int:unique", "customer:User", "total:decimal(10,2)"]),
]

COMBINATIONS = [
    Combination(engine.value, database.value, repository)
    for engine in Engine
    for database in Database
    for repository in (True, False)
]


def matrix_params() -> list[pytest.param]:  # type: ignore[valid-type]
    """One param per combination, grouped so xdist keeps a combination on one worker."""
    return [
        pytest.param(c, id=c.id, marks=pytest.mark.xdist_group(c.id))
        for c in COMBINATIONS
    ]


def _admin_engine(server_url: str, database: str):  # type: ignore[no-untyped-def]
    url = make_url(server_url)
    url = url.set(drivername=SYNC_DRIVERS[database])
    return create_engine(url, isolation_level="AUTOCOMMIT", poolclass=None)


@contextmanager
def fresh_database(combination: Combination, tmp_path: Path) -> Iterator[str]:
    """A new empty database for this combination (its URL), dropped afterwards."""
    server_url = combination.server_url()
    if server_url is None:
        yield f"sqlite:///{tmp_path / f'fresh-{uuid.uuid4().hex[:8]}.db'}"
        return
    name = f"fdb_{uuid.uuid4().hex[:12]}"
    engine = _admin_engine(server_url, combination.database)
    with engine.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield (
            make_url(server_url)
            .set(database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        drop = f"DROP DATABASE IF EXISTS {name}"
        if combination.database == "postgresql":
            drop += " WITH (FORCE)"
        with engine.connect() as connection:
            connection.exec_driver_sql(drop)
        engine.dispose()


def project_env(**extra: str) -> dict[str, str]:
    """The environment of a generated project's tools, minus test-runner leftovers."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "DATABASE_", "TEST_DATABASE"))
        and key not in {"PYTHONPATH", "COV_CORE_SOURCE"}
    }
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


def run_in_project(
    project: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run `python -m <args>` in the project with the current interpreter."""
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=project,
        env=env if env is not None else project_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def output_of(result: subprocess.CompletedProcess[str]) -> str:
    return (
        f"exit {result.returncode}\n--- stdout\n{result.stdout[-6000:]}\n"
        f"--- stderr\n{result.stderr[-4000:]}"
    )
