"""The template's combinations: engine x database x repository, from `choices`.

A `Combination` is one answer set of the template. PostgreSQL and MySQL combinations
need a server, named by `TEST_POSTGRES_URL` / `TEST_MYSQL_URL`; `server_url` says which
one, or raises `ServerNotConfigured` (its message says why) when it is not set.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..choices import Database, Engine, check_choice

__all__ = [
    "COMBINATIONS",
    "SERVER_ENV",
    "Combination",
    "ServerNotConfigured",
    "select_combinations",
]

SERVER_ENV = {
    Database.POSTGRESQL.value: "TEST_POSTGRES_URL",
    Database.MYSQL.value: "TEST_MYSQL_URL",
}


class ServerNotConfigured(Exception):
    """A combination needs a database server whose URL is not set."""


@dataclass(frozen=True)
class Combination:
    engine: str
    database: str
    repository: bool

    @property
    def id(self) -> str:
        repository = "repo" if self.repository else "norepo"
        return f"{self.engine}-{self.database}-{repository}"

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

    @property
    def needs_server(self) -> bool:
        return self.database in SERVER_ENV

    def server_url(self, environ: Mapping[str, str] | None = None) -> str | None:
        """The server URL of this combination's database, None for SQLite.

        Raises ServerNotConfigured, saying why, when the server's variable is unset.
        """
        if not self.needs_server:
            return None
        variable = SERVER_ENV[self.database]
        url = (os.environ if environ is None else environ).get(variable)
        if not url:
            raise ServerNotConfigured(
                f"{variable} is not set: {self.database} combinations need a server"
            )
        return url


COMBINATIONS = [
    Combination(engine.value, database.value, repository)
    for engine in Engine
    for database in Database
    for repository in (True, False)
]


def select_combinations(
    engines: Iterable[str] = (),
    databases: Iterable[str] = (),
    repository: bool | None = None,
) -> list[Combination]:
    """The combinations with one of `engines` and `databases` (empty: any) and the
    given repository choice (None: both), in matrix order. UsageError for a value
    that is not a choice of the template."""
    engines, databases = list(engines), list(databases)
    for engine in engines:
        check_choice("engine", engine, Engine)
    for database in databases:
        check_choice("database", database, Database)
    return [
        combination
        for combination in COMBINATIONS
        if (not engines or combination.engine in engines)
        and (not databases or combination.database in databases)
        and (repository is None or combination.repository == repository)
    ]
