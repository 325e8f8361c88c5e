"""The `fastapi` command serves a generated project with no arguments.

The project depends on `fastapi[standard]` (which brings the FastAPI CLI) and names its
app in pyproject.toml (`[tool.fastapi] entrypoint = "<pkg>.main:app"`): `fastapi run`
and `fastapi dev`, started bare in the project directory on a migrated database,
serve `/health`. The package names of the matrix (`app_async_sqlite`, a long
`inventory_service_...`) are not ones the CLI's auto-discovery finds (`main.py`,
`app/main.py`, ...), so without the entrypoint these fail.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path

import httpx2
import pytest

from .live import serve
from .matrix import COMBINATIONS, Combination

pytestmark = pytest.mark.matrix

Generate = Callable[[Combination], Path]

# Every database, both engines, with and without the repository layer.
RUN_COMBINATIONS = [
    c
    for c in COMBINATIONS
    if (c.engine, c.database, c.repository)
    in {
        ("async", "sqlite", True),
        ("sync", "postgresql", False),
        ("async", "mysql", False),
    }
]
DEV_COMBINATION = next(
    c
    for c in COMBINATIONS
    if (c.engine, c.database, c.repository) == ("sync", "sqlite", False)
)


def _params(combinations: list[Combination]) -> list[pytest.param]:  # type: ignore[valid-type]
    return [
        pytest.param(c, id=c.id, marks=pytest.mark.xdist_group(c.id))
        for c in combinations
    ]


def test_the_project_names_its_app_for_the_fastapi_command(
    generated_project: Generate,
) -> None:
    combination = DEV_COMBINATION
    pyproject = tomllib.loads(
        (generated_project(combination) / "pyproject.toml").read_text()
    )
    assert pyproject["tool"]["fastapi"] == {
        "entrypoint": f"{combination.project_name}.main:app"
    }
    assert any(
        requirement.startswith("fastapi[standard]")
        for requirement in pyproject["project"]["dependencies"]
    )


@pytest.mark.parametrize("combination", _params(RUN_COMBINATIONS))
def test_fastapi_run_serves_the_app(
    combination: Combination, generated_project: Generate, tmp_path: Path
) -> None:
    project = generated_project(combination)
    command = ["fastapi", "run", "--host", "127.0.0.1"]
    with serve(project, combination, tmp_path, command=command, COLUMNS="200") as app:
        health = httpx2.get(f"{app.base_url}/health", timeout=10)
        assert health.status_code == 200, health.text
        assert health.json()["database"] == "ok"
        log = project / f"uvicorn-{app.base_url.rsplit(':', 1)[1]}.log"
        said = " ".join(log.read_text().split())
        assert f"Using import string: {combination.project_name}.main:app" in said


@pytest.mark.parametrize("combination", _params([DEV_COMBINATION]))
def test_fastapi_dev_serves_the_app_with_reload(
    combination: Combination, generated_project: Generate, tmp_path: Path
) -> None:
    project = generated_project(combination)
    command = ["fastapi", "dev", "--host", "127.0.0.1"]
    with serve(project, combination, tmp_path, command=command, COLUMNS="200") as app:
        health = httpx2.get(f"{app.base_url}/health", timeout=10)
        assert health.status_code == 200, health.text
        log = project / f"uvicorn-{app.base_url.rsplit(':', 1)[1]}.log"
        assert "Will watch for changes" in log.read_text()
