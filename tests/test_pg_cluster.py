"""The PostgreSQL test infrastructure (tests/pg_cluster.py), proven on the real thing.

- the streaming replica serves a row only once it has been replicated, is read-only,
  refuses connections while stopped and catches up when started again;
- PgBouncer in transaction mode carries 200 concurrent short transactions over at most
  `default_pool_size` server connections;
- the trap a generated project must avoid there: driver-side prepared statements
  (asyncpg's statement cache, directly or through SQLAlchemy, and psycopg's automatic
  preparation) fail with "prepared statement ... does not exist / already exists"
  under concurrency; with the caches off, the same load succeeds;
- the context managers leave no process and no directory behind, also on failure.

Timings are printed (run with `-s` to see them).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from .pg_cluster import (
    PgBouncer,
    PgServer,
    lag_bytes,
    lag_seconds,
    pgbouncer,
    primary,
    process_alive,
    streaming_replica,
    wait_for_replay,
)


def _new_table(server: PgServer) -> str:
    name = f"t_{uuid.uuid4().hex[:12]}"
    server.fetch(f"CREATE TABLE {name} (id serial PRIMARY KEY, note text)")
    return name


def _count(server: PgServer, table: str) -> int:
    return int(server.scalar(f"SELECT count(*) FROM {table}"))


# --- streaming replica ----------------------------------------------------------------


def test_replica_serves_a_row_only_after_replication(
    pg_primary: PgServer, pg_replica: PgServer
) -> None:
    table = _new_table(pg_primary)
    wait_for_replay(pg_primary, pg_replica)

    pg_primary.fetch(f"INSERT INTO {table} (note) VALUES ('streamed')")
    streamed = wait_for_replay(pg_primary, pg_replica)
    assert pg_replica.fetch(f"SELECT note FROM {table}") == [("streamed",)]

    pg_replica.fetch("SELECT pg_wal_replay_pause()")
    try:
        pg_primary.fetch(f"INSERT INTO {table} (note) VALUES ('held back')")
        with pytest.raises(TimeoutError):
            wait_for_replay(pg_primary, pg_replica, timeout=0.5)
        assert _count(pg_replica, table) == 1
        assert lag_bytes(pg_primary, pg_replica) > 0
    finally:
        pg_replica.fetch("SELECT pg_wal_replay_resume()")
    resumed = wait_for_replay(pg_primary, pg_replica)
    assert _count(pg_replica, table) == 2
    # ~0 (the primary may write a little WAL of its own meanwhile)
    assert lag_bytes(pg_primary, pg_replica) < 16 * 1024
    assert lag_seconds(pg_replica) < 5
    print(
        f"\nreplayed in {streamed * 1000:.1f} ms; after resume {resumed * 1000:.1f} ms"
    )


def test_replica_is_read_only(pg_primary: PgServer, pg_replica: PgServer) -> None:
    table = _new_table(pg_primary)
    wait_for_replay(pg_primary, pg_replica)
    assert pg_replica.scalar("SELECT pg_is_in_recovery()") is True
    assert pg_primary.scalar("SELECT pg_is_in_recovery()") is False
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction, match="read-only"):
        pg_replica.fetch(f"INSERT INTO {table} (note) VALUES ('nope')")


def test_stopped_replica_refuses_connections_then_catches_up(
    pg_primary: PgServer, pg_replica: PgServer
) -> None:
    table = _new_table(pg_primary)
    wait_for_replay(pg_primary, pg_replica)
    old_port = pg_replica.port
    with pg_replica.stopped():
        assert not pg_replica.running
        with pytest.raises(psycopg.OperationalError, match="Connection refused"):
            pg_replica.connect()
        pg_primary.fetch(
            f"INSERT INTO {table} (note) SELECT 'down' FROM generate_series(1, 500)"
        )
        start_requested = time.monotonic()
    restart = time.monotonic() - start_requested
    assert pg_replica.running and pg_replica.port == old_port
    caught_up = wait_for_replay(pg_primary, pg_replica)
    assert _count(pg_replica, table) == 500
    print(f"\nreplica restart {restart:.2f} s, then caught up in {caught_up:.3f} s")


# --- PgBouncer, transaction pooling ---------------------------------------------------


def test_pgbouncer_carries_200_concurrent_transactions(
    pg_primary: PgServer, pg_bouncer: PgBouncer
) -> None:
    table = _new_table(pg_primary)

    async def one(n: int) -> int:
        async with await psycopg.AsyncConnection.connect(
            pg_bouncer.url, prepare_threshold=None, connect_timeout=10
        ) as conn:
            async with conn.transaction():
                await conn.execute(f"INSERT INTO {table} (note) VALUES (%s)", (str(n),))
                row = await (await conn.execute("SELECT pg_backend_pid()")).fetchone()
            assert row is not None
            return int(row[0])

    async def burst() -> list[int]:
        return await asyncio.gather(*(one(n) for n in range(200)))

    started = time.monotonic()
    backends = asyncio.run(burst())
    elapsed = time.monotonic() - started
    assert _count(pg_primary, table) == 200
    assert len(set(backends)) <= pg_bouncer.pool_size
    print(
        f"\n200 transactions through PgBouncer in {elapsed:.2f} s "
        f"on {len(set(backends))} server connections"
    )


# Each load: 20 clients (connections; for SQLAlchemy, transactions from one engine)
# running 25 rounds of small parameterised queries (3 distinct statements).
_CLIENTS, _ROUNDS = 20, 25

Query = Callable[[int], Awaitable[object]]


async def _in_lockstep(clients: list[Query]) -> Counter[str]:
    """In round i every client runs its query i at once, so that they share PgBouncer's
    few server connections however fast the machine is; errors by root cause."""
    errors: Counter[str] = Counter()

    async def run(query: Query, i: int) -> None:
        try:
            await query(i)
        except Exception as error:
            root: BaseException = error
            while root.__cause__ is not None:  # SQLAlchemy's wrapper -> the driver's
                root = root.__cause__
            errors[type(root).__name__] += 1

    for i in range(_ROUNDS):
        await asyncio.gather(*(run(query, i) for query in clients))
    return errors


async def _asyncpg_query(conn: asyncpg.Connection, i: int) -> object:
    return await conn.fetchval(f"SELECT $1::int + {i % 3}", i)


async def _asyncpg_load(url: str, **connect: Any) -> Counter[str]:
    conns = await asyncio.gather(
        *(asyncpg.connect(url, **connect) for _ in range(_CLIENTS))
    )
    try:
        return await _in_lockstep([partial(_asyncpg_query, conn) for conn in conns])
    finally:
        await asyncio.gather(*(conn.close() for conn in conns))


async def _sqlalchemy_query(engine: AsyncEngine, i: int) -> object:
    async with engine.begin() as conn:
        return await conn.scalar(text(f"SELECT CAST(:x AS int) + {i % 3}"), {"x": i})


async def _sqlalchemy_asyncpg_load(url: str, **connect: Any) -> Counter[str]:
    engine = create_async_engine(
        url.replace("postgresql://", "postgresql+asyncpg://"),
        connect_args=connect,
        pool_size=_CLIENTS,
    )
    try:
        return await _in_lockstep([partial(_sqlalchemy_query, engine)] * _CLIENTS)
    finally:
        await engine.dispose()


async def _psycopg_query(conn: psycopg.AsyncConnection[Any], i: int) -> object:
    return await (await conn.execute(f"SELECT %s::int + {i % 3}", (i,))).fetchone()


async def _psycopg_load(url: str, **connect: Any) -> Counter[str]:
    conns = await asyncio.gather(
        *(
            psycopg.AsyncConnection.connect(url, autocommit=True, **connect)
            for _ in range(_CLIENTS)
        )
    )
    try:
        return await _in_lockstep([partial(_psycopg_query, conn) for conn in conns])
    finally:
        await asyncio.gather(*(conn.close() for conn in conns))


async def _fill_pool(url: str, size: int) -> None:
    """Make PgBouncer open all `size` server connections of its pool (it opens them
    lazily) by holding `size` transactions at once. Otherwise a load on a busy machine
    may run on one server connection, where every prepared statement is found."""
    conns = [await psycopg.AsyncConnection.connect(url) for _ in range(size)]
    try:
        for conn in conns:  # each keeps its transaction, hence its server, open
            await conn.execute("SELECT 1")
    finally:
        for conn in conns:
            await conn.rollback()  # a server left mid-transaction would be closed
            await conn.close()


def _server_connections(bouncer: PgBouncer) -> int:
    pools = [pool for pool in bouncer.show("POOLS") if pool["database"] == "postgres"]
    return sum(
        pool[key] for pool in pools for key in ("sv_active", "sv_idle", "sv_used")
    )


_PREPARED_STATEMENT_ERRORS = {
    "InvalidSQLStatementNameError",  # asyncpg: prepared statement ... does not exist
    "DuplicatePreparedStatementError",  # asyncpg: ... already exists
    "InvalidSqlStatementName",  # psycopg
    "DuplicatePreparedStatement",
}

Load = Callable[..., Coroutine[Any, Any, Counter[str]]]


@pytest.mark.parametrize(
    ("load", "connect", "breaks"),
    [
        pytest.param(_asyncpg_load, {}, True, id="asyncpg-default-cache"),
        pytest.param(
            _asyncpg_load, {"statement_cache_size": 0}, False, id="asyncpg-no-cache"
        ),
        pytest.param(
            _sqlalchemy_asyncpg_load, {}, True, id="sqlalchemy-asyncpg-default"
        ),
        pytest.param(
            _sqlalchemy_asyncpg_load,
            {"statement_cache_size": 0, "prepared_statement_cache_size": 0},
            False,
            id="sqlalchemy-asyncpg-no-caches",
        ),
        pytest.param(_psycopg_load, {}, True, id="psycopg-default-prepare"),
        pytest.param(
            _psycopg_load, {"prepare_threshold": None}, False, id="psycopg-no-prepare"
        ),
    ],
)
def test_prepared_statements_behind_pgbouncer_transaction_mode(
    pg_bouncer: PgBouncer, load: Load, connect: dict[str, Any], breaks: bool
) -> None:
    asyncio.run(_fill_pool(pg_bouncer.url, pg_bouncer.pool_size))
    assert _server_connections(pg_bouncer) == pg_bouncer.pool_size
    errors = asyncio.run(load(pg_bouncer.url, **connect))
    print(
        f"\n{_CLIENTS * _ROUNDS} queries: {sum(errors.values())} errors {dict(errors)}"
    )
    if breaks:
        assert errors, "expected prepared-statement errors through PgBouncer"
        assert set(errors) <= _PREPARED_STATEMENT_ERRORS, errors
    else:
        assert not errors


# --- clean-up ------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    """The pids whose parent is `pid` (a postmaster's backends and workers)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            if f"\nPPid:\t{pid}\n" in status.read_text():
                found.append(int(status.parent.name))
        except OSError:
            continue
    return found


def test_context_managers_leave_nothing_behind_even_on_failure() -> None:
    main_pids: list[int] = []  # the postmasters and pgbouncer
    pids: list[int] = []  # and the postmasters' children
    dirs: list[Path] = []
    with (
        pytest.raises(RuntimeError, match="the test failed"),
        primary() as source,
        streaming_replica(source) as replica,
        pgbouncer(source) as bouncer,
    ):
        for pid in (source.pid, replica.pid, bouncer.pid):
            assert pid is not None and process_alive(pid)
            main_pids.append(pid)
        pids += [*main_pids, *_children(main_pids[0]), *_children(main_pids[1])]
        dirs += [source.data_dir.parent, replica.data_dir.parent, bouncer.root]
        assert all(map(Path.is_dir, dirs))
        raise RuntimeError("the test failed")
    assert len(pids) > 3  # postmasters, their workers, pgbouncer
    assert [pid for pid in pids if process_alive(pid)] == []
    assert [path for path in dirs if path.exists()] == []
