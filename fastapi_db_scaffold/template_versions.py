"""The versions of the bundled template this tool ships, as one local git repository.

A template version is a tree of three parts: `copier.yml`, `template/` (what Copier
renders) and `snippets/` (what `add-model` and friends render). The current version
is the live tree beside the package (`template.template_root`); each older released
version is frozen in `template_versions/<version>.tar.gz` (made once, at release, by
`scripts/freeze_template.py`), so that `update` can reproduce what an older fastapi-db
generated, offline.

`bundled_repository()` keeps all of them, oldest first, as commits tagged
`v<version>` of a git repository in the tool's data directory (`FASTAPI_DB_HOME`, by
default the platform's user data directory, e.g. `~/.local/share/fastapi-db`). That
repository is what `new` gives Copier and what `.copier-answers.yml` records as
`_src_path` (with `_commit: v<version>`), so a plain `copier update` works on every
generated project. Each tag carries a digest of its tree: a tree that changed (a
source checkout under development) gets a new commit and the tag moves; an unchanged
one costs a digest and no git command.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from packaging.version import InvalidVersion, Version

from . import __version__
from .errors import ProjectError
from .template import template_root

__all__ = [
    "BUNDLED_REPOSITORY_NAME",
    "bundled_repository",
    "data_home",
    "extract_version",
    "frozen_archive",
    "recorded_path",
    "shipped_versions",
    "tag_of",
    "tree_digest",
    "version_of_tag",
    "version_tree",
]

BUNDLED_REPOSITORY_NAME = "bundled-template"
_FROZEN_DIR = Path(__file__).resolve().parent / "template_versions"
_PARTS = ("copier.yml", "template", "snippets")
_SKIPPED = {"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
_GIT_IDENTITY = (
    "-c",
    "user.name=fastapi-db",
    "-c",
    "user.email=fastapi-db@localhost",
    "-c",
    "commit.gpgsign=false",
    "-c",
    "tag.gpgsign=false",
    "-c",
    "core.hooksPath=/dev/null",
)


def data_home() -> Path:
    """The tool's data directory (`FASTAPI_DB_HOME`, else the user data directory)."""
    configured = os.environ.get("FASTAPI_DB_HOME")
    if configured:
        return Path(configured).expanduser().absolute()
    from platformdirs import user_data_path

    return user_data_path("fastapi-db", appauthor=False)


def tag_of(version: str) -> str:
    return f"v{version}"


def version_of_tag(tag: str) -> str | None:
    """`0.3.0` for `v0.3.0`; None for anything that is not a version tag."""
    if not tag.startswith("v"):
        return None
    try:
        Version(tag[1:])
    except InvalidVersion:
        return None
    return tag[1:]


def _frozen() -> dict[str, Path]:
    suffix = ".tar.gz"
    return {
        path.name[: -len(suffix)]: path
        for path in _FROZEN_DIR.glob(f"*{suffix}")
        if version_of_tag(f"v{path.name[: -len(suffix)]}")
    }


def shipped_versions() -> list[str]:
    """Every template version this tool can render, oldest first (current last)."""
    current = Version(__version__)
    older = [v for v in _frozen() if Version(v) < current]
    return [*sorted(older, key=Version), __version__]


def _extracted(version: str) -> Path:
    """The frozen tree of an older `version`, unpacked once into the data directory
    (a digest of its archive in the name: a changed archive is unpacked anew)."""
    archive = _frozen()[version]
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()[:16]
    target = data_home() / "versions" / f"{version}-{digest}"
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    import tarfile  # here: only older versions are unpacked, once

    staged = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=target.parent))
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(staged, filter="data")
    try:
        staged.rename(target)
    except OSError:  # another process unpacked it first
        shutil.rmtree(staged, ignore_errors=True)
    return target


def _version_digest(version: str) -> str:
    """What a version's tag records: the digest of the live tree, or of the frozen
    archive (so the repository is checked without unpacking anything)."""
    if version == __version__:
        return tree_digest(template_root())
    return "archive " + hashlib.sha256(_frozen()[version].read_bytes()).hexdigest()


