"""The npm command-line tools some tests drive, pinned and installed once per machine.

`npm_tools()` writes a `package.json` of `NPM_TOOLS` (exact versions) into a cache
directory named by a digest of the pins, under `FASTAPI_DB_TEST_CACHE` (default
`~/.cache/fastapi-db-tests`), runs `npm install` there once and returns its
`node_modules/.bin`; later runs reuse it, and a file lock keeps parallel workers from
installing it twice. Where npm is missing or the install fails, the calling test is
skipped, saying why.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

__all__ = ["NPM_TOOLS", "npm_tools", "run_tool"]

NPM_TOOLS = {
    "@hey-api/openapi-ts": "0.99.0",
    "typescript": "5.9.3",
    "@stoplight/spectral-cli": "6.16.3",
    "@redocly/cli": "2.77.0",
}
INSTALL_TIMEOUT = 600
# Quiet tools that would otherwise phone home or nag about updates.
TOOL_ENV = {
    "REDOCLY_TELEMETRY": "off",
    "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true",
    "NO_UPDATE_NOTIFIER": "1",
    "NPM_CONFIG_UPDATE_NOTIFIER": "false",
    "NO_COLOR": "1",
}


def _cache_root() -> Path:
    configured = os.environ.get("FASTAPI_DB_TEST_CACHE")
    return (
        Path(configured) if configured else Path.home() / ".cache" / "fastapi-db-tests"
    )


def npm_tools() -> Path:
    """The `.bin` directory of the installed tools (installing them if needed)."""
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        pytest.skip("npm and node are not installed: no npm tools to run")
    pins = " ".join(f"{name}@{version}" for name, version in sorted(NPM_TOOLS.items()))
    digest = hashlib.sha256(pins.encode()).hexdigest()[:12]
    home = _cache_root() / f"npm-{digest}"
    bin_dir = home / "node_modules" / ".bin"
    home.mkdir(parents=True, exist_ok=True)
    with (home / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp = home / ".installed"
        if stamp.exists() and stamp.read_text() == pins:
            return bin_dir
        manifest = {
            "name": "fastapi-db-test-tools",
            "private": True,
            "dependencies": NPM_TOOLS,
        }
        (home / "package.json").write_text(json.dumps(manifest, indent=2))
        result = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund"],
            cwd=home,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
            check=False,
            env={**os.environ, **TOOL_ENV},
        )
        if result.returncode != 0:
            pytest.skip(f"npm install {pins} failed: {result.stderr.strip()[-500:]}")
        stamp.write_text(pins)
    return bin_dir


def run_tool(
    bin_dir: Path, tool: str, *args: str, cwd: Path, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """`tool` (a command of the installed packages) with `args`, in `cwd`."""
    return subprocess.run(
        [str(bin_dir / tool), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **TOOL_ENV},
    )
