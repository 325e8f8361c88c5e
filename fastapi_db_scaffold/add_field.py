"""`add-field`: new fields on a model that `add-model` made, in every file it has.

The model's entry in the manifest gains the fields; the project is rendered twice
from its own template version (`regenerate`): with the manifest as it is, and as it
will be. The difference (the model, schemas, repository, router, tests and factory
of the model) is merged three ways into the user's files, so their edits stay. A
merge conflict refuses the whole command, naming the files, and writes nothing.
One Alembic revision adds the columns (`migrations.add_columns_revision`).

A field added to a table that may hold rows must say what those rows get: a
required field needs `default=VALUE` (which fills them), a relation must be
`optional` (no row has a sensible target yet).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .changes import ChangeSet
from .errors import FieldSpecError, ProjectError
from .fields import Field, field_spec, parse_field, parse_fields
from .formatting import format_python
from .manifest import Manifest, ModelEntry, load_manifest
from .many_to_many import check_association_tables, declared_tables
from .migrations import add_columns_revision
from .naming import check_enum_alias, model_names
from .project import MANIFEST_FILE, Project, find_project
from .regenerate import merge_manifest_change
from .spec import ModelSpec, check_back_reference_names

__all__ = ["AddFieldOptions", "add_field", "plan_fields"]


@dataclass(frozen=True)
class AddFieldOptions:
    project_dir: Path
    model: str
    fields: list[str]
    dry_run: bool = False
    migration: bool = True


def plan_fields(options: AddFieldOptions, now: datetime | None = None) -> ChangeSet:
    """Every change `add-field` would make, checked, merged and formatted."""
    project = find_project(options.project_dir)
    manifest = load_manifest(project)
    entry = manifest.generated(options.model, "add-field changes")
    if not options.fields:
        raise FieldSpecError("give at least one FIELD to add (name:type[:modifier])")
    known = set(project.models)
    added = parse_fields(options.fields, known_models=known, model=entry.name)
    fields = parse_fields(
        [*entry.fields, *(field_spec(f) for f in added)],
        known_models=known,
        model=entry.name,
    )
    for field in added:
        _check_fills_existing_rows(field)
    names = model_names(entry.name)
    model = ModelSpec.build(project, names, fields)
    added_names = {field.name for field in added}
    new_specs = [spec for spec in model.fields if spec.name in added_names]
    new_many = [spec for spec in model.many if spec.name in added_names]
    tables = [m.table for m in project.models.values()]
    declared = declared_tables(project.package_dir / "models")
    check_association_tables(names, new_many, [*tables, *declared])
    for spec in new_specs:
        if spec.is_enum:
            check_enum_alias(spec.enum_alias, names, spec.field.spec)
    after = manifest.with_model(ModelEntry.from_fields(entry.name, fields))
    _check_back_references(project, after, entry.name, added)

    changes = ChangeSet(project.root)
    outcome = merge_manifest_change(
        changes,
        project,
        manifest,
        after,
        ("your version", f"{entry.name} before", f"{entry.name} with the fields"),
    )
    if outcome.conflicts:
        raise ProjectError(
            f"the new fields would conflict with your edits of "
            f"{', '.join(outcome.conflicts)} (both changed the same lines); nothing "
            "was written: move your edit away from the generated code, or add the "
            "fields by hand"
        )
    if options.migration:
        path, text = add_columns_revision(
            project, model, new_specs, now or _now(), new_many
        )
        changes.create(path, format_python(text, path, project.root))
    changes.put(MANIFEST_FILE, after.render())
    return changes


def add_field(options: AddFieldOptions) -> ChangeSet:
    """Plan, then (unless a dry run) write every change atomically."""
    changes = plan_fields(options)
    if not options.dry_run:
        changes.apply()
    return changes


def _now() -> datetime:
    return datetime.now(UTC)


def _check_back_references(
    project: Project, after: Manifest, name: str, added: list[Field]
) -> None:
    """The model and the targets of its new relations, as they will be: no
    back-reference may take the name of another attribute (`User.posts` of
    `Post.author` and a field `posts` of User)."""
    relating = [
        (entry.name, [parse_field(spec) for spec in entry.fields])
        for entry in after.models
    ]
    fields_of = dict(relating)
    targets = [field.target for field in added if field.is_relation and field.target]
    for model in dict.fromkeys([name, *targets]):
        if model in fields_of:  # a model written by hand has no back-references
            spec = ModelSpec.build(
                project, model_names(model), fields_of[model], relating
            )
            check_back_reference_names(spec)


def _check_fills_existing_rows(field: Field) -> None:
    if field.optional or field.is_many:  # rows that exist get no links
        return
    if field.is_relation:
        raise FieldSpecError(
            f'"{field.spec}": rows that exist have no {field.target} to point to; '
            f"add the relation as optional ({field.spec}:optional)"
        )
    if not field.has_default:
        raise FieldSpecError(
            f'"{field.spec}": the table may hold rows, which need a value; give '
            f"one with default=VALUE (it fills them), or make it optional"
        )
