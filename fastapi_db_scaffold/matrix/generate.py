"""A combination's project: `fastapi-db new` with its answers, then `add-model` for
each of the standard models, then `add-field` and `remove-model` (the standard
evolutions of `models`), through the same functions the commands use.

`python -m fastapi_db_scaffold.matrix.generate ID DEST [--template SRC] [--vcs-ref REF]`
does the same in a process of its own (how `check` runs it, so that a broken template
cannot take the checker down): the tool's own refusals are one `error:` line on
stderr and exit 1; anything else is a traceback, for the step's log.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..add_field import AddFieldOptions, add_field
from ..add_model import AddModelOptions, add_model
from ..errors import FastapiDbError
from ..remove_model import RemoveModelOptions, remove_model
from ..scaffold import NewProjectOptions, create_project
from .combinations import COMBINATIONS, Combination
from .models import ADDED_FIELDS, DRAFT_MODEL, MODELS

__all__ = ["evolve_project", "generate_project", "main"]


def generate_project(
    combination: Combination,
    dest: Path,
    *,
    template: str | None = None,
    vcs_ref: str | None = None,
    models: list[tuple[str, list[str]]] = MODELS,
    evolve: bool = True,
) -> Path:
    """Generate the combination's project at `dest` (new or empty) with `models`,
    then (with `evolve`, and the standard models) the standard evolutions."""
    create_project(
        NewProjectOptions(
            name=combination.project_name,
            dest=dest,
            engine=combination.engine,
            database=combination.database,
            repository=combination.repository,
            yes=True,
            template=template,
            vcs_ref=vcs_ref,
        )
    )
    for model, fields in models:
        add_model(AddModelOptions(project_dir=dest, model=model, fields=list(fields)))
    if evolve and models is MODELS:
        evolve_project(dest)
    return dest


def evolve_project(dest: Path) -> None:
    """Add the draft model, add fields to two models, remove the draft model."""
    name, fields = DRAFT_MODEL
    add_model(AddModelOptions(project_dir=dest, model=name, fields=list(fields)))
    for model, added in ADDED_FIELDS:
        add_field(AddFieldOptions(project_dir=dest, model=model, fields=list(added)))
    remove_model(RemoveModelOptions(project_dir=dest, model=name))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fastapi_db_scaffold.matrix.generate"
    )
    parser.add_argument("combination", choices=[c.id for c in COMBINATIONS])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--template")
    parser.add_argument("--vcs-ref")
    args = parser.parse_args(argv)
    combination = next(c for c in COMBINATIONS if c.id == args.combination)
    try:
        generate_project(
            combination, args.dest, template=args.template, vcs_ref=args.vcs_ref
        )
    except FastapiDbError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"generated {combination.id} at {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
