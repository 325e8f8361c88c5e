"""Several uvicorn workers, and the start-up check of the connection budget.

The generated app is served by uvicorn with `WEB_CONCURRENCY=4` (4 worker processes;
uvicorn and the app both read the variable):

- against a PostgreSQL 15 primary started with `max_connections = 20` (17 left after
  the 3 reserved for superusers): with `POOL_SIZE=5`, `MAX_OVERFLOW=10` (4 x 15 = 60)
  every worker logs one warning line naming the numbers and the settings to change;
  with `POOL_SIZE=2`, `MAX_OVERFLOW=2` (4 x 4 = 16) none does, and 200 concurrent
  mixed requests all get 2xx. What the oversized budget does under the same load is
  printed (not asserted: it depends on how the load spreads over the workers);
- against the shared MariaDB server, whose `max_connections` is read (not changed):
  a pool sized to exceed it warns, a small one does not.

Counts and timings are printed (run with `-s` to see them).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from .live import LiveApp, start_server
from .matrix import SYNC_DRIVERS, Combination, fresh_database
from .pg_cluster import PgServer, primary
from .scale_support import (
    Request,
    counts,
    database_on,
    migrate,
    report,
    send_all,
    server_log,
    summary,
    url_of,
)

pytestmark = pytest.mark.matrix

Generate = Callable[[Combination], Path]

WORKERS = 4
MAX_CONNECTIONS = 20
RESERVED = 3  # PostgreSQL's default superuser_reserved_connections
LOAD = 200
OVERSIZED = {"POOL_SIZE": "5", "MAX_OVERFLOW": "10"}  # 4 x 15 = 60 > 17
FITTING = {"POOL_SIZE": "2", "MAX_OVERFLOW": "2"}  # 4 x 4 = 16 <= 17
WARNING = "Connection budget exceeded on the primary database"


def _params(database: str) -> list[pytest.param]:  # type: ignore[valid-type]
    return [
        pytest.param(c, id=c.id, marks=pytest.mark.xdist_group(c.id))
        for c in (
            Combination("async", database, repository=database == "postgresql"),
            Combination("sync", database, repository=database != "postgresql"),
        )
    ]


@pytest.fixture(scope="module")
def small_primary() -> Iterator[PgServer]:
    """A PostgreSQL primary that accepts few connections."""
    with primary({"max_connections": str(MAX_CONNECTIONS)}) as server:
        yield server


@contextlib.contextmanager
def _workers(
    project: Path, combination: Combination, url: str, **settings: str
) -> Iterator[tuple[LiveApp, str]]:
    """The app served by `WORKERS` uvicorn workers, once all of them have started;
    yields it and the start-up part of the server's log."""
    with start_server(
        project,
        combination.project_name,
        url,
        WEB_CONCURRENCY=str(WORKERS),
        **settings,
    ) as app:
        log = server_log(app.base_url, project)
        deadline = time.monotonic() + 120
        while log.read_text().count("Application startup complete.") < WORKERS:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield app, log.read_text()


def _warnings(log: str) -> list[str]:
    return [line for line in log.splitlines() if "Connection budget" in line]


def _mixed_load(base_url: str, tag: str) -> tuple[list[Any], float]:
    seeded = send_all(
        base_url,
        [
            ("POST", "/users", {"email": f"{tag}-seed-{i}@example.com", "name": tag})
            for i in range(10)
        ],
    )
    ids = [reply.body["id"] for reply in seeded if reply.status == 201] or [1]
    requests: list[Request] = []
    for i in range(LOAD):
        user_id = ids[i % len(ids)]
        requests.append(
            [
                ("POST", "/users", {"email": f"{tag}-{i}@example.com", "name": tag}),
                ("GET", f"/users?limit=10&offset={i % 7}", None),
                ("GET", f"/users/{user_id}", None),
                ("PATCH", f"/users/{user_id}", {"name": f"{tag}-{i}"}),
            ][i % 4]
        )
    started = time.monotonic()
    replies = send_all(base_url, requests)
    return replies, time.monotonic() - started


