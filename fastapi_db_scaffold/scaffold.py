"""Create a new project from the Copier template (the work behind `fastapi-db new`).

Plain functions, no Typer. A project is rendered by Copier into a temporary staging
directory first, so that

- the list of written files is exactly the template's files (never the user's own
  files that a `--force` run leaves alone),
- `--pretend` renders, lists and discards, writing nothing at the destination,
- a Copier failure half-way leaves only garbage in the staging directory,

and only then copied into place. The copy itself is rolled back on failure: a
destination that did not exist is removed again (with any parent directories it
needed), and in an existing one every replaced file gets its old bytes back and every
new file or directory is removed.
"""

import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .choices import Database, Engine, check_choice, check_project_name
from .errors import DestinationError, FastapiDbError, ProjectError, UsageError
from .interruptions import mark_written
from .project import ANSWERS_FILE, MANIFEST_FILE
from .template_source import TemplateSource, bundled, fork, local_tree

__all__ = [
    "NewProjectOptions",
    "NewProjectResult",
    "create_project",
    "render_template",
    "template_source",
]


@dataclass(frozen=True)
class NewProjectOptions:
    """What `new` was asked for; `None` means "not given" (asked, or the default)."""

    name: str
    dest: Path | None = None
    engine: str | None = None
    database: str | None = None
    repository: bool | None = None
    yes: bool = False
    pretend: bool = False
    force: bool = False
    interactive: bool = False
    template: str | None = None
    """A template source (path or git URL); None for the bundled template."""
    vcs_ref: str | None = None
    """The git ref of `template` (default its latest tag), or a bundled version."""


@dataclass(frozen=True)
class NewProjectResult:
    """What `new` wrote (or, with `pretend`, would write)."""

    dest: Path
    files: tuple[str, ...]
    """Relative POSIX paths of the files written, sorted."""
    replaced: tuple[str, ...]
    """The subset of `files` that existed before and were (or would be) overwritten."""
    answers: Mapping[str, Any]
    """The questionnaire's answers: project_name, engine, database, repository."""
    pretend: bool


def create_project(options: NewProjectOptions) -> NewProjectResult:
    """Render the template for `options` into its destination; raise FastapiDbError."""
    name = check_project_name(options.name)
    check_choice("engine", options.engine, Engine)
    check_choice("database", options.database, Database)
    shown_dest = (options.dest or Path(name)).expanduser()
    dest = shown_dest.absolute()
    _check_destination(dest, shown_dest, force=options.force)
    source = template_source(options.template, options.vcs_ref)

    data: dict[str, Any] = {"project_name": name}
    if options.engine is not None:
        data["engine"] = str(options.engine)
    if options.database is not None:
        data["database"] = str(options.database)
    if options.repository is not None:
        data["repository"] = options.repository
    ask = options.interactive and not options.yes

    with tempfile.TemporaryDirectory(prefix="fastapi-db-") as tmp:
        staging = Path(tmp) / name
        answers = render_template(staging, data, source, ask=ask)
        files = tuple(sorted(_relative_files(staging)))
        replaced = tuple(rel for rel in files if (dest / rel).exists())
        _check_nothing_in_the_way(staging, dest, shown_dest)
        if not options.pretend:
            _install(staging, dest)
    return NewProjectResult(
        dest=shown_dest,
        files=files,
        replaced=replaced,
        answers=answers,
        pretend=options.pretend,
    )


def template_source(template: str | None, vcs_ref: str | None) -> TemplateSource:
    """The source `--template` and `--vcs-ref` name (the bundled one by default;
    for it, `--vcs-ref` picks a shipped version: `0.2.0` or `v0.2.0`)."""
    if template is not None:
        return fork(template, vcs_ref)
    if vcs_ref is None:
        return bundled()
    return bundled(vcs_ref.removeprefix("v"))


def _check_destination(dest: Path, shown: Path, *, force: bool) -> None:
    try:
        _check_destination_exists(dest, shown, force=force)
    except OSError as error:  # a name too long for the file system, a loop, ...
        raise DestinationError(
            f"destination {_short(shown)}: {error.strerror or error}"
        ) from None


def _short(path: Path) -> str:
    text = str(path)
    return text if len(text) <= 80 else f"{text[:40]}...{text[-20:]}"


def _check_destination_exists(dest: Path, shown: Path, *, force: bool) -> None:
    if not dest.exists():
        if dest.is_symlink():
            raise DestinationError(f"destination {shown} is a broken symbolic link")
        existing = next(parent for parent in dest.parents if parent.exists())
        if not existing.is_dir():
            raise DestinationError(
                f"destination {shown} cannot be created: {existing} is not a directory"
            )
        return
    if not dest.is_dir():
        raise DestinationError(f"destination {shown} exists and is not a directory")
    for record in (ANSWERS_FILE, MANIFEST_FILE):
        if (dest / record).exists():
            raise DestinationError(
                f"{shown} already holds a project generated by fastapi-db ({record}); "
                "`new` would reset its files: run `fastapi-db update` in it to bring "
                "it to a newer template"
            )
    if not force and any(dest.iterdir()):
        raise DestinationError(
            f"destination {shown} is not empty; use --force to write into it "
            "(only the template's own files are touched)"
        )


