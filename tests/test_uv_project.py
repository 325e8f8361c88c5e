"""A generated project works with uv as well as with pip: `uv sync && uv run pytest`.

`uv sync` installs the project and its default `dev` dependency group (which is the
`dev` extra that `pip install -e '.[dev]'` installs) into the project's own `.venv`,
writing `uv.lock`; `uv run pytest` runs the project's tests in it. One fresh SQLite
project (no models), with the current interpreter (uv downloads no Python) and uv's
own cache, so that a second run installs from the cache. Skips, saying why, without
uv (the tool's `test` extra installs it from PyPI).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from fastapi_db_scaffold.matrix.generate import generate_project

from .installed_tools import tool_or_skip
from .matrix import COMBINATIONS, output_of, project_env

COMBINATION = next(
    c
    for c in COMBINATIONS
    if (c.engine, c.database, c.repository) == ("async", "sqlite", True)
)


def uv_binary() -> str:
    """The uv executable: the `uv` package's, else one on PATH; skips without."""
    try:
        from uv import find_uv_bin
    except ImportError:
        return tool_or_skip("uv", "uv")
    return find_uv_bin()


def uv_env() -> dict[str, str]:
    """The project's tool environment for uv: no active venv (the project gets its
    own), no Python download; uv's cache is its default one, kept between runs."""
    env = project_env(UV_PYTHON_DOWNLOADS="never", UV_NO_PROGRESS="1")
    for key in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "CONDA_PREFIX"):
        env.pop(key, None)
    return env


def uv(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [uv_binary(), *args],
        cwd=project,
        env=uv_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_uv_sync_then_uv_run_pytest(tmp_path: Path) -> None:
    uv_binary()
    project = generate_project(
        COMBINATION, tmp_path / COMBINATION.project_name, models=[]
    )
    python = os.path.realpath(sys.executable)

    synced = uv(project, "sync", "--python", python)
    assert synced.returncode == 0, output_of(synced)
    assert (project / "uv.lock").is_file()
    venv_bin = project / ".venv" / "bin"
    for tool in ("pytest", "ruff", "mypy", "alembic", "fastapi"):
        assert (venv_bin / tool).is_file(), f"uv sync did not install {tool}"

    tested = uv(
        project, "run", "--python", python, "pytest", "-q", "-p", "no:cacheprovider"
    )
    assert tested.returncode == 0, output_of(tested)
    summary = re.search(r"^(\d+) passed\b.*$", tested.stdout, re.MULTILINE)
    assert summary, output_of(tested)
    assert "skipped" not in summary.group(0) and "failed" not in summary.group(0)
    # `uv run` uses the project's environment, not the tool's.
    prefix = uv(
        project,
        "run",
        "--python",
        python,
        "python",
        "-c",
        "import sys; print(sys.prefix)",
    )
    assert prefix.returncode == 0, output_of(prefix)
    assert Path(prefix.stdout.strip()) == project / ".venv"
    locked = uv(project, "lock", "--check", "--python", python)
    assert locked.returncode == 0, output_of(locked)
