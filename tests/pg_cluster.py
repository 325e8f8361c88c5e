"""Throw-away PostgreSQL 15 on localhost: a primary, a streaming replica, PgBouncer.

For tests that need the real thing rather than a URL pointing at the same server:

- `primary()` runs `initdb` in a temporary directory and starts the cluster with
  `pg_ctl` on a free 127.0.0.1 port (trust auth, replication allowed, fsync off);
- `streaming_replica(primary)` takes a `pg_basebackup -R -X stream` of it and starts a
  hot standby on another free port;
- `pgbouncer(server)` runs PgBouncer in the foreground (a child process, not a daemon)
  in front of a server, in transaction pooling mode by default.

Each is a context manager that yields a handle (`PgServer` or `PgBouncer`, both with
`url`, `port`, `pid`, `stop()` and `start()`) and always stops what it started and
removes its directory on the way out, also when the body fails. A test can take a
server down for a while with `with server.stopped(): ...`; `bouncer.show("POOLS")`
reads PgBouncer's admin console.

`wait_for_replay(primary, replica)` waits until the replica has replayed everything the
primary has written so far; `lag_seconds(replica)` and `lag_bytes(primary, replica)`
measure how far behind it is.

PostgreSQL refuses to run as root: as root, every PostgreSQL and PgBouncer process
runs as the `postgres` OS user (directories are chowned to it); as another user, they
run as that user. When a binary or the `postgres` user is missing, the context managers
call `pytest.skip` and say which. The binaries are looked up in `$PG_BIN` (default
/usr/lib/postgresql/15/bin) and PgBouncer on `$PATH` or in /usr/sbin.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest

__all__ = [
    "PG_BIN",
    "PgBouncer",
    "PgServer",
    "lag_bytes",
    "lag_seconds",
    "pgbouncer",
    "primary",
    "process_alive",
    "streaming_replica",
    "wait_for_replay",
]

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))

_PRIMARY_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "wal_level": "replica",
    "max_wal_senders": "10",
    "wal_keep_size": "'256MB'",
    "hot_standby": "on",
    "fsync": "off",
    "full_page_writes": "off",
    "max_connections": "100",
    "shared_buffers": "'32MB'",
}

_HBA = """\
# TYPE  DATABASE     USER  ADDRESS       METHOD
local   all          all                 trust
local   replication  all                 trust
host    all          all   127.0.0.1/32  trust
host    replication  all   127.0.0.1/32  trust
"""

# What the drivers send at start-up that PgBouncer would otherwise refuse
# ("unsupported startup parameter"). NB: an ignored `options` is dropped, so
# `-c statement_timeout=...` passed that way does not reach the server.
_IGNORED_STARTUP_PARAMETERS = (
    "extra_float_digits,options,statement_timeout,search_path,"
    "idle_in_transaction_session_timeout,lock_timeout"
)


# --- processes, users, ports, directories ---------------------------------------------


def _owner() -> dict[str, Any]:
    """`subprocess` keywords running a child as the `postgres` user when we are root."""
    if os.geteuid() != 0:
        return {}
    try:
        entry = pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip(
            "running as root and there is no `postgres` OS user to run PostgreSQL"
        )
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _pg_tool(name: str) -> str:
    path = PG_BIN / name
    if not os.access(path, os.X_OK):
        pytest.skip(f"PostgreSQL tool {name} not found in {PG_BIN} (set PG_BIN)")
    return str(path)


def _pgbouncer_binary() -> str:
    found = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not os.access(found, os.X_OK):
        pytest.skip("pgbouncer is not installed (apt-get install pgbouncer)")
    return found


def _run(args: Sequence[str | Path], cwd: Path) -> None:
    """Run a PostgreSQL tool as the cluster's owner; fail with its output."""
    result = subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        **_owner(),
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(map(str, args))} exited {result.returncode}\n"
            f"{result.stdout}{result.stderr}"
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def process_alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie nobody reaped yet counts as gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return "\nState:\tZ" not in status


@contextlib.contextmanager
def _temp_dir(prefix: str) -> Iterator[Path]:
    """A fresh directory owned by the cluster's owner, removed afterwards."""
    owner = _owner()
    root = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        if owner:
            os.chown(root, owner["user"], owner["group"])
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _write(path: Path, text: str) -> None:
    path.write_text(text)
    owner = _owner()
    if owner:
        os.chown(path, owner["user"], owner["group"])


def _is_port_clash(log: str) -> bool:
    return "Address already in use" in log or "could not bind" in log


# --- PostgreSQL servers ---------------------------------------------------------------


