"""`new` reads the bundled template's version tree in place instead of letting Copier
clone it: what it writes (files, bytes, modes, `.copier-answers.yml`) is exactly what
Copier's own clone-based copy of the same tag writes, and no clone is made."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path
from typing import Any

import copier
import pytest
from copier import _template as copier_template

from fastapi_db_scaffold import __version__
from fastapi_db_scaffold.scaffold import render_template
from fastapi_db_scaffold.template_source import bundled
from fastapi_db_scaffold.template_source import fork as fork_source
from fastapi_db_scaffold.template_versions import shipped_versions

ANSWERS = [
    {"project_name": "shop"},
    {
        "project_name": "ledger",
        "engine": "sync",
        "database": "mysql",
        "repository": False,
    },
]


def _written(root: Path) -> dict[str, tuple[bytes, int]]:
    files: dict[str, tuple[bytes, int]] = {}
    for directory, _, names in os.walk(root):
        for name in names:
            path = Path(directory) / name
            relative = path.relative_to(root).as_posix()
            files[relative] = (path.read_bytes(), stat.S_IMODE(path.stat().st_mode))
    return files


@pytest.mark.parametrize("version", [__version__, shipped_versions()[0]])
@pytest.mark.parametrize("data", ANSWERS, ids=lambda data: data["project_name"])
def test_new_writes_what_a_clone_of_the_tag_writes_without_cloning(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    version: str,
    data: dict[str, Any],
) -> None:
    source = bundled(version)
    cloned = tmp_path / "cloned"
    copier.run_copy(
        source.copier_src(),
        cloned,
        data=dict(data),
        defaults=True,
        vcs_ref=source.ref,
        quiet=True,
    )

    def no_clone(*args: object, **kwargs: object) -> str:
        raise AssertionError("the bundled template was cloned")

    monkeypatch.setattr(copier_template, "clone", no_clone)
    in_place = tmp_path / "in-place"
    answers = render_template(in_place, dict(data), source, ask=False)

    assert answers["project_name"] == data["project_name"]
    expected = _written(cloned)
    assert ".copier-answers.yml" in expected
    assert f"_commit: v{version}".encode() in expected[".copier-answers.yml"][0]
    assert _written(in_place) == expected


def test_a_fork_is_still_cloned_at_its_ref(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the bundled template has its trees on disk: a git fork goes through
    Copier's clone as before."""
    fork = tmp_path / "fork"
    fork.mkdir()
    (fork / "copier.yml").write_text("_subdirectory: template\nname: {type: str}\n")
    (fork / "template").mkdir()
    (fork / "template" / "hello.txt.jinja").write_text("hello {{ name }}\n")
    git = [
        "git",
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "-c",
        "commit.gpgsign=false",
    ]
    subprocess.run(["git", "init", "-q"], cwd=fork, check=True)
    subprocess.run([*git, "add", "-A"], cwd=fork, check=True)
    subprocess.run([*git, "commit", "-qm", "one"], cwd=fork, check=True)
    subprocess.run([*git, "tag", "v1"], cwd=fork, check=True)

    clones: list[object] = []
    original = copier_template.clone

    def counted(*args: Any, **kwargs: Any) -> str:
        clones.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(copier_template, "clone", counted)
    dest = tmp_path / "out"
    render_template(dest, {"name": "ada"}, fork_source(str(fork), "v1"), ask=False)
    assert (dest / "hello.txt").read_text() == "hello ada\n"
    assert len(clones) == 1
