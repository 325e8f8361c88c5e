"""What is checked in a generated project, one step at a time.

Each step runs the project's own tools with the current interpreter (`python -m ...`)
in an environment cleaned of test-runner leftovers, and returns a `StepResult`: whether
it passed, a one-line reason when it did not, and the commands with their output.

    generate    the project and its models (`generate`, in a process of its own)
    lint        ruff check
    format      ruff format --check
    migrations  on a fresh database: alembic upgrade to the revision before the
                models evolve, rows put into its tables, upgrade head (the rows
                kept, added columns filled), check, downgrade base, upgrade head
                (the first upgrade and the last log "Running upgrade  -> 0001")
    mypy        mypy with the project's strict configuration
    tests       the project's test suite (TEST_DATABASE_URL = the server for
                PostgreSQL/MySQL): it must pass, run something, skip nothing, and
                report no unhandled exception
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .combinations import Combination
from .databases import fresh_database

__all__ = [
    "STEPS",
    "Step",
    "StepResult",
    "Workspace",
    "generate",
    "lint",
    "format_check",
    "migrations",
    "mypy",
    "output_of",
    "project_env",
    "project_tests",
    "run_in_project",
]

DEFAULT_TIMEOUT = 900.0
_REASON_WIDTH = 200


def project_env(**extra: str) -> dict[str, str]:
    """The environment of a generated project's tools, minus test-runner leftovers."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "DATABASE_", "TEST_DATABASE"))
        and key not in {"PYTHONPATH", "COV_CORE_SOURCE"}
    }
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


