"""The `create_table` code of a new model's revision, written without SQLAlchemy.

`add-model` should feel instant, and importing SQLAlchemy and Alembic only to render
one `op.create_table(...)` costs more than everything else it does. This module
writes the same operations as Alembic's autogenerate renderer would for the table of
`migrations.model_table` (columns in order, then the constraints sorted as Alembic
sorts them, then the indexes), with constraint names from the project's naming
convention. Where it does not know the answer (a convention token other than those
below, a convention without one of the keys it needs) it returns None and the caller
renders through Alembic; tests/test_table_code.py holds both renderers to the same
code for every field type and modifier.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from .spec import FieldSpec

__all__ = ["create_table_code", "drop_table_code"]

_TOKEN = re.compile(r"%\((\w+)\)s")
_NEEDED_KEYS = ("pk", "fk", "uq", "ix")
_MAX_PYTHON_ARGS = 255  # past this Alembic writes `*[...]`: leave that to Alembic


class _UnknownToken(Exception):
    pass


def _name(
    convention: Mapping[str, str],
    key: str,
    table: str,
    column: str,
    referred: str | None = None,
) -> str:
    """A one-column constraint's name, as SQLAlchemy's naming convention gives it."""
    tokens = {
        "table_name": table,
        "column_0_name": column,
        "column_0_key": column,
        "column_0_label": f"{table}_{column}",
    }
    for multi in ("name", "key"):
        tokens[f"column_0N_{multi}"] = column
        tokens[f"column_0_N_{multi}"] = column
    tokens["column_0N_label"] = tokens["column_0_N_label"] = f"{table}_{column}"
    if referred is not None:
        tokens |= {
            "referred_table_name": referred,
            "referred_column_0_name": "id",
            "referred_column_0N_name": "id",
            "referred_column_0_N_name": "id",
        }

    def fill(match: re.Match[str]) -> str:
        token = match.group(1)
        if token not in tokens:
            raise _UnknownToken(token)
        return tokens[token]

    return _TOKEN.sub(fill, convention[key])


def _f(name: str) -> str:
    return f"op.f({name!r})"


def _column(name: str, type_code: str, *, nullable: bool, extra: str = "") -> str:
    return f"sa.Column({name!r}, {type_code}{extra}, nullable={nullable})"


def create_table_code(
    table: str, fields: Iterable[FieldSpec], convention: Mapping[str, str]
) -> tuple[str, str] | None:
    """The upgrade and downgrade bodies (indented, one operation a line) that create
    and drop `table`, or None when only Alembic can say."""
    if any(key not in convention for key in _NEEDED_KEYS):
        return None
    try:
        return _create_table(table, list(fields), convention), drop_table_code(table)
    except _UnknownToken:
        return None


def drop_table_code(table: str) -> str:
    return f"    op.drop_table({table!r})"


def _create_table(
    table: str, fields: list[FieldSpec], convention: Mapping[str, str]
) -> str:
    columns = [_column("id", "sa.Integer()", nullable=False)]
    primary_key = _name(convention, "pk", table, "id")
    constraints = [f"sa.PrimaryKeyConstraint('id', name={_f(primary_key)})"]
    indexes: list[tuple[str, str]] = []
    for spec in fields:
        field = spec.field
        column = field.column_name
        type_code = field.type.code(
            field.type.migration_code, field.arguments, enum_name=spec.enum_name
        )
        columns.append(_column(column, type_code, nullable=field.optional))
        if spec.target is not None:
            referred = spec.target.table
            name = _name(convention, "fk", table, column, referred)
            on_delete = f", ondelete={field.on_delete!r}" if field.on_delete else ""
            constraints.append(
                f"sa.ForeignKeyConstraint([{column!r}], [{f'{referred}.id'!r}],"
                f" name={_f(name)}{on_delete})"
            )
        indexed = field.index or field.is_relation
        if indexed:
            name = _name(convention, "ix", table, column)
            indexes.append(
                (
                    name,
                    f"op.create_index({_f(name)}, {table!r}, [{column!r}],"
                    f" unique={bool(field.unique)})",
                )
            )
        elif field.unique:
            name = _name(convention, "uq", table, column)
            constraints.append(f"sa.UniqueConstraint({column!r}, name={_f(name)})")
    for name in ("created_at", "updated_at"):
        columns.append(
            _column(
                name,
                "sa.DateTime(timezone=True)",
                nullable=False,
                extra=", server_default=sa.text('CURRENT_TIMESTAMP')",
            )
        )
    arguments = columns + sorted(constraints)
    if len(arguments) > _MAX_PYTHON_ARGS:
        raise _UnknownToken("*[...]")
    lines = [
        f"    op.create_table({table!r}, {', '.join(arguments)},"
        " mysql_charset='utf8mb4')"
    ]
    lines += [f"    {code}" for _, code in sorted(indexes)]
    return "\n".join(lines)
