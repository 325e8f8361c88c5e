"""The generated app against its two baselines, under wrk, on the same tables."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url

from .common import (
    LUA_DIR,
    REPO_ROOT,
    cpu_seconds,
    free_port,
    log,
    median,
    pinned,
    rss_kib,
    run_checked,
    venv_script,
)
from .instructions import AppTarget, bench_instructions
from .instructions import ratios as instruction_ratios

SEED_USERS = 100
SEED_POSTS = 5_000
GET_ID = 2_500
POST_BODY = {
    "title": "A benchmark post",
    "body": "Written by wrk, deleted after the run.",
    "author_id": 1,
}
APPS = ("generated", "core", "raw")
APP_LABELS = {
    "generated": "generated app",
    "core": "FastAPI + SQLAlchemy Core",
    "raw": "raw driver + Starlette",
}


@dataclass(frozen=True)
class Endpoint:
    key: str
    label: str
    path: str
    script: str | None = None


ENDPOINTS = (
    Endpoint("list", "GET /posts?limit=20&offset=20", "/posts?limit=20&offset=20"),
    Endpoint("get", f"GET /posts/{GET_ID}", f"/posts/{GET_ID}"),
    Endpoint("create", "POST /posts", "/posts", "post.lua"),
)


@dataclass(frozen=True)
class Variant:
    key: str
    engine: str
    database: str
    raw_module: str
    driver: str

    @property
    def sync(self) -> bool:
        return self.engine == "sync"


VARIANTS = {
    "postgresql-async": Variant(
        "postgresql-async", "async", "postgresql", "raw_asyncpg", "postgresql+asyncpg"
    ),
    "postgresql-sync": Variant(
        "postgresql-sync", "sync", "postgresql", "raw_psycopg", "postgresql+psycopg"
    ),
    "mysql-async": Variant(
        "mysql-async", "async", "mysql", "raw_asyncmy", "mysql+asyncmy"
    ),
}


@dataclass
class Settings:
    duration: float
    warmup: float
    rounds: int
    connections: int
    memory_requests: int
    postgres_url: str
    mysql_url: str
    logs: Path
    variants: list[str] = field(default_factory=list)
    instructions_requests: int = 0  # callgrind runs of this many requests; 0: none


@dataclass
class WrkResult:
    rps: float
    requests: int
    errors: int
    p50_ms: float
    p99_ms: float
    server_cpu_us: float = float("nan")  # the server's CPU time per response
    # what the errors were, as wrk counts them: "non-2xx", "connect", "read",
    # "write", "timeout" (a response slower than wrk's 2 s timeout)
    error_kinds: dict[str, int] = field(default_factory=dict)


# --- wrk ---------------------------------------------------------------------


def ensure_wrk() -> str:
    """The wrk binary; installed with apt-get when missing and we are root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("wrk is missing: installing the Debian package (apt-get install wrk)")
        subprocess.run(["apt-get", "update", "-q"], check=False)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True)
        found = shutil.which("wrk")
        if found:
            return found
    raise SystemExit(
        "The app benchmarks need wrk (HTTP load generator): "
        "`sudo apt-get install wrk` (Debian/Ubuntu) or `brew install wrk`; "
        "or run with --skip-apps."
    )


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _latency_ms(text: str, percentile: str) -> float:
    match = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
    return float(match.group(1)) * _UNITS[match.group(2)] if match else float("nan")


_SOCKET_ERRORS = ("connect", "read", "write", "timeout")


def parse_wrk(text: str) -> WrkResult:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    total = re.search(r"(\d+) requests in", text)
    if rps is None or total is None:
        raise RuntimeError(f"cannot read wrk output:\n{text}")
    kinds: dict[str, int] = {}
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    if non_2xx:
        kinds["non-2xx"] = int(non_2xx.group(1))
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    if socket_errors:
        for kind, count in zip(_SOCKET_ERRORS, socket_errors.groups(), strict=True):
            kinds[kind] = int(count)
    kinds = {kind: count for kind, count in kinds.items() if count}
    return WrkResult(
        rps=float(rps.group(1)),
        requests=int(total.group(1)),
        errors=sum(kinds.values()),
        error_kinds=kinds,
        p50_ms=_latency_ms(text, "50"),
        p99_ms=_latency_ms(text, "99"),
    )


def run_wrk(
    base: str,
    endpoint: Endpoint,
    duration: float,
    connections: int,
    script: str | None = None,
    script_args: tuple[str, ...] = (),
) -> WrkResult:
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--latency",
    ]
    lua = script or endpoint.script
    if lua:
        command += ["-s", str(LUA_DIR / lua)]
    command.append(base + endpoint.path)
    if script_args:
        command += ["--", *script_args]
    completed = subprocess.run(
        pinned(1, command), capture_output=True, text=True, check=True
    )
    return parse_wrk(completed.stdout)


