"""Helpers shared by the test modules (fixtures that use them are in conftest.py)."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, event


class StatementRecorder:
    """The SQL statements a connection sends while `record()` is open."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    @contextmanager
    def record(self) -> Iterator[list[str]]:
        statements: list[str] = []

        def on_execute(*args: Any) -> None:
            statements.append(args[2])

        event.listen(self.connection, "before_cursor_execute", on_execute)
        try:
            yield statements
        finally:
            event.remove(self.connection, "before_cursor_execute", on_execute)
