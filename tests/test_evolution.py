"""Models that evolve: what the matrix and the model commands check beyond one render.

- The matrix's migration step puts rows in before the models evolve (`matrix.rows`):
  here on plain SQLite tables, without a project, so that a migration that loses a
  row, changes a value or leaves an added column unfilled is shown to fail it.
- A back-reference may not take the name of another attribute of its target
  (`User.posts` of `Post.author` and a field `posts` of User): `add-model` and
  `add-field` refuse, one line on stderr, nothing written.
- A template fork whose router snippet has no `related_router` (an older version of
  it) still gives a project that imports and passes its tests after `add-model` of a
  model relating to another (`Registration.only_if_defined`).
"""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from fastapi_db_scaffold.matrix import rows
from fastapi_db_scaffold.matrix.models import every_model
from fastapi_db_scaffold.migrations import revision_history

from .cli_support import copy_template_source, invoke, tree_digest
from .model_commands import assert_project_passes, make_project

# ---- rows present while the models evolve ---------------------------------------

BEFORE = [
    ("Author", ["name:str(40):unique", "born:date:optional"]),
    ("Tag", ["label:str(20)"]),
    ("Book", ["title:str(80)", "writer:Author:cascade", "tags:Tag:many"]),
]
ADDED = {
    "Author": [
        "rank:int:default=7",
        "since:datetime:default=2024-01-01T09:30:00+02:00",
    ],
    "Book": ["note:text:optional", "editor:Author:optional:set-null"],
}
HISTORY = [(name, [*fields, *ADDED.get(name, [])]) for name, fields in BEFORE]


def _engine(tmp_path: Path) -> sa.Engine:
    engine = rows.database_engine(f"sqlite:///{tmp_path / 'rows.db'}", "sqlite")
    metadata = sa.MetaData()
    sa.Table(
        "authors",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(40), unique=True, nullable=False),
        sa.Column("born", sa.Date),
        sa.Column("created_at", sa.DateTime, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime, server_default=sa.func.now()),
    )
    sa.Table(
        "tags",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("label", sa.String(20), nullable=False),
    )
    sa.Table(
        "books",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(80), nullable=False),
        sa.Column("writer_id", sa.ForeignKey("authors.id"), nullable=False),
    )
    sa.Table(
        "book_tags",
        metadata,
        sa.Column("book_id", sa.ForeignKey("books.id"), primary_key=True),
        sa.Column("tag_id", sa.ForeignKey("tags.id"), primary_key=True),
    )
    metadata.create_all(engine)
    return engine


def _migrate(engine: sa.Engine, rank: int = 7, since: str | None = None) -> None:
    """What the add-field revisions do: add the columns, fill the required ones."""
    with engine.begin() as connection:
        for statement in (
            "ALTER TABLE authors ADD COLUMN rank INTEGER",
            f"UPDATE authors SET rank = {rank}",
            "ALTER TABLE authors ADD COLUMN since DATETIME",
            f"UPDATE authors SET since = '{since or '2024-01-01 07:30:00.000000'}'",
            "ALTER TABLE books ADD COLUMN note TEXT",
            "ALTER TABLE books ADD COLUMN editor_id INTEGER",
        ):
            connection.exec_driver_sql(statement)


