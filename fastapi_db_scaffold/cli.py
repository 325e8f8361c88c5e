"""The `fastapi-db` command line: the Typer app, its commands, and what they print.

Commands only declare their parameters and call plain functions (`scaffold`, ...) that
know nothing of Typer. Errors of the tool (`errors.FastapiDbError`) become one red line
on stderr and an exit code in exactly one place, `_Commands.invoke`.
"""

import contextlib
import os
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.text import Text
from rich.tree import Tree
from typer.core import TyperCommand, TyperGroup

from . import __version__
from .choices import DEFAULT_DATABASE, DEFAULT_ENGINE, Database, Engine
from .errors import FastapiDbError, ProjectError, UsageError
from .field_types import known_types_text
from .interruptions import install_handlers, wrote_changes
from .rich_help import load_rich_utils

if TYPE_CHECKING:  # each command imports the modules it runs (--help imports none)
    from .changes import ChangeSet
    from .scaffold import NewProjectResult

__all__ = ["app", "main"]


class _Console(Console):
    """Rich's console, but a closed pipe (`| head`) is an error `_one_line_errors`
    decides about, not Rich's `SystemExit(1)`."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


_out = _Console(soft_wrap=True, highlight=False, emoji=False)
_err = _Console(stderr=True, soft_wrap=True, highlight=False, emoji=False)


# Click's UsageError, wherever this Typer version keeps (or vendors) Click.
_ClickUsageError: type[Exception] = next(
    cls for cls in typer.BadParameter.__mro__ if cls.__name__ == "UsageError"
)


class _Commands(TyperGroup):
    """The app's command group: every way a command can end badly becomes one line
    on stderr and an exit code here, once (no traceback, no panel)."""

    # `ctx` is Typer's (vendored) click Context, whose module path varies by version.
    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        with _one_line_errors():
            return super().make_context(*args, **kwargs)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None:
            _refuse_contradicting_flags(command, rest)
        return name, command, rest

    def invoke(self, ctx: Any) -> Any:
        with _one_line_errors():
            return super().invoke(ctx)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        load_rich_utils()  # Typer's help renderer, without what help never uses
        super().format_help(ctx, formatter)


class _Command(TyperCommand):
    """A command of the app: its help rendered as `_Commands` renders the app's."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        load_rich_utils()
        super().format_help(ctx, formatter)


@contextlib.contextmanager
def _one_line_errors() -> Iterator[None]:
    """The tool's errors, usage errors, interrupts and OS errors as one line each.

    Once a command's changes are on disk it has done its job: an interrupt or a
    closed output pipe while it prints its summary does not make it fail.
    """
    try:
        yield
        sys.stdout.flush()  # a closed pipe shows here, not at the interpreter's exit
    except FastapiDbError as error:
        _fail(str(error), error.exit_code)
    except _ClickUsageError as error:
        command = getattr(getattr(error, "ctx", None), "command_path", "fastapi-db")
        message = error.format_message()  # type: ignore[attr-defined]
        _fail(f"{message} (see {command} --help)", 2)
    except KeyboardInterrupt:
        if wrote_changes():
            raise typer.Exit(0) from None
        _fail("cancelled; nothing was written", 130)
    except BrokenPipeError:
        _silence_output()
        raise typer.Exit(0 if wrote_changes() else 1) from None
    except OSError as error:
        if wrote_changes():  # the summary could not be printed; the work is done
            raise typer.Exit(0) from None
        where = f"{error.filename}: " if error.filename else ""
        _fail(f"{where}{error.strerror or error}", 1)


def _fail(message: str, exit_code: int) -> NoReturn:
    with contextlib.suppress(OSError):
        _err.print(f"error: {message}", style="red", markup=False)
    raise typer.Exit(exit_code) from None