# --- databases -----------------------------------------------------------------


def _db_name() -> str:
    return f"fastapi_db_bench_{os.getpid()}"


@contextmanager
def database(variant: Variant, settings: Settings) -> Iterator[URL]:
    """A fresh database on the variant's server, dropped at the end."""
    name = _db_name()
    if variant.database == "postgresql":
        import psycopg

        admin = make_url(settings.postgres_url).set(drivername="postgresql")
        dsn = admin.render_as_string(hide_password=False)
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
        try:
            yield admin.set(database=name)
        finally:
            with psycopg.connect(dsn, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        admin = make_url(settings.mysql_url).set(drivername="mysql")
        with _mysql(admin) as connection, connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
            cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        try:
            yield admin.set(database=name)
        finally:
            with _mysql(admin) as connection, connection.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")


@contextmanager
def _mysql(url: URL, database_name: str | None = None) -> Iterator[Any]:
    import pymysql  # type: ignore[import-untyped]

    connection = pymysql.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 3306,
        user=url.username or "root",
        password=url.password or "",
        database=database_name,
        charset="utf8mb4",
        autocommit=True,
        init_command="SET time_zone = '+00:00'",
    )
    try:
        yield connection
    finally:
        connection.close()


def _sql(variant: Variant, url: URL, statements: list[str]) -> None:
    if variant.database == "postgresql":
        import psycopg

        with psycopg.connect(
            url.render_as_string(hide_password=False), autocommit=True
        ) as connection:
            for statement in statements:
                connection.execute(statement)
    else:
        with _mysql(url, url.database) as connection, connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def seed(variant: Variant, url: URL) -> None:
    body = "lorem ipsum dolor sit amet " * 8
    users = ", ".join(f"('user {n}')" for n in range(1, SEED_USERS + 1))
    posts = ", ".join(
        f"('Post number {n}', '{body}', {1 + n % SEED_USERS})"
        for n in range(1, SEED_POSTS + 1)
    )
    analyze = "ANALYZE" if variant.database == "postgresql" else "ANALYZE TABLE users"
    statements = [
        f"INSERT INTO users (name) VALUES {users}",
        f"INSERT INTO posts (title, body, author_id) VALUES {posts}",
        analyze,
    ]
    if variant.database != "postgresql":
        statements.append("ANALYZE TABLE posts")
    _sql(variant, url, statements)


def reset(variant: Variant, url: URL) -> None:
    """Remove what the POST runs added, so each app sees the same table."""
    _sql(variant, url, [f"DELETE FROM posts WHERE id > {SEED_POSTS}"])


# --- the generated project ---------------------------------------------------


def generate(variant: Variant, workdir: Path) -> Path:
    exe = venv_script("fastapi-db")
    run_checked(
        [
            exe,
            "new",
            "bench",
            "--engine",
            variant.engine,
            "--database",
            variant.database,
            "--yes",
        ],
        cwd=workdir,
    )
    project = workdir / "bench"
    run_checked([exe, "add-model", "User", "name:str(80)"], cwd=project)
    run_checked(
        [exe, "add-model", "Post", "title:str(200)", "body:text", "author:User"],
        cwd=project,
    )
    return project


def migrate(project: Path, url: URL) -> None:
    env = {**os.environ, "DATABASE_URL": url.render_as_string(hide_password=False)}
    run_checked([sys.executable, "-m", "alembic", "upgrade", "head"], project, env)


# --- servers -------------------------------------------------------------------


@dataclass
class Server:
    name: str
    base: str
    pid: int


def _get(url: str, timeout: float = 5.0) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, None


def _post(url: str, body: dict[str, Any]) -> tuple[int, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=5.0) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, None


def app_target(
    app: str, variant: Variant, project: Path, url: URL
) -> tuple[str, Path, dict[str, str]]:
    """`module:attribute` of `app`, the directory to import it from, its environment."""
    env = dict(os.environ)
    if app == "generated":
        env["DATABASE_URL"] = url.render_as_string(hide_password=False)
        return "bench.main:app", project, env
    module = variant.raw_module if app == "raw" else "core"
    driver_url = url.set(drivername=variant.driver)
    env["BENCH_DATABASE_URL"] = driver_url.render_as_string(hide_password=False)
    env["BENCH_SYNC"] = "1" if variant.sync else "0"
    return f"benchmarks.baselines.{module}:app", REPO_ROOT, env


