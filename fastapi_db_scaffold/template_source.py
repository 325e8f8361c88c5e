"""Template sources: where a project's Copier template and model snippets come from.

A template source is everything the tool renders: the Copier template (`copier.yml`,
`template/`) and the snippets of `add-model` and friends (`snippets/`), so a fork can
change both. It is either the bundled template at one of the versions this tool
ships (`template_versions`), or a fork: a local directory or git URL, at a git ref.

A project remembers its source in Copier's own record, `.copier-answers.yml`:
`_src_path` and `_commit`. The bundled template is recorded as the local repository
of `template_versions.bundled_repository()` (a directory named `bundled-template`)
with `_commit: v<version>`. Projects of fastapi-db 0.2.0 recorded the package's
`_template` directory and no `_commit`; they are read as the bundled 0.2.0.

`local_tree(source)` is the directory holding the source's files at its ref: the live
tree for the current bundled version, an unpacked archive for older ones, and for a
fork the working tree itself (when the ref is the checkout's current commit, or the
commit Copier made of its uncommitted changes, which only its own clone has) or an
export of that ref, cached in the data directory.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__
from .errors import ProjectError, UsageError
from .template_versions import (
    BUNDLED_REPOSITORY_NAME,
    bundled_repository,
    data_home,
    recorded_path,
    shipped_versions,
    tag_of,
    version_of_tag,
    version_tree,
)

__all__ = [
    "LEGACY_BUNDLED_VERSION",
    "TemplateSource",
    "bundled",
    "fork",
    "local_tree",
    "recorded_source",
    "snippets_dir",
]

LEGACY_BUNDLED_VERSION = "0.2.0"
"""What a project that recorded no template version was made from."""


@dataclass(frozen=True)
class TemplateSource:
    """A template at one version: `src` and `ref` as Copier takes and records them."""

    src: str
    ref: str | None
    bundled_version: str | None = None
    """The shipped version, for the bundled template; None for a fork."""

    @property
    def is_bundled(self) -> bool:
        return self.bundled_version is not None

    def describe(self) -> str:
        if self.bundled_version is not None:
            return f"the bundled template {self.bundled_version}"
        return f"{self.src} at {self.ref}" if self.ref else self.src

    def copier_src(self) -> str:
        """The `src_path` to give Copier (preparing the bundled repository)."""
        if self.is_bundled:
            return recorded_path(bundled_repository())
        return self.src


def bundled(version: str | None = None) -> TemplateSource:
    """The bundled template at `version` (default: this tool's own)."""
    version = version or __version__
    if version not in shipped_versions():
        raise ProjectError(
            f"template version {version} is not shipped with fastapi-db "
            f"{__version__} (it has {', '.join(shipped_versions())}); "
            + (
                "upgrade fastapi-db"
                if _newer(version, __version__)
                else "pick one of those"
            )
        )
    home = data_home() / BUNDLED_REPOSITORY_NAME
    return TemplateSource(recorded_path(home), tag_of(version), version)


def fork(src: str, ref: str | None) -> TemplateSource:
    """A template given by `--template SRC` (a path or a git URL)."""
    if not src.strip():
        raise UsageError("--template needs a path or a git URL")
    path = Path(src).expanduser()
    if _looks_like_url(src):
        return TemplateSource(src, ref)
    if not path.is_dir():
        raise UsageError(
            f"--template {src}: no such directory (a template source is a directory "
            "holding copier.yml, template/ and snippets/, or a git URL)"
        )
    if not any((path / name).is_file() for name in ("copier.yml", "copier.yaml")):
        raise UsageError(f"--template {src}: holds no copier.yml")
    return TemplateSource(path.resolve().as_posix(), ref)


def _looks_like_url(src: str) -> bool:
    return "://" in src or src.startswith(("gh:", "gl:", "git@", "git+", "file:"))


def _newer(a: str, b: str) -> bool:
    from packaging.version import Version

    return Version(a) > Version(b)


def recorded_source(answers: dict[str, Any]) -> TemplateSource:
    """The source a project's `.copier-answers.yml` records."""
    src = answers.get("_src_path")
    commit = answers.get("_commit")
    commit = str(commit) if commit is not None else None
    if not isinstance(src, str) or not src:
        return bundled(LEGACY_BUNDLED_VERSION)
    if Path(src).name == BUNDLED_REPOSITORY_NAME:
        version = version_of_tag(commit or "")
        if version is None:
            raise ProjectError(
                f".copier-answers.yml records the bundled template at {commit!r}, "
                "which is not a version tag (v<version>)"
            )
        return bundled(version)
    if Path(src).name == "_template" and commit is None:  # fastapi-db 0.2.0's wheel
        return bundled(LEGACY_BUNDLED_VERSION)
    return TemplateSource(src, commit)


def snippets_dir(tree: Path) -> Path:
    """The snippets of a source tree (before 0.3.0 they were in the package)."""
    for candidate in (tree / "snippets", tree / "fastapi_db_scaffold" / "snippets"):
        if candidate.is_dir():
            return candidate
    raise ProjectError(
        f"the template source {tree} has no snippets/ directory (the templates of "
        "the files add-model writes)"
    )


def local_tree(source: TemplateSource) -> Path:
    """A local directory with the source's copier.yml, template/ and snippets/."""
    if source.bundled_version is not None:
        return version_tree(source.bundled_version)
    path = Path(source.src).expanduser()
    if not _looks_like_url(source.src):
        if not path.is_dir():
            raise ProjectError(
                f"the project's template source {source.src} does not exist here; "
                "restore it or record another one in .copier-answers.yml (_src_path)"
            )
        if source.ref is None or not (path / ".git").exists():
            return path
        if _git(path, "describe", "--tags", "--always").strip() == source.ref:
            return path  # as Copier renders a local checkout: its working tree
        if not _git(path, "rev-parse", "--verify", "-q", f"{source.ref}^{{commit}}"):
            # Copier rendered uncommitted changes as a commit of its own (not in
            # the repository): they are in the working tree, or committed since.
            return path
    return _exported(source)


def _exported(source: TemplateSource) -> Path:
    """The files of `source` at its ref, cloned once into the data directory."""
    key = hashlib.sha256(f"{source.src}\0{source.ref}".encode()).hexdigest()[:24]
    cached = data_home() / "sources" / key
    if (cached / ".complete").is_file():
        return cached
    from copier._vcs import clone, get_repo

    url = get_repo(source.src) or source.src
    with tempfile.TemporaryDirectory(prefix="fastapi-db-source-") as tmp:
        try:
            clone(url, source.ref or "HEAD", os.path.join(tmp, "clone"))
        except Exception as error:  # plumbum / git errors of every kind
            raise ProjectError(
                f"cannot fetch the template source {source.describe()}: "
                f"{' '.join(str(error).split())[:300]}"
            ) from None
        staged = cached.with_name(f"{key}.tmp-{os.getpid()}")
        shutil.rmtree(staged, ignore_errors=True)
        shutil.copytree(
            Path(tmp) / "clone", staged, ignore=shutil.ignore_patterns(".git")
        )
        (staged / ".complete").touch()
        try:
            staged.rename(cached)
        except OSError:  # another process got there first
            shutil.rmtree(staged, ignore_errors=True)
    return cached


def _git(cwd: Path, *args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return ""