def render_template(
    staging: Path, data: dict[str, Any], source: TemplateSource, *, ask: bool
) -> dict[str, Any]:
    """Run Copier from `source` into `staging`; return the answers it recorded."""
    # Here, not at the top: importing Copier is most of `new`, and `--help` and the
    # model commands must stay fast.
    from copier.errors import (
        CopierError,
        DirtyLocalWarning,
        InteractiveSessionError,
        UserMessageError,
    )
    from plumbum import ProcessExecutionError

    from .copier_worker import CheckedOut, staging_worker

    src_path = source.copier_src()
    checked_out = (
        CheckedOut(local_tree(source), source.ref)
        if source.is_bundled and source.ref is not None
        else None
    )
    try:
        with warnings.catch_warnings():
            # A source checkout with uncommitted changes: Copier includes them, fine.
            warnings.simplefilter("ignore", DirtyLocalWarning)
            with staging_worker(
                checked_out,
                src_path=src_path,
                dst_path=staging,
                data=data,
                defaults=not ask,
                overwrite=True,
                pretend=False,
                quiet=True,
                unsafe=False,
                vcs_ref=source.ref,
            ) as worker:
                worker.run_copy()
    except (InteractiveSessionError, EOFError) as error:
        if ask and sys.stdin is not None and sys.stdin.isatty():  # Ctrl-D at a question
            raise FastapiDbError(
                "cancelled at a question (end of input); nothing was written"
            ) from error
        raise UsageError(
            "a question has no answer and there is no terminal to ask it; "
            "pass --yes to take the defaults, or give the options"
        ) from error
    except KeyboardInterrupt as error:  # includes CopierAnswersInterrupt
        raise FastapiDbError("cancelled; nothing was written") from error
    except UserMessageError as error:
        raise ProjectError(f"the template refused: {_one_line(str(error))}") from error
    except (CopierError, ProcessExecutionError) as error:
        raise ProjectError(
            f"cannot render the template {source.describe()}: "
            f"{_one_line(str(error)) or type(error).__name__}"
        ) from error
    except ValueError as error:  # Copier's validation of an answer
        raise UsageError(f"invalid answer: {_one_line(str(error))}") from error
    except OSError as error:
        raise ProjectError(f"cannot render the template: {error}") from error
    hidden = worker.answers.hidden
    return {
        key: value
        for key, value in worker.answers.user.items()
        if key not in hidden and not key.startswith("_")
    }


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _relative_files(root: Path) -> Iterator[str]:
    for directory, _, filenames in os.walk(root):
        for filename in filenames:
            yield (Path(directory) / filename).relative_to(root).as_posix()


def _check_nothing_in_the_way(staging: Path, dest: Path, shown: Path) -> None:
    """Refuse before writing when a path the template writes is in the way: a file
    where it needs a directory, a directory where it needs a file, or a symlink."""
    if not dest.exists():
        return
    for directory, dirnames, filenames in os.walk(staging):
        for entry, wanted_dir in [(d, True) for d in dirnames] + [
            (f, False) for f in filenames
        ]:
            rel = (Path(directory) / entry).relative_to(staging)
            target = dest / rel
            if target.is_symlink():
                raise DestinationError(
                    f"cannot write {shown / rel}: it is a symbolic link "
                    "(not followed; remove it or choose another destination)"
                )
            if target.exists() and target.is_dir() != wanted_dir:
                kind = "directory" if target.is_dir() else "file"
                raise DestinationError(
                    f"cannot write {shown / rel}: a {kind} of that name is in the way"
                )


def _install(staging: Path, dest: Path) -> None:
    """Copy the staged project to `dest`, undoing every change if that fails."""
    try:
        if dest.exists():
            with _rollback_in(dest) as journal:
                _copy_into(staging, dest, journal)
        else:
            with _removed_on_failure(dest):
                shutil.copytree(staging, dest)
    except OSError as error:
        raise ProjectError(
            f"cannot write {error.filename or dest}: "
            f"{_one_line(str(error.strerror or error))}; "
            "nothing was written"
        ) from error
    mark_written()


@contextmanager
def _removed_on_failure(dest: Path) -> Iterator[None]:
    """Remove `dest` (and the parents created for it) if the block fails."""
    topmost_new = dest
    while not topmost_new.parent.exists():
        topmost_new = topmost_new.parent
    try:
        yield
    except BaseException:
        shutil.rmtree(topmost_new, ignore_errors=True)
        raise


@dataclass
class _Journal:
    """What `_copy_into` changed in an existing directory, to undo it."""

    new_dirs: list[Path]
    new_files: list[Path]
    old_files: dict[Path, tuple[bytes, int]]
    """Content and mode of each replaced file."""


@contextmanager
def _rollback_in(dest: Path) -> Iterator[_Journal]:
    journal = _Journal(new_dirs=[], new_files=[], old_files={})
    try:
        yield journal
    except BaseException:
        for path in journal.new_files:
            path.unlink(missing_ok=True)
        for path, (content, mode) in journal.old_files.items():
            path.write_bytes(content)
            path.chmod(mode)
        for path in reversed(journal.new_dirs):
            shutil.rmtree(path, ignore_errors=True)
        raise


def _copy_into(staging: Path, dest: Path, journal: _Journal) -> None:
    for directory, dirnames, filenames in os.walk(staging):
        source_dir = Path(directory)
        target_dir = dest / source_dir.relative_to(staging)
        for dirname in dirnames:
            target = target_dir / dirname
            if not target.exists():
                target.mkdir()
                journal.new_dirs.append(target)
        for filename in filenames:
            target = target_dir / filename
            if target.exists():
                journal.old_files[target] = (target.read_bytes(), target.stat().st_mode)
            else:
                journal.new_files.append(target)
            shutil.copy2(source_dir / filename, target)
