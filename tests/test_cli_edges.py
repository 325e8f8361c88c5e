"""The CLI's edges, tried as a user would: closed input, Ctrl-D, signals, `| head`,
contradicting flags, over-long paths, read-only files, links and moved markers.

Each case is a real process (`python -m fastapi_db_scaffold`, or a pseudo-terminal
for the questions), since tracebacks, exit codes and signals only show there. Every
refusal is one line on stderr and leaves the files as they were.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .cli_support import run_module, tree_digest

ENV = {"NO_COLOR": "1"}


def _project(tmp_path: Path, name: str = "shop") -> Path:
    process = run_module("new", name, "--yes", "--engine", "sync", cwd=tmp_path)
    assert process.returncode == 0, process.stderr
    return tmp_path / name


def _one_line(process: subprocess.CompletedProcess[str], code: int, text: str) -> None:
    assert process.returncode == code, (process.stdout, process.stderr)
    assert "Traceback" not in process.stderr
    lines = process.stderr.splitlines()
    assert len(lines) == 1, process.stderr
    assert text in lines[0]


# ---- new ---------------------------------------------------------------------------


def test_new_with_standard_input_closed_takes_the_defaults(tmp_path: Path) -> None:
    process = subprocess.run(
        [sys.executable, "-m", "fastapi_db_scaffold", "new", "demo"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **ENV},
        close_fds=True,
        preexec_fn=lambda: os.close(0),
        check=False,
    )
    assert process.returncode == 0, process.stderr
    assert "Traceback" not in process.stderr
    assert (tmp_path / "demo" / "pyproject.toml").is_file()


def test_contradicting_flags_are_refused(tmp_path: Path) -> None:
    process = run_module(
        "new", "demo", "--repository", "--no-repository", "--yes", cwd=tmp_path
    )
    _one_line(
        process, 2, "--repository and --no-repository contradict each other; give one"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_destination_too_long_for_the_file_system_is_one_line(
    tmp_path: Path,
) -> None:
    process = run_module("new", "demo", "--yes", "--dest", "d" * 300, cwd=tmp_path)
    _one_line(process, 1, "File name too long")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["new", "demo", "--bogus"], "No such option: --bogus (see fastapi-db new"),
        (["bogus"], "No such command 'bogus'"),
        (["--bogus"], "No such option: --bogus"),
    ],
)
def test_usage_errors_are_one_line(tmp_path: Path, args: list[str], text: str) -> None:
    _one_line(run_module(*args, cwd=tmp_path), 2, text)


def test_output_cut_by_head_after_the_project_is_written_still_succeeds(
    tmp_path: Path,
) -> None:
    """`fastapi-db new x | head -1`: the pipe closes while the file tree prints."""
    command = [sys.executable, "-m", "fastapi_db_scaffold", "new", "demo", "--yes"]
    reader, writer = os.pipe()
    with subprocess.Popen(
        command,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=writer,
        stderr=subprocess.PIPE,
        env={**os.environ, **ENV},
    ) as process:
        os.close(writer)
        with os.fdopen(reader, "rb") as output:
            output.read(1)  # the first byte, then close the pipe like `head -c 1`
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert b"Traceback" not in stderr
    assert (tmp_path / "demo" / "pyproject.toml").is_file()


def _in_terminal(args: list[str], cwd: Path, keys: bytes) -> tuple[int, str]:
    """Run the CLI in a pseudo-terminal, type `keys` once it asks; (exit, output)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the CLI, its stdin/stdout the terminal
        os.chdir(cwd)
        os.environ.update(ENV)
        os.execv(sys.executable, [sys.executable, "-m", "fastapi_db_scaffold", *args])
    output = b""

    def read_for(seconds: float) -> None:
        nonlocal output
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    output += os.read(fd, 4096)
                except OSError:
                    return

    deadline = time.monotonic() + 30
    while b"repository" not in output.lower() and time.monotonic() < deadline:
        read_for(0.2)
    os.write(fd, keys)
    finished, status = 0, 0
    deadline = time.monotonic() + 30  # a loaded machine may take a while to exit
    while not finished and time.monotonic() < deadline:
        read_for(0.2)
        finished, status = os.waitpid(pid, os.WNOHANG)
    read_for(0.2)
    if not finished:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail(f"the CLI still runs after {keys!r}: {output[-500:]!r}")
    os.close(fd)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


