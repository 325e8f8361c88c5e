"""Shared fixtures: the generated project of each combination, once per worker."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .matrix import REPO_ROOT, Combination


@pytest.fixture(scope="session")
def generated_project(copie_session: Any) -> Callable[[Combination], Path]:
    """Generate (once per session and worker) the project of a combination."""
    cache: dict[Combination, Path] = {}

    def generate(combination: Combination) -> Path:
        if combination not in cache:
            result = copie_session.copy(
                extra_answers=combination.answers, template_dir=REPO_ROOT
            )
            assert result.exit_code == 0, result.exception
            assert result.project_dir is not None
            cache[combination] = Path(result.project_dir)
        return cache[combination]

    return generate
