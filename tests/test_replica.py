"""Reads routed to a real streaming replica (PostgreSQL 15, see pg_cluster).

The generated app (async and sync) is served by uvicorn with `DATABASE_URL` on the
primary and `DATABASE_REPLICA_URL` on its hot standby:

- with WAL replay paused on the replica, writes answer with the written rows (read on
  the primary: read-your-writes) while list and get reads do not see them; once
  replay resumes, they do. `/health` reports the replica and its lag meanwhile;
- with the replica stopped, reads give 503 naming the replica while writes and
  `/health` (200, "degraded") work; once it is back, reads recover without a restart.

Counts and timings are printed (run with `-s` to see them).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from .live import LiveApp, start_server
from .matrix import Combination
from .pg_cluster import PgServer, lag_bytes, wait_for_replay
from .scale_support import (
    counts,
    database_on,
    migrate,
    report,
    send,
    send_all,
    summary,
    url_of,
)

pytestmark = pytest.mark.matrix

Generate = Callable[[Combination], Path]

PG_COMBINATIONS = [
    Combination("async", "postgresql", repository=True),
    Combination("sync", "postgresql", repository=False),
]
SEED = 5
WRITES = 10
REPLICA_DOWN = {"detail": "Read replica unavailable, try again later"}


def _params() -> list[pytest.param]:  # type: ignore[valid-type]
    return [
        pytest.param(c, id=c.id, marks=pytest.mark.xdist_group(c.id))
        for c in PG_COMBINATIONS
    ]


@contextlib.contextmanager
def _served_with_replica(
    project: Path, combination: Combination, primary: PgServer, replica: PgServer
) -> Iterator[tuple[LiveApp, str]]:
    """A migrated database on the primary, replayed on the replica; the app serving
    it with both URLs. Yields the app and the primary's URL of the database."""
    with database_on(primary) as name:
        primary_url = url_of(primary.url, name)
        migrate(project, primary_url)
        wait_for_replay(primary, replica)
        with start_server(
            project,
            combination.project_name,
            primary_url,
            DATABASE_REPLICA_URL=url_of(replica.url, name),
            CONNECT_TIMEOUT="2",
        ) as app:
            yield app, primary_url


def _user(tag: str, i: int) -> dict[str, str]:
    return {"email": f"{tag}-{i}@example.com", "name": f"{tag} {i}"}


