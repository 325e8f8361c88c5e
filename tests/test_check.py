"""`fastapi-db check`, run for real in a subprocess: on the shipped template, on
unconfigured servers, with bad options, with --junit and --keep, and on committed
copies of the template with a bug in a template file or in a model snippet.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from fastapi_db_scaffold.choices import Database, Engine
from fastapi_db_scaffold.matrix import steps
from fastapi_db_scaffold.matrix.combinations import select_combinations
from fastapi_db_scaffold.matrix.generate import generate_project
from fastapi_db_scaffold.matrix.runner import STEP_NAMES
from fastapi_db_scaffold.matrix.steps import Workspace

from .matrix import COMBINATIONS, MODELS, REPO_ROOT, SERVER_ENV

pytestmark = pytest.mark.matrix

SERVER_VARIABLES = tuple(SERVER_ENV.values())


def run_check(
    *args: str, cwd: Path, unset: tuple[str, ...] = (), **env: str
) -> subprocess.CompletedProcess[str]:
    """`python -m fastapi_db_scaffold check ARGS` without a terminal; `unset` names
    environment variables (servers) to remove."""
    environ = {
        key: value
        for key, value in os.environ.items()
        if key not in unset and not key.startswith("PYTEST_")
    }
    environ.update({"NO_COLOR": "1", "COLUMNS": "200", **env})
    return subprocess.run(
        [sys.executable, "-m", "fastapi_db_scaffold", "check", *args],
        cwd=cwd,
        env=environ,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )


def table_row(stdout: str, combination: str) -> str:
    """The summary table's row of a combination."""
    rows = [line for line in stdout.splitlines() if f"│ {combination} " in line]
    assert len(rows) == 1, stdout
    return rows[0]


def output(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n{result.stdout}\n--- stderr\n{result.stderr}"


# ---- the shipped template: passes; an unconfigured server is skipped -----------------

SHIPPED = ["sync-sqlite-norepo", "sync-postgresql-norepo", "sync-mysql-norepo"]


def test_check_on_the_shipped_template(tmp_path: Path) -> None:
    """One run (it takes a while) on three combinations: SQLite, PostgreSQL (when
    configured) and MySQL with its server deliberately not configured. One test, not
    three sharing a fixture: xdist could run such a fixture on each worker."""
    junit = tmp_path / "report.xml"
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    result = run_check(
        *("--engine", "sync", "--no-repository", "--jobs", "2"),
        *("--database", "sqlite", "--database", "postgresql", "--database", "mysql"),
        *("--junit", str(junit)),
        cwd=tmp_path,
        unset=("TEST_MYSQL_URL",),
        TMPDIR=str(tmpdir),
    )
    postgres_configured = bool(os.environ.get("TEST_POSTGRES_URL"))

    # passes, with the summary table
    assert result.returncode == 0, output(result)
    assert "Traceback" not in result.stdout + result.stderr
    header = next(
        line for line in result.stdout.splitlines() if "┃ combination" in line
    )
    for column in ("result", "why", "seconds"):
        assert column in header
    assert " passed " in table_row(result.stdout, "sync-sqlite-norepo")
    postgres = table_row(result.stdout, "sync-postgresql-norepo")
    if postgres_configured:
        assert " passed " in postgres, output(result)
    else:
        assert " skipped " in postgres and "TEST_POSTGRES_URL is not set" in postgres
    assert "wall time" in result.stdout
    # not a terminal: plain progress lines, e.g. "sync-sqlite-norepo: mypy ..."
    for step in STEP_NAMES:
        assert f"sync-sqlite-norepo: {step} ..." in result.stdout
    # the projects were built in temporary directories, and those are gone
    assert not list(tmpdir.glob("fastapi-db-*")), list(tmpdir.iterdir())
    # ... but mypy's caches stay in the data directory, for the next run
    caches = Path(os.environ["FASTAPI_DB_HOME"]) / "mypy-cache"
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert list(caches.glob(f"*/{python}")), sorted(caches.glob("*"))

    # the server that is not configured: skipped (not passed), saying why
    row = table_row(result.stdout, "sync-mysql-norepo")
    assert " skipped " in row and "passed" not in row, row
    assert "TEST_MYSQL_URL is not set: mysql combinations need a server" in row

    # JUnit: a testcase per combination and step, with the right counts
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        (combination, step) for combination in SHIPPED for step in STEP_NAMES
    ]
    skipped_combinations = 1 + (not postgres_configured)
    assert suite.get("tests") == str(len(SHIPPED) * len(STEP_NAMES))
    assert suite.get("failures") == "0"
    assert suite.get("skipped") == str(skipped_combinations * len(STEP_NAMES))
    for case in cases:
        if case.get("classname") == "sync-mysql-norepo":
            skipped = case.find("skipped")
            assert skipped is not None
            assert "TEST_MYSQL_URL is not set" in (skipped.get("message") or "")
        if case.get("classname") == "sync-sqlite-norepo":
            assert list(case) == []  # passed: no failure, no skipped