def _silence_output() -> None:
    """After a closed pipe, send what is still buffered nowhere (no second error)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _refuse_contradicting_flags(command: Any, args: list[str]) -> None:
    """`--repository --no-repository`: a UsageError instead of taking the last."""
    given = set(args[: args.index("--")] if "--" in args else args)
    for param in getattr(command, "params", []):
        on, off = given & set(param.opts), given & set(param.secondary_opts)
        if getattr(param, "is_flag", False) and on and off:
            raise UsageError(
                f"{min(on)} and {min(off)} contradict each other; give one of them"
            )


app = typer.Typer(
    name="fastapi-db",
    cls=_Commands,
    no_args_is_help=True,
    help="Scaffold FastAPI + SQLAlchemy 2.x projects and grow them model by model.",
)


def _print_version(value: bool) -> None:
    if value:
        _out.print(f"fastapi-db {__version__}", markup=False)
        raise typer.Exit()


@app.callback()
def _app(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Show the version and exit.",
        ),
    ] = False,
) -> None:
    """Scaffold FastAPI + SQLAlchemy 2.x projects and grow them model by model."""


ProjectOption = Annotated[
    Path,
    typer.Option(metavar="DIR", help="The project (default: the one around the cwd)."),
]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Show the changes as a diff; write nothing.")
]
NoMigrationOption = Annotated[
    bool, typer.Option("--no-migration", help="Do not write an Alembic revision.")
]
_TEMPLATE_OPTION = typer.Option(
    "--template",
    metavar="SRC",
    help="Template source: a directory or git URL holding copier.yml, template/ "
    "and snippets/ (a fork of fastapi-db's template).",
    show_default="the bundled template",
)
_VCS_REF_OPTION = typer.Option(
    "--vcs-ref",
    metavar="REF",
    help="Git ref of --template (default its latest tag); without --template, a "
    "version of the bundled template.",
    show_default=False,
)


@app.command(cls=_Command)
def new(
    name: Annotated[
        str,
        typer.Argument(
            metavar="NAME",
            help="Project name: a lowercase Python identifier, also the package name.",
            show_default=False,
        ),
    ],
    engine: Annotated[
        Engine | None,
        typer.Option(
            help="SQLAlchemy engine flavour.", show_default=str(DEFAULT_ENGINE)
        ),
    ] = None,
    database: Annotated[
        Database | None,
        typer.Option(
            help="Database the project targets.", show_default=str(DEFAULT_DATABASE)
        ),
    ] = None,
    repository: Annotated[
        bool | None,
        typer.Option(
            "--repository/--no-repository",
            help="Put queries in a repository layer.",
            show_default="repository",
        ),
    ] = None,
    dest: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR",
            help="Directory to create the project in.",
            show_default="./NAME",
        ),
    ] = None,
    yes: Annotated[
        bool,
        typer.Option(
            "--yes", "-y", help="Take the defaults for unanswered questions; no prompt."
        ),
    ] = False,
    pretend: Annotated[
        bool,
        typer.Option("--pretend", help="Show what would be written; write nothing."),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Write into a non-empty directory (only the template's own files).",
        ),
    ] = False,
    template: Annotated[str | None, _TEMPLATE_OPTION] = None,
    vcs_ref: Annotated[str | None, _VCS_REF_OPTION] = None,
) -> None:
    """Create a new FastAPI + SQLAlchemy project NAME.

    In a terminal, asks the questions that the options leave open.

    With --yes, or without a terminal, takes the defaults instead.
    """
    from .scaffold import NewProjectOptions, create_project

    result = create_project(
        NewProjectOptions(
            name=name,
            dest=dest,
            engine=engine,
            database=database,
            repository=repository,
            yes=yes,
            pretend=pretend,
            force=force,
            interactive=_stdin_is_terminal(),
            template=template,
            vcs_ref=vcs_ref,
        )
    )
    _print_new_project(result)


def _stdin_is_terminal() -> bool:
    """Whether questions can be asked (standard input may even be closed)."""
    return sys.stdin is not None and not sys.stdin.closed and sys.stdin.isatty()


def _print_new_project(result: "NewProjectResult") -> None:
    answers = result.answers
    name = str(answers["project_name"])
    choices = (
        f"engine {answers['engine']}, database {answers['database']}, "
        f"repository {'on' if answers['repository'] else 'off'}"
    )
    verb = "Would create" if result.pretend else "Created"
    headline = Text.assemble(
        (f"{verb} project ", "green"),
        (name, "bold green"),
        (" at ", "green"),
        (str(result.dest), "bold green"),
        f" ({choices})",
        "; nothing was written (--pretend)." if result.pretend else ".",
    )
    _out.print(headline)
    _out.print(_file_tree(result))
    if result.pretend:
        return
    _out.print("\nNext steps:", style="bold")
    for command in [
        f"cd {shlex.quote(str(result.dest))}",
        "python -m venv .venv && . .venv/bin/activate && pip install -e '.[dev]'",
        "alembic upgrade head",
        "fastapi dev",
        "pytest",
        "fastapi-db add-model Post title:str body:text",
    ]:
        _out.print(f"  {command}", style="cyan", markup=False)


@app.command("add-model", cls=_Command)
def add_model_command(
    name: Annotated[
        str,
        typer.Argument(
            metavar="NAME", help="Model class name, PascalCase (Post, BlogPost)."
        ),
    ],
    fields: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="FIELD...",
            help=(
                "name:type[:modifier...], e.g. title:str(200) author:User:cascade. "
                f"Types: {known_types_text()}. Modifiers: unique, index, optional, "
                "default=VALUE (last), and on relations cascade or set-null; "
                "many alone makes a many-to-many relation: tags:Tag:many."
            ),
            show_default=False,
        ),
    ] = None,
    project: ProjectOption = Path("."),
    dry_run: DryRunOption = False,
    no_migration: NoMigrationOption = False,
) -> None:
    """Add model NAME with its schemas, repository, router, tests and migration."""
    from .add_model import AddModelOptions, add_model

    options = AddModelOptions(
        project_dir=project,
        model=name,
        fields=fields or [],
        dry_run=dry_run,
        migration=not no_migration,
    )
    changes = add_model(options)
    _print_changes(changes, f"Added model {name}", dry_run, migration=not no_migration)


@app.command(cls=_Command)
def check(
    template: Annotated[str | None, _TEMPLATE_OPTION] = None,
    vcs_ref: Annotated[str | None, _VCS_REF_OPTION] = None,
    since: Annotated[
        str | None,
        typer.Option(
            metavar="REF",
            help="Replay an update from this earlier version: a project made at REF, "
            "given the models and a hand edit, updated to the template under test.",
            show_default="the previous shipped version / the previous tag or commit",
        ),
    ] = None,
    engine: Annotated[
        list[str] | None,
        typer.Option(
            metavar="|".join(Engine),
            help="Only this engine (repeatable).",
            show_default="all",
        ),
    ] = None,
    database: Annotated[
        list[str] | None,
        typer.Option(
            metavar="|".join(Database),
            help="Only this database (repeatable).",
            show_default="all",
        ),
    ] = None,
    repository: Annotated[
        bool | None,
        typer.Option(
            "--repository/--no-repository",
            help="Only the combinations with (without) the repository layer.",
            show_default="both",
        ),
    ] = None,
    jobs: Annotated[
        str | None,
        typer.Option(
            metavar="N",
            help="Combinations checked in parallel.",
            show_default="the CPU count",
        ),
    ] = None,
    junit: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Write a JUnit XML report to FILE."),
    ] = None,
    keep: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR",
            help="Keep the generated projects (and their step logs) in DIR.",
            show_default="removed",
        ),
    ] = None,
) -> None:
    """Validate a template: generate its combinations with the standard models.

    Each project's tests, ruff, mypy --strict and the migration round trip must pass.

    PostgreSQL and MySQL combinations need TEST_POSTGRES_URL and TEST_MYSQL_URL.

    Without them they are skipped. Exit 0 if none failed, 1 if one did, 2 for usage.
    """
    from .matrix import report
    from .matrix.runner import plan_check, run_check

    options = plan_check(
        template=template,
        vcs_ref=vcs_ref,
        since=since,
        engines=engine or [],
        databases=database or [],
        repository=repository,
        jobs=_whole_number("--jobs", jobs),
        keep=keep,
        junit=junit,
    )
    console = _Console(highlight=False, emoji=False)
    progress = report.LiveProgress if console.is_terminal else report.PlainProgress
    if not console.is_terminal:
        console.width = max(console.width, 160)
    try:
        with progress(console, options.combinations) as listener:
            result = run_check(options, listener)
    except KeyboardInterrupt:
        raise FastapiDbError("check cancelled") from None
    report.print_summary(console, result)
    if junit is not None:
        try:
            report.write_junit(result, junit)
        except OSError as error:
            raise ProjectError(f"cannot write --junit {junit}: {error}") from error
        console.print(f"JUnit report: {junit}", markup=False, soft_wrap=True)
    if not result.ok:
        raise typer.Exit(1)


@app.command("add-field", cls=_Command)
def add_field_command(
    model: Annotated[
        str,
        typer.Argument(metavar="MODEL", help="A model that add-model made (Post)."),
    ],
    fields: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="FIELD...",
            help=(
                "name:type[:modifier...], as for add-model. A required field needs "
                "default=VALUE (it fills the rows that exist); a relation, optional."
            ),
            show_default=False,
        ),
    ] = None,
    project: ProjectOption = Path("."),
    dry_run: DryRunOption = False,
    no_migration: NoMigrationOption = False,
) -> None:
    """Add fields to MODEL: its model, schemas, repository, router, factory, tests
    and one migration; your edits of those files are kept (merged three ways)."""
    from .add_field import AddFieldOptions, add_field

    changes = add_field(
        AddFieldOptions(
            project_dir=project,
            model=model,
            fields=fields or [],
            dry_run=dry_run,
            migration=not no_migration,
        )
    )
    _print_changes(
        changes,
        f"Added to {model}: {', '.join(fields or [])}",
        dry_run,
        migration=not no_migration,
    )


@app.command("remove-model", cls=_Command)
def remove_model_command(
    model: Annotated[
        str,
        typer.Argument(metavar="MODEL", help="A model that add-model made (Post)."),
    ],
    project: ProjectOption = Path("."),
    dry_run: DryRunOption = False,
    no_migration: NoMigrationOption = False,
) -> None:
    """Remove MODEL: its files, its registrations, and a migration dropping its
    table. Refused while other models relate to it."""
    from .remove_model import RemoveModelOptions, remove_model

    changes = remove_model(
        RemoveModelOptions(
            project_dir=project,
            model=model,
            dry_run=dry_run,
            migration=not no_migration,
        )
    )
    _print_changes(
        changes, f"Removed model {model}", dry_run, migration=not no_migration
    )


def _whole_number(option: str, text: str | None) -> int | None:
    """An option's whole number; a UsageError (one line, exit 2) for anything else."""
    if text is None:
        return None
    try:
        return int(text.strip())
    except ValueError:
        raise UsageError(
            f"invalid {option} {text!r}: give a whole number of at least 1"
        ) from None


