"""Instructions per request under callgrind: the app's own work, whatever the load.

Requests per second, and even CPU time per response, move with whatever else runs
on the machine: the database servers share its two cores, and one run's baselines
have drifted by a quarter from the next one's. valgrind's callgrind counts the
instructions a process executes, the same for the same code and data however busy
the machine is. Each app is driven in-process (`asgi_driver`: no uvicorn, socket or
wrk), one request after another, twice: with no measured requests and with
`requests` of them. The difference divided by `requests` is its instructions per
request; start-up, imports and warm-up cancel out.

What it leaves out: the database server's work, the kernel's (a round trip costs
little in user space here, much in a wrk run), and uvicorn's HTTP parsing, which is
the same for every app. So it measures what the template decides, the Python work of
the app's stack, and the wrk figures stay the ones for round trips and concurrency.
"""

import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .common import REPO_ROOT, log

ENDPOINTS = (  # key, path, query: the GETs of `apps.ENDPOINTS`
    ("list", "/posts", "limit=20&offset=20"),
    ("get", "/posts/2500", ""),
)
_COLLECTED = re.compile(r"^==\d+== Collected : (\d+)$", re.MULTILINE)


@dataclass(frozen=True)
class AppTarget:
    """How to import one app: `module:attribute`, the directory and environment."""

    name: str
    target: str
    cwd: Path
    env: dict[str, str]


def have_valgrind() -> bool:
    return shutil.which("valgrind") is not None


def parse_collected(valgrind_output: str) -> int:
    """The instruction count callgrind reports (`==pid== Collected : N`)."""
    found = _COLLECTED.findall(valgrind_output)
    if not found:
        raise ValueError("no 'Collected :' line in callgrind's output")
    return int(found[-1])


def per_request(without: int, with_requests: int, requests: int) -> float:
    """Instructions per request from a run without and one with `requests` of them."""
    return (with_requests - without) / requests


def count(app: AppTarget, path: str, query: str, requests: int) -> int:
    """Instructions of one driver process sending `requests` measured requests."""
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        "-m",
        "benchmarks.asgi_driver",
        app.target,
        path,
        query,
        str(requests),
    ]
    env = {**app.env, "PYTHONPATH": os.pathsep.join([str(app.cwd), str(REPO_ROOT)])}
    completed = subprocess.run(
        command, cwd=app.cwd, env=env, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        tail = completed.stderr.strip().splitlines()[-5:]
        raise SystemExit(f"{app.name} under callgrind failed: {' / '.join(tail)}")
    return parse_collected(completed.stderr)


def bench_instructions(
    apps: list[AppTarget], requests: int, jobs: int = 2
) -> dict[str, dict[str, float]]:
    """Instructions per request of each app and GET endpoint: {app: {endpoint: n}}.

    The runs are independent (the GETs change nothing), so `jobs` go side by side.
    """
    runs = [
        (app, key, path, query, n)
        for app in apps
        for key, path, query in ENDPOINTS
        for n in (0, requests)
    ]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        counts = list(pool.map(lambda run: count(run[0], *run[2:]), runs))
    by_run = {
        (app.name, key, n): total
        for (app, key, _, _, n), total in zip(runs, counts, strict=True)
    }
    results: dict[str, dict[str, float]] = {}
    for app in apps:
        results[app.name] = {
            key: per_request(
                by_run[(app.name, key, 0)], by_run[(app.name, key, requests)], requests
            )
            for key, _, _ in ENDPOINTS
        }
        figures = ", ".join(
            f"{k} {v / 1e6:.2f} M" for k, v in results[app.name].items()
        )
        log(f"instructions per request, {app.name}: {figures}")
    return results


def ratios(results: dict[str, dict[str, float]]) -> dict[str, dict[str, Any]]:
    """Per endpoint: generated / baseline, as the other ratios (higher is better)."""
    return {
        key: {
            "generated_vs_core": results["core"][key] / results["generated"][key],
            "generated_vs_raw": results["raw"][key] / results["generated"][key],
        }
        for key, _, _ in ENDPOINTS
    }
