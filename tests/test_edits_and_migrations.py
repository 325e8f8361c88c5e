"""Unit tests of the pieces `add-model` is built from, on small inline files.

`insert_above_marker` (edits.py), the Alembic history and revision names
(migrations.py), `ChangeSet` (changes.py: plan, diff, apply all or nothing) and
`find_project` (project.py). No project is generated here.
"""

import errno
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fastapi_db_scaffold.changes import ChangeSet
from fastapi_db_scaffold.edits import has_marker, insert_above_marker
from fastapi_db_scaffold.errors import NotAProjectError, ProjectError
from fastapi_db_scaffold.migrations import (
    current_head,
    new_revision_id,
    revision_filename,
)
from fastapi_db_scaffold.project import find_project

MARKER = "# fastapi-db: model imports"
MOMENT = datetime(2024, 3, 5, 9, 7, 42, tzinfo=UTC)


def build_tree(root: Path, files: dict[str, str]) -> Path:
    """Write `files` ({relative path: text}) below `root`."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def files_below(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): path.read_text()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def dirs_below(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_dir())


# ---- insert_above_marker -----------------------------------------------------------


def test_lines_go_into_the_block_above_the_marker_skipping_blank_lines() -> None:
    text = f'"""Doc."""\n\nfrom .a import A as A\n\n\n{MARKER} (add above)\n'
    assert insert_above_marker(text, MARKER, ["from .b import B as B"], "f.py") == (
        f'"""Doc."""\n\nfrom .a import A as A\nfrom .b import B as B\n\n\n'
        f"{MARKER} (add above)\n"
    )


def test_lines_go_right_above_the_marker_when_no_blank_line_is_there() -> None:
    text = f"router.include(a)\n{MARKER}\nafter = 1\n"
    assert insert_above_marker(text, MARKER, ["router.include(b)"], "f.py") == (
        f"router.include(a)\nrouter.include(b)\n{MARKER}\nafter = 1\n"
    )


def test_an_indented_marker_is_found() -> None:
    text = f"def f() -> None:\n    x = 1\n    {MARKER}\n"
    assert insert_above_marker(text, MARKER, ["    y = 2"], "f.py") == (
        f"def f() -> None:\n    x = 1\n    y = 2\n    {MARKER}\n"
    )


def test_a_marker_on_the_first_line_gets_the_lines_above_it() -> None:
    assert insert_above_marker(f"{MARKER}\n", MARKER, ["a = 1"], "f.py") == (
        f"a = 1\n{MARKER}\n"
    )
    assert insert_above_marker(f"\n\n{MARKER}\n", MARKER, ["a = 1"], "f.py") == (
        f"a = 1\n\n\n{MARKER}\n"
    )


@pytest.mark.parametrize("ending", ["\n", ""])
def test_the_trailing_newline_is_kept_or_left_out_as_it_was(ending: str) -> None:
    text = f"a = 1\n{MARKER}{ending}"
    assert insert_above_marker(text, MARKER, ["b = 2"], "f.py") == (
        f"a = 1\nb = 2\n{MARKER}{ending}"
    )


def test_lines_already_in_the_file_are_not_added_again() -> None:
    text = f"a = 1\n\n{MARKER}\n\nb = 2\n"
    assert insert_above_marker(text, MARKER, ["a = 1"], "f.py") == text
    # Anywhere in the file, whatever the indentation.
    assert insert_above_marker(text, MARKER, ["    b = 2"], "f.py") == text
    assert insert_above_marker(text, MARKER, ["b = 2", "c = 3"], "f.py") == (
        f"a = 1\nc = 3\n\n{MARKER}\n\nb = 2\n"
    )


def test_inserting_twice_is_inserting_once() -> None:
    text = f"a = 1\n\n{MARKER}\n"
    once = insert_above_marker(text, MARKER, ["b = 2", "c = 3"], "f.py")
    assert insert_above_marker(once, MARKER, ["b = 2", "c = 3"], "f.py") == once


def test_a_block_is_added_whole_with_its_blank_lines_and_only_once() -> None:
    text = f"def a() -> None:\n    pass\n\n\n{MARKER}\n"
    block = ["", "", "def b() -> None:", "    pass", "", ""]
    once = insert_above_marker(text, MARKER, block, "f.py", block=True)
    # Above the blank lines that were there (the formatter then evens them out).
    assert once.startswith("def a() -> None:\n    pass\n\n\ndef b() -> None:\n")
    assert once.endswith(f"def b() -> None:\n    pass\n\n\n\n\n{MARKER}\n")
    assert insert_above_marker(once, MARKER, block, "f.py", block=True) == once


def test_a_block_is_skipped_when_its_first_line_is_there() -> None:
    text = f"def b() -> None:\n    return\n{MARKER}\n"
    block = ["def b() -> None:", "    pass"]
    assert insert_above_marker(text, MARKER, block, "f.py", block=True) == text
    # Line by line, the differing line alone would be added.
    assert insert_above_marker(text, MARKER, block, "f.py") == (
        f"def b() -> None:\n    return\n    pass\n{MARKER}\n"
    )


def test_a_missing_marker_is_an_error_naming_the_file_and_the_marker() -> None:
    with pytest.raises(ProjectError) as caught:
        insert_above_marker("a = 1\n", MARKER, ["b = 2"], "demo/models/__init__.py")
    assert str(caught.value) == (
        "demo/models/__init__.py: the marker comment '# fastapi-db: model imports' "
        "is missing; restore it (new code is registered above it) and run the "
        "command again"
    )


def test_a_marker_only_counts_at_the_start_of_a_line() -> None:
    text = f"x = 1  {MARKER}\n"
    assert not has_marker(text, MARKER)
    assert has_marker(f"x = 1\n  {MARKER} (new lines above)\n", MARKER)
    with pytest.raises(ProjectError):
        insert_above_marker(text, MARKER, ["y = 2"], "f.py")


# ---- current_head ------------------------------------------------------------------


def revision_file(revision: str, down: str | tuple[str, ...] | None) -> str:
    return (
        f'"""Revision {revision}."""\n\n'
        f"revision = {revision!r}\n"
        f"down_revision = {down!r}\n"
        "branch_labels = None\n"
    )


def test_an_empty_history_has_no_head(tmp_path: Path) -> None:
    assert current_head(tmp_path) is None


def test_the_head_of_a_linear_chain_is_its_last_revision(tmp_path: Path) -> None:
    # File names in another order than the chain: only revision ids count.
    build_tree(
        tmp_path,
        {
            "c_first.py": revision_file("aaa", None),
            "b_second.py": revision_file("bbb", "aaa"),
            "a_third.py": revision_file("ccc", "bbb"),
            "__init__.py": "",
            "notes.txt": "revision = 'zzz'\n",
        },
    )
    assert current_head(tmp_path) == "ccc"


def test_two_heads_are_refused_naming_both(tmp_path: Path) -> None:
    build_tree(
        tmp_path,
        {
            "1.py": revision_file("base", None),
            "2.py": revision_file("left", "base"),
            "3.py": revision_file("right", "base"),
        },
    )
    with pytest.raises(ProjectError) as caught:
        current_head(tmp_path)
    assert str(caught.value) == (
        "the migration history has 2 heads (left, right); merge them first "
        "(alembic merge heads) so a new revision has one parent"
    )


def test_a_merge_revision_counts_both_parents(tmp_path: Path) -> None:
    build_tree(
        tmp_path,
        {
            "1.py": revision_file("base", None),
            "2.py": revision_file("left", "base"),
            "3.py": revision_file("right", "base"),
            "4.py": revision_file("merged", ("left", "right")),
        },
    )
    assert current_head(tmp_path) == "merged"
    (tmp_path / "4.py").write_text(
        "revision = 'merged'\ndown_revision = ['left', 'right']\n"
    )
    assert current_head(tmp_path) == "merged"


def test_annotated_assignments_are_read(tmp_path: Path) -> None:
    build_tree(
        tmp_path,
        {
            "1.py": 'revision: str = "0001"\n'
            "down_revision: str | Sequence[str] | None = None\n",
            "2.py": 'revision: str = "abc123"\n'
            'down_revision: str | Sequence[str] | None = "0001"\n',
        },
    )
    assert current_head(tmp_path) == "abc123"


def test_a_migration_that_is_not_python_is_an_error(tmp_path: Path) -> None:
    build_tree(tmp_path, {"1.py": revision_file("a", None), "2.py": "revision = (\n"})
    with pytest.raises(ProjectError) as caught:
        current_head(tmp_path)
    assert str(caught.value).startswith("cannot read migration 2.py: ")


# ---- revision file names -----------------------------------------------------------


def test_revision_filename_is_date_revision_and_slug() -> None:
    assert revision_filename("abc123def456", "Create the posts table", MOMENT) == (
        "2024_03_05_0907-abc123def456_create_the_posts_table.py"
    )


@pytest.mark.parametrize(
    ("message", "slug"),
    [
        ("Create the blog_posts table", "create_the_blog_posts_table"),
        ("  Add: Foo-Bar!! ", "add_foo_bar"),
        ("UPPER case", "upper_case"),
    ],
)
def test_revision_filename_slugs_the_message(message: str, slug: str) -> None:
    assert revision_filename("r1", message, MOMENT) == f"2024_03_05_0907-r1_{slug}.py"


def test_revision_filename_keeps_the_slug_within_40_characters() -> None:
    name = revision_filename("r1", "Create the " + "x" * 60 + " table", MOMENT)
    slug = name.removeprefix("2024_03_05_0907-r1_").removesuffix(".py")
    assert len(slug) <= 40
    assert slug == "create_the_"  # alembic cuts back to the last whole word


def test_revision_filename_truncates_like_alembic() -> None:
    message = "Create the shipping_address_line_items table"
    assert revision_filename("r1", message, MOMENT) == (
        "2024_03_05_0907-r1_create_the_shipping_address_line_items_.py"
    )


def test_revision_filename_defaults_to_now_in_utc() -> None:
    name = revision_filename("r1", "x")
    assert re.fullmatch(r"\d{4}_\d{2}_\d{2}_\d{4}-r1_x\.py", name)
    moment = datetime.strptime(name[:15], "%Y_%m_%d_%H%M").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - moment) < timedelta(minutes=2)


def test_new_revision_ids_are_12_hex_digits_and_differ() -> None:
    ids = {new_revision_id() for _ in range(50)}
    assert len(ids) == 50
    assert all(re.fullmatch(r"[0-9a-f]{12}", revision) for revision in ids)


# ---- ChangeSet ---------------------------------------------------------------------


def test_create_refuses_an_existing_or_already_planned_file(tmp_path: Path) -> None:
    build_tree(tmp_path, {"pkg/a.py": "a = 1\n"})
    changes = ChangeSet(tmp_path)
    with pytest.raises(ProjectError) as caught:
        changes.create(Path("pkg/a.py"), "x = 2\n")
    assert str(caught.value) == "pkg/a.py already exists; refusing to overwrite it"
    changes.create("pkg/b.py", "b = 1\n")
    with pytest.raises(ProjectError) as caught:
        changes.create("pkg/b.py", "b = 2\n")
    assert str(caught.value) == "pkg/b.py already exists; refusing to overwrite it"
    assert files_below(tmp_path) == {"pkg/a.py": "a = 1\n"}


def test_edits_of_one_file_compose_and_keep_the_original(tmp_path: Path) -> None:
    build_tree(tmp_path, {"a.txt": "one\n"})
    changes = ChangeSet(tmp_path)
    changes.edit("a.txt", lambda text: text + "two\n")
    changes.edit("a.txt", lambda text: text + "three\n")
    [change] = list(changes)
    assert change.before == "one\n"
    assert change.after == "one\ntwo\nthree\n"
    assert not change.is_new
    assert changes.read("a.txt") == "one\ntwo\nthree\n"
    assert (tmp_path / "a.txt").read_text() == "one\n"


def test_an_edit_of_a_planned_new_file_keeps_it_new(tmp_path: Path) -> None:
    changes = ChangeSet(tmp_path)
    changes.create("new.txt", "a\n")
    changes.edit("new.txt", lambda text: text.upper())
    [change] = list(changes)
    assert change.is_new
    assert change.after == "A\n"


def test_an_edit_of_a_missing_file_is_an_error(tmp_path: Path) -> None:
    changes = ChangeSet(tmp_path)
    with pytest.raises(ProjectError) as caught:
        changes.edit("tests/factories.py", lambda text: text)
    assert str(caught.value) == "tests/factories.py is missing from the project"


def test_map_text_transforms_every_planned_text(tmp_path: Path) -> None:
    build_tree(tmp_path, {"a.txt": "a\n"})
    changes = ChangeSet(tmp_path)
    changes.edit("a.txt", lambda text: text + "b\n")
    changes.create("c.py", "c\n")
    changes.map_text(lambda path, text: f"{path.name}:{text}")
    assert {c.path.name: (c.before, c.after) for c in changes} == {
        "a.txt": ("a\n", "a.txt:a\nb\n"),
        "c.py": (None, "c.py:c\n"),
    }


def test_diff_shows_new_files_from_dev_null_and_edits_from_a(tmp_path: Path) -> None:
    build_tree(tmp_path, {"pkg/__init__.py": "a = 1\n"})
    changes = ChangeSet(tmp_path)
    changes.create("pkg/new.py", "x = 1\n")
    changes.edit("pkg/__init__.py", lambda text: text + "b = 2\n")
    assert changes.diff() == (
        "--- /dev/null\n"
        "+++ b/pkg/new.py\n"
        "@@ -0,0 +1 @@\n"
        "+x = 1\n"
        "--- a/pkg/__init__.py\n"
        "+++ b/pkg/__init__.py\n"
        "@@ -1 +1,2 @@\n"
        " a = 1\n"
        "+b = 2\n"
    )
    assert files_below(tmp_path) == {"pkg/__init__.py": "a = 1\n"}


def test_apply_writes_every_change_and_creates_directories(tmp_path: Path) -> None:
    build_tree(tmp_path, {"a.sh": "old\n"})
    (tmp_path / "a.sh").chmod(0o750)
    changes = ChangeSet(tmp_path)
    changes.edit("a.sh", lambda text: "new\n")
    changes.create("x/y/z.py", "z = 1\n")
    changes.apply()
    assert files_below(tmp_path) == {"a.sh": "new\n", "x/y/z.py": "z = 1\n"}
    assert (tmp_path / "a.sh").stat().st_mode & 0o777 == 0o750


def test_an_edit_that_changes_nothing_is_no_change(tmp_path: Path) -> None:
    """A related model whose render is the same is not listed, diffed or written
    (so a read-only file that needs no change does not stop the command)."""
    build_tree(tmp_path, {"same.py": "a = 1\n", "other.py": "b = 1\n"})
    (tmp_path / "same.py").chmod(0o444)
    changes = ChangeSet(tmp_path)
    changes.edit("same.py", lambda text: text)
    changes.edit("other.py", lambda text: "b = 2\n")
    assert [c.path.name for c in changes] == ["other.py"]
    assert len(changes) == 1
    assert "same.py" not in changes.diff()
    changes.apply()
    assert files_below(tmp_path) == {"same.py": "a = 1\n", "other.py": "b = 2\n"}


def planned_changes(root: Path) -> ChangeSet:
    build_tree(root, {"keep/a.txt": "a\n", "keep/b.txt": "b\n"})
    changes = ChangeSet(root)
    changes.edit("keep/a.txt", lambda text: text + "more\n")
    changes.create("new/deeper/c.txt", "c\n")
    changes.edit("keep/b.txt", lambda text: text + "more\n")
    changes.create("keep/d.txt", "d\n")
    return changes


@pytest.mark.parametrize("after", [0, 1, 2, 3])
def test_a_failed_write_puts_every_file_and_directory_back(
    tmp_path: Path, after: int
) -> None:
    changes = planned_changes(tmp_path)
    files, dirs = files_below(tmp_path), dirs_below(tmp_path)
    written: list[str] = []

    def write(path: Path, text: str) -> None:
        if len(written) == after:
            raise OSError(errno.EIO, "Input/output error", str(path))
        path.write_text(text)
        written.append(path.name)

    with pytest.raises(ProjectError) as caught:
        changes.apply(write=write)
    failed = list(changes)[after].path
    assert str(caught.value) == (
        f"could not write {failed}: Input/output error; "
        "every file was put back as it was"
    )
    assert len(written) == after
    assert files_below(tmp_path) == files
    assert dirs_below(tmp_path) == dirs


def test_an_interrupt_half_way_puts_everything_back_and_goes_on(
    tmp_path: Path,
) -> None:
    changes = planned_changes(tmp_path)
    files, dirs = files_below(tmp_path), dirs_below(tmp_path)
    written: list[Path] = []

    def write(path: Path, text: str) -> None:
        if len(written) == 3:
            raise KeyboardInterrupt
        path.write_text(text)
        written.append(path)

    with pytest.raises(KeyboardInterrupt):
        changes.apply(write=write)
    assert files_below(tmp_path) == files
    assert dirs_below(tmp_path) == dirs


def test_a_failure_keeps_a_directory_that_something_else_put_files_in(
    tmp_path: Path,
) -> None:
    changes = ChangeSet(tmp_path)
    changes.create("new/a.txt", "a\n")
    changes.create("other.txt", "b\n")

    def write(path: Path, text: str) -> None:
        if path.name == "other.txt":
            (tmp_path / "new" / "someone_elses.txt").write_text("x\n")
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        path.write_text(text)

    with pytest.raises(ProjectError):
        changes.apply(write=write)
    assert files_below(tmp_path) == {"new/someone_elses.txt": "x\n"}


# ---- find_project ------------------------------------------------------------------

ANSWERS = (
    "_commit: abc\nproject_name: demo\nengine: sync\ndatabase: postgresql\n"
    "repository: false\n"
)


def test_find_project_walks_up_to_the_answers_file(tmp_path: Path) -> None:
    build_tree(tmp_path, {".copier-answers.yml": ANSWERS, "demo/models/x.py": ""})
    for start in [tmp_path, tmp_path / "demo", tmp_path / "demo" / "models"]:
        project = find_project(start)
        assert project.root == tmp_path.resolve()
        assert project.package == "demo"
        assert (project.engine, project.database) == ("sync", "postgresql")
        assert project.repository is False
        assert not project.is_async
        assert project.versions_dir == tmp_path.resolve() / "migrations" / "versions"


def test_find_project_without_an_answers_file(tmp_path: Path) -> None:
    start = tmp_path / "somewhere"
    start.mkdir()
    with pytest.raises(NotAProjectError) as caught:
        find_project(start)
    assert str(caught.value) == (
        f"{start.resolve()} is not inside a project generated by fastapi-db "
        "(no .copier-answers.yml here or above); run it in one, or pass --project DIR"
    )


@pytest.mark.parametrize(
    "answers",
    [
        "project_name: demo\nengine: sync\ndatabase: sqlite\n",
        "_src_path: gh:someone/other-template\nname: demo\n",
        "- a list\n- not a mapping\n",
        "",
    ],
)
def test_find_project_with_answers_of_another_template(
    tmp_path: Path, answers: str
) -> None:
    build_tree(tmp_path, {".copier-answers.yml": answers, "demo/__init__.py": ""})
    with pytest.raises(NotAProjectError) as caught:
        find_project(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path.resolve() / '.copier-answers.yml'} is not from fastapi-db's "
        "template (it needs project_name, engine, database, repository)"
    )


def test_find_project_with_an_unreadable_answers_file(tmp_path: Path) -> None:
    build_tree(tmp_path, {".copier-answers.yml": "project_name: [unclosed\n"})
    with pytest.raises(NotAProjectError) as caught:
        find_project(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path.resolve() / '.copier-answers.yml'} is not valid YAML "
        "(line 2: expected ',' or ']', but got '<stream end>')"
    )


def test_find_project_with_an_unknown_engine(tmp_path: Path) -> None:
    build_tree(
        tmp_path,
        {".copier-answers.yml": ANSWERS.replace("engine: sync", "engine: turbo")},
    )
    with pytest.raises(NotAProjectError) as caught:
        find_project(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path.resolve() / '.copier-answers.yml'} has an unknown engine or "
        "database"
    )


def test_find_project_without_the_package_directory(tmp_path: Path) -> None:
    build_tree(tmp_path, {".copier-answers.yml": ANSWERS, "other/__init__.py": ""})
    with pytest.raises(NotAProjectError) as caught:
        find_project(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path.resolve()} has no package directory demo/ "
        "(named in .copier-answers.yml)"
    )


def test_project_models_are_read_without_importing_them(tmp_path: Path) -> None:
    build_tree(
        tmp_path,
        {
            ".copier-answers.yml": ANSWERS,
            "demo/models/__init__.py": "from .blog_post import BlogPost as BlogPost\n",
            "demo/models/blog_post.py": (
                "raise SystemExit('imported!')\n"
                "class BlogPost(Base):\n    __tablename__ = 'blog_posts'\n"
                "class Mixin:\n    created = 1\n"
            ),
            "demo/models/people.py": (
                "class Person(Base):\n    __tablename__: str = 'people'\n"
            ),
            "demo/models/broken.py": "class (:\n",
        },
    )
    models = find_project(tmp_path).models
    assert {name: (m.module, m.table) for name, m in models.items()} == {
        "BlogPost": ("blog_post", "blog_posts"),
        "Person": ("people", "people"),
    }
