"""The generation matrix for pytest: `fastapi_db_scaffold.matrix` with skips and params.

The combinations, throw-away databases, standard models and steps are the package's
(the same code `fastapi-db check` runs); this module only turns "server not
configured" into a pytest skip that says why, and gives one param per combination,
grouped so that xdist keeps a combination (and its generated project) on one worker.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from fastapi_db_scaffold.choices import SYNC_SERVER_DRIVERS
from fastapi_db_scaffold.matrix import databases
from fastapi_db_scaffold.matrix.combinations import (
    COMBINATIONS,
    SERVER_ENV,
    Combination,
    ServerNotConfigured,
)
from fastapi_db_scaffold.matrix.models import MODELS
from fastapi_db_scaffold.matrix.steps import output_of, project_env, run_in_project

__all__ = [
    "COMBINATIONS",
    "MODELS",
    "REPO_ROOT",
    "SERVER_ENV",
    "SYNC_DRIVERS",
    "Combination",
    "fresh_database",
    "matrix_params",
    "output_of",
    "project_env",
    "run_in_project",
    "server_url_or_skip",
]

REPO_ROOT = Path(__file__).resolve().parents[1]
SYNC_DRIVERS = SYNC_SERVER_DRIVERS


def server_url_or_skip(combination: Combination) -> str | None:
    """The combination's server URL (None for SQLite); skips, saying why, when the
    server is not configured."""
    try:
        return combination.server_url()
    except ServerNotConfigured as why:
        pytest.skip(str(why))


@contextmanager
def fresh_database(combination: Combination, tmp_path: Path) -> Iterator[str]:
    """`databases.fresh_database`, skipping when the server is not configured."""
    server_url_or_skip(combination)
    with databases.fresh_database(combination, tmp_path) as url:
        yield url


def matrix_params() -> list[pytest.param]:  # type: ignore[valid-type]
    """One param per combination, grouped so xdist keeps a combination on one worker."""
    return [
        pytest.param(c, id=c.id, marks=pytest.mark.xdist_group(c.id))
        for c in COMBINATIONS
    ]
