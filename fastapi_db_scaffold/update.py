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
from dataclasses import dataclass, field
from pathlib import Path

from .changes import ChangeSet
from .errors import ProjectError
from .manifest import load_manifest
from .project import ANSWERS_FILE, find_project
from .regenerate import merge_renders, render_project
from .template_source import TemplateSource, bundled, recorded_source

__all__ = ["UpdateOptions", "UpdatePlan", "plan_update", "update"]


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
        answers = project.answers
        base = render_project(old, answers, manifest.models, Path(tmp) / "old")
        theirs = render_project(
            new, answers, manifest.models, Path(tmp) / "new", ask=ask
        )
        new = _recorded(theirs) or new
        plan = UpdatePlan(old, new, ChangeSet(project.root))
        outcome = merge_renders(
            plan.changes,
            base,
            theirs,
            ("your version", old.describe(), new.describe()),
            answers_from_theirs=True,
        )
        plan.conflicts, plan.kept = outcome.conflicts, outcome.kept
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


def _recorded(project_root: Path) -> TemplateSource | None:
    """The source the answers file of a render records (the resolved version)."""
    import yaml

    text = _read_text(project_root / ANSWERS_FILE)
    answers = yaml.safe_load(text) if text else None
    return recorded_source(answers) if isinstance(answers, dict) else None


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        return None
