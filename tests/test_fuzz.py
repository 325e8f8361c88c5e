"""Generated apps under hostile input, served for real on PostgreSQL and MariaDB.

Schemathesis fuzzes each app from its own OpenAPI schema (no 5xx, responses match
their schema, only documented status codes, deleted resources stay deleted, created
ones can be fetched); targeted requests check the classic traps one by one; and data
round-trips exactly (unicode and emoji, aware datetimes with microseconds, decimals
with their scale) on every database, SQLite included.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import sysconfig
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest

from .live import serve
from .matrix import COMBINATIONS, Combination, server_url_or_skip

Generate = Callable[[Combination], Path]

CHECKS = ",".join(
    [
        "not_a_server_error",
        "response_schema_conformance",
        "status_code_conformance",
        "use_after_free",
        "ensure_resource_availability",
    ]
)
SEED = "20261122"


def _params(*ids: str) -> list[Any]:
    chosen = [c for c in COMBINATIONS if c.id in ids]
    return [
        pytest.param(c, id=c.id, marks=pytest.mark.xdist_group(c.id)) for c in chosen
    ]


SERVER_COMBINATIONS = _params(
    "async-postgresql-repo",
    "sync-postgresql-norepo",
    "async-mysql-norepo",
    "sync-mysql-repo",
)


def _schemathesis() -> str:
    return str(Path(sysconfig.get_path("scripts")) / "st")


@pytest.mark.parametrize("combination", SERVER_COMBINATIONS)
def test_schemathesis_finds_no_fault(
    generated_project: Generate, combination: Combination, tmp_path: Path
) -> None:
    server_url_or_skip(combination)
    project = generated_project(combination)
    with serve(project, combination, tmp_path) as app:
        result = subprocess.run(
            [
                _schemathesis(),
                "run",
                f"{app.base_url}/openapi.json",
                "--checks",
                CHECKS,
                "--max-examples",
                "30",
                "--seed",
                SEED,
                "--phases",
                "coverage,fuzzing,stateful",
                "--generation-database",
                "none",
                "--request-timeout",
                "20",
                "--no-color",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    generated = re.search(r"(\d+) generated", result.stdout)
    print(
        f"{combination.id}: schemathesis tried {generated and generated.group(1)} cases"
    )
    assert result.returncode == 0, result.stdout[-10000:] + result.stderr[-2000:]
    assert generated is not None and int(generated.group(1)) > 500


HOSTILE_REQUESTS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/posts/99999999999999999999999", None),
    ("GET", "/posts/2147483648", None),
    ("GET", "/posts/-1", None),
    ("GET", "/posts/abc", None),
    ("GET", "/posts/1.5", None),
    ("GET", "/posts?sort=password", None),
    ("GET", "/posts?sort=-", None),
    ("GET", "/posts?limit=1000000", None),
    ("GET", "/posts?offset=-5", None),
    ("GET", "/posts?min_views=99999999999", None),
    ("GET", "/posts?price=NaN", None),
    ("GET", "/posts?published_at=2024-01-01T00:00:00", None),
    ("GET", "/users?name=a%00b", None),
    ("POST", "/users", {"email": "x" * 10_000, "name": "n"}),
    ("POST", "/users", {"email": "a\x00b@example.com", "name": "n"}),
    ("POST", "/posts", {"price": "1e999"}),
    ("POST", "/posts", {"price": "12.345"}),
    ("POST", "/posts", {"price": "NaN"}),
    ("POST", "/posts", {"published_at": "2024-05-17T23:30:00"}),
    ("POST", "/posts", {"views": 2**31}),
    ("POST", "/posts", {"reach": 2**63}),
    ("POST", "/posts", {"rating": "Infinity"}),
    ("POST", "/posts", {"author_id": 2**40}),
    ("POST", "/posts", {"author_id": 2_000_000_000}),
    ("POST", "/posts", {"meta": {"deep": [1, {"x": "\x00"}]}}),
    ("PATCH", "/users/1", {"email": None}),
    ("DELETE", "/users/99999999999999", None),
]


@contextlib.contextmanager
def served_client(
    generate: Generate, combination: Combination, tmp_path: Path
) -> Iterator[httpx2.Client]:
    """An HTTP client on the combination's app, served on a fresh database."""
    server_url_or_skip(combination)  # skips, saying why, before generating anything
    with (
        serve(generate(combination), combination, tmp_path) as app,
        httpx2.Client(base_url=app.base_url, timeout=20) as client,
    ):
        yield client


