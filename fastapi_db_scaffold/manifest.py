"""The resource manifest: `.fastapi-db.yml`, what the model commands generated.

One file at the project root, committed with the project. `add-model` records each
model it writes (name, FIELD arguments, tool version); `add-field`, `remove-model`
and `update` read it. Users never need to edit it:

    # Written by fastapi-db: the models its commands generated. ...
    manifest_version: 1
    models:
    - name: User
      fields:
      - email:str(120):unique
      tool_version: 0.2.0
    - name: Post
      fields:
      - title:str(200):unique
      - author:User:cascade
      tool_version: 0.2.0

`models` is in order of creation, which is dependency order (a relation's target comes
before the models relating to it). Fields are stored in canonical form (`field_spec`):
`str` with its length, `decimal(P,S)`, modifiers in a fixed order, `default=` last.

A project made before the manifest existed has none: `rebuild_manifest` reads its
model modules (with `ast`, never importing them; the create schemas tell apart the
types that share a column) and turns every model that `add-model` generated back into
an entry; `load_manifest` uses the file when there is one, else the rebuilt manifest.
"""

from __future__ import annotations

import ast
import heapq
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from . import __version__
from .errors import FastapiDbError, ProjectError
from .fields import Field, field_spec, parse_fields
from .model_reader import UnreadableModel, class_annotations, model_field_specs
from .naming import model_names
from .project import MANIFEST_FILE, Project, yaml_problem

__all__ = [
    "MANIFEST_FILE",
    "MANIFEST_VERSION",
    "Manifest",
    "ModelEntry",
    "RebuiltManifest",
    "SkippedModel",
    "field_spec",
    "load_manifest",
    "read_manifest",
    "rebuild_manifest",
]

MANIFEST_VERSION = 1
_HEADER = (
    "# Written by fastapi-db: the models its commands generated, with their fields.\n"
    "# add-field, remove-model and update read it. Commit it with the project;\n"
    "# there is no need to edit it.\n"
)
_ENTRY_KEYS = ("name", "fields", "tool_version")


# ---- the format ------------------------------------------------------------------


@dataclass(frozen=True)
class ModelEntry:
    """One generated model: its class name and canonical FIELD arguments."""

    name: str
    fields: tuple[str, ...]
    tool_version: str

    @classmethod
    def from_fields(
        cls, name: str, fields: Iterable[Field], tool_version: str = __version__
    ) -> ModelEntry:
        """The entry of a model generated from parsed `fields` (stored canonically)."""
        return cls(name, tuple(field_spec(f) for f in fields), tool_version)


