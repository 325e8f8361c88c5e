"""Name collisions: models and fields named after the generated code's own identifiers.

The generated code has local names, parameters and imports of its own (`data`,
`filters`, `session`, `Annotated`, ...). A model or field named after one of them must
either work (the project's tests, ruff and mypy --strict pass) or be refused with a
reason. Nothing here lists those identifiers: `collect_identifiers` renders reference
models into throw-away projects and reads every identifier out of what `add-model`
wrote, so the candidates follow the snippets when they change.

    collect_identifiers  reference projects -> every identifier of the added code
    model_candidates     identifiers -> PascalCase model names (as is, singulars)
    field_candidates     identifiers -> lowercase field names
    partition            accepted names -> projects whose models coexist
    check_probes         one project of probes, built and checked; a probe that
                         breaks it is named with the first error line, dropped, and
                         the rest checked again until the project passes (a probe
                         of many fields loses the field an error names, or is
                         split in two when none is named)
"""

from __future__ import annotations

import ast
import re
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fastapi_db_scaffold.add_model import AddModelOptions, add_model
from fastapi_db_scaffold.changes import FileChange
from fastapi_db_scaffold.errors import FastapiDbError
from fastapi_db_scaffold.naming import check_model_name, pluralize
from fastapi_db_scaffold.scaffold import NewProjectOptions, create_project

from .matrix import project_env, run_in_project
from .project_pytest import project_pytest


@dataclass(frozen=True)
class Variant:
    """A template answer set whose snippets render different branches."""

    engine: str
    repository: bool

    @property
    def id(self) -> str:
        return f"{self.engine}-{'repo' if self.repository else 'norepo'}"


VARIANTS = (Variant("async", True), Variant("sync", False))

# Reference models: every field type and modifier, relations with both ON DELETE
# behaviours. Every name they bring into the code contains one of the distinctive
# tokens, so what is left after dropping those is the snippets' own vocabulary.
TOKENS = ("quuxnorf", "zorblax", "quux", "zorb")
REFERENCE_PROJECT = "quuxnorf_app"
REFERENCE_MODELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Quuxnorf", ("quux_label:str(30):unique", "quux_score:int:optional")),
    (
        "Zorblax",
        (
            "zorb_str:str(40):unique:index",
            "zorb_text:text:optional",
            "zorb_int:int:index:default=3",
            "zorb_bigint:bigint:optional",
            "zorb_float:float",
            "zorb_decimal:decimal(8,2)",
            "zorb_bool:bool:default=false",
            "zorb_date:date",
            "zorb_datetime:datetime:optional",
            "zorb_time:time",
            "zorb_uuid:uuid:unique",
            "zorb_json:json",
            "zorb_enum:enum(zorbone,zorbtwo):default=zorbone",
            "zorb_ref:Quuxnorf:cascade",
            "zorb_opt_ref:Quuxnorf:optional:set-null",
        ),
    ),
)
# Relation kinds of the spec that the tool may not support yet: used once accepted.
OPTIONAL_REFERENCE_FIELDS = (
    "zorb_links:Quuxnorf:many",
    "zorb_parent:Zorblax:optional:set-null",
)

PROJECT = "collide_app"
PROJECT_SIZE = 25  # models per project: a test's cost grows with the app's routes
# The generated tests run for each probe: one through every endpoint and query of a
# model (create and list a page, read, update, delete), imports and mapper set-up of
# every module. The full generated suites run in the matrix; here a name is on trial.
SMOKE = (
    "pages_with_a_total or (test_update_ and not rejects) "
    "or (test_delete_ and not deleting)"
)
CHAIN = 6  # models per relation chain (related objects are joined recursively)
MODEL_FIELDS = ("label:str(40)", "kind:enum(small,large)")
FIELD_TARGET = "Quuxnorf"  # the target of relation-field probes, named off-vocabulary

_PASCAL = re.compile(r"[A-Z][A-Za-z0-9]*")
_SNAKE = re.compile(r"_*([a-z][a-z0-9]*(?:_[a-z0-9]+)*)_*")
_LOCATION = re.compile(r"(?P<path>(?:[\w.-]+/)*[\w.-]+\.py)(?::(?P<line>\d+))?")


# ---- identifiers -----------------------------------------------------------------


def identifiers_of(tree: ast.AST) -> set[str]:
    """Every name a module binds or reads: names, defs, parameters, imports.

    Keyword-argument names are left out: they bind nothing a model could meet.
    """
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.add(node.name)
        elif isinstance(node, ast.arg):
            found.add(node.arg)
        elif isinstance(node, ast.alias):
            found.update(node.name.split("."))
            if node.asname:
                found.add(node.asname)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            found.add(node.name)
    return found


