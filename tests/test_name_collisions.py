"""Any model or field name the tool accepts yields a project that passes its checks.

Candidates are not a hand-picked list: they are derived from every identifier of the
code add-model writes (see `collisions.collect_identifiers`), so a snippet that gains a
local `payload` makes `Payload` and `payload` candidates here. Each candidate is either
refused with a reason, or becomes a real model (or field) of a generated project whose
ruff, ruff format, mypy --strict and own test suite must pass; a name that breaks it is
reported with the first error line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from fastapi_db_scaffold.errors import FieldSpecError, InvalidNameError
from fastapi_db_scaffold.fields import parse_field
from fastapi_db_scaffold.naming import check_model_name

from .collisions import (
    FIELD_TARGET,
    MODEL_FIELDS,
    PROJECT_SIZE,
    REFERENCE_MODELS,
    VARIANTS,
    Probe,
    Variant,
    check_probes,
    collect_identifiers,
    field_candidates,
    model_candidates,
    partition,
)

pytestmark = pytest.mark.matrix

MODEL_SLOTS = 2  # model-name tests per variant (each checks its share of the names)
RELATIONS_PER_MODEL = 20  # each relation is a join; SQLite allows 64 a statement
FIELD_KINDS = ("scalar", "relation")


@dataclass(frozen=True)
class Plan:
    identifiers: frozenset[str]
    models: tuple[str, ...]
    refused_models: dict[str, str]
    fields: tuple[str, ...]
    scalar_fields: list[str]  # accepted as NAME:int
    relation_fields: list[str]  # accepted as NAME:Target
    refused_fields: dict[str, str]  # spec -> reason

    @property
    def accepted_models(self) -> list[str]:
        return [name for name in self.models if name not in self.refused_models]

    def summary(self) -> str:
        return (
            f"{len(self.identifiers)} identifiers; model names: "
            f"{len(self.models)} candidates, {len(self.refused_models)} refused, "
            f"{len(self.accepted_models)} accepted in "
            f"{len(partition(self.accepted_models))} project(s) (checked in "
            f"projects of {PROJECT_SIZE} at most); field names: "
            f"{len(self.fields)} candidates, "
            f"{len(self.scalar_fields)} accepted as NAME:int, "
            f"{len(self.relation_fields)} as NAME:{FIELD_TARGET}, "
            f"{len(self.refused_fields)} specs refused"
        )


@pytest.fixture(scope="session")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    """Identifiers of the rendered snippets and the names derived from them."""
    per_variant = collect_identifiers(tmp_path_factory.mktemp("reference"))
    identifiers = frozenset().union(*per_variant.values())
    models = model_candidates(identifiers)
    refused_models = {}
    for name in models:
        try:
            check_model_name(name)
        except InvalidNameError as error:
            refused_models[name] = str(error)
    fields = field_candidates(identifiers)
    accepted: dict[str, list[str]] = {"int": [], FIELD_TARGET: []}
    refused_fields = {}
    for name in fields:
        for spec, names in accepted.items():
            try:
                parse_field(f"{name}:{spec}")
            except FieldSpecError as error:
                refused_fields[f"{name}:{spec}"] = str(error)
            else:
                names.append(name)
    return Plan(
        identifiers,
        tuple(models),
        refused_models,
        tuple(fields),
        accepted["int"],
        accepted[FIELD_TARGET],
        refused_fields,
    )


def test_identifiers_are_collected(plan: Plan) -> None:
    """The collection sees the snippets' vocabulary, not the reference names."""
    print(plan.summary())
    expected = {"session", "status", "router", "select", "data", "filters"}
    assert expected <= plan.identifiers, sorted(plan.identifiers)
    reference = {model.lower() for model, _ in REFERENCE_MODELS}
    assert not {name.lower() for name in plan.identifiers} & reference
    assert {"Filter", "Filters", "Data", "Session"} <= set(plan.models)


def test_refusals_say_why(plan: Plan) -> None:
    """A refused candidate is refused with a reason (checked above: a clean error)."""
    for name, reason in plan.refused_models.items():
        prefix = f"invalid model name {name!r}: "
        assert reason.startswith(prefix) and len(reason) > len(prefix) + 10, reason
    for spec, reason in plan.refused_fields.items():
        assert reason.startswith(f'"{spec}": ') and len(reason) > len(spec) + 20, reason
    print(
        "\n".join(
            [
                plan.summary(),
                *plan.refused_models.values(),
                *plan.refused_fields.values(),
            ]
        )
    )


def _report(title: str, broken: dict[str, str], passed: int) -> str:
    lines = [f"{title}: {len(broken)} broken, {passed} passed"]
    lines += [f"  {subject}: {cause}" for subject, cause in sorted(broken.items())]
    return "\n".join(lines)


def _params(kinds: tuple[object, ...]) -> list[pytest.param]:  # type: ignore[valid-type]
    return [
        pytest.param(variant, kind, id=f"{variant.id}-{kind}")
        for variant in VARIANTS
        for kind in kinds
    ]


@pytest.mark.parametrize(("variant", "slot"), _params(tuple(range(MODEL_SLOTS))))
def test_model_names(
    plan: Plan, variant: Variant, slot: int, tmp_path: Path, mypy_cache: Path
) -> None:
    """Every accepted model name (this slot's share) works as a model.

    Each model gets a few fields (an enum among them: its alias is `{Model}Kind`) and,
    in chains of a few, a relation to the model before it.
    """
    names = plan.accepted_models[slot::MODEL_SLOTS]
    broken: dict[str, str] = {}
    passed = 0
    for number, project in enumerate(partition(names, PROJECT_SIZE)):
        probes = [Probe(f"model {name}", name, MODEL_FIELDS, True) for name in project]
        outcome = check_probes(
            tmp_path / f"project{number}", variant, probes, mypy_cache=mypy_cache
        )
        broken |= outcome.broken
        passed += len(outcome.passed)
    report = _report(f"model names, {variant.id}, slot {slot}", broken, passed)
    print(report)
    assert not broken, report


@pytest.mark.parametrize(("variant", "kind"), _params(FIELD_KINDS))
def test_field_names(
    plan: Plan, variant: Variant, kind: str, tmp_path: Path, mypy_cache: Path
) -> None:
    """Every accepted field name works as a scalar field and as a relation field.

    The names are packed into a few models (`NAME:int`, or `NAME:Target`, at most
    RELATIONS_PER_MODEL relations a model: each is joined); an error line that names a
    field blames that field, which is dropped and the rest checked again; one that
    names none splits the model's fields in two, until the culprit is alone.
    """
    spec = "int" if kind == "scalar" else FIELD_TARGET
    names = plan.scalar_fields if kind == "scalar" else plan.relation_fields
    per_model = len(names) if kind == "scalar" else RELATIONS_PER_MODEL
    base = [Probe(f"model {FIELD_TARGET}", FIELD_TARGET, ("title:str(40)",))]
    probes = [
        Probe(
            f"fields of Quux{kind.capitalize()}{number}",
            f"Quux{kind.capitalize()}{number}",
            tuple(f"{name}:{spec}" for name in chunk),
            probed_fields=tuple((name, f"field {name}:{spec}") for name in chunk),
        )
        for number, start in enumerate(range(0, len(names), per_model), start=1)
        for chunk in [names[start : start + per_model]]
    ]
    outcome = check_probes(tmp_path, variant, probes, base=base, mypy_cache=mypy_cache)
    passed = len(names) - sum(s.startswith("field ") for s in outcome.broken)
    report = _report(f"field names, {variant.id}, {kind}", outcome.broken, passed)
    print(report)
    assert not outcome.broken, report
