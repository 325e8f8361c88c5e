"""The generated app beyond one plain database server: PgBouncer, timeouts, big bodies.

- PgBouncer (transaction mode, pool 5, see pg_cluster) in front of a real PostgreSQL
  15: with `DATABASE_PGBOUNCER=true`, 200 concurrent mixed requests (creates, lists,
  gets, updates) all get 2xx/4xx, async and sync; without it, the async app's asyncpg
  statement cache breaks ("prepared statement ... does not exist").
- A server that accepts TCP connections and never answers: every database combination
  answers 503 within `CONNECT_TIMEOUT` + `DATABASE_STATEMENT_TIMEOUT`, never hangs.
- 8 concurrent 50 MiB bodies (declared and chunked, streamed): all 413, and the
  server's resident memory stays flat (`/proc/PID/status`).

Counts and timings are printed (run with `-s` to see them).
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import make_url

from .live import LiveApp, serve, start_server
from .matrix import Combination, output_of, project_env, run_in_project
from .pg_cluster import PgBouncer, PgServer
from .test_resilience import Answer, concurrently, statuses

pytestmark = pytest.mark.matrix

Generate = Callable[[Combination], Path]

PG_COMBINATIONS = [
    Combination("async", "postgresql", repository=True),
    Combination("sync", "postgresql", repository=False),
]
ALL_SERVER_COMBINATIONS = [
    *PG_COMBINATIONS,
    Combination("async", "mysql", repository=False),
    Combination("sync", "mysql", repository=True),
]
LOAD = 200
SEED_USERS = 20


def _params(combinations: list[Combination]) -> list[pytest.param]:  # type: ignore[valid-type]
    return [
        pytest.param(c, id=c.id, marks=pytest.mark.xdist_group(c.id))
        for c in combinations
    ]


def _report(combination: Combination, message: str) -> None:
    print(f"\n[{combination.id}] {message}")


# --- PgBouncer ------------------------------------------------------------------------


@contextlib.contextmanager
def _database_on(server: PgServer) -> Iterator[str]:
    """A new database on `server` (its name), dropped afterwards."""
    name = f"fdb_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server.url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield name
    finally:
        with psycopg.connect(server.url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _url_of(base: str, database: str) -> str:
    return make_url(base).set(database=database).render_as_string(hide_password=False)


@contextlib.contextmanager
def _served_through(
    project: Path,
    combination: Combination,
    server: PgServer,
    bouncer: PgBouncer,
    **settings: str,
) -> Iterator[LiveApp]:
    """Migrated directly on `server`, served through `bouncer`."""
    with _database_on(server) as name:
        env = project_env(DATABASE_URL=_url_of(server.url, name))
        migrate = run_in_project(project, "alembic", "upgrade", "head", env=env)
        assert migrate.returncode == 0, output_of(migrate)
        url = _url_of(bouncer.url, name)
        with start_server(project, combination.project_name, url, **settings) as app:
            yield app


def _mixed_load(base_url: str, tag: str) -> tuple[list[Answer], float]:
    """`LOAD` requests at once: a quarter each creates, lists, gets and updates."""
    seeded = concurrently(
        base_url,
        [
            ("POST", "/users", {"email": f"{tag}-seed-{i}@example.com", "name": tag})
            for i in range(SEED_USERS)
        ],
    )
    ids = [answer.body["id"] for answer in seeded if answer.status == 201]
    assert ids, seeded[:3]
    requests: list[tuple[str, str, Any]] = []
    for i in range(LOAD):
        user_id = ids[i % len(ids)]
        requests.append(
            [
                ("POST", "/users", {"email": f"{tag}-{i}@example.com", "name": tag}),
                ("GET", f"/users?limit=10&offset={i % 15}", None),
                ("GET", f"/users/{user_id}", None),
                ("PATCH", f"/users/{user_id}", {"name": f"{tag}-{i}"}),
            ][i % 4]
        )
    started = time.monotonic()
    answers = concurrently(base_url, requests)
    return answers, time.monotonic() - started


def _summary(answers: list[Answer], seconds: float) -> str:
    slowest = max(answer.seconds for answer in answers)
    counts = dict(sorted(statuses(answers).items()))
    return (
        f"{len(answers)} requests in {seconds:.2f}s (slowest {slowest:.2f}s): {counts}"
    )


@pytest.mark.parametrize("combination", _params(PG_COMBINATIONS))
def test_200_concurrent_requests_through_pgbouncer(
    generated_project: Generate,
    combination: Combination,
    pg_primary: PgServer,
    pg_bouncer: PgBouncer,
) -> None:
    project = generated_project(combination)
    with _served_through(
        project, combination, pg_primary, pg_bouncer, DATABASE_PGBOUNCER="true"
    ) as app:
        answers, seconds = _mixed_load(app.base_url, "pgb")
    _report(combination, f"DATABASE_PGBOUNCER=true: {_summary(answers, seconds)}")
    counts = statuses(answers)
    assert sum(counts.values()) == LOAD
    assert all(200 <= status < 500 for status in counts), counts
    assert counts[201] + counts[200] >= LOAD * 0.9, counts


@pytest.mark.parametrize("combination", _params(PG_COMBINATIONS))
def test_without_the_setting_prepared_statements_break(
    generated_project: Generate,
    combination: Combination,
    pg_primary: PgServer,
    pg_bouncer: PgBouncer,
) -> None:
    """What `DATABASE_PGBOUNCER` prevents (asserted for asyncpg, whose statement cache
    breaks reliably; printed for psycopg, which prepares only after 5 executions)."""
    project = generated_project(combination)
    with _served_through(project, combination, pg_primary, pg_bouncer) as app:
        answers, seconds = _mixed_load(app.base_url, "nopgb")
        log = sorted(
            Path(project).glob("uvicorn-*.log"), key=lambda p: p.stat().st_mtime
        )
        errors = log[-1].read_text().count("prepared statement") if log else 0
    _report(
        combination,
        f"DATABASE_PGBOUNCER unset: {_summary(answers, seconds)}; "
        f"'prepared statement' in the server log {errors} times",
    )
    if combination.engine == "async":
        assert statuses(answers)[500] > 0, statuses(answers)


# --- a server that accepts and never answers ------------------------------------


class _BlackHole:
    """A TCP server that accepts every connection and never sends a byte."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                connection, _ = self._listener.accept()
                self._accepted.append(connection)

    def __enter__(self) -> _BlackHole:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._listener.close()
        for connection in self._accepted:
            connection.close()
        self._thread.join(timeout=5)


