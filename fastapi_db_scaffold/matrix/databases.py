"""Throw-away databases: a new empty one per use, dropped afterwards.

On PostgreSQL and MySQL/MariaDB the database is created on the combination's server
(its URL from `combinations`) through the sync driver of `choices.SYNC_SERVER_DRIVERS`
and dropped when the block ends, even when it fails; for SQLite it is a new file in
the given scratch directory.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, make_url
from sqlalchemy.pool import NullPool

from ..choices import SYNC_SERVER_DRIVERS
from .combinations import Combination

__all__ = ["admin_engine", "fresh_database"]


def admin_engine(server_url: str, database: str) -> Engine:
    """An autocommit engine on the server of `server_url` (sync driver)."""
    url = make_url(server_url).set(drivername=SYNC_SERVER_DRIVERS[database])
    return create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)


@contextmanager
def fresh_database(combination: Combination, scratch: Path) -> Iterator[str]:
    """A new empty database for this combination (its URL), dropped afterwards.

    Raises `ServerNotConfigured` for a server combination whose URL is not set.
    """
    server_url = combination.server_url()
    if server_url is None:
        yield f"sqlite:///{scratch / f'fresh-{uuid.uuid4().hex[:8]}.db'}"
        return
    name = f"fdb_{uuid.uuid4().hex[:12]}"
    engine = admin_engine(server_url, combination.database)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
        try:
            yield (
                make_url(server_url)
                .set(database=name)
                .render_as_string(hide_password=False)
            )
        finally:
            drop = f"DROP DATABASE IF EXISTS {name}"
            if combination.database == "postgresql":
                drop += " WITH (FORCE)"
            with engine.connect() as connection:
                connection.exec_driver_sql(drop)
    finally:
        engine.dispose()
