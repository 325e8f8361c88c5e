"""`check` keeps its mypy caches between runs, one mypy at a time in each: two runs
at once hold different caches, and a run takes up the caches a finished run left."""

from __future__ import annotations

from pathlib import Path

import pytest

from fastapi_db_scaffold.matrix.mypy_caches import held_mypy_caches


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FASTAPI_DB_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_runs_at_once_hold_different_caches_and_later_runs_reuse_them(
    home: Path, tmp_path: Path
) -> None:
    scratch = tmp_path / "scratch"
    with held_mypy_caches(2, scratch) as first:
        assert first == [home / "mypy-cache" / "0", home / "mypy-cache" / "1"]
        with held_mypy_caches(2, scratch) as second:  # another run meanwhile
            assert second == [home / "mypy-cache" / "2", home / "mypy-cache" / "3"]
        with held_mypy_caches(1, scratch) as third:  # the second run has ended
            assert third == [home / "mypy-cache" / "2"]
    with held_mypy_caches(3, scratch) as later:
        assert later == [home / "mypy-cache" / str(n) for n in range(3)]


def test_a_data_directory_that_cannot_hold_them_gives_temporary_caches(
    home: Path, tmp_path: Path
) -> None:
    home.parent.mkdir(parents=True, exist_ok=True)
    home.write_text("a file where the data directory should be")
    scratch = tmp_path / "scratch"
    with held_mypy_caches(2, scratch) as caches:
        assert caches == [scratch / "mypy-cache-0", scratch / "mypy-cache-1"]
