"""Jinja over the snippet templates of a template source: the code a model brings.

The snippets live beside the Copier template, in `snippets/` of the template source
(`template_source.TemplateSource.snippets_dir`), so that a fork of the template can
change the resources `add-model` writes. One strict environment per snippet
directory (a typo in a template fails loudly), compiled templates kept for the
process and, as bytecode, across runs (compiling the snippets took longer than
rendering them): under the data home, in a directory named after everything the
compiled code depends on, each file checked against its template's source. Every
snippet is given the same three names: `model` (the `ModelSpec`), and its `names`
and `flavor` for brevity. Snippets write no import lines: `imports.with_imports`
adds the ones the code uses.
"""

from __future__ import annotations

import hashlib
import sys
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import (
    BytecodeCache,
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateError,
)

from .errors import ProjectError
from .spec import ModelSpec
from .template_versions import data_home

__all__ = ["render_snippet"]

_OPTIONS: dict[str, Any] = {
    "undefined": StrictUndefined,
    "keep_trailing_newline": True,
    "autoescape": False,
}


def _bytecode_cache() -> BytecodeCache | None:
    """Compiled snippets kept under the data home; None where it cannot be written.

    Jinja checks each file against the template's source; the directory name covers
    the rest (Jinja's and Python's versions, the environment's options).
    """
    options = sorted((name, repr(value)) for name, value in _OPTIONS.items())
    facts = repr((jinja2.__version__, sys.version, options))
    key = hashlib.sha256(facts.encode()).hexdigest()[:16]
    directory = data_home() / "jinja-bytecode" / key
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    return FileSystemBytecodeCache(str(directory))


@cache
def _environment(snippets_dir: Path) -> Environment:
    return Environment(
        loader=FileSystemLoader(snippets_dir),
        bytecode_cache=_bytecode_cache(),
        **_OPTIONS,
    )


@cache
def _template(snippets_dir: Path, name: str) -> Template:
    return _environment(snippets_dir).get_template(f"{name}.jinja")


def render_snippet(name: str, model: ModelSpec, snippets_dir: Path) -> str:
    """`<snippets_dir>/<name>.jinja` rendered for the model.

    A snippet that is missing or fails to render (a fork's bug) is a ProjectError
    naming the file and the problem, not a traceback.
    """
    try:
        return _template(snippets_dir, name).render(
            model=model, names=model.names, flavor=model.flavor
        )
    except TemplateError as error:
        where = snippets_dir / f"{name}.jinja"
        problem = " ".join(str(error).split()) or type(error).__name__
        raise ProjectError(f"cannot render the snippet {where}: {problem}") from None