def test_rows_go_into_the_tables_and_columns_there_are(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    seeded = rows.put_rows(engine, HISTORY)
    summary = seeded.summary()
    assert "authors 3, tags 3, books 3, book_tags 6" in summary
    assert "columns to be added: authors.rank, authors.since, books.note" in summary
    with engine.connect() as connection:
        books = connection.exec_driver_sql("SELECT id, writer_id FROM books").all()
        links = connection.exec_driver_sql("SELECT * FROM book_tags").all()
    assert sorted(books) == [(1, 1), (2, 2), (3, 3)]
    assert len(set(links)) == 6
    _migrate(engine)
    assert rows.check_rows(engine, seeded) == []


def test_a_migration_that_fills_a_column_wrongly_or_loses_rows_fails(
    tmp_path: Path,
) -> None:
    engine = _engine(tmp_path)
    seeded = rows.put_rows(engine, HISTORY)
    _migrate(engine, rank=8, since="2024-01-01 09:30:00.000000")
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE books SET title = 'changed' WHERE id = 2")
        connection.exec_driver_sql("DELETE FROM book_tags WHERE book_id = 3")
        connection.exec_driver_sql("UPDATE books SET note = 'filled'")
    problems = rows.check_rows(engine, seeded)
    assert problems[0].startswith("authors.rank of the rows that were there is 8")
    assert "not the default 7" in problems[0]
    assert problems[1].startswith("authors.since of the rows that were there is")
    assert any(p.startswith("books: its rows changed") for p in problems)
    assert "book_tags: 2 of its 6 rows are gone" in problems


def test_a_dropped_table_is_left_to_alembic_check(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    seeded = rows.put_rows(engine, HISTORY)
    _migrate(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE book_tags")
    assert rows.check_rows(engine, seeded) == []


def test_the_matrix_history_gives_every_table_a_value_of_each_column(
    tmp_path: Path,
) -> None:
    """Every field type of the standard models has a value (`rows._value`)."""
    engine = rows.database_engine(f"sqlite:///{tmp_path / 'all.db'}", "sqlite")
    metadata = sa.MetaData()
    for planned in rows._planned_tables(every_model()):
        planned.table.to_metadata(metadata)
    metadata.create_all(engine)
    seeded = rows.put_rows(engine, every_model())
    assert not seeded.skipped
    assert all(len(table.rows) >= rows.ROWS for table in seeded.tables)
    assert rows.check_rows(engine, seeded) == []


def _revision(directory: Path, revision: str, parent: str | None, body: str) -> None:
    (directory / f"{revision}.py").write_text(
        f'revision = "{revision}"\ndown_revision = {parent!r}\n\n\n'
        f"def upgrade() -> None:\n    {body}\n"
    )


def test_rows_go_in_before_the_first_revision_that_adds_columns(tmp_path: Path) -> None:
    _revision(tmp_path, "c", "b", 'batch_op.add_column(sa.Column("x", sa.Text()))')
    _revision(tmp_path, "a", None, "pass")
    _revision(tmp_path, "b", "a", 'op.create_table("t")')
    _revision(tmp_path, "d", "c", 'batch_op.add_column(sa.Column("y", sa.Text()))')
    assert [revision for revision, _ in revision_history(tmp_path)] == list("abcd")
    assert rows.before_added_columns(tmp_path) == "b"
    (tmp_path / "c.py").unlink()
    (tmp_path / "d.py").unlink()
    assert rows.before_added_columns(tmp_path) == "b"  # none adds one: at head


# ---- back-reference names ---------------------------------------------------------

CLASHING = [
    ("User", ["email:str(120):unique", "posts:text:optional", "books:text:optional"]),
    ("Category", ["name:str(50)", "parent:Category:optional:set-null"]),
    ("Author", ["name:str(50)"]),
    ("Book", ["title:str(50)", "writer:Author:optional"]),
]


@pytest.fixture(scope="module")
def clashing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("clashing") / "blog", CLASHING)


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (
            ["add-model", "Post", "title:str(50)", "author:User"],
            "User.posts, the back-reference of Post.author, would clash with the "
            "field posts of User; rename one of them",
        ),
        (
            ["add-model", "Child", "category:Category:optional"],
            "Category.children would be the back-reference of both Child.category "
            "and Category.parent; rename one of the relations",
        ),
        (
            ["add-field", "Book", "reader:User:optional"],
            "User.books, the back-reference of Book.reader, would clash with the "
            "field books of User",
        ),
        (
            ["add-field", "Author", "books:text:optional"],
            "Author.books, the back-reference of Book.writer, would clash with the "
            "field books of Author",
        ),
        (
            ["add-field", "Category", "children:text:optional"],
            "Category.children, the back-reference of Category.parent, would clash "
            "with the field children of Category",
        ),
    ],
    ids=["add-model-field", "add-model-backref", "add-field-target", "add-field-own",
         "add-field-self"],
)  # fmt: skip
def test_a_back_reference_named_like_another_attribute_is_refused(
    clashing: Path, command: list[str], message: str
) -> None:
    before = tree_digest(clashing)
    result = invoke(*command, "--project", str(clashing))
    assert result.exit_code == 2, result.output  # a FIELD argument is refused
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert tree_digest(clashing) == before


# ---- a fork without related_router ------------------------------------------------


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def _cut(path: Path, pattern: str) -> None:
    """Remove what `pattern` (a regex, DOTALL) matches, once."""
    text = path.read_text(encoding="utf-8")
    cut, count = re.subn(pattern, "", text, count=1, flags=re.DOTALL)
    assert count == 1, f"{pattern!r} not in {path}"
    path.write_text(cut, encoding="utf-8")


@pytest.fixture(scope="module")
def fork_without_related_router(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template as an older version had it: routers with no `related_router`,
    so no back-reference route (and no generated test of one)."""
    root = tmp_path_factory.mktemp("fork") / "template"
    copy_template_source(root)
    _cut(
        root / "snippets/router.py.jinja",
        r"\{%- if model\.relations %\}\n\n\nrelated_router = .*?\{%- endif %\}",
    )
    _cut(
        root / "snippets/test_model.py.jinja",
        r"\{%- for field in model\.relations %\}\n\{%- set target = field\.target"
        r"\.names %\}\n\{%- set reference = .*?\{%- endfor %\}",
    )
    assert "related_router =" not in (root / "snippets/router.py.jinja").read_text()
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "fork")
    return root


def test_a_fork_without_related_router_gets_a_working_project(
    fork_without_related_router: Path, tmp_path: Path
) -> None:
    project = tmp_path / "blog"
    result = invoke(
        "new", "blog", "--dest", str(project), "--yes",
        "--engine", "sync", "--database", "sqlite",
        "--template", str(fork_without_related_router),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    for command in (
        ["add-model", "User", "email:str(120):unique"],
        ["add-model", "Post", "title:str(80)", "author:User:cascade"],
    ):
        result = invoke(*command, "--project", str(project))
        assert result.exit_code == 0, result.output
    routers = (project / "blog/routers/__init__.py").read_text()
    assert "related_router" not in routers
    assert "include_router(posts_router)" in routers
    assert "related_router =" not in (project / "blog/routers/posts.py").read_text()
    # The model still has its back-reference: the model snippet is the fork's too.
    assert "posts: Mapped[list" in (project / "blog/models/user.py").read_text()
    assert_project_passes(project, None, tmp_path)


def test_a_moment_default_is_compared_as_an_instant() -> None:
    later = datetime(2024, 1, 1, 7, 30)  # naive: UTC, as SQLite and MySQL give it
    assert rows._same(later, datetime.fromisoformat("2024-01-01T09:30:00+02:00"))
    assert not rows._same(later.replace(tzinfo=UTC), datetime(2024, 1, 1, 9, 30))
