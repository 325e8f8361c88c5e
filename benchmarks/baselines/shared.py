"""What the baselines share: settings, SQL text, rows to dicts and JSON."""

import os
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy.engine import URL, make_url
from starlette.requests import Request
from starlette.responses import Response

POOL_MIN = 5  # the generated app's pool_size
POOL_MAX = 15  # pool_size + max_overflow

POST_COLUMNS = (
    "p.id, p.title, p.body, p.author_id, p.created_at, p.updated_at, "
    "u.id, u.name, u.created_at, u.updated_at"
)
# A LEFT JOIN, as the generated app's joinedload writes it: the same rows here (the
# foreign key is NOT NULL), and MariaDB then keeps `posts` as the driving table and
# reads it in primary-key order, where an inner join lets it pick a filesort.
JOINED = f"SELECT {POST_COLUMNS} FROM posts p LEFT JOIN users u ON u.id = p.author_id"


def database_url() -> URL:
    return make_url(os.environ["BENCH_DATABASE_URL"])


def utc(value: datetime) -> datetime:
    """MySQL hands back naive UTC datetimes; PostgreSQL aware ones."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def post_dict(row: Any) -> dict[str, Any]:
    """A row of `JOINED` (or of the Core select, same column order) as a post."""
    return {
        "id": row[0],
        "title": row[1],
        "body": row[2],
        "author_id": row[3],
        "author": {
            "id": row[6],
            "name": row[7],
            "created_at": utc(row[8]),
            "updated_at": utc(row[9]),
        },
        "created_at": utc(row[4]),
        "updated_at": utc(row[5]),
    }


def page_dict(rows: Any, total: int, limit: int, offset: int) -> dict[str, Any]:
    return {
        "items": [post_dict(row) for row in rows],
        "total": total,
        "limit": limit,
        "offset": offset,
    }


def dumps(value: Any) -> bytes:
    """JSON as Pydantic writes it: UTC datetimes end in `Z`."""
    return orjson.dumps(value, option=orjson.OPT_UTC_Z)


MAX_ID = 2_147_483_647


def json_response(value: object, status: int = 200) -> Response:
    return Response(dumps(value), status, media_type="application/json")


def paging(request: Request) -> tuple[int, int] | None:
    """`limit` and `offset` of a list request, or None when they are invalid."""
    limit = bounded_int(request.query_params.get("limit"), 20, 1, 100)
    offset = bounded_int(request.query_params.get("offset"), 0, 0, MAX_ID)
    return None if limit is None or offset is None else (limit, offset)


def path_post_id(request: Request) -> int | None:
    return bounded_int(request.path_params["post_id"], 0, 1, MAX_ID)


def bounded_int(raw: str | None, default: int, low: int, high: int) -> int | None:
    """A query/path integer within bounds, or None when it is not one."""
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if low <= value <= high else None


def post_body(raw: bytes) -> tuple[str, str, int] | None:
    """The minimal check of a create body: the three fields with their types."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    title, body, author_id = data.get("title"), data.get("body"), data.get("author_id")
    if not (
        isinstance(title, str)
        and len(title) <= 200
        and isinstance(body, str)
        and isinstance(author_id, int)
    ):
        return None
    return title, body, author_id
