"""Many-to-many relations (`tags:Tag:many`): the syntax, the commands, real databases.

The end-to-end test generates a project per combination (SQLite, and one server per
engine) with `Post tags:Tag:many` and a model embedding Post, migrates it, puts rows
in, adds a many-to-many to a table with rows through `add-field`, removes models
again through `remove-model`, and runs the migration round trip and the project's
own tests (which cover create, duplicates, unknown ids, PATCH, the `tag_id` filter,
the statement count and deletes on either side), ruff and mypy. The other tests
check the refusals and what the commands write, without running the project.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from fastapi_db_scaffold.add_field import AddFieldOptions, plan_fields
from fastapi_db_scaffold.errors import FieldSpecError
from fastapi_db_scaffold.fields import field_spec, parse_field, parse_fields
from fastapi_db_scaffold.manifest import read_manifest, rebuild_manifest
from fastapi_db_scaffold.project import find_project
from fastapi_db_scaffold.remove_model import RemoveModelOptions, plan_removal

from .cli_support import invoke, tree_digest
from .matrix import COMBINATIONS, Combination, fresh_database, server_url_or_skip
from .model_commands import alembic, assert_project_passes, make_project, sync_url

MODELS = [
    ("Tag", ["name:str(40):unique"]),
    ("Post", ["title:str(200)", "tags:Tag:many"]),
    ("Comment", ["body:text", "post:Post:cascade"]),
    ("Note", ["title:str(80)"]),
]
COMBOS = [
    c
    for c in COMBINATIONS
    if c.id in {"async-sqlite-repo", "sync-postgresql-norepo", "async-mysql-repo"}
]


def _engine(url: str) -> sa.Engine:
    """A synchronous engine on the project's database; SQLite enforces foreign keys
    (and their ON DELETE) only when asked, as the project's own engine does."""
    engine = sa.create_engine(sync_url(url))
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _enforce_foreign_keys(connection: Any, _record: Any) -> None:
            connection.execute("PRAGMA foreign_keys=ON")

    return engine


def _count(engine: sa.Engine, query: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text(query)).scalar_one())


@pytest.mark.parametrize(
    "combination",
    [
        pytest.param(c, id=c.id, marks=pytest.mark.xdist_group(f"m2m-{c.id}"))
        for c in COMBOS
    ],
)
def test_many_to_many_migrates_with_rows_and_the_project_passes(
    combination: Combination, tmp_path: Path, mypy_cache: Path
) -> None:
    server_url = server_url_or_skip(combination)
    project = make_project(tmp_path / "app", MODELS, combination)
    with fresh_database(combination, tmp_path) as url:
        alembic(project, url, "upgrade", "head")
        alembic(project, url, "check")
        engine = _engine(url)
        with engine.begin() as connection:
            for statement in (
                "INSERT INTO tags (name) VALUES ('a'), ('b')",
                "INSERT INTO posts (title) VALUES ('one'), ('two')",
                "INSERT INTO post_tags (post_id, tag_id) VALUES (1, 1), (1, 2), (2, 2)",
                "INSERT INTO notes (title) VALUES ('kept'), ('also kept')",
            ):
                connection.execute(sa.text(statement))

        plan_fields(
            AddFieldOptions(project_dir=project, model="Note", fields=["tags:Tag:many"])
        ).apply()
        log = alembic(project, url, "upgrade", "head")
        assert "Add tags to notes" in log
        alembic(project, url, "check")
        with engine.begin() as connection:
            connection.execute(
                sa.text("INSERT INTO note_tags (note_id, tag_id) VALUES (1, 2)")
            )
            # Deleting either side removes its links only (ON DELETE CASCADE).
            connection.execute(sa.text("DELETE FROM tags WHERE id = 2"))
        assert _count(engine, "SELECT COUNT(*) FROM notes") == 2
        assert _count(engine, "SELECT COUNT(*) FROM note_tags") == 0
        assert _count(engine, "SELECT COUNT(*) FROM post_tags") == 1
        assert _count(engine, "SELECT COUNT(*) FROM posts") == 2
        alembic(project, url, "downgrade", "-1")
        assert "note_tags" not in sa.inspect(engine).get_table_names()
        alembic(project, url, "upgrade", "head")
        alembic(project, url, "downgrade", "base")
        alembic(project, url, "upgrade", "head")
        engine.dispose()

        assert_project_passes(project, server_url, mypy_cache)

        for model in ("Comment", "Post"):
            plan_removal(RemoveModelOptions(project_dir=project, model=model)).apply()
        log = alembic(project, url, "upgrade", "head")
        assert "Drop the posts table" in log
        alembic(project, url, "check")
        engine = _engine(url)
        tables = set(sa.inspect(engine).get_table_names())
        assert {"posts", "post_tags"}.isdisjoint(tables)
        assert {"tags", "notes", "note_tags"} <= tables
        engine.dispose()
        alembic(project, url, "downgrade", "-2")
        alembic(project, url, "upgrade", "head")
        alembic(project, url, "downgrade", "base")
        alembic(project, url, "upgrade", "head")


