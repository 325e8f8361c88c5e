"""`fastapi-db new`: what it writes, what it prints, what it refuses (writing nothing).

Driven mostly through Typer's CliRunner; a few runs go through a real subprocess
(`python -m fastapi_db_scaffold`) for what only a process shows: no TTY on stdin,
no traceback, which modules `--help` imports.
"""

import itertools
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from fastapi_db_scaffold import __version__, scaffold

from .cli_support import invoke, run_module, tree_digest

NOT_AN_IDENTIFIER = (
    "must be a lowercase Python identifier "
    "(a letter, then letters, digits or underscores)"
)
NOT_EMPTY = (
    "error: destination {dest} is not empty; use --force to write into it "
    "(only the template's own files are touched)"
)


def answers(project: Path) -> dict[str, Any]:
    loaded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert isinstance(loaded, dict)
    return {key: value for key, value in loaded.items() if not key.startswith("_")}


def assert_one_error_line(stderr: str, expected: str) -> None:
    assert "Traceback" not in stderr
    assert stderr.splitlines() == [expected]


# ---- success -------------------------------------------------------------------------


def test_new_with_yes_creates_the_project_with_the_defaults(tmp_path: Path) -> None:
    dest = tmp_path / "demo"
    result = invoke("new", "demo", "--dest", str(dest), "--yes")
    assert result.exit_code == 0, result.output
    for rel in [
        "demo/main.py",
        "demo/db.py",
        "demo/config.py",
        "demo/repositories/__init__.py",
        "migrations/env.py",
        "alembic.ini",
        "pyproject.toml",
        ".gitignore",
        ".env.example",
        ".github/workflows/ci.yml",
        "tests/conftest.py",
    ]:
        assert (dest / rel).is_file(), rel
    assert answers(dest) == {
        "project_name": "demo",
        "engine": "async",
        "database": "sqlite",
        "repository": True,
    }
    assert f"Created project demo at {dest} " in result.stdout
    assert "(engine async, database sqlite, repository on)" in result.stdout
    assert "main.py" in result.stdout
    for command in [
        f"cd {dest}",
        "python -m venv .venv && . .venv/bin/activate && pip install -e '.[dev]'",
        "alembic upgrade head",
        "fastapi dev",
        "pytest",
        "fastapi-db add-model",
    ]:
        assert command in result.stdout
    assert result.stderr == ""


def test_new_writes_to_dot_slash_name_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("new", "shop", "-y")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "shop" / "shop" / "main.py").is_file()
    assert "Created project shop at shop " in result.stdout
    assert "cd shop\n" in result.stdout


@pytest.mark.parametrize("name", ["app", "a" * 64])
def test_app_and_a_name_of_64_characters_are_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("new", name, "--yes")
    assert result.exit_code == 0, result.output
    assert (tmp_path / name / name / "main.py").is_file()
    assert answers(tmp_path / name)["project_name"] == name


def test_new_creates_missing_parent_directories(tmp_path: Path) -> None:
    dest = tmp_path / "a" / "b" / "demo"
    result = invoke("new", "demo", "--dest", str(dest), "--yes")
    assert result.exit_code == 0, result.output
    assert (dest / "demo" / "main.py").is_file()


@pytest.mark.parametrize(
    ("engine", "database", "repository"),
    list(
        itertools.product(
            ["async", "sync"], ["sqlite", "postgresql", "mysql"], [True, False]
        )
    ),
)
def test_every_option_combination_is_recorded_in_the_answers_file(
    tmp_path: Path, engine: str, database: str, repository: bool
) -> None:
    dest = tmp_path / "demo"
    flag = "--repository" if repository else "--no-repository"
    result = invoke(
        "new", "demo", "--dest", str(dest), "--engine", engine,
        "--database", database, flag, "--yes",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert answers(dest) == {
        "project_name": "demo",
        "engine": engine,
        "database": database,
        "repository": repository,
    }
    assert (dest / "demo" / "repositories").is_dir() == repository
    on_off = "on" if repository else "off"
    assert f"(engine {engine}, database {database}, repository {on_off})" in (
        result.stdout
    )


def test_no_repository_means_no_repositories_package(tmp_path: Path) -> None:
    dest = tmp_path / "demo"
    result = invoke("new", "demo", "--dest", str(dest), "--no-repository", "-y")
    assert result.exit_code == 0, result.output
    assert not (dest / "demo" / "repositories").exists()
    assert "repositories" not in result.stdout
    assert answers(dest)["repository"] is False


def test_pretend_lists_the_files_and_writes_nothing(tmp_path: Path) -> None:
    dest = tmp_path / "parent" / "demo"
    result = invoke("new", "demo", "--dest", str(dest), "--pretend", "--yes")
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "parent").exists()
    assert list(tmp_path.iterdir()) == []
    assert f"Would create project demo at {dest} " in result.stdout
    assert "nothing was written (--pretend)" in result.stdout
    for name in [".copier-answers.yml", "main.py", "env.py", "repositories/"]:
        assert name in result.stdout
    assert "Next steps" not in result.stdout


