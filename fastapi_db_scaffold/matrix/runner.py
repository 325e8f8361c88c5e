"""Every selected combination through every step, up to `jobs` at a time.

A combination whose server is not configured is skipped at once, saying why. The
others run in a thread each (the work is in subprocesses): `generate`, then the
project's steps in order; the first failing step ends the combination, and its name
and reason are the combination's "why" (the steps after it are reported as not run).
Each parallel job has its own mypy cache, kept between runs (`mypy_caches`).
Projects are built in a temporary directory that is removed afterwards, or in `keep`,
where they stay with a `<id>.log` of every step's output. A `Listener` hears of the
progress (from the worker threads).
"""

from __future__ import annotations

import os
import queue
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Protocol

from ..errors import UsageError
from ..scaffold import template_source
from . import steps
from .combinations import Combination, ServerNotConfigured, select_combinations
from .mypy_caches import held_mypy_caches
from .steps import STEPS, StepResult, Workspace

__all__ = [
    "STEP_NAMES",
    "CheckOptions",
    "CheckResult",
    "CombinationResult",
    "Listener",
    "plan_check",
    "Status",
    "StepOutcome",
    "run_check",
]

STEP_NAMES = ("generate", *(step.name for step in STEPS), "update")


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class CheckOptions:
    combinations: list[Combination]
    template: str | None = None
    vcs_ref: str | None = None
    since: str | None = None
    """The version an update is replayed from (None: `replay.default_since`)."""
    jobs: int = 1
    """Combinations at a time."""
    keep: Path | None = None
    timeout: float = steps.DEFAULT_TIMEOUT


@dataclass(frozen=True)
class StepOutcome:
    name: str
    status: Status
    reason: str = ""
    output: str = ""
    seconds: float = 0.0


@dataclass
class CombinationResult:
    combination: Combination
    status: Status
    reason: str = ""
    """Why it failed ("<step>: <reason>") or was skipped; empty when it passed."""
    failed_step: str | None = None
    steps: list[StepOutcome] = field(default_factory=list)
    seconds: float = 0.0
    project: Path | None = None
    """Where the project is (only when kept)."""


@dataclass
class CheckResult:
    results: list[CombinationResult]
    seconds: float

    def count(self, status: Status) -> int:
        return sum(1 for result in self.results if result.status is status)

    @property
    def ok(self) -> bool:
        return self.count(Status.FAILED) == 0


class Listener(Protocol):
    def started(self, combination: Combination, step: str) -> None: ...

    def finished(self, result: CombinationResult) -> None: ...


class _Silent:
    def started(self, combination: Combination, step: str) -> None:
        pass

    def finished(self, result: CombinationResult) -> None:
        pass


def plan_check(
    *,
    template: str | None = None,
    vcs_ref: str | None = None,
    since: str | None = None,
    engines: Iterable[str] = (),
    databases: Iterable[str] = (),
    repository: bool | None = None,
    jobs: int | None = None,
    keep: Path | None = None,
    junit: Path | None = None,
) -> CheckOptions:
    """The options of `check` from its command line; UsageError for a bad one."""
    combinations = select_combinations(engines, databases, repository)
    if jobs is not None and jobs < 1:
        raise UsageError(f"invalid --jobs {jobs}: give a number of at least 1")
    if keep is not None:
        _check_keep(keep, combinations)
    if junit is not None and junit.is_dir():
        raise UsageError(f"--junit {junit}: is a directory; give a file name")
    source = template_source(template, vcs_ref)  # refuses a bad one before any work
    return CheckOptions(
        combinations=combinations,
        template=None if source.is_bundled else source.src,
        vcs_ref=vcs_ref,
        since=since,
        jobs=jobs or os.cpu_count() or 1,
        keep=keep,
    )


def _check_keep(keep: Path, combinations: list[Combination]) -> None:
    """Refuse a --keep directory that is a file or already holds one of the projects."""
    if keep.exists() and not keep.is_dir():
        raise UsageError(f"--keep {keep}: exists and is not a directory")
    for combination in combinations:
        if (keep / combination.id).exists():
            raise UsageError(
                f"--keep {keep}: {combination.id} is already there; "
                "choose an empty directory"
            )


