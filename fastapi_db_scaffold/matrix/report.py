"""What `check` shows: live progress, the summary table, and JUnit XML.

In a terminal the progress is a Rich live table (a line per combination: the step it
is in, or its result); elsewhere (CI logs, pipes) it is one plain line per event. The
summary table has a row per combination (result, why, seconds), and the failures are
repeated below it as single unwrapped lines, easy to find in a log. The JUnit file has
a testcase per combination and step; a failure's text is the tail of its output.
"""

from __future__ import annotations

import re
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from types import TracebackType

from rich.console import Console, ConsoleOptions, RenderResult
from rich.live import Live
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from .combinations import Combination
from .runner import CheckResult, CombinationResult, Status

__all__ = [
    "LiveProgress",
    "PlainProgress",
    "print_summary",
    "summary_table",
    "write_junit",
]

_XML_CHAR = re.compile("[\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_STYLES = {Status.PASSED: "green", Status.FAILED: "bold red", Status.SKIPPED: "yellow"}


class PlainProgress:
    """A line per event: a combination entering a step, a combination's result."""

    def __init__(self, console: Console, combinations: list[Combination]) -> None:
        self._console = console
        self._lock = threading.Lock()
        self._total = len(combinations)
        self._done = 0

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        pass

    def started(self, combination: Combination, step: str) -> None:
        with self._lock:
            self._console.print(f"{combination.id}: {step} ...", markup=False)

    def finished(self, result: CombinationResult) -> None:
        with self._lock:
            self._done += 1
            line = f"[{self._done}/{self._total}] {result.combination.id}: "
            line += str(result.status)
            if result.reason:
                line += f" ({result.reason})"
            if result.status is not Status.SKIPPED:
                line += f" in {result.seconds:.1f} s"
            self._console.print(line, markup=False)


class LiveProgress:
    """A Rich live table, a line per combination: its current step, or its result."""

    def __init__(self, console: Console, combinations: list[Combination]) -> None:
        self._lock = threading.Lock()
        self._order = list(combinations)
        self._state: dict[Combination, tuple[str, float]] = {}
        self._results: dict[Combination, CombinationResult] = {}
        self._spinners = {c: Spinner("dots") for c in combinations}
        self._live = Live(self, console=console, refresh_per_second=8, transient=True)

    def __enter__(self) -> LiveProgress:
        self._live.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._live.__exit__(kind, value, traceback)

    def started(self, combination: Combination, step: str) -> None:
        with self._lock:
            since = self._state.get(combination, (step, time.monotonic()))[1]
            self._state[combination] = (step, since)

    def finished(self, result: CombinationResult) -> None:
        with self._lock:
            self._results[result.combination] = result

    def __rich_console__(
        self, console: Console, options: ConsoleOptions
    ) -> RenderResult:
        table = Table(box=None, show_header=False, pad_edge=False)
        table.add_column(no_wrap=True)
        table.add_column(no_wrap=True)
        table.add_column(overflow="ellipsis", no_wrap=True)
        with self._lock:
            done = len(self._results)
            for combination in self._order:
                result = self._results.get(combination)
                if result is not None:
                    why = result.reason
                    mark = Text(str(result.status), style=_STYLES[result.status])
                    table.add_row(Text(combination.id), mark, Text(why))
                elif combination in self._state:
                    step, since = self._state[combination]
                    spinner = self._spinners[combination]
                    elapsed = f"{time.monotonic() - since:.0f} s"
                    table.add_row(
                        Text(combination.id),
                        spinner.render(time.monotonic()),
                        Text(f"{step} ({elapsed})", style="cyan"),
                    )
                else:
                    table.add_row(Text(combination.id), Text("waiting", style="dim"))
        yield table
        yield Text(f"{done}/{len(self._order)} done", style="dim")


def summary_table(check: CheckResult) -> Table:
    table = Table(title="fastapi-db check", title_justify="left")
    table.add_column("combination", no_wrap=True)
    table.add_column("result", no_wrap=True)
    table.add_column("why", overflow="fold")
    table.add_column("seconds", justify="right", no_wrap=True)
    for result in check.results:
        seconds = "" if result.status is Status.SKIPPED else f"{result.seconds:.1f}"
        table.add_row(
            result.combination.id,
            Text(str(result.status), style=_STYLES[result.status]),
            Text(result.reason),
            seconds,
        )
    return table


def print_summary(console: Console, check: CheckResult) -> None:
    """The table, the failures one line each, the counts and the wall time."""
    console.print(summary_table(check))
    for result in check.results:
        if result.status is Status.FAILED:
            console.print(
                f"FAILED {result.combination.id}: {result.reason}",
                style="red",
                markup=False,
                soft_wrap=True,
            )
    for result in check.results:
        if result.project is not None:
            console.print(
                f"kept {result.combination.id} at {result.project} "
                f"(step output: {result.project}.log)",
                markup=False,
                soft_wrap=True,
            )
    counts = ", ".join(
        f"{check.count(status)} {status}"
        for status in (Status.PASSED, Status.FAILED, Status.SKIPPED)
    )
    console.print(
        f"{_combinations(len(check.results))}: {counts}; "
        f"wall time {check.seconds:.1f} s",
        style="bold green" if check.ok else "bold red",
        markup=False,
        soft_wrap=True,
    )


def _combinations(count: int) -> str:
    return f"{count} combination" + ("" if count == 1 else "s")


def write_junit(check: CheckResult, path: Path, output_limit: int = 12_000) -> None:
    """A testcase per combination and step; failure text = the step's output tail."""
    outcomes = [(r, o) for r in check.results for o in r.steps]
    suites = ET.Element("testsuites")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name="fastapi-db check",
        tests=str(len(outcomes)),
        failures=str(sum(o.status is Status.FAILED for _, o in outcomes)),
        errors="0",
        skipped=str(sum(o.status is Status.SKIPPED for _, o in outcomes)),
        time=f"{check.seconds:.3f}",
    )
    for result, outcome in outcomes:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=result.combination.id,
            name=outcome.name,
            time=f"{outcome.seconds:.3f}",
        )
        if outcome.status is Status.FAILED:
            failure = ET.SubElement(case, "failure", message=outcome.reason)
            failure.text = _xml_safe(_tail(outcome.output, output_limit))
        elif outcome.status is Status.SKIPPED:
            ET.SubElement(case, "skipped", message=outcome.reason)
    tree = ET.ElementTree(suites)
    ET.indent(tree)
    path.parent.mkdir(parents=True, exist_ok=True)
    tree.write(path, encoding="utf-8", xml_declaration=True)


def _tail(text: str, limit: int) -> str:
    return text if len(text) <= limit else "...\n" + text[-limit:]


def _xml_safe(text: str) -> str:
    """Drop the characters XML 1.0 cannot carry (terminal control codes)."""
    return "".join(char for char in text if _XML_CHAR.match(char))
