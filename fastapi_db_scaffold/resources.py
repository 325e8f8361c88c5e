"""What a model brings to a project, declared once: its files and its registrations.

`RESOURCE_FILES` are the files rendered from the snippets for each model (target path,
dotted module, and the project modules its imports may come from, in order);
`REGISTRATIONS` are the lines added at marker comments of files the template owns
(some only for models that have relations: the routes under their targets).
Paths and lines are written with `{package}` and the attributes of `ModelNames`.
`add-model` creates them; the commands that change or remove a model read the same
lists.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import PurePosixPath

from .naming import ModelNames

__all__ = [
    "FACTORY_MARKER",
    "MODEL_MARKER",
    "REGISTRATIONS",
    "RESOURCE_FILES",
    "ROUTER_IMPORT_MARKER",
    "ROUTER_INCLUDE_MARKER",
    "Registration",
    "ResourceFile",
]

MODEL_MARKER = "# fastapi-db: model imports"
ROUTER_IMPORT_MARKER = "# fastapi-db: router imports"
ROUTER_INCLUDE_MARKER = "# fastapi-db: router includes"
FACTORY_MARKER = "# fastapi-db: factories"

# Where the names a file uses may come from, in order. The models' own modules come
# first, so a model may share a name with anything the snippets do not use.
_MODELS = ("{package}.models.*", "{package}.column_types", "{package}.db")
_SCHEMAS = ("{package}.models.*", "{package}.schemas.*")
_QUERIES = (
    "{package}.models.*",
    "{package}.schemas.*",
    "{package}.repositories.*",
    "{package}.db",
    "{package}.eager_loading",
    "{package}.row_reading",
)


def _fill(template: str, package: str, names: ModelNames) -> str:
    return template.format(package=package, **dataclasses.asdict(names))


@dataclass(frozen=True)
class ResourceFile:
    """One file rendered for a model from `snippets/<snippet>.jinja`."""

    snippet: str
    path: str
    imports_from: tuple[str, ...]
    repository_only: bool = False
    fixtures: tuple[str, ...] = ()  # pytest fixtures it expects in tests/conftest.py

    def target(self, package: str, names: ModelNames) -> PurePosixPath:
        return PurePosixPath(_fill(self.path, package, names))

    def module(self, package: str, names: ModelNames) -> str:
        """The dotted module name of the target file."""
        return ".".join(self.target(package, names).with_suffix("").parts)

    def sources(self, package: str, names: ModelNames) -> tuple[str, ...]:
        return tuple(_fill(source, package, names) for source in self.imports_from)


@dataclass(frozen=True)
class Registration:
    """Lines inserted above a marker of an existing file (a snippet, or `lines`)."""

    path: str
    marker: str
    lines: tuple[str, ...] = ()
    snippet: str | None = None  # rendered, then inserted as one block
    only_if_defined: tuple[str, str] | None = None
    """(snippet, name): registered only when the model's render of that snippet
    defines `name` (a template version or fork without it gets no dangling line)."""

    def target(self, package: str, names: ModelNames) -> PurePosixPath:
        return PurePosixPath(_fill(self.path, package, names))

    def filled_lines(self, package: str, names: ModelNames) -> list[str]:
        return [_fill(line, package, names) for line in self.lines]


RESOURCE_FILES = (
    ResourceFile("model.py", "{package}/models/{module}.py", _MODELS),
    ResourceFile("schemas.py", "{package}/schemas/{module}.py", _SCHEMAS),
    ResourceFile(
        "repository.py",
        "{package}/repositories/{module}.py",
        _QUERIES,
        repository_only=True,
    ),
    ResourceFile(
        "router.py",
        "{package}/routers/{router_module}.py",
        (*_QUERIES, "{package}.errors"),
    ),
    ResourceFile(
        "test_model.py",
        "tests/test_{router_module}.py",
        ("tests.factories", "tests.support"),
        fixtures=("client", "connection", "replica_down_client", "statements"),
    ),
)

REGISTRATIONS = (
    Registration(
        "{package}/models/__init__.py",
        MODEL_MARKER,
        lines=("from .{module} import {class_name} as {class_name}",),
    ),
    Registration(
        "{package}/routers/__init__.py",
        ROUTER_IMPORT_MARKER,
        lines=("from .{router_module} import router as {router_module}_router",),
    ),
    Registration(
        "{package}/routers/__init__.py",
        ROUTER_INCLUDE_MARKER,
        lines=("api_router.include_router({router_module}_router)",),
    ),
    Registration(
        "{package}/routers/__init__.py",
        ROUTER_IMPORT_MARKER,
        lines=(
            "from .{router_module} import related_router as "
            "{router_module}_related_router",
        ),
        only_if_defined=("router.py", "related_router"),
    ),
    Registration(
        "{package}/routers/__init__.py",
        ROUTER_INCLUDE_MARKER,
        lines=("api_router.include_router({router_module}_related_router)",),
        only_if_defined=("router.py", "related_router"),
    ),
    Registration("tests/factories.py", FACTORY_MARKER, snippet="factory.py"),
)
