"""Jinja over the snippet templates of `snippets/`: the code a model brings.

One strict environment (a typo in a template fails loudly), compiled templates kept
for the process. Every snippet is given the same three names: `model` (the
`ModelSpec`), and its `names` and `flavor` for brevity. Snippets write no import
lines: `imports.with_imports` adds the ones the code uses.
"""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, Template

from .spec import ModelSpec

__all__ = ["render_snippet"]


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("fastapi_db_scaffold", "snippets"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )


@cache
def _template(name: str) -> Template:
    return _environment().get_template(f"{name}.jinja")


def render_snippet(name: str, model: ModelSpec) -> str:
    """`snippets/<name>.jinja` rendered for the model."""
    return _template(name).render(model=model, names=model.names, flavor=model.flavor)