def version_tree(version: str) -> Path:
    """The directory holding copier.yml, template/ and snippets/ of `version`."""
    if version == __version__:
        return template_root()
    if version not in _frozen():
        shipped = ", ".join(shipped_versions())
        raise ProjectError(
            f"template version {version} is not shipped with fastapi-db "
            f"{__version__} (it has {shipped})"
        )
    return _extracted(version)


def extract_version(version: str, dest: Path) -> None:
    """Copy the tree of `version` to `dest` (a directory that need not exist)."""
    source = version_tree(version)
    dest.mkdir(parents=True, exist_ok=True)
    for relative in _tree_files(source):
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / relative, target)


def _tree_files(root: Path) -> list[str]:
    """The files of a version tree, relative POSIX paths, sorted."""
    files: list[str] = []
    for part in _PARTS:
        path = root / part
        if path.is_file():
            files.append(part)
            continue
        for directory, dirnames, filenames in os.walk(path):
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIPPED)
            for filename in filenames:
                if not filename.endswith(".pyc"):
                    full = Path(directory) / filename
                    files.append(full.relative_to(root).as_posix())
    return sorted(files)


def tree_digest(root: Path) -> str:
    """A digest of a version tree's paths and bytes."""
    digest = hashlib.sha256()
    for relative in _tree_files(root):
        digest.update(relative.encode() + b"\0")
        digest.update((root / relative).read_bytes() + b"\0")
    return digest.hexdigest()


def recorded_path(path: Path) -> str:
    """How a path is written in `.copier-answers.yml`: `~/...` below the home
    directory (Copier expands it), so that the file is the same for every user."""
    with contextlib.suppress(RuntimeError, ValueError):
        return "~/" + path.relative_to(Path.home()).as_posix()
    return path.as_posix()


def bundled_repository() -> Path:
    """The git repository of every shipped version, brought up to date."""
    home = data_home()
    repository = home / BUNDLED_REPOSITORY_NAME
    try:
        home.mkdir(parents=True, exist_ok=True)
        with _locked(home / f"{BUNDLED_REPOSITORY_NAME}.lock"):
            _bring_up_to_date(repository)
    except (OSError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", None) or error
        raise ProjectError(
            f"cannot prepare the template repository {repository}: "
            f"{' '.join(str(detail).split())}"
        ) from None
    return repository


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One process at a time (parallel test workers, two terminals)."""
    with open(path, "a+b") as handle:
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks; races are unlikely there
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _git(repository: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *_GIT_IDENTITY, *args],
        cwd=repository,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
    )
    return result.stdout


def _tag_digests(repository: Path) -> dict[str, str]:
    out = _git(
        repository, "tag", "-l", "v*", "--format=%(refname:short) %(contents:subject)"
    )
    pairs = (line.split(" ", 1) for line in out.splitlines() if " " in line)
    return {tag: digest.strip() for tag, digest in pairs}


def _bring_up_to_date(repository: Path) -> None:
    if not (repository / ".git").is_dir():
        shutil.rmtree(repository, ignore_errors=True)
        repository.mkdir(parents=True)
        _git(repository, "init", "-q")
    digests = _tag_digests(repository)
    for version in shipped_versions():
        digest = _version_digest(version)
        if digests.get(tag_of(version)) == digest:
            continue
        _commit_tree(repository, version_tree(version), version, digest)


def _commit_tree(repository: Path, tree: Path, version: str, digest: str) -> None:
    for entry in repository.iterdir():
        if entry.name != ".git":
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    for relative in _tree_files(tree):
        target = repository / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(tree / relative, target)
    _git(repository, "add", "-A")
    _git(
        repository,
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        f"fastapi-db template {version}",
    )
    _git(repository, "tag", "-a", "-f", tag_of(version), "-m", digest)


def frozen_archive(tree: Path) -> bytes:
    """A reproducible .tar.gz of a version tree (for `scripts/freeze_template.py`)."""
    import gzip
    import tarfile

    buffer = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w") as tar,
    ):
        for relative in _tree_files(tree):
            data = (tree / relative).read_bytes()
            info = tarfile.TarInfo(relative)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()