@contextmanager
def serve(
    app: str, variant: Variant, project: Path, url: URL, logs: Path
) -> Iterator[Server]:
    """One uvicorn worker pinned to core 0 serving `app`; stopped at the end."""
    port = free_port()
    target, cwd, env = app_target(app, variant, project, url)
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        target,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"{variant.key}-{app}.log"
    with log_path.open("a") as log_file:
        process = subprocess.Popen(
            pinned(0, command),
            cwd=cwd,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    raise SystemExit(
                        f"{app} server exited ({process.returncode}); see {log_path}"
                    )
                try:
                    status, _ = _get(f"{base}/posts/1", timeout=2)
                    if status == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit(f"{app} server did not start; see {log_path}")
                time.sleep(0.2)
            yield Server(app, base, process.pid)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# --- response shapes -----------------------------------------------------------


def key_tree(value: Any) -> Any:
    """The keys of a JSON value, recursively (lists by their first item)."""
    if isinstance(value, dict):
        return {key: key_tree(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        return [key_tree(value[0])] if value else []
    return type(value).__name__


def sample_responses(server: Server) -> dict[str, Any]:
    samples: dict[str, Any] = {}
    for endpoint in ENDPOINTS:
        if endpoint.key == "create":
            status, body = _post(server.base + endpoint.path, POST_BODY)
            expected = 201
        else:
            status, body = _get(server.base + endpoint.path)
            expected = 200
        if status != expected:
            raise SystemExit(
                f"{server.name}: {endpoint.label} answered {status}, not {expected}"
            )
        samples[endpoint.key] = body
    return samples


def first_difference(ours: Any, theirs: Any, path: str = "") -> str | None:
    """Where two JSON values first differ, as `path: ours != theirs`."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        for key in ours:
            found = first_difference(ours[key], theirs.get(key), f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(ours, list) and isinstance(theirs, list):
        if len(ours) != len(theirs):
            return f"{path}: {len(ours)} != {len(theirs)} items"
        for index, (mine, other) in enumerate(zip(ours, theirs, strict=True)):
            found = first_difference(mine, other, f"{path}[{index}]")
            if found:
                return found
        return None
    return None if ours == theirs else f"{path}: {ours!r} != {theirs!r}"


def compare_shapes(samples: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Every baseline must answer with the generated app's keys; values are noted."""
    verdicts: dict[str, str] = {}
    reference = samples["generated"]
    for app, bodies in samples.items():
        if app == "generated":
            continue
        notes = []
        for endpoint in ENDPOINTS:
            ours, theirs = reference[endpoint.key], bodies[endpoint.key]
            if key_tree(ours) != key_tree(theirs):
                raise SystemExit(
                    f"{app}: {endpoint.label} has another shape than the generated"
                    f" app's:\n  generated: {key_tree(ours)}\n  {app}: "
                    f"{key_tree(theirs)}"
                )
            if endpoint.key != "create" and ours != theirs:
                where = first_difference(ours, theirs)
                notes.append(f"{endpoint.key}: same keys, values differ at {where}")
        verdicts[app] = "; ".join(notes) or "same keys; GET bodies identical"
    return verdicts


# --- the measurement -----------------------------------------------------------


def _warm(server: Server, settings: Settings) -> None:
    for endpoint in ENDPOINTS[:2]:
        run_wrk(server.base, endpoint, settings.warmup, settings.connections)


def _measure(server: Server, settings: Settings) -> dict[str, WrkResult]:
    """Each endpoint under wrk, with the server's CPU time per response: unlike
    req/s, that hardly moves when other work shares the machine."""
    results = {}
    for endpoint in ENDPOINTS:
        before = cpu_seconds(server.pid)
        result = run_wrk(server.base, endpoint, settings.duration, settings.connections)
        used = cpu_seconds(server.pid) - before
        result.server_cpu_us = used * 1e6 / max(result.requests, 1)
        results[endpoint.key] = result
    return results


def _send(server: Server, settings: Settings, count: int) -> None:
    """At least `count` requests to the list endpoint.

    wrk always runs for its whole duration (`count.lua` only stops sending), so
    each run is sized from the throughput measured last (a 1 s probe first), at
    most 10 s (a slow probe on a loaded machine must not idle for minutes), and
    runs repeat until `count` responses have come back.
    """
    endpoint = ENDPOINTS[0]
    probe = run_wrk(server.base, endpoint, 1, settings.connections)
    remaining = count - probe.requests
    rate = max(probe.rps, 1.0)
    while remaining > 0:
        seconds = min(10, int(remaining / rate * 1.3) + 1)
        result = run_wrk(
            server.base,
            endpoint,
            seconds,
            settings.connections,
            script="count.lua",
            script_args=(str(remaining),),
        )
        if result.requests == 0:
            raise SystemExit(f"{server.name}: no responses during the memory run")
        remaining -= result.requests
        rate = max(result.requests / seconds, 1.0)


def _memory(server: Server, settings: Settings) -> dict[str, float]:
    """VmRSS after warm-up, after the first fifth of the requests (2,000 of 10,000)
    and after all of them: what grows between the last two readings grows with
    the number of requests."""
    early = max(1, settings.memory_requests // 5)
    _send(server, settings, 1000)
    warm = rss_kib(server.pid)
    _send(server, settings, early)
    middle = rss_kib(server.pid)
    _send(server, settings, settings.memory_requests - early)
    end = rss_kib(server.pid)
    return {
        "warm_mib": warm / 1024,
        "early_mib": middle / 1024,
        "end_mib": end / 1024,
        "early_requests": early,
        "requests": settings.memory_requests,
    }


def bench_variant(variant: Variant, settings: Settings) -> dict[str, Any]:
    log(f"{variant.key}: generating the project")
    runs: dict[str, dict[str, list[WrkResult]]] = {
        endpoint.key: {app: [] for app in APPS} for endpoint in ENDPOINTS
    }
    memory: dict[str, dict[str, float]] = {}
    samples: dict[str, dict[str, Any]] = {}
    with (
        tempfile.TemporaryDirectory(prefix="fastapi-db-bench-app-") as tmp,
        database(variant, settings) as url,
    ):
        project = generate(variant, Path(tmp))
        migrate(project, url)
        seed(variant, url)
        log(f"{variant.key}: {SEED_POSTS} posts of {SEED_USERS} users seeded")
        for round_index in range(settings.rounds):
            order = APPS if round_index % 2 == 0 else tuple(reversed(APPS))
            for app in order:
                reset(variant, url)  # the previous server has finished its requests
                with serve(app, variant, project, url, settings.logs) as server:
                    if app not in samples:
                        samples[app] = sample_responses(server)
                        reset(variant, url)
                    _warm(server, settings)
                    results = _measure(server, settings)
                for key, result in results.items():
                    runs[key][app].append(result)
                summary = ", ".join(f"{k} {r.rps:.0f}" for k, r in results.items())
                log(f"{variant.key} round {round_index + 1} {app}: {summary} req/s")
        reset(variant, url)
        samples_path = settings.logs / f"{variant.key}-samples.json"
        samples_path.write_text(json.dumps(samples, indent=2))
        shapes = compare_shapes(samples)
        if settings.memory_requests > 0:
            for app in APPS:
                with serve(app, variant, project, url, settings.logs) as server:
                    memory[app] = _memory(server, settings)
                log(f"{variant.key} memory {app}: {memory[app]}")
        instructions: dict[str, dict[str, float]] = {}
        if settings.instructions_requests > 0:
            log(f"{variant.key}: instructions per request under callgrind")
            targets = [
                AppTarget(app, *app_target(app, variant, project, url)) for app in APPS
            ]
            instructions = bench_instructions(targets, settings.instructions_requests)
    summarized = _summarize(variant, runs, memory, shapes)
    if instructions:
        summarized["instructions"] = {
            "per_request": instructions,
            "ratios": instruction_ratios(instructions),
            "requests": settings.instructions_requests,
        }
    return summarized


def _summarize(
    variant: Variant,
    runs: dict[str, dict[str, list[WrkResult]]],
    memory: dict[str, dict[str, float]],
    shapes: dict[str, str],
) -> dict[str, Any]:
    endpoints: dict[str, Any] = {}
    for endpoint in ENDPOINTS:
        per_app: dict[str, Any] = {}
        for app in APPS:
            results = runs[endpoint.key][app]
            per_app[app] = {
                "rps": [r.rps for r in results],
                "median_rps": median([r.rps for r in results]),
                "p50_ms": median([r.p50_ms for r in results]),
                "p99_ms": median([r.p99_ms for r in results]),
                "cpu_us": median([r.server_cpu_us for r in results]),
                "errors": sum(r.errors for r in results),
                "error_kinds": dict(
                    sum((Counter(r.error_kinds) for r in results), Counter())
                ),
                "requests": sum(r.requests for r in results),
            }
        generated = per_app["generated"]["median_rps"]
        endpoints[endpoint.key] = {
            "label": endpoint.label,
            "apps": per_app,
            "generated_vs_raw": generated / per_app["raw"]["median_rps"],
            "generated_vs_core": generated / per_app["core"]["median_rps"],
            # the same ratios from CPU time per response (higher is better, too)
            "cpu_generated_vs_raw": per_app["raw"]["cpu_us"]
            / per_app["generated"]["cpu_us"],
            "cpu_generated_vs_core": per_app["core"]["cpu_us"]
            / per_app["generated"]["cpu_us"],
        }
    for figures in memory.values():
        late = figures["end_mib"] - figures["early_mib"]
        figures["growth_mib"] = figures["end_mib"] - figures["warm_mib"]
        figures["late_growth_mib"] = late
        figures["grows"] = late > 1.0
        figures["vs_raw"] = figures["end_mib"] / memory["raw"]["end_mib"]
    return {
        "variant": variant.key,
        "engine": variant.engine,
        "database": variant.database,
        "endpoints": endpoints,
        "memory": memory,
        "shapes": shapes,
    }
