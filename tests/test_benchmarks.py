"""Smoke tests of the benchmark harness's pure parts; no timing is asserted."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from benchmarks.apps import compare_shapes, first_difference, key_tree, parse_wrk
from benchmarks.asgi_driver import WARMUP, drive
from benchmarks.instructions import parse_collected, per_request, ratios
from benchmarks.report import chart, markdown

WRK_OUTPUT = """Running 2s test @ http://127.0.0.1:8000/posts
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    40.10ms   10.00ms  90.00ms   70.00%
    Req/Sec   400.00     20.00   450.00     80.00%
  Latency Distribution
     50%   38.50ms
     75%   45.00ms
     90%   55.00ms
     99%    1.20s
  800 requests in 2.00s, 1.00MB read
  Non-2xx or 3xx responses: 3
  Socket errors: connect 0, read 1, write 0, timeout 2
Requests/sec:    399.50
Transfer/sec:    500.00KB
"""


def test_parse_wrk_reads_rate_latency_and_errors() -> None:
    result = parse_wrk(WRK_OUTPUT)
    assert result.rps == 399.5
    assert result.requests == 800
    assert result.errors == 6
    assert result.error_kinds == {"non-2xx": 3, "read": 1, "timeout": 2}
    assert result.p50_ms == 38.5
    assert result.p99_ms == 1200.0


def _post(**changes: object) -> dict[str, object]:
    author = {"id": 1, "name": "a", "created_at": "t", "updated_at": "t"}
    post = {"id": 1, "title": "x", "body": "y", "author_id": 1, "author": author}
    return {**post, "created_at": "t", "updated_at": "t", **changes}


def _samples(post: dict[str, object]) -> dict[str, object]:
    page = {"items": [post], "total": 1, "limit": 20, "offset": 0}
    return {"list": page, "get": post, "create": post}


def test_shapes_compare_keys_and_point_at_value_differences() -> None:
    generated = _samples(_post())
    same = compare_shapes({"generated": generated, "raw": _samples(_post())})
    assert same == {"raw": "same keys; GET bodies identical"}
    other = compare_shapes({"generated": generated, "core": _samples(_post(title="z"))})
    assert ".title" in other["core"]
    assert first_difference({"a": [1]}, {"a": [1, 2]}) == ".a: 1 != 2 items"
    missing = _post()
    del missing["body"]
    with pytest.raises(SystemExit, match="another shape"):
        compare_shapes({"generated": generated, "raw": _samples(missing)})
    assert key_tree([]) == []


def _results() -> dict[str, object]:
    apps = {
        app: {"median_rps": rps, "p50_ms": 1.0, "p99_ms": 2.0, "errors": 0}
        for app, rps in {"generated": 100.0, "core": 200.0, "raw": 400.0}.items()
    }
    endpoint = {
        "label": "GET /posts",
        "apps": apps,
        "generated_vs_raw": 0.25,
        "generated_vs_core": 0.5,
    }
    figures = {
        "warm_mib": 80.0,
        "early_mib": 80.5,
        "end_mib": 80.6,
        "late_growth_mib": 0.1,
        "early_requests": 2_000,
        "vs_raw": 1.6,
        "grows": False,
        "requests": 10_000,
    }
    return {
        "meta": {
            "date": "d",
            "git": "g",
            "python": "3",
            "cpus": 2,
            "load_before": "1",
            "load_after": "1",
            "settings": "s",
        },
        "cli": {
            "baseline": 'python -c "import copier"',
            "commands": [
                {"name": n, "median": m, "min": m, "max": m, "ratio": m / 0.5}
                for n, m in [("import copier", 0.5), ("fastapi-db --help", 0.2)]
            ],
        },
        "apps": [
            {
                "variant": "postgresql-async",
                "endpoints": {"list": endpoint},
                "shapes": {"raw": "same keys"},
                "memory": {"generated": figures},
            }
        ],
        "matrix": {"seconds": 300.0, "ratio": 600.0, "returncode": 0, "summary": "ok"},
    }


def test_report_says_which_app_had_which_errors() -> None:
    results = _results()
    endpoint = results["apps"][0]["endpoints"]["list"]  # type: ignore[index]
    assert "errors!" not in markdown(results)
    endpoint["apps"]["generated"].update(errors=5, error_kinds={"timeout": 5})
    endpoint["apps"]["raw"].update(errors=1, error_kinds={"non-2xx": 1})
    assert "| `GET /posts (6 errors! generated: timeout 5; raw: non-2xx 1)` |" in (
        markdown(results)
    )


def test_report_renders_table_and_chart(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    results = _results()
    table = markdown(results)
    assert "| `GET /posts` | 100 | 200 | 400 | **0.25** | **0.50** |" in table
    assert "fastapi-db --help" in table and "## Matrix" in table
    chart(results, tmp_path / "chart.png")
    assert (tmp_path / "chart.png").read_bytes()[:4] == b"\x89PNG"


CALLGRIND_STDERR = """==4242== Callgrind, a call-graph generating cache profiler
==4242== Events    : Ir
==4242== Collected : 3869276902
==4242==
==4242== I   refs:      3,869,276,902
"""


def test_callgrind_counts_become_instructions_per_request() -> None:
    assert parse_collected(CALLGRIND_STDERR) == 3_869_276_902
    with pytest.raises(ValueError, match="Collected"):
        parse_collected("==1== Callgrind, a call-graph generating cache profiler\n")
    # start-up and warm-up cancel out: only the measured requests remain
    assert per_request(3_400_000_000, 4_347_000_000, 200) == 4_735_000.0
    counts = {
        "generated": {"list": 4.0e6, "get": 2.0e6},
        "core": {"list": 3.0e6, "get": 1.5e6},
        "raw": {"list": 1.0e6, "get": 0.5e6},
    }
    assert ratios(counts) == {
        "list": {"generated_vs_core": 0.75, "generated_vs_raw": 0.25},
        "get": {"generated_vs_core": 0.75, "generated_vs_raw": 0.25},
    }
    results = _results()
    results["apps"][0]["instructions"] = {  # type: ignore[index]
        "per_request": counts,
        "ratios": ratios(counts),
        "requests": 200,
    }
    table = markdown(results)
    assert "runs of 200 requests" in table
    assert "| list | 4.00 | 3.00 | 1.00 | **0.25** | **0.75** |" in table
    assert "Instructions per request" not in markdown(_results())


def test_the_asgi_driver_runs_the_lifespan_and_counts_failed_responses() -> None:
    from fastapi import FastAPI, HTTPException

    events: list[str] = []

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        events.append("startup")
        yield
        events.append("shutdown")

    app = FastAPI(lifespan=lifespan)
    served: list[str] = []

    @app.get("/posts/{post_id}")
    async def read_post(post_id: int, sort: str = "id") -> dict[str, object]:
        served.append(sort)
        if post_id > 10:
            raise HTTPException(404)
        return {"id": post_id}

    assert asyncio.run(drive(app, "/posts/3", "sort=-id", 7)) == 0
    assert events == ["startup", "shutdown"]
    assert served == ["-id"] * (WARMUP + 7)
    assert asyncio.run(drive(app, "/posts/11", "", 2)) == WARMUP + 2
