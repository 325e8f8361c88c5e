"""Shared fixtures: the generated project of each combination, once per worker."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fastapi_db_scaffold.add_model import AddModelOptions, add_model

from .matrix import MODELS, REPO_ROOT, Combination


@pytest.fixture(scope="session")
def generated_project(copie_session: Any) -> Callable[[Combination], Path]:
    """The project of a combination, given the matrix models (once per worker)."""
    cache: dict[Combination, Path] = {}

    def generate(combination: Combination) -> Path:
        if combination not in cache:
            result = copie_session.copy(
                extra_answers=combination.answers, template_dir=REPO_ROOT
            )
            assert result.exit_code == 0, result.exception
            assert result.project_dir is not None
            project = Path(result.project_dir)
            for model, fields in MODELS:
                add_model(
                    AddModelOptions(project_dir=project, model=model, fields=fields)
                )
            cache[combination] = project
        return cache[combination]

    return generate
