"""`add-model`: plan every file and edit a new model brings, check it all, then write.

The arguments are parsed once into fields and worked out once into a `ModelSpec`; the
files and registrations come from the declarative lists of `resources`, and the
model is recorded in the project's manifest (rebuilt from the model files first in a
project that has none yet). The models it relates to get their back-reference
(`User.posts`): their model files are merged three ways, keeping the user's edits.
Nothing touches the disk before every check passed and every file was rendered and
formatted in memory; the writes then go through `ChangeSet.apply`, which puts every
file back as it was if one of them fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from .changes import ChangeSet
from .edits import insert_above_marker
from .errors import FieldSpecError, ProjectError
from .fields import Field, parse_field, parse_fields
from .formatting import format_python, format_python_files
from .imports import ModuleIndex, defines, with_imports
from .manifest import MANIFEST_FILE, load_manifest, recorded
from .many_to_many import (
    ManyToManySpec,
    check_association_tables,
    check_model_table,
    declared_tables,
)
from .merge import merge_three_way
from .migrations import create_table_revision
from .naming import check_enum_alias, check_model_name, model_names
from .project import Project, find_project
from .render import render_snippet
from .resources import REGISTRATIONS, RESOURCE_FILES, ResourceFile
from .spec import FieldSpec, ModelSpec, check_back_reference_names
from .template_source import local_tree, snippets_dir

__all__ = ["AddModelOptions", "add_model", "plan_model"]


@dataclass(frozen=True)
class AddModelOptions:
    project_dir: Path
    model: str
    fields: list[str]
    dry_run: bool = False
    migration: bool = True


def plan_model(options: AddModelOptions, now: datetime | None = None) -> ChangeSet:
    """Every change `add-model` would make, checked and formatted, nothing written."""
    project = find_project(options.project_dir)
    known = set(project.models)
    names = check_model_name(options.model, known_models=known)
    fields = parse_fields(options.fields, known_models=known, model=options.model)
    model = ModelSpec.build(project, names, fields)
    check_back_reference_names(model)
    declared = declared_tables(project.package_dir / "models")
    check_model_table(names, declared)
    check_association_tables(
        names, model.many, [*(m.table for m in project.models.values()), *declared]
    )
    for field in model.enums:
        check_enum_alias(field.enum_alias, names, field.field.spec)
    changes = ChangeSet(project.root)
    snippets = snippets_dir(local_tree(project.template))
    _register(changes, project, model, snippets)
    index = _plan_files(changes, project, model, snippets)
    _plan_back_references(changes, project, model, fields, snippets, index)
    if options.migration:
        changes.create(*create_table_revision(project, model, now or datetime.now(UTC)))
    changes.put(MANIFEST_FILE, recorded(project, options.model, fields))
    python = {p: t for p, t in changes.planned_texts().items() if p.suffix == ".py"}
    formatted = format_python_files(python, project.root)
    changes.map_text(lambda path, text: formatted.get(path, text))
    return changes


def add_model(options: AddModelOptions) -> ChangeSet:
    """Plan, then (unless a dry run) write every change atomically."""
    changes = plan_model(options)
    if not options.dry_run:
        changes.apply()
    return changes


def _check_targets(model: ModelSpec, index: ModuleIndex) -> None:
    """A relation embeds its target's public schema and makes rows with its factory:
    the target must have them (models added by fastapi-db do)."""
    package = model.project.package
    related: list[FieldSpec | ManyToManySpec] = [*model.relations, *model.many]
    for field in related:
        assert field.target is not None
        target = field.target.names
        needs = [
            (target.public, f"{package}.schemas.*", f"{package}/schemas/"),
            (target.factory, "tests.factories", "tests/factories.py"),
        ]
        for name, pattern, where in needs:
            if index.find(name, [pattern]) is None:
                raise FieldSpecError(
                    f'"{field.field.spec}": a relation to {target.class_name} needs '
                    f"{name} in {where} (models added by fastapi-db have it); add "
                    "the model with fastapi-db, or write it first"
                )


def _check_fixtures(files: list[ResourceFile], index: ModuleIndex) -> None:
    """The generated tests use the fixtures of the template's conftest.py."""
    for file in files:
        missing = [
            f for f in file.fixtures if index.find(f, ["tests.conftest"]) is None
        ]
        if missing:
            raise ProjectError(
                f"tests/conftest.py has no fixture {', '.join(missing)}, which the "
                "generated tests use: the project is older than its recorded "
                "template, or the fixture was removed; `fastapi-db update` merges "
                "the template's conftest.py into yours"
            )