CONNECT_TIMEOUT = 2
STATEMENT_TIMEOUT = 1.0
SLACK = 3.0  # a loaded two-core machine


@pytest.mark.parametrize("combination", _params(ALL_SERVER_COMBINATIONS))
def test_a_server_that_never_answers_gives_503s_in_bounded_time(
    generated_project: Generate, combination: Combination
) -> None:
    project = generated_project(combination)
    with _BlackHole() as hole:
        url = f"{combination.database}://root@127.0.0.1:{hole.port}/app"
        with start_server(
            project,
            combination.project_name,
            url,
            ready_path="/openapi.json",  # /health needs the database
            CONNECT_TIMEOUT=str(CONNECT_TIMEOUT),
            DATABASE_STATEMENT_TIMEOUT=str(STATEMENT_TIMEOUT),
        ) as app:
            answers = concurrently(
                app.base_url,
                [
                    ("GET", "/users", None),
                    ("POST", "/users", {"email": "a@b.co", "name": "a"}),
                ]
                + [("GET", "/health", None)],
            )
    bound = CONNECT_TIMEOUT + STATEMENT_TIMEOUT
    timings = ", ".join(f"{a.status} in {a.seconds:.2f}s" for a in answers)
    _report(combination, f"black hole, bound {bound}s: {timings}")
    assert [a.status for a in answers] == [503, 503, 503], answers
    assert max(a.seconds for a in answers) < bound + SLACK, timings


# --- oversized requests ---------------------------------------------------------------

BIG = 50 * 1024 * 1024
CHUNK = 64 * 1024
SIZE_COMBINATIONS = [
    Combination("async", "sqlite", repository=True),
    Combination("sync", "sqlite", repository=False),
]


def _rss_kib(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


def _send_oversized(port: int, chunked: bool) -> tuple[int | None, int, float]:
    """POST a 50 MB JSON body, streamed; (the status, the bytes sent, seconds)."""
    started = time.monotonic()
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {BIG}"
    head = (
        f"POST /users HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\n{framing}\r\n\r\n"
    ).encode()
    piece = b"x" * CHUNK
    if chunked:
        piece = f"{CHUNK:x}\r\n".encode() + piece + b"\r\n"
    sent = 0
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head)
        with contextlib.suppress(OSError):  # the server may close while we send
            while sent < BIG:
                readable, _, _ = select.select([sock], [], [], 0)
                if readable:
                    break
                sock.sendall(piece)
                sent += CHUNK
        with contextlib.suppress(OSError):
            answer = sock.recv(4096)
    status = int(answer.split()[1]) if answer.startswith(b"HTTP/1.1 ") else None
    return status, sent, time.monotonic() - started


@pytest.mark.parametrize("combination", _params(SIZE_COMBINATIONS))
def test_concurrent_oversized_bodies_get_413_and_memory_stays_flat(
    generated_project: Generate, combination: Combination, tmp_path: Path
) -> None:
    project = generated_project(combination)
    with serve(project, combination, tmp_path) as app:
        port = int(app.base_url.rsplit(":", 1)[1])
        pid = app.process.pid
        concurrently(app.base_url, [("GET", "/users", None)] * 8)  # warm up
        before = _rss_kib(pid)
        with ThreadPoolExecutor(8) as pool:
            results = list(
                pool.map(lambda i: _send_oversized(port, chunked=i % 2 == 1), range(8))
            )
        after, peak = _rss_kib(pid), _rss_kib(pid, "VmHWM")
        assert concurrently(app.base_url, [("GET", "/health", None)])[0].status == 200
    lines = [
        f"{'chunked' if i % 2 else 'declared'}: {status} after {sent / 2**20:.1f} MiB "
        f"sent, {seconds:.2f}s"
        for i, (status, sent, seconds) in enumerate(results)
    ]
    _report(
        combination,
        f"8 x 50 MiB: RSS {before / 1024:.1f} -> {after / 1024:.1f} MiB "
        f"(peak {peak / 1024:.1f} MiB)\n  " + "\n  ".join(lines),
    )
    assert [status for status, _, _ in results] == [413] * 8, lines
    assert (after - before) / 1024 < 30, (before, after)
    assert (peak - before) / 1024 < 60, (before, peak)
