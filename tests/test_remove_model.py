"""`fastapi-db remove-model`: a generated model taken out, on real databases.

The project keeps passing its own tests, ruff and mypy; the revision drops the table
with rows in it, its downgrade brings the table back (empty), and the whole history
still goes down and up. Refusals name the models in the way and change nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from fastapi_db_scaffold.manifest import read_manifest

from .cli_support import invoke, tree_digest
from .matrix import COMBINATIONS, Combination, fresh_database, server_url_or_skip
from .model_commands import alembic, assert_project_passes, make_project, sync_url

MODELS = [
    ("Member", ["email:str(120):unique", "name:str(80)"]),
    ("Note", ["title:str(200)", "owner:Member:cascade"]),
    ("Label", ["text:str(40):unique:index", "color:enum(red,green):default=red"]),
]
COMBOS = [
    c
    for c in COMBINATIONS
    if c.id in {"sync-sqlite-norepo", "async-postgresql-repo", "sync-mysql-norepo"}
]


@pytest.mark.parametrize(
    "combination",
    [
        pytest.param(c, id=c.id, marks=pytest.mark.xdist_group(f"remove-{c.id}"))
        for c in COMBOS
    ],
)
def test_a_removed_model_leaves_a_working_project_and_history(
    combination: Combination, tmp_path: Path, mypy_cache: Path
) -> None:
    server_url = server_url_or_skip(combination)
    project = make_project(tmp_path / "app", MODELS, combination)
    package = project / combination.project_name
    with fresh_database(combination, tmp_path) as url:
        alembic(project, url, "upgrade", "head")
        engine = sa.create_engine(sync_url(url))
        with engine.begin() as connection:
            insert = "INSERT INTO labels (text, color) VALUES ('a', 'red')"
            connection.execute(sa.text(insert))
        result = invoke("remove-model", "Label", "--project", str(project))
        assert result.exit_code == 0, result.output
        for gone in ("models/label.py", "schemas/label.py", "routers/labels.py"):
            assert not (package / gone).exists()
        assert not (project / "tests/test_labels.py").exists()
        assert "Label" not in (package / "models/__init__.py").read_text()
        assert "labels" not in (package / "routers/__init__.py").read_text()
        assert "LabelFactory" not in (project / "tests/factories.py").read_text()
        manifest = read_manifest(project)
        assert manifest is not None and manifest.names == ("Member", "Note")

        assert "Drop the labels table" in alembic(project, url, "upgrade", "head")
        alembic(project, url, "check")
        with engine.connect() as connection:
            assert "labels" not in sa.inspect(connection).get_table_names()
        alembic(project, url, "downgrade", "-1")
        with engine.connect() as connection:
            assert "labels" in sa.inspect(connection).get_table_names()
        alembic(project, url, "upgrade", "head")
        alembic(project, url, "downgrade", "base")
        alembic(project, url, "upgrade", "head")
        engine.dispose()
    assert_project_passes(project, server_url, mypy_cache)


@pytest.fixture(scope="module")
def notes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("notes") / "blog", MODELS)


@pytest.fixture
def project(notes: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(notes, tmp_path / "blog"))


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("Member", "cannot remove Member: Note relates to it"),
        ("Ghost", "Ghost is not a model that fastapi-db made"),
    ],
)
def test_refusals_name_the_reason_and_change_nothing(
    project: Path, model: str, message: str
) -> None:
    before = tree_digest(project)
    result = invoke("remove-model", model, "--project", str(project))
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert tree_digest(project) == before


def test_a_hand_written_foreign_key_to_its_table_also_refuses(project: Path) -> None:
    (project / "blog/models/audit.py").write_text(
        "from sqlalchemy import ForeignKey\n"
        "from sqlalchemy.orm import Mapped, mapped_column\n\n"
        "from ..db import Base\n\n\n"
        "class Audit(Base):\n"
        '    __tablename__ = "audits"\n\n'
        "    id: Mapped[int] = mapped_column(primary_key=True)\n"
        '    label_id: Mapped[int] = mapped_column(ForeignKey("labels.id"))\n'
    )
    result = invoke("remove-model", "Label", "--project", str(project))
    assert result.exit_code == 1
    assert "Audit relates to it" in result.stderr


def test_user_edits_in_shared_files_stay_and_dry_run_writes_nothing(
    project: Path,
) -> None:
    routers = project / "blog/routers/__init__.py"
    routers.write_text(routers.read_text() + "\n# Our own comment at the end.\n")
    before = tree_digest(project)
    dry = invoke("remove-model", "Label", "--dry-run", "--project", str(project))
    assert dry.exit_code == 0 and "nothing was written" in dry.stdout
    assert "--- a/blog/models/label.py" in dry.stdout
    assert tree_digest(project) == before
    result = invoke("remove-model", "Label", "--project", str(project))
    assert result.exit_code == 0, result.output
    text = routers.read_text()
    assert "# Our own comment at the end." in text and "labels_router" not in text
