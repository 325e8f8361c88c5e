"""`remove-model`: take out a model that `add-model` made, with everything it brought.

Refused while another model relates to it (a manifest model with a relation to it,
or any model module with a foreign key to its table), naming them. Otherwise the
project is rendered from its own template version with the manifest as it is and
without the model (`regenerate`): the model's own files go (your edits of them too:
they belong to the model you remove, and git has them), and its registrations are
merged out of the shared files, keeping your edits there. One revision drops the
table; its downgrade creates it again, empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .changes import ChangeSet
from .errors import ProjectError
from .fields import parse_fields
from .formatting import format_python
from .manifest import Manifest, load_manifest
from .migrations import drop_table_revision
from .naming import model_names
from .project import MANIFEST_FILE, Project, find_project
from .regenerate import merge_manifest_change
from .resources import RESOURCE_FILES
from .spec import ModelSpec

__all__ = ["RemoveModelOptions", "plan_removal", "remove_model"]


@dataclass(frozen=True)
class RemoveModelOptions:
    project_dir: Path
    model: str
    dry_run: bool = False
    migration: bool = True


def plan_removal(options: RemoveModelOptions, now: datetime | None = None) -> ChangeSet:
    """Every change `remove-model` would make, checked and merged; nothing written."""
    project = find_project(options.project_dir)
    manifest = load_manifest(project)
    entry = manifest.generated(options.model, "remove-model removes")
    names = model_names(entry.name)
    _refuse_if_related(project, manifest, entry.name, names.table)
    fields = parse_fields(entry.fields, known_models=set(project.models))
    model = ModelSpec.build(project, names, fields)
    after = manifest.without_model(entry.name)
    own_files = {
        file.target(project.package, names).as_posix()
        for file in RESOURCE_FILES
        if project.repository or not file.repository_only
    }

    changes = ChangeSet(project.root)
    for relative in sorted(own_files):
        if (project.root / relative).exists():
            changes.remove(relative)
    outcome = merge_manifest_change(
        changes,
        project,
        manifest,
        after,
        ("your version", f"with {entry.name}", f"without {entry.name}"),
        skip=own_files,
    )
    if outcome.conflicts:
        raise ProjectError(
            f"removing {entry.name}'s registrations would conflict with your edits "
            f"of {', '.join(outcome.conflicts)}; nothing was written: remove its "
            "lines there by hand first"
        )
    if options.migration:
        path, text = drop_table_revision(project, model, now or datetime.now(UTC))
        changes.create(path, format_python(text, path, project.root))
    changes.put(MANIFEST_FILE, after.render())
    return changes


def remove_model(options: RemoveModelOptions) -> ChangeSet:
    """Plan, then (unless a dry run) write every change atomically."""
    changes = plan_removal(options)
    if not options.dry_run:
        changes.apply()
    return changes


def _refuse_if_related(
    project: Project, manifest: Manifest, name: str, table: str
) -> None:
    related = {
        other.name
        for other in manifest.models
        if other.name != name
        and any(
            f.target == name
            for f in parse_fields(other.fields, known_models=set(project.models))
        )
    }
    foreign_key = re.compile(rf"""ForeignKey\(\s*["']{re.escape(table)}\.""")
    for model in project.models.values():
        if model.class_name == name or model.class_name in related:
            continue
        path = project.package_dir / "models" / f"{model.module}.py"
        try:
            if foreign_key.search(path.read_text(encoding="utf-8")):
                related.add(model.class_name)
        except (OSError, UnicodeDecodeError):
            continue
    if related:
        verb = "relates" if len(related) == 1 else "relate"
        raise ProjectError(
            f"cannot remove {name}: {', '.join(sorted(related))} {verb} to it; "
            "remove those relations (or models) first"
        )
