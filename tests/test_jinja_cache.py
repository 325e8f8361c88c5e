"""`jinja_cache.cache_string_templates`: a string template compiles once per process
and once across runs, and renders exactly as an uncached environment renders it."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemBytecodeCache, TemplateSyntaxError

from fastapi_db_scaffold.jinja_cache import cache_string_templates

SOURCES = ["plain text", "{{ name | upper }}!", "{% if name %}{{ name }}{% endif %}"]


def _counted(environment: Environment) -> list[str]:
    """The sources that the environment's own compile is asked to compile."""
    seen: list[str] = []
    original = environment.compile

    def compile(source, *args, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(source, str) and not args and not kwargs:
            seen.append(source)
        return original(source, *args, **kwargs)

    environment.compile = compile  # type: ignore[method-assign]
    return seen


def test_renders_as_without_the_cache_and_compiles_each_source_once(
    tmp_path: Path,
) -> None:
    plain = Environment()
    cached = Environment()
    compiled = _counted(cached)
    cache_string_templates(cached, FileSystemBytecodeCache(str(tmp_path)))
    for _ in range(3):
        for source in SOURCES:
            expected = plain.from_string(source).render(name="ada")
            assert cached.from_string(source).render(name="ada") == expected
    assert compiled == SOURCES


def test_a_new_process_reads_the_compiled_code_from_the_cache(tmp_path: Path) -> None:
    first = Environment()
    cache_string_templates(first, FileSystemBytecodeCache(str(tmp_path)))
    for source in SOURCES:
        first.from_string(source).render(name="ada")
    later = Environment()
    compiled = _counted(later)
    cache_string_templates(later, FileSystemBytecodeCache(str(tmp_path)))
    assert [later.from_string(s).render(name="ada") for s in SOURCES] == [
        "plain text",
        "ADA!",
        "ada",
    ]
    assert compiled == []


def test_without_a_cache_and_for_errors_nothing_changes() -> None:
    environment = Environment()
    compiled = _counted(environment)
    cache_string_templates(environment, None)
    assert environment.from_string("{{ 1 + 1 }}").render() == "2"
    assert environment.from_string("{{ 1 + 1 }}").render() == "2"
    assert compiled == ["{{ 1 + 1 }}"]
    with pytest.raises(TemplateSyntaxError):
        environment.from_string("{% if %}")
