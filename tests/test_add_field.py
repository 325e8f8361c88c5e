"""`fastapi-db add-field`: new fields on a generated model, in every file and one
migration, on real databases with rows in the table.

Each combination below is generated, given two models, migrated, filled with rows
through the database, then given fields of every kind that an existing table can
take (a required field with a default, optional ones, a unique one, an optional
relation). The revision must fill the rows, `alembic check` must find no drift, the
downgrade and upgrade again must work with the rows present, and the project's own
tests, ruff and mypy must pass.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from fastapi_db_scaffold.add_field import AddFieldOptions, plan_fields
from fastapi_db_scaffold.manifest import read_manifest

from .cli_support import invoke, tree_digest
from .matrix import (
    COMBINATIONS,
    Combination,
    fresh_database,
    server_url_or_skip,
)
from .model_commands import alembic, assert_project_passes, make_project, sync_url

MODELS = [
    ("Author", ["name:str(80)"]),
    ("Article", ["title:str(200):unique", "body:text"]),
]
ADDED = [
    "views:int:default=7",
    "score:decimal(6,2):default=1.25",
    "stage:enum(draft,live):default=live",
    "seen_at:datetime:default=2024-05-17T10:00:00+02:00",
    "slug:str(60):unique:optional",
    "summary:text:optional",
    "writer:Author:optional:set-null",
]
# One per database and engine; the repository layer both ways.
COMBOS = [
    c
    for c in COMBINATIONS
    if c.id
    in {
        "async-sqlite-repo",
        "sync-postgresql-norepo",
        "async-mysql-norepo",
        "sync-mysql-repo",
    }
]


@pytest.mark.parametrize(
    "combination",
    [
        pytest.param(c, id=c.id, marks=pytest.mark.xdist_group(f"add-field-{c.id}"))
        for c in COMBOS
    ],
)
def test_added_fields_fill_existing_rows_and_the_project_still_passes(
    combination: Combination, tmp_path: Path, mypy_cache: Path
) -> None:
    server_url = server_url_or_skip(combination)
    project = make_project(tmp_path / "app", MODELS, combination)
    with fresh_database(combination, tmp_path) as url:
        alembic(project, url, "upgrade", "head")
        engine = sa.create_engine(sync_url(url))
        with engine.begin() as connection:
            connection.execute(sa.text("INSERT INTO authors (name) VALUES ('Ann')"))
            for n in range(3):
                connection.execute(
                    sa.text("INSERT INTO articles (title, body) VALUES (:t, 'text')"),
                    {"t": f"title {n}"},
                )

        changes = plan_fields(
            AddFieldOptions(project_dir=project, model="Article", fields=ADDED)
        )
        changes.apply()
        log = alembic(project, url, "upgrade", "head")
        assert (
            "Add views, score, stage, seen_at, slug, summary, writer_id to articles"
            in log
        )
        alembic(project, url, "check")
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT views, score, stage, slug, writer_id FROM articles")
            ).all()
        assert [tuple(r) for r in rows] == [
            (7, pytest.approx(1.25), "live", None, None)
        ] * 3
        alembic(project, url, "downgrade", "-1")
        alembic(project, url, "upgrade", "head")
        alembic(project, url, "downgrade", "base")
        alembic(project, url, "upgrade", "head")
        engine.dispose()

    assert_project_passes(project, server_url, mypy_cache)


@pytest.fixture(scope="module")
def blog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("blog") / "blog", MODELS)


@pytest.fixture
def project(blog: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(blog, tmp_path / "blog"))


def test_every_file_of_the_model_follows_and_user_edits_stay(project: Path) -> None:
    router = project / "blog/routers/articles.py"
    with router.open("a") as handle:
        handle.write("\n\n# Our own note, kept.\n")
    schemas_before = (project / "blog/schemas/article.py").read_text()
    result = invoke(
        "add-field", "Article", "rating:int:optional", "--project", str(project)
    )
    assert result.exit_code == 0, result.output
    changed = {
        line.split()[-1] for line in result.stdout.splitlines() if line.startswith("  ")
    }
    assert {
        "blog/models/article.py",
        "blog/schemas/article.py",
        "blog/repositories/article.py",
        "tests/factories.py",
        "tests/test_articles.py",
        ".fastapi-db.yml",
    } <= changed
    assert "rating" in (project / "blog/models/article.py").read_text()
    assert "rating" in (project / "blog/schemas/article.py").read_text()
    assert (project / "blog/schemas/article.py").read_text() != schemas_before
    assert "# Our own note, kept." in router.read_text()
    manifest = read_manifest(project)
    assert manifest is not None
    entry = manifest.get("Article")
    assert entry is not None and entry.fields[-1] == "rating:int:optional"
    assert (
        len(list((project / "migrations/versions").glob("*add_rating_to_articles*")))
        == 1
    )


def test_a_conflicting_edit_refuses_everything(project: Path) -> None:
    schemas = project / "blog/schemas/article.py"
    text = schemas.read_text()
    # The user rewrote the line where the new field's schema line goes.
    marker = "    body: str"
    assert marker in text
    schemas.write_text(
        text.replace(marker, "    body: str  # the whole article, edited", 1)
    )
    before = tree_digest(project)
    result = invoke(
        "add-field", "Article", "rating:int:optional", "--project", str(project)
    )
    assert result.exit_code == 1
    assert "conflict" in result.stderr and "blog/schemas/article.py" in result.stderr
    assert "nothing was written" in result.stderr and "Traceback" not in result.output
    assert tree_digest(project) == before


RefusalCase = tuple[list[str], int, str]
REFUSALS: list[RefusalCase] = [
    (["Ghost", "x:int:optional"], 1, "Ghost is not a model that fastapi-db made"),
    (["Article", "views:int"], 2, "default=VALUE"),
    (["Article", "owner:Author"], 2, "add the relation as optional"),
    (["Article", "title:str:optional"], 2, "already taken"),
    (["Article", "x:nonsense"], 2, "unknown type"),
    (["Article"], 2, "at least one FIELD"),
]


@pytest.mark.parametrize(("args", "code", "message"), REFUSALS, ids=lambda v: str(v))
def test_refusals_change_nothing(
    project: Path, args: list[str], code: int, message: str
) -> None:
    before = tree_digest(project)
    result = invoke("add-field", *args, "--project", str(project))
    assert result.exit_code == code, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert tree_digest(project) == before


def test_dry_run_shows_the_diff_and_writes_nothing(project: Path) -> None:
    before = tree_digest(project)
    result = invoke(
        "add-field",
        "Article",
        "rating:int:optional",
        "--dry-run",
        "--project",
        str(project),
    )
    assert result.exit_code == 0, result.output
    assert "+++ b/blog/models/article.py" in result.stdout and "rating" in result.stdout
    assert "nothing was written" in result.stdout
    assert tree_digest(project) == before


def test_no_migration_writes_no_revision(project: Path) -> None:
    versions = set(os.listdir(project / "migrations/versions"))
    result = invoke(
        "add-field",
        "Article",
        "rating:int:optional",
        "--no-migration",
        "--project",
        str(project),
    )
    assert result.exit_code == 0, result.output
    assert set(os.listdir(project / "migrations/versions")) == versions
