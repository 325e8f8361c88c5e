"""The association tables of many-to-many relations, as migrations create and drop them.

Each `ManyToManySpec` of a model gives one table (`post_tags`): the owner's and the
target's ids, each a foreign key ON DELETE CASCADE, together the primary key, and an
index on the target's id (the composite key serves lookups by the owner). Constraint
names follow the project's naming convention, as the model module's `Table` gets
them from `Base.metadata`, so `alembic check` finds no drift.

`migrations` puts these operations into the revisions of `add-model` (after the
model's table), `add-field` (the new relations' tables) and `remove-model` (dropped
before the model's table, created again after it on downgrade).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import sqlalchemy as sa

from .many_to_many import ManyToManySpec

if TYPE_CHECKING:
    from alembic.operations import ops

__all__ = ["association_tables", "create_operations", "drop_operations"]


def association_tables(
    owner_table: str, many: Iterable[ManyToManySpec], convention: dict[str, str]
) -> list[sa.Table]:
    """The association tables of `many`, fields of the model with `owner_table`."""
    metadata = sa.MetaData(naming_convention=convention)
    sa.Table(owner_table, metadata, sa.Column("id", sa.Integer, primary_key=True))
    tables = []
    for spec in many:
        target = spec.target.table
        if target not in metadata.tables:
            sa.Table(target, metadata, sa.Column("id", sa.Integer, primary_key=True))
        tables.append(
            sa.Table(
                spec.table,
                metadata,
                sa.Column(
                    spec.owner_column,
                    sa.Integer,
                    sa.ForeignKey(f"{owner_table}.id", ondelete="CASCADE"),
                    primary_key=True,
                ),
                sa.Column(
                    spec.target_column,
                    sa.Integer,
                    sa.ForeignKey(f"{target}.id", ondelete="CASCADE"),
                    primary_key=True,
                    index=True,
                ),
                mysql_charset="utf8mb4",
            )
        )
    return tables


def create_operations(tables: Iterable[sa.Table]) -> list[ops.MigrateOperation]:
    """Create each table, then its indexes."""
    from alembic.operations import ops

    operations: list[ops.MigrateOperation] = []
    for table in tables:
        operations.append(ops.CreateTableOp.from_table(table))
        indexes = sorted(table.indexes, key=lambda index: str(index.name))
        operations += [ops.CreateIndexOp.from_index(index) for index in indexes]
    return operations


def drop_operations(tables: Iterable[sa.Table]) -> list[ops.MigrateOperation]:
    """Drop each table (its indexes go with it), the last created first."""
    from alembic.operations import ops

    return [ops.DropTableOp.from_table(table) for table in reversed(list(tables))]
