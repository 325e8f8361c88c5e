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
INSERT_SQL = "INSERT INTO posts (title, body, author_id) VALUES (%s, %s, %s)"


async def list_posts(request: Request) -> Response:
    page = paging(request)
    if page is None:
        return json_response({"detail": "invalid paging"}, 422)
    limit, offset = page
    pool: Any = request.app.state.pool
    async with pool.acquire() as connection, connection.cursor() as cursor:
        await cursor.execute("SELECT count(*) FROM posts")
        (total,) = await cursor.fetchone()
        await cursor.execute(LIST_SQL, (limit, offset))
        rows = await cursor.fetchall()
    return json_response(page_dict(rows, total, limit, offset))


async def get_post(request: Request) -> Response:
    post_id = path_post_id(request)
    if post_id is None:
        return json_response({"detail": "invalid id"}, 422)
    pool: Any = request.app.state.pool
    async with pool.acquire() as connection, connection.cursor() as cursor:
        await cursor.execute(GET_SQL, (post_id,))
        row = await cursor.fetchone()
    if row is None:
        return json_response({"detail": "Post not found"}, 404)
    return json_response(post_dict(row))


async def create_post(request: Request) -> Response:
    fields = post_body(await request.body())
    if fields is None:
        return json_response({"detail": "invalid body"}, 422)
    pool: Any = request.app.state.pool
    async with pool.acquire() as connection, connection.cursor() as cursor:
        try:
            await cursor.execute(INSERT_SQL, fields)
        except IntegrityError:
            return json_response({"detail": "no such author"}, 409)
        post_id = cursor.lastrowid
        await cursor.execute(GET_SQL, (post_id,))
        row = await cursor.fetchone()
    return json_response(post_dict(row), 201)


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
