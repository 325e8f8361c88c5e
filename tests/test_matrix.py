"""The generation matrix: every combination is generated and every check step runs.

engine {async, sync} x database {sqlite, postgresql, mysql} x repository {on, off},
each step of `fastapi_db_scaffold.matrix.steps` (the ones `fastapi-db check` runs):
ruff, ruff format, the migration round trip on a fresh database with rows present
(put in before the models evolve), mypy --strict, and
the project's own test suite (against a real server for postgresql/mysql). A test per
combination and step; a combination's project is generated once per worker.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from fastapi_db_scaffold import fields as field_syntax
from fastapi_db_scaffold.field_types import FIELD_TYPES
from fastapi_db_scaffold.fields import parse_fields
from fastapi_db_scaffold.matrix.replay import default_since
from fastapi_db_scaffold.matrix.steps import STEPS, Step, Workspace, update_replay
from fastapi_db_scaffold.template_versions import shipped_versions

from .matrix import MODELS, Combination, matrix_params, server_url_or_skip

pytestmark = pytest.mark.matrix

Generate = Callable[[Combination], Path]


@pytest.mark.parametrize("step", STEPS, ids=[step.name for step in STEPS])
@pytest.mark.parametrize("combination", matrix_params())
def test_step(
    generated_project: Generate,
    combination: Combination,
    step: Step,
    tmp_path: Path,
    mypy_cache: Path,
) -> None:
    server_url_or_skip(combination)
    workspace = Workspace(
        combination=combination,
        project=generated_project(combination),
        scratch=tmp_path,
        mypy_cache=mypy_cache,
    )
    result = step.run(workspace)
    assert result.ok, f"{combination.id} {step.name}: {result.reason}\n{result.tail()}"


# The update replay (check's last step) on one combination per database and engine
# in the suite; `fastapi-db check` runs it on all 12.
REPLAYED = {"async-sqlite-norepo", "sync-postgresql-repo", "async-mysql-repo"}


@pytest.mark.parametrize(
    "combination", [p for p in matrix_params() if p.id in REPLAYED]
)
def test_update_replay_from_the_previous_shipped_version(
    combination: Combination, tmp_path: Path
) -> None:
    server_url_or_skip(combination)
    assert default_since(None, None) == shipped_versions()[-2]
    workspace = Workspace(
        combination=combination,
        project=tmp_path / "project",
        scratch=tmp_path,
        mypy_cache=tmp_path / "mypy-cache",
    )
    result = update_replay(workspace)
    assert result.ok, f"update: {result.reason}\n{result.tail()}"
    assert f"--since {shipped_versions()[-2]}" in result.output


def test_the_models_use_every_field_type_and_on_delete_action() -> None:
    known: set[str] = set()
    fields = []
    for model, specs in MODELS:
        fields += parse_fields(specs, known_models=known, model=model)
        known.add(model)
    assert {field.kind for field in fields} == set(FIELD_TYPES)
    on_delete = {field.on_delete for field in fields if field.is_relation}
    assert on_delete == {None, *field_syntax._ON_DELETE.values()}
    assert any(field.optional for field in fields)
    assert any(field.has_default for field in fields)
    assert any(field.unique for field in fields)
    assert any(field.index for field in fields)
