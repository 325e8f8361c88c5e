"""Idempotent insertion of lines at marker comments of generated files.

A marker is a comment line such as `# fastapi-db: model imports (...)`. New lines go
into the block of code lines just above it (blank lines between are skipped), so the
marker stays put and an import block stays one block; a line already present anywhere
in the file is not added again.
"""

from __future__ import annotations

from .errors import ProjectError

__all__ = ["insert_above_marker", "has_marker"]


def _marker_index(lines: list[str], marker: str) -> int | None:
    for index, line in enumerate(lines):
        if line.strip().startswith(marker):
            return index
    return None


def has_marker(text: str, marker: str) -> bool:
    return _marker_index(text.splitlines(), marker) is not None


def insert_above_marker(
    text: str, marker: str, new_lines: list[str], where: str, *, block: bool = False
) -> str:
    """Return `text` with `new_lines` inserted above `marker`.

    Lines already in the file are not added again; with `block=True` the lines are one
    block, added unless its first non-blank line is already there. `where` names the
    file in the error raised when the marker is missing.
    """
    lines = text.splitlines()
    index = _marker_index(lines, marker)
    if index is None:
        raise ProjectError(
            f"{where}: the marker comment '{marker}' is missing; restore it "
            "(new code is registered above it) and run the command again"
        )
    present = {line.strip() for line in lines}
    if block:
        first = next((line.strip() for line in new_lines if line.strip()), "")
        missing = [] if first in present else new_lines
    else:
        missing = [line for line in new_lines if line.strip() not in present]
    if not missing:
        return text
    insert_at = index
    while insert_at > 0 and not lines[insert_at - 1].strip():
        insert_at -= 1
    lines[insert_at:insert_at] = missing
    newline = "\r\n" if "\r\n" in text else "\n"
    return newline.join(lines) + (newline if text.endswith("\n") or not text else "")