def _valid_post(client: httpx2.Client) -> dict[str, Any]:
    user = client.post("/users", json={"email": "owner@example.com", "name": "Owner"})
    assert user.status_code == 201, user.text
    return {
        "title": "A valid post",
        "body": "Body",
        "views": 1,
        "rating": 0.5,
        "price": "12.50",
        "day": "2024-05-17",
        "reminder": "09:30:00",
        "key": "6f1c1a43-4f2b-4bb8-9a2b-6a2c7cb1c001",
        "meta": {"a": 1},
        "contact": "writer@example.com",
        "author_id": user.json()["id"],
    }


@pytest.mark.parametrize("combination", SERVER_COMBINATIONS)
def test_hostile_requests_get_a_4xx_never_a_5xx(
    generated_project: Generate, combination: Combination, tmp_path: Path
) -> None:
    with served_client(generated_project, combination, tmp_path) as client:
        valid = _valid_post(client)
        assert client.post("/posts", json=valid).status_code == 201
        answers = {}
        for method, url, body in HOSTILE_REQUESTS:
            if body is not None and url == "/posts":
                unique = {
                    "title": f"t{len(answers)}",
                    "contact": f"t{len(answers)}@x.io",
                }
                body = {**valid, **unique, **body}
            response = client.request(method, url, json=body)
            answers[(method, url, repr(body)[:60])] = response.status_code
    failures = {key: code for key, code in answers.items() if not 400 <= code < 500}
    print(f"{combination.id}: {len(answers)} hostile requests, all 4xx: {not failures}")
    assert not failures


FIDELITY_COMBINATIONS = _params(
    "sync-sqlite-repo",
    "async-sqlite-norepo",
    "async-postgresql-repo",
    "sync-postgresql-norepo",
    "async-mysql-norepo",
    "sync-mysql-repo",
)


@pytest.mark.parametrize("combination", FIDELITY_COMBINATIONS)
def test_values_round_trip_exactly(
    generated_project: Generate, combination: Combination, tmp_path: Path
) -> None:
    with served_client(generated_project, combination, tmp_path) as client:
        post = {
            **_valid_post(client),
            "title": "Grüße, 世界 🎉🚀",
            "body": "Emoji in text: 👩‍💻 and é, ß, 中文",
            "price": "100000.05",
            "published_at": "2024-05-17T23:30:15.123456-07:00",
            "reminder": "23:59:58.250000",
            "meta": {"tags": ["ünïcode", "🎉"], "n": 1.25},
            "contact": "jürgen.müller@exämple.com",
            "homepage": "https://example.com/wiki/Gr%C3%BC%C3%9Fe?q=1&r=%F0%9F%8E%89#top",
        }
        created = client.post("/posts", json=post)
        assert created.status_code == 201, created.text
        fetched = client.get(f"/posts/{created.json()['id']}").json()
    assert fetched["title"] == post["title"]
    assert fetched["body"] == post["body"]
    assert fetched["meta"] == post["meta"]
    assert fetched["contact"] == post["contact"]
    assert fetched["homepage"] == post["homepage"]
    assert fetched["price"] == "100000.05"
    assert fetched["reminder"].startswith("23:59:58.25")
    sent = datetime.fromisoformat(post["published_at"])
    received = datetime.fromisoformat(fetched["published_at"])
    assert received.tzinfo is not None
    assert received == sent
    assert fetched["author"]["email"] == "owner@example.com"


def test_the_schemathesis_command_is_installed() -> None:
    assert Path(_schemathesis()).exists(), sys.executable
