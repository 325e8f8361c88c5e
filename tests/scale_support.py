"""Helpers of the scale-out tests (replica, workers, deadlocks): requests sent at once
with their headers, status summaries, and throw-away databases on a `PgServer`."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import psycopg
from sqlalchemy import make_url

from .matrix import Combination, output_of, project_env, run_in_project
from .pg_cluster import PgServer

CLIENT_TIMEOUT = 60.0

Request = tuple[str, str, Any]


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    headers: dict[str, str]
    seconds: float


async def _send(client: httpx2.AsyncClient, method: str, path: str, body: Any) -> Reply:
    started = time.monotonic()
    response = await client.request(method, path, json=body)
    try:
        content = response.json()
    except ValueError:
        content = response.text
    headers = {key.lower(): value for key, value in response.headers.items()}
    return Reply(response.status_code, content, headers, time.monotonic() - started)


def send_all(base_url: str, requests: list[Request]) -> list[Reply]:
    """Send every (method, path, body) at once; the replies, in order."""

    async def run() -> list[Reply]:
        limits = httpx2.Limits(max_connections=len(requests) + 1)
        async with httpx2.AsyncClient(
            base_url=base_url, timeout=CLIENT_TIMEOUT, limits=limits
        ) as client:
            return list(await asyncio.gather(*(_send(client, *r) for r in requests)))

    return asyncio.run(run())


def send(base_url: str, method: str, path: str, body: Any = None) -> Reply:
    return send_all(base_url, [(method, path, body)])[0]


def counts(replies: list[Reply]) -> dict[int, int]:
    return dict(sorted(Counter(reply.status for reply in replies).items()))


def summary(replies: list[Reply], seconds: float | None = None) -> str:
    """`N requests [in Xs] (slowest Ys): {status: count}`."""
    took = f" in {seconds:.2f}s" if seconds is not None else ""
    slowest = max((reply.seconds for reply in replies), default=0.0)
    return f"{len(replies)} requests{took} (slowest {slowest:.2f}s): {counts(replies)}"


def report(combination: Combination, message: str) -> None:
    print(f"\n[{combination.id}] {message}")


def url_of(base: str, database: str) -> str:
    return make_url(base).set(database=database).render_as_string(hide_password=False)


@contextlib.contextmanager
def database_on(server: PgServer) -> Iterator[str]:
    """A new database on `server` (its name), dropped afterwards."""
    name = f"fdb_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server.url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield name
    finally:
        with psycopg.connect(server.url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def migrate(project: Path, url: str) -> None:
    result = run_in_project(
        project, "alembic", "upgrade", "head", env=project_env(DATABASE_URL=url)
    )
    assert result.returncode == 0, output_of(result)


def server_log(base_url: str, project: Path) -> Path:
    """The log file `live.start_server` writes for the server at `base_url`."""
    return project / f"uvicorn-{base_url.rsplit(':', 1)[1]}.log"
