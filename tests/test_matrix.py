"""The generation matrix: every combination is generated and every check step runs.

engine {async, sync} x database {sqlite, postgresql, mysql} x repository {on, off},
each step of `fastapi_db_scaffold.matrix.steps` (the ones `fastapi-db check` runs):
ruff, ruff format, the migration round trip on a fresh database, mypy --strict, and
the project's own test suite (against a real server for postgresql/mysql). A test per
combination and step; a combination's project is generated once per worker.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from fastapi_db_scaffold import fields as field_syntax
from fastapi_db_scaffold.field_types import FIELD_TYPES
from fastapi_db_scaffold.fields import parse_fields
from fastapi_db_scaffold.matrix.steps import STEPS, Step, Workspace

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
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    server_url_or_skip(combination)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    workspace = Workspace(
        combination=combination,
        project=generated_project(combination),
        scratch=tmp_path,
        mypy_cache=tmp_path_factory.getbasetemp().parent / f"mypy-cache-{worker}",
    )
    result = step.run(workspace)
    assert result.ok, f"{step.name}: {result.reason}\n{result.tail()}"


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
