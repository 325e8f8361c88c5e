"""Clients generated from a project's `/openapi.json`, and the schema under two linters.

One project (async, SQLite, repository layer, the standard models) is served for
real. Its schema passes Spectral's `spectral:oas` and Redocly's `recommended` rules
with the project's own lint configs (the waivers are there, each with its reason);
`@hey-api/openapi-ts` makes a TypeScript client whose functions are named after the
handlers and that `tsc --noEmit` accepts together with calls of it; and
`openapi-python-client` makes a Python client that a script, type-checked with mypy
--strict, drives through create, list, get, update and delete against the served app.
The npm tools are pinned (`tests.npm_tools`); without npm those tests skip.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from .live import LiveApp, serve
from .matrix import COMBINATIONS, MODELS
from .model_commands import make_project
from .npm_tools import npm_tools, run_tool

COMBINATION = next(c for c in COMBINATIONS if c.id == "async-sqlite-repo")
CLIENTS = Path(__file__).parent / "clients"
pytestmark = pytest.mark.xdist_group("clients")


@pytest.fixture(scope="module")
def tools() -> Path:
    """The pinned npm tools (skips, saying why, without npm): asked for first, so a
    skip costs no project."""
    return npm_tools()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(
        tmp_path_factory.mktemp("clients") / "project", MODELS, COMBINATION
    )


@pytest.fixture(scope="module")
def live_app(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveApp]:
    with serve(project, COMBINATION, tmp_path_factory.mktemp("db")) as app:
        yield app


@pytest.fixture(scope="module")
def schema_file(project: Path, live_app: LiveApp) -> Path:
    """The served schema, saved as `openapi.json` in the project (where the lint
    configs expect it)."""
    response = httpx2.get(f"{live_app.base_url}/openapi.json", timeout=10)
    assert response.status_code == 200, response.text
    path = project / "openapi.json"
    path.write_text(response.text)
    return path


def _schema(schema_file: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_file.read_text())
    return loaded


def _operation_ids(schema_file: Path) -> list[str]:
    paths = _schema(schema_file)["paths"]
    return [op["operationId"] for item in paths.values() for op in item.values()]


def _output(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"


def test_operation_ids_are_the_handler_names(schema_file: Path) -> None:
    ids = _operation_ids(schema_file)
    for model in ("user", "category", "post", "order"):
        assert f"create_{model}" in ids and f"delete_{model}" in ids, ids
    assert "read_posts" in ids and "update_post" in ids and "health" in ids, ids


def test_sort_keys_name_themselves_and_decimals_state_their_limits(
    schema_file: Path,
) -> None:
    schema = _schema(schema_file)
    (sort,) = [
        p["schema"]
        for p in schema["paths"]["/posts"]["get"]["parameters"]
        if p["name"] == "sort"
    ]
    names = dict(zip(sort["enum"], sort["x-enum-varnames"], strict=True))
    assert names["title"] == "TITLE" and names["-title"] == "TITLE_DESC", names
    price = schema["components"]["schemas"]["PostCreate"]["properties"]["price"]
    assert (price["x-maxDigits"], price["x-decimalPlaces"]) == (8, 2), price
    assert "8 digits, 2 after the point" in price["description"], price
    assert [branch["type"] for branch in price["anyOf"]] == ["number", "string"]


def test_spectral_finds_nothing(tools: Path, project: Path, schema_file: Path) -> None:
    result = run_tool(
        tools, "spectral", "lint", schema_file.name, "--ruleset", ".spectral.yaml",
        "--fail-severity", "hint", "--format", "json", "--quiet", cwd=project,
    )  # fmt: skip
    problems = json.loads(result.stdout or "[]")
    summary = [(p["code"], ".".join(map(str, p["path"]))) for p in problems]
    assert result.returncode == 0 and not summary, summary or _output(result)


def test_redocly_recommended_finds_nothing_but_the_documented_waiver(
    tools: Path, project: Path, schema_file: Path
) -> None:
    result = run_tool(
        tools, "redocly", "lint", schema_file.name, "--format", "json", cwd=project
    )
    report = json.loads(result.stdout)
    problems = [(p["ruleId"], p["message"]) for p in report["problems"]]
    assert result.returncode == 0 and not problems, problems or _output(result)
    assert report["totals"]["errors"] == report["totals"]["warnings"] == 0, report
    # The one waived finding (GET /health has no 4xx) is still needed.
    assert report["totals"]["ignored"] == 1, report["totals"]


def test_the_typescript_client_is_named_after_the_handlers_and_type_checks(
    tools: Path, schema_file: Path, tmp_path: Path
) -> None:
    for name in ("use_typescript_client.ts", "tsconfig.json"):
        shutil.copy(CLIENTS / name, tmp_path / name)
    generate = run_tool(
        tools, "openapi-ts", "--input", str(schema_file), "--output", "client",
        cwd=tmp_path,
    )  # fmt: skip
    assert generate.returncode == 0, _output(generate)
    sdk = (tmp_path / "client" / "sdk.gen.ts").read_text()
    functions = set(re.findall(r"^export const (\w+) =", sdk, re.MULTILINE))
    camel = {
        re.sub(r"_(\w)", lambda m: m.group(1).upper(), operation_id)
        for operation_id in _operation_ids(schema_file)
    }
    assert functions == camel, sorted(functions ^ camel)
    check = run_tool(tools, "tsc", "--project", "tsconfig.json", cwd=tmp_path)
    assert check.returncode == 0, _output(check)


def test_the_python_client_drives_every_operation(
    live_app: LiveApp, schema_file: Path, tmp_path: Path
) -> None:
    generate = subprocess.run(
        [
            sys.executable, "-m", "openapi_python_client", "generate",
            "--path", str(schema_file), "--output-path", str(tmp_path / "api_client"),
            "--meta", "none",
        ],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert generate.returncode == 0, _output(generate)
    modules = {path.stem for path in (tmp_path / "api_client" / "api").rglob("*.py")}
    assert {"create_post", "read_posts", "read_post", "update_post"} <= modules
    script = tmp_path / "drive_python_client.py"
    shutil.copy(CLIENTS / script.name, script)
    typecheck = subprocess.run(
        [
            sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent",
            "--cache-dir", str(tmp_path / "mypy-cache"), script.name,
        ],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert typecheck.returncode == 0, _output(typecheck)
    drive = subprocess.run(
        [sys.executable, script.name, live_app.base_url],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert drive.returncode == 0, _output(drive)
    report = json.loads(drive.stdout)
    assert report == {
        "created": [["alpha", "12.50"], ["beta", "7.25"]],
        "listed": ["beta", "alpha"],
        "total": 2,
        "fetched": ["alpha", "12.50", "Ada"],
        "updated": ["gamma", "99.99"],
        "deleted": 204,
        "after_delete": "Post not found",
    }
