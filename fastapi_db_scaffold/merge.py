"""Three-way merges of text: the user's file, the render it came from, a new render.

`merge_three_way` keeps every change the user made and every change between the two
renders; where both changed the same lines it writes Git's inline conflict markers,
labelled so the user can tell which side is theirs, and counts the conflicts. It runs
`git merge-file` (Git is what Copier's own updates need too) on temporary files.
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
    return Merge(result.stdout.decode("utf-8"), result.returncode)
