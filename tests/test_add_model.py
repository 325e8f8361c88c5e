"""`fastapi-db add-model`: what it writes, what it refuses, all or nothing.

One project is generated per module and copied for each test that changes it. Most
runs go through Typer's CliRunner; a few through a real subprocess
(`python -m fastapi_db_scaffold add-model ...`) for what only a process shows: one
line on stderr, the exit code, no traceback. A refusal or a failure half-way must
leave the project byte-for-byte as it was (`tree_digest` before and after).
"""

import ast
import errno
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import Result

from fastapi_db_scaffold import __version__
from fastapi_db_scaffold.add_model import AddModelOptions, plan_model
from fastapi_db_scaffold.edits import insert_above_marker
from fastapi_db_scaffold.errors import ProjectError
from fastapi_db_scaffold.manifest import MANIFEST_FILE, read_manifest
from fastapi_db_scaffold.resources import (
    FACTORY_MARKER,
    MODEL_MARKER,
    ROUTER_IMPORT_MARKER,
    ROUTER_INCLUDE_MARKER,
)
from fastapi_db_scaffold.scaffold import NewProjectOptions, create_project

from .cli_support import invoke, run_module, tree_digest

USER_FIELDS = ["email:str(120):unique", "name:str"]
POST_FIELDS = ["title:str", "author:User:cascade"]
NOT_PASCAL_CASE = (
    "must be a PascalCase ASCII identifier: an uppercase letter, then letters and "
    "digits, e.g. Post or BlogPost"
)
TWO_HEADS = (
    "error: the migration history has 2 heads ({}, {}); merge them first "
    "(alembic merge heads) so a new revision has one parent"
)


def changed_paths(
    before: dict[str, str], after: dict[str, str]
) -> tuple[set[str], set[str], set[str]]:
    """(new, edited, removed) paths between two digests."""
    new = set(after) - set(before)
    removed = set(before) - set(after)
    edited = {path for path in set(before) & set(after) if before[path] != after[path]}
    return new, edited, removed


def revision_of(path: Path) -> tuple[object, object]:
    """`revision` and `down_revision` of a migration file, read with ast."""
    values: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.AnnAssign | ast.Assign):
            target = node.target if isinstance(node, ast.AnnAssign) else node.targets[0]
            if isinstance(target, ast.Name) and node.value is not None:
                values[target.id] = ast.literal_eval(node.value)
    return values.get("revision"), values.get("down_revision")


def model_revisions(project: Path) -> list[Path]:
    """The migration files other than the template's initial one."""
    versions = project / "migrations" / "versions"
    return sorted(p for p in versions.glob("*.py") if p.name != "0001_initial.py")


def assert_one_error_line(stderr: str, expected: str) -> None:
    assert "Traceback" not in stderr
    assert stderr.splitlines() == [expected]


def assert_refused(result: Result, exit_code: int, expected: str) -> None:
    """Refused with `exit_code`, the one line `expected` on stderr, no exception."""
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.exception
    )
    assert result.exit_code == exit_code, result.output
    assert result.stdout == ""
    assert_one_error_line(result.stderr, expected)


# ---- projects ---------------------------------------------------------------------


@dataclass(frozen=True)
class AddedModel:
    """A project after one `add-model` run: its digests before/after and the output."""

    root: Path
    before: dict[str, str]
    after: dict[str, str]
    result: Result


def generate(dest: Path, *, repository: bool = True) -> Path:
    create_project(
        NewProjectOptions(name="demo", dest=dest, repository=repository, yes=True)
    )
    return dest


def add_model_to(root: Path, model: str, *fields: str) -> AddedModel:
    before = tree_digest(root)
    result = invoke("add-model", model, *fields, "--project", str(root))
    assert result.exit_code == 0, result.output
    return AddedModel(root, before, tree_digest(root), result)