def run_in_project(
    project: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    """Run `python -m <args>` in the project with the current interpreter."""
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=project,
        env=dict(env) if env is not None else project_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def output_of(result: subprocess.CompletedProcess[str]) -> str:
    """A command's exit code and the tails of its output, for an assertion message."""
    return (
        f"exit {result.returncode}\n--- stdout\n{result.stdout[-6000:]}\n"
        f"--- stderr\n{result.stderr[-4000:]}"
    )


@dataclass(frozen=True)
class StepResult:
    ok: bool
    reason: str = ""
    """One line: why the step failed (empty when it passed)."""
    output: str = ""
    """The commands run and everything they printed."""

    def tail(self, limit: int = 12_000) -> str:
        if len(self.output) <= limit:
            return self.output
        return "...\n" + self.output[-limit:]


@dataclass(frozen=True)
class Workspace:
    """Where a combination's steps run: its project, a scratch directory (SQLite
    databases), its mypy cache (one per parallel job), and the timeout of a command."""

    combination: Combination
    project: Path
    scratch: Path
    mypy_cache: Path
    timeout: float = DEFAULT_TIMEOUT


class _Log:
    """The commands of a step and their output, in order."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def run(
        self, workspace: Workspace, *args: str, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        result = run_in_project(
            workspace.project, *args, env=env, timeout=workspace.timeout
        )
        self.parts.append(
            f"$ python -m {shlex.join(args)}\nexit {result.returncode}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}\n"
        )
        return result

    def note(self, text: str) -> None:
        self.parts.append(text.rstrip("\n") + "\n")

    def passed(self) -> StepResult:
        return StepResult(True, "", "".join(self.parts))

    def failed(self, reason: str) -> StepResult:
        return StepResult(False, _one_line(reason), "".join(self.parts))


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    if len(line) > _REASON_WIDTH:
        return line[: _REASON_WIDTH - 3] + "..."
    return line


def _last_line(*texts: str) -> str:
    for text in texts:
        lines = [line for line in text.splitlines() if line.strip()]
        if lines:
            return lines[-1].strip()
    return ""


def _first_match(pattern: str, text: str) -> str:
    found = re.search(pattern, text, re.MULTILINE)
    return found.group(0).strip() if found else ""


def _exit_reason(result: subprocess.CompletedProcess[str]) -> str:
    last = _last_line(result.stderr, result.stdout)
    return f"exit {result.returncode}: {last}" if last else f"exit {result.returncode}"


def _timed_out(log: _Log, error: subprocess.TimeoutExpired) -> StepResult:
    command = shlex.join(str(part) for part in error.cmd[2:]) if error.cmd else ""
    return log.failed(f"{command} timed out after {error.timeout:g} s")


def _run_tool(
    log: _Log,
    workspace: Workspace,
    module: str,
    args: list[str],
    template: str | None,
    vcs_ref: str | None,
) -> subprocess.CompletedProcess[str] | StepResult:
    """Run `python -m fastapi_db_scaffold.matrix.<module> ARGS` (with the template
    options) in a process of its own, so a broken template cannot take the checker
    down; its output goes to the log. A StepResult when it timed out."""
    command = [sys.executable, "-m", f"fastapi_db_scaffold.matrix.{module}", *args]
    if template is not None:
        command += ["--template", template]
    if vcs_ref is not None:
        command += ["--vcs-ref", vcs_ref]
    try:
        result = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=workspace.timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        return _timed_out(log, error)
    log.note(
        f"$ {shlex.join(command[1:])}\nexit {result.returncode}\n"
        f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    )
    return result


# ---- the steps -----------------------------------------------------------------------


def generate(
    workspace: Workspace, template: str | None = None, vcs_ref: str | None = None
) -> StepResult:
    """Generate the project (new + the standard models) in a process of its own."""
    log = _Log()
    args = [workspace.combination.id, str(workspace.project)]
    result = _run_tool(log, workspace, "generate", args, template, vcs_ref)
    if isinstance(result, StepResult):
        return result
    if result.returncode != 0:
        return log.failed(
            _last_line(result.stderr, result.stdout) or _exit_reason(result)
        )
    return log.passed()


def lint(workspace: Workspace) -> StepResult:
    """ruff check: no violation."""
    log = _Log()
    try:
        result = log.run(workspace, "ruff", "check", "--output-format=concise", ".")
    except subprocess.TimeoutExpired as error:
        return _timed_out(log, error)
    if result.returncode != 0:
        first = _first_match(r"^\S+:\d+:\d+: .*$", result.stdout)
        summary = _first_match(r"^Found \d+ errors?\.?.*$", result.stdout)
        return log.failed(
            f"{first} ({summary})" if first and summary else _exit_reason(result)
        )
    return log.passed()


def format_check(workspace: Workspace) -> StepResult:
    """ruff format --check: every file is formatted."""
    log = _Log()
    try:
        result = log.run(workspace, "ruff", "format", "--check", ".")
    except subprocess.TimeoutExpired as error:
        return _timed_out(log, error)
    if result.returncode != 0:
        # "Would reformat: PATH" (older ruff), or a diff headed " --> PATH:LINE:COL"
        older = re.search(r"^Would reformat: (\S+)", result.stdout, re.MULTILINE)
        newer = re.search(r"^\s*--> (\S+?)(:\d+)*$", result.stdout, re.MULTILINE)
        summary = _first_match(r"^\d+ files? would be reformatted.*$", result.stdout)
        found = older or newer
        if found is None:
            return log.failed(_exit_reason(result))
        reason = f"Would reformat: {found.group(1)}"
        return log.failed(f"{reason} ({summary})" if summary else reason)
    return log.passed()


def mypy(workspace: Workspace) -> StepResult:
    """mypy with the project's own (strict) configuration."""
    log = _Log()
    env = project_env(MYPY_CACHE_DIR=str(workspace.mypy_cache))
    try:
        result = log.run(workspace, "mypy", env=env)
    except subprocess.TimeoutExpired as error:
        return _timed_out(log, error)
    if result.returncode != 0:
        first = _first_match(r"^\S+:\d+: error: .*$", result.stdout)
        summary = _first_match(r"^Found \d+ errors? .*$", result.stdout)
        return log.failed(
            f"{first} ({summary})" if first and summary else _exit_reason(result)
        )
    if "Success" not in result.stdout:
        return log.failed(f"mypy did not report Success: {_last_line(result.stdout)}")
    return log.passed()


_FIRST_UPGRADE = "Running upgrade  -> 0001"


def migrations(
    workspace: Workspace, models: Sequence[tuple[str, Sequence[str]]] | None = None
) -> StepResult:
    """The migration round trip on a fresh database, with rows present: upgrade to
    the revision before the models evolve (`rows.before_added_columns`), put rows
    into its tables (`models`: every model the project has had, by default the
    matrix's), upgrade head, check the rows are kept and the added columns filled,
    then alembic check, downgrade base (the rows still there), upgrade head."""
    from . import rows
    from .models import every_model

    log = _Log()
    combination = workspace.combination
    try:
        start = rows.before_added_columns(workspace.project / "migrations" / "versions")
    except Exception as error:  # a version file that cannot be read
        return log.failed(f"reading the revisions: {type(error).__name__}: {error}")
    try:
        with fresh_database(combination, workspace.scratch) as url:
            env = project_env(DATABASE_URL=url)
            engine = rows.database_engine(url, combination.database)

            def alembic(*step: str, when: str = "", from_base: bool = False) -> str:
                """Run an alembic command: why it failed ("" when it passed); an
                upgrade `from_base` must log the first revision."""
                result = log.run(workspace, "alembic", *step, env=env)
                command = f"alembic {' '.join(step)}{when}"
                if result.returncode != 0:
                    return f"{command}: {_exit_reason(result)}"
                if from_base and _FIRST_UPGRADE not in result.stderr:
                    return f"{command} did not log {_FIRST_UPGRADE!r}"
                return ""

            try:
                failure = alembic("upgrade", start or "head", from_base=True)
                if failure:
                    return log.failed(failure)
                try:
                    seeded = rows.put_rows(engine, models or every_model())
                except Exception as error:
                    log.note(f"{type(error).__name__}: {error}")
                    return log.failed(
                        f"putting rows in at revision {start or 'head'}: "
                        f"{type(error).__name__}: {_first_line(error)}"
                    )
                log.note(seeded.summary())
                with_rows = " with rows present"
                if start:
                    failure = alembic("upgrade", "head", when=with_rows)
                    if failure:
                        return log.failed(failure)
                try:
                    problems = rows.check_rows(engine, seeded)
                except Exception as error:
                    log.note(f"{type(error).__name__}: {error}")
                    problems = [
                        f"reading the rows back: {type(error).__name__}: "
                        f"{_first_line(error)}"
                    ]
                if problems:
                    log.note("\n".join(problems))
                    more = f" (and {len(problems) - 1} more)" if problems[1:] else ""
                    return log.failed(
                        f"alembic upgrade head{with_rows}: {problems[0]}{more}"
                    )
                failure = (
                    alembic("check", when=with_rows)
                    or alembic("downgrade", "base", when=with_rows)
                    or alembic("upgrade", "head", from_base=True)
                )
                if failure:
                    return log.failed(failure)
            finally:
                engine.dispose()
    except subprocess.TimeoutExpired as error:
        return _timed_out(log, error)
    except Exception as error:  # the server: cannot create or drop the database
        log.note(f"{type(error).__name__}: {error}")
        return log.failed(
            f"fresh database: {type(error).__name__}: {_first_line(error)}"
        )
    return log.passed()


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else ""


_PYTEST_SUMMARY = r"^=*\s*\d+ (passed|failed|error|errors|skipped)\b.* in [\d.]+s.*$"


def project_tests(workspace: Workspace) -> StepResult:
    """The project's own test suite: passes, runs tests, skips none."""
    log = _Log()
    server_url = workspace.combination.server_url()
    env = project_env(**({"TEST_DATABASE_URL": server_url} if server_url else {}))
    try:
        result = log.run(workspace, "pytest", "-q", "-p", "no:cacheprovider", env=env)
    except subprocess.TimeoutExpired as error:
        return _timed_out(log, error)
    out = result.stdout
    summary = _first_match(_PYTEST_SUMMARY, out).strip("= ")
    summary = re.sub(r" in [\d.]+s\b.*$", "", summary)  # the counts, not the time
    if result.returncode != 0:
        first = _first_match(r"^(FAILED|ERROR) .*$", out)
        if summary:
            return log.failed(f"{summary}; {first}" if first else summary)
        return log.failed(_exit_reason(result))
    if " passed" not in out:
        return log.failed(f"no test passed: {summary or _last_line(out)}")
    if " skipped" in out:
        return log.failed(f"tests were skipped (the matrix allows none): {summary}")
    if "Unhandled" in out:
        line = _first_match(r"^.*Unhandled.*$", out)
        return log.failed(f"an unhandled exception was reported: {line}")
    return log.passed()


def update_replay(
    workspace: Workspace,
    template: str | None = None,
    vcs_ref: str | None = None,
    since: str | None = None,
) -> StepResult:
    """A project made at an earlier version (`since`, default `replay.default_since`),
    edited and committed, updated to the template under test: the edits stay, no
    conflict, and its lint and tests pass."""
    from .replay import default_since

    log = _Log()
    since = since or default_since(template, vcs_ref)
    if since is None:
        log.note("no earlier version of the template: nothing to update from")
        return log.passed()
    updated = replace(
        workspace,
        project=workspace.project.with_name(workspace.project.name + "-updated"),
    )
    args = [workspace.combination.id, str(updated.project), "--since", since]
    result = _run_tool(log, workspace, "replay", args, template, vcs_ref)
    if isinstance(result, StepResult):
        return result
    if result.returncode != 0:
        reason = _last_line(result.stderr, result.stdout) or _exit_reason(result)
        return log.failed(f"from {since}: {reason}")
    for check in (lint, project_tests):
        outcome = check(updated)
        log.note(outcome.output)
        if not outcome.ok:
            return log.failed(f"from {since}, then {check.__name__}: {outcome.reason}")
    return log.passed()


@dataclass(frozen=True)
class Step:
    name: str
    description: str
    run: Callable[[Workspace], StepResult]


# After `generate`, cheapest first: a broken template is reported sooner.
STEPS: tuple[Step, ...] = (
    Step("lint", "ruff check", lint),
    Step("format", "ruff format --check", format_check),
    Step("migrations", "alembic round trip", migrations),
    Step("mypy", "mypy --strict", mypy),
    Step("tests", "the project's tests", project_tests),
)
