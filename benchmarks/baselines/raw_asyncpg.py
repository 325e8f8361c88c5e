"""Baseline (a), async PostgreSQL: asyncpg + Starlette + orjson, no ORM, no FastAPI."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg  # type: ignore[import-untyped]
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .shared import (
    JOINED,
    POOL_MAX,
    POOL_MIN,
    bounded_int,
    database_url,
    dumps,
    page_dict,
    post_body,
    post_dict,
)

MAX_ID = 2_147_483_647
LIST_SQL = f"{JOINED} ORDER BY p.id LIMIT $1 OFFSET $2"
GET_SQL = f"{JOINED} WHERE p.id = $1"
INSERT_SQL = (
    "INSERT INTO posts (title, body, author_id) VALUES ($1, $2, $3) RETURNING id"
)


def _json(value: object, status: int = 200) -> Response:
    return Response(dumps(value), status, media_type="application/json")


async def list_posts(request: Request) -> Response:
    limit = bounded_int(request.query_params.get("limit"), 20, 1, 100)
    offset = bounded_int(request.query_params.get("offset"), 0, 0, MAX_ID)
    if limit is None or offset is None:
        return _json({"detail": "invalid paging"}, 422)
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as connection:
        total = await connection.fetchval("SELECT count(*) FROM posts")
        rows = await connection.fetch(LIST_SQL, limit, offset)
    return _json(page_dict(rows, total, limit, offset))


async def get_post(request: Request) -> Response:
    post_id = bounded_int(request.path_params["post_id"], 0, 1, MAX_ID)
    if post_id is None:
        return _json({"detail": "invalid id"}, 422)
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as connection:
        row = await connection.fetchrow(GET_SQL, post_id)
    if row is None:
        return _json({"detail": "Post not found"}, 404)
    return _json(post_dict(row))


async def create_post(request: Request) -> Response:
    fields = post_body(await request.body())
    if fields is None:
        return _json({"detail": "invalid body"}, 422)
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as connection:
        try:
            async with connection.transaction():
                post_id = await connection.fetchval(INSERT_SQL, *fields)
        except asyncpg.ForeignKeyViolationError:
            return _json({"detail": "no such author"}, 409)
        row = await connection.fetchrow(GET_SQL, post_id)
    return _json(post_dict(row), 201)


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    url = database_url()
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    app.state.pool = await asyncpg.create_pool(
        dsn, min_size=POOL_MIN, max_size=POOL_MAX
    )
    try:
        yield
    finally:
        await app.state.pool.close()


app = Starlette(
    routes=[
        Route("/posts", list_posts, methods=["GET"]),
        Route("/posts", create_post, methods=["POST"]),
        Route("/posts/{post_id}", get_post, methods=["GET"]),
    ],
    lifespan=lifespan,
)