def _plan_files(
    changes: ChangeSet, project: Project, model: ModelSpec, snippets: Path
) -> ModuleIndex:
    """Render every resource file, then give each the imports its code uses (from
    the project as it will be: registrations already planned, the new files)."""
    package, names = project.package, model.names
    files = [f for f in RESOURCE_FILES if project.repository or not f.repository_only]
    rendered = {
        Path(file.target(package, names)): render_snippet(file.snippet, model, snippets)
        for file in files
    }
    planned = {c.path: c.after for c in changes if c.after is not None}
    index = ModuleIndex.of(project.root, planned={**planned, **rendered})
    _check_targets(model, index)
    _check_fixtures(files, index)
    for file in files:
        path = Path(file.target(package, names))
        changes.create(
            path,
            with_imports(
                rendered[path],
                module=file.module(package, names),
                index=index,
                sources=file.sources(package, names),
                path=path.as_posix(),
            ),
        )
    return index


def _plan_back_references(
    changes: ChangeSet,
    project: Project,
    model: ModelSpec,
    fields: list[Field],
    snippets: Path,
    index: ModuleIndex,
) -> None:
    """Give each model the new one relates to its back-reference (`User.posts`).

    The target's model file is rendered with the relating models it had and with
    the new one, and the difference merged three ways into the file as it is, so
    the user's edits stay; a conflict refuses the command."""
    manifest = load_manifest(project)
    new = model.names.class_name
    before = [
        (entry.name, [parse_field(spec) for spec in entry.fields])
        for entry in manifest.models
        if entry.name != new
    ]
    after = [*before, (new, fields)]
    file = RESOURCE_FILES[0]  # the model module
    for name in dict.fromkeys(f.target for f in fields if f.target):
        entry = manifest.get(name) if name != new else None
        if entry is None:
            continue  # itself, or a model written by hand: no back-reference
        names = model_names(name)
        target_fields = [parse_field(spec) for spec in entry.fields]
        path = Path(file.target(project.package, names))
        if not (project.root / path).is_file():
            continue
        renders = []
        for relating in (before, after):
            spec = ModelSpec.build(project, names, target_fields, relating)
            code = with_imports(
                render_snippet(file.snippet, spec, snippets),
                module=file.module(project.package, names),
                index=index,
                sources=file.sources(project.package, names),
                path=path.as_posix(),
            )
            renders.append((spec, format_python(code, path, project.root)))
        check_back_reference_names(renders[1][0])
        labels = ("your version", f"{name} before", f"{name} with {new}")
        merged = merge_three_way(
            changes.read(path), renders[0][1], renders[1][1], labels=labels
        )
        if merged.conflicts:
            raise ProjectError(
                f"adding {name}'s back-reference to {new} would conflict with your "
                f"edits of {path.as_posix()} (both changed the same lines); nothing "
                "was written: move your edit away from the generated code"
            )
        changes.edit(path, _replaced_by(merged.text))


def _replaced_by(text: str) -> Callable[[str], str]:
    return lambda _old: text


def _register(
    changes: ChangeSet, project: Project, model: ModelSpec, snippets: Path
) -> None:
    package, names = project.package, model.names
    for registration in REGISTRATIONS:
        if registration.only_if_defined is not None:
            snippet, name = registration.only_if_defined
            if not defines(render_snippet(snippet, model, snippets), name):
                continue
        path = registration.target(package, names)
        if registration.snippet is not None:
            block = render_snippet(registration.snippet, model, snippets).strip("\n")
            lines, as_block = ["", "", *block.splitlines(), "", ""], True
        else:
            lines, as_block = registration.filled_lines(package, names), False
        changes.edit(
            Path(path),
            _inserter(registration.marker, lines, path, block=as_block),
        )


def _inserter(
    marker: str, lines: list[str], path: PurePosixPath, *, block: bool
) -> Callable[[str], str]:
    return lambda text: insert_above_marker(
        text,
        marker,
        lines,
        str(path),
        block=block,
        check_names=path.suffix == ".py",
    )
