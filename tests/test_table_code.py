"""`table_code` writes the create-table revision Alembic would write, without Alembic.

Each case renders a new model's revision both ways (`table_code`, and Alembic over
`migrations.model_table`) and compares the two files as Python syntax trees, so
quoting and line breaks (which ruff settles afterwards) do not count but every
column, type, name and keyword does.
"""

import ast
from datetime import UTC, datetime

import pytest

from fastapi_db_scaffold import migrations
from fastapi_db_scaffold.field_types import FIELD_TYPES, RELATION, TypeArguments
from fastapi_db_scaffold.fields import parse_fields
from fastapi_db_scaffold.naming import model_names
from fastapi_db_scaffold.spec import FieldSpec, RelatedModel
from fastapi_db_scaffold.table_code import create_table_code

CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
OTHER_CONVENTION = {
    "ix": "%(table_name)s_%(column_0N_name)s_idx",
    "uq": "%(table_name)s_%(column_0_key)s_key",
    "fk": "%(table_name)s_%(column_0_name)s_%(referred_column_0_name)s_fkey",
    "pk": "%(table_name)s_pkey",
}
MOMENT = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
CASES = {
    "no fields": [],
    "every type": [
        "a:str",
        "b:str(80):unique",
        "c:text:optional",
        "d:int:index",
        "e:bigint:default=5",
        "f:float:optional",
        "g:decimal",
        "h:decimal(12,4):unique",
        "i:bool:default=true",
        "j:date:index",
        "k:datetime",
        "l:time:optional",
        "m:uuid:unique",
        "n:json",
        "o:enum(draft,published,archived_for_good)",
        "p:email:unique",
        "q:url:optional",
        "r:str(20):unique:index",
    ],
    "relations": [
        "title:str(200)",
        "author:User",
        "editor:User:optional:set-null",
        "home:Blog:cascade",
        "owner:User:unique",
    ],
}


def _specs(table: str, arguments: list[str]) -> tuple[str, tuple[FieldSpec, ...]]:
    owner = model_names("Thing")
    tables = {"User": "users", "Blog": "blogs"}
    fields = parse_fields(arguments, known_models=tables, model="Thing")
    specs = tuple(
        FieldSpec(
            field,
            owner,
            RelatedModel(model_names(field.target), tables[field.target])
            if field.target
            else None,
        )
        for field in fields
    )
    return table, specs


def _alembic(
    table: str, specs: tuple[FieldSpec, ...], convention: dict[str, str]
) -> str:
    model = migrations.model_table(table, specs, convention)
    return migrations.render_create_table_revision(model, "abc", "def", "m", MOMENT)


def _ours(table: str, specs: tuple[FieldSpec, ...], convention: dict[str, str]) -> str:
    code = create_table_code(table, specs, convention)
    assert code is not None
    upgrade, downgrade = code
    return migrations._revision_text("m", "abc", "def", MOMENT, upgrade, downgrade)


@pytest.mark.parametrize("convention", [CONVENTION, OTHER_CONVENTION])
@pytest.mark.parametrize("case", list(CASES))
def test_the_revision_is_the_one_alembic_writes(
    case: str, convention: dict[str, str]
) -> None:
    table, specs = _specs("things", CASES[case])
    ours, theirs = _ours(table, specs, convention), _alembic(table, specs, convention)
    assert ast.dump(ast.parse(ours)) == ast.dump(ast.parse(theirs)), (
        f"ours:\n{ours}\nAlembic's:\n{theirs}"
    )


def test_every_type_is_written_as_alembic_writes_it() -> None:
    arguments = TypeArguments(length=42, precision=9, scale=3, choices=("a", "bc"))
    for field_type in FIELD_TYPES.values():
        ours = field_type.code(field_type.migration_code, arguments, enum_name="t_e")
        alembic = migrations._type_code(field_type.migration(arguments, "t_e"))
        assert ast.dump(ast.parse(ours)) == ast.dump(ast.parse(alembic)), (
            f"{field_type.name}: {ours} != {alembic}"
        )
    assert RELATION in FIELD_TYPES


@pytest.mark.parametrize(
    "convention",
    [
        {k: v for k, v in CONVENTION.items() if k != "ix"},
        {**CONVENTION, "uq": "uq_%(column_0_label)s_%(unheard_of)s"},
    ],
    ids=["a key missing", "an unknown token"],
)
def test_what_it_cannot_name_is_left_to_alembic(convention: dict[str, str]) -> None:
    table, specs = _specs("things", ["code:str(8):unique", "rank:int:index"])
    assert create_table_code(table, specs, convention) is None