@pytest.mark.parametrize("combination", _params("postgresql"))
def test_four_workers_against_a_low_max_connections(
    generated_project: Generate, combination: Combination, small_primary: PgServer
) -> None:
    project = generated_project(combination)
    with database_on(small_primary) as name:
        url = url_of(small_primary.url, name)
        migrate(project, url)
        with _workers(project, combination, url, **OVERSIZED) as (app, log):
            oversized_load, oversized_seconds = _mixed_load(app.base_url, "big")
        oversized_warnings = _warnings(log)
        with _workers(project, combination, url, **FITTING) as (app, log):
            fitting_load, fitting_seconds = _mixed_load(app.base_url, "small")
        fitting_warnings = _warnings(log)
    assert len(oversized_warnings) == WORKERS, oversized_warnings
    assert all(
        f"{WARNING}: WEB_CONCURRENCY={WORKERS} workers x (POOL_SIZE=5 + "
        f"MAX_OVERFLOW=10) = 60 connections at peak, but the server accepts "
        f"{MAX_CONNECTIONS - RESERVED} (max_connections={MAX_CONNECTIONS} minus "
        f"{RESERVED} reserved). Lower POOL_SIZE, MAX_OVERFLOW or WEB_CONCURRENCY, or "
        "raise max_connections." in line
        for line in oversized_warnings
    ), oversized_warnings
    assert fitting_warnings == [], fitting_warnings
    assert all(200 <= status < 300 for status in counts(fitting_load)), counts(
        fitting_load
    )
    assert 500 not in counts(oversized_load), counts(oversized_load)
    report(
        combination,
        f"{WORKERS} workers, max_connections={MAX_CONNECTIONS}: POOL_SIZE=5 + "
        f"MAX_OVERFLOW=10: {len(oversized_warnings)} warning lines, "
        f"{summary(oversized_load, oversized_seconds)}; POOL_SIZE=2 + MAX_OVERFLOW=2: "
        f"{len(fitting_warnings)} warning lines, "
        f"{summary(fitting_load, fitting_seconds)}\n  {oversized_warnings[0]}",
    )


def _mariadb_max_connections(url: str) -> int:
    parsed = make_url(url).set(drivername=SYNC_DRIVERS["mysql"])
    engine = create_engine(parsed, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(text("SELECT @@max_connections")).scalar_one()
            )
    finally:
        engine.dispose()


@pytest.mark.parametrize("combination", _params("mysql"))
def test_four_workers_on_mariadb(
    generated_project: Generate, combination: Combination, tmp_path: Path
) -> None:
    project = generated_project(combination)
    with fresh_database(combination, tmp_path) as url:
        limit = _mariadb_max_connections(url)
        pool_size = limit // WORKERS + 1  # just over the limit, with no overflow
        migrate(project, url)
        oversized = {"POOL_SIZE": str(pool_size), "MAX_OVERFLOW": "0"}
        with _workers(project, combination, url, **oversized) as (_, log):
            oversized_warnings = _warnings(log)
        with _workers(project, combination, url, **FITTING) as (app, log):
            fitting_warnings = _warnings(log)
            load, seconds = _mixed_load(app.base_url, "small")
    needed = WORKERS * pool_size
    assert len(oversized_warnings) == WORKERS, oversized_warnings
    assert all(
        f"{WARNING}: WEB_CONCURRENCY={WORKERS} workers x (POOL_SIZE={pool_size} + "
        f"MAX_OVERFLOW=0) = {needed} connections at peak, but the server accepts "
        f"{limit} (max_connections={limit} minus 0 reserved)" in line
        for line in oversized_warnings
    ), oversized_warnings
    assert fitting_warnings == [], fitting_warnings
    assert all(200 <= status < 300 for status in counts(load)), counts(load)
    report(
        combination,
        f"{WORKERS} workers, MariaDB max_connections={limit}: POOL_SIZE={pool_size}: "
        f"{len(oversized_warnings)} warning lines; POOL_SIZE=2 + MAX_OVERFLOW=2: "
        f"{len(fitting_warnings)} warning lines, {summary(load, seconds)}"
        f"\n  {oversized_warnings[0]}",
    )