@pytest.fixture(scope="module")
def base_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A freshly generated project (async, sqlite, repository on); never changed."""
    return generate(tmp_path_factory.mktemp("base") / "demo")


@pytest.fixture(scope="module")
def with_user(
    base_project: Path, tmp_path_factory: pytest.TempPathFactory
) -> AddedModel:
    """`add-model User` on a copy of the base project; never changed afterwards."""
    root = tmp_path_factory.mktemp("with_user") / "demo"
    shutil.copytree(base_project, root)
    return add_model_to(root, "User", *USER_FIELDS)


@pytest.fixture(scope="module")
def with_post(
    with_user: AddedModel, tmp_path_factory: pytest.TempPathFactory
) -> AddedModel:
    """Then `add-model Post` (a relation to User) on a copy; never changed after."""
    root = tmp_path_factory.mktemp("with_post") / "demo"
    shutil.copytree(with_user.root, root)
    return add_model_to(root, "Post", *POST_FIELDS)


@pytest.fixture
def copy_of(tmp_path: Path) -> Callable[[Path], Path]:
    """A throw-away copy of a project, for a test that changes it."""

    def copy(source: Path) -> Path:
        return Path(shutil.copytree(source, tmp_path / "copy" / source.name))

    return copy


@pytest.fixture
def user_project(with_user: AddedModel, copy_of: Callable[[Path], Path]) -> Path:
    """A copy of the project with User, free to change."""
    return copy_of(with_user.root)


# ---- success ----------------------------------------------------------------------


def test_add_model_writes_the_model_files_and_edits_the_registries(
    with_user: AddedModel,
) -> None:
    new, edited, removed = changed_paths(with_user.before, with_user.after)
    [revision] = model_revisions(with_user.root)
    assert new == {
        "demo/models/user.py",
        "demo/schemas/user.py",
        "demo/repositories/user.py",
        "demo/routers/users.py",
        "tests/test_users.py",
        f"migrations/versions/{revision.name}",
        ".fastapi-db.yml",
    }
    assert edited == {
        "demo/models/__init__.py",
        "demo/routers/__init__.py",
        "tests/factories.py",
    }
    assert removed == set()
    assert revision_of(revision)[1] == "0001"
    assert with_user.result.stderr == ""
    assert with_user.result.stdout.splitlines()[:11] == [
        "Added model User",
        "  created demo/models/user.py",
        "  created demo/schemas/user.py",
        "  created demo/repositories/user.py",
        "  created demo/routers/users.py",
        "  created tests/test_users.py",
        f"  created migrations/versions/{revision.name}",
        "  created .fastapi-db.yml",
        "  edited  demo/models/__init__.py",
        "  edited  demo/routers/__init__.py",
        "  edited  tests/factories.py",
    ]


def test_a_second_model_with_a_relation_goes_on_top_of_the_first(
    with_user: AddedModel, with_post: AddedModel
) -> None:
    new, edited, removed = changed_paths(with_post.before, with_post.after)
    [user_revision] = model_revisions(with_user.root)
    [post_revision] = set(model_revisions(with_post.root)) - {
        with_post.root / "migrations" / "versions" / user_revision.name
    }
    assert new == {
        "demo/models/post.py",
        "demo/schemas/post.py",
        "demo/repositories/post.py",
        "demo/routers/posts.py",
        "tests/test_posts.py",
        f"migrations/versions/{post_revision.name}",
    }
    assert edited == {
        "demo/models/__init__.py",
        "demo/models/user.py",  # the back-reference User.posts
        "demo/routers/__init__.py",
        "tests/factories.py",
        ".fastapi-db.yml",
    }
    assert removed == set()
    user_model = (with_post.root / "demo" / "models" / "user.py").read_text()
    assert 'posts: Mapped[list["Post"]] = relationship(' in user_model
    user_id, _ = revision_of(user_revision)
    post_id, post_parent = revision_of(post_revision)
    assert post_parent == user_id
    assert post_id != user_id
    assert "create_the_posts_table" in post_revision.name
    migration = post_revision.read_text()
    assert 'op.create_table(\n        "posts",' in migration
    assert '["users.id"]' in migration
    assert 'ondelete="CASCADE"' in migration
    model = (with_post.root / "demo" / "models" / "post.py").read_text()
    assert 'ForeignKey("users.id", ondelete="CASCADE")' in model
    assert "author: Mapped[User] = relationship(" in model


def test_models_and_routers_are_registered_once_above_their_markers(
    with_post: AddedModel,
) -> None:
    package = with_post.root / "demo"
    models = (package / "models" / "__init__.py").read_text().splitlines()
    routers = (package / "routers" / "__init__.py").read_text().splitlines()

    def above(lines: list[str], line: str, marker: str) -> None:
        assert lines.count(line) == 1, line
        [marker_at] = [i for i, text in enumerate(lines) if text.startswith(marker)]
        assert lines.index(line) < marker_at, line

    above(models, "from .user import User as User", MODEL_MARKER)
    above(models, "from .post import Post as Post", MODEL_MARKER)
    above(routers, "from .users import router as users_router", ROUTER_IMPORT_MARKER)
    above(routers, "from .posts import router as posts_router", ROUTER_IMPORT_MARKER)
    above(routers, "api_router.include_router(users_router)", ROUTER_INCLUDE_MARKER)
    above(routers, "api_router.include_router(posts_router)", ROUTER_INCLUDE_MARKER)
    related = "from .posts import related_router as posts_related_router"
    above(routers, related, ROUTER_IMPORT_MARKER)
    # Included in the order they were added, after the template's own router; the
    # routes under the users (`/users/{user_id}/posts`) only for the relating model.
    includes = [line for line in routers if line.startswith("api_router.include")]
    assert includes == [
        "api_router.include_router(health_router)",
        "api_router.include_router(users_router)",
        "api_router.include_router(posts_router)",
        "api_router.include_router(posts_related_router)",
    ]
    ast.parse("\n".join(models))
    ast.parse("\n".join(routers))


def test_factories_are_added_once_above_their_marker(with_post: AddedModel) -> None:
    text = (with_post.root / "tests" / "factories.py").read_text()
    for definition in [
        "async def user_payload(",
        "async def create_random_user(",
        "async def post_payload(",
        "async def create_random_post(",
    ]:
        assert text.count(definition) == 1, definition
        assert text.index(definition) < text.index(FACTORY_MARKER), definition
    assert text.index("def create_random_user(") < text.index("def post_payload(")
    assert text.rstrip("\n").splitlines()[-1].startswith(FACTORY_MARKER)
    ast.parse(text)


def test_the_manifest_records_each_model_with_canonical_fields(
    with_post: AddedModel,
) -> None:
    manifest = read_manifest(with_post.root)
    assert manifest is not None
    assert [(entry.name, entry.fields) for entry in manifest.models] == [
        ("User", ("email:str(120):unique", "name:str(255)")),
        ("Post", ("title:str(255)", "author:User:cascade")),
    ]
    assert {entry.tool_version for entry in manifest.models} == {__version__}


def test_a_project_without_a_manifest_gets_one_rebuilt_from_its_models(
    with_post: AddedModel, copy_of: Callable[[Path], Path]
) -> None:
    root = copy_of(with_post.root)
    (root / MANIFEST_FILE).unlink()
    add_model_to(root, "Tag", "label:str(20):unique", "post:Post:optional:set-null")
    manifest = read_manifest(root)
    assert manifest is not None
    assert manifest.names == ("User", "Post", "Tag")
    assert manifest.models[-1].fields == (
        "label:str(20):unique",
        "post:Post:optional:set-null",
    )


def test_no_repository_project_gets_no_repository_module(tmp_path: Path) -> None:
    root = generate(tmp_path / "demo", repository=False)
    added = add_model_to(root, "Tag", "label:str(40):unique")
    new, edited, _ = changed_paths(added.before, added.after)
    [revision] = model_revisions(root)
    assert new == {
        "demo/models/tag.py",
        "demo/schemas/tag.py",
        "demo/routers/tags.py",
        "tests/test_tags.py",
        f"migrations/versions/{revision.name}",
        ".fastapi-db.yml",
    }
    assert edited == {
        "demo/models/__init__.py",
        "demo/routers/__init__.py",
        "tests/factories.py",
    }
    assert not (root / "demo" / "repositories").exists()
    assert "repositories" not in added.result.stdout


def test_project_option_works_from_another_directory(
    user_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    relative = os.path.relpath(user_project, elsewhere)
    result = invoke("add-model", "Tag", "label:str", "--project", relative)
    assert result.exit_code == 0, result.output
    assert (user_project / "demo" / "models" / "tag.py").is_file()
    assert (user_project / "tests" / "test_tags.py").is_file()
    assert list(elsewhere.iterdir()) == []


def test_a_subdirectory_of_the_project_finds_the_project_above(
    user_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    subdirectory = user_project / "demo" / "routers"
    monkeypatch.chdir(subdirectory)
    before = tree_digest(subdirectory)
    result = invoke("add-model", "Tag", "label:str")
    assert result.exit_code == 0, result.output
    assert (user_project / "demo" / "models" / "tag.py").is_file()
    assert (user_project / "tests" / "test_tags.py").is_file()
    new, _, _ = changed_paths(before, tree_digest(subdirectory))
    assert new == {"tags.py"}


def test_no_migration_writes_no_revision(user_project: Path) -> None:
    revisions = model_revisions(user_project)
    result = invoke(
        "add-model",
        "Tag",
        "label:str",
        "--no-migration",
        "--project",
        str(user_project),
    )
    assert result.exit_code == 0, result.output
    assert model_revisions(user_project) == revisions
    assert (user_project / "demo" / "models" / "tag.py").is_file()
    assert "migrations" not in result.stdout
    # the next steps say the schema change still needs a revision
    assert 'alembic revision --autogenerate -m "describe change"' in result.stdout


def test_dry_run_shows_the_diff_and_writes_nothing(
    user_project: Path, with_post: AddedModel
) -> None:
    before = tree_digest(user_project)
    result = invoke(
        "add-model", "Post", *POST_FIELDS, "--dry-run", "--project", str(user_project)
    )
    assert result.exit_code == 0, result.output
    assert tree_digest(user_project) == before
    out = result.stdout
    for new in [
        "demo/models/post.py",
        "demo/schemas/post.py",
        "demo/repositories/post.py",
        "demo/routers/posts.py",
        "tests/test_posts.py",
    ]:
        assert f"--- /dev/null\n+++ b/{new}\n" in out, new
    assert "--- /dev/null\n+++ b/migrations/versions/" in out
    for edited in [
        "demo/models/__init__.py",
        "demo/routers/__init__.py",
        "demo/models/user.py",
        "tests/factories.py",
    ]:
        assert f"--- a/{edited}\n+++ b/{edited}\n" in out, edited
    for added_line in [
        "+from .post import Post as Post",
        "+from .posts import router as posts_router",
        "+api_router.include_router(posts_router)",
        "+async def create_random_post(client: Client, **overrides: Any) -> Payload:",
    ]:
        assert f"\n{added_line}\n" in out, added_line
    # The diff shows the very text a real run writes.
    model = (with_post.root / "demo" / "models" / "post.py").read_text()
    for line in model.splitlines():
        assert f"\n+{line}\n" in out, line
    assert out.splitlines()[-1] == (
        "Would change 11 files; nothing was written (--dry-run)."
    )
    assert result.stderr == ""


# ---- refusals: one line on stderr, nothing written --------------------------------

REFUSALS = [
    (
        ["post", "x:int"],
        f"invalid model name 'post': {NOT_PASCAL_CASE} (did you mean 'Post'?)",
    ),
    (["Po st", "x:int"], f"invalid model name 'Po st': {NOT_PASCAL_CASE}"),
    (["1Post", "x:int"], f"invalid model name '1Post': {NOT_PASCAL_CASE}"),
    (
        ["../Post", "x:int"],
        "invalid model name '../Post': a class name, not a path "
        "(use --project to pick a project)",
    ),
    (
        ["Class", "x:int"],
        "invalid model name 'Class': its snake_case form 'class' is a Python "
        "keyword, and the generated code uses it as a module and variable name",
    ),
    (
        ["User", "x:int"],
        "invalid model name 'User': a model of that name already exists in this "
        "project",
    ),
    (
        ["Post", "id:int"],
        "\"id:int\": field name 'id' is reserved: every model already has id, "
        "created_at and updated_at",
    ),
    (
        ["Post", "created_at:datetime"],
        "\"created_at:datetime\": field name 'created_at' is reserved: every model "
        "already has id, created_at and updated_at",
    ),
    (
        ["Post", "metadata:str"],
        "\"metadata:str\": field name 'metadata' is reserved: an attribute of "
        "SQLAlchemy's declarative models",
    ),
    (
        ["Post", "model_config:str"],
        "\"model_config:str\": field name 'model_config' is reserved: Pydantic "
        "reserves names starting with 'model_'",
    ),
    (
        ["Post", "limit:int"],
        "\"limit:int\": field name 'limit' is reserved: the list endpoint's query "
        "parameters are limit, offset and sort",
    ),
    (
        ["Post", "title:strng"],
        "\"title:strng\": unknown type 'strng' (did you mean 'str'?); known: str, "
        "str(N), text, int, bigint, float, decimal, decimal(P,S), bool, date, "
        "datetime, time, uuid, json, enum(a,b,...), email, url, or a model name such "
        "as User",
    ),
    (
        ["Post", "title:str:uniq"],
        "\"title:str:uniq\": unknown modifier 'uniq' (did you mean 'unique'?); "
        "known: unique, index, optional, default=VALUE, cascade, set-null, many",
    ),
    (
        ["Post", "author:User:set-null"],
        '"author:User:set-null": set-null needs optional: the foreign key column '
        "would be NOT NULL, so ON DELETE SET NULL could not work",
    ),
    (
        ["Post", "a:int", "a:str"],
        "\"a:str\": the name 'a' is already taken by 'a:int'",
    ),
]


@pytest.mark.parametrize(
    ("args", "message"), REFUSALS, ids=[" ".join(args) for args, _ in REFUSALS]
)
def test_bad_names_and_fields_exit_2_and_change_nothing(
    user_project: Path, args: list[str], message: str
) -> None:
    before = tree_digest(user_project)
    result = invoke("add-model", *args, "--project", str(user_project))
    assert_refused(result, 2, f"error: {message}")
    assert tree_digest(user_project) == before


def test_a_project_whose_conftest_lacks_the_shared_fixtures_is_refused(
    user_project: Path,
) -> None:
    """A project from an older template: refused, naming what is missing."""
    conftest = user_project / "tests" / "conftest.py"
    text = conftest.read_text(encoding="utf-8")
    conftest.write_text(text[: text.index("@pytest.fixture\ndef statements(")])
    before = tree_digest(user_project)
    result = invoke("add-model", "Tag", "label:str", "--project", str(user_project))
    assert_refused(
        result,
        1,
        "error: tests/conftest.py has no fixture replica_down_client, statements, "
        "which the generated tests use: the project is older than its recorded "
        "template, or the fixture was removed; `fastapi-db update` merges the "
        "template's conftest.py into yours",
    )
    assert tree_digest(user_project) == before


def test_a_relation_to_a_missing_model_lists_only_the_existing_models(
    user_project: Path,
) -> None:
    before = tree_digest(user_project)
    result = invoke("add-model", "Post", "author:Ghost", "--project", str(user_project))
    assert_refused(
        result,
        2,
        "error: \"author:Ghost\": no model 'Ghost' in this project (known: User)",
    )
    assert tree_digest(user_project) == before


def test_a_relation_to_a_missing_model_is_refused(user_project: Path) -> None:
    before = tree_digest(user_project)
    result = invoke(
        "add-model", "Post", "title:str", "author:Ghost", "--project", str(user_project)
    )
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: \"author:Ghost\": no model 'Ghost' in this project (known: "
    )
    assert_one_error_line(result.stderr, result.stderr.rstrip("\n"))
    assert tree_digest(user_project) == before


def test_outside_a_project_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    result = invoke("add-model", "Post", "title:str")
    assert_refused(
        result,
        1,
        f"error: {empty.resolve()} is not inside a project generated by fastapi-db "
        "(no .copier-answers.yml here or above); run it in one, or pass --project DIR",
    )
    assert list(empty.iterdir()) == []


def test_project_option_naming_a_non_project_is_refused(tmp_path: Path) -> None:
    result = invoke("add-model", "Post", "title:str", "--project", str(tmp_path))
    assert_refused(
        result,
        1,
        f"error: {tmp_path.resolve()} is not inside a project generated by "
        "fastapi-db (no .copier-answers.yml here or above); run it in one, or pass "
        "--project DIR",
    )
    assert list(tmp_path.iterdir()) == []


def make_second_head(project: Path, revision: str) -> str:
    """Copy the model revision under a new id with the same parent; the old head."""
    [existing] = model_revisions(project)
    head, parent = revision_of(existing)
    assert isinstance(head, str)
    text = existing.read_text().replace(f'"{head}"', f'"{revision}"')
    (existing.parent / f"{revision}_other_branch.py").write_text(text)
    assert revision_of(existing.parent / f"{revision}_other_branch.py") == (
        revision,
        parent,
    )
    return head


def test_a_history_with_two_heads_is_refused(user_project: Path) -> None:
    head = make_second_head(user_project, "0000feedface")
    before = tree_digest(user_project)
    result = invoke("add-model", "Post", "title:str", "--project", str(user_project))
    assert_refused(result, 1, TWO_HEADS.format("0000feedface", head))
    assert tree_digest(user_project) == before


def test_a_removed_marker_is_refused_leaving_the_users_edit(user_project: Path) -> None:
    routers = user_project / "demo" / "routers" / "__init__.py"
    lines = routers.read_text().splitlines(keepends=True)
    routers.write_text(
        "".join(line for line in lines if not line.startswith(ROUTER_INCLUDE_MARKER))
    )
    before = tree_digest(user_project)
    result = invoke("add-model", "Post", "title:str", "--project", str(user_project))
    assert_refused(
        result,
        1,
        "error: demo/routers/__init__.py: the marker comment "
        "'# fastapi-db: router includes' is missing; restore it (new code is "
        "registered above it) and run the command again",
    )
    assert tree_digest(user_project) == before


def test_a_file_to_edit_that_is_not_utf8_is_refused_in_one_line(
    user_project: Path,
) -> None:
    factories = user_project / "tests" / "factories.py"
    factories.write_bytes(factories.read_bytes() + b"# caf\xe9\n")
    before = tree_digest(user_project)
    result = invoke("add-model", "Tag", "label:str", "--project", str(user_project))
    assert tree_digest(user_project) == before
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert "tests/factories.py" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_an_error_line_shows_the_argument_as_typed(user_project: Path) -> None:
    result = invoke("add-model", "Tag", "x:fire:unique", "--project", str(user_project))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: \"x:fire:unique\": unknown type 'fire'")


def test_dry_run_shows_the_text_as_it_would_be_written(user_project: Path) -> None:
    result = invoke(
        "add-model", "Tag", "x:str:default=:smile:", "--dry-run",
        "--project", str(user_project),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert 'default=":smile:"' in result.stdout


# ---- real processes ------------------------------------------------------------------


def test_refusals_in_a_real_process_print_one_line_and_no_traceback(
    user_project: Path, tmp_path: Path
) -> None:
    before = tree_digest(user_project)
    process = run_module("add-model", "post", "title:str", cwd=user_project / "demo")
    assert process.returncode == 2
    assert process.stdout == ""
    assert_one_error_line(
        process.stderr,
        f"error: invalid model name 'post': {NOT_PASCAL_CASE} (did you mean 'Post'?)",
    )
    process = run_module("add-model", "Post", "title:strng", cwd=user_project)
    assert process.returncode == 2
    assert process.stderr.startswith(
        "error: \"title:strng\": unknown type 'strng' (did you mean 'str'?); known: "
    )
    assert_one_error_line(process.stderr, process.stderr.rstrip("\n"))
    assert tree_digest(user_project) == before

    empty = tmp_path / "empty"
    empty.mkdir()
    process = run_module("add-model", "Post", "title:str", cwd=empty)
    assert process.returncode == 1
    assert_one_error_line(
        process.stderr,
        f"error: {empty.resolve()} is not inside a project generated by fastapi-db "
        "(no .copier-answers.yml here or above); run it in one, or pass --project DIR",
    )


def test_a_project_error_in_a_real_process_exits_1(user_project: Path) -> None:
    head = make_second_head(user_project, "0000feedface")
    before = tree_digest(user_project)
    process = run_module("add-model", "Post", "title:str", cwd=user_project)
    assert process.returncode == 1
    assert process.stdout == ""
    assert_one_error_line(process.stderr, TWO_HEADS.format("0000feedface", head))
    assert tree_digest(user_project) == before


# ---- failures half-way: every file put back ---------------------------------------


def failing_write(after: int, written: list[Path]) -> Callable[[Path, str], None]:
    """A writer that writes `after` files for real, then fails with ENOSPC."""

    def write(path: Path, text: str) -> None:
        if len(written) == after:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        path.write_text(text, encoding="utf-8", newline="")
        written.append(path)

    return write


def test_a_write_failure_at_any_point_puts_every_file_back(user_project: Path) -> None:
    changes = plan_model(
        AddModelOptions(project_dir=user_project, model="Post", fields=POST_FIELDS)
    )
    planned = list(changes)
    assert len(planned) == 11  # 6 new files, 5 edits (User's back-reference among them)
    assert {change.is_new for change in planned} == {True, False}
    before = tree_digest(user_project)
    for after in range(len(planned)):
        written: list[Path] = []
        with pytest.raises(ProjectError) as caught:
            changes.apply(write=failing_write(after, written))
        assert written == [change.path for change in planned[:after]]
        assert str(caught.value) == (
            f"could not write {planned[after].path}: No space left on device; "
            "every file was put back as it was"
        )
        assert tree_digest(user_project) == before, f"failed after {after} files"
    changes.apply()
    new, edited, _ = changed_paths(before, tree_digest(user_project))
    assert len(new) + len(edited) == len(planned)


def test_a_rolled_back_edit_keeps_crlf_line_endings(user_project: Path) -> None:
    for rel in ["demo/models/__init__.py", "demo/routers/__init__.py"]:
        path = user_project / rel
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    changes = plan_model(
        AddModelOptions(project_dir=user_project, model="Tag", fields=["label:str"])
    )
    before = tree_digest(user_project)
    with pytest.raises(ProjectError):
        changes.apply(write=failing_write(len(changes) - 1, []))
    assert tree_digest(user_project) == before


def can_create_in(directory: Path) -> bool:
    probe = directory / ".probe"
    try:
        probe.write_text("")
    except PermissionError:
        return False
    probe.unlink()
    return True


@contextmanager
def refusing_new_files(directory: Path) -> Iterator[None]:
    """`directory` refuses new files: chmod 0o555, or as root `chattr +i`; else skip."""
    undo: list[Callable[[], object]] = [lambda: directory.chmod(0o755)]
    directory.chmod(0o555)
    try:
        if can_create_in(directory):  # root ignores the mode
            chattr = shutil.which("chattr")
            if chattr is None:
                pytest.skip(
                    "running as root, and no chattr to make a directory read-only"
                )
            immutable = subprocess.run(
                [chattr, "+i", str(directory)], capture_output=True, check=False
            )
            if immutable.returncode != 0 or can_create_in(directory):
                pytest.skip("running as root, and chattr +i does not work here")
            undo.append(
                lambda: subprocess.run([chattr, "-i", str(directory)], check=True)
            )
        yield
    finally:
        for step in reversed(undo):
            step()


def test_a_read_only_directory_fails_half_way_and_changes_nothing(
    user_project: Path,
) -> None:
    routers = user_project / "demo" / "routers"
    with refusing_new_files(routers):
        before = tree_digest(user_project)
        result = invoke(
            "add-model", "Post", "title:str", "--project", str(user_project)
        )
        assert tree_digest(user_project) == before
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr.startswith("error: could not write ")
    assert result.stderr.endswith("; every file was put back as it was\n")
    assert_one_error_line(result.stderr, result.stderr.rstrip("\n"))


def test_a_write_failure_names_the_file_not_its_temporary(user_project: Path) -> None:
    routers = user_project / "demo" / "routers"
    with refusing_new_files(routers):
        result = invoke(
            "add-model", "Post", "title:str", "--project", str(user_project)
        )
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: could not write {routers / 'posts.py'}: ")


# ---- registration is idempotent ----------------------------------------------------


def test_registering_twice_is_the_same_as_once(base_project: Path) -> None:
    package = base_project / "demo"
    cases = [
        (package / "models" / "__init__.py", MODEL_MARKER,
         ["from .post import Post as Post"], False),
        (package / "routers" / "__init__.py", ROUTER_IMPORT_MARKER,
         ["from .posts import router as posts_router"], False),
        (package / "routers" / "__init__.py", ROUTER_INCLUDE_MARKER,
         ["api_router.include_router(posts_router)"], False),
        (base_project / "tests" / "factories.py", FACTORY_MARKER,
         ["", "", "async def post_payload() -> None:", "    pass", "", ""], True),
    ]  # fmt: skip
    for path, marker, lines, block in cases:
        text = path.read_text()
        once = insert_above_marker(text, marker, lines, path.name, block=block)
        twice = insert_above_marker(once, marker, lines, path.name, block=block)
        assert once != text
        assert twice == once
