"""A project rendered from a template and a manifest, and renders merged into it.

What the model commands generated is a function of three things: the template
source at a version, the questionnaire's answers, and the manifest (every model with
its fields). `render_project` reproduces that in a directory: Copier's render of the
skeleton, then every manifest model added again with that version's snippets (no
migrations: revisions are history). Two such renders differ exactly by what changed
between them: a newer template (`update`), a model with more fields (`add-field`),
one model fewer (`remove-model`).

`merge_renders` carries that difference into the user's project: each file of either
render is merged three ways (base = the old render, theirs = the new render, ours =
the user's file), so the user's edits and the change both survive; where both touched
the same lines the merged text has inline conflict markers and the file is listed.
A file the new render drops is removed only when the user never changed it; a file
the user removed stays removed. The caller decides what a conflict means: `update`
writes the markers, the model commands refuse and write nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .add_model import AddModelOptions, add_model
from .changes import ChangeSet
from .errors import FastapiDbError, ProjectError
from .manifest import Manifest, ModelEntry
from .merge import merge_three_way
from .project import ANSWERS_FILE, MANIFEST_FILE, Project
from .scaffold import render_template
from .template_source import TemplateSource, local_tree
from .template_versions import data_home, tree_digest

__all__ = [
    "MergeOutcome",
    "merge_manifest_change",
    "merge_renders",
    "render_models",
    "render_project",
    "render_skeleton",
]


_COMPLETE = ".fastapi-db-render-complete"


def render_project(
    source: TemplateSource,
    answers: dict[str, Any],
    models: Iterable[ModelEntry],
    dest: Path,
    *,
    ask: bool = False,
) -> Path:
    """The project as `source` renders it for `answers`, with every model added."""
    if ask:
        render_template(dest, dict(answers), source, ask=True)
    else:
        render_skeleton(dest, answers, source)
    return render_models(dest, models, source)


def render_skeleton(
    dest: Path, answers: dict[str, Any], source: TemplateSource
) -> Path:
    """Copier's render of `source` for `answers` (no questions asked) at `dest`.

    Renders are kept in the data directory by the digest of the source's files and
    the answers, so the model commands pay for Copier once per template version."""
    tree = local_tree(source)
    key = hashlib.sha256(
        json.dumps(
            [source.src, source.ref, tree_digest(tree), answers], sort_keys=True
        ).encode()
    ).hexdigest()[:32]
    cached = data_home() / "renders" / key
    if not (cached / _COMPLETE).is_file():
        staged = cached.with_name(f"{key}.tmp-{os.getpid()}")
        shutil.rmtree(staged, ignore_errors=True)
        render_template(staged, dict(answers), source, ask=False)
        (staged / _COMPLETE).touch()
        try:
            staged.rename(cached)
        except OSError:  # another process got there first
            shutil.rmtree(staged, ignore_errors=True)
    shutil.copytree(cached, dest, ignore=shutil.ignore_patterns(_COMPLETE))
    return dest


def render_models(
    dest: Path, models: Iterable[ModelEntry], source: TemplateSource
) -> Path:
    """Add every model to the rendered skeleton at `dest` (no migrations)."""
    for entry in models:
        try:
            add_model(
                AddModelOptions(
                    project_dir=dest,
                    model=entry.name,
                    fields=list(entry.fields),
                    migration=False,
                )
            )
        except FastapiDbError as error:
            raise ProjectError(
                f"cannot reproduce model {entry.name} with {source.describe()}: {error}"
            ) from None
    return dest


def merge_manifest_change(
    changes: ChangeSet,
    project: Project,
    before: Manifest,
    after: Manifest,
    labels: tuple[str, str, str],
    *,
    skip: set[str] | frozenset[str] = frozenset(),
) -> MergeOutcome:
    """Plan what the model commands change when the manifest goes from `before` to
    `after`: both rendered from the project's own template version (one Copier run
    serves both), the difference merged into the project."""
    with tempfile.TemporaryDirectory(prefix="fastapi-db-models-") as tmp:
        skeleton = render_skeleton(
            Path(tmp) / "skeleton", project.answers, project.template
        )
        sides = []
        for side, manifest in (("before", before), ("after", after)):
            copy = Path(shutil.copytree(skeleton, Path(tmp) / side))
            sides.append(render_models(copy, manifest.models, project.template))
        return merge_renders(changes, sides[0], sides[1], labels, skip=skip)


@dataclass
class MergeOutcome:
    conflicts: list[str] = field(default_factory=list)
    """Files whose merged text has conflict markers."""
    kept: list[str] = field(default_factory=list)
    """Notes on files left as the user has them although the render changed."""


def merge_renders(
    changes: ChangeSet,
    base: Path,
    theirs: Path,
    labels: tuple[str, str, str],
    *,
    answers_from_theirs: bool = False,
    skip: set[str] | frozenset[str] = frozenset(),
) -> MergeOutcome:
    """Plan, in `changes`, what turns the project from `base` into `theirs`
    (leaving out the paths in `skip`, which the caller plans itself)."""
    outcome = MergeOutcome()
    for relative in sorted(_files(base) | _files(theirs)):
        if relative == MANIFEST_FILE or relative in skip:
            continue  # the commands write the manifest themselves
        old, new = _read(base / relative), _read(theirs / relative)
        ours = _current(changes, relative)
        if old == new or ours == new:
            continue
        if relative == ANSWERS_FILE and answers_from_theirs:
            if new is not None and ours is not None:
                changes.edit(relative, _replaced_by(new))
        elif ours is None:
            if old is None and new is not None:
                changes.create(relative, new)
            else:
                outcome.kept.append(f"{relative}: you removed it; left removed")
        elif new is None:
            if ours == old:
                changes.remove(relative)
            else:
                outcome.kept.append(
                    f"{relative}: no longer generated, but you changed it; it stays"
                )
        else:
            merged = merge_three_way(ours, old or "", new, labels=labels)
            changes.edit(relative, _replaced_by(merged.text))
            if merged.conflicts:
                outcome.conflicts.append(relative)
    return outcome


def _replaced_by(text: str) -> Callable[[str], str]:
    return lambda _old: text


def _files(root: Path) -> set[str]:
    return {
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def _read(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return None
    except (UnicodeDecodeError, IsADirectoryError):
        raise ProjectError(f"{path.name} is not a text file; cannot merge it") from None


def _current(changes: ChangeSet, relative: str) -> str | None:
    """The user's file as it will be (planned changes included); None if absent."""
    if not (changes.root / relative).exists() and not changes.is_planned(relative):
        return None
    return changes.read(relative)
