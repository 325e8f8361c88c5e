"""The project's Alembic history, read from its version files, and new revisions.

Revisions are read with `ast` (the files are never imported): `revision` and
`down_revision` of each file give the heads. A new model's revision goes on top of the
single head; several heads are refused (merge them first). Constraint names follow the
naming convention of the project's own `db.py`, read the same way; column types come
from the type table. A new model's table is written by `table_code` (SQLAlchemy and
Alembic are imported only when Alembic has to render, which costs more than the rest
of `add-model`).
"""

from __future__ import annotations

import ast
import re
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ProjectError
from .many_to_many import ManyToManySpec
from .project import Project
from .spec import FieldSpec, ModelSpec
from .table_code import create_table_code

if TYPE_CHECKING:  # imported where Alembic renders: add-model does without them
    import sqlalchemy as sa
    from alembic.operations import ops

__all__ = [
    "add_columns_revision",
    "create_table_revision",
    "current_head",
    "drop_table_revision",
    "model_table",
    "naming_convention",
    "new_revision_id",
    "render_create_table_revision",
    "revision_filename",
    "revision_history",
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


def _revisions(versions_dir: Path) -> Iterator[tuple[str, set[str], Path]]:
    """Each revision file's revision, its parents and its path, in file-name order."""
    for path in sorted(versions_dir.glob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError) as exc:
            raise ProjectError(f"cannot read migration {path.name}: {exc}") from None
        revision = _assigned(tree, "revision")
        if isinstance(revision, str):
            yield revision, _as_set(_assigned(tree, "down_revision")), path


def current_head(versions_dir: Path) -> str | None:
    """The single head revision (None for an empty history); refuses several heads."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for revision, down_revisions, _ in _revisions(versions_dir):
        revisions.add(revision)
        parents |= down_revisions
    heads = sorted(revisions - parents)
    if len(heads) > 1:
        raise ProjectError(
            f"the migration history has {len(heads)} heads ({', '.join(heads)}); "
            "merge them first (alembic merge heads) so a new revision has one parent"
        )
    return heads[0] if heads else None


def revision_history(versions_dir: Path) -> list[tuple[str, Path]]:
    """The revisions and their files from the first to the single head, in the order
    `alembic upgrade` applies them; a history that branches is refused."""
    children: dict[str | None, list[tuple[str, Path]]] = {}
    for revision, down_revisions, path in _revisions(versions_dir):
        parents = sorted(down_revisions)
        if len(parents) > 1:
            raise ProjectError(f"migration {path.name} merges {', '.join(parents)}")
        children.setdefault(parents[0] if parents else None, []).append(
            (revision, path)
        )
    history: list[tuple[str, Path]] = []
    parent: str | None = None
    while parent in children:
        following = children[parent]
        if len(following) > 1:
            names = ", ".join(path.name for _, path in following)
            raise ProjectError(f"the migration history branches: {names}")
        history.append(following[0])
        parent = following[0][0]
    return history


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


def naming_convention(db_module: Path) -> dict[str, str]:
    """The `NAMING_CONVENTION` dict of the project's `db.py`, read without importing."""
    try:
        tree = ast.parse(db_module.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError) as exc:
        raise ProjectError(f"cannot read {db_module.name}: {exc}") from None
    convention = _assigned(tree, "NAMING_CONVENTION")
    if not isinstance(convention, dict) or not all(
        isinstance(key, str) and isinstance(value, str)
        for key, value in convention.items()
    ):
        raise ProjectError(
            f"{db_module} defines no NAMING_CONVENTION dict of strings; the new "
            "migration would not name its constraints like the models do"
        )
    return convention


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


def _revision_text(
    message: str,
    revision: str,
    down_revision: str | None,
    moment: datetime,
    upgrade: str,
    downgrade: str,
    imports: Iterable[str] = (),
) -> str:
    """A revision file: header, imports (the dialect module and `imports` when the
    code uses them), identifiers, and the two functions."""
    uses_mysql = "mysql." in upgrade or "mysql." in downgrade
    text = _REVISION.format(
        dialect_imports="\nfrom sqlalchemy.dialects import mysql" if uses_mysql else "",
        message=message,
        revision=revision,
        down_revision=down_revision or "",
        down_repr=repr(down_revision),
        created=moment.strftime("%Y-%m-%d %H:%M:%S"),
        upgrade=upgrade,
        downgrade=downgrade,
    )
    extra = sorted(set(imports))
    if extra:  # ruff sorts them into place when the file is formatted
        text = text.replace(
            "\nimport sqlalchemy as sa\n",
            "\n" + "\n".join(extra) + "\nimport sqlalchemy as sa\n",
            1,
        )
    return text


def _revision_path(revision: str, message: str, moment: datetime) -> Path:
    return (
        Path("migrations") / "versions" / revision_filename(revision, message, moment)
    )


def render_create_table_revision(
    table: sa.Table,
    revision: str,
    down_revision: str | None,
    message: str,
    now: datetime,
    associations: Sequence[sa.Table] = (),
) -> str:
    """A revision creating `table` and its indexes, then the association tables of
    its many-to-many relations (dropping them all on downgrade)."""
    from alembic.autogenerate import render_python_code
    from alembic.operations import ops

    from .association_tables import create_operations, drop_operations

    indexes = sorted(table.indexes, key=lambda index: str(index.name))
    upgrade = ops.UpgradeOps(
        ops=[
            ops.CreateTableOp.from_table(table),
            *(ops.CreateIndexOp.from_index(index) for index in indexes),
            *create_operations(associations),
        ]
    )
    # Dropping the table drops its indexes; MySQL refuses to drop an FK's index first.
    downgrade = ops.DowngradeOps(
        ops=[*drop_operations(associations), ops.DropTableOp.from_table(table)]
    )
    return _revision_text(
        message,
        revision,
        down_revision,
        now,
        _body(render_python_code(upgrade)),
        _body(render_python_code(downgrade)),
    )


def model_table(
    table_name: str, fields: tuple[FieldSpec, ...], convention: dict[str, str]
) -> sa.Table:
    """The table a new model maps to, as its migration creates it."""
    import sqlalchemy as sa

    metadata = sa.MetaData(naming_convention=convention)
    columns: list[sa.Column[Any]] = [sa.Column("id", sa.Integer, primary_key=True)]
    for spec in fields:
        field = spec.field
        arguments: list[sa.ForeignKey] = []
        if spec.target is not None:
            target = spec.target.table
            if target not in metadata.tables and target != table_name:
                sa.Table(
                    target, metadata, sa.Column("id", sa.Integer, primary_key=True)
                )
            arguments.append(sa.ForeignKey(f"{target}.id", ondelete=field.on_delete))
        column_type = field.type.migration(field.arguments, spec.enum_name)
        columns.append(
            sa.Column(
                field.column_name,
                column_type,
                *arguments,
                nullable=field.optional,
                unique=field.unique or None,
                index=(field.index or field.is_relation) or None,
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


def create_table_revision(
    project: Project, model: ModelSpec, moment: datetime
) -> tuple[Path, str]:
    """The revision creating the model's table on top of the single head: its path
    (relative to the project) and its text."""
    names = model.names
    head = current_head(project.versions_dir)
    revision = new_revision_id()
    message = f"Create the {names.table} table"
    convention = naming_convention(project.package_dir / "db.py")
    path = _revision_path(revision, message, moment)
    code = (
        None if model.many else create_table_code(names.table, model.fields, convention)
    )
    if code is None:
        from .association_tables import association_tables

        table = model_table(names.table, model.fields, convention)
        associations = association_tables(names.table, model.many, convention)
        text = render_create_table_revision(
            table, revision, head, message, moment, associations
        )
    else:
        upgrade, downgrade = code
        text = _revision_text(message, revision, head, moment, upgrade, downgrade)
    return path, text


def _fill_value(value: object, database: str) -> tuple[str, set[str]]:
    """Python code for a default that fills existing rows, and the imports it needs
    (datetimes in UTC, as the project's `UTCDateTime` stores them)."""
    if isinstance(value, datetime):
        value = value.astimezone(UTC)
        if database != "postgresql":
            value = value.replace(tzinfo=None)
    code = repr(value).replace("datetime.timezone.utc", "datetime.UTC")
    imports = set()
    if "datetime." in code:
        imports.add("import datetime")
    if code.startswith("Decimal("):
        imports.add("from decimal import Decimal")
    if code.startswith("UUID("):
        imports.add("from uuid import UUID")
    return code, imports


def _type_code(column_type: sa.types.TypeEngine[Any]) -> str:
    """A column type as Alembic writes it in a revision (`sa.Numeric(...)`)."""
    import sqlalchemy as sa
    from alembic.autogenerate import render_python_code
    from alembic.operations import ops

    code = render_python_code(
        ops.UpgradeOps(ops=[ops.AddColumnOp("t", sa.Column("c", column_type))])
    )
    statement = "\n".join(
        line.strip() for line in code.splitlines() if not line.strip().startswith("#")
    )
    call = ast.parse(statement).body[0]
    assert isinstance(call, ast.Expr) and isinstance(call.value, ast.Call)
    column = call.value.args[1]
    assert isinstance(column, ast.Call)
    segment = ast.get_source_segment(statement, column.args[1])
    assert segment is not None
    return segment


def add_columns_revision(
    project: Project,
    model: ModelSpec,
    added: list[FieldSpec],
    moment: datetime,
    added_many: Sequence[ManyToManySpec] = (),
) -> tuple[Path, str]:
    """The revision adding the columns of `added` (fields of `model`, which already
    lists them) to its table: their indexes, unique and foreign-key constraints
    named by the project's convention, through batch mode (SQLite recreates the
    table). A required column is added nullable, filled with its default, then made
    NOT NULL, so rows that exist get the default. The association tables of
    `added_many` (new many-to-many relations) are created after the columns."""
    import sqlalchemy as sa
    from alembic.autogenerate import render_python_code
    from alembic.operations import ops
    from sqlalchemy.sql.schema import ColumnCollectionConstraint

    from .association_tables import (
        association_tables,
        create_operations,
        drop_operations,
    )

    names = model.names
    head = current_head(project.versions_dir)
    revision = new_revision_id()
    columns = ", ".join(
        [spec.field.column_name for spec in added] + [m.name for m in added_many]
    )
    message = f"Add {columns} to {names.table}"
    convention = naming_convention(project.package_dir / "db.py")
    table = model_table(names.table, model.fields, convention)
    new_columns = {spec.field.column_name for spec in added}

    def involves(constraint: sa.Index | ColumnCollectionConstraint) -> bool:
        return {c.name for c in constraint.columns} <= new_columns

    indexes = sorted(
        (i for i in table.indexes if involves(i)), key=lambda i: str(i.name)
    )
    uniques = [
        c
        for c in table.constraints
        if isinstance(c, sa.UniqueConstraint) and involves(c)
    ]
    foreign_keys = [c for c in table.foreign_key_constraints if involves(c)]
    add: list[ops.MigrateOperation] = []
    fills: list[str] = []
    tighten: list[ops.MigrateOperation] = []
    imports: set[str] = set()
    for spec in added:
        column = table.c[spec.field.column_name]
        fill = not spec.field.optional and spec.field.has_default
        add.append(
            ops.AddColumnOp(
                names.table,
                sa.Column(
                    column.name, column.type, nullable=spec.field.optional or fill
                ),
            )
        )
        if fill:
            code, needs = _fill_value(spec.field.default, project.database)
            imports |= needs
            typed = f"sa.column({column.name!r}, {_type_code(column.type)})"
            fills.append(
                f"    op.execute(sa.table({names.table!r}, {typed})"
                f".update().values({{{column.name!r}: {code}}}))"
            )
            tighten.append(
                ops.AlterColumnOp(
                    names.table,
                    column.name,
                    existing_type=column.type,
                    existing_nullable=True,
                    modify_nullable=False,
                )
            )
    add += [ops.CreateIndexOp.from_index(index) for index in indexes]
    add += [ops.AddConstraintOp.from_constraint(c) for c in uniques]
    add += [ops.CreateForeignKeyOp.from_constraint(c) for c in foreign_keys]
    drop: list[ops.MigrateOperation] = [
        *(ops.DropConstraintOp.from_constraint(c) for c in foreign_keys),
        *(ops.DropIndexOp.from_index(index) for index in indexes),
        *(ops.DropConstraintOp.from_constraint(c) for c in uniques),
        *(ops.DropColumnOp(names.table, spec.field.column_name) for spec in added),
    ]

    def batch(operations: list[ops.MigrateOperation]) -> str:
        code = render_python_code(
            ops.UpgradeOps(ops=[ops.ModifyTableOps(names.table, ops=operations)]),
            render_as_batch=True,
        )
        return _body(code)

    upgrade = [batch(add)] if added else []
    if fills:
        upgrade += [
            "    # Rows that exist get the default, then the column is required.",
            *fills,
        ]
        upgrade.append(batch(tighten))
    downgrade = [batch(drop)] if added else []
    associations = association_tables(names.table, added_many, convention)
    if associations:
        upgrade.append(
            _body(render_python_code(ops.UpgradeOps(create_operations(associations))))
        )
        downgrade.insert(
            0,
            _body(render_python_code(ops.UpgradeOps(drop_operations(associations)))),
        )
    text = _revision_text(
        message,
        revision,
        head,
        moment,
        "\n".join(upgrade),
        "\n".join(downgrade),
        imports,
    )
    return _revision_path(revision, message, moment), text


def drop_table_revision(
    project: Project, model: ModelSpec, moment: datetime
) -> tuple[Path, str]:
    """The revision dropping the model's table; its downgrade creates the table and
    its indexes again (empty: the rows are gone)."""
    from alembic.autogenerate import render_python_code
    from alembic.operations import ops

    from .association_tables import (
        association_tables,
        create_operations,
        drop_operations,
    )

    names = model.names
    head = current_head(project.versions_dir)
    revision = new_revision_id()
    message = f"Drop the {names.table} table"
    convention = naming_convention(project.package_dir / "db.py")
    table = model_table(names.table, model.fields, convention)
    associations = association_tables(names.table, model.many, convention)
    indexes = sorted(table.indexes, key=lambda index: str(index.name))
    create = ops.UpgradeOps(
        ops=[
            ops.CreateTableOp.from_table(table),
            *(ops.CreateIndexOp.from_index(index) for index in indexes),
            *create_operations(associations),
        ]
    )
    drop = ops.UpgradeOps(
        ops=[*drop_operations(associations), ops.DropTableOp.from_table(table)]
    )
    text = _revision_text(
        message,
        revision,
        head,
        moment,
        _body(render_python_code(drop)),
        _body(render_python_code(create)),
    )
    return _revision_path(revision, message, moment), text
