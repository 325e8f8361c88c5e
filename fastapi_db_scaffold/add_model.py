"""`add-model`: plan every file and edit a new model brings, check it all, then write.

Nothing touches the disk before every check passed and every file was rendered and
formatted in memory; the writes then go through `ChangeSet.apply`, which puts every
file back as it was if one of them fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .changes import ChangeSet
from .edits import insert_above_marker
from .errors import FieldSpecError
from .field_code import FieldCode, RelationTarget
from .fields import parse_field, parse_fields
from .formatting import format_python
from .migrations import (
    current_head,
    model_table,
    new_revision_id,
    render_create_table_revision,
    revision_filename,
)
from .naming import check_model_name, model_names
from .project import Project, find_project
from .render import ModelContext, render_snippet

__all__ = ["AddModelOptions", "plan_model", "add_model"]

MODEL_MARKER = "# fastapi-db: model imports"
ROUTER_IMPORT_MARKER = "# fastapi-db: router imports"
ROUTER_INCLUDE_MARKER = "# fastapi-db: router includes"
FACTORY_MARKER = "# fastapi-db: factories"


@dataclass(frozen=True)
class AddModelOptions:
    project_dir: Path
    model: str
    fields: list[str]
    dry_run: bool = False
    migration: bool = True


def _relation_targets(project: Project, codes: list[str]) -> dict[str, RelationTarget]:
    targets = {}
    for class_name in codes:
        existing = project.models[class_name]
        names = model_names(class_name)
        schemas = project.package_dir / "schemas" / f"{existing.module}.py"
        if names.public not in _read(schemas):
            raise FieldSpecError(
                f"a relation to {class_name} needs {names.public} in "
                f"{project.package}/schemas/{existing.module}.py (models added by "
                "fastapi-db have it); add that schema first"
            )
        targets[class_name] = RelationTarget(existing, names)
    return targets


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


def plan_model(options: AddModelOptions, now: datetime | None = None) -> ChangeSet:
    """Every change `add-model` would make, checked and formatted, nothing written."""
    project = find_project(options.project_dir)
    known = set(project.models)
    check_model_name(options.model, known_models=known)
    for spec in options.fields:
        field = parse_field(spec)
        if field.target == options.model:
            raise FieldSpecError(
                f'"{spec}": a model cannot refer to itself yet; use a plain '
                f"{field.name}_id:int column, or a second model"
            )
    fields = parse_fields(options.fields, known_models=known)
    names = model_names(options.model)
    targets = _relation_targets(project, sorted({f.target for f in fields if f.target}))
    codes = [
        FieldCode(field, names, targets[field.target] if field.target else None)
        for field in fields
    ]
    context = ModelContext(project, names, codes)
    package = Path(project.package)
    changes = ChangeSet(project.root)

    changes.create(
        package / "models" / f"{names.module}.py", render_snippet("model.py", context)
    )
    changes.create(
        package / "schemas" / f"{names.module}.py",
        render_snippet("schemas.py", context),
    )
    if project.repository:
        changes.create(
            package / "repositories" / f"{names.module}.py",
            render_snippet("repository.py", context),
        )
    changes.create(
        package / "routers" / f"{names.router_module}.py",
        render_snippet("router.py", context),
    )
    changes.create(
        Path("tests") / f"test_{names.router_module}.py",
        render_snippet("test_model.py", context),
    )
    _register(changes, project, context)
    if options.migration:
        moment = now or datetime.now(UTC)
        head = current_head(project.versions_dir)
        revision = new_revision_id()
        message = f"Create the {names.table} table"
        table = model_table(names.table, codes)
        changes.create(
            Path("migrations")
            / "versions"
            / revision_filename(revision, message, moment),
            render_create_table_revision(table, revision, head, message, moment),
        )
    changes.map_text(
        lambda path, text: (
            format_python(text, path, project.root) if path.suffix == ".py" else text
        )
    )
    return changes


def _register(changes: ChangeSet, project: Project, context: ModelContext) -> None:
    names = context.names
    package = Path(project.package)
    models_init = package / "models" / "__init__.py"
    routers_init = package / "routers" / "__init__.py"
    factories = Path("tests") / "factories.py"
    model_import = (
        f"from .{names.module} import {names.class_name} as {names.class_name}"
    )
    router_alias = f"{names.router_module}_router"
    changes.edit(
        models_init,
        lambda text: insert_above_marker(
            text, MODEL_MARKER, [model_import], str(models_init)
        ),
    )
    changes.edit(
        routers_init,
        lambda text: insert_above_marker(
            insert_above_marker(
                text,
                ROUTER_IMPORT_MARKER,
                [f"from .{names.router_module} import router as {router_alias}"],
                str(routers_init),
            ),
            ROUTER_INCLUDE_MARKER,
            [f"api_router.include_router({router_alias})"],
            str(routers_init),
        ),
    )
    factory = render_snippet("factory.py", context).strip("\n").splitlines()
    changes.edit(
        factories,
        lambda text: insert_above_marker(
            text, FACTORY_MARKER, ["", "", *factory, "", ""], str(factories), block=True
        ),
    )


def add_model(options: AddModelOptions) -> ChangeSet:
    """Plan, then (unless a dry run) write every change atomically."""
    changes = plan_model(options)
    if not options.dry_run:
        changes.apply()
    return changes