def _print_changes(
    changes: "ChangeSet", title: str, dry_run: bool, *, migration: bool = True
) -> None:
    if dry_run:
        _out.print(changes.diff(), markup=False, highlight=False)
        _out.print(
            f"Would change {len(changes)} files; nothing was written (--dry-run).",
            style="yellow",
        )
        return
    _out.print(title, style="green", markup=False)
    for change in changes:
        relative = change.path.relative_to(changes.root).as_posix()
        verb = (
            "created"
            if change.is_new
            else "removed"
            if change.is_removal
            else "edited "
        )
        _out.print(f"  {verb} {relative}", markup=False)
    _out.print("\nNext steps:", style="bold")
    next_steps = ["alembic upgrade head", "pytest"]
    if not migration:  # the schema change still needs a revision of the user's
        next_steps.insert(0, 'alembic revision --autogenerate -m "describe change"')
    for command in next_steps:
        _out.print(f"  {command}", style="cyan", markup=False)


@app.command("update", cls=_Command)
def update_command(
    vcs_ref: Annotated[
        str | None,
        typer.Option(
            "--vcs-ref",
            metavar="REF",
            help="Version to update to: a bundled template version (0.2.0), or a "
            "git ref of the project's template source.",
            show_default="this fastapi-db's template / the source's latest tag",
        ),
    ] = None,
    project: ProjectOption = Path("."),
    dry_run: DryRunOption = False,
    yes: Annotated[
        bool,
        typer.Option(
            "--yes", "-y", help="Take the defaults for new questions; no prompt."
        ),
    ] = False,
) -> None:
    """Bring the project to a newer template, keeping your edits and models.

    The skeleton and every resource in .fastapi-db.yml are rendered with the old
    and the new template and merged three ways into your files; conflicts are
    marked inline and listed (exit 1). Needs a git tree with nothing uncommitted.
    """
    from .update import UpdateOptions, update

    plan = update(
        UpdateOptions(
            project_dir=project,
            vcs_ref=vcs_ref,
            dry_run=dry_run,
            yes=yes,
            interactive=_stdin_is_terminal(),
        )
    )
    if plan.up_to_date:
        _out.print(f"Already up to date with {plan.new.describe()}.", markup=False)
        return
    if dry_run:
        _out.print(plan.changes.diff(), markup=False, highlight=False)
    verb = "Would update" if dry_run else "Updated"
    _out.print(
        f"{verb} from {plan.old.describe()} to {plan.new.describe()}",
        style="green",
        markup=False,
    )
    for change in plan.changes:
        relative = change.path.relative_to(plan.changes.root).as_posix()
        if change.is_new:
            what = "created"
        elif change.is_removal:
            what = "removed"
        elif relative in plan.conflicts:
            what = "CONFLICT"
        else:
            what = "merged "
        _out.print(f"  {what} {relative}", markup=False)
    for note in plan.kept:
        _out.print(f"  kept    {note}", markup=False)
    if dry_run:
        _out.print("Nothing was written (--dry-run).", style="yellow")
    if plan.conflicts:
        where = ", ".join(plan.conflicts)
        _err.print(
            f"error: {len(plan.conflicts)} file(s) would have conflicts: {where}"
            if dry_run
            else f"error: {len(plan.conflicts)} file(s) have conflicts, marked "
            f"inline with <<<<<<< / >>>>>>>: {where}; resolve them, then commit",
            style="red",
            markup=False,
        )
        raise typer.Exit(1)


def _file_tree(result: "NewProjectResult") -> Tree:
    """The written files as a tree; files that replaced existing ones are marked."""
    tree = Tree(Text(f"{result.dest}/", style="bold"))
    nodes: dict[tuple[str, ...], Tree] = {(): tree}
    replaced = set(result.replaced)
    for rel in result.files:
        parts = tuple(rel.split("/"))
        for depth in range(1, len(parts)):
            if parts[:depth] not in nodes:
                label = Text(f"{parts[depth - 1]}/", style="bold blue")
                nodes[parts[:depth]] = nodes[parts[: depth - 1]].add(label)
        label = Text(parts[-1])
        if rel in replaced:
            label.append(" (replaced)", style="yellow")
        nodes[parts[:-1]].add(label)
    return tree


def main() -> None:
    """Entry point of the `fastapi-db` script."""
    install_handlers()
    app(prog_name="fastapi-db")