@dataclass
class PgServer:
    """One PostgreSQL cluster (primary or standby) in `data_dir`, run by `pg_ctl`."""

    name: str
    data_dir: Path
    port: int
    log_file: Path

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def socket_dir(self) -> Path:
        return self.data_dir.parent

    @property
    def pid(self) -> int | None:
        """The postmaster's pid while it runs."""
        try:
            first_line = (self.data_dir / "postmaster.pid").read_text().split("\n")[0]
        except FileNotFoundError:
            return None
        pid = int(first_line)
        return pid if process_alive(pid) else None

    @property
    def running(self) -> bool:
        return self.pid is not None

    def start(self, timeout: float = 60) -> None:
        """Start the server on its port and wait until it accepts connections
        (read-only ones on a standby)."""
        try:
            _run(self._pg_ctl("start", "-w", "-t", str(int(timeout))), self.socket_dir)
        except RuntimeError:
            log = self.log_file.read_text() if self.log_file.exists() else ""
            raise RuntimeError(f"{self.name} did not start:\n{log}") from None

    def stop(self) -> None:
        """Stop the server (fast shutdown; immediate, then SIGKILL if that hangs)."""
        if not self.running:
            return
        for mode in ("fast", "immediate"):
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                _run(
                    self._pg_ctl("stop", "-m", mode, "-w", "-t", "20"), self.socket_dir
                )
                return
        pid = self.pid
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    @contextlib.contextmanager
    def stopped(self) -> Iterator[None]:
        """The server down for the duration of the block, started again afterwards."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    def connect(self, **kwargs: Any) -> psycopg.Connection[Any]:
        """An autocommit psycopg connection to the `postgres` database."""
        kwargs.setdefault("autocommit", True)
        kwargs.setdefault("connect_timeout", 5)
        return psycopg.connect(self.url, **kwargs)

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of one statement ([] if none), on a connection of its own."""
        with self.connect() as conn:
            cursor = conn.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.fetch(sql, params)[0][0]

    def _pg_ctl(self, *args: str) -> list[str | Path]:
        return [
            _pg_tool("pg_ctl"),
            *args,
            "-D",
            self.data_dir,
            "-l",
            self.log_file,
            "-o",
            f"-p {self.port} -k {self.socket_dir}",
        ]