def _own(name: str) -> bool:
    """Whether a name is the snippets' own (not derived from a reference name)."""
    lowered = name.lower()
    dunder = name.startswith("__") and name.endswith("__")
    return not dunder and name != "*" and not any(t in lowered for t in TOKENS)


def _reference_fields(project: Path, model: str, fields: Sequence[str]) -> list[str]:
    """The model's fields plus every optional one the tool accepts."""
    chosen = list(fields)
    for spec in OPTIONAL_REFERENCE_FIELDS:
        options = AddModelOptions(project, model, [*chosen, spec], dry_run=True)
        try:
            add_model(options)
        except FastapiDbError:
            continue
        chosen.append(spec)
    return chosen


def collect_identifiers(workdir: Path) -> dict[str, set[str]]:
    """Identifiers of everything add-model writes, per variant (reference names out).

    Created files are parsed whole, and so are the files it edits (the registrations
    and factories share a module with the template's own code).
    """
    per_variant: dict[str, set[str]] = {}
    for variant in VARIANTS:
        project = workdir / f"reference-{variant.id}"
        _new_project(REFERENCE_PROJECT, project, variant)
        found: set[str] = set()
        for model, fields in REFERENCE_MODELS:
            chosen = (
                _reference_fields(project, model, fields)
                if model == REFERENCE_MODELS[-1][0]
                else list(fields)
            )
            changes = add_model(AddModelOptions(project, model, chosen))
            for change in changes:
                if change.path.suffix == ".py":
                    found |= identifiers_of(ast.parse(change.after))
        per_variant[variant.id] = {name for name in found if _own(name)}
    return per_variant


# ---- candidates ------------------------------------------------------------------


def _pascal(snake: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in snake.split("_"))


def _singulars(plural: str) -> set[str]:
    """Snake names whose plural is `plural` (proposed by suffix, then checked)."""
    head, _, last = plural.rpartition("_")
    proposals = {last[:-1], last[:-2], last[:-3] + "y", last[:-3] + "f"}
    proposals |= {last[:-3] + "fe", last[:-2] + "is"}
    found = set()
    for word in proposals:
        if re.fullmatch(r"[a-z][a-z0-9]*", word):
            singular = f"{head}_{word}" if head else word
            if pluralize(singular) == plural:
                found.add(singular)
    return found


def model_candidates(identifiers: Iterable[str]) -> list[str]:
    """Model class names to try: PascalCase names as they are; snake_case and
    UPPER_CASE ones as PascalCase, and the singular whose plural they are."""
    found: set[str] = set()
    for name in identifiers:
        if not name.isascii():
            continue
        if _PASCAL.fullmatch(name):
            found.add(name)
        match = _SNAKE.fullmatch(name.lower() if name.isupper() else name)
        if match:
            snake = match.group(1)
            found.add(_pascal(snake))
            found |= {_pascal(singular) for singular in _singulars(snake)}
    return sorted(name for name in found if _PASCAL.fullmatch(name))


def field_candidates(identifiers: Iterable[str]) -> list[str]:
    """Field names to try: the lowercase identifiers."""
    return sorted(name for name in identifiers if name.isascii() and name.islower())


def partition(names: Iterable[str], size: int | None = None) -> list[list[str]]:
    """Greedily, the fewest projects in which each model is accepted after the others,
    then cut into projects of at most `size` models."""
    projects: list[list[str]] = []
    for name in names:
        for project in projects:
            try:
                check_model_name(name, known_models=project)
            except FastapiDbError:
                continue
            project.append(name)
            break
        else:
            projects.append([name])
    if size is None:
        return projects
    return [
        p[start : start + size] for p in projects for start in range(0, len(p), size)
    ]


# ---- probes: building and checking a project -------------------------------------


@dataclass(frozen=True)
class Probe:
    """A model added to a project to try a name; `subject` says which name."""

    subject: str
    model: str
    fields: tuple[str, ...] = ()
    chained: bool = False  # takes a relation to the previous chained probe
    probed_fields: tuple[tuple[str, str], ...] = ()  # (field name, subject) pairs

    def halves(self) -> list[Probe]:
        """Two probes (models `{model}A`, `{model}B`) sharing the probed fields."""
        middle = len(self.probed_fields) // 2
        parts = (self.probed_fields[:middle], self.probed_fields[middle:])
        probes = []
        for suffix, part in zip("AB", parts, strict=True):
            kept = {name for name, _ in part}
            fields = tuple(f for f in self.fields if f.split(":")[0] in kept)
            model = f"{self.model}{suffix}"
            probes.append(Probe(f"fields of {model}", model, fields, False, part))
        return probes

    def without(self, names: set[str]) -> Probe:
        """This probe minus the probed fields of these names."""
        keep = [(name, subject) for name, subject in self.probed_fields]
        keep = [(name, subject) for name, subject in keep if name not in names]
        kept = {name for name, _ in keep}
        fields = tuple(f for f in self.fields if f.split(":")[0] in kept)
        return Probe(self.subject, self.model, fields, self.chained, tuple(keep))


