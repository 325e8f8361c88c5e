"""The generated app under races, commit-time failures, pool pressure and outages.

Real PostgreSQL and MariaDB servers (TEST_POSTGRES_URL / TEST_MYSQL_URL), the app
served by uvicorn in a subprocess and driven over HTTP, async and sync engines:

- races: concurrent creates of one unique value give one 201 and 409s; concurrent
  updates never mix rows; deleting a referenced row is a 409, also mid-race;
- no lost writes: a commit that fails at COMMIT time (a deferred constraint trigger
  on PostgreSQL) never reaches the client as a success, and nothing is stored;
- pool: a burst larger than pool_size + max_overflow gets 2xx or 503 (after
  pool_timeout), never a 500 or a hang; no connection leaks afterwards;
- faults: through a TCP proxy that the test cuts and restores, the app answers 503
  quickly while the database is away and recovers without a restart.

Timings are printed (run with `-s` to see them); the only time bounds asserted are the
generous ones of "within a few seconds".
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import Connection, Engine, create_engine, make_url, text
from sqlalchemy.pool import NullPool

from fastapi_db_scaffold.choices import SYNC_SERVER_DRIVERS

from .live import LiveApp, free_port, serve
from .matrix import (
    Combination,
    fresh_database,
    output_of,
    project_env,
    run_in_project,
    server_url_or_skip,
)
from .tcp_proxy import TcpProxy

Generate = Callable[[Combination], Path]

# The server combinations, repository on for one engine of each database.
SERVER_COMBINATIONS = [
    Combination("async", "postgresql", repository=True),
    Combination("sync", "postgresql", repository=False),
    Combination("async", "mysql", repository=False),
    Combination("sync", "mysql", repository=True),
]
DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}
UNAVAILABLE = {"detail": "Database unavailable, try again later"}
CLIENT_TIMEOUT = 30.0


def _params(database: str | None = None) -> list[pytest.param]:  # type: ignore[valid-type]
    return [
        pytest.param(c, id=c.id, marks=pytest.mark.xdist_group(c.id))
        for c in SERVER_COMBINATIONS
        if database is None or c.database == database
    ]


def _report(combination: Combination, message: str) -> None:
    print(f"\n[{combination.id}] {message}")


# --- direct access to the database (not through the app) ---------------------------


def _engine(url: str) -> Engine:
    """A sync, autocommit, unpooled engine on `url` (any driver in it is replaced)."""
    parsed = make_url(url)
    parsed = parsed.set(drivername=SYNC_SERVER_DRIVERS[parsed.get_backend_name()])
    return create_engine(parsed, poolclass=NullPool, isolation_level="AUTOCOMMIT")


@contextlib.contextmanager
def _connection(url: str) -> Iterator[Connection]:
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def _scalar(url: str, sql: str, **params: Any) -> Any:
    with _connection(url) as connection:
        return connection.execute(text(sql), params).scalar()


def app_connections(combination: Combination, database_url: str) -> list[str]:
    """The server's view of the connections to the app's database: their states."""
    server_url = server_url_or_skip(combination)
    assert server_url is not None
    name = make_url(database_url).database
    if combination.database == "postgresql":
        sql = (
            "SELECT coalesce(state, '') FROM pg_stat_activity "
            "WHERE datname = :name AND pid <> pg_backend_pid()"
        )
    else:
        sql = (
            "SELECT command FROM information_schema.processlist "
            "WHERE db = :name AND id <> connection_id()"
        )
    with _connection(server_url) as connection:
        return [str(row[0]) for row in connection.execute(text(sql), {"name": name})]


def settled_connections(
    combination: Combination, database_url: str, limit: int, timeout: float = 5
) -> list[str]:
    """The app's connections once it is idle: at most `limit`, none in a transaction.

    Sessions are closed after the response has gone out, so give them a moment.
    """
    deadline = time.monotonic() + timeout
    while True:
        states = app_connections(combination, database_url)
        busy = [s for s in states if s not in {"idle", "Sleep"}]
        if (len(states) <= limit and not busy) or time.monotonic() > deadline:
            return states
        time.sleep(0.1)


@contextlib.contextmanager
def users_locked(combination: Combination, database_url: str) -> Iterator[None]:
    """The `users` table locked against reads and writes by another session."""
    engine = _engine(database_url).execution_options(isolation_level="READ COMMITTED")
    try:
        with engine.connect() as connection:
            if combination.database == "postgresql":
                connection.exec_driver_sql("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
                yield
                connection.rollback()
            else:
                connection.exec_driver_sql("LOCK TABLES users WRITE")
                yield
                connection.exec_driver_sql("UNLOCK TABLES")
    finally:
        engine.dispose()


# --- the app -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_app(
    generated_project: Generate, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[Combination], LiveApp]]:
    """One app per combination (default settings) for the tests that share it."""
    with contextlib.ExitStack() as stack:
        apps: dict[Combination, LiveApp] = {}

        def get(combination: Combination) -> LiveApp:
            if combination not in apps:
                server_url_or_skip(
                    combination
                )  # skips when the server is not configured
                project = generated_project(combination)
                tmp = tmp_path_factory.mktemp(combination.id)
                apps[combination] = stack.enter_context(
                    serve(project, combination, tmp)
                )
            return apps[combination]

        yield get


@contextlib.contextmanager
def migrated_database(
    project: Path, combination: Combination, tmp_path: Path
) -> Iterator[str]:
    with fresh_database(combination, tmp_path) as url:
        env = project_env(DATABASE_URL=url)
        migrate = run_in_project(project, "alembic", "upgrade", "head", env=env)
        assert migrate.returncode == 0, output_of(migrate)
        yield url


@contextlib.contextmanager
def launch(
    project: Path, package: str, database_url: str, **settings: str
) -> Iterator[str]:
    """uvicorn serving the app, whether or not its database answers: the base URL.

    Unlike `live.start_server`, waits for /health to answer at all (200 or 503):
    the app must start, and serve 503s, while its database is away.
    """
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = project / f"uvicorn-{port}.log"
    command = [sys.executable, "-m", "uvicorn", f"{package}.main:app"]
    env = project_env(DATABASE_URL=database_url, **settings)
    with log.open("w") as output:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            cwd=project,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx2.get(f"{base_url}/health", timeout=15)
                    break
                except httpx2.HTTPError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"the app did not start\n{log.read_text()}")
                time.sleep(0.1)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def log_of(project: Path, base_url: str) -> str:
    port = base_url.rsplit(":", 1)[1]
    return (project / f"uvicorn-{port}.log").read_text()[-4000:]


@dataclass(frozen=True)
class Answer:
    status: int
    seconds: float
    body: Any


async def _send(
    client: httpx2.AsyncClient, method: str, path: str, body: Any = None
) -> Answer:
    start = time.monotonic()
    response = await client.request(method, path, json=body)
    try:
        content = response.json()
    except ValueError:
        content = response.text
    return Answer(response.status_code, time.monotonic() - start, content)


def concurrently(base_url: str, requests: list[tuple[str, str, Any]]) -> list[Answer]:
    """Send all the (method, path, body) requests at once; their answers, in order."""

    async def run() -> list[Answer]:
        limits = httpx2.Limits(max_connections=len(requests) + 1)
        async with httpx2.AsyncClient(
            base_url=base_url, timeout=CLIENT_TIMEOUT, limits=limits
        ) as client:
            return list(await asyncio.gather(*(_send(client, *r) for r in requests)))

    return asyncio.run(run())


def call(base_url: str, method: str, path: str, body: Any = None) -> Answer:
    return concurrently(base_url, [(method, path, body)])[0]


def statuses(answers: list[Answer]) -> Counter[int]:
    return Counter(answer.status for answer in answers)


def new_user(base_url: str, email: str, name: str = "someone") -> dict[str, Any]:
    answer = call(base_url, "POST", "/users", {"email": email, "name": name})
    assert answer.status == 201, answer
    user: dict[str, Any] = answer.body
    return user


# --- races ---------------------------------------------------------------------------


@pytest.mark.parametrize("combination", _params())
def test_concurrent_creates_of_one_unique_value(
    shared_app: Callable[[Combination], LiveApp], combination: Combination
) -> None:
    app = shared_app(combination)
    totals: Counter[int] = Counter()
    for round_ in range(3):
        email = f"race-{round_}@example.com"
        answers = concurrently(
            app.base_url,
            [
                ("POST", "/users", {"email": email, "name": f"racer {i}"})
                for i in range(20)
            ],
        )
        totals += statuses(answers)
        assert statuses(answers) == {201: 1, 409: 19}, answers
        for answer in answers:
            if answer.status == 409:
                assert "email" in answer.body["detail"], answer
        (winner,) = [a.body for a in answers if a.status == 201]
        rows = call(app.base_url, "GET", f"/users?email={email}").body
        assert rows["total"] == 1 and rows["items"][0]["name"] == winner["name"]
    _report(combination, f"60 racing creates of 3 emails: {dict(totals)}")


@pytest.mark.parametrize("combination", _params())
def test_concurrent_updates_never_mix_rows(
    shared_app: Callable[[Combination], LiveApp], combination: Combination
) -> None:
    app = shared_app(combination)
    user = new_user(app.base_url, "update-race@example.com", "original")
    sets = [
        {
            "email": f"update-race-{i}@example.com",
            "name": f"name {i}",
            "bio": f"bio {i}",
        }
        for i in range(20)
    ]
    answers = concurrently(
        app.base_url, [("PATCH", f"/users/{user['id']}", s) for s in sets]
    )
    assert statuses(answers) == {200: 20}, answers
    fields = ("email", "name", "bio")

    def values(row: dict[str, Any]) -> dict[str, Any]:
        return {field: row[field] for field in fields}

    for answer in answers:  # each answer is one whole set, never a mix
        assert values(answer.body) in sets, answer
    final = values(call(app.base_url, "GET", f"/users/{user['id']}").body)
    assert final in sets

    # Partial updates of different fields at once: none overwrites the other's field.
    partial: list[tuple[str, str, Any]] = []
    for i in range(10):
        partial.append(("PATCH", f"/users/{user['id']}", {"name": f"only name {i}"}))
        partial.append(("PATCH", f"/users/{user['id']}", {"bio": f"only bio {i}"}))
    assert statuses(concurrently(app.base_url, partial)) == {200: 20}
    row = call(app.base_url, "GET", f"/users/{user['id']}").body
    assert row["name"] in {f"only name {i}" for i in range(10)}, row
    assert row["bio"] in {f"only bio {i}" for i in range(10)}, row
    assert row["email"] == final["email"], row
    _report(combination, "20 racing full PATCHes: 20 x 200, final row one whole set")


@pytest.mark.parametrize("combination", _params())
def test_deleting_a_referenced_row_is_a_conflict(
    shared_app: Callable[[Combination], LiveApp], combination: Combination
) -> None:
    app = shared_app(combination)
    customer = new_user(app.base_url, "customer@example.com")
    order = {"number": 1, "customer_id": customer["id"], "total": "9.99"}
    assert call(app.base_url, "POST", "/orders", order).status == 201

    answer = call(app.base_url, "DELETE", f"/users/{customer['id']}")
    assert answer.status == 409, answer
    assert "reference" in answer.body["detail"], answer
    assert call(app.base_url, "GET", f"/users/{customer['id']}").status == 200

    # DELETE racing with creates of orders that reference the row.
    outcomes: Counter[str] = Counter()
    for round_ in range(5):
        victim = new_user(app.base_url, f"victim-{round_}@example.com")
        requests: list[tuple[str, str, Any]] = [
            (
                "POST",
                "/orders",
                {
                    "number": 1000 + 100 * round_ + i,
                    "customer_id": victim["id"],
                    "total": "1.00",
                },
            )
            for i in range(10)
        ]
        requests.insert(5, ("DELETE", f"/users/{victim['id']}", None))
        answers = concurrently(app.base_url, requests)
        delete = answers.pop(5)
        creates = statuses(answers)
        assert delete.status in {204, 409}, delete
        assert set(creates) <= {201, 422}, answers
        still_there = call(app.base_url, "GET", f"/users/{victim['id']}").status
        if delete.status == 204:
            assert creates[201] == 0 and still_there == 404, answers
        else:
            assert creates[201] >= 1 and still_there == 200, answers
        orders = call(app.base_url, "GET", f"/orders?customer_id={victim['id']}")
        assert orders.body["total"] == creates[201]
        outcomes[f"DELETE {delete.status} / {dict(creates)}"] += 1
    _report(combination, f"DELETE vs 10 order creates, 5 rounds: {dict(outcomes)}")


# --- no lost writes ------------------------------------------------------------------

REJECT_AT_COMMIT = [
    """
    CREATE OR REPLACE FUNCTION reject_at_commit() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.name = 'fail at commit' THEN
            RAISE EXCEPTION 'rejected at commit' USING ERRCODE = 'check_violation';
        ELSIF NEW.name = 'crash at commit' THEN
            RAISE EXCEPTION 'crashed at commit';
        END IF;
        RETURN NULL;
    END
    $$
    """,
    "DROP TRIGGER IF EXISTS users_reject_at_commit ON users",
    """
    CREATE CONSTRAINT TRIGGER users_reject_at_commit
    AFTER INSERT OR UPDATE ON users
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION reject_at_commit()
    """,
]


@pytest.mark.parametrize("combination", _params("postgresql"))
def test_a_commit_that_fails_is_never_a_success(
    shared_app: Callable[[Combination], LiveApp], combination: Combination
) -> None:
    app = shared_app(combination)
    with _connection(app.database_url) as connection:
        for statement in REJECT_AT_COMMIT:
            connection.exec_driver_sql(statement)

    def stored(email: str) -> int:
        count: int = _scalar(
            app.database_url, "SELECT count(*) FROM users WHERE email = :e", e=email
        )
        return count

    seen: dict[str, int] = {}
    for name in ("fail at commit", "crash at commit"):
        email = f"{name.replace(' ', '-')}@example.com"
        answer = call(app.base_url, "POST", "/users", {"email": email, "name": name})
        assert not 200 <= answer.status < 300, answer
        assert stored(email) == 0
        seen[f"POST {name!r}"] = answer.status
    # The integrity error of COMMIT is a 409 like any other.
    assert seen["POST 'fail at commit'"] == 409

    user = new_user(app.base_url, "commit-ok@example.com", "fine")
    assert stored("commit-ok@example.com") == 1
    answer = call(
        app.base_url, "PATCH", f"/users/{user['id']}", {"name": "fail at commit"}
    )
    assert not 200 <= answer.status < 300, answer
    seen["PATCH 'fail at commit'"] = answer.status
    name = _scalar(
        app.database_url, "SELECT name FROM users WHERE id = :id", id=user["id"]
    )
    assert name == "fine"
    _report(combination, f"failures at COMMIT answered {seen}; nothing stored")


# --- pool ----------------------------------------------------------------------------


def _burst(base_url: str, count: int, tag: str) -> list[Answer]:
    """`count` requests at once, half `GET /users`, half `POST /users`."""
    requests: list[tuple[str, str, Any]] = [
        ("POST", "/users", {"email": f"{tag}-{i}@example.com", "name": tag})
        if i % 2
        else ("GET", "/users?limit=100", None)
        for i in range(count)
    ]
    return concurrently(base_url, requests)


@pytest.mark.parametrize("combination", _params())
def test_pool_exhaustion_gives_503s_and_no_leaks(
    generated_project: Generate, combination: Combination, tmp_path: Path
) -> None:
    server_url_or_skip(combination)  # skips when the server is not configured
    project = generated_project(combination)
    pool = {"POOL_SIZE": "2", "MAX_OVERFLOW": "0", "POOL_TIMEOUT": "1"}
    with serve(project, combination, tmp_path, **pool) as app:
        # A burst of 40 quick requests on 2 connections.
        start = time.monotonic()
        free = _burst(app.base_url, 40, "free")
        free_seconds = time.monotonic() - start
        assert set(statuses(free)) <= {200, 201, 503}, free
        assert all(a.body == UNAVAILABLE for a in free if a.status == 503)

        # The same with the 2 connections stuck on a lock for 3 s: the others get
        # 503 after pool_timeout (1 s), the 2 finish once the lock is gone.
        started = time.monotonic()
        with ThreadPoolExecutor(1) as executor:
            with users_locked(combination, app.database_url):
                future = executor.submit(_burst, app.base_url, 40, "locked")
                time.sleep(3)
            locked = future.result(timeout=2 * CLIENT_TIMEOUT)
        locked_seconds = time.monotonic() - started
        assert len(locked) == 40
        counts = statuses(locked)
        assert set(counts) <= {200, 201, 503}, locked
        assert counts[503] >= 1, locked
        assert all(a.body == UNAVAILABLE for a in locked if a.status == 503)
        slowest_503 = max(a.seconds for a in locked if a.status == 503)
        assert slowest_503 < 10, slowest_503

        # Afterwards: healthy, serving, and no more connections than the pool holds.
        assert call(app.base_url, "GET", "/health").status == 200
        assert call(app.base_url, "GET", "/users?limit=1").status == 200
        new_user(app.base_url, "after-the-burst@example.com")
        states = settled_connections(combination, app.database_url, limit=2)
        assert len(states) <= 2, states
        assert all(s in {"idle", "Sleep"} for s in states), states
    _report(
        combination,
        f"pool 2+0, timeout 1 s: 40 free requests in {free_seconds:.2f} s -> "
        f"{dict(statuses(free))}; 40 requests with the table locked 3 s "
        f"({locked_seconds:.2f} s) -> {dict(counts)}, slowest 503 after "
        f"{slowest_503:.2f} s; server-side connections afterwards: {states}",
    )


# --- faults --------------------------------------------------------------------------


def _until(
    base_url: str, path: str, status: int, timeout: float
) -> tuple[float, Answer]:
    """Poll `path` until it answers `status`: the seconds it took, the last answer."""
    start = time.monotonic()
    while True:
        try:
            answer = call(base_url, "GET", path)
        except httpx2.HTTPError as exc:
            answer = Answer(0, time.monotonic() - start, repr(exc))
        elapsed = time.monotonic() - start
        if answer.status == status or elapsed > timeout:
            return elapsed, answer
        time.sleep(0.1)


def _is_unavailable(answer: Answer) -> bool:
    return answer.status == 503 and answer.body == UNAVAILABLE


@pytest.mark.parametrize("combination", _params())
def test_database_outage_and_recovery(
    generated_project: Generate, combination: Combination, tmp_path: Path
) -> None:
    server_url_or_skip(combination)  # skips when the server is not configured
    project = generated_project(combination)
    pool = {"POOL_SIZE": "3", "MAX_OVERFLOW": "2", "CONNECT_TIMEOUT": "2"}
    with migrated_database(project, combination, tmp_path) as url:
        real = make_url(url)
        host = real.host or "127.0.0.1"
        port = real.port or DEFAULT_PORTS[combination.database]
        with TcpProxy(host, port) as proxy:
            proxied = real.set(host="127.0.0.1", port=proxy.port)
            proxied_url = proxied.render_as_string(hide_password=False)

            # The app starts while the database is away, and serves once it is back.
            proxy.stop()
            with launch(project, combination.project_name, proxied_url, **pool) as base:
                assert call(base, "GET", "/health").status == 503
                assert _is_unavailable(call(base, "GET", "/users"))
                proxy.start()
                first_up, answer = _until(base, "/health", 200, timeout=15)
                assert answer.status == 200, (answer, log_of(project, base))
                user = new_user(base, "before@example.com")

                # A request in flight when the database goes away: a 503.
                with ThreadPoolExecutor(1) as executor, users_locked(combination, url):
                    future = executor.submit(call, base, "GET", "/users")
                    time.sleep(1)
                    proxy.stop()
                    in_flight = future.result(timeout=CLIENT_TIMEOUT)
                assert _is_unavailable(in_flight), (in_flight, log_of(project, base))

                # Away: /health and every CRUD route answer 503 within seconds.
                start = time.monotonic()
                health = call(base, "GET", "/health")
                detected = time.monotonic() - start
                assert health.status == 503, (health, log_of(project, base))
                assert detected < 10, detected
                down: list[Answer] = [
                    call(base, "GET", "/users"),
                    call(base, "GET", f"/users/{user['id']}"),
                    call(
                        base, "POST", "/users", {"email": "x@example.com", "name": "x"}
                    ),
                    call(base, "PATCH", f"/users/{user['id']}", {"name": "changed"}),
                    call(base, "DELETE", f"/users/{user['id']}"),
                ]
                for answer in down:
                    assert _is_unavailable(answer), (answer, log_of(project, base))
                slowest = max(a.seconds for a in [health, *down])
                assert slowest < 10, slowest

                # Back: the same process recovers, with the data of before.
                proxy.start()
                recovery, answer = _until(base, "/health", 200, timeout=15)
                assert answer.status == 200, (answer, log_of(project, base))
                assert recovery < 15, recovery
                listed = call(base, "GET", "/users")
                assert listed.status == 200, listed
                assert [u["email"] for u in listed.body["items"]] == [user["email"]]
                assert (
                    call(base, "PATCH", f"/users/{user['id']}", {"name": "n"}).status
                    == 200
                )
                new_user(base, "after@example.com")
                states = settled_connections(combination, url, limit=5)
                assert len(states) <= 5, states
                proxied_connections = proxy.open_connections
                assert proxied_connections <= 5, proxied_connections
    _report(
        combination,
        f"started with the database away: 503, then 200 {first_up:.2f} s after it "
        f"came back; a request in flight at the cut: {in_flight.status}; "
        f"cut: /health 503 in {detected:.2f} s, CRUD 503 "
        f"(slowest {slowest:.2f} s); restored: /health 200 after {recovery:.2f} s; "
        f"connections afterwards (pool 3+2): server {states}, "
        f"through the proxy {proxied_connections}",
    )


@pytest.mark.parametrize("combination", _params())
def test_unresolvable_database_host_is_503(
    generated_project: Generate, combination: Combination
) -> None:
    """A host name that does not resolve (a stopped compose service): 503, not 500."""
    server_url = server_url_or_skip(combination)
    assert server_url is not None
    url = make_url(server_url).set(host="database.invalid")  # RFC 6761: never resolves
    project = generated_project(combination)
    with launch(
        project,
        combination.project_name,
        url.render_as_string(hide_password=False),
        CONNECT_TIMEOUT="2",
    ) as base:
        answers = [
            call(base, "GET", "/health"),
            call(base, "GET", "/users"),
            call(base, "POST", "/users", {"email": "x@example.com", "name": "x"}),
        ]
        assert answers[0].status == 503, answers
        for answer in answers[1:]:
            assert _is_unavailable(answer), (answer, log_of(project, base))
        slowest = max(a.seconds for a in answers)
        assert slowest < 10, slowest
    _report(combination, f"unresolvable host: 503s, slowest in {slowest:.2f} s")
