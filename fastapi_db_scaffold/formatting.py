"""Python code that fastapi-db writes is passed through ruff: imports sorted, formatted.

Templates produce correct code; ruff gives it the exact layout `ruff format --check`
expects, whatever the lengths of the user's names. It runs with the project's own
configuration (found from the file's path), on text in memory.

Each file takes two ruff processes (sort the imports, then format), so the files of
one command (`format_python_files`) go through ruff side by side, one file per core;
the texts and any error are those of formatting them one after the other.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

from .errors import ProjectError

__all__ = ["format_python", "format_python_files"]


@cache
def _ruff() -> str:
    """The ruff executable installed beside this interpreter (ruff is a dependency)."""
    suffix = ".exe" if sys.platform == "win32" else ""
    beside = Path(sysconfig.get_path("scripts")) / f"ruff{suffix}"
    return str(beside) if beside.exists() else shutil.which("ruff") or "ruff"


def _run(arguments: list[str], text: str, path: Path, cwd: Path) -> str:
    command = [_ruff(), *arguments, "--stdin-filename", str(path), "-"]
    try:
        result = subprocess.run(
            command, input=text, capture_output=True, text=True, cwd=cwd, check=False
        )
    except OSError as exc:
        raise ProjectError(f"could not run ruff to format {path.name}: {exc}") from None
    if result.returncode != 0:
        problem = (result.stderr or result.stdout).strip().splitlines()
        raise ProjectError(
            f"generated code for {path.name} is not valid Python "
            f"({problem[-1] if problem else 'ruff failed'}); please report this bug"
        )
    return result.stdout


def format_python(text: str, path: Path, project_root: Path) -> str:
    """`text` with sorted imports and ruff's formatting, as the project sets them."""
    sorted_imports = _run(
        ["check", "--select", "I", "--fix", "--exit-zero", "--quiet"],
        text,
        path,
        project_root,
    )
    return _run(["format"], sorted_imports, path, project_root)


def format_python_files(
    texts: Mapping[Path, str], project_root: Path
) -> dict[Path, str]:
    """`format_python` of every file, run side by side; the first file (in the
    mapping's order) that fails raises its error."""
    if len(texts) <= 1:
        return {
            path: format_python(text, path, project_root)
            for path, text in texts.items()
        }
    pool = ThreadPoolExecutor(max_workers=min(len(texts), os.cpu_count() or 1))
    try:
        futures = {
            path: pool.submit(format_python, text, path, project_root)
            for path, text in texts.items()
        }
        return {path: future.result() for path, future in futures.items()}
    finally:  # an error or an interrupt: no file that has not started is started
        pool.shutdown(cancel_futures=True)