def test_only_unconfigured_servers_means_all_skipped_and_exit_0(
    tmp_path: Path,
) -> None:
    junit = tmp_path / "report.xml"
    result = run_check(
        "--database",
        "mysql",
        "--junit",
        str(junit),
        cwd=tmp_path,
        unset=("TEST_MYSQL_URL",),
    )
    assert result.returncode == 0, output(result)
    for engine in ("async", "sync"):
        for repository in ("repo", "norepo"):
            row = table_row(result.stdout, f"{engine}-mysql-{repository}")
            assert " skipped " in row and "TEST_MYSQL_URL is not set" in row
    assert "4 combinations: 0 passed, 0 failed, 4 skipped" in result.stdout
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert suite.get("skipped") == suite.get("tests") == str(4 * len(STEP_NAMES))


# ---- usage errors: exit 2, one line on stderr ----------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--engine", "turbo"],
            "error: invalid engine 'turbo': choose one of async, sync",
        ),
        (
            ["--database", "oracle"],
            "error: invalid database 'oracle': choose one of sqlite, postgresql, mysql",
        ),
        (["--jobs", "0"], "error: invalid --jobs 0: give a number of at least 1"),
        (
            ["--jobs", "two"],
            "error: invalid --jobs 'two': give a whole number of at least 1",
        ),
        (
            ["--template", "no/such/dir"],
            "error: --template no/such/dir: no such directory",
        ),
        (["--template", "."], "error: --template .: holds no copier.yml"),
    ],
    ids=[
        "engine",
        "database",
        "jobs",
        "jobs-not-a-number",
        "template-missing",
        "template-not-one",
    ],
)
def test_usage_errors_exit_2_with_one_line(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = run_check(*args, cwd=tmp_path)
    assert result.returncode == 2, output(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert list(tmp_path.iterdir()) == []


# ---- a fork of the template with a bug: exit 1, names the combination and step -------


def committed_copy(tmp_path: Path, edit: Callable[[Path], None]) -> Path:
    """A git repository holding a copy of the template source, `edit`ed, committed."""
    copy = tmp_path / "fork"
    copy.mkdir()
    shutil.copy2(REPO_ROOT / "copier.yml", copy / "copier.yml")
    shutil.copytree(REPO_ROOT / "template", copy / "template")
    if (REPO_ROOT / "snippets").is_dir():
        shutil.copytree(REPO_ROOT / "snippets", copy / "snippets")
    edit(copy)
    git = ["git", "-c", "user.name=fork", "-c", "user.email=fork@example.invalid"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "a fork"]):
        subprocess.run([*git, *command], cwd=copy, check=True, capture_output=True)
    return copy


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new))


def test_a_broken_template_file_fails_naming_the_combination_and_step(
    tmp_path: Path,
) -> None:
    def break_health(copy: Path) -> None:  # /health moves: the project's tests fail
        health = copy / "template" / "{{project_name}}" / "routers" / "health.py.jinja"
        replace_in(health, '"/health",', '"/healthz",')

    fork = committed_copy(tmp_path, break_health)
    junit, keep = tmp_path / "report.xml", tmp_path / "kept"
    result = run_check(
        *("--template", str(fork), "--vcs-ref", "HEAD"),
        *("--engine", "sync", "--database", "sqlite", "--no-repository"),
        *("--junit", str(junit), "--keep", str(keep)),
        cwd=tmp_path,
    )
    assert result.returncode == 1, output(result)
    assert "Traceback" not in result.stdout + result.stderr
    row = table_row(result.stdout, "sync-sqlite-norepo")
    assert " failed " in row and "tests: " in row, row
    failed_line = r"^FAILED sync-sqlite-norepo: tests: \d+ failed"
    assert re.search(failed_line, result.stdout, re.MULTILINE), output(result)
    assert "1 combination: 0 passed, 1 failed, 0 skipped" in result.stdout
    # JUnit: the failing step's output; --keep: the project and its step log stay
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "1"
    failure = suite.find("testcase[@name='tests']/failure")
    assert failure is not None and "test_health" in (failure.text or "")
    project = keep / "sync-sqlite-norepo"
    package = project / "inventory_service_with_a_rather_long_name_sync_sqlite"
    assert '"/healthz"' in (package / "routers" / "health.py").read_text()
    log = (keep / "sync-sqlite-norepo.log").read_text()
    assert "==== tests: failed" in log and "==== generate: passed" in log


