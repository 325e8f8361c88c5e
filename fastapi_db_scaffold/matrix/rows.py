"""Rows a migration must keep: the data the migration step puts in before it upgrades.

A project's models change after its tables hold rows, so its migrations are checked
with rows present. `before_added_columns` finds where the project's evolution starts:
the revision just before the first one that adds columns to a table. `put_rows`
takes model specs (each model the project has had, with each field it has had, as
FIELD arguments) and turns them into the tables the revisions create
(`migrations.model_table`, `association_tables`); it reflects what the database has
at that moment and puts `ROWS` rows into every one of those tables that exists, with
the columns that exist yet: values from each column's SQLAlchemy type (distinct per
row), foreign keys pointing at rows of their target, association rows linking rows of
both sides. What it put is read back into a `Seeded`.

After the upgrade `check_rows` reads those rows again: every table still there has
them unchanged, and each column added meanwhile holds, for those rows, the field's
default (a required field with `default=`: the revision fills it) or NULL (an optional
one). A table that is gone is not a problem here (a removed model drops its table;
`alembic check` tells whether one is missing).

Everything goes through SQLAlchemy Core with the sync driver of the database, never
through the project's models (they are at head, ahead of the tables being filled).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from ..association_tables import association_tables
from ..choices import SYNC_SERVER_DRIVERS
from ..fields import Field, parse_fields
from ..many_to_many import ManyToManySpec
from ..migrations import model_table, revision_history
from ..naming import model_names
from ..spec import FieldSpec, RelatedModel

__all__ = [
    "ROWS",
    "Seeded",
    "before_added_columns",
    "check_rows",
    "database_engine",
    "put_rows",
]

ROWS = 3
"""Rows per table (two at least: association rows link each row to two others)."""

_SERVER_SET = frozenset({"created_at", "updated_at"})  # server defaults fill them


def before_added_columns(versions_dir: Path) -> str | None:
    """The revision just before the first one whose upgrade adds a column to a
    table (None when that is the first revision, or no revision adds one: then
    rows go in at head)."""
    history = revision_history(versions_dir)
    for number, (_, path) in enumerate(history):
        if _adds_columns(path):
            return history[number - 1][0] if number else None
    return history[-1][0] if history else None


def _adds_columns(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "upgrade":
            return any(
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr == "add_column"
                for call in ast.walk(node)
            )
    return False


def database_engine(url: str, database: str) -> sa.Engine:
    """An engine on `url` through the sync driver of `database`."""
    parsed = sa.make_url(url)
    if database in SYNC_SERVER_DRIVERS:
        parsed = parsed.set(drivername=SYNC_SERVER_DRIVERS[database])
    return sa.create_engine(parsed, poolclass=NullPool)


# ---- the tables of the models ----------------------------------------------------


@dataclass(frozen=True)
class _Planned:
    """A table as the revisions create it, and the fields of its columns."""

    table: sa.Table
    fields: dict[str, Field] = field(default_factory=dict)
    association: bool = False


def _planned_tables(models: Iterable[tuple[str, Sequence[str]]]) -> list[_Planned]:
    """The model tables in order (targets first), then the association tables."""
    known: set[str] = set()
    planned: list[_Planned] = []
    associations: list[_Planned] = []
    for name, specs in models:
        fields = parse_fields(specs, known_models=known, model=name)
        known.add(name)
        names = model_names(name)
        columns: list[FieldSpec] = []
        many: list[ManyToManySpec] = []
        for parsed in fields:
            target = None
            if parsed.target is not None:
                target_names = model_names(parsed.target)
                target = RelatedModel(target_names, target_names.table)
            if parsed.is_many:
                assert target is not None
                many.append(ManyToManySpec(parsed, names, target))
            else:
                columns.append(FieldSpec(parsed, names, target))
        table = model_table(names.table, tuple(columns), {})
        planned.append(
            _Planned(table, {spec.field.column_name: spec.field for spec in columns})
        )
        associations += [
            _Planned(t, association=True)
            for t in association_tables(names.table, many, {})
        ]
    return [*planned, *associations]


# ---- values ------------------------------------------------------------------------


def _value(column: sa.Column[Any], row: int, dialect: str) -> object:
    """A value of the column's type for row `row` (1, 2, ...), distinct per row."""
    kind = column.type
    if isinstance(kind, sa.Enum):
        return kind.enums[(row - 1) % len(kind.enums)]
    if isinstance(kind, sa.Boolean):
        return row % 2 == 0
    if isinstance(kind, sa.Integer):
        return 1000 + row
    if isinstance(kind, sa.Float):
        return row + 0.5
    if isinstance(kind, sa.Numeric):
        scale = kind.scale or 0
        return Decimal(f"{row}.{'5' * scale}") if scale else Decimal(row)
    if isinstance(kind, sa.DateTime):
        moment = datetime(2023, 5, 1, 12, 30, 15, 250_000, tzinfo=UTC)
        moment += timedelta(days=row)
        return moment if dialect == "postgresql" else moment.replace(tzinfo=None)
    if isinstance(kind, sa.Date):
        return date(2023, 5, 1) + timedelta(days=row)
    if isinstance(kind, sa.Time):
        return time(8, row % 60, 30, 125_000)
    if isinstance(kind, sa.Uuid):
        return UUID(int=row)
    if isinstance(kind, sa.JSON):
        return {"row": row, "note": "✓ kept"}
    if isinstance(kind, sa.String):
        text = f"{row} {column.table.name}.{column.name} ✓"
        return text[: kind.length] if kind.length else text
    raise TypeError(f"no value for {column.table.name}.{column.name} ({kind!r})")


