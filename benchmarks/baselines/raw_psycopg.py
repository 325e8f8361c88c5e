"""Baseline (a), sync PostgreSQL: psycopg 3 + Starlette + orjson, no ORM.

The endpoints are plain functions, run in Starlette's thread pool like the sync
generated app's; connections come from a minimal thread-safe pool.
"""

import queue
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import psycopg
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .shared import (
    JOINED,
    POOL_MAX,
    database_url,
    json_response,
    page_dict,
    paging,
    path_post_id,
    post_body,
    post_dict,
)

LIST_SQL = f"{JOINED} ORDER BY p.id LIMIT %s OFFSET %s"
GET_SQL = f"{JOINED} WHERE p.id = %s"
INSERT_SQL = (
    "INSERT INTO posts (title, body, author_id) VALUES (%s, %s, %s) RETURNING id"
)


class Pool:
    """Up to `size` open connections, reused; enough for a benchmark."""

    def __init__(self, dsn: str, size: int) -> None:
        self.dsn = dsn
        self.idle: queue.LifoQueue[psycopg.Connection] = queue.LifoQueue()
        self.slots = threading.Semaphore(size)

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        with self.slots:
            try:
                connection = self.idle.get_nowait()
            except queue.Empty:
                connection = psycopg.connect(self.dsn, autocommit=True)
            try:
                yield connection
            finally:
                self.idle.put(connection)

    def close(self) -> None:
        while not self.idle.empty():
            self.idle.get_nowait().close()


POOL: Pool | None = None


def _pool() -> Pool:
    assert POOL is not None
    return POOL


def list_posts(request: Request) -> Response:
    page = paging(request)
    if page is None:
        return json_response({"detail": "invalid paging"}, 422)
    limit, offset = page
    with _pool().connection() as connection:
        total_row = connection.execute("SELECT count(*) FROM posts").fetchone()
        rows = connection.execute(LIST_SQL, (limit, offset)).fetchall()
    total = total_row[0] if total_row else 0
    return json_response(page_dict(rows, total, limit, offset))


def get_post(request: Request) -> Response:
    post_id = path_post_id(request)
    if post_id is None:
        return json_response({"detail": "invalid id"}, 422)
    with _pool().connection() as connection:
        row = connection.execute(GET_SQL, (post_id,)).fetchone()
    if row is None:
        return json_response({"detail": "Post not found"}, 404)
    return json_response(post_dict(row))


async def create_post(request: Request) -> Response:
    fields = post_body(await request.body())
    if fields is None:
        return json_response({"detail": "invalid body"}, 422)
    return await run_in_threadpool(_create, fields)


def _create(fields: tuple[str, str, int]) -> Response:
    with _pool().connection() as connection:
        try:
            inserted = connection.execute(INSERT_SQL, fields).fetchone()
        except psycopg.errors.ForeignKeyViolation:
            return json_response({"detail": "no such author"}, 409)
        assert inserted is not None
        row = connection.execute(GET_SQL, (inserted[0],)).fetchone()
    return json_response(post_dict(row), 201)


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    global POOL
    url = database_url()
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    POOL = Pool(dsn, POOL_MAX)
    try:
        yield
    finally:
        POOL.close()


app = Starlette(
    routes=[
        Route("/posts", list_posts, methods=["GET"]),
        Route("/posts", create_post, methods=["POST"]),
        Route("/posts/{post_id}", get_post, methods=["GET"]),
    ],
    lifespan=lifespan,
)