@pytest.mark.skipif(
    not (REPO_ROOT / "snippets").is_dir(),
    reason="needs the model snippets at snippets/ in the template source (the move "
    "of fastapi_db_scaffold/snippets/ to the repository root)",
)
def test_a_broken_router_snippet_fails_naming_the_combinations_and_step(
    tmp_path: Path,
) -> None:
    def break_router(copy: Path) -> None:  # POST answers 200, the tests expect 201
        replace_in(
            copy / "snippets" / "router.py.jinja",
            "status_code=status.HTTP_201_CREATED",
            "status_code=status.HTTP_200_OK",
        )

    fork = committed_copy(tmp_path, break_router)
    result = run_check(
        *("--template", str(fork), "--vcs-ref", "HEAD"),
        *("--database", "sqlite", "--no-repository", "--jobs", "2"),
        cwd=tmp_path,
    )
    assert result.returncode == 1, output(result)
    assert "Traceback" not in result.stdout + result.stderr
    for combination in ("async-sqlite-norepo", "sync-sqlite-norepo"):
        row = table_row(result.stdout, combination)
        assert " failed " in row and "tests: " in row, row
        assert f"FAILED {combination}: tests: " in result.stdout
    assert "2 combinations: 0 passed, 2 failed, 0 skipped" in result.stdout


# ---- each step says why it failed --------------------------------------------------


def test_steps_fail_with_a_one_line_reason(tmp_path: Path, mypy_cache: Path) -> None:
    """Real tools on a real project, broken on purpose: each step's reason names the
    problem, and a step passes on the project as generated."""
    combination = next(c for c in COMBINATIONS if c.id == "sync-sqlite-norepo")
    project = generate_project(combination, tmp_path / "project", models=MODELS[:1])
    workspace = Workspace(combination, project, tmp_path, mypy_cache)
    assert steps.lint(workspace).ok
    package = project / combination.project_name
    main = package / "main.py"
    original = main.read_text()

    main.write_text(original + "\n\ndef f() -> None:\n    unused = 1\n")
    lint = steps.lint(workspace)
    assert not lint.ok
    assert re.fullmatch(
        r".*main\.py:\d+:5: F841 .*`unused`.*\(Found 1 error\.\)", lint.reason
    )
    assert "$ python -m ruff check" in lint.output

    main.write_text(original + "x  =  1\n")
    formatting = steps.format_check(workspace)
    assert not formatting.ok
    assert formatting.reason.startswith("Would reformat: ")
    assert "main.py" in formatting.reason

    main.write_text(original + "\n\ndef f() -> int:\n    return 'x'\n")
    typing = steps.mypy(workspace)
    assert not typing.ok
    assert (
        "main.py:" in typing.reason and ": error: Incompatible return" in typing.reason
    )
    assert "(Found 1 error in 1 file" in typing.reason


def test_keep_refuses_a_directory_that_holds_a_combination(tmp_path: Path) -> None:
    (tmp_path / "kept" / "sync-sqlite-norepo").mkdir(parents=True)
    result = run_check(
        *("--engine", "sync", "--database", "sqlite", "--no-repository"),
        *("--keep", str(tmp_path / "kept")),
        cwd=tmp_path,
    )
    assert result.returncode == 2, output(result)
    assert result.stderr.strip() == (
        f"error: --keep {tmp_path / 'kept'}: sync-sqlite-norepo is already there; "
        "choose an empty directory"
    )


def test_selection_follows_the_template_choices() -> None:
    assert select_combinations() == COMBINATIONS
    assert len(COMBINATIONS) == len(Engine) * len(Database) * 2 == 12
    chosen = select_combinations(["sync"], ["sqlite", "mysql"], repository=False)
    assert [c.id for c in chosen] == ["sync-sqlite-norepo", "sync-mysql-norepo"]