def test_pretend_with_force_marks_the_files_it_would_replace(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("mine\n")
    before = tree_digest(tmp_path)
    result = invoke(
        "new", "demo", "--dest", str(tmp_path), "--force", "--pretend", "-y"
    )
    assert result.exit_code == 0, result.output
    assert "README.md (replaced)" in result.stdout
    assert tree_digest(tmp_path) == before


def test_force_writes_only_the_templates_files(tmp_path: Path) -> None:
    dest = tmp_path / "existing"
    (dest / "docs").mkdir(parents=True)
    (dest / "docs" / "notes.md").write_text("my notes\n")
    (dest / "data.csv").write_text("a,b\n1,2\n")
    (dest / "README.md").write_text("my readme\n")
    (dest / "demo").mkdir()
    (dest / "demo" / "extra.py").write_text("x = 1\n")
    result = invoke("new", "demo", "--dest", str(dest), "--force", "--yes")
    assert result.exit_code == 0, result.output
    assert (dest / "docs" / "notes.md").read_text() == "my notes\n"
    assert (dest / "data.csv").read_text() == "a,b\n1,2\n"
    assert (dest / "demo" / "extra.py").read_text() == "x = 1\n"
    assert (dest / "README.md").read_text() != "my readme\n"
    assert (dest / "demo" / "main.py").is_file()
    assert "README.md (replaced)" in result.stdout
    assert "notes.md" not in result.stdout
    assert "data.csv" not in result.stdout
    assert "extra.py" not in result.stdout


def test_an_existing_empty_directory_needs_no_force(tmp_path: Path) -> None:
    result = invoke("new", "demo", "--dest", str(tmp_path), "--yes")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "demo" / "main.py").is_file()


def test_version_prints_the_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"fastapi-db {__version__}\n"


@pytest.mark.parametrize("args", [[], ["--help"], ["new", "--help"]])
def test_help(args: list[str]) -> None:
    result = invoke(*args)
    assert result.exit_code in {0, 2}, result.output  # no arguments: help, exit 2
    assert "Usage" in result.output
    assert "new" in result.output


# ---- refusals: one line on stderr, nothing written ----------------------------------


def test_non_empty_destination_without_force_is_refused_untouched(
    tmp_path: Path,
) -> None:
    dest = tmp_path / "existing"
    (dest / "sub").mkdir(parents=True)
    (dest / "README.md").write_text("mine\n")
    (dest / "sub" / "data.bin").write_bytes(bytes(range(256)))
    before = tree_digest(tmp_path)
    result = invoke("new", "demo", "--dest", str(dest), "--yes")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert_one_error_line(result.stderr, NOT_EMPTY.format(dest=dest))
    assert tree_digest(tmp_path) == before