@dataclass
class Outcome:
    """Which probes broke the project (with the first error line) and which passed."""

    broken: dict[str, str] = field(default_factory=dict)
    passed: list[str] = field(default_factory=list)
    rounds: int = 0


@dataclass
class _Built:
    root: Path
    owner_of_file: dict[str, str]  # relative path -> model
    owner_of_statement: dict[str, dict[str, str]]  # path -> unparsed stmt -> model
    relation_of: dict[str, str]  # model -> the model it relates to


def _new_project(name: str, dest: Path, variant: Variant) -> None:
    create_project(
        NewProjectOptions(
            name=name,
            dest=dest,
            engine=variant.engine,
            database="sqlite",
            repository=variant.repository,
            yes=True,
        )
    )


def _statements(text: str) -> list[str]:
    return [ast.unparse(statement) for statement in ast.parse(text).body]


def _build(
    dest: Path,
    variant: Variant,
    probes: Sequence[Probe],
    base: Sequence[Probe],
    broken: dict[str, str],
    no_target: set[str],
) -> tuple[_Built, list[Probe]]:
    """Generate the project with `base` then `probes`; return it and the probes added.

    A probe that add-model refuses or fails on is recorded in `broken`; a relation
    that add-model refuses marks its target as unusable and the probe is added alone.
    """
    if dest.exists():
        shutil.rmtree(dest)
    _new_project(PROJECT, dest, variant)
    built = _Built(dest, {}, {}, {})
    added: list[Probe] = []
    previous: str | None = None
    chain = 0
    for probe in [*base, *probes]:
        fields = list(probe.fields)
        relation: str | None = None
        if probe.chained:
            if previous is not None and chain % CHAIN and previous not in no_target:
                relation = previous
            chain += 1
        try:
            changes = _add(dest, probe.model, fields, relation, broken, no_target)
        except FastapiDbError as error:
            named = _named_fields(probe, str(error))
            for name, subject in probe.probed_fields:
                if name in named:
                    broken[subject] = f"add-model refused or failed: {error}"
            if not named:
                broken[probe.subject] = f"add-model refused or failed: {error}"
                continue
            probe = probe.without(named)
            try:
                changes = _add(
                    dest, probe.model, list(probe.fields), relation, broken, no_target
                )
            except FastapiDbError as again:
                broken[probe.subject] = f"add-model refused or failed: {again}"
                continue
        if probe in base:
            continue
        added.append(probe)
        if probe.chained:
            previous = probe.model
        if relation is not None:
            built.relation_of[probe.model] = relation
        for change in changes:
            relative = change.path.relative_to(dest).as_posix()
            if change.is_new:
                built.owner_of_file[relative] = probe.model
            elif change.path.suffix == ".py":
                before = set(_statements(change.before or ""))
                owners = built.owner_of_statement.setdefault(relative, {})
                for statement in _statements(change.after):
                    if statement not in before:
                        owners.setdefault(statement, probe.model)
    return built, added


def _add(
    dest: Path,
    model: str,
    fields: list[str],
    relation: str | None,
    broken: dict[str, str],
    no_target: set[str],
) -> list[FileChange]:
    if relation is None:
        return list(add_model(AddModelOptions(dest, model, fields)))
    spec = f"previous:{relation}"
    try:
        return list(add_model(AddModelOptions(dest, model, [*fields, spec])))
    except FastapiDbError as error:
        broken[f"model {relation} as a relation target"] = (
            f'add-model {model} "{spec}" refused: {error}'
        )
        no_target.add(relation)
        return list(add_model(AddModelOptions(dest, model, fields)))


