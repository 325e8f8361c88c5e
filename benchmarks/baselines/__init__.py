"""Hand-written versions of the generated app's post endpoints, the baselines.

Each module exposes `app` (an ASGI application) for `uvicorn`, configured by the
environment: `BENCH_DATABASE_URL` (a SQLAlchemy URL with its driver) and, for
`core`, `BENCH_SYNC=1` for sync endpoints on a sync engine.

All of them serve the same JSON as the generated app on the same tables: a post is
`{id, title, body, author_id, author: {id, name, created_at, updated_at},
created_at, updated_at}`, a page is `{items, total, limit, offset}`.
"""