def test_pretend_into_a_non_empty_destination_is_refused_too(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x\n")
    result = invoke("new", "demo", "--dest", str(tmp_path), "--pretend")
    assert result.exit_code == 1
    assert_one_error_line(result.stderr, NOT_EMPTY.format(dest=tmp_path))


def test_a_long_error_line_is_never_wrapped(tmp_path: Path) -> None:
    dest = tmp_path / ("very_long_directory_name_" * 6) / "demo"
    dest.mkdir(parents=True)
    (dest / "x").write_text("")
    result = invoke("new", "demo", "--dest", str(dest))
    assert_one_error_line(result.stderr, NOT_EMPTY.format(dest=dest))


def test_a_file_as_destination_is_refused(tmp_path: Path) -> None:
    dest = tmp_path / "file.txt"
    dest.write_text("x\n")
    result = invoke("new", "demo", "--dest", str(dest), "--force", "--yes")
    assert result.exit_code == 1
    assert_one_error_line(
        result.stderr, f"error: destination {dest} exists and is not a directory"
    )
    assert dest.read_text() == "x\n"


def test_a_destination_below_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file.txt").write_text("x\n")
    dest = tmp_path / "file.txt" / "demo"
    result = invoke("new", "demo", "--dest", str(dest), "--yes")
    assert result.exit_code == 1
    assert_one_error_line(
        result.stderr,
        f"error: destination {dest} cannot be created: "
        f"{tmp_path / 'file.txt'} is not a directory",
    )


def test_force_refuses_when_a_file_is_where_the_template_needs_a_directory(
    tmp_path: Path,
) -> None:
    (tmp_path / "migrations").write_text("not a directory\n")
    before = tree_digest(tmp_path)
    result = invoke("new", "demo", "--dest", str(tmp_path), "--force", "--yes")
    assert result.exit_code == 1
    assert_one_error_line(
        result.stderr,
        f"error: cannot write {tmp_path / 'migrations'}: "
        "a file of that name is in the way",
    )
    assert tree_digest(tmp_path) == before


def test_force_does_not_write_through_symbolic_links(tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text("not yours\n")
    dest = tmp_path / "project"
    dest.mkdir()
    (dest / "README.md").symlink_to(outside)
    result = invoke("new", "demo", "--dest", str(dest), "--force", "--yes")
    assert result.exit_code == 1
    assert_one_error_line(
        result.stderr,
        f"error: cannot write {dest / 'README.md'}: it is a symbolic link "
        "(not followed; remove it or choose another destination)",
    )
    assert outside.read_text() == "not yours\n"
    assert sorted(p.name for p in dest.iterdir()) == ["README.md"]


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("My App", NOT_AN_IDENTIFIER),
        ("1abc", NOT_AN_IDENTIFIER),
        ("class", "a Python keyword"),
        ("os", "a standard library module; the project's package would shadow it"),
        (
            "fastapi",
            "a module of a dependency of the generated project; "
            "the package would shadow it",
        ),
        ("x" * 300, "longer than 64 characters"),
        ("../evil", "a name, not a path (use --dest to choose where the project goes)"),
        ("a/b", "a name, not a path (use --dest to choose where the project goes)"),
    ],
)
def test_invalid_names_exit_2_and_write_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, rule: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("new", name, "--yes")
    assert result.exit_code == 2
    assert_one_error_line(
        result.stderr, f"error: invalid project name {name!r}: {rule}"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args", [["--engine", "foo"], ["--database", "oracle"], ["--engine", "ASYNC!"]]
)
def test_invalid_option_values_exit_2_and_write_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("new", "demo", *args, "--yes")
    assert result.exit_code == 2
    assert "Invalid value" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_scaffold_checks_choices_itself() -> None:
    options = scaffold.NewProjectOptions(name="demo", engine="fast")
    with pytest.raises(scaffold.UsageError) as caught:
        scaffold.create_project(options)
    assert str(caught.value) == "invalid engine 'fast': choose one of async, sync"


# ---- failures half-way: nothing left behind ----------------------------------------


def test_a_copier_failure_half_way_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from copier._main import Worker
    from copier.errors import UserMessageError

    def half_way(worker: Worker) -> None:
        Path(worker.dst_path).mkdir(parents=True)
        (Path(worker.dst_path) / "half.py").write_text("x = ")
        raise UserMessageError("something broke")

    monkeypatch.setattr(Worker, "run_copy", half_way)
    dest = tmp_path / "demo"
    result = invoke("new", "demo", "--dest", str(dest), "--yes")
    assert result.exit_code == 1
    assert_one_error_line(result.stderr, "error: the template refused: something broke")
    assert list(tmp_path.iterdir()) == []


