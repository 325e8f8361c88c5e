"""Real deadlocks through the generated app on PostgreSQL and MariaDB, under uvicorn.

The app gets one test-only route (a module written next to the test, serving the
project's own `create_app()` with its error handlers, sessions and settings): read two
rows, update the first, wait until the other request of the pair has updated its own
first row, update the second, commit. `PAIRS` pairs of requests, each pair crossing
two rows of its own (1 -> 2 and 2 -> 1), are sent at once: every pair deadlocks, the
server aborts one transaction of it, and that request answers 503 with `Retry-After`
(never a 500) while the other commits. Nothing of the losers is stored; sent again
after `Retry-After` (alone, so without a crossing partner), each succeeds.

Counts and timings are printed (run with `-s` to see them).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from .live import start_server
from .matrix import SYNC_DRIVERS, Combination, fresh_database
from .scale_support import Request, counts, migrate, report, send_all, summary

pytestmark = pytest.mark.matrix

Generate = Callable[[Combination], Path]

SERVER_COMBINATIONS = [
    Combination("async", "postgresql", repository=True),
    Combination("sync", "postgresql", repository=False),
    Combination("async", "mysql", repository=False),
    Combination("sync", "mysql", repository=True),
]
PAIRS = 10
TABLE = "deadlock_probe"

_PROBE_APP = '''\
"""The project's app plus one route that crosses two rows (tests/test_deadlocks.py)."""

import contextlib
{concurrency}

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from {package}.db import SessionDep
from {package}.main import create_app

app = create_app()
_barriers = {{}}
_lock = Lock()


def _barrier(pair, parties):
    with _lock:
        return _barriers.setdefault(pair, Barrier(parties{barrier_args}))


def _hit(row):
    return text("UPDATE {table} SET hits = hits + 1 WHERE id = :id").bindparams(id=row)


@app.post("/cross/{{pair}}/{{first}}/{{second}}")
{async_}def cross(
    pair: int, first: int, second: int, session: SessionDep, parties: int = 2
) -> dict:
    barrier = _barrier(pair, parties)
    {await_}session.execute(text("SELECT id, hits FROM {table}"))
    try:
        {await_}session.execute(_hit(first))
    except DBAPIError:
        {await_}barrier.abort()
        raise
    with contextlib.suppress(BrokenBarrierError):
        {wait}
    {await_}session.execute(_hit(second))
    {await_}session.commit()
    return {{"pair": pair, "first": first, "second": second}}
'''


def _params() -> list[pytest.param]:  # type: ignore[valid-type]
    return [
        pytest.param(c, id=c.id, marks=pytest.mark.xdist_group(c.id))
        for c in SERVER_COMBINATIONS
    ]


def _write_probe_app(directory: Path, combination: Combination) -> str:
    """The probe app's module, written in `directory`; its `module:attribute`."""
    is_async = combination.engine == "async"
    concurrency = (
        "from asyncio import Barrier, BrokenBarrierError, timeout\n"
        "from threading import Lock"
        if is_async
        else "from threading import Barrier, BrokenBarrierError, Lock"
    )
    source = _PROBE_APP.format(
        concurrency=concurrency,
        package=combination.project_name,
        table=TABLE,
        barrier_args="" if is_async else ", timeout=30",
        async_="async " if is_async else "",
        await_="await " if is_async else "",
        wait=(
            "async with timeout(30):\n            await barrier.wait()"
            if is_async
            else "barrier.wait()"
        ),
    )
    (directory / "deadlock_probe_app.py").write_text(source)
    return "deadlock_probe_app:app"


def _execute(url: str, *statements: str) -> list[tuple[int, int]]:
    parsed = make_url(url)
    parsed = parsed.set(drivername=SYNC_DRIVERS[parsed.get_backend_name()])
    engine = create_engine(parsed, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            rows: list[tuple[int, int]] = []
            for statement in statements:
                result = connection.execute(text(statement))
                rows = (
                    [(int(a), int(b)) for a, b in result] if result.returns_rows else []
                )
            return rows
    finally:
        engine.dispose()


@pytest.mark.parametrize("combination", _params())
def test_crossing_updates_deadlock_and_the_loser_gets_503_with_retry_after(
    generated_project: Generate, combination: Combination, tmp_path: Path
) -> None:
    project = generated_project(combination)
    app_path = _write_probe_app(tmp_path, combination)
    values = ", ".join(f"({row}, 0)" for row in range(1, 2 * PAIRS + 1))
    with fresh_database(combination, tmp_path) as url:
        migrate(project, url)
        _execute(
            url,
            f"CREATE TABLE {TABLE} (id INTEGER PRIMARY KEY, hits INTEGER NOT NULL)",
            f"INSERT INTO {TABLE} (id, hits) VALUES {values}",
        )
        with start_server(
            project,
            combination.project_name,
            url,
            app=app_path,
            PYTHONPATH=str(tmp_path),
        ) as app:
            requests: list[Request] = []
            for pair in range(PAIRS):
                a, b = 2 * pair + 1, 2 * pair + 2
                requests += [
                    ("POST", f"/cross/{pair}/{a}/{b}", None),
                    ("POST", f"/cross/{pair}/{b}/{a}", None),
                ]
            started = time.monotonic()
            replies = send_all(app.base_url, requests)
            seconds = time.monotonic() - started
            stored = sum(
                hits for _, hits in _execute(url, f"SELECT id, hits FROM {TABLE}")
            )
            lost = [i for i, reply in enumerate(replies) if reply.status == 503]
            time.sleep(max(int(replies[i].headers["retry-after"]) for i in lost))
            # alone this time: a pair of one, under a new name
            retried = send_all(
                app.base_url,
                [
                    (
                        "POST",
                        f"/cross/{PAIRS + i}/{requests[i][1].split('/', 3)[3]}"
                        "?parties=1",
                        None,
                    )
                    for i in lost
                ],
            )
            final = sum(
                hits for _, hits in _execute(url, f"SELECT id, hits FROM {TABLE}")
            )
    assert counts(replies) == {200: PAIRS, 503: PAIRS}, replies
    for pair in range(PAIRS):
        assert sorted(r.status for r in replies[2 * pair : 2 * pair + 2]) == [200, 503]
    for i in lost:
        assert replies[i].headers["retry-after"] == "1", replies[i]
        assert "rolled back" in replies[i].body["detail"], replies[i]
    assert stored == 2 * PAIRS  # the winners' two updates each, nothing of the losers
    assert counts(retried) == {200: PAIRS}, retried
    assert final == 4 * PAIRS
    slowest_loser = max(replies[i].seconds for i in lost)
    report(
        combination,
        f"{PAIRS} crossing pairs at once: {summary(replies, seconds)}; every 503 has "
        f"Retry-After: 1 (the losers answered within {slowest_loser:.2f}s); rows "
        f"updated {stored} times (the winners' only); the {len(lost)} losers sent "
        f"again: {summary(retried)}",
    )
