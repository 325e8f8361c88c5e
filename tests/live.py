"""A generated project's app served for real: uvicorn in a subprocess on a fresh DB.

`serve(project, combination, tmp_path)` migrates a fresh database (PostgreSQL/MariaDB
through the combination's server, or a SQLite file), starts `uvicorn <pkg>.main:app`
(or another server command, e.g. `fastapi run`) on a free port with the current
interpreter, waits for `/health`, yields a `LiveApp` and stops the server afterwards.
Tests talk to it over HTTP, as clients would.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx2

from .matrix import Combination, fresh_database, output_of, project_env, run_in_project


@dataclass(frozen=True)
class LiveApp:
    base_url: str
    database_url: str
    process: subprocess.Popen[str]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_ready(base_url: str, path: str = "/health", timeout: float = 30) -> None:
    """Until `path` answers 200 (`/health` needs the database; `/openapi.json` not)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx2.get(f"{base_url}{path}", timeout=2).status_code == 200:
                return
        except httpx2.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{base_url}{path} did not answer 200 in {timeout}s")
        time.sleep(0.1)


@contextlib.contextmanager
def start_server(
    project: Path,
    package: str,
    database_url: str,
    ready_path: str = "/health",
    app: str | None = None,
    command: Sequence[str] | None = None,
    **settings: str,
) -> Iterator[LiveApp]:
    """uvicorn serving the project's app (or `app`, a `module:attribute`) against
    `database_url` (already migrated), once `ready_path` answers 200. `command`, the
    arguments of `python -m` (e.g. `fastapi run --host 127.0.0.1`), replaces
    `uvicorn APP`; `--port` follows either."""
    port = free_port()
    env = project_env(DATABASE_URL=database_url, **settings)
    log = project / f"uvicorn-{port}.log"
    server = list(command) if command else ["uvicorn", app or f"{package}.main:app"]
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", *server, "--port", str(port)],
            cwd=project,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            try:
                wait_until_ready(base_url, ready_path)
            except TimeoutError as exc:
                raise AssertionError(f"{exc}\n{log.read_text()}") from None
            yield LiveApp(base_url, database_url, process)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@contextlib.contextmanager
def serve(
    project: Path,
    combination: Combination,
    tmp_path: Path,
    command: Sequence[str] | None = None,
    **settings: str,
) -> Iterator[LiveApp]:
    """A fresh migrated database and the app serving it (`command`: see
    `start_server`)."""
    with fresh_database(combination, tmp_path) as url:
        migrate = run_in_project(
            project, "alembic", "upgrade", "head", env=project_env(DATABASE_URL=url)
        )
        assert migrate.returncode == 0, output_of(migrate)
        with start_server(
            project, combination.project_name, url, command=command, **settings
        ) as app:
            yield app
