"""Run every benchmark and write benchmarks/results/{results.md,results.json,chart.png}.

python -m benchmarks            # CLI + async/sync PostgreSQL + async MySQL
python -m benchmarks --quick    # short runs, to check the harness
python -m benchmarks --matrix   # also time the 12-combination matrix (minutes)
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in {None, ""}:  # `python benchmarks/run.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "benchmarks"

from .apps import VARIANTS, Settings, bench_variant, ensure_wrk
from .cli import BASELINE, bench_cli
from .common import (
    DEFAULT_MYSQL_URL,
    DEFAULT_OUT,
    DEFAULT_POSTGRES_URL,
    REPO_ROOT,
    can_pin,
    loadavg,
    log,
    median,
    timed_run,
)
from .instructions import have_valgrind
from .report import chart, markdown


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="short runs (checks)")
    parser.add_argument("--duration", type=float, help="seconds per wrk run (10)")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up (3)")
    parser.add_argument("--rounds", type=int, help="rounds over the apps (2)")
    parser.add_argument("--repeats", type=int, help="runs per CLI command (7)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--memory-requests",
        type=int,
        help="requests between the RSS readings (10000; 0 skips)",
    )
    parser.add_argument(
        "--variants",
        default=",".join(VARIANTS),
        help=f"comma-separated, of {', '.join(VARIANTS)}",
    )
    parser.add_argument(
        "--instructions",
        type=int,
        default=0,
        metavar="N",
        help="also count each app's instructions per request under callgrind,"
        " from runs of N requests (0: not; try 200, ~5 min a variant)",
    )
    parser.add_argument("--skip-cli", action="store_true")
    parser.add_argument("--skip-apps", action="store_true")
    parser.add_argument(
        "--matrix", action="store_true", help="also time tests/test_matrix.py"
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL),
    )
    parser.add_argument(
        "--mysql-url", default=os.environ.get("TEST_MYSQL_URL", DEFAULT_MYSQL_URL)
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    quick = args.quick
    defaults = {
        "duration": 2 if quick else 10,
        "warmup": 1 if quick else 3,
        "rounds": 1 if quick else 2,
        "repeats": 3 if quick else 7,
        "memory_requests": 2000 if quick else 10_000,
    }
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    unknown = set(args.variants.split(",")) - set(VARIANTS)
    if unknown:
        parser.error(f"unknown variants: {', '.join(sorted(unknown))}")
    return args


def _git() -> str:
    try:
        return subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "n/a"


def _import_copier_median(results: dict[str, Any]) -> float:
    cli = results.get("cli")
    if cli:
        return float(cli["commands"][0]["median"])
    runs = [
        timed_run([sys.executable, "-c", "import copier"], REPO_ROOT) for _ in range(5)
    ]
    return median(runs)


def bench_matrix(results: dict[str, Any], postgres: str, mysql: str) -> dict[str, Any]:
    baseline = _import_copier_median(results)
    env = {
        **os.environ,
        "TEST_POSTGRES_URL": os.environ.get("TEST_POSTGRES_URL", postgres),
        "TEST_MYSQL_URL": os.environ.get("TEST_MYSQL_URL", mysql),
    }
    log("matrix: pytest tests/test_matrix.py -q (minutes)")
    start = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/test_matrix.py", "-q"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    tail = [line for line in completed.stdout.splitlines() if line.strip()]
    return {
        "seconds": seconds,
        "baseline": BASELINE,
        "ratio": seconds / baseline,
        "returncode": completed.returncode,
        "summary": tail[-1] if tail else "",
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if not can_pin():
        log("WARNING: no taskset or fewer than 2 CPUs: server and wrk are not pinned")
    variants = [VARIANTS[key] for key in args.variants.split(",") if key]
    settings = Settings(
        duration=args.duration,
        warmup=args.warmup,
        rounds=args.rounds,
        connections=args.connections,
        memory_requests=args.memory_requests,
        postgres_url=args.postgres_url,
        mysql_url=args.mysql_url,
        logs=args.out / "logs",
        variants=[variant.key for variant in variants],
        instructions_requests=args.instructions,
    )
    results: dict[str, Any] = {
        "meta": {
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "git": _git(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_before": loadavg(),
            "settings": (
                f"wrk -t1 -c{args.connections} -d{args.duration:g}s, warm-up"
                f" {args.warmup:g}s, {args.rounds} round(s), CLI x{args.repeats},"
                f" memory {args.memory_requests} requests, callgrind"
                f" {args.instructions or 'off'}"
            ),
        }
    }
    if not args.skip_apps and variants:
        ensure_wrk()
        if args.instructions and not have_valgrind():
            raise SystemExit(
                "--instructions needs valgrind: sudo apt-get install valgrind"
            )
    if not args.skip_cli:
        log(f"CLI: {args.repeats} repetitions")
        results["cli"] = bench_cli(args.repeats)
    if not args.skip_apps:
        results["apps"] = [bench_variant(variant, settings) for variant in variants]
    if args.matrix:
        results["matrix"] = bench_matrix(results, args.postgres_url, args.mysql_url)
    results["meta"]["load_after"] = loadavg()
    (args.out / "results.json").write_text(json.dumps(results, indent=2))
    table = markdown(results)
    (args.out / "results.md").write_text(table + "\n")
    chart(results, args.out / "chart.png")
    print(table)
    log(f"written: {args.out}/results.md, results.json, chart.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
