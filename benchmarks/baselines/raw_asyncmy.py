"""Baseline (a), async MySQL/MariaDB: asyncmy + Starlette + orjson, no ORM."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncmy
from asyncmy.errors import IntegrityError
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
LIST_SQL = f"{JOINED} ORDER BY p.id LIMIT %s OFFSET %s"
GET_SQL = f"{JOINED} WHERE p.id = %s"
INSERT_SQL = "INSERT INTO posts (title, body, author_id) VALUES (%s, %s, %s)"


def _json(value: object, status: int = 200) -> Response:
    return Response(dumps(value), status, media_type="application/json")


async def list_posts(request: Request) -> Response:
    limit = bounded_int(request.query_params.get("limit"), 20, 1, 100)
    offset = bounded_int(request.query_params.get("offset"), 0, 0, MAX_ID)
    if limit is None or offset is None:
        return _json({"detail": "invalid paging"}, 422)
    pool: Any = request.app.state.pool
    async with pool.acquire() as connection, connection.cursor() as cursor:
        await cursor.execute("SELECT count(*) FROM posts")
        (total,) = await cursor.fetchone()
        await cursor.execute(LIST_SQL, (limit, offset))
        rows = await cursor.fetchall()
    return _json(page_dict(rows, total, limit, offset))


async def get_post(request: Request) -> Response:
    post_id = bounded_int(request.path_params["post_id"], 0, 1, MAX_ID)
    if post_id is None:
        return _json({"detail": "invalid id"}, 422)
    pool: Any = request.app.state.pool
    async with pool.acquire() as connection, connection.cursor() as cursor:
        await cursor.execute(GET_SQL, (post_id,))
        row = await cursor.fetchone()
    if row is None:
        return _json({"detail": "Post not found"}, 404)
    return _json(post_dict(row))


async def create_post(request: Request) -> Response:
    fields = post_body(await request.body())
    if fields is None:
        return _json({"detail": "invalid body"}, 422)
    pool: Any = request.app.state.pool
    async with pool.acquire() as connection, connection.cursor() as cursor:
        try:
            await cursor.execute(INSERT_SQL, fields)
        except IntegrityError:
            return _json({"detail": "no such author"}, 409)
        post_id = cursor.lastrowid
        await cursor.execute(GET_SQL, (post_id,))
        row = await cursor.fetchone()
    return _json(post_dict(row), 201)


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    url = database_url()
    app.state.pool = await asyncmy.create_pool(
        host=url.host or "127.0.0.1",
        port=url.port or 3306,
        user=url.username or "root",
        password=url.password or "",
        db=url.database,
        charset="utf8mb4",
        autocommit=True,
        init_command="SET time_zone = '+00:00'",
        minsize=POOL_MIN,
        maxsize=POOL_MAX,
    )
    try:
        yield
    finally:
        app.state.pool.close()
        await app.state.pool.wait_closed()


app = Starlette(
    routes=[
        Route("/posts", list_posts, methods=["GET"]),
        Route("/posts", create_post, methods=["POST"]),
        Route("/posts/{post_id}", get_post, methods=["GET"]),
    ],
    lifespan=lifespan,
)
