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
    database_url,
    json_response,
    page_dict,
    paging,
    path_post_id,
    post_body,
    post_dict,
)

LIST_SQL = f"{JOINED} ORDER BY p.id LIMIT $1 OFFSET $2"
GET_SQL = f"{JOINED} WHERE p.id = $1"
INSERT_SQL = (
    "INSERT INTO posts (title, body, author_id) VALUES ($1, $2, $3) RETURNING id"
)


async def list_posts(request: Request) -> Response:
    page = paging(request)
    if page is None:
        return json_response({"detail": "invalid paging"}, 422)
    limit, offset = page
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as connection:
        total = await connection.fetchval("SELECT count(*) FROM posts")
        rows = await connection.fetch(LIST_SQL, limit, offset)
    return json_response(page_dict(rows, total, limit, offset))


async def get_post(request: Request) -> Response:
    post_id = path_post_id(request)
    if post_id is None:
        return json_response({"detail": "invalid id"}, 422)
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as connection:
        row = await connection.fetchrow(GET_SQL, post_id)
    if row is None:
        return json_response({"detail": "Post not found"}, 404)
    return json_response(post_dict(row))


async def create_post(request: Request) -> Response:
    fields = post_body(await request.body())
    if fields is None:
        return json_response({"detail": "invalid body"}, 422)
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as connection:
        try:
            async with connection.transaction():
                post_id = await connection.fetchval(INSERT_SQL, *fields)
        except asyncpg.ForeignKeyViolationError:
            return json_response({"detail": "no such author"}, 409)
        row = await connection.fetchrow(GET_SQL, post_id)
    return json_response(post_dict(row), 201)


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
