"""CLI timings: medians of repeated runs against `python -c "import copier"`.

Each run gives its wall time and its CPU time (user + system of the command and of
the processes it ran, e.g. git and ruff): on a loaded machine the CPU time is the
steadier figure of the two.
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from .common import log, median, timed_run, timed_run_cpu, venv_script

BASELINE = 'python -c "import copier"'
ADD_MODEL = ["add-model", "Post", "title:str(200)", "views:int"]


def _bytecode_env() -> dict[str, str]:
    """The environment, but one that lets the warm-up write bytecode: with
    PYTHONDONTWRITEBYTECODE set, an editable install would compile the tool's own
    modules again on every timed run, which no installed wheel does."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def bench_cli(repeats: int) -> dict[str, Any]:
    """Each repetition runs every command once, in a rotating order."""
    exe = venv_script("fastapi-db")
    env = _bytecode_env()
    with tempfile.TemporaryDirectory(prefix="fastapi-db-bench-cli-") as tmp:
        root = Path(tmp)
        template = root / "template"
        template.mkdir()
        timed_run([exe, "new", "proj", "--yes"], cwd=template, env=env)
        project = template / "proj"
        counter = 0

        def import_copier() -> tuple[float, float]:
            return timed_run_cpu(
                [sys.executable, "-c", "import copier"], cwd=root, env=env
            )

        def help_() -> tuple[float, float]:
            return timed_run_cpu([exe, "--help"], cwd=root, env=env)

        def new() -> tuple[float, float]:
            nonlocal counter
            counter += 1
            dest = root / f"new-{counter}"
            dest.mkdir()
            return timed_run_cpu([exe, "new", "proj", "--yes"], cwd=dest, env=env)

        def add_model() -> tuple[float, float]:
            nonlocal counter
            counter += 1
            copy = root / f"add-{counter}"
            shutil.copytree(project, copy, symlinks=True)
            return timed_run_cpu([exe, *ADD_MODEL], cwd=copy, env=env)

        commands = {
            BASELINE: import_copier,
            "fastapi-db --help": help_,
            "fastapi-db new NAME --yes": new,
            "fastapi-db add-model Post 'title:str(200)' views:int": add_model,
        }
        names = list(commands)
        for name in names:  # warm-up: bytecode and page caches
            commands[name]()
        runs: dict[str, list[float]] = {name: [] for name in names}
        cpu: dict[str, list[float]] = {name: [] for name in names}
        for repetition in range(repeats):
            shift = repetition % len(names)
            for name in names[shift:] + names[:shift]:
                wall, cpu_time = commands[name]()
                runs[name].append(wall)
                cpu[name].append(cpu_time)
            log(f"cli repetition {repetition + 1}/{repeats} done")
    base = median(runs[BASELINE])
    cpu_base = median(cpu[BASELINE])
    return {
        "baseline": BASELINE,
        "commands": [
            {
                "name": name,
                "median": median(values),
                "min": min(values),
                "max": max(values),
                "runs": values,
                "ratio": median(values) / base,
                "cpu_median": median(cpu[name]),
                "cpu_runs": cpu[name],
                "cpu_ratio": median(cpu[name]) / cpu_base,
            }
            for name, values in runs.items()
        ],
    }