@dataclass(frozen=True)
class Manifest:
    """The models of a project, in order of creation (targets before relations)."""

    models: tuple[ModelEntry, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(entry.name for entry in self.models)

    def get(self, name: str) -> ModelEntry | None:
        return next((entry for entry in self.models if entry.name == name), None)

    def generated(self, name: str, what: str) -> ModelEntry:
        """The entry of model `name`; a ProjectError, listing the models there are,
        for a model the tool did not make (`what` the command does: "changes")."""
        entry = self.get(name)
        if entry is None:
            made = ", ".join(self.names) or "none"
            raise ProjectError(
                f"{name} is not a model that fastapi-db made (those in "
                f"{MANIFEST_FILE}: {made}); {what} only those"
            )
        return entry

    def with_model(self, entry: ModelEntry) -> Manifest:
        """`entry` appended, or in place of the entry of that name."""
        if self.get(entry.name) is None:
            return Manifest((*self.models, entry))
        return Manifest(
            tuple(entry if old.name == entry.name else old for old in self.models)
        )

    def without_model(self, name: str) -> Manifest:
        """The manifest without `name` (unchanged when it has no such model)."""
        return Manifest(tuple(entry for entry in self.models if entry.name != name))

    def render(self) -> str:
        """The text of `.fastapi-db.yml`: same manifest, same bytes."""
        data = {
            "manifest_version": MANIFEST_VERSION,
            "models": [
                {
                    "name": entry.name,
                    "fields": list(entry.fields),
                    "tool_version": entry.tool_version,
                }
                for entry in self.models
            ],
        }
        body = yaml.safe_dump(
            data, sort_keys=False, allow_unicode=True, width=float("inf")
        )
        return _HEADER + body


def read_manifest(root: Path) -> Manifest | None:
    """The manifest of the project at `root`; None when it has none.

    A file that cannot be read or is not a manifest raises ProjectError (one line).
    """
    path = root / MANIFEST_FILE
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise _invalid(path, "not UTF-8 text") from None
    except OSError as exc:
        raise ProjectError(f"{path} cannot be read: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _invalid(path, yaml_problem(exc)) from None
    return _manifest_from(path, data)


def _invalid(path: Path, problem: str) -> ProjectError:
    return ProjectError(f"{path} is not a valid manifest: {problem}")


def _manifest_from(path: Path, data: object) -> Manifest:
    if not isinstance(data, dict) or set(data) != {"manifest_version", "models"}:
        raise _invalid(path, "expected the keys manifest_version and models")
    version = data["manifest_version"]
    if type(version) is not int:
        raise _invalid(path, "manifest_version is not a whole number")
    if version != MANIFEST_VERSION:
        raise _invalid(
            path,
            f"manifest_version {version} is unknown to fastapi-db {__version__} "
            f"(it knows {MANIFEST_VERSION}); a newer fastapi-db may read it",
        )
    models = data["models"]
    if not isinstance(models, list):
        raise _invalid(path, "models is not a list")
    entries: list[ModelEntry] = []
    for number, item in enumerate(models, start=1):
        entry = _entry_from(item)
        if isinstance(entry, str):
            raise _invalid(path, f"model {number}: {entry}")
        if entry.name in (e.name for e in entries):
            raise _invalid(path, f"model {number}: {entry.name} is listed twice")
        entries.append(entry)
    return Manifest(tuple(entries))


def _entry_from(item: object) -> ModelEntry | str:
    """The entry, or what is wrong with it."""
    if not isinstance(item, dict) or set(item) != set(_ENTRY_KEYS):
        return "expected the keys " + ", ".join(_ENTRY_KEYS)
    name, fields, tool_version = (item[key] for key in _ENTRY_KEYS)
    if not isinstance(name, str) or not name:
        return "name is not a model name"
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        return f"fields of {name} are not a list of texts"
    if not isinstance(tool_version, str) or not tool_version:
        return f"tool_version of {name} is not a version text"
    return ModelEntry(name, tuple(fields), tool_version)


# ---- fields ----------------------------------------------------------------------


# ---- rebuilding from the model modules -------------------------------------------


@dataclass(frozen=True)
class SkippedModel:
    """A model class left out of a rebuilt manifest, and why."""

    name: str  # the class name (the file name when the file cannot be parsed)
    path: str  # the module, relative to the project root
    reason: str


@dataclass(frozen=True)
class RebuiltManifest:
    manifest: Manifest
    skipped: tuple[SkippedModel, ...]


def rebuild_manifest(
    project: Project, tool_version: str = __version__
) -> RebuiltManifest:
    """The manifest of a project without one, read from `<package>/models/*.py`.

    Every model that `add-model` generated (its own module and router, code that
    field syntax can express) becomes an entry; the others are skipped with a reason.
    Entries come in dependency order, ties by file name. `tool_version` is recorded
    in every entry (the version that wrote the code is not known).
    """
    tables = {model.table: name for name, model in project.models.items()}
    modules: dict[str, ast.Module] = {}
    skipped: list[SkippedModel] = []
    for path in sorted((project.package_dir / "models").glob("*.py")):
        try:
            modules[path.stem] = ast.parse(path.read_bytes().decode("utf-8"))
        except (SyntaxError, UnicodeDecodeError, OSError, ValueError) as exc:
            if path.name != "__init__.py":  # it holds no model of add-model's
                reason = f"cannot be read: {_parse_problem(exc)}"
                where = _relative(project, path)
                skipped.append(SkippedModel(path.name, where, reason))
    found: dict[str, tuple[str, list[Field]]] = {}
    for name, model in sorted(project.models.items(), key=lambda i: i[1].module):
        module = modules.get(model.module)
        if module is None:
            continue  # skipped above: it cannot be parsed
        try:
            fields = _generated_fields(project, name, module, tables)
        except (UnreadableModel, FastapiDbError) as exc:
            where = f"{project.package}/models/{model.module}.py"
            skipped.append(SkippedModel(name, where, str(exc)))
            continue
        found[name] = (model.module, fields)
    order = _dependency_order(
        {name: module for name, (module, _) in found.items()},
        {
            name: {f.target for f in fields if f.target}
            for name, (_, fields) in found.items()
        },
    )
    entries = [ModelEntry.from_fields(n, found[n][1], tool_version) for n in order]
    return RebuiltManifest(Manifest(tuple(entries)), tuple(skipped))


def recorded(project: Project, name: str, fields: Iterable[Field]) -> str:
    """The manifest text once model `name` with `fields` is recorded in it (the
    manifest rebuilt from the model files first, when the project has none)."""
    entry = ModelEntry.from_fields(name, fields)
    return load_manifest(project).with_model(entry).render()


def load_manifest(project: Project) -> Manifest:
    """The project's manifest file, else the manifest rebuilt from its models."""
    manifest = read_manifest(project.root)
    if manifest is None:
        manifest = rebuild_manifest(project).manifest
    return manifest


def _relative(project: Project, path: Path) -> str:
    return path.relative_to(project.root).as_posix()


def _parse_problem(exc: Exception) -> str:
    if isinstance(exc, SyntaxError):
        return f"line {exc.lineno}: {exc.msg}"
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8 text"
    if isinstance(exc, OSError):
        return str(exc.strerror)
    return str(exc)  # ValueError: a null byte


def _generated_fields(
    project: Project, name: str, module: ast.Module, tables: dict[str, str]
) -> list[Field]:
    """The fields add-model generated `name` from; raises when it did not."""
    names = model_names(name)
    model = project.models[name]
    if model.module != names.module:
        raise UnreadableModel(
            f"defined in models/{model.module}.py, not models/{names.module}.py"
        )
    if model.table != names.table:
        raise UnreadableModel(f"its table is {model.table!r}, not {names.table!r}")
    router = project.package_dir / "routers" / f"{names.router_module}.py"
    if not router.is_file():
        raise UnreadableModel(
            f"it has no router {project.package}/routers/{names.router_module}.py"
        )
    schema = project.package_dir / "schemas" / f"{names.module}.py"
    specs = model_field_specs(module, name, tables, _annotations(schema, names.create))
    fields = parse_fields(specs, known_models=project.models)
    return [replace(field, spec="") for field in fields]


def _annotations(path: Path, class_name: str) -> dict[str, ast.expr]:
    """The field annotations of class `class_name` in `path` (none when unreadable)."""
    try:
        module = ast.parse(path.read_bytes().decode("utf-8"))
    except (SyntaxError, UnicodeDecodeError, OSError, ValueError):
        return {}
    return class_annotations(module, class_name)


def _dependency_order(
    modules: dict[str, str], targets: dict[str, set[str]]
) -> list[str]:
    """Models with their relation targets first; ties (and cycles) by file name."""
    waiting = {
        name: {t for t in targets[name] if t in modules and t != name}
        for name in modules
    }
    order: list[str] = []
    ready = [(modules[n], n) for n, needs in waiting.items() if not needs]
    heapq.heapify(ready)
    while waiting:
        if not ready:  # a cycle: start it at its first file
            name = min(
                (n for n in waiting if _in_cycle(n, waiting)), key=lambda n: modules[n]
            )
            waiting[name] = set()
            heapq.heappush(ready, (modules[name], name))
        _, name = heapq.heappop(ready)
        if name not in waiting:
            continue
        del waiting[name]
        order.append(name)
        for other, needs in waiting.items():
            if name in needs:
                needs.discard(name)
                if not needs:
                    heapq.heappush(ready, (modules[other], other))
    return order


def _in_cycle(name: str, needs: dict[str, set[str]]) -> bool:
    """Whether `name` needs itself, through the models it needs."""
    seen: set[str] = set()
    stack = list(needs[name])
    while stack:
        other = stack.pop()
        if other == name:
            return True
        if other not in seen:
            seen.add(other)
            stack.extend(needs.get(other, ()))
    return False
