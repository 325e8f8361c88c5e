"""The command line that runs a generated project's own test suite, as it would run
in the project's own environment.

The tests run a generated project with this tool's interpreter, whose environment
also holds the tool's own test plugins. pytest loads every installed plugin at start,
and Hypothesis and Schemathesis alone take about 3 s of CPU to import, on each of the
many runs of a project's suite, for tests that use neither. A project made by
`fastapi-db new` depends on none of them (its `dev` extra: pytest, httpx, ruff, mypy),
so they are left out; the plugins it does get from its dependencies (anyio's, for its
async tests) stay.
"""

from __future__ import annotations

TOOL_ONLY_PLUGINS = (
    "hypothesispytest",
    "schemathesis",
    "copie",
    "xdist",
    "xdist.looponfail",
)


def project_pytest(*args: str) -> tuple[str, ...]:
    """`pytest -q -p no:cacheprovider ARGS` without the tool's own test plugins, for
    `run_in_project`."""
    blocked = [option for name in TOOL_ONLY_PLUGINS for option in ("-p", f"no:{name}")]
    return ("pytest", "-q", "-p", "no:cacheprovider", *blocked, *args)
