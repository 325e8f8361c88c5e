"""`update`: bring a generated project to a newer version of its template.

The project as the old template made it is rebuilt in a temporary directory: the
skeleton rendered by Copier from the project's recorded source and version, then
every model of the manifest added again with that version's snippets (no
migrations: revisions are history and never change). The same is done with the new
version. Each file of either render is then merged three ways into the project:
base = old render, theirs = new render, ours = the user's file. So registrations and
user edits survive (they are the user's side), template changes arrive (the other
side), and where both touched the same lines the file gets inline conflict markers
and is listed. Nothing is overwritten silently: a file the template no longer has is
removed only when the user never changed it, and a file the user deleted stays
deleted. `.copier-answers.yml` takes the new render's text (its `_commit` says the
new version), so a plain `copier update` can take over from there.

The project must be in a git repository with no uncommitted changes: what `update`
changes is then a diff the user can review, commit or throw away.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .add_model import AddModelOptions, add_model
from .changes import ChangeSet
from .errors import FastapiDbError, ProjectError
from .manifest import ModelEntry, load_manifest
from .merge import merge_three_way
from .project import ANSWERS_FILE, MANIFEST_FILE, Project, find_project
from .scaffold import render_template
from .template_source import TemplateSource, bundled, recorded_source

__all__ = ["UpdateOptions", "UpdatePlan", "plan_update", "update"]

_NOT_MERGED = {MANIFEST_FILE}


@dataclass(frozen=True)
class UpdateOptions:
    project_dir: Path
    vcs_ref: str | None = None
    """The version to update to (default: this tool's template, or the fork's
    latest tag)."""
    dry_run: bool = False
    yes: bool = False
    interactive: bool = False


@dataclass
class UpdatePlan:
    """What `update` changes, and what it could not merge cleanly."""

    old: TemplateSource
    new: TemplateSource
    changes: ChangeSet
    conflicts: list[str] = field(default_factory=list)
    """Files written with conflict markers."""
    kept: list[str] = field(default_factory=list)
    """Notes on files left as the user has them although the template changed."""

    @property
    def up_to_date(self) -> bool:
        return not len(self.changes) and not self.kept


def plan_update(options: UpdateOptions) -> UpdatePlan:
    """Every change `update` would make, merged in memory; nothing written."""
    project = find_project(options.project_dir)
    require_clean_git(project.root)
    old = project.template
    new = _target(old, options.vcs_ref)
    manifest = load_manifest(project)
    ask = options.interactive and not options.yes
    with tempfile.TemporaryDirectory(prefix="fastapi-db-update-") as tmp:
        base = _render_project(old, project, manifest.models, Path(tmp) / "old")
        theirs = _render_project(
            new, project, manifest.models, Path(tmp) / "new", ask=ask
        )
        new = _recorded(theirs) or new
        plan = UpdatePlan(old, new, ChangeSet(project.root))
        _merge_trees(plan, project.root, base, theirs)
    return plan


def update(options: UpdateOptions) -> UpdatePlan:
    """Plan, then (unless a dry run) write every change atomically."""
    plan = plan_update(options)
    if not options.dry_run:
        plan.changes.apply()
    return plan


def require_clean_git(root: Path) -> None:
    """Refuse a project outside git, or with uncommitted changes."""
    try:
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=normal", "--", "."],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as error:
        raise ProjectError(f"cannot run git ({error.strerror})") from None
    if status.returncode != 0:
        raise ProjectError(
            f"{root} is not in a git repository; update merges into your files, so "
            "it needs them committed first (git init && git add -A && git commit)"
        )
    dirty = [line[3:] for line in status.stdout.splitlines() if line.strip()]
    if dirty:
        more = f" and {len(dirty) - 1} more" if len(dirty) > 1 else ""
        raise ProjectError(
            f"the project's git tree has uncommitted changes ({dirty[0]}{more}); "
            "commit or stash them first: update merges into your files"
        )


def _target(old: TemplateSource, vcs_ref: str | None) -> TemplateSource:
    if old.is_bundled:
        return bundled(vcs_ref.removeprefix("v") if vcs_ref else None)
    return TemplateSource(old.src, vcs_ref)


def _render_project(
    source: TemplateSource,
    project: Project,
    models: tuple[ModelEntry, ...],
    dest: Path,
    *,
    ask: bool = False,
) -> Path:
    """The project as `source` renders it: the skeleton, then every model."""
    render_template(dest, dict(project.answers), source, ask=ask)
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


def _recorded(project_root: Path) -> TemplateSource | None:
    """The source the answers file of a render records (the resolved version)."""
    import yaml

    text = _read(project_root / ANSWERS_FILE)
    answers = yaml.safe_load(text) if text else None
    return recorded_source(answers) if isinstance(answers, dict) else None


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


def _replaced_by(text: str) -> Callable[[str], str]:
    return lambda _old: text


def _merge_trees(plan: UpdatePlan, root: Path, base: Path, theirs: Path) -> None:
    labels = ("your version", plan.old.describe(), plan.new.describe())
    for relative in sorted(_files(base) | _files(theirs)):
        if relative in _NOT_MERGED:
            continue
        old, new = _read(base / relative), _read(theirs / relative)
        ours = _read(root / relative)
        if old == new or ours == new:
            continue
        if relative == ANSWERS_FILE and new is not None and ours is not None:
            plan.changes.edit(relative, _replaced_by(new))
        elif ours is None:
            if old is None and new is not None:
                plan.changes.create(relative, new)
            else:
                plan.kept.append(f"{relative}: you removed it; left removed")
        elif new is None:
            if ours == old:
                plan.changes.remove(relative)
            else:
                plan.kept.append(
                    f"{relative}: the new template has no such file; you changed "
                    "it, so it stays"
                )
        else:
            merged = merge_three_way(ours, old or "", new, labels=labels)
            plan.changes.edit(relative, _replaced_by(merged.text))
            if merged.conflicts:
                plan.conflicts.append(relative)
