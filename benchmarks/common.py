"""Small helpers: processes, CPU pinning, medians, paths."""

import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
LUA_DIR = BENCH_DIR / "lua"
DEFAULT_OUT = BENCH_DIR / "results"

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_MYSQL_URL = "mysql://root@127.0.0.1:3306/test"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def venv_script(name: str) -> str:
    """A console script of the running interpreter's environment (e.g. fastapi-db)."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} not found; install the project: pip install -e .")
    return found


def can_pin() -> bool:
    return shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2


def pinned(core: int, command: Sequence[str]) -> list[str]:
    """`command` run on CPU `core` only (taskset execs, so the pid stays the same)."""
    if not can_pin():
        return list(command)
    return ["taskset", "-c", str(core), *command]


def timed_run(
    command: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None
) -> float:
    """Wall time of one run of `command`; a failure stops the benchmark."""
    start = time.perf_counter()
    completed = subprocess.run(
        list(command),
        cwd=cwd,
        env=dict(env) if env is not None else None,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        raise SystemExit(
            f"{' '.join(command)} failed ({completed.returncode}) in {cwd}:\n"
            f"{completed.stdout[-2000:]}\n{completed.stderr[-2000:]}"
        )
    return elapsed


def timed_run_cpu(
    command: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None
) -> tuple[float, float]:
    """Wall time and CPU time (user + system, the command and every process it
    waited for) of one run. CPU time moves much less with the machine's load."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = timed_run(command, cwd, env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def run_checked(
    command: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None
) -> str:
    completed = subprocess.run(
        list(command),
        cwd=cwd,
        env=dict(env) if env is not None else None,
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        raise SystemExit(
            f"{' '.join(command)} failed ({completed.returncode}) in {cwd}:\n"
            f"{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
        )
    return completed.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time process `pid` (all its threads) has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    """VmRSS of process `pid`, in KiB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")
