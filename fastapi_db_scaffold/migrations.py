"""The project's Alembic history, read from its version files, and new revisions.

Revisions are read with `ast` (the files are never imported): `revision` and
`down_revision` of each file give the heads. A new model's revision goes on top of the
single head; several heads are refused (merge them first).
"""

from __future__ import annotations

import ast
import re
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from .errors import ProjectError
from .field_code import FieldCode
from .fields import FieldKind

__all__ = [
    "current_head",
    "model_table",
    "new_revision_id",
    "render_create_table_revision",
    "revision_filename",
]


def _assigned(tree: ast.Module, name: str) -> object:
    for node in tree.body:
        target: ast.expr | None = None
        value: ast.expr | None = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        if isinstance(target, ast.Name) and target.id == name and value is not None:
            try:
                return ast.literal_eval(value)
            except ValueError:
                return None
    return None


def _as_set(value: object) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, str):
        return {value}
    if isinstance(value, Iterable):
        return {str(item) for item in value}
    return set()


def current_head(versions_dir: Path) -> str | None:
    """The single head revision (None for an empty history); refuses several heads."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted(versions_dir.glob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError) as exc:
            raise ProjectError(f"cannot read migration {path.name}: {exc}") from None
        revision = _assigned(tree, "revision")
        if isinstance(revision, str):
            revisions.add(revision)
            parents |= _as_set(_assigned(tree, "down_revision"))
    heads = sorted(revisions - parents)
    if len(heads) > 1:
        raise ProjectError(
            f"the migration history has {len(heads)} heads ({', '.join(heads)}); "
            "merge them first (alembic merge heads) so a new revision has one parent"
        )
    return heads[0] if heads else None


def new_revision_id() -> str:
    return uuid.uuid4().hex[:12]


_TRUNCATE_SLUG_LENGTH = 40  # alembic.ini's truncate_slug_length


def revision_filename(revision: str, message: str, now: datetime | None = None) -> str:
    """The file name alembic.ini's `file_template` would give this revision."""
    moment = now or datetime.now(UTC)
    slug = "_".join(re.findall(r"\w+", message)).lower()
    if len(slug) > _TRUNCATE_SLUG_LENGTH:
        slug = slug[:_TRUNCATE_SLUG_LENGTH].rsplit("_", 1)[0] + "_"
    return f"{moment:%Y_%m_%d_%H%M}-{revision}_{slug}.py"


NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

_REVISION = '''"""{message}

Revision ID: {revision}
Revises: {down_revision}
Create Date: {created}
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op{dialect_imports}

revision: str = {revision!r}
down_revision: str | Sequence[str] | None = {down_repr}
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
{upgrade}


def downgrade() -> None:
{downgrade}
'''


def _body(code: str) -> str:
    lines = [line for line in code.splitlines() if not line.strip().startswith("# ###")]
    return "\n".join(lines).rstrip() or "    pass"


def render_create_table_revision(
    table: sa.Table,
    revision: str,
    down_revision: str | None,
    message: str,
    now: datetime,
) -> str:
    """A revision creating `table` and its indexes (dropping the table on downgrade)."""
    from alembic.autogenerate import render_python_code
    from alembic.operations import ops

    indexes = sorted(table.indexes, key=lambda index: str(index.name))
    upgrade = ops.UpgradeOps(
        ops=[
            ops.CreateTableOp.from_table(table),
            *(ops.CreateIndexOp.from_index(index) for index in indexes),
        ]
    )
    # Dropping the table drops its indexes; MySQL refuses to drop an FK's index first.
    downgrade = ops.DowngradeOps(ops=[ops.DropTableOp.from_table(table)])
    upgrade_code = _body(render_python_code(upgrade))
    uses_mysql = "mysql." in upgrade_code
    return _REVISION.format(
        dialect_imports="\nfrom sqlalchemy.dialects import mysql" if uses_mysql else "",
        message=message,
        revision=revision,
        down_revision=down_revision or "",
        down_repr=repr(down_revision),
        created=now.strftime("%Y-%m-%d %H:%M:%S"),
        upgrade=upgrade_code,
        downgrade=_body(render_python_code(downgrade)),
    )


def _column_type(code: FieldCode) -> sa.types.TypeEngine[Any]:
    field = code.field
    kind = field.kind
    if kind is FieldKind.STR:
        return sa.String(field.length)
    if kind is FieldKind.DECIMAL:
        return sa.Numeric(field.precision, field.scale)
    if kind is FieldKind.DATETIME:
        # Microseconds on MySQL too (its DATETIME keeps whole seconds).
        precise = mysql.DATETIME(fsp=6)
        return sa.DateTime(timezone=True).with_variant(precise, "mysql", "mariadb")
    if kind is FieldKind.TIME:
        return sa.Time().with_variant(mysql.TIME(fsp=6), "mysql", "mariadb")
    if kind is FieldKind.ENUM:
        return sa.Enum(
            *field.choices,
            name=f"{code.model.snake}_{field.name}",
            native_enum=False,
            length=max(len(choice) for choice in field.choices),
        )
    simple: dict[FieldKind, type[sa.types.TypeEngine[Any]]] = {
        FieldKind.TEXT: sa.Text,
        FieldKind.INT: sa.Integer,
        FieldKind.BIGINT: sa.BigInteger,
        FieldKind.FLOAT: sa.Double,
        FieldKind.BOOL: sa.Boolean,
        FieldKind.DATE: sa.Date,
        FieldKind.UUID: sa.Uuid,
        FieldKind.JSON: sa.JSON,
        FieldKind.RELATION: sa.Integer,
    }
    return simple[kind]()


def model_table(table_name: str, fields: list[FieldCode]) -> sa.Table:
    """The table a new model maps to, as its migration creates it."""
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    columns: list[sa.Column[Any]] = [sa.Column("id", sa.Integer, primary_key=True)]
    for code in fields:
        field = code.field
        arguments: list[sa.ForeignKey] = []
        if code.target is not None:
            target = code.target.model.table
            if target not in metadata.tables:
                sa.Table(
                    target, metadata, sa.Column("id", sa.Integer, primary_key=True)
                )
            arguments.append(sa.ForeignKey(f"{target}.id", ondelete=field.on_delete))
        columns.append(
            sa.Column(
                field.column_name,
                _column_type(code),
                *arguments,
                nullable=field.optional,
                unique=field.unique or None,
                index=(field.index or code.is_relation) or None,
            )
        )
    now = sa.text("CURRENT_TIMESTAMP")
    for name in ("created_at", "updated_at"):
        columns.append(
            sa.Column(
                name, sa.DateTime(timezone=True), server_default=now, nullable=False
            )
        )
    return sa.Table(table_name, metadata, *columns, mysql_charset="utf8mb4")
