"""`/docs` and `/redoc` of a served project, rendered by headless Chromium offline.

The browser may reach only 127.0.0.1 (every other host name fails to resolve), so
the pages work only if the app serves Swagger UI's and ReDoc's assets itself. After
their scripts ran, the page lists every operation of the project. Skipped, saying
why, where no Chromium is installed (`.ci/run` installs Debian's `chromium`).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .live import LiveApp, serve
from .matrix import COMBINATIONS
from .model_commands import make_project

COMBINATION = next(c for c in COMBINATIONS if c.id == "sync-sqlite-norepo")
MODELS = [
    ("Author", ["name:str(80)"]),
    ("Book", ["title:str(200)", "price:decimal(8,2)", "author:Author"]),
]
OPERATIONS = [
    (method, path, handler)
    for plural, singular in (("authors", "author"), ("books", "book"))
    for method, path, handler in (
        ("post", f"/{plural}", f"create_{singular}"),
        ("get", f"/{plural}", f"read_{plural}"),
        ("get", f"/{plural}/{{{singular}_id}}", f"read_{singular}"),
        ("patch", f"/{plural}/{{{singular}_id}}", f"update_{singular}"),
        ("delete", f"/{plural}/{{{singular}_id}}", f"delete_{singular}"),
    )
] + [
    ("get", "/authors/{author_id}/books", "read_author_books"),  # the back-reference
    ("get", "/health", "health"),
]
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
pytestmark = pytest.mark.xdist_group("docs-offline")


def _browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no Chromium installed (Debian's `chromium`): cannot render /docs")


@pytest.fixture(scope="module")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    _browser()
    project = make_project(
        tmp_path_factory.mktemp("docs") / "project", MODELS, COMBINATION
    )
    with serve(project, COMBINATION, tmp_path_factory.mktemp("db")) as app:
        yield app


def _rendered(url: str, profile: Path) -> str:
    """The page's DOM once its scripts ran, fetched by a browser that can reach
    nothing but this machine."""
    result = subprocess.run(
        [
            _browser(),
            "--headless",
            "--no-sandbox",  # CI runs as root
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--virtual-time-budget=20000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_swagger_ui_lists_every_operation(live_app: LiveApp, tmp_path: Path) -> None:
    dom = _rendered(f"{live_app.base_url}/docs", tmp_path)
    blocks = set(re.findall(r'id="operations-(?!tag-)\w+-(\w+)"', dom))
    paths = set(re.findall(r'class="opblock-summary-path" data-path="([^"]+)"', dom))
    assert blocks == {handler for _, _, handler in OPERATIONS}, dom[-3000:]
    assert paths == {path for _, path, _ in OPERATIONS}, dom[-3000:]


def test_redoc_lists_every_operation(live_app: LiveApp, tmp_path: Path) -> None:
    dom = _rendered(f"{live_app.base_url}/redoc", tmp_path)
    sections = set(re.findall(r'data-section-id="operation/(\w+)"', dom))
    assert sections == {handler for _, _, handler in OPERATIONS}, dom[-3000:]
