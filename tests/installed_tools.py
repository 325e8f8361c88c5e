"""Command-line tools the tests run on generated files (hadolint, actionlint, uv).

`tool_or_skip(name, package)` finds the executable beside the current interpreter
(where `pip install` put it, active virtual environment or not), else on PATH, and
skips the test, naming the package to install, when it is neither.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest


def find_tool(name: str) -> str | None:
    """The executable `name` beside the current interpreter or on PATH."""
    search = os.pathsep.join(
        [str(Path(sys.executable).parent), os.environ.get("PATH", os.defpath)]
    )
    return shutil.which(name, path=search)


def tool_or_skip(name: str, package: str) -> str:
    """The executable `name`; skips the test, saying what to install, without it."""
    found = find_tool(name)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install {package})")
    return found
