"""Compiled Jinja templates kept as bytecode across runs, under the data home.

Compiling templates took longer than rendering them, in `add-model` (the snippets)
and in `new` (Copier's template) alike. A cache directory holds the code of one kind
of environment only: its name is a digest of everything compiled code depends on
besides the source (Jinja's and Python's versions, the environment's class, lexer
settings, extensions and options); Jinja checks each file against its template's
source and compiles again when they differ. Where the directory cannot be made
there is no cache, and nothing else changes.

Jinja's bytecode cache covers templates loaded by name only. `cache_string_templates`
extends it to `from_string`, through which Copier renders every path, answer default
and validator (about 300 compiles of 80 distinct sources in one `new`): each distinct
source is compiled once in a process and, with a cache, once across runs.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable
from types import CodeType
from typing import Any

import jinja2
from jinja2 import BytecodeCache, Environment, FileSystemBytecodeCache

from .template_versions import data_home

__all__ = ["bytecode_cache", "cache_string_templates"]


class _ByTemplateName(FileSystemBytecodeCache):
    """Keyed by the template's name alone: for a template tree that is copied to a
    new temporary directory each run (the file name would never match again)."""

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return super().get_cache_key(name)


def _facts(environment: Environment) -> str:
    lexer = (
        environment.block_start_string,
        environment.block_end_string,
        environment.variable_start_string,
        environment.variable_end_string,
        environment.comment_start_string,
        environment.comment_end_string,
        environment.line_statement_prefix,
        environment.line_comment_prefix,
        environment.trim_blocks,
        environment.lstrip_blocks,
        environment.newline_sequence,
        environment.keep_trailing_newline,
    )
    kind = type(environment)
    return repr(
        (
            jinja2.__version__,
            sys.version,
            f"{kind.__module__}.{kind.__qualname__}",
            lexer,
            sorted(environment.extensions),
            environment.optimized,
            environment.is_async,
            repr(environment.autoescape),
            environment.undefined.__qualname__,
        )
    )


def bytecode_cache(
    environment: Environment, *, by_name: bool = False
) -> BytecodeCache | None:
    """A cache for `environment` (set it as its `bytecode_cache`), or None."""
    key = hashlib.sha256(_facts(environment).encode()).hexdigest()[:16]
    directory = data_home() / "jinja-bytecode" / key
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    cache_class = _ByTemplateName if by_name else FileSystemBytecodeCache
    return cache_class(str(directory))


def cache_string_templates(
    environment: Environment, cache: BytecodeCache | None
) -> None:
    """Make `environment.from_string` compile each distinct source once (per process;
    with `cache`, once across runs); templates loaded by name are unchanged."""
    compiled: dict[str, CodeType] = {}
    compile_source = environment.compile
    compile_as_given: Callable[..., Any] = environment.compile

    def code_of(source: str) -> CodeType:
        if cache is None:
            return compile_source(source)
        bucket = cache.get_bucket(environment, f"from_string:{source}", None, source)
        if bucket.code is None:
            bucket.code = compile_source(source)
            cache.set_bucket(bucket)
        return bucket.code

    def compile(
        source: Any,
        name: str | None = None,
        filename: str | None = None,
        raw: bool = False,
        defer_init: bool = False,
    ) -> Any:
        """Environment.compile, remembering what a string (alone) compiles to."""
        if not isinstance(source, str) or name or filename or raw or defer_init:
            return compile_as_given(source, name, filename, raw, defer_init)
        code = compiled.get(source)
        if code is None:
            code = compiled[source] = code_of(source)
        return code

    environment.compile = compile  # type: ignore[method-assign]
