"""One-to-many back-references and self relations, end to end.

A project gets User, Category and Post (two relations to User, one to Category),
rows in the categories table, then `add-field Category parent:Category` (a relation
of a model to itself, added to a table with rows: SQLite's batch mode, a foreign key
to its own table). Its migrations round-trip, and its own tests (which include the
generated tests of `GET /users/{user_id}/posts-as-author` and
`GET /categories/{category_id}/children`), ruff and mypy pass on SQLite and on a
server. The other tests check how the target's model file follows: user edits
survive, a conflict refuses and writes nothing, `remove-model` takes the
back-reference out again, and a re-render from the manifest (what `update` does)
gives the same files.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from fastapi_db_scaffold.add_field import AddFieldOptions, add_field
from fastapi_db_scaffold.imports import ModuleIndex, with_imports
from fastapi_db_scaffold.manifest import read_manifest
from fastapi_db_scaffold.naming import model_names
from fastapi_db_scaffold.project import find_project
from fastapi_db_scaffold.regenerate import render_project
from fastapi_db_scaffold.spec import back_reference_name

from .cli_support import invoke, tree_digest
from .matrix import COMBINATIONS, Combination, fresh_database, server_url_or_skip
from .model_commands import alembic, assert_project_passes, make_project, sync_url

MODELS = [
    ("User", ["email:str(120):unique"]),
    ("Category", ["name:str(80)"]),
    (
        "Post",
        [
            "title:str(200)",
            "author:User:cascade",
            "editor:User:optional:set-null",
            "category:Category:optional",
        ],
    ),
]
SELF_RELATION = "parent:Category:optional:set-null"
COMBOS = [
    c for c in COMBINATIONS if c.id in {"async-sqlite-repo", "sync-postgresql-norepo"}
]


@pytest.mark.parametrize(
    "combination",
    [
        pytest.param(c, id=c.id, marks=pytest.mark.xdist_group(f"relations-{c.id}"))
        for c in COMBOS
    ],
)
def test_back_references_and_a_self_relation_pass_on_a_real_database(
    combination: Combination, tmp_path: Path, mypy_cache: Path
) -> None:
    server_url = server_url_or_skip(combination)
    project = make_project(tmp_path / "app", MODELS, combination)
    package = project / combination.project_name
    user = (package / "models/user.py").read_text()
    assert 'posts_as_author: Mapped[list["Post"]] = relationship(' in user
    assert 'posts_as_editor: Mapped[list["Post"]]' in user
    assert "if TYPE_CHECKING:" in user
    assert 'posts: Mapped[list["Post"]]' in (package / "models/category.py").read_text()
    with fresh_database(combination, tmp_path) as url:
        alembic(project, url, "upgrade", "head")
        engine = sa.create_engine(sync_url(url))
        with engine.begin() as connection:
            for name in ("news", "sport"):
                connection.execute(
                    sa.text("INSERT INTO categories (name) VALUES (:n)"), {"n": name}
                )
        add_field(
            AddFieldOptions(
                project_dir=project, model="Category", fields=[SELF_RELATION]
            )
        )
        alembic(project, url, "upgrade", "head")
        alembic(project, url, "check")
        with engine.begin() as connection:
            connection.execute(
                sa.text("UPDATE categories SET parent_id = 1 WHERE name = 'sport'")
            )
        alembic(project, url, "downgrade", "-1")
        alembic(project, url, "upgrade", "head")
        alembic(project, url, "downgrade", "base")
        alembic(project, url, "upgrade", "head")
        engine.dispose()
    category = (package / "models/category.py").read_text()
    assert 'children: Mapped[list["Category"]] = relationship(' in category
    assert 'parent: Mapped["Category | None"]' in category
    router = (package / "routers/categories.py").read_text()
    assert '"/categories/{category_id}/children"' in router
    assert (
        "class CategorySummary(BaseModel):"
        in (package / "schemas/category.py").read_text()
    )
    assert_project_passes(project, server_url, mypy_cache)


@pytest.fixture(scope="module")
def blog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("blog") / "blog", MODELS[:2])


@pytest.fixture
def project(blog: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(blog, tmp_path / "blog"))


def _add_post(project: Path) -> None:
    result = invoke("add-model", "Post", *MODELS[2][1], "--project", str(project))
    assert result.exit_code == 0, result.output


def test_edits_of_the_target_survive_add_model_and_remove_model(project: Path) -> None:
    path = project / "blog/models/user.py"
    original = path.read_text()
    edited = original.replace(
        '"""The user model: table `users`."""', '"""Our users: people who write."""'
    )
    edited += "\n\ndef display_name(user: User) -> str:\n    return user.email\n"
    path.write_text(edited)

    _add_post(project)
    text = path.read_text()
    assert '"""Our users: people who write."""' in text
    assert "def display_name(user: User) -> str:" in text
    assert 'back_populates="author"' in text and 'back_populates="editor"' in text
    routers = (project / "blog/routers/__init__.py").read_text()
    assert "api_router.include_router(posts_related_router)" in routers

    result = invoke("remove-model", "Post", "--project", str(project))
    assert result.exit_code == 0, result.output
    assert path.read_text() == edited
    assert (
        "posts_related_router" not in (project / "blog/routers/__init__.py").read_text()
    )


def test_a_conflicting_edit_of_the_target_refuses_and_writes_nothing(
    project: Path,
) -> None:
    path = project / "blog/models/user.py"
    path.write_text(path.read_text().replace("String(120)", "String(160)"))
    before = tree_digest(project)
    result = invoke("add-model", "Post", *MODELS[2][1], "--project", str(project))
    assert result.exit_code == 1
    assert "blog/models/user.py" in result.stderr
    assert "nothing was written" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert tree_digest(project) == before


def test_add_field_relation_gives_the_target_its_back_reference(project: Path) -> None:
    result = invoke("add-model", "Post", "title:str(200)", "--project", str(project))
    assert result.exit_code == 0, result.output
    result = invoke(
        "add-field", "Post", "author:User:optional", "--project", str(project)
    )
    assert result.exit_code == 0, result.output
    user = (project / "blog/models/user.py").read_text()
    assert 'posts: Mapped[list["Post"]] = relationship(' in user
    router = (project / "blog/routers/posts.py").read_text()
    assert (
        '@related_router.get("/users/{user_id}/posts", responses=NOT_FOUND)' in router
    )
    assert "def read_user_posts(" in router
    assert "posts_related_router" in (project / "blog/routers/__init__.py").read_text()


def test_a_render_from_the_manifest_gives_the_same_files(
    project: Path, tmp_path: Path
) -> None:
    _add_post(project)
    result = invoke("add-field", "Category", SELF_RELATION, "--project", str(project))
    assert result.exit_code == 0, result.output
    found = find_project(project)
    manifest = read_manifest(project)
    assert manifest is not None
    render = render_project(
        found.template, found.answers, manifest.models, tmp_path / "r"
    )
    for relative in (
        "blog/models/user.py",
        "blog/models/category.py",
        "blog/models/post.py",
        "blog/routers/__init__.py",
        "blog/routers/posts.py",
        "blog/schemas/category.py",
        "tests/factories.py",
        "tests/test_categories.py",
    ):
        assert (render / relative).read_text() == (project / relative).read_text()


@pytest.mark.parametrize(
    "args",
    [
        ["add-model", "Section", "name:str(80)", "parent:Section"],
        ["add-field", "Category", "parent:Category:cascade"],
    ],
    ids=["add-model", "add-field"],
)
def test_a_required_self_relation_is_refused(project: Path, args: list[str]) -> None:
    before = tree_digest(project)
    result = invoke(*args, "--project", str(project))
    assert result.exit_code == 2, result.output  # a FIELD error: usage
    assert len(result.stderr.strip().splitlines()) == 1
    assert "a relation of a model to itself must be optional" in result.stderr
    assert tree_digest(project) == before


@pytest.mark.parametrize(
    ("source", "relation", "shares_target", "is_self", "expected"),
    [
        ("Post", "author", False, False, "posts"),
        ("Post", "author", True, False, "posts_as_author"),
        ("Post", "editor", True, False, "posts_as_editor"),
        ("BlogPost", "writer", False, False, "blog_posts"),
        ("Category", "parent", False, True, "children"),
        ("Employee", "manager", False, True, "employees_as_manager"),
    ],
)
def test_back_reference_names(
    source: str, relation: str, shares_target: bool, is_self: bool, expected: str
) -> None:
    name = back_reference_name(
        model_names(source), relation, shares_target=shares_target, is_self=is_self
    )
    assert name == expected


def test_a_name_only_in_a_quoted_annotation_is_imported_for_type_checking() -> None:
    code = (
        '"""The user model."""\n\n\n'
        "class User(Base):\n"
        '    kind: Mapped[Literal["Post", "Draft"]]\n'
        '    posts: Mapped[list["Post"]] = relationship()\n'
        '    me: Mapped["User | None"] = relationship()\n'
    )
    index = ModuleIndex(
        {"app.models.post": frozenset({"Post"}), "app.db": frozenset({"Base"})}
    )
    text = with_imports(
        code,
        module="app.models.user",
        index=index,
        sources=["app.models.*", "app.db"],
        path="app/models/user.py",
    )
    assert "from typing import Literal, TYPE_CHECKING\n" in text  # ruff sorts later
    assert "\nif TYPE_CHECKING:\n    from .post import Post\n" in text
    assert "import Draft" not in text and "import User" not in text


def test_strings_in_annotated_metadata_are_no_names() -> None:
    """`Field(json_schema_extra={"x-maxDigits": 8})` holds strings, not types."""
    code = (
        '"""The post schemas."""\n\n\n'
        "class PostCreate(BaseModel):\n"
        "    price: Annotated[Decimal, Field("
        'description="At most 8 digits", json_schema_extra={"x-maxDigits": 8})]\n'
        '    owner: Annotated["User", "metadata-x"]\n'
    )
    index = ModuleIndex({"app.models.user": frozenset({"User"})})
    text = with_imports(
        code,
        module="app.schemas.post",
        index=index,
        sources=["app.models.*"],
        path="app/schemas/post.py",
    )
    assert "\nif TYPE_CHECKING:\n    from ..models.user import User\n" in text
