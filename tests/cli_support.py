"""Helpers of the CLI tests: run the command in-process or for real, digest a tree."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner, Result

from fastapi_db_scaffold.cli import app
from fastapi_db_scaffold.template import template_root


def invoke(*args: str) -> Result:
    """`fastapi-db ARGS` in-process (Typer's CliRunner)."""
    return CliRunner().invoke(app, list(args))


def run_module(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m fastapi_db_scaffold ARGS` in `cwd`, no terminal on stdin."""
    return subprocess.run(
        [sys.executable, "-m", "fastapi_db_scaffold", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        check=False,
    )


def tree_digest(root: Path) -> dict[str, str]:
    """Every path under `root`: a hash of a file's bytes (or "dir"), and its mode."""
    tree = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        mode = f"{path.stat().st_mode:o}"
        if path.is_dir():
            tree[rel] = f"dir {mode}"
        else:
            tree[rel] = f"{hashlib.sha256(path.read_bytes()).hexdigest()} {mode}"
    return tree


def copy_template_source(root: Path) -> None:
    """A copy of the shipped template source (copier.yml, template/, snippets/) in
    the new directory `root`, for tests that fork it."""
    source = template_root()
    root.mkdir()
    shutil.copy2(source / "copier.yml", root / "copier.yml")
    for part in ("template", "snippets"):
        shutil.copytree(
            source / part, root / part, ignore=shutil.ignore_patterns("__pycache__")
        )