@contextlib.contextmanager
def _running(server: PgServer) -> Iterator[PgServer]:
    """The server started (on another free port if its own was taken meanwhile; it
    keeps that port across `stop()`/`start()`), stopped afterwards."""
    try:
        for attempt in range(3):
            try:
                server.start()
                break
            except RuntimeError as error:
                if attempt == 2 or not _is_port_clash(str(error)):
                    raise
                server.port = free_port()
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def primary(settings: Mapping[str, str] | None = None) -> Iterator[PgServer]:
    """A fresh PostgreSQL cluster ready to be replicated; `settings` adds to (or
    overrides) its postgresql.conf (values as written there, e.g. `"'64MB'"`)."""
    initdb = _pg_tool("initdb")
    _pg_tool("pg_ctl")
    with _temp_dir("pg-primary-") as root:
        data_dir = root / "data"
        initdb_args: list[str | Path] = [initdb, "-D", data_dir, "-U", "postgres"]
        initdb_args += ["--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]
        _run([*initdb_args, "--no-sync", "--no-instructions"], root)
        _write(data_dir / "pg_hba.conf", _HBA)
        conf = {**_PRIMARY_SETTINGS, **(settings or {})}
        with (data_dir / "postgresql.conf").open("a") as postgresql_conf:
            postgresql_conf.write("\n# tests/pg_cluster.py\n")
            postgresql_conf.writelines(
                f"{key} = {value}\n" for key, value in conf.items()
            )
        server = PgServer("primary", data_dir, free_port(), root / "server.log")
        with _running(server):
            yield server


@contextlib.contextmanager
def streaming_replica(source: PgServer) -> Iterator[PgServer]:
    """A hot standby of `source`, streaming its WAL (`pg_basebackup -R -X stream`)."""
    basebackup = _pg_tool("pg_basebackup")
    with _temp_dir("pg-replica-") as root:
        data_dir = root / "data"
        source_args = ["-h", "127.0.0.1", "-p", str(source.port), "-U", "postgres"]
        stream_args = ["-R", "-X", "stream", "-c", "fast", "--no-sync"]
        _run([basebackup, *source_args, "-D", data_dir, *stream_args], root)
        server = PgServer("replica", data_dir, free_port(), root / "server.log")
        with _running(server):
            yield server


def wait_for_replay(source: PgServer, replica: PgServer, timeout: float = 10) -> float:
    """Wait until `replica` has replayed all WAL `source` has written so far; returns
    the seconds it took (TimeoutError after `timeout`)."""
    target = source.scalar("SELECT pg_current_wal_lsn()::text")
    started = time.monotonic()
    with replica.connect() as conn:
        while True:
            row = conn.execute(
                "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)
            ).fetchone()
            if row is not None and row[0]:
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                raise TimeoutError(
                    f"replica did not replay up to {target} in {timeout}s"
                )
            time.sleep(0.01)


def lag_seconds(replica: PgServer) -> float:
    """How old the last replayed transaction is, 0 when everything received is
    replayed (an idle primary does not make the replica look late)."""
    return float(
        replica.scalar(
            "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()"
            " THEN 0 ELSE coalesce(extract(epoch FROM"
            " now() - pg_last_xact_replay_timestamp()), 0) END"
        )
    )


def lag_bytes(source: PgServer, replica: PgServer) -> int:
    """Bytes of WAL written on `source` and not yet replayed on `replica`."""
    replayed = replica.scalar("SELECT pg_last_wal_replay_lsn()::text")
    return int(
        source.scalar("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s)", (replayed,))
    )


# --- PgBouncer ------------------------------------------------------------------------


@dataclass
class PgBouncer:
    """A PgBouncer child process with its own ini, pooling for one PostgreSQL server."""

    binary: str
    root: Path
    port: int
    pool_size: int
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def ini(self) -> Path:
        return self.root / "pgbouncer.ini"

    @property
    def log_file(self) -> Path:
        return self.root / "pgbouncer.log"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.running and self.process else None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 15) -> None:
        """Start PgBouncer and wait until a query through it succeeds."""
        if self.running:
            return
        with (self.root / "stderr.log").open("ab") as stderr:
            self.process = subprocess.Popen(
                [self.binary, str(self.ini)],
                cwd=self.root,
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=subprocess.STDOUT,
                **_owner(),
            )
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(psycopg.OperationalError):
                with psycopg.connect(self.url, connect_timeout=2, autocommit=True) as c:
                    c.execute("SELECT 1")
                return
            if not self.running or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"pgbouncer did not start:\n{self._logs()}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Immediate shutdown (SIGTERM), SIGKILL after 10 s."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def show(self, what: str) -> list[dict[str, Any]]:
        """Rows of the admin console's `SHOW <what>` (POOLS, SERVERS, CLIENTS...)."""
        admin_url = self.url.rsplit("/", 1)[0] + "/pgbouncer"
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(f"SHOW {what}")
            names = [column.name for column in cursor.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def _logs(self) -> str:
        return "".join(
            path.read_text(errors="replace")
            for path in (self.log_file, self.root / "stderr.log")
            if path.exists()
        )


def _pgbouncer_ini(
    root: Path, port: int, server: PgServer, pool_mode: str, pool_size: int, extra: str
) -> str:
    return f"""\
[databases]
* = host=127.0.0.1 port={server.port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir = {root}
logfile = {root / "pgbouncer.log"}
auth_type = trust
auth_file = {root / "userlist.txt"}
admin_users = postgres
pool_mode = {pool_mode}
max_client_conn = 1000
default_pool_size = {pool_size}
ignore_startup_parameters = {_IGNORED_STARTUP_PARAMETERS}
server_login_retry = 1
server_connect_timeout = 5
query_wait_timeout = 30
{extra}"""


@contextlib.contextmanager
def pgbouncer(
    server: PgServer,
    pool_mode: str = "transaction",
    *,
    pool_size: int = 5,
    settings: Mapping[str, str] | None = None,
) -> Iterator[PgBouncer]:
    """PgBouncer on a free port in front of `server` (any database name, user
    `postgres`, trust auth); `settings` adds lines to its [pgbouncer] section."""
    binary = _pgbouncer_binary()
    extra = "".join(f"{key} = {value}\n" for key, value in (settings or {}).items())
    with _temp_dir("pgbouncer-") as root:
        _write(root / "userlist.txt", '"postgres" ""\n')
        bouncer = PgBouncer(binary, root, 0, pool_size)
        try:
            for attempt in range(3):
                bouncer.port = free_port()
                _write(
                    bouncer.ini,
                    _pgbouncer_ini(
                        root, bouncer.port, server, pool_mode, pool_size, extra
                    ),
                )
                try:
                    bouncer.start()
                    break
                except RuntimeError as error:
                    if attempt == 2 or not _is_port_clash(str(error)):
                        raise
            yield bouncer
        finally:
            bouncer.stop()
