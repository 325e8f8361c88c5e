"""The tool's own code meets the bar it sets for generated code: ruff, mypy."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .matrix import REPO_ROOT


@pytest.mark.parametrize(
    "command",
    [
        ("ruff", "check", "fastapi_db_scaffold", "tests"),
        ("ruff", "format", "--check", "fastapi_db_scaffold", "tests"),
        ("mypy",),
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_tool_code_is_clean(command: tuple[str, ...]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", *command],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