def test_a_write_failure_into_a_new_directory_removes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def copy_some_then_fail(src: Path, dst: Path) -> None:
        Path(dst, "demo").mkdir(parents=True)
        Path(dst, "demo", "main.py").write_text("partial")
        raise OSError(28, "No space left on device", str(Path(dst, "demo", "db.py")))

    monkeypatch.setattr(scaffold.shutil, "copytree", copy_some_then_fail)
    dest = tmp_path / "new_parent" / "demo"
    result = invoke("new", "demo", "--dest", str(dest), "--yes")
    assert result.exit_code == 1
    assert_one_error_line(
        result.stderr,
        f"error: cannot write {dest / 'demo' / 'db.py'}: No space left on device; "
        "nothing was written",
    )
    assert list(tmp_path.iterdir()) == []


def test_a_write_failure_with_force_restores_the_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "README.md").write_text("mine\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "conftest.py").write_text("# mine\n")
    (tmp_path / "notes.txt").write_text("keep\n")
    before = tree_digest(tmp_path)
    real_copy = scaffold.shutil.copy2
    copied: list[str] = []

    def copy_until_the_tenth(src: Path, dst: Path) -> Any:
        if len(copied) == 10:
            raise OSError(28, "No space left on device", str(dst))
        copied.append(str(dst))
        return real_copy(src, dst)

    monkeypatch.setattr(scaffold.shutil, "copy2", copy_until_the_tenth)
    result = invoke("new", "demo", "--dest", str(tmp_path), "--force", "--yes")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot write ")
    assert len(result.stderr.splitlines()) == 1
    assert any(path.endswith("README.md") for path in copied)
    assert tree_digest(tmp_path) == before


# ---- real processes ------------------------------------------------------------------


def test_no_tty_without_yes_takes_the_defaults(tmp_path: Path) -> None:
    process = run_module("new", "demo", "--database", "postgresql", cwd=tmp_path)
    assert process.returncode == 0, process.stderr
    assert process.stderr == ""
    assert answers(tmp_path / "demo") == {
        "project_name": "demo",
        "engine": "async",
        "database": "postgresql",
        "repository": True,
    }


def test_refusals_in_a_real_process_print_one_line_and_no_traceback(
    tmp_path: Path,
) -> None:
    (tmp_path / "existing").mkdir()
    (tmp_path / "existing" / "keep.txt").write_text("keep\n")
    process = run_module("new", "demo", "--dest", "existing", cwd=tmp_path)
    assert process.returncode == 1
    assert_one_error_line(process.stderr, NOT_EMPTY.format(dest="existing"))
    process = run_module("new", "Bad Name", cwd=tmp_path)
    assert process.returncode == 2
    assert_one_error_line(
        process.stderr,
        f"error: invalid project name 'Bad Name': {NOT_AN_IDENTIFIER}",
    )
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["existing", "keep.txt"]


def test_help_does_not_import_copier(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from fastapi_db_scaffold import cli\n"
        "try:\n"
        "    cli.app(['new', '--help'], prog_name='fastapi-db')\n"
        "except SystemExit:\n"
        "    pass\n"
        "loaded = {m.split('.')[0] for m in sys.modules}\n"
        "print(sorted(loaded & {'copier', 'plumbum'}), file=sys.stderr)\n"
    )
    process = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "Usage" in process.stdout
    assert process.stderr.strip() == "[]"


def test_a_question_without_a_terminal_is_refused_not_hung(tmp_path: Path) -> None:
    code = (
        "from pathlib import Path\n"
        "from fastapi_db_scaffold.errors import UsageError\n"
        "from fastapi_db_scaffold.scaffold import NewProjectOptions, create_project\n"
        "try:\n"
        "    create_project(\n"
        "        NewProjectOptions(name='demo', dest=Path('demo'), interactive=True)\n"
        "    )\n"
        "except UsageError as error:\n"
        "    print(error)\n"
    )
    process = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert process.stdout.splitlines()[-1] == (
        "a question has no answer and there is no terminal to ask it; "
        "pass --yes to take the defaults, or give the options"
    )
    assert list(tmp_path.iterdir()) == []
