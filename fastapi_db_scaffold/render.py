"""Jinja over the snippet templates of a template source: the code a model brings.

The snippets live beside the Copier template, in `snippets/` of the template source
(`template_source.TemplateSource.snippets_dir`), so that a fork of the template can
change the resources `add-model` writes. One strict environment per snippet
directory (a typo in a template fails loudly), compiled templates kept for the
process and, as bytecode, across runs (`jinja_cache`). Every snippet is given the
same three names: `model` (the `ModelSpec`), and its `names` and `flavor` for
brevity. Snippets write no import lines: `imports.with_imports` adds the ones the
code uses.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateError,
)

from .errors import ProjectError
from .jinja_cache import bytecode_cache
from .spec import ModelSpec

__all__ = ["render_snippet"]


@cache
def _environment(snippets_dir: Path) -> Environment:
    environment = Environment(
        loader=FileSystemLoader(snippets_dir),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    environment.bytecode_cache = bytecode_cache(environment)
    return environment


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