def run_check(options: CheckOptions, listener: Listener | None = None) -> CheckResult:
    """Run the selected combinations; the results in selection order."""
    listener = listener or _Silent()
    started = time.monotonic()
    results: dict[Combination, CombinationResult] = {}
    to_run = []
    for combination in options.combinations:
        try:
            combination.server_url()
        except ServerNotConfigured as why:
            skipped = CombinationResult(combination, Status.SKIPPED, str(why))
            skipped.steps = [
                StepOutcome(name, Status.SKIPPED, str(why)) for name in STEP_NAMES
            ]
            results[combination] = skipped
            listener.finished(skipped)
        else:
            to_run.append(combination)
    jobs = max(1, options.jobs)
    with (
        _workdirs(options.keep) as (root, scratch),
        held_mypy_caches(jobs, scratch) as mypy_caches,
    ):
        slots: queue.Queue[int] = queue.Queue()
        for slot in range(jobs):
            slots.put(slot)

        def run_one(combination: Combination) -> CombinationResult:
            slot = slots.get()
            try:
                workspace = Workspace(
                    combination=combination,
                    project=root / combination.id,
                    scratch=scratch / combination.id,
                    mypy_cache=mypy_caches[slot],
                    timeout=options.timeout,
                )
                workspace.scratch.mkdir(parents=True)
                result = _run_combination(workspace, options, listener)
            finally:
                slots.put(slot)
            if options.keep is not None:
                result.project = workspace.project
                _write_log(root / f"{combination.id}.log", result)
            listener.finished(result)
            return result

        pool = ThreadPoolExecutor(max_workers=jobs)
        try:
            for result in pool.map(run_one, to_run):
                results[result.combination] = result
        except BaseException:  # Ctrl-C: start nothing new (running steps get it too)
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown()
    ordered = [results[combination] for combination in options.combinations]
    return CheckResult(ordered, time.monotonic() - started)


@contextmanager
def _workdirs(keep: Path | None) -> Iterator[tuple[Path, Path]]:
    """The projects' root (kept or temporary) and a temporary scratch directory."""
    prefix = "fastapi-db-check-"
    with tempfile.TemporaryDirectory(prefix=prefix, ignore_cleanup_errors=True) as tmp:
        scratch = Path(tmp) / "scratch"
        scratch.mkdir()
        if keep is None:
            root = Path(tmp) / "projects"
            root.mkdir()
        else:
            root = keep.absolute()
            root.mkdir(parents=True, exist_ok=True)
        yield root, scratch


def _run_combination(
    workspace: Workspace, options: CheckOptions, listener: Listener
) -> CombinationResult:
    combination = workspace.combination
    started = time.monotonic()
    outcomes: list[StepOutcome] = []
    failed: StepOutcome | None = None
    runs: list[tuple[str, Callable[[], StepResult]]] = [
        (
            "generate",
            partial(steps.generate, workspace, options.template, options.vcs_ref),
        )
    ]
    runs += [(step.name, partial(step.run, workspace)) for step in STEPS]
    runs.append(
        (
            "update",
            partial(
                steps.update_replay,
                workspace,
                options.template,
                options.vcs_ref,
                options.since,
            ),
        )
    )
    for name, run in runs:
        if failed is not None:
            outcomes.append(
                StepOutcome(name, Status.SKIPPED, f"not run: {failed.name} failed")
            )
            continue
        listener.started(combination, name)
        step_started = time.monotonic()
        try:
            result = run()
        except Exception as error:  # a bug of the checker: report it, go on
            result = StepResult(False, f"{type(error).__name__}: {error}")
        outcome = StepOutcome(
            name,
            Status.PASSED if result.ok else Status.FAILED,
            result.reason,
            result.output,
            time.monotonic() - step_started,
        )
        outcomes.append(outcome)
        if not result.ok:
            failed = outcome
    seconds = time.monotonic() - started
    if failed is None:
        return CombinationResult(
            combination, Status.PASSED, "", None, outcomes, seconds
        )
    return CombinationResult(
        combination,
        Status.FAILED,
        f"{failed.name}: {failed.reason}",
        failed.name,
        outcomes,
        seconds,
    )


def _write_log(path: Path, result: CombinationResult) -> None:
    parts = []
    for outcome in result.steps:
        header = f"==== {outcome.name}: {outcome.status}"
        if outcome.reason:
            header += f" ({outcome.reason})"
        parts.append(f"{header}\n{outcome.output}")
    path.write_text("\n".join(parts), encoding="utf-8")
