"""Jinja over the snippet templates of `snippets/`: the files a new model brings.

One strict environment (a typo in a template fails loudly); each template receives the
same context: the project, the model's names, its fields as `FieldCode`, and a fresh
`Imports` that the template fills while it renders its body.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from .field_code import FieldCode, Imports
from .naming import ModelNames
from .project import Project

__all__ = ["ModelContext", "render_snippet"]


@dataclass(frozen=True)
class ModelContext:
    """Everything the snippets know about the model being added."""

    project: Project
    names: ModelNames
    fields: list[FieldCode]

    def variables(self) -> dict[str, Any]:
        fields = self.fields
        sort_columns = ["id", *(f.column for f in fields if f.sortable), "created_at"]
        sort_columns.append("updated_at")
        factories = [
            f"{self.names.snake}_payload",
            self.names.factory,
            f"assert_{self.names.snake}_matches",
        ]
        return {
            "project": self.project,
            "names": self.names,
            "fields": fields,
            "relations": [f for f in fields if f.is_relation],
            "required": [f for f in fields if not f.optional and not f.has_default],
            "not_null": [f for f in fields if not f.optional],
            "texts": [f for f in fields if f.kind in ("str", "text")],
            "unique": [f for f in fields if f.field.unique],
            "filters": [f for f in fields if f.filterable],
            "ranges": [f for f in fields if f.range_filterable],
            "changeable": [f for f in fields if f.changeable],
            "invalid_values": [
                (f.column, value) for f in fields for value in f.invalid_values()
            ],
            "sort_columns": sort_columns,
            "sort_parameters": [p for c in sort_columns for p in (c, f"-{c}")],
            "factory_imports": sorted(factories),
            "async": "async " if self.project.is_async else "",
            "await": "await " if self.project.is_async else "",
            "session_type": "AsyncSession" if self.project.is_async else "Session",
        }


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("fastapi_db_scaffold", "snippets"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
        autoescape=False,
        extensions=["jinja2.ext.do"],
    )


def render_snippet(name: str, context: ModelContext) -> str:
    """Render `snippets/<name>.jinja` for the model."""
    template = _environment().get_template(f"{name}.jinja")
    return template.render(**context.variables(), imports=Imports())
