"""Many-to-many relations (`tags:Tag:many` on Post): every fact the snippets need.

A many-to-many field has no column in its model's table. Its links are rows of an
association table named after the owner and the field (`post_tags`), with one
foreign key to each side (`post_id`, `tag_id`), both ON DELETE CASCADE (deleting
either side removes its links only), and the pair as the composite primary key.
The association table lives in the owner's model module, so the model registration
that lets Alembic see the model lets it see the table too.

In the API the relation is `tag_ids: list[int]` in create and update bodies (unknown
ids give a 422 naming them, duplicates are ignored, PATCH replaces the set) and
`tags: list[TagPublic]` in the public schema, loaded with `selectinload`; the list
endpoint filters with `tag_id`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import FieldSpecError, InvalidNameError
from .fields import MAX_NAME_LENGTH, Field, many_names
from .naming import ModelNames

if TYPE_CHECKING:
    from .spec import RelatedModel

__all__ = [
    "ManyToManySpec",
    "check_association_tables",
    "check_model_table",
    "declared_tables",
]

_TABLE_CALL = re.compile(r"""\bTable\(\s*["'](\w+)["']""")

# JSON values of `tag_ids` the API must refuse, as Python literals.
_INVALID_IDS = ('"not a list"', "[0]", "[2**31]", '["one"]', "[None]")


@dataclass(frozen=True)
class ManyToManySpec:
    """One many-to-many field of a model: its association table and API names."""

    field: Field
    owner: ModelNames
    target: RelatedModel

    @property
    def name(self) -> str:
        """The relationship attribute and the response key: `tags`."""
        return self.field.name

    @property
    def ids(self) -> str:
        """The key of create and update bodies: `tag_ids`."""
        return many_names(self.name)[1]

    @property
    def filter(self) -> str:
        """The list endpoint's filter: `tag_id`."""
        return many_names(self.name)[2]

    @property
    def table(self) -> str:
        """The association table: `post_tags`."""
        return f"{self.owner.snake}_{self.name}"

    @property
    def table_variable(self) -> str:
        """The module-level `Table` in the owner's model module: `post_tags`."""
        return self.table

    @property
    def owner_column(self) -> str:
        return f"{self.owner.snake}_id"

    @property
    def target_column(self) -> str:
        return f"{self.target.names.snake}_id"

    @property
    def setter(self) -> str:
        """The query function that replaces the links of one row: `_set_post_tags`."""
        return f"_set_{self.table}"

    @property
    def invalid_values(self) -> list[str]:
        return list(_INVALID_IDS)


def check_association_tables(
    owner: ModelNames, many: Iterable[ManyToManySpec], tables: Iterable[str]
) -> None:
    """Refuse an association table whose name a table of the project already has,
    or that PostgreSQL would truncate."""
    taken = set(tables) | {owner.table}
    for spec in many:
        if spec.owner_column == spec.target_column:
            raise FieldSpecError(
                f'"{spec.field.spec}": a many-to-many relation of a model to itself '
                "is not supported yet"
            )
        if len(spec.table) > MAX_NAME_LENGTH:
            raise FieldSpecError(
                f'"{spec.field.spec}": the association table {spec.table!r} is '
                f"longer than {MAX_NAME_LENGTH} characters (PostgreSQL's limit); "
                "give the field a shorter name"
            )
        if spec.table in taken:
            raise FieldSpecError(
                f'"{spec.field.spec}": its association table {spec.table!r} would '
                "take the name of a table the project already has; give the field "
                "another name"
            )
        taken.add(spec.table)


def declared_tables(models_dir: Path) -> set[str]:
    """The tables the project's model modules declare with `Table("name", ...)`:
    association tables, generated or written by hand."""
    tables: set[str] = set()
    for path in sorted(models_dir.glob("*.py")):
        try:
            tables.update(_TABLE_CALL.findall(path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError):
            continue
    return tables


def check_model_table(names: ModelNames, tables: Iterable[str]) -> None:
    """Refuse a new model whose table an association table already has."""
    if names.table in set(tables):
        raise InvalidNameError(
            f"model {names.class_name}: its table {names.table!r} is already an "
            "association table of a many-to-many relation; pick another name"
        )
