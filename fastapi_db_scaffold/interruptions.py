"""Signals and broken output while a command runs, and when they stop mattering.

Until a command's changes are on disk, SIGTERM and SIGHUP act like Ctrl-C: a
`KeyboardInterrupt` that `ChangeSet.apply` answers by putting every file back. Once
`ChangeSet.apply` has written everything (`mark_written`), the command has done its
job: an interrupt, or an output pipe closed by `head`, while it prints its summary no
longer makes it fail (the CLI asks `wrote_changes`).
"""

from __future__ import annotations

import signal
from types import FrameType

__all__ = ["install_handlers", "mark_written", "wrote_changes"]

_written = False


def mark_written() -> None:
    """Every planned change of this process's command is on disk."""
    global _written
    _written = True


def wrote_changes() -> bool:
    return _written


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def install_handlers() -> None:
    """SIGTERM and SIGHUP raise `KeyboardInterrupt`, so a half-done change is undone."""
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None and signal.getsignal(number) is signal.SIG_DFL:
            signal.signal(number, _interrupt)
