"""Three-way merges of text: the user's file, the render it came from, a new render.

`merge_three_way` keeps every change the user made and every change between the two
renders; where both changed the same lines it writes Git's inline conflict markers
(diff3 style: yours, the old template's, the new template's), labelled so the user can
tell which side is theirs, and counts the conflicts. Where both sides only added lines
at the same place (the user's notes at the end of the README, and a new section of
the template there too), both are kept, the user's first: nothing was changed that
the other side relied on. It runs `git merge-file` (Git is what Copier's own updates
need too) on temporary files.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import ProjectError

__all__ = ["Merge", "merge_three_way"]


@dataclass(frozen=True)
class Merge:
    text: str
    conflicts: int
    """How many places both sides changed (marked inline in `text`)."""


def merge_three_way(
    ours: str,
    base: str,
    theirs: str,
    *,
    labels: tuple[str, str, str] = ("your version", "old template", "new template"),
) -> Merge:
    """Merge the changes from `base` to `theirs` into `ours`."""
    if ours in (base, theirs):
        return Merge(theirs, 0)
    if base == theirs:
        return Merge(ours, 0)
    with tempfile.TemporaryDirectory(prefix="fastapi-db-merge-") as tmp:
        paths = []
        for name, text in (("ours", ours), ("base", base), ("theirs", theirs)):
            path = Path(tmp) / name
            path.write_bytes(text.encode("utf-8"))
            paths.append(str(path))
        try:
            result = subprocess.run(
                [
                    "git",
                    "merge-file",
                    "-p",
                    "--diff3",
                    "-L",
                    labels[0],
                    "-L",
                    labels[1],
                    "-L",
                    labels[2],
                    *paths,
                ],
                capture_output=True,
                check=False,
            )
        except OSError as error:
            raise ProjectError(
                f"cannot run git merge-file ({error.strerror}); "
                "update needs Git on the PATH"
            ) from None
    if not 0 <= result.returncode < 128:
        problem = " ".join(result.stderr.decode("utf-8", "replace").split())
        raise ProjectError(f"git merge-file failed: {problem or result.returncode}")
    return _keep_both_additions(result.stdout.decode("utf-8"), labels)


def _keep_both_additions(text: str, labels: tuple[str, str, str]) -> Merge:
    """Resolve the conflicts whose old side is empty (both sides added lines at
    one place) by keeping both; count the others, which keep their markers."""
    start, middle, split, end = (
        f"<<<<<<< {labels[0]}",
        f"||||||| {labels[1]}",
        "=======",
        f">>>>>>> {labels[2]}",
    )
    out: list[str] = []
    conflicts = 0
    lines = text.splitlines(keepends=True)
    index = 0
    while index < len(lines):
        if lines[index].rstrip("\r\n") != start:
            out.append(lines[index])
            index += 1
            continue
        block = [lines[index]]
        parts: list[list[str]] = [[], [], []]
        part = 0
        index += 1
        while index < len(lines):
            line = lines[index]
            bare = line.rstrip("\r\n")
            block.append(line)
            index += 1
            if part == 0 and bare == middle:
                part = 1
            elif part == 1 and bare == split:
                part = 2
            elif part == 2 and bare == end:
                break
            else:
                parts[part].append(line)
        ours, base, theirs = parts
        if not base and block[-1].rstrip("\r\n") == end:
            out += ours + theirs
        else:
            out += block
            conflicts += 1
    return Merge("".join(out), conflicts)