def test_ctrl_d_at_a_question_cancels_and_writes_nothing(tmp_path: Path) -> None:
    code, output = _in_terminal(
        ["new", "demo", "--engine", "sync", "--database", "sqlite"], tmp_path, b"\x04"
    )
    assert code == 1, output
    assert "cancelled at a question (end of input); nothing was written" in output
    assert "no terminal" not in output
    assert "Traceback" not in output
    assert list(tmp_path.iterdir()) == []


# ---- model commands ---------------------------------------------------------------


def test_signals_roll_back_before_the_write_and_not_after(tmp_path: Path) -> None:
    """SIGTERM before anything is written cancels (nothing written); the same signal
    while the summary prints, after every file is written, does not fail the run."""
    project = _project(tmp_path)
    before = tree_digest(project)
    code = (
        "import os, signal, sys\n"
        "from fastapi_db_scaffold import add_model, cli\n"
        "when = sys.argv[1]\n"
        "real = add_model.add_model\n"
        "def add(options):\n"
        "    if when == 'before':\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "    changes = real(options)\n"
        "    if when == 'after':\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "    return changes\n"
        "add_model.add_model = add\n"
        "sys.argv = ['fastapi-db', 'add-model', 'Note', 'body:text']\n"
        "cli.main()\n"
    )

    def run(when: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", code, when],
            cwd=project,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, **ENV},
            check=False,
        )

    _one_line(run("before"), 130, "cancelled; nothing was written")
    assert tree_digest(project) == before
    process = run("after")
    assert process.returncode == 0, process.stderr
    assert "Traceback" not in process.stderr
    assert (project / "shop" / "models" / "note.py").is_file()


def test_a_renamed_router_variable_is_refused_naming_it(tmp_path: Path) -> None:
    project = _project(tmp_path)
    for relative in ("shop/routers/__init__.py", "shop/main.py"):
        path = project / relative
        path.write_text(path.read_text().replace("api_router", "v1_router"))
    before = tree_digest(project)
    process = run_module("add-model", "Note", "body:text", cwd=project)
    _one_line(
        process,
        1,
        "shop/routers/__init__.py: the lines fastapi-db adds above "
        "'# fastapi-db: router includes' use api_router, not defined above the marker",
    )
    assert tree_digest(project) == before


def test_a_marker_moved_above_the_router_is_refused(tmp_path: Path) -> None:
    project = _project(tmp_path)
    path = project / "shop" / "routers" / "__init__.py"
    marker = (
        "# fastapi-db: router includes (new routers are included above this line)\n"
    )
    text = path.read_text().replace(marker, "")
    path.write_text(
        text.replace(
            "api_router = APIRouter()\n", marker + "api_router = APIRouter()\n"
        )
    )
    before = tree_digest(project)
    process = run_module("add-model", "Note", "body:text", cwd=project)
    _one_line(process, 1, "use api_router, defined only below the marker")
    assert tree_digest(project) == before


def test_a_marker_moved_where_it_cannot_parse_is_refused(tmp_path: Path) -> None:
    project = _project(tmp_path)
    path = project / "shop" / "models" / "__init__.py"
    marker = "# fastapi-db: model imports (new models are imported above this line)\n"
    text = path.read_text().replace(marker, "")
    path.write_text(text + "\n\ndef models() -> None:\n    " + marker + "    pass\n")
    before = tree_digest(project)
    process = run_module("add-model", "Note", "body:text", cwd=project)
    _one_line(process, 1, "would not parse there")
    assert tree_digest(project) == before


def test_a_read_only_file_is_refused_not_overwritten(tmp_path: Path) -> None:
    project = _project(tmp_path)
    factories = project / "tests" / "factories.py"
    factories.chmod(0o444)
    before = tree_digest(project)
    process = run_module("add-model", "Note", "body:text", cwd=project)
    _one_line(
        process,
        1,
        "tests/factories.py is read-only; make it writable "
        "(chmod u+w tests/factories.py)",
    )
    assert tree_digest(project) == before


def test_a_symbolic_link_is_refused_not_replaced(tmp_path: Path) -> None:
    project = _project(tmp_path)
    registry = project / "shop" / "models" / "__init__.py"
    outside = tmp_path / "models_init.py"
    outside.write_text(registry.read_text())
    registry.unlink()
    registry.symlink_to(outside)
    before, target = tree_digest(project), outside.read_text()
    process = run_module("add-model", "Note", "body:text", cwd=project)
    _one_line(process, 1, "shop/models/__init__.py is a symbolic link (to ")
    assert registry.is_symlink()
    assert tree_digest(project) == before
    assert outside.read_text() == target
