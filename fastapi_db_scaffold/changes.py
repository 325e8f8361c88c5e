"""A set of file changes planned in memory, shown as a diff, and applied atomically.

`ChangeSet` collects new files, edits of existing ones and removals without touching
the disk. `apply()` writes them all or, if any write fails half-way, puts every file
back byte-for-byte as it was (new files removed, edited and removed files restored,
created directories removed).
"""

from __future__ import annotations

import contextlib
import difflib
import os
import shlex
import stat
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ProjectError
from .interruptions import mark_written

__all__ = ["ChangeSet", "FileChange"]


@dataclass(frozen=True)
class FileChange:
    """One file's planned content; `before` is None for a new file, `after` None
    for a file to remove."""

    path: Path
    before: str | None
    after: str | None

    @property
    def is_new(self) -> bool:
        return self.before is None

    @property
    def is_removal(self) -> bool:
        return self.after is None


@dataclass
class ChangeSet:
    """Planned changes below `root`; nothing is written before `apply()`."""

    root: Path
    _changes: dict[Path, FileChange] = field(default_factory=dict)

    def __iter__(self) -> Iterator[FileChange]:
        """New files first, then edits of existing ones, then removals, each in
        planning order; an edit that leaves a file as it was is no change."""
        changes = [c for c in self._changes.values() if c.before != c.after]
        edits = [c for c in changes if not c.is_new and not c.is_removal]
        return iter(
            [c for c in changes if c.is_new]
            + edits
            + [c for c in changes if c.is_removal]
        )

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def read(self, relative: str | Path) -> str:
        """The current (planned, else on-disk) text of a file."""
        path = self.root / relative
        if path in self._changes:
            planned = self._changes[path].after
            if planned is None:
                raise ProjectError(f"{relative} is to be removed; cannot read it")
            return planned
        try:
            return path.read_bytes().decode("utf-8")
        except FileNotFoundError:
            raise ProjectError(f"{relative} is missing from the project") from None
        except UnicodeDecodeError:
            raise ProjectError(
                f"{relative} is not UTF-8 text; cannot edit it"
            ) from None
        except OSError as exc:
            raise ProjectError(f"cannot read {relative}: {exc.strerror}") from None

    def is_planned(self, relative: str | Path) -> bool:
        return self.root / relative in self._changes

    def create(self, relative: str | Path, text: str) -> None:
        """Plan a new file; refuses to replace one that exists."""
        path = self.root / relative
        if path.exists() or path in self._changes:
            raise ProjectError(f"{relative} already exists; refusing to overwrite it")
        self._changes[path] = FileChange(path, None, text)

    def edit(self, relative: str | Path, transform: Callable[[str], str]) -> None:
        """Plan an edit of an existing (or already planned) file."""
        path = self.root / relative
        planned = self._changes.get(path)
        if planned is not None:
            self._changes[path] = FileChange(
                path, planned.before, transform(self.read(relative))
            )
            return
        before = self.read(relative)
        self._changes[path] = FileChange(path, before, transform(before))

    def put(self, relative: str | Path, text: str) -> None:
        """Plan the file to hold `text`: a new file, or an edit of the existing one."""
        if (self.root / relative).exists() or self.is_planned(relative):
            self.edit(relative, lambda _old: text)
        else:
            self.create(relative, text)

    def remove(self, relative: str | Path) -> None:
        """Plan the removal of an existing file."""
        path = self.root / relative
        self._changes[path] = FileChange(path, self.read(relative), None)

    def planned_texts(self) -> dict[Path, str]:
        """The text of every planned file that is not to be removed, in order."""
        return {
            path: change.after
            for path, change in self._changes.items()
            if change.after is not None
        }

    def map_text(self, transform: Callable[[Path, str], str]) -> None:
        """Replace every planned text by `transform(path, text)` (e.g. a formatter)."""
        for path, change in list(self._changes.items()):
            if change.after is not None:
                self._changes[path] = FileChange(
                    path, change.before, transform(path, change.after)
                )

    def diff(self) -> str:
        """A unified diff of every change, paths relative to the root."""
        chunks: list[str] = []
        for change in self:
            name = change.path.relative_to(self.root).as_posix()
            chunks.extend(
                difflib.unified_diff(
                    (change.before or "").splitlines(keepends=True),
                    (change.after or "").splitlines(keepends=True),
                    fromfile="/dev/null" if change.is_new else f"a/{name}",
                    tofile="/dev/null" if change.is_removal else f"b/{name}",
                )
            )
        return "".join(chunks)

    def apply(self, write: Callable[[Path, str], None] | None = None) -> None:
        """Write every change, or none: on any failure, restore what was there.

        Refuses, before writing anything, to replace a symbolic link or a read-only
        file: either would be changed behind the user's back.
        """
        write = write or _write_atomically
        for change in self:
            _check_replaceable(change.path, self.root)
        created_dirs: list[Path] = []
        done: list[FileChange] = []
        current: Path | None = None
        try:
            for change in self:
                current = change.path
                if change.after is None:
                    change.path.unlink()
                else:
                    created_dirs.extend(_make_parents(change.path.parent))
                    write(change.path, change.after)
                done.append(change)
        except BaseException as exc:
            for change in reversed(done):
                if change.before is None:
                    change.path.unlink(missing_ok=True)
                else:
                    _write_atomically(change.path, change.before)
            for directory in reversed(created_dirs):
                _remove_if_empty(directory)
            if isinstance(exc, OSError):
                name = current or "a file"
                raise ProjectError(
                    f"could not write {name}: {exc.strerror or exc}; "
                    "every file was put back as it was"
                ) from None
            raise
        mark_written()


def _check_replaceable(path: Path, root: Path) -> None:
    """A ProjectError when writing `path` would replace a link or a read-only file."""
    name = path.relative_to(root).as_posix()
    if path.is_symlink():
        raise ProjectError(
            f"{name} is a symbolic link (to {os.readlink(path)}); fastapi-db does not "
            "replace links or write through them: make it a regular file and run "
            "the command again"
        )
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    if not mode & stat.S_IWUSR:
        raise ProjectError(
            f"{name} is read-only; make it writable (chmod u+w {shlex.quote(name)}) "
            "and run the command again"
        )


def _make_parents(directory: Path) -> list[Path]:
    missing = []
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for path in reversed(missing):
        path.mkdir()
    return list(reversed(missing))


def _remove_if_empty(directory: Path) -> None:
    with contextlib.suppress(OSError):
        directory.rmdir()


def _write_atomically(path: Path, text: str) -> None:
    """Write through a temporary file and rename, so a file is never half-written."""
    mode = path.stat().st_mode & 0o777 if path.exists() else _new_file_mode()
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _new_file_mode() -> int:
    """What `open()` would give a new file: 0o666 less the umask (mkstemp's
    temporary files are private, 0o600)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask
