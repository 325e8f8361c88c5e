"""The commands import only what they use (issue 10: a CLI that feels instant).

Importing Copier is most of `new`, and SQLAlchemy with Alembic cost more than the rest
of `add-model`: `--help` imports none of them, and `add-model` (whose create-table
revision `table_code` writes) neither SQLAlchemy, Alembic nor Copier. `--help` does
not import what only `new` needs (the scaffold, YAML), nor the Rich modules that
Typer's help renderer imports but never uses for it (`rich_help`). Each command
runs in a fresh interpreter that reports which of these modules it loaded; nothing
here measures a time.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("alembic", "copier", "jinja2", "sqlalchemy")
NOT_FOR_HELP = (
    "fastapi_db_scaffold.scaffold",
    "fastapi_db_scaffold.changes",
    "yaml",
    "rich.markdown",
    "rich.traceback",
    "markdown_it",
    "pygments",
)
NOT_FOR_ADD_MODEL = ("tarfile", "typer.rich_utils", "rich.markdown", "rich.traceback")
_REPORT = """
import runpy, sys
sys.argv = ["fastapi-db", *sys.argv[1:]]
try:
    runpy.run_module("fastapi_db_scaffold", run_name="__main__")
except SystemExit as exit:
    if exit.code:
        raise
print("loaded:", *sorted(m for m in {heavy!r} if m in sys.modules))
"""


def _loaded(
    arguments: list[str], cwd: Path, modules: tuple[str, ...] = HEAVY
) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", _REPORT.format(heavy=modules), *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("loaded:"), result.stdout
    return set(last.split()[1:])


@pytest.fixture(scope="module")
def new_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[str]]:
    """A project made by `new`, and the heavy modules `new` loaded."""
    root = tmp_path_factory.mktemp("lazy")
    loaded = _loaded(["new", "demo", "--yes"], root)
    return root / "demo", loaded


def test_help_imports_no_heavy_module(tmp_path: Path) -> None:
    assert _loaded(["--help"], tmp_path) == set()


@pytest.mark.parametrize("arguments", [["--help"], ["add-model", "--help"]])
def test_help_imports_neither_the_scaffold_nor_unused_rich_modules(
    tmp_path: Path, arguments: list[str]
) -> None:
    assert _loaded(arguments, tmp_path, NOT_FOR_HELP) == set()


def test_add_model_imports_neither_sqlalchemy_alembic_nor_copier(
    new_project: tuple[Path, set[str]],
) -> None:
    project, _ = new_project
    loaded = _loaded(["add-model", "Post", "title:str(200)", "views:int"], project)
    assert loaded == {"jinja2"}
    assert list((project / "migrations" / "versions").glob("*posts*.py"))


def test_add_model_imports_neither_tarfile_nor_the_help_renderer(
    new_project: tuple[Path, set[str]],
) -> None:
    project, _ = new_project
    arguments = ["add-model", "Tag", "label:str(40)", "--dry-run"]
    assert _loaded(arguments, project, NOT_FOR_ADD_MODEL) == set()


def test_new_loads_copier(new_project: tuple[Path, set[str]]) -> None:
    """The report itself works: a command that needs Copier shows it loaded."""
    assert "copier" in new_project[1]