# ---- the syntax ---------------------------------------------------------------------


def test_a_many_field_is_a_relation_without_a_column() -> None:
    field = parse_field("tags:Tag:many")
    assert (field.is_many, field.is_relation, field.target) == (True, False, "Tag")
    assert field.taken_names == ("tags", "tag_ids", "tag_id")
    assert field_spec(field) == "tags:Tag:many"
    categories = parse_field("categories:Category:many")
    assert categories.taken_names == ("categories", "category_ids", "category_id")
    assert parse_field("staff:User:many").taken_names == (
        "staff",
        "staff_ids",
        "staff_id",
    )


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        (
            "tags:str:many",
            "many only applies to a relation: tags:Tag:many relates many rows to many "
            "rows of Tag",
        ),
        (
            "tags:Tag:many:optional",
            "many takes no other modifier (not optional): the links are rows of an "
            "association table, removed with either side, and the list may be empty",
        ),
        (
            "tags:Tag:cascade:many",
            "many takes no other modifier (not cascade): the links are rows of an "
            "association table, removed with either side, and the list may be empty",
        ),
        ("tags:Tag:many:many", "modifier 'many' is given twice"),
        (
            "tag_ids:Tag:many",
            "name the relation after the objects, not their ids: tags:Tag:many "
            "makes the ids tag_ids",
        ),
    ],
)
def test_many_refusals_name_the_argument(spec: str, problem: str) -> None:
    with pytest.raises(FieldSpecError) as caught:
        parse_field(spec)
    assert str(caught.value) == f'"{spec}": {problem}'


def test_the_names_a_many_field_takes_are_checked_against_the_others() -> None:
    with pytest.raises(FieldSpecError) as caught:
        parse_fields(["tags:Tag:many", "tag_id:int"], known_models={"Tag"})
    assert str(caught.value) == (
        "\"tag_id:int\": the name 'tag_id' is already taken by 'tags:Tag:many'"
    )
    with pytest.raises(FieldSpecError) as caught:
        parse_fields(["tags:Label:many"], known_models={"Tag"})
    assert "no model 'Label' in this project (known: Tag)" in str(caught.value)


# ---- the commands, without running the project ------------------------------------


@pytest.fixture(scope="module")
def blog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("m2m") / "blog", MODELS[:2])


@pytest.fixture
def project(blog: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(blog, tmp_path / "blog"))


def test_the_association_table_lives_in_the_owners_model_module(blog: Path) -> None:
    model = (blog / "blog/models/post.py").read_text()
    assert "post_tags = Table(\n" in model
    assert 'ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True' in model
    assert 'ForeignKey("tags.id", ondelete="CASCADE"),' in model
    assert 'relationship(\n        secondary=post_tags, lazy="raise"' in model
    manifest = read_manifest(blog)
    assert manifest is not None
    assert manifest.generated("Post", "test").fields == (
        "title:str(200)",
        "tags:Tag:many",
    )
    schemas = (blog / "blog/schemas/post.py").read_text()
    assert "tag_ids: list[Id] = Field(default_factory=list" in schemas
    assert "tags: list[TagPublic]" in schemas
    assert "tag_id: Id | None = None" in schemas


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("remove-model", "Tag"),
            "cannot remove Tag: Post relates to it; remove those relations (or "
            "models) first",
        ),
        (
            ("add-model", "PostTag", "name:str(20)"),
            "model PostTag: its table 'post_tags' is already an association table "
            "of a many-to-many relation; pick another name",
        ),
        (("add-field", "Tag", "tags:Tag:many"), "to itself"),
        (
            ("add-field", "Post", "tags:Tag:many"),
            "the name 'tags' is already taken by 'tags:Tag:many'",
        ),
        (
            ("add-model", "Post2", "tags:Tag:many:index"),
            "many takes no other modifier (not index)",
        ),
    ],
)
def test_refusals_are_one_line_and_change_nothing(
    project: Path, args: tuple[str, ...], message: str
) -> None:
    before = tree_digest(project)
    result = invoke(*args, "--project", str(project))
    assert result.exit_code != 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.output
    assert tree_digest(project) == before


def test_the_help_documents_many(project: Path) -> None:
    result = invoke("add-model", "--help")
    assert result.exit_code == 0
    assert "tags:Tag:many" in result.stdout


def test_a_project_without_a_manifest_gets_many_back_from_its_models(
    project: Path,
) -> None:
    (project / ".fastapi-db.yml").unlink()
    rebuilt = rebuild_manifest(find_project(project))
    assert rebuilt.skipped == ()
    assert rebuilt.manifest.generated("Post", "test").fields == (
        "title:str(200)",
        "tags:Tag:many",
    )
