"""Baseline (b): FastAPI + SQLAlchemy Core, "the limit of our stack".

One joined select (plus a count for a page), rows to dicts, orjson; no ORM, no
response model. `BENCH_SYNC=1` gives sync endpoints on a sync engine (run in the
thread pool, like the sync generated app); otherwise async endpoints on an async
engine. The pool is SQLAlchemy's default, sized as the generated app's (5 + 10).
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    select,
)
from sqlalchemy.engine import Engine, Row, create_engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from .shared import (
    MAX_ID,
    POOL_MAX,
    POOL_MIN,
    database_url,
    dumps,
    page_dict,
    post_dict,
)

SYNC = os.environ.get("BENCH_SYNC") == "1"

metadata = MetaData()
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(80)),
    Column("created_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
)
posts = Table(
    "posts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("title", String(200)),
    Column("body", Text),
    Column("author_id", Integer, ForeignKey("users.id")),
    Column("created_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
)

JOINED = select(
    posts.c.id,
    posts.c.title,
    posts.c.body,
    posts.c.author_id,
    posts.c.created_at,
    posts.c.updated_at,
    users.c.id,
    users.c.name,
    users.c.created_at,
    users.c.updated_at,
).join_from(posts, users, posts.c.author_id == users.c.id, isouter=True)
# LEFT JOIN as in the generated app's joinedload: see `shared.JOINED`.
COUNT = select(func.count()).select_from(posts)

PostId = Annotated[int, Path(ge=1, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=MAX_ID)]


class PostIn(BaseModel):
    title: Annotated[str, Field(max_length=200)]
    body: str
    author_id: Annotated[int, Field(ge=1, le=MAX_ID)]


def _json(value: Any, status: int = 200) -> Response:
    return Response(dumps(value), status, media_type="application/json")


def _one(row: Row[Any] | Any) -> Response:
    if row is None:
        raise HTTPException(404, "Post not found")
    return _json(post_dict(row))


ENGINE: dict[str, Any] = {}
OPTIONS: dict[str, Any] = {"pool_size": POOL_MIN, "max_overflow": POOL_MAX - POOL_MIN}


def _url() -> Any:
    url = database_url()
    if url.get_backend_name() in {"mysql", "mariadb"}:
        OPTIONS["connect_args"] = {"init_command": "SET time_zone = '+00:00'"}
        url = url.update_query_dict({"charset": "utf8mb4"})
    return url


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    url = _url()
    if SYNC:
        engine: Engine = create_engine(url, **OPTIONS)
        ENGINE["sync"] = engine
        try:
            yield
        finally:
            engine.dispose()
    else:
        async_engine: AsyncEngine = create_async_engine(url, **OPTIONS)
        ENGINE["async"] = async_engine
        try:
            yield
        finally:
            await async_engine.dispose()


app = FastAPI(lifespan=lifespan)

if SYNC:

    @app.get("/posts")
    def list_posts_sync(limit: Limit = 20, offset: Offset = 0) -> Response:
        engine: Engine = ENGINE["sync"]
        with engine.connect() as connection:
            total = connection.execute(COUNT).scalar_one()
            page = JOINED.order_by(posts.c.id).limit(limit).offset(offset)
            rows = connection.execute(page).all()
        return _json(page_dict(rows, total, limit, offset))

    @app.get("/posts/{post_id}")
    def get_post_sync(post_id: PostId) -> Response:
        engine: Engine = ENGINE["sync"]
        with engine.connect() as connection:
            row = connection.execute(JOINED.where(posts.c.id == post_id)).first()
        return _one(row)

    @app.post("/posts", status_code=201)
    def create_post_sync(data: PostIn) -> Response:
        engine: Engine = ENGINE["sync"]
        try:
            with engine.begin() as connection:
                result = connection.execute(insert(posts).values(**data.model_dump()))
                post_id = result.inserted_primary_key[0]  # type: ignore[index]
        except IntegrityError:
            raise HTTPException(409, "no such author") from None
        with engine.connect() as connection:
            row = connection.execute(JOINED.where(posts.c.id == post_id)).first()
        response = _one(row)
        response.status_code = 201
        return response

else:

    @app.get("/posts")
    async def list_posts(limit: Limit = 20, offset: Offset = 0) -> Response:
        engine: AsyncEngine = ENGINE["async"]
        async with engine.connect() as connection:
            total = (await connection.execute(COUNT)).scalar_one()
            page = JOINED.order_by(posts.c.id).limit(limit).offset(offset)
            rows = (await connection.execute(page)).all()
        return _json(page_dict(rows, total, limit, offset))

    @app.get("/posts/{post_id}")
    async def get_post(post_id: PostId) -> Response:
        engine: AsyncEngine = ENGINE["async"]
        async with engine.connect() as connection:
            result = await connection.execute(JOINED.where(posts.c.id == post_id))
            row = result.first()
        return _one(row)

    @app.post("/posts", status_code=201)
    async def create_post(data: PostIn) -> Response:
        engine: AsyncEngine = ENGINE["async"]
        try:
            async with engine.begin() as connection:
                result = await connection.execute(
                    insert(posts).values(**data.model_dump())
                )
                post_id = result.inserted_primary_key[0]  # type: ignore[index]
        except IntegrityError:
            raise HTTPException(409, "no such author") from None
        async with engine.connect() as connection:
            result = await connection.execute(JOINED.where(posts.c.id == post_id))
            row = result.first()
        response = _one(row)
        response.status_code = 201
        return response
