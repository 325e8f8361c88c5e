"""The update replay: a project made by an earlier template version, updated.

A user's project was generated at an earlier version (`since`), given the standard
models, edited by hand and committed; then `fastapi-db update` brings it to the
template under test. The replay does exactly that and checks that the edits survived
and nothing conflicted; `steps.update_replay` then runs the project's checks on it.

`default_since` picks the earlier version: for the bundled template, the previous
version this tool ships; for a fork in a local git repository, the tag before the ref
under test (else its parent commit). A remote fork needs `--since`.

`python -m fastapi_db_scaffold.matrix.replay ID DEST --since REF [--template SRC]
[--vcs-ref REF]` runs it in a process of its own, as `check` does.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from ..errors import FastapiDbError, ProjectError
from ..template_versions import shipped_versions
from ..update import UpdateOptions, update
from .combinations import COMBINATIONS, Combination
from .generate import generate_project

__all__ = ["README_EDIT", "ROUTER_EDIT", "default_since", "main", "replay_update"]

README_EDIT = "\n## Local notes\n\nWritten by hand; `fastapi-db update` keeps it.\n"
ROUTER_EDIT = """

@router.get("/-/replayed", summary="An endpoint written by hand")
async def replayed_marker() -> dict[str, str]:
    return {"kept": "yes"}
"""
_EDITED_ROUTER = "routers/users.py"
_GIT = ("-c", "user.name=fastapi-db check", "-c", "user.email=check@localhost")


def _git(cwd: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *_GIT, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
    )
    if result.returncode != 0:
        raise ProjectError(f"git {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout.strip()


def default_since(template: str | None, vcs_ref: str | None) -> str | None:
    """The version to replay an update from; None when there is no earlier one."""
    if template is None:
        versions = shipped_versions()
        target = (vcs_ref or versions[-1]).removeprefix("v")
        earlier = versions[: versions.index(target)] if target in versions else []
        return earlier[-1] if earlier else None
    path = Path(template).expanduser()
    if not (path / ".git").exists():
        return None
    target = vcs_ref or "HEAD"
    try:
        return _git(path, "describe", "--tags", "--abbrev=0", f"{target}^")
    except ProjectError:
        try:
            return _git(path, "rev-parse", "--short", f"{target}^")
        except ProjectError:
            return None


def replay_update(
    combination: Combination,
    dest: Path,
    *,
    since: str,
    template: str | None = None,
    vcs_ref: str | None = None,
) -> Path:
    """Generate at `since`, edit and commit, update to `vcs_ref`; the project."""
    generate_project(combination, dest, template=template, vcs_ref=since)
    with (dest / "README.md").open("a", encoding="utf-8") as handle:
        handle.write(README_EDIT)
    router = dest / combination.project_name / _EDITED_ROUTER
    with router.open("a", encoding="utf-8") as handle:
        handle.write(ROUTER_EDIT)
    _git(dest, "init", "-q")
    _git(dest, "add", "-A")
    _git(dest, "commit", "-q", "-m", f"generated at {since}, edited")
    plan = update(UpdateOptions(project_dir=dest, vcs_ref=vcs_ref, yes=True))
    if plan.conflicts:
        raise ProjectError(
            f"update from {since} left conflicts in {', '.join(plan.conflicts)}"
        )
    if README_EDIT not in (dest / "README.md").read_text(encoding="utf-8"):
        raise ProjectError(f"update from {since} lost the edit of README.md")
    if ROUTER_EDIT.strip() not in router.read_text(encoding="utf-8"):
        raise ProjectError(f"update from {since} lost the edit of {_EDITED_ROUTER}")
    return dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fastapi_db_scaffold.matrix.replay")
    parser.add_argument("combination", choices=[c.id for c in COMBINATIONS])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--since", required=True)
    parser.add_argument("--template")
    parser.add_argument("--vcs-ref")
    args = parser.parse_args(argv)
    combination = next(c for c in COMBINATIONS if c.id == args.combination)
    try:
        replay_update(
            combination,
            args.dest,
            since=args.since,
            template=args.template,
            vcs_ref=args.vcs_ref,
        )
    except FastapiDbError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"updated {combination.id} from {args.since} at {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
