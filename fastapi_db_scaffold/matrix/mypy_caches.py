"""mypy caches that outlive a `check` run, one mypy process at a time in each.

Most of a cold mypy run on a generated project is analysing the installed packages
(SQLAlchemy, FastAPI, Pydantic): about half a minute per job, on every run, when the
caches are temporary. `check` keeps them instead in the tool's data directory
(`mypy-cache/<n>`); each parallel job holds one under an exclusive lock, so two
`check` runs at once (two terminals, parallel test workers) take different ones and no
two mypy processes ever write the same cache. mypy checks a cached module against its
source's hash, so a cache never gives a stale verdict; it stays bounded, because its
entries are named by module, and the projects' module names repeat.

Without advisory locks (Windows) the caches are temporary, as before.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ..template_versions import data_home

__all__ = ["held_mypy_caches"]


@contextlib.contextmanager
def held_mypy_caches(count: int, scratch: Path) -> Iterator[list[Path]]:
    """`count` mypy cache directories, each held for this run alone until the end;
    in `scratch` (fresh ones) when the data directory cannot hold them."""
    temporary = [scratch / f"mypy-cache-{slot}" for slot in range(count)]
    try:
        import fcntl
    except ImportError:  # no advisory locks: temporary caches
        yield temporary
        return
    root = data_home() / "mypy-cache"
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError:
        yield temporary
        return
    with contextlib.ExitStack() as stack:
        held: list[Path] = []
        for index in itertools.count():
            if len(held) == count:
                break
            try:
                lock: IO[bytes] = stack.enter_context(
                    open(root / f"{index}.lock", "a+b")
                )
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # another run holds it: try the next
                continue
            except OSError:
                held.append(temporary[len(held)])
                continue
            stack.callback(fcntl.flock, lock, fcntl.LOCK_UN)
            held.append(root / str(index))
        yield held