def _owner(built: _Built, path: str, line: int | None) -> str | None:
    """The model that wrote this line (its own file, or its block in a shared file)."""
    if path.startswith(str(built.root)):
        path = Path(path).relative_to(built.root).as_posix()
    if path in built.owner_of_file:
        return built.owner_of_file[path]
    owners = built.owner_of_statement.get(path)
    if owners is None or line is None:
        return None
    try:
        tree = ast.parse((built.root / path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return None
    for statement in tree.body:
        end = statement.end_lineno or statement.lineno
        decorators = getattr(statement, "decorator_list", [])
        start = min([statement.lineno, *(d.lineno for d in decorators)])
        if start <= line <= end:
            return owners.get(ast.unparse(statement))
    return None


def _locations(text: str) -> Iterable[tuple[str, int | None]]:
    for match in _LOCATION.finditer(text):
        line = match.group("line")
        yield match.group("path"), int(line) if line else None


def _blame_lines(built: _Built, output: str) -> dict[str, str]:
    """Model -> its first line in a ruff/mypy report (mypy's notes are skipped)."""
    blamed: dict[str, str] = {}
    for line in output.splitlines():
        if ": note:" in line:
            continue
        for path, number in _locations(line):
            model = _owner(built, path, number)
            if model is not None:
                blamed.setdefault(model, line.strip())
                break
    return blamed


def _blame_pytest(built: _Built, output: str) -> dict[str, str]:
    """Model -> its first FAILED/ERROR summary line; when there is none (a conftest
    that does not import, say), the innermost frame in a model's code."""
    blamed: dict[str, str] = {}
    lines = output.splitlines()
    for line in lines:
        if line.startswith(("FAILED ", "ERROR ")):
            for path, number in _locations(line):
                model = _owner(built, path, number)
                if model is not None:
                    blamed.setdefault(model, line.strip())
                    break
    if blamed:
        return blamed
    innermost: tuple[str, str] | None = None
    for line in lines:
        for path, number in _locations(line):
            model = _owner(built, path, number)
            if model is not None:
                innermost = (model, line.strip())
    if innermost is not None:
        reason = next(
            (line.strip() for line in reversed(lines) if line.startswith("E ")), ""
        )
        blamed[innermost[0]] = f"{innermost[1]} {reason}".strip()
    return blamed


def _failing_check(
    built: _Built, mypy_cache: Path
) -> tuple[str, dict[str, str], str] | None:
    """The first check that fails: its name, the models it blames, its output."""
    checks: list[tuple[str, tuple[str, ...], dict[str, str] | None]] = [
        ("ruff check", ("ruff", "check", "--output-format", "concise", "."), None),
        ("ruff format", ("ruff", "format", "--check", "."), None),
        ("mypy", ("mypy",), project_env(MYPY_CACHE_DIR=str(mypy_cache))),
        ("pytest", project_pytest("-k", SMOKE), None),
    ]
    for name, command, env in checks:
        result = run_in_project(built.root, *command, env=env)
        output = f"{result.stdout}\n{result.stderr}"
        if result.returncode == 0 and (name != "pytest" or " passed" in output):
            continue
        blame = _blame_pytest if name == "pytest" else _blame_lines
        return name, blame(built, output), output
    return None


def _named_fields(probe: Probe, line: str) -> set[str]:
    """The probed fields an error line names: quoted ones first, else any word."""
    names = {name for name, _ in probe.probed_fields}
    line = _LOCATION.sub(" ", line)
    quoted = set(re.findall(r"[`'\"]([a-z_][a-z0-9_]*)[`'\"]", line)) & names
    if quoted:
        return quoted
    return set(re.findall(r"[a-z_][a-z0-9_]*", line)) & names


def check_probes(
    workdir: Path,
    variant: Variant,
    probes: Sequence[Probe],
    base: Sequence[Probe] = (),
    max_rounds: int = 24,
    *,
    mypy_cache: Path,
) -> Outcome:
    """Build a project of `probes` (after `base`, which must work) and check it
    (mypy with the worker's cache, `mypy_cache`).

    A failing check's errors are traced to the probes whose files they are in; those
    are recorded with their first error line and dropped, and the rest built and
    checked again, until everything left passes. A failure that no probe owns fails
    loudly with the output.
    """
    outcome = Outcome()
    no_target: set[str] = set()
    remaining = list(probes)
    for round_ in range(1, max_rounds + 1):
        outcome.rounds = round_
        built, added = _build(
            workdir / f"{variant.id}-round{round_}",
            variant,
            remaining,
            base,
            outcome.broken,
            no_target,
        )
        by_model = {probe.model: probe for probe in added}
        failing = _failing_check(built, mypy_cache)
        if failing is None:
            outcome.passed = [probe.subject for probe in added]
            return outcome
        check, blamed, output = failing
        if not blamed:
            raise AssertionError(
                f"{check} fails in {built.root} and no probe's code is named in its "
                f"output (probes so far broken: {sorted(outcome.broken)}):\n"
                f"{output[-6000:]}"
            )
        remaining = [probe for probe in added if probe.model not in blamed]
        for model, line in blamed.items():
            probe = by_model[model]
            if probe.probed_fields:
                named = _named_fields(probe, line)
                if named or len(probe.probed_fields) == 1:
                    for name, subject in probe.probed_fields:
                        if name in named or len(probe.probed_fields) == 1:
                            outcome.broken[subject] = f"{check}: {line}"
                    if probe.without(named).probed_fields and named:
                        remaining.append(probe.without(named))
                else:  # nothing names the field: bisect the probe's fields
                    remaining += probe.halves()
                continue
            relation = built.relation_of.get(model)
            via = f" (with previous:{relation})" if relation else ""
            outcome.broken[f"{probe.subject}{via}"] = f"{check}: {line}"
            if relation:
                no_target.add(relation)
    raise AssertionError(
        f"still failing after {max_rounds} rounds; broken so far: {outcome.broken}"
    )