def _row(table: sa.Table, columns: list[str], row: int, dialect: str) -> dict[str, Any]:
    values: dict[str, Any] = {"id": row}
    for name in columns:
        column = table.c[name]
        targets = {key.column.table.name for key in column.foreign_keys}
        if table.name in targets:  # a relation to itself: the row before
            values[name] = row - 1 if row > 1 else None
        elif targets:
            values[name] = row
        else:
            values[name] = _value(column, row, dialect)
    return values


def _links(table: sa.Table) -> list[dict[str, Any]]:
    """Association rows: each row of one side linked to two rows of the other."""
    owner, target = (column.name for column in table.primary_key.columns)
    return [
        {owner: row, target: other}
        for row in range(1, ROWS + 1)
        for other in sorted({row, row % ROWS + 1})
    ]


# ---- putting rows in, checking them after ----------------------------------------


@dataclass(frozen=True)
class _SeededTable:
    table: sa.Table
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    """The rows as read back after they were put in (by primary key)."""
    pending: dict[str, Field]
    """Columns of fields the table does not have yet."""


@dataclass(frozen=True)
class Seeded:
    """What `put_rows` put into the database."""

    tables: tuple[_SeededTable, ...]
    skipped: tuple[str, ...]
    """Tables of the models that did not exist yet."""

    def summary(self) -> str:
        counts = ", ".join(f"{t.table.name} {len(t.rows)}" for t in self.tables)
        text = f"rows put in: {counts or 'none'}"
        pending = [
            f"{t.table.name}.{column}" for t in self.tables for column in t.pending
        ]
        if pending:
            text += f"; columns to be added: {', '.join(pending)}"
        if self.skipped:
            text += f"; tables not there yet: {', '.join(self.skipped)}"
        return text


def _read(
    connection: sa.Connection, table: sa.Table, columns: Iterable[str]
) -> tuple[tuple[Any, ...], ...]:
    key = list(table.primary_key.columns)
    selected = [*key, *(table.c[name] for name in columns if name not in key)]
    rows = connection.execute(sa.select(*selected).order_by(*key))
    return tuple(tuple(row) for row in rows)


def put_rows(engine: sa.Engine, models: Iterable[tuple[str, Sequence[str]]]) -> Seeded:
    """Put `ROWS` rows into every table of `models` that the database has."""
    dialect = engine.dialect.name
    inspector = sa.inspect(engine)
    existing = set(inspector.get_table_names())
    seeded: list[_SeededTable] = []
    skipped: list[str] = []
    with engine.begin() as connection:
        for planned in _planned_tables(models):
            table = planned.table
            if table.name not in existing:
                skipped.append(table.name)
                continue
            there = {column["name"] for column in inspector.get_columns(table.name)}
            key = {column.name for column in table.primary_key.columns}
            columns = [
                column.name
                for column in table.columns
                if column.name in there and column.name not in key | _SERVER_SET
            ]
            if planned.association:
                rows = _links(table)
            else:
                rows = [
                    _row(table, columns, row, dialect) for row in range(1, ROWS + 1)
                ]
            connection.execute(sa.insert(table), rows)
            pending = {
                name: field
                for name, field in planned.fields.items()
                if name not in there
            }
            seeded.append(
                _SeededTable(
                    table,
                    tuple(columns),
                    _read(connection, table, columns),
                    pending,
                )
            )
    return Seeded(tuple(seeded), tuple(skipped))


def _same(found: object, expected: object) -> bool:
    """Equal values; a naive datetime read back is UTC (SQLite, MySQL)."""
    if isinstance(found, datetime) and isinstance(expected, datetime):
        if found.tzinfo is None:
            found = found.replace(tzinfo=UTC)
        if expected.tzinfo is None:
            expected = expected.replace(tzinfo=UTC)
    return found == expected


def check_rows(engine: sa.Engine, seeded: Seeded) -> list[str]:
    """What went wrong with the rows of `seeded` (one line each; none: all kept)."""
    problems: list[str] = []
    inspector = sa.inspect(engine)
    existing = set(inspector.get_table_names())
    with engine.connect() as connection:
        for put in seeded.tables:
            name = put.table.name
            if name not in existing:
                continue
            now = _read(connection, put.table, put.columns)
            if now != put.rows:
                lost = len(put.rows) - len(now)
                problems.append(
                    f"{name}: {lost} of its {len(put.rows)} rows are gone"
                    if lost > 0
                    else f"{name}: its rows changed: {put.rows!r} -> {now!r}"
                )
                continue
            there = {column["name"] for column in inspector.get_columns(name)}
            for column, added in put.pending.items():
                if column not in there:
                    problems.append(f"{name}.{column} was never added")
                    continue
                expected = None if added.optional else added.default
                values = [row[-1] for row in _read(connection, put.table, [column])]
                wrong = [value for value in values if not _same(value, expected)]
                if wrong:
                    what = "NULL" if expected is None else f"the default {expected!r}"
                    problems.append(
                        f"{name}.{column} of the rows that were there is "
                        f"{wrong[0]!r}, not {what}"
                    )
    return problems