def _rows_on(server: PgServer, database: str) -> int:
    with psycopg.connect(url_of(server.url, database), autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM users").fetchone()
        assert row is not None
        return int(row[0])


def _wait_paused(replica: PgServer) -> None:
    deadline = time.monotonic() + 10
    while replica.scalar("SELECT pg_get_wal_replay_pause_state()") != "paused":
        assert time.monotonic() < deadline, "replay did not pause"
        time.sleep(0.02)


@pytest.mark.parametrize("combination", _params())
def test_reads_see_rows_only_once_the_replica_has_replayed_them(
    generated_project: Generate,
    combination: Combination,
    pg_primary: PgServer,
    pg_replica: PgServer,
) -> None:
    project = generated_project(combination)
    with _served_with_replica(project, combination, pg_primary, pg_replica) as (
        app,
        primary_url,
    ):
        database = primary_url.rsplit("/", 1)[1]
        seeded = send_all(
            app.base_url, [("POST", "/users", _user("seed", i)) for i in range(SEED)]
        )
        assert counts(seeded) == {201: SEED}, seeded
        seed_ids = [reply.body["id"] for reply in seeded]
        wait_for_replay(pg_primary, pg_replica)
        assert send(app.base_url, "GET", "/users").body["total"] == SEED

        pg_replica.fetch("SELECT pg_wal_replay_pause()")
        try:
            _wait_paused(pg_replica)
            started = time.monotonic()
            writes = send_all(
                app.base_url,
                [("POST", "/users", _user("paused", i)) for i in range(WRITES)]
                + [("PATCH", f"/users/{seed_ids[0]}", {"name": "renamed"})],
            )
            write_seconds = time.monotonic() - started
            created, renamed = writes[:WRITES], writes[WRITES]
            # read-your-writes: each write's response has the write, from the primary
            assert counts(created) == {201: WRITES}, created
            assert [r.body["email"] for r in created] == [
                _user("paused", i)["email"] for i in range(WRITES)
            ]
            assert (renamed.status, renamed.body["name"]) == (200, "renamed")
            new_ids = [reply.body["id"] for reply in created]
            assert _rows_on(pg_primary, database) == SEED + WRITES
            assert _rows_on(pg_replica, database) == SEED
            behind = lag_bytes(pg_primary, pg_replica)

            reads = send_all(
                app.base_url,
                [("GET", f"/users/{user_id}", None) for user_id in new_ids]
                + [("GET", "/users?limit=100", None)]
                + [("GET", f"/users/{seed_ids[0]}", None)],
            )
            health = send(app.base_url, "GET", "/health")
        finally:
            pg_replica.fetch("SELECT pg_wal_replay_resume()")
        assert counts(reads[:WRITES]) == {404: WRITES}, reads
        listed = reads[WRITES].body
        assert listed["total"] == SEED
        assert {item["id"] for item in listed["items"]} == set(seed_ids)
        assert reads[WRITES + 1].body["name"] == "seed 0"  # not renamed yet
        assert health.status == 200
        assert health.body["status"] == "ok"
        assert health.body["replica"]["status"] == "ok"
        paused_lag = health.body["replica"]["lag_seconds"]
        assert paused_lag is not None and paused_lag > 0, health.body

        replayed_in = wait_for_replay(pg_primary, pg_replica)
        after = send_all(
            app.base_url,
            [("GET", f"/users/{user_id}", None) for user_id in new_ids]
            + [("GET", "/users?limit=100", None)]
            + [("GET", f"/users/{seed_ids[0]}", None)],
        )
        health_after = send(app.base_url, "GET", "/health")
    assert counts(after[:WRITES]) == {200: WRITES}, after
    assert [r.body for r in after[:WRITES]] == [r.body for r in created]
    assert after[WRITES].body["total"] == SEED + WRITES
    assert after[WRITES + 1].body["name"] == "renamed"
    assert health_after.body["replica"]["status"] == "ok"
    report(
        combination,
        f"replay paused: writes {summary(writes, write_seconds)} "
        f"(every response has its write); {len(reads)} reads {counts(reads)}: the "
        f"replica served {listed['total']} of {SEED + WRITES} rows, {behind} bytes of "
        f"WAL behind; /health lag_seconds {paused_lag:.3f}. Replay resumed: caught up "
        f"in {replayed_in:.3f}s, {len(after)} reads {counts(after)}, the replica "
        f"served {after[WRITES].body['total']} rows; /health lag_seconds "
        f"{health_after.body['replica']['lag_seconds']}",
    )


@pytest.mark.parametrize("combination", _params())
def test_a_stopped_replica_fails_reads_while_writes_and_health_work(
    generated_project: Generate,
    combination: Combination,
    pg_primary: PgServer,
    pg_replica: PgServer,
) -> None:
    project = generated_project(combination)
    with _served_with_replica(project, combination, pg_primary, pg_replica) as (
        app,
        _,
    ):
        user = send(app.base_url, "POST", "/users", _user("before", 0)).body
        wait_for_replay(pg_primary, pg_replica)
        assert send(app.base_url, "GET", f"/users/{user['id']}").status == 200
        path = f"/users/{user['id']}"
        with pg_replica.stopped():
            started = time.monotonic()
            replies = send_all(
                app.base_url,
                [("GET", "/users", None), ("GET", path, None)] * 5
                + [("POST", "/users", _user("down", i)) for i in range(5)]
                + [("PATCH", path, {"name": f"n{i}"}) for i in range(5)]
                + [("GET", "/health", None)] * 3,
            )
            seconds = time.monotonic() - started
        reads, creates, updates, health = (
            replies[:10],
            replies[10:15],
            replies[15:20],
            replies[20:],
        )
        assert [(r.status, r.body) for r in reads] == [(503, REPLICA_DOWN)] * 10
        assert counts(creates) == {201: 5}, creates
        assert counts(updates) == {200: 5}, updates
        assert [r.status for r in health] == [200] * 3
        assert health[0].body == {
            "status": "degraded",
            "database": "ok",
            "replica": {"status": "unavailable", "lag_seconds": None},
        }
        wait_for_replay(pg_primary, pg_replica)
        back = send_all(app.base_url, [("GET", "/users?limit=100", None)] * 5)
        health_back = send(app.base_url, "GET", "/health")
    assert counts(back) == {200: 5}, back
    assert back[0].body["total"] == 6
    assert health_back.body["status"] == "ok"
    assert health_back.body["replica"]["status"] == "ok"
    slowest_read = max(r.seconds for r in reads)
    report(
        combination,
        f"replica stopped: {summary(replies, seconds)}; reads {counts(reads)} "
        f"(slowest {slowest_read:.2f}s), creates {counts(creates)}, updates "
        f"{counts(updates)}, /health {counts(health)} {health[0].body['status']}. "
        f"Replica back: reads {counts(back)}, serving {back[0].body['total']} rows",
    )
